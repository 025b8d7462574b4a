//! `/staff/phone-search`: an inspector or auditor enters a phone number and sees the
//! complaints filed with it inside their scope — tracking number, village, status; who
//! filed it stays behind the complaint page's audited view. The search itself is a
//! `POST` (CSRF-checked, and the number never lands in a URL or an access log).

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use askama::Template;
use serde::Deserialize;
use sqlx::PgPool;

use super::{StaffLayout, region_name, render};
use crate::crypto::Vault;
use crate::domain::staff::StaffAction;
use crate::region_index::SearchIndex;
use crate::routes::page_error::PageError;
use crate::routes::pages::date_time;
use crate::routes::paths;
use crate::routes::staff::extract::StaffPage;
use crate::services::phone_search::{self, SearchError};

pub struct Match {
    pub href: String,
    pub tracking_number: String,
    pub village: String,
    pub status: &'static str,
    pub received: String,
}

#[derive(Template)]
#[template(path = "staff/phone_search.html")]
struct SearchPage {
    page: StaffLayout,
    scope: String,
    action: &'static str,
    csrf: String,
    limit: i64,
    phone: String,
    error: Option<String>,
    searched: bool,
    rows: Vec<Match>,
}

#[derive(Debug, Deserialize)]
pub struct SearchFields {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    phone: String,
}

fn may_search(page: &StaffPage) -> Result<(), PageError> {
    if page.member.may(StaffAction::SearchByPhone) {
        Ok(())
    } else {
        Err(PageError::forbidden("您的角色不能按手机号查找投诉。"))
    }
}

fn view(page: &StaffPage, index: &SearchIndex) -> SearchPage {
    SearchPage {
        page: StaffLayout::signed_in(page, index, "按手机号查找", paths::staff::PHONE_SEARCH),
        scope: region_name(index, &page.member.region),
        action: paths::staff::PHONE_SEARCH,
        csrf: page.csrf.clone(),
        limit: phone_search::LIMIT,
        phone: String::new(),
        error: None,
        searched: false,
        rows: Vec::new(),
    }
}

pub async fn show(
    page: StaffPage,
    index: web::Data<SearchIndex>,
) -> Result<HttpResponse, PageError> {
    may_search(&page)?;
    render(StatusCode::OK, &view(&page, &index))
}

pub async fn search(
    page: StaffPage,
    pool: web::Data<PgPool>,
    vault: web::Data<Vault>,
    index: web::Data<SearchIndex>,
    form: web::Form<SearchFields>,
) -> Result<HttpResponse, PageError> {
    may_search(&page)?;
    page.check_csrf(&form.csrf)?;
    let mut shown = view(&page, &index);
    // What was typed is shown again only when it was refused (to correct it).
    let (status, rows) =
        match phone_search::search(&pool, &vault, &page.member, page.ip, &form.phone).await {
            Ok(rows) => (StatusCode::OK, rows),
            Err(SearchError::InvalidNumber) => {
                shown.phone = form.phone.chars().take(20).collect();
                shown.error = Some("请填写11位手机号码，如 13812345678".to_owned());
                (StatusCode::UNPROCESSABLE_ENTITY, Vec::new())
            }
            Err(SearchError::TooMany) => {
                shown.error = Some(format!(
                    "一小时内最多查找{}次，请稍后再试。",
                    phone_search::LIMIT
                ));
                (StatusCode::TOO_MANY_REQUESTS, Vec::new())
            }
            Err(SearchError::Forbidden) => {
                return Err(PageError::forbidden("您的角色不能按手机号查找投诉。"));
            }
            Err(SearchError::Database(e)) => return Err(e.into()),
        };
    shown.searched = status == StatusCode::OK;
    let names = index.current();
    shown.rows = rows
        .iter()
        .map(|r| Match {
            href: paths::staff::complaint(&r.tracking_number),
            tracking_number: r.tracking_number.to_string(),
            village: names.full_name(&r.village_code),
            status: r.status.label(),
            received: date_time(r.received_at),
        })
        .collect();
    render(status, &shown)
}
