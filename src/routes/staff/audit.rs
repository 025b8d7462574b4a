//! `GET /api/staff/audit`: the audit log within the caller's scope, as JSON, with the
//! same filters as the page (`actor`, `action`, `region`, `from`, `to`, `before`).

use actix_web::{HttpResponse, web};
use serde::Deserialize;
use sqlx::PgPool;

use crate::domain::RegionCode;
use crate::domain::staff::StaffAction;
use crate::routes::error::JsonError;
use crate::routes::staff::extract::StaffApi;
use crate::storage::audit::{Filter, list};

pub fn configure(cfg: &mut web::ServiceConfig) {
    // Under the gated `/api/staff` scope.
    cfg.route(
        crate::routes::paths::api::staff::AUDIT,
        web::get().to(audit),
    );
}

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct Params {
    actor: Option<String>,
    action: Option<String>,
    region: Option<String>,
    /// From this time on (RFC 3339).
    from: Option<chrono::DateTime<chrono::Utc>>,
    /// Before this time (RFC 3339).
    to: Option<chrono::DateTime<chrono::Utc>>,
    before: Option<i64>,
    limit: Option<i64>,
}

#[utoipa::path(get, path = "/api/staff/audit", tag = "audit", params(Params), security(("bearer" = [])),
    responses((status = 200, description = "entries newest first and next_before"), (status = 401), (status = 403)))]
pub async fn audit(
    staff: StaffApi,
    params: web::Query<Params>,
    pool: web::Data<PgPool>,
) -> Result<HttpResponse, JsonError> {
    if !staff.member.may(StaffAction::ReadAudit) {
        return Err(JsonError::Forbidden("this role reads no audit log".into()));
    }
    let p = params.into_inner();
    let region = p
        .region
        .as_deref()
        .map(|r| RegionCode::parse(r).map_err(|e| JsonError::bad_request(format!("region: {e}"))))
        .transpose()?;
    if region
        .as_ref()
        .is_some_and(|r| !staff.member.region.contains(r))
    {
        return Err(JsonError::Forbidden("region is outside your scope".into()));
    }
    let limit = p.limit.unwrap_or(100);
    if !(1..=1000).contains(&limit) {
        return Err(JsonError::bad_request("limit is 1 to 1000"));
    }
    let rows = list(
        &pool,
        &Filter {
            within: staff.member.region.clone(),
            actor: p.actor,
            action: p.action,
            region,
            from: p.from,
            before_time: p.to,
            object_type: None,
            object_id: None,
            before_id: p.before,
            limit,
        },
    )
    .await?;
    let next = (rows.len() as i64 == limit)
        .then(|| rows.last().map(|r| r.audit_id))
        .flatten();
    Ok(HttpResponse::Ok()
        .insert_header(("Cache-Control", "no-store"))
        .json(serde_json::json!({ "entries": rows, "next_before": next })))
}
