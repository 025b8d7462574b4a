//! `GET /oauth/callback`: where WeChat's OAuth2 page sends the browser back. Checks the
//! `state` against this browser's cookie, exchanges the code for the openid, sets the
//! session cookie and returns to the page that asked for it.

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, ResponseError, web};
use serde::Deserialize;

use crate::auth::follower::{Sessions, StateError};
use crate::kv::Kv;
use crate::wechat::api::WechatApi;
use crate::wechat::api::oauth::{self, OAuthError};

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route(super::paths::OAUTH_CALLBACK, web::get().to(callback));
}

#[derive(Deserialize)]
struct CallbackParams {
    code: Option<String>,
    state: Option<String>,
}

/// Why the browser could not be signed in; the text is shown to the follower.
#[derive(Debug, thiserror::Error)]
enum CallbackError {
    #[error("登录已失效，请回到公众号重新打开页面")]
    State(#[from] StateError),
    #[error("未获得微信授权，请回到公众号重新打开页面")]
    NoCode,
    #[error("这个登录链接已经用过，请回到公众号重新打开页面")]
    Used,
    #[error("微信登录暂时失败，请稍后再试")]
    Wechat(OAuthError),
}

impl From<OAuthError> for CallbackError {
    fn from(e: OAuthError) -> CallbackError {
        match e {
            OAuthError::Used => CallbackError::Used,
            other => CallbackError::Wechat(other),
        }
    }
}

impl ResponseError for CallbackError {
    fn status_code(&self) -> StatusCode {
        match self {
            CallbackError::State(_) | CallbackError::NoCode | CallbackError::Used => {
                StatusCode::BAD_REQUEST
            }
            CallbackError::Wechat(OAuthError::BadCode) => StatusCode::BAD_REQUEST,
            CallbackError::Wechat(_) => StatusCode::BAD_GATEWAY,
        }
    }

    fn error_response(&self) -> HttpResponse {
        match self {
            CallbackError::Wechat(e) => tracing::warn!(error = %e, "OAuth callback failed"),
            other => tracing::info!(reason = ?other, "OAuth callback refused"),
        }
        HttpResponse::build(self.status_code())
            .content_type("text/plain; charset=utf-8")
            .body(self.to_string())
    }
}

async fn callback(
    req: HttpRequest,
    params: web::Query<CallbackParams>,
    sessions: web::Data<Sessions>,
    api: web::Data<WechatApi>,
    kv: web::Data<Kv>,
) -> Result<HttpResponse, CallbackError> {
    let state = params.state.as_deref().unwrap_or_default();
    let return_to = sessions.check_state(&req, state)?;
    let code = params.code.as_deref().ok_or(CallbackError::NoCode)?;
    let openid = oauth::exchange_code(&api, &kv, code, state).await?;
    Ok(sessions.signed_in(&openid, &return_to))
}
