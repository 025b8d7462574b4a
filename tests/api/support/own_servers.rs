//! Redis and Postgres servers of a test's own, on ports of their own, so that a test
//! can stop and start them (an outage) while the machine's shared ones keep running.

use std::path::PathBuf;
use std::process::Stdio;
use std::time::Duration;

use tokio::process::{Child, Command};

use super::served::free_port;
use super::wait::until;

pub struct OwnRedis {
    pub port: u16,
    child: Option<Child>,
}

impl OwnRedis {
    pub async fn start() -> OwnRedis {
        let mut redis = OwnRedis {
            port: free_port(),
            child: None,
        };
        redis.resume().await;
        redis
    }

    pub fn url(&self) -> String {
        format!("redis://127.0.0.1:{}", self.port)
    }

    async fn answers(&self) -> bool {
        Command::new("redis-cli")
            .args(["-p", &self.port.to_string(), "ping"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .await
            .is_ok_and(|s| s.success())
    }

    /// Kills the server, as a crash would.
    pub async fn crash(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill().await;
        }
        assert!(until(Duration::from_secs(10), async || !self.answers().await).await);
    }

    /// Starts the server (again) on its port.
    pub async fn resume(&mut self) {
        let child = Command::new("redis-server")
            .args([
                "--port",
                &self.port.to_string(),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
            ])
            .stdout(Stdio::null())
            .kill_on_drop(true)
            .spawn()
            .expect("redis-server is installed");
        self.child = Some(child);
        assert!(
            until(Duration::from_secs(10), async || self.answers().await).await,
            "redis-server did not start on port {}",
            self.port
        );
    }
}

/// A Postgres cluster made with initdb in a temporary directory, run by the `postgres`
/// user (the server refuses to run as root), trusting local connections.
pub struct OwnPostgres {
    pub port: u16,
    dir: tempfile::TempDir,
}

fn pg_bin(name: &str) -> PathBuf {
    let versions =
        std::fs::read_dir("/usr/lib/postgresql").expect("Debian's Postgres is installed");
    let mut found: Vec<PathBuf> = versions
        .flatten()
        .map(|v| v.path().join("bin").join(name))
        .collect();
    found.sort();
    found.pop().expect("a Postgres version")
}

async fn as_postgres(args: &[&str]) -> bool {
    Command::new("runuser")
        .args(["-u", "postgres", "--"])
        .args(args)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .await
        .is_ok_and(|s| s.success())
}

impl OwnPostgres {
    pub async fn start() -> OwnPostgres {
        let dir = tempfile::tempdir().unwrap();
        let status = std::process::Command::new("chown")
            .args(["postgres:postgres", dir.path().to_str().unwrap()])
            .status()
            .unwrap();
        assert!(status.success());
        let pg = OwnPostgres {
            port: free_port(),
            dir,
        };
        let data = pg.data();
        assert!(
            as_postgres(&[
                pg_bin("initdb").to_str().unwrap(),
                "-D",
                &data,
                "-U",
                "postgres",
                "-A",
                "trust",
                "--no-sync",
            ])
            .await,
            "initdb failed"
        );
        pg.resume().await;
        pg
    }

    /// A hot standby of `primary`, streaming from it: `pg_basebackup -R`, then its own
    /// port. (initdb's `-A trust` lets replication connections in.)
    pub async fn replica_of(primary: &OwnPostgres) -> OwnPostgres {
        let dir = tempfile::tempdir().unwrap();
        let status = std::process::Command::new("chown")
            .args(["postgres:postgres", dir.path().to_str().unwrap()])
            .status()
            .unwrap();
        assert!(status.success());
        let replica = OwnPostgres {
            port: free_port(),
            dir,
        };
        assert!(
            as_postgres(&[
                pg_bin("pg_basebackup").to_str().unwrap(),
                "-h",
                "127.0.0.1",
                "-p",
                &primary.port.to_string(),
                "-U",
                "postgres",
                "-D",
                &replica.data(),
                "-R",
                "-X",
                "stream",
                "--no-sync",
            ])
            .await,
            "pg_basebackup failed"
        );
        replica.resume().await;
        replica
    }

    fn data(&self) -> String {
        self.dir.path().join("data").to_string_lossy().into_owned()
    }

    pub fn url(&self, database: &str) -> String {
        format!("postgres://postgres@127.0.0.1:{}/{database}", self.port)
    }

    pub async fn resume(&self) {
        let options = format!(
            "-p {} -c listen_addresses=127.0.0.1 -k {} -c fsync=off",
            self.port,
            self.dir.path().display()
        );
        let log = self.dir.path().join("postgres.log");
        assert!(
            as_postgres(&[
                pg_bin("pg_ctl").to_str().unwrap(),
                "-D",
                &self.data(),
                "-o",
                &options,
                "-l",
                log.to_str().unwrap(),
                "-w",
                "start",
            ])
            .await,
            "pg_ctl start failed: {}",
            std::fs::read_to_string(&log).unwrap_or_default()
        );
    }

    /// Stops every process of the server without ending it (SIGSTOP): connections stay
    /// open and nothing answers, as when the database host is stalled or starved of CPU.
    pub fn freeze(&self) {
        self.signal_all("-STOP");
    }

    /// Lets a frozen server run again.
    pub fn thaw(&self) {
        self.signal_all("-CONT");
    }

    /// Sends `signal` to the postmaster and its children (the backends), if it runs.
    fn signal_all(&self, signal: &str) {
        let pid_file = PathBuf::from(self.data()).join("postmaster.pid");
        let pid = std::fs::read_to_string(pid_file).unwrap_or_default();
        let Some(pid) = pid.lines().next().filter(|p| !p.is_empty()) else {
            return;
        };
        for args in [
            ["pkill", signal, "-P", pid].as_slice(),
            &["kill", signal, pid],
        ] {
            let _ = std::process::Command::new(args[0])
                .args(&args[1..])
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .status();
        }
    }

    /// Stops the server at once, as a crash would.
    pub async fn crash(&self) {
        assert!(
            as_postgres(&[
                pg_bin("pg_ctl").to_str().unwrap(),
                "-D",
                &self.data(),
                "-m",
                "immediate",
                "-w",
                "stop",
            ])
            .await
        );
    }
}

impl Drop for OwnPostgres {
    fn drop(&mut self) {
        // A frozen server would never act on pg_ctl's stop.
        self.thaw();
        let _ = std::process::Command::new("runuser")
            .args(["-u", "postgres", "--"])
            .arg(pg_bin("pg_ctl"))
            .args(["-D", &self.data(), "-m", "immediate", "-w", "stop"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status();
    }
}
