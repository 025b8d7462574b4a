//! The inbound message log: texts and recognised speech reach Postgres in batches, off
//! the reply's path, and none is lost on a clean shutdown.

use sunvillage::configuration::WechatMode;
use sunvillage::domain::OpenId;
use sunvillage::storage::followers;
use sunvillage::storage::inbound_messages::{self, TextKind};
use sunvillage::wechat::webhook::dedup::DedupKey;
use sunvillage::wechat::webhook::inbound;
use sunvillage::wechat::webhook::simulate::{self, Simulated};

use crate::support::spawn_app_with;
use crate::support::wait::TableWatch;
use crate::support::wechat::{event, fresh_msg_id, now, text};

#[tokio::test]
async fn texts_wait_for_their_batch_and_are_written_on_a_clean_shutdown() {
    // Nothing would be written for an hour: only the shutdown flush can store them.
    let mut app = spawn_app_with(|s| {
        s.webhook.log_flush_ms = 3_600_000;
        s.webhook.log_batch_size = 1_000;
    })
    .await;
    for i in 0..5 {
        let (status, _) = app
            .send_wechat(WechatMode::Plain, &text("oLogged", &format!("第{i}条留言")))
            .await;
        assert_eq!(status, 200);
    }
    let voice = simulate::message_xml(
        "oLogged",
        &Simulated::Voice("村里的账什么时候公开".into()),
        now(),
        fresh_msg_id(),
    );
    app.send_wechat(WechatMode::Plain, &voice).await;
    app.send_wechat(WechatMode::Plain, &event("oLogged", "CLICK", Some("HELP")))
        .await;
    // Answered, but not yet written.
    assert_eq!(inbound_messages::count(&app.pool).await.unwrap(), 0);

    app.stop_server().await;
    let pool = app.fresh_pool().await;
    let openid = OpenId::parse("oLogged").unwrap();
    let texts = inbound_messages::for_follower(&pool, &app.vault, &openid)
        .await
        .unwrap();
    let contents: Vec<&str> = texts.iter().map(|t| t.content.as_str()).collect();
    assert_eq!(texts.len(), 6, "{contents:?}");
    for i in 0..5 {
        assert!(contents.contains(&format!("第{i}条留言").as_str()));
    }
    let voice = texts.iter().find(|t| t.kind == TextKind::Voice).unwrap();
    assert_eq!(voice.content, "村里的账什么时候公开");
    // Writing to the account makes one a known follower.
    let f = followers::find(&pool, &app.vault, &openid)
        .await
        .unwrap()
        .unwrap();
    assert!(f.subscribed);
}

#[tokio::test]
async fn a_full_batch_is_written_without_waiting_for_the_timer() {
    let app = spawn_app_with(|s| {
        s.webhook.log_flush_ms = 3_600_000;
        s.webhook.log_batch_size = 3;
    })
    .await;
    let mut written = TableWatch::start(&app.pool, "inbound_messages").await;
    for i in 0..3 {
        app.send_wechat(WechatMode::Plain, &text("oBatch", &format!("消息{i}")))
            .await;
    }
    // Woken by the batch's commit; the timer is an hour away.
    written
        .until("the full batch is written", async || {
            inbound_messages::count(&app.pool).await.unwrap() >= 3
        })
        .await;
}

#[tokio::test]
async fn a_message_delivered_again_after_its_key_expired_is_stored_once() {
    let mut app = spawn_app_with(|s| s.webhook.log_flush_ms = 20).await;
    let message = text("oTwice", "同一条消息");
    app.send_wechat(WechatMode::Plain, &message).await;
    let key = DedupKey::of(&inbound::parse(&message).unwrap());
    app.kv.delete(key.as_str()).await.unwrap();
    app.send_wechat(WechatMode::Plain, &message).await;
    app.stop_server().await;
    let pool = app.fresh_pool().await;
    let openid = OpenId::parse("oTwice").unwrap();
    assert_eq!(
        inbound_messages::for_follower(&pool, &app.vault, &openid)
            .await
            .unwrap()
            .len(),
        1
    );
}

/// `last_seen_at` is kept to the minute (`followers::LAST_SEEN_PRECISION`): a follower
/// seen again within a minute of the time their row holds is not written again, whether
/// the same writer remembers them or another instance's writer sends the sighting, and
/// one seen later is; their texts are stored under their hash either way.
#[tokio::test]
async fn a_follower_seen_again_within_a_minute_is_not_written_again() {
    use chrono::{DateTime, Duration, TimeZone, Utc};
    use inbound_messages::{RecentlySeen, Sighting, store_batch};
    let app = spawn_app_with(|_| {}).await;
    let openid = OpenId::parse("oSeenOftenInOneMinute").unwrap();
    // Whole seconds, as Postgres keeps microseconds.
    let t0 = Utc
        .timestamp_opt(Utc::now().timestamp() - 600, 0)
        .single()
        .unwrap();
    let seen = |secs: i64, text: Option<&str>| Sighting {
        openid: openid.clone(),
        at: t0 + Duration::seconds(secs),
        text: text.map(|t| (u64::try_from(secs).unwrap(), TextKind::Text, t.to_owned())),
    };
    let last_seen = || async {
        sqlx::query_scalar::<_, DateTime<Utc>>("SELECT last_seen_at FROM followers")
            .fetch_one(&app.pool)
            .await
            .unwrap()
    };
    let mut writer = RecentlySeen::default();
    store_batch(&app.pool, &app.vault, &mut writer, &[seen(0, None)])
        .await
        .unwrap();
    assert_eq!(last_seen().await, t0);

    store_batch(
        &app.pool,
        &app.vault,
        &mut writer,
        &[seen(30, Some("王岗"))],
    )
    .await
    .unwrap();
    let mut other_instance = RecentlySeen::default();
    store_batch(
        &app.pool,
        &app.vault,
        &mut other_instance,
        &[seen(40, None)],
    )
    .await
    .unwrap();
    assert_eq!(
        last_seen().await,
        t0,
        "within the minute, the row is left alone"
    );

    store_batch(
        &app.pool,
        &app.vault,
        &mut writer,
        &[seen(120, Some("张庄"))],
    )
    .await
    .unwrap();
    assert_eq!(last_seen().await, t0 + Duration::seconds(120));
    store_batch(
        &app.pool,
        &app.vault,
        &mut other_instance,
        &[seen(200, None)],
    )
    .await
    .unwrap();
    assert_eq!(last_seen().await, t0 + Duration::seconds(200));

    let under_their_hash: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM inbound_messages m JOIN followers f ON f.openid_hash = m.openid_hash",
    )
    .fetch_one(&app.pool)
    .await
    .unwrap();
    assert_eq!(under_their_hash, 2, "both texts, under the follower's hash");
}

/// The same message twice in one batch (Redis was down, so WeChat's retry was not
/// recognised) is stored once: the batch's plain insert meets the duplicate, and the
/// batch is written again skipping it, the rest of the batch with it.
#[tokio::test]
async fn a_message_twice_in_one_batch_is_stored_once_with_the_rest_of_the_batch() {
    use inbound_messages::{Sighting, store_batch};
    let app = spawn_app_with(|_| {}).await;
    let at = chrono::Utc::now();
    let sighting = |openid: &str, msg_id: u64| Sighting {
        openid: OpenId::parse(openid).unwrap(),
        at,
        text: Some((msg_id, TextKind::Text, "王岗".into())),
    };
    let batch = [
        sighting("oTwiceInOneBatch", 1),
        sighting("oSomeoneElse", 2),
        sighting("oTwiceInOneBatch", 1),
    ];
    let stored = store_batch(&app.pool, &app.vault, &mut Default::default(), &batch)
        .await
        .unwrap();
    assert_eq!(stored, 2);
    assert_eq!(inbound_messages::count(&app.pool).await.unwrap(), 2);
}
