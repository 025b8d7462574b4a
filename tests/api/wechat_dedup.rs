//! WeChat's retries: answered from the de-duplication store, the work done once. How
//! long a retry waits for the first delivery's answer is tested on a paused clock.

use std::time::Duration;

use sunvillage::configuration::WechatMode;
use sunvillage::domain::OpenId;
use sunvillage::kv::Kv;
use sunvillage::storage::{followers, inbound_messages};
use sunvillage::wechat::webhook::dedup::{self, Answer, Claim, Dedup, DedupKey};
use sunvillage::wechat::webhook::inbound;
use sunvillage::wechat::webhook::reply::Reply;
use sunvillage::wechat::webhook::xml;

use crate::support::spawn_app_with;
use crate::support::wechat::{decode, event, text, text_of};

fn key_of(message: &str) -> DedupKey {
    DedupKey::of(&inbound::parse(message).unwrap())
}

/// Stages a first delivery that is still working: its claim is in the store, no
/// answer yet.
async fn still_working(kv: &Kv, key: &DedupKey) {
    kv.set(
        key.as_str(),
        &dedup::pending_marker(),
        Duration::from_secs(60),
    )
    .await
    .unwrap();
}

#[tokio::test]
async fn a_retry_is_answered_from_the_deduplication_store() {
    let app = spawn_app_with(|_| {}).await;
    let message = text("oRetry", "王岗");
    let (status, first) = app.send_wechat(WechatMode::Plain, &message).await;
    assert_eq!(status, 200);
    // WeChat's retry: the same body, a new signature.
    let (_, second) = app.send_wechat(WechatMode::Plain, &message).await;
    assert_eq!(first, second);

    // The stored answer is what a retry gets: change it and retry again.
    let stored = Reply::Text("来自存储的回复".into())
        .render("oRetry", "gh_simulated", 1)
        .unwrap();
    app.kv
        .set(
            key_of(&message).as_str(),
            &dedup::stored_form(&Answer::Xml(stored)),
            Duration::from_secs(60),
        )
        .await
        .unwrap();
    let content = text_of(app.wechat(&message).await);
    assert_eq!(content, "来自存储的回复");
}

#[tokio::test]
async fn a_safe_mode_retry_gets_the_same_reply_freshly_encrypted() {
    let app = spawn_app_with(|s| s.wechat.mode = WechatMode::Safe).await;
    let message = text("oRetrySafe", "青山镇王岗");
    let (_, first) = app.send_wechat(WechatMode::Safe, &message).await;
    let (_, second) = app.send_wechat(WechatMode::Safe, &message).await;
    assert_ne!(first, second, "each envelope has its own nonce and prefix");
    let a = decode(&app, &first).unwrap();
    let b = decode(&app, &second).unwrap();
    assert_eq!(a, b);
}

#[tokio::test]
async fn a_retried_text_is_handled_and_logged_once() {
    let mut app = spawn_app_with(|_| {}).await;
    let message = text("oOnce", "王岗");
    for _ in 0..3 {
        let (status, _) = app.send_wechat(WechatMode::Plain, &message).await;
        assert_eq!(status, 200);
    }
    // The same MsgId from another follower is another message.
    let other = message.replace("oOnce", "oOther");
    let (_, body) = app.send_wechat(WechatMode::Plain, &other).await;
    assert!(body.contains("王岗村"));

    app.stop_server().await;
    let pool = app.fresh_pool().await;
    let once = OpenId::parse("oOnce").unwrap();
    assert_eq!(
        inbound_messages::for_follower(&pool, &app.vault, &once)
            .await
            .unwrap()
            .len(),
        1
    );
    let other = OpenId::parse("oOther").unwrap();
    assert_eq!(
        inbound_messages::for_follower(&pool, &app.vault, &other)
            .await
            .unwrap()
            .len(),
        1
    );
}

#[tokio::test]
async fn a_retry_during_the_first_delivery_waits_then_answers_success() {
    let app = spawn_app_with(|s| s.webhook.retry_wait_ms = 300).await;
    let message = text("oSlow", "王岗");
    still_working(&app.kv, &key_of(&message)).await;
    let (status, body) = app.send_wechat(WechatMode::Plain, &message).await;
    assert_eq!(status, 200);
    assert_eq!(body, "success");
}

/// The store and the de-duplicator a webhook would have, in process and on Tokio's
/// clock alone, so that a test can pause that clock and move it.
fn paused_dedup(retry_wait: Duration) -> (Kv, Dedup) {
    let kv = Kv::memory("t:");
    let dedup = Dedup::new(kv.clone(), Duration::from_secs(60), retry_wait);
    (kv, dedup)
}

#[tokio::test(start_paused = true)]
async fn a_retry_during_the_first_delivery_gets_its_answer_when_it_comes_in_time() {
    let (kv, dedup) = paused_dedup(Duration::from_millis(4000));
    let message = text("oSlow2", "王岗");
    let key = key_of(&message);
    still_working(&kv, &key).await;
    let retry = tokio::spawn({
        let (dedup, key) = (dedup.clone(), key.clone());
        async move { dedup.claim(key).await }
    });
    // 300 ms into the retry's wait, the first delivery answers.
    tokio::time::advance(Duration::from_millis(300)).await;
    assert!(!retry.is_finished(), "the retry is waiting");
    let reply = Reply::Text("第一次的回复".into())
        .render("oSlow2", "gh_simulated", 1)
        .unwrap();
    kv.set(
        key.as_str(),
        &dedup::stored_form(&Answer::Xml(reply)),
        Duration::from_secs(60),
    )
    .await
    .unwrap();
    let Claim::Answered(Answer::Xml(answer)) = retry.await.unwrap() else {
        panic!("the retry gets the first delivery's answer");
    };
    let content = text_of(Some(xml::parse(&answer).unwrap()));
    assert_eq!(content, "第一次的回复");
}

#[tokio::test(start_paused = true)]
async fn a_retry_waits_for_the_first_delivery_as_long_as_configured_and_no_longer() {
    let (kv, dedup) = paused_dedup(Duration::from_millis(3000));
    let key = key_of(&text("oSlow3", "王岗"));
    still_working(&kv, &key).await;
    let started = tokio::time::Instant::now();
    let claim = dedup.claim(key).await;
    let waited = started.elapsed();
    assert!(matches!(claim, Claim::StillWorking), "{claim:?}");
    assert!(
        waited >= Duration::from_millis(2950) && waited <= Duration::from_millis(3000),
        "waited {waited:?}"
    );
}

#[tokio::test]
async fn a_failed_first_delivery_lets_the_retry_do_the_work() {
    let app = spawn_app_with(|_| {}).await;
    let message = event("oFailing", "subscribe", Some("qrscene_411503209202"));
    // Sabotage: the followers table is gone while the first delivery runs.
    sqlx::query("ALTER TABLE followers RENAME TO followers_away")
        .execute(&app.pool)
        .await
        .unwrap();
    let content = text_of(app.wechat(&message).await);
    assert_eq!(content, "系统繁忙，请稍后再试。");
    sqlx::query("ALTER TABLE followers_away RENAME TO followers")
        .execute(&app.pool)
        .await
        .unwrap();
    // The retry is not answered from the store: it subscribes and binds.
    let content = text_of(app.wechat(&message).await);
    assert!(
        content.contains("已为您关联 平桥区王岗乡王岗村"),
        "{content}"
    );
    let openid = OpenId::parse("oFailing").unwrap();
    let follower = followers::find(&app.pool, &app.vault, &openid)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(follower.village.unwrap().as_str(), "411503209202");
}
