//! Credentials that WeChat issues for about 2 hours (the access_token, the jsapi_ticket):
//! one [`TokenStore`] interface with a Redis implementation shared by every instance and
//! an in-process one for a single instance, and [`current`], which reads a credential,
//! refreshes it ahead of expiry, and makes sure only one caller anywhere refreshes it
//! while the others wait for the new value.

use std::collections::HashMap;
use std::fmt;
use std::future::Future;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use futures::future::BoxFuture;
use tokio::sync::Notify;

use super::error::ApiError;
use crate::kv::{Kv, KvError};

/// Refresh this long before WeChat's expiry (WeChat overlaps old and new tokens for 5
/// minutes, and stable_token rotates 5 minutes ahead).
const REFRESH_MARGIN: Duration = Duration::from_secs(300);
/// How long the refresh lock lives if its holder dies: longer than one fetch with its
/// retries (see `RetryPolicy`).
pub const LOCK_TTL: Duration = Duration::from_secs(30);
/// How long a caller waits for another instance's refresh before giving up.
const WAIT_FOR_REFRESH: Duration = Duration::from_secs(32);
/// How often a waiting caller looks again (Redis has no cheap change notification).
const WAIT_SLICE: Duration = Duration::from_millis(25);

/// A credential as cached: the value, when to refresh it, when WeChat stops taking it.
#[derive(Clone, PartialEq, Eq)]
pub struct Cached {
    pub value: String,
    /// Unix milliseconds after which the next caller refreshes it.
    pub refresh_at_ms: i64,
    /// Unix milliseconds after which it is not used at all.
    pub expires_at_ms: i64,
}

/// The value is a credential: never printed.
impl fmt::Debug for Cached {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Cached")
            .field("value", &"[REDACTED]")
            .field("refresh_at_ms", &self.refresh_at_ms)
            .field("expires_at_ms", &self.expires_at_ms)
            .finish()
    }
}

pub(crate) fn now_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
}

fn ms(d: Duration) -> i64 {
    i64::try_from(d.as_millis()).unwrap_or(i64::MAX)
}

impl Cached {
    /// A credential WeChat just issued with `expires_in` seconds of life.
    pub fn issued(value: String, expires_in: u64) -> Cached {
        let now = now_ms();
        let life = Duration::from_secs(expires_in);
        // Refresh `REFRESH_MARGIN` ahead, but never later than half-way, so a short-lived
        // answer (stable_token returns the remaining life) is not refreshed on every call.
        let refresh_in = life.saturating_sub(REFRESH_MARGIN).max(life / 2);
        // Stop using it a little before WeChat does: clocks and requests take time.
        let guard = (life / 10).min(Duration::from_secs(30));
        Cached {
            value,
            refresh_at_ms: now.saturating_add(ms(refresh_in)),
            expires_at_ms: now.saturating_add(ms(life.saturating_sub(guard))),
        }
    }

    fn fresh(&self, now: i64) -> bool {
        now < self.refresh_at_ms
    }

    fn usable(&self, now: i64) -> bool {
        now < self.expires_at_ms
    }

    fn encode(&self) -> String {
        format!(
            "{}:{}:{}",
            self.refresh_at_ms, self.expires_at_ms, self.value
        )
    }

    fn decode(raw: &str) -> Option<Cached> {
        let mut parts = raw.splitn(3, ':');
        let refresh_at_ms = parts.next()?.parse().ok()?;
        let expires_at_ms = parts.next()?.parse().ok()?;
        let value = parts.next()?.to_owned();
        Some(Cached {
            value,
            refresh_at_ms,
            expires_at_ms,
        })
    }
}

/// Proof of holding a refresh lock; releasing needs it, so only the holder releases.
#[derive(Debug)]
pub struct LockId(String);

/// Where credentials are cached and who may refresh them. Two implementations: Redis
/// (every instance shares one value and one lock) and in-process (one instance).
pub trait TokenStore: Send + Sync {
    /// The cached credential, unless absent or past its expiry.
    fn get<'a>(&'a self, name: &'a str) -> BoxFuture<'a, Result<Option<Cached>, KvError>>;
    /// Stores a freshly issued credential until its expiry, and wakes waiters.
    fn put<'a>(&'a self, name: &'a str, cached: &'a Cached) -> BoxFuture<'a, Result<(), KvError>>;
    /// Drops the cached credential only while it is still `value`, so a caller holding
    /// a dead token cannot throw away the fresh one another caller just stored.
    fn invalidate_if<'a>(
        &'a self,
        name: &'a str,
        value: &'a str,
    ) -> BoxFuture<'a, Result<bool, KvError>>;
    /// Becomes the one refresher of `name` for at most `ttl`, or `None` when another
    /// caller (on any instance) already is.
    fn try_lock<'a>(
        &'a self,
        name: &'a str,
        ttl: Duration,
    ) -> BoxFuture<'a, Result<Option<LockId>, KvError>>;
    /// Releases a lock taken by `try_lock` (a no-op once it expired and passed on).
    fn unlock<'a>(&'a self, name: &'a str, lock: LockId) -> BoxFuture<'a, Result<(), KvError>>;
    /// Returns when `name` may have changed, or after `at_most`.
    fn wait<'a>(&'a self, name: &'a str, at_most: Duration) -> BoxFuture<'a, ()>;
}

/// The store for this deployment: Redis when configured, else in-process.
pub fn store_for(kv: &Kv) -> Arc<dyn TokenStore> {
    if kv.is_shared() {
        Arc::new(RedisTokenStore::new(kv.clone()))
    } else {
        Arc::new(MemoryTokenStore::default())
    }
}

/// Credentials in Redis under `wechat:<name>`, the lock under `wechat:<name>:lock`
/// (`SET NX PX` with a random value, released by compare-and-delete).
pub struct RedisTokenStore {
    kv: Kv,
}

impl RedisTokenStore {
    pub fn new(kv: Kv) -> RedisTokenStore {
        RedisTokenStore { kv }
    }
}

fn value_key(name: &str) -> String {
    format!("wechat:{name}")
}

fn lock_key(name: &str) -> String {
    format!("wechat:{name}:lock")
}

impl TokenStore for RedisTokenStore {
    fn get<'a>(&'a self, name: &'a str) -> BoxFuture<'a, Result<Option<Cached>, KvError>> {
        Box::pin(async move {
            let raw = self.kv.get(&value_key(name)).await?;
            let now = now_ms();
            Ok(raw
                .as_deref()
                .and_then(Cached::decode)
                .filter(|c| c.usable(now)))
        })
    }

    fn put<'a>(&'a self, name: &'a str, cached: &'a Cached) -> BoxFuture<'a, Result<(), KvError>> {
        Box::pin(async move {
            let left = cached.expires_at_ms.saturating_sub(now_ms()).max(1);
            let ttl = Duration::from_millis(u64::try_from(left).unwrap_or(1));
            self.kv.set(&value_key(name), &cached.encode(), ttl).await
        })
    }

    fn invalidate_if<'a>(
        &'a self,
        name: &'a str,
        value: &'a str,
    ) -> BoxFuture<'a, Result<bool, KvError>> {
        Box::pin(async move {
            let key = value_key(name);
            let Some(raw) = self.kv.get(&key).await? else {
                return Ok(false);
            };
            match Cached::decode(&raw) {
                Some(c) if c.value == value => self.kv.delete_if_equal(&key, &raw).await,
                _ => Ok(false),
            }
        })
    }

    fn try_lock<'a>(
        &'a self,
        name: &'a str,
        ttl: Duration,
    ) -> BoxFuture<'a, Result<Option<LockId>, KvError>> {
        Box::pin(async move {
            let id = uuid::Uuid::new_v4().simple().to_string();
            let won = self.kv.set_if_absent(&lock_key(name), &id, ttl).await?;
            Ok(won.then_some(LockId(id)))
        })
    }

    fn unlock<'a>(&'a self, name: &'a str, lock: LockId) -> BoxFuture<'a, Result<(), KvError>> {
        Box::pin(async move {
            self.kv.delete_if_equal(&lock_key(name), &lock.0).await?;
            Ok(())
        })
    }

    fn wait<'a>(&'a self, _name: &'a str, at_most: Duration) -> BoxFuture<'a, ()> {
        Box::pin(tokio::time::sleep(at_most.min(WAIT_SLICE)))
    }
}

/// Credentials in this process only (`redis.url` empty): one instance, one refresher.
#[derive(Default)]
pub struct MemoryTokenStore {
    state: Mutex<MemoryState>,
    changed: Notify,
}

#[derive(Default)]
struct MemoryState {
    values: HashMap<String, Cached>,
    locks: HashMap<String, (String, Instant)>,
}

impl MemoryTokenStore {
    fn with<T>(&self, f: impl FnOnce(&mut MemoryState) -> T) -> T {
        let mut state = self
            .state
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        f(&mut state)
    }
}

impl TokenStore for MemoryTokenStore {
    fn get<'a>(&'a self, name: &'a str) -> BoxFuture<'a, Result<Option<Cached>, KvError>> {
        let now = now_ms();
        let found = self.with(|s| s.values.get(name).filter(|c| c.usable(now)).cloned());
        Box::pin(async move { Ok(found) })
    }

    fn put<'a>(&'a self, name: &'a str, cached: &'a Cached) -> BoxFuture<'a, Result<(), KvError>> {
        self.with(|s| s.values.insert(name.to_owned(), cached.clone()));
        self.changed.notify_waiters();
        Box::pin(async { Ok(()) })
    }

    fn invalidate_if<'a>(
        &'a self,
        name: &'a str,
        value: &'a str,
    ) -> BoxFuture<'a, Result<bool, KvError>> {
        let removed = self.with(|s| {
            if s.values.get(name).is_some_and(|c| c.value == value) {
                s.values.remove(name);
                true
            } else {
                false
            }
        });
        Box::pin(async move { Ok(removed) })
    }

    fn try_lock<'a>(
        &'a self,
        name: &'a str,
        ttl: Duration,
    ) -> BoxFuture<'a, Result<Option<LockId>, KvError>> {
        let now = Instant::now();
        let id = uuid::Uuid::new_v4().simple().to_string();
        let won = self.with(|s| {
            if s.locks.get(name).is_some_and(|(_, until)| *until > now) {
                return false;
            }
            s.locks.insert(name.to_owned(), (id.clone(), now + ttl));
            true
        });
        Box::pin(async move { Ok(won.then_some(LockId(id))) })
    }

    fn unlock<'a>(&'a self, name: &'a str, lock: LockId) -> BoxFuture<'a, Result<(), KvError>> {
        self.with(|s| {
            if s.locks.get(name).is_some_and(|(id, _)| *id == lock.0) {
                s.locks.remove(name);
            }
        });
        self.changed.notify_waiters();
        Box::pin(async { Ok(()) })
    }

    fn wait<'a>(&'a self, _name: &'a str, at_most: Duration) -> BoxFuture<'a, ()> {
        Box::pin(async move {
            // Bounded by a slice as well, so a wake-up that raced ahead of this call
            // costs at most one slice.
            let _ =
                tokio::time::timeout(at_most.min(WAIT_SLICE * 4), self.changed.notified()).await;
        })
    }
}

/// A credential as WeChat issued it.
pub struct Issued {
    pub value: String,
    pub expires_in: u64,
}

/// The current value of credential `name`: the cached one while fresh; otherwise this
/// caller refreshes it with `fetch` if it wins the lock, or uses the old value while
/// still valid, or waits for whoever holds the lock to store the new one.
pub async fn current<F, Fut>(
    store: &dyn TokenStore,
    name: &str,
    what: &'static str,
    fetch: F,
) -> Result<String, ApiError>
where
    F: Fn() -> Fut,
    Fut: Future<Output = Result<Issued, ApiError>>,
{
    let deadline = Instant::now() + WAIT_FOR_REFRESH;
    loop {
        let cached = store.get(name).await?;
        if let Some(c) = cached.as_ref().filter(|c| c.fresh(now_ms())) {
            return Ok(c.value.clone());
        }
        if let Some(lock) = store.try_lock(name, LOCK_TTL).await? {
            let result = refresh_locked(store, name, what, &fetch, cached.as_ref()).await;
            if let Err(e) = store.unlock(name, lock).await {
                tracing::warn!(error = %e, credential = what, "cannot release the refresh lock; it expires by itself");
            }
            return result;
        }
        // Someone else is refreshing: a still-valid old value will do meanwhile.
        if let Some(c) = cached.filter(|c| c.usable(now_ms())) {
            return Ok(c.value);
        }
        let left = deadline.saturating_duration_since(Instant::now());
        if left.is_zero() {
            return Err(ApiError::RefreshTimedOut(what));
        }
        store.wait(name, left).await;
    }
}

async fn refresh_locked<F, Fut>(
    store: &dyn TokenStore,
    name: &str,
    what: &'static str,
    fetch: &F,
    before: Option<&Cached>,
) -> Result<String, ApiError>
where
    F: Fn() -> Fut,
    Fut: Future<Output = Result<Issued, ApiError>>,
{
    // The previous holder may have stored a new value between our read and our lock.
    if let Some(c) = store.get(name).await?.filter(|c| c.fresh(now_ms())) {
        return Ok(c.value);
    }
    match fetch().await {
        Ok(issued) => {
            let cached = Cached::issued(issued.value, issued.expires_in);
            store.put(name, &cached).await?;
            tracing::info!(
                credential = what,
                expires_in_s = issued.expires_in,
                "fetched a new credential from WeChat"
            );
            Ok(cached.value)
        }
        Err(e) => match before {
            Some(c) if c.usable(now_ms()) => {
                tracing::warn!(error = %e, credential = what, "refresh failed; the current one is still valid");
                Ok(c.value.clone())
            }
            _ => Err(e),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicUsize, Ordering};

    #[test]
    fn issued_credentials_refresh_ahead_and_expire_early() {
        let c = Cached::issued("t".into(), 7200);
        let now = now_ms();
        let refresh_in = c.refresh_at_ms - now;
        assert!(
            (6_890_000..=6_900_000).contains(&refresh_in),
            "{refresh_in}"
        );
        let expires_in = c.expires_at_ms - now;
        assert!(
            (7_160_000..=7_170_000).contains(&expires_in),
            "{expires_in}"
        );
        // A stable_token with 300 s left is refreshed half-way, not on every call.
        let short = Cached::issued("t".into(), 300);
        assert!(short.refresh_at_ms - now >= 149_000);
        assert_eq!(Cached::decode(&c.encode()), Some(c));
        assert!(!format!("{short:?}").contains("\"t\""));
    }

    // On a paused clock: the fetch's 50 ms pass only while every caller waits.
    #[tokio::test(start_paused = true)]
    async fn memory_store_fetches_once_for_many_concurrent_callers() {
        let store = MemoryTokenStore::default();
        let fetches = AtomicUsize::new(0);
        let fetch = || async {
            fetches.fetch_add(1, Ordering::SeqCst);
            tokio::time::sleep(Duration::from_millis(50)).await;
            Ok(Issued {
                value: "TOKEN".into(),
                expires_in: 7200,
            })
        };
        let calls = (0..50).map(|_| current(&store, "app:access_token", "access_token", fetch));
        let results = futures::future::join_all(calls).await;
        assert!(results.iter().all(|r| r.as_deref().ok() == Some("TOKEN")));
        assert_eq!(fetches.load(Ordering::SeqCst), 1);
    }

    fn due(value: &str) -> Cached {
        let now = now_ms();
        Cached {
            value: value.into(),
            refresh_at_ms: now - 1,
            expires_at_ms: now + 60_000,
        }
    }

    #[tokio::test]
    async fn a_credential_due_for_refresh_is_replaced_before_it_expires() {
        let store = MemoryTokenStore::default();
        store.put("n", &due("OLD")).await.unwrap();
        let fetched = current(&store, "n", "access_token", || async {
            Ok(Issued {
                value: "NEW".into(),
                expires_in: 7200,
            })
        })
        .await
        .unwrap();
        assert_eq!(fetched, "NEW");
        assert_eq!(store.get("n").await.unwrap().unwrap().value, "NEW");
    }

    #[tokio::test]
    async fn while_another_caller_refreshes_a_still_valid_credential_is_used() {
        let store = MemoryTokenStore::default();
        store.put("n", &due("OLD")).await.unwrap();
        let lock = store.try_lock("n", LOCK_TTL).await.unwrap().unwrap();
        let got = current(&store, "n", "access_token", || async {
            panic!("only the lock holder fetches")
        })
        .await
        .unwrap();
        assert_eq!(got, "OLD");
        store.unlock("n", lock).await.unwrap();
    }

    #[tokio::test]
    async fn a_failed_refresh_falls_back_to_the_still_valid_credential() {
        let store = MemoryTokenStore::default();
        store.put("n", &due("OLD")).await.unwrap();
        let got = current(&store, "n", "access_token", || async {
            Err(ApiError::RefreshTimedOut("access_token"))
        })
        .await
        .unwrap();
        assert_eq!(got, "OLD");
    }

    #[tokio::test]
    async fn memory_store_invalidates_only_the_failing_value() {
        let store = MemoryTokenStore::default();
        store
            .put("n", &Cached::issued("NEW".into(), 7200))
            .await
            .unwrap();
        assert!(!store.invalidate_if("n", "OLD").await.unwrap());
        assert_eq!(store.get("n").await.unwrap().unwrap().value, "NEW");
        assert!(store.invalidate_if("n", "NEW").await.unwrap());
        assert!(store.get("n").await.unwrap().is_none());
    }
}
