//! Classifies new inbound texts and complaints every `analysis.classify_every_seconds`
//! (docs/analysis.md). Any number of instances may run it: two that classify the same
//! item store the same answer, the second overwriting the first.

use std::time::Duration;

use sqlx::PgPool;
use tokio_util::sync::CancellationToken;

use crate::services::classification;

pub async fn run_until_stopped(pool: PgPool, every: Duration, stop: CancellationToken) {
    // Not at once: an instance that starts does not load the model before it must.
    let mut tick = tokio::time::interval_at(tokio::time::Instant::now() + every, every);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            _ = tick.tick() => {}
            () = stop.cancelled() => break,
        }
        match classification::classify_pending(&pool, |_| {}).await {
            Ok(r) if r.classified > 0 => tracing::info!(
                classified = r.classified,
                needs_review = r.needs_review,
                "classified new messages and complaints"
            ),
            Ok(_) => {}
            Err(e) => tracing::warn!(error = %e, "topic classification failed"),
        }
    }
}
