//! Changing complaints: every change, its timeline line and (where the complainant
//! should know) its notification are written in one transaction, so an acknowledged
//! complaint or step is never half-stored.

use std::time::Duration;

use chrono::{DateTime, Utc};
use sqlx::PgPool;
use uuid::Uuid;

use crate::domain::complaint::{
    self, Action, Actor, ComplaintState, Effect, Event, NewComplaint, TransitionError,
};
use crate::domain::notification::NotificationError;
use crate::domain::staff::Staff;
use crate::domain::{OpenId, china_time};
use crate::kv::{Kv, KvError};
use crate::storage::{self, PgTransaction, complaints::NewEvent};
use crate::wechat_api::template::Templates;

/// The complainant's page for a complaint, linked from every push.
pub fn complaint_path(tracking_number: &str) -> String {
    format!("/complaints/{tracking_number}")
}

/// Queues the push for `event` in the caller's transaction, so it is sent if and only if
/// the change commits. A kind without a configured template is skipped with a warning
/// (a development setup has none; production start-up refuses to run without them).
async fn notify(
    tx: &mut PgTransaction<'_>,
    templates: &Templates,
    event: Event,
    openid: &OpenId,
    tracking_number: &str,
    at: DateTime<Utc>,
) -> Result<(), sqlx::Error> {
    if !event.notifies_complainant() {
        return Ok(());
    }
    let time = china_time::local(at).format("%Y-%m-%d %H:%M").to_string();
    let values = [
        ("tracking_number", tracking_number),
        ("status", event.label()),
        ("time", time.as_str()),
    ];
    let link = complaint_path(tracking_number);
    match templates.notification(event.as_str(), openid, &values, Some(&link)) {
        Ok(n) => {
            storage::outbox::enqueue(tx, &n).await?;
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
    pub tracking_number: String,
    /// The same form was submitted before (a double tap): nothing new was stored.
    pub repeated: bool,
}

#[derive(Debug, thiserror::Error)]
pub enum SubmitError {
    #[error("the daily limit of {DAILY_LIMIT} complaints is reached")]
    DailyLimit,
    #[error("no village has code {0}")]
    UnknownVillage(String),
    #[error("rate limit store: {0}")]
    Kv(#[from] KvError),
    #[error("database: {0}")]
    Database(#[from] sqlx::Error),
}

/// Stores a complaint and its "received" notification, once per form key.
#[allow(
    clippy::too_many_arguments,
    reason = "each is a separate input of one submission"
)]
pub async fn submit(
    pool: &PgPool,
    kv: &Kv,
    templates: &Templates,
    tracking_prefix: &str,
    openid: &OpenId,
    form_key: Uuid,
    new: &NewComplaint,
    now: DateTime<Utc>,
) -> Result<Submitted, SubmitError> {
    // A repeat of an already stored form returns the first result and uses no quota.
    let mut tx = pool.begin().await?;
    if let Some((id, tracking)) =
        storage::complaints::find_by_idempotency_key(&mut tx, openid.as_str(), form_key).await?
    {
        return Ok(Submitted {
            complaint_id: id,
            tracking_number: tracking,
            repeated: true,
        });
    }
    tx.rollback().await?;

    let village = new.village.region_code();
    if storage::regions::find(pool, village).await?.is_none() {
        return Err(SubmitError::UnknownVillage(village.to_string()));
    }
    let day = china_time::day(now);
    let quota_key = format!(
        "complaints:daily:{}:{}",
        day.format("%Y%m%d"),
        openid.as_str()
    );
    let used = kv
        .increment(&quota_key, Duration::from_secs(26 * 3600))
        .await?;
    if used > DAILY_LIMIT {
        return Err(SubmitError::DailyLimit);
    }

    // A failed store keeps the quota it used: failures are rare, and handing quota
    // back would let a burst of failing-then-retried submissions past the limit.
    store(pool, templates, tracking_prefix, openid, form_key, new, now).await
}

async fn store(
    pool: &PgPool,
    templates: &Templates,
    tracking_prefix: &str,
    openid: &OpenId,
    form_key: Uuid,
    new: &NewComplaint,
    now: DateTime<Utc>,
) -> Result<Submitted, SubmitError> {
    let mut tx = pool.begin().await?;
    let day = china_time::day(now);
    let tracking = storage::complaints::next_tracking_number(&mut tx, tracking_prefix, day).await?;
    let state = ComplaintState::received(now);
    let id = match storage::complaints::insert(
        &mut tx,
        new,
        openid.as_str(),
        form_key,
        &tracking,
        &state,
    )
    .await
    {
        Ok(id) => id,
        // The same form raced itself (two taps at once): the first one stored it.
        Err(sqlx::Error::Database(e)) if e.is_unique_violation() => {
            drop(tx);
            let mut tx = pool.begin().await?;
            if let Some((id, tracking)) =
                storage::complaints::find_by_idempotency_key(&mut tx, openid.as_str(), form_key)
                    .await?
            {
                return Ok(Submitted {
                    complaint_id: id,
                    tracking_number: tracking,
                    repeated: true,
                });
            }
            return Err(SubmitError::Database(sqlx::Error::Database(e)));
        }
        Err(e) => return Err(e.into()),
    };
    storage::complaints::insert_event(
        &mut tx,
        id,
        &NewEvent {
            event: Event::Received,
            from: None,
            to: state.status,
            actor: "complainant",
            public_note: "已收到您的投诉",
            internal_note: "",
        },
    )
    .await?;
    notify(
        &mut tx,
        templates,
        Event::Received,
        openid,
        tracking.as_str(),
        now,
    )
    .await?;
    tx.commit().await?;
    Ok(Submitted {
        complaint_id: id,
        tracking_number: tracking.to_string(),
        repeated: false,
    })
}

/// Who takes an action.
#[derive(Debug, Clone, Copy)]
pub enum ActingAs<'a> {
    Staff(&'a Staff),
    Complainant(&'a OpenId),
}

#[derive(Debug, thiserror::Error)]
pub enum ActError {
    #[error("no such complaint")]
    NotFound,
    #[error("{0}")]
    Refused(#[from] TransitionError),
    #[error("this role may not change complaints")]
    Forbidden,
    #[error("database: {0}")]
    Database(#[from] sqlx::Error),
}

/// Applies one action to a complaint: the rule check, the new state, the timeline line
/// and the notification, together.
pub async fn act(
    pool: &PgPool,
    templates: &Templates,
    complaint_id: i64,
    acting: ActingAs<'_>,
    action: &Action,
    internal_note: &str,
    now: DateTime<Utc>,
) -> Result<Effect, ActError> {
    let mut tx = pool.begin().await?;
    let (state, owner, tracking) = storage::complaints::lock_state(&mut tx, complaint_id)
        .await?
        .ok_or(ActError::NotFound)?;
    let (actor, actor_label) = match acting {
        ActingAs::Staff(staff) => {
            if !staff.role.may_act() {
                return Err(ActError::Forbidden);
            }
            (Actor::Staff, format!("staff:{}", staff.name))
        }
        // Someone else's complaint does not exist for them.
        ActingAs::Complainant(openid) if openid.as_str() == owner => {
            (Actor::Complainant, "complainant".to_owned())
        }
        ActingAs::Complainant(_) => return Err(ActError::NotFound),
    };
    let effect = complaint::apply(&state, actor, action, now)?;
    let assigned_unit = match action {
        Action::Assign { unit, .. } => Some(unit.trim()),
        _ => None,
    };
    storage::complaints::update_state(&mut tx, complaint_id, &effect.state, assigned_unit, now)
        .await?;
    let internal = match action {
        Action::Assign { note, .. } if internal_note.is_empty() => note.as_str(),
        _ => internal_note,
    };
    storage::complaints::insert_event(
        &mut tx,
        complaint_id,
        &NewEvent {
            event: effect.event,
            from: Some(state.status),
            to: effect.state.status,
            actor: &actor_label,
            public_note: &effect.summary,
            internal_note: internal,
        },
    )
    .await?;
    let owner = OpenId::parse(&owner).map_err(|e| storage::corrupt("complaint openid", e))?;
    notify(&mut tx, templates, effect.event, &owner, &tracking, now).await?;
    tx.commit().await?;
    Ok(effect)
}

/// Adds a note only staff will read; the status does not change.
pub async fn add_internal_note(
    pool: &PgPool,
    complaint_id: i64,
    staff: &Staff,
    note: &str,
) -> Result<(), ActError> {
    let note = note.trim();
    if note.is_empty() || note.chars().count() > complaint::status::MAX_NOTE_CHARS {
        return Err(ActError::Refused(TransitionError::Invalid(
            "a note has 1 to 2000 characters".into(),
        )));
    }
    let mut tx = pool.begin().await?;
    let (state, _, _) = storage::complaints::lock_state(&mut tx, complaint_id)
        .await?
        .ok_or(ActError::NotFound)?;
    storage::complaints::insert_event(
        &mut tx,
        complaint_id,
        &NewEvent {
            event: Event::Noted,
            from: Some(state.status),
            to: state.status,
            actor: &format!("staff:{}", staff.name),
            public_note: "",
            internal_note: note,
        },
    )
    .await?;
    tx.commit().await?;
    Ok(())
}
