//! `/staff/users` and `/staff/units`: an administrator's accounts and units, within
//! their region. Every change goes through `services::accounts`, which checks the
//! scope again, ends the sessions it must and writes the audit line.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use askama::Template;
use secrecy::SecretString;
use serde::Deserialize;
use sqlx::PgPool;

use super::{Choice, Errors, StaffLayout, region_name, render, see_other};
use crate::domain::RegionCode;
use crate::domain::staff::{Role, StaffAction, Target};
use crate::region_index::SearchIndex;
use crate::routes::page_error::PageError;
use crate::routes::pages::date;
use crate::routes::paths;
use crate::routes::staff::extract::StaffPage;
use crate::services::accounts::{AccountEdit, AccountForm, AccountUseError, Accounts};
use crate::services::audit::{self, Actor, Change, Subject};
use crate::storage::accounts::{self, Account};

pub struct UserLine {
    pub href: String,
    pub username: String,
    pub display_name: String,
    pub role: &'static str,
    pub region: String,
    pub unit: String,
    pub state: &'static str,
    pub totp: bool,
    pub wechat: bool,
}

pub struct UnitLine {
    pub name: String,
    pub region: String,
}

/// The account form, new or existing.
pub struct UserForm {
    pub action: String,
    pub title: &'static str,
    pub button: &'static str,
    pub new: bool,
    pub csrf: String,
    pub username: String,
    pub display_name: String,
    pub roles: Vec<Choice>,
    pub region: String,
    pub units: Vec<Choice>,
    pub active: bool,
    pub errors: Errors,
}

#[derive(Template)]
#[template(path = "staff/users.html")]
struct UsersPage {
    page: StaffLayout,
    scope: String,
    users: Vec<UserLine>,
    units: Vec<UnitLine>,
    form: UserForm,
}

#[derive(Template)]
#[template(path = "staff/user.html")]
struct UserPage {
    page: StaffLayout,
    username: String,
    created: String,
    locked: bool,
    form: UserForm,
    password_action: String,
    totp_action: String,
}

fn may_manage(page: &StaffPage) -> Result<(), PageError> {
    if page.member.may(StaffAction::ManageAccounts) {
        Ok(())
    } else {
        Err(PageError::forbidden("只有管理员可以管理账号。"))
    }
}

fn roles(selected: Option<Role>) -> Vec<Choice> {
    Role::ALL
        .iter()
        .map(|r| Choice::new(r.as_str(), r.label(), Some(*r) == selected))
        .collect()
}

async fn unit_choices(
    pool: &PgPool,
    within: &RegionCode,
    selected: Option<&str>,
) -> Result<Vec<Choice>, PageError> {
    Ok(accounts::units_within(pool, within)
        .await?
        .into_iter()
        .map(|u| {
            let chosen = Some(u.name.as_str()) == selected;
            Choice::new(u.name.clone(), u.name, chosen)
        })
        .collect())
}

/// The list, with the form for a new account (empty, or as typed with its errors).
async fn users_page(
    page: &StaffPage,
    pool: &PgPool,
    index: &SearchIndex,
    form: UserForm,
    status: StatusCode,
    notice: Option<String>,
) -> Result<HttpResponse, PageError> {
    let within = &page.member.region;
    let users = accounts::list_within(pool, within)
        .await?
        .into_iter()
        .map(|a| UserLine {
            href: paths::staff::user(a.account_id),
            username: a.username.to_string(),
            display_name: a.display_name.as_str().to_owned(),
            role: a.role.label(),
            region: region_name(index, &a.region),
            unit: a.unit.clone().unwrap_or_default(),
            state: if !a.active {
                "已停用"
            } else if a.locked_at(chrono::Utc::now()) {
                "已锁定"
            } else {
                "正常"
            },
            totp: a.totp_enabled,
            wechat: a.wechat_openid.is_some(),
        })
        .collect();
    let units = accounts::units_within(pool, within)
        .await?
        .into_iter()
        .map(|u| UnitLine {
            region: RegionCode::parse(&u.region_code)
                .map(|c| region_name(index, &c))
                .unwrap_or(u.region_code),
            name: u.name,
        })
        .collect();
    let view = UsersPage {
        page: StaffLayout::signed_in(page, index, "账号管理", paths::staff::USERS)
            .with_notice(notice),
        scope: region_name(index, within),
        users,
        units,
        form,
    };
    render(status, &view)
}

async fn new_form(page: &StaffPage, pool: &PgPool) -> Result<UserForm, PageError> {
    Ok(UserForm {
        action: paths::staff::USERS.into(),
        title: "新建账号",
        button: "新建",
        new: true,
        csrf: page.csrf.clone(),
        username: String::new(),
        display_name: String::new(),
        roles: roles(None),
        region: page.member.region.to_string(),
        units: unit_choices(pool, &page.member.region, None).await?,
        active: true,
        errors: Errors::default(),
    })
}

#[derive(Deserialize)]
pub struct Done {
    done: Option<String>,
}

pub async fn list(
    page: StaffPage,
    pool: web::Data<PgPool>,
    index: web::Data<SearchIndex>,
    query: web::Query<Done>,
) -> Result<HttpResponse, PageError> {
    may_manage(&page)?;
    let notice = match query.done.as_deref() {
        Some("created") => Some("账号已创建。".to_owned()),
        Some("unit") => Some("单位已添加。".to_owned()),
        _ => None,
    };
    let form = new_form(&page, &pool).await?;
    users_page(&page, &pool, &index, form, StatusCode::OK, notice).await
}

#[derive(Deserialize)]
pub struct UserFields {
    csrf: String,
    username: Option<String>,
    display_name: String,
    role: String,
    region: String,
    unit: Option<String>,
    password: Option<String>,
    active: Option<String>,
}

/// Puts a service refusal next to its field.
fn field_error(errors: &mut Errors, e: AccountUseError) -> Result<(), PageError> {
    use crate::domain::staff::AccountError;
    let field = match &e {
        AccountUseError::Field(AccountError::Username) | AccountUseError::Taken => "username",
        AccountUseError::Field(AccountError::DisplayName) => "display_name",
        AccountUseError::Weak(_) => "password",
        AccountUseError::UnknownUnit | AccountUseError::UnitRole => "unit",
        AccountUseError::UnknownRegion | AccountUseError::OutOfScope => "region",
        AccountUseError::Database(_) | AccountUseError::Internal(_) => {
            return Err(PageError::internal(anyhow::anyhow!(e.to_string())));
        }
        _ => "display_name",
    };
    errors.add(field, e.to_string());
    Ok(())
}

pub async fn create(
    page: StaffPage,
    pool: web::Data<PgPool>,
    index: web::Data<SearchIndex>,
    accounts_service: web::Data<Accounts>,
    form: web::Form<UserFields>,
) -> Result<HttpResponse, PageError> {
    may_manage(&page)?;
    page.check_csrf(&form.csrf)?;
    let f = form.into_inner();
    let mut shown = new_form(&page, &pool).await?;
    shown.username = f.username.clone().unwrap_or_default();
    shown.display_name = f.display_name.clone();
    shown.region = f.region.clone();
    let role = Role::parse(&f.role);
    shown.roles = roles(role);
    shown.units = unit_choices(&pool, &page.member.region, f.unit.as_deref()).await?;
    let region = RegionCode::parse(f.region.trim());
    match (role, region) {
        (Some(role), Ok(region)) => {
            let result = accounts_service
                .create(
                    Actor::member(&page.member, page.ip),
                    AccountForm {
                        username: f.username.unwrap_or_default(),
                        display_name: f.display_name,
                        role,
                        region,
                        unit: f.unit,
                        password: SecretString::from(f.password.unwrap_or_default()),
                        must_change_password: true,
                        sample: false,
                    },
                )
                .await;
            match result {
                Ok(_) => {
                    return Ok(see_other(&paths::staff::after(
                        paths::staff::USERS,
                        "created",
                    )));
                }
                Err(e) => field_error(&mut shown.errors, e)?,
            }
        }
        (None, _) => shown.errors.add("role", "请选择角色"),
        (_, Err(_)) => shown.errors.add("region", "地区代码有误"),
    }
    users_page(
        &page,
        &pool,
        &index,
        shown,
        StatusCode::UNPROCESSABLE_ENTITY,
        None,
    )
    .await
}

/// The account `id`, when it lies within the administrator's region.
async fn managed(page: &StaffPage, pool: &PgPool, id: i64) -> Result<Account, PageError> {
    accounts::find(pool, id)
        .await?
        .filter(|a| {
            let target = Target {
                region: &a.region,
                unit: None,
            };
            page.member.may_on(StaffAction::ManageAccounts, target)
        })
        .ok_or_else(|| PageError::not_found("没有这个账号。"))
}

async fn user_page(
    page: &StaffPage,
    pool: &PgPool,
    index: &SearchIndex,
    account: &Account,
    errors: Errors,
    status: StatusCode,
    notice: Option<String>,
) -> Result<HttpResponse, PageError> {
    let id = account.account_id;
    let form = UserForm {
        action: paths::staff::user(id),
        title: "修改账号",
        button: "保存",
        new: false,
        csrf: page.csrf.clone(),
        username: account.username.to_string(),
        display_name: account.display_name.as_str().to_owned(),
        roles: roles(Some(account.role)),
        region: account.region.to_string(),
        units: unit_choices(pool, &page.member.region, account.unit.as_deref()).await?,
        active: account.active,
        errors,
    };
    let view = UserPage {
        page: StaffLayout::signed_in(page, index, "账号", paths::staff::USERS).with_notice(notice),
        username: account.username.to_string(),
        created: date(account.created_at),
        locked: account.locked_at(chrono::Utc::now()),
        form,
        password_action: paths::staff::user_password(id),
        totp_action: paths::staff::user_totp(id),
    };
    render(status, &view)
}

pub async fn show(
    page: StaffPage,
    pool: web::Data<PgPool>,
    index: web::Data<SearchIndex>,
    path: web::Path<i64>,
    query: web::Query<Done>,
) -> Result<HttpResponse, PageError> {
    may_manage(&page)?;
    let account = managed(&page, &pool, path.into_inner()).await?;
    let notice = match query.done.as_deref() {
        Some("saved") => Some("已保存；这个账号已登录的会话已失效。".to_owned()),
        Some("password") => Some("密码已重设，对方下次登录时必须修改。".to_owned()),
        Some("totp") => Some("动态验证码已重置。".to_owned()),
        _ => None,
    };
    user_page(
        &page,
        &pool,
        &index,
        &account,
        Errors::default(),
        StatusCode::OK,
        notice,
    )
    .await
}

pub async fn update(
    page: StaffPage,
    pool: web::Data<PgPool>,
    index: web::Data<SearchIndex>,
    accounts_service: web::Data<Accounts>,
    path: web::Path<i64>,
    form: web::Form<UserFields>,
) -> Result<HttpResponse, PageError> {
    may_manage(&page)?;
    page.check_csrf(&form.csrf)?;
    let account = managed(&page, &pool, path.into_inner()).await?;
    let f = form.into_inner();
    let mut errors = Errors::default();
    match (Role::parse(&f.role), RegionCode::parse(f.region.trim())) {
        (Some(role), Ok(region)) => {
            let edit = AccountEdit {
                display_name: f.display_name,
                role,
                region,
                unit: f.unit,
                active: f.active.as_deref() == Some("true"),
            };
            match accounts_service
                .change(
                    Actor::member(&page.member, page.ip),
                    account.account_id,
                    &edit,
                )
                .await
            {
                Ok(()) => {
                    return Ok(see_other(&format!(
                        "/staff/users/{}?done=saved",
                        account.account_id
                    )));
                }
                Err(e) => field_error(&mut errors, e)?,
            }
        }
        (None, _) => errors.add("role", "请选择角色"),
        (_, Err(_)) => errors.add("region", "地区代码有误"),
    }
    user_page(
        &page,
        &pool,
        &index,
        &account,
        errors,
        StatusCode::UNPROCESSABLE_ENTITY,
        None,
    )
    .await
}

#[derive(Deserialize)]
pub struct PasswordFields {
    csrf: String,
    password: String,
}

pub async fn reset_password(
    page: StaffPage,
    pool: web::Data<PgPool>,
    index: web::Data<SearchIndex>,
    accounts_service: web::Data<Accounts>,
    path: web::Path<i64>,
    form: web::Form<PasswordFields>,
) -> Result<HttpResponse, PageError> {
    may_manage(&page)?;
    page.check_csrf(&form.csrf)?;
    let account = managed(&page, &pool, path.into_inner()).await?;
    let f = form.into_inner();
    match accounts_service
        .reset_password(
            Actor::member(&page.member, page.ip),
            account.account_id,
            &SecretString::from(f.password),
        )
        .await
    {
        Ok(()) => Ok(see_other(&format!(
            "/staff/users/{}?done=password",
            account.account_id
        ))),
        Err(e @ AccountUseError::Weak(_)) => {
            let mut errors = Errors::default();
            errors.add("new_password", e.to_string());
            user_page(
                &page,
                &pool,
                &index,
                &account,
                errors,
                StatusCode::UNPROCESSABLE_ENTITY,
                None,
            )
            .await
        }
        Err(e) => Err(PageError::internal(anyhow::anyhow!(e.to_string()))),
    }
}

#[derive(Deserialize)]
pub struct CsrfFields {
    csrf: String,
}

pub async fn reset_totp(
    page: StaffPage,
    pool: web::Data<PgPool>,
    accounts_service: web::Data<Accounts>,
    path: web::Path<i64>,
    form: web::Form<CsrfFields>,
) -> Result<HttpResponse, PageError> {
    may_manage(&page)?;
    page.check_csrf(&form.csrf)?;
    let account = managed(&page, &pool, path.into_inner()).await?;
    accounts_service
        .reset_totp(Actor::member(&page.member, page.ip), account.account_id)
        .await
        .map_err(|e| PageError::internal(anyhow::anyhow!(e.to_string())))?;
    Ok(see_other(&format!(
        "/staff/users/{}?done=totp",
        account.account_id
    )))
}

#[derive(Deserialize)]
pub struct UnitFields {
    csrf: String,
    name: String,
    region: String,
}

/// Adds a unit complaints can be assigned to, inside the administrator's region.
pub async fn add_unit(
    page: StaffPage,
    pool: web::Data<PgPool>,
    form: web::Form<UnitFields>,
) -> Result<HttpResponse, PageError> {
    may_manage(&page)?;
    page.check_csrf(&form.csrf)?;
    let name = form.name.trim();
    if name.is_empty() || name.chars().count() > 50 || name.chars().any(char::is_control) {
        return Err(PageError::bad_request("单位名称为1到50个字。"));
    }
    let region = RegionCode::parse(form.region.trim())
        .map_err(|_| PageError::bad_request("地区代码有误。"))?;
    let target = Target {
        region: &region,
        unit: None,
    };
    if !page.member.may_on(StaffAction::ManageAccounts, target) {
        return Err(PageError::forbidden("只能在本辖区内添加单位。"));
    }
    let mut tx = pool.begin().await?;
    if crate::storage::regions::find(&mut *tx, &region)
        .await?
        .is_none()
    {
        return Err(PageError::bad_request("没有这个地区代码。"));
    }
    accounts::insert_unit(&mut *tx, name, &region).await?;
    audit::record(
        &mut *tx,
        Actor::member(&page.member, page.ip),
        "unit.created",
        Subject::new("unit", name, region.as_str()),
        Change {
            after: Some(serde_json::json!({ "name": name, "region": region.as_str() })),
            ..Change::default()
        },
    )
    .await?;
    tx.commit().await?;
    Ok(see_other(&paths::staff::after(paths::staff::USERS, "unit")))
}
