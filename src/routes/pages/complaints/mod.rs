//! 投诉建议 for followers: the form (`/complaints/new`), its village chooser, the
//! submission, the confirmation, "my complaints" and each complaint's own page with its
//! timeline, rating and review request. Every page here needs the follower's session
//! and shows a complaint only to whoever filed it.

pub mod detail;
pub mod form;
pub mod mine;
pub mod upload;

use std::future::{Ready, ready};

use actix_web::dev::Payload;
use actix_web::{FromRequest, HttpRequest, web};
use chrono::{DateTime, Utc};
use sqlx::PgPool;

use super::{Site, date_time};
use crate::auth::csrf::FormTokens;
use crate::crypto::Vault;
use crate::domain::OpenId;
use crate::domain::complaint::{ComplaintStatus, TrackingNumber};
use crate::kv::Kv;
use crate::region_index::SearchIndex;
use crate::routes::page_error::PageError;
use crate::routes::paths;
use crate::storage;
use crate::storage::complaints::ComplaintRow;
use crate::wechat::api::template::Templates;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route(paths::NEW_COMPLAINT, super::get().to(form::new_form))
        .route(
            paths::CHOOSE_COMPLAINT_VILLAGE,
            super::get().to(form::choose_village),
        )
        .service(
            web::resource(paths::COMPLAINT_DRAFT)
                // The form's text fields, percent-encoded: 2,000 characters of content
                // take up to 18 KB.
                .app_data(web::FormConfig::default().limit(64 * 1024))
                .route(web::post().to(form::keep_draft)),
        )
        .route(paths::COMPLAINTS, web::post().to(form::submit))
        .route(paths::MY_COMPLAINTS, super::get().to(mine::mine))
        .route(paths::COMPLAINT_PATTERN, super::get().to(detail::show))
        .route(
            paths::COMPLAINT_RECEIVED_PATTERN,
            super::get().to(detail::received),
        )
        .route(
            paths::COMPLAINT_PHOTO_PATTERN,
            super::get().to(detail::photo),
        )
        .route(paths::COMPLAINT_RATE_PATTERN, web::post().to(detail::rate))
        .route(
            paths::COMPLAINT_REVIEW_PATTERN,
            web::post().to(detail::review),
        );
}

/// What the complaint pages use, taken from the app in one extractor.
pub struct Services {
    pub site: Site,
    pub pool: web::Data<PgPool>,
    pub vault: web::Data<Vault>,
    pub kv: web::Data<Kv>,
    pub index: web::Data<SearchIndex>,
    pub forms: web::Data<FormTokens>,
    pub templates: web::Data<Templates>,
}

fn data<T: 'static>(req: &HttpRequest) -> Result<web::Data<T>, PageError> {
    req.app_data::<web::Data<T>>().cloned().ok_or_else(|| {
        PageError::internal(anyhow::anyhow!(
            "{} is not registered",
            std::any::type_name::<T>()
        ))
    })
}

impl FromRequest for Services {
    type Error = PageError;
    type Future = Ready<Result<Services, PageError>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let site = Site::from_request(req, payload).into_inner();
        ready(site.and_then(|site| {
            Ok(Services {
                site,
                pool: data(req)?,
                vault: data(req)?,
                kv: data(req)?,
                index: data(req)?,
                forms: data(req)?,
                templates: data(req)?,
            })
        }))
    }
}

/// The complaint with this number, if `openid` filed it. Anyone else is refused: a
/// complaint and its content are the complainant's (《信访工作条例》 art. 30).
pub async fn owned(
    pool: &PgPool,
    vault: &Vault,
    raw: &str,
    openid: &OpenId,
) -> Result<ComplaintRow, PageError> {
    let tracking = TrackingNumber::parse(raw).map_err(|_| {
        PageError::not_found(format!(
            "“{raw}”不是受理编号。受理编号形如 XY-20261128-0042。"
        ))
    })?;
    // Someone else's complaint and no complaint read the same, so that tracking
    // numbers (which count up each day) reveal nothing about other people's.
    storage::complaints::find_by_tracking_number(pool, &tracking)
        .await?
        .filter(|row| crate::services::identity::is_owner(vault, &row.identity, openid))
        .ok_or_else(|| {
            PageError::not_found(format!(
                "没有找到受理编号为{tracking}的投诉。如是您本人提交的，请在提交时使用的微信中打开。"
            ))
        })
}

/// A complaint in a list.
pub struct ComplaintLine {
    pub href: String,
    pub tracking_number: String,
    pub village: String,
    pub category: String,
    pub status: &'static str,
    pub status_class: &'static str,
    pub received: String,
}

/// A CSS class per status family: waiting, in hand, answered, closed.
pub fn status_class(status: ComplaintStatus) -> &'static str {
    match status {
        ComplaintStatus::Pending => "status--waiting",
        ComplaintStatus::Accepted | ComplaintStatus::Assigned | ComplaintStatus::UnderReview => {
            "status--working"
        }
        ComplaintStatus::Concluded => "status--answered",
        ComplaintStatus::Rated | ComplaintStatus::Rejected => "status--closed",
    }
}

pub fn line(row: &ComplaintRow, index: &SearchIndex) -> ComplaintLine {
    ComplaintLine {
        href: paths::complaint(&row.tracking_number),
        tracking_number: row.tracking_number.to_string(),
        village: index.current().full_name(&row.village_code),
        category: row.category_name.clone(),
        status: row.status.label(),
        status_class: status_class(row.status),
        received: when(row.received_at),
    }
}

pub fn when(t: DateTime<Utc>) -> String {
    date_time(t)
}
