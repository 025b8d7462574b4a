//! Two instances, one truth (issue 17): an in-process instance (A) and a `serve`
//! process (B) on the same Postgres and Redis. A message and WeChat's retry of it reach
//! different instances and are answered once, alike; a status change made on A is
//! pushed by B's worker; a session made on A works on B; and with nginx in front (the
//! deployment's own configuration), B restarted while requests keep coming: none fails.

use std::process::Stdio;
use std::time::Duration;

use serde_json::json;
use sunvillage::configuration::WechatMode;

use crate::support::complaints::{OPENID, named, submit_as};
use crate::support::fake_wechat::FakeWechat;
use crate::support::follower::Browser;
use crate::support::served::{Served, complaint_template_env, free_port};
use crate::support::staff::{StaffRole, act, staff_token};
use crate::support::wechat::{decode, text, text_of};
use crate::support::{TestApp, complaints::complaint_templates, spawn_app_with_wechat};

/// B beside A: the same database and Redis prefix, its own worker delivering the outbox.
async fn beside(app: &TestApp, fake: &FakeWechat, port: u16) -> Served {
    let mut env = vec![
        ("APP__WECHAT__API_BASE", fake.base.clone()),
        ("APP__OUTBOX__WORKER_IN_SERVE", "true".to_owned()),
        ("APP__OUTBOX__POLL_INTERVAL_MS", "50".to_owned()),
        ("APP__LOG__FILTER", "warn".to_owned()),
    ];
    env.extend(complaint_template_env());
    Served::start_beside(&app.db_name, &app.settings.redis.key_prefix, port, &env).await
}

async fn two(fake: &FakeWechat) -> (TestApp, Served) {
    // A delivers nothing itself (complaint_templates turns its worker off).
    let a = spawn_app_with_wechat(fake, complaint_templates).await;
    let b = beside(&a, fake, free_port()).await;
    (a, b)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_message_and_its_retry_at_different_instances_are_answered_once_alike() {
    let fake = FakeWechat::start().await;
    let (a, b) = two(&fake).await;
    let (query, body) = a.signed(WechatMode::Plain, &text(OPENID, "王岗"));
    let (status, first) = a.post_wechat_raw(&query, body.clone()).await;
    assert_eq!(status, 200);
    let retry = reqwest::Client::new()
        .post(b.url(&format!("/wechat?{query}")))
        .header("content-type", "text/xml")
        .body(body)
        .send()
        .await
        .unwrap();
    assert_eq!(retry.status(), 200);
    let second = retry.text().await.unwrap();
    assert_eq!(second, first, "the retry gets the stored reply");
    assert!(text_of(decode(&a, &first)).contains("王岗"));
    // Handled once: one line in the message log (written in batches: wait for it).
    let logged = crate::support::wait::until(Duration::from_secs(10), async || {
        sqlx::query_scalar::<_, i64>("SELECT count(*) FROM inbound_messages")
            .fetch_one(&a.pool)
            .await
            .unwrap()
            >= 1
    })
    .await;
    assert!(logged);
    let n: i64 = sqlx::query_scalar("SELECT count(*) FROM inbound_messages")
        .fetch_one(&a.pool)
        .await
        .unwrap();
    assert_eq!(n, 1);
    b.terminate().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_status_change_on_one_instance_is_pushed_by_the_others_worker() {
    let fake = FakeWechat::start().await;
    let (a, b) = two(&fake).await;
    let complaint = submit_as(&a, OPENID, named(), 0).await;
    fake.until_delivered(1).await;
    let handler = staff_token(&a, "李四", StaffRole::Handler).await;
    act(
        &a,
        &handler,
        complaint.complaint_id,
        json!({"action": "accept"}),
    )
    .await;
    // A has no worker: only B can have sent these.
    fake.until_delivered(2).await;
    let sent = fake.delivered();
    assert_eq!(sent.len(), 2);
    assert!(sent.iter().all(|m| m.touser == OPENID));
    assert_eq!(sent[1].template_id, "tpl_complaint_accepted");
    b.terminate().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_session_made_on_one_instance_works_on_the_other() {
    let fake = FakeWechat::start().await;
    let (a, b) = two(&fake).await;
    let follower = Browser::signed_in(&a, &fake, OPENID).await;
    let (_, to, _) = follower
        .submit("411503209202", crate::support::follower::GOOD, false)
        .await;
    let tracking = to.rsplit('/').nth(1).unwrap_or_default().to_owned();
    // The browser's cookie is for the host, whichever instance answers.
    let r = follower
        .client
        .get(b.url("/complaints/mine"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let page = r.text().await.unwrap();
    assert!(
        !tracking.is_empty() && page.contains(&tracking),
        "{tracking}\n{page}"
    );
    b.terminate().await;
}

/// nginx with deploy/nginx/sunvillage.conf, its upstreams pointed at `ports`, TLS on
/// `https_port` with a throwaway certificate. One process (`master_process off`), so
/// that killing it leaves no worker holding the test's output open.
struct Nginx {
    child: tokio::process::Child,
    _dir: tempfile::TempDir,
}

impl Nginx {
    async fn start(ports: [u16; 2], http_port: u16, https_port: u16) -> Nginx {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        let site = std::fs::read_to_string(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/deploy/nginx/sunvillage.conf"
        ))
        .unwrap()
        .replace(
            "server app1:8080",
            &format!("server 127.0.0.1:{}", ports[0]),
        )
        .replace(
            "server app2:8080",
            &format!("server 127.0.0.1:{}", ports[1]),
        )
        .replace("listen 80;", &format!("listen 127.0.0.1:{http_port};"))
        .replace("listen [::]:80;", "")
        .replace(
            "listen 443 ssl http2;",
            &format!("listen 127.0.0.1:{https_port} ssl http2;"),
        )
        .replace("listen [::]:443 ssl http2;", "")
        .replace("/etc/nginx/tls/", &format!("{}/", d.display()));
        std::fs::write(d.join("site.conf"), site).unwrap();
        let status = std::process::Command::new("openssl")
            .args([
                "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
            ])
            .args(["-subj", "/CN=localhost", "-keyout"])
            .arg(d.join("privkey.pem"))
            .arg("-out")
            .arg(d.join("fullchain.pem"))
            .stderr(Stdio::null())
            .status()
            .unwrap();
        assert!(status.success());
        std::fs::write(
            d.join("nginx.conf"),
            format!(
                "daemon off;\nmaster_process off;\npid {0}/nginx.pid;\nerror_log {0}/error.log;\nevents {{}}\nhttp {{\n  access_log off;\n  client_body_temp_path {0};\n  proxy_temp_path {0};\n  include {0}/site.conf;\n}}\n",
                d.display()
            ),
        )
        .unwrap();
        let child = tokio::process::Command::new("nginx")
            .arg("-c")
            .arg(d.join("nginx.conf"))
            .arg("-e")
            .arg(d.join("error.log"))
            .kill_on_drop(true)
            .spawn()
            .expect("nginx is installed (scripts/ensure-services --tests)");
        Nginx { child, _dir: dir }
    }
}

impl Drop for Nginx {
    fn drop(&mut self) {
        let _ = self.child.start_kill();
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_rolling_restart_behind_nginx_fails_no_request() {
    let fake = FakeWechat::start().await;
    let a = spawn_app_with_wechat(&fake, complaint_templates).await;
    let b_port = free_port();
    let b = beside(&a, &fake, b_port).await;
    let (http_port, https_port) = (free_port(), free_port());
    let _nginx = Nginx::start([a.port(), b_port], http_port, https_port).await;
    let client = reqwest::Client::builder()
        .danger_accept_invalid_certs(true)
        .build()
        .unwrap();
    let url = format!("https://127.0.0.1:{https_port}/v/411503209202");
    let up = crate::support::wait::until(Duration::from_secs(10), async || {
        client
            .get(&url)
            .send()
            .await
            .is_ok_and(|r| r.status() == 200)
    })
    .await;
    assert!(up, "nginx did not come up");

    // Villagers keep reading while B is restarted.
    let stop = tokio_util::sync::CancellationToken::new();
    let load = tokio::spawn({
        let (client, url, stop) = (client.clone(), url.clone(), stop.clone());
        async move {
            let (mut ok, mut failed) = (0u32, Vec::new());
            while !stop.is_cancelled() {
                match client.get(&url).send().await {
                    Ok(r) if r.status() == 200 => ok += 1,
                    Ok(r) => failed.push(r.status().to_string()),
                    Err(e) => failed.push(e.to_string()),
                }
            }
            (ok, failed)
        }
    });
    b.terminate().await;
    let b = beside(&a, &fake, b_port).await;
    // And once more, so that the restarted B serves a share before the end.
    let served_by_b = crate::support::wait::until(Duration::from_secs(10), async || {
        reqwest::get(b.url("/healthz"))
            .await
            .is_ok_and(|r| r.status() == 200)
    })
    .await;
    assert!(served_by_b);
    stop.cancel();
    let (ok, failed) = load.await.unwrap();
    assert!(
        failed.is_empty(),
        "{} failed of {}: {failed:?}",
        failed.len(),
        ok as usize + failed.len()
    );
    assert!(ok > 20, "{ok}");
    b.terminate().await;
}
