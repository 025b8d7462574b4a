//! `/staff/power`: a city administrator sees the power list's items (each linked to its
//! editor, `power_items`) and its current version, and records the document that
//! adopted the list (title, 文号, date, issuer); earlier adoptions stay listed, nothing
//! is edited. The public `/power` page names the latest.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use askama::Template;
use chrono::Utc;
use serde::Deserialize;
use sqlx::PgPool;

use super::{Errors, StaffLayout, render, see_other};
use crate::domain::china_time;
use crate::domain::power_adoption::Adoption;
use crate::region_index::SearchIndex;
use crate::routes::page_error::PageError;
use crate::routes::pages::date_time;
use crate::routes::paths;
use crate::routes::staff::extract::StaffPage;
use crate::services::power_list::{self, AdoptionError};
use crate::storage::{power_adoptions, power_versions};

pub struct AdoptionRow {
    pub title: String,
    pub doc_number: String,
    pub adopted_on: String,
    pub issuer: String,
    pub recorded: String,
    pub current: bool,
}

#[derive(Default)]
pub struct AdoptionForm {
    pub csrf: String,
    pub title: String,
    pub doc_number: String,
    pub adopted_on: String,
    pub issuer: String,
    pub errors: Errors,
}

/// An item of the list, linked to its editor.
pub struct ItemRow {
    pub number: i32,
    pub category: String,
    pub name: String,
    pub steps: i64,
    pub edit: String,
}

#[derive(Template)]
#[template(path = "staff/power.html")]
struct PowerPage {
    page: StaffLayout,
    items: Vec<ItemRow>,
    /// "第N版，YYYY-MM-DD" of the version in force.
    version: String,
    rows: Vec<AdoptionRow>,
    form: AdoptionForm,
}

#[derive(Deserialize)]
pub struct Fields {
    csrf: String,
    #[serde(default)]
    title: String,
    #[serde(default)]
    doc_number: String,
    #[serde(default)]
    adopted_on: String,
    #[serde(default)]
    issuer: String,
}

#[derive(Deserialize)]
pub struct Done {
    done: Option<String>,
    version: Option<i32>,
}

fn may(page: &StaffPage) -> Result<(), PageError> {
    if power_list::may_keep(&page.member) {
        Ok(())
    } else {
        Err(PageError::forbidden("小微权力清单由市级管理员维护。"))
    }
}

async fn show(
    page: &StaffPage,
    pool: &PgPool,
    index: &SearchIndex,
    status: StatusCode,
    mut form: AdoptionForm,
    notice: Option<String>,
) -> Result<HttpResponse, PageError> {
    let rows = power_adoptions::history(pool)
        .await?
        .into_iter()
        .enumerate()
        .map(|(i, r)| AdoptionRow {
            title: r.title,
            doc_number: r.doc_number,
            adopted_on: r.adopted_on.to_string(),
            issuer: r.issuer,
            recorded: format!(
                "{} {}",
                date_time(r.recorded_at),
                r.recorded_by.unwrap_or_default()
            ),
            current: i == 0,
        })
        .collect();
    let items = crate::storage::power::list(pool)
        .await?
        .into_iter()
        .map(|i| ItemRow {
            number: i.id,
            edit: paths::staff::power_item(i.id),
            category: i.category,
            name: i.name,
            steps: i.steps,
        })
        .collect();
    let version = power_versions::header(pool)
        .await?
        .map(|(n, at)| format!("第{n}版，{}", china_time::day(at)))
        .unwrap_or_default();
    form.csrf = page.csrf.clone();
    let view = PowerPage {
        page: StaffLayout::signed_in(page, index, "小微权力清单", paths::staff::POWER)
            .with_notice(notice),
        items,
        version,
        rows,
        form,
    };
    render(status, &view)
}

/// `GET /staff/power`.
pub async fn list(
    page: StaffPage,
    pool: web::Data<PgPool>,
    index: web::Data<SearchIndex>,
    query: web::Query<Done>,
) -> Result<HttpResponse, PageError> {
    may(&page)?;
    let version = query.version.unwrap_or_default();
    let notice = match query.done.as_deref() {
        Some("adopted") => Some("已记录，公开的权力清单页面现在显示这份文件。".to_owned()),
        Some("changed") => Some(format!("已保存为第{version}版，公开页面立即显示。")),
        Some("added") => Some(format!("已新增，保存为第{version}版。")),
        Some("removed") => Some(format!("已删除，保存为第{version}版。")),
        _ => None,
    };
    show(
        &page,
        &pool,
        &index,
        StatusCode::OK,
        AdoptionForm::default(),
        notice,
    )
    .await
}

/// `POST /staff/power`: records an adoption, or shows the form again with its errors.
pub async fn adopt(
    page: StaffPage,
    pool: web::Data<PgPool>,
    index: web::Data<SearchIndex>,
    form: web::Form<Fields>,
) -> Result<HttpResponse, PageError> {
    page.check_csrf(&form.csrf)?;
    may(&page)?;
    let today = china_time::day(Utc::now());
    match Adoption::parse(
        &form.title,
        &form.doc_number,
        &form.adopted_on,
        &form.issuer,
        today,
    ) {
        Ok(a) => match power_list::adopt(&pool, &page.member, page.ip, &a).await {
            Ok(_) => Ok(see_other(&format!("{}?done=adopted", paths::staff::POWER))),
            Err(AdoptionError::Forbidden) => {
                Err(PageError::forbidden("小微权力清单由市级管理员维护。"))
            }
            Err(AdoptionError::Database(e)) => Err(e.into()),
        },
        Err(problems) => {
            let mut errors = Errors::default();
            for (field, message) in problems {
                errors.add(field, message);
            }
            let shown = AdoptionForm {
                title: form.title.clone(),
                doc_number: form.doc_number.clone(),
                adopted_on: form.adopted_on.clone(),
                issuer: form.issuer.clone(),
                errors,
                ..AdoptionForm::default()
            };
            show(
                &page,
                &pool,
                &index,
                StatusCode::UNPROCESSABLE_ENTITY,
                shown,
                None,
            )
            .await
        }
    }
}
