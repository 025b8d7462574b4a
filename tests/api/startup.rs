use std::process::Command;

use sunvillage::domain::RegionLevel;
use sunvillage::storage;

use crate::support::spawn_app_on_missing_database;

#[tokio::test]
async fn start_up_creates_the_database_and_imports_xinyang() {
    let app = spawn_app_on_missing_database().await;
    let counts = storage::regions::count_by_level(&app.pool).await.unwrap();
    assert_eq!(
        counts,
        [
            (RegionLevel::City, 1),
            (RegionLevel::County, 11),
            (RegionLevel::Township, 224),
            (RegionLevel::Village, 3474),
        ]
    );
    let (status, _) = app.get_json("/healthz").await;
    assert_eq!(status, 200);
}

#[tokio::test]
async fn a_second_start_on_the_same_database_imports_nothing_again() {
    let app = spawn_app_on_missing_database().await;
    let before = storage::regions::fingerprint(&app.pool).await.unwrap();
    let settings = app.settings.clone();
    let second = sunvillage::startup::Application::build(settings)
        .await
        .unwrap();
    assert_eq!(
        storage::regions::fingerprint(&second.state().pool)
            .await
            .unwrap(),
        before
    );
}

#[tokio::test]
async fn the_app_stops_cleanly_when_told_to() {
    let app = spawn_app_on_missing_database().await;
    let url = app.url("/healthz");
    app.shut_down().await;
    assert!(
        reqwest::get(url).await.is_err(),
        "the port is closed after shutdown"
    );
}

fn sunvillage() -> Command {
    Command::new(env!("CARGO_BIN_EXE_sunvillage"))
}

#[test]
fn help_explains_every_subcommand_and_shows_no_secret() {
    let out = sunvillage().arg("--help").output().unwrap();
    let help = String::from_utf8(out.stdout).unwrap();
    for sub in [
        "serve",
        "migrate",
        "import-regions",
        "worker",
        "menu",
        "qrcode",
    ] {
        assert!(help.contains(sub), "{help}");
        let out = sunvillage().args([sub, "--help"]).output().unwrap();
        assert!(out.status.success());
    }
    // The default development secrets and the environment's must never be echoed.
    let out = sunvillage()
        .arg("--help")
        .env("APP__WECHAT__APP_SECRET", "very-secret-value")
        .output()
        .unwrap();
    let all = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(!all.contains("very-secret-value"));
    assert!(!all.contains("development-app-secret"));
}

#[test]
fn a_bad_setting_stops_the_binary_with_its_name() {
    let out = sunvillage()
        .arg("migrate")
        .env("APP__WECHAT__MODE", "secret")
        .output()
        .unwrap();
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("mode"), "{stderr}");
}
