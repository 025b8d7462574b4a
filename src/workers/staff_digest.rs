//! Every morning (08:00 in China) each inspector and each unit's handler who bound
//! their WeChat gets one template message: how many complaints within their scope pass
//! a deadline in the next three days, or already have. Nothing is sent to anyone with
//! nothing due. A row per account and day, written with the push, makes it once a day
//! however many instances run and however often one restarts.

use std::time::Duration;

use chrono::{DateTime, NaiveTime, Utc};
use sqlx::PgPool;
use tokio_util::sync::CancellationToken;

use crate::domain::china_time;
use crate::domain::staff::StaffAction;
use crate::routes::paths;
use crate::services::handling::STAFF_DIGEST;
use crate::storage::{self, accounts};
use crate::wechat::api::template::Templates;

/// When in the day the reminders leave (China's clock).
pub const SEND_AT: NaiveTime = match NaiveTime::from_hms_opt(8, 0, 0) {
    Some(t) => t,
    None => NaiveTime::MIN,
};
/// How far ahead a deadline counts.
pub const AHEAD_DAYS: i64 = 3;

/// Sends today's reminders not yet sent; how many were queued.
pub async fn send_due(
    pool: &PgPool,
    vault: &crate::crypto::Vault,
    templates: &Templates,
    now: DateTime<Utc>,
) -> Result<usize, sqlx::Error> {
    let today = china_time::day(now);
    let until = now + chrono::Duration::days(AHEAD_DAYS);
    let time = china_time::local(now).format("%Y-%m-%d %H:%M").to_string();
    let mut sent = 0;
    for account in accounts::digest_recipients(pool).await? {
        let member = account.member();
        let Some(openid) = account.wechat_openid.clone() else {
            continue;
        };
        let unit = member.unit_scope(StaffAction::ListComplaints);
        let due = storage::complaints::count_due_before(pool, member.region.as_str(), unit, until)
            .await?;
        if due == 0 {
            continue;
        }
        let mut tx = pool.begin().await?;
        let first = sqlx::query_scalar!(
            "INSERT INTO staff_digests (account_id, day, complaints) VALUES ($1, $2, $3)
             ON CONFLICT DO NOTHING RETURNING account_id",
            account.account_id,
            today,
            i32::try_from(due).unwrap_or(i32::MAX),
        )
        .fetch_optional(&mut *tx)
        .await?;
        if first.is_none() {
            continue;
        }
        let count = format!("共{due}件");
        let values = [
            ("tracking_number", count.as_str()),
            ("status", "3日内到期或已超期"),
            ("time", time.as_str()),
        ];
        match templates.notification(
            STAFF_DIGEST,
            &openid,
            &values,
            Some(paths::staff::COMPLAINTS),
        ) {
            Ok(n) => {
                storage::outbox::enqueue(&mut tx, vault, &n).await?;
                tx.commit().await?;
                sent += 1;
            }
            Err(e) => {
                tracing::debug!(error = %e, "no staff digest: the staff_digest template is not configured");
                return Ok(sent);
            }
        }
    }
    Ok(sent)
}

/// How long from `now` until the next sending time.
fn until_next(now: DateTime<Utc>) -> Duration {
    let local = china_time::local(now);
    let today = local.date_naive().and_time(SEND_AT);
    let next = if local.time() < SEND_AT {
        today
    } else {
        today + chrono::Duration::days(1)
    };
    let next = next
        .and_local_timezone(china_time::zone())
        .single()
        .map_or(now, |t| t.with_timezone(&Utc));
    (next - now).to_std().unwrap_or(Duration::from_secs(60))
}

/// Sends the reminders every morning until `stop`; after a start past the sending time
/// it sends today's at once (those already sent are not sent again).
pub async fn run_until_stopped(
    pool: PgPool,
    vault: crate::crypto::Vault,
    templates: Templates,
    stop: CancellationToken,
) {
    loop {
        let now = Utc::now();
        if china_time::local(now).time() >= SEND_AT {
            match send_due(&pool, &vault, &templates, now).await {
                Ok(0) => {}
                Ok(n) => tracing::info!(reminders = n, "sent the staff's daily deadline reminders"),
                Err(e) => {
                    tracing::warn!(error = %e, "the staff's daily reminders failed; tried again tomorrow")
                }
            }
        }
        tokio::select! {
            () = tokio::time::sleep(until_next(Utc::now())) => {}
            () = stop.cancelled() => return,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_next_sending_is_at_eight_in_china() {
        let before: DateTime<Utc> = "2026-12-01T23:30:00Z".parse().unwrap(); // 07:30 in China
        assert_eq!(until_next(before), Duration::from_secs(30 * 60));
        let after: DateTime<Utc> = "2026-12-02T01:00:00Z".parse().unwrap(); // 09:00
        assert_eq!(until_next(after), Duration::from_secs(23 * 3600));
    }
}
