//! `/staff/supervisors`: a township's reviewer keeps the supervisor directory of their
//! township (its 监察办公室) and villages (村务监督委员会, 廉情监督员): the list, a form to add
//! an entry (every field checked, a clear error beside it, nothing saved on error), the
//! same form prefilled to edit one in place (`?edit={id}`), and removing one. The rules
//! are in `services::supervisors`.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use askama::Template;
use serde::Deserialize;
use sqlx::PgPool;

use super::{Choice, Errors, StaffLayout, render, see_other};
use crate::domain::staff::StaffAction;
use crate::domain::{PersonError, SupervisorBody};
use crate::region_index::SearchIndex;
use crate::routes::page_error::PageError;
use crate::routes::paths;
use crate::routes::staff::extract::StaffPage;
use crate::services::supervisors::{self as service, EditForm, SupervisorError, SupervisorForm};
use crate::storage;
use crate::storage::supervisors::Entry;

pub struct EntryRow {
    pub place: String,
    pub body: &'static str,
    pub name: String,
    pub role: String,
    pub phone: String,
    pub sample: bool,
    pub remove: String,
    pub edit: String,
}

/// The edit form of one entry: its place is fixed, its body may change within the
/// place's level.
pub struct EditView {
    pub action: String,
    pub place: String,
    pub bodies: Vec<Choice>,
    pub name: String,
    pub role: String,
    pub phone: String,
    pub errors: Errors,
}

impl EditView {
    fn of(entry: &Entry, body: &str, name: &str, role: &str, phone: &str, errors: Errors) -> Self {
        EditView {
            action: paths::staff::supervisor_edit(entry.id),
            place: format!("{}（{}）", entry.region_name, entry.region_code),
            bodies: SupervisorBody::ALL
                .into_iter()
                .filter(|b| b.level() == entry.region_code.level())
                .map(|b| Choice::new(b.as_str(), b.name(), b.as_str() == body))
                .collect(),
            name: name.to_owned(),
            role: role.to_owned(),
            phone: phone.to_owned(),
            errors,
        }
    }

    /// Prefilled with what the entry holds.
    fn prefilled(entry: &Entry) -> Self {
        let phone = entry.phone.as_ref().map_or("", |p| p.as_str());
        EditView::of(
            entry,
            entry.body.as_str(),
            &entry.name,
            &entry.role,
            phone,
            Errors::default(),
        )
    }
}

#[derive(Default)]
pub struct AddForm {
    pub csrf: String,
    pub places: Vec<Choice>,
    pub bodies: Vec<Choice>,
    pub name: String,
    pub role: String,
    pub phone: String,
    pub errors: Errors,
}

#[derive(Template)]
#[template(path = "staff/supervisors.html")]
struct SupervisorsPage {
    page: StaffLayout,
    scope: String,
    rows: Vec<EntryRow>,
    form: AddForm,
    editing: Option<EditView>,
}

#[derive(Deserialize)]
pub struct AddFields {
    csrf: String,
    #[serde(default)]
    region: String,
    #[serde(default)]
    body: String,
    #[serde(default)]
    name: String,
    #[serde(default)]
    role: String,
    #[serde(default)]
    phone: String,
}

#[derive(Deserialize)]
pub struct CsrfOnly {
    csrf: String,
}

#[derive(Deserialize)]
pub struct EditFields {
    csrf: String,
    #[serde(default)]
    body: String,
    #[serde(default)]
    name: String,
    #[serde(default)]
    role: String,
    #[serde(default)]
    phone: String,
}

#[derive(Deserialize)]
pub struct Done {
    done: Option<String>,
    /// The entry whose edit form is open.
    edit: Option<String>,
}

fn not_found() -> PageError {
    PageError::not_found("没有这条记录。")
}

fn entry_id(s: &str) -> Result<i64, PageError> {
    s.parse().ok().filter(|i| *i > 0).ok_or_else(not_found)
}

fn may(page: &StaffPage) -> Result<(), PageError> {
    if page.member.may(StaffAction::ManageSupervisors) {
        Ok(())
    } else {
        Err(PageError::forbidden("您的角色不维护监督员名录。"))
    }
}

#[allow(clippy::too_many_arguments)]
async fn show(
    page: &StaffPage,
    pool: &PgPool,
    index: &SearchIndex,
    status: StatusCode,
    mut form: AddForm,
    notice: Option<String>,
    picked: (&str, &str),
    editing: Option<EditView>,
) -> Result<HttpResponse, PageError> {
    let region = &page.member.region;
    let rows = storage::supervisors::within(pool, region)
        .await?
        .into_iter()
        .map(|e| EntryRow {
            place: e.region_name,
            body: e.body.name(),
            name: e.name,
            role: e.role,
            phone: e.phone.map(|p| p.as_str().to_owned()).unwrap_or_default(),
            sample: e.is_sample,
            remove: paths::staff::supervisor_remove(e.id),
            edit: paths::staff::supervisor_edit_form(e.id),
        })
        .collect();
    form.csrf = page.csrf.clone();
    form.places = storage::supervisors::places_within(pool, region)
        .await?
        .into_iter()
        .map(|(code, name)| {
            let selected = code.as_str() == picked.0;
            Choice::new(code.as_str(), format!("{name}（{code}）"), selected)
        })
        .collect();
    form.bodies = SupervisorBody::ALL
        .into_iter()
        .map(|b| Choice::new(b.as_str(), b.name(), b.as_str() == picked.1))
        .collect();
    let view = SupervisorsPage {
        page: StaffLayout::signed_in(page, index, "监督员名录", paths::staff::SUPERVISORS)
            .with_notice(notice),
        scope: super::region_name(index, region),
        rows,
        form,
        editing,
    };
    render(status, &view)
}

/// `GET /staff/supervisors`.
pub async fn list(
    page: StaffPage,
    pool: web::Data<PgPool>,
    index: web::Data<SearchIndex>,
    query: web::Query<Done>,
) -> Result<HttpResponse, PageError> {
    may(&page)?;
    let notice = match query.done.as_deref() {
        Some("added") => Some("已添加，村民页面上立即可见。".to_owned()),
        Some("removed") => Some("已删除。".to_owned()),
        Some("edited") => Some("已修改，村民页面上立即可见。".to_owned()),
        _ => None,
    };
    let editing = match query.edit.as_deref() {
        Some(id) => {
            let entry = storage::supervisors::find(&pool, entry_id(id)?, &page.member.region)
                .await?
                .ok_or_else(not_found)?;
            Some(EditView::prefilled(&entry))
        }
        None => None,
    };
    show(
        &page,
        &pool,
        &index,
        StatusCode::OK,
        AddForm::default(),
        notice,
        ("", ""),
        editing,
    )
    .await
}

/// Where a refused field's message goes, in Chinese.
fn person_error(e: &PersonError, errors: &mut Errors) {
    match e {
        PersonError::Missing("name") => errors.add("name", "请填写姓名。"),
        PersonError::TooLong("name") => errors.add("name", "姓名不能超过30个字。"),
        PersonError::Missing(_) => errors.add("role", "请填写职务，如“主任”“委员”。"),
        PersonError::TooLong(_) => errors.add("role", "职务不能超过20个字。"),
        PersonError::BadPhone => errors.add(
            "phone",
            "电话号码为3到20位数字，可用“-”或空格分隔，如 0376-1234567。",
        ),
        PersonError::WrongLevel { .. } => errors.add(
            "body",
            "乡镇监察办公室只能登记在乡镇，村务监督委员会和廉情监督员只能登记在村。",
        ),
        _ => errors.add("name", "填写的内容不符合要求。"),
    }
}

/// `POST /staff/supervisors`: adds an entry, or shows the form again with its errors.
pub async fn add(
    page: StaffPage,
    pool: web::Data<PgPool>,
    index: web::Data<SearchIndex>,
    form: web::Form<AddFields>,
) -> Result<HttpResponse, PageError> {
    page.check_csrf(&form.csrf)?;
    may(&page)?;
    let typed = SupervisorForm {
        region: &form.region,
        body: &form.body,
        name: &form.name,
        role: &form.role,
        phone: &form.phone,
    };
    let mut errors = Errors::default();
    match service::add(&pool, &page.member, page.ip, &typed).await {
        Ok(_) => {
            return Ok(see_other(&format!(
                "{}?done=added",
                paths::staff::SUPERVISORS
            )));
        }
        Err(SupervisorError::Forbidden) => {
            return Err(PageError::forbidden("您的角色不维护监督员名录。"));
        }
        Err(SupervisorError::Database(e)) => return Err(e.into()),
        Err(SupervisorError::Place) => {
            errors.add("region", "请从列表中选择本乡镇或本乡镇的村，以及所属机构。");
        }
        Err(SupervisorError::Invalid(e)) => person_error(&e, &mut errors),
        Err(SupervisorError::NotFound) => return Err(PageError::not_found("没有这条记录。")),
    }
    let shown = AddForm {
        name: form.name.clone(),
        role: form.role.clone(),
        phone: form.phone.clone(),
        errors,
        ..AddForm::default()
    };
    show(
        &page,
        &pool,
        &index,
        StatusCode::UNPROCESSABLE_ENTITY,
        shown,
        None,
        (&form.region, &form.body),
        None,
    )
    .await
}

/// `POST /staff/supervisors/{id}/remove`.
pub async fn remove(
    page: StaffPage,
    path: web::Path<String>,
    pool: web::Data<PgPool>,
    form: web::Form<CsrfOnly>,
) -> Result<HttpResponse, PageError> {
    page.check_csrf(&form.csrf)?;
    may(&page)?;
    let id = entry_id(&path)?;
    match service::remove(&pool, &page.member, page.ip, id).await {
        Ok(()) => Ok(see_other(&format!(
            "{}?done=removed",
            paths::staff::SUPERVISORS
        ))),
        Err(SupervisorError::NotFound) => Err(not_found()),
        Err(SupervisorError::Forbidden) => Err(PageError::forbidden("您的角色不维护监督员名录。")),
        Err(SupervisorError::Database(e)) => Err(e.into()),
        Err(_) => Err(not_found()),
    }
}

/// `POST /staff/supervisors/{id}/edit`: changes the entry in place, or shows its form
/// again with the errors (nothing saved). An entry outside the member's region is not
/// found, whatever was typed.
pub async fn edit(
    page: StaffPage,
    path: web::Path<String>,
    pool: web::Data<PgPool>,
    index: web::Data<SearchIndex>,
    form: web::Form<EditFields>,
) -> Result<HttpResponse, PageError> {
    page.check_csrf(&form.csrf)?;
    may(&page)?;
    let id = entry_id(&path)?;
    let typed = EditForm {
        body: &form.body,
        name: &form.name,
        role: &form.role,
        phone: &form.phone,
    };
    let mut errors = Errors::default();
    match service::edit(&pool, &page.member, page.ip, id, &typed).await {
        Ok(()) => {
            return Ok(see_other(&paths::staff::after(
                paths::staff::SUPERVISORS,
                "edited",
            )));
        }
        Err(SupervisorError::NotFound) => return Err(not_found()),
        Err(SupervisorError::Forbidden) => {
            return Err(PageError::forbidden("您的角色不维护监督员名录。"));
        }
        Err(SupervisorError::Database(e)) => return Err(e.into()),
        Err(SupervisorError::Place) => errors.add("body", "请从列表中选择所属机构。"),
        Err(SupervisorError::Invalid(e)) => person_error(&e, &mut errors),
    }
    let entry = storage::supervisors::find(&pool, id, &page.member.region)
        .await?
        .ok_or_else(not_found)?;
    let editing = EditView::of(
        &entry,
        &form.body,
        &form.name,
        &form.role,
        &form.phone,
        errors,
    );
    show(
        &page,
        &pool,
        &index,
        StatusCode::UNPROCESSABLE_ENTITY,
        AddForm::default(),
        None,
        ("", ""),
        Some(editing),
    )
    .await
}
