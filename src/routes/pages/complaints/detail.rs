//! A complaint's own page (`/complaints/{tracking}`): what was filed, where it stands,
//! the public timeline, the answer, and once answered the rating form (and after a
//! "not satisfied" within 30 days, the review request). Also the confirmation after
//! submitting and the photos. Only whoever filed the complaint sees any of it.

use actix_web::http::StatusCode;
use actix_web::http::header::LOCATION;
use actix_web::{HttpResponse, web};
use askama::Template;
use chrono::Utc;
use serde::Deserialize;

use super::{Services, owned, status_class, when};
use crate::auth::csrf::TokenError;
use crate::auth::follower::FollowerSession;
use crate::domain::complaint::{
    Action, ComplaintStatus, DeadlineState, Event, Satisfaction, TrackingNumber, TransitionError,
};
use crate::routes::page_error::PageError;
use crate::routes::pages::{Crumb, Layout, date, paragraphs};
use crate::routes::paths;
use crate::services::complaints::{self, ActError, ActingAs};
use crate::storage;

pub struct Step {
    pub when: String,
    pub label: &'static str,
    pub note: String,
    /// 存证 #n and the link to its proof, for a status change.
    pub logged: Option<(u64, String)>,
}

pub struct RatingOption {
    pub value: &'static str,
    pub label: &'static str,
}

#[derive(Template)]
#[template(path = "complaint_detail.html")]
struct DetailPage {
    page: Layout,
    tracking_number: String,
    village: String,
    category: String,
    content: Vec<Vec<String>>,
    anonymous: bool,
    name: Option<String>,
    phone: Option<String>,
    status: &'static str,
    status_class: &'static str,
    due: Option<String>,
    overdue: bool,
    received: String,
    steps: Vec<Step>,
    photos: Vec<String>,
    satisfaction: Option<&'static str>,
    can_rate: bool,
    can_review: bool,
    ratings: Vec<RatingOption>,
    rate_action: String,
    review_action: String,
    rate_csrf: String,
    review_csrf: String,
    banner: Option<String>,
    just_submitted: bool,
    /// What happens next, said on the confirmation: by when it is accepted or not
    /// (`12月17日`), and whether a WeChat notice will say so.
    accept_by: Option<String>,
    notified: bool,
    /// The disclosure the complaint asks about.
    about: Option<crate::routes::staff::pages::complaints::AboutLink>,
}

#[derive(Deserialize)]
pub struct DetailQuery {
    done: Option<String>,
}

fn purpose(action: &str, tracking: &TrackingNumber) -> String {
    format!("{action}:{tracking}")
}

/// How the page is shown: after what, with which message.
struct Shown {
    status: StatusCode,
    banner: Option<String>,
    just_submitted: bool,
}

async fn render(
    s: &Services,
    session: &FollowerSession,
    raw: &str,
    shown: Shown,
) -> Result<HttpResponse, PageError> {
    let Shown {
        status,
        banner,
        just_submitted,
    } = shown;
    let (site, pool, index, forms) = (&s.site, &**s.pool, &s.index, &s.forms);
    let row = owned(pool, &s.vault, raw, session.openid()).await?;
    let state = storage::complaints::state(pool, row.complaint_id)
        .await?
        .ok_or_else(|| PageError::not_found("没有这条投诉。"))?;
    let now = Utc::now();
    let steps = storage::complaints::events(pool, row.complaint_id)
        .await?
        .into_iter()
        .filter(|e| e.event.is_public())
        .map(|e| Step {
            when: when(e.created_at),
            label: e.event.label(),
            note: e.public_note,
            logged: e.tlog_index.map(|i| (i, paths::transparency_entry(i))),
        })
        .collect();
    let photos = storage::complaints::photo_count(pool, row.complaint_id).await?;
    // The complainant's own name and phone, decrypted for their own page only.
    let opened =
        crate::services::identity::open(&s.vault, &row.identity).map_err(sqlx::Error::from)?;
    let tracking = row.tracking_number.clone();
    let due = state.current_deadline();
    let about = crate::routes::staff::pages::complaints::about_link(pool, row.about).await?;
    let page = DetailPage {
        page: site
            .layout(
                &paths::complaint(&tracking),
                &format!("投诉 {tracking}"),
                "",
            )
            .with_crumbs(
                vec![
                    Crumb::new("首页", paths::home()),
                    Crumb::new("我的投诉", paths::my_complaints()),
                ],
                tracking.to_string(),
            ),
        village: index.current().full_name(&row.village_code),
        category: row.category_name.clone(),
        content: paragraphs(&row.content),
        anonymous: row.anonymous,
        name: opened.name,
        phone: opened.phone,
        status: row.status.label(),
        status_class: status_class(row.status),
        due: due.map(date),
        overdue: due.is_some_and(|d| DeadlineState::of(d, now) == DeadlineState::Overdue),
        received: when(row.received_at),
        steps,
        photos: (1..=photos)
            .map(|n| paths::complaint_photo(&tracking, n))
            .collect(),
        satisfaction: row.satisfaction.map(Satisfaction::label),
        can_rate: state.status == ComplaintStatus::Concluded,
        can_review: state.review_available(now).is_ok(),
        ratings: Satisfaction::ALL
            .iter()
            .map(|s| RatingOption {
                value: s.as_str(),
                label: s.label(),
            })
            .collect(),
        rate_action: paths::complaint_rate(&tracking),
        review_action: paths::complaint_review(&tracking),
        rate_csrf: forms.issue(session.openid(), &purpose("rate", &tracking)),
        review_csrf: forms.issue(session.openid(), &purpose("review", &tracking)),
        banner,
        just_submitted,
        accept_by: state.deadlines.accept_due.map(|d| {
            crate::domain::china_time::local(d)
                .format("%-m月%-d日")
                .to_string()
        }),
        // The next notice is the decision: promised only when both of its templates are
        // configured (a deployment without templates sends nothing).
        notified: [Event::Accepted, Event::Rejected]
            .iter()
            .all(|e| s.templates.configured(e.as_str())),
        about,
        tracking_number: tracking.to_string(),
    };
    site.render_private(status, &page)
}

pub async fn show(
    s: Services,
    session: FollowerSession,
    path: web::Path<String>,
    query: web::Query<DetailQuery>,
) -> Result<HttpResponse, PageError> {
    let banner = match query.done.as_deref() {
        Some("rated") => Some("感谢您的评价。".to_owned()),
        Some("review") => Some("复查申请已收到，我们会在30日内答复。".to_owned()),
        _ => None,
    };
    let shown = Shown {
        status: StatusCode::OK,
        banner,
        just_submitted: false,
    };
    render(&s, &session, &path, shown).await
}

/// The confirmation after submitting: the same page, with the tracking number first.
pub async fn received(
    s: Services,
    session: FollowerSession,
    path: web::Path<String>,
) -> Result<HttpResponse, PageError> {
    let shown = Shown {
        status: StatusCode::OK,
        banner: None,
        just_submitted: true,
    };
    render(&s, &session, &path, shown).await
}

pub async fn photo(
    s: Services,
    session: FollowerSession,
    path: web::Path<(String, i16)>,
) -> Result<HttpResponse, PageError> {
    let (raw, n) = path.into_inner();
    let row = owned(&s.pool, &s.vault, &raw, session.openid()).await?;
    let photo = storage::complaints::photo(&s.pool, &s.vault, row.complaint_id, n)
        .await?
        .ok_or_else(|| PageError::not_found("没有这张照片。"))?;
    Ok(HttpResponse::Ok()
        .content_type(photo.content_type)
        .insert_header(("Cache-Control", "private, no-store"))
        .insert_header(("X-Content-Type-Options", "nosniff"))
        .body(photo.bytes))
}

#[derive(Deserialize)]
pub struct RateForm {
    satisfaction: String,
    csrf: String,
}

#[derive(Deserialize)]
pub struct ReviewForm {
    reason: String,
    csrf: String,
}

/// What a follower reads when an action is not (or no longer) possible.
fn refusal(e: &TransitionError) -> String {
    match e {
        TransitionError::ReviewAlreadyUsed => "这条投诉已经复查过一次，不能再次申请复查。".into(),
        TransitionError::ReviewNotAvailable => "只有评价“不满意”后30日内可以申请复查。".into(),
        TransitionError::Invalid(_) => "请写明理由（不超过2000字）。".into(),
        _ => "当前状态下不能进行这个操作，请看下面的最新进展。".into(),
    }
}

/// A follower's action on their complaint: checked against the form's token, applied by
/// the workflow, answered with the page again.
async fn act(
    s: Services,
    session: FollowerSession,
    raw: String,
    csrf: &str,
    action: Action,
    done: &str,
) -> Result<HttpResponse, PageError> {
    let row = owned(&s.pool, &s.vault, &raw, session.openid()).await?;
    let tracking = row.tracking_number.clone();
    let kind = if matches!(action, Action::Rate(_)) {
        "rate"
    } else {
        "review"
    };
    match s
        .forms
        .check(session.openid(), &purpose(kind, &tracking), csrf)
    {
        Ok(()) => {}
        Err(TokenError::Forged) => return Err(PageError::forbidden("页面已过期，请刷新后再试。")),
        Err(TokenError::Expired) => {
            let shown = Shown {
                status: StatusCode::OK,
                banner: Some("这个页面打开的时间太久了，为了安全请再点一次。".to_owned()),
                just_submitted: false,
            };
            return render(&s, &session, tracking.as_str(), shown).await;
        }
    }
    let acting = ActingAs::Complainant(session.openid());
    match complaints::act(
        &s.pool,
        &s.vault,
        &s.templates,
        row.complaint_id,
        acting,
        &action,
        "",
        Utc::now(),
    )
    .await
    {
        Ok(_) => Ok(HttpResponse::SeeOther()
            .insert_header((LOCATION, paths::complaint_after(&tracking, done)))
            .finish()),
        Err(ActError::Refused(e)) => {
            let shown = Shown {
                status: StatusCode::CONFLICT,
                banner: Some(refusal(&e)),
                just_submitted: false,
            };
            render(&s, &session, tracking.as_str(), shown).await
        }
        Err(ActError::NotFound | ActError::Forbidden) => {
            Err(PageError::not_found("没有这条投诉。"))
        }
        Err(ActError::Database(e)) => Err(e.into()),
    }
}

pub async fn rate(
    s: Services,
    session: FollowerSession,
    path: web::Path<String>,
    form: web::Form<RateForm>,
) -> Result<HttpResponse, PageError> {
    let satisfaction = Satisfaction::parse(&form.satisfaction)
        .ok_or_else(|| PageError::bad_request("请选择满意、基本满意或不满意。"))?;
    act(
        s,
        session,
        path.into_inner(),
        &form.csrf,
        Action::Rate(satisfaction),
        "rated",
    )
    .await
}

pub async fn review(
    s: Services,
    session: FollowerSession,
    path: web::Path<String>,
    form: web::Form<ReviewForm>,
) -> Result<HttpResponse, PageError> {
    let action = Action::RequestReview {
        reason: form.reason.clone(),
    };
    act(s, session, path.into_inner(), &form.csrf, action, "review").await
}
