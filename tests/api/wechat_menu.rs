//! The custom menu: checked offline, pushed only when valid, shown and deleted; through
//! the library and through `sunvillage menu …`.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use serde_json::json;
use sunvillage::domain::menu::HandledKeys;
use sunvillage::wechat::api::WechatApi;
use sunvillage::wechat::api::menu::{self, MenuFileError, PushError};
use sunvillage::wechat::api::token::MemoryTokenStore;

use crate::support::fake_wechat::FakeWechat;
use crate::support::{REDIS_URL, test_settings, unique_name};

const BASE: &str = "http://cunwu.test";

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/menu")
        .join(name)
}

fn client(fake: &FakeWechat) -> WechatApi {
    let mut settings = test_settings("unused", "unused:");
    settings.wechat.api_base = fake.base.clone();
    WechatApi::new(&settings.wechat, Arc::new(MemoryTokenStore::default())).unwrap()
}

fn handled() -> HandledKeys {
    HandledKeys::new(["FIND_VILLAGE", "HELP"])
}

/// Pushes a menu file that must be refused, checks WeChat heard nothing, and returns
/// the refusal.
async fn refused_before_any_call(name: &str) -> PushError {
    let fake = FakeWechat::start().await;
    let err = menu::push(&client(&fake), &fixture(name), BASE, &handled())
        .await
        .unwrap_err();
    assert!(fake.requests().is_empty(), "{:?}", fake.requests());
    err
}

#[tokio::test]
async fn a_valid_menu_is_pushed_with_absolute_urls() {
    let fake = FakeWechat::start().await;
    let api = client(&fake);

    menu::push(&api, &fixture("valid.json"), BASE, &handled())
        .await
        .unwrap();

    assert_eq!(
        fake.menu().unwrap(),
        json!({"button": [
            {"type": "click", "name": "找村务", "key": "FIND_VILLAGE"},
            {"name": "村务公开", "sub_button": [
                {"type": "view", "name": "小微权力清单", "url": "http://cunwu.test/power"},
                {"type": "view", "name": "监督员名录", "url": "http://cunwu.test/supervisors"},
                {"type": "click", "name": "使用说明", "key": "HELP"}
            ]},
            {"type": "view", "name": "投诉建议", "url": "https://cunwu.example.cn/complaints/new"}
        ]})
    );
    let shown = api.get_menu().await.unwrap().unwrap();
    assert_eq!(shown["menu"]["button"][0]["key"], "FIND_VILLAGE");
}

#[tokio::test]
async fn a_menu_with_four_top_level_buttons_is_refused_before_any_call() {
    let err = refused_before_any_call("four_top_level.json").await;

    let PushError::File(MenuFileError::Invalid { violations, .. }) = err else {
        panic!("expected an invalid menu, got {err:?}");
    };
    assert_eq!(
        violations[0].to_string(),
        "button: has 4 top-level buttons; WeChat allows at most 3"
    );
}

#[tokio::test]
async fn a_20_byte_top_level_name_is_refused_before_any_call() {
    let err = refused_before_any_call("long_top_level_name.json").await;

    let PushError::File(MenuFileError::Invalid { violations, .. }) = err else {
        panic!("expected an invalid menu, got {err:?}");
    };
    assert_eq!(
        violations[0].to_string(),
        "button[0].name: \"Village affairs here\" is 20 bytes; a top-level name is at most 16 bytes"
    );
}

#[tokio::test]
async fn a_click_key_without_a_router_handler_is_refused_before_any_call() {
    let err = refused_before_any_call("unhandled_click_key.json").await;

    assert!(
        format!("{err:?}").contains("click key `LOTTERY` has no handler"),
        "{err:?}"
    );
}

#[tokio::test]
async fn the_menu_can_be_shown_and_deleted() {
    let fake = FakeWechat::start().await;
    let api = client(&fake);
    assert_eq!(api.get_menu().await.unwrap(), None);
    fake.set_menu(json!({"button": [{"type": "click", "name": "a", "key": "A"}]}));
    assert!(api.get_menu().await.unwrap().is_some());
    api.delete_menu().await.unwrap();
    assert_eq!(fake.menu(), None);
}

/// The binary, with WeChat's API at `api_base` and a Redis prefix of its own.
async fn sunvillage(args: &[&str], api_base: &str) -> std::process::Output {
    let prefix = format!("{}:", unique_name("svt"));
    tokio::process::Command::new(env!("CARGO_BIN_EXE_sunvillage"))
        .args(args)
        .env("APP__WECHAT__API_BASE", api_base)
        .env("APP__PUBLIC_BASE_URL", BASE)
        .env("APP__REDIS__URL", &*REDIS_URL)
        .env("APP__REDIS__KEY_PREFIX", &prefix)
        .env("APP__LOG__FILTER", "warn")
        .output()
        .await
        .unwrap()
}

#[tokio::test]
async fn menu_check_names_each_violation_by_its_path() {
    let file = fixture("four_top_level.json");
    let out = sunvillage(
        &["menu", "check", "--file", file.to_str().unwrap()],
        "http://127.0.0.1:9",
    )
    .await;
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("button: has 4 top-level buttons; WeChat allows at most 3"),
        "{stderr}"
    );
}

#[tokio::test]
async fn menu_check_accepts_click_keys_the_router_handles_and_names_one_it_lacks() {
    let file = fixture("valid.json");
    let out = sunvillage(
        &["menu", "check", "--file", file.to_str().unwrap()],
        "http://127.0.0.1:9",
    )
    .await;
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    let file = fixture("unhandled_click_key.json");
    let out = sunvillage(
        &["menu", "check", "--file", file.to_str().unwrap()],
        "http://127.0.0.1:9",
    )
    .await;
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success());
    assert!(stderr.contains("LOTTERY"), "{stderr}");
}

#[tokio::test]
async fn the_accounts_menu_json_passes_the_check() {
    let file = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("menu.json");
    let out = sunvillage(
        &["menu", "check", "--file", file.to_str().unwrap()],
        "http://127.0.0.1:9",
    )
    .await;
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(stdout.contains("all handled"), "{stdout}");
}

#[tokio::test]
async fn menu_push_of_an_invalid_menu_calls_nothing() {
    let fake = FakeWechat::start().await;
    let file = fixture("long_top_level_name.json");
    let out = sunvillage(
        &["menu", "push", "--file", file.to_str().unwrap()],
        &fake.base,
    )
    .await;
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("button[0].name"), "{stderr}");
    assert!(stderr.contains("nothing was sent to WeChat"), "{stderr}");
    assert!(fake.requests().is_empty());
}

#[tokio::test]
async fn menu_show_and_delete_talk_to_wechat() {
    let fake = FakeWechat::start().await;
    fake.set_menu(json!({"button": [{"type": "click", "name": "找村务", "key": "FIND_VILLAGE"}]}));
    let out = sunvillage(&["menu", "show"], &fake.base).await;
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(String::from_utf8_lossy(&out.stdout).contains("FIND_VILLAGE"));
    let out = sunvillage(&["menu", "delete"], &fake.base).await;
    assert!(out.status.success());
    assert_eq!(fake.menu(), None);
}

#[tokio::test]
async fn menu_show_with_the_placeholder_secret_says_so_in_one_line() {
    // A fresh install talks to WeChat's real API with the repository's placeholder
    // AppSecret: nothing is sent, and the reason is one line, not retries and a trace.
    let out = sunvillage(&["menu", "show"], "https://api.weixin.qq.com").await;
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("APP__WECHAT__APP_SECRET"), "{stderr}");
    assert_eq!(stderr.trim().lines().count(), 1, "{stderr}");
}
