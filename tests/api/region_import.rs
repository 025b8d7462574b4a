use std::path::{Path, PathBuf};

use sunvillage::domain::RegionLevel;
use sunvillage::region_import::{self, ImportError, Scope};
use sunvillage::storage;

use crate::support::spawn_app;

fn repo(path: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join(path)
}

/// A directory holding the given files.
fn dir_with(files: &[(&str, &str)]) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    for (name, text) in files {
        std::fs::write(dir.path().join(name), text).unwrap();
    }
    dir
}

#[tokio::test]
async fn a_bad_row_anywhere_imports_nothing_and_names_file_and_line() {
    let app = spawn_app().await;
    let before = storage::regions::fingerprint(&app.pool).await.unwrap();
    let dir = dir_with(&[
        (
            "streets.csv",
            "code,name,areaCode,provinceCode,cityCode\n411503901,\"新乡\",411503,41,4115\n",
        ),
        (
            "villages.csv",
            "code,name,streetCode,provinceCode,cityCode,areaCode\n\
             411503901001,\"甲村民委员会\",411503901,41,4115,411503\n\
             411503901002,\"\",411503901,41,4115,411503\n",
        ),
    ]);
    let files = region_import::open_dir(dir.path()).unwrap();
    let err = region_import::import(&app.pool, files, &Scope::all(), false)
        .await
        .unwrap_err();
    let ImportError::BadRows(rows) = err else {
        panic!("expected bad rows, got {err}")
    };
    assert_eq!(rows.len(), 1);
    assert_eq!(
        rows[0].to_string(),
        "villages.csv:3: 411503901002 has an empty name"
    );
    assert_eq!(
        storage::regions::fingerprint(&app.pool).await.unwrap(),
        before
    );
}

#[tokio::test]
async fn re_importing_the_same_data_changes_nothing() {
    let app = spawn_app().await;
    let before = storage::regions::fingerprint(&app.pool).await.unwrap();
    let files = region_import::open_dir(&repo("data/regions/xinyang")).unwrap();
    let report = region_import::import(&app.pool, files, &Scope::all(), false)
        .await
        .unwrap();
    assert_eq!(
        (report.inserted, report.updated, report.unchanged),
        (0, 0, 3710)
    );
    assert_eq!(
        storage::regions::fingerprint(&app.pool).await.unwrap(),
        before
    );
}

#[tokio::test]
async fn a_city_from_the_national_files_comes_with_its_province() {
    let app = spawn_app().await;
    let files = region_import::open_dir(&repo("data/regions/china")).unwrap();
    let report = region_import::import(&app.pool, files, &Scope::within("4115").unwrap(), false)
        .await
        .unwrap();
    // Only 河南省 is new; 信阳市 gains it as parent; the rest is unchanged.
    assert_eq!(
        (report.inserted, report.updated, report.unchanged),
        (1, 1, 3709)
    );
    let counts = storage::regions::count_by_level(&app.pool).await.unwrap();
    assert_eq!(counts[0], (RegionLevel::Province, 1));
    let (_, body) = app.get_json("/api/regions/411503209202").await;
    let ancestors: Vec<&str> = body["ancestors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["code"].as_str().unwrap())
        .collect();
    assert_eq!(ancestors, ["41", "4115", "411503", "411503209"]);
}

#[tokio::test]
async fn the_cli_reports_bad_rows_and_exits_non_zero() {
    let app = spawn_app().await;
    let dir = dir_with(&[(
        "villages.csv",
        "code,name,streetCode,provinceCode,cityCode,areaCode\n4115032092,\"短\",411503209,41,4115,411503\n",
    )]);
    let out = app
        .command()
        .args(["import-regions", "--quiet"])
        .arg(dir.path())
        .env("APP__LOG__FILTER", "error")
        .output()
        .await
        .unwrap();
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("villages.csv:2: code `4115032092` has 10 characters"),
        "{stderr}"
    );
    assert!(stderr.contains("nothing was imported"), "{stderr}");
}

#[tokio::test]
async fn the_cli_imports_and_says_what_changed() {
    let app = spawn_app().await;
    let out = app
        .command()
        .args(["import-regions", "--quiet"])
        .arg(repo("data/regions/xinyang"))
        .env("APP__LOG__FILTER", "error")
        .output()
        .await
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        stdout.contains("0 new, 0 changed, 3710 unchanged"),
        "{stdout}"
    );
}
