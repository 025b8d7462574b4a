//! JS-SDK: the jsapi_ticket, cached and refreshed like the access_token, and the
//! signature that lets a page call `wx.config` (to share a village page with its own
//! title and picture): sha1 of `jsapi_ticket=…&noncestr=…&timestamp=…&url=…`, the URL
//! exactly as the page has it, without its `#fragment`.

use serde::{Deserialize, Serialize};
use sha1::{Digest, Sha1};

use super::token::{self, Issued};
use super::{ApiError, Call, WechatApi};

/// The signature of `url` (fragment removed) for `wx.config`.
pub fn signature(jsapi_ticket: &str, noncestr: &str, timestamp: i64, url: &str) -> String {
    let url = url.split('#').next().unwrap_or(url);
    let plain =
        format!("jsapi_ticket={jsapi_ticket}&noncestr={noncestr}&timestamp={timestamp}&url={url}");
    hex::encode(Sha1::digest(plain.as_bytes()))
}

/// What a page passes to `wx.config`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct JsConfig {
    pub app_id: String,
    pub timestamp: i64,
    pub nonce_str: String,
    pub signature: String,
}

impl WechatApi {
    /// The current jsapi_ticket (fetched when the cache has none or it is due).
    pub async fn jsapi_ticket(&self) -> Result<String, ApiError> {
        token::current(
            &*self.inner.store,
            &self.credential_name("jsapi_ticket"),
            "jsapi_ticket",
            || self.fetch_jsapi_ticket(),
        )
        .await
    }

    async fn fetch_jsapi_ticket(&self) -> Result<Issued, ApiError> {
        #[derive(Deserialize)]
        struct Answer {
            ticket: String,
            expires_in: u64,
        }
        let answer: Answer = self
            .call(Call::get("/cgi-bin/ticket/getticket").query("type", "jsapi"))
            .await?;
        Ok(Issued {
            value: answer.ticket,
            expires_in: answer.expires_in,
        })
    }

    /// A fresh `wx.config` for the page at `url`.
    pub async fn js_config(&self, url: &str) -> Result<JsConfig, ApiError> {
        let ticket = self.jsapi_ticket().await?;
        let nonce_str = uuid::Uuid::new_v4().simple().to_string();
        let timestamp = token::now_ms() / 1000;
        Ok(JsConfig {
            app_id: self.app_id().to_owned(),
            signature: signature(&ticket, &nonce_str, timestamp, url),
            timestamp,
            nonce_str,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_published_signature_examples_match() {
        let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/jssdk");
        let mut seen = 0;
        for entry in std::fs::read_dir(dir).unwrap() {
            let text = std::fs::read_to_string(entry.unwrap().path()).unwrap();
            let v: serde_json::Value = serde_json::from_str(&text).unwrap();
            let got = signature(
                v["jsapi_ticket"].as_str().unwrap(),
                v["noncestr"].as_str().unwrap(),
                v["timestamp"].as_i64().unwrap(),
                v["url"].as_str().unwrap(),
            );
            assert_eq!(got, v["signature"].as_str().unwrap(), "{text}");
            seen += 1;
        }
        assert_eq!(seen, 4);
    }

    #[test]
    fn the_fragment_is_not_signed() {
        assert_eq!(
            signature("t", "n", 1, "https://a.cn/p?x=1#top"),
            signature("t", "n", 1, "https://a.cn/p?x=1")
        );
    }
}
