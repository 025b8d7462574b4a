//! A follower on the pages: a phone's browser signed in through (a fake of) WeChat's
//! OAuth, the complaint form it fills in, and a session cookie for clients that are
//! not a browser.

use sunvillage::auth::follower::{SESSION_COOKIE, Sessions};
use sunvillage::configuration::Settings;
use sunvillage::domain::OpenId;
use sunvillage::kv::Kv;
use sunvillage::wechat::api::WechatApi;

use super::app::TestApp;
use super::fake_wechat::FakeWechat;

/// A photo as a phone takes it: 40 × 20 pixels stored sideways (EXIF orientation 6),
/// with the phone's model and a GPS position in its EXIF.
pub fn phone_photo() -> Vec<u8> {
    sunvillage::domain::photo::testing::jpeg_with_gps(40, 20)
}

/// A phone's browser: keeps cookies, does not follow redirects.
pub struct Browser<'a> {
    app: &'a TestApp,
    /// Its cookie jar holds the session.
    pub client: reqwest::Client,
    pub openid: String,
}

fn location(r: &reqwest::Response) -> String {
    r.headers()
        .get("location")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned()
}

/// Sends `request`: the status, the Location (empty when none) and the body.
async fn answer(request: reqwest::RequestBuilder) -> (u16, String, String) {
    let r = request.send().await.unwrap();
    let status = r.status().as_u16();
    let to = location(&r);
    (status, to, r.text().await.unwrap())
}

/// The value of query parameter `name` in `url` (the `state` of WeChat's authorize
/// URL, the `redirect_uri` it sends back to).
pub fn query_param(url: &str, name: &str) -> String {
    let query = url.split_once('?').unwrap().1.split('#').next().unwrap();
    url::form_urlencoded::parse(query.as_bytes())
        .find(|(k, _)| k == name)
        .unwrap()
        .1
        .into_owned()
}

/// The `value` of the hidden input `name` (the first one) in a page.
pub fn hidden(html: &str, name: &str) -> String {
    let marker = format!("name=\"{name}\" value=\"");
    let (_, rest) = html
        .split_once(&marker)
        .unwrap_or_else(|| panic!("no {name} in the page"));
    rest.split('"').next().unwrap().to_owned()
}

impl<'a> Browser<'a> {
    /// Signs in as `openid` the way WeChat would: the page sends the browser to the
    /// authorize URL, WeChat comes back to our callback with a code.
    pub async fn signed_in(app: &'a TestApp, fake: &FakeWechat, openid: &str) -> Browser<'a> {
        let client = reqwest::Client::builder()
            .cookie_store(true)
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .unwrap();
        let r = client
            .get(app.url("/complaints/mine"))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 302);
        let to = location(&r);
        assert!(
            to.starts_with("https://open.weixin.qq.com/connect/oauth2/authorize"),
            "{to}"
        );
        let state = query_param(&to, "state");
        let code = format!("code-{openid}");
        fake.oauth_code(&code, openid);
        let r = client
            .get(app.url(&format!("/oauth/callback?code={code}&state={state}")))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 302, "{}", r.text().await.unwrap());
        Browser {
            app,
            client,
            openid: openid.to_owned(),
        }
    }

    pub async fn get(&self, path: &str) -> (u16, String) {
        let r = self.client.get(self.app.url(path)).send().await.unwrap();
        (r.status().as_u16(), r.text().await.unwrap())
    }

    /// Opens the form for `village` and submits it with `fields` (and a photo when
    /// `photo`); returns the status, the Location and the body.
    pub async fn submit(
        &self,
        village: &str,
        fields: &[(&str, &str)],
        photo: bool,
    ) -> (u16, String, String) {
        answer(self.filled_form(village, fields, photo).await).await
    }

    /// The form for `village` opened and filled in, ready to send.
    async fn filled_form(
        &self,
        village: &str,
        fields: &[(&str, &str)],
        photo: bool,
    ) -> reqwest::RequestBuilder {
        let (status, form) = self
            .get(&format!("/complaints/new?village={village}"))
            .await;
        assert_eq!(status, 200, "{form}");
        self.form_request(
            &hidden(&form, "form_key"),
            &hidden(&form, "csrf"),
            village,
            fields,
            photo,
        )
    }

    pub async fn post_form(
        &self,
        form_key: &str,
        csrf: &str,
        village: &str,
        fields: &[(&str, &str)],
        photo: bool,
    ) -> (u16, String, String) {
        answer(self.form_request(form_key, csrf, village, fields, photo)).await
    }

    /// Submits the form for `village` as a proxy would pass it on, with `X-Request-Id`;
    /// the whole response.
    pub async fn submit_with_request_id(
        &self,
        village: &str,
        fields: &[(&str, &str)],
        request_id: &str,
    ) -> reqwest::Response {
        self.filled_form(village, fields, false)
            .await
            .header("x-request-id", request_id)
            .send()
            .await
            .unwrap()
    }

    fn form_request(
        &self,
        form_key: &str,
        csrf: &str,
        village: &str,
        fields: &[(&str, &str)],
        photo: bool,
    ) -> reqwest::RequestBuilder {
        let mut form = reqwest::multipart::Form::new()
            .text("form_key", form_key.to_owned())
            .text("csrf", csrf.to_owned())
            .text("village", village.to_owned());
        for (k, v) in fields {
            form = form.text((*k).to_owned(), (*v).to_owned());
        }
        if photo {
            let part = reqwest::multipart::Part::bytes(phone_photo())
                .file_name("photo.jpg")
                .mime_str("image/jpeg")
                .unwrap();
            form = form.part("photos", part);
        }
        self.client
            .post(self.app.url("/complaints"))
            .multipart(form)
    }

    pub async fn post(&self, path: &str, form: &[(&str, &str)]) -> (u16, String) {
        let (status, to, body) = answer(self.client.post(self.app.url(path)).form(form)).await;
        (status, if to.is_empty() { body } else { to })
    }
}

pub const GOOD: &[(&str, &str)] = &[
    ("category", "sanzi"),
    (
        "content",
        "村里鱼塘承包费三年没有公开，去向不明，请纪委核查。",
    ),
    ("identity", "named"),
    ("name", "张三"),
    ("phone", "13812345678"),
];

/// Sessions signed with `settings`' secret, as the server with those settings signs.
pub fn sessions_of(settings: &Settings) -> Sessions {
    let kv = Kv::memory("unused:");
    let api = WechatApi::from_settings(&settings.wechat, &kv).unwrap();
    Sessions::from_settings(settings, api).unwrap()
}

/// The `Cookie` header the OAuth callback would give a follower signed in as `openid`,
/// for load tests and raw sockets that cannot go through OAuth.
pub fn session_cookie(sessions: &Sessions, openid: &str) -> String {
    let response = sessions.signed_in(&OpenId::parse(openid).unwrap(), "/");
    let cookie = response
        .cookies()
        .find(|c| c.name() == SESSION_COOKIE)
        .unwrap();
    format!("{}={}", cookie.name(), cookie.value())
}
