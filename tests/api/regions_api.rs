use crate::support::spawn_app;

#[tokio::test]
async fn the_city_lists_its_eleven_county_level_units_with_counts() {
    let app = spawn_app().await;
    let (status, body) = app.get_json("/api/regions/4115").await;
    assert_eq!(status, 200);
    assert_eq!(body["region"]["name"], "信阳市");
    assert_eq!(body["region"]["level"], "city");
    let children = body["children"].as_array().unwrap();
    assert_eq!(children.len(), 11);
    let pingqiao = children.iter().find(|c| c["code"] == "411503").unwrap();
    assert_eq!(pingqiao["name"], "平桥区");
    assert_eq!(pingqiao["child_count"], 30);
    let total: i64 = children
        .iter()
        .map(|c| c["child_count"].as_i64().unwrap())
        .sum();
    assert_eq!(total, 224);
}

#[tokio::test]
async fn a_village_shows_its_ancestors_top_first() {
    let app = spawn_app().await;
    let (status, body) = app.get_json("/api/regions/411503209202").await;
    assert_eq!(status, 200);
    assert_eq!(body["region"]["name"], "王岗村民委员会");
    assert_eq!(body["region"]["display_name"], "王岗村");
    let ancestors: Vec<&str> = body["ancestors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["code"].as_str().unwrap())
        .collect();
    assert_eq!(ancestors, ["4115", "411503", "411503209"]);
    assert_eq!(body["children"].as_array().unwrap().len(), 0);
}

#[tokio::test]
async fn a_township_lists_its_villages() {
    let app = spawn_app().await;
    let (_, body) = app.get_json("/api/regions/411503209").await;
    assert_eq!(body["region"]["name"], "王岗乡");
    let children = body["children"].as_array().unwrap();
    assert!(
        children
            .iter()
            .all(|c| c["level"] == "village" && c["child_count"] == 0)
    );
    assert!(children.iter().any(|c| c["display_name"] == "王岗村"));
}

#[tokio::test]
async fn an_official_zero_padded_code_finds_the_township() {
    let app = spawn_app().await;
    let (status, body) = app.get_json("/api/regions/411503209000").await;
    assert_eq!(status, 200);
    assert_eq!(body["region"]["code"], "411503209");
}

#[tokio::test]
async fn an_unknown_code_is_a_json_404_and_a_malformed_one_a_400() {
    let app = spawn_app().await;
    let (status, body) = app.get_json("/api/regions/411599999999").await;
    assert_eq!(status, 404);
    assert!(body["error"].as_str().unwrap().contains("411599999999"));
    let (status, body) = app.get_json("/api/regions/41150x").await;
    assert_eq!(status, 400);
    assert!(body["error"].is_string());
    let (status, body) = app.get_json("/api/nothing-here").await;
    assert_eq!(status, 404);
    assert!(body["error"].is_string());
}

#[tokio::test]
async fn search_returns_every_wanggang_village_with_township_and_county() {
    let app = spawn_app().await;
    let (status, body) = app.get_json("/api/regions/search?q=王岗&limit=100").await;
    assert_eq!(status, 200);
    let results = body["results"].as_array().unwrap();
    let villages: Vec<&serde_json::Value> = results
        .iter()
        .filter(|r| r["display_name"] == "王岗村")
        .collect();
    assert_eq!(villages.len(), 7, "{body}");
    for v in &villages {
        assert_eq!(v["match"], "exact");
        assert!(v["township"]["name"].is_string());
        assert!(v["county"]["name"].is_string());
    }
    // Same name, told apart by township and county.
    let mut places: Vec<String> = villages
        .iter()
        .map(|v| format!("{}{}", v["county"]["name"], v["township"]["name"]))
        .collect();
    places.dedup();
    assert_eq!(places.len(), 7);
    // Exact first, then prefix, then contains (南王岗村, 霸王岗村).
    let ranks: Vec<&str> = results
        .iter()
        .map(|r| r["match"].as_str().unwrap())
        .collect();
    let mut sorted = ranks.clone();
    sorted.sort_by_key(|r| ["exact", "prefix", "contains"].iter().position(|x| x == r));
    assert_eq!(ranks, sorted);
    assert!(
        results
            .iter()
            .any(|r| r["display_name"] == "霸王岗村" && r["match"] == "contains")
    );
    // The township 王岗乡 is found too.
    assert!(
        results
            .iter()
            .any(|r| r["level"] == "township" && r["name"] == "王岗乡")
    );
    assert_eq!(body["total"], results.len());
}

#[tokio::test]
async fn search_by_county_or_township_and_name_narrows_to_one() {
    let app = spawn_app().await;
    let (_, body) = app.get_json("/api/regions/search?q=罗山县王岗").await;
    let codes: Vec<&str> = body["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["code"].as_str().unwrap())
        .collect();
    assert_eq!(codes, ["411521106200"]);
    let (_, body) = app.get_json("/api/regions/search?q=青山镇王岗").await;
    assert_eq!(body["results"][0]["code"], "411521106200");
    assert_eq!(body["total"], 1);
}

#[tokio::test]
async fn search_within_a_county_and_by_code() {
    let app = spawn_app().await;
    let (_, body) = app
        .get_json("/api/regions/search?q=王岗&within=411503")
        .await;
    assert!(
        body["results"]
            .as_array()
            .unwrap()
            .iter()
            .all(|r| r["code"].as_str().unwrap().starts_with("411503"))
    );
    let (_, body) = app.get_json("/api/regions/search?q=411503209202").await;
    assert_eq!(body["results"][0]["display_name"], "王岗村");
}

#[tokio::test]
async fn bad_search_parameters_are_json_400s() {
    let app = spawn_app().await;
    for path in [
        "/api/regions/search",
        "/api/regions/search?q=",
        "/api/regions/search?q=王岗&limit=0",
        "/api/regions/search?q=王岗&limit=abc",
        "/api/regions/search?q=王岗&within=12x",
    ] {
        let (status, body) = app.get_json(path).await;
        assert_eq!(status, 400, "{path}");
        assert!(body["error"].is_string(), "{path}");
    }
}
