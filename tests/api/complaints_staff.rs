//! The staff side of complaints: the JSON API, its single authorisation check, the
//! workflow's refusals and what each role sees of a complainant.

use chrono::Utc;
use serde_json::{Value, json};
use sunvillage::domain::OpenId;
use sunvillage::domain::complaint::Complainant;
use sunvillage::domain::staff::Role;
use sunvillage::services::complaints::{self, SubmitError};
use sunvillage::storage;
use uuid::Uuid;

use crate::support::complaints::{OPENID, WANGGANG, named, new_complaint, submit_as, templates};
use crate::support::staff::{CITY, StaffRole, UNIT, staff_token, token};
use crate::support::{TestApp, spawn_app};

async fn get(app: &TestApp, token: &str, path: &str) -> (u16, Value) {
    let r = app
        .client
        .get(app.url(path))
        .bearer_auth(token)
        .send()
        .await
        .unwrap();
    (r.status().as_u16(), r.json().await.unwrap())
}

async fn post(app: &TestApp, token: &str, path: &str, body: Value) -> (u16, Value) {
    let r = app
        .client
        .post(app.url(path))
        .bearer_auth(token)
        .json(&body)
        .send()
        .await
        .unwrap();
    (r.status().as_u16(), r.json().await.unwrap())
}

#[tokio::test]
async fn the_staff_api_refuses_requests_without_a_valid_token() {
    let app = spawn_app().await;
    let (status, body) = app.get_json("/api/staff/complaints").await;
    assert_eq!(status, 401);
    assert!(body["error"].is_string());
    let (status, _) = get(&app, "not-a-token", "/api/staff/complaints").await;
    assert_eq!(status, 401);
}

#[tokio::test]
async fn a_handler_accepts_assigns_concludes_and_the_timeline_holds_every_step() {
    let app = spawn_app().await;
    let token = staff_token(&app, "李四", StaffRole::Handler).await;
    let c = submit_as(&app, OPENID, named(), 0).await;
    assert!(c.tracking_number.as_str().starts_with("XY-"));
    let base = format!("/api/staff/complaints/{}", c.complaint_id);

    let (status, body) = post(
        &app,
        &token,
        &format!("{base}/actions"),
        json!({"action": "accept"}),
    )
    .await;
    assert_eq!(
        (status, body["status"].as_str()),
        (200, Some("accepted")),
        "{body}"
    );
    let (status, _) = post(
        &app,
        &token,
        &format!("{base}/actions"),
        json!({"action": "assign", "unit": "王岗乡纪委", "note": "请十日内核实"}),
    )
    .await;
    assert_eq!(status, 200);
    let (status, _) = post(
        &app,
        &token,
        &format!("{base}/notes"),
        json!({"note": "已电话联系村监委"}),
    )
    .await;
    assert_eq!(status, 201);
    let (status, _) = post(
        &app,
        &token,
        &format!("{base}/actions"),
        json!({"action": "conclude", "reply": "经核实，承包费已入账，账目已公示。"}),
    )
    .await;
    assert_eq!(status, 200);

    let (status, body) = get(&app, &token, &base).await;
    assert_eq!(status, 200);
    assert_eq!(body["complaint"]["status"], "concluded");
    assert_eq!(body["complaint"]["assigned_unit"], "王岗乡纪委");
    let events: Vec<&str> = body["timeline"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["event"].as_str().unwrap())
        .collect();
    assert_eq!(
        events,
        [
            "complaint_received",
            "complaint_accepted",
            "complaint_assigned",
            "complaint_noted",
            "complaint_concluded"
        ]
    );
    let assign = &body["timeline"][2];
    assert_eq!(assign["actor"], "staff:李四");
    assert_eq!(assign["internal_note"], "请十日内核实");
    assert_eq!(body["timeline"][3]["public_note"], "");
}

#[tokio::test]
async fn each_refused_transition_is_a_409_that_changes_nothing() {
    let app = spawn_app().await;
    let token = staff_token(&app, "李四", StaffRole::Handler).await;
    let c = submit_as(&app, OPENID, named(), 0).await;
    let actions = format!("/api/staff/complaints/{}/actions", c.complaint_id);
    for body in [
        json!({"action": "conclude", "reply": "太早"}),
        json!({"action": "assign", "unit": "乡纪委"}),
        json!({"action": "extend", "days": 10, "reason": "太早"}),
    ] {
        let (status, reply) = post(&app, &token, &actions, body.clone()).await;
        assert_eq!(status, 409, "{body} → {reply}");
    }
    let (status, _) = post(
        &app,
        &token,
        &actions,
        json!({"action": "reject", "reason": ""}),
    )
    .await;
    assert_eq!(status, 409, "a rejection needs a reason");
    post(&app, &token, &actions, json!({"action": "accept"})).await;
    let (status, _) = post(&app, &token, &actions, json!({"action": "accept"})).await;
    assert_eq!(status, 409, "accepted twice");
    let (status, _) = post(
        &app,
        &token,
        &actions,
        json!({"action": "extend", "days": 31, "reason": "核查"}),
    )
    .await;
    assert_eq!(status, 409, "more than 30 days");
    let (status, _) = post(
        &app,
        &token,
        &actions,
        json!({"action": "extend", "days": 30, "reason": "需实地核查"}),
    )
    .await;
    assert_eq!(status, 200);
    let (status, body) = post(
        &app,
        &token,
        &actions,
        json!({"action": "extend", "days": 5, "reason": "再延"}),
    )
    .await;
    assert_eq!(status, 409, "extended twice: {body}");
    let (status, _) = post(
        &app,
        &token,
        &actions,
        json!({"action": "rate", "satisfaction": "satisfied"}),
    )
    .await;
    assert_eq!(status, 400, "staff have no rate action");
    let (status, _) = post(
        &app,
        &token,
        "/api/staff/complaints/999999/actions",
        json!({"action": "accept"}),
    )
    .await;
    assert_eq!(status, 404);

    let (_, body) = get(
        &app,
        &token,
        &format!("/api/staff/complaints/{}", c.complaint_id),
    )
    .await;
    let events = body["timeline"].as_array().unwrap().len();
    assert_eq!(events, 3, "received, accepted, extended: {body}");
}

#[tokio::test]
async fn an_auditor_reads_but_cannot_act() {
    let app = spawn_app().await;
    let token = staff_token(&app, "审计", StaffRole::Auditor).await;
    let c = submit_as(&app, OPENID, named(), 0).await;
    let (status, _) = post(
        &app,
        &token,
        &format!("/api/staff/complaints/{}/actions", c.complaint_id),
        json!({"action": "accept"}),
    )
    .await;
    assert_eq!(status, 403);
}

#[tokio::test]
async fn lists_name_nobody_and_only_inspectors_and_auditors_see_a_real_name_contact_each_time_audited()
 {
    let app = spawn_app().await;
    let anon_openid = "oANONymous0000000000000000aa";
    let anon = submit_as(&app, anon_openid, Complainant::Anonymous, 0).await;
    let real = submit_as(&app, OPENID, named(), 0).await;
    let handler = staff_token(&app, "处理员", StaffRole::Handler).await;
    let unit = staff_token(&app, "乡镇", StaffRole::Unit).await;
    let auditor = staff_token(&app, "审计", StaffRole::Auditor).await;
    // A unit sees what is assigned to it.
    for id in [anon.complaint_id, real.complaint_id] {
        assign(&app, &handler, id, UNIT).await;
    }
    // No list carries who complained, for anyone.
    for (token, who) in [
        (&handler, "inspector"),
        (&unit, "unit"),
        (&auditor, "auditor"),
    ] {
        let response = app
            .client
            .get(app.url("/api/staff/complaints"))
            .bearer_auth(token)
            .send()
            .await
            .unwrap();
        let text = response.text().await.unwrap();
        for secret in [anon_openid, OPENID, "张三", "13812345678"] {
            assert!(!text.contains(secret), "{who}'s list holds {secret}");
        }
    }
    let detail = |token: &str, id: i64| {
        let token = token.to_owned();
        let app = &app;
        async move {
            get(app, &token, &format!("/api/staff/complaints/{id}"))
                .await
                .1
        }
    };
    // The real-name contact: the inspector and the auditor, never the unit.
    for (token, sees) in [(&handler, true), (&auditor, true), (&unit, false)] {
        let body = detail(token, real.complaint_id).await;
        assert_eq!(
            body["complaint"].get("complainant").is_some(),
            sees,
            "{body}"
        );
        if sees {
            assert_eq!(body["complaint"]["complainant"]["name"], "张三");
            assert_eq!(body["complaint"]["complainant"]["phone"], "13812345678");
        }
        assert!(!body.to_string().contains(OPENID));
    }
    // An anonymous complainant: nobody, in any detail.
    for token in [&handler, &auditor, &unit] {
        let body = detail(token, anon.complaint_id).await;
        assert!(body["complaint"].get("complainant").is_none(), "{body}");
        assert!(!body.to_string().contains(anon_openid));
    }
    // Each look at the contact is a line in the audit log.
    let views: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM audit_log WHERE action = 'complaint.identity_viewed' AND object_id = $1",
    )
    .bind(real.tracking_number.as_str())
    .fetch_one(&app.pool)
    .await
    .unwrap();
    assert_eq!(views, 2, "the inspector's and the auditor's look");
    // Only an auditor, only with a reason, learns who filed an anonymous complaint.
    let reveal = format!("/api/staff/complaints/{}/reveal", anon.complaint_id);
    let (status, _) = post(
        &app,
        &handler,
        &reveal,
        json!({"reason": "核查是否恶意投诉"}),
    )
    .await;
    assert_eq!(status, 403, "an inspector may not reveal");
    let (status, _) = post(&app, &auditor, &reveal, json!({"reason": ""})).await;
    assert_eq!(status, 409, "a reveal needs a reason");
    let (status, body) = post(
        &app,
        &auditor,
        &reveal,
        json!({"reason": "核查是否恶意投诉（审批件2026-17号）"}),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["openid"], anon_openid);
    let reason: String = sqlx::query_scalar(
        "SELECT reason FROM audit_log WHERE action = 'complaint.identity_revealed' AND object_id = $1",
    )
    .bind(anon.tracking_number.as_str())
    .fetch_one(&app.pool)
    .await
    .unwrap();
    assert!(reason.contains("审批件2026-17号"));
}

async fn assign(app: &TestApp, handler: &str, id: i64, unit: &str) {
    let path = format!("/api/staff/complaints/{id}/actions");
    let (status, body) = post(app, handler, &path, json!({"action": "accept"})).await;
    assert_eq!(status, 200, "{body}");
    let (status, body) = post(
        app,
        handler,
        &path,
        json!({"action": "assign", "unit": unit}),
    )
    .await;
    assert_eq!(status, 200, "{body}");
}

#[tokio::test]
async fn a_unit_sees_and_acts_only_on_what_is_assigned_to_it_and_never_refuses() {
    let app = spawn_app().await;
    let handler = staff_token(&app, "处理员", StaffRole::Handler).await;
    let wanggang = token(&app, Role::Handler, CITY, Some("王岗乡纪委")).await;
    let auditor = staff_token(&app, "审计", StaffRole::Auditor).await;
    let mine = submit_as(&app, OPENID, named(), 0).await.complaint_id;
    let other = submit_as(&app, OPENID, named(), 0).await.complaint_id;
    let unassigned = submit_as(&app, OPENID, named(), 0).await.complaint_id;
    assign(&app, &handler, mine, "王岗乡纪委").await;
    assign(&app, &handler, other, "青山镇纪委").await;

    let (status, list) = get(&app, &wanggang, "/api/staff/complaints").await;
    assert_eq!(status, 200);
    let ids: Vec<i64> = list["complaints"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["id"].as_i64().unwrap())
        .collect();
    assert_eq!(ids, vec![mine], "a unit lists only its own");
    for id in [other, unassigned] {
        let (status, _) = get(&app, &wanggang, &format!("/api/staff/complaints/{id}")).await;
        assert_eq!(status, 404, "complaint {id} does not exist for the unit");
        let photo = app
            .client
            .get(app.url(&format!("/api/staff/complaints/{id}/photos/1")))
            .bearer_auth(&wanggang)
            .send()
            .await
            .unwrap();
        assert_eq!(photo.status(), 404);
        let (status, _) = post(
            &app,
            &wanggang,
            &format!("/api/staff/complaints/{id}/actions"),
            json!({"action": "report_result", "result": "已处理"}),
        )
        .await;
        assert_eq!(status, 404);
        let (status, _) = post(
            &app,
            &wanggang,
            &format!("/api/staff/complaints/{id}/notes"),
            json!({"note": "看一看"}),
        )
        .await;
        assert_eq!(status, 404);
    }
    let actions = format!("/api/staff/complaints/{mine}/actions");
    for refused in [
        json!({"action": "reject", "reason": "不属于受理范围"}),
        json!({"action": "assign", "unit": "另一个单位"}),
        json!({"action": "extend", "days": 30, "reason": "情况复杂"}),
    ] {
        let (status, body) = post(&app, &wanggang, &actions, refused.clone()).await;
        assert_eq!(status, 403, "{refused}: {body}");
    }
    let (status, _) = post(
        &app,
        &wanggang,
        &format!("/api/staff/complaints/{mine}/notes"),
        json!({"note": "已约谈村会计"}),
    )
    .await;
    assert_eq!(status, 201);
    // A unit reports what it did; concluding (the answer) is the commission's.
    let (status, _) = post(
        &app,
        &wanggang,
        &actions,
        json!({"action": "conclude", "reply": "承包费已入账并公示。"}),
    )
    .await;
    assert_eq!(status, 403);
    let (status, body) = post(
        &app,
        &wanggang,
        &actions,
        json!({"action": "report_result", "result": "承包费已入账并公示。"}),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    // An auditor reads, but writes nothing, not even a note.
    let (status, _) = post(
        &app,
        &auditor,
        &format!("/api/staff/complaints/{mine}/notes"),
        json!({"note": "审计意见"}),
    )
    .await;
    assert_eq!(status, 403);
}

#[tokio::test]
async fn staff_answers_with_personal_data_are_never_cached_and_photos_are_not_sniffed() {
    let app = spawn_app().await;
    let handler = staff_token(&app, "处理员", StaffRole::Handler).await;
    let c = submit_as(&app, OPENID, named(), 0).await;
    for path in [
        "/api/staff/complaints".to_owned(),
        format!("/api/staff/complaints/{}", c.complaint_id),
    ] {
        let r = app
            .client
            .get(app.url(&path))
            .bearer_auth(&handler)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200);
        assert_eq!(r.headers()["cache-control"], "no-store", "{path}");
    }
}

#[tokio::test]
async fn staff_lists_filter_by_status_region_category_overdue_and_date() {
    let app = spawn_app().await;
    let token = staff_token(&app, "李四", StaffRole::Handler).await;
    let old = submit_as(&app, OPENID, named(), 20).await; // past its 15-day acceptance deadline
    let soon = submit_as(&app, OPENID, named(), 13).await;
    let fresh = submit_as(&app, OPENID, named(), 0).await;
    post(
        &app,
        &token,
        &format!("/api/staff/complaints/{}/actions", fresh.complaint_id),
        json!({"action": "accept"}),
    )
    .await;

    let ids = |body: &Value| -> Vec<i64> {
        body["complaints"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| c["id"].as_i64().unwrap())
            .collect()
    };
    let (_, body) = get(&app, &token, "/api/staff/complaints?overdue=true").await;
    assert_eq!(ids(&body), [old.complaint_id]);
    assert_eq!(body["complaints"][0]["deadline_label"], "已超期");
    let (_, body) = get(&app, &token, "/api/staff/complaints?status=pending").await;
    assert_eq!(ids(&body), [soon.complaint_id, old.complaint_id]);
    assert_eq!(body["complaints"][0]["deadline_label"], "即将超期");
    let (_, body) = get(&app, &token, "/api/staff/complaints?region=411503").await;
    assert_eq!(ids(&body).len(), 3);
    let (_, body) = get(&app, &token, "/api/staff/complaints?region=411524").await;
    assert!(ids(&body).is_empty());
    let (_, body) = get(&app, &token, "/api/staff/complaints?category=other").await;
    assert!(ids(&body).is_empty());
    let today = sunvillage::domain::china_time::day(Utc::now());
    let (_, body) = get(
        &app,
        &token,
        &format!("/api/staff/complaints?from={today}&to={today}"),
    )
    .await;
    assert_eq!(ids(&body), [fresh.complaint_id]);
    let (_, body) = get(&app, &token, "/api/staff/complaints?limit=2").await;
    assert_eq!(ids(&body).len(), 2);
    let next = body["next_before"].as_i64().unwrap();
    let (_, body) = get(
        &app,
        &token,
        &format!("/api/staff/complaints?limit=2&before={next}"),
    )
    .await;
    assert_eq!(ids(&body), [old.complaint_id]);
    for bad in ["status=nope", "region=12x", "from=2026-13-01", "limit=0"] {
        let (status, _) = get(&app, &token, &format!("/api/staff/complaints?{bad}")).await;
        assert_eq!(status, 400, "{bad}");
    }
}

#[tokio::test]
async fn the_sixth_complaint_of_a_day_is_refused() {
    let app = spawn_app().await;
    for _ in 0..5 {
        submit_as(&app, OPENID, named(), 0).await;
    }
    let sixth = complaints::submit(
        &app.pool,
        &app.vault,
        &templates(&app),
        "XY",
        &OpenId::parse(OPENID).unwrap(),
        Uuid::new_v4(),
        &new_complaint(WANGGANG, named()),
        Utc::now(),
    )
    .await;
    assert!(matches!(sixth, Err(SubmitError::DailyLimit)), "{sixth:?}");
    // Another follower is not affected.
    submit_as(&app, "oOther000000000000000000000a", named(), 0).await;
}

#[tokio::test]
async fn a_double_submit_is_stored_once_even_when_both_arrive_together() {
    let app = spawn_app().await;
    let key = Uuid::new_v4();
    let openid = OpenId::parse(OPENID).unwrap();
    let complaint = new_complaint(WANGGANG, named());
    let now = Utc::now();
    let t = templates(&app);
    let (a, b) = tokio::join!(
        complaints::submit(
            &app.pool, &app.vault, &t, "XY", &openid, key, &complaint, now
        ),
        complaints::submit(
            &app.pool, &app.vault, &t, "XY", &openid, key, &complaint, now
        ),
    );
    let (a, b) = (a.unwrap(), b.unwrap());
    assert_eq!(a.complaint_id, b.complaint_id);
    assert_eq!(a.tracking_number, b.tracking_number);
    assert!(a.repeated != b.repeated, "one stored, one repeated");
    let again = complaints::submit(
        &app.pool, &app.vault, &t, "XY", &openid, key, &complaint, now,
    )
    .await
    .unwrap();
    assert!(again.repeated);
    let stored: i64 = sqlx::query_scalar("SELECT count(*) FROM complaints")
        .fetch_one(&app.pool)
        .await
        .unwrap();
    assert_eq!(stored, 1);
}

#[tokio::test]
async fn a_double_tap_uses_the_daily_quota_once() {
    let app = spawn_app().await;
    let key = Uuid::new_v4();
    let openid = OpenId::parse(OPENID).unwrap();
    let complaint = new_complaint(WANGGANG, named());
    let now = Utc::now();
    let t = templates(&app);
    let (a, b) = tokio::join!(
        complaints::submit(
            &app.pool, &app.vault, &t, "XY", &openid, key, &complaint, now
        ),
        complaints::submit(
            &app.pool, &app.vault, &t, "XY", &openid, key, &complaint, now
        ),
    );
    assert!(a.is_ok() && b.is_ok());
    // Four more forms still fit in the day's five.
    for _ in 0..4 {
        submit_as(&app, OPENID, named(), 0).await;
    }
    let sixth = complaints::submit(
        &app.pool,
        &app.vault,
        &t,
        "XY",
        &openid,
        Uuid::new_v4(),
        &complaint,
        now,
    )
    .await;
    assert!(matches!(sixth, Err(SubmitError::DailyLimit)), "{sixth:?}");
}

#[tokio::test]
async fn the_daily_quota_keeps_no_openid_in_redis() {
    let app = spawn_app().await;
    submit_as(&app, OPENID, named(), 0).await;
    let mut redis = redis::Client::open(crate::support::REDIS_URL.as_str())
        .unwrap()
        .get_multiplexed_async_connection()
        .await
        .unwrap();
    let keys: Vec<String> = redis::cmd("KEYS")
        .arg(format!("{}*", app.settings.redis.key_prefix))
        .query_async(&mut redis)
        .await
        .unwrap();
    assert!(keys.iter().all(|k| !k.contains(OPENID)), "{keys:?}");
}

#[tokio::test]
async fn tracking_numbers_count_up_within_a_day() {
    let app = spawn_app().await;
    let a = submit_as(&app, OPENID, named(), 0).await;
    let b = submit_as(&app, OPENID, Complainant::Anonymous, 0).await;
    let seq = |t: &str| t.rsplit('-').next().unwrap().parse::<u32>().unwrap();
    assert_eq!(
        seq(b.tracking_number.as_str()),
        seq(a.tracking_number.as_str()) + 1
    );
}

/// Runs `sql` on complaint `id` behind the service's back.
async fn hand_edit(app: &TestApp, sql: &str, id: i64) {
    sqlx::query(sql).bind(id).execute(&app.pool).await.unwrap();
}

#[tokio::test]
async fn a_stored_value_that_does_not_read_back_is_an_error_naming_its_row() {
    let app = spawn_app().await;
    let token = staff_token(&app, "李四", StaffRole::Handler).await;
    let c = submit_as(&app, OPENID, named(), 0).await;
    let id = c.complaint_id;

    // A hand edit leaves a timeline line with an actor nobody writes.
    hand_edit(
        &app,
        "UPDATE complaint_events SET actor = 'robot' WHERE complaint_id = $1",
        id,
    )
    .await;
    let err = storage::complaints::events(&app.pool, id)
        .await
        .unwrap_err()
        .to_string();
    assert!(err.contains("actor of timeline line"), "{err}");
    assert!(err.contains(&format!("of complaint {id}")), "{err}");
    let (status, _) = get(&app, &token, &format!("/api/staff/complaints/{id}")).await;
    assert_eq!(status, 500, "no made-up actor is shown");

    // And a complaint whose sealed openid was replaced by another column's ciphertext:
    // it does not open, and the error names the column and row.
    hand_edit(
        &app,
        "UPDATE complaints SET openid_sealed = name_sealed WHERE complaint_id = $1",
        id,
    )
    .await;
    let row = storage::complaints::find(&app.pool, id)
        .await
        .unwrap()
        .unwrap();
    let err = sunvillage::services::identity::open(&app.vault, &row.identity)
        .unwrap_err()
        .to_string();
    assert!(
        err.contains(&format!("complaints.openid of row {id}")),
        "{err}"
    );
}
