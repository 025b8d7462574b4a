//! The power list's adopting document, recorded by a city administrator at
//! `/staff/power`: every field checked (nothing saved on error), the public power page
//! names the latest document instead of the fixed note, earlier ones stay listed, rows
//! are never changed, and a county's administrator cannot record one.

use sunvillage::domain::staff::Role;

use crate::support::spawn_app;
use crate::support::staff::StaffBrowser;

/// 63 characters: longer than an issuer may be.
const LONG_ISSUER: &str = "中共信阳市纪委中共信阳市纪委中共信阳市纪委中共信阳市纪委中共信阳市纪委中共信阳市纪委中共信阳市纪委中共信阳市纪委中共信阳市纪委";

async fn power_page(app: &crate::support::TestApp) -> String {
    app.client
        .get(app.url("/power"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap()
}

async fn adoptions(app: &crate::support::TestApp) -> i64 {
    sqlx::query_scalar("SELECT count(*) FROM power_list_adoptions")
        .fetch_one(&app.pool)
        .await
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_city_administrator_records_the_document_that_adopted_the_power_list() {
    let app = spawn_app().await;
    assert!(power_page(&app).await.contains("参照宁海县"));

    let mut admin = StaffBrowser::new(&app);
    admin
        .signed_in_as("管理员", Role::Admin, "4115", None)
        .await;
    let (status, _, page) = admin.get("/staff/power").await;
    assert_eq!(status, 200, "{page}");
    assert!(page.contains("尚未记录"), "{page}");

    let good = [
        ("title", "关于印发《信阳市村级小微权力清单》的通知"),
        ("doc_number", "信纪发〔2021〕5号"),
        ("adopted_on", "2021-03-15"),
        ("issuer", "中共信阳市纪委"),
    ];
    for (field, value, message) in [
        ("title", "", "请填写文件标题"),
        ("doc_number", "  ", "请填写文号"),
        (
            "adopted_on",
            "2021-13-01",
            "请按“2026-03-15”的格式填写印发日期",
        ),
        ("adopted_on", "2999-01-01", "印发日期不能晚于今天"),
        ("issuer", LONG_ISSUER, "印发机关不能超过60个字"),
    ] {
        let form: Vec<(&str, &str)> = good
            .iter()
            .map(|(k, v)| (*k, if *k == field { value } else { *v }))
            .collect();
        let (status, _, page) = admin.post("/staff/power", &form).await;
        assert_eq!(status, 422, "{field}: {page}");
        assert!(page.contains(message), "{field}: {page}");
        assert_eq!(adoptions(&app).await, 0, "{field}");
    }

    let (status, to, _) = admin.post("/staff/power", &good).await;
    assert_eq!((status, to.as_str()), (303, "/staff/power?done=adopted"));
    let public = power_page(&app).await;
    assert!(
        public.contains("本清单由中共信阳市纪委以《关于印发《信阳市村级小微权力清单》的通知》（信纪发〔2021〕5号）于2021年3月15日印发。"),
        "{public}"
    );
    assert!(!public.contains("参照宁海县"), "{public}");

    // A later document supersedes it; the first stays in the history.
    let later = [
        ("title", "关于调整村级小微权力清单的通知"),
        ("doc_number", "信纪发〔2024〕12号"),
        ("adopted_on", "2024-06-01"),
        ("issuer", "中共信阳市纪委"),
    ];
    let (status, _, _) = admin.post("/staff/power", &later).await;
    assert_eq!(status, 303);
    assert!(power_page(&app).await.contains("信纪发〔2024〕12号"));
    let (_, _, page) = admin.get("/staff/power").await;
    assert!(
        page.contains("信纪发〔2021〕5号") && page.contains("现行"),
        "{page}"
    );
    let audited: i64 =
        sqlx::query_scalar("SELECT count(*) FROM audit_log WHERE action = 'power_list.adopted'")
            .fetch_one(&app.pool)
            .await
            .unwrap();
    assert_eq!(audited, 2);

    // Append-only, in the database itself.
    let changed = sqlx::query("UPDATE power_list_adoptions SET doc_number = 'x'")
        .execute(&app.pool)
        .await;
    assert!(changed.is_err());
    let removed = sqlx::query("DELETE FROM power_list_adoptions")
        .execute(&app.pool)
        .await;
    assert!(removed.is_err());

    // A county's administrator keeps accounts, not the city's list.
    let mut county = StaffBrowser::new(&app);
    county
        .signed_in_as("县管理员", Role::Admin, "411503", None)
        .await;
    let (status, _, _) = county.get("/staff/power").await;
    assert_eq!(status, 403);
    let (status, _, _) = county.post("/staff/power", &good).await;
    assert_eq!(status, 403);
    assert_eq!(adoptions(&app).await, 2);
}
