use crate::support::{secret, spawn_app, spawn_app_with};

#[tokio::test]
async fn readyz_reports_postgres_redis_and_migrations_up() {
    let app = spawn_app().await;
    let (status, body) = app.get_json("/readyz").await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["postgres"], "ok");
    assert_eq!(body["redis"], "ok");
    assert_eq!(body["migrations"], "ok");
    let (status, body) = app.get_json("/healthz").await;
    assert_eq!((status, &body["status"]), (200, &"ok".into()));
}

#[tokio::test]
async fn readyz_is_503_naming_redis_when_redis_is_unreachable() {
    // Port 1 on loopback: nothing listens there.
    let app = spawn_app_with(|s| s.redis.url = secret("redis://127.0.0.1:1")).await;
    let (status, body) = app.get_json("/readyz").await;
    assert_eq!(status, 503);
    assert_eq!(body["status"], "unavailable");
    assert_eq!(body["postgres"], "ok");
    // Public: the state, never the internal reason.
    assert_eq!(body["redis"], "down", "{body}");
    assert!(!body.to_string().contains("127.0.0.1"), "{body}");
}

#[tokio::test]
async fn without_redis_the_in_process_store_serves() {
    let app = spawn_app_with(|s| s.redis.url = secret("")).await;
    let (status, body) = app.get_json("/readyz").await;
    assert_eq!(status, 200);
    assert_eq!(body["redis"], "in-process");
}

#[tokio::test]
async fn readyz_is_503_naming_postgres_when_postgres_is_gone_while_healthz_stays_alive() {
    let app = spawn_app().await;
    // Sabotage: end the app's sessions and forbid new ones.
    let mut conn = sqlx::PgConnection::connect(&format!("{}/postgres", *crate::support::PG_BASE))
        .await
        .unwrap();
    sqlx::query(&format!(
        "ALTER DATABASE \"{}\" WITH ALLOW_CONNECTIONS false",
        app.db_name
    ))
    .execute(&mut conn)
    .await
    .unwrap();
    sqlx::query("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1")
        .bind(&app.db_name)
        .execute(&mut conn)
        .await
        .unwrap();
    let (status, body) = app.get_json("/readyz").await;
    assert_eq!(status, 503);
    assert_eq!(body["postgres"], "down", "{body}");
    // Alive all the same: a liveness probe that failed now would restart every
    // instance at once during a database outage.
    assert_eq!(app.get_json("/healthz").await.0, 200);
    sqlx::query(&format!(
        "ALTER DATABASE \"{}\" WITH ALLOW_CONNECTIONS true",
        app.db_name
    ))
    .execute(&mut conn)
    .await
    .unwrap();
}

use sqlx::Connection;
