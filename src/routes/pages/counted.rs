//! Figures counted over whole tables (the home page's headline, /stats), shared by every
//! instance through the key-value store. Counting them takes seconds on a province's
//! database (docs/benchmarks.md, "A province on one machine"), so no reader waits for
//! it once they exist: a reader who finds them older than `fresh_for` is answered with
//! them as they are while one instance — whichever claims the refresh first — counts
//! again in the background. Only when there are none at all (a cold start, the store
//! lost) does a reader wait for the count.

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
        let _ = kv.set(&claim, "1", fresh_for).await;
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

async fn store<T: Serialize>(kv: &Kv, key: &str, figures: &T) {
    if let Ok(json) = serde_json::to_string(figures)
        && let Err(e) = kv.set(key, &json, KEPT_FOR).await
    {
        tracing::warn!(error = %e, key, "could not keep the counted figures");
    }
}
