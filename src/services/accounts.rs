//! Staff accounts as use cases: making one, signing in (password, lock-out, rate limit,
//! second factor), checking a session on every request, changing a password, enrolling
//! TOTP, binding WeChat, changing or disabling an account. Every step writes its audit
//! line; every change ends the sessions it must.

use std::net::IpAddr;
use std::time::Duration;

use chrono::{DateTime, Utc};
use secrecy::SecretString;
use serde_json::json;
use sha2::{Digest, Sha256};
use sqlx::PgPool;

use crate::auth::password::{self, WeakPassword};
use crate::auth::staff_session::{SessionKind, SessionRecord, StaffSessions};
use crate::auth::totp::{Sealer, TotpSecret};
use crate::domain::staff::{
    AccountError, DisplayName, Role, StaffAction, StaffMember, Target, Username,
};
use crate::domain::{OpenId, RegionCode};
use crate::kv::{Kv, KvError};
use crate::services::audit::{self, Actor, Change, Subject};
use crate::storage::accounts::{self, Account, AccountChange, NewAccount};

/// Failed sign-ins in a row that lock an account, and for how long.
pub const LOCK_AFTER: i32 = 5;
pub const LOCK_FOR: Duration = Duration::from_secs(15 * 60);
/// Failed sign-ins from one address within [`IP_WINDOW`] before it is turned away.
pub const IP_LIMIT: i64 = 30;
pub const IP_WINDOW: Duration = Duration::from_secs(15 * 60);
/// How long a WeChat binding link stays good.
pub const BIND_LINK_LIFETIME: Duration = Duration::from_secs(10 * 60);

/// What the sign-in form (or the API) sends.
#[derive(Debug)]
pub struct Credentials {
    pub username: String,
    pub password: SecretString,
    /// The TOTP code, when the account has a second factor.
    pub code: Option<String>,
}

/// Why a sign-in did not succeed. The messages are what staff read; a wrong name and a
/// wrong password read the same, so that the form does not tell which names exist.
#[derive(Debug, thiserror::Error)]
pub enum SignInError {
    #[error("用户名或密码错误")]
    Invalid,
    #[error("请填写动态验证码")]
    CodeRequired,
    #[error("动态验证码错误或已使用过，请等下一个验证码")]
    WrongCode,
    #[error("连续登录失败次数过多，账号已暂时锁定，请15分钟后再试或联系管理员")]
    Locked,
    #[error("这个账号已停用，请联系管理员")]
    Disabled,
    #[error("登录尝试过于频繁，请稍后再试")]
    RateLimited,
    #[error("接口登录需要先在网页上启用动态验证码")]
    EnrolFirst,
    #[error("登录服务暂时不可用，请稍后再试")]
    Store(#[from] KvError),
    #[error("登录服务暂时不可用，请稍后再试")]
    Database(#[from] sqlx::Error),
    #[error("登录服务暂时不可用，请稍后再试")]
    Internal(String),
}

/// A successful sign-in: the session's token and what it may do.
#[derive(Debug)]
pub struct SignedIn {
    pub token: String,
    pub record: SessionRecord,
    pub account: Account,
}

/// What the service needs to manage accounts; cheap to clone.
#[derive(Clone)]
pub struct Accounts {
    pub pool: PgPool,
    pub kv: Kv,
    pub sessions: StaffSessions,
    pub sealer: Sealer,
    /// In production: sample accounts (made by `demo-data`) neither sign in nor keep a
    /// session, whatever database they reached.
    pub refuse_samples: bool,
}

fn ip_key(ip: IpAddr) -> String {
    format!("staff:login:ip:{ip}")
}

fn lock_until(now: DateTime<Utc>) -> DateTime<Utc> {
    now + chrono::Duration::from_std(LOCK_FOR).unwrap_or(chrono::Duration::minutes(15))
}

/// Hashing takes tens of milliseconds of CPU: off the async threads.
async fn hash_password(password: &SecretString) -> Result<String, AccountUseError> {
    let password = password.clone();
    actix_web::rt::task::spawn_blocking(move || password::hash(&password))
        .await
        .map_err(|e| AccountUseError::Internal(e.to_string()))?
        .map_err(|e| AccountUseError::Internal(e.to_string()))
}

async fn verify_password(password: &SecretString, phc: Option<String>) -> bool {
    let password = password.clone();
    actix_web::rt::task::spawn_blocking(move || match phc {
        Some(phc) => password::verify(&password, &phc),
        None => {
            password::verify_nothing(&password);
            false
        }
    })
    .await
    .unwrap_or(false)
}

/// Why an account change was refused.
#[derive(Debug, thiserror::Error)]
pub enum AccountUseError {
    #[error("{0}")]
    Field(#[from] AccountError),
    #[error("{0}")]
    Weak(#[from] WeakPassword),
    #[error("原密码不正确")]
    WrongPassword,
    #[error("两次输入的新密码不一致")]
    Mismatch,
    #[error("用户名已被使用")]
    Taken,
    #[error("没有这个单位，请先添加单位")]
    UnknownUnit,
    #[error("承办人必须属于一个单位；其他角色不属于单位")]
    UnitRole,
    #[error("没有这个地区代码")]
    UnknownRegion,
    #[error("无权在这个地区管理账号")]
    OutOfScope,
    #[error("没有这个账号")]
    NotFound,
    #[error("验证码不正确，请核对手机上的动态验证码")]
    WrongCode,
    #[error("{0}")]
    Internal(String),
    #[error("数据库暂时不可用")]
    Database(#[from] sqlx::Error),
}

/// What an administrator changes of an account.
#[derive(Debug, Clone)]
pub struct AccountEdit {
    pub display_name: String,
    pub role: Role,
    pub region: RegionCode,
    pub unit: Option<String>,
    pub active: bool,
}

/// A new account as typed (by an administrator or on the command line).
#[derive(Debug)]
pub struct AccountForm {
    pub username: String,
    pub display_name: String,
    pub role: Role,
    pub region: RegionCode,
    pub unit: Option<String>,
    pub password: SecretString,
    /// Whether its owner must choose a password of their own at the first sign-in.
    pub must_change_password: bool,
    /// A sample account of `demo-data` (see [`Accounts::refuse_samples`]).
    pub sample: bool,
}

impl Accounts {
    /// Makes an account; `by` must be an administrator whose region holds the new
    /// account's, or the command line.
    pub async fn create(&self, by: Actor<'_>, form: AccountForm) -> Result<i64, AccountUseError> {
        let username = Username::parse(&form.username)?;
        let display_name = DisplayName::parse(&form.display_name)?;
        if let Some(admin) = by.member {
            let target = Target {
                region: &form.region,
                unit: None,
            };
            if !admin.may_on(StaffAction::ManageAccounts, target) {
                return Err(AccountUseError::OutOfScope);
            }
        }
        let unit = form
            .unit
            .as_deref()
            .map(str::trim)
            .filter(|u| !u.is_empty());
        if form.role.needs_unit() != unit.is_some() {
            return Err(AccountUseError::UnitRole);
        }
        password::check_strength(&form.password, &[username.as_str(), display_name.as_str()])?;
        let hash = hash_password(&form.password).await?;
        let mut tx = self.pool.begin().await?;
        if crate::storage::regions::find(&mut *tx, &form.region)
            .await?
            .is_none()
        {
            return Err(AccountUseError::UnknownRegion);
        }
        if let Some(unit) = unit
            && accounts::find_unit(&mut *tx, unit).await?.is_none()
        {
            return Err(AccountUseError::UnknownUnit);
        }
        let new = NewAccount {
            username: &username,
            display_name: &display_name,
            role: form.role,
            region: &form.region,
            unit,
            password_hash: &hash,
            must_change_password: form.must_change_password,
            is_sample: form.sample,
        };
        let id = match accounts::insert(&mut tx, &new).await {
            Ok(id) => id,
            Err(sqlx::Error::Database(e)) if e.is_unique_violation() => {
                return Err(AccountUseError::Taken);
            }
            Err(e) => return Err(e.into()),
        };
        audit::record(
            &mut *tx,
            by,
            "account.created",
            Subject::new("account", id, form.region.as_str()),
            Change {
                after: Some(json!({
                    "username": username.as_str(),
                    "display_name": display_name.as_str(),
                    "role": form.role.as_str(),
                    "region": form.region.as_str(),
                    "unit": unit,
                    "sample": form.sample,
                })),
                ..Change::default()
            },
        )
        .await?;
        tx.commit().await?;
        Ok(id)
    }

    /// Signs in with a username, a password and (where the account has one) a TOTP
    /// code, from `ip`; `kind` is a page or an API session.
    pub async fn sign_in(
        &self,
        credentials: &Credentials,
        ip: Option<IpAddr>,
        kind: SessionKind,
        now: DateTime<Utc>,
    ) -> Result<SignedIn, SignInError> {
        if let Some(ip) = ip {
            let key = ip_key(ip);
            if self
                .kv
                .get(&key)
                .await?
                .and_then(|n| n.parse::<i64>().ok())
                .is_some_and(|n| n >= IP_LIMIT)
            {
                self.failed(credentials, Some(ip), "login.rate_limited")
                    .await?;
                return Err(SignInError::RateLimited);
            }
        }
        let account = match Username::parse(&credentials.username) {
            Ok(name) => accounts::find_by_username(&self.pool, &name).await?,
            Err(_) => None,
        };
        let Some(account) = account else {
            verify_password(&credentials.password, None).await;
            self.count_ip_failure(ip).await?;
            self.failed(credentials, ip, "login.failed").await?;
            return Err(SignInError::Invalid);
        };
        let member = account.member();
        let actor = Actor::member(&member, ip);
        if account.locked_at(now) {
            self.record(actor, "login.locked_out", &account, None)
                .await?;
            return Err(SignInError::Locked);
        }
        if !verify_password(&credentials.password, Some(account.password_hash.clone())).await {
            self.fail_attempt(actor, &account, ip, now, "password")
                .await?;
            return Err(SignInError::Invalid);
        }
        if !account.active {
            self.record(actor, "login.disabled", &account, None).await?;
            return Err(SignInError::Disabled);
        }
        if account.is_sample && self.refuse_samples {
            self.record(actor, "login.sample_refused", &account, None)
                .await?;
            return Err(SignInError::Disabled);
        }
        let mut step = None;
        let mut kind = kind;
        if account.totp_enabled {
            let Some(code) = credentials.code.as_deref().filter(|c| !c.trim().is_empty()) else {
                return Err(SignInError::CodeRequired);
            };
            let secret = self.open_totp(&account)?;
            match secret.verify(code, unix(now), account.totp_last_step) {
                Some(s) => step = Some(s),
                None => {
                    self.fail_attempt(actor, &account, ip, now, "code").await?;
                    return Err(SignInError::WrongCode);
                }
            }
        } else if account.role.requires_second_factor() {
            if kind == SessionKind::Api {
                return Err(SignInError::EnrolFirst);
            }
            kind = SessionKind::Enrol;
        }
        accounts::record_success(&self.pool, account.account_id, step).await?;
        let (token, record) = self
            .sessions
            .create(account.account_id, account.session_epoch, kind)
            .await?;
        self.record(
            actor,
            "login.succeeded",
            &account,
            Some(json!({ "session": format!("{kind:?}").to_lowercase(), "second_factor": step.is_some() })),
        )
        .await?;
        Ok(SignedIn {
            token,
            record,
            account,
        })
    }

    fn open_totp(&self, account: &Account) -> Result<TotpSecret, SignInError> {
        let sealed = account.totp_secret.as_deref().unwrap_or_default();
        self.sealer
            .open(account.account_id, sealed)
            .map_err(|e| SignInError::Internal(e.to_string()))
    }

    async fn fail_attempt(
        &self,
        actor: Actor<'_>,
        account: &Account,
        ip: Option<IpAddr>,
        now: DateTime<Utc>,
        what: &str,
    ) -> Result<(), SignInError> {
        self.count_ip_failure(ip).await?;
        let failures =
            accounts::record_failure(&self.pool, account.account_id, LOCK_AFTER, lock_until(now))
                .await?;
        self.record(
            actor,
            "login.failed",
            account,
            Some(json!({ "wrong": what, "failures_in_a_row": failures })),
        )
        .await?;
        if failures == LOCK_AFTER {
            self.record(actor, "account.locked", account, None).await?;
        }
        Ok(())
    }

    async fn count_ip_failure(&self, ip: Option<IpAddr>) -> Result<(), KvError> {
        if let Some(ip) = ip {
            self.kv.increment(&ip_key(ip), IP_WINDOW).await?;
        }
        Ok(())
    }

    /// A refused attempt by nobody we know (an unknown name, a rate-limited address).
    async fn failed(
        &self,
        credentials: &Credentials,
        ip: Option<IpAddr>,
        action: &str,
    ) -> Result<(), sqlx::Error> {
        let typed: String = credentials.username.trim().chars().take(64).collect();
        let actor = Actor {
            member: None,
            name: Some(&typed),
            ip,
        };
        audit::record(
            &self.pool,
            actor,
            action,
            Subject::default(),
            Change::default(),
        )
        .await?;
        Ok(())
    }

    async fn record(
        &self,
        actor: Actor<'_>,
        action: &str,
        account: &Account,
        after: Option<serde_json::Value>,
    ) -> Result<(), sqlx::Error> {
        audit::record(
            &self.pool,
            actor,
            action,
            Subject::new("account", account.account_id, account.region.as_str()),
            Change {
                after,
                ..Change::default()
            },
        )
        .await?;
        Ok(())
    }

    /// The member a session token belongs to, checked against the account as it is
    /// now: a disabled account, a changed password or role ends the session at once.
    pub async fn authenticate(
        &self,
        token: &str,
    ) -> Result<Option<(StaffMember, SessionRecord, Account)>, SignInError> {
        let Some(record) = self.sessions.find(token).await? else {
            return Ok(None);
        };
        let account = accounts::find(&self.pool, record.account_id).await?;
        match account {
            Some(a)
                if a.active
                    && a.session_epoch == record.epoch
                    && !(a.is_sample && self.refuse_samples) =>
            {
                Ok(Some((a.member(), record, a)))
            }
            _ => {
                self.sessions.revoke(token).await?;
                Ok(None)
            }
        }
    }

    /// Ends the session of `token` (sign-out).
    pub async fn sign_out(
        &self,
        member: &StaffMember,
        token: &str,
        ip: Option<IpAddr>,
    ) -> Result<(), SignInError> {
        self.sessions.revoke(token).await?;
        audit::record(
            &self.pool,
            Actor::member(member, ip),
            "logout",
            Subject::new("account", member.account_id, member.region.as_str()),
            Change::default(),
        )
        .await?;
        Ok(())
    }

    /// Changes one's own password; every session of the account ends, and a new one is
    /// returned for the browser that made the change.
    pub async fn change_own_password(
        &self,
        member: &StaffMember,
        ip: Option<IpAddr>,
        current: &SecretString,
        new: &SecretString,
        repeated: &SecretString,
    ) -> Result<(String, SessionRecord), AccountUseError> {
        let account = accounts::find(&self.pool, member.account_id)
            .await?
            .ok_or(AccountUseError::NotFound)?;
        if !verify_password(current, Some(account.password_hash.clone())).await {
            return Err(AccountUseError::WrongPassword);
        }
        if secrecy::ExposeSecret::expose_secret(new)
            != secrecy::ExposeSecret::expose_secret(repeated)
        {
            return Err(AccountUseError::Mismatch);
        }
        password::check_strength(new, &[&member.username, &member.display_name])?;
        let hash = hash_password(new).await?;
        let mut tx = self.pool.begin().await?;
        let epoch = accounts::set_password(&mut tx, member.account_id, &hash, false).await?;
        audit::record(
            &mut *tx,
            Actor::member(member, ip),
            "account.password_changed",
            Subject::new("account", member.account_id, member.region.as_str()),
            Change::default(),
        )
        .await?;
        tx.commit().await?;
        self.sessions
            .create(member.account_id, epoch, SessionKind::Page)
            .await
            .map_err(|e| AccountUseError::Internal(e.to_string()))
    }

    /// Sets a password on someone's behalf (an administrator, or the command line): it
    /// must be changed at the next sign-in, and every session of the account ends.
    pub async fn reset_password(
        &self,
        by: Actor<'_>,
        account_id: i64,
        new: &SecretString,
    ) -> Result<(), AccountUseError> {
        let account = self.managed(by, account_id).await?;
        password::check_strength(
            new,
            &[account.username.as_str(), account.display_name.as_str()],
        )?;
        let hash = hash_password(new).await?;
        let mut tx = self.pool.begin().await?;
        // From the command line the operator chose it for their own account.
        let must_change = by.member.is_some();
        accounts::set_password(&mut tx, account_id, &hash, must_change).await?;
        audit::record(
            &mut *tx,
            by,
            "account.password_reset",
            Subject::new("account", account_id, account.region.as_str()),
            Change::default(),
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// The account `by` may manage.
    async fn managed(&self, by: Actor<'_>, account_id: i64) -> Result<Account, AccountUseError> {
        let account = accounts::find(&self.pool, account_id)
            .await?
            .ok_or(AccountUseError::NotFound)?;
        if let Some(admin) = by.member {
            let target = Target {
                region: &account.region,
                unit: None,
            };
            if !admin.may_on(StaffAction::ManageAccounts, target) {
                return Err(AccountUseError::NotFound);
            }
        }
        Ok(account)
    }

    /// Changes an account's name, role, region, unit or active flag; its sessions end.
    pub async fn change(
        &self,
        by: Actor<'_>,
        account_id: i64,
        edit: &AccountEdit,
    ) -> Result<(), AccountUseError> {
        let AccountEdit {
            display_name,
            role,
            region,
            unit,
            active,
        } = edit;
        let (role, active, region) = (*role, *active, region);
        let account = self.managed(by, account_id).await?;
        let display_name = DisplayName::parse(display_name)?;
        if let Some(admin) = by.member {
            let target = Target { region, unit: None };
            if !admin.may_on(StaffAction::ManageAccounts, target) {
                return Err(AccountUseError::OutOfScope);
            }
        }
        let unit = unit.as_deref().map(str::trim).filter(|u| !u.is_empty());
        if role.needs_unit() != unit.is_some() {
            return Err(AccountUseError::UnitRole);
        }
        let mut tx = self.pool.begin().await?;
        if let Some(unit) = unit
            && accounts::find_unit(&mut *tx, unit).await?.is_none()
        {
            return Err(AccountUseError::UnknownUnit);
        }
        if crate::storage::regions::find(&mut *tx, region)
            .await?
            .is_none()
        {
            return Err(AccountUseError::UnknownRegion);
        }
        accounts::update(
            &mut tx,
            account_id,
            &AccountChange {
                display_name: &display_name,
                role,
                region,
                unit,
                active,
            },
        )
        .await?;
        let action = match (account.active, active) {
            (true, false) => "account.disabled",
            (false, true) => "account.enabled",
            _ => "account.changed",
        };
        audit::record(
            &mut *tx,
            by,
            action,
            Subject::new("account", account_id, region.as_str()),
            Change {
                before: Some(json!({
                    "display_name": account.display_name.as_str(),
                    "role": account.role.as_str(),
                    "region": account.region.as_str(),
                    "unit": account.unit,
                    "active": account.active,
                })),
                after: Some(json!({
                    "display_name": display_name.as_str(),
                    "role": role.as_str(),
                    "region": region.as_str(),
                    "unit": unit,
                    "active": active,
                })),
                reason: None,
            },
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// Starts enrolling a second factor: a new secret, stored sealed but not yet in
    /// force, to show as a QR code.
    pub async fn start_totp(&self, member: &StaffMember) -> Result<TotpSecret, AccountUseError> {
        let secret = TotpSecret::generate();
        let sealed = self
            .sealer
            .seal(member.account_id, &secret)
            .map_err(|e| AccountUseError::Internal(e.to_string()))?;
        accounts::set_pending_totp(&self.pool, member.account_id, &sealed).await?;
        Ok(secret)
    }

    /// The secret being enrolled, to show its QR code again.
    pub async fn pending_totp(
        &self,
        member: &StaffMember,
    ) -> Result<Option<TotpSecret>, AccountUseError> {
        let account = accounts::find(&self.pool, member.account_id)
            .await?
            .ok_or(AccountUseError::NotFound)?;
        if account.totp_enabled {
            return Ok(None);
        }
        Ok(account
            .totp_secret
            .as_deref()
            .and_then(|s| self.sealer.open(member.account_id, s).ok()))
    }

    /// Puts the second factor in force once a code from it is shown; returns a page
    /// session to replace an enrolment-only one.
    pub async fn confirm_totp(
        &self,
        member: &StaffMember,
        ip: Option<IpAddr>,
        code: &str,
        now: DateTime<Utc>,
    ) -> Result<(String, SessionRecord), AccountUseError> {
        let account = accounts::find(&self.pool, member.account_id)
            .await?
            .ok_or(AccountUseError::NotFound)?;
        let secret = self
            .pending_totp(member)
            .await?
            .ok_or(AccountUseError::WrongCode)?;
        let step = secret
            .verify(code, unix(now), None)
            .ok_or(AccountUseError::WrongCode)?;
        accounts::enable_totp(&self.pool, member.account_id, step).await?;
        audit::record(
            &self.pool,
            Actor::member(member, ip),
            "account.totp_enabled",
            Subject::new("account", member.account_id, member.region.as_str()),
            Change::default(),
        )
        .await?;
        self.sessions
            .create(member.account_id, account.session_epoch, SessionKind::Page)
            .await
            .map_err(|e| AccountUseError::Internal(e.to_string()))
    }

    /// Forgets an account's second factor (a lost phone); every session ends.
    pub async fn reset_totp(&self, by: Actor<'_>, account_id: i64) -> Result<(), AccountUseError> {
        let account = self.managed(by, account_id).await?;
        accounts::reset_totp(&self.pool, account_id).await?;
        audit::record(
            &self.pool,
            by,
            "account.totp_reset",
            Subject::new("account", account_id, account.region.as_str()),
            Change::default(),
        )
        .await?;
        Ok(())
    }

    /// A one-time link (its token) to bind the member's WeChat.
    pub async fn bind_link(
        &self,
        member: &StaffMember,
        now: DateTime<Utc>,
    ) -> Result<String, AccountUseError> {
        let token = hex::encode(rand::random::<[u8; 24]>());
        let expires = now
            + chrono::Duration::from_std(BIND_LINK_LIFETIME)
                .unwrap_or(chrono::Duration::minutes(10));
        accounts::insert_bind_link(
            &self.pool,
            &Sha256::digest(token.as_bytes()),
            member.account_id,
            expires,
        )
        .await?;
        Ok(token)
    }

    /// Uses a binding link from inside WeChat: the follower `openid` becomes the
    /// account's. `None` when the link is unknown, used or expired.
    pub async fn bind_wechat(
        &self,
        token: &str,
        openid: &OpenId,
        ip: Option<IpAddr>,
        now: DateTime<Utc>,
    ) -> Result<Option<String>, AccountUseError> {
        let mut tx = self.pool.begin().await?;
        let Some(account_id) =
            accounts::use_bind_link(&mut tx, &Sha256::digest(token.as_bytes()), now).await?
        else {
            return Ok(None);
        };
        let account = accounts::lock(&mut tx, account_id)
            .await?
            .ok_or(AccountUseError::NotFound)?;
        match accounts::bind_openid(&mut tx, account_id, Some(openid)).await {
            Ok(()) => {}
            Err(sqlx::Error::Database(e)) if e.is_unique_violation() => {
                return Err(AccountUseError::Taken);
            }
            Err(e) => return Err(e.into()),
        }
        let member = account.member();
        audit::record(
            &mut *tx,
            Actor::member(&member, ip),
            "account.wechat_bound",
            Subject::new("account", account_id, account.region.as_str()),
            Change::default(),
        )
        .await?;
        tx.commit().await?;
        Ok(Some(account.display_name.as_str().to_owned()))
    }
}

fn unix(t: DateTime<Utc>) -> u64 {
    u64::try_from(t.timestamp()).unwrap_or(0)
}
