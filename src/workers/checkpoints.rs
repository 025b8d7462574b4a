//! Signs a transparency-log checkpoint every `transparency.checkpoint_interval_s` while
//! entries arrive (nothing when none did), and one at start so a new log serves a
//! checkpoint of size 0. Any number of instances may run it: they sign the same text
//! for the same size, and the first to store it wins.

use std::time::Duration;

use sqlx::PgPool;
use tokio_util::sync::CancellationToken;

use crate::services::transparency::{self, LogSigner};

pub async fn run_until_stopped(
    pool: PgPool,
    signer: LogSigner,
    every: Duration,
    stop: CancellationToken,
) {
    let mut tick = tokio::time::interval(every);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            _ = tick.tick() => {}
            () = stop.cancelled() => break,
        }
        match transparency::checkpoint_now(&pool, &signer).await {
            Ok(Some(checkpoint)) => {
                tracing::info!(size = checkpoint.size, "transparency log checkpoint signed");
            }
            Ok(None) => {}
            Err(e) => {
                tracing::warn!(error = %crate::services::transparency::describe(&e), "transparency log checkpoint failed")
            }
        }
    }
}
