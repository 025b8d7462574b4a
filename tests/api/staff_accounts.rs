//! Staff accounts through the real pages: the first administrator made on the command
//! line, signing in with a password and a second factor, lock-out, sessions that end
//! when they must, CSRF on every form, and an audit log nobody can change.

use secrecy::SecretString;
use sunvillage::domain::staff::Role;
use tokio::io::AsyncWriteExt;

use crate::support::staff::{
    CITY, PASSWORD, StaffBrowser, UNIT, account, accounts_service, api_token_for, hidden, now,
};
use crate::support::{TestApp, spawn_app};

/// Every staff page and the answer a browser without a session gets.
const PAGES: &[&str] = &[
    "/staff",
    "/staff/complaints",
    "/staff/complaints/XY-20261128-0001",
    "/staff/audit",
    "/staff/audit.csv",
    "/staff/phone-search",
    "/staff/users",
    "/staff/users/1",
    "/staff/account",
    "/staff/account/totp",
    "/staff/account/password",
];

#[tokio::test]
async fn without_a_session_every_staff_page_redirects_to_sign_in_and_every_api_call_is_401() {
    let app = spawn_app().await;
    for path in PAGES {
        let r = app.get(path).await;
        assert_eq!(r.status(), 302, "{path}");
        let to = r.headers()["location"].to_str().unwrap();
        assert!(to.starts_with("/staff/login?next="), "{path} → {to}");
    }
    for (method, path) in [
        ("GET", "/api/staff/complaints"),
        ("GET", "/api/staff/complaints/1"),
        ("POST", "/api/staff/complaints/1/actions"),
        ("POST", "/api/staff/complaints/1/notes"),
        ("POST", "/api/staff/complaints/1/reveal"),
        ("GET", "/api/staff/complaints/1/photos/1"),
        ("GET", "/api/staff/audit"),
        ("DELETE", "/api/staff/session"),
    ] {
        let r = app
            .client
            .request(method.parse().unwrap(), app.url(path))
            .header("content-type", "application/json")
            .body("{}")
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 401, "{method} {path}");
        // A forged token is no better.
        let r = app
            .client
            .request(method.parse().unwrap(), app.url(path))
            .bearer_auth("0".repeat(64))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 401, "{method} {path} with a forged token");
    }
    // And staff pages' POSTs without a session: redirected, nothing done.
    for path in ["/staff/logout", "/staff/users", "/staff/account/password"] {
        let r = app
            .client
            .post(app.url(path))
            .form(&[("csrf", "x")])
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 302, "{path}");
    }
}

#[tokio::test]
async fn the_first_administrator_is_made_on_the_command_line_and_must_enrol_totp() {
    let app = spawn_app().await;
    let mut add = app.command();
    add.args([
        "user",
        "add",
        "--username",
        "Admin.Wang",
        "--name",
        "王主任",
        "--role",
        "admin",
        "--region",
        CITY,
        "--password-stdin",
    ])
    .stdin(std::process::Stdio::piped())
    .stdout(std::process::Stdio::piped())
    .stderr(std::process::Stdio::piped());
    let mut child = add.spawn().unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(format!("{PASSWORD}\n").as_bytes())
        .await
        .unwrap();
    let out = child.wait_with_output().await.unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(String::from_utf8_lossy(&out.stdout).contains("admin.wang"));
    // A weak password is refused with its reason.
    let out = app
        .command()
        .args([
            "user",
            "add",
            "--username",
            "weak",
            "--name",
            "弱",
            "--role",
            "clerk",
            "--region",
            CITY,
            "--password-stdin",
        ])
        .stdin(std::process::Stdio::null())
        .output()
        .await
        .unwrap();
    assert!(!out.status.success());

    let mut browser = StaffBrowser::new(&app);
    let (status, to, _) = browser.sign_in("admin.wang", "wrong password!!", "").await;
    assert_eq!((status, to.as_str()), (401, ""));
    let (status, to, _) = browser.sign_in("ADMIN.WANG", PASSWORD, "").await;
    assert_eq!((status, to.as_str()), (303, "/staff/account/totp"));
    // Until the second factor is enrolled, nothing else opens.
    for path in ["/staff/users", "/staff/audit", "/staff/account"] {
        let (status, to, _) = browser.get(path).await;
        assert_eq!(
            (status, to.as_str()),
            (302, "/staff/account/totp"),
            "{path}"
        );
    }
    let (_, _, page) = browser.get("/staff/account/totp").await;
    assert!(page.contains("data:image/svg+xml;base64,"), "a QR code");
    let secret = crate::support::staff::shown_secret(&page);
    let (status, _, page) = browser
        .post("/staff/account/totp", &[("code", "000000")])
        .await;
    assert_eq!(status, 422);
    assert!(page.contains("验证码不正确"));
    let code = secret.code_at(now());
    let (status, to, _) = browser
        .post("/staff/account/totp", &[("code", &code)])
        .await;
    assert_eq!((status, to.as_str()), (303, "/staff/account?done=totp"));
    let (status, _, page) = browser.get("/staff/users").await;
    assert_eq!(status, 200, "{page}");
    assert!(page.contains("admin.wang"));

    // From now on the code is needed, and each code works once.
    let mut other = StaffBrowser::new(&app);
    let (status, _, page) = other.sign_in("admin.wang", PASSWORD, "").await;
    assert_eq!(status, 401);
    assert!(page.contains("请填写动态验证码"));
    let (status, _, _) = other.sign_in("admin.wang", PASSWORD, &code).await;
    assert_eq!(status, 401, "the enrolment code again");
    let next = secret.code_at(now() + 30);
    let (status, to, _) = other.sign_in("admin.wang", PASSWORD, &next).await;
    assert_eq!((status, to.as_str()), (303, "/staff"));

    // The administrator makes an inspector, who must change the password first.
    let (status, _, body) = browser
        .post(
            "/staff/users",
            &[
                ("username", "zhao.jc"),
                ("display_name", "赵检查"),
                ("role", "inspector"),
                ("region", "411503"),
                ("unit", ""),
                ("password", "Temporary-2026-pw"),
            ],
        )
        .await;
    assert_eq!(status, 303, "{body}");
    let audit: Vec<String> = sqlx::query_scalar("SELECT action FROM audit_log ORDER BY audit_id")
        .fetch_all(&app.pool)
        .await
        .unwrap();
    for action in [
        "account.created",
        "login.failed",
        "login.succeeded",
        "account.totp_enabled",
    ] {
        assert!(audit.iter().any(|a| a == action), "{action} in {audit:?}");
    }
}

#[tokio::test]
async fn five_wrong_passwords_lock_an_account_and_each_attempt_is_recorded() {
    let app = spawn_app().await;
    let (_, name) = account(&app, "村务员甲", Role::Clerk, "411503209202", None).await;
    let mut browser = StaffBrowser::new(&app);
    for _ in 0..5 {
        let (status, _, page) = browser.sign_in(&name, "Wrong-password-1", "").await;
        assert_eq!(status, 401);
        assert!(page.contains("用户名或密码错误"));
    }
    // Locked: even the right password is turned away now.
    let (status, _, page) = browser.sign_in(&name, PASSWORD, "").await;
    assert_eq!(status, 429);
    assert!(page.contains("已暂时锁定"));
    let (failed, locked): (i64, i64) = sqlx::query_as(
        "SELECT count(*) FILTER (WHERE action = 'login.failed'),
                count(*) FILTER (WHERE action = 'account.locked')
         FROM audit_log WHERE actor = $1",
    )
    .bind(&name)
    .fetch_one(&app.pool)
    .await
    .unwrap();
    assert_eq!((failed, locked), (5, 1));
    // An unknown name reads the same as a wrong password.
    let (status, _, page) = browser.sign_in("nobody.here", PASSWORD, "").await;
    assert_eq!(status, 401);
    assert!(page.contains("用户名或密码错误"));
    // The command line lifts the lock by setting a password.
    let mut passwd = app.command();
    passwd
        .args(["user", "passwd", &name, "--password-stdin"])
        .stdin(std::process::Stdio::piped());
    let mut child = passwd.spawn().unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(b"Another-Good-2026\n")
        .await
        .unwrap();
    assert!(child.wait().await.unwrap().success());
    let (status, _, _) = browser.sign_in(&name, "Another-Good-2026", "").await;
    assert_eq!(status, 303);
}

#[tokio::test]
async fn a_disabled_account_and_a_changed_password_end_live_sessions_at_once() {
    let app = spawn_app().await;
    let (id, name) = account(&app, "审核员乙", Role::Reviewer, "411503209", None).await;
    let mut first = StaffBrowser::new(&app);
    assert_eq!(first.sign_in(&name, PASSWORD, "").await.0, 303);
    let mut second = StaffBrowser::new(&app);
    assert_eq!(second.sign_in(&name, PASSWORD, "").await.0, 303);
    let api = api_token_for(&app, id).await;
    assert_eq!(first.get("/staff/account").await.0, 200);

    // A password change in one browser signs the other out, and the API token too.
    let (status, to, body) = first
        .post(
            "/staff/account/password",
            &[
                ("current", PASSWORD),
                ("new", "Changed-Pass-2026"),
                ("repeat", "Changed-Pass-2026"),
            ],
        )
        .await;
    assert_eq!(
        (status, to.as_str()),
        (303, "/staff/account?done=password"),
        "{body}"
    );
    assert_eq!(
        first.get("/staff/account").await.0,
        200,
        "the changer stays in"
    );
    assert_eq!(
        second.get("/staff/account").await.0,
        302,
        "the other is out"
    );
    let r = app
        .client
        .get(app.url("/api/staff/complaints"))
        .bearer_auth(&api)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 401);

    // Disabled from the command line: the live session is refused on its next request.
    let out = app
        .command()
        .args(["user", "disable", &name])
        .output()
        .await
        .unwrap();
    assert!(out.status.success());
    assert_eq!(first.get("/staff/account").await.0, 302);
    let (status, _, page) = first.sign_in(&name, "Changed-Pass-2026", "").await;
    assert_eq!(status, 401);
    assert!(page.contains("已停用"));
}

#[tokio::test]
async fn forged_expired_and_revoked_sessions_are_refused() {
    let app = spawn_app().await;
    let (_, name) = account(&app, "承办人丙", Role::Handler, CITY, Some(UNIT)).await;
    let mut browser = StaffBrowser::new(&app);
    assert_eq!(browser.sign_in(&name, PASSWORD, "").await.0, 303);
    let (status, _, _) = browser.get("/staff/complaints").await;
    assert_eq!(status, 200);
    // A cookie whose value was not signed by us.
    let forged = app
        .client
        .get(app.url("/staff/complaints"))
        .header("cookie", format!("sv_staff={}", "a".repeat(64)))
        .send()
        .await
        .unwrap();
    assert_eq!(forged.status(), 302);
    // Signing out revokes the session in the store, not only the cookie.
    let (status, to, _) = browser.post("/staff/logout", &[]).await;
    assert_eq!((status, to.as_str()), (303, "/staff/login"));
    assert_eq!(browser.get("/staff/complaints").await.0, 302);
    // An expired session: its record is gone from the store.
    let mut again = StaffBrowser::new(&app);
    assert_eq!(again.sign_in(&name, PASSWORD, "").await.0, 303);
    app.kv.delete_all_with_prefix().await.unwrap();
    assert_eq!(again.get("/staff/complaints").await.0, 302);
}

#[tokio::test]
async fn every_staff_form_refuses_a_missing_or_wrong_csrf_token() {
    let app = spawn_app().await;
    let mut browser = StaffBrowser::new(&app);
    let (_, secret) = browser
        .signed_in_as("管理员丁", Role::Admin, CITY, None)
        .await;
    assert!(secret.is_some());
    let (_, _, page) = browser.get("/staff/users").await;
    let real = hidden(&page, "csrf").unwrap();
    let forms: &[(&str, &[(&str, &str)])] = &[
        ("/staff/logout", &[]),
        (
            "/staff/users",
            &[
                ("username", "x.y.z"),
                ("display_name", "某"),
                ("role", "clerk"),
                ("region", CITY),
                ("password", PASSWORD),
            ],
        ),
        ("/staff/units", &[("name", "某单位"), ("region", CITY)]),
        (
            "/staff/account/password",
            &[
                ("current", PASSWORD),
                ("new", "Another-Good-2026"),
                ("repeat", "Another-Good-2026"),
            ],
        ),
        ("/staff/account/wechat", &[]),
        (
            "/staff/users/1",
            &[("display_name", "某"), ("role", "clerk"), ("region", CITY)],
        ),
        ("/staff/users/1/password", &[("password", PASSWORD)]),
        ("/staff/users/1/totp", &[]),
    ];
    for (path, fields) in forms {
        for csrf in ["", "0".repeat(64).as_str()] {
            let mut form: Vec<(&str, &str)> = fields.to_vec();
            form.push(("csrf", csrf));
            let r = browser
                .client
                .post(app.url(path))
                .form(&form)
                .send()
                .await
                .unwrap();
            assert_eq!(r.status(), 403, "{path} with csrf {csrf:?}");
        }
    }
    // Nothing was changed by any of them.
    let made: i64 = sqlx::query_scalar("SELECT count(*) FROM audit_log WHERE action IN ('account.created', 'unit.created', 'account.password_changed', 'logout')")
        .fetch_one(&app.pool)
        .await
        .unwrap();
    assert_eq!(made, 1, "only the fixture's own account");
    assert!(!real.is_empty());
    // And the sign-in form itself needs its token.
    let r = browser
        .client
        .post(app.url("/staff/login"))
        .form(&[
            ("login_csrf", "forged"),
            ("username", "a"),
            ("password", "b"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 403);
}

#[tokio::test]
async fn the_audit_log_cannot_be_changed_or_emptied_by_the_service() {
    let app = spawn_app().await;
    account(&app, "村务员戊", Role::Clerk, "411503209202", None).await;
    for sql in [
        "UPDATE audit_log SET actor = 'someone else'",
        "DELETE FROM audit_log",
        "TRUNCATE audit_log",
    ] {
        let err = sqlx::query(sql).execute(&app.pool).await.unwrap_err();
        assert!(err.to_string().contains("append-only"), "{sql}: {err}");
    }
    let lines: i64 = sqlx::query_scalar("SELECT count(*) FROM audit_log")
        .fetch_one(&app.pool)
        .await
        .unwrap();
    assert_eq!(lines, 1);
}

#[tokio::test]
async fn injection_strings_are_stored_and_shown_inert() {
    let app = spawn_app().await;
    let evil_name = "<script>alert(1)</script>'); DROP TABLE staff_accounts;--";
    let service = accounts_service(&app);
    let made = service
        .create(
            sunvillage::services::audit::Actor::command_line(),
            sunvillage::services::accounts::AccountForm {
                username: "evil.user".into(),
                display_name: evil_name.chars().take(20).collect(),
                role: Role::Clerk,
                region: sunvillage::domain::RegionCode::parse("411503209202").unwrap(),
                unit: None,
                password: SecretString::from(PASSWORD.to_owned()),
                must_change_password: false,
                sample: false,
            },
        )
        .await;
    assert!(made.is_ok(), "{made:?}");
    let mut admin = StaffBrowser::new(&app);
    admin
        .signed_in_as("管理员己", Role::Admin, CITY, None)
        .await;
    let (status, _, page) = admin.get("/staff/users").await;
    assert_eq!(status, 200);
    assert!(!page.contains("<script>alert(1)"), "escaped");
    assert!(page.contains("&#60;script&#62;alert(1)"));
    // An administrator reads no audit log; an inspector does, and a filter is only text.
    let (status, _, _) = admin.get("/staff/audit").await;
    assert_eq!(status, 403);
    let mut inspector = signed_in(&app, Role::Inspector, CITY, None).await;
    let (status, _, page) = inspector
        .get("/staff/audit?actor=%27%20OR%201%3D1--&action=%3Cb%3Ex%3C%2Fb%3E")
        .await;
    assert_eq!(status, 200, "{page}");
    assert!(page.contains("没有符合条件的记录"));
    assert!(page.contains("&#60;b&#62;x&#60;/b&#62;"));
    let tables: i64 = sqlx::query_scalar("SELECT count(*) FROM staff_accounts")
        .fetch_one(&app.pool)
        .await
        .unwrap();
    assert_eq!(tables, 3);
}

/// Helper for tests that sign a new browser in as `role`.
pub async fn signed_in<'a>(
    app: &'a TestApp,
    role: Role,
    region: &str,
    unit: Option<&str>,
) -> StaffBrowser<'a> {
    let mut browser = StaffBrowser::new(app);
    browser.signed_in_as("测试", role, region, unit).await;
    browser
}
