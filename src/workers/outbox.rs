//! The delivery worker of the template-message outbox. Each task takes one due row with
//! `FOR UPDATE SKIP LOCKED`, sends it, and records the outcome in the same transaction:
//! sent (with WeChat's msgid), retried later with exponential back-off, or failed for
//! good (43004 unsubscribed, 40003 invalid openid, 40037 invalid template, or too many
//! attempts). Workers on any number of machines never take the same row, and a row is
//! only done once its outcome is committed, so a crash loses nothing.
//!
//! Honest limit: a crash after WeChat accepted a message but before our COMMIT leaves
//! the row pending, and it is sent again. The window is one UPDATE and one COMMIT long,
//! and the resend carries the same `client_msg_id`, which WeChat uses to drop it.

use std::panic::AssertUnwindSafe;
use std::sync::Arc;
use std::time::Duration;

use futures::FutureExt;
use sqlx::PgPool;
use sqlx::postgres::PgListener;
use tokio::sync::Notify;
use tokio::task::JoinSet;
use tokio_util::sync::CancellationToken;
use tracing::Instrument;

use crate::configuration::OutboxSettings;
use crate::crypto::Vault;
use crate::storage::outbox::{self, OutboxId, OutboxTask};
use crate::telemetry;
use crate::wechat::api::WechatApi;
use crate::wechat::api::template::TemplateMessage;

/// When to try again after a transient failure, and when to stop trying.
#[derive(Debug, Clone, Copy)]
pub struct Backoff {
    pub base: Duration,
    pub max: Duration,
    pub max_attempts: u32,
}

impl Backoff {
    pub fn from_settings(settings: &OutboxSettings) -> Backoff {
        Backoff {
            base: Duration::from_millis(settings.retry_base_ms),
            max: Duration::from_millis(settings.retry_max_ms),
            max_attempts: settings.max_attempts,
        }
    }

    /// The wait after the failure of attempt number `attempts_before + 1`:
    /// base, 2 × base, 4 × base, … capped at max.
    pub fn delay(&self, attempts_before: i32) -> Duration {
        let doublings = u32::try_from(attempts_before.clamp(0, 30)).unwrap_or(30);
        self.base
            .checked_mul(1u32 << doublings)
            .map_or(self.max, |d| d.min(self.max))
    }
}

/// What one call of [`try_execute_task`] did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ExecutionOutcome {
    Sent { id: OutboxId, msgid: i64 },
    Retried { id: OutboxId },
    Failed { id: OutboxId },
    EmptyQueue,
}

/// The error and every cause below it on one line, for `last_error` and logs.
fn describe(e: &dyn std::error::Error) -> String {
    let mut out = e.to_string();
    let mut cause = e.source();
    while let Some(c) = cause {
        out.push_str(": ");
        out.push_str(&c.to_string());
        cause = c.source();
    }
    out
}

/// Why one send did not succeed.
enum SendFailure {
    Transient(String),
    Final(String),
}

async fn send(api: &WechatApi, task: &OutboxTask) -> Result<i64, SendFailure> {
    let client_msg_id = task.client_msg_id.simple().to_string();
    let message = TemplateMessage {
        touser: task.openid.as_str(),
        template_id: &task.template_id,
        url: task.url.as_deref(),
        client_msg_id: &client_msg_id,
        data: &task.data,
    };
    match AssertUnwindSafe(api.send_template(&message))
        .catch_unwind()
        .await
    {
        Ok(Ok(msgid)) => Ok(msgid),
        Ok(Err(e)) if e.is_transient() => Err(SendFailure::Transient(describe(&e))),
        Ok(Err(e)) => Err(SendFailure::Final(describe(&e))),
        // A bug must not stop the worker or loop on one row: count it as an attempt.
        Err(_) => Err(SendFailure::Transient("the send panicked".into())),
    }
}

/// Takes one due row, sends it and records the outcome; `EmptyQueue` when none is due.
pub async fn try_execute_task(
    pool: &PgPool,
    vault: &Vault,
    api: &WechatApi,
    backoff: &Backoff,
) -> Result<ExecutionOutcome, sqlx::Error> {
    let Some((mut tx, task)) = outbox::next_due(pool, vault).await? else {
        return Ok(ExecutionOutcome::EmptyQueue);
    };
    let id = task.id;
    let span = tracing::info_span!(
        "outbox delivery",
        outbox.id = id.get(),
        outbox.kind = %task.kind,
        openid = %telemetry::hashed(task.openid.as_str()),
        attempt = task.attempts + 1,
        request_id = task.request_id.as_deref().unwrap_or_default(),
    );
    let outcome = match send(api, &task).instrument(span.clone()).await {
        Ok(msgid) => {
            outbox::record_sent(&mut tx, id, msgid).await?;
            ExecutionOutcome::Sent { id, msgid }
        }
        Err(SendFailure::Final(error)) => {
            outbox::record_failed(&mut tx, id, &error).await?;
            ExecutionOutcome::Failed { id }
        }
        Err(SendFailure::Transient(error)) => {
            let attempts = task.attempts.saturating_add(1);
            if u32::try_from(attempts).unwrap_or(u32::MAX) >= backoff.max_attempts {
                let error = format!("gave up after {attempts} attempts: {error}");
                outbox::record_failed(&mut tx, id, &error).await?;
                ExecutionOutcome::Failed { id }
            } else {
                let delay = backoff.delay(task.attempts);
                outbox::record_retry(&mut tx, id, &error, delay).await?;
                ExecutionOutcome::Retried { id }
            }
        }
    };
    tx.commit().await?;
    span.in_scope(|| match &outcome {
        ExecutionOutcome::Sent { msgid, .. } => {
            tracing::info!(msgid, "template message sent");
        }
        ExecutionOutcome::Retried { .. } => {
            tracing::warn!("template message not sent; retrying later");
        }
        ExecutionOutcome::Failed { .. } => {
            tracing::warn!("template message failed for good");
        }
        ExecutionOutcome::EmptyQueue => {}
    });
    Ok(outcome)
}

/// Delivers every row that is due, one after another, until none is (or `stop` is
/// cancelled; the row in hand is finished first), and returns how many it handled:
/// sent, retried or failed. One pass of a worker task; tests call it to drain the outbox
/// on demand instead of waiting for a worker.
pub async fn deliver_due(
    pool: &PgPool,
    vault: &Vault,
    api: &WechatApi,
    backoff: &Backoff,
    stop: &CancellationToken,
) -> Result<usize, sqlx::Error> {
    let mut handled = 0;
    while !stop.is_cancelled() {
        match try_execute_task(pool, vault, api, backoff).await? {
            ExecutionOutcome::EmptyQueue => break,
            ExecutionOutcome::Sent { .. }
            | ExecutionOutcome::Retried { .. }
            | ExecutionOutcome::Failed { .. } => handled += 1,
        }
    }
    Ok(handled)
}

/// Delivers until `stop` is cancelled, with `settings.concurrency` tasks; each finishes
/// the row it holds before returning.
pub async fn run_until_stopped(
    pool: PgPool,
    vault: Vault,
    api: WechatApi,
    settings: OutboxSettings,
    stop: CancellationToken,
) {
    let wake = Arc::new(Notify::new());
    // A JoinSet, so that dropping this future (a test's crash, a runtime shutdown)
    // takes every task down with it.
    let mut tasks = JoinSet::new();
    tasks.spawn(listen(pool.clone(), Arc::clone(&wake), stop.clone()));
    let backoff = Backoff::from_settings(&settings);
    let poll = Duration::from_millis(settings.poll_interval_ms);
    for _ in 0..settings.concurrency {
        tasks.spawn(deliver(
            pool.clone(),
            vault.clone(),
            api.clone(),
            backoff,
            poll,
            Arc::clone(&wake),
            stop.clone(),
        ));
    }
    tracing::info!(concurrency = settings.concurrency, "outbox worker started");
    while let Some(done) = tasks.join_next().await {
        if done.as_ref().is_err_and(tokio::task::JoinError::is_panic) {
            tracing::error!("an outbox worker task panicked; the others go on");
        }
    }
    tracing::info!("outbox worker stopped");
}

async fn deliver(
    pool: PgPool,
    vault: Vault,
    api: WechatApi,
    backoff: Backoff,
    poll: Duration,
    wake: Arc<Notify>,
    stop: CancellationToken,
) {
    while !stop.is_cancelled() {
        // Registered before looking at the queue, so a wake-up sent while we look is kept.
        let woken = wake.notified();
        tokio::pin!(woken);
        woken.as_mut().enable();
        match deliver_due(&pool, &vault, &api, &backoff, &stop).await {
            Ok(_) => {
                tokio::select! {
                    () = stop.cancelled() => return,
                    () = woken => {}
                    () = tokio::time::sleep(poll) => {}
                }
            }
            Err(e) => {
                tracing::error!(error.cause_chain = ?e, "outbox worker cannot reach the database");
                tokio::select! {
                    () = stop.cancelled() => return,
                    () = tokio::time::sleep(poll) => {}
                }
            }
        }
    }
}

/// Wakes idle delivery tasks when `enqueue` commits (LISTEN outbox); polling still
/// covers retries that come due and notifications lost while reconnecting.
async fn listen(pool: PgPool, wake: Arc<Notify>, stop: CancellationToken) {
    const RECONNECT_AFTER: Duration = Duration::from_secs(5);
    while !stop.is_cancelled() {
        let connected = async {
            let mut listener = PgListener::connect_with(&pool).await?;
            listener.listen(outbox::CHANNEL).await?;
            Ok::<_, sqlx::Error>(listener)
        };
        let mut listener = tokio::select! {
            () = stop.cancelled() => return,
            result = connected => match result {
                Ok(l) => l,
                Err(e) => {
                    tracing::warn!(error = %e, "cannot LISTEN for new outbox rows; polling only");
                    tokio::select! {
                        () = stop.cancelled() => return,
                        () = tokio::time::sleep(RECONNECT_AFTER) => continue,
                    }
                }
            },
        };
        loop {
            tokio::select! {
                () = stop.cancelled() => return,
                received = listener.try_recv() => match received {
                    Ok(Some(_)) => wake.notify_waiters(),
                    // Reconnected: anything sent meanwhile is lost, so look now.
                    Ok(None) => wake.notify_waiters(),
                    Err(e) => {
                        tracing::warn!(error = %e, "lost the outbox LISTEN connection");
                        break;
                    }
                },
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn back_off_doubles_up_to_the_cap() {
        let b = Backoff {
            base: Duration::from_secs(30),
            max: Duration::from_secs(3600),
            max_attempts: 12,
        };
        assert_eq!(b.delay(0), Duration::from_secs(30));
        assert_eq!(b.delay(1), Duration::from_secs(60));
        assert_eq!(b.delay(4), Duration::from_secs(480));
        assert_eq!(b.delay(7), Duration::from_secs(3600));
        assert_eq!(b.delay(1000), Duration::from_secs(3600));
    }
}
