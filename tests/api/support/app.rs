//! `spawn_app()`: the real service on a random port, against a fresh Postgres database
//! (copied from a migrated template that holds the built-in regions) and its own Redis
//! key prefix. Both are removed when the `TestApp` is dropped.

use std::collections::HashMap;
use std::sync::LazyLock;

use secrecy::SecretString;
use sqlx::PgPool;
use sunvillage::configuration::Settings;
use sunvillage::crypto::Vault;
use sunvillage::domain::notification::{NotificationKind, TemplateSpec};
use sunvillage::kv::Kv;
use sunvillage::startup::Application;
use sunvillage::wechat::api::WechatApi;
use tokio::sync::oneshot;

use super::database::{drop_database, fresh_database, unique_name, url_of};
use super::fake_wechat::FakeWechat;

pub static REDIS_URL: LazyLock<String> = LazyLock::new(|| {
    std::env::var("TEST_REDIS_URL").unwrap_or_else(|_| "redis://127.0.0.1:6379".into())
});

/// The suite the tests write with: `aes` unless TEST_CRYPTO_SUITE says `sm`.
pub static TEST_CRYPTO_SUITE: LazyLock<String> =
    LazyLock::new(|| std::env::var("TEST_CRYPTO_SUITE").unwrap_or_else(|_| "aes".into()));

static TRACING: LazyLock<()> = LazyLock::new(|| {
    if std::env::var("TEST_LOG").is_ok() {
        let mut s = test_settings("unused", "unused:");
        s.log.filter = "debug,sqlx=warn".into();
        sunvillage::telemetry::init(&s.log);
    }
});

/// Settings for a test: the given database and key prefix, port 0, a closed port for
/// WeChat's API until a test starts a fake.
pub fn test_settings(db_name: &str, key_prefix: &str) -> Settings {
    let env: HashMap<String, String> = [
        ("APP__DATABASE__URL", url_of(db_name)),
        ("APP__DATABASE__MAX_CONNECTIONS", "5".into()),
        ("APP__REDIS__URL", REDIS_URL.clone()),
        ("APP__REDIS__KEY_PREFIX", key_prefix.into()),
        ("APP__SERVER__BIND", "127.0.0.1:0".into()),
        ("APP__SERVER__WORKERS", "2".into()),
        ("APP__PUBLIC_BASE_URL", "http://cunwu.test".into()),
        // Most tests change the database and read a page straight after: they must not
        // race the change's notification (about a millisecond). tests/api/page_cache.rs
        // turns the cache on.
        ("APP__PAGES__CACHE_SECONDS", "0".into()),
        ("APP__WECHAT__API_BASE", "http://127.0.0.1:9".into()),
        // TEST_CRYPTO_SUITE=sm runs every test with SM4-GCM and HMAC-SM3.
        ("APP__CRYPTO__SUITE", TEST_CRYPTO_SUITE.clone()),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), v))
    .collect();
    Settings::load_with_env(None, Some(env)).expect("test settings are valid")
}

pub struct TestApp {
    /// `http://127.0.0.1:<port>`.
    pub address: String,
    pub pool: PgPool,
    /// The app's keys (to open what it sealed, as the service would).
    pub vault: Vault,
    pub kv: Kv,
    /// The app's own WeChat client (its token store shared with the server's).
    pub wechat: WechatApi,
    pub settings: Settings,
    pub client: reqwest::Client,
    pub db_name: String,
    /// The server's rendered pages (to wait for an eviction, never to decide).
    pub page_cache: sunvillage::page_cache::PageCache,
    /// What the server's database watcher believes (to wait for it, never to decide).
    pub database: sunvillage::storage::database::Availability,
    stop: Option<oneshot::Sender<()>>,
    server: Option<tokio::task::JoinHandle<anyhow::Result<()>>>,
}

impl TestApp {
    pub fn port(&self) -> u16 {
        self.address.rsplit(':').next().unwrap().parse().unwrap()
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.address)
    }

    pub async fn get(&self, path: &str) -> reqwest::Response {
        self.client
            .get(self.url(path))
            .send()
            .await
            .expect("request reaches the app")
    }

    pub async fn get_json(&self, path: &str) -> (u16, serde_json::Value) {
        let response = self.get(path).await;
        let status = response.status().as_u16();
        let body = response.json().await.expect("the body is JSON");
        (status, body)
    }

    /// Stops the server the way SIGTERM would and waits for it, keeping the database
    /// so the test can read what shutdown wrote.
    pub async fn stop_server(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(server) = self.server.take() {
            server.await.expect("server task").expect("clean shutdown");
        }
    }

    /// Stops the server the way SIGTERM would, and waits for it.
    pub async fn shut_down(mut self) {
        self.stop_server().await;
    }

    /// The `sunvillage` binary, pointed at this app's database, Redis prefix and WeChat
    /// API base (the fake's, when the test started one), logging warnings only.
    pub fn command(&self) -> tokio::process::Command {
        let mut command = tokio::process::Command::new(env!("CARGO_BIN_EXE_sunvillage"));
        command
            .env("APP__DATABASE__URL", url_of(&self.db_name))
            .env("APP__REDIS__URL", &*REDIS_URL)
            .env("APP__REDIS__KEY_PREFIX", &self.settings.redis.key_prefix)
            .env("APP__WECHAT__API_BASE", &self.settings.wechat.api_base)
            .env("APP__LOG__FILTER", "warn");
        command
    }

    /// A new pool on the test's database (the app's closes when it stops).
    pub async fn fresh_pool(&self) -> PgPool {
        PgPool::connect(&url_of(&self.db_name))
            .await
            .expect("the test database accepts connections")
    }
}

impl Drop for TestApp {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        let db_name = self.db_name.clone();
        let kv = self.kv.clone();
        // Clean-up needs async I/O and Drop is sync: do it on a thread of its own.
        let _ = std::thread::spawn(move || {
            let Ok(rt) = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
            else {
                return;
            };
            rt.block_on(async {
                let _ = kv.delete_all_with_prefix().await;
                drop_database(&db_name).await;
            });
        })
        .join();
    }
}

pub async fn spawn_app() -> TestApp {
    spawn_app_with(|_| {}).await
}

/// Spawns the app on a fresh database, after `customize` has adjusted its settings.
pub async fn spawn_app_with(customize: impl FnOnce(&mut Settings)) -> TestApp {
    let db_name = fresh_database().await;
    spawn_on(db_name, customize).await
}

/// Spawns the app with WeChat's API pointed at `fake`, after `customize`.
pub async fn spawn_app_with_wechat(
    fake: &FakeWechat,
    customize: impl FnOnce(&mut Settings),
) -> TestApp {
    let base = fake.base.clone();
    spawn_app_with(move |s| {
        s.wechat.api_base = base;
        customize(s);
    })
    .await
}

/// Spawns the app on a database that does not exist yet: the app must create it,
/// migrate it and import the built-in regions itself.
pub async fn spawn_app_on_missing_database() -> TestApp {
    spawn_on(unique_name("sv_test"), |_| {}).await
}

/// Spawns the app on an existing database `db_name` (a restored backup), after `customize`.
pub async fn spawn_app_on(db_name: String, customize: impl FnOnce(&mut Settings)) -> TestApp {
    spawn_on(db_name, customize).await
}

async fn spawn_on(db_name: String, customize: impl FnOnce(&mut Settings)) -> TestApp {
    LazyLock::force(&TRACING);
    let key_prefix = format!("{}:", unique_name("svt"));
    let mut settings = test_settings(&db_name, &key_prefix);
    customize(&mut settings);
    settings
        .validate()
        .expect("customized test settings are valid");

    let app = Application::build(settings.clone())
        .await
        .expect("the app builds");
    let port = app.port();
    let pool = app.state().pool.clone();
    let vault = app.state().vault.clone();
    let kv = app.state().kv.clone();
    let wechat = app.state().wechat.clone();
    let page_cache = app.state().page_cache.clone();
    let database = app.state().database.clone();
    let (stop, stopped) = oneshot::channel::<()>();
    let server = tokio::spawn(app.run_until_stopped(async {
        let _ = stopped.await;
    }));
    TestApp {
        address: format!("http://127.0.0.1:{port}"),
        pool,
        vault,
        kv,
        wechat,
        settings,
        client: reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .unwrap(),
        db_name,
        page_cache,
        database,
        stop: Some(stop),
        server: Some(server),
    }
}

/// Configures the template of notification kind `kind`: its id and which keyword each
/// field fills.
pub fn template(s: &mut Settings, kind: &str, template_id: &str, fields: &[(&str, &str)]) {
    let fields = fields
        .iter()
        .map(|(f, k)| ((*f).to_owned(), (*k).to_owned()))
        .collect();
    s.wechat.templates.insert(
        NotificationKind::parse(kind).expect("a notification kind"),
        TemplateSpec::parse(template_id, &fields).expect("a valid template"),
    );
}

/// A secret from a test literal.
pub fn secret(s: &str) -> SecretString {
    SecretString::from(s.to_owned())
}
