//! OAuth2 (snsapi_base) for pages: a page taking `FollowerSession` sends a browser
//! without a session to WeChat with a state tied to it; the service's callback signs it
//! in with a signed HttpOnly cookie.

use actix_web::{App, HttpResponse, test, web};
use sunvillage::auth::follower::{FollowerSession, Sessions};
use sunvillage::wechat::api::WechatApi;

use crate::support::fake_wechat::FakeWechat;
use crate::support::follower::query_param;
use crate::support::{TestApp, spawn_app_with_wechat};

const FOLLOWER: &str = "oLVPpjqs9BhvzwPj5A-vTYAX3GLc";

/// A page of the kind other modules add: it needs the follower's openid.
async fn my_page(session: FollowerSession) -> HttpResponse {
    HttpResponse::Ok().body(session.openid().as_str().to_owned())
}

fn sessions(app: &TestApp) -> Sessions {
    let api = WechatApi::from_settings(&app.settings.wechat, &app.kv).unwrap();
    Sessions::from_settings(&app.settings, api).unwrap()
}

/// `name=value` of a Set-Cookie header of `name`.
fn set_cookie(headers: &actix_web::http::header::HeaderMap, name: &str) -> Option<String> {
    headers
        .get_all("set-cookie")
        .filter_map(|v| v.to_str().ok())
        .find(|v| v.starts_with(&format!("{name}=")))
        .map(str::to_owned)
}

fn reqwest_set_cookie(r: &reqwest::Response, name: &str) -> Option<String> {
    r.headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|v| v.starts_with(&format!("{name}=")))
        .map(str::to_owned)
}

fn pair(set_cookie: &str) -> String {
    set_cookie.split(';').next().unwrap().to_owned()
}

#[tokio::test]
async fn a_follower_without_a_session_signs_in_through_wechat_and_returns_to_the_page() {
    let fake = FakeWechat::start().await;
    let app = spawn_app_with_wechat(&fake, |_| {}).await;
    let page = test::init_service(
        App::new()
            .app_data(web::Data::new(sessions(&app)))
            .route("/village/{code}", web::get().to(my_page)),
    )
    .await;

    // 1. The page sends the browser to WeChat, remembering the state in a cookie.
    let response = test::call_service(
        &page,
        test::TestRequest::get()
            .uri("/village/411503209202?tab=power")
            .to_request(),
    )
    .await;
    assert_eq!(response.status(), 302);
    let location = response
        .headers()
        .get("location")
        .unwrap()
        .to_str()
        .unwrap()
        .to_owned();
    assert!(
        location.starts_with(
            "https://open.weixin.qq.com/connect/oauth2/authorize?appid=wx5823bf96d3bd56c7&redirect_uri=http%3A%2F%2Fcunwu.test%2Foauth%2Fcallback&response_type=code&scope=snsapi_base&state="
        ),
        "{location}"
    );
    assert!(location.ends_with("#wechat_redirect"), "{location}");
    let state = query_param(&location, "state");
    let state_cookie = set_cookie(response.headers(), "sv_oauth").unwrap();
    assert!(state_cookie.contains("HttpOnly"), "{state_cookie}");
    assert!(state_cookie.contains("SameSite=Lax"), "{state_cookie}");

    // 2. WeChat sends it back to the service's callback with a code.
    fake.oauth_code("CODE_1", FOLLOWER);
    let callback = app
        .client
        .get(app.url(&format!("/oauth/callback?code=CODE_1&state={state}")))
        .header("cookie", pair(&state_cookie))
        .send()
        .await
        .unwrap();
    assert_eq!(callback.status(), 302);
    assert_eq!(
        callback.headers()["location"],
        "/village/411503209202?tab=power"
    );
    let session = reqwest_set_cookie(&callback, "sv_session").unwrap();
    assert!(session.contains("HttpOnly"), "{session}");

    // 3. With the session, the page knows the follower.
    let response = test::call_service(
        &page,
        test::TestRequest::get()
            .uri("/village/411503209202")
            .insert_header(("cookie", pair(&session)))
            .to_request(),
    )
    .await;
    assert_eq!(response.status(), 200);
    assert_eq!(test::read_body(response).await, FOLLOWER.as_bytes());

    // A forged session is worth nothing.
    let forged = format!("sv_session={FOLLOWER}|{}", i64::MAX);
    let response = test::call_service(
        &page,
        test::TestRequest::get()
            .uri("/village/411503209202")
            .insert_header(("cookie", forged))
            .to_request(),
    )
    .await;
    assert_eq!(response.status(), 302);
}

#[tokio::test]
async fn a_callback_with_another_browsers_state_is_refused_without_using_the_code() {
    let fake = FakeWechat::start().await;
    let app = spawn_app_with_wechat(&fake, |_| {}).await;
    let page = test::init_service(
        App::new()
            .app_data(web::Data::new(sessions(&app)))
            .route("/p", web::get().to(my_page)),
    )
    .await;
    let response = test::call_service(&page, test::TestRequest::get().uri("/p").to_request()).await;
    let state_cookie = pair(&set_cookie(response.headers(), "sv_oauth").unwrap());
    fake.oauth_code("CODE_1", FOLLOWER);

    let wrong_state = app
        .client
        .get(app.url("/oauth/callback?code=CODE_1&state=0123456789abcdef"))
        .header("cookie", &state_cookie)
        .send()
        .await
        .unwrap();
    let no_cookie = app
        .client
        .get(app.url("/oauth/callback?code=CODE_1&state=0123456789abcdef"))
        .send()
        .await
        .unwrap();

    assert_eq!(wrong_state.status(), 400);
    assert_eq!(no_cookie.status(), 400);
    assert!(no_cookie.text().await.unwrap().contains("重新打开页面"));
    assert_eq!(fake.code_exchanges(), 0);
}

#[tokio::test]
async fn wechat_opening_the_callback_twice_exchanges_the_code_once() {
    let fake = FakeWechat::start().await;
    let app = spawn_app_with_wechat(&fake, |_| {}).await;
    let page = test::init_service(
        App::new()
            .app_data(web::Data::new(sessions(&app)))
            .route("/p", web::get().to(my_page)),
    )
    .await;
    let response = test::call_service(&page, test::TestRequest::get().uri("/p").to_request()).await;
    let location = response
        .headers()
        .get("location")
        .unwrap()
        .to_str()
        .unwrap()
        .to_owned();
    let state = query_param(&location, "state");
    let state_cookie = pair(&set_cookie(response.headers(), "sv_oauth").unwrap());
    fake.oauth_code("CODE_2", FOLLOWER);

    for _ in 0..2 {
        let callback = app
            .client
            .get(app.url(&format!("/oauth/callback?code=CODE_2&state={state}")))
            .header("cookie", &state_cookie)
            .send()
            .await
            .unwrap();
        assert_eq!(callback.status(), 302);
        assert!(reqwest_set_cookie(&callback, "sv_session").is_some());
    }
    assert_eq!(fake.code_exchanges(), 1);
}

#[tokio::test]
async fn a_development_openid_stands_in_for_a_missing_session() {
    let fake = FakeWechat::start().await;
    let app = spawn_app_with_wechat(&fake, |s| {
        s.session.dev_openid = "oDevFollower0000000000000001".into();
    })
    .await;
    let page = test::init_service(
        App::new()
            .app_data(web::Data::new(sessions(&app)))
            .route("/p", web::get().to(my_page)),
    )
    .await;
    let response = test::call_service(&page, test::TestRequest::get().uri("/p").to_request()).await;
    assert_eq!(response.status(), 200);
    assert_eq!(
        test::read_body(response).await,
        "oDevFollower0000000000000001".as_bytes()
    );
}

/// The state and state cookie of the login a page response started.
fn login_of<B>(response: &actix_web::dev::ServiceResponse<B>) -> (String, String) {
    let location = response
        .headers()
        .get("location")
        .unwrap()
        .to_str()
        .unwrap()
        .to_owned();
    (
        query_param(&location, "state"),
        pair(&set_cookie(response.headers(), "sv_oauth").unwrap()),
    )
}

#[tokio::test]
async fn a_code_used_by_one_login_cannot_sign_in_another_browser() {
    let fake = FakeWechat::start().await;
    let app = spawn_app_with_wechat(&fake, |_| {}).await;
    let page = test::init_service(
        App::new()
            .app_data(web::Data::new(sessions(&app)))
            .route("/p", web::get().to(my_page)),
    )
    .await;
    let (victim_state, victim_cookie) =
        login_of(&test::call_service(&page, test::TestRequest::get().uri("/p").to_request()).await);
    let (attacker_state, attacker_cookie) =
        login_of(&test::call_service(&page, test::TestRequest::get().uri("/p").to_request()).await);
    fake.oauth_code("CODE_SEEN_IN_A_LOG", FOLLOWER);

    let victim = app
        .client
        .get(app.url(&format!(
            "/oauth/callback?code=CODE_SEEN_IN_A_LOG&state={victim_state}"
        )))
        .header("cookie", &victim_cookie)
        .send()
        .await
        .unwrap();
    assert_eq!(victim.status(), 302);
    assert!(reqwest_set_cookie(&victim, "sv_session").is_some());

    // The attacker completes their own login with the victim's code.
    let replay = app
        .client
        .get(app.url(&format!(
            "/oauth/callback?code=CODE_SEEN_IN_A_LOG&state={attacker_state}"
        )))
        .header("cookie", &attacker_cookie)
        .send()
        .await
        .unwrap();
    assert_eq!(replay.status(), 400);
    assert!(reqwest_set_cookie(&replay, "sv_session").is_none());
    assert!(replay.text().await.unwrap().contains("重新打开页面"));
    assert_eq!(fake.code_exchanges(), 1);
}
