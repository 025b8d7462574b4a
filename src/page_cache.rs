//! Public pages kept rendered and gzip-compressed in this instance's memory until what
//! they show changes, so that a village page read by a whole village after the evening
//! push costs one render, not one per reader.
//!
//! What may be served and for how long:
//! - Postgres says what changed: triggers on every table a cached page reads send
//!   `NOTIFY page_changed` with the region on commit (`migrations/*_page_changed.sql`),
//!   to every instance. [`listen`] evicts each page of that region, of the places above
//!   it (a township's page counts its villages' disclosures, the home page the city's)
//!   and below it (a township office's supervisors appear on each of its villages' pages).
//! - The notification travels after the commit: a read that arrives within its delivery
//!   (about a millisecond; a test that writes and reads at once sees it) may still get
//!   the page from before. A reviewer who approves and then opens the page never does.
//! - Nothing is served or stored while the LISTEN connection is down: notifications sent
//!   then are lost, so the cache empties and waits for a new connection.
//! - A page rendered while any invalidation arrived is answered but not stored: it may
//!   hold what was read before the change.
//! - With a read replica, pages rendered shortly after an invalidation are not stored
//!   either: the replica may not have the change yet (its lag, "a second or so").
//! - Nothing lives longer than `pages.cache_seconds` (a page also says "5个月前" and counts
//!   the complaints of the month); a cached answer carries `Age`, so a browser's own
//!   `max-age` counts from the render and a reader never sees a page older than that.

use std::collections::HashMap;
use std::io::{Read, Write};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, RwLock};
use std::time::{Duration, Instant};

use actix_web::HttpRequest;
use actix_web::http::header::{self, HeaderValue};
use actix_web::web::Bytes;
use actix_web::{HttpResponse, http::StatusCode};
use sha1::{Digest, Sha1};
use sqlx::PgPool;
use sqlx::postgres::PgListener;
use tokio_util::sync::CancellationToken;

/// The channel the triggers notify.
pub const CHANNEL: &str = "page_changed";

/// Which rendering of a page: its path and the reader's text size (长辈模式).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Key {
    pub path: String,
    pub large_text: bool,
}

/// A rendered page as stored.
#[derive(Debug)]
pub struct Page {
    /// The region the page shows ("" for the home page: every change concerns it).
    region: String,
    gzip: Bytes,
    etag: HeaderValue,
    made: Instant,
}

/// Taken before a page reads the database; a page whose ticket is older than the last
/// invalidation is not stored.
#[derive(Debug, Clone, Copy)]
pub struct Ticket {
    seq: u64,
}

#[derive(Debug, Clone, Copy)]
pub struct CacheLimits {
    /// How long a page is kept at most; zero turns the cache off.
    pub ttl: Duration,
    /// After an invalidation, how long nothing is stored (a replica's lag).
    pub settle: Duration,
    /// Compressed bytes kept at most.
    pub max_bytes: usize,
}

#[derive(Default)]
struct Entries {
    map: HashMap<Key, Arc<Page>>,
    bytes: usize,
}

struct Inner {
    limits: CacheLimits,
    entries: RwLock<Entries>,
    /// Bumped by every invalidation and by every loss of the LISTEN connection.
    seq: AtomicU64,
    /// Whether invalidations are being received.
    live: AtomicBool,
    last_invalidation: Mutex<Option<Instant>>,
}

/// Shared by every worker of an instance.
#[derive(Clone)]
pub struct PageCache {
    inner: Arc<Inner>,
}

/// Does a change of `changed` concern a page of `region`: the same place, one above it,
/// or one below it.
fn related(region: &str, changed: &str) -> bool {
    region.starts_with(changed) || changed.starts_with(region)
}

fn gzip(html: &str) -> Bytes {
    let mut out = flate2::write::GzEncoder::new(
        Vec::with_capacity(html.len() / 4),
        flate2::Compression::default(),
    );
    // Writing to a Vec cannot fail.
    let _ = out.write_all(html.as_bytes());
    Bytes::from(out.finish().unwrap_or_default())
}

fn etag(html: &str) -> HeaderValue {
    let digest = Sha1::digest(html.as_bytes());
    let hex: String = digest[..8].iter().map(|b| format!("{b:02x}")).collect();
    HeaderValue::from_str(&format!("\"{hex}\"")).unwrap_or(HeaderValue::from_static("\"\""))
}

impl PageCache {
    pub fn new(limits: CacheLimits) -> PageCache {
        PageCache {
            inner: Arc::new(Inner {
                limits,
                entries: RwLock::default(),
                seq: AtomicU64::new(0),
                live: AtomicBool::new(false),
                last_invalidation: Mutex::new(None),
            }),
        }
    }

    /// Whether the cache is configured at all (`pages.cache_seconds` > 0).
    pub fn is_on(&self) -> bool {
        !self.inner.limits.ttl.is_zero()
    }

    fn enabled(&self) -> bool {
        self.is_on() && self.inner.live.load(Ordering::Acquire)
    }

    /// The stored page for `key`, if it may still be served.
    pub fn get(&self, key: &Key) -> Option<Arc<Page>> {
        self.get_at(key, Instant::now())
    }

    fn get_at(&self, key: &Key, now: Instant) -> Option<Arc<Page>> {
        if !self.enabled() {
            return None;
        }
        let entries = self.inner.entries.read().ok()?;
        entries
            .map
            .get(key)
            .filter(|p| now.saturating_duration_since(p.made) < self.inner.limits.ttl)
            .cloned()
    }

    pub fn ticket(&self) -> Ticket {
        Ticket {
            seq: self.inner.seq.load(Ordering::Acquire),
        }
    }

    /// Compresses `html` and stores it when nothing changed since `ticket`; the page to
    /// answer with either way.
    pub fn put(&self, ticket: Ticket, key: Key, region: &str, html: &str) -> Arc<Page> {
        self.put_at(ticket, key, region, html, Instant::now())
    }

    fn put_at(
        &self,
        ticket: Ticket,
        key: Key,
        region: &str,
        html: &str,
        now: Instant,
    ) -> Arc<Page> {
        let page = Arc::new(Page {
            region: region.to_owned(),
            gzip: gzip(html),
            etag: etag(html),
            made: now,
        });
        if self.may_store(ticket, now) {
            self.store(key, Arc::clone(&page), now);
        }
        page
    }

    fn may_store(&self, ticket: Ticket, now: Instant) -> bool {
        let settled = self
            .inner
            .last_invalidation
            .lock()
            .map(|last| {
                last.is_none_or(|t| now.saturating_duration_since(t) >= self.inner.limits.settle)
            })
            .unwrap_or(false);
        self.enabled() && settled && ticket.seq == self.inner.seq.load(Ordering::Acquire)
    }

    fn store(&self, key: Key, page: Arc<Page>, now: Instant) {
        let Ok(mut entries) = self.inner.entries.write() else {
            return;
        };
        let size = page.gzip.len();
        if entries.bytes + size > self.inner.limits.max_bytes {
            // Full: keep the younger half of the lifetime, and if that is still too much,
            // start again (a crawl over every village is the only way to fill it).
            let keep = self.inner.limits.ttl / 2;
            entries
                .map
                .retain(|_, p| now.saturating_duration_since(p.made) < keep);
            if entries.map.values().map(|p| p.gzip.len()).sum::<usize>() + size
                > self.inner.limits.max_bytes
            {
                entries.map.clear();
            }
            entries.bytes = entries.map.values().map(|p| p.gzip.len()).sum();
        }
        if let Some(old) = entries.map.insert(key, page) {
            entries.bytes -= old.gzip.len();
        }
        entries.bytes += size;
    }

    /// Evicts every page `changed` concerns ("" concerns all).
    pub fn invalidate(&self, changed: &str) {
        self.invalidate_at(changed, Instant::now());
    }

    fn invalidate_at(&self, changed: &str, now: Instant) {
        // First the sequence, so that a render in flight cannot store after the eviction.
        self.inner.seq.fetch_add(1, Ordering::AcqRel);
        if let Ok(mut last) = self.inner.last_invalidation.lock() {
            *last = Some(now);
        }
        if let Ok(mut entries) = self.inner.entries.write() {
            entries.map.retain(|_, p| !related(&p.region, changed));
            entries.bytes = entries.map.values().map(|p| p.gzip.len()).sum();
        }
    }

    /// Invalidations are being received (the LISTEN connection is up).
    fn connected(&self) {
        self.inner.live.store(true, Ordering::Release);
    }

    /// The LISTEN connection is lost: what changes now will not be heard of.
    fn disconnected(&self) {
        self.inner.live.store(false, Ordering::Release);
        self.invalidate("");
    }

    /// Whether changes are being heard of, so pages may be served from memory.
    pub fn is_live(&self) -> bool {
        self.inner.live.load(Ordering::Acquire)
    }

    /// Whether a rendering of `path` is stored.
    pub fn holds(&self, path: &str) -> bool {
        self.inner
            .entries
            .read()
            .is_ok_and(|e| e.map.keys().any(|k| k.path == path))
    }

    /// How many pages are stored.
    pub fn len(&self) -> usize {
        self.inner.entries.read().map_or(0, |e| e.map.len())
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// Does the request accept gzip (`Accept-Encoding` names it or `*`, without `q=0`)?
fn accepts_gzip(req: &HttpRequest) -> bool {
    req.headers()
        .get_all(header::ACCEPT_ENCODING)
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .any(|item| {
            let mut parts = item.split(';').map(str::trim);
            let coding = parts.next().unwrap_or("");
            let refused = parts.any(|p| {
                p.strip_prefix("q=")
                    .and_then(|q| q.parse::<f32>().ok())
                    .is_some_and(|q| q <= 0.0)
            });
            (coding.eq_ignore_ascii_case("gzip") || coding == "*") && !refused
        })
}

fn not_modified(req: &HttpRequest, etag: &HeaderValue) -> bool {
    req.headers()
        .get_all(header::IF_NONE_MATCH)
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .any(|t| t.trim() == etag.to_str().unwrap_or("") || t.trim() == "*")
}

/// The answer for `page`: 304 when the reader has it, gzip as stored when they take it,
/// else unpacked; when it comes from the cache, `Age` says how long ago it was rendered.
pub fn respond(
    req: &HttpRequest,
    page: &Page,
    cache_control: HeaderValue,
    from_cache: bool,
) -> HttpResponse {
    let mut response = if not_modified(req, &page.etag) {
        HttpResponse::NotModified().finish()
    } else if accepts_gzip(req) {
        let mut r = HttpResponse::Ok().body(page.gzip.clone());
        r.headers_mut()
            .insert(header::CONTENT_ENCODING, HeaderValue::from_static("gzip"));
        r
    } else {
        let mut html = String::new();
        match flate2::read::GzDecoder::new(&page.gzip[..]).read_to_string(&mut html) {
            Ok(_) => HttpResponse::Ok().body(html),
            Err(_) => HttpResponse::build(StatusCode::INTERNAL_SERVER_ERROR).finish(),
        }
    };
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/html; charset=utf-8"),
    );
    headers.insert(header::CACHE_CONTROL, cache_control);
    // The page differs with the 长辈模式 cookie and comes packed or not.
    headers.insert(
        header::VARY,
        HeaderValue::from_static("Cookie, Accept-Encoding"),
    );
    headers.insert(header::ETAG, page.etag.clone());
    if from_cache {
        headers.insert(
            header::AGE,
            HeaderValue::from(page.made.elapsed().as_secs()),
        );
    }
    response
}

/// Evicts pages as the database reports changes, until `stop`; empties the cache and
/// stops serving from it whenever the connection is lost.
pub async fn listen(pool: PgPool, cache: PageCache, stop: CancellationToken) {
    const RECONNECT_AFTER: Duration = Duration::from_secs(1);
    while !stop.is_cancelled() {
        let connected = async {
            let mut listener = PgListener::connect_with(&pool).await?;
            listener.listen(CHANNEL).await?;
            Ok::<_, sqlx::Error>(listener)
        };
        let mut listener = tokio::select! {
            () = stop.cancelled() => return,
            result = connected => match result {
                Ok(l) => l,
                Err(e) => {
                    tracing::warn!(error = %e, "cannot LISTEN for page changes; pages are not cached");
                    tokio::select! {
                        () = stop.cancelled() => return,
                        () = tokio::time::sleep(RECONNECT_AFTER) => continue,
                    }
                }
            },
        };
        cache.connected();
        loop {
            tokio::select! {
                () = stop.cancelled() => return,
                received = listener.try_recv() => match received {
                    Ok(Some(n)) => cache.invalidate(n.payload()),
                    // Reconnected by sqlx: what was sent meanwhile is lost.
                    Ok(None) => cache.invalidate(""),
                    Err(e) => {
                        tracing::warn!(error = %e, "lost the page-change LISTEN connection");
                        break;
                    }
                },
            }
        }
        cache.disconnected();
    }
    cache.disconnected();
}

#[cfg(test)]
mod tests {
    use super::*;

    const LIMITS: CacheLimits = CacheLimits {
        ttl: Duration::from_secs(60),
        settle: Duration::ZERO,
        max_bytes: 1 << 20,
    };

    fn live(limits: CacheLimits) -> PageCache {
        let cache = PageCache::new(limits);
        cache.connected();
        cache
    }

    fn key(path: &str) -> Key {
        Key {
            path: path.into(),
            large_text: false,
        }
    }

    #[test]
    fn a_change_evicts_its_place_the_places_above_and_below_and_nothing_else() {
        let cache = live(LIMITS);
        let now = Instant::now();
        for (path, region) in [
            ("/", ""),
            ("/r/411503209", "411503209"),
            ("/v/411503209202", "411503209202"),
            ("/v/411503209201", "411503209201"),
            ("/v/411503203205", "411503203205"),
        ] {
            cache.put_at(cache.ticket(), key(path), region, path, now);
        }
        assert_eq!(cache.len(), 5);
        cache.invalidate_at("411503209202", now);
        let left: Vec<bool> = [
            "/",
            "/r/411503209",
            "/v/411503209202",
            "/v/411503209201",
            "/v/411503203205",
        ]
        .iter()
        .map(|p| cache.get_at(&key(p), now).is_some())
        .collect();
        assert_eq!(left, [false, false, false, true, true]);
        // A township office's change reaches each of its villages.
        cache.invalidate_at("411503209", now);
        assert!(cache.get_at(&key("/v/411503209201"), now).is_none());
        assert!(cache.get_at(&key("/v/411503203205"), now).is_some());
        cache.invalidate_at("", now);
        assert!(cache.is_empty());
    }

    #[test]
    fn a_page_rendered_across_an_invalidation_is_answered_but_not_kept() {
        let cache = live(LIMITS);
        let now = Instant::now();
        let ticket = cache.ticket();
        // Elsewhere entirely: still, the render cannot tell what it read.
        cache.invalidate_at("411502", now);
        let page = cache.put_at(ticket, key("/v/411503209202"), "411503209202", "旧", now);
        assert!(!page.gzip.is_empty());
        assert!(cache.get_at(&key("/v/411503209202"), now).is_none());
        cache.put_at(
            cache.ticket(),
            key("/v/411503209202"),
            "411503209202",
            "新",
            now,
        );
        assert!(cache.get_at(&key("/v/411503209202"), now).is_some());
    }

    #[test]
    fn nothing_is_served_or_kept_without_the_listen_connection_and_its_loss_empties_it() {
        let cache = PageCache::new(LIMITS);
        let now = Instant::now();
        cache.put_at(cache.ticket(), key("/"), "", "x", now);
        assert!(cache.is_empty(), "stored before the first LISTEN");
        cache.connected();
        cache.put_at(cache.ticket(), key("/"), "", "x", now);
        assert!(cache.get_at(&key("/"), now).is_some());
        cache.disconnected();
        assert!(cache.get_at(&key("/"), now).is_none());
        assert!(cache.is_empty());
    }

    #[test]
    fn pages_expire_and_after_an_invalidation_a_replica_gets_time_to_catch_up() {
        let cache = live(CacheLimits {
            settle: Duration::from_secs(2),
            ..LIMITS
        });
        let now = Instant::now();
        cache.put_at(cache.ticket(), key("/"), "", "x", now);
        assert!(
            cache
                .get_at(&key("/"), now + Duration::from_secs(59))
                .is_some()
        );
        assert!(
            cache
                .get_at(&key("/"), now + Duration::from_secs(60))
                .is_none()
        );
        cache.invalidate_at("411503209202", now);
        let soon = now + Duration::from_secs(1);
        cache.put_at(cache.ticket(), key("/"), "", "x", soon);
        assert!(
            cache.get_at(&key("/"), soon).is_none(),
            "stored within the settle time"
        );
        let later = now + Duration::from_secs(2);
        cache.put_at(cache.ticket(), key("/"), "", "x", later);
        assert!(cache.get_at(&key("/"), later).is_some());
    }

    #[test]
    fn a_full_cache_keeps_its_budget() {
        let cache = live(CacheLimits {
            max_bytes: 4_000,
            ..LIMITS
        });
        let now = Instant::now();
        // Incompressible enough: distinct digits.
        let html = |i: u32| {
            (0..400)
                .map(|j| (i * 7919 + j * 104_729).to_string())
                .collect::<String>()
        };
        for i in 0..50 {
            cache.put_at(
                cache.ticket(),
                key(&format!("/v/{i}")),
                "4115",
                &html(i),
                now,
            );
            let bytes = cache.inner.entries.read().unwrap().bytes;
            assert!(bytes <= 4_000, "{bytes}");
        }
        assert!(!cache.is_empty());
    }

    #[test]
    fn gzip_is_taken_when_offered_and_not_when_refused() {
        let req = |v: &str| {
            actix_web::test::TestRequest::default()
                .insert_header((header::ACCEPT_ENCODING, v))
                .to_http_request()
        };
        assert!(accepts_gzip(&req("gzip, deflate, br")));
        assert!(accepts_gzip(&req("br;q=1.0, GZIP;q=0.5")));
        assert!(accepts_gzip(&req("*")));
        assert!(!accepts_gzip(&req("gzip;q=0, br")));
        assert!(!accepts_gzip(&req("br")));
        assert!(!accepts_gzip(
            &actix_web::test::TestRequest::default().to_http_request()
        ));
    }
}
