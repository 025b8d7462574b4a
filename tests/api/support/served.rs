//! The real `sunvillage serve` in a process of its own, for what only a separate process
//! shows: its resident memory, its open file descriptors, and everything it logs.

use std::collections::HashMap;
use std::path::PathBuf;
use std::process::Stdio;
use std::time::Duration;

use tokio::process::{Child, Command};

use super::database::drop_database;
use super::wait::until;
use super::{REDIS_URL, fresh_database, unique_name, url_of};

pub struct Served {
    child: Child,
    pub address: String,
    pub db_name: String,
    /// Its Redis key prefix.
    pub key_prefix: String,
    /// Everything the process wrote to stderr (its log).
    pub log: PathBuf,
    _dir: tempfile::TempDir,
}

/// The complaint pushes' templates, as environment variables for `serve`.
pub fn complaint_template_env() -> Vec<(&'static str, String)> {
    // Names built at run time, for `Served::start`'s `&str` keys.
    let leak = |s: String| -> &'static str { Box::leak(s.into_boxed_str()) };
    let mut env = Vec::new();
    for event in sunvillage::domain::complaint::Event::NOTIFIED {
        let kind = event.as_str().to_ascii_uppercase();
        let at = |rest: &str| format!("APP__WECHAT__TEMPLATES__{kind}__{rest}");
        env.push((leak(at("TEMPLATE_ID")), format!("tpl_{kind}")));
        env.push((
            leak(at("FIELDS__TRACKING_NUMBER")),
            "character_string1".into(),
        ));
        env.push((leak(at("FIELDS__STATUS")), "phrase2".into()));
        env.push((leak(at("FIELDS__TIME")), "time3".into()));
    }
    env
}

/// A port nobody listens on now.
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

impl Served {
    /// Starts `serve` on a fresh database with `env` over the test defaults, and waits
    /// until it answers.
    pub async fn start(env: &[(&str, String)]) -> Served {
        let db_name = fresh_database().await;
        let key_prefix = format!("{}:", unique_name("svserved"));
        Served::start_beside(&db_name, &key_prefix, free_port(), env).await
    }

    /// Starts `serve` on port `port` of an existing database and Redis key prefix (a
    /// second instance beside another, or the same instance again after a restart).
    pub async fn start_beside(
        db_name: &str,
        key_prefix: &str,
        port: u16,
        env: &[(&str, String)],
    ) -> Served {
        let db_name = db_name.to_owned();
        let key_prefix = key_prefix.to_owned();
        let dir = tempfile::tempdir().unwrap();
        let log = dir.path().join("serve.log");
        let mut vars: HashMap<&str, String> = HashMap::from([
            ("APP__DATABASE__URL", url_of(&db_name)),
            ("APP__REDIS__URL", REDIS_URL.clone()),
            ("APP__REDIS__KEY_PREFIX", key_prefix.clone()),
            ("APP__SERVER__BIND", format!("127.0.0.1:{port}")),
            ("APP__SERVER__WORKERS", "2".into()),
            ("APP__PUBLIC_BASE_URL", "http://cunwu.test".into()),
            ("APP__WECHAT__API_BASE", "http://127.0.0.1:9".into()),
            ("APP__LOG__FILTER", "info,sqlx=warn".into()),
        ]);
        for (k, v) in env {
            vars.insert(k, v.clone());
        }
        let child = Command::new(env!("CARGO_BIN_EXE_sunvillage"))
            .arg("serve")
            .env_remove("RUST_LOG")
            .envs(vars)
            .stdout(Stdio::null())
            .stderr(std::fs::File::create(&log).unwrap())
            .kill_on_drop(true)
            .spawn()
            .unwrap();
        let served = Served {
            child,
            address: format!("http://127.0.0.1:{port}"),
            db_name,
            key_prefix,
            log,
            _dir: dir,
        };
        served.wait_until_up().await;
        served
    }

    async fn wait_until_up(&self) {
        let client = reqwest::Client::new();
        let up = until(Duration::from_secs(30), async || {
            client
                .get(self.url("/healthz"))
                .timeout(Duration::from_secs(1))
                .send()
                .await
                .is_ok_and(|r| r.status().is_success())
        })
        .await;
        assert!(up, "serve did not come up:\n{}", self.log_text());
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.address)
    }

    pub fn pid(&self) -> u32 {
        self.child.id().unwrap()
    }

    /// Resident memory, in KiB.
    pub fn rss_kib(&self) -> u64 {
        self.status_kib("VmRSS:")
    }

    /// The most resident memory the process ever had, in KiB.
    pub fn peak_rss_kib(&self) -> u64 {
        self.status_kib("VmHWM:")
    }

    fn status_kib(&self, field: &str) -> u64 {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.pid())).unwrap();
        status
            .lines()
            .find_map(|l| l.strip_prefix(field))
            .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
            .unwrap()
    }

    /// File descriptors the process holds open.
    pub fn open_fds(&self) -> usize {
        std::fs::read_dir(format!("/proc/{}/fd", self.pid()))
            .unwrap()
            .count()
    }

    pub fn log_text(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    /// Stops the process the way SIGTERM does and waits for it to exit.
    pub async fn stop(self) -> String {
        let db_name = self.db_name.clone();
        let log = self.terminate().await;
        drop_database(&db_name).await;
        log
    }

    /// SIGTERM, then waits for the exit; the database stays (a rolling restart).
    pub async fn terminate(mut self) -> String {
        let pid = self.pid().to_string();
        let _ = Command::new("kill").args(["-TERM", &pid]).status().await;
        let _ = tokio::time::timeout(Duration::from_secs(40), self.child.wait()).await;
        self.log_text()
    }
}
