//! Stopping in order: stop taking requests and let in-flight ones finish, then stop the
//! background tasks (each finishes or flushes what it holds), then exit.

use std::time::Duration;

use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

/// Background tasks of one running service: what tells them to stop, and what waits
/// for them to finish.
#[derive(Clone, Default)]
pub struct Background {
    /// Cancelled once the HTTP server has drained; every task watches it.
    pub stop: CancellationToken,
    /// Every background task is spawned on it, so shutdown can wait for all of them.
    pub tracker: TaskTracker,
}

impl Background {
    /// Tells every task to stop and waits, at most `grace`, for them to finish.
    pub async fn drain(&self, grace: Duration) {
        self.stop.cancel();
        self.tracker.close();
        if tokio::time::timeout(grace, self.tracker.wait())
            .await
            .is_err()
        {
            tracing::warn!(
                grace_s = grace.as_secs(),
                "background tasks did not finish in time"
            );
        }
    }
}

/// Resolves on SIGINT (Ctrl-C) or SIGTERM.
pub async fn signal() {
    let ctrl_c = async {
        if let Err(e) = tokio::signal::ctrl_c().await {
            tracing::error!(error = %e, "cannot listen for Ctrl-C");
            std::future::pending::<()>().await;
        }
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(e) => {
                tracing::error!(error = %e, "cannot listen for SIGTERM");
                std::future::pending::<()>().await;
            }
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => tracing::info!("SIGINT received, shutting down"),
        () = term => tracing::info!("SIGTERM received, shutting down"),
    }
}
