//! An inspector's search by phone number: by the lookup hash only, within scope, each
//! search in the audit log (the hash, never the number), at most 20 an hour per account
//! counted from those lines.

use chrono::Utc;
use sunvillage::domain::complaint::{Complainant, MobileNumber};
use sunvillage::domain::staff::Role;
use sunvillage::domain::{OpenId, VillageCode};
use sunvillage::services::complaints;
use uuid::Uuid;

use crate::support::complaints::{WANGGANG, new_complaint, templates};
use crate::support::staff::StaffBrowser;
use crate::support::{TestApp, spawn_app};

/// A village of 浉河区, outside a 平桥区 inspector's scope.
const OUTSIDE: &str = "411502001001";

async fn filed(app: &TestApp, village: &str, phone: &str) -> String {
    let complainant = Complainant::Named {
        name: Some("张三".into()),
        phone: MobileNumber::parse(phone),
    };
    let mut new = new_complaint(village, complainant);
    new.village = VillageCode::parse(village).unwrap();
    complaints::submit(
        &app.pool,
        &app.vault,
        &templates(app),
        "XY",
        &OpenId::parse("oPhoneSearch000000000000001").unwrap(),
        Uuid::new_v4(),
        &new,
        Utc::now(),
    )
    .await
    .unwrap()
    .tracking_number
    .to_string()
}

async fn searches(app: &TestApp) -> Vec<serde_json::Value> {
    sqlx::query_scalar("SELECT after FROM audit_log WHERE action = 'complaint.phone_searched'")
        .fetch_all(&app.pool)
        .await
        .unwrap()
}

#[tokio::test]
async fn an_inspector_finds_complaints_by_phone_number_within_scope_and_each_search_is_audited() {
    let app = spawn_app().await;
    let inside = filed(&app, WANGGANG, "13755556666").await;
    let outside = filed(&app, OUTSIDE, "13755556666").await;
    let other = filed(&app, WANGGANG, "13900001111").await;
    let mut staff = StaffBrowser::new(&app);
    staff
        .signed_in_as("平桥区纪委", Role::Inspector, "411503", None)
        .await;

    let (status, _, page) = staff.get("/staff/phone-search").await;
    assert_eq!(status, 200, "{page}");
    assert!(page.contains("按手机号查找"), "{page}");

    // Written the way people write it; found by hash, only inside the county.
    let (status, _, page) = staff
        .post("/staff/phone-search", &[("phone", "+86 137-5555-6666")])
        .await;
    assert_eq!(status, 200, "{page}");
    assert!(page.contains(&inside), "{page}");
    assert!(!page.contains(&outside), "outside the scope: {page}");
    assert!(!page.contains(&other), "another number: {page}");
    assert!(page.contains("王岗村"), "{page}");
    assert!(
        !page.contains("张三") && !page.contains("13755556666"),
        "{page}"
    );

    let lines = searches(&app).await;
    assert_eq!(lines.len(), 1);
    let hash = lines[0]["phone_hash"].as_str().unwrap();
    assert_eq!(hash.len(), 66, "{hash}");
    assert_eq!(lines[0]["matches"], 1);
    let leaked: i64 =
        sqlx::query_scalar("SELECT count(*) FROM audit_log WHERE after::text LIKE '%55556666%'")
            .fetch_one(&app.pool)
            .await
            .unwrap();
    assert_eq!(leaked, 0, "the number itself is never written");

    // A wrong number: a clear error, the field kept, nothing recorded.
    let (status, _, page) = staff
        .post("/staff/phone-search", &[("phone", "1381234")])
        .await;
    assert_eq!(status, 422, "{page}");
    assert!(page.contains("请填写11位手机号码"), "{page}");
    assert_eq!(searches(&app).await.len(), 1);

    // Without the session's CSRF token: refused, nothing recorded.
    let r = staff
        .client
        .post(app.url("/staff/phone-search"))
        .form(&[("phone", "13755556666"), ("csrf", "forged")])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 403);
    assert_eq!(searches(&app).await.len(), 1);
}

#[tokio::test]
async fn the_twenty_first_search_in_an_hour_is_refused_counted_from_the_audit_log() {
    let app = spawn_app().await;
    let mut staff = StaffBrowser::new(&app);
    let (username, _) = staff
        .signed_in_as("审计员", Role::Auditor, "4115", None)
        .await;
    // Eighteen searches this hour and one two hours ago, as the log holds them (no Redis
    // counter is involved: losing Redis loses nothing of the limit).
    sqlx::query(
        "INSERT INTO audit_log (account_id, actor, action, at, after)
         SELECT account_id, username, 'complaint.phone_searched', now() - make_interval(mins => n), '{}'::jsonb
         FROM staff_accounts, generate_series(1, 18) AS n WHERE username = $1
         UNION ALL
         SELECT account_id, username, 'complaint.phone_searched', now() - interval '2 hours', '{}'::jsonb
         FROM staff_accounts WHERE username = $1",
    )
    .bind(&username)
    .execute(&app.pool)
    .await
    .unwrap();
    let (status, _, _) = staff.get("/staff/phone-search").await;
    assert_eq!(status, 200);
    for n in 0..2 {
        let phone = format!("1390000000{n}");
        let (status, _, page) = staff
            .post("/staff/phone-search", &[("phone", &phone)])
            .await;
        assert_eq!(status, 200, "search {n}: {page}");
    }
    let (status, _, page) = staff
        .post("/staff/phone-search", &[("phone", "13900009999")])
        .await;
    assert_eq!(status, 429, "{page}");
    assert!(page.contains("一小时内最多查找20次"), "{page}");
    assert_eq!(
        searches(&app).await.len(),
        21,
        "the refused one is not recorded"
    );
}
