//! The webhook's protocol over HTTP: URL verification, the three modes, and every
//! refusal (each a 4xx with a short reason, nothing stored, the server unharmed).

use sunvillage::configuration::WechatMode;
use sunvillage::storage::{followers, inbound_messages};
use sunvillage::wechat::webhook::crypto::Cipher;
use sunvillage::wechat::webhook::signature::sign;
use sunvillage::wechat::webhook::xml;

use crate::support::wechat::{article_of, decode, now, text};
use crate::support::{TestApp, spawn_app, spawn_app_with};

const TOKEN: &str = "sunvillage-dev-token";
const KEY: &str = "jWmYm7qr5nMoAUwZRjGtBxmz3KA1tkAj3ykkR6q2B2C";
const APP_ID: &str = "wx5823bf96d3bd56c7";

fn verify_query(timestamp: i64, signature: Option<&str>) -> String {
    let ts = timestamp.to_string();
    let good = sign(&[TOKEN, &ts, "1320562132"]);
    format!(
        "signature={}&timestamp={ts}&nonce=1320562132&echostr=5927782489442352469",
        signature.unwrap_or(&good)
    )
}

#[tokio::test]
async fn url_verification_echoes_echostr_only_for_a_valid_signature() {
    let app = spawn_app().await;
    let ok = app
        .get(&format!("/wechat?{}", verify_query(now(), None)))
        .await;
    assert_eq!(ok.status().as_u16(), 200);
    assert!(
        ok.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/plain")
    );
    assert_eq!(ok.text().await.unwrap(), "5927782489442352469");

    let forged = app
        .get(&format!(
            "/wechat?{}",
            verify_query(now(), Some(&"0".repeat(40)))
        ))
        .await;
    assert_eq!(forged.status().as_u16(), 403);
    let body = forged.text().await.unwrap();
    assert!(!body.contains("5927782489442352469"));
    assert!(body.contains("invalid signature"), "{body}");

    let stale = app
        .get(&format!("/wechat?{}", verify_query(now() - 3600, None)))
        .await;
    assert_eq!(stale.status().as_u16(), 403);

    let missing = app.get("/wechat?timestamp=1&nonce=2&echostr=3").await;
    assert_eq!(missing.status().as_u16(), 400);
}

async fn the_village_news_arrives_in(mode: WechatMode) {
    let app = spawn_app_with(|s| s.wechat.mode = mode).await;
    let (status, body) = app.send_wechat(mode, &text("oMode1", "青山镇王岗")).await;
    assert_eq!(status, 200, "{body}");
    if mode == WechatMode::Plain {
        assert!(body.contains("罗山县青山镇王岗村"));
    } else {
        // The reply is the encrypted envelope, signed; nothing readable leaks.
        let envelope = xml::parse(&body).unwrap();
        assert!(envelope.get("Encrypt").is_some());
        assert!(envelope.get("MsgSignature").is_some());
        assert!(!body.contains("王岗"));
    }
    let reply = decode(&app, &body);
    assert_eq!(reply.as_ref().unwrap().get("ToUserName"), Some("oMode1"));
    assert_eq!(
        reply.as_ref().unwrap().get("FromUserName"),
        Some("gh_simulated")
    );
    let (title, url) = article_of(reply);
    assert_eq!(title, "罗山县青山镇王岗村");
    assert_eq!(url, "http://cunwu.test/v/411521106200");
}

#[tokio::test]
async fn a_plain_mode_message_gets_a_plain_reply() {
    the_village_news_arrives_in(WechatMode::Plain).await;
}

#[tokio::test]
async fn an_xml_reply_declares_that_it_is_utf8() {
    // Without a charset, HTTP's default for text/* is Latin-1: a client that follows it
    // would read every Chinese character of the reply wrongly.
    let app = spawn_app().await;
    let (query, body) = app.signed(WechatMode::Plain, &text("oCharset", "青山镇王岗"));
    let reply = app
        .client
        .post(app.url(&format!("/wechat?{query}")))
        .header("content-type", "text/xml")
        .body(body)
        .send()
        .await
        .unwrap();
    assert_eq!(reply.status().as_u16(), 200);
    assert_eq!(
        reply.headers()["content-type"].to_str().unwrap(),
        "text/xml; charset=utf-8"
    );
    assert!(reply.text().await.unwrap().contains("罗山县青山镇王岗村"));
}

#[tokio::test]
async fn a_safe_mode_message_is_decrypted_and_answered_encrypted() {
    the_village_news_arrives_in(WechatMode::Safe).await;
}

#[tokio::test]
async fn a_compatible_mode_message_is_answered_from_its_encrypted_part() {
    the_village_news_arrives_in(WechatMode::Compatible).await;

    // Plain fields say one thing, Encrypt another: the decrypted one counts.
    let app = spawn_app_with(|s| s.wechat.mode = WechatMode::Compatible).await;
    let (query, safe_body) = app.signed(WechatMode::Safe, &text("oCompat", "青山镇王岗"));
    let encrypt = xml::parse(&safe_body)
        .unwrap()
        .get("Encrypt")
        .unwrap()
        .to_owned();
    let decoy = text("oCompat", "王刚村");
    let body = format!(
        "{}<Encrypt><![CDATA[{encrypt}]]></Encrypt></xml>",
        decoy.strip_suffix("</xml>").unwrap()
    );
    let (status, reply) = app.post_wechat_raw(&query, body).await;
    assert_eq!(status, 200, "{reply}");
    let (title, _) = article_of(decode(&app, &reply));
    assert_eq!(title, "罗山县青山镇王岗村");

    // Compatible mode also accepts a message sent without encryption.
    let (title, _) = article_of(
        app.wechat_in(WechatMode::Plain, &text("oCompat", "青山镇王岗"))
            .await,
    );
    assert_eq!(title, "罗山县青山镇王岗村");
}

/// Signs a safe-mode request around an arbitrary `Encrypt` value.
fn safe_query(encrypt: &str, timestamp: i64) -> String {
    let ts = timestamp.to_string();
    let signature = sign(&[TOKEN, &ts, "77"]);
    let msg_signature = sign(&[TOKEN, &ts, "77", encrypt]);
    format!(
        "signature={signature}&timestamp={ts}&nonce=77&encrypt_type=aes&msg_signature={msg_signature}"
    )
}

fn safe_body(encrypt: &str) -> String {
    format!(
        "<xml><ToUserName><![CDATA[gh]]></ToUserName><Encrypt><![CDATA[{encrypt}]]></Encrypt></xml>"
    )
}

async fn assert_refused(
    app: &TestApp,
    query: &str,
    body: impl Into<reqwest::Body>,
    status: u16,
    reason: &str,
) {
    let (got, text) = app.post_wechat_raw(query, body).await;
    assert_eq!(got, status, "{reason}: {text}");
    let json: serde_json::Value = serde_json::from_str(&text).unwrap();
    let error = json["error"].as_str().unwrap();
    assert!(error.contains(reason), "expected `{reason}`, got `{error}`");
    assert!(error.len() < 120, "a short reason: {error}");
}

fn plain_query(timestamp: i64) -> String {
    let ts = timestamp.to_string();
    format!(
        "signature={}&timestamp={ts}&nonce=5",
        sign(&[TOKEN, &ts, "5"])
    )
}

#[tokio::test]
async fn every_bad_request_is_refused_with_a_short_reason_and_stores_nothing() {
    let mut app = spawn_app().await;
    let good = text("oBad1", "王岗");
    let q = plain_query(now());

    assert_refused(&app, &q, "x".repeat(64 * 1024 + 1), 413, "larger than").await;
    let padded = format!("{}{}", good, " ".repeat(64 * 1024));
    assert_refused(&app, &q, padded, 413, "larger than").await;
    assert_refused(&app, &q, "<xml><Content>", 400, "malformed").await;
    assert_refused(&app, &q, "not xml at all", 400, "malformed").await;
    let xxe = format!(
        "<?xml version=\"1.0\"?><!DOCTYPE xml [<!ENTITY xxe SYSTEM \"file:///etc/passwd\">]>{}",
        good.replace("王岗", "&xxe;")
    );
    assert_refused(&app, &q, xxe, 400, "DOCTYPE").await;
    let entity = good.replace("<![CDATA[王岗]]>", "&xxe;");
    assert_refused(&app, &q, entity, 400, "entity").await;
    let no_content = good.replace("<Content><![CDATA[王岗]]></Content>", "");
    assert_refused(&app, &q, no_content, 400, "missing required field Content").await;
    let no_sender = good.replace("<FromUserName><![CDATA[oBad1]]></FromUserName>", "");
    assert_refused(&app, &q, no_sender, 400, "FromUserName").await;
    assert_refused(&app, &q, vec![0xffu8, 0xfe, b'<'], 400, "UTF-8").await;

    let forged = format!("signature={}&timestamp={}&nonce=5", "a".repeat(40), now());
    assert_refused(&app, &forged, good.clone(), 403, "invalid signature").await;
    assert_refused(&app, "timestamp=1&nonce=2", good.clone(), 400, "signature").await;
    assert_refused(
        &app,
        &plain_query(now() - 3600),
        good.clone(),
        403,
        "timestamp",
    )
    .await;
    assert_refused(
        &app,
        &plain_query(now() + 3600),
        good.clone(),
        403,
        "timestamp",
    )
    .await;

    // Encrypted requests.
    let cipher = Cipher::new(KEY, APP_ID).unwrap();
    let encrypt = cipher.encrypt(&good).unwrap();
    let mut bad_sig = safe_query(&encrypt, now());
    bad_sig = bad_sig.replace("msg_signature=", "msg_signature=0");
    assert_refused(&app, &bad_sig, safe_body(&encrypt), 403, "msg_signature").await;
    let garbage = "dGhpcyBpcyBub3QgYSBjaXBoZXJ0ZXh0IGF0IGFsbA==";
    assert_refused(
        &app,
        &safe_query(garbage, now()),
        safe_body(garbage),
        400,
        "decryption failed",
    )
    .await;
    let not_b64 = "***";
    assert_refused(
        &app,
        &safe_query(not_b64, now()),
        safe_body(not_b64),
        400,
        "decryption failed",
    )
    .await;
    let other_app = Cipher::new(KEY, "wx0000000000000001")
        .unwrap()
        .encrypt(&good)
        .unwrap();
    assert_refused(
        &app,
        &safe_query(&other_app, now()),
        safe_body(&other_app),
        400,
        "another AppID",
    )
    .await;
    let no_encrypt = "<xml><ToUserName>gh</ToUserName></xml>";
    assert_refused(
        &app,
        &safe_query("", now()),
        no_encrypt,
        400,
        "missing required field Encrypt",
    )
    .await;

    // Still serving, and nothing reached the database.
    assert_eq!(app.get("/healthz").await.status().as_u16(), 200);
    app.stop_server().await;
    let pool = app.fresh_pool().await;
    assert_eq!(inbound_messages::count(&pool).await.unwrap(), 0);
    let openid = sunvillage::domain::OpenId::parse("oBad1").unwrap();
    assert_eq!(
        followers::find(&pool, &app.vault, &openid).await.unwrap(),
        None
    );
}

#[tokio::test]
async fn a_safe_mode_account_refuses_unencrypted_messages() {
    let app = spawn_app_with(|s| s.wechat.mode = WechatMode::Safe).await;
    let (status, body) = app
        .send_wechat(WechatMode::Plain, &text("oPlain", "王岗"))
        .await;
    assert_eq!(status, 400, "{body}");
    assert!(body.contains("only encrypted"), "{body}");
}

#[tokio::test]
async fn the_replay_window_can_be_switched_off() {
    let app = spawn_app_with(|s| s.webhook.replay_window_s = 0).await;
    let (status, _) = app
        .post_wechat_raw(&plain_query(1_409_735_669), text("oOld", "王岗"))
        .await;
    assert_eq!(status, 200);
}

#[tokio::test]
async fn a_plain_mode_signature_cannot_carry_a_second_body() {
    let app = spawn_app().await;
    let victim = "oVictimFollower00000000000001";
    let attacker = "oForgedFollower00000000000001";
    let (query, body) = app.signed(WechatMode::Plain, &text(victim, "进度"));
    let (status, _) = app.post_wechat_raw(&query, body.clone()).await;
    assert_eq!(status, 200);
    // WeChat's retry carries the same URL and the same body: still answered.
    let (status, _) = app.post_wechat_raw(&query, body).await;
    assert_eq!(status, 200);

    // The same signed URL (they are in proxy logs) with someone else's openid.
    let (status, reply) = app.post_wechat_raw(&query, text(attacker, "进度")).await;
    assert_eq!(status, 403, "{reply}");
    assert!(reply.contains("already used"), "{reply}");
    assert!(
        followers::find(
            &app.pool,
            &app.vault,
            &sunvillage::domain::OpenId::parse(attacker).unwrap()
        )
        .await
        .unwrap()
        .is_none(),
        "a forged openid is not stored as a follower"
    );
}

#[tokio::test]
async fn a_repeated_query_parameter_is_named_in_the_refusal() {
    let app = spawn_app().await;
    let (query, body) = app.signed(
        WechatMode::Plain,
        &text("oFollower00000000000000000001", "王岗"),
    );
    let (status, reply) = app
        .post_wechat_raw(&format!("{query}&signature={}", "0".repeat(40)), body)
        .await;
    assert_eq!(status, 400);
    assert!(
        reply.contains("signature is given more than once"),
        "{reply}"
    );
}
