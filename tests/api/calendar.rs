//! The publication calendar: a village's standing per module from its latest
//! publication (sample content excluded), shown publicly on the village page
//! (本村上次公开财务：5个月前 / 从未公开) and to staff on `/staff/calendar` — the clerk
//! their village by module, the reviewer their township's villages, behind first. Time
//! is moved by dating the publications back (the rules themselves are tested on fixed
//! clocks in `domain::disclosure::calendar`).

use std::collections::HashMap;

use sunvillage::domain::disclosure::content::RawContent;
use sunvillage::domain::disclosure::definition::ModuleDefinitions;
use sunvillage::domain::staff::{Role, StaffMember};
use sunvillage::domain::{Module, RegionCode};
use sunvillage::services::disclosures::{self, Acting};

use crate::support::staff::{StaffBrowser, account};
use crate::support::{TestApp, spawn_app};

const VILLAGE: &str = "411503209202";
/// Another village of the same township (王岗乡).
const NEIGHBOUR: &str = "411503209201";
const TOWNSHIP: &str = "411503209";

fn member(id: i64, role: Role, region: &str) -> StaffMember {
    StaffMember {
        account_id: id,
        username: "fixture".into(),
        display_name: "示例".into(),
        role,
        region: RegionCode::parse(region).unwrap(),
        unit: None,
    }
}

/// One row of a list from its cells.
fn row(cells: &[(&str, &str)]) -> HashMap<String, String> {
    cells
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect()
}

/// What a module's disclosure holds in these tests (the least each module requires).
fn content(module: Module, title: &str) -> RawContent {
    let mut raw = RawContent {
        title: title.into(),
        ..RawContent::default()
    };
    let mut field = |k: &str, v: &str| {
        raw.fields.insert(k.into(), v.into());
    };
    let list = match module {
        Module::Assets => {
            field("period", "2026年11月");
            Some((
                "items",
                row(&[
                    ("date", "2026-11-02"),
                    ("direction", "收入"),
                    ("item", "鱼塘承包费"),
                    ("amount", "1200.00"),
                    ("voucher", "记-001"),
                ]),
            ))
        }
        Module::Livelihood => {
            field("program", "低保");
            field("period", "2026年第四季度");
            Some((
                "recipients",
                row(&[
                    ("name", "张三明"),
                    ("household", "3"),
                    ("amount", "600.00"),
                    ("reason", "因病致贫"),
                ]),
            ))
        }
        Module::Decisions => {
            field("matter", "修建村道");
            field("body", "村民代表会议通过。");
            Some((
                "steps",
                row(&[("step", "村党组织提议"), ("date", "2026-11-02")]),
            ))
        }
        Module::Poverty => {
            field("period", "2026年第四季度");
            Some((
                "households",
                row(&[
                    ("name", "李四"),
                    ("kind", "监测户"),
                    ("household", "4"),
                    ("measures", "产业帮扶"),
                ]),
            ))
        }
        _ => {
            field("body", "内容见公开栏。");
            None
        }
    };
    if let Some((key, r)) = list {
        raw.lists.insert(key.into(), vec![r]);
    }
    raw
}

/// Publishes a disclosure of `village` through the lifecycle (drafted by its clerk,
/// approved by the township's reviewer); its id.
pub(crate) async fn published(app: &TestApp, village: &str, module: Module, title: &str) -> i64 {
    let defs = ModuleDefinitions::builtin().unwrap();
    let (clerk, _) = account(app, "村务员", Role::Clerk, village, None).await;
    // The township: the village code's first nine digits.
    let township: String = village.chars().take(9).collect();
    let (reviewer, _) = account(app, "审核员", Role::Reviewer, &township, None).await;
    let clerk = member(clerk, Role::Clerk, village);
    let reviewer = member(reviewer, Role::Reviewer, &township);
    let by = |m| Acting {
        member: m,
        ip: None,
    };
    let region = RegionCode::parse(village).unwrap();
    let draft = disclosures::create_draft(
        &app.pool,
        &defs,
        by(&clerk),
        &region,
        module,
        &content(module, title),
    )
    .await
    .unwrap();
    disclosures::submit(&app.pool, by(&clerk), draft)
        .await
        .unwrap();
    disclosures::approve(&app.pool, by(&reviewer), draft)
        .await
        .unwrap()
        .disclosure_id
}

/// Dates a disclosure's publication back by a Postgres interval ('5 months 3 days').
async fn published_ago(app: &TestApp, id: i64, interval: &str) {
    sqlx::query("UPDATE disclosures SET published_at = now() - $2::interval WHERE id = $1")
        .bind(id)
        .bind(interval)
        .execute(&app.pool)
        .await
        .unwrap();
}

async fn village_page(app: &TestApp, code: &str) -> String {
    let r = app
        .client
        .get(app.url(&format!("/v/{code}")))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    r.text().await.unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_village_that_never_published_finance_says_so() {
    let app = spawn_app().await;
    let page = village_page(&app, VILLAGE).await;
    assert!(page.contains("本村上次公开财务：从未公开"), "{page}");
    assert!(page.contains("已超过规定时限"), "{page}");
    assert!(page.contains("财务收支情况每月公布一次"), "{page}");
    assert!(
        page.contains("《中华人民共和国村民委员会组织法》第三十条"),
        "{page}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_village_page_says_how_long_ago_finance_was_published() {
    let app = spawn_app().await;
    let old = published(&app, VILLAGE, Module::Assets, "王岗村2026年6月财务公开").await;
    published_ago(&app, old, "5 months 3 days").await;
    // Sample content from demo-data is no publication: it does not reset the clock.
    let sample = published(&app, VILLAGE, Module::Assets, "示例财务公开").await;
    sqlx::query("UPDATE disclosures SET is_sample = true WHERE id = $1")
        .bind(sample)
        .execute(&app.pool)
        .await
        .unwrap();
    let page = village_page(&app, VILLAGE).await;
    assert!(page.contains("本村上次公开财务：5个月前"), "{page}");
    assert!(page.contains("已超过规定时限"), "{page}");
    assert!(page.contains("组织建设（从未公开）"), "{page}");

    // Published today: on time, the flag gone.
    published(&app, VILLAGE, Module::Assets, "王岗村2026年11月财务公开").await;
    let page = village_page(&app, VILLAGE).await;
    assert!(page.contains("本村上次公开财务：今天"), "{page}");
    assert!(!page.contains("calendar__flag"), "{page}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_clerk_sees_their_modules_and_the_reviewer_their_villages_behind_first() {
    let app = spawn_app().await;
    // The neighbour keeps its calendar in every module with one; 王岗村 published
    // finance four months ago and nothing else.
    for m in Module::ALL {
        if !matches!(m, Module::Projects | Module::Complaints) {
            published(&app, NEIGHBOUR, m, "按时公开").await;
        }
    }
    let late = published(&app, VILLAGE, Module::Assets, "王岗村2026年7月财务公开").await;
    published_ago(&app, late, "4 months 2 days").await;

    let mut clerk = StaffBrowser::new(&app);
    clerk
        .signed_in_as("王村务", Role::Clerk, VILLAGE, None)
        .await;
    let (status, _, page) = clerk.get("/staff/calendar").await;
    assert_eq!(status, 200, "{page}");
    assert!(page.contains("4个月前"), "{page}");
    assert!(page.contains("已超期"), "{page}");
    assert!(page.contains("从未公开"), "{page}");
    assert!(page.contains("涉及村民利益的重大事项随时公布"), "{page}");
    assert!(
        !page.contains("各村（"),
        "a clerk sees only their village: {page}"
    );

    let mut reviewer = StaffBrowser::new(&app);
    reviewer
        .signed_in_as("李审核", Role::Reviewer, TOWNSHIP, None)
        .await;
    let (status, _, page) = reviewer.get("/staff/calendar").await;
    assert_eq!(status, 200, "{page}");
    let wanggang = page.find("<td>王岗村</td>").expect("王岗村 is listed");
    assert!(page.contains("各栏目均从未公开"), "{page}");
    assert!(page.contains("三资管理（4个月前）"), "{page}");
    // Behind villages first: 王岗村 (behind) comes before every village on time.
    let first_on_time = page
        .find("<td>按时</td>")
        .expect("the neighbour is on time");
    assert!(wanggang < first_on_time, "{page}");

    // A handler has no calendar.
    let mut handler = StaffBrowser::new(&app);
    handler
        .signed_in_as("承办", Role::Handler, "411503", Some("王岗乡纪委"))
        .await;
    let (status, _, _) = handler.get("/staff/calendar").await;
    assert_eq!(status, 403);
}

/// The village page on a phone and the reviewer's calendar at a desk, in Chromium, with
/// screenshots (target/screenshots/calendar-*.png).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_calendar_reads_well_on_a_phone_and_at_a_desk() {
    use crate::browser::{open_browser, open_desktop, screenshot, start_driver, text_of};
    use crate::support::staff::PASSWORD;
    use fantoccini::Locator;

    let app = spawn_app().await;
    let late = published(&app, VILLAGE, Module::Assets, "王岗村2026年6月财务公开").await;
    published_ago(&app, late, "5 months 3 days").await;
    let org = published(&app, VILLAGE, Module::Organization, "村“两委”成员分工").await;
    published_ago(&app, org, "1 month").await;
    for m in [Module::Assets, Module::Organization, Module::Services] {
        published(&app, NEIGHBOUR, m, "按时公开").await;
    }

    let driver = start_driver().await;
    let profile = tempfile::tempdir().unwrap();
    let phone = open_browser(&driver, profile.path()).await;
    phone
        .goto(&app.url(&format!("/v/{VILLAGE}")))
        .await
        .unwrap();
    let finance = text_of(&phone, ".calendar__finance").await;
    assert!(finance.contains("本村上次公开财务：5个月前"), "{finance}");
    screenshot(&phone, "calendar-village-phone").await;
    phone.close().await.unwrap();

    let (_, username) = account(&app, "李审核", Role::Reviewer, TOWNSHIP, None).await;
    let profile = tempfile::tempdir().unwrap();
    let desk = open_desktop(&driver, profile.path()).await;
    desk.goto(&app.url("/staff/calendar")).await.unwrap();
    desk.find(Locator::Css("#username"))
        .await
        .unwrap()
        .send_keys(&username)
        .await
        .unwrap();
    desk.find(Locator::Css("#password"))
        .await
        .unwrap()
        .send_keys(PASSWORD)
        .await
        .unwrap();
    desk.find(Locator::Css("button[type=submit]"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    // Read in one script each time: a page in the middle of navigating has no element
    // to go stale.
    let main_text = async || {
        desk.execute(
            "return (document.querySelector('main') || {}).innerText || ''",
            vec![],
        )
        .await
        .unwrap()
        .as_str()
        .unwrap_or_default()
        .to_owned()
    };
    let started = std::time::Instant::now();
    let mut table = main_text().await;
    while !table.contains("各村（") {
        assert!(
            started.elapsed() < std::time::Duration::from_secs(10),
            "{table}"
        );
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        table = main_text().await;
    }
    assert!(table.contains("三资管理（5个月前）"), "{table}");
    screenshot(&desk, "calendar-reviewer-desk").await;
    // The same reviewer's supervisor directory, with one entry.
    let entry = sunvillage::domain::NewSupervisor::new(
        RegionCode::parse(VILLAGE).unwrap(),
        sunvillage::domain::SupervisorBody::VillageCommittee,
        "王秀英",
        "主任",
        Some("0376-6221234"),
    )
    .unwrap();
    sunvillage::storage::people::add_supervisor(&app.pool, &entry, false)
        .await
        .unwrap();
    desk.goto(&app.url("/staff/supervisors")).await.unwrap();
    let text = main_text().await;
    assert!(text.contains("王秀英"), "{text}");
    screenshot(&desk, "supervisors-reviewer-desk").await;
    desk.close().await.unwrap();
}
