//! Waiting without sleeping on the clock to decide what a test proves: readiness polls
//! for servers and processes coming up (or going down), and [`TableWatch`], which wakes
//! a test when background work writes a table.

use std::time::Duration;

use sqlx::PgPool;
use sqlx::postgres::PgListener;

/// Waits for `ready` to hold, checking every 50 ms for at most `limit`: for a server
/// or process to come up or go down, never to decide what a test proves.
pub async fn until(limit: Duration, mut ready: impl AsyncFnMut() -> bool) -> bool {
    let deadline = tokio::time::Instant::now() + limit;
    while tokio::time::Instant::now() < deadline {
        if ready().await {
            return true;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    false
}

/// How long a test waits for background work before it fails: a bound, not a pace.
pub const PATIENCE: Duration = Duration::from_secs(30);

/// Wakes a test each time a statement writes `table` in the test's own database: a
/// trigger the test installs (the app's schema has none) NOTIFYs on commit, so a test
/// waits for the background writer (the message-log batcher, an outbox worker) to
/// commit, instead of polling on a timer.
pub struct TableWatch {
    listener: PgListener,
    table: String,
}

impl TableWatch {
    /// Starts watching `table`; writes committed from now on wake [`TableWatch::until`].
    pub async fn start(pool: &PgPool, table: &str) -> TableWatch {
        let channel = format!("test_changed_{table}");
        sqlx::query(
            "CREATE OR REPLACE FUNCTION test_notify_changed() RETURNS trigger
                 LANGUAGE plpgsql AS $$
                 BEGIN PERFORM pg_notify('test_changed_' || TG_TABLE_NAME, ''); RETURN NULL; END $$",
        )
        .execute(pool)
        .await
        .expect("the notify function installs");
        sqlx::query(&format!(
            "CREATE OR REPLACE TRIGGER test_notify_changed AFTER INSERT OR UPDATE OR DELETE
                 ON {table} FOR EACH STATEMENT EXECUTE FUNCTION test_notify_changed()"
        ))
        .execute(pool)
        .await
        .expect("the notify trigger installs");
        let mut listener = PgListener::connect_with(pool)
            .await
            .expect("LISTEN connects");
        listener.listen(&channel).await.expect("LISTEN registers");
        TableWatch {
            listener,
            table: table.to_owned(),
        }
    }

    /// Returns once `done` holds, checking it now and after every committed write to
    /// the table; fails the test after [`PATIENCE`] without one that satisfies it.
    pub async fn until(&mut self, what: &str, mut done: impl AsyncFnMut() -> bool) {
        let deadline = tokio::time::Instant::now() + PATIENCE;
        while !done().await {
            let woken = tokio::time::timeout_at(deadline, self.listener.recv()).await;
            match woken {
                Ok(Ok(_)) => {}
                Ok(Err(e)) => panic!("lost the watch on {}: {e}", self.table),
                Err(_) => panic!("no write to {} made it true that {what}", self.table),
            }
        }
    }
}
