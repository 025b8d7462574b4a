//! `POST /api/staff/session` (sign in: username, password and, where the account has
//! one, the TOTP code; answers a bearer token) and `DELETE /api/staff/session` (sign
//! out). The same rules as the sign-in page: lock-out, rate limit, audit lines.

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use chrono::Utc;
use secrecy::SecretString;
use serde::Deserialize;

use crate::auth::staff_session::SessionKind;
use crate::routes::client::client_ip;
use crate::routes::error::JsonError;
use crate::routes::staff::extract::StaffApi;
use crate::services::accounts::{Accounts, Credentials, SignInError};

pub fn configure(cfg: &mut web::ServiceConfig) {
    use crate::routes::paths::api::STAFF_SESSION;
    cfg.route(STAFF_SESSION, web::post().to(sign_in))
        .route(STAFF_SESSION, web::delete().to(sign_out));
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SignInJson {
    username: String,
    password: String,
    code: Option<String>,
}

/// A new API session.
#[derive(serde::Serialize, utoipa::ToSchema)]
pub struct SessionJson {
    token: String,
    token_type: &'static str,
    username: String,
    role: &'static str,
}

#[utoipa::path(post, path = "/api/staff/session", tag = "session", request_body = SignInJson,
    responses((status = 201, body = SessionJson), (status = 401, description = "wrong name, password or code"),
        (status = 403, description = "the role needs a second factor: enrol it on the pages first"),
        (status = 429, description = "locked out after failed attempts, or too many from this address")))]
pub async fn sign_in(
    req: HttpRequest,
    accounts: web::Data<Accounts>,
    body: web::Json<SignInJson>,
) -> Result<HttpResponse, JsonError> {
    let body = body.into_inner();
    let credentials = Credentials {
        username: body.username,
        password: SecretString::from(body.password),
        code: body.code,
    };
    match accounts
        .sign_in(&credentials, client_ip(&req), SessionKind::Api, Utc::now())
        .await
    {
        Ok(done) => Ok(HttpResponse::build(StatusCode::CREATED)
            .insert_header(("Cache-Control", "no-store"))
            .json(SessionJson {
                token: done.token,
                token_type: "Bearer",
                username: done.account.username.to_string(),
                role: done.account.role.as_str(),
            })),
        Err(e @ (SignInError::RateLimited | SignInError::Locked)) => {
            Err(JsonError::TooManyRequests(e.to_string()))
        }
        Err(e @ (SignInError::Store(_) | SignInError::Database(_) | SignInError::Internal(_))) => {
            tracing::warn!(error = ?e, "staff API sign-in could not be checked");
            Err(JsonError::Unavailable(e.to_string()))
        }
        Err(e @ SignInError::EnrolFirst) => Err(JsonError::Forbidden(e.to_string())),
        Err(e) => Err(JsonError::Unauthorized(e.to_string())),
    }
}

#[utoipa::path(delete, path = "/api/staff/session", tag = "session", security(("bearer" = [])),
    responses((status = 204), (status = 401)))]
pub async fn sign_out(
    staff: StaffApi,
    accounts: web::Data<Accounts>,
) -> Result<HttpResponse, JsonError> {
    accounts
        .sign_out(&staff.member, &staff.token, staff.ip)
        .await
        .map_err(|e| JsonError::Unavailable(e.to_string()))?;
    Ok(HttpResponse::NoContent().finish())
}
