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
