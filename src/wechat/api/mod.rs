//! The one client of WeChat's API (base URL from `wechat.api_base`, so tests point it at
//! a local fake): access_token from a shared [`token::TokenStore`], a token rejected with
//! 40001/40014/42001 refreshed once and the call retried once, "system busy" (-1) and
//! network failures retried with back-off within a bounded time, and every `errcode`
//! turned into an [`ApiError`]. The AppSecret goes only into token and OAuth requests;
//! it never reaches a log, an error or a panic message (errors never carry URLs).

pub mod error;
pub mod jssdk;
pub mod menu;
pub mod oauth;
pub mod qrcode;
pub mod template;
pub mod token;

use std::fmt;
use std::sync::Arc;
use std::time::{Duration, Instant};

use secrecy::{ExposeSecret, SecretString};
use serde::de::DeserializeOwned;
use serde_json::Value;

pub use error::{ApiError, ErrCode};
use token::{Issued, TokenStore};

use crate::configuration::{TokenEndpoint, WechatSettings};
use crate::kv::Kv;

/// Longest wait to connect to WeChat.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);
/// Largest answer read; WeChat's are a few kilobytes.
const MAX_RESPONSE_BYTES: usize = 1024 * 1024;

/// How calls that found WeChat busy or unreachable are retried: after `first_delay`,
/// doubling, while the total time stays within `budget`.
#[derive(Debug, Clone, Copy)]
pub struct RetryPolicy {
    pub first_delay: Duration,
    pub budget: Duration,
}

impl Default for RetryPolicy {
    fn default() -> RetryPolicy {
        // With the default 10 s request timeout, a call (and so a token fetch) ends within about
        // 18 s, inside the 30 s refresh lock.
        RetryPolicy {
            first_delay: Duration::from_millis(200),
            budget: Duration::from_secs(8),
        }
    }
}

/// The client; cheap to clone (every clone shares the HTTP pool and the token store).
#[derive(Clone)]
pub struct WechatApi {
    inner: Arc<Inner>,
}

struct Inner {
    http: reqwest::Client,
    /// `wechat.api_base` without a trailing slash.
    base: String,
    app_id: String,
    app_secret: SecretString,
    token_endpoint: TokenEndpoint,
    store: Arc<dyn TokenStore>,
    retry: RetryPolicy,
    /// access_token fetches from WeChat by this process (shown on /metrics).
    token_fetches: prometheus_client::metrics::counter::Counter,
}

impl fmt::Debug for WechatApi {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("WechatApi")
            .field("base", &self.inner.base)
            .field("app_id", &self.inner.app_id)
            .field("token_endpoint", &self.inner.token_endpoint)
            .finish_non_exhaustive()
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Method {
    Get,
    Post,
}

/// One request, before the access_token is added.
struct Call {
    method: Method,
    /// Also names the call in logs and errors (it carries no secret).
    path: &'static str,
    query: Vec<(&'static str, String)>,
    body: Option<String>,
}

impl Call {
    fn get(path: &'static str) -> Call {
        Call {
            method: Method::Get,
            path,
            query: Vec::new(),
            body: None,
        }
    }

    fn post(path: &'static str, body: &impl serde::Serialize) -> Call {
        // Serialising our own request types cannot fail; an empty body would be
        // refused by WeChat with a clear error anyway.
        Call::post_json(path, serde_json::to_string(body).unwrap_or_default())
    }

    /// A POST of JSON already serialised (non-ASCII stays UTF-8: WeChat refuses `\uXXXX`).
    fn post_json(path: &'static str, json: String) -> Call {
        Call {
            method: Method::Post,
            path,
            query: Vec::new(),
            body: Some(json),
        }
    }

    fn query(mut self, key: &'static str, value: impl Into<String>) -> Call {
        self.query.push((key, value.into()));
        self
    }
}

/// A non-zero `errcode`, if the answer has one (a success may carry `errcode: 0` or none).
pub(crate) fn errcode_of(value: &Value) -> Option<i64> {
    value
        .get("errcode")
        .and_then(Value::as_i64)
        .filter(|c| *c != 0)
}

fn network(path: &'static str, e: reqwest::Error) -> ApiError {
    // reqwest puts the URL, query included, into its errors: never keep it.
    ApiError::Network {
        path,
        source: e.without_url(),
    }
}

impl WechatApi {
    /// A client for the configured account, caching credentials in `store`.
    pub fn new(
        settings: &WechatSettings,
        store: Arc<dyn TokenStore>,
    ) -> Result<WechatApi, reqwest::Error> {
        WechatApi::with_retry(settings, store, RetryPolicy::default())
    }

    /// A client whose busy/unreachable retries follow `retry`.
    pub fn with_retry(
        settings: &WechatSettings,
        store: Arc<dyn TokenStore>,
        retry: RetryPolicy,
    ) -> Result<WechatApi, reqwest::Error> {
        let http = reqwest::Client::builder()
            .connect_timeout(CONNECT_TIMEOUT)
            .timeout(Duration::from_millis(settings.request_timeout_ms))
            .user_agent(concat!("sunvillage/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(reqwest::Error::without_url)?;
        Ok(WechatApi {
            inner: Arc::new(Inner {
                http,
                base: settings.api_base().to_owned(),
                app_id: settings.app_id.clone(),
                app_secret: settings.app_secret.clone(),
                token_endpoint: settings.token_endpoint,
                store,
                retry,
                token_fetches: Default::default(),
            }),
        })
    }

    /// A client whose credentials live in Redis when `kv` is Redis, else in this process.
    pub fn from_settings(settings: &WechatSettings, kv: &Kv) -> Result<WechatApi, reqwest::Error> {
        WechatApi::new(settings, token::store_for(kv))
    }

    pub fn app_id(&self) -> &str {
        &self.inner.app_id
    }

    fn credential_name(&self, what: &str) -> String {
        format!("{}:{what}", self.inner.app_id)
    }

    /// The current access_token (fetched when the cache has none or it is due).
    pub async fn access_token(&self) -> Result<String, ApiError> {
        token::current(
            &*self.inner.store,
            &self.credential_name("access_token"),
            "access_token",
            || self.fetch_access_token(),
        )
        .await
    }

    /// The counter of access_token fetches, for /metrics.
    pub fn token_fetches(&self) -> prometheus_client::metrics::counter::Counter {
        self.inner.token_fetches.clone()
    }

    async fn fetch_access_token(&self) -> Result<Issued, ApiError> {
        self.inner.token_fetches.inc();
        #[derive(serde::Deserialize)]
        struct Answer {
            access_token: String,
            expires_in: u64,
        }
        let secret = self.inner.app_secret.expose_secret();
        let call = match self.inner.token_endpoint {
            TokenEndpoint::Stable => Call::post(
                "/cgi-bin/stable_token",
                &serde_json::json!({
                    "grant_type": "client_credential",
                    "appid": self.inner.app_id,
                    "secret": secret,
                    "force_refresh": false,
                }),
            ),
            TokenEndpoint::Token => Call::get("/cgi-bin/token")
                .query("grant_type", "client_credential")
                .query("appid", self.inner.app_id.clone())
                .query("secret", secret),
        };
        let path = call.path;
        let answer: Answer = parse(path, self.send(&call, None).await?)?;
        if answer.access_token.is_empty() {
            return Err(ApiError::BadResponse {
                path,
                reason: "empty access_token".into(),
            });
        }
        Ok(Issued {
            value: answer.access_token,
            expires_in: answer.expires_in,
        })
    }

    /// A business call: adds the access_token; when WeChat rejects the token, drops it
    /// from the cache (only if it is still the cached one), takes a fresh one and retries
    /// once. A second rejection is returned, never looped on.
    async fn call<T: DeserializeOwned>(&self, call: Call) -> Result<T, ApiError> {
        let token = self.access_token().await?;
        let value = match self.send(&call, Some(&token)).await {
            Err(ApiError::Wechat { code, .. }) if code.is_token_error() => {
                tracing::info!(
                    path = call.path,
                    errcode = code.code(),
                    "WeChat rejected the access_token; refreshing it and retrying once"
                );
                self.inner
                    .store
                    .invalidate_if(&self.credential_name("access_token"), &token)
                    .await?;
                let fresh = self.access_token().await?;
                self.send(&call, Some(&fresh)).await?
            }
            other => other?,
        };
        parse(call.path, value)
    }

    /// Sends, retrying "system busy" and unreachable WeChat with back-off within the
    /// retry budget.
    async fn send(&self, call: &Call, access_token: Option<&str>) -> Result<Value, ApiError> {
        let started = Instant::now();
        let mut delay = self.inner.retry.first_delay;
        loop {
            match self.send_once(call, access_token).await {
                Err(e)
                    if e.is_busy_or_unreachable()
                        && started.elapsed() + delay < self.inner.retry.budget =>
                {
                    tracing::warn!(
                        path = call.path,
                        error = %e,
                        retry_in_ms = u64::try_from(delay.as_millis()).unwrap_or(u64::MAX),
                        "WeChat is busy or unreachable; retrying"
                    );
                    tokio::time::sleep(delay).await;
                    delay = delay.saturating_mul(2);
                }
                other => return other,
            }
        }
    }

    async fn send_once(&self, call: &Call, access_token: Option<&str>) -> Result<Value, ApiError> {
        let url = format!("{}{}", self.inner.base, call.path);
        let mut request = match call.method {
            Method::Get => self.inner.http.get(url),
            Method::Post => self.inner.http.post(url),
        };
        let mut query: Vec<(&str, &str)> =
            call.query.iter().map(|(k, v)| (*k, v.as_str())).collect();
        if let Some(token) = access_token {
            query.push(("access_token", token));
        }
        if !query.is_empty() {
            request = request.query(&query);
        }
        if let Some(body) = &call.body {
            request = request
                .header(
                    reqwest::header::CONTENT_TYPE,
                    "application/json; charset=utf-8",
                )
                .body(body.clone());
        }
        let mut response = request.send().await.map_err(|e| network(call.path, e))?;
        let status = response.status();
        if !status.is_success() {
            return Err(ApiError::Http {
                path: call.path,
                status: status.as_u16(),
            });
        }
        let mut body = Vec::new();
        while let Some(chunk) = response.chunk().await.map_err(|e| network(call.path, e))? {
            if body.len() + chunk.len() > MAX_RESPONSE_BYTES {
                return Err(ApiError::BadResponse {
                    path: call.path,
                    reason: format!("answer larger than {MAX_RESPONSE_BYTES} bytes"),
                });
            }
            body.extend_from_slice(&chunk);
        }
        let value: Value = serde_json::from_slice(&body).map_err(|e| ApiError::BadResponse {
            path: call.path,
            reason: format!("not JSON: {e}"),
        })?;
        if let Some(code) = errcode_of(&value) {
            let message = value
                .get("errmsg")
                .and_then(Value::as_str)
                .unwrap_or_default();
            return Err(ApiError::Wechat {
                code: ErrCode::from_code(code),
                message: self.redact(message),
            });
        }
        Ok(value)
    }

    /// WeChat's messages are echoed into errors and logs: make sure none repeats the
    /// secret, and keep them short.
    fn redact(&self, message: &str) -> String {
        let secret = self.inner.app_secret.expose_secret();
        let mut out = if secret.is_empty() {
            message.to_owned()
        } else {
            message.replace(secret, "[REDACTED]")
        };
        if out.chars().count() > 300 {
            out = out.chars().take(300).collect();
        }
        out
    }
}

fn parse<T: DeserializeOwned>(path: &'static str, value: Value) -> Result<T, ApiError> {
    serde_json::from_value(value).map_err(|e| ApiError::BadResponse {
        path,
        reason: e.to_string(),
    })
}
