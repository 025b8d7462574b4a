//! Every message and event kind over HTTP, and what each is answered.

use std::path::Path;

use sunvillage::configuration::WechatMode;
use sunvillage::wechat::webhook::simulate::{self, Simulated};

use crate::support::wechat::{article_of, event, fresh_msg_id, now, text, text_of};
use crate::support::{TestApp, spawn_app};

fn vector(rel: &str) -> String {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data/wechat-vectors")
        .join(rel);
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

#[tokio::test]
async fn every_peer_fixture_message_and_event_is_answered() {
    let app = spawn_app().await;
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/wechat-vectors");
    let mut sent = 0;
    for sub in [
        "xml/inbound/wechatpy",
        "xml/inbound/wxjava",
        "xml/inbound/easywechat6",
        "extra/inbound",
    ] {
        for entry in std::fs::read_dir(dir.join(sub)).unwrap() {
            let path = entry.unwrap().path();
            let body = std::fs::read_to_string(&path).unwrap();
            let (status, reply) = app.send_wechat(WechatMode::Plain, &body).await;
            assert_eq!(status, 200, "{}: {reply}", path.display());
            sent += 1;
        }
    }
    assert!(sent >= 70);
}

/// A message kind answered with text containing `expected`.
async fn answers_with_text(app: &TestApp, message: &str, expected: &str) {
    let reply = app.wechat(message).await;
    let content = text_of(reply);
    assert!(content.contains(expected), "{message}\n→ {content}");
}

async fn answers_success(app: &TestApp, message: &str) {
    let (status, body) = app.send_wechat(WechatMode::Plain, message).await;
    assert_eq!(status, 200);
    assert_eq!(body, "success", "{message}");
}

#[tokio::test]
async fn media_messages_point_to_the_complaint_form() {
    let app = spawn_app().await;
    for file in [
        "extra/inbound/chanxuehong_image.xml",
        "xml/inbound/wechatpy/test_parser__test_parse_voice_message.xml",
        "extra/inbound/chanxuehong_video.xml",
        "extra/inbound/chanxuehong_shortvideo.xml",
        "extra/inbound/chanxuehong_link.xml",
    ] {
        answers_with_text(&app, &vector(file), "http://cunwu.test/complaints/new").await;
    }
    let file = format!(
        "<xml><ToUserName>gh</ToUserName><FromUserName>oFile</FromUserName><CreateTime>{}</CreateTime>\
         <MsgType>file</MsgType><Title>账目.xlsx</Title><FileKey>k</FileKey><FileMd5>m</FileMd5>\
         <FileTotalLen>10</FileTotalLen><MsgId>{}</MsgId></xml>",
        now(),
        fresh_msg_id()
    );
    answers_with_text(&app, &file, "不在对话中处理").await;
    answers_with_text(
        &app,
        &vector("extra/inbound/chanxuehong_location.xml"),
        "使用说明",
    )
    .await;
}

#[tokio::test]
async fn a_recognised_voice_message_is_read_like_text() {
    let app = spawn_app().await;
    let voice = simulate::message_xml(
        "oVoice",
        &Simulated::Voice("青山镇王岗。".into()),
        now(),
        fresh_msg_id(),
    );
    let (title, url) = article_of(app.wechat(&voice).await);
    assert_eq!(title, "罗山县青山镇王岗村");
    assert_eq!(url, "http://cunwu.test/v/411521106200");
}

#[tokio::test]
async fn keywords_lead_to_complaints_progress_and_help() {
    let app = spawn_app().await;
    for (words, expected) in [
        ("我要投诉", "http://cunwu.test/complaints/new"),
        ("举报", "http://cunwu.test/complaints/new"),
        ("建议", "在线投诉"),
        ("进度", "还没有提交过投诉建议"),
        (
            "XY-20261128-0042",
            "没有找到您提交的受理编号为 XY-20261128-0042 的投诉",
        ),
        ("帮助", "使用说明"),
        ("?", "使用说明"),
        ("？", "使用说明"),
        (&"村里的路修了一半就停了，".repeat(5), "留言已收到"),
    ] {
        answers_with_text(&app, &text("oWords", words), expected).await;
    }
}

#[tokio::test]
async fn menu_clicks_answer_by_their_key() {
    let app = spawn_app().await;
    answers_with_text(&app, &event("oClick", "CLICK", Some("HELP")), "使用说明").await;
    answers_with_text(
        &app,
        &event("oClick", "CLICK", Some("FIND_VILLAGE")),
        "请直接回复村名",
    )
    .await;
    answers_with_text(
        &app,
        &event("oClick", "CLICK", Some("MY_VILLAGE")),
        "还没有关联村庄",
    )
    .await;
    answers_with_text(
        &app,
        &event("oClick", "CLICK", Some("MY_SUPERVISORS")),
        "还没有关联村庄",
    )
    .await;
    // A key the router does not know (an old menu) still gets something useful.
    answers_with_text(&app, &event("oClick", "CLICK", Some("GONE")), "使用说明").await;
}

#[tokio::test]
async fn events_with_nothing_to_say_are_answered_success() {
    let app = spawn_app().await;
    for (name, key) in [
        ("LOCATION", None),
        ("VIEW", Some("http://cunwu.test/power")),
        ("view_miniprogram", Some("pages/index/index")),
        ("scancode_push", Some("anything")),
        ("TEMPLATESENDJOBFINISH", None),
        ("MASSSENDJOBFINISH", None),
        ("unsubscribe", None),
        ("kf_create_session", None),
    ] {
        answers_success(&app, &event("oQuiet", name, key)).await;
    }
    for file in [
        "xml/inbound/wechatpy/test_events__test_pic_sysphoto_event.xml",
        "xml/inbound/wechatpy/test_events__test_pic_photo_or_album_event.xml",
        "xml/inbound/wechatpy/test_events__test_pic_wechat_event.xml",
        "xml/inbound/wechatpy/test_events__test_location_select_event.xml",
        "xml/inbound/wechatpy/test_events__test_mass_send_job_finish_event.xml",
        "extra/inbound/werobot_TEMPLATESENDJOBFINISH_failed_system.xml",
        "xml/inbound/wechatpy/test_parser__test_parse_unknown_message.xml",
        "xml/inbound/wechatpy/test_events__test_shakearound_user_shake_event.xml",
    ] {
        answers_success(&app, &vector(file)).await;
    }
}

#[tokio::test]
async fn a_scanned_village_code_from_the_menu_finds_the_village() {
    let app = spawn_app().await;
    let (title, url) = article_of(
        app.wechat(&event(
            "oScan",
            "scancode_waitmsg",
            Some("http://cunwu.test/v/411503209202?from=poster"),
        ))
        .await,
    );
    assert_eq!(title, "平桥区王岗乡王岗村");
    assert_eq!(url, "http://cunwu.test/v/411503209202");
    answers_with_text(
        &app,
        &event("oScan", "scancode_waitmsg", Some(&"x".repeat(100))),
        "不是村务公开码",
    )
    .await;
}

#[tokio::test]
async fn a_reply_goes_back_to_its_sender_from_the_account() {
    let app = spawn_app().await;
    let reply = app.wechat(&text("oSender42", "帮助")).await.unwrap();
    assert_eq!(reply.get("ToUserName"), Some("oSender42"));
    assert_eq!(reply.get("FromUserName"), Some("gh_simulated"));
    let created: i64 = reply.get("CreateTime").unwrap().parse().unwrap();
    assert!((created - now()).abs() < 60);
}
