//! Staff for tests: accounts made through the real service (argon2id and all), units
//! complaints can be assigned to, and sessions — an API token, or a browser signed in
//! through the real sign-in page (with its TOTP code where the role needs one).

use secrecy::SecretString;
use sunvillage::auth::staff_session::SessionKind;
use sunvillage::auth::totp::TotpSecret;
use sunvillage::domain::RegionCode;
use sunvillage::domain::staff::Role;
use sunvillage::services::accounts::{AccountForm, Accounts};
use sunvillage::services::audit::Actor;
use sunvillage::storage::accounts;

use super::app::TestApp;

/// The password every test account is made with.
pub const PASSWORD: &str = "Xinyang-2026-cunwu!";
/// 信阳市: the region of the commission's staff in these tests.
pub const CITY: &str = "4115";
/// 王岗乡 (平桥区), the township of the village complaints in these tests are about.
pub const WANGGANG_TOWNSHIP: &str = "411503209";

/// The roles the older tests speak of, in the words of the stand-in tokens they were
/// written with: the commission's handler (an inspector), a unit (its handler), an
/// auditor — all over the whole city.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StaffRole {
    Handler,
    Unit,
    Auditor,
}

/// The unit complaints in these tests are assigned to.
pub const UNIT: &str = "王岗乡纪委";

pub fn accounts_service(app: &TestApp) -> Accounts {
    sunvillage::startup::accounts_service(&app.settings, app.pool.clone()).unwrap()
}

/// The units the tests assign to: 王岗乡纪委 (the township) and 青山镇纪委 (the county).
pub async fn ensure_units(app: &TestApp) {
    for (name, region) in [(UNIT, WANGGANG_TOWNSHIP), ("青山镇纪委", "411503")] {
        accounts::insert_unit(&app.pool, name, &RegionCode::parse(region).unwrap())
            .await
            .unwrap();
    }
}

/// A fresh username.
fn username(role: Role) -> String {
    let tail: String = uuid::Uuid::new_v4()
        .simple()
        .to_string()
        .chars()
        .take(10)
        .collect();
    format!("{}{tail}", role.as_str())
}

/// Makes an account; its id and username.
pub async fn account(
    app: &TestApp,
    display_name: &str,
    role: Role,
    region: &str,
    unit: Option<&str>,
) -> (i64, String) {
    ensure_units(app).await;
    let name = username(role);
    let id = accounts_service(app)
        .create(
            Actor::command_line(),
            AccountForm {
                username: name.clone(),
                display_name: display_name.to_owned(),
                role,
                region: RegionCode::parse(region).unwrap(),
                unit: unit.map(str::to_owned),
                password: SecretString::from(PASSWORD.to_owned()),
                must_change_password: false,
                sample: false,
            },
        )
        .await
        .unwrap();
    (id, name)
}

/// An API session for an account (as `POST /api/staff/session` would give, without
/// going through the second factor, which its own tests cover).
pub async fn api_token_for(app: &TestApp, account_id: i64) -> String {
    let service = accounts_service(app);
    let account = accounts::find(&app.pool, account_id)
        .await
        .unwrap()
        .unwrap();
    let (token, _) = service
        .sessions
        .create(account_id, account.session_epoch, SessionKind::Api)
        .await
        .unwrap();
    token
}

/// An API token of a new account in one of the older tests' roles.
pub async fn staff_token(app: &TestApp, name: &str, role: StaffRole) -> String {
    let (id, _) = match role {
        StaffRole::Handler => account(app, name, Role::Inspector, CITY, None).await,
        StaffRole::Unit => account(app, name, Role::Handler, CITY, Some(UNIT)).await,
        StaffRole::Auditor => account(app, name, Role::Auditor, CITY, None).await,
    };
    api_token_for(app, id).await
}

/// A staff action on complaint `id` through the JSON API (`{"action": "accept"}` …),
/// which must succeed.
pub async fn act(app: &TestApp, token: &str, id: i64, body: serde_json::Value) {
    let r = app
        .client
        .post(app.url(&sunvillage::routes::paths::staff_complaint_actions(id)))
        .bearer_auth(token)
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200, "{}", r.text().await.unwrap());
}

/// An API token of a new account with `role` over `region` (and `unit`).
pub async fn token(app: &TestApp, role: Role, region: &str, unit: Option<&str>) -> String {
    let (id, _) = account(app, "测试人员", role, region, unit).await;
    api_token_for(app, id).await
}

/// A browser on the staff pages: keeps cookies, does not follow redirects.
pub struct StaffBrowser<'a> {
    app: &'a TestApp,
    pub client: reqwest::Client,
    /// The session's CSRF token, read from the last page.
    pub csrf: String,
}

pub fn browser_client() -> reqwest::Client {
    reqwest::Client::builder()
        .cookie_store(true)
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
}

/// The value of the hidden input `name` in a page.
pub fn hidden(html: &str, name: &str) -> Option<String> {
    let marker = format!("name=\"{name}\" value=\"");
    let (_, rest) = html.split_once(&marker)?;
    rest.split('"').next().map(str::to_owned)
}

/// The base32 secret an enrolment page shows.
pub fn shown_secret(html: &str) -> TotpSecret {
    let (_, rest) = html.split_once("<p class=\"secret\">").unwrap();
    let base32 = rest.split('<').next().unwrap();
    TotpSecret::from_base32(base32).unwrap()
}

pub fn now() -> u64 {
    u64::try_from(chrono::Utc::now().timestamp()).unwrap()
}

impl<'a> StaffBrowser<'a> {
    pub fn new(app: &'a TestApp) -> StaffBrowser<'a> {
        StaffBrowser {
            app,
            client: browser_client(),
            csrf: String::new(),
        }
    }

    pub async fn get(&mut self, path: &str) -> (u16, String, String) {
        let r = self.client.get(self.app.url(path)).send().await.unwrap();
        let status = r.status().as_u16();
        let location = location(&r);
        let body = r.text().await.unwrap();
        if let Some(csrf) = hidden(&body, "csrf") {
            self.csrf = csrf;
        }
        (status, location, body)
    }

    /// Posts a form with this session's CSRF token added.
    pub async fn post(&mut self, path: &str, fields: &[(&str, &str)]) -> (u16, String, String) {
        let mut form: Vec<(&str, &str)> = fields.to_vec();
        let csrf = self.csrf.clone();
        form.push(("csrf", &csrf));
        let r = self
            .client
            .post(self.app.url(path))
            .form(&form)
            .send()
            .await
            .unwrap();
        let status = r.status().as_u16();
        let location = location(&r);
        let body = r.text().await.unwrap();
        if let Some(csrf) = hidden(&body, "csrf") {
            self.csrf = csrf;
        }
        (status, location, body)
    }

    /// Signs in through the sign-in page; the status and where it leads.
    pub async fn sign_in(
        &mut self,
        username: &str,
        password: &str,
        code: &str,
    ) -> (u16, String, String) {
        let (status, _, page) = self.get("/staff/login").await;
        assert_eq!(status, 200, "{page}");
        let login_csrf = hidden(&page, "login_csrf").unwrap();
        let r = self
            .client
            .post(self.app.url("/staff/login"))
            .form(&[
                ("login_csrf", login_csrf.as_str()),
                ("username", username),
                ("password", password),
                ("code", code),
                ("next", "/staff"),
            ])
            .send()
            .await
            .unwrap();
        let status = r.status().as_u16();
        let to = location(&r);
        (status, to, r.text().await.unwrap())
    }

    /// Signs a new account of `role` in, enrolling TOTP where the role needs it; the
    /// username and the secret (when enrolled).
    pub async fn signed_in_as(
        &mut self,
        display_name: &str,
        role: Role,
        region: &str,
        unit: Option<&str>,
    ) -> (String, Option<TotpSecret>) {
        let (_, username) = account(self.app, display_name, role, region, unit).await;
        let (status, to, body) = self.sign_in(&username, PASSWORD, "").await;
        assert_eq!(status, 303, "{body}");
        if !role.requires_second_factor() {
            return (username, None);
        }
        assert_eq!(to, "/staff/account/totp");
        let (_, _, page) = self.get(&to).await;
        let secret = shown_secret(&page);
        let code = secret.code_at(now());
        let (status, to, body) = self.post("/staff/account/totp", &[("code", &code)]).await;
        assert_eq!(
            (status, to.as_str()),
            (303, "/staff/account?done=totp"),
            "{body}"
        );
        (username, Some(secret))
    }
}

fn location(r: &reqwest::Response) -> String {
    r.headers()
        .get("location")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned()
}
