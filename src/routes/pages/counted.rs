//! Figures counted over whole tables (the home page's headline, /stats), shared by every
//! instance through the key-value store. Counting them takes seconds on a province's
//! database (docs/benchmarks.md, "A province on one machine"), so no reader waits for
//! it once they exist: a reader who finds them older than `fresh_for` is answered with
//! them as they are while one instance — whichever claims the refresh first — counts
//! again in the background. Only when there are none at all (a cold start, the store
//! lost) does a reader wait for the count, and then only one counts.

use std::future::Future;
use std::time::Duration;

use serde::Serialize;
use serde::de::DeserializeOwned;
use sqlx::PgPool;

use crate::kv::Kv;

/// How long figures are kept past their freshness, for readers while a refresh runs or
/// after one failed.
const KEPT_FOR: Duration = Duration::from_secs(3_600);

/// The figures under `key`, counted by `count` at most once per `fresh_for` across all
/// instances.
pub async fn figures<T, F, Fut>(
    pool: &PgPool,
    kv: &Kv,
    key: &'static str,
    fresh_for: Duration,
    count: F,
) -> Result<T, sqlx::Error>
where
    T: Serialize + DeserializeOwned + Send + Sync + 'static,
    F: FnOnce(PgPool) -> Fut + Send + 'static,
    Fut: Future<Output = Result<T, sqlx::Error>> + Send + 'static,
{
    let kept = match kv.get(key).await {
        Ok(Some(json)) => serde_json::from_str::<T>(&json).ok(),
        _ => None,
    };
    // The refresh claim doubles as the freshness mark: it lives `fresh_for`.
    let claim = format!("{key}:counting");
    let Some(kept) = kept else {
        // Cold: one reader counts, the others wait for its figures rather than all
        // counting at once (32 simultaneous counts of a province exhaust the pool).
        let claimed = matches!(kv.set_if_absent(&claim, "1", fresh_for).await, Ok(true));
        if !claimed && let Some(counted) = counted_by_another(kv, key).await {
            return Ok(counted);
        }
        let counted = count(pool.clone()).await?;
        store(kv, key, &counted).await;
        return Ok(counted);
    };
    if matches!(kv.set_if_absent(&claim, "1", fresh_for).await, Ok(true)) {
        let (pool, kv) = (pool.clone(), kv.clone());
        tokio::spawn(async move {
            match count(pool).await {
                Ok(counted) => store(&kv, key, &counted).await,
                Err(e) => tracing::warn!(error = %e, key, "could not count the figures again"),
            }
        });
    }
    Ok(kept)
}

/// How long a cold reader waits for the instance counting before counting itself.
const COLD_WAIT: Duration = Duration::from_secs(15);

/// The figures another reader is counting, once they are stored (within [`COLD_WAIT`]).
async fn counted_by_another<T: DeserializeOwned>(kv: &Kv, key: &str) -> Option<T> {
    let deadline = tokio::time::Instant::now() + COLD_WAIT;
    while tokio::time::Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(100)).await;
        if let Ok(Some(json)) = kv.get(key).await
            && let Ok(counted) = serde_json::from_str(&json)
        {
            return Some(counted);
        }
    }
    None
}

async fn store<T: Serialize>(kv: &Kv, key: &str, figures: &T) {
    if let Ok(json) = serde_json::to_string(figures)
        && let Err(e) = kv.set(key, &json, KEPT_FOR).await
    {
        tracing::warn!(error = %e, key, "could not keep the counted figures");
    }
}
