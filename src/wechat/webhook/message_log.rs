//! The inbound message log, off the reply's path: handlers hand each sighting of a
//! follower (with their words, for texts and recognised voice) to a channel without
//! waiting, and one background task writes them to Postgres in batches — when a batch
//! fills, when `log_flush_ms` has passed, and a last time when the service stops.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use sqlx::PgPool;
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;

use crate::configuration::WebhookSettings;
use crate::crypto::Vault;
use crate::storage::inbound_messages::{self, RecentlySeen, Sighting};

/// Sightings waiting in memory at most; beyond it (Postgres has been down for a
/// while) new ones are dropped and counted rather than growing without bound.
const CHANNEL_CAPACITY: usize = 100_000;
/// Attempts of the final write on shutdown.
const FINAL_ATTEMPTS: u32 = 3;
/// How long the writer, woken by a sighting, waits for more before taking them all.
const GATHER: Duration = Duration::from_millis(10);

/// Where handlers record sightings; cheap to clone.
#[derive(Clone)]
pub struct MessageLog {
    tx: mpsc::Sender<Sighting>,
    dropped: Arc<AtomicU64>,
}

/// The task that writes the log.
pub struct Batcher {
    rx: mpsc::Receiver<Sighting>,
    pool: PgPool,
    /// Hashes the followers' openids (the log stores no openid).
    vault: Vault,
    batch_size: usize,
    flush_every: Duration,
    dropped: Arc<AtomicU64>,
    /// Followers written moments ago, not written again (`followers::LAST_SEEN_PRECISION`).
    recent: RecentlySeen,
}

/// A log and the task that writes it; spawn [`Batcher::run`] on the background tracker.
pub fn channel(pool: PgPool, vault: Vault, settings: &WebhookSettings) -> (MessageLog, Batcher) {
    let (tx, rx) = mpsc::channel(CHANNEL_CAPACITY);
    let dropped = Arc::new(AtomicU64::new(0));
    (
        MessageLog {
            tx,
            dropped: Arc::clone(&dropped),
        },
        Batcher {
            rx,
            pool,
            vault,
            batch_size: settings.log_batch_size,
            flush_every: Duration::from_millis(settings.log_flush_ms),
            dropped,
            recent: RecentlySeen::default(),
        },
    )
}

impl MessageLog {
    /// Queues a sighting; never waits.
    pub fn record(&self, sighting: Sighting) {
        if let Err(e) = self.tx.try_send(sighting) {
            let n = self.dropped.fetch_add(1, Ordering::Relaxed) + 1;
            // Logged at 1, 2, 4, 8, … so that an outage does not flood the log.
            if n.is_power_of_two() {
                tracing::error!(dropped_total = n, reason = %e, "inbound message log is full; dropping");
            }
        }
    }
}

impl Batcher {
    /// Writes batches until `stop`, then drains the channel and writes what is left.
    /// Returns how many writes failed.
    pub async fn run(mut self, stop: CancellationToken) -> u64 {
        let mut buffer: Vec<Sighting> = Vec::with_capacity(self.batch_size);
        // The first tick one period from now, not at once as `interval`'s is.
        let mut tick = tokio::time::interval_at(
            tokio::time::Instant::now() + self.flush_every,
            self.flush_every,
        );
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        let (mut failed, mut backing_off) = (0, false);
        loop {
            tokio::select! {
                biased;
                () = stop.cancelled() => break,
                received = self.rx.recv() => match received {
                    Some(s) => {
                        buffer.push(s);
                        // Woken by one sighting, gather what else comes for a moment
                        // rather than being woken for each: every wake-up crosses from the
                        // request's thread to this task's (a futex and a thread switch),
                        // which was several percent of the webhook's CPU under load.
                        tokio::select! {
                            biased;
                            () = stop.cancelled() => {}
                            () = tokio::time::sleep(GATHER) => {}
                        }
                        while let Ok(s) = self.rx.try_recv() {
                            buffer.push(s);
                        }
                        // After a failed write only the timer tries again: a full buffer
                        // would otherwise retry on every message, a storm of writes at a
                        // Postgres that is down or struggling.
                        if buffer.len() >= self.batch_size && !backing_off {
                            backing_off = !self.flush(&mut buffer).await;
                            failed += u64::from(backing_off);
                        }
                    }
                    None => break,
                },
                _ = tick.tick() => {
                    if !buffer.is_empty() {
                        backing_off = !self.flush(&mut buffer).await;
                        failed += u64::from(backing_off);
                    }
                }
            }
        }
        // Requests have stopped by now; take whatever they queued.
        self.rx.close();
        while let Some(s) = self.rx.recv().await {
            buffer.push(s);
        }
        for attempt in 1..=FINAL_ATTEMPTS {
            if self.flush(&mut buffer).await {
                break;
            }
            failed += 1;
            if attempt < FINAL_ATTEMPTS {
                tokio::time::sleep(Duration::from_millis(200)).await;
            }
        }
        if !buffer.is_empty() {
            tracing::error!(
                lost = buffer.len(),
                "could not write the inbound message log before stopping"
            );
        }
        let dropped = self.dropped.load(Ordering::Relaxed);
        if dropped > 0 {
            tracing::warn!(
                dropped_total = dropped,
                "inbound sightings were dropped while the log was full"
            );
        }
        failed
    }

    /// Writes the buffer in batches; what fails stays buffered for the next attempt.
    /// Whether all of it was written.
    async fn flush(&mut self, buffer: &mut Vec<Sighting>) -> bool {
        while !buffer.is_empty() {
            let n = buffer.len().min(self.batch_size);
            match inbound_messages::store_batch(
                &self.pool,
                &self.vault,
                &mut self.recent,
                &buffer[..n],
            )
            .await
            {
                Ok(inserted) => {
                    tracing::debug!(sightings = n, texts = inserted, "wrote inbound message log");
                    buffer.drain(..n);
                }
                Err(e) => {
                    tracing::warn!(error = %e, waiting = buffer.len(), "could not write the inbound message log; will retry");
                    // Bound what a long outage can hold: the channel is full long before.
                    let cap = self.batch_size * 100;
                    if buffer.len() > cap {
                        let lost = buffer.len() - cap;
                        buffer.drain(..lost);
                        tracing::error!(lost, "inbound message log buffer overflowed");
                    }
                    return false;
                }
            }
        }
        true
    }
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use chrono::Utc;
    use sqlx::postgres::PgPoolOptions;

    use super::*;
    use crate::configuration::Settings;
    use crate::domain::OpenId;

    /// While Postgres refuses, a full buffer does not make every further message try
    /// again: the timer does (here never, within the test), and the shutdown's attempts.
    #[tokio::test]
    async fn while_postgres_refuses_the_log_waits_for_its_timer_instead_of_retrying_per_message() {
        let settings = Settings::load_with_env(None, Some(HashMap::new())).unwrap();
        let vault = Vault::from_settings(&settings.crypto).unwrap();
        // Nothing listens on port 1: every connection is refused at once.
        let pool = PgPoolOptions::new()
            .acquire_timeout(Duration::from_millis(200))
            .connect_lazy("postgres://postgres@127.0.0.1:1/nothing")
            .unwrap();
        let mut webhook = settings.webhook.clone();
        webhook.log_batch_size = 10;
        webhook.log_flush_ms = 3_600_000;
        let (log, batcher) = channel(pool, vault, &webhook);
        let stop = CancellationToken::new();
        let writer = tokio::spawn(batcher.run(stop.clone()));
        for i in 0..500 {
            log.record(Sighting {
                openid: OpenId::parse(&format!("oRefusedLog{i:017}")).unwrap(),
                at: Utc::now(),
                text: None,
            });
        }
        // Until the writer has taken every sighting off the channel.
        while log.tx.capacity() < CHANNEL_CAPACITY {
            tokio::task::yield_now().await;
        }
        stop.cancel();
        let failed = writer.await.unwrap();
        // One write when the buffer first filled, then the shutdown's three.
        assert_eq!(failed, 1 + u64::from(FINAL_ATTEMPTS));
    }
}
