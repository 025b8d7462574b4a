//! The operator's view (issue 17): readiness with migrations, `/metrics` behind its
//! token, and the request id from the proxy through to the outbox row.

use crate::support::complaints::complaint_templates;
use crate::support::fake_wechat::FakeWechat;
use crate::support::follower::{Browser, GOOD};
use crate::support::wechat::text;
use crate::support::{secret, spawn_app, spawn_app_with, spawn_app_with_wechat};

const TOKEN: &str = "scrape-token-0123456789";

#[tokio::test]
async fn readyz_is_503_while_a_migration_of_this_build_is_not_applied() {
    let app = spawn_app().await;
    sqlx::query(
        "DELETE FROM _sqlx_migrations WHERE version = (SELECT max(version) FROM _sqlx_migrations)",
    )
    .execute(&app.pool)
    .await
    .unwrap();
    let (status, body) = app.get_json("/readyz").await;
    assert_eq!(status, 503, "{body}");
    assert_eq!(body["migrations"], "pending", "{body}");
    assert_eq!(body["postgres"], "ok", "{body}");
}

async fn scrape(app: &crate::support::TestApp, token: Option<&str>) -> (u16, String) {
    let mut request = app.client.get(app.url("/metrics"));
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
    let r = request.send().await.unwrap();
    (r.status().as_u16(), r.text().await.unwrap())
}

/// The value of the first sample line that starts with `series`.
fn sample(metrics: &str, series: &str) -> f64 {
    metrics
        .lines()
        .find(|l| l.starts_with(series))
        .and_then(|l| l.rsplit(' ').next())
        .and_then(|v| v.parse().ok())
        .unwrap_or_else(|| panic!("no {series} in\n{metrics}"))
}

#[tokio::test]
async fn metrics_answer_only_the_bearer_of_the_token() {
    let app = spawn_app_with(|s| s.metrics.token = secret(TOKEN)).await;
    assert_eq!(scrape(&app, None).await.0, 404);
    assert_eq!(scrape(&app, Some("scrape-token-0123456780")).await.0, 404);
    assert_eq!(scrape(&app, Some(TOKEN)).await.0, 200);
    // Without a configured token nobody gets them, whatever they send.
    let closed = spawn_app().await;
    assert_eq!(scrape(&closed, Some("")).await.0, 404);
}

#[tokio::test]
async fn metrics_count_requests_by_route_webhook_messages_retries_and_the_outbox() {
    let app = spawn_app_with(|s| s.metrics.token = secret(TOKEN)).await;
    for _ in 0..3 {
        assert_eq!(app.get("/v/411503209202").await.status(), 200);
    }
    // One message and WeChat's retry of it.
    let message = text("oMetrics000000000000000001", "王岗");
    app.wechat(&message).await;
    app.wechat(&message).await;
    let (status, metrics) = scrape(&app, Some(TOKEN)).await;
    assert_eq!(status, 200);
    // The route's pattern, never the village code of the path.
    assert_eq!(
        sample(
            &metrics,
            r#"sunvillage_http_requests_total{route="/v/{code}",method="GET",status="200"}"#
        ),
        3.0
    );
    assert!(!metrics.contains("411503209202"), "{metrics}");
    assert_eq!(
        sample(
            &metrics,
            r#"sunvillage_http_request_duration_seconds_count{route="/v/{code}"}"#
        ),
        3.0
    );
    assert_eq!(
        sample(
            &metrics,
            r#"sunvillage_webhook_messages_total{kind="text"}"#
        ),
        2.0
    );
    assert_eq!(sample(&metrics, "sunvillage_webhook_dedup_hits_total"), 1.0);
    assert_eq!(sample(&metrics, "sunvillage_outbox_pending "), 0.0);
    assert_eq!(sample(&metrics, "sunvillage_complaints_overdue "), 0.0);
    assert!(sample(&metrics, r#"sunvillage_db_pool_connections{state="max"}"#) >= 1.0);
    assert_eq!(sample(&metrics, "sunvillage_redis_errors_total"), 0.0);
    // No follower's openid, ever.
    assert!(!metrics.contains("oMetrics"), "{metrics}");
}

#[tokio::test]
async fn the_outbox_shows_due_rows_and_failures_by_errcode() {
    // No worker in this instance: it would take the due rows before the scrape (the test
    // failed so under a loaded suite).
    let app = spawn_app_with(|s| {
        s.metrics.token = secret(TOKEN);
        s.outbox.worker_in_serve = false;
    })
    .await;
    // Rows as the worker leaves them: one due, one retrying after 45009, one given up.
    for (status, error) in [
        ("pending", None),
        (
            "pending",
            Some("WeChat error 45009: reach max api daily quota limit"),
        ),
        ("failed", Some("WeChat error 43004: require subscribe")),
    ] {
        sqlx::query(
            "INSERT INTO outbox (kind, openid, openid_hash, template_id, data, status, last_error, next_attempt_at)
             VALUES ('complaint_received', 'oFixture000000000000000001', decode(md5(random()::text), 'hex'),
                     't', '{}', $1, $2, now() - interval '90 seconds')",
        )
        .bind(status)
        .bind(error)
        .execute(&app.pool)
        .await
        .unwrap();
    }
    let (_, metrics) = scrape(&app, Some(TOKEN)).await;
    assert_eq!(sample(&metrics, "sunvillage_outbox_pending "), 2.0);
    assert!(sample(&metrics, "sunvillage_outbox_oldest_due_seconds ") >= 90.0);
    assert_eq!(
        sample(
            &metrics,
            r#"sunvillage_outbox_failures{status="pending",code="45009"}"#
        ),
        1.0
    );
    assert_eq!(
        sample(
            &metrics,
            r#"sunvillage_outbox_failures{status="failed",code="43004"}"#
        ),
        1.0
    );
}

#[tokio::test]
async fn a_request_id_is_kept_only_from_a_trusted_proxy_and_reaches_the_outbox_row() {
    let fake = FakeWechat::start().await;
    // Trusted: the test's client is on loopback, like nginx beside the instance.
    let app = spawn_app_with_wechat(&fake, |s| {
        complaint_templates(s);
        s.server.trusted_proxies = "127.0.0.1".into();
    })
    .await;
    let follower = Browser::signed_in(&app, &fake, "oRequestId0000000000000001").await;
    let r = follower
        .submit_with_request_id("411503209202", GOOD, "0f8fad5bd9cb469fa16570867728950e")
        .await;
    assert_eq!(r.status(), 303);
    assert_eq!(
        r.headers()["x-request-id"],
        "0f8fad5bd9cb469fa16570867728950e"
    );
    let stored: Vec<Option<String>> = sqlx::query_scalar("SELECT request_id FROM outbox")
        .fetch_all(&app.pool)
        .await
        .unwrap();
    assert_eq!(
        stored,
        vec![Some("0f8fad5bd9cb469fa16570867728950e".to_owned())]
    );
    // A forged line is not believed, even from the proxy: a fresh id instead.
    let r = app
        .client
        .get(app.url("/"))
        .header("x-request-id", "forged id with spaces")
        .send()
        .await
        .unwrap();
    let id = r.headers()["x-request-id"].to_str().unwrap().to_owned();
    assert_eq!(id.len(), 32, "{id}");
    assert!(id.bytes().all(|b| b.is_ascii_hexdigit()), "{id}");

    // From anyone else the header is ignored.
    let untrusted = spawn_app().await;
    let r = untrusted
        .client
        .get(untrusted.url("/"))
        .header("x-request-id", "0f8fad5bd9cb469fa16570867728950e")
        .send()
        .await
        .unwrap();
    assert_ne!(
        r.headers()["x-request-id"],
        "0f8fad5bd9cb469fa16570867728950e"
    );
}
