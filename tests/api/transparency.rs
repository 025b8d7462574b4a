//! The transparency log as readers meet it: every status change of a complaint logged
//! with the change itself, checkpoints and tiles served for anyone, `verify` against
//! the running server (a wrong key, a rewritten history), `verify-log` and the entry
//! page naming what was changed in SQL, and the tables refusing change.

use serde_json::{Value, json};
use sunvillage::configuration::DEV_TLOG_VERIFIER;
use sunvillage::services::transparency::{self, LogSigner};
use sunvillage::transparency::entry::Entry;
use sunvillage::transparency::note::generate_key;
use sunvillage::transparency::tiles::Tile;

use crate::support::complaints::{OPENID, named, submit_as};
use crate::support::staff::{StaffRole, act, staff_token};
use crate::support::{TestApp, spawn_app};

async fn checkpoint(app: &TestApp) -> u64 {
    let signer = LogSigner::new(app.settings.transparency.signing_key.clone());
    transparency::checkpoint_now(&app.pool, &signer)
        .await
        .unwrap();
    sunvillage::storage::tlog::latest_checkpoint(&app.pool)
        .await
        .unwrap()
        .unwrap()
        .size
}

async fn timeline(app: &TestApp, token: &str, id: i64) -> Vec<Value> {
    let r = app
        .client
        .get(app.url(&format!("/api/staff/complaints/{id}")))
        .bearer_auth(token)
        .send()
        .await
        .unwrap();
    let body: Value = r.json().await.unwrap();
    body["timeline"].as_array().unwrap().clone()
}

/// A complaint taken through accept, a note, assign and conclude.
async fn handled_complaint(app: &TestApp) -> (String, i64, String) {
    let token = staff_token(app, "李四", StaffRole::Handler).await;
    let c = submit_as(app, OPENID, named(), 0).await;
    let id = c.complaint_id;
    act(app, &token, id, json!({"action": "accept"})).await;
    let r = app
        .client
        .post(app.url(&format!("/api/staff/complaints/{id}/notes")))
        .bearer_auth(&token)
        .json(&json!({"note": "已电话联系村监委"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 201);
    act(
        app,
        &token,
        id,
        json!({"action": "assign", "unit": "王岗乡纪委", "note": "请十日内核实"}),
    )
    .await;
    act(
        app,
        &token,
        id,
        json!({"action": "conclude", "reply": "经核实，承包费已入账，账目已公示。"}),
    )
    .await;
    (c.tracking_number.to_string(), id, token)
}

fn state_file(name: &str) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("svt-tlog-{}", uuid::Uuid::new_v4()));
    std::fs::create_dir_all(&dir).unwrap();
    dir.join(name)
}

/// Whether a command succeeded, and everything it printed.
fn outcome(out: &std::process::Output) -> (bool, String) {
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    (out.status.success(), text)
}

async fn verify(
    app: &TestApp,
    key: &str,
    state: &std::path::Path,
    more: &[&str],
) -> (bool, String) {
    let out = app
        .command()
        .args(["verify", "--url", &app.url("/transparency"), "--key", key])
        .arg("--state")
        .arg(state)
        .args(more)
        .output()
        .await
        .unwrap();
    outcome(&out)
}

async fn verify_log(app: &TestApp) -> (bool, String) {
    let out = app.command().arg("verify-log").output().await.unwrap();
    outcome(&out)
}

#[tokio::test]
async fn every_status_change_is_logged_and_named_on_the_timeline() {
    let app = spawn_app().await;
    let (tracking, id, token) = handled_complaint(&app).await;
    let lines = timeline(&app, &token, id).await;
    let logged: Vec<(String, Option<u64>)> = lines
        .iter()
        .map(|l| {
            (
                l["event"].as_str().unwrap().to_owned(),
                l["tlog_index"].as_u64(),
            )
        })
        .collect();
    // The internal note changes no status and is not logged; every status change is.
    let statuses: Vec<&str> = lines
        .iter()
        .filter(|l| l["tlog_index"].is_u64())
        .map(|l| l["to_status"].as_str().unwrap())
        .collect();
    assert_eq!(
        statuses,
        ["pending", "accepted", "assigned", "concluded"],
        "{logged:?}"
    );
    assert_eq!(
        lines.iter().filter(|l| l["tlog_index"].is_null()).count(),
        1
    );

    let (status, found) = app
        .get_json(&format!("/transparency/complaints/{tracking}"))
        .await;
    assert_eq!(status, 200);
    let indexes: Vec<u64> = found["entries"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_u64().unwrap())
        .collect();
    let on_timeline: Vec<u64> = logged.iter().filter_map(|(_, i)| *i).collect();
    assert_eq!(indexes, on_timeline);

    // The entries say what happened, and nothing about who complained.
    let stored = sunvillage::storage::tlog::entries(&app.pool, 0, 10)
        .await
        .unwrap();
    assert_eq!(stored.len(), 4);
    for (e, status) in stored.iter().zip(statuses) {
        let text = String::from_utf8(e.entry.clone()).unwrap();
        assert!(!text.contains("张三") && !text.contains("13812345678") && !text.contains(OPENID));
        match Entry::decode(&e.entry).unwrap() {
            Entry::ComplaintStatus(c) => {
                assert_eq!(
                    (c.tracking_number.as_str(), c.status.as_str()),
                    (tracking.as_str(), status)
                );
            }
            other => panic!("{other:?}"),
        }
    }
    app.shut_down().await;
}

#[tokio::test]
async fn checkpoints_and_tiles_are_served_to_anyone_and_cached_for_what_never_changes() {
    let app = spawn_app().await;
    handled_complaint(&app).await;
    let size = checkpoint(&app).await;
    assert_eq!(size, 4);

    let r = app.get("/transparency/checkpoint").await;
    assert_eq!(r.status(), 200);
    assert_eq!(r.headers()["cache-control"], "public, max-age=10");
    assert_eq!(r.headers()["access-control-allow-origin"], "*");
    let note = r.text().await.unwrap();
    let mut lines = note.lines();
    assert_eq!(lines.next(), Some("sunvillage-dev"));
    assert_eq!(lines.next(), Some("4"));
    assert!(note.contains("\n\n— sunvillage-dev "), "{note}");

    let bundle = Tile::entries(0, 4).unwrap();
    let r = app
        .get(&sunvillage::routes::paths::transparency_tile(&bundle))
        .await;
    assert_eq!(r.status(), 200);
    assert_eq!(
        r.headers()["cache-control"],
        "public, max-age=31536000, immutable"
    );
    let body = r.bytes().await.unwrap();
    let entries = sunvillage::transparency::tiles::decode_entry_bundle(&bundle, &body).unwrap();
    assert_eq!(entries.len(), 4);
    let hashes = Tile::hashes(0, 0, 4).unwrap();
    let r = app
        .get(&sunvillage::routes::paths::transparency_tile(&hashes))
        .await;
    assert_eq!(
        (r.status().as_u16(), r.bytes().await.unwrap().len()),
        (200, 4 * 32)
    );
    // Past the signed size, or not written the one way a tile is named: nothing.
    for path in [
        "/transparency/tile/0/000.p/5",
        "/transparency/tile/entries/000",
        "/transparency/tile/0/0.p/4",
        "/transparency/tile/0/x000/000",
        "/transparency/tile/9/000",
    ] {
        assert_eq!(app.get(path).await.status(), 404, "{path}");
    }
    let r = app.get("/transparency/checkpoints/4").await;
    assert_eq!(r.status(), 200);
    assert_eq!(
        r.headers()["cache-control"],
        "public, max-age=31536000, immutable"
    );
    assert_eq!(r.text().await.unwrap(), note);
    assert_eq!(app.get("/transparency/checkpoints/04").await.status(), 404);
    app.shut_down().await;
}

#[tokio::test]
async fn verify_checks_signature_growth_and_a_tracking_number_against_the_running_server() {
    let app = spawn_app().await;
    let (tracking, _, token) = handled_complaint(&app).await;
    checkpoint(&app).await;
    let state = state_file("log.checkpoint");
    let (ok, out) = verify(&app, DEV_TLOG_VERIFIER, &state, &["--tracking", &tracking]).await;
    assert!(ok, "{out}");
    assert!(
        out.contains("4 entries") && out.contains("signature OK"),
        "{out}"
    );
    assert_eq!(
        out.matches("included in the signed tree").count(),
        4,
        "{out}"
    );
    assert!(state.exists());

    // The log grows; the next run proves it only grew.
    let c = submit_as(&app, OPENID, named(), 0).await;
    act(&app, &token, c.complaint_id, json!({"action": "accept"})).await;
    checkpoint(&app).await;
    let (ok, out) = verify(&app, DEV_TLOG_VERIFIER, &state, &["--entry", "5"]).await;
    assert!(ok, "{out}");
    assert!(
        out.contains("consistent with the checkpoint you saw before (4 entries)"),
        "{out}"
    );
    assert!(out.contains("entry 5: included"), "{out}");
    app.shut_down().await;
}

#[tokio::test]
async fn verify_refuses_a_checkpoint_signed_by_another_key_and_saves_nothing() {
    let app = spawn_app().await;
    handled_complaint(&app).await;
    checkpoint(&app).await;
    let (_, other) = generate_key("sunvillage-dev").unwrap();
    let state = state_file("log.checkpoint");
    let (ok, out) = verify(&app, &other, &state, &[]).await;
    assert!(!ok);
    assert!(out.contains("cannot be trusted"), "{out}");
    assert!(!state.exists());
    app.shut_down().await;
}

#[tokio::test]
async fn a_rewritten_history_is_caught_and_both_checkpoints_kept_as_evidence() {
    let app = spawn_app().await;
    handled_complaint(&app).await;
    checkpoint(&app).await;
    let state = state_file("log.checkpoint");
    let (ok, out) = verify(&app, DEV_TLOG_VERIFIER, &state, &[]).await;
    assert!(ok, "{out}");

    // An operator with superuser rights throws the log away and builds another one,
    // longer, signed with the same key.
    sqlx::raw_sql(
        "ALTER TABLE tlog_entries DISABLE TRIGGER ALL; ALTER TABLE tlog_hashes DISABLE TRIGGER ALL;
         ALTER TABLE tlog_checkpoints DISABLE TRIGGER ALL; ALTER TABLE tlog_head DISABLE TRIGGER ALL;
         UPDATE complaint_events SET tlog_index = NULL;
         DELETE FROM tlog_entries; DELETE FROM tlog_hashes; DELETE FROM tlog_checkpoints;
         UPDATE tlog_head SET size = 0;
         ALTER TABLE tlog_entries ENABLE TRIGGER ALL; ALTER TABLE tlog_hashes ENABLE TRIGGER ALL;
         ALTER TABLE tlog_checkpoints ENABLE TRIGGER ALL; ALTER TABLE tlog_head ENABLE TRIGGER ALL;",
    )
    .execute(&app.pool)
    .await
    .unwrap();
    for i in 0..5 {
        let follower = format!("oLVPpjqs9BhvzwPj5A-vTYAX3G{i:02}");
        submit_as(&app, &follower, named(), 0).await;
    }
    assert_eq!(checkpoint(&app).await, 5);

    let (ok, out) = verify(&app, DEV_TLOG_VERIFIER, &state, &[]).await;
    assert!(!ok);
    assert!(out.contains("HISTORY REWRITTEN"), "{out}");
    let evidence = std::fs::read_to_string(state.with_extension("conflict")).unwrap();
    assert_eq!(
        evidence.matches("— sunvillage-dev ").count(),
        2,
        "{evidence}"
    );
    // The saved checkpoint is the one seen before, not the rewritten one.
    let kept = std::fs::read_to_string(&state).unwrap();
    assert_eq!(kept.lines().nth(1), Some("4"));
    app.shut_down().await;
}

#[tokio::test]
async fn verify_log_and_the_entry_page_name_a_public_reply_edited_in_sql() {
    let app = spawn_app().await;
    let (_, _, _) = handled_complaint(&app).await;
    checkpoint(&app).await;
    let (ok, out) = verify_log(&app).await;
    assert!(ok, "{out}");
    assert!(out.contains("4 entries"), "{out}");
    let page = app
        .get("/transparency/entries/3")
        .await
        .text()
        .await
        .unwrap();
    assert!(page.contains("check--ok"), "{page}");
    assert!(page.contains("sunvillage verify --url"), "{page}");

    // The concluding reply is rewritten after the fact; the log still has its hash.
    sqlx::query(
        "UPDATE complaint_events SET public_note = '经核实，情况不属实。' WHERE tlog_index = 3",
    )
    .execute(&app.pool)
    .await
    .unwrap();
    let (ok, out) = verify_log(&app).await;
    assert!(!ok);
    assert!(out.contains("entry 3"), "{out}");
    assert!(out.contains("changed after it was logged"), "{out}");
    let page = app
        .get("/transparency/entries/3")
        .await
        .text()
        .await
        .unwrap();
    assert!(page.contains("check--bad"), "{page}");
    app.shut_down().await;
}

#[tokio::test]
async fn verify_log_names_an_entry_changed_behind_the_triggers() {
    let app = spawn_app().await;
    handled_complaint(&app).await;
    checkpoint(&app).await;
    sqlx::raw_sql(
        "ALTER TABLE tlog_entries DISABLE TRIGGER ALL;
         UPDATE tlog_entries SET entry = replace(convert_from(entry, 'UTF8'), 'assigned', 'rejected')::bytea
          WHERE idx = 2;
         ALTER TABLE tlog_entries ENABLE TRIGGER ALL;",
    )
    .execute(&app.pool)
    .await
    .unwrap();
    let (ok, out) = verify_log(&app).await;
    assert!(!ok);
    assert!(out.contains("entry 2"), "{out}");
    app.shut_down().await;
}

#[tokio::test]
async fn the_log_tables_refuse_every_change_even_from_their_owner() {
    let app = spawn_app().await;
    handled_complaint(&app).await;
    checkpoint(&app).await;
    for sql in [
        "UPDATE tlog_entries SET subject = 'x'",
        "DELETE FROM tlog_entries WHERE idx = 0",
        "TRUNCATE tlog_entries CASCADE",
        "UPDATE tlog_hashes SET hash = hash",
        "DELETE FROM tlog_hashes",
        "DELETE FROM tlog_checkpoints",
        "UPDATE tlog_head SET size = size + 5",
        "UPDATE tlog_head SET size = 0",
        "DELETE FROM tlog_head",
    ] {
        let err = sqlx::query(sql).execute(&app.pool).await.unwrap_err();
        let code = err
            .as_database_error()
            .and_then(|e| e.code())
            .map(|c| c.to_string());
        assert_eq!(code.as_deref(), Some("42501"), "{sql}: {err}");
    }
    let (ok, out) = verify_log(&app).await;
    assert!(ok, "{out}");
    app.shut_down().await;
}

#[tokio::test]
async fn the_transparency_page_shows_the_public_key_and_the_newest_entries() {
    let app = spawn_app().await;
    let (tracking, _, _) = handled_complaint(&app).await;
    checkpoint(&app).await;
    let r = app.get("/transparency").await;
    assert_eq!(r.status(), 200);
    let page = r.text().await.unwrap();
    assert!(page.contains(DEV_TLOG_VERIFIER), "{page}");
    assert!(
        page.contains(&format!("投诉 {tracking} · 已办结")),
        "{page}"
    );
    assert!(page.contains("/transparency/entries/3"), "{page}");
    assert!(!page.contains("张三"));
    app.shut_down().await;
}

#[tokio::test]
async fn the_days_checkpoint_is_on_the_history_page_and_in_a_reply_to_cunzheng() {
    let app = spawn_app().await;
    handled_complaint(&app).await;
    let size = checkpoint(&app).await;
    let page = app.get("/transparency/history").await.text().await.unwrap();
    let note = app
        .get("/transparency/checkpoint")
        .await
        .text()
        .await
        .unwrap();
    let root = note.lines().nth(2).unwrap().to_owned();
    assert!(page.contains(&format!("{size} 条")), "{page}");
    assert!(page.contains(&root), "{page}");
    assert!(
        page.contains(&format!("/transparency/checkpoints/{size}")),
        "{page}"
    );

    let reply = app
        .wechat(&crate::support::wechat::text(OPENID, "存证"))
        .await;
    let content = crate::support::wechat::text_of(reply);
    assert!(content.contains(&format!("{size} 条")), "{content}");
    assert!(content.contains(&root), "{content}");
    assert!(content.contains("/transparency"), "{content}");
    app.shut_down().await;
}

#[tokio::test]
async fn the_transparency_pages_fit_a_phone() {
    use crate::browser::{check_page, open_browser, screenshot, start_driver};
    let app = spawn_app().await;
    handled_complaint(&app).await;
    checkpoint(&app).await;
    let driver = start_driver().await;
    let profile = tempfile::tempdir().unwrap();
    let c = open_browser(&driver, profile.path()).await;
    let origin = app.address.clone();
    for (path, title, h1, shot) in [
        (
            "/transparency",
            "存证",
            "存证：公开与投诉办理记录",
            "40-transparency",
        ),
        (
            "/transparency/entries/3",
            "存证 #3",
            "存证 #3",
            "41-transparency-entry",
        ),
        (
            "/transparency/history",
            "每日签名",
            "存证日志每日签名",
            "42-transparency-history",
        ),
    ] {
        c.goto(&app.url(path)).await.unwrap();
        check_page(&c, &origin, title, h1).await;
        screenshot(&c, shot).await;
    }
    c.close().await.unwrap();
    app.shut_down().await;
}

/// A 三资 statement published through the pages; its disclosure id.
async fn published_disclosure(app: &TestApp) -> i64 {
    use crate::publishing::{draft_id, post, statement};
    use crate::support::staff::StaffBrowser;
    use sunvillage::domain::staff::Role;
    let mut clerk = StaffBrowser::new(app);
    clerk
        .signed_in_as("王村务", Role::Clerk, "411503209202", None)
        .await;
    let mut reviewer = StaffBrowser::new(app);
    reviewer
        .signed_in_as("李审核", Role::Reviewer, "411503209", None)
        .await;
    clerk.get("/staff/disclosures/new/assets").await;
    let (status, to, _) = post(
        &mut clerk,
        "/staff/disclosures/new/assets",
        &statement("王岗村2026年11月财务收支公开", "3456.70"),
    )
    .await;
    assert_eq!(status, 303);
    let id = draft_id(&to);
    clerk.get(&to).await;
    let (status, _, _) = clerk.post(&format!("/staff/drafts/{id}/submit"), &[]).await;
    assert_eq!(status, 303);
    reviewer.get("/staff/disclosures").await;
    let (status, _, page) = reviewer
        .post(&format!("/staff/drafts/{id}/approve"), &[])
        .await;
    assert_eq!(status, 303, "{page}");
    let published: i64 = sqlx::query_scalar("SELECT max(id) FROM disclosures")
        .fetch_one(&app.pool)
        .await
        .unwrap();
    // And corrected, so that it has two versions.
    clerk.get(&format!("/staff/drafts/{id}")).await;
    let (status, to, _) = clerk
        .post(&format!("/staff/disclosures/{published}/correct"), &[])
        .await;
    assert_eq!(status, 303);
    let correction = draft_id(&to);
    clerk.get(&to).await;
    let mut form = statement("王岗村2026年11月财务收支公开", "3465.70");
    form.push(("change_note".into(), "道路维修金额录入有误".into()));
    let (status, _, _) = post(&mut clerk, &format!("/staff/drafts/{correction}"), &form).await;
    assert_eq!(status, 303);
    clerk
        .post(&format!("/staff/drafts/{correction}/submit"), &[])
        .await;
    reviewer.get(&format!("/staff/drafts/{correction}")).await;
    let (status, _, _) = reviewer
        .post(&format!("/staff/drafts/{correction}/approve"), &[])
        .await;
    assert_eq!(status, 303);
    published
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_disclosure_edited_in_sql_is_named_by_verify_log_verify_and_its_page() {
    let app = spawn_app().await;
    let id = published_disclosure(&app).await;
    checkpoint(&app).await;
    let state = state_file("log.checkpoint");
    let id_text = id.to_string();
    let (ok, out) = verify(&app, DEV_TLOG_VERIFIER, &state, &["--disclosure", &id_text]).await;
    assert!(ok, "{out}");
    assert_eq!(out.matches("content matches the page").count(), 2, "{out}");
    let page = app.get(&format!("/d/{id}")).await.text().await.unwrap();
    // The current version and the earlier one each name their entry.
    assert!(
        page.contains("存证 #1") && page.contains("存证 #0"),
        "{page}"
    );
    assert!(page.contains("与存证记录一致"), "{page}");
    let (ok, out) = verify_log(&app).await;
    assert!(ok, "{out}");

    // Someone with the database's superuser rights changes a published line item.
    sqlx::raw_sql(&format!(
        "ALTER TABLE disclosure_versions DISABLE TRIGGER ALL;
         UPDATE disclosure_versions SET public_json = replace(public_json, '鱼塘承包费', '鱼塘租金')
          WHERE disclosure_id = {id};
         ALTER TABLE disclosure_versions ENABLE TRIGGER ALL;"
    ))
    .execute(&app.pool)
    .await
    .unwrap();
    let (ok, out) = verify_log(&app).await;
    assert!(!ok);
    assert!(
        out.contains(&format!("entry 0 (disclosure {id} version 1)")),
        "{out}"
    );
    let (ok, out) = verify(&app, DEV_TLOG_VERIFIER, &state, &["--disclosure", &id_text]).await;
    assert!(!ok);
    assert!(out.contains("content does NOT match the page"), "{out}");
    let page = app.get(&format!("/d/{id}")).await.text().await.unwrap();
    assert!(
        page.contains("check--bad") && !page.contains("与存证记录一致"),
        "{page}"
    );
    let entry = app
        .get("/transparency/entries/0")
        .await
        .text()
        .await
        .unwrap();
    assert!(entry.contains("check--bad"), "{entry}");
    app.shut_down().await;
}
