//! `/api/openapi.json`: the staff API described from the code, for other government
//! systems (a 12345 hotline, a 信访 system).

use crate::support::spawn_app;

#[tokio::test]
async fn the_openapi_description_names_every_staff_endpoint_and_the_bearer_scheme() {
    let app = spawn_app().await;
    let (status, doc) = app.get_json("/api/openapi.json").await;
    assert_eq!(status, 200);
    assert!(doc["openapi"].as_str().unwrap().starts_with("3."));
    let paths = doc["paths"].as_object().unwrap();
    for (path, method) in [
        ("/api/staff/session", "post"),
        ("/api/staff/session", "delete"),
        ("/api/staff/complaints", "get"),
        ("/api/staff/complaints/{id}", "get"),
        ("/api/staff/complaints/{id}/actions", "post"),
        ("/api/staff/complaints/{id}/notes", "post"),
        ("/api/staff/complaints/{id}/reveal", "post"),
        ("/api/staff/complaints/{id}/photos/{position}", "get"),
        ("/api/staff/audit", "get"),
    ] {
        assert!(paths[path].get(method).is_some(), "{method} {path}");
    }
    assert_eq!(
        doc["components"]["securitySchemes"]["bearer"]["scheme"],
        "bearer"
    );
    // The actions' body names every transition.
    let actions = doc["components"]["schemas"]["ActionJson"].to_string();
    for action in [
        "accept",
        "reject",
        "assign",
        "extend",
        "conclude",
        "report_result",
        "transfer",
    ] {
        assert!(actions.contains(&format!("\"{action}\"")), "{action}");
    }
}
