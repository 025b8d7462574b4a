//! The followers' H5 pages, rendered by the real service against a real database.

#![allow(
    clippy::string_slice,
    reason = "slices start and end at what `find` matched, always on character boundaries"
)]

use chrono::{Duration, Utc};
use reqwest::header::{ACCEPT_ENCODING, CACHE_CONTROL, CONTENT_ENCODING, CONTENT_TYPE};
use sunvillage::demo_data;
use sunvillage::domain::{
    Correction, DisclosureContent, Module, NewAttachment, NewDisclosure, RegionCode,
    WithdrawalReason,
};
use sunvillage::storage::disclosures;

use crate::support::{TestApp, spawn_app, spawn_app_with};

const WANGGANG: &str = "411503209202";
const WANGLOU: &str = "411503209201";

async fn page(app: &TestApp, path: &str) -> (u16, String) {
    let response = app.get(path).await;
    let status = response.status().as_u16();
    (status, response.text().await.expect("a text body"))
}

async fn ok_page(app: &TestApp, path: &str) -> String {
    let response = app.get(path).await;
    assert_eq!(response.status().as_u16(), 200, "{path}");
    let content_type = response.headers()[CONTENT_TYPE]
        .to_str()
        .unwrap()
        .to_owned();
    assert_eq!(content_type, "text/html; charset=utf-8", "{path}");
    response.text().await.unwrap()
}

fn title(html: &str) -> &str {
    let start = html.find("<title>").expect("a title") + "<title>".len();
    let end = html[start..].find("</title>").unwrap() + start;
    &html[start..end]
}

fn content(title: &str, body: &str, amount_fen: Option<i64>) -> DisclosureContent {
    DisclosureContent::parse(
        title,
        body,
        Some("2026年第三季度"),
        amount_fen,
        "王岗村民委员会",
    )
    .unwrap()
}

async fn publish(app: &TestApp, region: &str, module: Module, title: &str, days_ago: i64) -> i64 {
    let new = NewDisclosure::new(
        RegionCode::parse(region).unwrap(),
        module,
        content(title, "正文第一段。\n\n正文第二段。", None),
        Vec::new(),
    )
    .unwrap();
    disclosures::publish(
        &app.pool,
        &new,
        Utc::now() - Duration::days(days_ago),
        false,
    )
    .await
    .unwrap()
}

#[tokio::test]
async fn the_home_page_draws_every_county_as_a_link_and_shows_live_figures() {
    let app = spawn_app().await;
    publish(&app, WANGGANG, Module::Assets, "第三季度财务公开", 1).await;

    let response = app.get("/").await;
    assert_eq!(response.status().as_u16(), 200);
    assert_eq!(
        response.headers()[CACHE_CONTROL].to_str().unwrap(),
        "public, max-age=60"
    );
    let csp = response.headers()["content-security-policy"]
        .to_str()
        .unwrap();
    assert!(csp.contains("default-src 'none'"), "{csp}");
    let html = response.text().await.unwrap();

    assert_eq!(title(&html), "信阳市村务公开 - 阳光村务");
    assert!(html.contains(r#"<meta property="og:image" content="http://cunwu.test/assets/share."#));
    assert!(html.contains(r#"<meta name="description" content="信阳市3,474个村"#));
    for county in [
        "411502", "411503", "411521", "411522", "411523", "411524", "411525", "411526", "411527",
        "411528",
    ] {
        assert!(
            html.contains(&format!(r#"<a href="/r/{county}" class="county"#)),
            "the map links {county}"
        );
    }
    // 高新区 has no outline in the map data; it is among the buttons.
    assert!(html.contains(r#"href="/r/411571""#));
    // Issue 12: how many villages publish, of all (was: all villages as "covered").
    assert!(html.contains(
        r#"<span class="figure__value">1 / 3,474</span><span class="figure__label">已公开的村</span>"#
    ));
    assert!(html.contains(
        r#"<span class="figure__value">1</span><span class="figure__label">公开事项</span>"#
    ));
    assert!(!html.contains("本村"), "a city-wide page");
    assert!(
        html.contains(r#"href="/complaints/new""#) && html.contains(r#"href="/complaints/mine""#)
    );
    assert!(html.contains(r#"action="/search""#));
    assert!(!html.contains("<script"), "no page needs script");
}

#[tokio::test]
async fn the_home_figures_count_no_sample_content_and_explain_a_zero() {
    let app = spawn_app().await;
    demo_data::load(
        &crate::support::staff::accounts_service(&app),
        demo_data::DEMO_TOML,
    )
    .await
    .unwrap();
    let html = ok_page(&app, "/").await;
    assert!(
        html.contains(
            r#"<span class="figure__value">0 / 3,474</span><span class="figure__label">已公开的村</span><span class="figure__note">各村正陆续上线公开</span>"#
        ),
        "sample villages are not publishing villages"
    );
    assert!(html.contains(
        r#"<span class="figure__value">0</span><span class="figure__label">公开事项</span><span class="figure__note">还没有村正式公开</span>"#
    ));
    assert!(
        html.contains("不计入以上数字"),
        "the samples are named as such"
    );
    // One real disclosure beside the samples counts once (after the cached minute:
    // the cache is shared, so it is cleared as a new minute would).
    publish(&app, WANGLOU, Module::Assets, "第三季度财务公开", 1).await;
    app.kv.delete("pages:headline").await.unwrap();
    app.kv.delete("pages:headline:counting").await.unwrap();
    let html = ok_page(&app, "/").await;
    assert!(html.contains(r#"<span class="figure__value">1 / 3,474</span>"#));
    assert!(html.contains(
        r#"<span class="figure__value">1</span><span class="figure__label">公开事项</span>"#
    ));

    // Once the minute is over, the first reader still gets the figures at once — a count
    // takes seconds on a province — and the recount, done meanwhile, reaches the next.
    publish(&app, WANGGANG, Module::Assets, "第三季度财务公开", 1).await;
    app.kv.delete("pages:headline:counting").await.unwrap();
    let html = ok_page(&app, "/").await;
    assert!(html.contains(r#"<span class="figure__value">1 / 3,474</span>"#));
    let recounted = crate::support::wait::until(std::time::Duration::from_secs(10), async || {
        ok_page(&app, "/")
            .await
            .contains(r#"<span class="figure__value">2 / 3,474</span>"#)
    })
    .await;
    assert!(recounted, "counted again in the background");
}

#[tokio::test]
async fn pages_request_nothing_from_another_host() {
    let app = spawn_app().await;
    demo_data::load(
        &crate::support::staff::accounts_service(&app),
        demo_data::DEMO_TOML,
    )
    .await
    .unwrap();
    for path in [
        "/",
        "/r/411503",
        "/r/411503209",
        &format!("/v/{WANGGANG}"),
        &format!("/v/{WANGGANG}/m/projects"),
        "/d/1",
        "/power",
        "/power/1",
        "/search?q=%E7%8E%8B%E5%B2%97",
        "/nothing-here",
    ] {
        let (_, html) = page(&app, path).await;
        for attr in [" src=\"", " srcset=\"", "url(", "@import"] {
            for (i, _) in html.match_indices(attr) {
                let value = &html[i + attr.len()..];
                assert!(
                    !value.starts_with("http") && !value.starts_with("//"),
                    "{path} loads {}",
                    value.chars().take(60).collect::<String>()
                );
            }
        }
        for (i, _) in html.match_indices(" href=\"http") {
            let value = &html[i + 7..];
            assert!(
                value.starts_with("http://cunwu.test/"),
                "{path} links away: {}",
                value.chars().take(60).collect::<String>()
            );
        }
    }
}

#[tokio::test]
async fn the_stylesheet_is_served_under_its_fingerprint_and_cached_for_a_year() {
    let app = spawn_app().await;
    let html = ok_page(&app, "/").await;
    let start = html.find(r#"<link rel="stylesheet" href=""#).unwrap() + 29;
    let href = &html[start..start + html[start..].find('"').unwrap()];
    assert!(
        href.starts_with("/assets/site.") && href.ends_with(".css"),
        "{href}"
    );

    let css = app.get(href).await;
    assert_eq!(css.status().as_u16(), 200);
    assert_eq!(
        css.headers()[CACHE_CONTROL].to_str().unwrap(),
        "public, max-age=31536000, immutable"
    );
    assert_eq!(
        css.headers()[CONTENT_TYPE].to_str().unwrap(),
        "text/css; charset=utf-8"
    );
    let body = css.text().await.unwrap();
    assert!(
        body.contains("WeUI v2.6.26"),
        "the vendored WeUI with its licence"
    );
    assert!(body.contains(".tile__glyph"), "and our own rules");

    let (status, html) = page(&app, "/assets/site.0000000000.css").await;
    assert_eq!(status, 404);
    assert!(html.contains("没有这个文件"));
}

#[tokio::test]
async fn pages_are_compressed_with_brotli_or_gzip() {
    let app = spawn_app().await;
    for encoding in ["br", "gzip"] {
        let response = app
            .client
            .get(app.url("/power"))
            .header(ACCEPT_ENCODING, encoding)
            .send()
            .await
            .unwrap();
        assert_eq!(
            response.headers()[CONTENT_ENCODING].to_str().unwrap(),
            encoding
        );
    }
}

#[tokio::test]
async fn a_county_page_lists_its_townships_with_their_village_counts() {
    let app = spawn_app().await;
    let html = ok_page(&app, "/r/411503").await;
    assert_eq!(title(&html), "平桥区 - 阳光村务");
    assert!(
        // Issue 12: every trail starts with 首页 (was: 信阳市, which is the home page).
        html.contains(r#"<a href="/">首页</a>"#),
        "breadcrumbs up to the city"
    );
    assert!(html.contains(
        r#"<a class="row" href="/r/411503209"><span class="row__name">王岗乡</span><span class="row__note">15个村（社区）</span></a>"#
    ));
    assert!(html.contains("30个乡镇（街道）"));
    assert!(html.contains(r#"<input type="hidden" name="within" value="411503">"#));
}

#[tokio::test]
async fn a_township_page_lists_its_villages_its_office_and_what_it_published() {
    let app = spawn_app().await;
    demo_data::load(
        &crate::support::staff::accounts_service(&app),
        demo_data::DEMO_TOML,
    )
    .await
    .unwrap();
    // The samples are all villages' (the lifecycle drafts for a village); the
    // township's own publication is made here.
    publish(
        &app,
        "411503209",
        Module::Livelihood,
        "王岗乡2026年第三季度临时救助发放情况",
        15,
    )
    .await;
    let html = ok_page(&app, "/r/411503209").await;
    assert_eq!(title(&html), "平桥区王岗乡 - 阳光村务");
    assert!(html.contains(r#"<a href="/r/411503">平桥区</a>"#));
    assert!(html.contains(
        r#"<a class="row" href="/v/411503209202"><span class="row__name">王岗村</span><span class="row__note">12条公开</span></a>"#
    ));
    assert!(html.contains(
        r#"<span class="row__name">王楼村</span><span class="row__note">暂无公开</span>"#
    ));
    assert!(html.contains("乡镇监察办公室"));
    assert!(html.contains(r#"<a class="call" href="tel:037600001001">拨打 0376-0000-1001</a>"#));
    assert!(html.contains("王岗乡2026年第三季度临时救助发放情况"));
}

#[tokio::test]
async fn other_forms_of_a_code_redirect_to_the_right_page() {
    let app = spawn_app().await;
    let padded = app.get("/r/411503209000").await;
    assert_eq!(padded.status().as_u16(), 301);
    assert_eq!(padded.headers()["location"], "/r/411503209");
    let village = app.get(&format!("/r/{WANGGANG}")).await;
    assert_eq!(village.status().as_u16(), 301);
    assert_eq!(
        village.headers()["location"],
        format!("/v/{WANGGANG}").as_str()
    );
}

#[tokio::test]
async fn a_village_with_no_disclosures_shows_one_notice_greyed_tiles_and_the_complaint_link() {
    // Issue 12: one notice and greyed tiles instead of nine 暂无 tiles that each led to
    // an empty page.
    let app = spawn_app().await;
    let html = ok_page(&app, &format!("/v/{WANGLOU}")).await;
    assert_eq!(title(&html), "平桥区王岗乡王楼村 - 阳光村务");
    assert!(html.contains("本村尚未在平台公开村务"));
    assert!(html.contains("可以联系王岗乡监察办公室，或拨打12388举报电话"));
    assert_eq!(
        html.matches(r#"<a class="tile""#).count(),
        0,
        "no tile leads to an empty page"
    );
    assert_eq!(html.matches(r#"<span class="tile tile--off">"#).count(), 9);
    assert!(!html.contains("暂无</span>"));
    for name in [
        "组织建设",
        "便民服务",
        "集体经济",
        "民生公示",
        "三资管理",
        "项目公示",
        "决策公示",
        "脱贫攻坚",
        "投诉建议",
    ] {
        assert!(
            html.contains(&format!(r#"<span class="tile__name">{name}</span>"#)),
            "{name}"
        );
    }
    assert!(html.contains("暂未登记本村的村务监督委员会成员和廉情监督员"));
    assert!(html.contains(&format!(r#"href="/complaints/new?village={WANGLOU}""#)));
    assert!(html.contains(r#"href="/power""#));
    assert!(!html.contains("示例"), "no sample content here");

    let module = ok_page(&app, &format!("/v/{WANGLOU}/m/assets")).await;
    assert!(module.contains("王楼村暂未发布三资管理方面的公开内容"));
    assert!(
        module.contains("三资，就是村集体的钱、物、地"),
        "三资 explained"
    );
    assert!(module.contains("公开内容（共0条）"));
}

#[tokio::test]
async fn an_empty_village_offers_its_townships_office_to_call() {
    let app = spawn_app().await;
    demo_data::load(
        &crate::support::staff::accounts_service(&app),
        demo_data::DEMO_TOML,
    )
    .await
    .unwrap();
    let html = ok_page(&app, &format!("/v/{WANGLOU}")).await;
    let notice = &html[html.find("本村尚未在平台公开村务").expect("the notice")..];
    let notice = &notice[..notice.find(r#"<ul class="tiles"#).unwrap()];
    assert!(notice.contains("可以联系王岗乡监察办公室。"), "{notice}");
    assert!(notice.contains(r#"<a class="call" href="tel:"#), "{notice}");
    // A village that publishes keeps its tiles as links.
    let wanggang = ok_page(&app, &format!("/v/{WANGGANG}")).await;
    assert!(!wanggang.contains("本村尚未在平台公开村务"));
    assert_eq!(wanggang.matches(r#"<a class="tile""#).count(), 9);
}

#[tokio::test]
async fn a_village_page_shows_tile_counts_supervisors_and_marks_samples() {
    let app = spawn_app().await;
    demo_data::load(
        &crate::support::staff::accounts_service(&app),
        demo_data::DEMO_TOML,
    )
    .await
    .unwrap();
    let html = ok_page(&app, &format!("/v/{WANGGANG}")).await;
    assert!(html.contains(
        r#"<span class="tile__name">项目公示</span><span class="tile__note">1条</span>"#
    ));
    assert!(html.contains(
        r#"<span class="tile__name">决策公示</span><span class="tile__note">2条</span>"#
    ));
    assert!(html.contains("村务监督委员会"));
    assert!(html.contains("廉情监督员"));
    assert!(html.contains(r#"href="tel:037600001101""#));
    assert!(
        html.contains("王岗乡监察办公室"),
        "the township's office too"
    );
    assert!(html.contains("演示内容"), "the sample notice");
}

#[tokio::test]
async fn a_module_list_is_paginated_newest_first() {
    let app = spawn_app().await;
    for i in 0..20 {
        publish(
            &app,
            WANGGANG,
            Module::Economy,
            &format!("收益公开第{i:02}号"),
            40 - i,
        )
        .await;
    }
    publish(&app, WANGGANG, Module::Assets, "别的栏目", 0).await;

    let first = ok_page(&app, &format!("/v/{WANGGANG}/m/economy")).await;
    assert_eq!(first.matches(r#"<a class="item""#).count(), 15);
    assert!(first.contains("公开内容（共20条）"));
    let newest = first.find("收益公开第19号").unwrap();
    let older = first.find("收益公开第18号").unwrap();
    assert!(newest < older, "newest first");
    assert!(!first.contains("别的栏目"));
    assert!(first.contains(&format!(
        r#"href="/v/{WANGGANG}/m/economy?page=2" rel="next""#
    )));
    assert!(first.contains("第1页 / 共2页"));

    let second = ok_page(&app, &format!("/v/{WANGGANG}/m/economy?page=2")).await;
    assert_eq!(second.matches(r#"<a class="item""#).count(), 5);
    assert!(second.contains("收益公开第00号"));
    // A page number that is not one reads as the first page.
    let odd = ok_page(&app, &format!("/v/{WANGGANG}/m/economy?page=x")).await;
    assert!(odd.contains("第1页 / 共2页"));
}

#[tokio::test]
async fn a_disclosure_with_three_versions_shows_the_current_one_and_its_history() {
    let app = spawn_app().await;
    let code = RegionCode::parse(WANGGANG).unwrap();
    let attachment =
        NewAttachment::parse("明细.csv", "text/csv", "日期,金额\n2026-07-01,100".into()).unwrap();
    let new = NewDisclosure::new(
        code,
        Module::Projects,
        content("村道硬化工程公示", "预算18.6万元。", Some(18_600_000)),
        vec![attachment],
    )
    .unwrap();
    let now = Utc::now();
    let id = disclosures::publish(&app.pool, &new, now - Duration::days(30), false)
        .await
        .unwrap();
    for (version, (title, amount, note)) in [
        ("村道硬化工程公示", 19_200_000, "增加排水涵管，预算调整"),
        (
            "村道硬化工程公示（含比选结果）",
            18_950_000,
            "补充承建单位和合同价",
        ),
    ]
    .into_iter()
    .enumerate()
    {
        let correction = Correction::new(
            content(title, &format!("第{}版正文。", version + 2), Some(amount)),
            note,
            Vec::new(),
        )
        .unwrap();
        let v = disclosures::correct(
            &app.pool,
            id,
            &correction,
            now - Duration::days(20 - version as i64),
        )
        .await
        .unwrap();
        assert_eq!(v, Some(version as i32 + 2));
    }

    let html = ok_page(&app, &format!("/d/{id}")).await;
    assert_eq!(title(&html), "村道硬化工程公示（含比选结果） - 阳光村务");
    assert!(html.contains("<dt>版本</dt><dd>第3版（共3版）</dd>"));
    assert!(html.contains("<dt>状态</dt><dd>已发布（已更正）</dd>"));
    assert!(html.contains("<dt>金额</dt><dd>189,500.00元</dd>"));
    assert!(html.contains("<dt>公开期间</dt><dd>2026年第三季度</dd>"));
    assert!(html.contains("<dt>公开单位</dt><dd>平桥区王岗乡王岗村</dd>"));
    assert!(html.contains("第3版正文。"));
    assert!(html.contains("已更正 · 第3版"));
    // The latest correction's reason comes first, above the text it changed.
    let third = sunvillage::domain::china_time::local(now - Duration::days(19))
        .format("%Y年%-m月%-d日")
        .to_string();
    let top =
        format!(r#"<p class="correction-note">第3版 · {third}更正：补充承建单位和合同价</p>"#);
    let at = html.find(&top).expect("the latest correction at the top");
    assert!(html[at..].contains("第3版正文。"), "above the text");
    let history = &html[html.find("更正记录").expect("a history")..];
    let v2 = history.find("第2版").unwrap();
    let v1 = history.find("第1版").unwrap();
    assert!(v2 < v1, "newest first");
    assert!(history.contains("更正说明：增加排水涵管，预算调整"));
    assert!(history.contains("预算18.6万元。"));
    assert!(history.contains("<dd>186,000.00元</dd>"));
    // The attachment belongs to version 1 and opens from the history.
    let href_start = history.find("/d/").unwrap();
    let href = &history[href_start..href_start + history[href_start..].find('"').unwrap()];
    let file = app.get(href).await;
    assert_eq!(file.status().as_u16(), 200);
    assert_eq!(
        file.headers()[CONTENT_TYPE].to_str().unwrap(),
        "text/csv; charset=utf-8"
    );
    assert_eq!(file.text().await.unwrap(), "日期,金额\n2026-07-01,100");
    // 对这条公开有疑问 carries the village and the version read.
    assert!(html.contains(&format!(
        r#"href="/complaints/new?village={WANGGANG}&#38;about={id}v3""#
    )));
    assert!(html.contains(&format!(
        r#"<a href="/v/{WANGGANG}/m/projects">项目公示</a>"#
    )));
}

#[tokio::test]
async fn a_withdrawn_disclosure_stays_visible_with_its_reason() {
    let app = spawn_app().await;
    let id = publish(
        &app,
        WANGGANG,
        Module::Decisions,
        "调整误工补贴标准的公示",
        3,
    )
    .await;
    let reason = WithdrawalReason::parse("未经村民代表会议表决，撤回后重新履行程序").unwrap();
    assert!(
        disclosures::withdraw(&app.pool, id, &reason, Utc::now())
            .await
            .unwrap()
    );

    let html = ok_page(&app, &format!("/d/{id}")).await;
    assert!(html.contains("<dt>状态</dt><dd>已撤回</dd>"));
    assert!(html.contains("原因：未经村民代表会议表决，撤回后重新履行程序"));
    let list = ok_page(&app, &format!("/v/{WANGGANG}/m/decisions")).await;
    assert!(list.contains("调整误工补贴标准的公示"));
    assert!(list.contains("已撤回"));
    // A withdrawn record is not corrected.
    let correction = Correction::new(content("t", "b", None), "note", Vec::new()).unwrap();
    assert_eq!(
        disclosures::correct(&app.pool, id, &correction, Utc::now())
            .await
            .unwrap(),
        None
    );
}

#[tokio::test]
async fn unknown_and_non_village_codes_get_the_friendly_404_with_search() {
    let app = spawn_app().await;
    for (path, says) in [
        ("/v/411503209", "没有找到编码为 411503209 的村"),
        ("/v/411503209999", "没有找到编码为 411503209999 的村"),
        ("/v/abc", "没有找到编码为 abc 的村"),
        (&format!("/v/{WANGGANG}/m/nothing"), "没有“nothing”这个栏目"),
        ("/r/999999", "没有找到编码为 999999 的地区"),
        ("/d/999999", "没有找到这条公开内容"),
        ("/d/x", "没有找到这条公开内容"),
        ("/power/99", "小微权力清单中没有这一项"),
        ("/no/such/page", "这个网址没有对应的页面"),
    ] {
        let response = app.get(path).await;
        assert_eq!(response.status().as_u16(), 404, "{path}");
        assert_eq!(
            response.headers()[CONTENT_TYPE].to_str().unwrap(),
            "text/html; charset=utf-8"
        );
        let html = response.text().await.unwrap();
        assert_eq!(title(&html), "没有找到这个页面 - 阳光村务", "{path}");
        assert!(html.contains(says), "{path}: {html}");
        assert!(
            html.contains(r#"<form class="search" action="/search""#),
            "{path}"
        );
        assert!(html.contains(r#"href="/""#));
    }
    // The JSON API keeps its own errors.
    let (status, body) = app.get_json("/api/nothing").await;
    assert_eq!(status, 404);
    assert_eq!(body["error"], "no such endpoint");
}

#[tokio::test]
async fn the_power_list_shows_thirty_items_grouped_by_category() {
    let app = spawn_app().await;
    let html = ok_page(&app, "/power").await;
    assert_eq!(title(&html), "村级小微权力清单 - 阳光村务");
    for id in 1..=30 {
        assert!(
            html.contains(&format!(r#"href="/power/{id}""#)),
            "item {id}"
        );
    }
    for category in [
        "民主决策",
        "三资管理",
        "财务管理",
        "工程与采购",
        "民生保障",
        "便民服务",
        "组织人事",
    ] {
        assert!(html.contains(&format!(r#"<h2 class="block__title">{category}</h2>"#)));
    }
    for seed in [
        "低保",
        "特困人员供养（五保）",
        "救灾",
        "危房改造",
        "三资管理",
        "村级工程项目建设",
    ] {
        assert!(html.contains(seed), "{seed}");
    }
}

#[tokio::test]
async fn a_power_item_shows_its_five_clarities_and_a_branching_flow_chart() {
    let app = spawn_app().await;
    let html = ok_page(&app, "/power/19").await;
    assert_eq!(title(&html), "最低生活保障（低保）申请 - 阳光村务");
    for clarity in [
        "权力名称",
        "实施主体",
        "运行流程",
        "公开公示",
        "责任追究",
        "法律依据",
    ] {
        assert!(html.contains(clarity), "{clarity}");
    }
    // In a villager's words first, the formal term beside (issue 12).
    for plain in ["谁来办", "怎么办", "公开什么", "办错了谁负责", "“五个明确”"]
    {
        assert!(html.contains(plain), "{plain}");
    }
    assert!(html.contains(r#"<div class="node node--decision">"#));
    assert!(html.contains(r#"<span class="side__label">不符合条件</span>"#));
    assert!(html.contains("不予批准，书面向申请人说明理由"));
    assert!(html.contains(r#"<span class="link__label">批准</span>"#));
    assert!(html.contains("《社会救助暂行办法》第九条、第十一条"));
    assert!(html.contains(r#"href="/power/18" rel="prev""#));
    assert!(html.contains(r#"href="/power/20" rel="next""#));

    // A branch back to an earlier step links to it.
    let five = ok_page(&app, "/power/20").await;
    assert!(
        five.contains(
            r##"<a class="side__text" href="#step-2">回到第2步：村民委员会民主评议</a>"##
        )
    );
    assert!(five.contains("时限：自收到评议意见之日起20日内"));
}

#[tokio::test]
async fn the_ledgers_show_masked_names_and_never_the_full_name() {
    let app = spawn_app().await;
    demo_data::load(
        &crate::support::staff::accounts_service(&app),
        demo_data::DEMO_TOML,
    )
    .await
    .unwrap();
    let module = ok_page(&app, &format!("/v/{WANGGANG}/m/poverty")).await;
    assert!(
        module
            .contains(r#"<span class="row__name">脱贫户</span><span class="row__note">8户</span>"#)
    );
    assert!(module.contains(
        r#"<span class="row__name">防返贫监测户</span><span class="row__note">3户</span>"#
    ));

    let lifted = ok_page(&app, &format!("/v/{WANGGANG}/households/lifted")).await;
    assert!(lifted.contains("<strong>张*远</strong> · 4人 · 因病 · 2019年脱贫"));
    assert!(!lifted.contains("张明远"));
    assert!(lifted.contains("帮扶责任人"));
    let monitored = ok_page(&app, &format!("/v/{WANGGANG}/households/monitored")).await;
    assert!(monitored.contains("<strong>吴*军</strong>"));
    assert_eq!(
        page(&app, &format!("/v/{WANGGANG}/households/other"))
            .await
            .0,
        404
    );
}

#[tokio::test]
async fn disclosure_views_are_counted_in_memory_and_written_at_shutdown() {
    let mut app = spawn_app_with(|s| s.pages.view_flush_seconds = 3600).await;
    let id = publish(&app, WANGGANG, Module::Assets, "财务公开", 1).await;
    for _ in 0..3 {
        ok_page(&app, &format!("/d/{id}")).await;
    }
    let html = ok_page(&app, &format!("/d/{id}")).await;
    assert!(
        html.contains("<dt>浏览</dt><dd>4次</dd>"),
        "pending views are shown"
    );
    let stored: i64 = sqlx::query_scalar("SELECT views FROM disclosures WHERE id = $1")
        .bind(id)
        .fetch_one(&app.pool)
        .await
        .unwrap();
    assert_eq!(stored, 0, "no write per request");

    app.stop_server().await;
    let pool = app.fresh_pool().await;
    let stored: i64 = sqlx::query_scalar("SELECT views FROM disclosures WHERE id = $1")
        .bind(id)
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!(stored, 4, "flushed when the service stopped");
    pool.close().await;
}

#[tokio::test]
async fn the_search_page_lists_matches_and_opens_a_single_one() {
    let app = spawn_app().await;
    let html = ok_page(&app, "/search?q=%E7%8E%8B%E5%B2%97").await; // 王岗
    assert!(html.contains(r#"<a class="row" href="/r/411503209"><span class="row__name">王岗乡"#));
    assert!(html.contains(&format!(r#"href="/v/{WANGGANG}""#)));
    assert!(
        html.contains(r#"value="王岗""#),
        "the query stays in the box"
    );

    // 平桥区王岗乡王岗村: one match opens it.
    let one = app
        .get("/search?q=%E5%B9%B3%E6%A1%A5%E5%8C%BA%E7%8E%8B%E5%B2%97%E4%B9%A1%E7%8E%8B%E5%B2%97%E6%9D%91")
        .await;
    assert_eq!(one.status().as_u16(), 303);
    assert_eq!(one.headers()["location"], format!("/v/{WANGGANG}").as_str());

    // Within 商城县 only its 王岗 villages.
    let within = ok_page(&app, "/search?q=%E7%8E%8B%E5%B2%97&within=411524").await;
    assert!(within.contains("在商城县内搜索"));
    assert!(!within.contains("/r/411503209"));

    // A typo gets suggestions: 王刚 → 王岗.
    let typo = ok_page(&app, "/search?q=%E7%8E%8B%E5%88%9A").await;
    assert!(typo.contains("您要找的是不是"));
    assert!(typo.contains("王岗"));

    let empty = ok_page(&app, "/search?q=").await;
    assert!(empty.contains("请输入村名或乡镇名"));
}

#[tokio::test]
async fn demo_data_replaces_itself_when_loaded_again() {
    let app = spawn_app().await;
    let first = demo_data::load(
        &crate::support::staff::accounts_service(&app),
        demo_data::DEMO_TOML,
    )
    .await
    .unwrap();
    let second = demo_data::load(
        &crate::support::staff::accounts_service(&app),
        demo_data::DEMO_TOML,
    )
    .await
    .unwrap();
    assert_eq!(first.disclosures, second.disclosures);
    assert_eq!(
        second.removed as usize,
        first.disclosures + first.supervisors + first.households
    );
    let n: i64 = sqlx::query_scalar("SELECT count(*) FROM disclosures")
        .fetch_one(&app.pool)
        .await
        .unwrap();
    assert_eq!(n as usize, first.disclosures);
    let three: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM disclosures WHERE current_version = 3 AND is_sample",
    )
    .fetch_one(&app.pool)
    .await
    .unwrap();
    assert_eq!(three, 1, "the demo shows a disclosure with three versions");
}

#[tokio::test]
async fn head_requests_get_the_headers_without_a_body() {
    let app = spawn_app().await;
    let response = app.client.head(app.url("/power")).send().await.unwrap();
    assert_eq!(response.status().as_u16(), 200);
    assert_eq!(
        response.headers()[CONTENT_TYPE].to_str().unwrap(),
        "text/html; charset=utf-8"
    );
    assert!(response.bytes().await.unwrap().is_empty());
}

#[tokio::test]
async fn pages_tell_no_other_site_where_the_reader_came_from() {
    let app = spawn_app().await;
    for path in [
        "/",
        "/v/411503209202",
        "/search?q=%E7%8E%8B%E5%B2%97",
        "/nope",
    ] {
        let r = app.get(path).await;
        assert_eq!(r.headers()["referrer-policy"], "same-origin", "{path}");
        assert_eq!(r.headers()["x-content-type-options"], "nosniff", "{path}");
    }
}

#[tokio::test]
async fn a_repeated_query_parameter_is_named_on_the_page_and_in_the_api() {
    let app = spawn_app().await;
    let r = app.get("/search?q=a&q=b").await;
    assert_eq!(r.status(), 400);
    assert!(r.text().await.unwrap().contains("参数“q”出现了不止一次"));
    let (status, body) = app.get_json("/api/regions/search?q=a&q=b").await;
    assert_eq!(status, 400);
    assert!(
        body["error"]
            .as_str()
            .unwrap()
            .contains("`q` is given more than once"),
        "{body}"
    );
}

#[tokio::test]
async fn the_large_text_switch_is_remembered_in_a_cookie_and_returns_to_the_page() {
    let app = spawn_app().await;
    let client = reqwest::Client::builder()
        .cookie_store(true)
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let village = format!("/v/{WANGGANG}");
    let page = client.get(app.url(&village)).send().await.unwrap();
    let vary = page.headers()["vary"].to_str().unwrap();
    assert!(vary.contains("Cookie"), "a cache keeps both sizes: {vary}");
    let html = page.text().await.unwrap();
    assert!(html.contains(">长辈模式</a>") && !html.contains(r#"class="large""#));
    let switch = format!("/text-size?large=1&back=%2Fv%2F{WANGGANG}");
    assert!(
        html.contains(&switch.replace('&', "&#38;")),
        "the switch links back here"
    );

    let on = client.get(app.url(&switch)).send().await.unwrap();
    assert_eq!(on.status().as_u16(), 303);
    assert_eq!(on.headers()["location"], village.as_str());
    let cookie = on.headers()["set-cookie"].to_str().unwrap().to_owned();
    assert!(
        cookie.starts_with("sv_large=1") && cookie.contains("Max-Age="),
        "{cookie}"
    );
    let html = client
        .get(app.url(&village))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(html.contains(r#"<body data-weui-theme="light" data-weui-mode="care" class="large">"#));
    assert!(html.contains(">标准字号</a>"));
    // Every page, not just the one switched on.
    let power = client
        .get(app.url("/power"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(power.contains(r#"class="large""#));

    let off = client
        .get(app.url(&format!("/text-size?large=0&back=%2Fv%2F{WANGGANG}")))
        .send()
        .await
        .unwrap();
    assert_eq!(off.status().as_u16(), 303);
    let html = client
        .get(app.url(&village))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(!html.contains(r#"class="large""#));

    // Only a path on this site is returned to.
    let away = client
        .get(app.url("/text-size?large=1&back=%2F%2Fevil.cn%2F"))
        .send()
        .await
        .unwrap();
    assert_eq!(away.headers()["location"], "/");
}

#[tokio::test]
async fn a_csv_attachment_is_shown_as_a_table_and_a_pdf_opens_inline() {
    let app = spawn_app().await;
    let csv = NewAttachment::parse(
        "收支明细.csv",
        "text/csv",
        "\u{feff}日期,事项,金额\n2026-07-01,鱼塘承包费,\"12,000.00\"\n2026-07-15,<b>修路</b>,800.00".into(),
    )
    .unwrap();
    let pdf =
        NewAttachment::parse("合同.pdf", "application/pdf", b"%PDF-1.4\n%%EOF\n".to_vec()).unwrap();
    let new = NewDisclosure::new(
        RegionCode::parse(WANGGANG).unwrap(),
        Module::Assets,
        content("第三季度收支公开", "见附件。", None),
        vec![csv, pdf],
    )
    .unwrap();
    let id = disclosures::publish(&app.pool, &new, Utc::now(), false)
        .await
        .unwrap();
    let html = ok_page(&app, &format!("/d/{id}")).await;
    assert!(html.contains(
        "<thead><tr><th scope=\"col\">日期</th><th scope=\"col\">事项</th><th scope=\"col\">金额</th></tr></thead>"
    ), "{html}");
    assert!(html.contains("<td>2026-07-01</td><td>鱼塘承包费</td><td>12,000.00</td>"));
    assert!(
        html.contains("&#60;b&#62;修路&#60;/b&#62;") || html.contains("&lt;b&gt;修路"),
        "escaped"
    );
    assert!(
        html.contains(">收支明细.csv</a>"),
        "the file stays downloadable"
    );
    let href_at = html.find(">合同.pdf</a>").unwrap();
    let href = &html[..href_at];
    let href = &href[href.rfind("href=\"").unwrap() + 6..href.len() - 1];
    let file = app.get(href).await;
    assert_eq!(file.status().as_u16(), 200);
    assert_eq!(
        file.headers()[CONTENT_TYPE].to_str().unwrap(),
        "application/pdf"
    );
    assert!(
        file.headers()["content-disposition"]
            .to_str()
            .unwrap()
            .starts_with("inline"),
        "WeChat opens it in its viewer"
    );
}
