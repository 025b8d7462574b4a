//! The staff side in real headless Chromium: an inspector signs in with a password and
//! a second factor at a desk, finds a new complaint in the queue, sees who filed it,
//! accepts and assigns it; the unit's handler, on a phone, sees it without its
//! complainant and reports the result; the inspector concludes it. The follower gets
//! exactly their four pushes, the handler their assignment push, and the audit log
//! holds every step and every look at who complained. Screenshots of each page go to
//! target/screenshots/.

use std::time::{Duration, Instant};

use fantoccini::{Client, Locator};
use sunvillage::auth::totp::TotpSecret;
use sunvillage::domain::OpenId;
use sunvillage::domain::staff::Role;

use crate::browser::{click, open_browser, open_desktop, screenshot, start_driver, text_of};
use crate::support::complaints::{WANGGANG, complaint_templates};
use crate::support::fake_wechat::FakeWechat;
use crate::support::follower::{Browser, GOOD};
use crate::support::staff::{CITY, PASSWORD, UNIT, account, now};
use crate::support::{spawn_app_with_wechat, template};

const HANDLER_OPENID: &str = "oUnitHandlerWangGang00000001";

async fn type_into(c: &Client, css: &str, text: &str) {
    c.find(Locator::Css(css))
        .await
        .unwrap_or_else(|e| panic!("no `{css}`: {e}"))
        .send_keys(text)
        .await
        .unwrap();
}

/// Clicks and waits for the page whose `<h1>` holds `h1`.
async fn submit_and_see(c: &Client, css: &str, h1: &str) {
    click(c, css).await;
    let started = Instant::now();
    loop {
        let heading = c
            .execute(
                "return (document.querySelector('h1') || {}).textContent || ''",
                vec![],
            )
            .await
            .unwrap();
        if heading.as_str().is_some_and(|t| t.contains(h1)) {
            return;
        }
        assert!(
            started.elapsed() < Duration::from_secs(10),
            "no page with `{h1}`"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

async fn sign_in(c: &Client, base: &str, username: &str) {
    c.goto(&format!("{base}/staff/complaints")).await.unwrap();
    type_into(c, "#username", username).await;
    type_into(c, "#password", PASSWORD).await;
}

/// The text of the page's main part, read in one script (a page in the middle of
/// navigating has no element to go stale).
async fn page_text(c: &Client) -> String {
    c.execute(
        "return (document.querySelector('main') || {}).innerText || ''",
        vec![],
    )
    .await
    .unwrap()
    .as_str()
    .unwrap_or_default()
    .to_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_inspector_and_a_units_handler_handle_a_complaint_in_the_browser() {
    let fake = FakeWechat::start().await;
    let app = spawn_app_with_wechat(&fake, |s| {
        complaint_templates(s);
        template(
            s,
            "staff_assigned",
            "tpl_staff_assigned",
            &[
                ("tracking_number", "character_string1"),
                ("status", "phrase2"),
                ("time", "time3"),
            ],
        );
    })
    .await;
    // The follower files a real-name complaint through the form.
    let follower = Browser::signed_in(&app, &fake, "oBrowserFollower000000000001").await;
    let (status, to, body) = follower.submit(WANGGANG, GOOD, true).await;
    assert_eq!(status, 303, "{body}");
    let tracking = to
        .trim_start_matches("/complaints/")
        .trim_end_matches("/received")
        .to_owned();
    let (_, inspector) = account(&app, "赵检查", Role::Inspector, "411503", None).await;
    let (handler_id, handler) = account(&app, "王承办", Role::Handler, CITY, Some(UNIT)).await;
    // The handler bound their WeChat (through the one-time link, tested elsewhere).
    let mut tx = app.pool.begin().await.unwrap();
    sunvillage::storage::accounts::bind_openid(
        &mut tx,
        handler_id,
        Some(&OpenId::parse(HANDLER_OPENID).unwrap()),
    )
    .await
    .unwrap();
    tx.commit().await.unwrap();

    let driver = start_driver().await;
    let profile = tempfile::tempdir().unwrap();
    let desk = open_desktop(&driver, profile.path()).await;
    let base = app.address.clone();

    // The inspector: password, then the second factor they must enrol.
    sign_in(&desk, &base, &inspector).await;
    screenshot(&desk, "staff-01-login").await;
    submit_and_see(&desk, "button.form__submit", "启用动态验证码").await;
    screenshot(&desk, "staff-02-enrol-totp").await;
    let secret = TotpSecret::from_base32(&text_of(&desk, ".secret").await).unwrap();
    type_into(&desk, "#code", &secret.code_at(now())).await;
    submit_and_see(&desk, "button.form__submit", "我的账号").await;

    // The queue, and the new complaint in it.
    desk.goto(&format!("{base}/staff/complaints"))
        .await
        .unwrap();
    assert!(page_text(&desk).await.contains(&tracking));
    screenshot(&desk, "staff-03-queue").await;

    // The same complaint found by the complainant's phone number, as it is written.
    desk.goto(&format!("{base}/staff/phone-search"))
        .await
        .unwrap();
    type_into(&desk, "#phone", "138 1234 5678").await;
    submit_and_see(&desk, "form.act-form button[type=submit]", "按手机号查找").await;
    let started = Instant::now();
    while !page_text(&desk).await.contains(&tracking) {
        assert!(
            started.elapsed() < Duration::from_secs(10),
            "no match listed"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(!page_text(&desk).await.contains("张三"));
    screenshot(&desk, "staff-03b-phone-search").await;
    click(&desk, &format!("a[href='/staff/complaints/{tracking}']")).await;
    let started = Instant::now();
    while !page_text(&desk).await.contains("反映的问题") {
        assert!(started.elapsed() < Duration::from_secs(10));
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let text = page_text(&desk).await;
    assert!(
        text.contains("张三") && text.contains("13812345678"),
        "the inspector sees the contact"
    );
    assert!(text.contains("已记入审计日志"));
    screenshot(&desk, "staff-04-complaint-pending").await;
    submit_and_see(
        &desk,
        "form.act-form:has(input[value='accept']) button",
        "已受理",
    )
    .await;
    let unit = desk
        .find(Locator::Css(
            "form.act-form:has(input[value='assign']) select[name='unit']",
        ))
        .await
        .unwrap();
    unit.select_by_value(UNIT).await.unwrap();
    type_into(
        &desk,
        "form.act-form:has(input[value='assign']) textarea[name='note']",
        "请十日内核实鱼塘承包费",
    )
    .await;
    submit_and_see(
        &desk,
        "form.act-form:has(input[value='assign']) button",
        "已转办",
    )
    .await;
    screenshot(&desk, "staff-05-complaint-assigned").await;

    // The unit's handler, on a phone: no complainant, a result to report.
    let phone_profile = tempfile::tempdir().unwrap();
    let phone = open_browser(&driver, phone_profile.path()).await;
    sign_in(&phone, &base, &handler).await;
    submit_and_see(&phone, "button.form__submit", "投诉办理").await;
    screenshot(&phone, "staff-06-handler-queue-phone").await;
    phone
        .goto(&format!("{base}/staff/complaints/{tracking}"))
        .await
        .unwrap();
    let text = page_text(&phone).await;
    assert!(text.contains("承办单位不掌握投诉人信息"), "{text}");
    assert!(
        !text.contains("张三") && !text.contains("13812345678"),
        "the unit never sees who"
    );
    assert!(
        text.contains("请十日内核实鱼塘承包费"),
        "the inspector's instruction"
    );
    let wide: i64 = phone
        .execute("return document.documentElement.scrollWidth", vec![])
        .await
        .unwrap()
        .as_i64()
        .unwrap();
    assert!(wide <= 375, "the page fits the phone: {wide}px");
    type_into(
        &phone,
        "textarea[name='result']",
        "经核查，承包费已入村集体账户，明细已在村务公开栏公示。",
    )
    .await;
    click(
        &phone,
        "form.act-form:has(input[value='report_result']) button",
    )
    .await;
    let started = Instant::now();
    while !page_text(&phone).await.contains("承办单位报送办理结果") {
        assert!(started.elapsed() < Duration::from_secs(10));
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    screenshot(&phone, "staff-07-handler-reported-phone").await;

    // The inspector concludes with the public reply.
    desk.refresh().await.unwrap();
    type_into(
        &desk,
        "textarea[name='reply']",
        "经核查，承包费已入账并公示，村委会将每季度公开一次。",
    )
    .await;
    submit_and_see(
        &desk,
        "form.act-form:has(input[value='conclude']) button",
        "已办结",
    )
    .await;
    screenshot(&desk, "staff-08-complaint-concluded").await;

    // The audit log, as the inspector reads it.
    desk.goto(&format!("{base}/staff/audit")).await.unwrap();
    screenshot(&desk, "staff-09-audit").await;
    let actions: Vec<String> = sqlx::query_scalar("SELECT action FROM audit_log ORDER BY audit_id")
        .fetch_all(&app.pool)
        .await
        .unwrap();
    for action in [
        "login.succeeded",
        "account.totp_enabled",
        "complaint.identity_viewed",
        "complaint.accept",
        "complaint.assign",
        "complaint.report_result",
        "complaint.conclude",
        "complaint.phone_searched",
    ] {
        assert!(
            actions.iter().any(|a| a == action),
            "{action} in {actions:?}"
        );
    }
    let looks: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM audit_log WHERE action = 'complaint.identity_viewed' AND actor = $1",
    )
    .bind(&inspector)
    .fetch_one(&app.pool)
    .await
    .unwrap();
    assert!(
        looks >= 3,
        "every page view with the contact is recorded: {looks}"
    );

    // Exactly the follower's pushes, and the handler's assignment.
    app.run_pending_outbox().await;
    let pushes = fake.delivered();
    let to_follower: Vec<String> = pushes
        .iter()
        .filter(|p| p.touser == follower.openid)
        .map(|p| p.template_id.clone())
        .collect();
    assert_eq!(
        to_follower,
        [
            "tpl_complaint_received",
            "tpl_complaint_accepted",
            "tpl_complaint_assigned",
            "tpl_complaint_concluded"
        ]
    );
    let to_handler: Vec<&str> = pushes
        .iter()
        .filter(|p| p.touser == HANDLER_OPENID)
        .map(|p| p.template_id.as_str())
        .collect();
    assert_eq!(to_handler, ["tpl_staff_assigned"]);
    desk.close().await.unwrap();
    phone.close().await.unwrap();
}
