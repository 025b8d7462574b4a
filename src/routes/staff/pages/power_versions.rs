//! `GET /staff/power/versions`: the power list's versions, newest first, each with who
//! made it, when, why, the adopting document and what it changed item by item (the
//! lines each changed field lost and gained).

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use askama::Template;
use sqlx::PgPool;

use super::{StaffLayout, render};
use crate::domain::power_diff::{ItemChange, diff};
use crate::region_index::SearchIndex;
use crate::routes::page_error::PageError;
use crate::routes::pages::date_time;
use crate::routes::paths;
use crate::routes::staff::extract::StaffPage;
use crate::services::power_list;
use crate::storage::power_versions;

/// How many versions the page shows.
const SHOWN: i64 = 20;

pub struct FieldView {
    pub label: &'static str,
    pub removed: Vec<String>,
    pub added: Vec<String>,
}

pub struct ChangeView {
    pub title: String,
    pub fields: Vec<FieldView>,
}

pub struct VersionView {
    pub number: i32,
    pub when: String,
    pub by: String,
    pub reason: String,
    pub adoption: Option<String>,
    pub current: bool,
    /// What it changed; `None` for the first version (nothing before it).
    pub changes: Option<Vec<ChangeView>>,
    pub items: usize,
}

#[derive(Template)]
#[template(path = "staff/power_versions.html")]
struct VersionsPage {
    page: StaffLayout,
    versions: Vec<VersionView>,
    more: bool,
}

fn change_view(c: ItemChange) -> ChangeView {
    match c {
        ItemChange::Added { id, name } => ChangeView {
            title: format!("新增第{id}项“{name}”"),
            fields: Vec::new(),
        },
        ItemChange::Removed { id, name } => ChangeView {
            title: format!("删除第{id}项“{name}”"),
            fields: Vec::new(),
        },
        ItemChange::Changed { id, name, fields } => ChangeView {
            title: format!("修改第{id}项“{name}”"),
            fields: fields
                .into_iter()
                .map(|f| FieldView {
                    label: f.label,
                    removed: f.removed,
                    added: f.added,
                })
                .collect(),
        },
    }
}

/// `GET /staff/power/versions`.
pub async fn page(
    page: StaffPage,
    pool: web::Data<PgPool>,
    index: web::Data<SearchIndex>,
) -> Result<HttpResponse, PageError> {
    if !power_list::may_keep(&page.member) {
        return Err(PageError::forbidden("小微权力清单由市级管理员维护。"));
    }
    // One more than shown, to say what the oldest shown changed.
    let rows = power_versions::recent(&pool, SHOWN).await?;
    let more = rows.len() as i64 > SHOWN;
    let versions = rows
        .iter()
        .enumerate()
        .take(SHOWN as usize)
        .map(|(i, v)| VersionView {
            number: v.version,
            when: date_time(v.recorded_at),
            by: v.by.clone().unwrap_or_else(|| "系统".to_owned()),
            reason: v.reason.clone(),
            adoption: v.adoption.clone(),
            current: i == 0,
            changes: rows.get(i + 1).map(|before| {
                diff(&before.list, &v.list)
                    .into_iter()
                    .map(change_view)
                    .collect()
            }),
            items: v.list.items().len(),
        })
        .collect();
    let view = VersionsPage {
        page: StaffLayout::signed_in(&page, &index, "权力清单版本记录", paths::staff::POWER),
        versions,
        more,
    };
    render(StatusCode::OK, &view)
}
