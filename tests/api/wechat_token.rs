//! The access_token against the fake WeChat: one fetch for many callers on many
//! instances, one refresh and one retry on a rejected token, busy answers retried within
//! a bound, and the AppSecret kept out of errors and logs.

use std::io::Write;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use sunvillage::configuration::TokenEndpoint;
use sunvillage::kv::Kv;
use sunvillage::wechat::api::token::{MemoryTokenStore, RedisTokenStore, TokenStore};
use sunvillage::wechat::api::{ApiError, ErrCode, RetryPolicy, WechatApi};

use crate::support::fake_wechat::{APP_SECRET, FakeWechat};
use crate::support::{REDIS_URL, test_settings, unique_name};

/// Quick retries, so that tests of the busy path stay short.
const FAST_RETRY: RetryPolicy = RetryPolicy {
    first_delay: Duration::from_millis(20),
    budget: Duration::from_millis(500),
};

fn client_at(base: &str, endpoint: TokenEndpoint, store: Arc<dyn TokenStore>) -> WechatApi {
    let mut settings = test_settings("unused", "unused:");
    settings.wechat.api_base = base.to_owned();
    settings.wechat.token_endpoint = endpoint;
    WechatApi::with_retry(&settings.wechat, store, FAST_RETRY).unwrap()
}

fn client(fake: &FakeWechat, store: Arc<dyn TokenStore>) -> WechatApi {
    client_at(&fake.base, TokenEndpoint::Stable, store)
}

/// A Redis store of its own connection, as another instance would have.
fn redis_store(prefix: &str) -> Arc<dyn TokenStore> {
    Arc::new(RedisTokenStore::new(Kv::redis(&REDIS_URL, prefix).unwrap()))
}

async fn clean(prefix: &str) {
    Kv::redis(&REDIS_URL, prefix)
        .unwrap()
        .delete_all_with_prefix()
        .await
        .unwrap();
}

fn count(fake: &FakeWechat, path: &str) -> usize {
    fake.requests().iter().filter(|p| *p == path).count()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn three_instances_sharing_redis_fetch_one_token_for_fifty_concurrent_calls() {
    // Arrange: an empty cache and a slow token endpoint, so that the calls overlap.
    let fake = FakeWechat::start().await;
    fake.delay_token_fetches(Duration::from_millis(300));
    let prefix = format!("{}:", unique_name("svt"));
    let instances: Vec<WechatApi> = (0..3)
        .map(|_| client(&fake, redis_store(&prefix)))
        .collect();

    // Act
    let calls: Vec<_> = (0..50)
        .map(|i| {
            let api = instances[i % 3].clone();
            tokio::spawn(async move { api.get_menu().await })
        })
        .collect();
    let results = futures::future::join_all(calls).await;

    // Assert
    for r in results {
        assert!(r.unwrap().is_ok());
    }
    assert_eq!(fake.token_fetches(), 1);
    assert_eq!(count(&fake, "/cgi-bin/menu/get"), 50);
    clean(&prefix).await;
}

#[tokio::test]
async fn one_instance_without_redis_also_fetches_one_token_for_fifty_calls() {
    let fake = FakeWechat::start().await;
    fake.delay_token_fetches(Duration::from_millis(200));
    let api = client(&fake, Arc::new(MemoryTokenStore::default()));
    let calls = (0..50).map(|_| api.get_menu());
    let results = futures::future::join_all(calls).await;
    assert!(results.iter().all(Result::is_ok));
    assert_eq!(fake.token_fetches(), 1);
}

#[tokio::test]
async fn an_expired_token_answer_leads_to_one_refresh_and_a_successful_retry() {
    let fake = FakeWechat::start().await;
    let prefix = format!("{}:", unique_name("svt"));
    let api = client(&fake, redis_store(&prefix));
    api.get_menu().await.unwrap();
    assert_eq!(fake.token_fetches(), 1);

    fake.expire_tokens();
    let menu = api.get_menu().await;

    assert!(menu.is_ok(), "{menu:?}");
    assert_eq!(fake.token_fetches(), 2);
    // The first call, the rejected one, and its one retry.
    assert_eq!(count(&fake, "/cgi-bin/menu/get"), 3);
    clean(&prefix).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn callers_holding_a_dead_token_do_not_throw_away_the_fresh_one() {
    // Every caller below fails once with the expired token; only the first may drop it
    // from the cache. A caller that dropped the fresh token would cause a third fetch.
    let fake = FakeWechat::start().await;
    fake.delay_token_fetches(Duration::from_millis(100));
    let prefix = format!("{}:", unique_name("svt"));
    let instances: Vec<WechatApi> = (0..3)
        .map(|_| client(&fake, redis_store(&prefix)))
        .collect();
    instances[0].get_menu().await.unwrap();
    fake.expire_tokens();

    let calls: Vec<_> = (0..30)
        .map(|i| {
            let api = instances[i % 3].clone();
            tokio::spawn(async move { api.get_menu().await })
        })
        .collect();
    for r in futures::future::join_all(calls).await {
        assert!(r.unwrap().is_ok());
    }

    assert_eq!(fake.token_fetches(), 2);
    clean(&prefix).await;
}

#[tokio::test]
async fn a_token_rejected_again_after_the_refresh_is_reported_not_retried_forever() {
    let fake = FakeWechat::start().await;
    let api = client(&fake, Arc::new(MemoryTokenStore::default()));
    fake.reject_all_tokens();

    let err = api.get_menu().await.unwrap_err();

    assert_eq!(err.errcode(), Some(ErrCode::InvalidCredential));
    assert_eq!(count(&fake, "/cgi-bin/menu/get"), 2);
    assert_eq!(fake.token_fetches(), 2);
}

#[tokio::test]
async fn the_redis_store_invalidates_only_the_failing_token() {
    let prefix = format!("{}:", unique_name("svt"));
    let store = redis_store(&prefix);
    let fresh = sunvillage::wechat::api::token::Cached::issued("NEW".into(), 7200);
    store.put("app:access_token", &fresh).await.unwrap();

    assert!(
        !store
            .invalidate_if("app:access_token", "OLD")
            .await
            .unwrap()
    );
    assert_eq!(
        store.get("app:access_token").await.unwrap().unwrap().value,
        "NEW"
    );
    assert!(
        store
            .invalidate_if("app:access_token", "NEW")
            .await
            .unwrap()
    );
    assert!(store.get("app:access_token").await.unwrap().is_none());
    clean(&prefix).await;
}

#[tokio::test]
async fn the_redis_lock_admits_one_refresher_until_it_is_released() {
    let prefix = format!("{}:", unique_name("svt"));
    let (a, b) = (redis_store(&prefix), redis_store(&prefix));
    let ttl = Duration::from_secs(5);
    let held = a.try_lock("app:access_token", ttl).await.unwrap().unwrap();
    assert!(b.try_lock("app:access_token", ttl).await.unwrap().is_none());
    a.unlock("app:access_token", held).await.unwrap();
    assert!(b.try_lock("app:access_token", ttl).await.unwrap().is_some());
    clean(&prefix).await;
}

#[tokio::test]
async fn system_busy_is_retried_with_back_off_until_it_succeeds() {
    let fake = FakeWechat::start().await;
    let api = client(&fake, Arc::new(MemoryTokenStore::default()));
    api.access_token().await.unwrap();
    fake.answer_busy(2);

    assert!(api.get_menu().await.is_ok());
    assert_eq!(count(&fake, "/cgi-bin/menu/get"), 3);
}

#[tokio::test]
async fn system_busy_for_good_gives_up_within_the_retry_budget() {
    let fake = FakeWechat::start().await;
    let api = client(&fake, Arc::new(MemoryTokenStore::default()));
    api.access_token().await.unwrap();
    fake.answer_busy(1000);

    let err = api.get_menu().await.unwrap_err();

    assert_eq!(err.errcode(), Some(ErrCode::SystemBusy));
    // 20 + 40 + 80 + 160 ms fit the 500 ms budget, 320 more would not: five attempts.
    let attempts = count(&fake, "/cgi-bin/menu/get");
    assert!((2..=5).contains(&attempts), "{attempts} attempts");
}

#[tokio::test]
async fn an_error_that_refreshing_cannot_fix_is_not_retried() {
    let fake = FakeWechat::start().await;
    fake.echo_secret_in_errors();
    let api = client(&fake, Arc::new(MemoryTokenStore::default()));

    let err = api.get_menu().await.unwrap_err();

    assert_eq!(err.errcode(), Some(ErrCode::InvalidAppSecret));
    assert_eq!(fake.token_fetches(), 1);
    assert!(count(&fake, "/cgi-bin/menu/get") == 0);
}

#[tokio::test]
async fn the_token_endpoint_can_be_switched_back_to_cgi_bin_token() {
    let fake = FakeWechat::start().await;
    let api = client_at(
        &fake.base,
        TokenEndpoint::Token,
        Arc::new(MemoryTokenStore::default()),
    );
    api.get_menu().await.unwrap();
    assert_eq!(fake.requests()[0], "/cgi-bin/token");
}

/// Captures everything logged on this thread (the test's runtime is single-threaded).
#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl Write for Captured {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl<'a> tracing_subscriber::fmt::MakeWriter<'a> for Captured {
    type Writer = Captured;
    fn make_writer(&'a self) -> Captured {
        self.clone()
    }
}

fn full_text(e: &ApiError) -> String {
    let mut out = format!("{e} | {e:?}");
    let mut cause = std::error::Error::source(e);
    while let Some(c) = cause {
        out.push_str(&format!(" | {c} | {c:?}"));
        cause = c.source();
    }
    out
}

#[tokio::test]
async fn the_app_secret_never_appears_in_an_error_or_a_log() {
    let logs = Captured::default();
    let subscriber = tracing_subscriber::fmt()
        .with_max_level(tracing::Level::TRACE)
        .with_writer(logs.clone())
        .finish();
    let _guard = tracing::subscriber::set_default(subscriber);

    // WeChat unreachable while the secret travels in the query (/cgi-bin/token).
    let unreachable = client_at(
        "http://127.0.0.1:9",
        TokenEndpoint::Token,
        Arc::new(MemoryTokenStore::default()),
    );
    let err = unreachable.access_token().await.unwrap_err();
    assert!(matches!(err, ApiError::Network { .. }), "{err:?}");
    let text = full_text(&err);
    assert!(!text.contains(APP_SECRET), "{text}");
    assert!(!text.contains("secret="), "{text}");

    // WeChat echoing the secret in its errmsg, on both token endpoints.
    let fake = FakeWechat::start().await;
    fake.echo_secret_in_errors();
    for endpoint in [TokenEndpoint::Stable, TokenEndpoint::Token] {
        let api = client_at(&fake.base, endpoint, Arc::new(MemoryTokenStore::default()));
        let err = api.get_menu().await.unwrap_err();
        let text = full_text(&err);
        assert!(text.contains("[REDACTED]"), "{text}");
        assert!(!text.contains(APP_SECRET), "{text}");
        assert!(!format!("{api:?}").contains(APP_SECRET));
    }

    let logged = String::from_utf8(logs.0.lock().unwrap().clone()).unwrap();
    assert!(
        logged.contains("retrying"),
        "the busy path was logged: {logged}"
    );
    assert!(!logged.contains(APP_SECRET), "{logged}");
}
