//! What an operator's Prometheus scrapes at `/metrics` (docs/deploy.md, "Observability"):
//! counters and histograms that requests update as they pass, and gauges read from
//! Postgres and the pool at scrape time, so that the outbox and the deadlines are the
//! truth of the whole deployment rather than of one instance. One registry per
//! application (tests run several in one process and each reads its own).

use std::sync::Arc;
use std::sync::atomic::AtomicU64;
use std::time::Duration;

use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::{Histogram, exponential_buckets};
use prometheus_client::registry::Registry;
use sqlx::PgPool;

use crate::storage;

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct RequestLabels {
    /// The route's pattern (`/v/{code}`), never the path: a path names a village or a
    /// tracking number, and arbitrary paths would make the series unbounded.
    route: String,
    method: String,
    status: u16,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct RouteLabels {
    route: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct KindLabels {
    kind: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct FailureLabels {
    status: String,
    code: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct PoolLabels {
    state: &'static str,
}

fn latency_buckets() -> Histogram {
    // 0.25 ms to about 4 s: a webhook reply is well under a millisecond, a page a few.
    Histogram::new(exponential_buckets(0.000_25, 2.0, 15))
}

/// The counters a request path updates. Cheap to clone: every field shares its value.
#[derive(Clone)]
pub struct Metrics {
    registry: Arc<Registry>,
    requests: Family<RequestLabels, Counter>,
    latency: Family<RouteLabels, Histogram, fn() -> Histogram>,
    gauges: Gauges,
}

/// What the webhook counts as messages pass; owned by the webhook, shown here.
#[derive(Clone, Default)]
pub struct WebhookCounters {
    messages: Family<KindLabels, Counter>,
    dedup_hits: Counter,
}

impl WebhookCounters {
    pub fn message(&self, kind: &'static str) {
        self.messages.get_or_create(&KindLabels { kind }).inc();
    }

    pub fn dedup_hit(&self) {
        self.dedup_hits.inc();
    }
}

/// Read at scrape time.
#[derive(Clone, Default)]
struct Gauges {
    outbox_pending: Gauge,
    outbox_oldest_due_seconds: Gauge<f64, AtomicU64>,
    outbox_failures: Family<FailureLabels, Gauge>,
    complaints_overdue: Gauge,
    pool: Family<PoolLabels, Gauge>,
}

/// Counters owned elsewhere (the Redis wrapper, the token store) and shown here.
pub struct Sources {
    pub redis_errors: Counter,
    pub token_refreshes: Counter,
    pub webhook: WebhookCounters,
}

impl Metrics {
    pub fn new(sources: Sources) -> Metrics {
        let mut registry = Registry::with_prefix("sunvillage");
        let requests = Family::<RequestLabels, Counter>::default();
        registry.register(
            "http_requests",
            "HTTP requests answered, by route pattern, method and status",
            requests.clone(),
        );
        let latency = Family::new_with_constructor(latency_buckets as fn() -> Histogram);
        registry.register(
            "http_request_duration_seconds",
            "Time to answer, by route pattern",
            latency.clone(),
        );
        registry.register(
            "webhook_messages",
            "Webhook messages opened, by MsgType (or event)",
            sources.webhook.messages,
        );
        registry.register(
            "webhook_dedup_hits",
            "WeChat retries answered from the de-duplication store or while the first delivery worked",
            sources.webhook.dedup_hits,
        );
        registry.register(
            "redis_errors",
            "Redis commands that failed or timed out",
            sources.redis_errors,
        );
        registry.register(
            "wechat_token_refreshes",
            "access_token fetches from WeChat by this instance",
            sources.token_refreshes,
        );
        let gauges = Gauges::default();
        registry.register(
            "outbox_pending",
            "Template messages not yet sent nor given up, across all instances (the outbox's depth)",
            gauges.outbox_pending.clone(),
        );
        registry.register(
            "outbox_oldest_due_seconds",
            "How long the oldest template message whose time has come has waited (it grows while WeChat fails)",
            gauges.outbox_oldest_due_seconds.clone(),
        );
        registry.register(
            "outbox_failures",
            "Template messages whose last attempt failed, by status (pending: will retry; failed: given up) and WeChat errcode",
            gauges.outbox_failures.clone(),
        );
        registry.register(
            "complaints_overdue",
            "Complaints past the statutory deadline of their current status",
            gauges.complaints_overdue.clone(),
        );
        registry.register(
            "db_pool_connections",
            "Database pool connections: in_use, idle, max",
            gauges.pool.clone(),
        );
        Metrics {
            registry: Arc::new(registry),
            requests,
            latency,
            gauges,
        }
    }

    /// One answered request; `route` is its pattern, or None when nothing matched.
    pub fn observe_request(&self, route: Option<&str>, method: &str, status: u16, took: Duration) {
        let route = route.unwrap_or("unmatched").to_owned();
        self.latency
            .get_or_create(&RouteLabels {
                route: route.clone(),
            })
            .observe(took.as_secs_f64());
        self.requests
            .get_or_create(&RequestLabels {
                route,
                method: method.to_owned(),
                status,
            })
            .inc();
    }

    /// The exposition: reads the gauges from `pool`, then encodes everything. A gauge
    /// whose query fails keeps its last value, and the failure is logged, so a slow
    /// database shows in the pool gauges instead of an empty scrape.
    pub async fn render(&self, pool: &PgPool) -> String {
        self.read_gauges(pool).await;
        let mut out = String::new();
        if let Err(e) = prometheus_client::encoding::text::encode(&mut out, &self.registry) {
            tracing::error!(error = %e, "metrics could not be encoded");
        }
        out
    }

    async fn read_gauges(&self, pool: &PgPool) {
        let g = &self.gauges;
        let size = i64::from(pool.size());
        let idle = i64::try_from(pool.num_idle()).unwrap_or(i64::MAX);
        g.pool
            .get_or_create(&PoolLabels { state: "in_use" })
            .set(size - idle);
        g.pool
            .get_or_create(&PoolLabels { state: "idle" })
            .set(idle);
        g.pool
            .get_or_create(&PoolLabels { state: "max" })
            .set(i64::from(pool.options().get_max_connections()));
        match storage::gauges::read(pool).await {
            Ok(read) => {
                g.outbox_pending.set(read.outbox_pending);
                g.outbox_oldest_due_seconds
                    .set(read.outbox_oldest_due_seconds);
                g.complaints_overdue.set(read.complaints_overdue);
                g.outbox_failures.clear();
                for f in read.outbox_failures {
                    g.outbox_failures
                        .get_or_create(&FailureLabels {
                            status: f.status,
                            code: f.code,
                        })
                        .set(f.count);
                }
            }
            Err(e) => tracing::warn!(error = %e, "metrics: the database gauges could not be read"),
        }
    }
}
