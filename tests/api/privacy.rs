//! Identity at rest: a copy of the database reveals no complainant. Complaints are
//! filed through the real pages; then the database is dumped with `pg_dump` and
//! searched for every name, phone number, openid and photo; ciphertexts are moved
//! between rows by hand and must not open; a database written under both suites reads.

use std::process::Command;

use serde_json::{Value, json};
use sunvillage::configuration::WechatMode;
use sunvillage::crypto::Vault;
use sunvillage::services::identity;
use sunvillage::storage;

use crate::support::complaints::{WANGGANG, complaint_templates, new_complaint, templates};
use crate::support::database::url_of;
use crate::support::fake_wechat::FakeWechat;
use crate::support::follower::{Browser, GOOD};
use crate::support::staff::{StaffRole, staff_token};
use crate::support::wait::TableWatch;
use crate::support::wechat::{event, text};
use crate::support::{TestApp, spawn_app_with_wechat};

const NAMED: &str = "oPrivacyNamedFollower000000001";
const ANONYMOUS: &str = "oPrivacyAnonFollower0000000002";

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}

/// The whole database as `pg_dump` writes it (schema and data, plain SQL).
pub fn dump(app: &TestApp) -> Vec<u8> {
    let out = Command::new("pg_dump")
        .arg("--no-owner")
        .arg(url_of(&app.db_name))
        .output()
        .expect("pg_dump runs");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    out.stdout
}

/// Pieces of a photo as a dump would show them: bytea is written as hex.
fn photo_pieces(photo: &[u8]) -> Vec<String> {
    photo
        .chunks(24)
        .skip(2)
        .step_by(7)
        .take(20)
        .filter(|c| c.len() == 24)
        .map(hex::encode)
        .collect()
}

/// What must not appear anywhere in a dump.
pub struct Secrets {
    pub texts: Vec<String>,
    pub photo_hex: Vec<String>,
}

pub fn assert_dump_reveals_nothing(dump: &[u8], secrets: &Secrets) {
    assert!(dump.len() > 10_000, "the dump holds the database");
    for t in &secrets.texts {
        assert!(!contains(dump, t.as_bytes()), "the dump shows {t}");
    }
    let lower = String::from_utf8_lossy(dump).to_lowercase();
    for piece in &secrets.photo_hex {
        assert!(!lower.contains(piece), "the dump holds photo bytes {piece}");
    }
}

async fn get_json(app: &TestApp, token: &str, path: &str) -> (u16, Value) {
    let r = app
        .client
        .get(app.url(path))
        .bearer_auth(token)
        .send()
        .await
        .unwrap();
    let status = r.status().as_u16();
    let text = r.text().await.unwrap();
    (
        status,
        serde_json::from_str(&text).unwrap_or(Value::String(text)),
    )
}

async fn complaint_id(app: &TestApp, tracking: &str) -> i64 {
    sqlx::query_scalar("SELECT complaint_id FROM complaints WHERE tracking_number = $1")
        .bind(tracking)
        .fetch_one(&app.pool)
        .await
        .unwrap()
}

fn tracking_of(location: &str) -> String {
    location
        .trim_start_matches("/complaints/")
        .trim_end_matches("/received")
        .to_owned()
}

/// A real-name and an anonymous complaint with photos, filed on the pages, accepted by
/// an inspector who reads the contact; pushes delivered. Returns what must stay secret
/// and the two complaints' ids.
pub async fn fill_through_the_pages(app: &TestApp, fake: &FakeWechat) -> (Secrets, i64, i64) {
    // The complainant follows the account through the village's QR code and writes to
    // it: the follower list and the message log hold them too (by hash only).
    let mut logged = TableWatch::start(&app.pool, "inbound_messages").await;
    for message in [
        event(NAMED, "subscribe", Some("qrscene_411503209202")),
        text(NAMED, "王岗村的账什么时候公开"),
    ] {
        let (status, _) = app.send_wechat(WechatMode::Plain, &message).await;
        assert_eq!(status, 200);
    }
    logged
        .until("the follower's text is stored", async || {
            storage::inbound_messages::count(&app.pool).await.unwrap() >= 1
        })
        .await;
    let follower = storage::followers::find(
        &app.pool,
        &app.vault,
        &sunvillage::domain::OpenId::parse(NAMED).unwrap(),
    )
    .await
    .unwrap()
    .expect("the follower is stored");
    assert!(follower.subscribed);
    assert_eq!(
        follower.village.as_ref().map(|v| v.as_str()),
        Some(WANGGANG)
    );
    let named = Browser::signed_in(app, fake, NAMED).await;
    let (status, to, body) = named.submit(WANGGANG, GOOD, true).await;
    assert_eq!(status, 303, "{body}");
    let named_tracking = tracking_of(&to);
    let anonymous = Browser::signed_in(app, fake, ANONYMOUS).await;
    let fields: Vec<(&str, &str)> = GOOD
        .iter()
        .filter(|(k, _)| !matches!(*k, "name" | "phone" | "identity"))
        .copied()
        .chain([("identity", "anonymous")])
        .collect();
    let (status, to, body) = anonymous.submit(WANGGANG, &fields, true).await;
    assert_eq!(status, 303, "{body}");
    let anonymous_tracking = tracking_of(&to);

    // The photos as served (the stored bytes: EXIF stripped, re-encoded).
    let mut photo_hex = Vec::new();
    for (who, tracking) in [(&named, &named_tracking), (&anonymous, &anonymous_tracking)] {
        let photo = who
            .client
            .get(app.url(&format!("/complaints/{tracking}/photos/1")))
            .send()
            .await
            .unwrap();
        assert_eq!(photo.status(), 200);
        photo_hex.extend(photo_pieces(&photo.bytes().await.unwrap()));
    }
    assert!(photo_hex.len() >= 10);

    // Staff read it: the inspector sees the contact (decrypted, audited) and accepts.
    let id = complaint_id(app, &named_tracking).await;
    let anon_id = complaint_id(app, &anonymous_tracking).await;
    let token = staff_token(app, "李四", StaffRole::Handler).await;
    let (status, detail) = get_json(app, &token, &format!("/api/staff/complaints/{id}")).await;
    assert_eq!(status, 200, "{detail}");
    assert_eq!(detail["complaint"]["complainant"]["name"], "张三");
    assert_eq!(detail["complaint"]["complainant"]["phone"], "13812345678");
    let r = app
        .client
        .post(app.url(&format!("/api/staff/complaints/{id}/actions")))
        .bearer_auth(&token)
        .json(&json!({"action": "accept"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    app.run_pending_outbox().await;
    let pushed: Vec<String> = fake.delivered().iter().map(|m| m.touser.clone()).collect();
    assert!(
        pushed.iter().filter(|t| *t == NAMED).count() >= 2,
        "the worker decrypted the addressee: {pushed:?}"
    );
    assert!(pushed.iter().any(|t| t == ANONYMOUS));

    let secrets = Secrets {
        texts: vec![
            NAMED.into(),
            ANONYMOUS.into(),
            "张三".into(),
            "13812345678".into(),
        ],
        photo_hex,
    };
    (secrets, id, anon_id)
}

#[tokio::test]
async fn a_dump_of_a_database_filled_through_the_pages_shows_no_complainant_and_no_photo() {
    let fake = FakeWechat::start().await;
    let app = spawn_app_with_wechat(&fake, |s| {
        complaint_templates(s);
        s.outbox.worker_in_serve = false;
    })
    .await;
    let (secrets, id, _) = fill_through_the_pages(&app, &fake).await;

    let dump = dump(&app);
    assert_dump_reveals_nothing(&dump, &secrets);
    // The record itself is there, readable.
    let tracking: String =
        sqlx::query_scalar("SELECT tracking_number FROM complaints WHERE complaint_id = $1")
            .bind(id)
            .fetch_one(&app.pool)
            .await
            .unwrap();
    assert!(contains(&dump, tracking.as_bytes()));
    assert!(contains(&dump, "鱼塘承包费".as_bytes()));
}

#[tokio::test]
async fn a_ciphertext_moved_to_another_complaint_is_refused_naming_the_row_and_nothing_is_shown() {
    let fake = FakeWechat::start().await;
    let app = spawn_app_with_wechat(&fake, |s| {
        complaint_templates(s);
        s.outbox.worker_in_serve = false;
    })
    .await;
    let first = crate::support::complaints::submit_as(
        &app,
        "oMovedFromFollower000000000001",
        crate::support::complaints::named(),
        0,
    )
    .await;
    let second = crate::support::complaints::submit_as(
        &app,
        "oMovedToFollower00000000000002",
        sunvillage::domain::complaint::Complainant::Named {
            name: Some("李五".into()),
            phone: None,
        },
        0,
    )
    .await;
    let (from, to) = (first.complaint_id, second.complaint_id);

    // An operator with psql copies the first complaint's sealed name onto the second.
    sqlx::query(
        "UPDATE complaints SET name_sealed = (SELECT name_sealed FROM complaints WHERE complaint_id = $1)
         WHERE complaint_id = $2",
    )
    .bind(from)
    .bind(to)
    .execute(&app.pool)
    .await
    .unwrap();

    let row = storage::complaints::find(&app.pool, to)
        .await
        .unwrap()
        .unwrap();
    let err = identity::open(&app.vault, &row.identity)
        .unwrap_err()
        .to_string();
    assert!(
        err.contains(&format!("complaints.name of row {to}")),
        "{err}"
    );
    assert!(!err.contains("张三") && !err.contains("李五"), "{err}");

    // Through the staff API: an error, no name, and no identity view recorded.
    let token = staff_token(&app, "李四", StaffRole::Handler).await;
    let (status, body) = get_json(&app, &token, &format!("/api/staff/complaints/{to}")).await;
    assert_eq!(status, 500, "{body}");
    let shown = body.to_string();
    assert!(
        !shown.contains("张三") && !shown.contains("李五"),
        "{shown}"
    );
    let views: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM audit_log WHERE action = 'complaint.identity_viewed'",
    )
    .fetch_one(&app.pool)
    .await
    .unwrap();
    assert_eq!(views, 0);

    // The untouched complaint still opens.
    let (status, body) = get_json(&app, &token, &format!("/api/staff/complaints/{from}")).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["complaint"]["complainant"]["name"], "张三");

    // A photo moved between positions or complaints is refused the same way.
    let wrapped_elsewhere = sqlx::query(
        "UPDATE complaints SET data_key_id = (SELECT data_key_id FROM complaints WHERE complaint_id = $1)
         WHERE complaint_id = $2",
    )
    .bind(from)
    .bind(to)
    .execute(&app.pool)
    .await;
    assert!(wrapped_elsewhere.is_ok());
    let row = storage::complaints::find(&app.pool, to)
        .await
        .unwrap()
        .unwrap();
    let err = identity::open(&app.vault, &row.identity)
        .unwrap_err()
        .to_string();
    assert!(err.contains(&format!("of row {to}")), "{err}");
}

#[tokio::test]
async fn a_database_holding_ciphertexts_of_both_suites_reads_correctly() {
    let fake = FakeWechat::start().await;
    let app = spawn_app_with_wechat(&fake, |s| {
        complaint_templates(s);
        s.outbox.worker_in_serve = false;
    })
    .await;
    let follower = "oBothSuitesFollower00000000001";
    let mut filed = Vec::new();
    for suite in ["aes", "sm"] {
        let mut settings = app.settings.crypto.clone();
        settings.suite = serde_json::from_value(json!(suite)).unwrap();
        let vault = Vault::from_settings(&settings).unwrap();
        let done = sunvillage::services::complaints::submit(
            &app.pool,
            &vault,
            &templates(&app),
            "XY",
            &sunvillage::domain::OpenId::parse(follower).unwrap(),
            uuid::Uuid::new_v4(),
            &new_complaint(WANGGANG, crate::support::complaints::named()),
            chrono::Utc::now(),
        )
        .await
        .unwrap();
        filed.push(done);
    }
    // Each ciphertext records its suite.
    let firsts: Vec<(i64, Vec<u8>, Vec<u8>)> = sqlx::query_as(
        "SELECT c.complaint_id, c.name_sealed, d.wrapped FROM complaints c
         JOIN data_keys d USING (data_key_id) ORDER BY c.complaint_id",
    )
    .fetch_all(&app.pool)
    .await
    .unwrap();
    assert_eq!(firsts[0].1[0], 0x01);
    assert_eq!(firsts[1].1[0], 0x02);
    assert_eq!(firsts[1].2[0], 0x02, "the data key is wrapped with SM4-GCM");

    // The app (whatever its suite) lists both for their follower and shows both names.
    let browser = Browser::signed_in(&app, &fake, follower).await;
    let (status, mine) = browser.get("/complaints/mine").await;
    assert_eq!(status, 200);
    let token = staff_token(&app, "李四", StaffRole::Handler).await;
    for done in &filed {
        assert!(mine.contains(done.tracking_number.as_str()), "{mine}");
        let (status, page) = browser
            .get(&format!("/complaints/{}", done.tracking_number))
            .await;
        assert_eq!(status, 200);
        assert!(page.contains("张三"));
        let (status, body) = get_json(
            &app,
            &token,
            &format!("/api/staff/complaints/{}", done.complaint_id),
        )
        .await;
        assert_eq!(status, 200, "{body}");
        assert_eq!(body["complaint"]["complainant"]["phone"], "13812345678");
    }
    // The daily quota counts both.
    let left = sunvillage::services::complaints::within_daily_limit(
        &app.pool,
        &app.vault,
        &sunvillage::domain::OpenId::parse(follower).unwrap(),
        chrono::Utc::now(),
    )
    .await
    .unwrap();
    assert!(left);
    let filed_today: i64 = storage::complaints::count_filed_since(
        &app.pool,
        &app.vault,
        &sunvillage::domain::OpenId::parse(follower).unwrap(),
        chrono::Utc::now() - chrono::TimeDelta::hours(1),
    )
    .await
    .unwrap();
    assert_eq!(filed_today, 2);
}

#[tokio::test]
async fn identities_stored_before_encryption_are_sealed_at_start_up() {
    let fake = FakeWechat::start().await;
    let app = spawn_app_with_wechat(&fake, complaint_templates).await;
    // A complaint, its photo and a push as the previous release stored them.
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO complaints (tracking_number, village_code, category_code, content, openid,
             anonymous, complainant_name, complainant_phone, status, received_at, idempotency_key)
         VALUES ('XY-20261101-0001', $1, 'sanzi', '村集体鱼塘承包费去向不明，请纪委核查。',
                 'oOldPlaintextFollower000000001', false, '王老五', '13912345678', 'pending',
                 now(), gen_random_uuid())
         RETURNING complaint_id",
    )
    .bind(WANGGANG)
    .fetch_one(&app.pool)
    .await
    .unwrap();
    sqlx::query(
        "INSERT INTO complaint_photos (complaint_id, position, content_type, bytes)
         VALUES ($1, 1, 'image/jpeg', '\\xfeedfacecafebeef0123456789abcdeffeedfacecafebeef')",
    )
    .bind(id)
    .execute(&app.pool)
    .await
    .unwrap();
    sqlx::query(
        "INSERT INTO outbox (kind, openid, template_id, data)
         VALUES ('complaint_received', 'oOldPlaintextFollower000000001', 'tpl', '{}')",
    )
    .execute(&app.pool)
    .await
    .unwrap();

    // The follower and two of their texts as the webhook stored them before.
    sqlx::query(
        "INSERT INTO followers (openid, subscribed, village_code, first_seen_at, last_seen_at)
         VALUES ('oOldPlaintextFollower000000001', true, $1, now(), now())",
    )
    .bind(WANGGANG)
    .execute(&app.pool)
    .await
    .unwrap();
    sqlx::query(
        "INSERT INTO inbound_messages (openid, msg_id, kind, content, sent_at)
         VALUES ('oOldPlaintextFollower000000001', '1', 'text', '王岗', now()),
                ('oOldPlaintextFollower000000001', '2', 'text', '进度', now())",
    )
    .execute(&app.pool)
    .await
    .unwrap();

    let sealed = storage::sealing::seal_plaintext(&app.pool, &app.vault)
        .await
        .unwrap();
    assert_eq!((sealed.complaints, sealed.photos, sealed.outbox), (1, 1, 1));
    assert_eq!((sealed.followers, sealed.messages), (1, 2));
    let old = sunvillage::domain::OpenId::parse("oOldPlaintextFollower000000001").unwrap();
    let follower = storage::followers::find(&app.pool, &app.vault, &old)
        .await
        .unwrap()
        .expect("found by hash");
    assert_eq!(
        follower.village.as_ref().map(|v| v.as_str()),
        Some(WANGGANG)
    );
    let texts = storage::inbound_messages::for_follower(&app.pool, &app.vault, &old)
        .await
        .unwrap();
    assert_eq!(texts.len(), 2);
    let again = storage::sealing::seal_plaintext(&app.pool, &app.vault)
        .await
        .unwrap();
    assert_eq!(again, storage::sealing::Sealed::default());

    let row = storage::complaints::find(&app.pool, id)
        .await
        .unwrap()
        .unwrap();
    let opened = identity::open(&app.vault, &row.identity).unwrap();
    assert_eq!(opened.openid.as_str(), "oOldPlaintextFollower000000001");
    assert_eq!(opened.name.as_deref(), Some("王老五"));
    let photo = storage::complaints::photo(&app.pool, &app.vault, id, 1)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        hex::encode(photo.bytes),
        "feedfacecafebeef0123456789abcdeffeedfacecafebeef"
    );
    let dump = dump(&app);
    assert_dump_reveals_nothing(
        &dump,
        &Secrets {
            texts: vec![
                "oOldPlaintextFollower000000001".into(),
                "王老五".into(),
                "13912345678".into(),
            ],
            photo_hex: vec!["feedfacecafebeef0123456789abcdef".into()],
        },
    );
}

/// An audit line as the shredding test reads it: actor, actor_kind, object, region, after.
type AuditLine = (
    Option<String>,
    String,
    Option<String>,
    Option<String>,
    serde_json::Value,
);

fn vault_with(app: &TestApp, keys: &[(&str, &str)], current: &str) -> Vault {
    let mut settings = app.settings.crypto.clone();
    settings.master_keys = keys
        .iter()
        .map(|(id, k)| ((*id).to_owned(), (*k).to_owned().into()))
        .collect();
    settings.current_key = current.into();
    Vault::from_settings(&settings).unwrap()
}

const DEV_KEY: &str = "bWBfaq7TCERhyQhoBSxTUGbvAeLjfaVHUBTCiVoeonI=";
const NEW_KEY: &str = "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=";

#[tokio::test]
async fn keys_rotate_rewraps_every_data_key_reports_unknown_ones_and_the_dump_still_shows_nothing()
{
    let fake = FakeWechat::start().await;
    let app = spawn_app_with_wechat(&fake, |s| {
        complaint_templates(s);
        s.outbox.worker_in_serve = false;
    })
    .await;
    let (secrets, id, anon_id) = fill_through_the_pages(&app, &fake).await;
    let sealed_before: Vec<Vec<u8>> =
        sqlx::query_scalar("SELECT openid_sealed FROM complaints ORDER BY complaint_id")
            .fetch_all(&app.pool)
            .await
            .unwrap();
    let keys: i64 = sqlx::query_scalar("SELECT count(*) FROM data_keys")
        .fetch_one(&app.pool)
        .await
        .unwrap();

    // A key wrapped under a master key nobody configured any more.
    sqlx::query("INSERT INTO data_keys (master_key, wrapped) VALUES ('gone', $1)")
        .bind(vec![1u8; 61])
        .execute(&app.pool)
        .await
        .unwrap();

    // The new master key joins the old one; rotation in batches of 2, with progress.
    let both = vault_with(&app, &[("dev", DEV_KEY), ("k2", NEW_KEY)], "k2");
    let mut seen = Vec::new();
    let report = sunvillage::services::keys::rotate(&app.pool, &both, 2, |done, total| {
        seen.push((done, total));
    })
    .await
    .unwrap();
    assert_eq!(report.rewrapped, u64::try_from(keys).unwrap());
    assert_eq!(report.failed.len(), 1, "{:?}", report.failed);
    assert!(report.failed[0].1.contains("`gone`"), "{:?}", report.failed);
    let total = u64::try_from(keys).unwrap() + 1;
    assert!(
        seen.len() >= 2 && seen.iter().all(|(_, t)| *t == total),
        "{seen:?}"
    );
    assert_eq!(seen.last().unwrap().0, total);

    // Run again: nothing left but the unknown one, reported again.
    let again = sunvillage::services::keys::rotate(&app.pool, &both, 2, |_, _| {})
        .await
        .unwrap();
    assert_eq!(again.rewrapped, 0);
    assert_eq!(again.failed.len(), 1);

    // The data was not re-encrypted; the old key can go: the new one alone reads all.
    let sealed_after: Vec<Vec<u8>> =
        sqlx::query_scalar("SELECT openid_sealed FROM complaints ORDER BY complaint_id")
            .fetch_all(&app.pool)
            .await
            .unwrap();
    assert_eq!(sealed_before, sealed_after);
    let only_new = vault_with(&app, &[("k2", NEW_KEY)], "k2");
    for complaint in [id, anon_id] {
        let row = storage::complaints::find(&app.pool, complaint)
            .await
            .unwrap()
            .unwrap();
        let opened = identity::open(&only_new, &row.identity).unwrap();
        assert!([NAMED, ANONYMOUS].contains(&opened.openid.as_str()));
        assert!(
            storage::complaints::photo(&app.pool, &only_new, complaint, 1)
                .await
                .unwrap()
                .is_some()
        );
        // The old key alone no longer opens anything.
        let old_only = vault_with(&app, &[("dev", DEV_KEY)], "dev");
        assert!(identity::open(&old_only, &row.identity).is_err());
    }
    // The follower's sealed openid (the village push's addressee) was re-wrapped too.
    let village = sunvillage::domain::VillageCode::parse(WANGGANG).unwrap();
    let fans = storage::village_pushes::followers_of(&app.pool, &only_new, &village)
        .await
        .unwrap();
    assert_eq!(fans.iter().map(|f| f.as_str()).collect::<Vec<_>>(), [NAMED]);
    assert_dump_reveals_nothing(&dump(&app), &secrets);
}

#[tokio::test]
async fn a_complaint_past_its_retention_is_shredded_for_good_while_its_record_stays() {
    let fake = FakeWechat::start().await;
    let app = spawn_app_with_wechat(&fake, |s| {
        complaint_templates(s);
        s.outbox.worker_in_serve = false;
    })
    .await;
    let (_, id, anon_id) = fill_through_the_pages(&app, &fake).await;
    // The named complaint was concluded six years ago; the anonymous one is still open.
    sqlx::query(
        "UPDATE complaints SET status = 'rated', concluded_at = now() - interval '6 years'
         WHERE complaint_id = $1",
    )
    .bind(id)
    .execute(&app.pool)
    .await
    .unwrap();
    let answered_before = storage::complaints::count_answered(&app.pool)
        .await
        .unwrap();

    let done = sunvillage::services::retention::run(
        &app.pool,
        &app.settings.retention,
        chrono::Utc::now(),
    )
    .await
    .unwrap();
    assert_eq!(done.complaints, vec![id]);
    let again = sunvillage::services::retention::run(
        &app.pool,
        &app.settings.retention,
        chrono::Utc::now(),
    )
    .await
    .unwrap();
    assert!(again.complaints.is_empty(), "a second pass finds nothing");

    // The destruction is in the audit log, once, by the system (no person, no name).
    let lines: Vec<AuditLine> = sqlx::query_as(
        "SELECT actor, actor_kind, object_id, region_code, after FROM audit_log
             WHERE action = 'complaint.identity_shredded'",
    )
    .fetch_all(&app.pool)
    .await
    .unwrap();
    assert_eq!(lines.len(), 1, "{lines:?}");
    let (actor, kind, object, region, after) = &lines[0];
    assert_eq!((actor.as_deref(), kind.as_str()), (None, "system"));
    assert_eq!(object.as_deref(), Some(id.to_string().as_str()));
    assert_eq!(region.as_deref(), Some(WANGGANG));
    assert_eq!(
        after["retention_days"],
        app.settings.retention.complaint_identity_days
    );

    // Unrecoverable with any key: the data key itself is gone, and no lookup hash is left.
    let row = storage::complaints::find(&app.pool, id)
        .await
        .unwrap()
        .unwrap();
    assert!(matches!(
        identity::open(&app.vault, &row.identity),
        Err(identity::IdentityError::Shredded(_))
    ));
    let (wrapped, hash): (Option<Vec<u8>>, Option<Vec<u8>>) = sqlx::query_as(
        "SELECT d.wrapped, c.openid_hash FROM complaints c JOIN data_keys d USING (data_key_id)
         WHERE c.complaint_id = $1",
    )
    .bind(id)
    .fetch_one(&app.pool)
    .await
    .unwrap();
    assert!(wrapped.is_none() && hash.is_none());
    assert!(
        storage::complaints::photo(&app.pool, &app.vault, id, 1)
            .await
            .unwrap()
            .is_none()
    );
    let rotated = sunvillage::services::keys::rotate(&app.pool, &app.vault, 10, |_, _| {})
        .await
        .unwrap();
    assert!(rotated.failed.is_empty(), "a shredded key is not rotated");

    // The record stays: the staff page and the statistics still hold it.
    let token = staff_token(&app, "王五", StaffRole::Handler).await;
    let (status, body) = get_json(&app, &token, &format!("/api/staff/complaints/{id}")).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(
        body["complaint"]["tracking_number"],
        row.tracking_number.as_str()
    );
    assert!(body["complaint"].get("complainant").is_none(), "{body}");
    assert_eq!(
        storage::complaints::count_answered(&app.pool)
            .await
            .unwrap(),
        answered_before
    );
    let mut staff = crate::support::staff::StaffBrowser::new(&app);
    staff
        .signed_in_as(
            "赵六",
            sunvillage::domain::staff::Role::Inspector,
            crate::support::staff::CITY,
            None,
        )
        .await;
    let (status, _, page) = staff
        .get(&format!("/staff/complaints/{}", row.tracking_number))
        .await;
    assert_eq!(status, 200, "{page}");
    assert!(page.contains("已按规定销毁"), "{page}");
    assert!(!page.contains("张三"));
    let (status, _, log) = staff
        .get("/staff/audit?action=complaint.identity_shredded")
        .await;
    assert_eq!(status, 200, "{log}");
    assert!(log.contains("系统（定时任务）"), "{log}");

    // The complainant no longer finds it; the other complaint is untouched.
    let mine = storage::complaints::list_for_openid(
        &app.pool,
        &app.vault,
        &sunvillage::domain::OpenId::parse(NAMED).unwrap(),
        10,
    )
    .await
    .unwrap();
    assert!(mine.is_empty());
    let other = storage::complaints::find(&app.pool, anon_id)
        .await
        .unwrap()
        .unwrap();
    assert!(identity::open(&app.vault, &other.identity).is_ok());
}

/// The vault of `app` with a new lookup key, and the app's own as the previous key
/// when `keep_previous`.
fn vault_with_lookup(app: &TestApp, lookup: &str, keep_previous: bool) -> Vault {
    let mut settings = app.settings.crypto.clone();
    settings.previous_lookup_key = keep_previous.then(|| settings.lookup_key.clone());
    settings.lookup_key = lookup.to_owned().into();
    Vault::from_settings(&settings).unwrap()
}

const NEW_LOOKUP_KEY: &str = "HyAhIiMkJSYnKCkqKywtLi8wMTIzNDU2Nzg5Ojs8PT4=";

#[tokio::test]
async fn keys_rotate_lookup_recomputes_every_hash_beside_a_sealed_identity_and_followers_move_when_seen()
 {
    let fake = FakeWechat::start().await;
    let app = spawn_app_with_wechat(&fake, |s| {
        complaint_templates(s);
        s.outbox.worker_in_serve = false;
    })
    .await;
    let (secrets, id, _) = fill_through_the_pages(&app, &fake).await;
    let named = sunvillage::domain::OpenId::parse(NAMED).unwrap();
    let both = vault_with_lookup(&app, NEW_LOOKUP_KEY, true);
    let alone = vault_with_lookup(&app, NEW_LOOKUP_KEY, false);
    // Before the command, only the previous key finds anything.
    let mine = |v: &Vault| {
        let v = v.clone();
        let pool = app.pool.clone();
        let named = named.clone();
        async move {
            storage::complaints::list_for_openid(&pool, &v, &named, 10)
                .await
                .unwrap()
                .len()
        }
    };
    assert_eq!(mine(&alone).await, 0);
    assert_eq!(mine(&both).await, 1);

    let mut seen = Vec::new();
    let report = sunvillage::services::keys::rehash(&app.pool, &both, 1, |n| seen.push(n))
        .await
        .unwrap();
    assert!(report.failed.is_empty(), "{:?}", report.failed);
    assert_eq!(report.complaints, 2);
    assert!(report.outbox >= 3, "{report:?}");
    assert!(
        seen.len() >= 5 && seen.windows(2).all(|w| w[0] <= w[1]),
        "{seen:?}"
    );
    let again = sunvillage::services::keys::rehash(&app.pool, &alone, 100, |_| {})
        .await
        .unwrap();
    assert_eq!(
        (again.complaints, again.outbox),
        (report.complaints, report.outbox)
    );

    // Complaints and pushes are found under the new key alone: their own list, the
    // phone number, the push order.
    assert_eq!(mine(&alone).await, 1);
    let by_phone = storage::complaints::list_by_phone_hash(
        &app.pool,
        &alone.lookup_candidates(sunvillage::crypto::Purpose::ComplainantPhone, "13812345678"),
        "4115",
        None,
        10,
    )
    .await
    .unwrap();
    assert_eq!(
        by_phone.iter().map(|c| c.complaint_id).collect::<Vec<_>>(),
        vec![id]
    );
    let stale: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM outbox WHERE openid_hash IS NOT NULL AND NOT (openid_hash = ANY($1))",
    )
    .bind(
        alone
            .lookup_candidates(sunvillage::crypto::Purpose::OutboxOpenid, NAMED)
            .into_iter()
            .chain(alone.lookup_candidates(sunvillage::crypto::Purpose::OutboxOpenid, ANONYMOUS))
            .collect::<Vec<_>>(),
    )
    .fetch_one(&app.pool)
    .await
    .unwrap();
    assert_eq!(stale, 0, "every push is under the new key");

    // The follower holds a hash only: found while the previous key is configured, and
    // moved to the new hash the next time they write.
    assert!(
        storage::followers::find(&app.pool, &alone, &named)
            .await
            .unwrap()
            .is_none()
    );
    assert!(
        storage::followers::find(&app.pool, &both, &named)
            .await
            .unwrap()
            .is_some()
    );
    storage::inbound_messages::store_batch(
        &app.pool,
        &both,
        &mut Default::default(),
        &[storage::inbound_messages::Sighting {
            openid: named.clone(),
            at: chrono::Utc::now(),
            text: Some((99, storage::inbound_messages::TextKind::Text, "进度".into())),
        }],
    )
    .await
    .unwrap();
    let follower = storage::followers::find(&app.pool, &alone, &named)
        .await
        .unwrap()
        .expect("moved to the new hash when seen");
    assert_eq!(
        follower.village.as_ref().map(|v| v.as_str()),
        Some(WANGGANG)
    );
    let followers: i64 = sqlx::query_scalar("SELECT count(*) FROM followers")
        .fetch_one(&app.pool)
        .await
        .unwrap();
    assert_eq!(followers, 1, "moved, not duplicated");
    // Older messages keep their hash: the previous key still finds them with the new one.
    assert_eq!(
        storage::inbound_messages::for_follower(&app.pool, &both, &named)
            .await
            .unwrap()
            .len(),
        2
    );
    assert_dump_reveals_nothing(&dump(&app), &secrets);
}
