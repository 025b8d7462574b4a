//! Followers: subscribing (with a village's QR code), scanning, unsubscribing, and the
//! menu answers that depend on the bound village.

use sunvillage::domain::OpenId;
use sunvillage::storage::followers;

use crate::support::spawn_app;
use crate::support::wechat::{article_of, event, text, text_of};

#[tokio::test]
async fn subscribing_through_a_village_qr_code_welcomes_and_binds_the_follower() {
    let app = spawn_app().await;
    let content = text_of(
        app.wechat(&event("oQrFan", "subscribe", Some("qrscene_411503209202")))
            .await,
    );
    assert!(content.starts_with("欢迎关注阳光村务"), "{content}");
    assert!(
        content.contains(
            "已为您关联 平桥区王岗乡王岗村：<a href=\"http://cunwu.test/v/411503209202\">"
        ),
        "{content}"
    );
    assert!(
        content.contains("http://cunwu.test/complaints/new?village=411503209202"),
        "{content}"
    );
    let openid = OpenId::parse("oQrFan").unwrap();
    let f = followers::find(&app.pool, &app.vault, &openid)
        .await
        .unwrap()
        .unwrap();
    assert!(f.subscribed);
    assert_eq!(f.village.unwrap().as_str(), "411503209202");
    assert!(f.subscribed_at.is_some());

    // The menu now knows the village.
    let (title, url) = article_of(
        app.wechat(&event("oQrFan", "CLICK", Some("MY_VILLAGE")))
            .await,
    );
    assert_eq!(title, "平桥区王岗乡王岗村");
    assert_eq!(url, "http://cunwu.test/v/411503209202");
    let content = text_of(
        app.wechat(&event("oQrFan", "CLICK", Some("MY_SUPERVISORS")))
            .await,
    );
    assert!(
        content.contains("http://cunwu.test/v/411503209202#supervisors"),
        "{content}"
    );
    let content = text_of(app.wechat(&text("oQrFan", "我要投诉")).await);
    assert!(
        content.contains("/complaints/new?village=411503209202"),
        "{content}"
    );
}

#[tokio::test]
async fn a_plain_subscription_welcomes_without_binding() {
    let app = spawn_app().await;
    let content = text_of(app.wechat(&event("oPlainFan", "subscribe", None)).await);
    assert!(content.starts_with("欢迎关注阳光村务"), "{content}");
    assert!(!content.contains("已为您关联"));
    assert!(content.contains("http://cunwu.test/power"), "{content}");
    // A scene that is no village binds nothing either.
    let content = text_of(
        app.wechat(&event("oOddFan", "subscribe", Some("qrscene_123123")))
            .await,
    );
    assert!(!content.contains("已为您关联"), "{content}");
    for who in ["oPlainFan", "oOddFan"] {
        let f = followers::find(&app.pool, &app.vault, &OpenId::parse(who).unwrap())
            .await
            .unwrap()
            .unwrap();
        assert!(f.subscribed);
        assert_eq!(f.village, None);
    }
}

#[tokio::test]
async fn scanning_another_village_code_rebinds_and_unsubscribing_keeps_the_history() {
    let app = spawn_app().await;
    let openid = OpenId::parse("oMover").unwrap();
    app.wechat(&event("oMover", "subscribe", Some("qrscene_411503209202")))
        .await;
    let (title, url) = article_of(
        app.wechat(&event("oMover", "SCAN", Some("411521106200")))
            .await,
    );
    assert_eq!(title, "罗山县青山镇王岗村");
    assert_eq!(url, "http://cunwu.test/v/411521106200");
    let f = followers::find(&app.pool, &app.vault, &openid)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(f.village.as_ref().unwrap().as_str(), "411521106200");

    let (status, body) = app
        .send_wechat(
            app.settings.wechat.mode,
            &event("oMover", "unsubscribe", None),
        )
        .await;
    assert_eq!((status, body.as_str()), (200, "success"));
    let f = followers::find(&app.pool, &app.vault, &openid)
        .await
        .unwrap()
        .unwrap();
    assert!(!f.subscribed);
    assert!(f.unsubscribed_at.is_some());
    assert_eq!(f.village.as_ref().unwrap().as_str(), "411521106200");

    assert_eq!(followers::count_subscribed(&app.pool).await.unwrap(), 0);

    // Coming back without a code keeps the village.
    app.wechat(&event("oMover", "subscribe", None)).await;
    assert_eq!(followers::count_subscribed(&app.pool).await.unwrap(), 1);
    let f = followers::find(&app.pool, &app.vault, &openid)
        .await
        .unwrap()
        .unwrap();
    assert!(f.subscribed);
    assert_eq!(f.village.unwrap().as_str(), "411521106200");
    assert!(f.first_seen_at <= f.last_seen_at);
}

#[tokio::test]
async fn scanning_a_code_that_is_no_village_changes_nothing() {
    let app = spawn_app().await;
    let content = text_of(
        app.wechat(&event("oScanner", "SCAN", Some("SCENE_VALUE")))
            .await,
    );
    assert!(content.contains("使用说明"), "{content}");
    let f = followers::find(&app.pool, &app.vault, &OpenId::parse("oScanner").unwrap())
        .await
        .unwrap();
    assert!(f.is_none_or(|f| f.village.is_none()));
}
