//! `GET /complaints/new`: the form; `GET /complaints/new/village`: choosing the village;
//! `POST /complaints`: the submission. A bad field re-renders the form with a message
//! next to it and everything typed kept; a good one stores the complaint once per form
//! (a double tap submits once) and goes on to the confirmation.

use actix_multipart::Multipart;
use actix_web::http::StatusCode;
use actix_web::http::header::LOCATION;
use actix_web::{HttpResponse, web};
use askama::Template;
use chrono::Utc;
use serde::Deserialize;
use tokio::sync::Semaphore;
use uuid::Uuid;

use super::{Services, upload};
use crate::auth::csrf::TokenError;
use crate::auth::follower::FollowerSession;
use crate::domain::complaint::submission::{self, FieldErrors, RawSubmission};
use crate::domain::{OpenId, RegionCode, RegionLevel, VillageCode};
use crate::region_index::{Query, SearchIndex};
use crate::routes::page_error::PageError;
use crate::routes::pages::{Crumb, Layout};
use crate::routes::paths;
use crate::services::complaints::{self, SubmitError};
use crate::storage;

#[derive(Deserialize)]
pub struct NewQuery {
    village: Option<String>,
}

pub struct VillageChoice {
    pub code: String,
    pub full_name: String,
}

pub struct CategoryChoice {
    pub code: String,
    pub name: String,
    pub selected: bool,
}

#[derive(Template)]
#[template(path = "complaint_form.html")]
struct FormPage {
    page: Layout,
    village: Option<VillageChoice>,
    categories: Vec<CategoryChoice>,
    content: String,
    name: String,
    phone: String,
    anonymous: bool,
    errors: FieldErrors,
    banner: Option<String>,
    photos_lost: bool,
    form_key: String,
    csrf: String,
}

/// What was typed, to show the form again.
struct Typed {
    village: String,
    category: String,
    content: String,
    name: String,
    phone: String,
    anonymous: bool,
    had_photos: bool,
}

fn csrf_purpose(form_key: &Uuid) -> String {
    format!("complaint:{form_key}")
}

fn village_choice(index: &SearchIndex, raw: &str) -> Option<VillageChoice> {
    let code = RegionCode::parse(raw.trim()).ok()?;
    let hit = index.current().get(&code)?;
    (hit.level == RegionLevel::Village).then(|| VillageChoice {
        code: hit.code.to_string(),
        full_name: hit.full_name(),
    })
}

/// The form again after a failed submission, or a new one.
struct Shown {
    status: StatusCode,
    form_key: Uuid,
    typed: Typed,
    errors: FieldErrors,
    banner: Option<String>,
}

async fn render_form(
    s: &Services,
    openid: &OpenId,
    shown: Shown,
) -> Result<HttpResponse, PageError> {
    let Shown {
        status,
        form_key,
        typed,
        errors,
        banner,
    } = shown;
    let categories = categories(s)
        .await?
        .into_iter()
        .map(|c| CategoryChoice {
            selected: c.code == typed.category,
            code: c.code,
            name: c.name,
        })
        .collect();
    let village = village_choice(&s.index, &typed.village);
    let page = FormPage {
        page: s
            .site
            .layout(
                paths::NEW_COMPLAINT,
                "投诉建议",
                "向纪检监察机关反映村级小微权力运行中的问题，可实名也可匿名。",
            )
            .with_crumbs(vec![Crumb::new("首页", paths::home())], "投诉建议"),
        village,
        categories,
        content: typed.content,
        name: typed.name,
        phone: typed.phone,
        anonymous: typed.anonymous,
        photos_lost: typed.had_photos && !errors.is_empty(),
        errors,
        banner,
        csrf: s.forms.issue(openid, &csrf_purpose(&form_key)),
        form_key: form_key.to_string(),
    };
    s.site.render_private(status, &page)
}

pub async fn new_form(
    s: Services,
    session: FollowerSession,
    query: web::Query<NewQuery>,
) -> Result<HttpResponse, PageError> {
    let typed = Typed {
        village: query.village.clone().unwrap_or_default(),
        category: String::new(),
        content: String::new(),
        name: String::new(),
        phone: String::new(),
        anonymous: false,
        had_photos: false,
    };
    let shown = Shown {
        status: StatusCode::OK,
        form_key: Uuid::new_v4(),
        typed,
        errors: FieldErrors::default(),
        banner: None,
    };
    render_form(&s, session.openid(), shown).await
}

#[derive(Deserialize)]
pub struct VillageQuery {
    q: Option<String>,
}

pub struct VillageOption {
    pub href: String,
    pub name: String,
    pub place: String,
}

#[derive(Template)]
#[template(path = "complaint_village.html")]
struct VillagePage {
    page: Layout,
    query: String,
    options: Vec<VillageOption>,
    searched: bool,
}

/// Most villages offered for one search.
const VILLAGE_OPTIONS: usize = 30;

pub async fn choose_village(
    s: Services,
    query: web::Query<VillageQuery>,
) -> Result<HttpResponse, PageError> {
    let (site, index) = (&s.site, &s.index);
    let text = query.q.as_deref().map(str::trim).unwrap_or("").to_owned();
    let options = if text.is_empty() {
        Vec::new()
    } else {
        index
            .current()
            .search(&Query {
                text: &text,
                within: None,
                limit: 100,
            })
            .hits
            .into_iter()
            .filter(|h| h.level == RegionLevel::Village)
            .take(VILLAGE_OPTIONS)
            .map(|h| VillageOption {
                href: VillageCode::try_from(h.code.clone()).map_or_else(
                    |_| paths::new_complaint(None),
                    |v| paths::new_complaint(Some(&v)),
                ),
                place: [&h.county, &h.township]
                    .into_iter()
                    .flatten()
                    .map(|p| p.name.as_str())
                    .collect(),
                name: h.display_name,
            })
            .collect()
    };
    let page = VillagePage {
        page: site
            .layout(
                paths::choose_complaint_village(),
                "选择被投诉的村",
                "选择要反映问题的村（社区）。",
            )
            .with_crumbs(
                vec![
                    Crumb::new("首页", paths::home()),
                    Crumb::new("投诉建议", paths::new_complaint(None)),
                ],
                "选择村",
            ),
        searched: !text.is_empty(),
        query: text,
        options,
    };
    site.render_private(StatusCode::OK, &page)
}

/// Photos decoded and encoded again at once (each holds a decoded picture in memory).
static PHOTO_CLEANERS: Semaphore = Semaphore::const_new(2);

/// The submission. The token, a repeat of a stored form and the daily limit are all
/// checked on the text fields, before a byte of a photo is read.
pub async fn submit(
    s: Services,
    session: FollowerSession,
    payload: Multipart,
) -> Result<HttpResponse, PageError> {
    let openid = session.openid();
    let mut reader = upload::Reader::new(payload);
    let head = reader.text_fields().await?;
    let expired = || PageError::forbidden("页面已过期，请回到投诉页面重新填写。");
    let form_key = Uuid::parse_str(head.field("form_key").trim()).map_err(|_| expired())?;
    let mut typed = Typed {
        village: head.field("village"),
        category: head.field("category"),
        content: head.field("content"),
        name: head.field("name"),
        phone: head.field("phone"),
        anonymous: head.field("identity") == "anonymous",
        had_photos: false,
    };
    let token = head.field("csrf");
    typed.had_photos = reader.photo_pending();
    let again = |status, errors, banner: Option<String>, typed| {
        render_form(
            &s,
            openid,
            Shown {
                status,
                form_key,
                typed,
                errors,
                banner,
            },
        )
    };
    match s.forms.check(openid, &csrf_purpose(&form_key), &token) {
        Ok(()) => {}
        Err(TokenError::Forged) => return Err(expired()),
        Err(TokenError::Expired) => {
            let banner = "这个页面打开的时间太久了，为了安全请核对内容后再点一次提交。".to_owned();
            return again(StatusCode::OK, FieldErrors::default(), Some(banner), typed).await;
        }
    }
    if let Some(done) = complaints::already_submitted(&s.pool, &s.vault, openid, form_key).await? {
        return Ok(received(&done));
    }
    let now = Utc::now();
    if !complaints::within_daily_limit(&s.pool, &s.vault, openid, now).await? {
        return again(
            StatusCode::TOO_MANY_REQUESTS,
            FieldErrors::default(),
            Some(daily_limit_banner()),
            typed,
        )
        .await;
    }
    let form = reader.photos().await?;
    typed.had_photos = !form.photos.is_empty();
    let categories: Vec<String> = categories(&s).await?.into_iter().map(|c| c.code).collect();
    let raw = RawSubmission {
        village: typed.village.clone(),
        category: typed.category.clone(),
        content: typed.content.clone(),
        name: typed.name.clone(),
        phone: typed.phone.clone(),
        anonymous: typed.anonymous,
        photos: form.photos,
    };
    let parsed = {
        let _cleaning = PHOTO_CLEANERS
            .acquire()
            .await
            .map_err(|e| PageError::internal(anyhow::anyhow!("{e}")))?;
        web::block(move || submission::parse(raw, &categories))
            .await
            .map_err(PageError::internal)?
    };
    let new = match parsed {
        Ok(new) => new,
        Err(errors) => {
            let banner = Some("请按提示修改后再提交。".to_owned());
            return again(StatusCode::UNPROCESSABLE_ENTITY, errors, banner, typed).await;
        }
    };
    let prefix = &s.site.settings().complaints.tracking_prefix;
    match complaints::submit(
        &s.pool,
        &s.vault,
        &s.templates,
        prefix,
        openid,
        form_key,
        &new,
        now,
    )
    .await
    {
        Ok(done) => Ok(received(&done)),
        Err(SubmitError::DailyLimit) => {
            again(
                StatusCode::TOO_MANY_REQUESTS,
                FieldErrors::default(),
                Some(daily_limit_banner()),
                typed,
            )
            .await
        }
        Err(SubmitError::UnknownVillage(_)) => {
            let mut errors = FieldErrors::default();
            errors.add("village", "没有找到这个村，请重新选择");
            again(StatusCode::UNPROCESSABLE_ENTITY, errors, None, typed).await
        }
        Err(SubmitError::Database(e)) if storage::database::is_unavailable(&e) => {
            tracing::warn!(error = %e, "a complaint could not be stored now");
            let banner =
                "系统繁忙，这次没有提交成功。您填写的内容还在，请稍后再点一次提交。".to_owned();
            again(
                StatusCode::SERVICE_UNAVAILABLE,
                FieldErrors::default(),
                Some(banner),
                typed,
            )
            .await
        }
        Err(e) => Err(PageError::internal(e)),
    }
}

fn daily_limit_banner() -> String {
    format!(
        "每人每天最多提交{}次投诉建议，今天的次数已用完，请明天再提交。已提交的可在“我的投诉”中查看。",
        complaints::DAILY_LIMIT
    )
}

/// On to the confirmation of a stored complaint.
fn received(done: &complaints::Submitted) -> HttpResponse {
    HttpResponse::SeeOther()
        .insert_header((LOCATION, paths::complaint_received(&done.tracking_number)))
        .insert_header(("Cache-Control", "no-store"))
        .finish()
}

/// The categories offered, or when the database does not answer the last ones read,
/// so that a form can still be shown again with everything typed.
async fn categories(s: &Services) -> Result<Vec<storage::complaints::Category>, PageError> {
    static LAST_READ: std::sync::RwLock<Vec<storage::complaints::Category>> =
        std::sync::RwLock::new(Vec::new());
    match storage::complaints::categories(&s.pool).await {
        Ok(found) => {
            if let Ok(mut last) = LAST_READ.write() {
                last.clone_from(&found);
            }
            Ok(found)
        }
        Err(e) if storage::database::is_unavailable(&e) => {
            let last = LAST_READ.read().map(|l| l.clone()).unwrap_or_default();
            if last.is_empty() {
                Err(e.into())
            } else {
                Ok(last)
            }
        }
        Err(e) => Err(e.into()),
    }
}
