//! `staff_accounts` and `units`: who may sign in, as what, where; the one-time links that
//! bind an account to its owner's WeChat.

use chrono::{DateTime, Utc};
use sqlx::PgPool;

use super::{PgTransaction, corrupt};
use crate::domain::staff::{DisplayName, Role, StaffMember, Username};
use crate::domain::{OpenId, RegionCode};

/// An account as stored.
#[derive(Debug, Clone)]
pub struct Account {
    pub account_id: i64,
    pub username: Username,
    pub display_name: DisplayName,
    pub role: Role,
    pub region: RegionCode,
    pub unit: Option<String>,
    pub active: bool,
    pub password_hash: String,
    pub must_change_password: bool,
    pub session_epoch: i32,
    pub failed_logins: i32,
    pub locked_until: Option<DateTime<Utc>>,
    pub totp_secret: Option<Vec<u8>>,
    pub totp_enabled: bool,
    pub totp_last_step: Option<i64>,
    pub wechat_openid: Option<OpenId>,
    pub created_at: DateTime<Utc>,
    /// Made by `sunvillage demo-data`: never signs in in production.
    pub is_sample: bool,
}

impl Account {
    /// The member of staff this account acts as.
    pub fn member(&self) -> StaffMember {
        StaffMember {
            account_id: self.account_id,
            username: self.username.to_string(),
            display_name: self.display_name.as_str().to_owned(),
            role: self.role,
            region: self.region.clone(),
            unit: self.unit.clone(),
        }
    }

    /// Whether the account is locked out at `now` after failed sign-ins.
    pub fn locked_at(&self, now: DateTime<Utc>) -> bool {
        self.locked_until.is_some_and(|until| until > now)
    }
}

struct Row {
    account_id: i64,
    username: String,
    display_name: String,
    role: String,
    region_code: String,
    unit: Option<String>,
    active: bool,
    password_hash: String,
    must_change_password: bool,
    session_epoch: i32,
    failed_logins: i32,
    locked_until: Option<DateTime<Utc>>,
    totp_secret: Option<Vec<u8>>,
    totp_enabled_at: Option<DateTime<Utc>>,
    totp_last_step: Option<i64>,
    wechat_openid: Option<String>,
    created_at: DateTime<Utc>,
    is_sample: bool,
}

impl TryFrom<Row> for Account {
    type Error = sqlx::Error;

    fn try_from(r: Row) -> Result<Account, sqlx::Error> {
        let what = |field: &str| format!("staff account {} {field}", r.account_id);
        Ok(Account {
            username: Username::parse(&r.username).map_err(|e| corrupt(&what("username"), e))?,
            display_name: DisplayName::parse(&r.display_name)
                .map_err(|e| corrupt(&what("display name"), e))?,
            role: Role::parse(&r.role).ok_or_else(|| corrupt(&what("role"), &r.role))?,
            region: RegionCode::parse(&r.region_code).map_err(|e| corrupt(&what("region"), e))?,
            wechat_openid: r
                .wechat_openid
                .as_deref()
                .map(OpenId::parse)
                .transpose()
                .map_err(|e| corrupt(&what("openid"), e))?,
            account_id: r.account_id,
            unit: r.unit,
            active: r.active,
            password_hash: r.password_hash,
            must_change_password: r.must_change_password,
            session_epoch: r.session_epoch,
            failed_logins: r.failed_logins,
            locked_until: r.locked_until,
            totp_secret: r.totp_secret,
            totp_enabled: r.totp_enabled_at.is_some(),
            totp_last_step: r.totp_last_step,
            created_at: r.created_at,
            is_sample: r.is_sample,
        })
    }
}

/// The columns of [`Row`], written once (sqlx's macros take literals, so a macro shares
/// the text and keeps it checked).
macro_rules! select_accounts {
    ($tail:literal $(, $arg:expr)* $(,)?) => {
        sqlx::query_as!(
            Row,
            r#"SELECT account_id, username, display_name, role, region_code, unit, active,
                      password_hash, must_change_password, session_epoch, failed_logins,
                      locked_until, totp_secret, totp_enabled_at, totp_last_step,
                      wechat_openid, created_at, is_sample
               FROM staff_accounts "# + $tail
            $(, $arg)*
        )
    };
}

/// What a new account is made of.
#[derive(Debug, Clone)]
pub struct NewAccount<'a> {
    pub username: &'a Username,
    pub display_name: &'a DisplayName,
    pub role: Role,
    pub region: &'a RegionCode,
    pub unit: Option<&'a str>,
    pub password_hash: &'a str,
    pub must_change_password: bool,
    pub is_sample: bool,
}

pub async fn insert(tx: &mut PgTransaction<'_>, new: &NewAccount<'_>) -> Result<i64, sqlx::Error> {
    sqlx::query_scalar!(
        "INSERT INTO staff_accounts (username, display_name, role, region_code, unit, password_hash, must_change_password, is_sample)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING account_id",
        new.username.as_str(),
        new.display_name.as_str(),
        new.role.as_str(),
        new.region.as_str(),
        new.unit,
        new.password_hash,
        new.must_change_password,
        new.is_sample,
    )
    .fetch_one(&mut **tx)
    .await
}

pub async fn find(
    executor: impl sqlx::PgExecutor<'_>,
    account_id: i64,
) -> Result<Option<Account>, sqlx::Error> {
    select_accounts!("WHERE account_id = $1", account_id)
        .fetch_optional(executor)
        .await?
        .map(Account::try_from)
        .transpose()
}

pub async fn find_by_username(
    executor: impl sqlx::PgExecutor<'_>,
    username: &Username,
) -> Result<Option<Account>, sqlx::Error> {
    select_accounts!("WHERE username = $1", username.as_str())
        .fetch_optional(executor)
        .await?
        .map(Account::try_from)
        .transpose()
}

/// The account locked for a change in `tx`.
pub async fn lock(
    tx: &mut PgTransaction<'_>,
    account_id: i64,
) -> Result<Option<Account>, sqlx::Error> {
    select_accounts!("WHERE account_id = $1 FOR UPDATE", account_id)
        .fetch_optional(&mut **tx)
        .await?
        .map(Account::try_from)
        .transpose()
}

/// Accounts whose region lies inside `within`, by username.
pub async fn list_within(pool: &PgPool, within: &RegionCode) -> Result<Vec<Account>, sqlx::Error> {
    let prefix = format!("{}%", within.as_str());
    select_accounts!("WHERE region_code LIKE $1 ORDER BY username", prefix)
        .fetch_all(pool)
        .await?
        .into_iter()
        .map(Account::try_from)
        .collect()
}

/// Active accounts of a unit, or of whoever is in charge, that bound their WeChat: who
/// is told about an assignment.
pub async fn bound_openids_of_unit(
    executor: impl sqlx::PgExecutor<'_>,
    unit: &str,
) -> Result<Vec<OpenId>, sqlx::Error> {
    let rows = sqlx::query_scalar!(
        r#"SELECT wechat_openid AS "openid!" FROM staff_accounts
           WHERE unit = $1 AND active AND wechat_openid IS NOT NULL ORDER BY account_id"#,
        unit
    )
    .fetch_all(executor)
    .await?;
    rows.iter()
        .map(|o| OpenId::parse(o).map_err(|e| corrupt("staff openid", e)))
        .collect()
}

/// Active inspectors and handlers who bound their WeChat: who gets the daily reminder.
pub async fn digest_recipients(pool: &PgPool) -> Result<Vec<Account>, sqlx::Error> {
    select_accounts!(
        "WHERE active AND wechat_openid IS NOT NULL AND role IN ('inspector', 'handler')
         ORDER BY account_id"
    )
    .fetch_all(pool)
    .await?
    .into_iter()
    .map(Account::try_from)
    .collect()
}

/// A failed sign-in: counts it, and locks the account until `lock_until` once `limit`
/// failures in a row are reached. Returns the count.
pub async fn record_failure(
    executor: impl sqlx::PgExecutor<'_>,
    account_id: i64,
    limit: i32,
    lock_until: DateTime<Utc>,
) -> Result<i32, sqlx::Error> {
    sqlx::query_scalar!(
        "UPDATE staff_accounts
         SET failed_logins = failed_logins + 1,
             locked_until = CASE WHEN failed_logins + 1 >= $2 THEN $3 ELSE locked_until END
         WHERE account_id = $1 RETURNING failed_logins",
        account_id,
        limit,
        lock_until,
    )
    .fetch_one(executor)
    .await
}

/// A successful sign-in clears the failures (and the code's step, when one was used).
pub async fn record_success(
    executor: impl sqlx::PgExecutor<'_>,
    account_id: i64,
    totp_step: Option<i64>,
) -> Result<(), sqlx::Error> {
    sqlx::query!(
        "UPDATE staff_accounts
         SET failed_logins = 0, locked_until = NULL,
             totp_last_step = COALESCE($2, totp_last_step)
         WHERE account_id = $1",
        account_id,
        totp_step,
    )
    .execute(executor)
    .await?;
    Ok(())
}

/// A new password; every session of the account ends (the epoch moves on).
pub async fn set_password(
    tx: &mut PgTransaction<'_>,
    account_id: i64,
    password_hash: &str,
    must_change: bool,
) -> Result<i32, sqlx::Error> {
    sqlx::query_scalar!(
        "UPDATE staff_accounts
         SET password_hash = $2, must_change_password = $3, password_changed_at = now(),
             session_epoch = session_epoch + 1, failed_logins = 0, locked_until = NULL
         WHERE account_id = $1 RETURNING session_epoch",
        account_id,
        password_hash,
        must_change,
    )
    .fetch_one(&mut **tx)
    .await
}

/// What an administrator may change of an account.
#[derive(Debug, Clone)]
pub struct AccountChange<'a> {
    pub display_name: &'a DisplayName,
    pub role: Role,
    pub region: &'a RegionCode,
    pub unit: Option<&'a str>,
    pub active: bool,
}

/// Applies `change`; every session ends, so the new role or scope (or the disabling)
/// holds from the next request on.
pub async fn update(
    tx: &mut PgTransaction<'_>,
    account_id: i64,
    change: &AccountChange<'_>,
) -> Result<(), sqlx::Error> {
    sqlx::query!(
        "UPDATE staff_accounts
         SET display_name = $2, role = $3, region_code = $4, unit = $5, active = $6,
             session_epoch = session_epoch + 1
         WHERE account_id = $1",
        account_id,
        change.display_name.as_str(),
        change.role.as_str(),
        change.region.as_str(),
        change.unit,
        change.active,
    )
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// Stores a sealed TOTP secret, not yet enabled (enrolment in progress).
pub async fn set_pending_totp(
    executor: impl sqlx::PgExecutor<'_>,
    account_id: i64,
    sealed: &[u8],
) -> Result<(), sqlx::Error> {
    sqlx::query!(
        "UPDATE staff_accounts SET totp_secret = $2, totp_enabled_at = NULL, totp_last_step = NULL
         WHERE account_id = $1",
        account_id,
        sealed,
    )
    .execute(executor)
    .await?;
    Ok(())
}

/// Enables the stored TOTP secret, with the step of the code that proved it.
pub async fn enable_totp(
    executor: impl sqlx::PgExecutor<'_>,
    account_id: i64,
    step: i64,
) -> Result<(), sqlx::Error> {
    sqlx::query!(
        "UPDATE staff_accounts SET totp_enabled_at = now(), totp_last_step = $2
         WHERE account_id = $1 AND totp_secret IS NOT NULL",
        account_id,
        step,
    )
    .execute(executor)
    .await?;
    Ok(())
}

/// Forgets the second factor (the owner lost the phone); it is enrolled again at the
/// next sign-in where the role requires one. Every session ends.
pub async fn reset_totp(
    executor: impl sqlx::PgExecutor<'_>,
    account_id: i64,
) -> Result<(), sqlx::Error> {
    sqlx::query!(
        "UPDATE staff_accounts
         SET totp_secret = NULL, totp_enabled_at = NULL, totp_last_step = NULL,
             session_epoch = session_epoch + 1
         WHERE account_id = $1",
        account_id,
    )
    .execute(executor)
    .await?;
    Ok(())
}

pub async fn bind_openid(
    tx: &mut PgTransaction<'_>,
    account_id: i64,
    openid: Option<&OpenId>,
) -> Result<(), sqlx::Error> {
    sqlx::query!(
        "UPDATE staff_accounts SET wechat_openid = $2 WHERE account_id = $1",
        account_id,
        openid.map(OpenId::as_str),
    )
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// A one-time link to bind the account's WeChat, by the SHA-256 of its token.
pub async fn insert_bind_link(
    executor: impl sqlx::PgExecutor<'_>,
    token_sha256: &[u8],
    account_id: i64,
    expires_at: DateTime<Utc>,
) -> Result<(), sqlx::Error> {
    sqlx::query!(
        "INSERT INTO staff_bind_links (token_sha256, account_id, expires_at) VALUES ($1, $2, $3)",
        token_sha256,
        account_id,
        expires_at,
    )
    .execute(executor)
    .await?;
    Ok(())
}

/// Uses a binding link: the account it binds, when it is unused and not expired.
pub async fn use_bind_link(
    tx: &mut PgTransaction<'_>,
    token_sha256: &[u8],
    now: DateTime<Utc>,
) -> Result<Option<i64>, sqlx::Error> {
    sqlx::query_scalar!(
        "UPDATE staff_bind_links SET used_at = $2
         WHERE token_sha256 = $1 AND used_at IS NULL AND expires_at > $2
         RETURNING account_id",
        token_sha256,
        now,
    )
    .fetch_optional(&mut **tx)
    .await
}

/// A unit complaints can be assigned to.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct UnitRow {
    pub name: String,
    pub region_code: String,
}

pub async fn units_within(pool: &PgPool, within: &RegionCode) -> Result<Vec<UnitRow>, sqlx::Error> {
    let prefix = format!("{}%", within.as_str());
    sqlx::query_as!(
        UnitRow,
        "SELECT name, region_code FROM units WHERE region_code LIKE $1 ORDER BY region_code, name",
        prefix
    )
    .fetch_all(pool)
    .await
}

pub async fn find_unit(
    executor: impl sqlx::PgExecutor<'_>,
    name: &str,
) -> Result<Option<UnitRow>, sqlx::Error> {
    sqlx::query_as!(
        UnitRow,
        "SELECT name, region_code FROM units WHERE name = $1",
        name
    )
    .fetch_optional(executor)
    .await
}

pub async fn insert_unit(
    executor: impl sqlx::PgExecutor<'_>,
    name: &str,
    region: &RegionCode,
) -> Result<(), sqlx::Error> {
    sqlx::query!(
        "INSERT INTO units (name, region_code) VALUES ($1, $2) ON CONFLICT (name) DO NOTHING",
        name,
        region.as_str(),
    )
    .execute(executor)
    .await?;
    Ok(())
}
