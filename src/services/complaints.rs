//! Changing complaints: every change, its timeline line and (where the complainant
//! should know) its notification are written in one transaction, so an acknowledged
//! complaint or step is never half-stored.

use std::net::IpAddr;

use chrono::{DateTime, Utc};
use sqlx::PgPool;
use uuid::Uuid;

use crate::crypto::Vault;
use crate::domain::complaint::{
    self, Action, Actor, ComplaintState, Effect, Event, NewComplaint, TrackingNumber,
    TransitionError,
};
use crate::domain::notification::NotificationError;
use crate::domain::staff::{StaffAction, StaffMember};
use crate::domain::{OpenId, china_time};
use crate::routes::paths;
use crate::services::{audit, handling, identity, transparency};
use crate::storage::{self, PgTransaction, complaints::NewEvent};
use crate::wechat::api::template::Templates;

/// Queues the push for `event` in the caller's transaction, so it is sent if and only if
/// the change commits. A kind without a configured template is skipped with a warning
/// (a development setup has none; production start-up refuses to run without them).
async fn notify(
    tx: &mut PgTransaction<'_>,
    vault: &Vault,
    templates: &Templates,
    event: Event,
    openid: &OpenId,
    tracking_number: &TrackingNumber,
    at: DateTime<Utc>,
) -> Result<(), sqlx::Error> {
    if !event.notifies_complainant() {
        return Ok(());
    }
    let time = china_time::local(at).format("%Y-%m-%d %H:%M").to_string();
    let values = [
        ("tracking_number", tracking_number.as_str()),
        ("status", event.label()),
        ("time", time.as_str()),
    ];
    let link = paths::complaint(tracking_number);
    match templates.notification(event.as_str(), openid, &values, Some(&link)) {
        Ok(n) => {
            storage::outbox::enqueue(tx, vault, &n).await?;
        }
        Err(NotificationError::UnknownKind(kind)) => {
            tracing::warn!(notification.kind = %kind, "no template configured: the complainant is not notified");
        }
        Err(e) => {
            // A misconfigured template must not cost a complaint: the change is kept and
            // the failure is logged for the operator.
            tracing::error!(error = %e, notification.kind = event.as_str(), "cannot build the notification");
        }
    }
    Ok(())
}

/// At most this many complaints per follower per day (Asia/Shanghai).
pub const DAILY_LIMIT: i64 = 5;

/// A stored complaint, as the confirmation page shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Submitted {
    pub complaint_id: i64,
    pub tracking_number: TrackingNumber,
    /// The same form was submitted before (a double tap): nothing new was stored.
    pub repeated: bool,
}

#[derive(Debug, thiserror::Error)]
pub enum SubmitError {
    #[error("the daily limit of {DAILY_LIMIT} complaints is reached")]
    DailyLimit,
    #[error("no village has code {0}")]
    UnknownVillage(String),
    /// The disclosure asked about is not a published one of the complaint's village
    /// (or has no such version).
    #[error("disclosure {0} is not a published disclosure of the village")]
    UnknownDisclosure(String),
    #[error("database: {0}")]
    Database(#[from] sqlx::Error),
}

/// The complaint already stored from this form, if any (a second tap).
pub async fn already_submitted(
    pool: &PgPool,
    vault: &Vault,
    openid: &OpenId,
    form_key: Uuid,
) -> Result<Option<Submitted>, sqlx::Error> {
    let found = storage::complaints::find_by_idempotency_key(pool, vault, openid, form_key).await?;
    Ok(found.map(Submitted::repeat))
}

impl Submitted {
    fn repeat(filed: storage::complaints::Filed) -> Submitted {
        Submitted {
            complaint_id: filed.complaint_id,
            tracking_number: filed.tracking_number,
            repeated: true,
        }
    }
}

/// Whether `openid` may still file a complaint today: the form asks before it reads a
/// byte of the photos, so that a follower past the limit uploads nothing.
pub async fn within_daily_limit(
    pool: &PgPool,
    vault: &Vault,
    openid: &OpenId,
    now: DateTime<Utc>,
) -> Result<bool, sqlx::Error> {
    let since = china_time::start_of_day(now);
    let filed = storage::complaints::count_filed_since(pool, vault, openid, since).await?;
    Ok(filed < DAILY_LIMIT)
}

/// Stores a complaint and its "received" notification, once per form key. Postgres
/// alone decides: the follower's submissions are serialised in the transaction, so a
/// double tap stores once and uses no quota, and an outage of Redis costs nothing.
#[allow(
    clippy::too_many_arguments,
    reason = "the request and the service's parts"
)]
pub async fn submit(
    pool: &PgPool,
    vault: &Vault,
    templates: &Templates,
    tracking_prefix: &str,
    openid: &OpenId,
    form_key: Uuid,
    new: &NewComplaint,
    now: DateTime<Utc>,
) -> Result<Submitted, SubmitError> {
    let mut tx = pool.begin().await?;
    storage::complaints::lock_follower(&mut tx, openid).await?;
    // A repeat of an already stored form returns the first result and uses no quota.
    if let Some(filed) =
        storage::complaints::find_by_idempotency_key(&mut *tx, vault, openid, form_key).await?
    {
        return Ok(Submitted::repeat(filed));
    }
    let village = new.village.region_code();
    if storage::regions::find(&mut *tx, village).await?.is_none() {
        return Err(SubmitError::UnknownVillage(village.to_string()));
    }
    if let Some(about) = &new.about
        && storage::disclosures::published_version(&mut *tx, about, village.as_str())
            .await?
            .is_none()
    {
        return Err(SubmitError::UnknownDisclosure(about.as_param()));
    }
    let since = china_time::start_of_day(now);
    let filed = storage::complaints::count_filed_since(&mut *tx, vault, openid, since).await?;
    if filed >= DAILY_LIMIT {
        return Err(SubmitError::DailyLimit);
    }
    let tracking =
        storage::complaints::next_tracking_number(&mut tx, tracking_prefix, china_time::day(now))
            .await?;
    let state = ComplaintState::received(now);
    let id = storage::complaints::insert(&mut tx, vault, new, openid, form_key, &tracking, &state)
        .await?;
    let public_note = "已收到您的投诉";
    let logged =
        transparency::record_complaint_status(&mut tx, &tracking, state.status, now, public_note)
            .await?;
    storage::complaints::insert_event(
        &mut tx,
        id,
        &NewEvent {
            event: Event::Received,
            from: None,
            to: state.status,
            actor: &Actor::Complainant,
            public_note,
            internal_note: "",
            tlog_index: Some(logged),
        },
    )
    .await?;
    notify(
        &mut tx,
        vault,
        templates,
        Event::Received,
        openid,
        &tracking,
        now,
    )
    .await?;
    tx.commit().await?;
    Ok(Submitted {
        complaint_id: id,
        tracking_number: tracking,
        repeated: false,
    })
}

/// Who takes an action, and from where (staff actions are audited with the address).
#[derive(Debug, Clone, Copy)]
pub enum ActingAs<'a> {
    Staff {
        member: &'a StaffMember,
        ip: Option<IpAddr>,
    },
    Complainant(&'a OpenId),
}

#[derive(Debug, thiserror::Error)]
pub enum ActError {
    #[error("no such complaint")]
    NotFound,
    #[error("{0}")]
    Refused(#[from] TransitionError),
    #[error("this role may not take this action")]
    Forbidden,
    #[error("database: {0}")]
    Database(#[from] sqlx::Error),
}

/// Applies one action to a complaint: the permission check, the rule check, the new
/// state, the timeline line, the audit line and the notifications, together.
#[allow(
    clippy::too_many_arguments,
    reason = "the request and the service's parts"
)]
pub async fn act(
    pool: &PgPool,
    vault: &Vault,
    templates: &Templates,
    complaint_id: i64,
    acting: ActingAs<'_>,
    action: &Action,
    internal_note: &str,
    now: DateTime<Utc>,
) -> Result<Effect, ActError> {
    let mut tx = pool.begin().await?;
    let locked = storage::complaints::lock_state(&mut tx, complaint_id)
        .await?
        .ok_or(ActError::NotFound)?;
    let (actor, staff_change) = match acting {
        ActingAs::Staff { member, .. } => {
            let change = handling::check_staff_action(&mut tx, member, &locked, action).await?;
            (Actor::Staff(member.display_name.clone()), Some(change))
        }
        // Someone else's complaint does not exist for them.
        ActingAs::Complainant(openid) if identity::is_owner(vault, &locked.identity, openid) => {
            (Actor::Complainant, None)
        }
        ActingAs::Complainant(_) => return Err(ActError::NotFound),
    };
    let state = &locked.state;
    let effect = complaint::apply(state, actor.kind(), action, now)?;
    let assigned_unit = match action {
        Action::Assign { unit, .. } => Some(unit.trim()),
        _ => None,
    };
    let new_owner = staff_change.as_ref().and_then(|c| c.owner);
    storage::complaints::update_state(
        &mut tx,
        complaint_id,
        &effect.state,
        assigned_unit,
        new_owner,
        now,
    )
    .await?;
    let internal = match action {
        Action::Assign { note, .. } if internal_note.is_empty() => note.as_str(),
        Action::ReportResult { result } => result.as_str(),
        _ => internal_note,
    };
    // A change of status is public and goes into the transparency log; a step that
    // keeps the status (an internal hand-over, an extension) is on the timeline only.
    let logged = if effect.state.status == state.status {
        None
    } else {
        Some(
            transparency::record_complaint_status(
                &mut tx,
                &locked.tracking_number,
                effect.state.status,
                now,
                &effect.summary,
            )
            .await?,
        )
    };
    storage::complaints::insert_event(
        &mut tx,
        complaint_id,
        &NewEvent {
            event: effect.event,
            from: Some(state.status),
            to: effect.state.status,
            actor: &actor,
            public_note: &effect.summary,
            internal_note: internal,
            tlog_index: logged,
        },
    )
    .await?;
    if let (ActingAs::Staff { member, ip }, Some(change)) = (acting, &staff_change) {
        handling::record_action(
            &mut tx, member, ip, &locked, action, &effect, internal, change,
        )
        .await?;
        handling::notify_staff(
            &mut tx, vault, templates, member, &locked, action, change, now,
        )
        .await?;
    }
    // The service itself decrypts the addressee of the push (no one is shown it); a
    // shredded complaint has nobody left to tell.
    if let Some(owner) =
        identity::openid_for_push(vault, &locked.identity).map_err(sqlx::Error::from)?
    {
        notify(
            &mut tx,
            vault,
            templates,
            effect.event,
            &owner,
            &locked.tracking_number,
            now,
        )
        .await?;
    }
    tx.commit().await?;
    Ok(effect)
}

/// Adds a note only staff will read; the status does not change.
pub async fn add_internal_note(
    pool: &PgPool,
    complaint_id: i64,
    member: &StaffMember,
    ip: Option<IpAddr>,
    note: &str,
) -> Result<(), ActError> {
    let mut tx = pool.begin().await?;
    let locked = storage::complaints::lock_state(&mut tx, complaint_id)
        .await?
        .ok_or(ActError::NotFound)?;
    // Who may, first: a refusal of the text must not tell anyone else it exists.
    handling::check(member, &locked, StaffAction::NoteComplaint)?;
    let note = note.trim();
    if note.is_empty() || note.chars().count() > complaint::status::MAX_NOTE_CHARS {
        return Err(ActError::Refused(TransitionError::Invalid(
            "a note has 1 to 2000 characters".into(),
        )));
    }
    let state = &locked.state;
    storage::complaints::insert_event(
        &mut tx,
        complaint_id,
        &NewEvent {
            event: Event::Noted,
            from: Some(state.status),
            to: state.status,
            actor: &Actor::Staff(member.display_name.clone()),
            public_note: "",
            internal_note: note,
            tlog_index: None,
        },
    )
    .await?;
    audit::record(
        &mut *tx,
        audit::Actor::member(member, ip),
        "complaint.note",
        audit::Subject::new("complaint", complaint_id, locked.village.as_str()),
        audit::Change {
            after: Some(serde_json::json!({ "note": note })),
            ..audit::Change::default()
        },
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

impl From<transparency::LogError> for SubmitError {
    fn from(e: transparency::LogError) -> SubmitError {
        SubmitError::Database(e.into())
    }
}

impl From<transparency::LogError> for ActError {
    fn from(e: transparency::LogError) -> ActError {
        ActError::Database(e.into())
    }
}
