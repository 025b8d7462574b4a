//! Follower sessions on pages. A page that needs the follower's openid takes a
//! [`FollowerSession`]; without a valid session the browser is sent to WeChat's OAuth2
//! page (snsapi_base, silent) with a random `state` that is also put in a short-lived
//! signed cookie, so only the browser that started the login can finish it. The callback
//! sets `sv_session`: the openid and its issue time, signed (HMAC-SHA256), HttpOnly,
//! SameSite=Lax, Secure on https. In development `session.dev_openid` stands in for a
//! missing session (refused in production by the configuration).

use std::future::{Ready, ready};
use std::sync::Arc;
use std::time::Duration;

use actix_web::cookie::{Cookie, CookieJar, Key, SameSite};
use actix_web::dev::Payload;
use actix_web::http::{StatusCode, header};
use actix_web::{FromRequest, HttpRequest, HttpResponse, ResponseError, web};
use secrecy::ExposeSecret;

use crate::configuration::Settings;
use crate::domain::OpenId;
use crate::routes::paths;
use crate::wechat::api::WechatApi;
use crate::wechat::api::token::now_ms;

pub const SESSION_COOKIE: &str = "sv_session";
pub const STATE_COOKIE: &str = "sv_oauth";
/// Where WeChat sends the browser back (a route of `routes::oauth`).
/// How long a started login may take.
const STATE_LIFETIME: Duration = Duration::from_secs(600);
/// Longest page address kept to return to after login.
const MAX_RETURN_TO: usize = 1024;

/// Session settings and the signing key; cheap to clone.
#[derive(Clone)]
pub struct Sessions {
    inner: Arc<Inner>,
}

struct Inner {
    key: Key,
    dev_openid: Option<OpenId>,
    public_base: String,
    secure: bool,
    max_age: Duration,
    api: WechatApi,
}

#[derive(Debug, thiserror::Error)]
pub enum SessionError {
    #[error("session.secret must be at least 32 bytes")]
    ShortSecret,
    #[error("session.dev_openid: {0}")]
    DevOpenId(#[from] crate::domain::OpenIdError),
}

/// Why the OAuth callback cannot sign the browser in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum StateError {
    #[error("no login was started in this browser, or it took too long")]
    Missing,
    #[error("the login was started in another browser")]
    Mismatch,
}

/// A page address to come back to: a path on this site, never another site.
pub(crate) fn safe_return_to(path: &str) -> String {
    let ok = path.starts_with('/')
        && !path.starts_with("//")
        && !path.contains('\\')
        && path.len() <= MAX_RETURN_TO
        && !path.chars().any(char::is_control);
    if ok {
        path.to_owned()
    } else {
        paths::home().to_owned()
    }
}

/// Hex, because actix percent-decodes request cookies: a `%` in a signed value would
/// change it and break its signature.
fn encode(s: &str) -> String {
    hex::encode(s)
}

fn decode(s: &str) -> String {
    hex::decode(s)
        .ok()
        .and_then(|b| String::from_utf8(b).ok())
        .unwrap_or_default()
}

impl Sessions {
    pub fn from_settings(settings: &Settings, api: WechatApi) -> Result<Sessions, SessionError> {
        let secret = settings.session.secret.expose_secret().as_bytes();
        // Key::derive_from panics below 32 bytes; the configuration refuses those too.
        if secret.len() < 32 {
            return Err(SessionError::ShortSecret);
        }
        let dev_openid = match settings.session.dev_openid.as_str() {
            "" => None,
            s => Some(OpenId::parse(s)?),
        };
        Ok(Sessions {
            inner: Arc::new(Inner {
                key: Key::derive_from(secret),
                dev_openid,
                public_base: settings.public_base().to_owned(),
                secure: settings.public_base().starts_with("https://"),
                max_age: Duration::from_secs(u64::from(settings.session.max_age_hours) * 3600),
                api,
            }),
        })
    }

    fn signed_value(&self, req: &HttpRequest, name: &str) -> Option<String> {
        let cookie = req.cookie(name)?;
        let mut jar = CookieJar::new();
        jar.add_original(cookie);
        jar.signed(&self.inner.key)
            .get(name)
            .map(|c| c.value().to_owned())
    }

    fn signed_cookie(
        &self,
        name: &'static str,
        value: String,
        max_age: Duration,
    ) -> Cookie<'static> {
        let mut cookie = Cookie::build(name, value)
            .path("/")
            .http_only(true)
            .secure(self.inner.secure)
            .same_site(SameSite::Lax)
            .max_age(actix_web::cookie::time::Duration::seconds(
                i64::try_from(max_age.as_secs()).unwrap_or(i64::MAX),
            ))
            .finish();
        let mut jar = CookieJar::new();
        jar.signed_mut(&self.inner.key).add(cookie.clone());
        if let Some(signed) = jar.get(name) {
            cookie.set_value(signed.value().to_owned());
        }
        cookie
    }

    /// The follower this browser is signed in as (or the development stand-in).
    pub fn follower(&self, req: &HttpRequest) -> Option<OpenId> {
        let from_cookie = self.signed_value(req, SESSION_COOKIE).and_then(|v| {
            let (openid, issued) = v.split_once('|')?;
            let issued: i64 = issued.parse().ok()?;
            let age = now_ms().saturating_sub(issued);
            let max = i64::try_from(self.inner.max_age.as_millis()).unwrap_or(i64::MAX);
            (0..max)
                .contains(&age)
                .then(|| OpenId::parse(openid).ok())?
        });
        from_cookie.or_else(|| self.inner.dev_openid.clone())
    }

    /// Sends the browser to WeChat's authorization page; it comes back to the callback
    /// and then to `return_to`.
    pub fn login_redirect(&self, return_to: &str) -> LoginRedirect {
        let state = uuid::Uuid::new_v4().simple().to_string();
        let redirect_uri = format!("{}{}", self.inner.public_base, paths::oauth_callback());
        let value = format!("{state}|{}", encode(&safe_return_to(return_to)));
        LoginRedirect::Login {
            location: self.inner.api.authorize_url(&redirect_uri, &state),
            state_cookie: self.signed_cookie(STATE_COOKIE, value, STATE_LIFETIME),
        }
    }

    /// Checks the callback's `state` against this browser's cookie; the page to return to.
    pub fn check_state(&self, req: &HttpRequest, state: &str) -> Result<String, StateError> {
        let value = self
            .signed_value(req, STATE_COOKIE)
            .ok_or(StateError::Missing)?;
        let (expected, return_to) = value.split_once('|').ok_or(StateError::Missing)?;
        if expected.is_empty() || expected != state {
            return Err(StateError::Mismatch);
        }
        Ok(safe_return_to(&decode(return_to)))
    }

    /// Signs the browser in as `openid` and sends it on to `return_to`.
    pub fn signed_in(&self, openid: &OpenId, return_to: &str) -> HttpResponse {
        let session = self.signed_cookie(
            SESSION_COOKIE,
            format!("{}|{}", openid.as_str(), now_ms()),
            self.inner.max_age,
        );
        let mut clear_state = Cookie::build(STATE_COOKIE, "").path("/").finish();
        clear_state.make_removal();
        HttpResponse::Found()
            .insert_header((header::LOCATION, safe_return_to(return_to)))
            .insert_header((header::CACHE_CONTROL, "no-store"))
            .cookie(session)
            .cookie(clear_state)
            .finish()
    }
}

/// The openid of the follower using this page. Extracting it from a browser without a
/// session answers with a redirect to WeChat's login instead of running the handler.
#[derive(Debug, Clone)]
pub struct FollowerSession(OpenId);

impl FollowerSession {
    pub fn openid(&self) -> &OpenId {
        &self.0
    }

    pub fn into_openid(self) -> OpenId {
        self.0
    }
}

/// What a page answers instead when the follower is not signed in.
#[derive(Debug)]
pub enum LoginRedirect {
    Login {
        location: String,
        state_cookie: Cookie<'static>,
    },
    /// `Sessions` is not registered with the app: a wiring bug.
    NotConfigured,
}

impl std::fmt::Display for LoginRedirect {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            LoginRedirect::Login { .. } => f.write_str("not signed in; redirecting to WeChat"),
            LoginRedirect::NotConfigured => f.write_str("sessions are not configured"),
        }
    }
}

impl ResponseError for LoginRedirect {
    fn status_code(&self) -> StatusCode {
        match self {
            LoginRedirect::Login { .. } => StatusCode::FOUND,
            LoginRedirect::NotConfigured => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    fn error_response(&self) -> HttpResponse {
        match self {
            LoginRedirect::Login {
                location,
                state_cookie,
            } => HttpResponse::Found()
                .insert_header((header::LOCATION, location.as_str()))
                .insert_header((header::CACHE_CONTROL, "no-store"))
                .cookie(state_cookie.clone())
                .finish(),
            LoginRedirect::NotConfigured => {
                tracing::error!("FollowerSession used without web::Data<Sessions>");
                HttpResponse::InternalServerError()
                    .content_type("text/plain; charset=utf-8")
                    .body("服务暂时不可用，请稍后再试")
            }
        }
    }
}

impl FromRequest for FollowerSession {
    type Error = LoginRedirect;
    type Future = Ready<Result<FollowerSession, LoginRedirect>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let Some(sessions) = req.app_data::<web::Data<Sessions>>() else {
            return ready(Err(LoginRedirect::NotConfigured));
        };
        ready(match sessions.follower(req) {
            Some(openid) => Ok(FollowerSession(openid)),
            None => {
                let uri = req.uri();
                let here = uri.path_and_query().map_or(paths::home(), |p| p.as_str());
                Err(sessions.login_redirect(here))
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_local_paths_are_returned_to() {
        assert_eq!(
            safe_return_to("/village/411503209202?x=1"),
            "/village/411503209202?x=1"
        );
        for bad in [
            "https://evil.cn/",
            "//evil.cn/x",
            "/\\evil.cn",
            "village",
            "/a\nb",
        ] {
            assert_eq!(safe_return_to(bad), "/", "{bad}");
        }
        assert_eq!(decode(&encode("/a b?c=d&e=中")), "/a b?c=d&e=中");
    }
}
