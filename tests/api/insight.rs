//! The supervision dashboard against a known fixture: complaints in two townships of
//! 平桥区 with known times, statuses and texts, classified by the built-in model, and
//! followers with known follows. A township's inspector sees exactly its figures and
//! nothing of the other township; the county's inspector sees both; every table is a
//! CSV with a BOM; the three reports of one road form a group linked from each.

use std::collections::BTreeMap;

use chrono::{DateTime, Duration, FixedOffset, Utc};
use sunvillage::auth::staff_session::SessionKind;
use sunvillage::domain::complaint::{Complainant, NewComplaint};
use sunvillage::domain::staff::Role;
use sunvillage::domain::{OpenId, VillageCode};
use sunvillage::services::{classification, complaints};
use sunvillage::storage::{accounts, inbound_messages};

use crate::support::staff::{account, accounts_service};
use crate::support::wait::TableWatch;
use crate::support::wechat::{event, text};
use crate::support::{TestApp, spawn_app};

const WANGGANG: &str = "411503209202";
const WANGLOU: &str = "411503209201";
const ZHANGZHUANG: &str = "411503203205";

struct Filed {
    tracking: String,
    village: &'static str,
    received: DateTime<Utc>,
    topic: &'static str,
}

/// Files a complaint through the service, then moves it in time and state (straight in
/// storage: the fixture, not what is tested).
#[allow(clippy::too_many_arguments)]
async fn file(
    app: &TestApp,
    n: u32,
    village: &'static str,
    text: &str,
    topic: &'static str,
    received: DateTime<Utc>,
    status: &str,
    accepted_after_days: Option<i64>,
    concluded_after_days: Option<i64>,
    due: Option<DateTime<Utc>>,
) -> Filed {
    let templates = sunvillage::wechat::api::template::Templates::from_settings(&app.settings);
    let done = complaints::submit(
        &app.pool,
        &app.vault,
        &templates,
        "XY",
        &OpenId::parse(&format!("oInsightFollower00000000{n:04}")).unwrap(),
        uuid::Uuid::new_v4(),
        &NewComplaint {
            village: VillageCode::parse(village).unwrap(),
            category: "other".into(),
            content: text.into(),
            complainant: Complainant::Anonymous,
            photos: Vec::new(),
            about: None,
        },
        Utc::now(),
    )
    .await
    .unwrap();
    let accepted = accepted_after_days.map(|d| received + Duration::days(d));
    let concluded = concluded_after_days.and_then(|d| accepted.map(|a| a + Duration::days(d)));
    sqlx::query(
        "UPDATE complaints SET received_at = $2, status = $3, accepted_at = $4,
                concluded_at = $5, current_due = $6
         WHERE complaint_id = $1",
    )
    .bind(done.complaint_id)
    .bind(received)
    .bind(status)
    .bind(accepted)
    .bind(concluded)
    .bind(due)
    .execute(&app.pool)
    .await
    .unwrap();
    Filed {
        tracking: done.tracking_number.to_string(),
        village,
        received,
        topic,
    }
}

async fn fixture(app: &TestApp, now: DateTime<Utc>) -> Vec<Filed> {
    let day = |d: i64| now - Duration::days(d);
    let road = [
        "王岗村到乡里的路烂了 一下雨全是泥坑 车都过不去",
        "王岗村到乡里那条路坑太多了 下雨泥坑没法走",
        "俺村到乡里的路全是坑 一下雨就是泥 娃上学都过不去",
    ];
    let mut filed = vec![
        file(
            app,
            1,
            WANGGANG,
            road[0],
            "交通",
            day(10),
            "concluded",
            Some(2),
            Some(5),
            None,
        )
        .await,
        file(
            app,
            2,
            WANGGANG,
            road[1],
            "交通",
            day(8),
            "accepted",
            Some(4),
            None,
            Some(now + Duration::days(50)),
        )
        .await,
        file(
            app,
            3,
            WANGGANG,
            road[2],
            "交通",
            day(2),
            "pending",
            None,
            None,
            Some(now + Duration::days(13)),
        )
        .await,
        file(
            app,
            4,
            WANGGANG,
            "村里的自来水停了三天了 吃水都成问题 打电话也没人管",
            "饮水",
            day(20),
            "pending",
            None,
            None,
            Some(day(5)),
        )
        .await,
        file(
            app,
            5,
            WANGLOU,
            "俺家的低保被取消了 也不说为啥 俺娘瘫在床上",
            "社保",
            day(1),
            "pending",
            None,
            None,
            Some(now + Duration::days(14)),
        )
        .await,
    ];
    // The other township: visible to the county only.
    for (n, d, due) in [(6, 3, Some(day(1))), (7, 2, Some(now + Duration::days(13)))] {
        filed.push(
            file(
                app,
                n,
                ZHANGZHUANG,
                "张庄村到乡里的路烂了 一下雨全是泥坑 车都过不去",
                "交通",
                day(d),
                "pending",
                None,
                None,
                due,
            )
            .await,
        );
    }
    // Followers of 王岗村: one since 40 days, one who came 5 days ago and left yesterday.
    for (openid, sub, unsub) in [
        ("oInsightFan000000000000001", day(40), None),
        ("oInsightFan000000000000002", day(5), Some(day(1))),
    ] {
        sqlx::query(
            "INSERT INTO followers (openid, subscribed, village_code, subscribed_at,
                                    unsubscribed_at, first_seen_at, last_seen_at)
             VALUES ($1, $2, $3, $4, $5, $4, $4)",
        )
        .bind(openid)
        .bind(unsub.is_none())
        .bind(WANGGANG)
        .bind(sub)
        .bind(unsub)
        .execute(&app.pool)
        .await
        .unwrap();
    }
    let report = classification::classify_pending(&app.pool, |_| {})
        .await
        .unwrap();
    assert_eq!(report.classified, 7);
    // Running again finds nothing to do: it resumes, it does not redo.
    assert_eq!(
        classification::classify_pending(&app.pool, |_| {})
            .await
            .unwrap()
            .classified,
        0
    );
    filed
}

/// A page session's cookie for a new account of `role` over `region`.
async fn cookie(app: &TestApp, role: Role, region: &str) -> String {
    session(app, role, region).await.0
}

/// A page session's cookie and CSRF token.
pub async fn session(app: &TestApp, role: Role, region: &str) -> (String, String) {
    let (id, _) = account(app, role.label(), role, region, None).await;
    let service = accounts_service(app);
    let epoch = accounts::find(&app.pool, id)
        .await
        .unwrap()
        .unwrap()
        .session_epoch;
    let (token, page) = service
        .sessions
        .create(id, epoch, SessionKind::Page)
        .await
        .unwrap();
    let c = service.sessions.cookie(&token);
    (format!("{}={}", c.name(), c.value()), page.csrf)
}

async fn post(
    app: &TestApp,
    cookie: &str,
    path: &str,
    form: &[(&str, &str)],
) -> (u16, String, String) {
    let r = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
        .post(app.url(path))
        .header("cookie", cookie)
        .form(form)
        .send()
        .await
        .unwrap();
    let status = r.status().as_u16();
    let to = r
        .headers()
        .get("location")
        .map(|v| v.to_str().unwrap().to_owned())
        .unwrap_or_default();
    (status, to, r.text().await.unwrap())
}

async fn get(app: &TestApp, cookie: &str, path: &str) -> (u16, String, Vec<u8>) {
    let r = reqwest::Client::new()
        .get(app.url(path))
        .header("cookie", cookie)
        .send()
        .await
        .unwrap();
    let status = r.status().as_u16();
    let kind = r
        .headers()
        .get("content-type")
        .map(|v| v.to_str().unwrap().to_owned())
        .unwrap_or_default();
    (status, kind, r.bytes().await.unwrap().to_vec())
}

/// A table's CSV as rows (header first), checking the BOM and the type.
async fn csv(app: &TestApp, cookie: &str, table: &str) -> Vec<Vec<String>> {
    let (status, kind, body) = get(app, cookie, &format!("/staff/insight/{table}.csv")).await;
    assert_eq!(status, 200, "{}", String::from_utf8_lossy(&body));
    assert_eq!(kind, "text/csv; charset=utf-8");
    let body = body
        .strip_prefix(b"\xEF\xBB\xBF")
        .expect("a byte-order mark");
    csv::ReaderBuilder::new()
        .has_headers(false)
        .from_reader(body)
        .records()
        .map(|r| r.unwrap().iter().map(str::to_owned).collect())
        .collect()
}

fn month(t: DateTime<Utc>) -> String {
    t.with_timezone(&FixedOffset::east_opt(8 * 3600).unwrap())
        .format("%Y-%m")
        .to_string()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_townships_inspector_sees_exactly_its_figures_and_each_table_exports() {
    let app = spawn_app().await;
    let now = Utc::now();
    let filed = fixture(&app, now).await;
    let township = cookie(&app, Role::Inspector, "411503209").await;

    // Topic × village × month: exactly the fixture's, as classified.
    let mut want: BTreeMap<(String, String, String), u32> = BTreeMap::new();
    for f in filed.iter().filter(|f| f.village.starts_with("411503209")) {
        *want
            .entry((f.village.to_owned(), month(f.received), f.topic.to_owned()))
            .or_default() += 1;
    }
    let topics = csv(&app, &township, "topics").await;
    assert_eq!(
        topics[0],
        ["地区代码", "地区", "月份", "类别", "投诉", "留言"]
    );
    let got: BTreeMap<(String, String, String), u32> = topics[1..]
        .iter()
        .map(|r| {
            assert_eq!(r[5], "0");
            (
                (r[0].clone(), r[2].clone(), r[3].clone()),
                r[4].parse().unwrap(),
            )
        })
        .collect();
    assert_eq!(got, want);

    let villages = csv(&app, &township, "villages").await;
    assert_eq!(
        villages[1..],
        [
            vec![
                WANGGANG.to_owned(),
                "王岗村".into(),
                "王岗乡".into(),
                "4".into()
            ],
            vec![
                WANGLOU.to_owned(),
                "王楼村".into(),
                "王岗乡".into(),
                "1".into()
            ],
        ]
    );

    // Overdue first.
    let status = csv(&app, &township, "status").await;
    assert_eq!(
        status[1..],
        [
            ["待受理", "3", "1"].map(String::from).to_vec(),
            ["已受理", "1", "0"].map(String::from).to_vec(),
            ["已办结", "1", "0"].map(String::from).to_vec(),
        ]
    );
    let overdue = csv(&app, &township, "overdue").await;
    assert_eq!(overdue.len(), 2);
    assert_eq!(overdue[1][0], filed[3].tracking);
    assert_eq!(overdue[1][4], "5");

    // Accepted after 2 and 4 days: 3.0 on average; concluded 5 days after acceptance.
    let timeliness = csv(&app, &township, "timeliness").await;
    assert_eq!(timeliness[0][3], "平均受理用时（天，时限15）");
    assert_eq!(timeliness[0][5], "平均办结用时（天，时限60）");
    assert_eq!(
        timeliness[1..],
        [["411503209", "王岗乡", "2", "3.0", "1", "5.0"]
            .map(String::from)
            .to_vec()]
    );

    let followers = csv(&app, &township, "followers").await;
    assert_eq!(followers.len(), 13);
    let sum = |col: usize| -> i64 {
        followers[1..]
            .iter()
            .map(|r| r[col].parse::<i64>().unwrap())
            .sum()
    };
    assert_eq!((sum(1), sum(2)), (2, 1));
    assert_eq!(followers[12][0], month(now));
    assert_eq!(followers[12][3], "1");

    // 15 villages in 王岗乡, none of which published anything.
    let disclosures = csv(&app, &township, "disclosures").await;
    assert_eq!(disclosures.len(), 16);
    assert!(
        disclosures[1..]
            .iter()
            .all(|r| r[0].starts_with("411503209") && r[3] == "0")
    );
    // So each is behind the calendar on every module that has one (finance monthly, the
    // rest quarterly), and not on those published as matters arise.
    use sunvillage::domain::Module;
    assert_eq!(disclosures[0][4], "未按时公开的栏目");
    for row in &disclosures[1..] {
        let behind: Vec<&str> = row[4].split('、').collect();
        assert!(behind.contains(&Module::Assets.name()), "{row:?}");
        assert!(!behind.contains(&Module::Projects.name()), "{row:?}");
        assert!(!behind.contains(&Module::Complaints.name()), "{row:?}");
    }

    // The three reports of one road are one group; the other township's are not shown.
    let clusters = csv(&app, &township, "clusters").await;
    let road: Vec<&str> = filed[..3].iter().map(|f| f.tracking.as_str()).collect();
    assert_eq!(clusters.len(), 2, "{clusters:?}");
    assert_eq!(clusters[1][..4], ["王岗村", "交通", "3", "0"]);
    assert_eq!(clusters[1][6], road.join(" "));

    for table in ["topics", "villages", "overdue", "clusters", "disclosures"] {
        let rows = csv(&app, &township, table).await;
        assert!(
            !rows
                .iter()
                .flatten()
                .any(|c| c.contains("411503203") || c.contains("张庄")),
            "{table} shows the other township"
        );
    }

    // The page: its charts, its group, and a table that is not there.
    let (status, _, page) = get(&app, &township, "/staff/insight").await;
    let page = String::from_utf8(page).unwrap();
    assert_eq!(status, 200, "{page}");
    assert!(page.contains("<svg class=\"chart\""), "{page}");
    assert!(page.contains("3件关于交通的投诉（王岗村，"), "{page}");
    assert!(!page.contains("张庄村"));
    let (status, _, _) = get(&app, &township, "/staff/insight/users.csv").await;
    assert_eq!(status, 404);
    let (status, _, _) = get(&app, &township, "/staff/insight?region=411503203").await;
    assert_eq!(status, 403);

    // Each complaint of the group links the others.
    let (status, _, page) = get(&app, &township, &format!("/staff/complaints/{}", road[1])).await;
    let page = String::from_utf8(page).unwrap();
    assert_eq!(status, 200, "{page}");
    assert!(page.contains("同一件事"), "{page}");
    for t in &road {
        assert!(
            page.contains(&format!("/staff/complaints/{t}")),
            "{t} not linked"
        );
    }
    assert!(page.contains("问题类别（自动分类）：交通"), "{page}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn followers_messages_about_the_road_join_its_complaints_and_a_placeless_one_does_not() {
    let app = spawn_app().await;
    let now = Utc::now();
    let filed = fixture(&app, now).await;
    // Two followers of 王岗村 (by its QR code) write about the road; a third, who chose
    // no village, writes the same words, and cannot be placed.
    let mut written = TableWatch::start(&app.pool, "inbound_messages").await;
    for (fan, scene) in [
        ("oInsightRoadFan01", Some(format!("qrscene_{WANGGANG}"))),
        ("oInsightRoadFan02", Some(format!("qrscene_{WANGGANG}"))),
        ("oInsightNowhere01", None),
    ] {
        app.wechat(&event(fan, "subscribe", scene.as_deref())).await;
    }
    for (fan, words) in [
        (
            "oInsightRoadFan01",
            "王岗村到乡里的路咋还是全是坑 下雨泥坑没法走",
        ),
        ("oInsightRoadFan02", "俺村到乡里那条路烂了 一下雨全是泥坑"),
        (
            "oInsightNowhere01",
            "王岗村到乡里那条路坑太多了 下雨泥坑没法走",
        ),
    ] {
        app.wechat(&text(fan, words)).await;
    }
    written
        .until("the three messages are written", async || {
            inbound_messages::count(&app.pool).await.unwrap() >= 3
        })
        .await;
    let report = classification::classify_pending(&app.pool, |_| {})
        .await
        .unwrap();
    assert_eq!(report.classified, 3);

    let township = cookie(&app, Role::Inspector, "411503209").await;
    // The topic table counts the two placed messages where their writers' village is.
    let topics = csv(&app, &township, "topics").await;
    assert_eq!(topics[0][5], "留言");
    let messages = |keep: &dyn Fn(&[String]) -> bool| -> i64 {
        topics[1..]
            .iter()
            .filter(|r| keep(r))
            .map(|r| r[5].parse::<i64>().unwrap())
            .sum()
    };
    assert_eq!(messages(&|_| true), 2, "{topics:?}");
    assert_eq!(messages(&|r| r[0] == WANGGANG && r[3] == "交通"), 2);

    let clusters = csv(&app, &township, "clusters").await;
    let road: Vec<&str> = filed[..3].iter().map(|f| f.tracking.as_str()).collect();
    assert_eq!(clusters[0][3], "留言", "{clusters:?}");
    let group = clusters
        .iter()
        .find(|r| r[1] == "交通")
        .expect("the road's group");
    assert_eq!(group[..4], ["王岗村", "交通", "3", "2"], "{clusters:?}");
    assert_eq!(group[6], road.join(" "));
    let (status, _, page) = get(&app, &township, "/staff/insight").await;
    let page = String::from_utf8(page).unwrap();
    assert_eq!(status, 200, "{page}");
    assert!(
        page.contains("关于交通的3件投诉、2条留言（王岗村，"),
        "{page}"
    );
    // Counted, never shown: no message's words reach the page.
    assert!(!page.contains("咋还是全是坑"), "{page}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_countys_auditor_sees_both_townships_by_township() {
    let app = spawn_app().await;
    let now = Utc::now();
    let filed = fixture(&app, now).await;
    let county = cookie(&app, Role::Auditor, "411503").await;
    let topics = csv(&app, &county, "topics").await;
    let areas: std::collections::BTreeSet<&str> =
        topics[1..].iter().map(|r| r[0].as_str()).collect();
    assert_eq!(areas, ["411503203", "411503209"].into_iter().collect());
    let status = csv(&app, &county, "status").await;
    assert_eq!(status[1], ["待受理", "5", "2"].map(String::from).to_vec());
    let clusters = csv(&app, &county, "clusters").await;
    assert_eq!(clusters.len(), 3, "{clusters:?}");
    assert_eq!(clusters[2][..4], ["张庄村", "交通", "2", "0"]);
    assert_eq!(
        clusters[2][6],
        format!("{} {}", filed[5].tracking, filed[6].tracking)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_recommendation_goes_from_draft_to_result_and_shows_on_the_dashboard() {
    let app = spawn_app().await;
    let now = Utc::now();
    fixture(&app, now).await;
    let (cookie, csrf) = session(&app, Role::Inspector, "411503209").await;
    let from = (now - Duration::days(60)).format("%Y-%m-%d").to_string();
    let to = (now + Duration::days(1)).format("%Y-%m-%d").to_string();

    let draft = format!(
        "/staff/recommendations/new?topic=%E4%BA%A4%E9%80%9A&region=411503209&from={from}&to={to}"
    );
    let (status, _, page) = get(&app, &cookie, &draft).await;
    let page = String::from_utf8(page).unwrap();
    assert_eq!(status, 200, "{page}");
    assert!(
        page.contains("王岗乡交通领域群众反映问题的监察建议书"),
        "{page}"
    );
    assert!(
        page.contains("交通方面问题的投诉 <strong>3</strong> 件"),
        "{page}"
    );
    assert!(page.contains("涉及 1 个村"), "{page}");
    assert!(page.contains("王岗村群众反映"), "{page}");
    assert!(!page.contains("张庄村"));
    assert!(page.contains("class=\"letter__blank\""));

    let mut form = vec![
        ("csrf", csrf.as_str()),
        ("topic", "交通"),
        ("region", "411503209"),
        ("from", from.as_str()),
        ("to", to.as_str()),
        ("title", "关于王岗乡道路问题的监察建议"),
        ("department", "平桥区交通运输局"),
        ("sent_on", "2026-12-02"),
        ("rectify_by", "2026-12-01"),
    ];
    // A deadline before sending: refused, named, nothing stored.
    let (status, _, page) = post(&app, &cookie, "/staff/recommendations", &form).await;
    assert_eq!(status, 422, "{page}");
    assert!(page.contains("整改期限不能早于送达日期。"), "{page}");
    let stored: i64 = sqlx::query_scalar("SELECT count(*) FROM recommendations")
        .fetch_one(&app.pool)
        .await
        .unwrap();
    assert_eq!(stored, 0);
    // Without the CSRF token: refused.
    let (status, _, _) = post(&app, &cookie, "/staff/recommendations", &form[1..]).await;
    assert_ne!(status, 303);

    form[8] = ("rectify_by", "2027-01-31");
    let (status, to_page, page) = post(&app, &cookie, "/staff/recommendations", &form).await;
    assert_eq!(status, 303, "{page}");
    assert!(to_page.starts_with("/staff/recommendations/"), "{to_page}");

    let (status, _, _) = post(
        &app,
        &cookie,
        &format!("{to_page}/milestones"),
        &[
            ("csrf", &csrf),
            ("happened_on", "2026-12-20"),
            ("note", "已收到整改方案"),
        ],
    )
    .await;
    assert_eq!(status, 303);
    let (status, _, page) = post(
        &app,
        &cookie,
        &format!("{to_page}/milestones"),
        &[("csrf", &csrf), ("happened_on", "12月20日"), ("note", "")],
    )
    .await;
    assert_eq!(status, 422);
    assert!(
        page.contains("日期应形如 2026-12-01。") && page.contains("请填写进展。"),
        "{page}"
    );
    let (status, _, _) = post(
        &app,
        &cookie,
        &format!("{to_page}/result"),
        &[("csrf", &csrf), ("result", "道路已全部修复，验收合格")],
    )
    .await;
    assert_eq!(status, 303);
    let (status, _, page) = get(&app, &cookie, &to_page).await;
    let page = String::from_utf8(page).unwrap();
    assert_eq!(status, 200);
    assert!(
        page.contains("已收到整改方案")
            && page.contains("道路已全部修复")
            && page.contains("已有结果")
    );
    // Closed: no more changes.
    let (status, _, _) = post(
        &app,
        &cookie,
        &format!("{to_page}/milestones"),
        &[
            ("csrf", &csrf),
            ("happened_on", "2026-12-21"),
            ("note", "又一次"),
        ],
    )
    .await;
    assert_eq!(status, 400);

    let audited: Vec<String> = sqlx::query_scalar(
        "SELECT action FROM audit_log WHERE action LIKE 'recommendation.%' ORDER BY audit_id",
    )
    .fetch_all(&app.pool)
    .await
    .unwrap();
    assert_eq!(
        audited,
        [
            "recommendation.sent",
            "recommendation.milestone",
            "recommendation.closed"
        ]
    );

    let rows = csv(&app, &cookie, "recommendations").await;
    assert_eq!(
        rows[1],
        [
            "关于王岗乡道路问题的监察建议",
            "王岗乡",
            "交通",
            "平桥区交通运输局",
            "2027-01-31",
            "已有结果"
        ]
        .map(String::from)
        .to_vec()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_public_statistics_count_live_and_leave_samples_out() {
    let app = spawn_app().await;
    fixture(&app, Utc::now()).await;
    sunvillage::demo_data::load(
        &crate::support::staff::accounts_service(&app),
        sunvillage::demo_data::DEMO_TOML,
    )
    .await
    .unwrap();
    sqlx::query("UPDATE disclosures SET views = 40 WHERE is_sample")
        .execute(&app.pool)
        .await
        .unwrap();
    let r = reqwest::get(app.url("/stats")).await.unwrap();
    assert_eq!(r.status().as_u16(), 200);
    let page = r.text().await.unwrap();
    let figure = |label: &str| -> String {
        let marker = format!("<span class=\"figure__label\">{label}</span>");
        let before = page.get(..page.find(&marker).unwrap()).unwrap();
        let open = "figure__value\">";
        let start = before.rfind(open).unwrap() + open.len();
        before
            .get(start..)
            .unwrap()
            .trim_end_matches("</span>")
            .to_owned()
    };
    assert_eq!(figure("收到投诉"), "7");
    assert_eq!(figure("办结投诉"), "1");
    assert_eq!(figure("公开事项"), "0");
    assert_eq!(figure("公开页面浏览"), "0");
    assert_eq!(figure("关注群众"), "1");
}

/// The dashboard and a 监察建议书 draft in headless Chromium at a desk (1280) and on a
/// phone (375), saved to target/screenshots/insight-*.png; no page scrolls sideways.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_dashboard_and_a_draft_render_at_desk_and_phone_widths() {
    use crate::browser::{open_desktop, open_phone, screenshot, start_driver};
    let app = spawn_app().await;
    let now = Utc::now();
    fixture(&app, now).await;
    let (cookie, _) = session(&app, Role::Inspector, "411503").await;
    let (name, value) = cookie.split_once('=').unwrap();
    let from = (now - Duration::days(60)).format("%Y-%m-%d").to_string();
    let to = now.format("%Y-%m-%d").to_string();
    let draft = format!(
        "/staff/recommendations/new?topic=%E4%BA%A4%E9%80%9A&region=411503&from={from}&to={to}"
    );
    let driver = start_driver().await;
    for (width, label) in [(1280, "desktop"), (375, "phone")] {
        let profile = tempfile::tempdir().unwrap();
        let c = if width == 1280 {
            open_desktop(&driver, profile.path()).await
        } else {
            open_phone(&driver, profile.path(), 375, 740).await
        };
        c.goto(&app.url("/staff/login")).await.unwrap();
        // Set by script on a page of the origin: WebDriver's add-cookie refuses an IP host.
        c.execute(
            "document.cookie = arguments[0]",
            vec![serde_json::Value::String(format!(
                "{name}={value}; path=/staff"
            ))],
        )
        .await
        .unwrap();
        for (path, shot) in [("/staff/insight", "dashboard"), (draft.as_str(), "draft")] {
            c.goto(&app.url(path)).await.unwrap();
            let overflow = c
                .execute(
                    "return document.documentElement.scrollWidth > window.innerWidth + 1",
                    vec![],
                )
                .await
                .unwrap();
            let h1 = c
                .execute("return document.querySelector('h1').textContent", vec![])
                .await
                .unwrap();
            assert!(
                h1.as_str()
                    .is_some_and(|t| t.contains("监督分析") || t.contains("监察建议书")),
                "{path}: {h1}"
            );
            screenshot(&c, &format!("insight-{shot}-{label}")).await;
            assert_eq!(
                overflow,
                serde_json::Value::Bool(false),
                "{path} scrolls sideways at {width}"
            );
        }
        c.close().await.unwrap();
    }
}
