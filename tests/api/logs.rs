//! What the service writes to its log over a whole scenario — WeChat messages, an OAuth
//! sign-in, a refused one, a complaint with a name, a phone number and a photo, staff
//! handling it, the pushes — holds no openid, no OAuth code, no signature or nonce, no
//! name, no phone number and no secret, at the most verbose level.

use serde_json::json;
use sunvillage::configuration::WechatMode;
use sunvillage::wechat::webhook::simulate;

use crate::support::complaints::WANGGANG;
use crate::support::fake_wechat::FakeWechat;
use crate::support::follower::{hidden, phone_photo, query_param};
use crate::support::served::{Served, complaint_template_env};
use crate::support::wechat::{event, now, text};
use crate::support::{test_settings, url_of};

const FOLLOWER: &str = "oLogScenarioFollower00000001";
const OTHER: &str = "oLogScenarioFollower00000002";
const CODE: &str = "LogScenarioOAuthCode0000000001";
const NAME: &str = "欧阳修远";
const PHONE: &str = "13912345678";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_whole_scenario_logs_no_identifier_and_no_secret() {
    let fake = FakeWechat::start().await;
    let mut env = vec![
        ("APP__LOG__FILTER", "debug".to_owned()),
        ("APP__WECHAT__API_BASE", fake.base.clone()),
        ("APP__OUTBOX__POLL_INTERVAL_MS", "50".to_owned()),
    ];
    env.extend(complaint_template_env());
    let served = Served::start(&env).await;
    let settings = test_settings("unused", "unused:");
    let web = reqwest::Client::builder()
        .cookie_store(true)
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();

    // WeChat: a subscription, a village's name, 进度, and the signature of one.
    let mut signatures = Vec::new();
    for (i, message) in [
        event(FOLLOWER, "subscribe", Some("qrscene_411503209202")),
        text(FOLLOWER, "王岗"),
        text(FOLLOWER, "进度"),
        text(OTHER, "帮助"),
    ]
    .iter()
    .enumerate()
    {
        let nonce = format!("{}", 731_000 + i);
        let (query, body) =
            simulate::signed_request(&settings, WechatMode::Plain, message, now(), &nonce).unwrap();
        let r = web
            .post(served.url(&format!("/wechat?{query}")))
            .body(body)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200);
        let signature = url::form_urlencoded::parse(query.as_bytes())
            .find(|(k, _)| k == "signature")
            .unwrap()
            .1
            .into_owned();
        signatures.push((signature, nonce));
    }

    // OAuth: a refused callback (someone else's state), then the real sign-in.
    let r = web
        .get(served.url("/complaints/mine"))
        .send()
        .await
        .unwrap();
    let to = r.headers()["location"].to_str().unwrap().to_owned();
    let state = query_param(&to, "state");
    fake.oauth_code(CODE, FOLLOWER);
    let refused = reqwest::Client::new()
        .get(served.url(&format!("/oauth/callback?code={CODE}&state=forged")))
        .send()
        .await
        .unwrap();
    assert_eq!(refused.status(), 400);
    let r = web
        .get(served.url(&format!("/oauth/callback?code={CODE}&state={state}")))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 302);

    // A real-name complaint with a photo.
    let form = web
        .get(served.url(&format!("/complaints/new?village={WANGGANG}")))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let body = reqwest::multipart::Form::new()
        .text("form_key", hidden(&form, "form_key"))
        .text("csrf", hidden(&form, "csrf"))
        .text("village", WANGGANG)
        .text("category", "sanzi")
        .text(
            "content",
            "村里鱼塘承包费三年没有公开，去向不明，请纪委核查。",
        )
        .text("identity", "named")
        .text("name", NAME)
        .text("phone", PHONE)
        .part(
            "photos",
            reqwest::multipart::Part::bytes(phone_photo())
                .file_name("a.jpg")
                .mime_str("image/jpeg")
                .unwrap(),
        );
    let r = web
        .post(served.url("/complaints"))
        .multipart(body)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 303);

    // Staff accept it, read it (with the complainant's contact) and answer it.
    let pool = sqlx::PgPool::connect(&url_of(&served.db_name))
        .await
        .unwrap();
    // An inspector with an API session (the account made through the real service).
    let token = {
        let settings = test_settings(&served.db_name, &served.key_prefix);
        let service = sunvillage::startup::accounts_service(&settings, pool.clone()).unwrap();
        sunvillage::storage::accounts::insert_unit(
            &pool,
            "王岗乡纪委",
            &sunvillage::domain::RegionCode::parse("411503209").unwrap(),
        )
        .await
        .unwrap();
        let id = service
            .create(
                sunvillage::services::audit::Actor::command_line(),
                sunvillage::services::accounts::AccountForm {
                    username: "lisi".into(),
                    display_name: "李四".into(),
                    role: sunvillage::domain::staff::Role::Inspector,
                    region: sunvillage::domain::RegionCode::parse("4115").unwrap(),
                    unit: None,
                    password: secrecy::SecretString::from(
                        crate::support::staff::PASSWORD.to_owned(),
                    ),
                    must_change_password: false,
                    sample: false,
                },
            )
            .await
            .unwrap();
        service
            .sessions
            .create(id, 1, sunvillage::auth::staff_session::SessionKind::Api)
            .await
            .unwrap()
            .0
    };
    let id: i64 = sqlx::query_scalar("SELECT complaint_id FROM complaints")
        .fetch_one(&pool)
        .await
        .unwrap();
    let api = reqwest::Client::new();
    for action in [
        json!({"action": "accept"}),
        json!({"action": "assign", "unit": "王岗乡纪委"}),
    ] {
        let r = api
            .post(served.url(&format!("/api/staff/complaints/{id}/actions")))
            .bearer_auth(&token)
            .json(&action)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200);
    }
    let detail = api
        .get(served.url(&format!("/api/staff/complaints/{id}")))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(detail.contains(PHONE), "the handler sees the contact");
    // The pushes leave through the outbox worker.
    fake.until_delivered(3).await;
    assert!(fake.delivered().len() >= 3, "the pushes were sent");
    pool.close().await;

    let log = served.stop().await;
    assert!(
        log.contains("answered a message"),
        "the log is really at debug:\n{log}"
    );
    let mut secrets = vec![
        FOLLOWER.to_owned(),
        OTHER.to_owned(),
        CODE.to_owned(),
        NAME.to_owned(),
        PHONE.to_owned(),
        "138****".to_owned(),
        "development-session-secret-not-for-production".to_owned(),
        "sunvillage-dev-token".to_owned(),
        "development-app-secret".to_owned(),
        "jWmYm7qr5nMoAUwZRjGtBxmz3KA1tkAj3ykkR6q2B2C".to_owned(),
        token.clone(),
        state,
    ];
    for (signature, nonce) in signatures {
        secrets.push(signature);
        secrets.push(format!("nonce={nonce}"));
    }
    for secret in secrets {
        assert!(!log.contains(&secret), "the log holds {secret}");
    }
}
