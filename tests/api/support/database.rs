//! Test databases: each test gets a fresh one, copied from a template that is migrated
//! and holds the built-in regions, built once per schema version.

use std::sync::LazyLock;

use sha1::{Digest, Sha1};
use sqlx::postgres::PgConnectOptions;
use sqlx::{Connection, PgConnection, PgPool};
use sunvillage::region_import;
use sunvillage::storage::database::{self, MIGRATOR};
use tokio::sync::OnceCell;

/// The local Postgres server, without a database name.
pub static PG_BASE: LazyLock<String> = LazyLock::new(|| {
    std::env::var("TEST_PG_BASE").unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432".into())
});

/// The URL of database `name` on the local server.
pub fn url_of(name: &str) -> String {
    format!("{}/{name}", *PG_BASE)
}

async fn maintenance() -> Result<PgConnection, sqlx::Error> {
    let options: PgConnectOptions = format!("{}/postgres", *PG_BASE).parse()?;
    database::connect_maintenance(&options).await
}

/// A database name no other test uses.
pub fn unique_name(prefix: &str) -> String {
    format!("{prefix}_{}", uuid::Uuid::new_v4().simple())
}

/// The migrated template holding the built-in regions, built once per schema version
/// (under an advisory lock, since test processes run side by side).
async fn template_database() -> &'static str {
    static TEMPLATE: OnceCell<String> = OnceCell::const_new();
    TEMPLATE
        .get_or_init(|| async {
            let mut hasher = Sha1::new();
            for m in MIGRATOR.iter() {
                hasher.update(m.version.to_le_bytes());
                hasher.update(&*m.checksum);
            }
            hasher.update(env!("CARGO_PKG_VERSION"));
            let digest = hasher.finalize();
            let tag = hex::encode(&digest[..6]);
            let name = format!("sv_tpl_{tag}");

            let mut conn = maintenance()
                .await
                .expect("Postgres is running on 127.0.0.1:5432");
            sqlx::query("SELECT pg_advisory_lock(7110415)")
                .execute(&mut conn)
                .await
                .unwrap();
            let exists: bool =
                sqlx::query_scalar("SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = $1)")
                    .bind(&name)
                    .fetch_one(&mut conn)
                    .await
                    .unwrap();
            if !exists {
                let building = format!("{name}_building");
                sqlx::query(&format!(
                    "DROP DATABASE IF EXISTS \"{building}\" WITH (FORCE)"
                ))
                .execute(&mut conn)
                .await
                .unwrap();
                sqlx::query(&format!("CREATE DATABASE \"{building}\""))
                    .execute(&mut conn)
                    .await
                    .unwrap();
                let pool = PgPool::connect(&url_of(&building)).await.unwrap();
                MIGRATOR.run(&pool).await.unwrap();
                region_import::import_builtin_if_empty(&pool).await.unwrap();
                pool.close().await;
                // A session of that pool can outlive close(): seen as an idle backend
                // after COMMIT, which made the rename fail with "being accessed by other
                // users" (the first tests of a run after the template was dropped, under
                // a cold cache). Nothing else uses the database being built: end what is
                // left, waiting for each to exit, before renaming it.
                sqlx::query(
                    "SELECT pg_terminate_backend(pid, 5000) FROM pg_stat_activity
                     WHERE datname = $1 AND pid <> pg_backend_pid()",
                )
                .bind(&building)
                .execute(&mut conn)
                .await
                .unwrap();
                sqlx::query(&format!(
                    "ALTER DATABASE \"{building}\" RENAME TO \"{name}\""
                ))
                .execute(&mut conn)
                .await
                .unwrap();
            }
            sqlx::query("SELECT pg_advisory_unlock(7110415)")
                .execute(&mut conn)
                .await
                .unwrap();
            conn.close().await.unwrap();
            name
        })
        .await
}

/// A fresh database copied from the template: migrated, with the 信阳市 regions.
pub async fn fresh_database() -> String {
    let template = template_database().await;
    let name = unique_name("sv_test");
    let mut conn = maintenance().await.unwrap();
    sqlx::query(&format!(
        "CREATE DATABASE \"{name}\" TEMPLATE \"{template}\""
    ))
    .execute(&mut conn)
    .await
    .unwrap();
    conn.close().await.unwrap();
    name
}

/// Drops database `name`, whoever is still connected.
pub async fn drop_database(name: &str) {
    if let Ok(mut conn) = maintenance().await {
        let _ = sqlx::query(&format!("DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)"))
            .execute(&mut conn)
            .await;
    }
}
