//! `/api/staff/complaints…`: the staff JSON API, for other government systems (a 12345
//! hotline, a 信访 system) as much as for scripts. Every call needs an API session
//! (`POST /api/staff/session`); lists never carry who complained; a detail carries the
//! contact of a real-name complainant to those who may see it, and each time it does,
//! the audit log says so.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use sqlx::PgPool;

use crate::crypto::Vault;
use crate::domain::RegionCode;
use crate::domain::china_time;
use crate::domain::complaint::deadline::DeadlineState;
use crate::domain::complaint::{Action, ComplaintStatus, Satisfaction};
use crate::region_index::SearchIndex;
use crate::routes::error::JsonError;
use crate::routes::paths::{self, api::staff as api};
use crate::routes::staff::extract::StaffApi;
use crate::services::complaints::{self, ActError, ActingAs};
use crate::services::handling::{self, ComplaintKey, Identity};
use crate::storage;
use crate::storage::complaints::{ComplaintRow, EventRow, StaffFilter};
use crate::wechat::api::template::Templates;

pub fn configure(cfg: &mut web::ServiceConfig) {
    // Under the gated `/api/staff` scope.
    cfg.route(api::COMPLAINTS, web::get().to(list))
        .route(api::COMPLAINT_PATTERN, web::get().to(detail))
        .route(api::COMPLAINT_ACTIONS_PATTERN, web::post().to(act))
        .route(api::COMPLAINT_NOTES_PATTERN, web::post().to(note))
        .route(api::COMPLAINT_REVEAL_PATTERN, web::post().to(reveal))
        .route(api::COMPLAINT_PHOTO_PATTERN, web::get().to(photo));
}

const MAX_PAGE: i64 = 100;

#[derive(Serialize, utoipa::ToSchema)]
struct Place {
    code: String,
    name: String,
}

#[derive(Serialize, utoipa::ToSchema)]
struct Complainant {
    name: Option<String>,
    phone: Option<String>,
}

/// A complaint as staff read it.
#[derive(Serialize, utoipa::ToSchema)]
struct ComplaintJson {
    id: i64,
    tracking_number: String,
    village: Place,
    category: Place,
    content: String,
    status: &'static str,
    status_label: &'static str,
    received_at: DateTime<Utc>,
    due_at: Option<DateTime<Utc>>,
    /// `on_time`, `due_soon` or `overdue`.
    #[schema(value_type = Option<String>)]
    deadline_state: Option<DeadlineState>,
    deadline_label: Option<&'static str>,
    extended: bool,
    assigned_unit: Option<String>,
    satisfaction: Option<&'static str>,
    anonymous: bool,
    /// Absent unless this is a detail and the reader may see who complained.
    #[serde(skip_serializing_if = "Option::is_none")]
    complainant: Option<Complainant>,
}

/// The staff API's description, generated from the handlers and types above.
#[derive(utoipa::OpenApi)]
#[openapi(
    info(title = "阳光村务 staff API", description = "Complaint handling for other government systems. Sign in with POST /api/staff/session, then send Authorization: Bearer <token>."),
    paths(list, detail, act, note, reveal, photo, super::session::sign_in, super::session::sign_out, super::audit::audit),
    modifiers(&BearerAuth),
    tags((name = "complaints"), (name = "session"), (name = "audit")),
)]
pub struct ApiDoc;

struct BearerAuth;

impl utoipa::Modify for BearerAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).build()),
        );
    }
}

/// A page of the list: newest first; `next_before` continues it.
#[derive(Serialize, utoipa::ToSchema)]
struct ComplaintList {
    complaints: Vec<ComplaintJson>,
    next_before: Option<i64>,
}

/// A complaint with its photos and whole timeline.
#[derive(Serialize, utoipa::ToSchema)]
struct ComplaintDetail {
    complaint: ComplaintJson,
    photos: Vec<String>,
    timeline: Vec<EventJson>,
    /// The disclosure the complaint asks about, when it was opened from one.
    about: Option<AboutJson>,
}

/// A disclosure (and the version read) a complaint asks about.
#[derive(Serialize, utoipa::ToSchema)]
struct AboutJson {
    disclosure_id: i64,
    version: i32,
    title: Option<String>,
    /// Its public page.
    url: String,
}

/// The state after a transition.
#[derive(Serialize, utoipa::ToSchema)]
struct ActResult {
    status: &'static str,
    status_label: &'static str,
    due_at: Option<DateTime<Utc>>,
    event: &'static str,
}

#[derive(Serialize, utoipa::ToSchema)]
struct Created {
    ok: bool,
}

/// Who filed the complaint: their WeChat openid.
#[derive(Serialize, utoipa::ToSchema)]
struct Revealed {
    openid: String,
}

fn to_json(
    row: ComplaintRow,
    identity: Option<Identity>,
    index: &SearchIndex,
    now: DateTime<Utc>,
) -> ComplaintJson {
    let village_name = index.current().full_name(&row.village_code);
    let deadline_state = row.current_due.map(|due| DeadlineState::of(due, now));
    let complainant = match identity {
        Some(Identity::Contact { name, phone }) => Some(Complainant { name, phone }),
        _ => None,
    };
    ComplaintJson {
        id: row.complaint_id,
        tracking_number: row.tracking_number.to_string(),
        village: Place {
            code: row.village_code.to_string(),
            name: village_name,
        },
        category: Place {
            code: row.category_code,
            name: row.category_name,
        },
        content: row.content,
        status_label: row.status.label(),
        status: row.status.as_str(),
        received_at: row.received_at,
        due_at: row.current_due,
        deadline_label: deadline_state.map(DeadlineState::label),
        deadline_state,
        extended: row.extended,
        assigned_unit: row.assigned_unit,
        satisfaction: row.satisfaction.map(Satisfaction::as_str),
        anonymous: row.anonymous,
        complainant,
    }
}

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
struct ListParams {
    status: Option<String>,
    region: Option<String>,
    category: Option<String>,
    overdue: Option<bool>,
    /// First day received, YYYY-MM-DD in Asia/Shanghai.
    from: Option<String>,
    /// Last day received, inclusive.
    to: Option<String>,
    before: Option<i64>,
    limit: Option<i64>,
}

fn day_start(s: &str, what: &str) -> Result<DateTime<Utc>, JsonError> {
    let day = NaiveDate::parse_from_str(s, "%Y-%m-%d")
        .map_err(|_| JsonError::bad_request(format!("{what} is a date like 2026-11-28")))?;
    day.and_hms_opt(0, 0, 0)
        .and_then(|t| t.and_local_timezone(china_time::zone()).single())
        .map(|t| t.with_timezone(&Utc))
        .ok_or_else(|| JsonError::bad_request(format!("{what} is not a valid date")))
}

#[utoipa::path(get, path = "/api/staff/complaints", tag = "complaints", params(ListParams),
    security(("bearer" = [])),
    responses((status = 200, body = ComplaintList), (status = 401), (status = 403, description = "the role reads no complaints")))]
async fn list(
    staff: StaffApi,
    params: web::Query<ListParams>,
    pool: web::Data<PgPool>,
    index: web::Data<SearchIndex>,
) -> Result<HttpResponse, JsonError> {
    let now = Utc::now();
    let status = params
        .status
        .as_deref()
        .map(|s| {
            ComplaintStatus::parse(s)
                .ok_or_else(|| JsonError::bad_request(format!("unknown status `{s}`")))
        })
        .transpose()?;
    let region = params
        .region
        .as_deref()
        .map(|r| RegionCode::parse(r).map_err(|e| JsonError::bad_request(format!("region: {e}"))))
        .transpose()?;
    let limit = params.limit.unwrap_or(50);
    if !(1..=MAX_PAGE).contains(&limit) {
        return Err(JsonError::bad_request(format!("limit is 1 to {MAX_PAGE}")));
    }
    let to = params
        .to
        .as_deref()
        .map(|t| day_start(t, "to").map(|d| d + chrono::Days::new(1)))
        .transpose()?;
    let filter = StaffFilter {
        status,
        region_prefix: region.map(|r| r.as_str().to_owned()),
        category: params.category.clone(),
        overdue_at: params.overdue.unwrap_or(false).then_some(now),
        received_from: params
            .from
            .as_deref()
            .map(|f| day_start(f, "from"))
            .transpose()?,
        received_before: to,
        before_id: params.before,
        assigned_unit: None,
        owner_account_id: None,
        scope: None,
        limit,
    };
    let filter = handling::scoped(&staff.member, filter)
        .ok_or_else(|| JsonError::Forbidden("this role reads no complaints".into()))?;
    let rows = storage::complaints::list_for_staff(&pool, &filter).await?;
    let next = (rows.len() as i64 == limit)
        .then(|| rows.last().map(|r| r.complaint_id))
        .flatten();
    let items: Vec<ComplaintJson> = rows
        .into_iter()
        .map(|r| to_json(r, None, &index, now))
        .collect();
    Ok(private_json(
        StatusCode::OK,
        &ComplaintList {
            complaints: items,
            next_before: next,
        },
    ))
}

/// One line of a complaint's timeline.
#[derive(Serialize, utoipa::ToSchema)]
struct EventJson {
    event: &'static str,
    from_status: Option<&'static str>,
    to_status: &'static str,
    actor: String,
    public_note: String,
    internal_note: String,
    at: DateTime<Utc>,
    /// The transparency log's entry for a status change (`/transparency/entries/{n}`).
    tlog_index: Option<u64>,
}

impl From<EventRow> for EventJson {
    fn from(e: EventRow) -> EventJson {
        EventJson {
            event: e.event.as_str(),
            from_status: e.from_status.map(ComplaintStatus::as_str),
            to_status: e.to_status.as_str(),
            actor: e.actor.to_string(),
            public_note: e.public_note,
            internal_note: e.internal_note,
            at: e.created_at,
            tlog_index: e.tlog_index,
        }
    }
}

#[utoipa::path(get, path = "/api/staff/complaints/{id}", tag = "complaints",
    params(("id" = i64, Path, description = "the complaint")), security(("bearer" = [])),
    responses((status = 200, body = ComplaintDetail), (status = 401), (status = 404, description = "no such complaint within the caller's scope")))]
async fn detail(
    staff: StaffApi,
    path: web::Path<i64>,
    pool: web::Data<PgPool>,
    vault: web::Data<Vault>,
    index: web::Data<SearchIndex>,
) -> Result<HttpResponse, JsonError> {
    let id = path.into_inner();
    let view = handling::read(&pool, &vault, &staff.member, staff.ip, ComplaintKey::Id(id))
        .await
        .map_err(act_error)?;
    let events = storage::complaints::events(&pool, id).await?;
    let photos = storage::complaints::photo_count(&pool, id).await?;
    let photo_urls: Vec<String> = (1..=photos)
        .map(|n| paths::staff_complaint_photo(id, n))
        .collect();
    let about = match view.row.about {
        Some(a) => Some(AboutJson {
            disclosure_id: a.disclosure_id,
            version: a.version,
            title: storage::disclosures::version_title(&pool, a.disclosure_id, a.version).await?,
            url: paths::disclosure(a.disclosure_id),
        }),
        None => None,
    };
    Ok(private_json(
        StatusCode::OK,
        &ComplaintDetail {
            complaint: to_json(view.row, Some(view.identity), &index, Utc::now()),
            photos: photo_urls,
            timeline: events.into_iter().map(EventJson::from).collect(),
            about,
        },
    ))
}

/// One transition; which of them a caller may take depends on the role.
#[derive(Deserialize, utoipa::ToSchema)]
#[serde(tag = "action", rename_all = "snake_case", deny_unknown_fields)]
enum ActionJson {
    Accept {
        internal_note: Option<String>,
    },
    Reject {
        reason: String,
        internal_note: Option<String>,
    },
    Assign {
        unit: String,
        note: Option<String>,
        internal_note: Option<String>,
    },
    Extend {
        days: u64,
        reason: String,
        internal_note: Option<String>,
    },
    Conclude {
        reply: String,
        internal_note: Option<String>,
    },
    ReportResult {
        result: String,
    },
    Transfer {
        /// The username of the inspector who takes charge.
        to: String,
        internal_note: Option<String>,
    },
}

impl ActionJson {
    fn into_action(self) -> (Action, String) {
        match self {
            ActionJson::Accept { internal_note } => {
                (Action::Accept, internal_note.unwrap_or_default())
            }
            ActionJson::Reject {
                reason,
                internal_note,
            } => (Action::Reject { reason }, internal_note.unwrap_or_default()),
            ActionJson::Assign {
                unit,
                note,
                internal_note,
            } => (
                Action::Assign {
                    unit,
                    note: note.unwrap_or_default(),
                },
                internal_note.unwrap_or_default(),
            ),
            ActionJson::Extend {
                days,
                reason,
                internal_note,
            } => (
                Action::Extend { days, reason },
                internal_note.unwrap_or_default(),
            ),
            ActionJson::Conclude {
                reply,
                internal_note,
            } => (
                Action::Conclude { reply },
                internal_note.unwrap_or_default(),
            ),
            ActionJson::ReportResult { result } => (Action::ReportResult { result }, String::new()),
            ActionJson::Transfer { to, internal_note } => {
                (Action::Transfer { to }, internal_note.unwrap_or_default())
            }
        }
    }
}

fn act_error(e: ActError) -> JsonError {
    match e {
        ActError::NotFound => JsonError::not_found("no such complaint"),
        ActError::Refused(reason) => JsonError::Conflict(reason.to_string()),
        ActError::Forbidden => JsonError::Forbidden("this role may not take this action".into()),
        ActError::Database(e) => e.into(),
    }
}

#[utoipa::path(post, path = "/api/staff/complaints/{id}/actions", tag = "complaints",
    params(("id" = i64, Path)), request_body = ActionJson, security(("bearer" = [])),
    responses((status = 200, body = ActResult), (status = 401), (status = 403, description = "the role may not take this action"),
        (status = 404), (status = 409, description = "the workflow refuses it now, with the reason")))]
async fn act(
    staff: StaffApi,
    path: web::Path<i64>,
    body: web::Json<ActionJson>,
    pool: web::Data<PgPool>,
    templates: web::Data<Templates>,
    vault: web::Data<Vault>,
) -> Result<HttpResponse, JsonError> {
    let (action, internal_note) = body.into_inner().into_action();
    let effect = complaints::act(
        &pool,
        &vault,
        &templates,
        path.into_inner(),
        ActingAs::Staff {
            member: &staff.member,
            ip: staff.ip,
        },
        &action,
        &internal_note,
        Utc::now(),
    )
    .await
    .map_err(act_error)?;
    Ok(private_json(
        StatusCode::OK,
        &ActResult {
            status: effect.state.status.as_str(),
            status_label: effect.state.status.label(),
            due_at: effect.state.current_deadline(),
            event: effect.event.as_str(),
        },
    ))
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
struct NoteJson {
    note: String,
}

#[utoipa::path(post, path = "/api/staff/complaints/{id}/notes", tag = "complaints",
    params(("id" = i64, Path)), request_body = NoteJson, security(("bearer" = [])),
    responses((status = 201, body = Created), (status = 401), (status = 403), (status = 404), (status = 409)))]
async fn note(
    staff: StaffApi,
    path: web::Path<i64>,
    body: web::Json<NoteJson>,
    pool: web::Data<PgPool>,
) -> Result<HttpResponse, JsonError> {
    complaints::add_internal_note(
        &pool,
        path.into_inner(),
        &staff.member,
        staff.ip,
        &body.note,
    )
    .await
    .map_err(act_error)?;
    Ok(private_json(StatusCode::CREATED, &Created { ok: true }))
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
struct RevealJson {
    reason: String,
}

/// `POST /api/staff/complaints/{id}/reveal`: who filed it (the openid), for a stated
/// reason — recorded before it is shown.
#[utoipa::path(post, path = "/api/staff/complaints/{id}/reveal", tag = "complaints",
    params(("id" = i64, Path)), request_body = RevealJson, security(("bearer" = [])),
    responses((status = 200, body = Revealed, description = "recorded in the audit log with its reason"), (status = 401),
        (status = 403, description = "only auditors reveal"), (status = 404), (status = 409, description = "no reason given")))]
async fn reveal(
    staff: StaffApi,
    path: web::Path<i64>,
    body: web::Json<RevealJson>,
    pool: web::Data<PgPool>,
    vault: web::Data<Vault>,
) -> Result<HttpResponse, JsonError> {
    let openid = handling::reveal(
        &pool,
        &vault,
        &staff.member,
        staff.ip,
        ComplaintKey::Id(path.into_inner()),
        &body.reason,
    )
    .await
    .map_err(act_error)?;
    Ok(private_json(
        StatusCode::OK,
        &Revealed {
            openid: openid.as_str().to_owned(),
        },
    ))
}

#[utoipa::path(get, path = "/api/staff/complaints/{id}/photos/{position}", tag = "complaints",
    params(("id" = i64, Path), ("position" = i16, Path, description = "from 1")), security(("bearer" = [])),
    responses((status = 200, content_type = "image/jpeg", description = "the photo, without any metadata"), (status = 401), (status = 404)))]
async fn photo(
    staff: StaffApi,
    path: web::Path<(i64, i16)>,
    pool: web::Data<PgPool>,
    vault: web::Data<Vault>,
) -> Result<HttpResponse, JsonError> {
    let (id, position) = path.into_inner();
    handling::visible(&pool, &staff.member, ComplaintKey::Id(id))
        .await
        .map_err(act_error)?;
    let photo = storage::complaints::photo(&pool, &vault, id, position)
        .await?
        .ok_or_else(|| JsonError::not_found("no such photo"))?;
    Ok(HttpResponse::Ok()
        .content_type(photo.content_type)
        .insert_header(("Cache-Control", "private, no-store"))
        .insert_header(("X-Content-Type-Options", "nosniff"))
        .insert_header(("Content-Disposition", "inline"))
        .body(photo.bytes))
}

/// JSON that may hold a complainant's identity or words: never kept by a cache.
fn private_json(status: StatusCode, body: &impl Serialize) -> HttpResponse {
    HttpResponse::build(status)
        .insert_header(("Cache-Control", "no-store"))
        .json(body)
}
