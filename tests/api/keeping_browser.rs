//! What the keepers of the directory and the power list see, in real headless Chromium.
//! A city administrator edits a power-list item at a desk (1280 px) and on a phone
//! (375 px, where a bad form shows its errors), the versions page shows what changed,
//! and the public list and item pages (375 px) show the new version; a township's
//! reviewer edits a supervisor entry in place on both. Screenshots go to
//! target/screenshots/power-*.png and supervisors-*.png.

use fantoccini::Client;
use serde_json::json;
use sunvillage::auth::staff_session::SessionKind;
use sunvillage::domain::staff::Role;
use sunvillage::domain::{NewSupervisor, RegionCode, SupervisorBody};
use sunvillage::storage::accounts;

use crate::browser::{click, open_browser, open_desktop, screenshot, set_cookie, start_driver};
use crate::support::spawn_app;
use crate::support::staff::{account, accounts_service};
use crate::support::wait::{PATIENCE, until};

/// Item 1's form; every item has one.
const EDITOR: &str = "/staff/power/items/1";

async fn set(c: &Client, css: &str, value: &str) {
    c.execute(
        "document.querySelector(arguments[0]).value = arguments[1];",
        vec![json!(css), json!(value)],
    )
    .await
    .unwrap();
}

async fn main_text(c: &Client) -> String {
    c.execute(
        "return (document.querySelector('main') || document.body).innerText || ''",
        vec![],
    )
    .await
    .unwrap()
    .as_str()
    .unwrap_or_default()
    .to_owned()
}

/// Waits until the page's main text holds `marker`.
async fn see(c: &Client, marker: &str) {
    let found = until(PATIENCE, async || main_text(c).await.contains(marker)).await;
    assert!(found, "no page with `{marker}`: {}", main_text(c).await);
}

/// No element wider than the screen.
async fn fits(c: &Client, what: &str) {
    let facts = c
        .execute(
            "return { width: window.innerWidth, scroll: document.documentElement.scrollWidth,
                      wide: Array.from(document.querySelectorAll('body *'))
                          .filter(e => e.getBoundingClientRect().right > window.innerWidth + 0.5)
                          .map(e => e.tagName + '.' + e.className).slice(0, 5) };",
            vec![],
        )
        .await
        .unwrap();
    assert!(
        facts["scroll"].as_i64().unwrap() <= facts["width"].as_i64().unwrap(),
        "{what}: wider than the screen: {}",
        facts["wide"]
    );
}

/// A page session of a new account: the cookie's name and value.
async fn session(app: &crate::support::TestApp, role: Role, region: &str) -> (String, String) {
    let (id, _) = account(app, role.label(), role, region, None).await;
    let service = accounts_service(app);
    let epoch = accounts::find(&app.pool, id)
        .await
        .unwrap()
        .unwrap()
        .session_epoch;
    let (token, _) = service
        .sessions
        .create(id, epoch, SessionKind::Page)
        .await
        .unwrap();
    let signed = service.sessions.cookie(&token);
    (signed.name().to_owned(), signed.value().to_owned())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_city_administrator_edits_the_power_list_at_a_desk_and_on_a_phone() {
    let app = spawn_app().await;
    let (name, value) = session(&app, Role::Admin, "4115").await;
    let driver = start_driver().await;
    let base = app.address.clone();
    let sign_in = async |c: Client| {
        set_cookie(&c, &base, &name, &value, "/staff").await;
        c
    };

    let desk_profile = tempfile::tempdir().unwrap();
    let desk = sign_in(open_desktop(&driver, desk_profile.path()).await).await;
    desk.goto(&format!("{base}/staff/power")).await.unwrap();
    see(&desk, "清单各项").await;
    screenshot(&desk, "power-01-list-desktop").await;
    desk.goto(&format!("{base}{EDITOR}")).await.unwrap();
    see(&desk, "运行流程（每行一步）").await;
    click(&desk, ".power-form__help summary").await;
    screenshot(&desk, "power-02-editor-desktop").await;
    let steps: String = desk
        .execute("return document.querySelector('#steps').value", vec![])
        .await
        .unwrap()
        .as_str()
        .unwrap()
        .to_owned();
    set(
        &desk,
        "#steps",
        &format!("{steps}公布决议执行结果｜公开：执行结果\n"),
    )
    .await;
    set(&desk, "#reason", "依据市纪委会议纪要调整").await;
    click(&desk, ".power-form .form__submit").await;
    see(&desk, "已保存为第2版").await;
    desk.goto(&format!("{base}/staff/power/versions"))
        .await
        .unwrap();
    see(&desk, "公布决议执行结果").await;
    screenshot(&desk, "power-03-versions-desktop").await;

    let phone_profile = tempfile::tempdir().unwrap();
    let phone = sign_in(open_browser(&driver, phone_profile.path()).await).await;
    phone.goto(&format!("{base}{EDITOR}")).await.unwrap();
    see(&phone, "运行流程（每行一步）").await;
    fits(&phone, "the editor").await;
    screenshot(&phone, "power-04-editor-phone").await;
    // A decision with one branch and no reason: refused beside both fields.
    set(&phone, "#steps", "提出申请\n判断：审核｜同意→下一步\n公布").await;
    click(&phone, ".power-form .form__submit").await;
    see(&phone, "至少要有两个分支").await;
    assert!(main_text(&phone).await.contains("请填写修订理由"));
    fits(&phone, "the editor with errors").await;
    screenshot(&phone, "power-05-editor-errors-phone").await;

    phone.goto(&format!("{base}/power")).await.unwrap();
    see(&phone, "本清单第2版").await;
    fits(&phone, "the public list").await;
    screenshot(&phone, "power-06-public-list-phone").await;
    phone.goto(&format!("{base}/power/1")).await.unwrap();
    see(&phone, "公布决议执行结果").await;
    fits(&phone, "the public item").await;
    screenshot(&phone, "power-07-public-item-phone").await;

    desk.close().await.unwrap();
    phone.close().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_reviewer_edits_a_supervisor_entry_in_place_at_a_desk_and_on_a_phone() {
    let app = spawn_app().await;
    let entry = NewSupervisor::new(
        RegionCode::parse("411503209202").unwrap(),
        SupervisorBody::VillageCommittee,
        "王秀英",
        "委员",
        Some("0376-6221234"),
    )
    .unwrap();
    sunvillage::storage::people::add_supervisor(&app.pool, &entry, false)
        .await
        .unwrap();
    let id: i64 = sqlx::query_scalar("SELECT max(id) FROM supervisors")
        .fetch_one(&app.pool)
        .await
        .unwrap();
    let (name, value) = session(&app, Role::Reviewer, "411503209").await;
    let driver = start_driver().await;
    let base = app.address.clone();
    let form = format!("{base}/staff/supervisors?edit={id}#edit");

    let desk_profile = tempfile::tempdir().unwrap();
    let desk = open_desktop(&driver, desk_profile.path()).await;
    set_cookie(&desk, &base, &name, &value, "/staff").await;
    desk.goto(&form).await.unwrap();
    see(&desk, "修改：王岗村").await;
    screenshot(&desk, "supervisors-01-edit-desktop").await;

    let phone_profile = tempfile::tempdir().unwrap();
    let phone = open_browser(&driver, phone_profile.path()).await;
    set_cookie(&phone, &base, &name, &value, "/staff").await;
    phone.goto(&form).await.unwrap();
    see(&phone, "修改：王岗村").await;
    fits(&phone, "the directory with its edit form").await;
    set(&phone, "#edit-phone", "12ab").await;
    click(&phone, "#edit .form__submit").await;
    see(&phone, "电话号码为3到20位数字").await;
    fits(&phone, "the edit form with an error").await;
    screenshot(&phone, "supervisors-02-edit-error-phone").await;
    set(&phone, "#edit-phone", "13812345678").await;
    set(&phone, "#edit-role", "主任").await;
    click(&phone, "#edit .form__submit").await;
    see(&phone, "已修改").await;
    assert!(main_text(&phone).await.contains("13812345678"));
    screenshot(&phone, "supervisors-03-edited-phone").await;

    desk.close().await.unwrap();
    phone.close().await.unwrap();
}
