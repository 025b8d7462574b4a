//! `sunvillage qrcode <code>`: a permanent QR code per village, scene = village code,
//! written as CSV.

use std::collections::HashMap;

use sunvillage::domain::RegionCode;
use sunvillage::storage;

use crate::support::fake_wechat::FakeWechat;
use crate::support::{TestApp, spawn_app_with_wechat};

async fn qrcode(app: &TestApp, args: &[&str]) -> std::process::Output {
    app.command()
        .arg("qrcode")
        .args(args)
        .output()
        .await
        .unwrap()
}

#[tokio::test]
async fn every_village_of_a_township_gets_a_permanent_code_in_the_csv() {
    let fake = FakeWechat::start().await;
    let app = spawn_app_with_wechat(&fake, |_| {}).await;
    let township = RegionCode::parse("411503209").unwrap();
    let villages = storage::regions::villages_within(&app.pool, &township)
        .await
        .unwrap();
    assert!(villages.len() > 5);
    let dir = tempfile::tempdir().unwrap();
    let out_path = dir.path().join("codes.csv");

    let out = qrcode(&app, &["411503209", "--out", out_path.to_str().unwrap()]).await;

    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let mut reader = csv::Reader::from_path(&out_path).unwrap();
    assert_eq!(
        reader.headers().unwrap(),
        vec!["code", "name", "ticket", "image_url", "url"]
    );
    let rows: Vec<HashMap<String, String>> = reader.deserialize().map(Result::unwrap).collect();
    assert_eq!(rows.len(), villages.len());
    for (row, village) in rows.iter().zip(&villages) {
        assert_eq!(row["code"], village.code.as_str());
        assert_eq!(row["name"], village.display_name);
        assert_eq!(row["ticket"], format!("gQH4{}+/==", village.code));
        assert_eq!(
            row["image_url"],
            format!(
                "https://mp.weixin.qq.com/cgi-bin/showqrcode?ticket=gQH4{}%2B%2F%3D%3D",
                village.code
            )
        );
    }
    let mut scenes = fake.qrcode_scenes();
    scenes.sort();
    let codes: Vec<String> = villages.iter().map(|v| v.code.to_string()).collect();
    assert_eq!(scenes, codes);
}

#[tokio::test]
async fn one_village_gets_one_code_and_a_city_is_refused() {
    let fake = FakeWechat::start().await;
    let app = spawn_app_with_wechat(&fake, |_| {}).await;
    let dir = tempfile::tempdir().unwrap();
    let out_path = dir.path().join("one.csv");

    let one = qrcode(&app, &["411503209202", "--out", out_path.to_str().unwrap()]).await;
    let city = qrcode(&app, &["4115", "--out", out_path.to_str().unwrap()]).await;

    assert!(
        one.status.success(),
        "{}",
        String::from_utf8_lossy(&one.stderr)
    );
    assert_eq!(fake.qrcode_scenes(), ["411503209202"]);
    assert!(!city.status.success());
    assert!(
        String::from_utf8_lossy(&city.stderr).contains("county, township or village"),
        "{}",
        String::from_utf8_lossy(&city.stderr)
    );
    assert_eq!(fake.qrcode_scenes().len(), 1);
}
