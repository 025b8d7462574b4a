//! WeChat's API failing while 1,000 notifications are due (issue 17): HTTP 5xx, no
//! answer, an answer that is not JSON, -1 (busy) and 45009 (over the quota). Each time
//! the deliveries wait and retry with back-off, the token is not fetched again, nothing
//! is lost or sent twice, `/metrics` shows the failures by code, and once WeChat
//! recovers every notification arrives, in each follower's order.

use std::collections::HashSet;
use std::time::Duration;

use sunvillage::configuration::Settings;
use sunvillage::domain::OpenId;
use sunvillage::storage::outbox;
use sunvillage::wechat::api::template::Templates;
use sunvillage::wechat::api::{RetryPolicy, WechatApi, token};
use sunvillage::workers::outbox::{self as outbox_worker, ExecutionOutcome};

use crate::support::fake_wechat::{FakeWechat, Outage};
use crate::support::{TestApp, secret, spawn_app_with_wechat, template};

const FOLLOWERS: usize = 10;
const EACH: usize = 100;
const METRICS_TOKEN: &str = "fault-tests-metrics-token";

fn configure(s: &mut Settings) {
    s.outbox.worker_in_serve = false;
    s.outbox.retry_base_ms = 60_000;
    s.outbox.retry_max_ms = 240_000;
    // "No answer" is decided in a third of a second here, not the production 10 s.
    s.wechat.request_timeout_ms = 300;
    s.metrics.token = secret(METRICS_TOKEN);
    template(
        s,
        "notice_published",
        "ngqIpbwh8bUfcSsECmogfXcV14J0tQlEpBO27izEYtY",
        &[
            ("tracking_number", "character_string1"),
            ("status", "phrase2"),
        ],
    );
}

fn follower(f: usize) -> String {
    format!("oFault{f:022}")
}

async fn enqueue_all(app: &TestApp) {
    let templates = Templates::from_settings(&app.settings);
    let mut tx = app.pool.begin().await.unwrap();
    for f in 0..FOLLOWERS {
        let openid = OpenId::parse(&follower(f)).unwrap();
        for i in 0..EACH {
            let n = format!("TS{f:02}{i:08}");
            let notification = templates
                .notification(
                    "notice_published",
                    &openid,
                    &[("tracking_number", &n), ("status", "已受理")],
                    None,
                )
                .unwrap();
            outbox::enqueue(&mut tx, &app.vault, &notification)
                .await
                .unwrap();
        }
    }
    tx.commit().await.unwrap();
}

/// Worker attempts until nothing is due; how many rows were handled.
async fn drain(app: &TestApp, api: &WechatApi) -> usize {
    let backoff = app.backoff();
    let mut handled = 0;
    while outbox_worker::try_execute_task(&app.pool, &app.vault, api, &backoff)
        .await
        .unwrap()
        != ExecutionOutcome::EmptyQueue
    {
        handled += 1;
    }
    handled
}

async fn metrics(app: &TestApp) -> String {
    app.client
        .get(app.url("/metrics"))
        .bearer_auth(METRICS_TOKEN)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap()
}

async fn outage_then_recovery(outage: Outage, code: &str) {
    let fake = FakeWechat::start().await;
    let app = spawn_app_with_wechat(&fake, configure).await;
    // A worker's client, with the in-call retries cut short so a test does not wait
    // out the production budget at every row.
    let api = WechatApi::with_retry(
        &app.settings.wechat,
        token::store_for(&app.kv),
        RetryPolicy {
            first_delay: Duration::from_millis(5),
            budget: Duration::from_millis(20),
        },
    )
    .unwrap();
    api.access_token().await.unwrap();
    enqueue_all(&app).await;

    fake.outage(Some(outage));
    // Only each follower's first row is tried: the rest wait behind it, in order.
    assert_eq!(drain(&app, &api).await, FOLLOWERS);
    assert!(fake.delivered().is_empty());
    let tried = fake.send_requests();
    assert!(tried >= FOLLOWERS, "{tried}");
    let waiting: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM outbox
         WHERE status = 'pending' AND attempts = 1 AND last_error IS NOT NULL
           AND next_attempt_at > now() + interval '20 seconds'",
    )
    .fetch_one(&app.pool)
    .await
    .unwrap();
    assert_eq!(
        waiting, FOLLOWERS as i64,
        "each head waits out its back-off"
    );
    let shown = metrics(&app).await;
    assert!(
        shown.contains(&format!(
            "sunvillage_outbox_failures{{status=\"pending\",code=\"{code}\"}} {FOLLOWERS}"
        )),
        "{shown}"
    );
    assert!(
        shown.contains(&format!("sunvillage_outbox_pending {}", FOLLOWERS * EACH)),
        "{shown}"
    );
    // While the back-off runs nothing more is sent, however often a worker wakes.
    assert_eq!(drain(&app, &api).await, 0);
    assert_eq!(fake.send_requests(), tried);

    fake.outage(None);
    app.outbox_time_passes(Duration::from_secs(3600)).await;
    assert_eq!(drain(&app, &api).await, FOLLOWERS * EACH);
    let delivered = fake.delivered();
    assert_eq!(delivered.len(), FOLLOWERS * EACH);
    let distinct: HashSet<_> = delivered.iter().map(|m| m.client_msg_id.clone()).collect();
    assert_eq!(distinct.len(), FOLLOWERS * EACH, "nothing sent twice");
    for f in 0..FOLLOWERS {
        let numbers: Vec<&str> = delivered
            .iter()
            .filter(|m| m.touser == follower(f))
            .map(|m| m.data["character_string1"]["value"].as_str().unwrap())
            .collect();
        let mut sorted = numbers.clone();
        sorted.sort_unstable();
        assert_eq!(numbers.len(), EACH);
        assert_eq!(numbers, sorted, "{} in order", follower(f));
    }
    // An outage of the API is not a bad token: no refresh stampede, not even one.
    assert_eq!(fake.token_fetches(), 1);
    let counts = outbox::count_by_status(&app.pool).await.unwrap();
    assert_eq!(counts.get("sent"), Some(&((FOLLOWERS * EACH) as i64)));
    assert!(!metrics(&app).await.contains("sunvillage_outbox_failures{"));
}

#[tokio::test]
async fn http_5xx_from_wechat() {
    outage_then_recovery(Outage::Status(502), "http_502").await;
}

#[tokio::test]
async fn wechat_does_not_answer() {
    outage_then_recovery(Outage::Hang, "unreachable").await;
}

#[tokio::test]
async fn wechat_answers_something_that_is_not_json() {
    outage_then_recovery(Outage::Garbled, "bad_response").await;
}

#[tokio::test]
async fn wechat_is_busy() {
    outage_then_recovery(Outage::Errcode(-1), "-1").await;
}

#[tokio::test]
async fn the_api_quota_is_used_up() {
    outage_then_recovery(Outage::Errcode(45009), "45009").await;
}
