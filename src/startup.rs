//! Building the running service: database (created and migrated), built-in regions,
//! Redis or the in-process store, the search index, background tasks, and the HTTP
//! server bound to the configured address (port 0 in tests).

use std::future::Future;
use std::net::TcpListener;
use std::sync::Arc;
use std::time::Duration;

use actix_web::dev::Server;
use actix_web::middleware::{Compress, DefaultHeaders, NormalizePath, TrailingSlash};
use actix_web::{App, HttpServer, web};
use anyhow::Context;
use sqlx::PgPool;
use tracing_actix_web::TracingLogger;

use crate::auth::csrf::FormTokens;
use crate::auth::follower::Sessions;
use crate::configuration::{DatabaseSettings, Settings};
use crate::domain::disclosure::calendar::Calendar;
use crate::domain::disclosure::definition::ModuleDefinitions;
use crate::kv::Kv;
use crate::region_import;
use crate::region_index::SearchIndex;
use crate::routes;
use crate::services::transparency::{self, LogSigner};
use crate::shutdown::Background;
use crate::storage;
use crate::telemetry::RequestSpan;
use crate::wechat::api::WechatApi;
use crate::wechat::api::template::Templates;
use crate::wechat::webhook::{Webhook, message_log};
use crate::workers::outbox;
use crate::workers::view_counter::ViewCounter;

/// How often each instance checks whether the region table changed.
const INDEX_REFRESH_EVERY: Duration = Duration::from_secs(60);
/// A staff session ends after this long without a request, and after this long at all.
const STAFF_IDLE_MINUTES: u64 = 30;
const STAFF_ABSOLUTE_HOURS: u64 = 12;
/// How long a client may take to send its request line and headers.
const HEADER_TIMEOUT: Duration = Duration::from_secs(5);
/// How long in-flight requests and background tasks get to finish on shutdown.
const SHUTDOWN_GRACE: Duration = Duration::from_secs(30);

/// What handlers share; each field is registered as its own `web::Data`.
#[derive(Clone)]
pub struct AppState {
    pub settings: Arc<Settings>,
    pub pool: PgPool,
    /// What the read-only public pages query: the replica of `database.read_url`, or
    /// `pool` itself.
    pub page_pool: PgPool,
    /// The keys of identities at rest.
    pub vault: crate::crypto::Vault,
    pub kv: Kv,
    pub regions: SearchIndex,
    /// The WeChat API client (its token store is shared with every clone).
    pub wechat: WechatApi,
    /// Template and field mapping per notification kind, for building outbox rows.
    pub templates: Templates,
    /// Follower sessions on pages.
    pub sessions: Sessions,
    /// CSRF tokens of follower forms.
    pub forms: FormTokens,
    /// Disclosure page views, written in batches by a background task.
    pub views: ViewCounter,
    /// Whether the database is known to be down.
    pub database: storage::database::Availability,
    /// Staff accounts and sessions.
    pub accounts: crate::services::accounts::Accounts,
    pub webhook: Arc<Webhook>,
    /// Signs the transparency log's checkpoints; its public key is on /transparency.
    pub log_signer: LogSigner,
    /// What each module's disclosures hold (`data/modules/*.toml`).
    pub modules: Arc<ModuleDefinitions>,
    /// How often each module must be published (`data/modules/calendar.toml`).
    pub calendar: Arc<Calendar>,
    /// What /metrics shows.
    pub metrics: crate::metrics::Metrics,
    /// The home and village pages, rendered (`page_cache`).
    pub page_cache: crate::page_cache::PageCache,
}

/// The database as every command needs it: created when missing, migrated, and holding
/// at least the built-in 信阳市 divisions.
pub async fn prepare_database(settings: &DatabaseSettings) -> anyhow::Result<PgPool> {
    let pool = storage::database::connect_and_migrate(settings)
        .await
        .context("cannot prepare the database (database.url)")?;
    region_import::import_builtin_if_empty(&pool)
        .await
        .context("cannot import the built-in 信阳市 divisions")?;
    Ok(pool)
}

/// Staff accounts and their sessions, as `serve` and the `user` commands use them.
pub fn accounts_service(
    settings: &Settings,
    pool: PgPool,
) -> anyhow::Result<crate::services::accounts::Accounts> {
    let secret = secrecy::ExposeSecret::expose_secret(&settings.session.secret).as_bytes();
    let kv = Kv::from_settings(&settings.redis).context("redis.url")?;
    Ok(crate::services::accounts::Accounts {
        pool,
        kv: kv.clone(),
        sessions: crate::auth::staff_session::StaffSessions::new(
            kv,
            secret,
            settings.environment == crate::configuration::AppEnvironment::Production
                || settings.public_base().starts_with("https://"),
            Duration::from_secs(STAFF_IDLE_MINUTES * 60),
            Duration::from_secs(STAFF_ABSOLUTE_HOURS * 3600),
        ),
        sealer: crate::auth::totp::Sealer::new(secret),
        refuse_samples: settings.environment == crate::configuration::AppEnvironment::Production,
    })
}

/// The service, bound and ready to run.
pub struct Application {
    port: u16,
    server: Server,
    background: Background,
    state: AppState,
}

impl Application {
    pub async fn build(settings: Settings) -> anyhow::Result<Application> {
        crate::telemetry::set_log_key(
            secrecy::ExposeSecret::expose_secret(&settings.session.secret).as_bytes(),
        );
        let bind = settings.server.bind;
        tracing::info!(database = %settings.database.describe(), "connecting to Postgres");
        let pool = prepare_database(&settings.database).await?;
        let vault = crate::crypto::Vault::from_settings(&settings.crypto).context("crypto")?;
        let sealed = storage::sealing::seal_plaintext(&pool, &vault)
            .await
            .context("cannot seal the identities stored before encryption")?;
        if sealed != storage::sealing::Sealed::default() {
            tracing::info!(
                complaints = sealed.complaints,
                photos = sealed.photos,
                outbox = sealed.outbox,
                followers = sealed.followers,
                messages = sealed.messages,
                "sealed identities stored in plaintext"
            );
        }

        // A bad definition file stops start-up, naming the file and the field.
        let modules = Arc::new(ModuleDefinitions::builtin().context("the module definitions")?);
        let calendar = Arc::new(Calendar::builtin().context("the publication calendar")?);
        let power_list = crate::domain::PowerList::parse(crate::domain::power::BUILTIN_POWER_LIST)
            .context("the built-in power list (data/power/power-list.toml)")?;
        if storage::power::load_if_empty(&pool, &power_list)
            .await
            .context("cannot load the built-in power list")?
        {
            tracing::info!(
                items = power_list.items().len(),
                "loaded the built-in power list"
            );
        }

        let kv = Kv::from_settings(&settings.redis).context("redis.url")?;
        if kv.is_shared() {
            if let Err(e) = kv.ping().await {
                tracing::error!(error = %e, "Redis does not answer; /healthz reports it until it does");
            }
        } else {
            tracing::warn!(
                "redis.url is empty: using an in-process store, which serves a single instance only"
            );
        }

        let regions = SearchIndex::default();
        regions
            .refresh(&pool)
            .await
            .context("cannot build the region index")?;

        let background = Background::default();
        regions.spawn_refresher(
            pool.clone(),
            INDEX_REFRESH_EVERY,
            background.stop.clone(),
            &background.tracker,
        );

        let wechat = WechatApi::from_settings(&settings.wechat, &kv)
            .context("cannot build the WeChat client")?;
        let templates = Templates::from_settings(&settings);
        let sessions = Sessions::from_settings(&settings, wechat.clone()).context("session")?;
        let forms = FormTokens::from_settings(&settings).context("session.secret")?;
        if !settings.session.dev_openid.is_empty() {
            tracing::warn!(
                "session.dev_openid is set: browsers without a session act as that follower"
            );
        }
        if settings.outbox.worker_in_serve {
            background.tracker.spawn(outbox::run_until_stopped(
                pool.clone(),
                vault.clone(),
                wechat.clone(),
                settings.outbox.clone(),
                background.stop.clone(),
            ));
            background
                .tracker
                .spawn(crate::workers::staff_digest::run_until_stopped(
                    pool.clone(),
                    vault.clone(),
                    templates.clone(),
                    background.stop.clone(),
                ));
            background
                .tracker
                .spawn(crate::workers::classifier::run_until_stopped(
                    pool.clone(),
                    Duration::from_secs(settings.analysis.classify_every_seconds),
                    background.stop.clone(),
                ));
            background
                .tracker
                .spawn(crate::workers::village_pushes::run_until_stopped(
                    pool.clone(),
                    vault.clone(),
                    templates.clone(),
                    background.stop.clone(),
                ));
        }
        let log_signer = LogSigner::new(Arc::clone(&settings.transparency.signing_key));
        // The first checkpoint before serving, so /transparency/checkpoint always answers.
        transparency::checkpoint_now(&pool, &log_signer)
            .await
            .map_err(|e| anyhow::anyhow!(transparency::describe(&e)))
            .context("cannot sign the transparency log's checkpoint")?;
        background
            .tracker
            .spawn(crate::workers::checkpoints::run_until_stopped(
                pool.clone(),
                log_signer.clone(),
                Duration::from_secs(settings.transparency.checkpoint_interval_s),
                background.stop.clone(),
            ));
        let accounts = accounts_service(&settings, pool.clone())?;
        let database = storage::database::Availability::default();
        background.tracker.spawn(
            database
                .clone()
                .watch(settings.database.connect_options(), background.stop.clone()),
        );
        let views = ViewCounter::default();
        views.spawn_flusher(
            pool.clone(),
            Duration::from_secs(settings.pages.view_flush_seconds),
            background.stop.clone(),
            &background.tracker,
        );
        let settings = Arc::new(settings);
        let (log, batcher) = message_log::channel(pool.clone(), vault.clone(), &settings.webhook);
        background
            .tracker
            .spawn(batcher.run(background.stop.clone()));
        let webhook = Webhook::new(
            Arc::clone(&settings),
            pool.clone(),
            vault.clone(),
            kv.clone(),
            regions.clone(),
            log,
        )
        .context("wechat.encoding_aes_key")?;

        let metrics = crate::metrics::Metrics::new(crate::metrics::Sources {
            redis_errors: kv.error_counter(),
            token_refreshes: wechat.token_fetches(),
            webhook: webhook.counters(),
        });
        let page_pool = match &settings.database.read_url {
            Some(replica) => {
                tracing::info!(replica = %replica.describe(), "public pages read the replica");
                storage::database::pool(&settings.database, replica.options().clone())
            }
            None => pool.clone(),
        };
        let page_cache = crate::page_cache::PageCache::new(crate::page_cache::CacheLimits {
            ttl: Duration::from_secs(settings.pages.cache_seconds.into()),
            // A replica is "a second or so" behind (config/default.toml): a page read from
            // it just after a change may not have it yet.
            settle: if settings.database.read_url.is_some() {
                Duration::from_secs(2)
            } else {
                Duration::ZERO
            },
            max_bytes: usize::try_from(settings.pages.cache_mib).unwrap_or(32) << 20,
        });
        if settings.pages.cache_seconds > 0 {
            // The primary: a hot standby cannot LISTEN.
            background.tracker.spawn(crate::page_cache::listen(
                pool.clone(),
                page_cache.clone(),
                background.stop.clone(),
            ));
        }
        let state = AppState {
            page_cache,
            metrics,
            settings,
            pool,
            page_pool,
            vault,
            kv,
            regions,
            wechat,
            templates,
            sessions,
            forms,
            views,
            database,
            accounts,
            webhook: Arc::new(webhook),
            log_signer,
            modules,
            calendar,
        };
        let listener =
            TcpListener::bind(bind).with_context(|| format!("cannot bind {bind} (server.bind)"))?;
        let port = listener.local_addr()?.port();
        let server = run(listener, state.clone())?;
        tracing::info!(address = %bind, port, "listening");
        Ok(Application {
            port,
            server,
            background,
            state,
        })
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    /// Shared state, for tests and for tasks run beside the server.
    pub fn state(&self) -> &AppState {
        &self.state
    }

    /// Serves until `shutdown` resolves, then stops in order: requests, then background
    /// tasks.
    pub async fn run_until_stopped(self, shutdown: impl Future<Output = ()>) -> anyhow::Result<()> {
        let handle = self.server.handle();
        let mut server = tokio::spawn(self.server);
        tokio::select! {
            result = &mut server => {
                result.context("the HTTP server panicked")??;
            }
            () = shutdown => {
                handle.stop(true).await;
                server.await.context("the HTTP server panicked")??;
            }
        }
        self.background.drain(SHUTDOWN_GRACE).await;
        self.state.pool.close().await;
        tracing::info!("stopped");
        Ok(())
    }
}

fn run(listener: TcpListener, state: AppState) -> std::io::Result<Server> {
    let workers = match state.settings.server.workers {
        0 => std::thread::available_parallelism().map_or(2, |n| n.get()),
        n => n,
    };
    let settings = web::Data::from(Arc::clone(&state.settings));
    let pool = web::Data::new(state.pool.clone());
    let page_pool = web::Data::new(state.page_pool.clone());
    let vault = web::Data::new(state.vault.clone());
    let kv = web::Data::new(state.kv.clone());
    let regions = web::Data::new(state.regions.clone());
    let wechat = web::Data::new(state.wechat.clone());
    let templates = web::Data::new(state.templates.clone());
    let sessions = web::Data::new(state.sessions.clone());
    let forms = web::Data::new(state.forms.clone());
    let views = web::Data::new(state.views.clone());
    let database = web::Data::new(state.database.clone());
    let accounts = web::Data::new(state.accounts.clone());
    let log_signer = web::Data::new(state.log_signer.clone());
    let modules = web::Data::from(Arc::clone(&state.modules));
    let calendar = web::Data::from(Arc::clone(&state.calendar));
    let webhook = web::Data::from(Arc::clone(&state.webhook));
    let metrics = web::Data::new(state.metrics.clone());
    let page_cache = web::Data::new(state.page_cache.clone());
    let body_readers = web::Data::new(routes::wechat::BodyReaders::new(
        state.settings.webhook.max_body_readers,
    ));
    let proxies = web::Data::new(routes::client::TrustedProxies::new(
        state
            .settings
            .trusted_proxies()
            .map_err(|e| std::io::Error::new(std::io::ErrorKind::InvalidInput, e))?,
    ));
    let server = HttpServer::new(move || {
        App::new()
            .wrap(Compress::default())
            .wrap(NormalizePath::new(TrailingSlash::Trim))
            .wrap(
                // No page needs to tell another site where the reader came from (a
                // complaint's address names its tracking number), and no response is
                // to be read as another type than it says.
                DefaultHeaders::new()
                    .add(("Referrer-Policy", "same-origin"))
                    .add(("X-Content-Type-Options", "nosniff")),
            )
            .wrap(TracingLogger::<RequestSpan>::new())
            // Outermost: names the request before the log span opens, and times all of it.
            .wrap(actix_web::middleware::from_fn(
                routes::request_context::middleware,
            ))
            .app_data(metrics.clone())
            .app_data(page_cache.clone())
            .app_data(settings.clone())
            .app_data(pool.clone())
            .app_data(log_signer.clone())
            .app_data(vault.clone())
            .app_data(kv.clone())
            .app_data(regions.clone())
            .app_data(wechat.clone())
            .app_data(templates.clone())
            .app_data(sessions.clone())
            .app_data(forms.clone())
            .app_data(views.clone())
            .app_data(database.clone())
            .app_data(accounts.clone())
            .app_data(modules.clone())
            .app_data(calendar.clone())
            .app_data(webhook.clone())
            .app_data(body_readers.clone())
            .app_data(proxies.clone())
            .configure(|cfg| routes::configure(cfg, &page_pool))
    })
    .workers(workers)
    // Headers must arrive within this; bodies have their own deadlines where they are
    // read (the webhook's, the upload's).
    .client_request_timeout(HEADER_TIMEOUT)
    .disable_signals()
    .shutdown_timeout(SHUTDOWN_GRACE.as_secs())
    .listen(listener)?
    .run();
    Ok(server)
}
