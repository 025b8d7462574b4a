//! `/staff/insight`: the supervision dashboard for inspectors and auditors, within their
//! region (or a part of it chosen with `?region=`), and each of its tables as CSV at
//! `/staff/insight/<table>.csv`. Exporting is recorded in the audit log.

use actix_web::http::StatusCode;
use actix_web::http::header::{CACHE_CONTROL, CONTENT_DISPOSITION, CONTENT_TYPE};
use actix_web::{HttpResponse, web};
use askama::Template;
use chrono::Utc;
use serde::Deserialize;
use sqlx::PgPool;

use super::chart;
use super::{StaffLayout, region_name, render};
use crate::domain::disclosure::calendar::Calendar;
use crate::domain::staff::StaffAction;
use crate::domain::{RegionCode, china_time};
use crate::region_index::SearchIndex;
use crate::routes::page_error::PageError;
use crate::routes::paths;
use crate::routes::staff::extract::StaffPage;
use crate::services::audit::{self, Actor, Change, Subject};
use crate::services::insight::{self, Grid, Table};

#[derive(Debug, Default, Deserialize)]
pub struct InsightQuery {
    region: Option<String>,
}

/// A table on the page: its grid, its CSV link, and whether its first column links.
pub struct Shown {
    pub title: &'static str,
    pub anchor: &'static str,
    pub csv_href: String,
    pub header: Vec<String>,
    pub rows: Vec<Vec<String>>,
    /// Rows beyond those shown (the CSV has them all).
    pub more: usize,
}

/// A group of complaints and messages about the same thing, each complaint linked.
pub struct GroupShown {
    pub headline: String,
    pub links: Vec<(String, String)>,
}

impl GroupShown {
    pub fn new(g: &insight::SameMatter) -> GroupShown {
        GroupShown {
            headline: g.headline(),
            links: g
                .complaints
                .iter()
                .map(|t| (paths::staff::complaint(t), t.to_string()))
                .collect(),
        }
    }
}

pub struct Legend {
    pub colour: &'static str,
    pub label: String,
}

#[derive(Template)]
#[template(path = "staff/insight.html")]
struct InsightPage {
    page: StaffLayout,
    scope: String,
    region: String,
    overdue: i64,
    silent: usize,
    /// Villages behind the publication calendar on some module.
    behind: usize,
    topic_chart: String,
    topic_legend: Vec<Legend>,
    follower_chart: String,
    groups: Vec<GroupShown>,
    tables: Vec<Shown>,
}

/// Rows shown on the page per table; the CSV holds every row.
const SHOWN_ROWS: usize = 30;

fn may_read(page: &StaffPage) -> Result<(), PageError> {
    if page.member.may(StaffAction::ReadInsight) {
        Ok(())
    } else {
        Err(PageError::forbidden("您的角色不能查看监督分析。"))
    }
}

/// The region asked for, which must lie within the reader's.
fn scope(page: &StaffPage, q: &InsightQuery) -> Result<RegionCode, PageError> {
    match q.region.as_deref().map(str::trim).filter(|r| !r.is_empty()) {
        None => Ok(page.member.region.clone()),
        Some(raw) => {
            let code = RegionCode::parse(raw)
                .map_err(|_| PageError::bad_request("地区代码有误，应为6、9或12位数字。"))?;
            if page.member.region.contains(&code) {
                Ok(code)
            } else {
                Err(PageError::forbidden("只能查看本辖区的情况。"))
            }
        }
    }
}

fn shown(grid: &Grid, query: &str) -> Shown {
    let mut csv_href = paths::staff::insight_csv(grid.table);
    if !query.is_empty() {
        csv_href = format!("{csv_href}?{query}");
    }
    Shown {
        title: grid.table.title(),
        anchor: grid.table.as_str(),
        csv_href,
        header: grid.header.clone(),
        rows: grid.rows.iter().take(SHOWN_ROWS).cloned().collect(),
        more: grid.rows.len().saturating_sub(SHOWN_ROWS),
    }
}

pub async fn show(
    page: StaffPage,
    pool: web::Data<PgPool>,
    calendar: web::Data<Calendar>,
    index: web::Data<SearchIndex>,
    query: web::Query<InsightQuery>,
) -> Result<HttpResponse, PageError> {
    may_read(&page)?;
    let region = scope(&page, &query)?;
    let d = insight::dashboard(&pool, &calendar, &region, Utc::now()).await?;
    let query = if region == page.member.region {
        String::new()
    } else {
        format!("region={region}")
    };
    let (topic_chart, legend) = chart::lines("每月问题数（按类别）", &d.months, &d.topic_trend);
    let (follower_chart, _) = chart::lines(
        "每月末关注人数",
        &d.months,
        std::slice::from_ref(&d.follower_trend),
    );
    let view = InsightPage {
        page: StaffLayout::signed_in(&page, &index, "监督分析", paths::staff::INSIGHT),
        scope: region_name(&index, &region),
        region: if query.is_empty() {
            String::new()
        } else {
            region.to_string()
        },
        overdue: d.overdue,
        silent: d.silent_villages,
        behind: d.behind_villages,
        topic_chart,
        topic_legend: legend
            .into_iter()
            .map(|(colour, label)| Legend { colour, label })
            .collect(),
        follower_chart,
        groups: d.groups.iter().map(GroupShown::new).collect(),
        tables: d.grids.iter().map(|g| shown(g, &query)).collect(),
    };
    render(StatusCode::OK, &view)
}

/// One table as CSV (UTF-8 with a BOM).
pub async fn export(
    page: StaffPage,
    pool: web::Data<PgPool>,
    calendar: web::Data<Calendar>,
    path: web::Path<String>,
    query: web::Query<InsightQuery>,
) -> Result<HttpResponse, PageError> {
    may_read(&page)?;
    let raw = path.into_inner();
    let table = raw
        .strip_suffix(".csv")
        .and_then(Table::parse)
        .ok_or_else(|| PageError::not_found("没有这张表。"))?;
    let region = scope(&page, &query)?;
    let d = insight::dashboard(&pool, &calendar, &region, Utc::now()).await?;
    let grid = d
        .grid(table)
        .ok_or_else(|| PageError::not_found("没有这张表。"))?;
    let body = insight::csv(grid).map_err(PageError::internal)?;
    audit::record(
        &**pool,
        Actor::member(&page.member, page.ip),
        "insight.exported",
        Subject::default(),
        Change {
            after: Some(serde_json::json!({
                "table": table.as_str(),
                "region": region.as_str(),
                "lines": grid.rows.len(),
            })),
            ..Change::default()
        },
    )
    .await?;
    let name = format!(
        "insight-{}-{}-{}.csv",
        table.as_str(),
        region,
        china_time::day(Utc::now()).format("%Y%m%d")
    );
    Ok(HttpResponse::Ok()
        .insert_header((CONTENT_TYPE, "text/csv; charset=utf-8"))
        .insert_header((
            CONTENT_DISPOSITION,
            format!("attachment; filename=\"{name}\""),
        ))
        .insert_header((CACHE_CONTROL, "no-store"))
        .body(body))
}
