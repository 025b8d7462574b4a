//! OAuth2 for pages, scope `snsapi_base` (silent; yields only the openid): the authorize
//! URL a page redirects to, and the code → openid exchange. A code is single-use and
//! WeChat sometimes opens the callback twice, so each exchange is remembered for five
//! minutes and the second visit gets the same openid instead of error 40163.

use std::time::Duration;

use serde::Deserialize;

use super::{ApiError, Call, WechatApi};
use crate::domain::OpenId;
use crate::kv::Kv;
use secrecy::ExposeSecret;

/// WeChat's authorization page (a browser redirect, not an API call).
pub const AUTHORIZE_URL: &str = "https://open.weixin.qq.com/connect/oauth2/authorize";

/// How long an exchanged code's openid is remembered.
const CODE_MEMORY: Duration = Duration::from_secs(300);

fn encode(s: &str) -> String {
    url::form_urlencoded::byte_serialize(s.as_bytes()).collect()
}

#[derive(Debug, thiserror::Error)]
pub enum OAuthError {
    #[error("the code is not one WeChat issues")]
    BadCode,
    #[error("WeChat did not exchange the code: {0}")]
    Api(#[from] ApiError),
    #[error("WeChat answered with an openid that does not parse")]
    BadOpenId,
}

/// A `code` as WeChat puts it on the callback URL: short, URL-safe characters.
fn code_ok(code: &str) -> bool {
    !code.is_empty()
        && code.len() <= 128
        && code
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

impl WechatApi {
    /// Where to send a browser so that WeChat comes back to `redirect_uri` with a code
    /// and `state`; parameters in the order WeChat's documentation gives them.
    pub fn authorize_url(&self, redirect_uri: &str, state: &str) -> String {
        format!(
            "{AUTHORIZE_URL}?appid={}&redirect_uri={}&response_type=code&scope=snsapi_base&state={}#wechat_redirect",
            encode(self.app_id()),
            encode(redirect_uri),
            encode(state),
        )
    }

    /// `GET /sns/oauth2/access_token`: the follower's openid for a callback code. The
    /// per-user token in the answer is dropped: snsapi_base needs nothing more.
    async fn openid_for_code(&self, code: &str) -> Result<String, ApiError> {
        #[derive(Deserialize)]
        struct Answer {
            openid: String,
        }
        let call = Call::get("/sns/oauth2/access_token")
            .query("appid", self.app_id().to_owned())
            .query("secret", self.inner.app_secret.expose_secret())
            .query("code", code)
            .query("grant_type", "authorization_code");
        let answer: Answer = super::parse(call.path, self.send(&call, None).await?)?;
        Ok(answer.openid)
    }
}

fn memory_key(code: &str) -> String {
    use sha1::{Digest, Sha1};
    format!("oauth:code:{}", hex::encode(Sha1::digest(code.as_bytes())))
}

/// The openid for a callback code, exchanging it at most once per five minutes.
pub async fn exchange_code(api: &WechatApi, kv: &Kv, code: &str) -> Result<OpenId, OAuthError> {
    if !code_ok(code) {
        return Err(OAuthError::BadCode);
    }
    let key = memory_key(code);
    let remembered = |v: Option<String>| v.and_then(|v| OpenId::parse(&v).ok());
    match kv.get(&key).await {
        Ok(found) => {
            if let Some(openid) = remembered(found) {
                return Ok(openid);
            }
        }
        Err(e) => {
            tracing::warn!(error = %e, "cannot read exchanged OAuth codes; exchanging anyway")
        }
    }
    let openid = match api.openid_for_code(code).await {
        Ok(openid) => openid,
        Err(e) => {
            // A concurrent visit with the same code may have just exchanged it.
            if let Some(openid) = remembered(kv.get(&key).await.ok().flatten()) {
                return Ok(openid);
            }
            return Err(e.into());
        }
    };
    let openid = OpenId::parse(&openid).map_err(|_| OAuthError::BadOpenId)?;
    if let Err(e) = kv.set(&key, openid.as_str(), CODE_MEMORY).await {
        tracing::warn!(error = %e, "cannot remember an exchanged OAuth code");
    }
    Ok(openid)
}
