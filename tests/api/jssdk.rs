//! `GET /api/jssdk/config`: a wx.config signature for a page of this site, with the
//! jsapi_ticket fetched once and cached like the access_token.

use sunvillage::wechat::api::jssdk;

use crate::support::fake_wechat::FakeWechat;
use crate::support::spawn_app_with_wechat;

#[tokio::test]
async fn a_page_url_is_signed_with_the_cached_jsapi_ticket() {
    let fake = FakeWechat::start().await;
    let app = spawn_app_with_wechat(&fake, |_| {}).await;

    let mut configs = Vec::new();
    for _ in 0..2 {
        let (status, body) = app
            .get_json("/api/jssdk/config?url=http%3A%2F%2Fcunwu.test%2Fvillage%2F411503209202%3Ftab%3D1%23top")
            .await;
        assert_eq!(status, 200, "{body}");
        configs.push(body);
    }

    for c in &configs {
        assert_eq!(c["appId"], "wx5823bf96d3bd56c7");
        let expected = jssdk::signature(
            FakeWechat::TICKET,
            c["nonceStr"].as_str().unwrap(),
            c["timestamp"].as_i64().unwrap(),
            "http://cunwu.test/village/411503209202?tab=1",
        );
        assert_eq!(c["signature"], expected);
    }
    assert_eq!(fake.ticket_fetches(), 1);
    assert_eq!(fake.token_fetches(), 1);
}

#[tokio::test]
async fn a_url_of_another_site_is_not_signed() {
    let fake = FakeWechat::start().await;
    let app = spawn_app_with_wechat(&fake, |_| {}).await;
    for query in [
        "url=https%3A%2F%2Fevil.example%2F",
        "url=http%3A%2F%2Fcunwu.test.evil.example%2F",
        "",
    ] {
        let (status, body) = app.get_json(&format!("/api/jssdk/config?{query}")).await;
        assert_eq!(status, 400, "{query}: {body}");
        assert!(body["error"].is_string());
    }
    assert_eq!(fake.ticket_fetches(), 0);
}
