//! Senders that hold a connection open with a body they never finish: the webhook and
//! the complaint form must answer them (and close) without buffering what they declare,
//! while the service keeps answering everyone else. The real binary runs in its own
//! process, so that its memory and file descriptors are its own.

use std::time::Duration;

use sunvillage::configuration::WechatMode;
use sunvillage::wechat::webhook::simulate;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use crate::support::follower::{session_cookie, sessions_of};
use crate::support::served::Served;
use crate::support::test_settings;
use crate::support::wechat::{now, text};

/// Connects and sends `head` (request line, headers and the start of a body), then
/// stops sending.
async fn hold(address: &str, head: &[u8]) -> TcpStream {
    let mut stream = TcpStream::connect(address.trim_start_matches("http://"))
        .await
        .unwrap();
    stream.write_all(head).await.unwrap();
    stream
}

/// The status of the answer on `stream`, once the server has closed it.
async fn answer(mut stream: TcpStream) -> u16 {
    let mut received = Vec::new();
    // A bound on a broken server only; a working one answers within the body deadline.
    let read = tokio::time::timeout(Duration::from_secs(30), stream.read_to_end(&mut received));
    match read.await {
        Ok(Ok(_)) | Ok(Err(_)) => {}
        Err(_) => panic!("the server kept a slow connection open"),
    }
    status_of(&received)
}

fn status_of(received: &[u8]) -> u16 {
    let head = String::from_utf8_lossy(received);
    head.split(' ')
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(0)
}

fn webhook_head(query: &str) -> Vec<u8> {
    format!(
        "POST /wechat?{query} HTTP/1.1\r\nHost: cunwu.test\r\nContent-Type: text/xml\r\nContent-Length: 65536\r\n\r\n<xml>"
    )
    .into_bytes()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn slow_webhook_bodies_are_cut_off_and_the_service_keeps_answering() {
    let served = Served::start(&[
        // Longer than opening the 600 connections below takes on a busy machine: a reader
        // cut off while later ones are still connecting frees its permit, and the count of
        // refusals then depends on the machine's speed (at 500 ms the loaded suite once saw
        // 90 refusals where 200 were due).
        ("APP__WEBHOOK__BODY_TIMEOUT_MS", "3000".into()),
        ("APP__WEBHOOK__MAX_BODY_READERS", "100".into()),
    ])
    .await;
    let client = reqwest::Client::new();
    assert_eq!(
        client
            .get(served.url("/healthz"))
            .send()
            .await
            .unwrap()
            .status(),
        200
    );
    let (fds_before, rss_before) = (served.open_fds(), served.rss_kib());

    let settings = test_settings("unused", "unused:");
    let mut unsigned = Vec::new();
    let mut signed = Vec::new();
    for i in 0..300 {
        let bad = format!("signature={}&timestamp={}&nonce={i}", "0".repeat(40), now());
        unsigned.push(hold(&served.address, &webhook_head(&bad)).await);
        let message = text("oSlowSender0000000000000001", "王岗");
        let (query, _) = simulate::signed_request(
            &settings,
            WechatMode::Plain,
            &message,
            now(),
            &i.to_string(),
        )
        .unwrap();
        signed.push(hold(&served.address, &webhook_head(&query)).await);
    }

    // While 600 bodies hang, everyone else is answered.
    let health = client
        .get(served.url("/healthz"))
        .timeout(Duration::from_secs(5))
        .send()
        .await
        .unwrap();
    assert_eq!(health.status(), 200);
    let rss_during = served.rss_kib();

    // Unsigned senders are refused before a byte of their body is read; signed ones
    // are cut off at the deadline, or refused at once beyond the readers allowed.
    let mut statuses = std::collections::BTreeMap::<u16, usize>::new();
    for stream in unsigned {
        assert_eq!(answer(stream).await, 403);
    }
    for stream in signed {
        *statuses.entry(answer(stream).await).or_default() += 1;
    }
    assert_eq!(statuses.values().sum::<usize>(), 300, "{statuses:?}");
    assert!(
        statuses.keys().all(|s| [408, 503].contains(s)),
        "{statuses:?}"
    );
    assert!(
        statuses.get(&503).copied().unwrap_or(0) >= 200 - 100,
        "{statuses:?}"
    );

    // Every connection was closed by the server and nothing grew.
    let fds_after = served.open_fds();
    assert!(
        fds_after <= fds_before + 10,
        "file descriptors: {fds_before} before, {fds_after} after"
    );
    assert!(
        rss_during < rss_before + 48 * 1024,
        "resident memory: {rss_before} KiB before, {rss_during} KiB with 600 slow senders"
    );
    assert_eq!(
        client
            .get(served.url("/healthz"))
            .send()
            .await
            .unwrap()
            .status(),
        200
    );
    served.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_large_upload_with_a_bogus_token_is_refused_before_its_photos_are_read() {
    let served = Served::start(&[]).await;
    let peak_before = served.peak_rss_kib();
    let boundary = "----sunvillage-test-boundary";
    // The served process signs with the development secret, as the test settings do.
    let sessions = sessions_of(&test_settings("unused", "unused:"));
    let photo_prefix = vec![0xA5u8; 2 * 1024 * 1024];
    let mut held = Vec::new();
    for i in 0..40 {
        let cookie = session_cookie(&sessions, &format!("oUploader{i:019}"));
        let mut body = Vec::new();
        for (name, value) in [
            ("form_key", "8a3e6f6e-4d0c-4c8e-9d2e-3f1f0c8b7a61"),
            (
                "csrf",
                "1700000000-0000000000000000000000000000000000000000000000000000000000000000",
            ),
            ("village", "411503209202"),
        ] {
            body.extend_from_slice(
                format!(
                    "--{boundary}\r\nContent-Disposition: form-data; name=\"{name}\"\r\n\r\n{value}\r\n"
                )
                .as_bytes(),
            );
        }
        body.extend_from_slice(
            format!(
                "--{boundary}\r\nContent-Disposition: form-data; name=\"photos\"; filename=\"a.jpg\"\r\nContent-Type: image/jpeg\r\n\r\n"
            )
            .as_bytes(),
        );
        body.extend_from_slice(&photo_prefix);
        let head = format!(
            "POST /complaints HTTP/1.1\r\nHost: cunwu.test\r\nCookie: {cookie}\r\nContent-Type: multipart/form-data; boundary={boundary}\r\nContent-Length: {}\r\n\r\n",
            20 * 1024 * 1024
        );
        let mut request = head.into_bytes();
        request.extend_from_slice(&body);
        let address = served.address.clone();
        held.push(tokio::spawn(async move {
            let stream = TcpStream::connect(address.trim_start_matches("http://"))
                .await
                .unwrap();
            let (mut from, mut to) = stream.into_split();
            // The server may stop reading (and close) long before all of it is sent.
            let sending = tokio::spawn(async move {
                let _ = to.write_all(&request).await;
                to
            });
            let mut received = Vec::new();
            let _ = tokio::time::timeout(Duration::from_secs(30), from.read_to_end(&mut received))
                .await
                .expect("the server answered");
            sending.abort();
            status_of(&received)
        }));
    }
    for h in held {
        assert_eq!(h.await.unwrap(), 403);
    }
    let peak_after = served.peak_rss_kib();
    assert!(
        peak_after < peak_before + 48 * 1024,
        "peak resident memory: {peak_before} KiB before, {peak_after} KiB after 40 uploads declaring 20 MB"
    );
    served.stop().await;
}
