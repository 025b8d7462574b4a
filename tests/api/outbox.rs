//! The template-message outbox and its worker against the fake WeChat: sent once with
//! its fields and link, final failures not retried, transient ones retried after
//! back-off, crashes survived, many workers never sending twice. No test waits on the
//! clock: back-off passes by moving the outbox's clock (`outbox_time_passes`), and a
//! worker the test does not drive itself is awaited through what it writes (the fake's
//! requests, a watch on the outbox table).

use std::collections::HashSet;
use std::time::{Duration, Instant};

use sqlx::PgPool;
use sunvillage::configuration::Settings;
use sunvillage::domain::OpenId;
use sunvillage::domain::notification::TemplateJobStatus;
use sunvillage::storage::outbox::{self, OutboxId};
use sunvillage::wechat::api::WechatApi;
use sunvillage::wechat::api::template::Templates;
use sunvillage::workers::outbox::{self as outbox_worker, ExecutionOutcome};
use tokio_util::sync::CancellationToken;

use crate::support::fake_wechat::FakeWechat;
use crate::support::wait::TableWatch;
use crate::support::{TestApp, spawn_app_with_wechat, template, url_of};

const TEMPLATE_ID: &str = "ngqIpbwh8bUfcSsECmogfXcV14J0tQlEpBO27izEYtY";
const FOLLOWER: &str = "oLVPpjqs9BhvzwPj5A-vTYAX3GLc";
/// The first retry's delay.
const RETRY_BASE: Duration = Duration::from_secs(60);

/// One kind of notification, a back-off far longer than any test runs (so a retry is
/// due only when the test moves the clock), and (unless a test wants it) no worker in
/// the app, so that tests drive deliveries themselves.
fn configure(s: &mut Settings) {
    s.outbox.worker_in_serve = false;
    s.outbox.retry_base_ms = RETRY_BASE.as_millis() as u64;
    s.outbox.retry_max_ms = 4 * RETRY_BASE.as_millis() as u64;
    s.outbox.poll_interval_ms = 50;
    s.outbox.concurrency = 4;
    template(
        s,
        "notice_published",
        TEMPLATE_ID,
        &[
            ("tracking_number", "character_string1"),
            ("status", "phrase2"),
        ],
    );
}

async fn app(fake: &FakeWechat) -> TestApp {
    spawn_app_with_wechat(fake, configure).await
}

/// One delivery attempt, as a worker task makes it.
async fn attempt(app: &TestApp) -> ExecutionOutcome {
    outbox_worker::try_execute_task(&app.pool, &app.vault, &app.wechat, &app.backoff())
        .await
        .unwrap()
}

/// Enqueues `n` notifications in one committed transaction.
async fn enqueue(app: &TestApp, openid: &str, n: usize) -> Vec<OutboxId> {
    let templates = Templates::from_settings(&app.settings);
    let openid = OpenId::parse(openid).unwrap();
    let mut tx = app.pool.begin().await.unwrap();
    let mut ids = Vec::new();
    for i in 0..n {
        let tracking = format!("TS2026{i:07}");
        let notification = templates
            .notification(
                "notice_published",
                &openid,
                &[("tracking_number", &tracking), ("status", "已受理")],
                Some(&format!("/complaints/{tracking}")),
            )
            .unwrap();
        ids.push(
            outbox::enqueue(&mut tx, &app.vault, &notification)
                .await
                .unwrap(),
        );
    }
    tx.commit().await.unwrap();
    ids
}

async fn entry(app: &TestApp, id: OutboxId) -> outbox::OutboxEntry {
    outbox::find(&app.pool, id).await.unwrap().unwrap()
}

#[tokio::test]
async fn a_committed_notification_is_sent_once_with_its_fields_and_link() {
    let fake = FakeWechat::start().await;
    let app = app(&fake).await;
    let [id] = enqueue(&app, FOLLOWER, 1).await[..] else {
        unreachable!()
    };

    let outcome = attempt(&app).await;

    let sent = fake.delivered();
    assert_eq!(sent.len(), 1);
    assert_eq!(
        outcome,
        ExecutionOutcome::Sent {
            id,
            msgid: sent[0].msgid
        }
    );
    assert_eq!(sent[0].touser, FOLLOWER);
    assert_eq!(sent[0].template_id, TEMPLATE_ID);
    assert_eq!(
        sent[0].url.as_deref(),
        Some("http://cunwu.test/complaints/TS20260000000")
    );
    assert_eq!(
        sent[0].data,
        serde_json::json!({
            "character_string1": {"value": "TS20260000000"},
            "phrase2": {"value": "已受理"}
        })
    );
    let row = entry(&app, id).await;
    assert_eq!(row.status, "sent");
    assert_eq!(row.msgid, Some(sent[0].msgid));
    assert_eq!(
        sent[0].client_msg_id,
        row.client_msg_id.simple().to_string()
    );
    assert_eq!(attempt(&app).await, ExecutionOutcome::EmptyQueue);
}

#[tokio::test]
async fn a_rolled_back_notification_is_never_sent() {
    let fake = FakeWechat::start().await;
    let app = app(&fake).await;
    let templates = Templates::from_settings(&app.settings);
    let n = templates
        .notification(
            "notice_published",
            &OpenId::parse(FOLLOWER).unwrap(),
            &[("tracking_number", "TS1"), ("status", "已受理")],
            None,
        )
        .unwrap();
    let mut tx = app.pool.begin().await.unwrap();
    outbox::enqueue(&mut tx, &app.vault, &n).await.unwrap();
    tx.rollback().await.unwrap();

    let outcome = attempt(&app).await;

    assert_eq!(outcome, ExecutionOutcome::EmptyQueue);
    assert_eq!(fake.send_requests(), 0);
}

#[tokio::test]
async fn an_unsubscribed_follower_43004_is_not_retried() {
    let fake = FakeWechat::start().await;
    fake.unsubscribe(FOLLOWER);
    let app = app(&fake).await;
    let [id] = enqueue(&app, FOLLOWER, 1).await[..] else {
        unreachable!()
    };

    let outcome = attempt(&app).await;
    // However long after: a day.
    app.outbox_time_passes(Duration::from_secs(24 * 3600)).await;
    let again = attempt(&app).await;

    assert_eq!(outcome, ExecutionOutcome::Failed { id });
    assert_eq!(again, ExecutionOutcome::EmptyQueue);
    assert_eq!(fake.send_requests(), 1);
    let row = entry(&app, id).await;
    assert_eq!(row.status, "failed");
    assert_eq!(row.attempts, 1);
    assert!(
        row.last_error.as_deref().unwrap().contains("43004"),
        "{row:?}"
    );
}

#[tokio::test]
async fn an_invalid_openid_or_template_fails_for_good_with_the_error_recorded() {
    for code in [40003, 40037] {
        let fake = FakeWechat::start().await;
        fake.script_sends(&[code]);
        let app = app(&fake).await;
        let [id] = enqueue(&app, FOLLOWER, 1).await[..] else {
            unreachable!()
        };
        let outcome = attempt(&app).await;
        assert_eq!(outcome, ExecutionOutcome::Failed { id }, "{code}");
        let row = entry(&app, id).await;
        assert!(
            row.last_error
                .as_deref()
                .unwrap()
                .contains(&code.to_string()),
            "{row:?}"
        );
        assert_eq!(fake.send_requests(), 1);
    }
}

#[tokio::test]
async fn a_transient_failure_is_retried_after_back_off() {
    let fake = FakeWechat::start().await;
    fake.script_sends(&[45009]);
    let app = app(&fake).await;
    let [id] = enqueue(&app, FOLLOWER, 1).await[..] else {
        unreachable!()
    };

    let first = attempt(&app).await;
    let too_soon = attempt(&app).await;
    let row = entry(&app, id).await;
    app.outbox_time_passes(RETRY_BASE).await;
    let later = attempt(&app).await;

    assert_eq!(first, ExecutionOutcome::Retried { id });
    assert_eq!(too_soon, ExecutionOutcome::EmptyQueue);
    assert_eq!(row.status, "pending");
    assert!(row.last_error.as_deref().unwrap().contains("45009"));
    assert!(matches!(later, ExecutionOutcome::Sent { .. }));
    assert_eq!(entry(&app, id).await.attempts, 2);
}

#[tokio::test]
async fn transient_failures_become_final_after_the_last_attempt() {
    let fake = FakeWechat::start().await;
    fake.script_sends(&[45009, 45009, 45009]);
    let app = spawn_app_with_wechat(&fake, |s| {
        configure(s);
        s.outbox.max_attempts = 3;
    })
    .await;
    let [id] = enqueue(&app, FOLLOWER, 1).await[..] else {
        unreachable!()
    };
    let mut outcomes = Vec::new();
    for _ in 0..4 {
        outcomes.push(attempt(&app).await);
        // The longest back-off passes before the next attempt.
        app.outbox_time_passes(4 * RETRY_BASE).await;
    }
    assert_eq!(
        outcomes,
        [
            ExecutionOutcome::Retried { id },
            ExecutionOutcome::Retried { id },
            ExecutionOutcome::Failed { id },
            ExecutionOutcome::EmptyQueue
        ]
    );
    let row = entry(&app, id).await;
    assert!(
        row.last_error
            .as_deref()
            .unwrap()
            .starts_with("gave up after 3 attempts"),
        "{row:?}"
    );
}

/// A worker in a runtime of its own, with its own database pool and WeChat client, so
/// that shutting the runtime down kills it the way a crashed process dies: no task
/// finishes, no transaction commits, every connection drops.
struct CrashableWorker {
    runtime: tokio::runtime::Runtime,
}

impl CrashableWorker {
    fn start(app: &TestApp) -> CrashableWorker {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .enable_all()
            .build()
            .unwrap();
        let settings = app.settings.clone();
        let url = url_of(&app.db_name);
        runtime.spawn(async move {
            let pool = PgPool::connect(&url).await.unwrap();
            // Redis connections of this runtime, under the app's key prefix.
            let kv = sunvillage::kv::Kv::from_settings(&settings.redis).unwrap();
            let api = WechatApi::from_settings(&settings.wechat, &kv).unwrap();
            let vault = sunvillage::crypto::Vault::from_settings(&settings.crypto).unwrap();
            outbox_worker::run_until_stopped(
                pool,
                vault,
                api,
                settings.outbox,
                CancellationToken::new(),
            )
            .await;
        });
        CrashableWorker { runtime }
    }

    fn crash(self) {
        self.runtime.shutdown_background();
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_notification_survives_a_worker_crash_between_send_attempts_and_is_delivered_once() {
    // Arrange: the first attempt fails transiently, so the row waits for a retry.
    let fake = FakeWechat::start().await;
    fake.script_sends(&[45011]);
    let app = app(&fake).await;
    let [id] = enqueue(&app, FOLLOWER, 1).await[..] else {
        unreachable!()
    };
    let mut outbox = TableWatch::start(&app.pool, "outbox").await;
    let first = CrashableWorker::start(&app);
    outbox
        .until("the first attempt is recorded", async || {
            entry(&app, id).await.attempts == 1
        })
        .await;

    // Act: the worker dies while the row waits; the back-off passes; another worker
    // takes over.
    first.crash();
    app.outbox_time_passes(RETRY_BASE).await;
    let second = CrashableWorker::start(&app);
    outbox
        .until("the row is sent", async || {
            entry(&app, id).await.status == "sent"
        })
        .await;
    second.crash();

    // Assert
    assert_eq!(fake.send_requests(), 2);
    assert_eq!(fake.delivered().len(), 1);
    let row = entry(&app, id).await;
    assert_eq!(row.attempts, 2);
    assert_eq!(row.msgid, Some(fake.delivered()[0].msgid));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_crash_after_wechat_accepted_resends_once_and_wechat_drops_the_duplicate() {
    // The honest limit: WeChat accepted the message but the worker died before COMMIT.
    let fake = FakeWechat::start().await;
    fake.hold_sends(Duration::from_secs(30));
    let app = app(&fake).await;
    let [id] = enqueue(&app, FOLLOWER, 1).await[..] else {
        unreachable!()
    };
    let mut outbox = TableWatch::start(&app.pool, "outbox").await;
    let first = CrashableWorker::start(&app);
    // WeChat has accepted the message; its answer is held, so the worker waits.
    fake.until_send_requests(1).await;

    first.crash();
    fake.hold_sends(Duration::ZERO);
    // The dead worker's row lock goes when Postgres notices the connection is gone.
    let second = CrashableWorker::start(&app);
    outbox
        .until("the row is sent", async || {
            entry(&app, id).await.status == "sent"
        })
        .await;
    second.crash();

    // Sent twice, shown once: the resend carried the same client_msg_id.
    assert_eq!(fake.send_requests(), 2);
    let delivered = fake.delivered();
    assert_eq!(delivered.len(), 1);
    assert_eq!(entry(&app, id).await.msgid, Some(delivered[0].msgid));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn two_workers_deliver_1000_notifications_with_no_duplicates_and_none_missing() {
    let fake = FakeWechat::start().await;
    let app = app(&fake).await;
    // 50 followers with 20 each: workers contend for rows, and each follower's
    // messages must still leave in order.
    let mut ids = Vec::new();
    for f in 0..50 {
        ids.extend(enqueue(&app, &format!("oFollower{f:019}"), 20).await);
    }
    let started = Instant::now();

    let workers: Vec<_> = (0..2)
        .map(|_| {
            let settings = app.settings.clone();
            let url = url_of(&app.db_name);
            let kv = app.kv.clone();
            let stop = CancellationToken::new();
            let handle = tokio::spawn({
                let stop = stop.clone();
                async move {
                    let pool = sqlx::postgres::PgPoolOptions::new()
                        .max_connections(6)
                        .connect(&url)
                        .await
                        .unwrap();
                    let api = WechatApi::from_settings(&settings.wechat, &kv).unwrap();
                    let vault = sunvillage::crypto::Vault::from_settings(&settings.crypto).unwrap();
                    outbox_worker::run_until_stopped(pool, vault, api, settings.outbox, stop).await;
                }
            });
            (stop, handle)
        })
        .collect();
    fake.until_delivered(1000).await;
    // For docs/wechat-account.md, not asserted: speed is for benchmarks.
    eprintln!(
        "two workers (4 tasks each) delivered 1000 notifications in {:?}",
        started.elapsed()
    );
    // Each worker finishes (and commits) the row in hand before it stops.
    for (stop, handle) in workers {
        stop.cancel();
        handle.await.unwrap();
    }
    assert_eq!(
        outbox::count_by_status(&app.pool)
            .await
            .unwrap()
            .get("sent"),
        Some(&1000)
    );

    // No send twice, not even one WeChat would have dropped; none missing.
    assert_eq!(fake.send_requests(), 1000);
    let delivered = fake.delivered();
    assert_eq!(delivered.len(), 1000);
    let distinct: HashSet<_> = delivered.iter().map(|m| m.client_msg_id.clone()).collect();
    assert_eq!(distinct.len(), 1000);
    let mut msgids = HashSet::new();
    for id in ids {
        let row = entry(&app, id).await;
        assert_eq!(row.status, "sent");
        assert!(msgids.insert(row.msgid.unwrap()));
    }
    // Each follower's messages arrived in the order they were written.
    for f in 0..50 {
        let openid = format!("oFollower{f:019}");
        let numbers: Vec<String> = delivered
            .iter()
            .filter(|m| m.touser == openid)
            .map(|m| {
                m.data["character_string1"]["value"]
                    .as_str()
                    .unwrap()
                    .to_owned()
            })
            .collect();
        let mut sorted = numbers.clone();
        sorted.sort();
        assert_eq!(numbers.len(), 20);
        assert_eq!(numbers, sorted, "{openid}");
    }
}

#[tokio::test]
async fn template_send_job_finish_marks_the_delivery() {
    let fake = FakeWechat::start().await;
    let app = app(&fake).await;
    let [id] = enqueue(&app, FOLLOWER, 1).await[..] else {
        unreachable!()
    };
    attempt(&app).await;
    let msgid = fake.delivered()[0].msgid;

    let marked = outbox::mark_delivery(
        &app.pool,
        msgid,
        TemplateJobStatus::parse("failed:user block"),
    )
    .await
    .unwrap();
    let unknown = outbox::mark_delivery(&app.pool, 1, TemplateJobStatus::Success)
        .await
        .unwrap();

    assert_eq!(marked, Some(id));
    assert_eq!(unknown, None);
    assert_eq!(
        entry(&app, id).await.delivery_status.as_deref(),
        Some("user_block")
    );
    // WeChat may repeat the event; the mark is the same.
    outbox::mark_delivery(&app.pool, msgid, TemplateJobStatus::Success)
        .await
        .unwrap();
    assert_eq!(
        entry(&app, id).await.delivery_status.as_deref(),
        Some("success")
    );
}

#[tokio::test]
async fn the_worker_inside_serve_delivers_new_notifications_and_stops_with_the_app() {
    let fake = FakeWechat::start().await;
    let app = spawn_app_with_wechat(&fake, |s| {
        configure(s);
        s.outbox.worker_in_serve = true;
        // Only the LISTEN wake-up can deliver within the test's patience.
        s.outbox.poll_interval_ms = 60_000;
    })
    .await;
    // The worker listens before the rows are written, so only its wake-up can send
    // them at once (its poll is a minute away).
    app.until_outbox_worker_listens().await;

    enqueue(&app, FOLLOWER, 3).await;

    fake.until_delivered(3).await;
    assert_eq!(fake.delivered().len(), 3);
    app.shut_down().await;
}

#[tokio::test]
async fn a_notification_breaking_the_2023_rules_is_refused_before_the_outbox() {
    let fake = FakeWechat::start().await;
    let app = app(&fake).await;
    let templates = Templates::from_settings(&app.settings);
    let openid = OpenId::parse(FOLLOWER).unwrap();

    let long = templates
        .notification(
            "notice_published",
            &openid,
            &[
                ("tracking_number", "TS1"),
                ("status", "已受理并转交乡镇纪委调查核实办理中请耐心等待"),
            ],
            None,
        )
        .unwrap_err();
    let unknown = templates
        .notification("complaint_answered", &openid, &[], None)
        .unwrap_err();
    let newline = templates
        .notification(
            "notice_published",
            &openid,
            &[("tracking_number", "TS1"), ("status", "已受理\n请等待")],
            None,
        )
        .unwrap_err();

    assert!(
        long.to_string()
            .contains("field `status` has 22 characters; WeChat shows at most 20"),
        "{long}"
    );
    assert!(
        unknown
            .to_string()
            .contains("wechat.templates.complaint_answered"),
        "{unknown}"
    );
    assert!(newline.to_string().contains("line break"), "{newline}");
}

#[tokio::test]
async fn the_worker_command_delivers_and_stops_on_sigterm() {
    let fake = FakeWechat::start().await;
    let app = app(&fake).await;
    enqueue(&app, FOLLOWER, 5).await;

    let mut child = app
        .command()
        .arg("worker")
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    fake.until_delivered(5).await;

    let pid = child.id().unwrap().to_string();
    let killed = tokio::process::Command::new("kill")
        .args(["-TERM", &pid])
        .status()
        .await
        .unwrap();
    assert!(killed.success());
    let out = tokio::time::timeout(Duration::from_secs(30), child.wait())
        .await
        .expect("the worker stops after SIGTERM")
        .unwrap();
    assert!(out.success(), "exit status {out}");
}
