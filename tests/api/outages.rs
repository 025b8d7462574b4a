//! What an outage of Redis or Postgres does to a villager, on servers of the test's own
//! (the machine's shared ones keep running): a complaint is still taken without Redis,
//! Redis is used again by the first request after it returns, and without Postgres the
//! webhook apologises at once instead of letting WeChat time out.

use std::time::Duration;

use sunvillage::configuration::{DatabaseUrl, WechatMode};
use sunvillage::wechat::webhook::handlers::SORRY;

use crate::support::complaints::{WANGGANG, complaint_templates};
use crate::support::fake_wechat::FakeWechat;
use crate::support::follower::{Browser, GOOD, hidden};
use crate::support::own_servers::{OwnPostgres, OwnRedis};
use crate::support::wait::until;
use crate::support::wechat::{text, text_of};
use crate::support::{secret, spawn_app_with, spawn_app_with_wechat};

/// Below WeChat's 5 s: an answer later than this is as good as none.
const WECHAT_PATIENCE: Duration = Duration::from_secs(4);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn with_redis_down_a_complaint_is_taken_and_redis_is_used_again_once_it_returns() {
    let mut redis = OwnRedis::start().await;
    let fake = FakeWechat::start().await;
    let url = redis.url();
    let app = spawn_app_with_wechat(&fake, move |s| {
        complaint_templates(s);
        s.redis.url = secret(&url);
        s.wechat.mode = WechatMode::Safe;
    })
    .await;
    let follower = Browser::signed_in(&app, &fake, "oRedisOutage0000000000000001").await;
    let (_, form) = follower
        .get(&format!("/complaints/new?village={WANGGANG}"))
        .await;

    redis.crash().await;
    // The form opened before the outage is submitted during it, with a photo.
    let (status, to, body) = follower
        .post_form(
            &hidden(&form, "form_key"),
            &hidden(&form, "csrf"),
            WANGGANG,
            GOOD,
            true,
        )
        .await;
    assert_eq!(status, 303, "{body}");
    assert!(to.ends_with("/received"), "{to}");
    let (complaints, photos, pushes): (i64, i64, i64) = sqlx::query_as(
        "SELECT (SELECT count(*) FROM complaints), (SELECT count(*) FROM complaint_photos),
                (SELECT count(*) FROM outbox WHERE kind = 'complaint_received')",
    )
    .fetch_one(&app.pool)
    .await
    .unwrap();
    assert_eq!((complaints, photos, pushes), (1, 1, 1));
    // Traffic during the outage: the webhook still answers (without de-duplication).
    for _ in 0..10 {
        let reply = text_of(
            app.wechat(&text("oRedisOutage0000000000000002", "王岗"))
                .await,
        );
        assert!(reply.contains("王岗"), "{reply}");
    }
    let (status, health) = app.get_json("/readyz").await;
    assert_eq!(
        (status, &health["redis"]),
        (503, &"down".into()),
        "{health}"
    );

    redis.resume().await;
    // The first request after Redis answers again uses it: no back-off to wait out.
    app.kv.ping().await.expect("the store reconnects at once");
    let (status, health) = app.get_json("/readyz").await;
    assert_eq!(status, 200, "{health}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn with_postgres_down_the_webhook_apologises_at_once_and_pages_say_busy() {
    let pg = OwnPostgres::start().await;
    let url = pg.url("sunvillage");
    let app = spawn_app_with(move |s| s.database.url = DatabaseUrl::parse(&url).unwrap()).await;
    let village = "/v/411503209202";
    assert_eq!(app.get(village).await.status(), 200);

    pg.crash().await;
    // The service notices within a second (a watcher pings on a connection of its own).
    assert!(
        until_postgres_is(&app, "down").await,
        "the outage is noticed"
    );
    // 进度 needs the database: the follower reads an apology, well within WeChat's 5 s.
    let reply = tokio::time::timeout(
        WECHAT_PATIENCE,
        app.wechat(&text("oPostgresOutage00000000000001", "进度")),
    )
    .await
    .expect("an answer before WeChat gives up");
    assert_eq!(text_of(reply), SORRY);
    let page = tokio::time::timeout(WECHAT_PATIENCE, app.get(village))
        .await
        .expect("an answer before the follower gives up");
    assert_eq!(page.status(), 503);
    assert_eq!(page.headers()["cache-control"], "no-store");
    assert!(page.text().await.unwrap().contains("请稍后再试"));

    pg.resume().await;
    assert!(until_postgres_is(&app, "ok").await, "the return is noticed");
    assert_eq!(app.get(village).await.status(), 200, "pages are back");
}

/// Waits (at most 10 s) until `/readyz` reports Postgres as `state`: the watcher
/// noticing a server that went down or came back (readiness, as for a server itself).
pub(crate) async fn until_postgres_is(app: &crate::support::TestApp, state: &str) -> bool {
    until(Duration::from_secs(10), async || {
        app.get_json("/readyz").await.1["postgres"] == state
    })
    .await
}
