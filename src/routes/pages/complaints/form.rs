//! `GET /complaints/new`: the form; `GET /complaints/new/village`: choosing the village;
//! `POST /complaints/new/draft`: the form's fields kept on the way to the chooser;
//! `POST /complaints`: the submission. A bad field re-renders the form with a message
//! next to it and everything typed kept; a good one stores the complaint once per form
//! (a double tap submits once) and goes on to the confirmation.
//!
//! Choosing the village leaves the form, so the form's 选择村 / 更换村 buttons submit
//! its text fields (not the photos: `formenctype` makes it a plain form post) to be
//! kept as a draft under the form's key; the chooser's links bring the follower back to
//! the form with the draft and the village. Pressing 提交 with a village name typed but
//! none chosen does the same. Photos never travel with a draft: the form says so next
//! to the photo field whenever ones that were chosen are not there any more.

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
use crate::domain::complaint::{DisclosureRef, Event};
use crate::domain::{OpenId, RegionCode, RegionLevel, VillageCode};
use crate::region_index::{Query, SearchIndex};
use crate::routes::page_error::PageError;
use crate::routes::pages::{Crumb, Layout};
use crate::routes::paths;
use crate::services::complaint_drafts::{self, Draft};
use crate::services::complaints::{self, SubmitError};
use crate::storage;

#[derive(Deserialize)]
pub struct NewQuery {
    village: Option<String>,
    /// The key of a form whose draft was kept while the village was chosen.
    draft: Option<String>,
    /// The disclosure asked about (`123v2`), from a disclosure's 对这条公开有疑问.
    about: Option<String>,
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
    draft_action: &'static str,
    /// The disclosure asked about, as the form carries it (`123v2`), with its title and
    /// link when it is a published disclosure of the chosen village.
    about: String,
    about_shown: Option<(String, String)>,
    /// WeChat notices are promised only when their templates are configured.
    notified: bool,
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
    typed: Draft,
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
    let about_shown = match (DisclosureRef::parse(&typed.about), &village) {
        (Some(about), Some(v)) => {
            storage::disclosures::published_version(&**s.pool, &about, &v.code)
                .await?
                .map(|title| (title, paths::disclosure(about.disclosure_id)))
        }
        _ => None,
    };
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
        // Whenever the form comes back, photos chosen before are not in it any more.
        photos_lost: typed.had_photos,
        errors,
        banner,
        csrf: s.forms.issue(openid, &csrf_purpose(&form_key)),
        form_key: form_key.to_string(),
        draft_action: paths::complaint_draft(),
        about: typed.about,
        about_shown,
        notified: [Event::Accepted, Event::Rejected]
            .iter()
            .all(|e| s.templates.configured(e.as_str())),
    };
    s.site.render_private(status, &page)
}

pub async fn new_form(
    s: Services,
    session: FollowerSession,
    query: web::Query<NewQuery>,
) -> Result<HttpResponse, PageError> {
    let openid = session.openid();
    let mut shown = Shown {
        status: StatusCode::OK,
        form_key: Uuid::new_v4(),
        typed: Draft::default(),
        errors: FieldErrors::default(),
        banner: None,
    };
    if let Some(key) = query.draft.as_deref() {
        let kept = match Uuid::parse_str(key.trim()) {
            Ok(key) => complaint_drafts::load(&s.kv, openid, &key)
                .await
                .map_err(PageError::internal)?
                .map(|draft| (key, draft)),
            Err(_) => None,
        };
        match kept {
            Some((key, draft)) => {
                shown.form_key = key;
                shown.typed = draft;
            }
            None => {
                shown.banner =
                    Some("没有找到您之前填写的内容（只保留一天），请重新填写。".to_owned());
            }
        }
    }
    if let Some(village) = &query.village {
        shown.typed.village.clone_from(village);
    }
    if let Some(about) = &query.about {
        // Carried as given (bounded); checked against the village when submitted.
        shown.typed.about = about.chars().take(40).collect();
    }
    render_form(&s, openid, shown).await
}

/// The form's text fields, posted by its 选择村 / 更换村 buttons.
#[derive(Deserialize)]
#[serde(transparent)]
pub struct DraftForm(Vec<(String, String)>);

impl DraftForm {
    fn field(&self, name: &str) -> String {
        self.0
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.clone())
            .unwrap_or_default()
    }
}

/// Keeps what was typed and goes on to the village chooser.
pub async fn keep_draft(
    s: Services,
    session: FollowerSession,
    form: web::Form<DraftForm>,
) -> Result<HttpResponse, PageError> {
    let openid = session.openid();
    let expired = || PageError::forbidden("页面已过期，请回到投诉页面重新填写。");
    let form_key = Uuid::parse_str(form.field("form_key").trim()).map_err(|_| expired())?;
    // An old token is still this follower's own form: keep the draft (the form shown
    // again carries a fresh token); only a forged one is refused.
    if let Err(TokenError::Forged) =
        s.forms
            .check(openid, &csrf_purpose(&form_key), &form.field("csrf"))
    {
        return Err(expired());
    }
    let draft = Draft {
        village: form.field("village"),
        category: form.field("category"),
        content: form.field("content"),
        name: form.field("name"),
        phone: form.field("phone"),
        anonymous: form.field("identity") == "anonymous",
        // A plain form post names the chosen files without sending them.
        had_photos: form.0.0.iter().any(|(k, v)| k == "photos" && !v.is_empty()),
        about: form.field("about"),
    };
    to_chooser(&s, openid, form_key, draft, &form.field("village_q")).await
}

async fn to_chooser(
    s: &Services,
    openid: &OpenId,
    form_key: Uuid,
    draft: Draft,
    search: &str,
) -> Result<HttpResponse, PageError> {
    complaint_drafts::save(&s.kv, openid, &form_key, draft)
        .await
        .map_err(|e| {
            tracing::warn!(error = %e, "a complaint draft could not be kept");
            PageError::unavailable(
                "系统繁忙，暂时无法保存您填写的内容。请按手机的返回键回到表单，稍后再试。",
            )
        })?;
    Ok(HttpResponse::SeeOther()
        .insert_header((
            LOCATION,
            paths::choose_complaint_village_for(&form_key, search),
        ))
        .insert_header(("Cache-Control", "no-store"))
        .finish())
}

#[derive(Deserialize)]
pub struct VillageQuery {
    q: Option<String>,
    /// The key of the form whose draft waits for the village.
    draft: Option<String>,
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
    draft: Option<String>,
    back_href: String,
}

/// Most villages offered for one search.
const VILLAGE_OPTIONS: usize = 30;

pub async fn choose_village(
    s: Services,
    query: web::Query<VillageQuery>,
) -> Result<HttpResponse, PageError> {
    let (site, index) = (&s.site, &s.index);
    let text = query.q.as_deref().map(str::trim).unwrap_or("").to_owned();
    let draft = query
        .draft
        .as_deref()
        .and_then(|d| Uuid::parse_str(d.trim()).ok());
    let back_to_form = |village: Option<&VillageCode>| match &draft {
        Some(key) => paths::new_complaint_from_draft(key, village),
        None => paths::new_complaint(village),
    };
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
                href: VillageCode::try_from(h.code.clone())
                    .map_or_else(|_| back_to_form(None), |v| back_to_form(Some(&v))),
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
                "选择被反映的村",
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
        back_href: back_to_form(None),
        draft: draft.map(|d| d.to_string()),
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
    let mut typed = Draft {
        village: head.field("village"),
        category: head.field("category"),
        content: head.field("content"),
        name: head.field("name"),
        phone: head.field("phone"),
        anonymous: head.field("identity") == "anonymous",
        had_photos: false,
        about: head.field("about"),
    };
    let token = head.field("csrf");
    let search = head.field("village_q");
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
    // 提交 (or the phone's Enter key) with a village name typed but none chosen: find
    // the village first, keeping everything else.
    if typed.village.trim().is_empty() && !search.trim().is_empty() {
        return to_chooser(&s, openid, form_key, typed, &search).await;
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
        about: typed.about.clone(),
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
        Ok(done) => {
            if let Err(e) = complaint_drafts::discard(&s.kv, openid, &form_key).await {
                // It expires by itself within a day.
                tracing::warn!(error = %e, "a complaint draft was not discarded");
            }
            Ok(received(&done))
        }
        Err(SubmitError::DailyLimit) => {
            again(
                StatusCode::TOO_MANY_REQUESTS,
                FieldErrors::default(),
                Some(daily_limit_banner()),
                typed,
            )
            .await
        }
        Err(SubmitError::UnknownDisclosure(_)) => {
            let mut errors = FieldErrors::default();
            errors.add(
                "about",
                "所疑问的公开事项不是这个村已公开的内容，请回到那条公开重新进入，或换回原来的村",
            );
            again(StatusCode::UNPROCESSABLE_ENTITY, errors, None, typed).await
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
