//! The home and village pages kept rendered in memory (src/page_cache.rs): served
//! packed, revalidated with their ETag, and dropped as soon as the database reports a
//! change to what they show, by whatever wrote it.

use chrono::Utc;
use reqwest::StatusCode;
use reqwest::header::{ACCEPT_ENCODING, AGE, CONTENT_ENCODING, ETAG, IF_NONE_MATCH};
use sunvillage::configuration::DatabaseUrl;
use sunvillage::domain::{DisclosureContent, Module, NewDisclosure, RegionCode};
use sunvillage::storage::disclosures;

use crate::outages::until_postgres_is;
use crate::support::own_servers::OwnPostgres;
use crate::support::wait::{PATIENCE, until};
use crate::support::{TestApp, spawn_app_with};

const WANGGANG: &str = "411503209202";
/// Another township's village.
const ZHANGZHUANG: &str = "411503203205";

/// The cache as configured by default (the other tests run without it).
async fn cached_app() -> TestApp {
    spawn_app_with(|s| s.pages.cache_seconds = 60).await
}

async fn listening(app: &TestApp) {
    assert!(
        until(PATIENCE, async || app.page_cache.is_live()).await,
        "the page cache never heard from the database"
    );
}

/// Reads `path` until it is stored (the first read renders it).
async fn stored(app: &TestApp, path: &str) -> reqwest::Response {
    listening(app).await;
    let first = app.get(path).await;
    assert_eq!(first.status(), StatusCode::OK);
    assert!(
        first.headers().get(AGE).is_none(),
        "a fresh render has no Age"
    );
    let again = app.get(path).await;
    assert!(again.headers().get(AGE).is_some(), "{path} was not kept");
    again
}

async fn publish(app: &TestApp, title: &str) {
    let content =
        DisclosureContent::parse(title, "正文。", Some("2026年11月"), None, "王岗村民委员会")
            .unwrap();
    let new = NewDisclosure::new(
        RegionCode::parse(WANGGANG).unwrap(),
        Module::Services,
        content,
        Vec::new(),
    )
    .unwrap();
    disclosures::publish(&app.pool, &new, Utc::now(), false)
        .await
        .unwrap();
}

#[tokio::test]
async fn a_village_page_is_kept_until_its_village_publishes_and_other_villages_keep_theirs() {
    let app = cached_app().await;
    let wanggang = format!("/v/{WANGGANG}");
    let zhangzhuang = format!("/v/{ZHANGZHUANG}");
    let before = stored(&app, &wanggang).await.text().await.unwrap();
    assert!(!before.contains("1条"), "the village had published nothing");
    stored(&app, &zhangzhuang).await;
    stored(&app, "/").await;

    publish(&app, "十一月便民服务公开").await;
    // The commit's notification evicts the village and the home page (which counts the
    // city's disclosures), not the other township's village.
    assert!(
        until(PATIENCE, async || !app.page_cache.holds(&wanggang)).await,
        "the publication did not evict the village page"
    );
    assert!(!app.page_cache.holds("/"));
    assert!(app.page_cache.holds(&zhangzhuang));
    let after = app.get(&wanggang).await;
    assert!(after.headers().get(AGE).is_none(), "rendered again");
    let after = after.text().await.unwrap();
    assert!(after.contains("1条"), "{after}");
}

#[tokio::test]
async fn a_kept_page_is_served_packed_or_unpacked_and_revalidated_by_its_etag() {
    let app = cached_app().await;
    let path = format!("/v/{WANGGANG}");
    let kept = stored(&app, &path).await;
    let etag = kept.headers()[ETAG].clone();
    let plain = kept.text().await.unwrap();
    assert!(plain.contains("王岗村"), "{plain}");

    let packed = app
        .client
        .get(app.url(&path))
        .header(ACCEPT_ENCODING, "gzip, deflate, br")
        .send()
        .await
        .unwrap();
    assert_eq!(packed.headers()[CONTENT_ENCODING], "gzip");
    assert!(packed.headers().contains_key("content-security-policy"));
    assert_eq!(packed.headers()["vary"], "Cookie, Accept-Encoding");
    let bytes = packed.bytes().await.unwrap();
    assert!(
        bytes.len() * 2 < plain.len(),
        "{} packed of {}",
        bytes.len(),
        plain.len()
    );
    let mut unpacked = String::new();
    std::io::Read::read_to_string(&mut flate2::read::GzDecoder::new(&bytes[..]), &mut unpacked)
        .unwrap();
    assert_eq!(unpacked, plain);

    let revalidated = app
        .client
        .get(app.url(&path))
        .header(IF_NONE_MATCH, etag.clone())
        .send()
        .await
        .unwrap();
    assert_eq!(revalidated.status(), StatusCode::NOT_MODIFIED);
    assert_eq!(revalidated.headers()[ETAG], etag);
    assert!(revalidated.bytes().await.unwrap().is_empty());

    // Large text is another rendering, kept beside the first.
    let large = app
        .client
        .get(app.url(&path))
        .header("cookie", "sv_large=1")
        .send()
        .await
        .unwrap();
    assert_ne!(large.headers()[ETAG], etag);
}

#[tokio::test]
async fn with_the_cache_off_every_read_renders() {
    let app = spawn_app_with(|s| s.pages.cache_seconds = 0).await;
    let path = format!("/v/{WANGGANG}");
    for _ in 0..2 {
        let r = app.get(&path).await;
        assert_eq!(r.status(), StatusCode::OK);
        assert!(r.headers().get(AGE).is_none());
    }
    assert!(app.page_cache.is_empty());
}

/// A database that stops answering without going away (a stalled host, or every core
/// busy) is called down after a few silent seconds, and a page that needs it says so at
/// once; a page the cache holds needs nothing from it and is still served, since the
/// LISTEN connection that would carry a change is still open.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_database_that_stops_answering_leaves_kept_pages_served() {
    let pg = OwnPostgres::start().await;
    let url = pg.url("sunvillage");
    let app = spawn_app_with(move |s| {
        s.database.url = DatabaseUrl::parse(&url).unwrap();
        s.pages.cache_seconds = 60;
    })
    .await;
    let village = format!("/v/{WANGGANG}");
    stored(&app, &village).await;

    pg.freeze();
    assert!(
        until(PATIENCE, async || app.database.is_down()).await,
        "the silence is noticed"
    );
    let kept = tokio::time::timeout(PATIENCE, app.get(&village))
        .await
        .expect("a kept page does not wait for the database");
    assert_eq!(kept.status(), StatusCode::OK);
    assert!(kept.headers().get(AGE).is_some(), "served from memory");
    let other = tokio::time::timeout(PATIENCE, app.get(&format!("/v/{ZHANGZHUANG}")))
        .await
        .expect("an answer at once");
    assert_eq!(other.status(), StatusCode::SERVICE_UNAVAILABLE);

    pg.thaw();
    assert!(until_postgres_is(&app, "ok").await, "the return is noticed");
    assert_eq!(
        app.get(&format!("/v/{ZHANGZHUANG}")).await.status(),
        StatusCode::OK
    );
}
