//! Short-lived shared state: de-duplication keys, locks, rate-limit counters, tokens.
//! Redis when `redis.url` is set (every instance shares it); otherwise an in-process map
//! that serves one instance only. Every key gets the configured prefix.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::thread::ThreadId;
use std::time::Duration;

// Tokio's clock (the system's, unless a test pauses it), so that TTLs can be tested on
// a paused clock.
use tokio::time::Instant;

use std::sync::RwLock;
use std::sync::atomic::{AtomicU64, Ordering};

use redis::AsyncConnectionConfig;
use redis::aio::MultiplexedConnection;
use secrecy::ExposeSecret;

use crate::configuration::RedisSettings;

/// Longest wait for one Redis command, so a stalled Redis cannot stall a webhook reply.
const COMMAND_TIMEOUT: Duration = Duration::from_secs(2);
/// Longest wait for a new connection.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(1);
/// Connections kept at most, one per thread that used Redis.
const MAX_CONNECTIONS: usize = 64;

#[derive(Debug, thiserror::Error)]
pub enum KvError {
    #[error("redis: {0}")]
    Redis(#[from] redis::RedisError),
    #[error("redis did not answer within {0:?}")]
    Timeout(Duration),
    #[error("redis cannot be reached")]
    Unavailable,
}

/// The store; cheap to clone.
#[derive(Clone)]
pub struct Kv {
    prefix: Arc<str>,
    backend: Backend,
}

#[derive(Clone)]
enum Backend {
    Redis(Arc<RedisBackend>),
    Memory(Arc<MemoryBackend>),
}

/// One multiplexed connection per thread that uses it (concurrent commands on a thread
/// share it and are pipelined on the wire), made on first use and made again by the
/// first command after it breaks: no back-off to wait out, so the service is whole again
/// as soon as Redis answers, and it starts (and reports itself unhealthy) while Redis is
/// down. Per thread because a connection's driver runs where it was made: made on an
/// actix worker, the worker's commands are written and answered on its own thread, where
/// one shared connection sent every command across to another runtime and back (a
/// quarter of the webhook's CPU went to those thread switches; docs/benchmarks.md).
struct RedisBackend {
    client: redis::Client,
    /// Each thread's connection and its generation, so that a failure forgets only the
    /// connection it happened on, not a newer one.
    current: RwLock<HashMap<ThreadId, (u64, MultiplexedConnection)>>,
    /// One connection attempt at a time; those waiting share its outcome.
    connecting: tokio::sync::Mutex<()>,
    generation: AtomicU64,
    failed_attempts: AtomicU64,
    /// Commands that failed, for /metrics.
    errors: prometheus_client::metrics::counter::Counter,
}

#[derive(Default)]
struct MemoryBackend {
    entries: Mutex<HashMap<String, MemoryEntry>>,
}

struct MemoryEntry {
    value: String,
    expires: Option<Instant>,
}

impl MemoryEntry {
    fn live(&self, now: Instant) -> bool {
        self.expires.is_none_or(|t| t > now)
    }
}

/// Deletes a key only when it still holds the value we set (releasing our own lock).
const DELETE_IF_EQUAL: &str = r"
if redis.call('GET', KEYS[1]) == ARGV[1] then
    return redis.call('DEL', KEYS[1])
end
return 0";

/// Increments a counter and starts its expiry on the first increment.
const INCR_WITH_TTL: &str = r"
local n = redis.call('INCR', KEYS[1])
if n == 1 then redis.call('PEXPIRE', KEYS[1], ARGV[1]) end
return n";

impl Kv {
    pub fn from_settings(settings: &RedisSettings) -> Result<Kv, KvError> {
        if settings.is_configured() {
            Kv::redis(settings.url.expose_secret(), &settings.key_prefix)
        } else {
            Ok(Kv::memory(&settings.key_prefix))
        }
    }

    pub fn redis(url: &str, prefix: &str) -> Result<Kv, KvError> {
        Ok(Kv {
            prefix: prefix.into(),
            backend: Backend::Redis(Arc::new(RedisBackend {
                client: redis::Client::open(url)?,
                current: RwLock::default(),
                connecting: tokio::sync::Mutex::new(()),
                generation: AtomicU64::new(0),
                failed_attempts: AtomicU64::new(0),
                errors: Default::default(),
            })),
        })
    }

    pub fn memory(prefix: &str) -> Kv {
        Kv {
            prefix: prefix.into(),
            backend: Backend::Memory(Arc::default()),
        }
    }

    /// "redis" or "in-process", for logs and /healthz.
    pub fn kind(&self) -> &'static str {
        match self.backend {
            Backend::Redis(_) => "redis",
            Backend::Memory(_) => "in-process",
        }
    }

    pub fn is_shared(&self) -> bool {
        matches!(self.backend, Backend::Redis(_))
    }

    /// Failed Redis commands so far (always 0 for the in-process store), for /metrics.
    pub fn error_counter(&self) -> prometheus_client::metrics::counter::Counter {
        match &self.backend {
            Backend::Redis(r) => r.errors.clone(),
            Backend::Memory(_) => Default::default(),
        }
    }

    fn key(&self, key: &str) -> String {
        format!("{}{key}", self.prefix)
    }

    pub async fn ping(&self) -> Result<(), KvError> {
        match &self.backend {
            Backend::Redis(r) => {
                let _: String = r.run(&redis::cmd("PING")).await?;
                Ok(())
            }
            Backend::Memory(_) => Ok(()),
        }
    }

    pub async fn get(&self, key: &str) -> Result<Option<String>, KvError> {
        let key = self.key(key);
        match &self.backend {
            Backend::Redis(r) => r.run(redis::cmd("GET").arg(key)).await,
            Backend::Memory(m) => Ok(m.with(|map, now| {
                map.get(&key)
                    .filter(|e| e.live(now))
                    .map(|e| e.value.clone())
            })),
        }
    }

    /// Sets a value that expires after `ttl`.
    pub async fn set(&self, key: &str, value: &str, ttl: Duration) -> Result<(), KvError> {
        let key = self.key(key);
        match &self.backend {
            Backend::Redis(r) => {
                let ms = ttl_ms(ttl);
                let _: () = r
                    .run(redis::cmd("SET").arg(key).arg(value).arg("PX").arg(ms))
                    .await?;
                Ok(())
            }
            Backend::Memory(m) => {
                m.with(|map, now| {
                    map.insert(
                        key,
                        MemoryEntry {
                            value: value.to_owned(),
                            expires: Some(now + ttl),
                        },
                    )
                });
                Ok(())
            }
        }
    }

    /// Sets the value only when the key is absent (`SET NX PX`); true when it was set.
    pub async fn set_if_absent(
        &self,
        key: &str,
        value: &str,
        ttl: Duration,
    ) -> Result<bool, KvError> {
        let key = self.key(key);
        match &self.backend {
            Backend::Redis(r) => {
                let ms = ttl_ms(ttl);
                let reply: Option<String> = r
                    .run(
                        redis::cmd("SET")
                            .arg(key)
                            .arg(value)
                            .arg("NX")
                            .arg("PX")
                            .arg(ms),
                    )
                    .await?;
                Ok(reply.is_some())
            }
            Backend::Memory(m) => Ok(m.with(|map, now| {
                if map.get(&key).is_some_and(|e| e.live(now)) {
                    return false;
                }
                map.insert(
                    key,
                    MemoryEntry {
                        value: value.to_owned(),
                        expires: Some(now + ttl),
                    },
                );
                true
            })),
        }
    }

    pub async fn delete(&self, key: &str) -> Result<(), KvError> {
        let key = self.key(key);
        match &self.backend {
            Backend::Redis(r) => {
                let _: i64 = r.run(redis::cmd("DEL").arg(key)).await?;
                Ok(())
            }
            Backend::Memory(m) => {
                m.with(|map, _| map.remove(&key));
                Ok(())
            }
        }
    }

    /// Deletes the key only if it still holds `value`; true when deleted.
    pub async fn delete_if_equal(&self, key: &str, value: &str) -> Result<bool, KvError> {
        let key = self.key(key);
        match &self.backend {
            Backend::Redis(r) => {
                let mut cmd = redis::cmd("EVAL");
                cmd.arg(DELETE_IF_EQUAL).arg(1).arg(key).arg(value);
                let n: i64 = r.run(&cmd).await?;
                Ok(n == 1)
            }
            Backend::Memory(m) => Ok(m.with(|map, now| {
                if map
                    .get(&key)
                    .is_some_and(|e| e.live(now) && e.value == value)
                {
                    map.remove(&key);
                    true
                } else {
                    false
                }
            })),
        }
    }

    /// Adds one to a counter whose life starts at its first increment; returns the count.
    pub async fn increment(&self, key: &str, ttl: Duration) -> Result<i64, KvError> {
        let key = self.key(key);
        match &self.backend {
            Backend::Redis(r) => {
                let mut cmd = redis::cmd("EVAL");
                cmd.arg(INCR_WITH_TTL).arg(1).arg(key).arg(ttl_ms(ttl));
                r.run(&cmd).await
            }
            Backend::Memory(m) => Ok(m.with(|map, now| {
                let entry = map
                    .entry(key)
                    .and_modify(|e| {
                        if !e.live(now) {
                            e.value = "0".into();
                            e.expires = Some(now + ttl);
                        }
                    })
                    .or_insert_with(|| MemoryEntry {
                        value: "0".into(),
                        expires: Some(now + ttl),
                    });
                let n = entry.value.parse::<i64>().unwrap_or(0) + 1;
                entry.value = n.to_string();
                n
            })),
        }
    }

    /// Removes every key under this store's prefix (test clean-up).
    pub async fn delete_all_with_prefix(&self) -> Result<(), KvError> {
        match &self.backend {
            Backend::Redis(r) => {
                let pattern = format!("{}*", self.prefix);
                let mut cursor: u64 = 0;
                loop {
                    let (next, keys): (u64, Vec<String>) = r
                        .run(
                            redis::cmd("SCAN")
                                .arg(cursor)
                                .arg("MATCH")
                                .arg(&pattern)
                                .arg("COUNT")
                                .arg(500),
                        )
                        .await?;
                    if !keys.is_empty() {
                        let _: i64 = r.run(redis::cmd("DEL").arg(keys)).await?;
                    }
                    if next == 0 {
                        return Ok(());
                    }
                    cursor = next;
                }
            }
            Backend::Memory(m) => {
                m.with(|map, _| map.clear());
                Ok(())
            }
        }
    }
}

fn ttl_ms(ttl: Duration) -> u64 {
    u64::try_from(ttl.as_millis()).unwrap_or(u64::MAX).max(1)
}

impl RedisBackend {
    fn cached(&self) -> Option<(u64, MultiplexedConnection)> {
        let me = std::thread::current().id();
        self.current.read().ok().and_then(|c| c.get(&me).cloned())
    }

    async fn connection(&self) -> Result<(u64, MultiplexedConnection), KvError> {
        if let Some(found) = self.cached() {
            return Ok(found);
        }
        let failures_before = self.failed_attempts.load(Ordering::Acquire);
        let _attempt = self.connecting.lock().await;
        if let Some(found) = self.cached() {
            return Ok(found);
        }
        // An attempt failed while this one waited: share its outcome instead of
        // queueing one more attempt behind every waiter.
        if self.failed_attempts.load(Ordering::Acquire) != failures_before {
            return Err(KvError::Unavailable);
        }
        let config = AsyncConnectionConfig::new()
            .set_connection_timeout(CONNECT_TIMEOUT)
            .set_response_timeout(COMMAND_TIMEOUT);
        let connected = tokio::time::timeout(
            CONNECT_TIMEOUT,
            self.client
                .get_multiplexed_async_connection_with_config(&config),
        )
        .await
        .map_err(|_| KvError::Timeout(CONNECT_TIMEOUT))
        .and_then(|r| r.map_err(KvError::from));
        match connected {
            Ok(connection) => {
                let generation = self.generation.fetch_add(1, Ordering::AcqRel) + 1;
                if let Ok(mut current) = self.current.write() {
                    // Threads are a fixed set (actix's workers, Tokio's); should one come
                    // and go for ever, start afresh rather than keep the dead ones'.
                    if current.len() >= MAX_CONNECTIONS {
                        current.clear();
                    }
                    current.insert(
                        std::thread::current().id(),
                        (generation, connection.clone()),
                    );
                }
                Ok((generation, connection))
            }
            Err(e) => {
                self.failed_attempts.fetch_add(1, Ordering::AcqRel);
                Err(e)
            }
        }
    }

    /// Drops the connection of `generation` after it failed; the next command connects.
    fn forget(&self, generation: u64) {
        if let Ok(mut current) = self.current.write() {
            current.retain(|_, (g, _)| *g != generation);
        }
    }

    async fn run<T: redis::FromRedisValue>(&self, cmd: &redis::Cmd) -> Result<T, KvError> {
        let result = self.run_once_more_on_break(cmd).await;
        if result.is_err() {
            self.errors.inc();
        }
        result
    }

    async fn run_once_more_on_break<T: redis::FromRedisValue>(
        &self,
        cmd: &redis::Cmd,
    ) -> Result<T, KvError> {
        // A connection that broke (Redis restarted) fails the first command on it: that
        // command is tried once more on a new connection, so the caller never sees it.
        for retry in [true, false] {
            let (generation, mut connection) = self.connection().await?;
            match tokio::time::timeout(COMMAND_TIMEOUT, cmd.query_async(&mut connection)).await {
                Ok(Ok(value)) => return Ok(value),
                Ok(Err(e)) if broken(&e) => {
                    self.forget(generation);
                    if !retry {
                        return Err(e.into());
                    }
                }
                Ok(Err(e)) => return Err(e.into()),
                Err(_) => {
                    self.forget(generation);
                    return Err(KvError::Timeout(COMMAND_TIMEOUT));
                }
            }
        }
        Err(KvError::Unavailable)
    }
}

/// Whether an error means the connection itself is gone.
fn broken(e: &redis::RedisError) -> bool {
    e.is_io_error()
        || e.is_connection_dropped()
        || e.is_connection_refusal()
        || e.is_unrecoverable_error()
        || e.is_timeout()
}

impl MemoryBackend {
    fn with<T>(&self, f: impl FnOnce(&mut HashMap<String, MemoryEntry>, Instant) -> T) -> T {
        let now = Instant::now();
        let mut map = self
            .entries
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        // Expired entries are swept when the map grows, so memory stays bounded by the
        // live keys without a background task.
        if map.len() > 1024 && map.len().is_power_of_two() {
            map.retain(|_, e| e.live(now));
        }
        f(&mut map, now)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test(start_paused = true)]
    async fn memory_store_honours_nx_ttl_and_compare_delete() {
        let kv = Kv::memory("t:");
        assert!(
            kv.set_if_absent("a", "1", Duration::from_millis(50))
                .await
                .unwrap()
        );
        assert!(
            !kv.set_if_absent("a", "2", Duration::from_secs(5))
                .await
                .unwrap()
        );
        assert_eq!(kv.get("a").await.unwrap().as_deref(), Some("1"));
        assert!(!kv.delete_if_equal("a", "2").await.unwrap());
        assert!(kv.delete_if_equal("a", "1").await.unwrap());
        assert_eq!(kv.get("a").await.unwrap(), None);
        kv.set("b", "x", Duration::from_millis(1)).await.unwrap();
        tokio::time::advance(Duration::from_millis(5)).await;
        assert_eq!(kv.get("b").await.unwrap(), None);
        assert_eq!(kv.increment("c", Duration::from_secs(5)).await.unwrap(), 1);
        assert_eq!(kv.increment("c", Duration::from_secs(5)).await.unwrap(), 2);
    }
}
