//! A second implementation: wechatpy (PyPI, installed by scripts/ensure-services --tests)
//! encrypts a message our server must decrypt, and decrypts the reply our server
//! encrypted.

use std::io::Write;
use std::path::Path;
use std::process::{Command, Stdio};

use sunvillage::configuration::WechatMode;
use sunvillage::wechat::webhook::signature::sign;
use sunvillage::wechat::webhook::xml;

use crate::support::spawn_app_with;
use crate::support::wechat::{now, text};

const TOKEN: &str = "sunvillage-dev-token";
const KEY: &str = "jWmYm7qr5nMoAUwZRjGtBxmz3KA1tkAj3ykkR6q2B2C";
const APP_ID: &str = "wx5823bf96d3bd56c7";

fn wechatpy(request: serde_json::Value) -> serde_json::Value {
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/interop/wechatpy_roundtrip.py");
    let mut child = Command::new("python3")
        .arg(script)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("python3 runs (scripts/ensure-services installs wechatpy)");
    child
        .stdin
        .take()
        .unwrap()
        .write_all(request.to_string().as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "wechatpy failed (is it installed? run scripts/ensure-services): {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

#[tokio::test]
async fn wechatpy_encrypts_a_message_we_decrypt_and_decrypts_our_encrypted_reply() {
    let app = spawn_app_with(|s| s.wechat.mode = WechatMode::Safe).await;
    let message = text("oWechatpy", "青山镇王岗");
    let timestamp = now().to_string();
    let nonce = "1372623149";
    let sealed = wechatpy(serde_json::json!({
        "op": "encrypt", "token": TOKEN, "key": KEY, "app_id": APP_ID,
        "xml": message, "nonce": nonce, "timestamp": timestamp,
    }));
    let signature = sign(&[TOKEN, &timestamp, nonce]);
    let query = format!(
        "signature={signature}&timestamp={timestamp}&nonce={nonce}&encrypt_type=aes&msg_signature={}",
        sealed["msg_signature"].as_str().unwrap()
    );
    let (status, reply) = app
        .post_wechat_raw(&query, sealed["body"].as_str().unwrap().to_owned())
        .await;
    assert_eq!(status, 200, "{reply}");
    assert!(!reply.contains("王岗"), "the reply is encrypted");

    let opened = wechatpy(serde_json::json!({
        "op": "decrypt", "token": TOKEN, "key": KEY, "app_id": APP_ID, "body": reply,
    }));
    let doc = xml::parse(opened["xml"].as_str().unwrap()).unwrap();
    assert_eq!(doc.get("MsgType"), Some("news"));
    assert_eq!(doc.get("ToUserName"), Some("oWechatpy"));
    assert_eq!(doc.get("Articles/item/Title"), Some("罗山县青山镇王岗村"));
    assert_eq!(
        doc.get("Articles/item/Url"),
        Some("http://cunwu.test/v/411521106200")
    );
}

#[tokio::test]
async fn a_message_wechatpy_encrypted_for_another_app_id_is_refused() {
    let app = spawn_app_with(|s| s.wechat.mode = WechatMode::Safe).await;
    let timestamp = now().to_string();
    let sealed = wechatpy(serde_json::json!({
        "op": "encrypt", "token": TOKEN, "key": KEY, "app_id": "wx0000000000000001",
        "xml": text("oWechatpy", "王岗"), "nonce": "5", "timestamp": timestamp,
    }));
    let query = format!(
        "signature={}&timestamp={timestamp}&nonce=5&encrypt_type=aes&msg_signature={}",
        sign(&[TOKEN, &timestamp, "5"]),
        sealed["msg_signature"].as_str().unwrap()
    );
    let (status, body) = app
        .post_wechat_raw(&query, sealed["body"].as_str().unwrap().to_owned())
        .await;
    assert_eq!(status, 400, "{body}");
    assert!(body.contains("another AppID"), "{body}");
}
