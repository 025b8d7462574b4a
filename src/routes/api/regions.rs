//! `GET /api/regions/{code}` and `GET /api/regions/search?q=…`.

use actix_web::{HttpResponse, web};
use serde::{Deserialize, Serialize};
use sqlx::PgPool;

use crate::domain::{Region, RegionCode, RegionLevel};
use crate::region_index::{Query, SearchIndex};
use crate::routes::error::JsonError;
use crate::routes::paths;
use crate::storage;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route(paths::api::REGION_SEARCH, web::get().to(search))
        .route(paths::api::REGION_PATTERN, web::get().to(show));
}

/// Most results one search returns.
const MAX_LIMIT: usize = 100;

#[derive(Serialize)]
struct RegionJson {
    code: RegionCode,
    name: String,
    display_name: String,
    level: RegionLevel,
    parent_code: Option<RegionCode>,
}

impl From<Region> for RegionJson {
    fn from(r: Region) -> RegionJson {
        RegionJson {
            level: r.level(),
            code: r.code,
            name: r.name,
            display_name: r.display_name,
            parent_code: r.parent_code,
        }
    }
}

#[derive(Serialize)]
struct ChildJson {
    #[serde(flatten)]
    region: RegionJson,
    child_count: i64,
}

#[derive(Serialize)]
struct RegionDetail {
    region: RegionJson,
    /// Top level first.
    ancestors: Vec<RegionJson>,
    children: Vec<ChildJson>,
}

async fn show(path: web::Path<String>, pool: web::Data<PgPool>) -> Result<HttpResponse, JsonError> {
    let readings = RegionCode::interpretations(&path)
        .map_err(|e| JsonError::bad_request(format!("`{path}` is not a region code: {e}")))?;
    let region = storage::regions::find_first(&pool, &readings)
        .await?
        .ok_or_else(|| JsonError::not_found(format!("no region has code {path}")))?;
    let ancestors = storage::regions::find_many(&pool, &region.code.ancestors()).await?;
    let children = storage::regions::children_with_counts(&pool, &region.code).await?;
    Ok(HttpResponse::Ok().json(RegionDetail {
        region: region.into(),
        ancestors: ancestors.into_iter().map(Into::into).collect(),
        children: children
            .into_iter()
            .map(|(r, child_count)| ChildJson {
                region: r.into(),
                child_count,
            })
            .collect(),
    }))
}

#[derive(Deserialize)]
struct SearchParams {
    q: Option<String>,
    within: Option<String>,
    limit: Option<usize>,
}

async fn search(
    params: web::Query<SearchParams>,
    index: web::Data<SearchIndex>,
) -> Result<HttpResponse, JsonError> {
    let text = params.q.as_deref().map(str::trim).unwrap_or("");
    if text.is_empty() {
        return Err(JsonError::bad_request(
            "q is required: part of a village or township name, or a code",
        ));
    }
    if text.chars().count() > 40 {
        return Err(JsonError::bad_request("q is longer than 40 characters"));
    }
    let within = params
        .within
        .as_deref()
        .map(RegionCode::parse)
        .transpose()
        .map_err(|e| JsonError::bad_request(format!("within: {e}")))?;
    let limit = params.limit.unwrap_or(20);
    if limit == 0 || limit > MAX_LIMIT {
        return Err(JsonError::bad_request(format!("limit is 1 to {MAX_LIMIT}")));
    }
    let results = index.current().search(&Query {
        text,
        within: within.as_ref(),
        limit,
    });
    Ok(HttpResponse::Ok().json(serde_json::json!({
        "query": text,
        "total": results.total,
        "results": results.hits,
    })))
}
