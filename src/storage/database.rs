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
        .acquire_timeout(Duration::from_secs(5))
        .connect_lazy_with(
            options
                .log_statements(log::LevelFilter::Debug)
                .log_slow_statements(log::LevelFilter::Warn, SLOW_STATEMENT),
        )
}

/// Creates the database when needed, connects and migrates.
pub async fn connect_and_migrate(settings: &DatabaseSettings) -> anyhow::Result<PgPool> {
    let options = settings.connect_options()?;
    create_if_missing(&options).await?;
    let pool = pool(settings, options);
    MIGRATOR.run(&pool).await?;
    Ok(pool)
}

/// Like [`connect_and_migrate`], for bulk jobs whose statements are slow by nature.
pub async fn connect_for_bulk_work(settings: &DatabaseSettings) -> anyhow::Result<PgPool> {
    let options = settings.connect_options()?;
    create_if_missing(&options).await?;
    let pool = PgPoolOptions::new()
        .max_connections(2)
        .connect_with(options.log_slow_statements(log::LevelFilter::Off, Duration::MAX))
        .await?;
    MIGRATOR.run(&pool).await?;
    Ok(pool)
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
