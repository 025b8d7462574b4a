//! `sunvillage simulate` against a running app: the real binary, signing (and
//! encrypting) with the configured credentials and printing the decoded reply.

use sunvillage::configuration::WechatMode;

use crate::support::{TestApp, spawn_app_with};

async fn simulate(app: &TestApp, args: &[&str]) -> String {
    let out = app
        .command()
        .arg("simulate")
        .args(args)
        .arg("--url")
        .arg(app.url("/wechat"))
        .output()
        .await
        .expect("the sunvillage binary runs");
    assert!(
        out.status.success(),
        "simulate failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

#[tokio::test]
async fn simulate_sends_a_text_and_prints_the_decoded_reply_in_every_mode() {
    for mode in [WechatMode::Plain, WechatMode::Compatible, WechatMode::Safe] {
        let app = spawn_app_with(|s| s.wechat.mode = mode).await;
        let name = format!("{mode:?}").to_lowercase();
        let out = simulate(&app, &["--text", "青山镇王岗", "--mode", &name]).await;
        assert!(out.starts_with("[news]"), "{mode:?}: {out}");
        assert!(out.contains("罗山县青山镇王岗村"), "{out}");
        assert!(out.contains("http://cunwu.test/v/411521106200"), "{out}");
    }
}

#[tokio::test]
async fn simulate_subscribes_through_a_village_qr_scene() {
    let app = spawn_app_with(|s| s.wechat.mode = WechatMode::Safe).await;
    let out = simulate(
        &app,
        &[
            "--event",
            "subscribe",
            "--scene",
            "411503209202",
            "--mode",
            "safe",
            "--xml",
        ],
    )
    .await;
    assert!(
        out.contains("<Event><![CDATA[subscribe]]></Event>"),
        "{out}"
    );
    assert!(out.contains("[text]"), "{out}");
    assert!(out.contains("已为您关联 平桥区王岗乡王岗村"), "{out}");
    let out = simulate(&app, &["--event", "LOCATION", "--mode", "safe"]).await;
    assert!(out.contains("no reply"), "{out}");
}
