//! Driving the template-message outbox from a test: deliver what is due now, with the
//! worker's own one-pass function, and move the outbox's clock instead of waiting for
//! back-off to pass.

use std::time::Duration;

use sunvillage::storage::outbox::CHANNEL;
use sunvillage::workers::outbox::{self, Backoff};
use tokio_util::sync::CancellationToken;

use super::app::TestApp;
use super::wait::{PATIENCE, until};

impl TestApp {
    /// The back-off the app's settings give the worker.
    pub fn backoff(&self) -> Backoff {
        Backoff::from_settings(&self.settings.outbox)
    }

    /// Delivers every row that is due now, as one worker task would on waking, and
    /// returns how many it handled (sent, retried or failed). Tests whose app runs no
    /// worker of its own (`outbox.worker_in_serve = false`) call this where they expect
    /// the pushes to have left, then count exactly what WeChat received.
    pub async fn run_pending_outbox(&self) -> usize {
        outbox::deliver_due(
            &self.pool,
            &self.vault,
            &self.wechat,
            &self.backoff(),
            &CancellationToken::new(),
        )
        .await
        .expect("the outbox is readable")
    }

    /// Moves the outbox's clock `by` forward: every pending row comes due that much
    /// sooner. Due times are Postgres's `now()`, which a paused Tokio clock cannot move.
    pub async fn outbox_time_passes(&self, by: Duration) {
        sqlx::query(
            "UPDATE outbox SET next_attempt_at = next_attempt_at - make_interval(secs => $1)
             WHERE status = 'pending'",
        )
        .bind(by.as_secs_f64())
        .execute(&self.pool)
        .await
        .expect("the outbox is writable");
    }

    /// Waits until a worker inside the app LISTENs for new rows (readiness, as for a
    /// server coming up): from then on a new row can only reach WeChat at once through
    /// the NOTIFY, not through a poll.
    pub async fn until_outbox_worker_listens(&self) {
        let listening = format!("LISTEN \"{CHANNEL}\"");
        let ready = until(PATIENCE, async || {
            sqlx::query_scalar::<_, bool>(
                "SELECT EXISTS (SELECT 1 FROM pg_stat_activity
                     WHERE datname = current_database() AND state = 'idle' AND query = $1)",
            )
            .bind(&listening)
            .fetch_one(&self.pool)
            .await
            .unwrap_or(false)
        })
        .await;
        assert!(ready, "the outbox worker never listened");
    }
}
