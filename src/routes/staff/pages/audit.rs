//! `/staff/audit`: the audit log within the reader's scope, filtered by person, action,
//! region and time, newest first, and the same as CSV. Exporting is itself recorded.

use actix_web::http::StatusCode;
use actix_web::http::header::{CACHE_CONTROL, CONTENT_DISPOSITION, CONTENT_TYPE};
use actix_web::{HttpResponse, web};
use askama::Template;
use chrono::{DateTime, NaiveDate, Utc};
use serde::Deserialize;
use sqlx::PgPool;

use super::{StaffLayout, region_name, render};
use crate::domain::staff::{StaffAction, StaffMember};
use crate::domain::{RegionCode, china_time};
use crate::region_index::SearchIndex;
use crate::routes::page_error::PageError;
use crate::routes::pages::date_time;
use crate::routes::paths;
use crate::routes::staff::extract::StaffPage;
use crate::services::audit::{self, Actor, Change, Subject};
use crate::storage::audit::{Entry, Filter, list};

const PER_PAGE: i64 = 100;
/// The most lines one export holds; narrow the filter for more.
const MAX_EXPORT: i64 = 50_000;

#[derive(Debug, Default, Deserialize)]
pub struct AuditQuery {
    actor: Option<String>,
    action: Option<String>,
    region: Option<String>,
    from: Option<String>,
    to: Option<String>,
    before: Option<i64>,
}

/// The filter as typed, to show it again.
#[derive(Debug, Default)]
pub struct Shown {
    pub actor: String,
    pub action: String,
    pub region: String,
    pub from: String,
    pub to: String,
}

pub struct Line {
    pub at: String,
    pub actor: String,
    pub ip: String,
    pub action: String,
    pub object: String,
    pub region: String,
    pub change: String,
    pub reason: String,
}

#[derive(Template)]
#[template(path = "staff/audit.html")]
struct AuditPage {
    page: StaffLayout,
    scope: String,
    filter: Shown,
    filter_error: Option<String>,
    rows: Vec<Line>,
    next: Option<String>,
    csv_href: String,
}

fn day_bound(raw: &str, next_day: bool) -> Result<Option<DateTime<Utc>>, String> {
    let raw = raw.trim();
    if raw.is_empty() {
        return Ok(None);
    }
    let day = NaiveDate::parse_from_str(raw, "%Y-%m-%d")
        .map_err(|_| format!("日期“{raw}”应形如 2026-12-01"))?;
    let day = if next_day {
        day.succ_opt().unwrap_or(day)
    } else {
        day
    };
    Ok(day
        .and_hms_opt(0, 0, 0)
        .and_then(|t| t.and_local_timezone(china_time::zone()).single())
        .map(|t| t.with_timezone(&Utc)))
}

/// The storage filter for `q` within what `member` may read.
fn filter(member: &StaffMember, q: &AuditQuery, limit: i64) -> Result<Filter, String> {
    let text = |v: &Option<String>| {
        v.as_deref()
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(str::to_owned)
    };
    let region = match text(&q.region) {
        Some(r) => {
            let code = RegionCode::parse(&r).map_err(|_| format!("地区代码“{r}”有误"))?;
            if !member.region.contains(&code) {
                return Err("只能查看本辖区的记录".to_owned());
            }
            Some(code)
        }
        None => None,
    };
    Ok(Filter {
        within: member.region.clone(),
        actor: text(&q.actor).map(|a| a.to_ascii_lowercase()),
        action: text(&q.action),
        region,
        from: day_bound(q.from.as_deref().unwrap_or_default(), false)?,
        before_time: day_bound(q.to.as_deref().unwrap_or_default(), true)?,
        object_type: None,
        object_id: None,
        before_id: q.before,
        limit,
    })
}

fn change_text(e: &Entry) -> String {
    match (&e.before, &e.after) {
        (Some(b), Some(a)) => format!("{b} → {a}"),
        (None, Some(a)) => a.to_string(),
        (Some(b), None) => format!("{b} →"),
        (None, None) => String::new(),
    }
}

fn line(e: &Entry) -> Line {
    Line {
        at: date_time(e.at),
        actor: if e.by_system {
            "系统（定时任务）".to_owned()
        } else {
            e.actor.clone()
        },
        ip: e.source_ip.clone().unwrap_or_default(),
        action: e.action.clone(),
        object: match (&e.object_type, &e.object_id) {
            (Some(t), Some(id)) => format!("{t} {id}"),
            _ => String::new(),
        },
        region: e.region_code.clone().unwrap_or_default(),
        change: change_text(e),
        reason: e.reason.clone().unwrap_or_default(),
    }
}

fn query_string(q: &AuditQuery, before: Option<i64>) -> String {
    let mut s = url::form_urlencoded::Serializer::new(String::new());
    for (k, v) in [
        ("actor", &q.actor),
        ("action", &q.action),
        ("region", &q.region),
        ("from", &q.from),
        ("to", &q.to),
    ] {
        if let Some(v) = v.as_deref().filter(|v| !v.is_empty()) {
            s.append_pair(k, v);
        }
    }
    if let Some(b) = before {
        s.append_pair("before", &b.to_string());
    }
    s.finish()
}

fn may_read(page: &StaffPage) -> Result<(), PageError> {
    if page.member.may(StaffAction::ReadAudit) {
        Ok(())
    } else {
        Err(PageError::forbidden("您的角色不能查看审计日志。"))
    }
}

pub async fn show(
    page: StaffPage,
    pool: web::Data<PgPool>,
    index: web::Data<SearchIndex>,
    query: web::Query<AuditQuery>,
) -> Result<HttpResponse, PageError> {
    may_read(&page)?;
    let q = query.into_inner();
    let (rows, error) = match filter(&page.member, &q, PER_PAGE) {
        Ok(f) => (list(&pool, &f).await?, None),
        Err(e) => (Vec::new(), Some(e)),
    };
    let next = (rows.len() as i64 == PER_PAGE)
        .then(|| {
            rows.last()
                .map(|r| paths::staff::audit(&query_string(&q, Some(r.audit_id))))
        })
        .flatten();
    let view = AuditPage {
        page: StaffLayout::signed_in(&page, &index, "审计日志", paths::staff::AUDIT),
        scope: region_name(&index, &page.member.region),
        filter_error: error,
        rows: rows.iter().map(line).collect(),
        next,
        csv_href: paths::staff::audit_csv(&query_string(&q, None)),
        filter: Shown {
            actor: q.actor.unwrap_or_default(),
            action: q.action.unwrap_or_default(),
            region: q.region.unwrap_or_default(),
            from: q.from.unwrap_or_default(),
            to: q.to.unwrap_or_default(),
        },
    };
    render(StatusCode::OK, &view)
}

/// The filtered log as CSV (UTF-8 with a BOM, so that Excel and WPS read the Chinese).
pub async fn export(
    page: StaffPage,
    pool: web::Data<PgPool>,
    query: web::Query<AuditQuery>,
) -> Result<HttpResponse, PageError> {
    may_read(&page)?;
    let q = query.into_inner();
    let f = filter(&page.member, &q, MAX_EXPORT).map_err(PageError::bad_request)?;
    let rows = list(&pool, &f).await?;
    let mut out = csv::Writer::from_writer(b"\xEF\xBB\xBF".to_vec());
    let header = [
        "id",
        "time",
        "actor",
        "source_ip",
        "action",
        "object_type",
        "object_id",
        "region",
        "before",
        "after",
        "reason",
        "actor_kind",
    ];
    out.write_record(header).map_err(PageError::internal)?;
    for e in &rows {
        out.write_record([
            e.audit_id.to_string(),
            e.at.to_rfc3339(),
            e.actor.clone(),
            e.source_ip.clone().unwrap_or_default(),
            e.action.clone(),
            e.object_type.clone().unwrap_or_default(),
            e.object_id.clone().unwrap_or_default(),
            e.region_code.clone().unwrap_or_default(),
            e.before
                .as_ref()
                .map(ToString::to_string)
                .unwrap_or_default(),
            e.after
                .as_ref()
                .map(ToString::to_string)
                .unwrap_or_default(),
            e.reason.clone().unwrap_or_default(),
            if e.by_system { "system" } else { "person" }.to_owned(),
        ])
        .map_err(PageError::internal)?;
    }
    let body = out
        .into_inner()
        .map_err(|e| PageError::internal(anyhow::anyhow!("{e}")))?;
    audit::record(
        &**pool,
        Actor::member(&page.member, page.ip),
        "audit.exported",
        Subject::default(),
        Change {
            after: Some(
                serde_json::json!({ "filter": query_string(&q, None), "lines": rows.len() }),
            ),
            ..Change::default()
        },
    )
    .await?;
    let name = format!("audit-{}.csv", china_time::day(Utc::now()).format("%Y%m%d"));
    Ok(HttpResponse::Ok()
        .insert_header((CONTENT_TYPE, "text/csv; charset=utf-8"))
        .insert_header((
            CONTENT_DISPOSITION,
            format!("attachment; filename=\"{name}\""),
        ))
        .insert_header((CACHE_CONTROL, "no-store"))
        .body(body))
}
