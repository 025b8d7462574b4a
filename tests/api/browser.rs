//! A walk through the pages in real headless Chromium (Debian's `chromium` and
//! `chromium-driver`, installed by `scripts/ensure-services --tests`), driven over
//! WebDriver at a phone's 375×667 viewport: home → county → township → village → module
//! → disclosure, a ledger, power list → item, the 404 page's search, and a complaint
//! from the form to its rating. Each page is checked for what it must show, for
//! not being wider than the screen, and for loading nothing from another host; a
//! full-page screenshot of each goes to target/screenshots/.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use base64::Engine;
use fantoccini::wd::WebDriverCompatibleCommand;
use fantoccini::{Client, ClientBuilder, Locator};
use serde_json::{Value, json};
use sunvillage::demo_data;

use crate::support::served::free_port;
use crate::support::spawn_app;
use crate::support::wait::until;

const CHROMIUM: &str = "/usr/bin/chromium";
const CHROMEDRIVER: &str = "/usr/bin/chromedriver";
const WIDTH: i64 = 375;
const HEIGHT: i64 = 667;

/// The chromedriver process, stopped when the test ends however it ends.
pub(crate) struct Driver {
    child: Child,
    pub(crate) port: u16,
}

impl Drop for Driver {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

pub(crate) async fn start_driver() -> Driver {
    assert!(
        Path::new(CHROMIUM).exists() && Path::new(CHROMEDRIVER).exists(),
        "the browser test needs Debian's chromium and chromium-driver: run scripts/ensure-services --tests"
    );
    let port = free_port();
    let child = Command::new(CHROMEDRIVER)
        .arg(format!("--port={port}"))
        .arg("--allowed-ips=127.0.0.1")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("chromedriver starts");
    let driver = Driver { child, port };
    let status = format!("http://127.0.0.1:{port}/status");
    let up = until(Duration::from_secs(10), async || {
        reqwest::get(&status)
            .await
            .is_ok_and(|r| r.status().is_success())
    })
    .await;
    assert!(up, "chromedriver did not answer on port {port}");
    driver
}

pub(crate) async fn open_browser(driver: &Driver, profile: &Path) -> Client {
    open_phone(driver, profile, WIDTH, HEIGHT).await
}

/// A phone of `width` × `height` CSS pixels.
pub(crate) async fn open_phone(driver: &Driver, profile: &Path, width: i64, height: i64) -> Client {
    let caps = json!({
        "browserName": "chrome",
        "goog:chromeOptions": {
            "binary": CHROMIUM,
            "args": [
                "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                "--disable-background-networking", "--disable-component-update", "--disable-sync",
                "--disable-dev-shm-usage", "--hide-scrollbars",
                format!("--user-data-dir={}", profile.display()),
            ],
            // A phone in WeChat: its viewport, pixel density and user agent.
            "mobileEmulation": {
                "deviceMetrics": { "width": width, "height": height, "pixelRatio": 2.0, "touch": true },
                "userAgent": "Mozilla/5.0 (Linux; Android 10; K) AppleWebKit/537.36 (KHTML, like Gecko) \
                              Chrome/130.0.0.0 Mobile Safari/537.36 XWEB/1300 MMWEBSDK/20240404 \
                              MicroMessenger/8.0.49.2600(0x28003133) WeChat/arm64 Weixin NetType/4G \
                              Language/zh_CN ABI/arm64"
            }
        }
    });
    let Value::Object(caps) = caps else {
        unreachable!("a JSON object")
    };
    ClientBuilder::new(hyper_util::client::legacy::connect::HttpConnector::new())
        .capabilities(caps)
        .connect(&format!("http://127.0.0.1:{}", driver.port))
        .await
        .expect("a WebDriver session")
}

/// A desktop browser, 1280 × 900, as staff use at their desks.
pub(crate) async fn open_desktop(driver: &Driver, profile: &Path) -> Client {
    let caps = json!({
        "browserName": "chrome",
        "goog:chromeOptions": {
            "binary": CHROMIUM,
            "args": [
                "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                "--disable-background-networking", "--disable-component-update", "--disable-sync",
                "--disable-dev-shm-usage", "--hide-scrollbars", "--window-size=1280,900",
                format!("--user-data-dir={}", profile.display()),
            ]
        }
    });
    let Value::Object(caps) = caps else {
        unreachable!("a JSON object")
    };
    ClientBuilder::new(hyper_util::client::legacy::connect::HttpConnector::new())
        .capabilities(caps)
        .connect(&format!("http://127.0.0.1:{}", driver.port))
        .await
        .expect("a WebDriver session")
}

/// A DevTools command through chromedriver's `goog/cdp/execute`.
#[derive(Debug)]
pub(crate) struct Cdp {
    cmd: &'static str,
    params: Value,
}

impl WebDriverCompatibleCommand for Cdp {
    fn endpoint(
        &self,
        base_url: &url::Url,
        session_id: Option<&str>,
    ) -> Result<url::Url, url::ParseError> {
        base_url.join(&format!(
            "session/{}/goog/cdp/execute",
            session_id.unwrap_or_default()
        ))
    }

    fn method_and_body(&self, _: &url::Url) -> (http::Method, Option<String>) {
        let body = json!({ "cmd": self.cmd, "params": self.params });
        (http::Method::POST, Some(body.to_string()))
    }
}

/// Sets a cookie for `url` through DevTools (WebDriver's own command refuses a cookie
/// for an IP address such as the test server's 127.0.0.1).
pub(crate) async fn set_cookie(c: &Client, url: &str, name: &str, value: &str, path: &str) {
    c.issue_cmd(Cdp {
        cmd: "Network.setCookie",
        params: json!({ "url": url, "name": name, "value": value, "path": path, "httpOnly": true }),
    })
    .await
    .expect("the cookie is set");
}

pub(crate) fn screenshot_dir() -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("target/screenshots");
    std::fs::create_dir_all(&dir).expect("target/screenshots can be created");
    dir
}

/// Saves a screenshot of the whole page, not just the viewport.
pub(crate) async fn screenshot(c: &Client, name: &str) {
    let shot = c
        .issue_cmd(Cdp {
            cmd: "Page.captureScreenshot",
            params: json!({ "format": "png", "captureBeyondViewport": true }),
        })
        .await
        .expect("a screenshot");
    let data = shot["data"].as_str().expect("base64 data");
    let png = base64::engine::general_purpose::STANDARD
        .decode(data)
        .expect("valid base64");
    std::fs::write(screenshot_dir().join(format!("{name}.png")), png).expect("the file is written");
}

/// What every page must hold: the viewport of a phone, no horizontal overflow, every
/// resource from our own host, and the expected `<title>` and `<h1>`.
pub(crate) async fn check_page(c: &Client, origin: &str, title_part: &str, h1: &str) {
    let title = c.title().await.unwrap();
    assert!(
        title.contains(title_part),
        "title `{title}` lacks `{title_part}`"
    );
    assert!(title.ends_with("阳光村务"), "{title}");
    let facts = c
        .execute(
            "return {
                 width: window.innerWidth,
                 height: window.innerHeight,
                 scroll: document.documentElement.scrollWidth,
                 h1: (document.querySelector('h1') || {}).textContent,
                 resources: performance.getEntriesByType('resource').map(e => e.name),
                 wide: Array.from(document.querySelectorAll('body *'))
                     .filter(e => e.getBoundingClientRect().right > window.innerWidth + 0.5)
                     .map(e => e.tagName + '.' + e.className).slice(0, 5)
             };",
            vec![],
        )
        .await
        .unwrap();
    // Overflow first: a page wider than the screen also widens the viewport, and the
    // wide elements say why.
    let scroll = facts["scroll"].as_i64().unwrap();
    assert!(
        scroll <= WIDTH,
        "{title}: the page is {scroll}px wide; too wide: {}",
        facts["wide"]
    );
    assert_eq!(facts["width"], WIDTH, "the viewport is a phone's");
    assert_eq!(facts["height"], HEIGHT);
    assert_eq!(facts["h1"].as_str().map(str::trim), Some(h1), "{title}");
    for r in facts["resources"].as_array().unwrap() {
        let r = r.as_str().unwrap();
        assert!(r.starts_with(origin), "{title} loaded {r}");
    }
}

pub(crate) async fn click(c: &Client, css: &str) {
    c.find(Locator::Css(css))
        .await
        .unwrap_or_else(|e| panic!("no `{css}`: {e}"))
        .click()
        .await
        .unwrap_or_else(|e| panic!("`{css}` cannot be clicked: {e}"));
}

/// Clicks and waits until the browser has arrived at `path` (a form's submission may
/// still be on its way when the click returns).
pub(crate) async fn follow(c: &Client, origin: &str, css: &str, path: &str) {
    click(c, css).await;
    let url = url::Url::parse(&format!("{origin}{path}")).expect("a URL");
    let arrived = c
        .wait()
        .at_most(Duration::from_secs(10))
        .for_url(&url)
        .await;
    if let Err(e) = arrived {
        panic!("clicking `{css}` did not lead to {path}: {e}");
    }
}

pub(crate) async fn text_of(c: &Client, css: &str) -> String {
    c.find(Locator::Css(css))
        .await
        .unwrap()
        .text()
        .await
        .unwrap()
}

#[tokio::test]
async fn a_follower_walks_from_the_map_to_a_disclosure_and_through_the_power_list_on_a_phone() {
    let app = spawn_app().await;
    demo_data::load(
        &crate::support::staff::accounts_service(&app),
        demo_data::DEMO_TOML,
    )
    .await
    .unwrap();
    let three_versions: i64 =
        sqlx::query_scalar("SELECT id FROM disclosures WHERE current_version = 3")
            .fetch_one(&app.pool)
            .await
            .unwrap();
    let driver = start_driver().await;
    let profile = tempfile::tempdir().unwrap();
    let c = open_browser(&driver, profile.path()).await;
    let origin = app.address.clone();

    // Home: the map, the figures, the county buttons.
    c.goto(&app.url("/")).await.unwrap();
    check_page(&c, &origin, "信阳市村务公开", "信阳市村务公开").await;
    let counties = c.find_all(Locator::Css("svg.map a.county")).await.unwrap();
    assert_eq!(counties.len(), 10);
    assert!(text_of(&c, ".figures").await.contains("3,474"));
    screenshot(&c, "01-home").await;

    // County: tap 平桥区 on the map itself.
    follow(
        &c,
        &origin,
        r#"svg.map a.county[href="/r/411503"]"#,
        "/r/411503",
    )
    .await;
    check_page(&c, &origin, "平桥区", "平桥区").await;
    // Every trail starts with 首页 (issue 12; was 信阳市, the home page's city).
    assert!(text_of(&c, ".crumbs").await.starts_with("首页"));
    screenshot(&c, "02-county").await;

    // Township.
    follow(&c, &origin, r#"a.row[href="/r/411503209"]"#, "/r/411503209").await;
    check_page(&c, &origin, "平桥区王岗乡", "王岗乡").await;
    assert!(text_of(&c, "main").await.contains("乡镇监察办公室"));
    screenshot(&c, "03-township").await;

    // Village: nine tiles, supervisors with tap-to-call.
    follow(
        &c,
        &origin,
        r#"a.row[href="/v/411503209202"]"#,
        "/v/411503209202",
    )
    .await;
    check_page(&c, &origin, "平桥区王岗乡王岗村", "王岗村").await;
    assert_eq!(c.find_all(Locator::Css("a.tile")).await.unwrap().len(), 9);
    assert!(
        !c.find_all(Locator::Css(r#"a.call[href^="tel:"]"#))
            .await
            .unwrap()
            .is_empty()
    );
    screenshot(&c, "04-village").await;

    // Module: 项目公示.
    follow(
        &c,
        &origin,
        r#"a.tile[href="/v/411503209202/m/projects"]"#,
        "/v/411503209202/m/projects",
    )
    .await;
    check_page(&c, &origin, "王岗村项目公示", "王岗村 · 项目公示").await;
    screenshot(&c, "05-module").await;

    // Disclosure: three versions, the history opens without script.
    follow(&c, &origin, "a.item", &format!("/d/{three_versions}")).await;
    check_page(
        &c,
        &origin,
        "村组道路硬化工程项目公示",
        "王岗村2026年村组道路硬化工程项目公示（含比选结果）",
    )
    .await;
    assert!(text_of(&c, ".fields").await.contains("第3版（共3版）"));
    let versions = c.find_all(Locator::Css("details.version")).await.unwrap();
    assert_eq!(versions.len(), 2);
    click(&c, "details.version summary").await;
    screenshot(&c, "06-disclosure").await;

    // The 脱贫攻坚 ledger: names masked.
    c.goto(&app.url("/v/411503209202/m/poverty")).await.unwrap();
    check_page(&c, &origin, "王岗村脱贫攻坚", "王岗村 · 脱贫攻坚").await;
    follow(
        &c,
        &origin,
        r#"a.row[href="/v/411503209202/households/lifted"]"#,
        "/v/411503209202/households/lifted",
    )
    .await;
    check_page(&c, &origin, "王岗村脱贫户台账", "王岗村 · 脱贫户台账").await;
    assert!(text_of(&c, ".households").await.contains("张*远"));
    screenshot(&c, "07-ledger").await;

    // The power list and one item with its flow chart.
    c.goto(&app.url("/power")).await.unwrap();
    check_page(&c, &origin, "村级小微权力清单", "村级小微权力清单").await;
    assert_eq!(
        c.find_all(Locator::Css(r#"a.row[href^="/power/"]"#))
            .await
            .unwrap()
            .len(),
        30
    );
    screenshot(&c, "08-power-list").await;

    follow(&c, &origin, r#"a.row[href="/power/19"]"#, "/power/19").await;
    check_page(
        &c,
        &origin,
        "最低生活保障（低保）申请",
        "最低生活保障（低保）申请",
    )
    .await;
    assert!(
        !c.find_all(Locator::Css(".node--decision"))
            .await
            .unwrap()
            .is_empty()
    );
    assert!(
        text_of(&c, ".flow")
            .await
            .contains("不予批准，书面向申请人说明理由")
    );
    screenshot(&c, "09-power-item").await;

    // The friendly 404, with its search box working.
    c.goto(&app.url("/v/411503209999")).await.unwrap();
    check_page(&c, &origin, "没有找到这个页面", "没有找到这个页面").await;
    screenshot(&c, "10-not-found").await;
    c.find(Locator::Css("#q"))
        .await
        .unwrap()
        .send_keys("上马石")
        .await
        .unwrap();
    follow(&c, &origin, ".search__button", "/v/411503209204").await;
    check_page(&c, &origin, "王岗乡上马石村", "上马石村").await;

    c.close().await.unwrap();
}

#[tokio::test]
async fn a_follower_files_a_complaint_on_a_phone_and_rates_the_answer() {
    // The development stand-in for WeChat's login: this browser is one follower.
    let follower = "oBrowserFollower000000000001";
    let app = crate::support::spawn_app_with(|s| s.session.dev_openid = follower.to_owned()).await;
    let driver = start_driver().await;
    let profile = tempfile::tempdir().unwrap();
    let c = open_browser(&driver, profile.path()).await;
    let origin = app.address.clone();

    // From the village page to the form.
    c.goto(&app.url("/v/411503209202")).await.unwrap();
    follow(
        &c,
        &origin,
        r#".actions a[href="/complaints/new?village=411503209202"]"#,
        "/complaints/new?village=411503209202",
    )
    .await;
    check_page(&c, &origin, "投诉建议", "投诉建议").await;
    assert_eq!(text_of(&c, ".field__value").await, "平桥区王岗乡王岗村");
    screenshot(&c, "11-complaint-form").await;

    // Too short, no category: each field says what is wrong, the text stays.
    c.find(Locator::Css("#content"))
        .await
        .unwrap()
        .send_keys("路没修")
        .await
        .unwrap();
    follow(&c, &origin, ".form__submit", "/complaints").await;
    check_page(&c, &origin, "投诉建议", "投诉建议").await;
    assert_eq!(
        c.find_all(Locator::Css(".field__error"))
            .await
            .unwrap()
            .len(),
        2
    );
    screenshot(&c, "12-complaint-form-errors").await;

    // Fixed and sent.
    click(&c, r#"input[name="category"][value="project"]"#).await;
    c.find(Locator::Css("#content"))
        .await
        .unwrap()
        .send_keys("，村东头到小学的水泥路修了一半就停工半年了。")
        .await
        .unwrap();
    click(&c, ".form__submit").await;
    c.wait()
        .at_most(Duration::from_secs(10))
        .for_element(Locator::Css(".done__number"))
        .await
        .expect("the confirmation");
    check_page(&c, &origin, "投诉 XY-", "提交成功").await;
    let tracking = text_of(&c, ".done__number").await;
    screenshot(&c, "13-complaint-received").await;

    // Staff accept and answer; the follower rates the answer.
    let id: i64 =
        sqlx::query_scalar("SELECT complaint_id FROM complaints WHERE tracking_number = $1")
            .bind(&tracking)
            .fetch_one(&app.pool)
            .await
            .unwrap();
    let token =
        crate::support::staff::staff_token(&app, "李四", crate::support::staff::StaffRole::Handler)
            .await;
    for body in [
        json!({"action": "accept"}),
        json!({"action": "conclude", "reply": "已联系施工方，下月15日前复工，工程款已拨付到位。"}),
    ] {
        let r = app
            .client
            .post(app.url(&format!("/api/staff/complaints/{id}/actions")))
            .bearer_auth(&token)
            .json(&body)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200);
    }
    c.goto(&app.url("/complaints/mine")).await.unwrap();
    check_page(&c, &origin, "我的投诉", "我的投诉").await;
    screenshot(&c, "14-my-complaints").await;
    follow(&c, &origin, "a.row", &format!("/complaints/{tracking}")).await;
    check_page(&c, &origin, &tracking, &format!("受理编号 {tracking}")).await;
    screenshot(&c, "15-complaint-answered").await;
    click(&c, r#"input[name="satisfaction"][value="satisfied"]"#).await;
    follow(
        &c,
        &origin,
        ".form__submit",
        &format!("/complaints/{tracking}?done=rated"),
    )
    .await;
    assert!(text_of(&c, ".status").await.contains("已评价"));
    screenshot(&c, "16-complaint-rated").await;

    c.close().await.unwrap();
}

async fn value_of(c: &Client, css: &str) -> String {
    c.find(Locator::Css(css))
        .await
        .unwrap_or_else(|e| panic!("no `{css}`: {e}"))
        .prop("value")
        .await
        .unwrap()
        .unwrap_or_default()
}

async fn wait_for(c: &Client, css: &str) {
    c.wait()
        .at_most(Duration::from_secs(10))
        .for_element(Locator::Css(css))
        .await
        .unwrap_or_else(|e| panic!("`{css}` did not appear: {e}"));
}

#[tokio::test]
async fn a_complaint_draft_survives_choosing_the_village_and_a_validation_error_on_a_phone() {
    let follower = "oBrowserDrafter0000000000001";
    let app = crate::support::spawn_app_with(|s| s.session.dev_openid = follower.to_owned()).await;
    let driver = start_driver().await;
    let profile = tempfile::tempdir().unwrap();
    let c = open_browser(&driver, profile.path()).await;
    let origin = app.address.clone();
    let content = "村东头到小学的水泥路修了一半就停工半年了，下雨天孩子上学很难走。";

    // As from the menu: no village yet. Type, pick a category, then look for the village.
    c.goto(&app.url("/complaints/new")).await.unwrap();
    check_page(&c, &origin, "投诉建议", "投诉建议").await;
    c.find(Locator::Css("#content"))
        .await
        .unwrap()
        .send_keys(content)
        .await
        .unwrap();
    c.find(Locator::Css("#name"))
        .await
        .unwrap()
        .send_keys("王大爷")
        .await
        .unwrap();
    click(&c, r#"input[name="category"][value="project"]"#).await;
    c.find(Locator::Css("#village_q"))
        .await
        .unwrap()
        .send_keys("王岗")
        .await
        .unwrap();
    screenshot(&c, "17-complaint-draft-typed").await;
    click(&c, ".field__find").await;
    wait_for(&c, r#"a.row[href*="village=411503209202"]"#).await;
    check_page(&c, &origin, "选择被", "选择被反映的村（社区）").await;
    screenshot(&c, "18-complaint-village-chooser").await;
    click(&c, r#"a.row[href*="village=411503209202"]"#).await;
    wait_for(&c, r#"input[name="village"][value="411503209202"]"#).await;
    check_page(&c, &origin, "投诉建议", "投诉建议").await;
    assert_eq!(
        value_of(&c, "#content").await,
        content,
        "the text is still there"
    );
    assert_eq!(value_of(&c, "#name").await, "王大爷");
    assert!(
        c.find(Locator::Css(
            r#"input[name="category"][value="project"]:checked"#
        ))
        .await
        .is_ok(),
        "the category is still chosen"
    );
    assert_eq!(text_of(&c, ".field__value").await, "平桥区王岗乡王岗村");
    screenshot(&c, "19-complaint-draft-kept").await;

    // A photo chosen, then a validation error: the form says the photo must be chosen again.
    let photo_dir = tempfile::tempdir().unwrap();
    let photo = photo_dir.path().join("photo.jpg");
    std::fs::write(&photo, crate::support::follower::phone_photo()).unwrap();
    c.find(Locator::Css("#photos"))
        .await
        .unwrap()
        .send_keys(photo.to_str().unwrap())
        .await
        .unwrap();
    click(&c, r#"input[name="identity"][value="anonymous"]"#).await;
    follow(&c, &origin, ".form__submit", "/complaints").await;
    check_page(&c, &origin, "投诉建议", "投诉建议").await;
    assert!(text_of(&c, ".form-banner").await.contains("请按提示修改"));
    assert!(
        text_of(&c, ".field__notice")
            .await
            .contains("您刚才选的照片没有保存，请重新选择")
    );
    assert_eq!(value_of(&c, "#content").await, content);
    screenshot(&c, "20-complaint-photos-again").await;

    c.close().await.unwrap();
}

/// WeChat's text size setting at 130 %: every font 1.3 times larger, boxes as they were
/// (the WebView's text zoom), done to the page as it stands.
async fn text_at_130_percent(c: &Client) {
    c.execute(
        "const all = Array.from(document.querySelectorAll('body, body *'));
         const sizes = all.map(e => parseFloat(getComputedStyle(e).fontSize));
         all.forEach((e, i) => { e.style.fontSize = (sizes[i] * 1.3) + 'px'; });",
        vec![],
    )
    .await
    .unwrap();
}

/// Nothing wider than the screen, and no tile name broken over two lines.
async fn fits(c: &Client, what: &str) -> Value {
    let facts = c
        .execute(
            "const tall = e => e.getBoundingClientRect().height > parseFloat(getComputedStyle(e).lineHeight) * 1.5;
             return {
                 width: window.innerWidth,
                 height: window.innerHeight,
                 scroll: document.documentElement.scrollWidth,
                 wide: Array.from(document.querySelectorAll('body *'))
                     .filter(e => e.getBoundingClientRect().right > window.innerWidth + 0.5)
                     .map(e => e.tagName + '.' + e.className).slice(0, 5),
                 broken: Array.from(document.querySelectorAll('.tile__name'))
                     .filter(e => tall(e) || e.scrollWidth > e.parentElement.clientWidth)
                     .map(e => e.textContent),
                 complaint: (() => { const b = document.querySelector('.actions--top .weui-btn_primary');
                                     return b ? b.getBoundingClientRect().bottom : null; })()
             };",
            vec![],
        )
        .await
        .unwrap();
    let width = facts["width"].as_i64().unwrap();
    assert!(
        facts["scroll"].as_i64().unwrap() <= width,
        "{what}: wider than the screen: {}",
        facts["wide"]
    );
    assert_eq!(facts["broken"], json!([]), "{what}: tile names broken");
    facts
}

#[tokio::test]
async fn the_pages_fit_375_and_360_pixels_with_large_text_and_the_complaint_button_is_on_the_first_screen()
 {
    let app = spawn_app().await;
    demo_data::load(
        &crate::support::staff::accounts_service(&app),
        demo_data::DEMO_TOML,
    )
    .await
    .unwrap();
    let driver = start_driver().await;
    let pages = [
        ("home", "/"),
        ("village", "/v/411503209202"),
        ("empty-village", "/v/411503209201"),
        ("township", "/r/411503209"),
        ("search", "/search?q=%E7%8E%8B"),
        ("module", "/v/411503209202/m/projects"),
        ("power-item", "/power/19"),
        (
            "complaint-chooser",
            "/complaints/new/village?q=%E7%8E%8B%E5%B2%97",
        ),
    ];
    for (width, height, larger) in [(375, 667, false), (360, 640, true)] {
        let profile = tempfile::tempdir().unwrap();
        let c = open_phone(&driver, profile.path(), width, height).await;
        for (name, path) in pages {
            c.goto(&app.url(path)).await.unwrap();
            if larger {
                text_at_130_percent(&c).await;
            }
            let what = format!(
                "{path} at {width}px{}",
                if larger { ", text 130%" } else { "" }
            );
            let facts = fits(&c, &what).await;
            if name.ends_with("village") {
                let bottom = facts["complaint"].as_f64().expect("a complaint button");
                assert!(
                    bottom <= height as f64,
                    "{what}: 我要投诉 ends at {bottom}px"
                );
            }
            let suffix = if larger { "360-130" } else { "375" };
            screenshot(&c, &format!("fit-{suffix}-{name}")).await;
        }
        c.close().await.unwrap();
    }
}

#[tokio::test]
async fn large_text_mode_makes_body_text_22px_and_targets_56px_without_overflow() {
    let app = spawn_app().await;
    demo_data::load(
        &crate::support::staff::accounts_service(&app),
        demo_data::DEMO_TOML,
    )
    .await
    .unwrap();
    let driver = start_driver().await;
    let profile = tempfile::tempdir().unwrap();
    let c = open_browser(&driver, profile.path()).await;
    let origin = app.address.clone();
    c.goto(&app.url("/v/411503209202")).await.unwrap();
    follow(&c, &origin, ".top__size", "/v/411503209202").await;
    assert_eq!(text_of(&c, ".top__size").await, "标准字号");
    for path in [
        "/v/411503209202",
        "/",
        "/power/19",
        "/v/411503209202/m/projects",
    ] {
        c.goto(&app.url(path)).await.unwrap();
        let facts = c
            .execute(
                "const texts = Array.from(document.querySelectorAll('main p, main li, main a, main span, main dd, main td, main label'))
                     .filter(e => e.offsetParent !== null && e.textContent.trim() !== '' && e.closest('svg') === null);
                 const targets = Array.from(document.querySelectorAll('main a.row, main a.call, main .weui-btn, main .pager__link, .crumbs a, main button'))
                     .filter(e => e.offsetParent !== null);
                 return {
                     small: texts.filter(e => parseFloat(getComputedStyle(e).fontSize) < 22)
                         .map(e => e.tagName + '.' + e.className + ' ' + getComputedStyle(e).fontSize).slice(0, 5),
                     low: targets.filter(e => e.getBoundingClientRect().height < 56)
                         .map(e => e.tagName + '.' + e.className + ' ' + e.getBoundingClientRect().height).slice(0, 5),
                     scroll: document.documentElement.scrollWidth
                 };",
                vec![],
            )
            .await
            .unwrap();
        assert_eq!(facts["small"], json!([]), "{path}: text under 22px");
        assert_eq!(facts["low"], json!([]), "{path}: targets under 56px");
        assert!(
            facts["scroll"].as_i64().unwrap() <= WIDTH,
            "{path}: too wide"
        );
    }
    c.goto(&app.url("/v/411503209202")).await.unwrap();
    screenshot(&c, "21-large-text-village").await;
    c.goto(&app.url("/")).await.unwrap();
    screenshot(&c, "22-large-text-home").await;
    c.close().await.unwrap();
}

#[tokio::test]
async fn a_table_attachment_scrolls_inside_its_box_on_a_375_pixel_phone() {
    let app = spawn_app().await;
    demo_data::load(
        &crate::support::staff::accounts_service(&app),
        demo_data::DEMO_TOML,
    )
    .await
    .unwrap();
    // The sample finance statement of 王岗村 with its CSV of the quarter's entries.
    let id: i64 = sqlx::query_scalar(
        "SELECT disclosure_id FROM disclosure_attachments WHERE name = '2026年第三季度收支明细.csv'",
    )
    .fetch_one(&app.pool)
    .await
    .unwrap();
    let driver = start_driver().await;
    let profile = tempfile::tempdir().unwrap();
    let c = open_phone(&driver, profile.path(), 375, 667).await;
    c.goto(&app.url(&format!("/d/{id}"))).await.unwrap();
    fits(&c, "a disclosure with a table at 375px").await;
    let table = c
        .execute(
            "const w = document.querySelector('.csv-wrap');
             w.scrollIntoView();
             return { cells: w.querySelectorAll('td').length, inside: w.getBoundingClientRect().right <= window.innerWidth };",
            vec![],
        )
        .await
        .unwrap();
    assert_eq!(table["cells"], json!(35), "7 rows of 5 cells: {table}");
    assert_eq!(table["inside"], json!(true), "{table}");
    screenshot(&c, "fit-375-disclosure-table").await;
    c.close().await.unwrap();
}
