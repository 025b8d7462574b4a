//! Complaints as staff handle them: which complaints a member of staff may see and what
//! they may do to each (through the permission table), what they see of who complained
//! — every look at a complainant's identity is written to the audit log in the same
//! breath — and who on the staff side is told of an assignment or a hand-over.

use std::net::IpAddr;

use chrono::{DateTime, Utc};
use serde_json::json;
use sqlx::PgPool;

use super::complaints::ActError;
use crate::crypto::Vault;
use crate::domain::OpenId;
use crate::domain::china_time;
use crate::domain::complaint::{Action, Effect, TransitionError};
use crate::domain::staff::{IdentityView, Role, StaffAction, StaffMember, Target, Username};
use crate::services::audit::{self, Change, Subject};
use crate::services::identity;
use crate::storage::accounts::{self, Account};
use crate::storage::complaints::{ComplaintRow, Locked, StaffFilter};
use crate::storage::{self, PgTransaction};
use crate::wechat::api::template::Templates;

/// The permission a staff action needs; `None` for the complainant's own actions.
pub fn permission(action: &Action) -> Option<StaffAction> {
    Some(match action {
        Action::Accept => StaffAction::AcceptComplaint,
        Action::Reject { .. } => StaffAction::RejectComplaint,
        Action::Assign { .. } => StaffAction::AssignComplaint,
        Action::Extend { .. } => StaffAction::ExtendComplaint,
        Action::Conclude { .. } => StaffAction::ConcludeComplaint,
        Action::ReportResult { .. } => StaffAction::ReportResult,
        Action::Transfer { .. } => StaffAction::TransferComplaint,
        Action::Rate(_) | Action::RequestReview { .. } => return None,
    })
}

fn target(locked: &Locked) -> Target<'_> {
    Target {
        region: locked.village.region_code(),
        unit: locked.assigned_unit.as_deref(),
    }
}

fn row_target(row: &ComplaintRow) -> Target<'_> {
    Target {
        region: row.village_code.region_code(),
        unit: row.assigned_unit.as_deref(),
    }
}

/// A complaint the member may not read does not exist for them (404); one they may
/// read but not act on this way is refused (403).
pub fn check(member: &StaffMember, locked: &Locked, needed: StaffAction) -> Result<(), ActError> {
    if !member.may_on(StaffAction::ReadComplaint, target(locked)) {
        return Err(ActError::NotFound);
    }
    if !member.may_on(needed, target(locked)) {
        return Err(ActError::Forbidden);
    }
    Ok(())
}

/// What a staff action changes beside the state machine's own state.
#[derive(Debug, Clone, Default)]
pub struct StaffChange {
    /// The inspector now in charge, when it changes.
    pub owner: Option<i64>,
    /// Who takes charge in a hand-over.
    pub transfer_to: Option<Account>,
}

fn refused(why: &str) -> ActError {
    ActError::Refused(TransitionError::Invalid(why.to_owned()))
}

/// Checks that `member` may take `action` on the locked complaint, and what else it
/// changes: who is in charge, whether the unit exists and covers the village.
pub async fn check_staff_action(
    tx: &mut PgTransaction<'_>,
    member: &StaffMember,
    locked: &Locked,
    action: &Action,
) -> Result<StaffChange, ActError> {
    let needed = permission(action).ok_or(ActError::Forbidden)?;
    check(member, locked, needed)?;
    let mut change = StaffChange::default();
    match action {
        Action::Accept if locked.owner_account_id.is_none() => {
            change.owner = Some(member.account_id);
        }
        Action::Assign { unit, .. } => {
            let unit = accounts::find_unit(&mut **tx, unit.trim())
                .await?
                .ok_or_else(|| refused("没有这个单位，请先在账号管理中添加"))?;
            let covers = crate::domain::RegionCode::parse(&unit.region_code)
                .is_ok_and(|r| r.contains(locked.village.region_code()));
            if !covers {
                return Err(refused("这个单位不负责被投诉的村"));
            }
        }
        Action::Transfer { to } => {
            let name = Username::parse(to).map_err(|_| refused("没有这个工作人员"))?;
            let account = accounts::find_by_username(&mut **tx, &name)
                .await?
                .filter(|a| {
                    a.active
                        && a.role == Role::Inspector
                        && a.region.contains(locked.village.region_code())
                })
                .ok_or_else(|| refused("只能移交给负责这个村的纪检监察干部"))?;
            change.owner = Some(account.account_id);
            change.transfer_to = Some(account);
        }
        _ => {}
    }
    Ok(change)
}

/// The audit line of a staff action, in the action's transaction.
#[allow(clippy::too_many_arguments, reason = "each is a part of the one line")]
pub async fn record_action(
    tx: &mut PgTransaction<'_>,
    member: &StaffMember,
    ip: Option<IpAddr>,
    locked: &Locked,
    action: &Action,
    effect: &Effect,
    internal_note: &str,
    change: &StaffChange,
) -> Result<(), sqlx::Error> {
    let verb = format!("complaint.{}", action.name());
    audit::record(
        &mut **tx,
        audit::Actor::member(member, ip),
        &verb,
        Subject::new(
            "complaint",
            locked.tracking_number.as_str(),
            locked.village.as_str(),
        ),
        Change {
            before: Some(json!({
                "status": locked.state.status.as_str(),
                "unit": locked.assigned_unit,
                "owner_account_id": locked.owner_account_id,
            })),
            after: Some(json!({
                "status": effect.state.status.as_str(),
                "public_note": effect.summary,
                "internal_note": internal_note,
                "owner_account_id": change.owner.or(locked.owner_account_id),
            })),
            reason: None,
        },
    )
    .await?;
    Ok(())
}

/// Tells the staff side: a unit's handlers of an assignment to it, an inspector of a
/// complaint handed to them, the inspector in charge of a unit's result. Only accounts
/// that bound their WeChat are told; a kind without a template is skipped.
#[allow(
    clippy::too_many_arguments,
    reason = "the action and the service's parts"
)]
pub async fn notify_staff(
    tx: &mut PgTransaction<'_>,
    vault: &crate::crypto::Vault,
    templates: &Templates,
    member: &StaffMember,
    locked: &Locked,
    action: &Action,
    change: &StaffChange,
    now: DateTime<Utc>,
) -> Result<(), sqlx::Error> {
    let (status, to): (&str, Vec<OpenId>) = match action {
        Action::Assign { unit, .. } => (
            "新转办投诉",
            accounts::bound_openids_of_unit(&mut **tx, unit.trim()).await?,
        ),
        Action::Transfer { .. } => (
            "移交给您办理",
            change
                .transfer_to
                .iter()
                .filter_map(|a| a.wechat_openid.clone())
                .collect(),
        ),
        Action::ReportResult { .. } => {
            let owner = match locked.owner_account_id {
                Some(id) if id != member.account_id => accounts::find(&mut **tx, id).await?,
                _ => None,
            };
            (
                "承办单位已报送结果",
                owner.and_then(|a| a.wechat_openid).into_iter().collect(),
            )
        }
        _ => return Ok(()),
    };
    let time = china_time::local(now).format("%Y-%m-%d %H:%M").to_string();
    let values = [
        ("tracking_number", locked.tracking_number.as_str()),
        ("status", status),
        ("time", time.as_str()),
    ];
    let link = crate::routes::paths::staff::complaint(&locked.tracking_number);
    for openid in to {
        match templates.notification(STAFF_ASSIGNED, &openid, &values, Some(&link)) {
            Ok(n) => {
                storage::outbox::enqueue(tx, vault, &n).await?;
            }
            Err(e) => {
                tracing::debug!(error = %e, "no staff push: the staff_assigned template is not configured");
                break;
            }
        }
    }
    Ok(())
}

/// The notification kind of a push to staff about one complaint.
pub const STAFF_ASSIGNED: &str = "staff_assigned";
/// The notification kind of the daily reminder of deadlines.
pub const STAFF_DIGEST: &str = "staff_digest";

/// A complaint as a member of staff reads it, with what they may see of who filed it.
#[derive(Debug, Clone)]
pub struct StaffView {
    pub row: ComplaintRow,
    pub identity: Identity,
}

/// What a reader sees of the complainant.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Identity {
    Anonymous,
    /// A real-name complaint whose contact this reader may not see (a unit's handler).
    Hidden,
    Contact {
        name: Option<String>,
        phone: Option<String>,
    },
    /// The retention period ended and the identity was destroyed with its key.
    Shredded,
}

/// How a complaint is named: by id (the JSON API) or tracking number (the pages).
#[derive(Debug, Clone, Copy)]
pub enum ComplaintKey<'a> {
    Id(i64),
    Tracking(&'a str),
}

/// The complaint, when `member` may read it; otherwise it does not exist for them.
pub async fn visible(
    pool: &PgPool,
    member: &StaffMember,
    key: ComplaintKey<'_>,
) -> Result<ComplaintRow, ActError> {
    let found = match key {
        ComplaintKey::Id(id) => storage::complaints::find(pool, id).await?,
        ComplaintKey::Tracking(raw) => {
            let Ok(tracking) = crate::domain::complaint::TrackingNumber::parse(raw) else {
                return Err(ActError::NotFound);
            };
            storage::complaints::find_by_tracking_number(pool, &tracking).await?
        }
    };
    found
        .filter(|r| member.may_on(StaffAction::ReadComplaint, row_target(r)))
        .ok_or(ActError::NotFound)
}

/// The complaint for `member`, recording in the audit log each time a complainant's
/// contact is shown. `NotFound` when they may not read it.
pub async fn read(
    pool: &PgPool,
    vault: &Vault,
    member: &StaffMember,
    ip: Option<IpAddr>,
    key: ComplaintKey<'_>,
) -> Result<StaffView, ActError> {
    let row = visible(pool, member, key).await?;
    let identity = match member.identity_view(row.anonymous, row_target(&row)) {
        IdentityView::Contact if row.identity.shredded_at.is_some() => Identity::Shredded,
        IdentityView::Contact => {
            // Decrypted first (a ciphertext that does not open shows nothing and is no
            // view), recorded before anything is shown.
            let opened = identity::open(vault, &row.identity).map_err(sqlx::Error::from)?;
            audit::record(
                pool,
                audit::Actor::member(member, ip),
                "complaint.identity_viewed",
                Subject::new(
                    "complaint",
                    row.tracking_number.as_str(),
                    row.village_code.as_str(),
                ),
                Change::default(),
            )
            .await?;
            Identity::Contact {
                name: opened.name,
                phone: opened.phone,
            }
        }
        IdentityView::Hidden if row.anonymous => Identity::Anonymous,
        IdentityView::Hidden if row.identity.shredded_at.is_some() => Identity::Shredded,
        IdentityView::Hidden => Identity::Hidden,
    };
    Ok(StaffView { row, identity })
}

/// Shows an auditor who filed a complaint (the openid), for a stated reason; the
/// reveal and its reason are recorded before anything is shown.
pub async fn reveal(
    pool: &PgPool,
    vault: &Vault,
    member: &StaffMember,
    ip: Option<IpAddr>,
    key: ComplaintKey<'_>,
    reason: &str,
) -> Result<OpenId, ActError> {
    let row = visible(pool, member, key).await?;
    if !member.may_on(StaffAction::RevealAnonymous, row_target(&row)) {
        return Err(ActError::Forbidden);
    }
    let reason = reason.trim();
    if reason.chars().count() < 5 || reason.chars().count() > 500 {
        return Err(refused("请写明查看的理由（5到500字）"));
    }
    let opened = match identity::open(vault, &row.identity) {
        Ok(opened) => opened,
        Err(identity::IdentityError::Shredded(_)) => {
            return Err(refused("保存期限已满，投诉人身份已按规定销毁，无法查看"));
        }
        Err(e) => return Err(ActError::Database(e.into())),
    };
    audit::record(
        pool,
        audit::Actor::member(member, ip),
        "complaint.identity_revealed",
        Subject::new(
            "complaint",
            row.tracking_number.as_str(),
            row.village_code.as_str(),
        ),
        Change {
            reason: Some(reason),
            ..Change::default()
        },
    )
    .await?;
    Ok(opened.openid)
}

/// The filter that keeps a member of staff inside what they may list.
pub fn scoped(member: &StaffMember, mut filter: StaffFilter) -> Option<StaffFilter> {
    if !member.may(StaffAction::ListComplaints) {
        return None;
    }
    filter.scope = Some(member.region.to_string());
    if let Some(unit) = member.unit_scope(StaffAction::ListComplaints) {
        filter.assigned_unit = Some(unit.to_owned());
    }
    Some(filter)
}

/// The transitions the state machine allows from `status` that `member` may take.
pub fn allowed_now(member: &StaffMember, row: &ComplaintRow) -> Vec<StaffAction> {
    let candidates: [(Action, StaffAction); 7] = [
        (Action::Accept, StaffAction::AcceptComplaint),
        (
            Action::Reject {
                reason: String::new(),
            },
            StaffAction::RejectComplaint,
        ),
        (
            Action::Assign {
                unit: String::new(),
                note: String::new(),
            },
            StaffAction::AssignComplaint,
        ),
        (
            Action::Transfer { to: String::new() },
            StaffAction::TransferComplaint,
        ),
        (
            Action::Extend {
                days: 0,
                reason: String::new(),
            },
            StaffAction::ExtendComplaint,
        ),
        (
            Action::ReportResult {
                result: String::new(),
            },
            StaffAction::ReportResult,
        ),
        (
            Action::Conclude {
                reply: String::new(),
            },
            StaffAction::ConcludeComplaint,
        ),
    ];
    candidates
        .into_iter()
        .filter(|(action, _)| action.allowed_from().contains(&row.status))
        .filter(|(action, _)| {
            // Extending is once only.
            !(matches!(action, Action::Extend { .. }) && row.extended)
        })
        .filter(|(_, needed)| member.may_on(*needed, row_target(row)))
        .map(|(_, needed)| needed)
        .collect()
}
