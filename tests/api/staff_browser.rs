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

/// Sets a form control's value by script (a date input takes typed keys in the
/// browser's locale order, which a test should not depend on).
async fn set_value(c: &Client, css: &str, value: &str) {
    let done = c
        .execute(
            "const e = document.querySelector(arguments[0]); if (!e) return false; \
             e.value = arguments[1]; return true;",
            vec![css.into(), value.into()],
        )
        .await
        .unwrap();
    assert_eq!(done, serde_json::Value::Bool(true), "no `{css}`");
}

/// Clicks and waits until the page's main text holds `marker`.
async fn click_until(c: &Client, css: &str, marker: &str) {
    click(c, css).await;
    let started = Instant::now();
    while !page_text(c).await.contains(marker) {
        assert!(
            started.elapsed() < Duration::from_secs(30),
            "after `{css}` no page with `{marker}`: {}",
            page_text(c).await
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// Signs in with the password (clerks and reviewers need no second factor, see
/// `Role::requires_second_factor`) and arrives at the drafts.
async fn sign_in_to_drafts(c: &Client, base: &str, username: &str) {
    c.goto(&format!("{base}/staff/disclosures")).await.unwrap();
    type_into(c, "#username", username).await;
    type_into(c, "#password", PASSWORD).await;
    submit_and_see(c, "button.form__submit", "村务公开").await;
}

fn draft_of(url: &url::Url) -> i64 {
    url.path()
        .trim_start_matches("/staff/drafts/")
        .split('/')
        .next()
        .unwrap()
        .parse()
        .unwrap()
}

/// The 三资 statement a clerk keeps in Excel: two line items, each naming its receipt.
fn statement_with_receipts() -> Vec<u8> {
    let mut book = rust_xlsxwriter::Workbook::new();
    let sheet = book.add_worksheet();
    sheet.set_name("11月").unwrap();
    for (c, h) in ["日期", "收支", "摘要", "金额（元）", "凭证号", "收据照片"]
        .iter()
        .enumerate()
    {
        sheet.write_string(0, c as u16, *h).unwrap();
    }
    for (r, (date, dir, item, amount, voucher, receipt)) in [
        (
            "2026-11-02",
            "收入",
            "鱼塘承包费",
            12000.0,
            "记-001",
            "收据1.jpg",
        ),
        (
            "2026-11-05",
            "支出",
            "道路维修",
            3456.7,
            "记-002",
            "收据2.jpg",
        ),
    ]
    .into_iter()
    .enumerate()
    {
        let r = r as u32 + 1;
        sheet.write_string(r, 0, date).unwrap();
        sheet.write_string(r, 1, dir).unwrap();
        sheet.write_string(r, 2, item).unwrap();
        sheet.write_number(r, 3, amount).unwrap();
        sheet.write_string(r, 4, voucher).unwrap();
        sheet.write_string(r, 5, receipt).unwrap();
    }
    book.save_to_buffer().unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_clerk_imports_a_statement_with_receipts_and_the_township_publishes_and_corrects_it() {
    use sunvillage::domain::photo::testing::jpeg_with_gps;
    let app = crate::support::spawn_app().await;
    let (_, clerk) = account(&app, "王村务", Role::Clerk, "411503209202", None).await;
    let (_, reviewer) = account(&app, "李审核", Role::Reviewer, "411503209", None).await;
    let files = tempfile::tempdir().unwrap();
    let put = |name: &str, bytes: &[u8]| {
        let path = files.path().join(name);
        std::fs::write(&path, bytes).unwrap();
        path.display().to_string()
    };
    let receipt1 = put("收据1.jpg", &jpeg_with_gps(1600, 1200));
    let receipt2 = put("收据2.jpg", &jpeg_with_gps(1200, 900));
    let xlsx = put("11月.xlsx", &statement_with_receipts());

    let driver = start_driver().await;
    let phone_profile = tempfile::tempdir().unwrap();
    let phone = open_browser(&driver, phone_profile.path()).await;
    let desk_profile = tempfile::tempdir().unwrap();
    let desk = open_desktop(&driver, desk_profile.path()).await;
    let base = app.address.clone();
    let title = "王岗村2026年11月财务收支公开";

    // The clerk, on a phone: a first draft with one line, then the photos and the file.
    sign_in_to_drafts(&phone, &base, &clerk).await;
    phone
        .goto(&format!("{base}/staff/disclosures/new/assets"))
        .await
        .unwrap();
    set_value(&phone, "input[name='title']", title).await;
    set_value(&phone, "input[name='f.period']", "2026年11月").await;
    for (col, v) in [
        ("date", "2026-11-01"),
        ("direction", "收入"),
        ("item", "待导入"),
        ("amount", "1.00"),
        ("voucher", "记-000"),
    ] {
        set_value(&phone, &format!("[name='l.items.0.{col}']"), v).await;
    }
    screenshot(&phone, "publish-01-new-statement-phone").await;
    click_until(&phone, "form.draft-form button[type=submit]", "上传附件").await;
    let id = draft_of(&phone.current_url().await.unwrap());
    let upload = "form[action$='/files']";
    phone
        .find(Locator::Css(&format!("{upload} input[type=file]")))
        .await
        .unwrap()
        .send_keys(&format!("{receipt1}\n{receipt2}"))
        .await
        .unwrap();
    click_until(&phone, &format!("{upload} button"), "收据2.jpg").await;
    let import = "form[action$='/import']";
    phone
        .find(Locator::Css(&format!("{import} input[type=file]")))
        .await
        .unwrap()
        .send_keys(&xlsx)
        .await
        .unwrap();
    click_until(&phone, &format!("{import} button"), "还没有保存").await;
    let text = page_text(&phone).await;
    assert!(text.contains("已读取“收支明细”2行"), "{text}");
    screenshot(&phone, "publish-02-import-preview-phone").await;
    click_until(
        &phone,
        &format!("form[action='/staff/drafts/{id}'] button[type=submit]"),
        "提交乡镇审核",
    )
    .await;
    let text = page_text(&phone).await;
    assert!(
        text.contains("12,000.00元") && text.contains("3,456.70元"),
        "{text}"
    );
    screenshot(&phone, "publish-03-draft-with-receipts-phone").await;
    click_until(&phone, "form[action$='/submit'] button", "待审核").await;

    // The township reviewer, at a desk: the queue, the diff, publish.
    sign_in_to_drafts(&desk, &base, &reviewer).await;
    desk.goto(&format!("{base}/staff/disclosures"))
        .await
        .unwrap();
    assert!(page_text(&desk).await.contains(title));
    desk.goto(&format!("{base}/staff/drafts/{id}"))
        .await
        .unwrap();
    let text = page_text(&desk).await;
    assert!(
        text.contains("这是新的公开") && text.contains("道路维修"),
        "{text}"
    );
    screenshot(&desk, "publish-04-review-desktop").await;
    click_until(&desk, "form[action$='/approve'] button", "查看已发布的公开").await;
    let disclosure: i64 =
        sqlx::query_scalar("SELECT published_id FROM disclosure_drafts WHERE draft_id = $1")
            .bind(id)
            .fetch_one(&app.pool)
            .await
            .unwrap();

    // The village page shows it with computed totals and the receipts.
    for (c, name) in [(&phone, "phone"), (&desk, "desktop")] {
        c.goto(&format!("{base}/d/{disclosure}")).await.unwrap();
        let text = page_text(c).await;
        assert!(
            text.contains("收入合计")
                && text.contains("12,000.00元")
                && text.contains("3,456.70元"),
            "{text}"
        );
        // Receipts load lazily; scrolled to, each must arrive as a picture.
        let started = Instant::now();
        loop {
            let shown = c
                .execute(
                    "const imgs = [...document.querySelectorAll('a.receipt img')]; \
                     imgs.forEach(i => i.scrollIntoView()); \
                     return [imgs.length, imgs.filter(i => i.complete && i.naturalWidth > 0).length]",
                    vec![],
                )
                .await
                .unwrap();
            if shown == serde_json::json!([2, 2]) {
                break;
            }
            assert!(
                started.elapsed() < Duration::from_secs(10),
                "both receipts load: {shown}"
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        c.execute("window.scrollTo(0, 0)", vec![]).await.unwrap();
        screenshot(c, &format!("publish-05-published-{name}")).await;
    }
    let wide: i64 = phone
        .execute("return document.documentElement.scrollWidth", vec![])
        .await
        .unwrap()
        .as_i64()
        .unwrap();
    assert!(wide <= 375, "the page fits the phone: {wide}px");

    // A correction: version 2 with its reason, the reviewer's diff names the line.
    phone
        .goto(&format!("{base}/staff/drafts/{id}"))
        .await
        .unwrap();
    click_until(&phone, "form[action$='/correct'] button", "更正说明").await;
    let correction = draft_of(&phone.current_url().await.unwrap());
    set_value(
        &phone,
        "input[name='change_note']",
        "道路维修金额按发票更正为3500元",
    )
    .await;
    set_value(&phone, "input[name='l.items.1.amount']", "3500.00").await;
    click_until(&phone, "form.draft-form button[type=submit]", "3,500.00元").await;
    click_until(&phone, "form[action$='/submit'] button", "待审核").await;
    desk.goto(&format!("{base}/staff/drafts/{correction}"))
        .await
        .unwrap();
    let text = page_text(&desk).await;
    assert!(text.contains("收支明细第2行（修改）"), "{text}");
    screenshot(&desk, "publish-06-correction-diff-desktop").await;
    click_until(&desk, "form[action$='/approve'] button", "查看已发布的公开").await;
    for (c, name) in [(&phone, "phone"), (&desk, "desktop")] {
        c.goto(&format!("{base}/d/{disclosure}")).await.unwrap();
        // Pages may be cached for a minute (pages.max_age_seconds): ask again.
        c.refresh().await.unwrap();
        let text = page_text(c).await;
        assert!(
            text.contains("第2版") && text.contains("道路维修金额按发票更正为3500元"),
            "{text}"
        );
        assert!(text.contains("3,500.00元"), "{text}");
        screenshot(c, &format!("publish-07-corrected-{name}")).await;
    }
    desk.close().await.unwrap();
    phone.close().await.unwrap();
}
