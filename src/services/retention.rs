//! The retention periods (`retention.*`, defaults and sources in docs/privacy.md): a
//! pass destroys the data keys of what is past them. Run daily by `sunvillage
//! retention run` (from cron or a timer); a pass is idempotent and resumable.

use chrono::{DateTime, TimeDelta, Utc};
use sqlx::PgPool;

use serde_json::json;

use crate::configuration::RetentionSettings;
use crate::services::audit::{self, Actor, Change, Subject};
use crate::storage::retention;

const BATCH: i64 = 500;

/// What one pass destroyed.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Shredded {
    pub complaints: Vec<i64>,
    pub outbox: u64,
    /// Followers unsubscribed for `outbox_days` whose sealed openid was destroyed.
    pub followers: u64,
}

pub async fn run(
    pool: &PgPool,
    periods: &RetentionSettings,
    now: DateTime<Utc>,
) -> Result<Shredded, sqlx::Error> {
    let mut done = Shredded::default();
    let complaints_cutoff = now - TimeDelta::days(i64::from(periods.complaint_identity_days));
    loop {
        let mut tx = pool.begin().await?;
        let shredded =
            retention::shred_complaints_closed_before(&mut tx, complaints_cutoff, BATCH).await?;
        // Each destruction leaves its line, in the same transaction: a key is never gone
        // without a trace of when and under which period.
        for c in &shredded {
            audit::record(
                &mut *tx,
                Actor::system(),
                "complaint.identity_shredded",
                Subject::new("complaint", c.complaint_id, &c.village_code),
                Change {
                    after: Some(json!({
                        "tracking_number": c.tracking_number,
                        "retention_days": periods.complaint_identity_days,
                    })),
                    ..Change::default()
                },
            )
            .await?;
        }
        tx.commit().await?;
        if shredded.is_empty() {
            break;
        }
        done.complaints
            .extend(shredded.iter().map(|c| c.complaint_id));
    }
    let outbox_cutoff = now - TimeDelta::days(i64::from(periods.outbox_days));
    loop {
        let mut tx = pool.begin().await?;
        let n = retention::shred_outbox_settled_before(&mut tx, outbox_cutoff, BATCH).await?;
        tx.commit().await?;
        if n == 0 {
            break;
        }
        done.outbox += n;
    }
    // A follower's sealed openid serves only to address the village's push: once they
    // have unsubscribed it is kept as long as a push's addressee.
    loop {
        let mut tx = pool.begin().await?;
        let n =
            retention::shred_followers_unsubscribed_before(&mut tx, outbox_cutoff, BATCH).await?;
        tx.commit().await?;
        if n == 0 {
            break;
        }
        done.followers += n;
    }
    Ok(done)
}
