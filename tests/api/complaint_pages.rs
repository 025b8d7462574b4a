//! Complaints through the real pages: a follower signs in through (a fake of) WeChat's
//! OAuth, files a complaint with a photo, and gets a push at every step while staff act
//! through their API; and everything the pages refuse.

use crate::support::complaints::{WANGGANG, complaint_templates};
use crate::support::fake_wechat::FakeWechat;
use crate::support::follower::{Browser, GOOD, hidden};
use crate::support::staff::{StaffRole, staff_token};
use crate::support::{TestApp, spawn_app_with_wechat};
use serde_json::{Value, json};

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}

fn tracking_of(location: &str) -> String {
    location
        .trim_start_matches("/complaints/")
        .trim_end_matches("/received")
        .to_owned()
}

/// A stored photo holds no EXIF (no GPS, no phone model) and stands the right way up.
fn assert_no_metadata(photo: &[u8]) {
    assert!(!contains(photo, b"Exif"), "EXIF survived");
    assert!(
        !contains(
            photo,
            sunvillage::domain::photo::testing::PHONE_MODEL.as_bytes()
        ),
        "the phone model survived"
    );
    let picture = image::load_from_memory(photo).unwrap();
    assert_eq!(
        (picture.width(), picture.height()),
        (20, 40),
        "the orientation is applied"
    );
}

async fn staff_act(app: &TestApp, token: &str, id: i64, body: Value) {
    let r = app
        .client
        .post(app.url(&format!("/api/staff/complaints/{id}/actions")))
        .bearer_auth(token)
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200, "{body}: {}", r.text().await.unwrap());
}

async fn complaint_id(app: &TestApp, tracking: &str) -> i64 {
    sqlx::query_scalar("SELECT complaint_id FROM complaints WHERE tracking_number = $1")
        .bind(tracking)
        .fetch_one(&app.pool)
        .await
        .unwrap()
}

#[tokio::test]
async fn a_complaint_filed_on_the_page_is_pushed_at_every_step_until_rated() {
    let fake = FakeWechat::start().await;
    let app = spawn_app_with_wechat(&fake, complaint_templates).await;
    let follower = Browser::signed_in(&app, &fake, "oFollowerZhangSan00000000001").await;

    // Submit through the real form, with a photo.
    let (status, to, body) = follower.submit(WANGGANG, GOOD, true).await;
    assert_eq!(status, 303, "{body}");
    let tracking = tracking_of(&to);
    assert!(tracking.starts_with("XY-"), "{to}");
    let (status, page) = follower.get(&to).await;
    assert_eq!(status, 200);
    assert!(page.contains("提交成功") && page.contains(&tracking));
    assert!(page.contains(&format!("/complaints/{tracking}/photos/1")));
    let photo = follower
        .client
        .get(app.url(&format!("/complaints/{tracking}/photos/1")))
        .send()
        .await
        .unwrap();
    assert_eq!(photo.headers()["content-type"], "image/jpeg");
    let served = photo.bytes().await.unwrap();
    assert_no_metadata(&served);
    app.run_pending_outbox().await;

    // Staff accept, assign and conclude; each push arrives before the next step.
    let id = complaint_id(&app, &tracking).await;
    let token = staff_token(&app, "李四", StaffRole::Handler).await;
    staff_act(&app, &token, id, json!({"action": "accept"})).await;
    app.run_pending_outbox().await;
    staff_act(
        &app,
        &token,
        id,
        json!({"action": "assign", "unit": "王岗乡纪委", "note": "十日内核实"}),
    )
    .await;
    app.run_pending_outbox().await;
    // The unit the complaint went to sees the photo without what could unmask its
    // author (where it was taken, with which phone).
    let unit = staff_token(&app, "王岗乡", StaffRole::Unit).await;
    let photo = app
        .client
        .get(app.url(&format!("/api/staff/complaints/{id}/photos/1")))
        .bearer_auth(&unit)
        .send()
        .await
        .unwrap();
    assert_eq!(photo.status(), 200);
    assert_eq!(photo.headers()["x-content-type-options"], "nosniff");
    assert_no_metadata(&photo.bytes().await.unwrap());
    staff_act(
        &app,
        &token,
        id,
        json!({"action": "conclude", "reply": "承包费已入账并公示。"}),
    )
    .await;
    app.run_pending_outbox().await;

    // The follower sees the answer and rates it on the page.
    let (_, page) = follower.get(&format!("/complaints/{tracking}")).await;
    assert!(page.contains("已办结") && page.contains("承包费已入账并公示。"));
    assert!(
        !page.contains("十日内核实"),
        "internal notes never reach the complainant"
    );
    assert!(page.contains("请评价办理结果"));
    let csrf = hidden(&page, "csrf");
    let (status, to) = follower
        .post(
            &format!("/complaints/{tracking}/rate"),
            &[("satisfaction", "satisfied"), ("csrf", &csrf)],
        )
        .await;
    assert_eq!(
        (status, to.as_str()),
        (303, format!("/complaints/{tracking}?done=rated").as_str())
    );
    let (_, page) = follower.get(&format!("/complaints/{tracking}")).await;
    assert!(page.contains("您的评价：满意"));

    // Exactly the expected pushes, in order, to this follower, with fields and link:
    // whatever the rating queued would leave now.
    app.run_pending_outbox().await;
    let pushes = fake.delivered();
    let expected = [
        ("complaint_received", "已收到"),
        ("complaint_accepted", "已受理"),
        ("complaint_assigned", "已转办"),
        ("complaint_concluded", "已办结"),
    ];
    assert_eq!(
        pushes.len(),
        expected.len(),
        "the rating is not pushed back"
    );
    for (push, (kind, status)) in pushes.iter().zip(expected) {
        assert_eq!(push.touser, follower.openid);
        assert_eq!(push.template_id, format!("tpl_{kind}"));
        assert_eq!(
            push.url.as_deref(),
            Some(format!("http://cunwu.test/complaints/{tracking}").as_str())
        );
        assert_eq!(push.data["character_string1"]["value"], tracking);
        assert_eq!(push.data["phrase2"]["value"], status);
        let time = push.data["time3"]["value"].as_str().unwrap();
        assert_eq!(time.len(), 16, "{time}");
    }

    // The timeline holds every step.
    let r = app
        .client
        .get(app.url(&format!("/api/staff/complaints/{id}")))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    let detail: Value = r.json().await.unwrap();
    let events: Vec<&str> = detail["timeline"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["event"].as_str().unwrap())
        .collect();
    assert_eq!(
        events,
        [
            "complaint_received",
            "complaint_accepted",
            "complaint_assigned",
            "complaint_concluded",
            "complaint_rated"
        ]
    );
    assert_eq!(detail["complaint"]["complainant"]["name"], "张三");
    assert_eq!(detail["photos"].as_array().unwrap().len(), 1);
}

#[tokio::test]
async fn another_follower_is_refused_the_complaint_page_and_its_photos() {
    let fake = FakeWechat::start().await;
    let app = spawn_app_with_wechat(&fake, complaint_templates).await;
    let owner = Browser::signed_in(&app, &fake, "oOwner000000000000000000001").await;
    let (_, to, _) = owner.submit(WANGGANG, GOOD, true).await;
    let tracking = tracking_of(&to);
    let other = Browser::signed_in(&app, &fake, "oOther000000000000000000001").await;
    for path in [
        format!("/complaints/{tracking}"),
        format!("/complaints/{tracking}/received"),
        format!("/complaints/{tracking}/photos/1"),
    ] {
        let (status, body) = other.get(&path).await;
        // The same answer as for a number nobody filed: tracking numbers count up
        // each day, and must not reveal other people's complaints.
        assert_eq!(status, 404, "{path}");
        assert!(!body.contains("鱼塘"), "{path} shows the content");
    }
    let (_, mine) = other.get("/complaints/mine").await;
    assert!(!mine.contains(&tracking));
    let (_, mine) = owner.get("/complaints/mine").await;
    assert!(mine.contains(&tracking));
    // Without any session the page sends the browser to WeChat's login.
    let r = app
        .client
        .get(app.url(&format!("/complaints/{tracking}")))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 302);
}

#[tokio::test]
async fn each_bad_field_is_shown_next_to_it_and_what_was_typed_is_kept() {
    let fake = FakeWechat::start().await;
    let app = spawn_app_with_wechat(&fake, complaint_templates).await;
    let follower = Browser::signed_in(&app, &fake, "oTypist000000000000000000001").await;
    let (status, _, page) = follower
        .submit(
            WANGGANG,
            &[
                ("category", ""),
                ("content", "太短了"),
                ("identity", "named"),
                ("name", "李四"),
                ("phone", "12345"),
            ],
            false,
        )
        .await;
    assert_eq!(status, 422);
    for message in ["请选择问题类别", "至少10个字", "请填写11位手机号码"] {
        assert!(page.contains(message), "{message}");
    }
    assert!(page.contains(">太短了</textarea>"), "the text is kept");
    assert!(page.contains("value=\"李四\"") && page.contains("value=\"12345\""));
    assert!(page.contains("平桥区王岗乡王岗村"), "the village is kept");
    let stored: i64 = sqlx::query_scalar("SELECT count(*) FROM complaints")
        .fetch_one(&app.pool)
        .await
        .unwrap();
    assert_eq!(stored, 0);
    // Anonymous with a name: refused, with the reason next to the choice.
    let (status, _, page) = follower
        .submit(
            WANGGANG,
            &[
                ("category", "sanzi"),
                ("content", GOOD[1].1),
                ("identity", "anonymous"),
                ("name", "王五"),
            ],
            false,
        )
        .await;
    assert_eq!(status, 422);
    assert!(page.contains("选择匿名时请不要填写姓名和电话"));
}

#[tokio::test]
async fn a_double_tap_stores_one_complaint() {
    let fake = FakeWechat::start().await;
    let app = spawn_app_with_wechat(&fake, complaint_templates).await;
    let follower = Browser::signed_in(&app, &fake, "oDoubleTap00000000000000001").await;
    let (_, form) = follower
        .get(&format!("/complaints/new?village={WANGGANG}"))
        .await;
    let (key, csrf) = (hidden(&form, "form_key"), hidden(&form, "csrf"));
    let (a, b) = tokio::join!(
        follower.post_form(&key, &csrf, WANGGANG, GOOD, false),
        follower.post_form(&key, &csrf, WANGGANG, GOOD, false),
    );
    assert_eq!((a.0, b.0), (303, 303));
    assert_eq!(a.1, b.1, "both taps land on the same complaint");
    let (again, _, _) = follower.post_form(&key, &csrf, WANGGANG, GOOD, false).await;
    assert_eq!(again, 303);
    let stored: i64 = sqlx::query_scalar("SELECT count(*) FROM complaints")
        .fetch_one(&app.pool)
        .await
        .unwrap();
    assert_eq!(stored, 1);
    app.run_pending_outbox().await;
    assert_eq!(fake.delivered().len(), 1, "one received push");
}

#[tokio::test]
async fn the_sixth_submission_of_a_day_is_refused_on_the_page() {
    let fake = FakeWechat::start().await;
    let app = spawn_app_with_wechat(&fake, complaint_templates).await;
    let follower = Browser::signed_in(&app, &fake, "oBusyFollower000000000000001").await;
    for _ in 0..5 {
        let (status, _, body) = follower.submit(WANGGANG, GOOD, false).await;
        assert_eq!(status, 303, "{body}");
    }
    let (status, _, page) = follower.submit(WANGGANG, GOOD, false).await;
    assert_eq!(status, 429);
    assert!(page.contains("每人每天最多提交5次"));
    assert!(page.contains(GOOD[1].1), "what was typed is kept");
    let stored: i64 = sqlx::query_scalar("SELECT count(*) FROM complaints")
        .fetch_one(&app.pool)
        .await
        .unwrap();
    assert_eq!(stored, 5);
}

#[tokio::test]
async fn a_form_without_its_token_or_from_another_follower_is_refused() {
    let fake = FakeWechat::start().await;
    let app = spawn_app_with_wechat(&fake, complaint_templates).await;
    let alice = Browser::signed_in(&app, &fake, "oAlice000000000000000000001").await;
    let mallory = Browser::signed_in(&app, &fake, "oMallory00000000000000000001").await;
    let (_, form) = alice
        .get(&format!("/complaints/new?village={WANGGANG}"))
        .await;
    let (key, csrf) = (hidden(&form, "form_key"), hidden(&form, "csrf"));
    let (status, _, _) = alice
        .post_form(&key, "0".repeat(64).as_str(), WANGGANG, GOOD, false)
        .await;
    assert_eq!(status, 403);
    let (status, _, _) = mallory.post_form(&key, &csrf, WANGGANG, GOOD, false).await;
    assert_eq!(
        status, 403,
        "a token is bound to the follower who opened the form"
    );
    let stored: i64 = sqlx::query_scalar("SELECT count(*) FROM complaints")
        .fetch_one(&app.pool)
        .await
        .unwrap();
    assert_eq!(stored, 0);
}

#[tokio::test]
async fn a_not_satisfied_rating_opens_a_review_once() {
    let fake = FakeWechat::start().await;
    let app = spawn_app_with_wechat(&fake, complaint_templates).await;
    let follower = Browser::signed_in(&app, &fake, "oUnhappy0000000000000000001").await;
    let (_, to, _) = follower.submit(WANGGANG, GOOD, false).await;
    let tracking = tracking_of(&to);
    let id = complaint_id(&app, &tracking).await;
    let token = staff_token(&app, "李四", StaffRole::Handler).await;
    staff_act(&app, &token, id, json!({"action": "accept"})).await;
    staff_act(
        &app,
        &token,
        id,
        json!({"action": "conclude", "reply": "已核实。"}),
    )
    .await;
    let (_, page) = follower.get(&format!("/complaints/{tracking}")).await;
    let rate_csrf = hidden(&page, "csrf");
    follower
        .post(
            &format!("/complaints/{tracking}/rate"),
            &[("satisfaction", "not_satisfied"), ("csrf", &rate_csrf)],
        )
        .await;
    let (_, page) = follower.get(&format!("/complaints/{tracking}")).await;
    assert!(page.contains("申请复查"));
    let csrf = hidden(&page, "csrf");
    let (status, to) = follower
        .post(
            &format!("/complaints/{tracking}/review"),
            &[("reason", "鱼塘账目仍未公开"), ("csrf", &csrf)],
        )
        .await;
    assert_eq!(status, 303, "{to}");
    let (_, page) = follower.get(&format!("/complaints/{tracking}")).await;
    assert!(page.contains("复查中"));
    assert!(!page.contains("请评价办理结果"));
    // Rating again while under review (an old form, resent) is refused on the page,
    // and so is a second review.
    let (status, page) = follower
        .post(
            &format!("/complaints/{tracking}/rate"),
            &[("satisfaction", "satisfied"), ("csrf", &rate_csrf)],
        )
        .await;
    assert_eq!(status, 409);
    assert!(page.contains("当前状态下不能进行这个操作"));
    let (status, page) = follower
        .post(
            &format!("/complaints/{tracking}/review"),
            &[("reason", "再查一次"), ("csrf", &csrf)],
        )
        .await;
    assert_eq!(status, 409);
    assert!(page.contains("当前状态下不能进行这个操作"), "{page}");
}

#[tokio::test]
async fn the_webhook_answers_a_tracking_number_only_to_whoever_filed_it() {
    let fake = FakeWechat::start().await;
    let app = spawn_app_with_wechat(&fake, complaint_templates).await;
    let follower = Browser::signed_in(&app, &fake, "oAsker00000000000000000001").await;
    let (_, to, _) = follower.submit(WANGGANG, GOOD, false).await;
    let tracking = tracking_of(&to);
    let owner_reply = crate::support::wechat::text_of(
        app.wechat(&crate::support::wechat::text(&follower.openid, &tracking))
            .await,
    );
    assert!(owner_reply.contains("当前状态：待受理"), "{owner_reply}");
    assert!(owner_reply.contains(&format!("/complaints/{tracking}")));
    let progress = crate::support::wechat::text_of(
        app.wechat(&crate::support::wechat::text(&follower.openid, "进度"))
            .await,
    );
    assert!(
        progress.contains(&tracking) && progress.contains("待受理"),
        "{progress}"
    );
    let stranger = crate::support::wechat::text_of(
        app.wechat(&crate::support::wechat::text(
            "oStranger0000000000000000001",
            &tracking,
        ))
        .await,
    );
    assert!(stranger.contains("没有找到您提交的"), "{stranger}");
    assert!(!stranger.contains("待受理"));
}

#[tokio::test]
async fn the_village_page_counts_complaints_by_month_and_names_nobody() {
    let fake = FakeWechat::start().await;
    let app = spawn_app_with_wechat(&fake, complaint_templates).await;
    let follower = Browser::signed_in(&app, &fake, "oCounted000000000000000001").await;
    follower.submit(WANGGANG, GOOD, false).await;
    follower.submit(WANGGANG, GOOD, false).await;
    let (status, page) = follower.get(&format!("/v/{WANGGANG}")).await;
    assert_eq!(status, 200);
    assert!(page.contains("投诉建议办理情况"));
    let this_month = sunvillage::domain::china_time::local(chrono::Utc::now())
        .format("%Y年%-m月")
        .to_string();
    assert!(
        page.contains(&format!(
            "<tr><td>{this_month}</td><td>2</td><td>0</td></tr>"
        )),
        "{page}"
    );
    assert!(!page.contains("张三") && !page.contains("鱼塘"));
}

#[tokio::test]
async fn wechats_delivery_report_marks_the_push_it_names() {
    let fake = FakeWechat::start().await;
    let app = spawn_app_with_wechat(&fake, complaint_templates).await;
    let follower = Browser::signed_in(&app, &fake, "oReported00000000000000000001").await;
    follower.submit(WANGGANG, GOOD, false).await;
    app.run_pending_outbox().await;
    let msgid = fake.delivered()[0].msgid;
    // TEMPLATESENDJOBFINISH as WeChat posts it to the webhook, some seconds later.
    let report = format!(
        "<xml><ToUserName><![CDATA[gh_7f083739789a]]></ToUserName>\
         <FromUserName><![CDATA[{}]]></FromUserName>\
         <CreateTime>{}</CreateTime><MsgType><![CDATA[event]]></MsgType>\
         <Event><![CDATA[TEMPLATESENDJOBFINISH]]></Event><MsgID>{msgid}</MsgID>\
         <Status><![CDATA[failed:user block]]></Status></xml>",
        follower.openid,
        crate::support::wechat::now()
    );
    let (status, body) = app
        .send_wechat(sunvillage::configuration::WechatMode::Plain, &report)
        .await;
    assert_eq!((status, body.as_str()), (200, "success"));
    let delivery: Option<String> =
        sqlx::query_scalar("SELECT delivery_status FROM outbox WHERE msgid = $1")
            .bind(msgid)
            .fetch_one(&app.pool)
            .await
            .unwrap();
    assert_eq!(delivery.as_deref(), Some("user_block"));
}

/// The picker's link back to the form for `village`, from the chooser's page.
fn link_back(page: &str, village: &str) -> String {
    let marker = "href=\"/complaints/new?draft=";
    page.split(marker)
        .skip(1)
        .map(|rest| rest.split('"').next().unwrap().replace("&#38;", "&"))
        .find(|rest| rest.ends_with(&format!("village={village}")))
        .map(|rest| format!("/complaints/new?draft={rest}"))
        .unwrap_or_else(|| panic!("no link back for {village} in {page}"))
}

#[tokio::test]
async fn choosing_the_village_keeps_everything_typed() {
    let fake = FakeWechat::start().await;
    let app = spawn_app_with_wechat(&fake, complaint_templates).await;
    let follower = Browser::signed_in(&app, &fake, "oDrafter00000000000000000001").await;
    // From the menu: no village yet.
    let (status, form) = follower.get("/complaints/new").await;
    assert_eq!(status, 200);
    assert!(form.contains("formaction=\"/complaints/new/draft\""));
    let form_key = hidden(&form, "form_key");
    let (status, to) = follower
        .post(
            "/complaints/new/draft",
            &[
                ("form_key", &form_key),
                ("csrf", &hidden(&form, "csrf")),
                ("village_q", "王岗"),
                ("category", "sanzi"),
                ("content", GOOD[1].1),
                ("identity", "named"),
                ("name", "张三"),
                ("phone", "13812345678"),
                ("photos", "photo.jpg"),
            ],
        )
        .await;
    assert_eq!(status, 303, "{to}");
    assert!(
        to.starts_with(&format!("/complaints/new/village?draft={form_key}&q=")),
        "{to}"
    );
    let (status, chooser) = follower.get(&to).await;
    assert_eq!(status, 200);
    assert!(chooser.contains("已填写的内容还在"));
    let back = link_back(&chooser, WANGGANG);
    let (status, again) = follower.get(&back).await;
    assert_eq!(status, 200);
    assert_eq!(hidden(&again, "form_key"), form_key, "the same form");
    assert!(again.contains(&format!(">{}</textarea>", GOOD[1].1)));
    assert!(again.contains("value=\"张三\"") && again.contains("value=\"13812345678\""));
    assert!(
        again.contains("value=\"sanzi\" checked"),
        "the category is kept"
    );
    assert!(
        again.contains("平桥区王岗乡王岗村"),
        "the village is chosen: {back} {again}"
    );
    assert!(again.contains("您刚才选的照片没有保存，请重新选择"));
    // Changing the village again keeps it all once more, and the complaint goes in.
    let (status, to) = follower
        .post(
            "/complaints/new/draft",
            &[
                ("form_key", &form_key),
                ("csrf", &hidden(&again, "csrf")),
                ("village", WANGGANG),
                ("category", "sanzi"),
                ("content", GOOD[1].1),
                ("identity", "anonymous"),
            ],
        )
        .await;
    assert_eq!(status, 303);
    let (_, chooser) = follower.get(&to).await;
    let back = chooser
        .split("href=\"")
        .find_map(|h| {
            h.starts_with("/complaints/new?draft=")
                .then(|| h.split('"').next().unwrap())
        })
        .unwrap()
        .replace("&#38;", "&");
    let (_, again) = follower.get(&back).await;
    assert!(again.contains("平桥区王岗乡王岗村"), "the village stays");
    assert!(again.contains("value=\"anonymous\" checked"));
    assert!(!again.contains("照片没有保存"), "no photos this time");
    let (status, to, body) = follower
        .post_form(
            &form_key,
            &hidden(&again, "csrf"),
            WANGGANG,
            &[
                ("category", "sanzi"),
                ("content", GOOD[1].1),
                ("identity", "anonymous"),
            ],
            false,
        )
        .await;
    assert_eq!(status, 303, "{body}");
    assert!(to.ends_with("/received"), "{to}");
}

#[tokio::test]
async fn submitting_with_a_village_name_typed_but_none_chosen_opens_the_chooser() {
    let fake = FakeWechat::start().await;
    let app = spawn_app_with_wechat(&fake, complaint_templates).await;
    let follower = Browser::signed_in(&app, &fake, "oEnterKey0000000000000000001").await;
    let (_, form) = follower.get("/complaints/new").await;
    let form_key = hidden(&form, "form_key");
    let (status, to, _) = follower
        .post_form(
            &form_key,
            &hidden(&form, "csrf"),
            "",
            &[("village_q", "王岗"), ("content", GOOD[1].1)],
            true,
        )
        .await;
    assert_eq!(status, 303);
    assert!(
        to.starts_with(&format!("/complaints/new/village?draft={form_key}")),
        "{to}"
    );
    let (_, chooser) = follower.get(&to).await;
    let (_, again) = follower.get(&link_back(&chooser, WANGGANG)).await;
    assert!(again.contains(&format!(">{}</textarea>", GOOD[1].1)));
    assert!(again.contains("您刚才选的照片没有保存，请重新选择"));
}

#[tokio::test]
async fn a_validation_error_says_next_to_the_photo_field_that_photos_must_be_chosen_again() {
    let fake = FakeWechat::start().await;
    let app = spawn_app_with_wechat(&fake, complaint_templates).await;
    let follower = Browser::signed_in(&app, &fake, "oPhotoLost000000000000000001").await;
    let (status, _, page) = follower
        .submit(WANGGANG, &[("category", ""), ("content", GOOD[1].1)], true)
        .await;
    assert_eq!(status, 422);
    let photo_field = page.split("id=\"photos\"").nth(1).unwrap();
    let photo_field = photo_field.split("</div>").next().unwrap();
    assert!(
        photo_field.contains("您刚才选的照片没有保存，请重新选择"),
        "{photo_field}"
    );
}

#[tokio::test]
async fn a_draft_is_not_kept_for_a_forged_token_nor_shown_to_another_follower() {
    let fake = FakeWechat::start().await;
    let app = spawn_app_with_wechat(&fake, complaint_templates).await;
    let follower = Browser::signed_in(&app, &fake, "oDraftOwner00000000000000001").await;
    let other = Browser::signed_in(&app, &fake, "oDraftOther00000000000000001").await;
    let (_, form) = follower.get("/complaints/new").await;
    let form_key = hidden(&form, "form_key");
    let (status, _) = follower
        .post(
            "/complaints/new/draft",
            &[
                ("form_key", &form_key),
                ("csrf", "1-00"),
                ("content", "伪造"),
            ],
        )
        .await;
    assert_eq!(status, 403);
    let (status, to) = follower
        .post(
            "/complaints/new/draft",
            &[
                ("form_key", &form_key),
                ("csrf", &hidden(&form, "csrf")),
                ("content", "只有我能看到的草稿内容"),
            ],
        )
        .await;
    assert_eq!(status, 303);
    let back = format!("/complaints/new?draft={form_key}&village={WANGGANG}");
    let (_, mine) = follower.get(&back).await;
    assert!(mine.contains("只有我能看到的草稿内容"), "{to}");
    let (status, theirs) = other.get(&back).await;
    assert_eq!(status, 200);
    assert!(!theirs.contains("只有我能看到的草稿内容"));
    assert!(theirs.contains("没有找到您之前填写的内容"));
}

/// The confirmation says by which day the complaint is accepted or refused (the
/// acceptance deadline, in Shanghai time), and promises a WeChat notice only when the
/// templates of that notice are configured.
#[tokio::test]
async fn the_confirmation_names_the_acceptance_day_and_promises_a_notice_only_when_configured() {
    for configured in [true, false] {
        let fake = FakeWechat::start().await;
        let app = if configured {
            spawn_app_with_wechat(&fake, complaint_templates).await
        } else {
            spawn_app_with_wechat(&fake, |_| {}).await
        };
        let follower = Browser::signed_in(&app, &fake, "oFollowerConfirm000000000001").await;
        let (status, to, body) = follower.submit(WANGGANG, GOOD, false).await;
        assert_eq!(status, 303, "{body}");
        let (status, page) = follower.get(&to).await;
        assert_eq!(status, 200, "{page}");
        let due: chrono::DateTime<chrono::Utc> =
            sqlx::query_scalar("SELECT accept_due FROM complaints WHERE tracking_number = $1")
                .bind(tracking_of(&to))
                .fetch_one(&app.pool)
                .await
                .unwrap();
        let day = sunvillage::domain::china_time::local(due)
            .format("%-m月%-d日")
            .to_string();
        assert!(
            page.contains(&format!("<strong>{day}前</strong>告知是否受理")),
            "{page}"
        );
        assert_eq!(page.contains("通过微信通知您"), configured, "{page}");
        let (_, form) = follower
            .get(&format!("/complaints/new?village={WANGGANG}"))
            .await;
        assert_eq!(
            form.contains("通过微信通知您"),
            configured,
            "the form: {form}"
        );
    }
}

/// Writing hints are visible text next to the field, not a placeholder.
#[tokio::test]
async fn the_form_shows_its_writing_hint_as_text_not_as_a_placeholder() {
    let fake = FakeWechat::start().await;
    let app = spawn_app_with_wechat(&fake, complaint_templates).await;
    let follower = Browser::signed_in(&app, &fake, "oFollowerHints00000000000001").await;
    let (status, page) = follower
        .get(&format!("/complaints/new?village={WANGGANG}"))
        .await;
    assert_eq!(status, 200, "{page}");
    assert!(page.contains("请写清时间、地点、涉及的人和事"), "{page}");
    assert!(!page.contains("placeholder="), "{page}");
}

async fn published_in(app: &TestApp, region: &str, title: &str) -> i64 {
    use sunvillage::domain::{DisclosureContent, Module, NewDisclosure, RegionCode};
    let content = DisclosureContent::parse(
        title,
        "鱼塘承包收入12,000元，已入村集体账户。",
        Some("2026年第三季度"),
        Some(1_200_000),
        "王岗村民委员会",
    )
    .unwrap();
    let new = NewDisclosure::new(
        RegionCode::parse(region).unwrap(),
        Module::Assets,
        content,
        Vec::new(),
    )
    .unwrap();
    sunvillage::storage::disclosures::publish(&app.pool, &new, chrono::Utc::now(), false)
        .await
        .unwrap()
}

/// 对这条公开有疑问 opens the form with the village and the disclosure; the reference is
/// kept through the village chooser, checked (a published disclosure of that village),
/// stored, and shown to the complainant and to staff on the page and in the API.
#[tokio::test]
async fn a_question_about_a_disclosure_carries_it_to_staff_and_back_to_the_complainant() {
    let fake = FakeWechat::start().await;
    let app = spawn_app_with_wechat(&fake, complaint_templates).await;
    let id = published_in(&app, WANGGANG, "第三季度鱼塘承包收入公开").await;
    let elsewhere = published_in(&app, "411503209201", "王楼村第三季度收入公开").await;
    let disclosure = app.get(&format!("/d/{id}")).await.text().await.unwrap();
    let about = format!("{id}v1");
    let link = format!("/complaints/new?village={WANGGANG}&about={about}");
    assert!(
        disclosure.contains(&link.replace('&', "&#38;")),
        "{disclosure}"
    );
    let follower = Browser::signed_in(&app, &fake, "oFollowerAbout00000000000001").await;
    let (status, form) = follower.get(&link).await;
    assert_eq!(status, 200, "{form}");
    assert!(form.contains("对这条公开有疑问") && form.contains("第三季度鱼塘承包收入公开"));
    assert_eq!(hidden(&form, "about"), about);

    // Through the chooser (更换村) and back: still there.
    let r = follower
        .client
        .post(app.url("/complaints/new/draft"))
        .form(&[
            ("form_key", hidden(&form, "form_key").as_str()),
            ("csrf", hidden(&form, "csrf").as_str()),
            ("village", WANGGANG),
            ("about", about.as_str()),
            ("content", "承包费去向不明"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 303);
    let chooser = r.headers()["location"].to_str().unwrap().to_owned();
    let draft = chooser
        .split("draft=")
        .nth(1)
        .unwrap()
        .split('&')
        .next()
        .unwrap()
        .to_owned();
    let (status, back) = follower
        .get(&format!("/complaints/new?draft={draft}&village={WANGGANG}"))
        .await;
    assert_eq!(status, 200, "{back}");
    assert_eq!(hidden(&back, "about"), about);
    assert!(back.contains("承包费去向不明"));

    // Another village's disclosure, or nonsense: refused next to the field, nothing stored.
    for bad in [format!("{elsewhere}v1"), format!("{id}v9"), "x1".to_owned()] {
        let mut fields: Vec<(&str, &str)> = GOOD.to_vec();
        fields.push(("about", &bad));
        let (status, _, page) = follower.submit(WANGGANG, &fields, false).await;
        assert_eq!(status, 422, "{bad}: {page}");
        assert!(page.contains("所疑问的公开事项"), "{bad}: {page}");
    }
    let stored: i64 = sqlx::query_scalar("SELECT count(*) FROM complaints")
        .fetch_one(&app.pool)
        .await
        .unwrap();
    assert_eq!(stored, 0);

    let mut fields: Vec<(&str, &str)> = GOOD.to_vec();
    fields.push(("about", &about));
    let (status, to, body) = follower.submit(WANGGANG, &fields, false).await;
    assert_eq!(status, 303, "{body}");
    let tracking = tracking_of(&to);
    let (_, mine) = follower.get(&format!("/complaints/{tracking}")).await;
    assert!(
        mine.contains(&format!(
            r#"<a href="/d/{id}">第三季度鱼塘承包收入公开（第1版）</a>"#
        )),
        "{mine}"
    );

    let complaint = complaint_id(&app, &tracking).await;
    let token = staff_token(&app, "李四", StaffRole::Handler).await;
    let detail: Value = app
        .client
        .get(app.url(&format!("/api/staff/complaints/{complaint}")))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(detail["about"]["disclosure_id"], id);
    assert_eq!(detail["about"]["version"], 1);
    assert_eq!(detail["about"]["title"], "第三季度鱼塘承包收入公开");
    assert_eq!(detail["about"]["url"], format!("/d/{id}"));
    let mut staff = crate::support::staff::StaffBrowser::new(&app);
    staff
        .signed_in_as(
            "赵六",
            sunvillage::domain::staff::Role::Inspector,
            crate::support::staff::CITY,
            None,
        )
        .await;
    let (status, _, page) = staff.get(&format!("/staff/complaints/{tracking}")).await;
    assert_eq!(status, 200, "{page}");
    assert!(
        page.contains(&format!(
            r#"针对：<a href="/d/{id}">第三季度鱼塘承包收入公开（第1版）</a>"#
        )),
        "{page}"
    );
}
