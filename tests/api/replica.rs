//! Public pages from a streaming replica (issue 17, docs/scaling.md): with
//! `database.read_url` set, the read-only pages query the hot standby and everything
//! that writes keeps the primary. With the standby's replay paused, a disclosure
//! committed on the primary is not on the pages yet while a complaint filed through the
//! form is stored and shown to its author at once; once replay resumes, the pages show
//! the disclosure.

use std::time::Duration;

use sqlx::PgPool;
use sunvillage::configuration::DatabaseUrl;

use crate::support::complaints::OPENID;
use crate::support::fake_wechat::FakeWechat;
use crate::support::follower::{Browser, GOOD};
use crate::support::own_servers::OwnPostgres;
use crate::support::spawn_app_with_wechat;
use crate::support::wait::until;

const VILLAGE: &str = "411503209202";

/// A published disclosure written straight into the primary; its id.
async fn publish(pool: &PgPool, title: &str) -> i64 {
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO disclosures (region_code, module) VALUES ($1, 'assets') RETURNING id",
    )
    .bind(VILLAGE)
    .fetch_one(pool)
    .await
    .unwrap();
    sqlx::query(
        "INSERT INTO disclosure_versions (disclosure_id, version, title, body, publisher)
         VALUES ($1, 1, $2, '收入 1,200.00 元，支出 800.00 元。', '村委会')",
    )
    .bind(id)
    .bind(title)
    .execute(pool)
    .await
    .unwrap();
    id
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn public_pages_read_the_replica_while_forms_write_the_primary() {
    let primary = OwnPostgres::start().await;
    let replica = OwnPostgres::replica_of(&primary).await;
    let fake = FakeWechat::start().await;
    let (to_primary, to_replica) = (primary.url("sunvillage"), replica.url("sunvillage"));
    let app = spawn_app_with_wechat(&fake, move |s| {
        s.database.url = DatabaseUrl::parse(&to_primary).unwrap();
        s.database.read_url = Some(DatabaseUrl::parse(&to_replica).unwrap());
    })
    .await;
    let village = format!("/v/{VILLAGE}");
    // The standby has replayed the database the service created and migrated.
    assert!(
        until(Duration::from_secs(30), async || app
            .get(&village)
            .await
            .status()
            == 200)
        .await,
        "the village page is served from the replica"
    );
    let standby = PgPool::connect(&replica.url("sunvillage")).await.unwrap();
    sqlx::query("SELECT pg_wal_replay_pause()")
        .execute(&standby)
        .await
        .unwrap();

    let id = publish(&app.pool, "2026年11月财务公开（复制测试）").await;
    let page = format!("/d/{id}");
    assert_eq!(app.get(&page).await.status(), 404, "not on the replica yet");
    let before = app.get(&village).await.text().await.unwrap();
    assert!(!before.contains("复制测试"));

    // A form writes to the primary and its author sees the result at once.
    let follower = Browser::signed_in(&app, &fake, OPENID).await;
    let (status, to, _) = follower.submit(VILLAGE, GOOD, false).await;
    assert_eq!(status, 303, "{to}");
    let mine = follower.client.get(app.url(&to)).send().await.unwrap();
    assert_eq!(mine.status(), 200);

    sqlx::query("SELECT pg_wal_replay_resume()")
        .execute(&standby)
        .await
        .unwrap();
    assert!(
        until(Duration::from_secs(30), async || app
            .get(&page)
            .await
            .status()
            == 200)
        .await,
        "replayed, the disclosure is on the pages"
    );
    let body = app.get(&page).await.text().await.unwrap();
    assert!(body.contains("复制测试"), "{body}");
}
