//! A local fake of WeChat's API for tests: a small actix app on a random port that keeps
//! state (issued tokens, fetch counts, accepted template messages, the menu, OAuth codes)
//! and can be told to misbehave (delay token fetches, expire tokens, answer "system busy",
//! fail the next sends with a code, hold a send after accepting it). It behaves like
//! WeChat where the client relies on it: stable_token returns the valid token unless
//! forced, business calls check the access_token, template sends honour client_msg_id.
//! A test that waits for a worker it does not drive itself (a child process, a worker
//! it crashes) awaits [`FakeWechat::until_delivered`], woken by each request.

use std::collections::{HashMap, HashSet, VecDeque};
use std::net::TcpListener;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use tokio::sync::Notify;

use actix_web::dev::ServerHandle;
use actix_web::{App, HttpRequest, HttpResponse, HttpServer, web};
use serde_json::{Value, json};

/// The AppID and AppSecret the fake accepts (and `app::test_settings` configures).
pub const APP_ID: &str = "wx5823bf96d3bd56c7";
pub const APP_SECRET: &str = "development-app-secret";

/// A template message the fake accepted (and would show the follower).
#[derive(Debug, Clone)]
pub struct SentMessage {
    pub touser: String,
    pub template_id: String,
    pub client_msg_id: String,
    pub url: Option<String>,
    pub data: Value,
    pub msgid: i64,
}

/// How WeChat's API can fail as a whole (issue 17's fault tests).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outage {
    /// An HTTP error from WeChat's front end (502, 503), with an HTML body.
    Status(u16),
    /// No answer until the client gives up.
    Hang,
    /// `200 OK` with a body that is not JSON (cut off mid-object).
    Garbled,
    /// A JSON errcode for every call: -1 (busy) or 45009 (over the quota).
    Errcode(i64),
}

#[derive(Default)]
struct State {
    /// Every business call fails this way until cleared.
    outage: Option<Outage>,
    /// Notified after every request has changed the state.
    changed: Arc<Notify>,
    /// Every request, by path (query strings are never recorded).
    requests: Vec<String>,
    token_fetches: usize,
    token_delay: Duration,
    issued: u64,
    /// The token stable_token hands out while it is valid.
    current_token: Option<String>,
    valid_tokens: HashSet<String>,
    /// Business calls answer 40001 whatever the token.
    reject_all_tokens: bool,
    /// The next N business calls answer -1.
    busy_answers: usize,
    /// Token endpoints answer 40125 with the secret echoed in errmsg.
    echo_secret: bool,
    send_requests: usize,
    /// errcodes for the next sends, in order (0 = accept).
    send_script: VecDeque<i64>,
    /// After accepting a message, hold the answer this long.
    send_hold: Duration,
    unsubscribed: HashSet<String>,
    accepted: HashMap<(String, String), i64>,
    delivered: Vec<SentMessage>,
    next_msgid: i64,
    menu: Option<Value>,
    ticket_fetches: usize,
    qrcode_scenes: Vec<String>,
    oauth_codes: HashMap<String, String>,
    used_codes: HashSet<String>,
    code_exchanges: usize,
}

/// The running fake; stopped when dropped.
pub struct FakeWechat {
    /// `http://127.0.0.1:<port>`, for `wechat.api_base`.
    pub base: String,
    state: Arc<Mutex<State>>,
    handle: ServerHandle,
}

impl Drop for FakeWechat {
    fn drop(&mut self) {
        let handle = self.handle.clone();
        if let Ok(rt) = tokio::runtime::Handle::try_current() {
            rt.spawn(async move { handle.stop(false).await });
        }
    }
}

fn error(code: i64, msg: &str) -> HttpResponse {
    HttpResponse::Ok().json(json!({ "errcode": code, "errmsg": msg }))
}

fn lock(state: &Mutex<State>) -> MutexGuard<'_, State> {
    state.lock().unwrap_or_else(|p| p.into_inner())
}

/// Wakes whoever waits in [`FakeWechat::until`]; called once a request's change is made.
fn changed(state: &Mutex<State>) {
    lock(state).changed.notify_waiters();
}

type Shared = web::Data<Mutex<State>>;

impl FakeWechat {
    pub async fn start() -> FakeWechat {
        let state = Arc::new(Mutex::new(State {
            next_msgid: 200_228_332,
            ..State::default()
        }));
        let data: Shared = web::Data::from(Arc::clone(&state));
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let server = HttpServer::new(move || {
            App::new()
                .app_data(data.clone())
                .app_data(web::PayloadConfig::new(1 << 20))
                .route("/cgi-bin/stable_token", web::post().to(stable_token))
                .route("/cgi-bin/token", web::get().to(token))
                .default_service(web::to(business))
        })
        .workers(2)
        .disable_signals()
        .listen(listener)
        .unwrap()
        .run();
        let handle = server.handle();
        tokio::spawn(server);
        FakeWechat {
            base: format!("http://127.0.0.1:{port}"),
            state,
            handle,
        }
    }

    fn with<T>(&self, f: impl FnOnce(&mut State) -> T) -> T {
        f(&mut lock(&self.state))
    }

    /// Requests received, by path.
    pub fn requests(&self) -> Vec<String> {
        self.with(|s| s.requests.clone())
    }

    pub fn token_fetches(&self) -> usize {
        self.with(|s| s.token_fetches)
    }

    /// Token endpoints take this long to answer.
    pub fn delay_token_fetches(&self, delay: Duration) {
        self.with(|s| s.token_delay = delay);
    }

    /// Every token issued so far stops working (as when it expires).
    pub fn expire_tokens(&self) {
        self.with(|s| {
            s.valid_tokens.clear();
            s.current_token = None;
        });
    }

    /// Business calls answer 40001 whatever the token.
    pub fn reject_all_tokens(&self) {
        self.with(|s| s.reject_all_tokens = true);
    }

    /// Every business call (not the token endpoints) fails this way until `None`;
    /// template sends are counted as requests all the same.
    pub fn outage(&self, outage: Option<Outage>) {
        self.with(|s| s.outage = outage);
    }

    /// The next `n` business calls answer -1 (system busy).
    pub fn answer_busy(&self, n: usize) {
        self.with(|s| s.busy_answers = n);
    }

    /// Token endpoints fail with 40125 and an errmsg that repeats the secret.
    pub fn echo_secret_in_errors(&self) {
        self.with(|s| s.echo_secret = true);
    }

    /// The next sends answer these errcodes in order (0 accepts).
    pub fn script_sends(&self, codes: &[i64]) {
        self.with(|s| s.send_script.extend(codes));
    }

    /// After accepting a message, the answer is held this long.
    pub fn hold_sends(&self, hold: Duration) {
        self.with(|s| s.send_hold = hold);
    }

    /// This follower has unsubscribed: sends to them answer 43004.
    pub fn unsubscribe(&self, openid: &str) {
        self.with(|s| s.unsubscribed.insert(openid.to_owned()));
    }

    /// Template send requests received, accepted or not.
    pub fn send_requests(&self) -> usize {
        self.with(|s| s.send_requests)
    }

    /// Messages accepted, each once (a resend with the same client_msg_id is dropped).
    pub fn delivered(&self) -> Vec<SentMessage> {
        self.with(|s| s.delivered.clone())
    }

    pub fn menu(&self) -> Option<Value> {
        self.with(|s| s.menu.clone())
    }

    pub fn set_menu(&self, menu: Value) {
        self.with(|s| s.menu = Some(menu));
    }

    pub fn ticket_fetches(&self) -> usize {
        self.with(|s| s.ticket_fetches)
    }

    pub fn qrcode_scenes(&self) -> Vec<String> {
        self.with(|s| s.qrcode_scenes.clone())
    }

    /// The jsapi_ticket the fake hands out.
    pub const TICKET: &'static str =
        "bxLdikRXVbTPdHSM05e5u5sUoXNKd8-41ZO3MhKoyN5OfkWITDGgnr2fwJ0m9E8NYzWKVZvdVtaUgWvsdshFKA";

    /// An OAuth code that exchanges (once) for `openid`.
    pub fn oauth_code(&self, code: &str, openid: &str) {
        self.with(|s| s.oauth_codes.insert(code.to_owned(), openid.to_owned()));
    }

    pub fn code_exchanges(&self) -> usize {
        self.with(|s| s.code_exchanges)
    }

    /// Returns once `done` holds of the fake's state, checked now and after every
    /// request; fails the test when no request makes it hold within the patience.
    async fn until(&self, what: &str, done: impl Fn(&State) -> bool) {
        let changed = self.with(|s| Arc::clone(&s.changed));
        let deadline = tokio::time::Instant::now() + super::wait::PATIENCE;
        loop {
            // Registered before looking, so a request in between is not missed.
            let woken = changed.notified();
            tokio::pin!(woken);
            woken.as_mut().enable();
            if self.with(|s| done(s)) {
                return;
            }
            if tokio::time::timeout_at(deadline, woken).await.is_err() {
                panic!("the fake WeChat never saw {what}");
            }
        }
    }

    /// Waits until `n` template sends have been requested (accepted or not).
    pub async fn until_send_requests(&self, n: usize) {
        self.until(&format!("{n} template sends"), |s| s.send_requests >= n)
            .await;
    }

    /// Waits until `n` distinct template messages have been accepted.
    pub async fn until_delivered(&self, n: usize) {
        self.until(&format!("{n} delivered messages"), |s| {
            s.delivered.len() >= n
        })
        .await;
    }
}

fn issue(s: &mut State) -> String {
    s.issued += 1;
    let token = format!("ACCESS_TOKEN_{}", s.issued);
    s.valid_tokens.insert(token.clone());
    s.current_token = Some(token.clone());
    token
}

/// A token endpoint's answer, after the configured delay.
async fn token_answer(
    state: &Mutex<State>,
    delay: Duration,
    answer: Result<String, String>,
) -> HttpResponse {
    changed(state);
    tokio::time::sleep(delay).await;
    match answer {
        Ok(token) => HttpResponse::Ok().json(json!({ "access_token": token, "expires_in": 7200 })),
        Err(msg) => error(40125, &msg),
    }
}

async fn stable_token(state: Shared, body: web::Json<Value>) -> HttpResponse {
    let (delay, answer) = {
        let mut s = lock(&state);
        s.requests.push("/cgi-bin/stable_token".into());
        s.token_fetches += 1;
        let ok = body["grant_type"] == "client_credential"
            && body["appid"] == APP_ID
            && body["secret"] == APP_SECRET;
        let answer = if s.echo_secret {
            let secret = body["secret"].as_str().unwrap_or_default().to_owned();
            Err(format!("invalid appsecret {secret}, rid: 1"))
        } else if !ok {
            Err("invalid appsecret".to_owned())
        } else {
            let force = body["force_refresh"].as_bool().unwrap_or(false);
            let token = match s.current_token.clone() {
                Some(t) if !force => t,
                _ => issue(&mut s),
            };
            Ok(token)
        };
        (s.token_delay, answer)
    };
    token_answer(&state, delay, answer).await
}

async fn token(state: Shared, query: web::Query<HashMap<String, String>>) -> HttpResponse {
    let (delay, answer) = {
        let mut s = lock(&state);
        s.requests.push("/cgi-bin/token".into());
        s.token_fetches += 1;
        let ok = query.get("grant_type").map(String::as_str) == Some("client_credential")
            && query.get("appid").map(String::as_str) == Some(APP_ID)
            && query.get("secret").map(String::as_str) == Some(APP_SECRET);
        let answer = if s.echo_secret {
            Err(format!(
                "invalid appsecret {}, rid: 1",
                query.get("secret").cloned().unwrap_or_default()
            ))
        } else if ok {
            Ok(issue(&mut s))
        } else {
            Err("invalid appsecret".to_owned())
        };
        (s.token_delay, answer)
    };
    token_answer(&state, delay, answer).await
}

/// Every call that takes an access_token, plus the OAuth code exchange.
async fn business(
    req: HttpRequest,
    state: Shared,
    query: web::Query<HashMap<String, String>>,
    body: web::Bytes,
) -> HttpResponse {
    let path = req.path().to_owned();
    if path == "/sns/oauth2/access_token" {
        let answer = oauth(&state, &query);
        changed(&state);
        return answer;
    }
    let body: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
    let outage = {
        let mut s = lock(&state);
        if s.outage.is_some() {
            s.requests.push(path.clone());
            if path == "/cgi-bin/message/template/send" {
                s.send_requests += 1;
            }
        }
        s.outage
    };
    if let Some(outage) = outage {
        changed(&state);
        return match outage {
            Outage::Status(code) => {
                HttpResponse::build(actix_web::http::StatusCode::from_u16(code).unwrap())
                    .content_type("text/html")
                    .body("<html><body><h1>502 Bad Gateway</h1></body></html>")
            }
            Outage::Hang => {
                tokio::time::sleep(Duration::from_secs(60)).await;
                error(-1, "system error")
            }
            Outage::Garbled => HttpResponse::Ok()
                .content_type("application/json")
                .body(r#"{"errcode":0,"errmsg":"ok","msgid":2002"#),
            Outage::Errcode(code) => error(code, "scripted outage"),
        };
    }
    let mut hold = Duration::ZERO;
    let answer = {
        let mut s = lock(&state);
        s.requests.push(path.clone());
        // Refusals below return at once; whoever waits still hears of the request.
        s.changed.notify_waiters();
        let token = query.get("access_token").cloned().unwrap_or_default();
        if s.reject_all_tokens {
            return error(
                40001,
                "invalid credential, access_token is invalid or not latest",
            );
        }
        if !s.valid_tokens.contains(&token) {
            return error(42001, "access_token expired");
        }
        if s.busy_answers > 0 {
            s.busy_answers -= 1;
            return error(-1, "system error");
        }
        match path.as_str() {
            "/cgi-bin/menu/create" => {
                s.menu = Some(body);
                json!({ "errcode": 0, "errmsg": "ok" })
            }
            "/cgi-bin/menu/get" => match &s.menu {
                Some(m) => json!({ "menu": m }),
                None => json!({ "errcode": 46003, "errmsg": "menu no exist" }),
            },
            "/cgi-bin/menu/delete" => {
                s.menu = None;
                json!({ "errcode": 0, "errmsg": "ok" })
            }
            "/cgi-bin/ticket/getticket" => {
                s.ticket_fetches += 1;
                json!({ "errcode": 0, "errmsg": "ok", "ticket": FakeWechat::TICKET, "expires_in": 7200 })
            }
            "/cgi-bin/qrcode/create" => {
                let scene = body["action_info"]["scene"]["scene_str"]
                    .as_str()
                    .unwrap_or_default()
                    .to_owned();
                if body["action_name"] != "QR_LIMIT_STR_SCENE" || scene.is_empty() {
                    json!({ "errcode": 40052, "errmsg": "invalid action name" })
                } else {
                    s.qrcode_scenes.push(scene.clone());
                    json!({ "ticket": format!("gQH4{scene}+/=="), "url": format!("http://weixin.qq.com/q/{scene}") })
                }
            }
            "/cgi-bin/message/template/send" => {
                let (answer, h) = template_send(&mut s, body);
                hold = h;
                answer
            }
            _ => json!({ "errcode": 40066, "errmsg": "invalid url" }),
        }
    };
    changed(&state);
    tokio::time::sleep(hold).await;
    HttpResponse::Ok().json(answer)
}

fn template_send(s: &mut State, body: Value) -> (Value, Duration) {
    s.send_requests += 1;
    if let Some(code) = s.send_script.pop_front().filter(|c| *c != 0) {
        return (
            json!({ "errcode": code, "errmsg": "scripted failure" }),
            Duration::ZERO,
        );
    }
    let touser = body["touser"].as_str().unwrap_or_default().to_owned();
    if s.unsubscribed.contains(&touser) {
        return (
            json!({ "errcode": 43004, "errmsg": "require subscribe" }),
            Duration::ZERO,
        );
    }
    let client_msg_id = body["client_msg_id"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    let key = (touser.clone(), client_msg_id.clone());
    let msgid = match s.accepted.get(&key) {
        Some(msgid) if !client_msg_id.is_empty() => *msgid,
        _ => {
            s.next_msgid += 1;
            let msgid = s.next_msgid;
            s.accepted.insert(key, msgid);
            s.delivered.push(SentMessage {
                touser,
                template_id: body["template_id"].as_str().unwrap_or_default().to_owned(),
                client_msg_id,
                url: body["url"].as_str().map(str::to_owned),
                data: body["data"].clone(),
                msgid,
            });
            msgid
        }
    };
    (
        json!({ "errcode": 0, "errmsg": "ok", "msgid": msgid }),
        s.send_hold,
    )
}

fn oauth(state: &Mutex<State>, query: &HashMap<String, String>) -> HttpResponse {
    let mut s = lock(state);
    s.requests.push("/sns/oauth2/access_token".into());
    s.code_exchanges += 1;
    if query.get("appid").map(String::as_str) != Some(APP_ID)
        || query.get("secret").map(String::as_str) != Some(APP_SECRET)
        || query.get("grant_type").map(String::as_str) != Some("authorization_code")
    {
        return error(40125, "invalid appsecret");
    }
    let code = query.get("code").cloned().unwrap_or_default();
    if s.used_codes.contains(&code) {
        return error(40163, "code been used");
    }
    let Some(openid) = s.oauth_codes.get(&code).cloned() else {
        return error(40029, "invalid code");
    };
    s.used_codes.insert(code);
    HttpResponse::Ok().json(json!({
        "access_token": "SNS_ACCESS_TOKEN",
        "expires_in": 7200,
        "refresh_token": "REFRESH_TOKEN",
        "openid": openid,
        "scope": "snsapi_base",
    }))
}
