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
/// How many looks in a row may go unanswered before silence counts as down (2–4 s).
const SILENT_LOOKS: u32 = 4;

impl Availability {
    pub fn is_down(&self) -> bool {
        self.0.load(std::sync::atomic::Ordering::Relaxed)
    }

    /// Watches the database until `stop`.
    pub async fn watch(self, options: PgConnectOptions, stop: tokio_util::sync::CancellationToken) {
        let mut connection: Option<PgConnection> = None;
        let mut verdict = Verdict::default();
        loop {
            let pinged = match connection.as_mut() {
                Some(c) => matches!(
                    tokio::time::timeout(WATCH_TIMEOUT, c.ping()).await,
                    Ok(Ok(()))
                ),
                None => false,
            };
            let look = if pinged {
                Look::Answered
            } else {
                // A ping cut short leaves its connection mid-exchange: start afresh.
                connection = None;
                match tokio::time::timeout(WATCH_TIMEOUT, options.connect()).await {
                    Ok(Ok(c)) => {
                        connection = Some(c);
                        Look::Answered
                    }
                    Ok(Err(_)) => Look::Refused,
                    Err(_) => Look::Silent,
                }
            };
            let down = verdict.after(look);
            if self.0.swap(down, std::sync::atomic::Ordering::Relaxed) != down {
                if down {
                    tracing::warn!(?look, "the database does not answer; pages say so at once");
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

/// What one look at the database found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Look {
    /// A ping or a new connection was answered.
    Answered,
    /// The connection was refused, reset or rejected: the server is not serving.
    Refused,
    /// No answer in time: down, or only slow.
    Silent,
}

/// Turns looks into "down". A refusal is down at once. Silence is down only after
/// `SILENT_LOOKS` looks in a row, since a database that is merely slow (every core busy
/// under a burst) also misses a ping, and calling it down then would turn readers away
/// while it is serving them; silence alone never declares it back up.
#[derive(Debug, Default)]
struct Verdict {
    down: bool,
    silent: u32,
}

impl Verdict {
    fn after(&mut self, look: Look) -> bool {
        match look {
            Look::Answered => {
                self.silent = 0;
                self.down = false;
            }
            Look::Refused => self.down = true,
            Look::Silent => {
                self.silent += 1;
                self.down |= self.silent >= SILENT_LOOKS;
            }
        }
        self.down
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

#[cfg(test)]
mod tests {
    use super::*;

    fn verdicts(looks: &[Look]) -> Vec<bool> {
        let mut verdict = Verdict::default();
        looks.iter().map(|&l| verdict.after(l)).collect()
    }

    #[test]
    fn a_refusal_is_down_at_once_and_an_answer_is_up_at_once() {
        use Look::*;
        assert_eq!(
            verdicts(&[Answered, Refused, Answered]),
            [false, true, false]
        );
    }

    #[test]
    fn a_slow_database_missing_a_few_pings_is_not_down() {
        use Look::*;
        assert_eq!(
            verdicts(&[Silent, Silent, Silent, Answered, Silent, Silent, Silent]),
            [false; 7]
        );
    }

    #[test]
    fn lasting_silence_is_down_and_silence_never_brings_it_back() {
        use Look::*;
        assert_eq!(
            verdicts(&[Silent, Silent, Silent, Silent, Silent]),
            [false, false, false, true, true]
        );
        assert_eq!(verdicts(&[Refused, Silent, Silent]), [true, true, true]);
    }
}
