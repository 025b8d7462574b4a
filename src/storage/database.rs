//! Connecting: create the database when missing, then apply the migrations.

use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use sqlx::{ConnectOptions, Connection, PgConnection, PgPool};
use std::time::Duration;

use crate::configuration::DatabaseSettings;

/// The schema, embedded in the binary.
pub static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("./migrations");

/// Creates the configured database if it does not exist. Several instances starting at
/// once may race here; losing the race is fine.
pub async fn create_if_missing(options: &PgConnectOptions) -> anyhow::Result<()> {
    let Some(name) = options.get_database().map(str::to_owned) else {
        return Ok(());
    };
    let mut maintenance = connect_maintenance(options).await?;
    let exists: bool =
        sqlx::query_scalar("SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = $1)")
            .bind(&name)
            .fetch_one(&mut maintenance)
            .await?;
    if !exists {
        let sql = format!("CREATE DATABASE \"{}\"", name.replace('"', "\"\""));
        match sqlx::query(&sql).execute(&mut maintenance).await {
            Ok(_) => tracing::info!(database = %name, "created the database"),
            // 42P04 duplicate_database, 23505 when two CREATEs race on pg_database.
            Err(sqlx::Error::Database(e))
                if matches!(e.code().as_deref(), Some("42P04" | "23505")) => {}
            Err(e) => return Err(e.into()),
        }
    }
    maintenance.close().await?;
    Ok(())
}

/// A connection to the server's `postgres` database, for creating and dropping others.
pub async fn connect_maintenance(options: &PgConnectOptions) -> Result<PgConnection, sqlx::Error> {
    options
        .clone()
        .database("postgres")
        .log_statements(log::LevelFilter::Debug)
        .connect()
        .await
}

/// Statements slower than this are logged as warnings by the service's pool.
const SLOW_STATEMENT: Duration = Duration::from_secs(1);

/// The pool the service runs on.
pub fn pool(settings: &DatabaseSettings, options: PgConnectOptions) -> PgPool {
    PgPoolOptions::new()
        .max_connections(settings.max_connections)
        .acquire_timeout(Duration::from_millis(settings.acquire_timeout_ms))
        .connect_lazy_with(
            options
                .log_statements(log::LevelFilter::Debug)
                .log_slow_statements(log::LevelFilter::Warn, SLOW_STATEMENT),
        )
}

/// Creates the database when needed, connects and migrates.
pub async fn connect_and_migrate(settings: &DatabaseSettings) -> anyhow::Result<PgPool> {
    let options = settings.connect_options();
    create_if_missing(&options).await?;
    let pool = pool(settings, options);
    MIGRATOR.run(&pool).await?;
    Ok(pool)
}

/// Like [`connect_and_migrate`], for bulk jobs whose statements are slow by nature.
pub async fn connect_for_bulk_work(settings: &DatabaseSettings) -> anyhow::Result<PgPool> {
    let options = settings.connect_options();
    create_if_missing(&options).await?;
    let pool = PgPoolOptions::new()
        .max_connections(2)
        .connect_with(options.log_slow_statements(log::LevelFilter::Off, Duration::MAX))
        .await?;
    MIGRATOR.run(&pool).await?;
    Ok(pool)
}

/// Whether an error means the database cannot be reached now (down, restarting, or
/// every connection busy), as opposed to a query that failed.
pub fn is_unavailable(e: &sqlx::Error) -> bool {
    matches!(
        e,
        sqlx::Error::PoolTimedOut
            | sqlx::Error::PoolClosed
            | sqlx::Error::Io(_)
            | sqlx::Error::Tls(_)
    )
}

/// Whether the database is known to be down right now, as a watcher on a connection of
/// its own sees it (every `WATCH_EVERY`). Pages ask it before they wait on the pool: a
/// pool busy under load makes a request wait its turn, a database that is down makes it
/// answer "try again" at once. Cheap to clone.
#[derive(Debug, Clone, Default)]
pub struct Availability(std::sync::Arc<std::sync::atomic::AtomicBool>);

/// How often the watcher pings, and how long a ping or a connection attempt may take.
const WATCH_EVERY: Duration = Duration::from_millis(250);
const WATCH_TIMEOUT: Duration = Duration::from_millis(500);

impl Availability {
    pub fn is_down(&self) -> bool {
        self.0.load(std::sync::atomic::Ordering::Relaxed)
    }

    /// Watches the database until `stop`.
    pub async fn watch(self, options: PgConnectOptions, stop: tokio_util::sync::CancellationToken) {
        let mut connection: Option<PgConnection> = None;
        loop {
            let answered = match connection.as_mut() {
                Some(c) => tokio::time::timeout(WATCH_TIMEOUT, c.ping())
                    .await
                    .is_ok_and(|r| r.is_ok()),
                None => false,
            };
            if !answered {
                connection = tokio::time::timeout(WATCH_TIMEOUT, options.connect())
                    .await
                    .ok()
                    .and_then(Result::ok);
            }
            let down = !answered && connection.is_none();
            if self.0.swap(down, std::sync::atomic::Ordering::Relaxed) != down {
                if down {
                    tracing::warn!("the database does not answer; pages say so at once");
                } else {
                    tracing::info!("the database answers again");
                }
            }
            tokio::select! {
                () = tokio::time::sleep(WATCH_EVERY) => {}
                () = stop.cancelled() => break,
            }
        }
        if let Some(c) = connection {
            let _ = c.close().await;
        }
    }
}

/// Whether Postgres answers within two seconds.
pub async fn ping(pool: &PgPool) -> anyhow::Result<()> {
    tokio::time::timeout(
        Duration::from_secs(2),
        sqlx::query("SELECT 1").execute(pool),
    )
    .await
    .map_err(|_| anyhow::anyhow!("no answer within 2 s"))??;
    Ok(())
}

/// How many migrations of this build the database has not applied (0: the schema is
/// at least as new as the code; newer is fine, migrations being additive).
pub async fn unapplied_migrations(pool: &PgPool) -> anyhow::Result<usize> {
    let applied: Vec<i64> =
        sqlx::query_scalar("SELECT version FROM _sqlx_migrations WHERE success")
            .fetch_all(pool)
            .await?;
    Ok(MIGRATOR
        .iter()
        .filter(|m| m.migration_type.is_up_migration())
        .filter(|m| !applied.contains(&m.version))
        .count())
}
