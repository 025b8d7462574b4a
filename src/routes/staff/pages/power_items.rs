//! `/staff/power/items/…`: a city administrator edits an item of the power list (its
//! category, name, 实施主体, basis one per line, the flow chart one step per line, 公开公示
//! and 责任追究), adds one or removes one. Each save is a new version of the whole list
//! with a required reason; a bad form saves nothing and shows every error beside its
//! field. The rules are in `domain::power_edit` and `services::power_list`.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use askama::Template;
use serde::Deserialize;
use sqlx::PgPool;

use super::{Choice, Errors, StaffLayout, render, see_other};
use crate::domain::power_edit::{Edit, EditError, ItemFields, Reason, fields_of};
use crate::domain::{PowerItem, PowerList};
use crate::region_index::SearchIndex;
use crate::routes::page_error::PageError;
use crate::routes::paths;
use crate::routes::staff::extract::StaffPage;
use crate::services::power_list::{self, ChangeError};
use crate::storage::{power_adoptions, power_versions};

/// The form of one item, new or existing.
pub struct ItemForm {
    pub csrf: String,
    pub action: String,
    pub base: i32,
    pub categories: Vec<Choice>,
    pub name: String,
    pub subject: String,
    pub publicity: String,
    pub accountability: String,
    pub basis: String,
    pub steps: String,
    pub reason: String,
    /// The reason typed in the remove form.
    pub remove_reason: String,
    pub adoptions: Vec<Choice>,
    pub errors: Errors,
    /// Where to remove it, for an existing item.
    pub remove: Option<String>,
    /// Its public page, for an existing item.
    pub public: Option<String>,
}

#[derive(Template)]
#[template(path = "staff/power_item.html")]
struct ItemPage {
    page: StaffLayout,
    heading: String,
    form: ItemForm,
}

#[derive(Deserialize)]
pub struct Fields {
    csrf: String,
    #[serde(default)]
    base: String,
    #[serde(default)]
    category: String,
    #[serde(default)]
    name: String,
    #[serde(default)]
    subject: String,
    #[serde(default)]
    publicity: String,
    #[serde(default)]
    accountability: String,
    #[serde(default)]
    basis: String,
    #[serde(default)]
    steps: String,
    #[serde(default)]
    reason: String,
    #[serde(default)]
    adoption: String,
}

#[derive(Deserialize)]
pub struct RemoveFields {
    csrf: String,
    #[serde(default)]
    base: String,
    #[serde(default)]
    remove_reason: String,
}

fn forbidden() -> PageError {
    PageError::forbidden("小微权力清单由市级管理员维护。")
}

fn may(page: &StaffPage) -> Result<(), PageError> {
    if power_list::may_keep(&page.member) {
        Ok(())
    } else {
        Err(forbidden())
    }
}

fn missing() -> PageError {
    PageError::not_found("小微权力清单中没有这一项。")
}

async fn current(pool: &PgPool) -> Result<(i32, PowerList), PageError> {
    power_versions::current(pool)
        .await?
        .ok_or_else(|| PageError::not_found("小微权力清单尚未载入。"))
}

fn item_of(list: &PowerList, path: &str) -> Result<PowerItem, PageError> {
    let id: i32 = path.parse().map_err(|_| missing())?;
    list.items()
        .iter()
        .find(|i| i.id == id)
        .cloned()
        .ok_or_else(missing)
}

/// The form as typed (or prefilled), with its choices.
async fn form_of(
    pool: &PgPool,
    page: &StaffPage,
    list: &PowerList,
    base: i32,
    typed: &Fields,
    errors: Errors,
    item: Option<i32>,
) -> Result<ItemForm, PageError> {
    let adoptions = power_adoptions::history(pool).await?;
    let mut choices = vec![Choice::new(
        "",
        "（不属于某份印发文件）",
        typed.adoption.is_empty(),
    )];
    choices.extend(adoptions.into_iter().map(|a| {
        let value = a.id.to_string();
        let selected = value == typed.adoption;
        Choice::new(value, format!("{}（{}）", a.title, a.doc_number), selected)
    }));
    Ok(ItemForm {
        csrf: page.csrf.clone(),
        action: item.map_or_else(
            || paths::staff::POWER_ITEM_NEW.to_owned(),
            paths::staff::power_item,
        ),
        base,
        categories: list
            .categories()
            .iter()
            .map(|c| Choice::new(c.as_str(), c.as_str(), *c == typed.category))
            .collect(),
        name: typed.name.clone(),
        subject: typed.subject.clone(),
        publicity: typed.publicity.clone(),
        accountability: typed.accountability.clone(),
        basis: typed.basis.clone(),
        steps: typed.steps.clone(),
        reason: typed.reason.clone(),
        remove_reason: String::new(),
        adoptions: choices,
        errors,
        remove: item.map(paths::staff::power_item_remove),
        public: item.map(paths::power_item),
    })
}

/// The page's title, naming the version in force.
fn heading(current: i32, item: Option<&PowerItem>) -> String {
    match item {
        Some(i) => format!("修改第{}项：{}（现行第{current}版）", i.id, i.name),
        None => format!("新增一项（现行第{current}版）"),
    }
}

fn show(
    page: &StaffPage,
    index: &SearchIndex,
    status: StatusCode,
    heading: String,
    form: ItemForm,
    banner: Option<String>,
) -> Result<HttpResponse, PageError> {
    let view = ItemPage {
        page: StaffLayout::signed_in(page, index, &heading, paths::staff::POWER)
            .with_banner(banner),
        heading,
        form,
    };
    render(status, &view)
}

fn prefilled(item: &PowerItem) -> Fields {
    let [
        category,
        name,
        subject,
        publicity,
        accountability,
        basis,
        steps,
    ] = fields_of(item).map(|(_, v)| v);
    Fields {
        csrf: String::new(),
        base: String::new(),
        category,
        name,
        subject,
        publicity,
        accountability,
        basis,
        steps,
        reason: String::new(),
        adoption: String::new(),
    }
}

/// `GET /staff/power/items/{id}`: the item's form, prefilled.
pub async fn form(
    page: StaffPage,
    path: web::Path<String>,
    pool: web::Data<PgPool>,
    index: web::Data<SearchIndex>,
) -> Result<HttpResponse, PageError> {
    may(&page)?;
    let (base, list) = current(&pool).await?;
    let item = item_of(&list, &path)?;
    let form = form_of(
        &pool,
        &page,
        &list,
        base,
        &prefilled(&item),
        Errors::default(),
        Some(item.id),
    )
    .await?;
    show(
        &page,
        &index,
        StatusCode::OK,
        heading(base, Some(&item)),
        form,
        None,
    )
}

/// `GET /staff/power/items/new`: an empty form (the first category chosen).
pub async fn new_form(
    page: StaffPage,
    pool: web::Data<PgPool>,
    index: web::Data<SearchIndex>,
) -> Result<HttpResponse, PageError> {
    may(&page)?;
    let (base, list) = current(&pool).await?;
    let typed = Fields {
        csrf: String::new(),
        base: String::new(),
        category: list.categories().first().cloned().unwrap_or_default(),
        name: String::new(),
        subject: String::new(),
        publicity: String::new(),
        accountability: String::new(),
        basis: String::new(),
        steps: String::new(),
        reason: String::new(),
        adoption: String::new(),
    };
    let form = form_of(&pool, &page, &list, base, &typed, Errors::default(), None).await?;
    show(
        &page,
        &index,
        StatusCode::OK,
        heading(base, None),
        form,
        None,
    )
}

/// What the service's refusal means on the page: a status and a banner or field errors.
fn refused(e: ChangeError, errors: &mut Errors) -> Result<(StatusCode, Option<String>), PageError> {
    Ok(match e {
        ChangeError::Forbidden => return Err(forbidden()),
        ChangeError::Database(e) => return Err(e.into()),
        ChangeError::Edit(EditError::NoItem(_)) => return Err(missing()),
        ChangeError::Stale { current } => (
            StatusCode::CONFLICT,
            Some(format!(
                "清单已被修改为第{current}版，这次没有保存。为免覆盖别人的修改，请重新打开此项再改。"
            )),
        ),
        ChangeError::NoAdoption(_) => {
            errors.add("adoption", "请从列表中选择印发文件。");
            (StatusCode::UNPROCESSABLE_ENTITY, None)
        }
        ChangeError::Edit(EditError::Unchanged) => (
            StatusCode::UNPROCESSABLE_ENTITY,
            Some("这一项没有改动，没有生成新版本。".into()),
        ),
        ChangeError::Edit(EditError::LastItem) => (
            StatusCode::UNPROCESSABLE_ENTITY,
            Some("清单至少要保留一项。".into()),
        ),
        ChangeError::Edit(EditError::Invalid(reason)) => (
            StatusCode::UNPROCESSABLE_ENTITY,
            Some(format!("清单不能这样修改：{reason}")),
        ),
    })
}

/// Checks the typed fields; the edit to make or the errors.
fn checked(
    typed: &Fields,
    id: i32,
    list: &PowerList,
) -> Result<(PowerItem, Reason, Option<i64>), Errors> {
    let mut errors = Errors::default();
    let item = ItemFields {
        category: &typed.category,
        name: &typed.name,
        subject: &typed.subject,
        publicity: &typed.publicity,
        accountability: &typed.accountability,
        basis: &typed.basis,
        steps: &typed.steps,
    }
    .parse(id, list.categories());
    let item = item.map_err(|problems| {
        for (field, message) in problems {
            errors.add(field, message);
        }
    });
    let reason = Reason::parse(&typed.reason).map_err(|(f, m)| errors.add(f, m));
    let adoption = match typed.adoption.trim() {
        "" => Ok(None),
        s => s.parse().map(Some).map_err(|_| {
            errors.add("adoption", "请从列表中选择印发文件。");
        }),
    };
    match (item, reason, adoption) {
        (Ok(item), Ok(reason), Ok(adoption)) => Ok((item, reason, adoption)),
        _ => Err(errors),
    }
}

/// Saves an edit or an addition (`item` is `None`), or shows the form again.
async fn submit(
    page: StaffPage,
    pool: &PgPool,
    index: &SearchIndex,
    typed: &Fields,
    item: Option<PowerItem>,
) -> Result<HttpResponse, PageError> {
    let (current_version, list) = current(pool).await?;
    // A form without its version is treated as opened on an older one.
    let base: i32 = typed.base.trim().parse().unwrap_or(0);
    let id = item.as_ref().map_or(0, |i| i.id);
    let (status, banner, errors) = match checked(typed, id, &list) {
        Ok((new, reason, adoption)) => {
            let edit = if item.is_some() {
                Edit::Replace(new)
            } else {
                Edit::Add(new)
            };
            match power_list::change(pool, &page.member, page.ip, base, &edit, &reason, adoption)
                .await
            {
                Ok(made) => {
                    let done = if item.is_some() { "changed" } else { "added" };
                    return Ok(see_other(&format!(
                        "{}?done={done}&version={}",
                        paths::staff::POWER,
                        made.version
                    )));
                }
                Err(e) => {
                    let mut errors = Errors::default();
                    let (status, banner) = refused(e, &mut errors)?;
                    (status, banner, errors)
                }
            }
        }
        Err(errors) => (StatusCode::UNPROCESSABLE_ENTITY, None, errors),
    };
    // The form keeps what was typed and the version it was opened on.
    let shown_base = if base > 0 { base } else { current_version };
    let form = form_of(
        pool,
        &page,
        &list,
        shown_base,
        typed,
        errors,
        item.as_ref().map(|i| i.id),
    )
    .await?;
    show(
        &page,
        index,
        status,
        heading(current_version, item.as_ref()),
        form,
        banner,
    )
}

/// `POST /staff/power/items/{id}`: the item's new text as the next version.
pub async fn save(
    page: StaffPage,
    path: web::Path<String>,
    pool: web::Data<PgPool>,
    index: web::Data<SearchIndex>,
    form: web::Form<Fields>,
) -> Result<HttpResponse, PageError> {
    page.check_csrf(&form.csrf)?;
    may(&page)?;
    let (_, list) = current(&pool).await?;
    let item = item_of(&list, &path)?;
    submit(page, &pool, &index, &form, Some(item)).await
}

/// `POST /staff/power/items/new`: a new item as the next version.
pub async fn create(
    page: StaffPage,
    pool: web::Data<PgPool>,
    index: web::Data<SearchIndex>,
    form: web::Form<Fields>,
) -> Result<HttpResponse, PageError> {
    page.check_csrf(&form.csrf)?;
    may(&page)?;
    submit(page, &pool, &index, &form, None).await
}

/// `POST /staff/power/items/{id}/remove`: the list without the item, as the next version.
pub async fn remove(
    page: StaffPage,
    path: web::Path<String>,
    pool: web::Data<PgPool>,
    index: web::Data<SearchIndex>,
    form: web::Form<RemoveFields>,
) -> Result<HttpResponse, PageError> {
    page.check_csrf(&form.csrf)?;
    may(&page)?;
    let (_, list) = current(&pool).await?;
    let item = item_of(&list, &path)?;
    let base: i32 = form.base.trim().parse().unwrap_or(0);
    let mut errors = Errors::default();
    let (status, banner) = match Reason::parse(&form.remove_reason) {
        Err((_, message)) => {
            errors.add("remove_reason", message);
            (
                StatusCode::UNPROCESSABLE_ENTITY,
                Some("删除此项须填写理由，这次没有删除。".to_owned()),
            )
        }
        Ok(reason) => {
            match power_list::change(
                &pool,
                &page.member,
                page.ip,
                base,
                &Edit::Remove(item.id),
                &reason,
                None,
            )
            .await
            {
                Ok(made) => {
                    return Ok(see_other(&format!(
                        "{}?done=removed&version={}",
                        paths::staff::POWER,
                        made.version
                    )));
                }
                Err(e) => refused(e, &mut errors)?,
            }
        }
    };
    let now = current(&pool).await?.0;
    let shown_base = if base > 0 { base } else { now };
    let typed = prefilled(&item);
    let typed_reason = form.remove_reason.clone();
    let mut shown = form_of(
        &pool,
        &page,
        &list,
        shown_base,
        &typed,
        errors,
        Some(item.id),
    )
    .await?;
    shown.remove_reason = typed_reason;
    show(
        &page,
        &index,
        status,
        heading(now, Some(&item)),
        shown,
        banner,
    )
}
