//! Talking to `/wechat` as WeChat does: signed (and encrypted) messages, decoded
//! replies.

use std::sync::atomic::{AtomicU64, Ordering};

use sunvillage::configuration::WechatMode;
use sunvillage::wechat::webhook::simulate::{self, Simulated};
use sunvillage::wechat::webhook::xml::{self, Fields};

use super::app::TestApp;

/// A MsgId no other message in this test binary uses.
pub fn fresh_msg_id() -> u64 {
    static NEXT: AtomicU64 = AtomicU64::new(1);
    let base = u64::from(uuid::Uuid::new_v4().as_u128() as u32) << 20;
    base + NEXT.fetch_add(1, Ordering::Relaxed)
}

pub fn now() -> i64 {
    chrono::Utc::now().timestamp()
}

/// A text message from `openid`.
pub fn text(openid: &str, content: &str) -> String {
    simulate::message_xml(
        openid,
        &Simulated::Text(content.into()),
        now(),
        fresh_msg_id(),
    )
}

/// An event from `openid` (`key` becomes the EventKey).
pub fn event(openid: &str, name: &str, key: Option<&str>) -> String {
    simulate::message_xml(
        openid,
        &Simulated::Event {
            name: name.into(),
            key: key.map(str::to_owned),
        },
        now(),
        fresh_msg_id(),
    )
}

impl TestApp {
    /// POSTs `body` to `/wechat?{query}`; the status and the body.
    pub async fn post_wechat_raw(
        &self,
        query: &str,
        body: impl Into<reqwest::Body>,
    ) -> (u16, String) {
        let response = self
            .client
            .post(self.url(&format!("/wechat?{query}")))
            .header("content-type", "text/xml")
            .body(body)
            .send()
            .await
            .expect("request reaches the app");
        let status = response.status().as_u16();
        (status, response.text().await.unwrap())
    }

    /// The signed query and body WeChat would send for `message` in `mode`.
    pub fn signed(&self, mode: WechatMode, message: &str) -> (String, String) {
        let nonce = (fresh_msg_id() % 1_000_000_000).to_string();
        simulate::signed_request(&self.settings, mode, message, now(), &nonce).unwrap()
    }

    /// Sends `message` as WeChat would in `mode`; the status and the raw body.
    pub async fn send_wechat(&self, mode: WechatMode, message: &str) -> (u16, String) {
        let (query, body) = self.signed(mode, message);
        self.post_wechat_raw(&query, body).await
    }

    /// Sends `message` in the app's mode and decodes the reply (`None` for `success`).
    pub async fn wechat(&self, message: &str) -> Option<Fields> {
        self.wechat_in(self.settings.wechat.mode, message).await
    }

    pub async fn wechat_in(&self, mode: WechatMode, message: &str) -> Option<Fields> {
        let (status, body) = self.send_wechat(mode, message).await;
        assert_eq!(status, 200, "{body}");
        decode(self, &body)
    }
}

/// A response body decoded (and decrypted) into the reply's fields.
pub fn decode(app: &TestApp, body: &str) -> Option<Fields> {
    simulate::decode_reply(&app.settings, body)
        .unwrap()
        .map(|doc| xml::parse(&doc).unwrap())
}

/// The content of a text reply (fails on any other kind).
pub fn text_of(reply: Option<Fields>) -> String {
    let reply = reply.expect("a reply, not success");
    assert_eq!(reply.get("MsgType"), Some("text"), "{reply:?}");
    reply.get("Content").unwrap().to_owned()
}

/// Title and URL of a news reply's one article (fails on any other kind).
pub fn article_of(reply: Option<Fields>) -> (String, String) {
    let reply = reply.expect("a reply, not success");
    assert_eq!(reply.get("MsgType"), Some("news"), "{reply:?}");
    assert_eq!(reply.get("ArticleCount"), Some("1"));
    (
        reply.get("Articles/item/Title").unwrap().to_owned(),
        reply.get("Articles/item/Url").unwrap().to_owned(),
    )
}
