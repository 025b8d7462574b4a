//! 监察建议书 pages: the list within the reader's region, a printable draft for a topic,
//! region and period, sending it (inspectors), and following it through milestones to a
//! result. Every form carries the CSRF token; a form with a problem changes nothing and
//! comes back with the problem named.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use askama::Template;
use chrono::{Datelike, Duration, Utc};
use serde::Deserialize;
use sqlx::PgPool;

use super::{StaffLayout, region_name, render, see_other};
use crate::analysis::Topic;
use crate::domain::recommendation::{self, Problems, RawSent, Sent, Subject};
use crate::domain::staff::{StaffAction, Target};
use crate::domain::{RegionCode, china_time};
use crate::region_index::SearchIndex;
use crate::routes::page_error::PageError;
use crate::routes::paths;
use crate::routes::staff::extract::StaffPage;
use crate::services::recommendations::{self as service, Draft};
use crate::storage::recommendations::{self as store, Row};

fn may_read(page: &StaffPage) -> Result<(), PageError> {
    if page.member.may(StaffAction::ReadInsight) {
        Ok(())
    } else {
        Err(PageError::forbidden("您的角色不能查看监察建议书。"))
    }
}

fn may_manage_in(page: &StaffPage, region: &RegionCode) -> bool {
    page.member.may_on(
        StaffAction::ManageRecommendations,
        Target { region, unit: None },
    )
}

pub struct Listed {
    pub href: String,
    pub title: String,
    pub region: String,
    pub topic: String,
    pub department: String,
    pub rectify_by: String,
    pub state: &'static str,
}

pub fn listed(row: &Row, today: chrono::NaiveDate) -> Listed {
    Listed {
        href: paths::staff::recommendation(row.recommendation_id),
        title: row.title.clone(),
        region: row.region_name.clone(),
        topic: row.topic.clone(),
        department: row.department.clone(),
        rectify_by: row.rectify_by.to_string(),
        state: service::state(row, today),
    }
}

#[derive(Template)]
#[template(path = "staff/recommendations.html")]
struct ListPage {
    page: StaffLayout,
    scope: String,
    rows: Vec<Listed>,
    new_href: String,
}

pub async fn list(
    page: StaffPage,
    pool: web::Data<PgPool>,
    index: web::Data<SearchIndex>,
) -> Result<HttpResponse, PageError> {
    may_read(&page)?;
    let today = china_time::day(Utc::now());
    let rows = store::list(&pool, page.member.region.as_str()).await?;
    // A default draft: the last full quarter's three months up to yesterday.
    let from = today - Duration::days(90);
    let view = ListPage {
        page: StaffLayout::signed_in(&page, &index, "监察建议书", paths::staff::RECOMMENDATIONS),
        scope: region_name(&index, &page.member.region),
        rows: rows.iter().map(|r| listed(r, today)).collect(),
        new_href: paths::staff::new_recommendation(
            "",
            page.member.region.as_str(),
            &from.to_string(),
            &today.to_string(),
        ),
    };
    render(StatusCode::OK, &view)
}

#[derive(Debug, Default, Deserialize)]
pub struct DraftQuery {
    topic: Option<String>,
    region: Option<String>,
    from: Option<String>,
    to: Option<String>,
}

pub struct TopicChoice {
    pub key: &'static str,
    pub selected: bool,
}

/// The subject form as typed.
#[derive(Default)]
pub struct Typed {
    pub topic: String,
    pub region: String,
    pub from: String,
    pub to: String,
    pub title: String,
    pub department: String,
    pub sent_on: String,
    pub rectify_by: String,
}

pub struct DraftShown {
    pub heading: String,
    pub region: String,
    pub topic: &'static str,
    pub period: String,
    pub complaints: i64,
    pub messages: i64,
    pub villages: Vec<(String, String, i64)>,
    pub cases: Vec<service::Case>,
    pub today: String,
}

#[derive(Template)]
#[template(path = "staff/recommendation_new.html")]
struct NewPage {
    page: StaffLayout,
    topics: Vec<TopicChoice>,
    typed: Typed,
    problems: Vec<String>,
    draft: Option<DraftShown>,
    can_send: bool,
    csrf: String,
}

fn topics(selected: &str) -> Vec<TopicChoice> {
    Topic::ALL
        .into_iter()
        .filter(|t| *t != Topic::Other)
        .map(|t| TopicChoice {
            key: t.key(),
            selected: t.key() == selected,
        })
        .collect()
}

fn date_cn(d: chrono::NaiveDate) -> String {
    format!("{}年{}月{}日", d.year(), d.month(), d.day())
}

fn shown(index: &SearchIndex, d: &Draft) -> DraftShown {
    let region = region_name(index, &d.subject.region);
    DraftShown {
        heading: format!(
            "关于{}{}领域群众反映问题的监察建议书",
            region, d.subject.topic
        ),
        region,
        topic: d.subject.topic.key(),
        period: format!("{}至{}", date_cn(d.subject.from), date_cn(d.subject.to)),
        complaints: d.complaints,
        messages: d.messages,
        villages: d
            .villages
            .iter()
            .map(|v| (v.township.clone(), v.village.clone(), v.complaints))
            .collect(),
        cases: d.cases.clone(),
        today: date_cn(china_time::day(Utc::now())),
    }
}

fn problem_lines(p: &Problems) -> Vec<String> {
    p.iter().map(|(_, m)| m.clone()).collect()
}

/// Checks that a parsed subject's region lies within the reader's.
fn within(page: &StaffPage, region: &RegionCode) -> Result<(), PageError> {
    if page.member.region.contains(region) {
        Ok(())
    } else {
        Err(PageError::forbidden("只能就本辖区起草监察建议书。"))
    }
}

async fn new_page(
    page: &StaffPage,
    pool: &PgPool,
    index: &SearchIndex,
    typed: Typed,
    mut problems: Vec<String>,
    status: StatusCode,
) -> Result<HttpResponse, PageError> {
    let mut draft = None;
    // No topic yet: the first visit, only the form.
    if !typed.topic.is_empty() {
        match Subject::parse(&typed.topic, &typed.region, &typed.from, &typed.to) {
            Ok(subject) => {
                within(page, &subject.region)?;
                draft = Some(shown(index, &service::draft(pool, subject).await?));
            }
            Err(p) => {
                if problems.is_empty() {
                    problems = problem_lines(&p);
                }
            }
        }
    }
    let region =
        RegionCode::parse(typed.region.trim()).unwrap_or_else(|_| page.member.region.clone());
    let view = NewPage {
        page: StaffLayout::signed_in(page, index, "起草监察建议书", paths::staff::RECOMMENDATIONS),
        topics: topics(&typed.topic),
        can_send: may_manage_in(page, &region),
        typed,
        problems,
        draft,
        csrf: page.csrf.clone(),
    };
    render(
        if view.problems.is_empty() {
            status
        } else {
            StatusCode::UNPROCESSABLE_ENTITY
        },
        &view,
    )
}

pub async fn new(
    page: StaffPage,
    pool: web::Data<PgPool>,
    index: web::Data<SearchIndex>,
    query: web::Query<DraftQuery>,
) -> Result<HttpResponse, PageError> {
    may_read(&page)?;
    let q = query.into_inner();
    let take = |v: Option<String>| v.unwrap_or_default().trim().to_owned();
    let typed = Typed {
        topic: take(q.topic),
        region: take(q.region),
        from: take(q.from),
        to: take(q.to),
        ..Typed::default()
    };
    new_page(&page, &pool, &index, typed, Vec::new(), StatusCode::OK).await
}

#[derive(Deserialize)]
pub struct SendFields {
    csrf: String,
    #[serde(flatten)]
    raw: RawSent,
}

pub async fn send(
    page: StaffPage,
    pool: web::Data<PgPool>,
    index: web::Data<SearchIndex>,
    form: web::Form<SendFields>,
) -> Result<HttpResponse, PageError> {
    if !page.member.may(StaffAction::ManageRecommendations) {
        return Err(PageError::forbidden("您的角色不能送达监察建议书。"));
    }
    page.check_csrf(&form.csrf)?;
    let raw = &form.raw;
    match Sent::parse(raw) {
        Ok(sent) => {
            within(&page, &sent.subject.region)?;
            let id = service::send(&pool, &page.member, page.ip, &sent).await?;
            Ok(see_other(&paths::staff::recommendation(id)))
        }
        Err(p) => {
            let typed = Typed {
                topic: raw.topic.trim().to_owned(),
                region: raw.region.trim().to_owned(),
                from: raw.from.trim().to_owned(),
                to: raw.to.trim().to_owned(),
                title: raw.title.clone(),
                department: raw.department.clone(),
                sent_on: raw.sent_on.clone(),
                rectify_by: raw.rectify_by.clone(),
            };
            new_page(
                &page,
                &pool,
                &index,
                typed,
                problem_lines(&p),
                StatusCode::UNPROCESSABLE_ENTITY,
            )
            .await
        }
    }
}

#[derive(Template)]
#[template(path = "staff/recommendation.html")]
struct ShowPage {
    page: StaffLayout,
    r: Listed,
    period: String,
    sent_on: String,
    result: Option<String>,
    milestones: Vec<store::Milestone>,
    draft_href: String,
    can_manage: bool,
    milestone_action: String,
    result_action: String,
    csrf: String,
    problems: Vec<String>,
    today: String,
}

/// The recommendation `id` if the reader's region holds it; else 404, as if it did not
/// exist.
async fn found(page: &StaffPage, pool: &PgPool, id: &str) -> Result<Row, PageError> {
    let missing = || PageError::not_found("没有这份监察建议书，或它不在您的辖区内。");
    let id: i64 = id.parse().map_err(|_| missing())?;
    let row = store::find(pool, id).await?.ok_or_else(missing)?;
    let region = RegionCode::parse(&row.region_code).map_err(|_| missing())?;
    if page.member.region.contains(&region) {
        Ok(row)
    } else {
        Err(missing())
    }
}

async fn show_page(
    page: &StaffPage,
    pool: &PgPool,
    index: &SearchIndex,
    row: Row,
    problems: Vec<String>,
) -> Result<HttpResponse, PageError> {
    let today = china_time::day(Utc::now());
    let region = RegionCode::parse(&row.region_code).unwrap_or_else(|_| page.member.region.clone());
    let view = ShowPage {
        page: StaffLayout::signed_in(page, index, &row.title, paths::staff::RECOMMENDATIONS),
        period: format!("{} 至 {}", row.period_from, row.period_to),
        sent_on: row.sent_on.to_string(),
        result: row.result.clone(),
        milestones: store::milestones(pool, row.recommendation_id).await?,
        draft_href: paths::staff::new_recommendation(
            &row.topic,
            &row.region_code,
            &row.period_from.to_string(),
            &row.period_to.to_string(),
        ),
        can_manage: row.closed_at.is_none() && may_manage_in(page, &region),
        milestone_action: paths::staff::recommendation_milestones(row.recommendation_id),
        result_action: paths::staff::recommendation_result(row.recommendation_id),
        csrf: page.csrf.clone(),
        today: today.to_string(),
        problems,
        r: listed(&row, today),
    };
    render(
        if view.problems.is_empty() {
            StatusCode::OK
        } else {
            StatusCode::UNPROCESSABLE_ENTITY
        },
        &view,
    )
}

pub async fn show(
    page: StaffPage,
    pool: web::Data<PgPool>,
    index: web::Data<SearchIndex>,
    path: web::Path<String>,
) -> Result<HttpResponse, PageError> {
    may_read(&page)?;
    let row = found(&page, &pool, &path).await?;
    show_page(&page, &pool, &index, row, Vec::new()).await
}

#[derive(Deserialize)]
pub struct MilestoneFields {
    csrf: String,
    happened_on: String,
    note: String,
}

/// Checks the form may change `row`: its region, the role, the CSRF token, and not yet
/// closed.
fn may_change(page: &StaffPage, row: &Row, csrf: &str) -> Result<(), PageError> {
    let region = RegionCode::parse(&row.region_code)
        .map_err(|_| PageError::not_found("没有这份监察建议书。"))?;
    if !may_manage_in(page, &region) {
        return Err(PageError::forbidden("您的角色不能更新监察建议书。"));
    }
    page.check_csrf(csrf)?;
    if row.closed_at.is_some() {
        return Err(PageError::bad_request(
            "这份监察建议书已经记录了结果，不能再更改。",
        ));
    }
    Ok(())
}

pub async fn milestone(
    page: StaffPage,
    pool: web::Data<PgPool>,
    index: web::Data<SearchIndex>,
    path: web::Path<String>,
    form: web::Form<MilestoneFields>,
) -> Result<HttpResponse, PageError> {
    may_read(&page)?;
    let row = found(&page, &pool, &path).await?;
    may_change(&page, &row, &form.csrf)?;
    match recommendation::milestone(&form.happened_on, &form.note) {
        Ok((day, note)) => {
            service::add_milestone(&pool, &page.member, page.ip, &row, day, &note).await?;
            Ok(see_other(&paths::staff::recommendation(
                row.recommendation_id,
            )))
        }
        Err(p) => show_page(&page, &pool, &index, row, problem_lines(&p)).await,
    }
}

#[derive(Deserialize)]
pub struct ResultFields {
    csrf: String,
    result: String,
}

pub async fn result(
    page: StaffPage,
    pool: web::Data<PgPool>,
    index: web::Data<SearchIndex>,
    path: web::Path<String>,
    form: web::Form<ResultFields>,
) -> Result<HttpResponse, PageError> {
    may_read(&page)?;
    let row = found(&page, &pool, &path).await?;
    may_change(&page, &row, &form.csrf)?;
    match recommendation::text(
        &form.result,
        "result",
        "整改结果",
        recommendation::MAX_RESULT_CHARS,
    ) {
        Ok(text) => {
            if !service::close(&pool, &page.member, page.ip, &row, &text).await? {
                return Err(PageError::bad_request("这份监察建议书已经记录了结果。"));
            }
            Ok(see_other(&paths::staff::recommendation(
                row.recommendation_id,
            )))
        }
        Err(p) => show_page(&page, &pool, &index, row, problem_lines(&p)).await,
    }
}
