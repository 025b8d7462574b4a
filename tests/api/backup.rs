//! The restore drill of docs/deploy.md: a database filled through the service is dumped
//! with `pg_dump`, restored with `pg_restore` into a new database, and a new instance on
//! the copy serves the same pages, holds the same transparency log (which still
//! verifies) and opens the same complainant's identity with the same keys.

use serde_json::json;
use sunvillage::services::transparency::{self, LogSigner};
use tokio::process::Command;

use crate::support::complaints::{OPENID, named, submit_as};
use crate::support::staff::{StaffRole, act, staff_token};
use crate::support::{PG_BASE, TestApp, spawn_app, spawn_app_on, unique_name, url_of};

async fn run(command: &mut Command) {
    let out = command.output().await.unwrap();
    assert!(
        out.status.success(),
        "{command:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

async fn body(app: &TestApp, path: &str) -> (u16, String) {
    let r = app.get(path).await;
    (r.status().as_u16(), r.text().await.unwrap())
}

#[tokio::test]
async fn a_dump_restored_into_a_new_database_serves_the_same_pages_and_log() {
    let app = spawn_app().await;
    // Content that entered the way it does in production: the demo villages'
    // disclosures, a complaint with its status history, the log's checkpoint.
    run(app.command().arg("demo-data")).await;
    let handler = staff_token(&app, "李四", StaffRole::Handler).await;
    let complaint = submit_as(&app, OPENID, named(), 0).await;
    act(
        &app,
        &handler,
        complaint.complaint_id,
        json!({"action": "accept"}),
    )
    .await;
    let disclosure: i64 = sqlx::query_scalar("SELECT min(id) FROM disclosures")
        .fetch_one(&app.pool)
        .await
        .unwrap();
    let tracking = complaint.tracking_number.to_string();
    let pages = [
        "/v/411503209202".to_owned(),
        format!("/d/{disclosure}"),
        format!("/transparency/complaints/{tracking}"),
        "/power".to_owned(),
    ];
    let before: Vec<(u16, String)> = {
        let mut v = Vec::new();
        for p in &pages {
            v.push(body(&app, p).await);
        }
        v
    };

    // The day's checkpoint, signed before the backup (the worker does it each minute).
    let signer = LogSigner::new(app.settings.transparency.signing_key.clone());
    transparency::checkpoint_now(&app.pool, &signer)
        .await
        .unwrap();

    let dir = std::env::temp_dir().join(unique_name("svt-backup"));
    std::fs::create_dir_all(&dir).unwrap();
    let dump = dir.join("sunvillage.dump");
    run(Command::new("pg_dump")
        .arg("--format=custom")
        .arg("--file")
        .arg(&dump)
        .arg(url_of(&app.db_name)))
    .await;
    let restored_db = unique_name("sv_test");
    run(Command::new("createdb")
        .arg("--maintenance-db")
        .arg(format!("{}/postgres", *PG_BASE))
        .arg(&restored_db))
    .await;
    run(Command::new("pg_restore")
        .args(["--no-owner", "--exit-on-error", "--dbname"])
        .arg(url_of(&restored_db))
        .arg(&dump))
    .await;

    // The same keys (test settings), a database that has only ever seen pg_restore.
    let restored = spawn_app_on(restored_db, |_| {}).await;
    for (path, (status, page)) in pages.iter().zip(&before) {
        let (again_status, again) = body(&restored, path).await;
        assert_eq!((again_status, &again), (*status, page), "{path} differs");
        assert_eq!(*status, 200, "{path}");
    }
    let checkpoint = |a: &TestApp| {
        let a = a.url("/transparency/checkpoint");
        async move { reqwest::get(a).await.unwrap().text().await.unwrap() }
    };
    let kept = checkpoint(&restored).await;
    assert_eq!(kept, checkpoint(&app).await);
    assert!(
        kept.lines().nth(1).is_some_and(|size| size != "0"),
        "{kept}"
    );
    run(restored.command().arg("verify-log")).await;

    // The complainant's sealed openid opens on the copy with the same keys, for an auditor.
    let auditor = staff_token(&restored, "王审计", StaffRole::Auditor).await;
    let r = restored
        .client
        .post(restored.url(&format!(
            "/api/staff/complaints/{}/reveal",
            complaint.complaint_id
        )))
        .bearer_auth(&auditor)
        .json(&json!({"reason": "恢复演练核对"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let revealed = r.text().await.unwrap();
    assert!(revealed.contains(OPENID), "{revealed}");
    // And the named complainant's name and phone, to a handler who may see them (a new
    // session: sessions live in Redis, which a restore does not bring back).
    let handler = staff_token(&restored, "赵六", StaffRole::Handler).await;
    let r = restored
        .client
        .get(restored.url(&format!("/api/staff/complaints/{}", complaint.complaint_id)))
        .bearer_auth(&handler)
        .send()
        .await
        .unwrap();
    let seen = r.text().await.unwrap();
    assert!(
        seen.contains("张三") && seen.contains("13812345678"),
        "{seen}"
    );
    std::fs::remove_dir_all(&dir).unwrap();
}
