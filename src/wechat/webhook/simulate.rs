//! `sunvillage simulate`: plays WeChat's part. Builds a message as WeChat would send it
//! — signed with the configured token, and in safe or compatible mode encrypted with the
//! configured EncodingAESKey and AppID — posts it to a running server, and decodes the
//! reply (checking its signature and decrypting it), so anyone can try the account
//! without a WeChat account.

use std::time::Duration;

use anyhow::{Context, bail};
use rand::RngCore;
use secrecy::ExposeSecret;

use super::crypto::Cipher;
use super::reply::{SUCCESS, cdata};
use super::{signature, xml};
use crate::configuration::{Settings, WechatMode};

/// What to send.
#[derive(Debug, Clone)]
pub enum Simulated {
    /// A text message.
    Text(String),
    /// A voice message with recognised speech.
    Voice(String),
    /// An event; `key` is the EventKey (for `subscribe`, `--scene S` gives `qrscene_S`).
    Event { name: String, key: Option<String> },
}

/// A simulated request.
#[derive(Debug, Clone)]
pub struct Options {
    /// The webhook, e.g. `http://127.0.0.1:8080/wechat`.
    pub url: String,
    pub mode: WechatMode,
    /// The follower it comes from.
    pub openid: String,
    pub what: Simulated,
}

/// What came back.
#[derive(Debug, Clone)]
pub struct Outcome {
    /// The message as sent (before encryption).
    pub sent_xml: String,
    /// The reply document (decrypted), or `None` for `success`.
    pub reply_xml: Option<String>,
}

/// The webhook URL for a server bound to `bind` (`0.0.0.0` is reached on loopback).
pub fn default_url(bind: &str) -> String {
    let host = bind
        .replacen("0.0.0.0:", "127.0.0.1:", 1)
        .replacen("[::]:", "[::1]:", 1);
    format!("http://{host}/wechat")
}

/// The message document WeChat would send.
pub fn message_xml(openid: &str, what: &Simulated, create_time: i64, msg_id: u64) -> String {
    let mut x =
        String::from("<xml><ToUserName><![CDATA[gh_simulated]]></ToUserName><FromUserName>");
    cdata(&mut x, openid);
    x.push_str(&format!(
        "</FromUserName><CreateTime>{create_time}</CreateTime>"
    ));
    match what {
        Simulated::Text(text) => {
            x.push_str("<MsgType><![CDATA[text]]></MsgType><Content>");
            cdata(&mut x, text);
            x.push_str(&format!("</Content><MsgId>{msg_id}</MsgId>"));
        }
        Simulated::Voice(words) => {
            x.push_str("<MsgType><![CDATA[voice]]></MsgType><MediaId><![CDATA[simulated]]></MediaId><Format><![CDATA[amr]]></Format><Recognition>");
            cdata(&mut x, words);
            x.push_str(&format!("</Recognition><MsgId>{msg_id}</MsgId>"));
        }
        Simulated::Event { name, key } => {
            x.push_str("<MsgType><![CDATA[event]]></MsgType><Event>");
            cdata(&mut x, name);
            x.push_str("</Event>");
            if let Some(key) = key {
                x.push_str("<EventKey>");
                cdata(&mut x, key);
                x.push_str("</EventKey>");
            }
            match name.to_ascii_lowercase().as_str() {
                "subscribe" | "scan" if key.is_some() => {
                    x.push_str("<Ticket><![CDATA[simulated]]></Ticket>");
                }
                "location" => x.push_str(
                    "<Latitude>32.130000</Latitude><Longitude>114.070000</Longitude><Precision>30.000000</Precision>",
                ),
                "templatesendjobfinish" | "masssendjobfinish" => {
                    x.push_str(&format!("<MsgID>{msg_id}</MsgID><Status><![CDATA[success]]></Status>"));
                }
                "scancode_push" | "scancode_waitmsg" => {
                    x.push_str("<ScanCodeInfo><ScanType><![CDATA[qrcode]]></ScanType><ScanResult>");
                    cdata(&mut x, key.as_deref().unwrap_or(""));
                    x.push_str("</ScanResult></ScanCodeInfo>");
                }
                _ => {}
            }
        }
    }
    x.push_str("</xml>");
    x
}

/// A signed request: the query string and the body, for `mode`.
pub fn signed_request(
    settings: &Settings,
    mode: WechatMode,
    message: &str,
    timestamp: i64,
    nonce: &str,
) -> anyhow::Result<(String, String)> {
    let token = settings.wechat.token.expose_secret();
    let ts = timestamp.to_string();
    let signature = signature::sign(&[token, &ts, nonce]);
    let mut query = format!("signature={signature}&timestamp={ts}&nonce={nonce}&openid=simulated");
    let body = match mode {
        WechatMode::Plain => message.to_owned(),
        WechatMode::Compatible | WechatMode::Safe => {
            let cipher = cipher(settings)?;
            let encrypt = cipher.encrypt(message)?;
            let msg_signature = signature::sign(&[token, &ts, nonce, &encrypt]);
            query.push_str(&format!("&encrypt_type=aes&msg_signature={msg_signature}"));
            let mut envelope = String::new();
            cdata(&mut envelope, &encrypt);
            if mode == WechatMode::Safe {
                format!(
                    "<xml><ToUserName><![CDATA[gh_simulated]]></ToUserName><Encrypt>{envelope}</Encrypt></xml>"
                )
            } else {
                // Compatible: the plain fields and Encrypt side by side.
                let plain = message.strip_suffix("</xml>").unwrap_or(message);
                format!("{plain}<Encrypt>{envelope}</Encrypt></xml>")
            }
        }
    };
    Ok((query, body))
}

fn cipher(settings: &Settings) -> anyhow::Result<Cipher> {
    Cipher::new(
        settings.wechat.encoding_aes_key.expose_secret(),
        &settings.wechat.app_id,
    )
    .context("wechat.encoding_aes_key")
}

/// Sends one simulated message and decodes the reply.
pub async fn run(settings: &Settings, options: &Options) -> anyhow::Result<Outcome> {
    let now = chrono::Utc::now().timestamp();
    let mut rng = rand::rng();
    let msg_id = rng.next_u64() >> 1;
    let nonce = (rng.next_u32() % 1_000_000_000).to_string();
    let sent_xml = message_xml(&options.openid, &options.what, now, msg_id);
    let (query, body) = signed_request(settings, options.mode, &sent_xml, now, &nonce)?;
    let separator = if options.url.contains('?') { '&' } else { '?' };
    let url = format!("{}{separator}{query}", options.url);
    let client = reqwest::Client::builder()
        .timeout(Duration::from_secs(10))
        .build()?;
    let response = client
        .post(&url)
        .header("content-type", "text/xml; charset=utf-8")
        .body(body)
        .send()
        .await
        .with_context(|| format!("cannot reach {}", options.url))?;
    let status = response.status();
    let text = response.text().await?;
    if !status.is_success() {
        bail!("the server answered {status}: {text}");
    }
    let reply_xml = decode_reply(settings, &text)?;
    Ok(Outcome {
        sent_xml,
        reply_xml,
    })
}

/// The plain reply document from a response body: `None` for `success` (or an empty
/// body), the decrypted document for an encrypted envelope after checking its signature.
pub fn decode_reply(settings: &Settings, body: &str) -> anyhow::Result<Option<String>> {
    let body = body.trim();
    if body.is_empty() || body == SUCCESS {
        return Ok(None);
    }
    let fields = xml::parse(body).context("the reply is not XML")?;
    let Some(encrypt) = fields.get("Encrypt") else {
        return Ok(Some(body.to_owned()));
    };
    let get = |k: &str| {
        fields
            .get(k)
            .with_context(|| format!("the encrypted reply lacks {k}"))
    };
    let token = settings.wechat.token.expose_secret();
    if !signature::verify(
        get("MsgSignature")?,
        &[token, get("TimeStamp")?, get("Nonce")?, encrypt],
    ) {
        bail!("the encrypted reply's MsgSignature is wrong");
    }
    Ok(Some(cipher(settings)?.decrypt(encrypt)?))
}

/// A reply for a person to read.
pub fn describe(reply_xml: Option<&str>) -> String {
    let Some(doc) = reply_xml else {
        return "(no reply: the server answered `success`)".to_owned();
    };
    let Ok(f) = xml::parse(doc) else {
        return doc.to_owned();
    };
    let get = |k: &str| f.get(k).unwrap_or_default();
    match get("MsgType") {
        "text" => format!("[text]\n{}", get("Content")),
        "news" => format!(
            "[news]\n{}\n{}\n{}",
            get("Articles/item/Title"),
            get("Articles/item/Description"),
            get("Articles/item/Url")
        ),
        "image" => format!("[image] media {}", get("Image/MediaId")),
        "transfer_customer_service" => "[transfer_customer_service]".to_owned(),
        other => format!("[{other}]\n{doc}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::wechat::webhook::inbound::{self, Event, Inbound};

    #[test]
    fn simulated_messages_parse_as_what_they_claim() {
        let m =
            inbound::parse(&message_xml("o1", &Simulated::Text("王岗]]>".into()), 5, 9)).unwrap();
        assert_eq!(
            m.kind,
            Inbound::Text {
                msg_id: 9,
                content: "王岗]]>".into()
            }
        );
        let m = inbound::parse(&message_xml(
            "o1",
            &Simulated::Event {
                name: "subscribe".into(),
                key: Some("qrscene_411503209202".into()),
            },
            5,
            9,
        ))
        .unwrap();
        assert!(
            matches!(m.kind, Inbound::Event(Event::Subscribe { scene: Some(ref s), .. }) if s == "411503209202")
        );
        for name in [
            "LOCATION",
            "TEMPLATESENDJOBFINISH",
            "scancode_waitmsg",
            "CLICK",
            "unsubscribe",
        ] {
            let m = inbound::parse(&message_xml(
                "o1",
                &Simulated::Event {
                    name: name.into(),
                    key: Some("K".into()),
                },
                5,
                9,
            ));
            assert!(m.is_ok(), "{name}: {m:?}");
        }
    }

    #[test]
    fn the_default_url_reaches_a_wildcard_bind_on_loopback() {
        assert_eq!(default_url("0.0.0.0:8080"), "http://127.0.0.1:8080/wechat");
        assert_eq!(
            default_url("127.0.0.1:9000"),
            "http://127.0.0.1:9000/wechat"
        );
    }
}
