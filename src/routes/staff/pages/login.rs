//! `GET|POST /staff/login` and `POST /staff/logout`. The sign-in form is protected
//! against login CSRF (another site signing a browser in as someone else) by a random
//! token in a `SameSite=Strict` cookie that the form must repeat.

use actix_web::cookie::{Cookie, SameSite};
use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;
use chrono::Utc;
use secrecy::SecretString;
use serde::Deserialize;
use subtle::ConstantTimeEq;

use super::{StaffLayout, render, see_other};
use crate::auth::staff_session::SessionKind;
use crate::routes::client::client_ip;
use crate::routes::page_error::PageError;
use crate::routes::paths;
use crate::routes::staff::extract::{ENROL_PATH, LOGIN_PATH, PASSWORD_PATH, StaffPage, safe_next};
use crate::services::accounts::{Accounts, Credentials, SignInError};

const LOGIN_COOKIE: &str = "sv_staff_login";

#[derive(Template)]
#[template(path = "staff/login.html")]
struct LoginPage {
    page: StaffLayout,
    login_csrf: String,
    next: String,
    username: String,
    code_required: bool,
}

#[derive(Deserialize)]
pub struct LoginQuery {
    next: Option<String>,
}

#[derive(Deserialize)]
pub struct LoginForm {
    login_csrf: String,
    next: Option<String>,
    username: String,
    password: String,
    code: Option<String>,
}

/// The form, with a fresh login token in its cookie.
fn form(
    status: StatusCode,
    secure: bool,
    next: &str,
    username: &str,
    banner: Option<String>,
    code_required: bool,
) -> Result<HttpResponse, PageError> {
    let token = hex::encode(rand::random::<[u8; 16]>());
    let page = LoginPage {
        page: StaffLayout::anonymous("登录").with_banner(banner),
        login_csrf: token.clone(),
        next: safe_next(next).to_owned(),
        username: username.to_owned(),
        code_required,
    };
    let mut response = render(status, &page)?;
    let cookie = Cookie::build(LOGIN_COOKIE, token)
        .path(LOGIN_PATH)
        .http_only(true)
        .secure(secure)
        .same_site(SameSite::Strict)
        .max_age(actix_web::cookie::time::Duration::minutes(30))
        .finish();
    response
        .add_cookie(&cookie)
        .map_err(|e| PageError::internal(anyhow::anyhow!("{e}")))?;
    Ok(response)
}

pub async fn show(
    req: HttpRequest,
    accounts: web::Data<Accounts>,
    query: web::Query<LoginQuery>,
) -> Result<HttpResponse, PageError> {
    let next = query.next.as_deref().unwrap_or(paths::staff::HOME);
    // Already signed in: on to where the browser was going.
    if let Some(token) = accounts.sessions.token_from_cookie(&req)
        && let Ok(Some(_)) = accounts.authenticate(&token).await
    {
        return Ok(see_other(safe_next(next)));
    }
    form(
        StatusCode::OK,
        accounts.sessions.is_secure(),
        next,
        "",
        None,
        false,
    )
}

pub async fn submit(
    req: HttpRequest,
    accounts: web::Data<Accounts>,
    form_data: web::Form<LoginForm>,
) -> Result<HttpResponse, PageError> {
    let f = form_data.into_inner();
    let next = f.next.clone().unwrap_or_default();
    let secure = accounts.sessions.is_secure();
    let expected = req.cookie(LOGIN_COOKIE).map(|c| c.value().to_owned());
    let token_ok = expected.as_deref().is_some_and(|e| {
        !e.is_empty() && bool::from(e.as_bytes().ct_eq(f.login_csrf.trim().as_bytes()))
    });
    if !token_ok {
        let banner = Some("登录页面已过期，请重新输入。".to_owned());
        return form(
            StatusCode::FORBIDDEN,
            secure,
            &next,
            &f.username,
            banner,
            false,
        );
    }
    let credentials = Credentials {
        username: f.username.clone(),
        password: SecretString::from(f.password),
        code: f.code,
    };
    match accounts
        .sign_in(&credentials, client_ip(&req), SessionKind::Page, Utc::now())
        .await
    {
        Ok(done) => {
            let to = match done.record.kind {
                SessionKind::Enrol => ENROL_PATH,
                _ if done.account.must_change_password => PASSWORD_PATH,
                _ => safe_next(&next),
            };
            let mut response = see_other(to);
            response
                .add_cookie(&accounts.sessions.cookie(&done.token))
                .map_err(|e| PageError::internal(anyhow::anyhow!("{e}")))?;
            Ok(response)
        }
        Err(SignInError::CodeRequired) => form(
            StatusCode::UNAUTHORIZED,
            secure,
            &next,
            &f.username,
            Some(SignInError::CodeRequired.to_string()),
            true,
        ),
        Err(e @ (SignInError::Store(_) | SignInError::Database(_) | SignInError::Internal(_))) => {
            tracing::warn!(error = ?e, "staff sign-in could not be checked");
            form(
                StatusCode::SERVICE_UNAVAILABLE,
                secure,
                &next,
                &f.username,
                Some(e.to_string()),
                false,
            )
        }
        Err(e) => {
            let status = match e {
                SignInError::RateLimited | SignInError::Locked => StatusCode::TOO_MANY_REQUESTS,
                _ => StatusCode::UNAUTHORIZED,
            };
            let code = matches!(e, SignInError::WrongCode);
            form(
                status,
                secure,
                &next,
                &f.username,
                Some(e.to_string()),
                code,
            )
        }
    }
}

#[derive(Deserialize)]
pub struct CsrfForm {
    csrf: String,
}

pub async fn logout(
    page: StaffPage,
    accounts: web::Data<Accounts>,
    form_data: web::Form<CsrfForm>,
) -> Result<HttpResponse, PageError> {
    page.check_csrf(&form_data.csrf)?;
    accounts
        .sign_out(&page.member, &page.token, page.ip)
        .await
        .map_err(|e| PageError::unavailable(e.to_string()))?;
    let mut response = see_other(LOGIN_PATH);
    response
        .add_cookie(&accounts.sessions.removal())
        .map_err(|e| PageError::internal(anyhow::anyhow!("{e}")))?;
    Ok(response)
}

/// `GET /staff`: where each role starts.
pub async fn home(page: StaffPage) -> HttpResponse {
    use crate::domain::staff::StaffAction;
    let to = if page.member.may(StaffAction::ListComplaints) {
        paths::staff::COMPLAINTS
    } else if page.member.may(StaffAction::ManageAccounts) {
        paths::staff::USERS
    } else {
        paths::staff::ACCOUNT
    };
    see_other(to)
}
