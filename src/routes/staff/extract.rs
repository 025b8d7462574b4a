//! The single check every staff page and API call goes through: a live session whose
//! account is active and unchanged since it began. Handlers only ever see the
//! resulting [`StaffMember`] (with the session's CSRF token and the client's address),
//! and ask it `may`/`may_on` before they act.
//!
//! A page without a session answers a redirect to `/staff/login`; an API call without
//! one answers 401. A session that so far only proves the password of a role that needs
//! a second factor reaches nothing but the enrolment page, and an account whose
//! password someone else chose reaches nothing but the page to change it.

use std::future::Future;
use std::net::IpAddr;
use std::pin::Pin;

use actix_web::http::StatusCode;
use actix_web::http::header::{CACHE_CONTROL, LOCATION};
use actix_web::{FromRequest, HttpRequest, HttpResponse, ResponseError, dev::Payload, web};
use subtle::ConstantTimeEq;

use crate::auth::staff_session::{SessionKind, bearer_token};
use crate::domain::staff::StaffMember;
use crate::routes::client::client_ip;
use crate::routes::error::JsonError;
use crate::routes::page_error::PageError;
use crate::routes::paths;
use crate::services::accounts::{Accounts, SignInError};
use crate::storage::accounts::Account;

/// Where staff sign in.
pub const LOGIN_PATH: &str = paths::staff::LOGIN;
/// Where a role that needs a second factor enrols it.
pub const ENROL_PATH: &str = paths::staff::TOTP;
/// Where a password chosen by someone else is replaced.
pub const PASSWORD_PATH: &str = paths::staff::PASSWORD;

/// A member of staff on a staff page.
pub struct StaffPage {
    pub member: StaffMember,
    pub account: Account,
    /// The session's CSRF token: every form carries it, every POST is checked against it.
    pub csrf: String,
    pub token: String,
    pub ip: Option<IpAddr>,
    pub kind: SessionKind,
}

impl StaffPage {
    /// Refuses a form whose token is not this session's (constant time).
    pub fn check_csrf(&self, sent: &str) -> Result<(), PageError> {
        if bool::from(sent.trim().as_bytes().ct_eq(self.csrf.as_bytes())) {
            Ok(())
        } else {
            Err(PageError::forbidden("页面已过期，请刷新后再试。"))
        }
    }
}

/// What a staff page answers instead of running its handler.
#[derive(Debug)]
pub enum PageRefusal {
    /// Not signed in (or the session ended): to the sign-in page, then back, removing
    /// a dead session's cookie.
    SignIn {
        next: String,
        clear: Option<actix_web::cookie::Cookie<'static>>,
    },
    /// Somewhere this session must go first (enrolment, a new password).
    Elsewhere(&'static str),
    Unavailable,
    Internal(String),
}

impl std::fmt::Display for PageRefusal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            PageRefusal::SignIn { .. } => {
                f.write_str("not signed in; redirecting to the sign-in page")
            }
            PageRefusal::Elsewhere(to) => write!(f, "redirecting to {to}"),
            PageRefusal::Unavailable => {
                f.write_str("the session store or database does not answer")
            }
            PageRefusal::Internal(e) => write!(f, "staff session check failed: {e}"),
        }
    }
}

fn redirect(to: &str) -> actix_web::HttpResponseBuilder {
    let mut r = HttpResponse::Found();
    r.insert_header((LOCATION, to.to_owned()))
        .insert_header((CACHE_CONTROL, "no-store"))
        // A refused POST's body is left unread: say the connection ends, so that a
        // client does not send its next request down it.
        .force_close();
    r
}

impl ResponseError for PageRefusal {
    fn status_code(&self) -> StatusCode {
        match self {
            PageRefusal::SignIn { .. } | PageRefusal::Elsewhere(_) => StatusCode::FOUND,
            PageRefusal::Unavailable => StatusCode::SERVICE_UNAVAILABLE,
            PageRefusal::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    fn error_response(&self) -> HttpResponse {
        match self {
            PageRefusal::SignIn { next, clear } => {
                let to = paths::staff::login(next);
                let mut r = redirect(&to);
                if let Some(removal) = clear {
                    r.cookie(removal.clone());
                }
                r.finish()
            }
            PageRefusal::Elsewhere(to) => redirect(to).finish(),
            PageRefusal::Unavailable => {
                PageError::unavailable("登录服务暂时不可用，请稍后再试。").error_response()
            }
            PageRefusal::Internal(e) => {
                PageError::internal(anyhow::anyhow!(e.clone())).error_response()
            }
        }
    }
}

/// The page to come back to after signing in: a staff path, never another site.
pub fn safe_next(raw: &str) -> &str {
    let ok = raw.starts_with(paths::staff::HOME)
        && !raw.starts_with("//")
        && !raw.contains('\\')
        && raw.len() <= 512
        && !raw.chars().any(char::is_control)
        && !raw.starts_with(LOGIN_PATH);
    if ok { raw } else { paths::staff::HOME }
}

fn unavailable(e: &SignInError) -> PageRefusal {
    match e {
        SignInError::Store(_) | SignInError::Database(_) => PageRefusal::Unavailable,
        other => PageRefusal::Internal(other.to_string()),
    }
}

impl FromRequest for StaffPage {
    type Error = PageRefusal;
    type Future = Pin<Box<dyn Future<Output = Result<StaffPage, PageRefusal>>>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let accounts = req.app_data::<web::Data<Accounts>>().cloned();
        let here = req
            .uri()
            .path_and_query()
            .map_or(paths::staff::HOME, |p| p.as_str())
            .to_owned();
        let path = req.path().to_owned();
        let ip = client_ip(req);
        let token = accounts
            .as_ref()
            .and_then(|a| a.sessions.token_from_cookie(req));
        Box::pin(async move {
            let accounts = accounts
                .ok_or_else(|| PageRefusal::Internal("accounts are not registered".into()))?;
            let Some(token) = token else {
                return Err(PageRefusal::SignIn {
                    next: here,
                    clear: None,
                });
            };
            let Some((member, record, account)) = accounts
                .authenticate(&token)
                .await
                .map_err(|e| unavailable(&e))?
            else {
                return Err(PageRefusal::SignIn {
                    next: here,
                    clear: Some(accounts.sessions.removal()),
                });
            };
            let open_anyway = path == paths::staff::LOGOUT;
            match record.kind {
                SessionKind::Page => {}
                SessionKind::Enrol if path.starts_with(ENROL_PATH) || open_anyway => {}
                SessionKind::Enrol => return Err(PageRefusal::Elsewhere(ENROL_PATH)),
                // An API token in a cookie is not a page session.
                SessionKind::Api => {
                    return Err(PageRefusal::SignIn {
                        next: here,
                        clear: Some(accounts.sessions.removal()),
                    });
                }
            }
            if account.must_change_password
                && record.kind == SessionKind::Page
                && !path.starts_with(PASSWORD_PATH)
                && !open_anyway
            {
                return Err(PageRefusal::Elsewhere(PASSWORD_PATH));
            }
            Ok(StaffPage {
                member,
                account,
                csrf: record.csrf,
                kind: record.kind,
                token,
                ip,
            })
        })
    }
}

/// A member of staff calling the JSON API with `Authorization: Bearer <token>`.
#[derive(Clone)]
pub struct StaffApi {
    pub member: StaffMember,
    pub token: String,
    pub ip: Option<IpAddr>,
}

/// The API session check on its own, for the gate in front of every staff endpoint.
async fn authenticate_api(
    accounts: Option<web::Data<Accounts>>,
    token: Option<String>,
    ip: Option<IpAddr>,
) -> Result<StaffApi, JsonError> {
    let accounts = accounts
        .ok_or_else(|| JsonError::internal(anyhow::anyhow!("accounts are not registered")))?;
    let unauthorized = || {
        JsonError::Unauthorized(
            "a staff session is required: POST /api/staff/session, then Authorization: Bearer <token>".into(),
        )
    };
    let token = token.ok_or_else(unauthorized)?;
    let found = accounts.authenticate(&token).await.map_err(|e| match e {
        SignInError::Store(_) | SignInError::Database(_) => {
            JsonError::Unavailable("the session store does not answer".into())
        }
        other => JsonError::internal(anyhow::anyhow!(other.to_string())),
    })?;
    match found {
        Some((member, record, _)) if record.kind == SessionKind::Api => {
            Ok(StaffApi { member, token, ip })
        }
        _ => Err(unauthorized()),
    }
}

/// Middleware in front of every staff API endpoint: the session is checked before any
/// other extractor runs, so that without one the answer is always 401 (never a 400
/// about a body nobody may send).
pub async fn api_gate(
    req: actix_web::dev::ServiceRequest,
    next: actix_web::middleware::Next<impl actix_web::body::MessageBody + 'static>,
) -> Result<actix_web::dev::ServiceResponse<actix_web::body::BoxBody>, actix_web::Error> {
    use actix_web::HttpMessage;
    let staff = authenticate_api(
        req.app_data::<web::Data<Accounts>>().cloned(),
        bearer_token(req.request()),
        client_ip(req.request()),
    )
    .await;
    match staff {
        Ok(staff) => {
            req.extensions_mut().insert(staff);
            next.call(req).await.map(|r| r.map_into_boxed_body())
        }
        Err(e) => {
            let (req, _) = req.into_parts();
            Ok(actix_web::dev::ServiceResponse::new(
                req,
                e.error_response(),
            ))
        }
    }
}

impl FromRequest for StaffApi {
    type Error = JsonError;
    type Future = Pin<Box<dyn Future<Output = Result<StaffApi, JsonError>>>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        use actix_web::HttpMessage;
        // The gate already checked it.
        if let Some(staff) = req.extensions().get::<StaffApi>().cloned() {
            return Box::pin(async move { Ok(staff) });
        }
        let accounts = req.app_data::<web::Data<Accounts>>().cloned();
        let token = bearer_token(req);
        let ip = client_ip(req);
        Box::pin(authenticate_api(accounts, token, ip))
    }
}
