//! Load: 10,000 followers submit a complaint each through the real form, at once (256
//! in flight). Every one acknowledged must be stored, with its "received" push in the
//! outbox. The time is printed for docs/benchmarks.md, never asserted.

use std::sync::Arc;
use std::time::Instant;

use tokio::sync::Semaphore;

use crate::support::complaints::{WANGGANG, complaint_templates};
use crate::support::fake_wechat::FakeWechat;
use crate::support::follower::{GOOD, hidden, session_cookie, sessions_of};
use crate::support::spawn_app_with_wechat;

const COMPLAINTS: usize = 10_000;
const IN_FLIGHT: usize = 256;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ten_thousand_complaints_submitted_at_once_are_all_stored_with_their_pushes() {
    let fake = FakeWechat::start().await;
    let app = spawn_app_with_wechat(&fake, |s| {
        // The pushes stay in the outbox to be counted (complaint_templates turns the
        // worker off).
        complaint_templates(s);
        s.database.max_connections = 20;
    })
    .await;
    let sessions = Arc::new(sessions_of(&app.settings));
    let client = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .pool_max_idle_per_host(IN_FLIGHT)
        .build()
        .unwrap();
    let gate = Arc::new(Semaphore::new(IN_FLIGHT));
    let base = app.address.clone();
    let started = Instant::now();
    let tasks: Vec<_> = (0..COMPLAINTS)
        .map(|i| {
            let (client, gate, sessions, base) =
                (client.clone(), gate.clone(), sessions.clone(), base.clone());
            tokio::spawn(async move {
                let _permit = gate.acquire().await.unwrap();
                let cookie = session_cookie(&sessions, &format!("oLoadFollower{i:015}"));
                submit(&client, &base, &cookie).await
            })
        })
        .collect();
    // Every failure is counted and the first is shown: a panic inside one task would
    // end the test and hide the cause behind thousands of "connection refused".
    let mut failures = Vec::new();
    for task in tasks {
        if let Err(e) = task.await.unwrap() {
            failures.push(e);
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {COMPLAINTS} submissions failed; the first: {}",
        failures.len(),
        failures[0]
    );
    let elapsed = started.elapsed();
    eprintln!(
        "{COMPLAINTS} complaints through the form ({IN_FLIGHT} in flight) in {:.1} s: {:.0} per second",
        elapsed.as_secs_f64(),
        COMPLAINTS as f64 / elapsed.as_secs_f64()
    );

    let (complaints, numbers, pushes): (i64, i64, i64) = sqlx::query_as(
        "SELECT (SELECT count(*) FROM complaints),
                (SELECT count(DISTINCT tracking_number) FROM complaints),
                (SELECT count(*) FROM outbox WHERE kind = 'complaint_received')",
    )
    .fetch_one(&app.pool)
    .await
    .unwrap();
    assert_eq!(complaints, COMPLAINTS as i64);
    assert_eq!(numbers, COMPLAINTS as i64);
    assert_eq!(pushes, COMPLAINTS as i64);
}

/// One follower opens the form and sends it; the error says which step failed and how.
async fn submit(client: &reqwest::Client, base: &str, cookie: &str) -> Result<(), String> {
    let form = client
        .get(format!("{base}/complaints/new?village={WANGGANG}"))
        .header("cookie", cookie)
        .send()
        .await
        .map_err(|e| format!("opening the form: {e}"))?;
    let status = form.status();
    let form = form
        .text()
        .await
        .map_err(|e| format!("reading the form: {e}"))?;
    if status != 200 {
        return Err(format!("the form answered {status}: {form}"));
    }
    let mut body = reqwest::multipart::Form::new()
        .text("form_key", hidden(&form, "form_key"))
        .text("csrf", hidden(&form, "csrf"))
        .text("village", WANGGANG);
    for (k, v) in GOOD {
        body = body.text(*k, *v);
    }
    let r = client
        .post(format!("{base}/complaints"))
        .header("cookie", cookie)
        .multipart(body)
        .send()
        .await
        .map_err(|e| format!("sending the form: {e}"))?;
    let status = r.status();
    if status != 303 {
        return Err(format!(
            "the submission answered {status}: {}",
            r.text().await.unwrap_or_default()
        ));
    }
    Ok(())
}
