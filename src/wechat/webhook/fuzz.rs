//! Property tests standing in for `cargo fuzz` (which needs a nightly toolchain): the
//! XML reader, the message parser, the decryptor and the webhook's whole opening path
//! get generated and mutated input, and must answer every input with a value or a clean
//! error, never a panic. `PROPTEST_CASES=<n>` runs them longer (docs/wechat.md says how
//! long they were run).

use std::sync::Arc;

use proptest::prelude::*;
use secrecy::ExposeSecret;

use super::crypto::Cipher;
use super::pipeline::{Params, Webhook};
use super::signature::sign;
use super::{inbound, xml};
use crate::configuration::{Settings, WechatMode};
use crate::kv::Kv;
use crate::region_index::SearchIndex;

const KEY: &str = "jWmYm7qr5nMoAUwZRjGtBxmz3KA1tkAj3ykkR6q2B2C";
const APP_ID: &str = "wx5823bf96d3bd56c7";

/// Field names WeChat uses, so generated documents reach deep into the parser.
const NAMES: &[&str] = &[
    "ToUserName",
    "FromUserName",
    "CreateTime",
    "MsgType",
    "Content",
    "MsgId",
    "MsgID",
    "Event",
    "EventKey",
    "Ticket",
    "PicUrl",
    "MediaId",
    "Format",
    "Recognition",
    "ThumbMediaId",
    "Location_X",
    "Location_Y",
    "Scale",
    "Label",
    "Title",
    "Description",
    "Url",
    "Latitude",
    "Longitude",
    "Precision",
    "ScanCodeInfo",
    "ScanType",
    "ScanResult",
    "SendPicsInfo",
    "Count",
    "PicList",
    "item",
    "PicMd5Sum",
    "SendLocationInfo",
    "Poiname",
    "Status",
    "TotalCount",
    "Encrypt",
    "xml",
    "MenuId",
    "FileKey",
    "FileTotalLen",
];
const MSG_TYPES: &[&str] = &[
    "text",
    "image",
    "voice",
    "video",
    "shortvideo",
    "location",
    "link",
    "file",
    "event",
    "x",
];
const EVENTS: &[&str] = &[
    "subscribe",
    "unsubscribe",
    "SCAN",
    "LOCATION",
    "CLICK",
    "VIEW",
    "view_miniprogram",
    "scancode_push",
    "scancode_waitmsg",
    "pic_sysphoto",
    "pic_photo_or_album",
    "pic_weixin",
    "location_select",
    "TEMPLATESENDJOBFINISH",
    "MASSSENDJOBFINISH",
    "other",
];

/// Text as it may appear between tags: words, numbers, markup debris, references.
fn content() -> impl Strategy<Value = String> {
    prop_oneof![
        "\\PC{0,12}",
        "-?[0-9]{1,22}(\\.[0-9]{1,8})?",
        "[<>&;\\]\\[!CDAT]{0,10}",
        Just("&amp;".to_owned()),
        Just("&#x738B;".to_owned()),
        Just("&#0;".to_owned()),
        Just("&xxe;".to_owned()),
        Just("]]>".to_owned()),
        prop::sample::select(MSG_TYPES).prop_map(str::to_owned),
        prop::sample::select(EVENTS).prop_map(str::to_owned),
    ]
}

fn element() -> impl Strategy<Value = String> {
    let leaf = (prop::sample::select(NAMES), content(), any::<bool>()).prop_map(|(n, t, cdata)| {
        if cdata {
            format!("<{n}><![CDATA[{t}]]></{n}>")
        } else {
            format!("<{n}>{t}</{n}>")
        }
    });
    leaf.prop_recursive(4, 40, 6, |inner| {
        (
            prop::sample::select(NAMES),
            prop::collection::vec(inner, 0..6),
        )
            .prop_map(|(n, children)| format!("<{n}>{}</{n}>", children.concat()))
    })
}

/// A document: usually `<xml>` with WeChat-like children, sometimes with a DOCTYPE,
/// a stray declaration, or cut short.
fn document() -> impl Strategy<Value = String> {
    (
        prop::collection::vec(element(), 0..14),
        prop_oneof![
            8 => Just(String::new()),
            1 => Just("<!DOCTYPE xml [<!ENTITY xxe SYSTEM \"file:///etc/passwd\">]>".to_owned()),
            1 => Just("<?xml version=\"1.0\" encoding=\"UTF-8\"?>".to_owned()),
        ],
        prop::option::of(any::<prop::sample::Index>()),
    )
        .prop_map(|(children, prefix, cut)| {
            let doc = format!("{prefix}<xml>{}</xml>", children.concat());
            match cut {
                Some(i) => {
                    let at = i.index(doc.len() + 1);
                    let at = (0..=at)
                        .rev()
                        .find(|&j| doc.is_char_boundary(j))
                        .unwrap_or(0);
                    doc.get(..at).unwrap_or_default().to_owned()
                }
                None => doc,
            }
        })
}

/// A well-formed message of a random kind with random values.
fn message() -> impl Strategy<Value = String> {
    (
        prop::sample::select(MSG_TYPES),
        prop::sample::select(EVENTS),
        "[A-Za-z0-9_-]{1,30}",
        content(),
        content(),
        "[0-9]{1,20}",
    )
        .prop_map(|(t, e, from, a, b, id)| {
            format!(
                "<xml><ToUserName><![CDATA[gh]]></ToUserName><FromUserName><![CDATA[{from}]]></FromUserName>\
                 <CreateTime>1700000000</CreateTime><MsgType><![CDATA[{t}]]></MsgType><Event>{e}</Event>\
                 <Content><![CDATA[{a}]]></Content><EventKey>{b}</EventKey><MsgId>{id}</MsgId>\
                 <MediaId>m</MediaId><Location_X>{b}</Location_X><Location_Y>1</Location_Y>\
                 <Latitude>{a}</Latitude><Longitude>1</Longitude><Precision>1</Precision>\
                 <Url>u</Url><Status>s</Status><ScanCodeInfo><ScanResult>{a}</ScanResult></ScanCodeInfo></xml>"
            )
        })
}

/// Byte-level damage to a valid input.
#[derive(Debug, Clone)]
enum Mutation {
    Flip(prop::sample::Index, u8),
    Truncate(prop::sample::Index),
    Insert(prop::sample::Index, u8),
    Delete(prop::sample::Index),
    Append(Vec<u8>),
}

fn mutation() -> impl Strategy<Value = Mutation> {
    prop_oneof![
        (any::<prop::sample::Index>(), 1u8..=255).prop_map(|(i, b)| Mutation::Flip(i, b)),
        any::<prop::sample::Index>().prop_map(Mutation::Truncate),
        (any::<prop::sample::Index>(), any::<u8>()).prop_map(|(i, b)| Mutation::Insert(i, b)),
        any::<prop::sample::Index>().prop_map(Mutation::Delete),
        prop::collection::vec(any::<u8>(), 1..40).prop_map(Mutation::Append),
    ]
}

fn mutate(mut bytes: Vec<u8>, mutations: &[Mutation]) -> Vec<u8> {
    for m in mutations {
        if bytes.is_empty() {
            break;
        }
        match m {
            Mutation::Flip(i, b) => {
                let at = i.index(bytes.len());
                bytes[at] ^= b;
            }
            Mutation::Truncate(i) => bytes.truncate(i.index(bytes.len())),
            Mutation::Insert(i, b) => bytes.insert(i.index(bytes.len() + 1), *b),
            Mutation::Delete(i) => {
                bytes.remove(i.index(bytes.len()));
            }
            Mutation::Append(extra) => bytes.extend_from_slice(extra),
        }
    }
    bytes
}

fn webhook(mode: WechatMode) -> Webhook {
    let mut settings = Settings::load_with_env(None, Some(Default::default())).unwrap();
    settings.wechat.mode = mode;
    settings.webhook.replay_window_s = 0;
    let pool = sqlx::postgres::PgPoolOptions::new()
        .connect_lazy("postgres://fuzz@127.0.0.1:1/none")
        .unwrap();
    let vault = crate::crypto::Vault::from_settings(&settings.crypto).unwrap();
    let (log, _batcher) =
        super::message_log::channel(pool.clone(), vault.clone(), &settings.webhook);
    Webhook::new(
        Arc::new(settings),
        pool,
        vault,
        Kv::memory("fuzz:"),
        SearchIndex::default(),
        log,
    )
    .unwrap()
}

fn signed_params(token: &str, encrypt: Option<&str>) -> Params {
    let (ts, nonce) = ("1700000000", "42");
    Params {
        signature: Some(sign(&[token, ts, nonce])),
        timestamp: Some(ts.into()),
        nonce: Some(nonce.into()),
        encrypt_type: encrypt.map(|_| "aes".into()),
        msg_signature: encrypt.map(|e| sign(&[token, ts, nonce, e])),
        ..Params::default()
    }
}

proptest! {
    #[test]
    fn any_text_reads_as_fields_or_a_clean_error(s in "\\PC{0,300}") {
        let _ = xml::parse(&s);
        let _ = inbound::parse(&s);
    }

    #[test]
    fn generated_documents_parse_or_fail_cleanly(doc in document()) {
        match inbound::parse(&doc) {
            Ok(m) => prop_assert!(!m.from.as_str().is_empty()),
            Err(e) => prop_assert!(e.to_string().len() < 200, "{}", e),
        }
        if doc.contains("<!DOCTYPE") {
            prop_assert!(xml::parse(&doc).is_err());
        }
    }

    #[test]
    fn generated_messages_of_every_kind_parse_or_name_the_problem(doc in message()) {
        match inbound::parse(&doc) {
            Ok(m) => {
                let _ = super::dedup::DedupKey::of(&m);
                let _ = super::router::route(&m);
            }
            Err(e) => prop_assert!(e.to_string().len() < 200, "{}", e),
        }
    }

    #[test]
    fn mutated_peer_messages_never_panic(
        pick in 0usize..6,
        mutations in prop::collection::vec(mutation(), 1..6),
    ) {
        let seeds = [
            "<xml><ToUserName><![CDATA[gh_21ee2dc92d7d]]></ToUserName><FromUserName><![CDATA[os-IKuHd9pJ6xsn4mS7GyL4HxqI4]]></FromUserName><CreateTime>1457742803</CreateTime><MsgType><![CDATA[text]]></MsgType><Content><![CDATA[王岗]]></Content><MsgId>6260957665266699303</MsgId></xml>",
            "<xml><ToUserName>gh</ToUserName><FromUserName>o1</FromUserName><CreateTime>1</CreateTime><MsgType>event</MsgType><Event>subscribe</Event><EventKey>qrscene_411503209202</EventKey><Ticket>T</Ticket></xml>",
            "<xml><ToUserName>gh</ToUserName><FromUserName>o1</FromUserName><CreateTime>1</CreateTime><MsgType>event</MsgType><Event>pic_weixin</Event><EventKey>6</EventKey><SendPicsInfo><Count>1</Count><PicList><item><PicMd5Sum>5a</PicMd5Sum></item></PicList></SendPicsInfo></xml>",
            "<xml><ToUserName>gh</ToUserName><FromUserName>o1</FromUserName><CreateTime>1</CreateTime><MsgType>event</MsgType><Event>location_select</Event><EventKey>6</EventKey><SendLocationInfo><Location_X><![CDATA[23]]></Location_X><Location_Y>113</Location_Y><Scale>15</Scale><Label>L</Label><Poiname></Poiname></SendLocationInfo></xml>",
            "<xml><ToUserName>gh</ToUserName><FromUserName>o1</FromUserName><CreateTime>1</CreateTime><MsgType>location</MsgType><Location_X>23.134521</Location_X><Location_Y>113.358803</Location_Y><Scale>20</Scale><Label>位置</Label><MsgId>1</MsgId></xml>",
            "<xml><ToUserName>gh</ToUserName><FromUserName>o1</FromUserName><CreateTime>1</CreateTime><MsgType>event</MsgType><Event>MASSSENDJOBFINISH</Event><MsgID>1000001625</MsgID><Status>err(30003)</Status><TotalCount>0</TotalCount></xml>",
        ];
        let bytes = mutate(seeds[pick].as_bytes().to_vec(), &mutations);
        let text = String::from_utf8_lossy(&bytes);
        let _ = inbound::parse(&text);
    }

    #[test]
    fn encryption_round_trips_any_message_and_app_id(
        msg in "\\PC{0,400}",
        app_id in "[A-Za-z0-9]{1,32}",
        random in any::<[u8; 16]>(),
    ) {
        let cipher = Cipher::new(KEY, &app_id).unwrap();
        let sealed = cipher.encrypt_with(&random, &msg).unwrap();
        prop_assert_eq!(cipher.decrypt(&sealed).unwrap(), msg);
    }

    #[test]
    fn mutated_ciphertext_opens_or_is_a_clean_error(
        msg in "\\PC{0,200}",
        mutations in prop::collection::vec(mutation(), 1..5),
        as_text in any::<bool>(),
    ) {
        use base64::Engine;
        let cipher = Cipher::new(KEY, APP_ID).unwrap();
        let sealed = cipher.encrypt(&msg).unwrap();
        let damaged = if as_text {
            // Damage the base64 text itself.
            String::from_utf8_lossy(&mutate(sealed.into_bytes(), &mutations)).into_owned()
        } else {
            let raw = base64::engine::general_purpose::STANDARD.decode(&sealed).unwrap();
            base64::engine::general_purpose::STANDARD.encode(mutate(raw, &mutations))
        };
        // CBC is malleable: damage confined to the random prefix can still open (to a
        // changed message). Integrity is msg_signature's job, checked before decrypting;
        // here the only demand is an answer instead of a panic.
        if let Err(e) = cipher.decrypt(&damaged) {
            prop_assert!(!e.to_string().is_empty());
        }
        let _ = msg;
    }

    #[test]
    fn the_webhook_opens_any_signed_body_or_refuses_it_cleanly(
        doc in prop_oneof![document(), message()],
        mutations in prop::collection::vec(mutation(), 0..3),
        mode in prop::sample::select(&[WechatMode::Plain, WechatMode::Safe][..]),
    ) {
        let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
        let _guard = runtime.enter();
        let hook = webhook(mode);
        let token = crate::configuration::Settings::load_with_env(None, Some(Default::default()))
            .unwrap()
            .wechat
            .token
            .expose_secret()
            .to_owned();
        let body = mutate(doc.clone().into_bytes(), &mutations);
        match mode {
            WechatMode::Safe => {
                let encrypt = Cipher::new(KEY, APP_ID).unwrap().encrypt(&String::from_utf8_lossy(&body)).unwrap();
                let envelope = format!("<xml><ToUserName>gh</ToUserName><Encrypt><![CDATA[{encrypt}]]></Encrypt></xml>");
                let _ = hook.open(&signed_params(&token, Some(&encrypt)), envelope.as_bytes());
            }
            _ => {
                let _ = hook.open(&signed_params(&token, None), &body);
            }
        }
    }
}
