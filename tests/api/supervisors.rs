//! The supervisor directory kept by a township's reviewer: an entry added shows on the
//! village page at once and in the audit log; a bad phone, a missing name, a body at
//! the wrong level or a village of another township is refused beside its field with
//! nothing saved; an entry is removed (audited), and one outside the township is not
//! found.

use sunvillage::domain::staff::Role;

use crate::support::spawn_app;
use crate::support::staff::StaffBrowser;

const VILLAGE: &str = "411503209202";
const TOWNSHIP: &str = "411503209";
const OTHER_VILLAGE: &str = "411502001001";

async fn count(app: &crate::support::TestApp) -> i64 {
    sqlx::query_scalar("SELECT count(*) FROM supervisors")
        .fetch_one(&app.pool)
        .await
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_reviewer_keeps_the_directory_of_their_township() {
    let app = spawn_app().await;
    let mut reviewer = StaffBrowser::new(&app);
    reviewer
        .signed_in_as("李审核", Role::Reviewer, TOWNSHIP, None)
        .await;
    let (status, _, page) = reviewer.get("/staff/supervisors").await;
    assert_eq!(status, 200, "{page}");
    assert!(page.contains("王岗村（411503209202）"), "{page}");
    assert!(!page.contains(OTHER_VILLAGE), "{page}");

    let good = [
        ("region", VILLAGE),
        ("body", "committee"),
        ("name", "王秀英"),
        ("role", "主任"),
        ("phone", "0376-6221234"),
    ];
    for (field, value, message) in [
        ("phone", "12ab", "电话号码为3到20位数字"),
        ("name", "  ", "请填写姓名"),
        ("role", "", "请填写职务"),
        ("region", OTHER_VILLAGE, "请从列表中选择"),
        ("body", "office", "乡镇监察办公室只能登记在乡镇"),
        ("body", "mayor", "请从列表中选择"),
    ] {
        let form: Vec<(&str, &str)> = good
            .iter()
            .map(|(k, v)| (*k, if *k == field { value } else { *v }))
            .collect();
        let (status, _, page) = reviewer.post("/staff/supervisors", &form).await;
        assert_eq!(status, 422, "{field}: {page}");
        assert!(page.contains(message), "{field}: {page}");
        assert_eq!(count(&app).await, 0, "{field}: nothing saved");
    }
    // A forged token changes nothing.
    let r = app
        .client
        .post(app.url("/staff/supervisors"))
        .form(&good)
        .send()
        .await
        .unwrap();
    assert!(r.status().is_redirection() || r.status() == 403);
    assert_eq!(count(&app).await, 0);

    let (status, to, _) = reviewer.post("/staff/supervisors", &good).await;
    assert_eq!(
        (status, to.as_str()),
        (303, "/staff/supervisors?done=added")
    );
    let (_, _, page) = reviewer.get(&to).await;
    assert!(page.contains("已添加"), "{page}");
    assert!(page.contains("王秀英"), "{page}");
    let village = app
        .client
        .get(app.url(&format!("/v/{VILLAGE}")))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(village.contains("王秀英"), "{village}");
    assert!(village.contains("tel:03766221234"), "{village}");
    let audited: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM audit_log WHERE action = 'supervisor.added' AND after->>'name' = '王秀英'",
    )
    .fetch_one(&app.pool)
    .await
    .unwrap();
    assert_eq!(audited, 1);

    // The township's own office.
    let office = [
        ("region", TOWNSHIP),
        ("body", "office"),
        ("name", "陈主任"),
        ("role", "主任"),
        ("phone", ""),
    ];
    let (status, _, _) = reviewer.post("/staff/supervisors", &office).await;
    assert_eq!(status, 303);

    let id: i64 = sqlx::query_scalar("SELECT id FROM supervisors WHERE name = '王秀英'")
        .fetch_one(&app.pool)
        .await
        .unwrap();
    let (status, to, _) = reviewer
        .post(&format!("/staff/supervisors/{id}/remove"), &[])
        .await;
    assert_eq!(
        (status, to.as_str()),
        (303, "/staff/supervisors?done=removed")
    );
    assert_eq!(count(&app).await, 1);
    let audited: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM audit_log WHERE action = 'supervisor.removed' AND before->>'name' = '王秀英'",
    )
    .fetch_one(&app.pool)
    .await
    .unwrap();
    assert_eq!(audited, 1);

    // Another township's reviewer neither sees nor removes it.
    let mut stranger = StaffBrowser::new(&app);
    stranger
        .signed_in_as("外乡审核", Role::Reviewer, "411502001", None)
        .await;
    let (_, _, page) = stranger.get("/staff/supervisors").await;
    assert!(!page.contains("陈主任"), "{page}");
    let office_id: i64 = sqlx::query_scalar("SELECT id FROM supervisors WHERE name = '陈主任'")
        .fetch_one(&app.pool)
        .await
        .unwrap();
    let (status, _, _) = stranger
        .post(&format!("/staff/supervisors/{office_id}/remove"), &[])
        .await;
    assert_eq!(status, 404);
    assert_eq!(count(&app).await, 1);
}

async fn entry(app: &crate::support::TestApp, id: i64) -> (String, String, String, Option<String>) {
    sqlx::query_as("SELECT body, name, role, phone FROM supervisors WHERE id = $1")
        .bind(id)
        .fetch_one(&app.pool)
        .await
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_reviewer_edits_an_entry_in_place_and_the_audit_log_holds_before_and_after() {
    let app = spawn_app().await;
    let mut reviewer = StaffBrowser::new(&app);
    reviewer
        .signed_in_as("李审核", Role::Reviewer, TOWNSHIP, None)
        .await;
    let added = [
        ("region", VILLAGE),
        ("body", "committee"),
        ("name", "王秀英"),
        ("role", "委员"),
        ("phone", "0376-6221234"),
    ];
    reviewer.get("/staff/supervisors").await;
    let (status, _, _) = reviewer.post("/staff/supervisors", &added).await;
    assert_eq!(status, 303);
    let id: i64 = sqlx::query_scalar("SELECT id FROM supervisors WHERE name = '王秀英'")
        .fetch_one(&app.pool)
        .await
        .unwrap();
    let before = entry(&app, id).await;

    // The list links to the edit form, which comes prefilled.
    let (_, _, page) = reviewer.get("/staff/supervisors").await;
    let link = format!("/staff/supervisors?edit={id}#edit");
    assert!(page.contains(&link), "{page}");
    let (status, _, page) = reviewer.get(&format!("/staff/supervisors?edit={id}")).await;
    assert_eq!(status, 200, "{page}");
    assert!(
        page.contains(&format!("action=\"/staff/supervisors/{id}/edit\"")),
        "{page}"
    );
    assert!(
        page.contains("value=\"王秀英\"") && page.contains("value=\"0376-6221234\""),
        "{page}"
    );
    let (_, select) = page.split_once("id=\"edit-body\"").unwrap();
    let (select, _) = select.split_once("</select>").unwrap();
    assert!(
        select.contains("村务监督委员会") && !select.contains("乡镇监察办公室"),
        "a village's entry stays a village body: {select}"
    );

    let edit = format!("/staff/supervisors/{id}/edit");
    let good = [
        ("body", "committee"),
        ("name", "王秀兰"),
        ("role", "主任"),
        ("phone", "13812345678"),
    ];
    for (field, value, message) in [
        ("phone", "12ab", "电话号码为3到20位数字"),
        ("name", " ", "请填写姓名"),
        ("role", "", "请填写职务"),
        ("body", "office", "乡镇监察办公室只能登记在乡镇"),
        ("body", "mayor", "请从列表中选择所属机构"),
    ] {
        let form: Vec<(&str, &str)> = good
            .iter()
            .map(|(k, v)| (*k, if *k == field { value } else { *v }))
            .collect();
        let (status, _, page) = reviewer.post(&edit, &form).await;
        assert_eq!(status, 422, "{field}: {page}");
        assert!(page.contains(message), "{field}: {page}");
        assert!(
            page.contains("value=\"王秀兰\"") || field == "name",
            "typed values kept: {page}"
        );
        assert_eq!(entry(&app, id).await, before, "{field}: nothing changed");
    }
    let edits: i64 =
        sqlx::query_scalar("SELECT count(*) FROM audit_log WHERE action = 'supervisor.edited'")
            .fetch_one(&app.pool)
            .await
            .unwrap();
    assert_eq!(edits, 0, "a refused edit leaves no audit line");

    let (status, to, _) = reviewer.post(&edit, &good).await;
    assert_eq!(
        (status, to.as_str()),
        (303, "/staff/supervisors?done=edited")
    );
    assert_eq!(
        entry(&app, id).await,
        (
            "committee".into(),
            "王秀兰".into(),
            "主任".into(),
            Some("13812345678".into())
        )
    );
    let village = app
        .client
        .get(app.url(&format!("/v/{VILLAGE}")))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        village.contains("王秀兰") && !village.contains("王秀英"),
        "{village}"
    );
    let (before, after): (serde_json::Value, serde_json::Value) = sqlx::query_as(
        "SELECT before, after FROM audit_log WHERE action = 'supervisor.edited' AND object_id = $1",
    )
    .bind(id.to_string())
    .fetch_one(&app.pool)
    .await
    .unwrap();
    assert_eq!(before["name"], "王秀英");
    assert_eq!(before["role"], "委员");
    assert_eq!(before["phone"], "0376-6221234");
    assert_eq!(after["name"], "王秀兰");
    assert_eq!(after["role"], "主任");
    assert_eq!(after["phone"], "13812345678");

    // Outside the township the entry does not exist; a clerk may not edit at all.
    let mut stranger = StaffBrowser::new(&app);
    stranger
        .signed_in_as("外乡审核", Role::Reviewer, "411502001", None)
        .await;
    stranger.get("/staff/supervisors").await;
    let (status, _, _) = stranger.get(&format!("/staff/supervisors?edit={id}")).await;
    assert_eq!(status, 404);
    let (status, _, _) = stranger
        .post(
            &edit,
            &good.map(|(k, v)| (k, if k == "name" { "张三" } else { v })),
        )
        .await;
    assert_eq!(status, 404);
    let mut clerk = StaffBrowser::new(&app);
    clerk
        .signed_in_as("王村务", Role::Clerk, VILLAGE, None)
        .await;
    clerk.get("/staff/account").await;
    let (status, _, _) = clerk
        .post(
            &edit,
            &good.map(|(k, v)| (k, if k == "name" { "张三" } else { v })),
        )
        .await;
    assert_eq!(status, 403);
    assert_eq!(entry(&app, id).await.1, "王秀兰", "neither changed it");
}
