//! WeChat's retries: answered from the de-duplication store, the work done once.

use std::time::Duration;

use sunvillage::configuration::WechatMode;
use sunvillage::domain::OpenId;
use sunvillage::storage::{followers, inbound_messages};
use sunvillage::wechat::webhook::dedup::{self, Answer, DedupKey};
use sunvillage::wechat::webhook::inbound;
use sunvillage::wechat::webhook::reply::Reply;

use crate::helpers::spawn_app_with;
use crate::wechat_support::{decode, event, text, text_of};

fn key_of(message: &str) -> DedupKey {
    DedupKey::of(&inbound::parse(message).unwrap())
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
        inbound_messages::for_follower(&pool, &once)
            .await
            .unwrap()
            .len(),
        1
    );
    let other = OpenId::parse("oOther").unwrap();
    assert_eq!(
        inbound_messages::for_follower(&pool, &other)
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
    // The first delivery is still working: its claim is in the store, no answer yet.
    app.kv
        .set(
            key_of(&message).as_str(),
            &dedup::pending_marker(),
            Duration::from_secs(60),
        )
        .await
        .unwrap();
    let (status, body) = app.send_wechat(WechatMode::Plain, &message).await;
    assert_eq!(status, 200);
    assert_eq!(body, "success");
}

#[tokio::test]
async fn a_retry_during_the_first_delivery_gets_its_answer_when_it_comes_in_time() {
    let app = spawn_app_with(|s| s.webhook.retry_wait_ms = 4000).await;
    let message = text("oSlow2", "王岗");
    let key = key_of(&message);
    app.kv
        .set(
            key.as_str(),
            &dedup::pending_marker(),
            Duration::from_secs(60),
        )
        .await
        .unwrap();
    let kv = app.kv.clone();
    let finisher = tokio::spawn(async move {
        tokio::time::sleep(Duration::from_millis(300)).await;
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
    });
    let content = text_of(app.wechat(&message).await);
    finisher.await.unwrap();
    assert_eq!(content, "第一次的回复");
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
    let follower = followers::find(&app.pool, &openid).await.unwrap().unwrap();
    assert_eq!(follower.village.unwrap().as_str(), "411503209202");
}
