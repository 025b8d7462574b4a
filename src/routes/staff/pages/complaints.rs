//! `/staff/complaints`: the queue within the member's scope, most urgent first, with
//! filters; a complaint with its timeline, photos and internal notes, what the member
//! may see of who filed it (each look recorded), and exactly the transitions the state
//! machine allows this member now, each a form with its CSRF token and field errors.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use askama::Template;
use chrono::{DateTime, NaiveDate, Utc};
use serde::Deserialize;
use sqlx::PgPool;

use super::{Choice, Errors, StaffLayout, region_name, render, see_other};
use crate::crypto::Vault;
use crate::domain::complaint::deadline::DeadlineState;
use crate::domain::complaint::{Action, ComplaintStatus};
use crate::domain::staff::{Role, StaffAction};
use crate::domain::{RegionCode, china_time};
use crate::region_index::SearchIndex;
use crate::routes::page_error::PageError;
use crate::routes::pages::{date_time, paragraphs};
use crate::routes::paths;
use crate::routes::staff::extract::StaffPage;
use crate::services::complaints::{self, ActError, ActingAs};
use crate::services::handling::{self, ComplaintKey, Identity};
use crate::storage;
use crate::storage::accounts;
use crate::storage::complaints::{ComplaintRow, StaffFilter};
use crate::wechat::api::template::Templates;

const PER_PAGE: i64 = 50;

#[derive(Debug, Default, Deserialize)]
pub struct QueueQuery {
    status: Option<String>,
    category: Option<String>,
    region: Option<String>,
    from: Option<String>,
    to: Option<String>,
    overdue: Option<String>,
    mine: Option<String>,
    page: Option<String>,
}

/// The filter as typed, shown again.
#[derive(Default)]
pub struct Shown {
    pub region: String,
    pub from: String,
    pub to: String,
    pub overdue: bool,
    pub mine: bool,
}

pub struct QueueRow {
    pub href: String,
    pub tracking_number: String,
    pub due_class: &'static str,
    pub due_label: &'static str,
    pub due: Option<String>,
    pub status: &'static str,
    pub village: String,
    pub category: String,
    pub received: String,
    pub unit: Option<String>,
}

#[derive(Template)]
#[template(path = "staff/queue.html")]
struct QueuePage {
    page: StaffLayout,
    scope: String,
    statuses: Vec<Choice>,
    categories: Vec<Choice>,
    filter: Shown,
    mine_label: &'static str,
    filter_error: Option<String>,
    rows: Vec<QueueRow>,
    next: Option<String>,
}

fn may_list(page: &StaffPage) -> Result<(), PageError> {
    if page.member.may(StaffAction::ListComplaints) {
        Ok(())
    } else {
        Err(PageError::forbidden("您的角色不办理投诉。"))
    }
}

fn day(raw: &str, next: bool) -> Result<Option<DateTime<Utc>>, String> {
    let raw = raw.trim();
    if raw.is_empty() {
        return Ok(None);
    }
    let d = NaiveDate::parse_from_str(raw, "%Y-%m-%d")
        .map_err(|_| format!("日期“{raw}”应形如 2026-12-01"))?;
    let d = if next { d.succ_opt().unwrap_or(d) } else { d };
    Ok(d.and_hms_opt(0, 0, 0)
        .and_then(|t| t.and_local_timezone(china_time::zone()).single())
        .map(|t| t.with_timezone(&Utc)))
}

fn due(row: &ComplaintRow, now: DateTime<Utc>) -> (&'static str, &'static str, Option<String>) {
    match row.current_due {
        Some(d) => {
            let state = DeadlineState::of(d, now);
            let class = match state {
                DeadlineState::Overdue => "due--overdue",
                DeadlineState::DueSoon => "due--soon",
                DeadlineState::OnTime => "",
            };
            (class, state.label(), Some(date_time(d)))
        }
        None => ("", "—", None),
    }
}

pub async fn queue(
    page: StaffPage,
    pool: web::Data<PgPool>,
    index: web::Data<SearchIndex>,
    query: web::Query<QueueQuery>,
) -> Result<HttpResponse, PageError> {
    may_list(&page)?;
    let q = query.into_inner();
    let now = Utc::now();
    let text = |v: &Option<String>| {
        v.as_deref()
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(str::to_owned)
    };
    let status = text(&q.status).and_then(|s| ComplaintStatus::parse(&s));
    let mine = q.mine.as_deref() == Some("true");
    let overdue = q.overdue.as_deref() == Some("true");
    let page_no = crate::routes::pages::page_number(q.page.as_deref());
    let mut error = None;
    let region = match text(&q.region) {
        Some(r) => match RegionCode::parse(&r) {
            Ok(code) if page.member.region.contains(&code) => Some(code.to_string()),
            _ => {
                error = Some(format!("地区代码“{r}”有误或不在本辖区内"));
                None
            }
        },
        None => None,
    };
    let (from, to) = match (
        day(q.from.as_deref().unwrap_or_default(), false),
        day(q.to.as_deref().unwrap_or_default(), true),
    ) {
        (Ok(f), Ok(t)) => (f, t),
        (Err(e), _) | (_, Err(e)) => {
            error = Some(e);
            (None, None)
        }
    };
    let filter = StaffFilter {
        status,
        region_prefix: region,
        category: text(&q.category),
        overdue_at: overdue.then_some(now),
        received_from: from,
        received_before: to,
        before_id: None,
        assigned_unit: None,
        owner_account_id: (mine && page.member.role == Role::Inspector)
            .then_some(page.member.account_id),
        scope: None,
        limit: PER_PAGE,
    };
    let filter = handling::scoped(&page.member, filter)
        .ok_or_else(|| PageError::forbidden("您的角色不办理投诉。"))?;
    let offset = i64::from(page_no - 1) * PER_PAGE;
    let rows = if error.is_some() {
        Vec::new()
    } else {
        storage::complaints::queue_for_staff(&pool, &filter, offset).await?
    };
    let next = (rows.len() as i64 == PER_PAGE).then(|| {
        let mut s = url::form_urlencoded::Serializer::new(String::new());
        for (k, v) in [
            ("status", &q.status),
            ("category", &q.category),
            ("region", &q.region),
            ("from", &q.from),
            ("to", &q.to),
            ("overdue", &q.overdue),
            ("mine", &q.mine),
        ] {
            if let Some(v) = v.as_deref().filter(|v| !v.is_empty()) {
                s.append_pair(k, v);
            }
        }
        s.append_pair("page", &(page_no + 1).to_string());
        paths::staff::queue(&s.finish())
    });
    let categories = storage::complaints::categories(&pool).await?;
    let view = QueuePage {
        page: StaffLayout::signed_in(&page, &index, "投诉办理", paths::staff::COMPLAINTS),
        scope: region_name(&index, &page.member.region),
        statuses: ComplaintStatus::ALL
            .iter()
            .map(|s| Choice::new(s.as_str(), s.label(), Some(*s) == status))
            .collect(),
        categories: categories
            .into_iter()
            .map(|c| {
                let selected = q.category.as_deref() == Some(c.code.as_str());
                Choice::new(c.code, c.name, selected)
            })
            .collect(),
        mine_label: if page.member.role == Role::Inspector {
            "只看我负责的"
        } else {
            "只看转办给本单位的"
        },
        filter: Shown {
            region: q.region.clone().unwrap_or_default(),
            from: q.from.clone().unwrap_or_default(),
            to: q.to.clone().unwrap_or_default(),
            overdue,
            mine,
        },
        filter_error: error,
        rows: rows
            .iter()
            .map(|r| {
                let (due_class, due_label, due) = due(r, now);
                QueueRow {
                    href: paths::staff::complaint(&r.tracking_number),
                    tracking_number: r.tracking_number.to_string(),
                    due_class,
                    due_label,
                    due,
                    status: r.status.label(),
                    village: index.current().full_name(&r.village_code),
                    category: r.category_name.clone(),
                    received: date_time(r.received_at),
                    unit: r.assigned_unit.clone(),
                }
            })
            .collect(),
        next,
    };
    render(StatusCode::OK, &view)
}

/// What the detail page shows of who complained.
pub enum IdentityShown {
    Anonymous,
    Hidden,
    /// The retention period ended: the identity was destroyed with its key.
    Shredded,
    Contact {
        name: Option<String>,
        phone: Option<String>,
    },
    Revealed {
        openid: String,
    },
}

pub struct Head {
    pub tracking_number: String,
    pub status: &'static str,
    pub village: String,
    pub category: String,
    pub received: String,
    pub due: Option<String>,
    pub due_state: &'static str,
    pub due_label: &'static str,
    pub content: Vec<Vec<String>>,
    pub about: Option<AboutLink>,
}

pub struct AboutLink {
    pub href: String,
    pub title: String,
}

/// The disclosure a complaint asks about, as a link: its title at the version read.
pub async fn about_link(
    pool: &PgPool,
    about: Option<crate::domain::complaint::DisclosureRef>,
) -> Result<Option<AboutLink>, sqlx::Error> {
    let Some(a) = about else {
        return Ok(None);
    };
    let title = storage::disclosures::version_title(pool, a.disclosure_id, a.version)
        .await?
        .unwrap_or_else(|| format!("公开事项 {}", a.disclosure_id));
    Ok(Some(AboutLink {
        href: paths::disclosure(a.disclosure_id),
        title: format!("{title}（第{}版）", a.version),
    }))
}

pub struct PhotoLink {
    pub n: i64,
    pub href: String,
}

pub struct Line {
    pub label: &'static str,
    pub actor: String,
    pub when: String,
    pub public_note: String,
    pub internal_note: String,
    /// 存证 #n and the link to its proof, for a status change.
    pub logged: Option<(u64, String)>,
}

pub enum FieldKind {
    Text,
    Number,
    Choice(Vec<Choice>),
}

pub struct FormField {
    pub name: &'static str,
    pub label: &'static str,
    pub kind: FieldKind,
    pub value: String,
    pub error: Option<String>,
}

pub struct ActForm {
    pub name: &'static str,
    pub title: &'static str,
    pub button: &'static str,
    pub action: String,
    pub fields: Vec<FormField>,
}

#[derive(Template)]
#[template(path = "staff/complaint.html")]
struct DetailPage {
    page: StaffLayout,
    c: Head,
    photos: Vec<PhotoLink>,
    identity: IdentityShown,
    can_reveal: bool,
    reveal_action: String,
    timeline: Vec<Line>,
    forms: Vec<ActForm>,
    can_note: bool,
    note_action: String,
    csrf: String,
    errors: Errors,
    /// The topic model's classification, when it has run (docs/analysis.md).
    topics: Option<String>,
    /// Complaints about the same thing, for those who see the dashboard.
    groups: Vec<super::insight::GroupShown>,
}

/// How the detail page is shown after a form: the error of one form's field, or an
/// identity just revealed.
#[derive(Default)]
struct After {
    status: Option<StatusCode>,
    form: Option<(&'static str, String)>,
    errors: Errors,
    revealed: Option<String>,
    notice: Option<String>,
}

fn text_field(name: &'static str, label: &'static str) -> FormField {
    FormField {
        name,
        label,
        kind: FieldKind::Text,
        value: String::new(),
        error: None,
    }
}

/// The forms of the transitions `member` may take now.
async fn forms(
    page: &StaffPage,
    pool: &PgPool,
    row: &ComplaintRow,
    after: &After,
) -> Result<Vec<ActForm>, PageError> {
    let action_url = paths::staff::complaint_actions(&row.tracking_number);
    let mut out = Vec::new();
    for allowed in handling::allowed_now(&page.member, row) {
        let (name, title, button, fields) = match allowed {
            StaffAction::AcceptComplaint => (
                "accept",
                "受理",
                "受理",
                vec![text_field("internal_note", "内部备注（选填）")],
            ),
            StaffAction::RejectComplaint => (
                "reject",
                "不予受理",
                "不予受理",
                vec![text_field("reason", "理由（会告知投诉人）")],
            ),
            StaffAction::AssignComplaint => {
                let units = accounts::units_within(pool, &page.member.region)
                    .await?
                    .into_iter()
                    .filter(|u| {
                        RegionCode::parse(&u.region_code)
                            .is_ok_and(|r| r.contains(row.village_code.region_code()))
                    })
                    .map(|u| {
                        let chosen = row.assigned_unit.as_deref() == Some(u.name.as_str());
                        Choice::new(u.name.clone(), u.name, chosen)
                    })
                    .collect();
                (
                    "assign",
                    "转办",
                    "转办",
                    vec![
                        FormField {
                            name: "unit",
                            label: "承办单位",
                            kind: FieldKind::Choice(units),
                            value: String::new(),
                            error: None,
                        },
                        text_field("note", "交办意见（只有工作人员能看到）"),
                    ],
                )
            }
            StaffAction::TransferComplaint => {
                let inspectors = accounts::list_within(pool, &page.member.region)
                    .await?
                    .into_iter()
                    .filter(|a| {
                        a.active
                            && a.role == Role::Inspector
                            && a.account_id != page.member.account_id
                            && a.region.contains(row.village_code.region_code())
                    })
                    .map(|a| {
                        Choice::new(
                            a.username.as_str(),
                            format!("{}（{}）", a.display_name.as_str(), a.username),
                            false,
                        )
                    })
                    .collect::<Vec<_>>();
                if inspectors.is_empty() {
                    continue;
                }
                (
                    "transfer",
                    "移交其他干部",
                    "移交",
                    vec![FormField {
                        name: "to",
                        label: "接手的纪检监察干部",
                        kind: FieldKind::Choice(inspectors),
                        value: String::new(),
                        error: None,
                    }],
                )
            }
            StaffAction::ExtendComplaint => (
                "extend",
                "延期（仅一次，最多30天）",
                "延期",
                vec![
                    FormField {
                        name: "days",
                        label: "延长天数",
                        kind: FieldKind::Number,
                        value: "30".into(),
                        error: None,
                    },
                    text_field("reason", "延期理由（会告知投诉人）"),
                ],
            ),
            StaffAction::ReportResult => (
                "report_result",
                "报送办理结果",
                "报送",
                vec![text_field("result", "办理情况（交给纪检监察干部审核）")],
            ),
            StaffAction::ConcludeComplaint => (
                "conclude",
                "办结答复",
                "办结",
                vec![text_field("reply", "答复内容（投诉人能看到）")],
            ),
            _ => continue,
        };
        let mut fields = fields;
        // A refusal shows on the form it concerns, at its first field.
        if let Some((form, message)) = after.form.as_ref().filter(|(form, _)| *form == name) {
            let _ = form;
            if let Some(first) = fields.first_mut() {
                first.error = Some(message.clone());
            }
        }
        out.push(ActForm {
            name,
            title,
            button,
            action: action_url.clone(),
            fields,
        });
    }
    Ok(out)
}

async fn detail_page(
    page: &StaffPage,
    pool: &PgPool,
    vault: &Vault,
    index: &SearchIndex,
    tracking: &str,
    after: After,
) -> Result<HttpResponse, PageError> {
    let view = handling::read(
        pool,
        vault,
        &page.member,
        page.ip,
        ComplaintKey::Tracking(tracking),
    )
    .await
    .map_err(act_error)?;
    let row = &view.row;
    let now = Utc::now();
    let (due_class, due_label, due_text) = due(row, now);
    let events = storage::complaints::events(pool, row.complaint_id).await?;
    let photo_count = storage::complaints::photo_count(pool, row.complaint_id).await?;
    let identity = match (&after.revealed, &view.identity) {
        (Some(openid), _) => IdentityShown::Revealed {
            openid: openid.clone(),
        },
        (None, Identity::Anonymous) => IdentityShown::Anonymous,
        (None, Identity::Hidden) => IdentityShown::Hidden,
        (None, Identity::Shredded) => IdentityShown::Shredded,
        (None, Identity::Contact { name, phone }) => IdentityShown::Contact {
            name: name.clone(),
            phone: phone.clone(),
        },
    };
    let target = crate::domain::staff::Target {
        region: row.village_code.region_code(),
        unit: row.assigned_unit.as_deref(),
    };
    let about = about_link(pool, row.about).await?;
    let view_page = DetailPage {
        page: StaffLayout::signed_in(
            page,
            index,
            &format!("投诉 {}", row.tracking_number),
            paths::staff::COMPLAINTS,
        )
        .with_notice(after.notice.clone()),
        c: Head {
            tracking_number: row.tracking_number.to_string(),
            status: row.status.label(),
            village: index.current().full_name(&row.village_code),
            category: row.category_name.clone(),
            received: date_time(row.received_at),
            due: due_text,
            due_state: due_class.trim_start_matches("due--"),
            due_label,
            content: paragraphs(&row.content),
            about,
        },
        photos: (1..=photo_count)
            .map(|n| PhotoLink {
                n,
                href: paths::staff::complaint_photo(&row.tracking_number, n),
            })
            .collect(),
        can_reveal: after.revealed.is_none()
            && page.member.may_on(StaffAction::RevealAnonymous, target),
        reveal_action: paths::staff::complaint_reveal(&row.tracking_number),
        identity,
        timeline: events
            .into_iter()
            .map(|e| Line {
                label: e.event.label(),
                actor: match e.actor {
                    crate::domain::complaint::Actor::Complainant => "投诉人".to_owned(),
                    crate::domain::complaint::Actor::Staff(name) => name,
                },
                when: date_time(e.created_at),
                public_note: e.public_note,
                internal_note: e.internal_note,
                logged: e.tlog_index.map(|i| (i, paths::transparency_entry(i))),
            })
            .collect(),
        forms: forms(page, pool, row, &after).await?,
        can_note: page.member.may_on(StaffAction::NoteComplaint, target),
        note_action: paths::staff::complaint_notes(&row.tracking_number),
        csrf: page.csrf.clone(),
        errors: after.errors,
        topics: topics_shown(pool, row.complaint_id).await?,
        groups: if page.member.may(StaffAction::ReadInsight) {
            crate::services::insight::group_of(
                pool,
                &row.tracking_number,
                row.village_code.as_str(),
                row.received_at,
            )
            .await?
            .iter()
            .map(super::insight::GroupShown::new)
            .collect()
        } else {
            Vec::new()
        },
    };
    render(after.status.unwrap_or(StatusCode::OK), &view_page)
}

/// "交通 0.93 · 工程项目 0.41", or 待人工分类 with the model's best guess.
async fn topics_shown(pool: &PgPool, complaint_id: i64) -> Result<Option<String>, PageError> {
    use crate::storage::classifications::{self, ItemKind};
    let Some(c) = classifications::find(pool, ItemKind::Complaint, complaint_id).await? else {
        return Ok(None);
    };
    Ok(Some(if c.needs_review {
        format!(
            "{}（最可能：{} {:.2}）",
            crate::analysis::NEEDS_REVIEW,
            c.best_guess,
            c.confidence
        )
    } else {
        c.topics.join(" · ")
    }))
}

fn act_error(e: ActError) -> PageError {
    match e {
        ActError::NotFound => PageError::not_found("没有这条投诉，或它不在您的办理范围内。"),
        ActError::Forbidden => PageError::forbidden("您的角色不能进行这个操作。"),
        ActError::Refused(e) => PageError::bad_request(e.to_string()),
        ActError::Database(e) => e.into(),
    }
}

#[derive(Deserialize)]
pub struct Done {
    done: Option<String>,
}

pub async fn show(
    page: StaffPage,
    pool: web::Data<PgPool>,
    vault: web::Data<Vault>,
    index: web::Data<SearchIndex>,
    path: web::Path<String>,
    query: web::Query<Done>,
) -> Result<HttpResponse, PageError> {
    let notice = query.done.as_deref().map(|d| match d {
        "note" => "备注已添加。".to_owned(),
        _ => "已办理，办理经过已更新。".to_owned(),
    });
    detail_page(
        &page,
        &pool,
        &vault,
        &index,
        &path,
        After {
            notice,
            ..After::default()
        },
    )
    .await
}

#[derive(Deserialize)]
pub struct ActFields {
    csrf: String,
    action: String,
    internal_note: Option<String>,
    reason: Option<String>,
    unit: Option<String>,
    note: Option<String>,
    to: Option<String>,
    days: Option<String>,
    result: Option<String>,
    reply: Option<String>,
}

/// What a form asks for, as the state machine's action; the form's name on failure.
fn parse_action(f: &ActFields) -> Result<(Action, String), (&'static str, String)> {
    let take = |v: &Option<String>| v.clone().unwrap_or_default();
    let internal = take(&f.internal_note);
    Ok(match f.action.as_str() {
        "accept" => (Action::Accept, internal),
        "reject" => (
            Action::Reject {
                reason: take(&f.reason),
            },
            internal,
        ),
        "assign" => (
            Action::Assign {
                unit: take(&f.unit),
                note: take(&f.note),
            },
            internal,
        ),
        "transfer" => (Action::Transfer { to: take(&f.to) }, internal),
        "extend" => {
            let days = take(&f.days)
                .trim()
                .parse::<u64>()
                .map_err(|_| ("extend", "请填写1到30之间的天数".to_owned()))?;
            (
                Action::Extend {
                    days,
                    reason: take(&f.reason),
                },
                internal,
            )
        }
        "report_result" => (
            Action::ReportResult {
                result: take(&f.result),
            },
            internal,
        ),
        "conclude" => (
            Action::Conclude {
                reply: take(&f.reply),
            },
            internal,
        ),
        _ => return Err(("accept", "未知的操作".to_owned())),
    })
}

/// The refusal of the state machine in words staff read.
fn refusal(e: &crate::domain::complaint::TransitionError) -> String {
    use crate::domain::complaint::TransitionError as T;
    match e {
        T::NotAllowed { from, .. } => format!("投诉当前是“{}”，不能进行这个操作。", from.label()),
        T::AlreadyExtended => "办理期限已经延长过一次。".into(),
        T::Invalid(why) if why.contains("required") => "请填写这一项。".into(),
        T::Invalid(why) if why.contains("longer") => "内容太长，最多2000字。".into(),
        T::Invalid(why) if why.contains("extension") => "延期天数为1到30天。".into(),
        T::Invalid(why) => why.clone(),
        other => other.to_string(),
    }
}

#[allow(clippy::too_many_arguments, reason = "one extractor each")]
pub async fn act(
    page: StaffPage,
    pool: web::Data<PgPool>,
    vault: web::Data<Vault>,
    index: web::Data<SearchIndex>,
    templates: web::Data<Templates>,
    path: web::Path<String>,
    form: web::Form<ActFields>,
) -> Result<HttpResponse, PageError> {
    page.check_csrf(&form.csrf)?;
    let tracking = path.into_inner();
    let row = handling::visible(&pool, &page.member, ComplaintKey::Tracking(&tracking))
        .await
        .map_err(act_error)?;
    let (action, internal) = match parse_action(&form) {
        Ok(parsed) => parsed,
        Err((name, message)) => {
            let after = After {
                status: Some(StatusCode::UNPROCESSABLE_ENTITY),
                form: Some((name, message)),
                ..After::default()
            };
            return detail_page(&page, &pool, &vault, &index, &tracking, after).await;
        }
    };
    let acting = ActingAs::Staff {
        member: &page.member,
        ip: page.ip,
    };
    match complaints::act(
        &pool,
        &vault,
        &templates,
        row.complaint_id,
        acting,
        &action,
        &internal,
        Utc::now(),
    )
    .await
    {
        Ok(_) => Ok(see_other(&paths::staff::after(
            &paths::staff::complaint(&row.tracking_number),
            "act",
        ))),
        Err(ActError::Refused(e)) => {
            let after = After {
                status: Some(StatusCode::CONFLICT),
                form: Some((action.name(), refusal(&e))),
                ..After::default()
            };
            detail_page(&page, &pool, &vault, &index, &tracking, after).await
        }
        Err(e) => Err(act_error(e)),
    }
}

#[derive(Deserialize)]
pub struct NoteFields {
    csrf: String,
    note: String,
}

pub async fn note(
    page: StaffPage,
    pool: web::Data<PgPool>,
    vault: web::Data<Vault>,
    index: web::Data<SearchIndex>,
    path: web::Path<String>,
    form: web::Form<NoteFields>,
) -> Result<HttpResponse, PageError> {
    page.check_csrf(&form.csrf)?;
    let tracking = path.into_inner();
    let row = handling::visible(&pool, &page.member, ComplaintKey::Tracking(&tracking))
        .await
        .map_err(act_error)?;
    match complaints::add_internal_note(&pool, row.complaint_id, &page.member, page.ip, &form.note)
        .await
    {
        Ok(()) => Ok(see_other(&paths::staff::after(
            &paths::staff::complaint(&row.tracking_number),
            "note",
        ))),
        Err(ActError::Refused(_)) => {
            let mut errors = Errors::default();
            errors.add("note", "备注为1到2000字");
            let after = After {
                status: Some(StatusCode::UNPROCESSABLE_ENTITY),
                errors,
                ..After::default()
            };
            detail_page(&page, &pool, &vault, &index, &tracking, after).await
        }
        Err(e) => Err(act_error(e)),
    }
}

#[derive(Deserialize)]
pub struct RevealFields {
    csrf: String,
    reason: String,
}

pub async fn reveal(
    page: StaffPage,
    pool: web::Data<PgPool>,
    vault: web::Data<Vault>,
    index: web::Data<SearchIndex>,
    path: web::Path<String>,
    form: web::Form<RevealFields>,
) -> Result<HttpResponse, PageError> {
    page.check_csrf(&form.csrf)?;
    let tracking = path.into_inner();
    match handling::reveal(
        &pool,
        &vault,
        &page.member,
        page.ip,
        ComplaintKey::Tracking(&tracking),
        &form.reason,
    )
    .await
    {
        Ok(openid) => {
            let after = After {
                revealed: Some(openid.as_str().to_owned()),
                ..After::default()
            };
            detail_page(&page, &pool, &vault, &index, &tracking, after).await
        }
        Err(ActError::Refused(e)) => {
            let mut errors = Errors::default();
            errors.add("reveal_reason", refusal(&e));
            let after = After {
                status: Some(StatusCode::UNPROCESSABLE_ENTITY),
                errors,
                ..After::default()
            };
            detail_page(&page, &pool, &vault, &index, &tracking, after).await
        }
        Err(e) => Err(act_error(e)),
    }
}

pub async fn photo(
    page: StaffPage,
    pool: web::Data<PgPool>,
    vault: web::Data<Vault>,
    path: web::Path<(String, i16)>,
) -> Result<HttpResponse, PageError> {
    let (tracking, n) = path.into_inner();
    let row = handling::visible(&pool, &page.member, ComplaintKey::Tracking(&tracking))
        .await
        .map_err(act_error)?;
    let photo = storage::complaints::photo(&pool, &vault, row.complaint_id, n)
        .await?
        .ok_or_else(|| PageError::not_found("没有这张照片。"))?;
    Ok(HttpResponse::Ok()
        .content_type(photo.content_type)
        .insert_header(("Cache-Control", "private, no-store"))
        .insert_header(("X-Content-Type-Options", "nosniff"))
        .insert_header(("Content-Disposition", "inline"))
        .body(photo.bytes))
}
