//! `/staff/account`: one's own account — the password, the second factor, and the
//! WeChat binding that lets staff receive pushes; `/staff/bind/{token}`, where that
//! binding is confirmed inside WeChat.

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;
use chrono::Utc;
use secrecy::SecretString;
use serde::Deserialize;

use super::{Errors, StaffLayout, qr_data_uri, region_name, render, see_other};
use crate::auth::follower::FollowerSession;
use crate::auth::staff_session::SessionKind;
use crate::configuration::Settings;
use crate::region_index::SearchIndex;
use crate::routes::client::client_ip;
use crate::routes::page_error::PageError;
use crate::routes::paths;
use crate::routes::staff::extract::StaffPage;
use crate::services::accounts::{AccountUseError, Accounts};

/// The issuer authenticator apps show beside the code.
const ISSUER: &str = "阳光村务";

pub struct BindLink {
    pub url: String,
    pub qr: String,
}

#[derive(Template)]
#[template(path = "staff/account.html")]
struct AccountPage {
    page: StaffLayout,
    csrf: String,
    username: String,
    display_name: String,
    role: &'static str,
    region: String,
    unit: Option<String>,
    totp_enabled: bool,
    wechat_bound: bool,
    must_change: bool,
    errors: Errors,
    bind_link: Option<BindLink>,
}

#[derive(Deserialize)]
pub struct Done {
    done: Option<String>,
}

fn account_page(
    page: &StaffPage,
    index: &SearchIndex,
    errors: Errors,
    bind_link: Option<BindLink>,
    notice: Option<String>,
) -> AccountPage {
    let a = &page.account;
    AccountPage {
        page: StaffLayout::signed_in(page, index, "我的账号", paths::staff::ACCOUNT)
            .with_notice(notice),
        csrf: page.csrf.clone(),
        username: a.username.to_string(),
        display_name: a.display_name.as_str().to_owned(),
        role: a.role.label(),
        region: region_name(index, &a.region),
        unit: a.unit.clone(),
        totp_enabled: a.totp_enabled,
        wechat_bound: a.wechat_openid.is_some(),
        must_change: a.must_change_password,
        errors,
        bind_link,
    }
}

pub async fn show(
    page: StaffPage,
    index: web::Data<SearchIndex>,
    query: web::Query<Done>,
) -> Result<HttpResponse, PageError> {
    let notice = match query.done.as_deref() {
        Some("password") => Some("密码已修改，其他设备上的登录已退出。".to_owned()),
        Some("totp") => Some("动态验证码已启用。".to_owned()),
        _ => None,
    };
    render(
        StatusCode::OK,
        &account_page(&page, &index, Errors::default(), None, notice),
    )
}

#[derive(Deserialize)]
pub struct PasswordForm {
    csrf: String,
    current: String,
    new: String,
    repeat: String,
}

pub async fn change_password(
    page: StaffPage,
    index: web::Data<SearchIndex>,
    accounts: web::Data<Accounts>,
    form: web::Form<PasswordForm>,
) -> Result<HttpResponse, PageError> {
    page.check_csrf(&form.csrf)?;
    let f = form.into_inner();
    let result = accounts
        .change_own_password(
            &page.member,
            page.ip,
            &SecretString::from(f.current),
            &SecretString::from(f.new),
            &SecretString::from(f.repeat),
        )
        .await;
    match result {
        Ok((token, _)) => {
            let mut response = see_other(&paths::staff::after(paths::staff::ACCOUNT, "password"));
            response
                .add_cookie(&accounts.sessions.cookie(&token))
                .map_err(|e| PageError::internal(anyhow::anyhow!("{e}")))?;
            Ok(response)
        }
        Err(e) => {
            let mut errors = Errors::default();
            match e {
                AccountUseError::WrongPassword => errors.add("current", e.to_string()),
                AccountUseError::Mismatch => errors.add("repeat", e.to_string()),
                AccountUseError::Weak(_) => errors.add("new", e.to_string()),
                AccountUseError::Database(e) => return Err(e.into()),
                other => return Err(PageError::internal(anyhow::anyhow!(other.to_string()))),
            }
            render(
                StatusCode::UNPROCESSABLE_ENTITY,
                &account_page(&page, &index, errors, None, None),
            )
        }
    }
}

#[derive(Template)]
#[template(path = "staff/totp.html")]
struct TotpPage {
    page: StaffLayout,
    csrf: String,
    required: bool,
    qr: String,
    secret: String,
    error: Option<String>,
}

async fn totp_page(
    page: &StaffPage,
    index: &SearchIndex,
    accounts: &Accounts,
    error: Option<String>,
) -> Result<HttpResponse, PageError> {
    let secret = match accounts
        .pending_totp(&page.member)
        .await
        .map_err(account_error)?
    {
        Some(secret) => secret,
        None => accounts
            .start_totp(&page.member)
            .await
            .map_err(account_error)?,
    };
    let url = secret.otpauth_url(ISSUER, page.member.username.as_str());
    let status = if error.is_some() {
        StatusCode::UNPROCESSABLE_ENTITY
    } else {
        StatusCode::OK
    };
    let view = TotpPage {
        page: StaffLayout::signed_in(page, index, "启用动态验证码", paths::staff::ACCOUNT),
        csrf: page.csrf.clone(),
        required: page.kind == SessionKind::Enrol,
        qr: qr_data_uri(&url),
        secret: secret.base32(),
        error,
    };
    render(status, &view)
}

fn account_error(e: AccountUseError) -> PageError {
    match e {
        AccountUseError::Database(e) => e.into(),
        other => PageError::internal(anyhow::anyhow!(other.to_string())),
    }
}

pub async fn totp(
    page: StaffPage,
    index: web::Data<SearchIndex>,
    accounts: web::Data<Accounts>,
) -> Result<HttpResponse, PageError> {
    if page.account.totp_enabled {
        return Ok(see_other(paths::staff::ACCOUNT));
    }
    totp_page(&page, &index, &accounts, None).await
}

#[derive(Deserialize)]
pub struct CodeForm {
    csrf: String,
    code: String,
}

pub async fn confirm_totp(
    page: StaffPage,
    index: web::Data<SearchIndex>,
    accounts: web::Data<Accounts>,
    form: web::Form<CodeForm>,
) -> Result<HttpResponse, PageError> {
    page.check_csrf(&form.csrf)?;
    match accounts
        .confirm_totp(&page.member, page.ip, &form.code, Utc::now())
        .await
    {
        Ok((token, _)) => {
            // The enrolment-only session is replaced by a full one.
            let _ = accounts.sessions.revoke(&page.token).await;
            let mut response = see_other(&paths::staff::after(paths::staff::ACCOUNT, "totp"));
            response
                .add_cookie(&accounts.sessions.cookie(&token))
                .map_err(|e| PageError::internal(anyhow::anyhow!("{e}")))?;
            Ok(response)
        }
        Err(AccountUseError::WrongCode) => {
            totp_page(
                &page,
                &index,
                &accounts,
                Some(AccountUseError::WrongCode.to_string()),
            )
            .await
        }
        Err(e) => Err(account_error(e)),
    }
}

#[derive(Deserialize)]
pub struct CsrfForm {
    csrf: String,
}

/// Makes a one-time binding link and shows it as a QR code to scan with WeChat.
pub async fn wechat_link(
    page: StaffPage,
    index: web::Data<SearchIndex>,
    accounts: web::Data<Accounts>,
    settings: web::Data<Settings>,
    form: web::Form<CsrfForm>,
) -> Result<HttpResponse, PageError> {
    page.check_csrf(&form.csrf)?;
    let token = accounts
        .bind_link(&page.member, Utc::now())
        .await
        .map_err(account_error)?;
    let url = format!("{}{}", settings.public_base(), paths::staff::bind(&token));
    let link = BindLink {
        qr: qr_data_uri(&url),
        url,
    };
    render(
        StatusCode::OK,
        &account_page(&page, &index, Errors::default(), Some(link), None),
    )
}

#[derive(Template)]
#[template(path = "staff/message.html")]
pub struct MessagePage {
    pub page: StaffLayout,
    pub heading: String,
    pub message: String,
    pub link: Option<MessageLink>,
}

pub struct MessageLink {
    pub href: String,
    pub label: String,
}

/// `GET /staff/bind/{token}`, opened inside WeChat: the follower signed in through
/// WeChat's OAuth becomes the account's WeChat.
pub async fn bind(
    req: HttpRequest,
    session: FollowerSession,
    accounts: web::Data<Accounts>,
    path: web::Path<String>,
) -> Result<HttpResponse, PageError> {
    let token = path.into_inner();
    let (status, heading, message) = match accounts
        .bind_wechat(&token, session.openid(), client_ip(&req), Utc::now())
        .await
    {
        Ok(Some(name)) => (
            StatusCode::OK,
            "绑定成功".to_owned(),
            format!("{name}，以后有投诉转办给您或即将超期时，会通过本公众号通知您。"),
        ),
        Ok(None) => (
            StatusCode::NOT_FOUND,
            "链接已失效".to_owned(),
            "这个绑定链接已经用过或已过期，请在工作台“我的账号”中重新生成。".to_owned(),
        ),
        Err(AccountUseError::Taken) => (
            StatusCode::CONFLICT,
            "无法绑定".to_owned(),
            "这个微信已经绑定了另一个工作人员账号。".to_owned(),
        ),
        Err(e) => return Err(account_error(e)),
    };
    let page = MessagePage {
        page: StaffLayout::anonymous(&heading),
        heading,
        message,
        link: None,
    };
    render(status, &page)
}
