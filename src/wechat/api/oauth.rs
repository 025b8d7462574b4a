//! OAuth2 for pages, scope `snsapi_base` (silent; yields only the openid): the authorize
//! URL a page redirects to, and the code → openid exchange. A code is single-use and
//! WeChat sometimes opens the callback twice, so each exchange is remembered for five
//! minutes, bound to the login's `state`: the same login's second visit gets the same
//! openid instead of error 40163, and no other login can use the code at all.

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
    #[error("the code was already used for another login")]
    Used,
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

/// The store's key for a code: a digest, so the store never holds a usable code.
fn memory_key(code: &str) -> String {
    use sha2::{Digest, Sha256};
    format!(
        "oauth:code:{}",
        hex::encode(Sha256::digest(code.as_bytes()))
    )
}

/// What ties a code to the login it was issued for: a digest of that login's `state`,
/// which only the browser holding the matching signed cookie can present.
fn binding(state: &str) -> String {
    use sha2::{Digest, Sha256};
    hex::encode(&Sha256::digest(state.as_bytes())[..16])
}

/// How long a second visit of the same login waits for the first one's exchange.
const SECOND_VISIT_WAIT: Duration = Duration::from_secs(3);
const SECOND_VISIT_POLL: Duration = Duration::from_millis(50);

/// The openid for a callback code. A code is used once, for the login (`state`) it
/// came with: the first visit claims it and exchanges it; a second visit of the same
/// login (WeChat sometimes opens the callback twice) gets the same openid; a visit with
/// any other state is refused, so a code seen in a log or a shared link is worth nothing.
pub async fn exchange_code(
    api: &WechatApi,
    kv: &Kv,
    code: &str,
    state: &str,
) -> Result<OpenId, OAuthError> {
    if !code_ok(code) || state.is_empty() {
        return Err(OAuthError::BadCode);
    }
    let key = memory_key(code);
    let bound = binding(state);
    match kv.set_if_absent(&key, &bound, CODE_MEMORY).await {
        Ok(true) => {}
        Ok(false) => return same_login_again(kv, &key, &bound).await,
        Err(e) => {
            // Nothing can be remembered, so nothing can be replayed either: WeChat
            // itself refuses a code the second time.
            tracing::warn!(error = %e, "cannot claim the OAuth code; exchanging without memory");
            return parse_openid(api.openid_for_code(code).await?);
        }
    }
    match api.openid_for_code(code).await {
        Ok(openid) => {
            let openid = parse_openid(openid)?;
            let value = format!("{bound}|{}", openid.as_str());
            if let Err(e) = kv.set(&key, &value, CODE_MEMORY).await {
                tracing::warn!(error = %e, "cannot remember an exchanged OAuth code");
            }
            Ok(openid)
        }
        Err(e) => {
            // A network failure leaves the code unused at WeChat: let the same login
            // try again. A code WeChat refused stays claimed.
            if e.is_busy_or_unreachable() {
                let _ = kv.delete_if_equal(&key, &bound).await;
            }
            Err(e.into())
        }
    }
}

fn parse_openid(raw: String) -> Result<OpenId, OAuthError> {
    OpenId::parse(&raw).map_err(|_| OAuthError::BadOpenId)
}

/// A code already claimed: the same login's second visit waits for the first one's
/// openid; anyone else is refused.
async fn same_login_again(kv: &Kv, key: &str, bound: &str) -> Result<OpenId, OAuthError> {
    let deadline = tokio::time::Instant::now() + SECOND_VISIT_WAIT;
    loop {
        let value = kv.get(key).await.map_err(|_| OAuthError::Used)?;
        let Some(value) = value else {
            return Err(OAuthError::Used);
        };
        let (owner, openid) = match value.split_once('|') {
            Some((owner, openid)) => (owner, Some(openid)),
            None => (value.as_str(), None),
        };
        if owner != bound {
            return Err(OAuthError::Used);
        }
        if let Some(openid) = openid {
            return parse_openid(openid.to_owned());
        }
        if tokio::time::Instant::now() >= deadline {
            return Err(OAuthError::Used);
        }
        tokio::time::sleep(SECOND_VISIT_POLL).await;
    }
}
