//! Page views of disclosures, counted in memory and written in batches: a page view
//! costs a map update, not a database write. A background task adds the counts to
//! Postgres every few seconds and once more when the service stops; a failed write puts
//! the counts back for the next round. A crash loses at most one interval's views.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use sqlx::PgPool;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

use crate::storage;

/// Views counted since the last flush, by disclosure id. Cheap to clone; clones share.
#[derive(Clone, Default)]
pub struct ViewCounter {
    pending: Arc<Mutex<HashMap<i64, i64>>>,
}

impl ViewCounter {
    fn with<T>(&self, f: impl FnOnce(&mut HashMap<i64, i64>) -> T) -> T {
        match self.pending.lock() {
            Ok(mut g) => f(&mut g),
            // A panic while holding the lock leaves a map that is still valid.
            Err(poisoned) => f(&mut poisoned.into_inner()),
        }
    }

    /// Counts one view.
    pub fn record(&self, id: i64) {
        self.with(|m| *m.entry(id).or_insert(0) += 1);
    }

    /// Views counted here and not yet written, for showing an up-to-date total.
    pub fn pending(&self, id: i64) -> i64 {
        self.with(|m| m.get(&id).copied().unwrap_or(0))
    }

    /// Writes what was counted; returns how many disclosures were updated.
    pub async fn flush(&self, pool: &PgPool) -> Result<usize, sqlx::Error> {
        let batch: Vec<(i64, i64)> = self.with(|m| m.drain().collect());
        if batch.is_empty() {
            return Ok(0);
        }
        if let Err(e) = storage::disclosures::add_views(pool, &batch).await {
            self.with(|m| {
                for (id, n) in &batch {
                    *m.entry(*id).or_insert(0) += n;
                }
            });
            return Err(e);
        }
        Ok(batch.len())
    }

    /// Flushes every `every` until `stop`, then flushes once more.
    pub fn spawn_flusher(
        &self,
        pool: PgPool,
        every: Duration,
        stop: CancellationToken,
        tracker: &TaskTracker,
    ) {
        let this = self.clone();
        tracker.spawn(async move {
            loop {
                let stopping = tokio::select! {
                    () = stop.cancelled() => true,
                    () = tokio::time::sleep(every) => false,
                };
                if let Err(e) = this.flush(&pool).await {
                    tracing::warn!(error = %e, "could not write page views; kept for the next try");
                }
                if stopping {
                    break;
                }
            }
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn views_accumulate_per_disclosure() {
        let c = ViewCounter::default();
        c.record(1);
        c.record(1);
        c.record(2);
        assert_eq!(c.pending(1), 2);
        assert_eq!(c.pending(2), 1);
        assert_eq!(c.pending(3), 0);
    }
}
