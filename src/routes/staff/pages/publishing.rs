//! `/staff/disclosures`, `/staff/drafts/{id}`: a clerk's drafts and the module form
//! (derived from the module's definition), the preview exactly as the public will see it
//! (the same view and template macro as the public page), submission; a reviewer's queue,
//! the diff against the published version, approve or return; corrections and
//! withdrawals. Every rule is in `services::disclosures`; these only translate.

use std::collections::HashMap;

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use askama::Template;
use serde::Deserialize;
use sqlx::PgPool;

use super::{Choice, StaffLayout, region_name, render, see_other};
use crate::configuration::Settings;
use crate::domain::disclosure::attachment::{DraftFile, FileError, Size};
use crate::domain::disclosure::content::{RawContent, StructuredContent};
use crate::domain::disclosure::definition::{FieldDef, ModuleDefinition, ModuleDefinitions};
use crate::domain::disclosure::diff::{Change, diff};
use crate::domain::disclosure::lifecycle::{DraftState, Step};
use crate::domain::disclosure::value::Kind;
use crate::domain::staff::StaffAction;
use crate::domain::{Module, RegionLevel};
use crate::region_index::SearchIndex;
use crate::routes::page_error::PageError;
use crate::routes::pages::date_time;
use crate::routes::pages::disclosures::{
    ContentView, FileTableView, content_view_with, file_response, file_table_view,
};
use crate::routes::pages::file_size;
use crate::routes::paths;
use crate::routes::staff::extract::StaffPage;
use crate::services::disclosures::FileLimits;
use crate::services::disclosures::{self as publishing, Acting, PublishError};
use crate::storage::drafts::{self, Draft, DraftFileInfo};

/// Rows of a list the form shows as inputs; a longer list is changed by import.
const MAX_FORM_ROWS: usize = 200;
/// Blank rows offered under the filled ones.
const BLANK_ROWS: usize = 5;

fn acting(page: &StaffPage) -> Acting<'_> {
    Acting {
        member: &page.member,
        ip: page.ip,
    }
}

fn may_publish_at_all(page: &StaffPage) -> Result<(), PageError> {
    if page.member.may(StaffAction::DraftDisclosure)
        || page.member.may(StaffAction::ReviewDisclosure)
    {
        Ok(())
    } else {
        Err(PageError::forbidden("您的角色不发布村务公开。"))
    }
}

fn parse_id(raw: &str) -> Result<i64, PageError> {
    raw.parse::<i64>()
        .ok()
        .filter(|id| *id > 0)
        .ok_or_else(|| PageError::not_found("没有找到这份草稿。"))
}

fn page_error(e: PublishError) -> PageError {
    match e {
        PublishError::NotFound => PageError::not_found("没有找到这份草稿或公开。"),
        PublishError::Forbidden => PageError::forbidden("您的角色不能进行这项操作。"),
        PublishError::Database(e) => e.into(),
        other => PageError::bad_request(other.messages().join("；")),
    }
}

/// One input of the form.
pub struct Input {
    pub name: String,
    pub label: String,
    /// `text`, `date`, `number`, `textarea` or `select`.
    pub widget: &'static str,
    pub value: String,
    pub choices: Vec<Choice>,
    pub required: bool,
    pub hint: Option<String>,
}

pub struct ListForm {
    pub key: String,
    pub label: String,
    pub headers: Vec<String>,
    pub rows: Vec<Vec<Input>>,
    /// Too many rows to edit here: kept as they are unless imported again.
    pub kept: Option<usize>,
}

pub struct FormView {
    pub action: String,
    pub csrf: String,
    pub title: String,
    pub fields: Vec<Input>,
    pub lists: Vec<ListForm>,
    /// For a correction: why it is corrected.
    pub change_note: Option<String>,
}

/// A draft's attachments as a receipt column offers them: (SHA-256 hex, file name).
type FileChoices = [(String, String)];

fn input(def: &FieldDef, name: String, value: String, files: &FileChoices) -> Input {
    let widget = match def.kind {
        Kind::Textarea => "textarea",
        Kind::Date => "date",
        Kind::Choice | Kind::Attachment => "select",
        _ => "text",
    };
    let choices = if def.kind == Kind::Attachment {
        files
            .iter()
            .map(|(hash, name)| Choice::new(hash.clone(), name.clone(), *hash == value))
            .collect()
    } else {
        def.rules
            .choices
            .iter()
            .map(|c| Choice::new(c.clone(), c.clone(), *c == value))
            .collect()
    };
    Input {
        name,
        label: def.label.clone(),
        widget,
        value,
        choices,
        required: def.required,
        hint: def.hint.clone(),
    }
}

fn form_view(
    def: &ModuleDefinition,
    raw: &RawContent,
    action: String,
    csrf: &str,
    change_note: Option<String>,
    files: &FileChoices,
) -> FormView {
    let fields = def
        .fields
        .iter()
        .map(|f| {
            let v = raw.fields.get(&f.key).cloned().unwrap_or_default();
            input(f, format!("f.{}", f.key), v, files)
        })
        .collect();
    let lists = def
        .lists
        .iter()
        .map(|l| {
            let given = raw.lists.get(&l.key).map_or(&[][..], Vec::as_slice);
            let kept = (given.len() > MAX_FORM_ROWS).then_some(given.len());
            let shown = if kept.is_some() {
                0
            } else {
                given.len() + BLANK_ROWS
            };
            let rows = (0..shown)
                .map(|i| {
                    l.columns
                        .iter()
                        .map(|c| {
                            let v = given
                                .get(i)
                                .and_then(|r| r.get(&c.key))
                                .cloned()
                                .unwrap_or_default();
                            input(c, format!("l.{}.{i}.{}", l.key, c.key), v, files)
                        })
                        .collect()
                })
                .collect();
            ListForm {
                key: l.key.clone(),
                label: l.label.clone(),
                headers: l
                    .columns
                    .iter()
                    .map(|c| format!("{}{}", c.label, if c.required { "*" } else { "" }))
                    .collect(),
                rows,
                kept,
            }
        })
        .collect();
    FormView {
        action,
        csrf: csrf.to_owned(),
        title: raw.title.clone(),
        fields,
        lists,
        change_note,
    }
}

/// What the form sent, as the domain reads it; a list kept as it was (too long for
/// the form) is filled in from `previous`.
fn raw_of_form(
    pairs: &[(String, String)],
    previous: Option<&RawContent>,
) -> (RawContent, Option<String>, String) {
    let mut raw = RawContent::default();
    let mut note = None;
    let mut csrf = String::new();
    let mut rows: HashMap<String, Vec<HashMap<String, String>>> = HashMap::new();
    let mut kept = Vec::new();
    let mut imported = Vec::new();
    for (k, v) in pairs {
        if k == "title" {
            raw.title = v.clone();
        } else if k == "csrf" {
            csrf = v.clone();
        } else if k == "change_note" {
            note = Some(v.clone());
        } else if let Some(list) = k.strip_prefix("keep.") {
            kept.push(list.to_owned());
        } else if let Some(list) = k.strip_prefix("import.") {
            // Confirmed rows of an import: checked again by the domain on saving.
            if let Ok(rows) = serde_json::from_str::<Vec<HashMap<String, String>>>(v) {
                imported.push((list.to_owned(), rows));
            }
        } else if let Some(key) = k.strip_prefix("f.") {
            raw.fields.insert(key.to_owned(), v.clone());
        } else if let Some(rest) = k.strip_prefix("l.") {
            let mut parts = rest.splitn(3, '.');
            if let (Some(list), Some(i), Some(col)) = (parts.next(), parts.next(), parts.next())
                && let Ok(i) = i.parse::<usize>()
                && i < MAX_FORM_ROWS + BLANK_ROWS
            {
                let list_rows = rows.entry(list.to_owned()).or_default();
                if list_rows.len() <= i {
                    list_rows.resize_with(i + 1, HashMap::new);
                }
                list_rows[i].insert(col.to_owned(), v.clone());
            }
        }
    }
    raw.lists = rows;
    for (list, rows) in imported {
        raw.lists.insert(list, rows);
    }
    for list in kept {
        if let Some(prev) = previous.and_then(|p| p.lists.get(&list)) {
            raw.lists.insert(list, prev.clone());
        }
    }
    (raw, note, csrf)
}

#[derive(Template)]
#[template(path = "staff/disclosures.html")]
struct ListPage {
    page: StaffLayout,
    scope: String,
    modules: Vec<Choice>,
    groups: Vec<Group>,
}

pub struct Group {
    pub label: &'static str,
    pub rows: Vec<DraftRow>,
}

pub struct DraftRow {
    pub href: String,
    pub title: String,
    pub module: &'static str,
    pub village: String,
    pub state: &'static str,
    pub correction: bool,
    pub updated: String,
}

/// `GET /staff/disclosures`: drafts in the member's scope, by state (a reviewer's
/// queue first: what waits for them).
pub async fn list(
    page: StaffPage,
    pool: web::Data<PgPool>,
    index: web::Data<SearchIndex>,
) -> Result<HttpResponse, PageError> {
    may_publish_at_all(&page)?;
    let member = &page.member;
    let reviewer = member.may(StaffAction::ReviewDisclosure);
    let order: &[(DraftState, &'static str)] = if reviewer {
        &[
            (DraftState::Submitted, "待审核"),
            (DraftState::Returned, "已退回"),
            (DraftState::Published, "已发布"),
        ]
    } else {
        &[
            (DraftState::Draft, "草稿"),
            (DraftState::Returned, "已退回，请修改"),
            (DraftState::Submitted, "待乡镇审核"),
            (DraftState::Published, "已发布"),
        ]
    };
    let mut groups = Vec::new();
    for (state, label) in order {
        let rows = drafts::list(&pool, &member.region, &[*state], 100)
            .await?
            .into_iter()
            .map(|d| DraftRow {
                href: paths::staff::draft(d.draft_id),
                title: d.title,
                module: d.module.name(),
                village: region_name(&index, &d.region),
                state: d.state.label(),
                correction: d.is_correction,
                updated: date_time(d.updated_at),
            })
            .collect();
        groups.push(Group { label, rows });
    }
    let modules = if member.may(StaffAction::DraftDisclosure)
        && member.region.level() == RegionLevel::Village
    {
        Module::ALL
            .iter()
            .map(|m| Choice::new(paths::staff::new_disclosure(*m), m.name(), false))
            .collect()
    } else {
        Vec::new()
    };
    let view = ListPage {
        page: StaffLayout::signed_in(&page, &index, "村务公开", paths::staff::DISCLOSURES),
        scope: region_name(&index, &member.region),
        modules,
        groups,
    };
    render(StatusCode::OK, &view)
}

#[derive(Template)]
#[template(path = "staff/disclosure_form.html")]
struct NewPage {
    page: StaffLayout,
    module: &'static str,
    problems: Vec<String>,
    form: FormView,
}

fn module_of(raw: &str) -> Result<Module, PageError> {
    Module::parse(raw).map_err(|_| PageError::not_found("没有这个栏目。"))
}

fn may_draft_here(page: &StaffPage) -> Result<(), PageError> {
    let m = &page.member;
    if m.may(StaffAction::DraftDisclosure) && m.region.level() == RegionLevel::Village {
        Ok(())
    } else {
        Err(PageError::forbidden("只有村务员可以起草本村的公开。"))
    }
}

/// `GET /staff/disclosures/new/{module}`: the empty form.
pub async fn new_form(
    page: StaffPage,
    path: web::Path<String>,
    defs: web::Data<ModuleDefinitions>,
    index: web::Data<SearchIndex>,
) -> Result<HttpResponse, PageError> {
    may_draft_here(&page)?;
    let module = module_of(&path)?;
    let form = form_view(
        defs.get(module),
        &RawContent::default(),
        paths::staff::new_disclosure(module),
        &page.csrf,
        None,
        &[],
    );
    let view = NewPage {
        page: StaffLayout::signed_in(&page, &index, module.name(), paths::staff::DISCLOSURES),
        module: module.name(),
        problems: Vec::new(),
        form,
    };
    render(StatusCode::OK, &view)
}

/// `POST /staff/disclosures/new/{module}`: saves the first draft.
pub async fn create(
    page: StaffPage,
    path: web::Path<String>,
    form: web::Form<Vec<(String, String)>>,
    pool: web::Data<PgPool>,
    defs: web::Data<ModuleDefinitions>,
    index: web::Data<SearchIndex>,
) -> Result<HttpResponse, PageError> {
    let (raw, _, csrf) = raw_of_form(&form, None);
    page.check_csrf(&csrf)?;
    may_draft_here(&page)?;
    let module = module_of(&path)?;
    match publishing::create_draft(
        &pool,
        &defs,
        acting(&page),
        &page.member.region,
        module,
        &raw,
    )
    .await
    {
        Ok(id) => Ok(see_other(&paths::staff::draft(id))),
        Err(e @ (PublishError::Invalid(_) | PublishError::Refused(_))) => {
            let view = NewPage {
                page: StaffLayout::signed_in(
                    &page,
                    &index,
                    module.name(),
                    paths::staff::DISCLOSURES,
                ),
                module: module.name(),
                problems: e.messages(),
                form: form_view(
                    defs.get(module),
                    &raw,
                    paths::staff::new_disclosure(module),
                    &page.csrf,
                    None,
                    &[],
                ),
            };
            render(StatusCode::UNPROCESSABLE_ENTITY, &view)
        }
        Err(e) => Err(page_error(e)),
    }
}

/// A line of the diff as the page shows it.
pub struct ChangeLine {
    pub place: String,
    pub before: String,
    pub after: String,
    pub class: &'static str,
}

fn change_lines(changes: Vec<Change>) -> Vec<ChangeLine> {
    changes
        .into_iter()
        .map(|c| match c {
            Change::Title { before, after } => ChangeLine {
                place: "标题".into(),
                before: before.unwrap_or_default(),
                after,
                class: "changed",
            },
            Change::Field {
                label,
                before,
                after,
            } => ChangeLine {
                place: label,
                before: before.unwrap_or_default(),
                after: after.unwrap_or_default(),
                class: "changed",
            },
            Change::RowAdded { list, row, cells } => ChangeLine {
                place: format!("{list}第{row}行（新增）"),
                before: String::new(),
                after: cells.join(" | "),
                class: "added",
            },
            Change::RowRemoved { list, row, cells } => ChangeLine {
                place: format!("{list}原第{row}行（删除）"),
                before: cells.join(" | "),
                after: String::new(),
                class: "removed",
            },
            Change::RowChanged { list, row, cells } => ChangeLine {
                place: format!("{list}第{row}行（修改）"),
                before: cells
                    .iter()
                    .map(|(c, b, _)| format!("{c}：{b}"))
                    .collect::<Vec<_>>()
                    .join("；"),
                after: cells
                    .iter()
                    .map(|(c, _, a)| format!("{c}：{a}"))
                    .collect::<Vec<_>>()
                    .join("；"),
                class: "changed",
            },
        })
        .collect()
}

#[derive(Template)]
#[template(path = "staff/draft.html")]
struct DraftPage {
    page: StaffLayout,
    csrf: String,
    title: String,
    module: &'static str,
    village: String,
    state: &'static str,
    author: String,
    correction_of: Option<String>,
    change_note: Option<String>,
    return_reason: Option<String>,
    problems: Vec<String>,
    preview: ContentView,
    changes: Vec<ChangeLine>,
    /// Nothing published yet: the whole draft is new.
    first: bool,
    form: Option<FormView>,
    submit: Option<String>,
    approve: Option<String>,
    give_back: Option<String>,
    published: Option<String>,
    correct: Option<String>,
    withdraw: Option<String>,
    /// Where a list's rows are imported from a file, and which lists.
    import: Option<String>,
    import_lists: Vec<Choice>,
    /// The blank spreadsheet of the module's list.
    template: Option<String>,
    files: Vec<DraftFileView>,
    /// Its CSV and `.xlsx` attachments as the public page will show them.
    tables: Vec<FileTableView>,
    /// Where files are uploaded to, while the draft can be edited.
    upload: Option<String>,
    max_files: usize,
    max_file_size: String,
}

/// An attachment of a draft as its page lists it.
pub struct DraftFileView {
    pub href: String,
    pub small: Option<String>,
    pub name: String,
    pub size: String,
    pub sha256: String,
    pub delete: Option<String>,
}

/// A receipt changes in the diff by its SHA-256; the reviewer reads its file name.
fn named_files(mut lines: Vec<ChangeLine>, files: &[DraftFileInfo]) -> Vec<ChangeLine> {
    for f in files {
        let hash = hex::encode(&f.sha256);
        for line in &mut lines {
            for text in [&mut line.before, &mut line.after] {
                if text.contains(&hash) {
                    *text = text.replace(&hash, &f.name);
                }
            }
        }
    }
    lines
}

/// The staff-only links of a draft's receipts (by SHA-256, hex).
fn draft_links(
    draft_id: i64,
    files: &[DraftFileInfo],
) -> impl Fn(&str) -> Option<(String, Option<String>)> + use<> {
    let files: Vec<(String, i64, bool)> = files
        .iter()
        .map(|f| (hex::encode(&f.sha256), f.id, f.has_preview))
        .collect();
    move |hash: &str| {
        files
            .iter()
            .find(|(h, _, _)| h == hash)
            .map(|(_, id, small)| {
                (
                    paths::staff::draft_file(draft_id, *id),
                    small.then(|| paths::staff::draft_file_small(draft_id, *id)),
                )
            })
    }
}

fn file_choices(files: &[DraftFileInfo]) -> Vec<(String, String)> {
    files
        .iter()
        .filter(|f| f.has_preview)
        .map(|f| (hex::encode(&f.sha256), f.name.clone()))
        .collect()
}

#[allow(clippy::too_many_arguments, reason = "the page and what to show again")]
async fn draft_page(
    page: &StaffPage,
    pool: &PgPool,
    defs: &ModuleDefinitions,
    index: &SearchIndex,
    limits: FileLimits,
    draft: Draft,
    shown_raw: Option<RawContent>,
    problems: Vec<String>,
    status: StatusCode,
) -> Result<HttpResponse, PageError> {
    let member = &page.member;
    let before: Option<StructuredContent> = publishing::published_before(pool, &draft)
        .await
        .map_err(page_error)?;
    let def = defs.get(draft.module);
    let may = |step: Step| {
        step.apply(draft.state).is_some()
            && member.may_on(
                step.permission(),
                crate::domain::staff::Target {
                    region: &draft.region,
                    unit: None,
                },
            )
    };
    let editable = may(Step::Edit);
    let files = drafts::files(pool, draft.draft_id).await?;
    let choices = file_choices(&files);
    let form = editable.then(|| {
        let raw = shown_raw.unwrap_or_else(|| def.raw_of(Some(&draft.content)));
        form_view(
            def,
            &raw,
            paths::staff::draft(draft.draft_id),
            &page.csrf,
            draft
                .disclosure_id
                .map(|_| draft.change_note.clone().unwrap_or_default()),
            &choices,
        )
    });
    let on_published = |action: StaffAction| {
        draft.state == DraftState::Published
            && member.may_on(
                action,
                crate::domain::staff::Target {
                    region: &draft.region,
                    unit: None,
                },
            )
    };
    let published_at = draft.published_id;
    let view = DraftPage {
        page: StaffLayout::signed_in(page, index, &draft.content.title, paths::staff::DISCLOSURES),
        csrf: page.csrf.clone(),
        title: draft.content.title.clone(),
        module: draft.module.name(),
        village: region_name(index, &draft.region),
        state: draft.state.label(),
        author: draft.author_name.clone(),
        correction_of: draft.disclosure_id.map(paths::disclosure),
        change_note: draft.change_note.clone(),
        return_reason: draft.return_reason.clone(),
        problems,
        preview: content_view_with(&draft.content, &draft_links(draft.draft_id, &files)),
        first: before.is_none(),
        changes: named_files(change_lines(diff(before.as_ref(), &draft.content)), &files),
        form,
        submit: may(Step::Submit).then(|| paths::staff::draft_step(draft.draft_id, Step::Submit)),
        approve: may(Step::Approve)
            .then(|| paths::staff::draft_step(draft.draft_id, Step::Approve)),
        give_back: may(Step::Return)
            .then(|| paths::staff::draft_step(draft.draft_id, Step::Return)),
        published: published_at.map(paths::disclosure),
        correct: published_at
            .filter(|_| on_published(StaffAction::DraftDisclosure))
            .map(paths::staff::correct),
        withdraw: published_at
            .filter(|_| on_published(StaffAction::ReviewDisclosure))
            .map(paths::staff::withdraw),
        import: (editable && !def.lists.is_empty())
            .then(|| paths::staff::draft_import(draft.draft_id)),
        import_lists: def
            .lists
            .iter()
            .map(|l| Choice::new(l.key.clone(), l.label.clone(), false))
            .collect(),
        template: (!def.lists.is_empty()).then(|| paths::staff::template(draft.module)),
        tables: files
            .iter()
            .filter_map(|f| {
                let t = f.table.as_ref()?;
                Some(file_table_view(
                    &f.name,
                    paths::staff::draft_file(draft.draft_id, f.id),
                    t,
                ))
            })
            .collect(),
        files: files
            .iter()
            .map(|f| DraftFileView {
                href: paths::staff::draft_file(draft.draft_id, f.id),
                small: f
                    .has_preview
                    .then(|| paths::staff::draft_file_small(draft.draft_id, f.id)),
                name: f.name.clone(),
                size: file_size(f.size),
                sha256: hex::encode(&f.sha256),
                delete: editable.then(|| paths::staff::draft_file_delete(draft.draft_id, f.id)),
            })
            .collect(),
        upload: editable.then(|| paths::staff::draft_files(draft.draft_id)),
        max_files: limits.max_files,
        max_file_size: Size(limits.max_bytes).to_string(),
    };
    render(status, &view)
}

/// `GET /staff/drafts/{id}`.
pub async fn show(
    page: StaffPage,
    path: web::Path<String>,
    pool: web::Data<PgPool>,
    defs: web::Data<ModuleDefinitions>,
    index: web::Data<SearchIndex>,
    settings: web::Data<Settings>,
) -> Result<HttpResponse, PageError> {
    let id = parse_id(&path)?;
    let draft = publishing::read_draft(&pool, acting(&page), id)
        .await
        .map_err(page_error)?;
    draft_page(
        &page,
        &pool,
        &defs,
        &index,
        settings.publishing.file_limits(),
        draft,
        None,
        Vec::new(),
        StatusCode::OK,
    )
    .await
}

/// After a refused step: the draft page again, with what was wrong.
#[allow(clippy::too_many_arguments, reason = "the page and what to show again")]
async fn refused(
    page: &StaffPage,
    pool: &PgPool,
    defs: &ModuleDefinitions,
    index: &SearchIndex,
    settings: &Settings,
    id: i64,
    raw: Option<RawContent>,
    e: PublishError,
) -> Result<HttpResponse, PageError> {
    let status = match &e {
        PublishError::WrongState(_) => StatusCode::CONFLICT,
        PublishError::Invalid(_) | PublishError::Refused(_) => StatusCode::UNPROCESSABLE_ENTITY,
        _ => return Err(page_error(e)),
    };
    let draft = publishing::read_draft(pool, acting(page), id)
        .await
        .map_err(page_error)?;
    draft_page(
        page,
        pool,
        defs,
        index,
        settings.publishing.file_limits(),
        draft,
        raw,
        e.messages(),
        status,
    )
    .await
}

/// `POST /staff/drafts/{id}`: saves the clerk's edits.
pub async fn save(
    page: StaffPage,
    path: web::Path<String>,
    form: web::Form<Vec<(String, String)>>,
    pool: web::Data<PgPool>,
    defs: web::Data<ModuleDefinitions>,
    index: web::Data<SearchIndex>,
    settings: web::Data<Settings>,
) -> Result<HttpResponse, PageError> {
    let id = parse_id(&path)?;
    let previous = publishing::read_draft(&pool, acting(&page), id)
        .await
        .ok()
        .map(|d| defs.get(d.module).raw_of(Some(&d.content)));
    let (raw, note, csrf) = raw_of_form(&form, previous.as_ref());
    page.check_csrf(&csrf)?;
    match publishing::edit(&pool, &defs, acting(&page), id, &raw, note.as_deref()).await {
        Ok(()) => Ok(see_other(&paths::staff::after(
            &paths::staff::draft(id),
            "saved",
        ))),
        Err(e) => refused(&page, &pool, &defs, &index, &settings, id, Some(raw), e).await,
    }
}

#[derive(Deserialize)]
pub struct StepForm {
    csrf: String,
    reason: Option<String>,
}

/// `POST /staff/drafts/{id}/{step}`: submit, approve or return.
pub async fn step(
    page: StaffPage,
    path: web::Path<(String, String)>,
    form: web::Form<StepForm>,
    pool: web::Data<PgPool>,
    defs: web::Data<ModuleDefinitions>,
    index: web::Data<SearchIndex>,
    settings: web::Data<Settings>,
) -> Result<HttpResponse, PageError> {
    page.check_csrf(&form.csrf)?;
    let (id, step) = path.into_inner();
    let id = parse_id(&id)?;
    let by = acting(&page);
    let done = match Step::parse(&step) {
        Some(Step::Submit) => publishing::submit(&pool, by, id)
            .await
            .map(|()| "submitted"),
        Some(Step::Approve) => publishing::approve(&pool, by, id)
            .await
            .map(|_| "published"),
        Some(Step::Return) => {
            publishing::return_draft(&pool, by, id, form.reason.as_deref().unwrap_or(""))
                .await
                .map(|()| "returned")
        }
        _ => return Err(PageError::not_found("没有这个操作。")),
    };
    match done {
        Ok(done) => Ok(see_other(&paths::staff::after(
            &paths::staff::draft(id),
            done,
        ))),
        Err(e) => refused(&page, &pool, &defs, &index, &settings, id, None, e).await,
    }
}

#[derive(Deserialize)]
pub struct CsrfForm {
    csrf: String,
    reason: Option<String>,
}

/// `POST /staff/disclosures/{id}/correct`: a correction draft, then its page.
pub async fn correct(
    page: StaffPage,
    path: web::Path<String>,
    form: web::Form<CsrfForm>,
    pool: web::Data<PgPool>,
) -> Result<HttpResponse, PageError> {
    page.check_csrf(&form.csrf)?;
    let id = parse_id(&path)?;
    match publishing::start_correction(&pool, acting(&page), id).await {
        Ok(draft) => Ok(see_other(&paths::staff::draft(draft))),
        Err(e @ PublishError::Refused(_)) => Err(PageError::bad_request(e.messages().join(""))),
        Err(e) => Err(page_error(e)),
    }
}

/// `POST /staff/disclosures/{id}/withdraw`: the reviewer withdraws, with a reason.
pub async fn withdraw(
    page: StaffPage,
    path: web::Path<String>,
    form: web::Form<CsrfForm>,
    pool: web::Data<PgPool>,
) -> Result<HttpResponse, PageError> {
    page.check_csrf(&form.csrf)?;
    let id = parse_id(&path)?;
    match publishing::withdraw_now(
        &pool,
        acting(&page),
        id,
        form.reason.as_deref().unwrap_or(""),
    )
    .await
    {
        Ok(()) => Ok(see_other(&paths::disclosure(id))),
        Err(e) => Err(page_error(e)),
    }
}

#[derive(Template)]
#[template(path = "staff/import_preview.html")]
struct ImportPreview {
    page: StaffLayout,
    title: String,
    list: String,
    count: usize,
    preview: ContentView,
    confirm: String,
    csrf: String,
    hidden: Vec<(String, String)>,
}

/// An upload's text fields and its files (name and bytes).
type Upload = (HashMap<String, String>, Vec<(String, Vec<u8>)>);

/// Reads an upload's parts: short text fields and up to `max_files` files named `file`,
/// each of at most `max_bytes` (`too_large` says so in Chinese otherwise).
async fn read_upload(
    mut payload: actix_multipart::Multipart,
    max_files: usize,
    max_bytes: usize,
    too_large: &str,
) -> Result<Upload, String> {
    use futures::StreamExt;
    // What is read past a refusal, so that the browser gets the answer instead of a
    // reset connection; beyond it the connection is dropped.
    const DRAIN: usize = 64 * 1024 * 1024;
    let mut fields = HashMap::new();
    let mut files = Vec::new();
    let mut refused = None;
    let mut drained = 0;
    while let Some(field) = payload.next().await {
        let mut field = field.map_err(|_| "上传的内容有误".to_owned())?;
        let name = field.name().unwrap_or_default().to_owned();
        let file_name = field
            .content_disposition()
            .and_then(|d| d.get_filename())
            .map(str::to_owned);
        let mut bytes = Vec::new();
        while let Some(chunk) = field.next().await {
            let chunk = chunk.map_err(|_| "上传中断，请重试".to_owned())?;
            if refused.is_some() || bytes.len() + chunk.len() > max_bytes {
                refused = Some(too_large.to_owned());
                bytes = Vec::new();
                drained += chunk.len();
                if drained > DRAIN {
                    break;
                }
                continue;
            }
            bytes.extend_from_slice(&chunk);
        }
        if refused.is_some() {
            if drained > DRAIN {
                break;
            }
            continue;
        }
        match (name.as_str(), file_name) {
            // A file input left empty still sends a part, with no name and no bytes.
            ("file", Some(f)) if f.is_empty() && bytes.is_empty() => {}
            ("file", Some(f)) if files.len() < max_files => files.push((f, bytes)),
            ("file", Some(_)) => return Err(format!("一次最多上传{max_files}个文件")),
            (_, _) if bytes.len() <= 1024 && fields.len() < 16 => {
                fields.insert(name, String::from_utf8_lossy(&bytes).into_owned());
            }
            _ => return Err("上传的内容有误".into()),
        }
    }
    match refused {
        Some(m) => Err(m),
        None => Ok((fields, files)),
    }
}

/// `POST /staff/drafts/{id}/import`: a list's rows from `.xlsx` or `.csv`, checked whole
/// and shown for confirmation; nothing is saved until the clerk confirms.
#[allow(clippy::too_many_arguments, reason = "the handler's extractors")]
pub async fn import(
    page: StaffPage,
    path: web::Path<String>,
    request: actix_web::HttpRequest,
    payload: web::Payload,
    pool: web::Data<PgPool>,
    defs: web::Data<ModuleDefinitions>,
    index: web::Data<SearchIndex>,
    settings: web::Data<Settings>,
) -> Result<HttpResponse, PageError> {
    let id = parse_id(&path)?;
    // Scope and permission before the body is read.
    let draft = match publishing::editable_draft(&pool, acting(&page), id).await {
        Ok(d) => d,
        Err(e @ (PublishError::NotFound | PublishError::Forbidden | PublishError::Database(_))) => {
            return Err(page_error(e));
        }
        Err(e) => return refused(&page, &pool, &defs, &index, &settings, id, None, e).await,
    };
    let upload = read_upload(
        actix_multipart::Multipart::new(request.headers(), payload),
        1,
        crate::spreadsheet::MAX_BYTES,
        "文件超过10MB",
    )
    .await;
    let (fields, file) = match upload {
        Ok(u) => u,
        Err(m) => {
            return refused(
                &page,
                &pool,
                &defs,
                &index,
                &settings,
                id,
                None,
                PublishError::Refused(m),
            )
            .await;
        }
    };
    page.check_csrf(fields.get("csrf").map_or("", String::as_str))?;
    let def = defs.get(draft.module);
    let list_key = fields.get("list").cloned().unwrap_or_default();
    let Some(list) = def.list(&list_key).or(def.lists.first()) else {
        return Err(PageError::not_found("这个栏目没有可导入的明细。"));
    };
    let Some((file_name, bytes)) = file.into_iter().next() else {
        let e = PublishError::Refused("请选择要导入的 .xlsx 或 .csv 文件。".into());
        return refused(&page, &pool, &defs, &index, &settings, id, None, e).await;
    };
    // A receipt column names an uploaded photo by its file name.
    let files = drafts::files(pool.get_ref(), id).await?;
    let names: Vec<(String, String)> = files
        .iter()
        .map(|f| (f.name.clone(), hex::encode(&f.sha256)))
        .collect();
    let rows = match crate::spreadsheet::import(list, &file_name, &bytes, &names) {
        Ok(rows) => rows,
        Err(problems) => {
            let e = PublishError::Refused(format!(
                "导入失败，没有保存任何内容：{}",
                problems
                    .iter()
                    .map(ToString::to_string)
                    .collect::<Vec<_>>()
                    .join("；")
            ));
            return refused(&page, &pool, &defs, &index, &settings, id, None, e).await;
        }
    };
    // The draft as it would be with these rows, shown exactly as the public will see it.
    let mut content = draft.content.clone();
    if let Some(l) = content.lists.iter_mut().find(|l| l.key == list.key) {
        l.rows = rows.clone();
    }
    let raw = def.raw_of(Some(&content));
    let mut hidden: Vec<(String, String)> = vec![("title".into(), raw.title.clone())];
    for (k, v) in &raw.fields {
        hidden.push((format!("f.{k}"), v.clone()));
    }
    for l in &def.lists {
        let rows = raw.lists.get(&l.key).cloned().unwrap_or_default();
        hidden.push((
            format!("import.{}", l.key),
            serde_json::to_string(&rows).unwrap_or_default(),
        ));
    }
    if let Some(n) = &draft.change_note {
        hidden.push(("change_note".into(), n.clone()));
    }
    let view = ImportPreview {
        page: StaffLayout::signed_in(&page, &index, "导入预览", paths::staff::DISCLOSURES),
        title: content.title.clone(),
        list: list.label.clone(),
        count: rows.len(),
        preview: content_view_with(&content, &draft_links(id, &files)),
        confirm: paths::staff::draft(id),
        csrf: page.csrf.clone(),
        hidden,
    };
    render(StatusCode::OK, &view)
}

/// `POST /staff/drafts/{id}/files`: PDF, JPEG or PNG files attached to an editable draft
/// (checked by content, photos cleaned of their metadata), then the draft again.
#[allow(clippy::too_many_arguments, reason = "the handler's extractors")]
pub async fn attach(
    page: StaffPage,
    path: web::Path<String>,
    request: actix_web::HttpRequest,
    payload: web::Payload,
    pool: web::Data<PgPool>,
    defs: web::Data<ModuleDefinitions>,
    index: web::Data<SearchIndex>,
    settings: web::Data<Settings>,
) -> Result<HttpResponse, PageError> {
    let id = parse_id(&path)?;
    let limits = settings.publishing.file_limits();
    // Scope and permission before the body is read.
    match publishing::editable_draft(&pool, acting(&page), id).await {
        Ok(_) => {}
        Err(e @ (PublishError::NotFound | PublishError::Forbidden | PublishError::Database(_))) => {
            return Err(page_error(e));
        }
        Err(e) => return refused(&page, &pool, &defs, &index, &settings, id, None, e).await,
    }
    let too_large = format!("每个文件不能超过{}", Size(limits.max_bytes));
    let upload = read_upload(
        actix_multipart::Multipart::new(request.headers(), payload),
        MAX_FILES_PER_UPLOAD,
        limits.max_bytes,
        &too_large,
    )
    .await;
    let (fields, files) = match upload {
        Ok(u) => u,
        Err(m) => {
            let e = PublishError::Refused(format!("没有上传任何文件：{m}。"));
            return refused(&page, &pool, &defs, &index, &settings, id, None, e).await;
        }
    };
    page.check_csrf(fields.get("csrf").map_or("", String::as_str))?;
    if files.is_empty() {
        let e = PublishError::Refused(FileError::Empty.to_string());
        return refused(&page, &pool, &defs, &index, &settings, id, None, e).await;
    }
    // Every file is checked before any is kept: all or nothing, as with an import.
    let max_bytes = limits.max_bytes;
    let checked = web::block(move || {
        files
            .iter()
            .map(|(name, bytes)| DraftFile::parse(name, bytes, max_bytes))
            .collect::<Result<Vec<_>, FileError>>()
    })
    .await
    .map_err(|e| PageError::internal(anyhow::anyhow!("checking attachments: {e}")))?;
    let checked = match checked {
        Ok(c) => c,
        Err(e) => {
            let e = PublishError::Refused(format!("没有上传任何文件：{e}"));
            return refused(&page, &pool, &defs, &index, &settings, id, None, e).await;
        }
    };
    for (n, file) in checked.iter().enumerate() {
        if let Err(e) = publishing::attach(&pool, acting(&page), id, file, limits).await {
            let e = match e {
                PublishError::Refused(m) if n > 0 => {
                    PublishError::Refused(format!("已上传前{n}个文件；{m}"))
                }
                other => other,
            };
            return refused(&page, &pool, &defs, &index, &settings, id, None, e).await;
        }
    }
    Ok(see_other(&paths::staff::after(
        &paths::staff::draft(id),
        "attached",
    )))
}

/// Files one upload may carry (the form's file input takes several).
const MAX_FILES_PER_UPLOAD: usize = 20;

#[derive(Deserialize)]
pub struct DeleteForm {
    csrf: String,
}

/// `POST /staff/drafts/{id}/files/{file}/delete`.
pub async fn detach(
    page: StaffPage,
    path: web::Path<(String, String)>,
    form: web::Form<DeleteForm>,
    pool: web::Data<PgPool>,
    defs: web::Data<ModuleDefinitions>,
    index: web::Data<SearchIndex>,
    settings: web::Data<Settings>,
) -> Result<HttpResponse, PageError> {
    page.check_csrf(&form.csrf)?;
    let (id, file) = path.into_inner();
    let id = parse_id(&id)?;
    let file = parse_id(&file)?;
    match publishing::detach(&pool, acting(&page), id, file).await {
        Ok(()) => Ok(see_other(&paths::staff::after(
            &paths::staff::draft(id),
            "detached",
        ))),
        Err(e) => refused(&page, &pool, &defs, &index, &settings, id, None, e).await,
    }
}

async fn serve_file(
    page: &StaffPage,
    pool: &PgPool,
    path: (String, String),
    small: bool,
) -> Result<HttpResponse, PageError> {
    let (id, file) = path;
    let id = parse_id(&id)?;
    let file = parse_id(&file)?;
    let found = publishing::draft_file(pool, acting(page), id, file, small)
        .await
        .map_err(page_error)?;
    // Unpublished: never kept by a shared cache.
    Ok(file_response(found, "private, no-store"))
}

/// `GET /staff/drafts/{id}/files/{file}`: only staff who may see the draft.
pub async fn file(
    page: StaffPage,
    path: web::Path<(String, String)>,
    pool: web::Data<PgPool>,
) -> Result<HttpResponse, PageError> {
    serve_file(&page, &pool, path.into_inner(), false).await
}

/// `GET /staff/drafts/{id}/files/{file}/small`: a picture's small copy.
pub async fn file_small(
    page: StaffPage,
    path: web::Path<(String, String)>,
    pool: web::Data<PgPool>,
) -> Result<HttpResponse, PageError> {
    serve_file(&page, &pool, path.into_inner(), true).await
}

/// `GET /staff/templates/{module}.xlsx`: the blank spreadsheet for the module's list,
/// written from its definition (`spreadsheet::template`), which the import reads back.
pub async fn template(
    page: StaffPage,
    path: web::Path<String>,
    defs: web::Data<ModuleDefinitions>,
) -> Result<HttpResponse, PageError> {
    use actix_web::http::header::{
        CACHE_CONTROL, CONTENT_DISPOSITION, CONTENT_TYPE, Charset, ContentDisposition,
        DispositionParam, DispositionType, ExtendedValue,
    };
    may_publish_at_all(&page)?;
    let module = module_of(&path)?;
    let Some(list) = defs.get(module).lists.first() else {
        return Err(PageError::not_found("这个栏目没有明细，不需要导入模板。"));
    };
    let bytes = crate::spreadsheet::template(module.name(), list)
        .map_err(|e| PageError::internal(anyhow::anyhow!("the {} template: {e}", module.slug())))?;
    let name = format!("{}{}导入模板.xlsx", module.name(), list.label);
    let disposition = ContentDisposition {
        disposition: DispositionType::Attachment,
        parameters: vec![
            DispositionParam::Filename(format!("{}.xlsx", module.slug())),
            DispositionParam::FilenameExt(ExtendedValue {
                charset: Charset::Ext("UTF-8".into()),
                language_tag: None,
                value: name.into_bytes(),
            }),
        ],
    };
    Ok(HttpResponse::Ok()
        .insert_header((
            CONTENT_TYPE,
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        ))
        .insert_header((CONTENT_DISPOSITION, disposition))
        .insert_header((CACHE_CONTROL, "private, max-age=300"))
        .insert_header(("X-Content-Type-Options", "nosniff"))
        .body(bytes))
}
