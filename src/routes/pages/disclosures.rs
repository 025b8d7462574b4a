//! `GET /d/{id}`: one disclosure with everything it says, its attachments and its
//! version history (views counted in memory, see `workers::view_counter`);
//! `GET /d/{id}/files/{file}`: an attachment. Also the list line every list page uses.

use actix_web::http::header::{
    CACHE_CONTROL, CONTENT_DISPOSITION, CONTENT_TYPE, ContentDisposition, DispositionParam,
    DispositionType,
};
use actix_web::{HttpResponse, web};
use askama::Template;
use sqlx::PgPool;

use super::regions::ancestors;
use super::{Crumb, Layout, Site, count, date, date_time, file_size, get, paragraphs};
use crate::domain::disclosure::content::StructuredContent;
use crate::domain::disclosure::file_table::FileTable;
use crate::domain::disclosure::value::{Kind, Value};
use crate::domain::{DisclosureStatus, RegionLevel, VillageCode};
use crate::region_index::SearchIndex;
use crate::routes::page_error::PageError;
use crate::routes::paths;
use crate::services::transparency::DisclosureLog;
use crate::storage::{self, disclosures::DisclosureSummary};
use crate::workers::view_counter::ViewCounter;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route(paths::DISCLOSURE_PATTERN, get().to(detail))
        .route(paths::DISCLOSURE_FILE_PATTERN, get().to(attachment))
        .route(
            paths::DISCLOSURE_FILE_SMALL_PATTERN,
            get().to(attachment_small),
        )
        .route(
            paths::DISCLOSURE_VERSION_JSON_PATTERN,
            get().to(version_json),
        );
}

/// One cell of a table.
pub struct CellView {
    pub text: String,
    /// Right-aligned (amounts, numbers).
    pub numeric: bool,
    /// An attachment the cell names (a receipt): the file, and a picture's small copy.
    pub file: Option<(String, Option<String>)>,
}

/// A list of rows as the public reads it, with its computed totals.
pub struct TableView {
    pub label: String,
    pub headers: Vec<String>,
    pub numeric: Vec<bool>,
    pub rows: Vec<Vec<CellView>>,
    pub totals: Vec<Field>,
}

/// Structured content as the public reads it: names masked, totals computed. The staff
/// preview renders this same view with the same template macro.
pub struct ContentView {
    pub fields: Vec<Field>,
    pub body: Vec<Vec<String>>,
    pub body_label: String,
    pub tables: Vec<TableView>,
}

pub fn content_view(c: &StructuredContent) -> ContentView {
    content_view_with(c, &|_| None)
}

/// Where a cell's attachment (by its SHA-256, hex) is served: the file, and a
/// picture's small copy.
pub type FileLinks<'a> = &'a dyn Fn(&str) -> Option<(String, Option<String>)>;

/// [`content_view`], with receipts linked to their files.
pub fn content_view_with(c: &StructuredContent, files: FileLinks<'_>) -> ContentView {
    let mut fields = Vec::new();
    let mut body = Vec::new();
    let mut body_label = String::new();
    for f in &c.fields {
        match (&f.value, f.kind) {
            (Some(v), Kind::Textarea) if body.is_empty() => {
                body = paragraphs(&v.public_text());
                body_label = f.label.clone();
            }
            (Some(v), kind) => fields.push(Field {
                label: f.label.clone(),
                value: match (kind, v.amount()) {
                    (Kind::Amount, Some(a)) => a.to_string(),
                    _ => v.public_text(),
                },
            }),
            (None, _) => {}
        }
    }
    let tables = c
        .lists
        .iter()
        .map(|l| {
            let numeric: Vec<bool> = l
                .columns
                .iter()
                .map(|c| matches!(c.kind, Kind::Amount | Kind::Integer))
                .collect();
            TableView {
                label: l.label.clone(),
                headers: l.columns.iter().map(|c| c.label.clone()).collect(),
                rows: l
                    .rows
                    .iter()
                    .map(|r| {
                        r.iter()
                            .zip(&numeric)
                            .map(|(v, n)| {
                                let file = v.as_ref().and_then(Value::file).and_then(files);
                                CellView {
                                    text: match (&file, v) {
                                        (Some(_), _) => "收据照片".into(),
                                        (None, Some(Value::File(_))) => "（附件缺失）".into(),
                                        (None, v) => {
                                            v.as_ref().map(Value::public_text).unwrap_or_default()
                                        }
                                    },
                                    numeric: *n,
                                    file,
                                }
                            })
                            .collect()
                    })
                    .collect(),
                numeric,
                totals: l
                    .totals()
                    .into_iter()
                    .map(|(label, amount)| Field {
                        label,
                        value: amount.to_string(),
                    })
                    .chain(std::iter::once(Field {
                        label: "笔数".into(),
                        value: format!("{}笔", l.rows.len()),
                    }))
                    .collect(),
            }
        })
        .collect();
    ContentView {
        fields,
        body,
        body_label,
        tables,
    }
}

/// A small label beside a title.
pub struct Badge {
    pub text: String,
    pub class: &'static str,
}

fn badges(status: DisclosureStatus, version: i32, is_sample: bool) -> Vec<Badge> {
    let mut out = Vec::new();
    if is_sample {
        out.push(Badge {
            text: "示例".into(),
            class: "sample",
        });
    }
    if status == DisclosureStatus::Withdrawn {
        out.push(Badge {
            text: "已撤回".into(),
            class: "withdrawn",
        });
    } else if version > 1 {
        out.push(Badge {
            text: format!("已更正 · 第{version}版"),
            class: "corrected",
        });
    }
    out
}

/// One line of a disclosure list.
pub struct ListItem {
    pub href: String,
    pub title: String,
    pub meta: String,
    pub amount: Option<String>,
    pub badges: Vec<Badge>,
}

pub fn list_item(d: &DisclosureSummary) -> ListItem {
    let mut meta = Vec::new();
    if let Some(p) = &d.period {
        meta.push(p.clone());
    }
    meta.push(format!("{}发布", date(d.published_at)));
    ListItem {
        href: paths::disclosure(d.id),
        title: d.title.clone(),
        meta: meta.join(" · "),
        amount: d.amount.map(|a| a.to_string()),
        badges: badges(d.status, d.version, d.is_sample),
    }
}

pub struct Field {
    pub label: String,
    pub value: String,
}

pub struct FileLink {
    pub href: String,
    pub name: String,
    pub size: String,
    /// SHA-256 of the file's bytes (hex), as the log entry records it.
    pub sha256: String,
}

/// How every attachment is served, public or staff: its own type (checked by content
/// when it was uploaded), never sniffed as anything else, shown inline, and sandboxed so
/// that even a hostile PDF or SVG-in-disguise cannot run script on our origin.
pub fn file_response(
    file: storage::disclosures::AttachmentFile,
    cache_control: &'static str,
) -> HttpResponse {
    let disposition = ContentDisposition {
        disposition: DispositionType::Inline,
        parameters: vec![DispositionParam::FilenameExt(
            actix_web::http::header::ExtendedValue {
                charset: actix_web::http::header::Charset::Ext("UTF-8".into()),
                language_tag: None,
                value: file.name.into_bytes(),
            },
        )],
    };
    let content_type = if file.media_type.starts_with("text/") {
        format!("{}; charset=utf-8", file.media_type)
    } else {
        file.media_type
    };
    HttpResponse::Ok()
        .insert_header((CONTENT_TYPE, content_type))
        .insert_header((CONTENT_DISPOSITION, disposition))
        .insert_header((CACHE_CONTROL, cache_control))
        .insert_header(("X-Content-Type-Options", "nosniff"))
        .insert_header(("Content-Security-Policy", "sandbox; default-src 'none'"))
        .body(file.content)
}

pub struct VersionView {
    pub version: i32,
    pub title: String,
    pub published: String,
    pub note: Option<String>,
    pub fields: Vec<Field>,
    pub body: Vec<Vec<String>>,
    pub files: Vec<FileLink>,
    pub content: Option<ContentView>,
    /// The canonical JSON of a structured version and its SHA-256 (hex).
    pub json: Option<(String, String)>,
    /// 存证 #n of this version, its link, and whether it still matches.
    pub logged: Option<(u64, String, bool)>,
}

#[derive(Template)]
#[template(path = "disclosure.html")]
struct DisclosurePage {
    page: Layout,
    title: String,
    badges: Vec<Badge>,
    withdrawn: Option<String>,
    fields: Vec<Field>,
    body: Vec<Vec<String>>,
    files: Vec<FileLink>,
    history: Vec<VersionView>,
    content: Option<ContentView>,
    json: Option<(String, String)>,
    /// 存证 #n of the shown version, its link, and whether it still matches.
    logged: Option<(u64, String, bool)>,
    module_href: String,
    module_name: &'static str,
    complaint_href: Option<String>,
    is_sample: bool,
    /// The version shown and why it was last corrected, said first (第3版 · …更正：…).
    correction: Option<String>,
    /// The current version's CSV and `.xlsx` attachments, shown as tables.
    tables: Vec<FileTableView>,
}

/// A CSV or `.xlsx` attachment shown as a table (the file stays a link), from the rows
/// read when it was uploaded (`domain::disclosure::file_table`).
pub struct FileTableView {
    pub name: String,
    pub href: String,
    pub head: Vec<String>,
    pub rows: Vec<Vec<String>>,
    /// 共N行，显示前200行 when the page shows less than the file holds.
    pub cut: Option<String>,
}

pub fn file_table_view(name: &str, href: String, t: &FileTable) -> FileTableView {
    FileTableView {
        name: name.to_owned(),
        href,
        head: t.header().to_vec(),
        rows: t.rows().to_vec(),
        cut: t.is_cut().then(|| {
            format!(
                "共{}行，显示前{}行、前{}列，全部内容请下载附件。",
                t.total_rows(),
                t.rows().len(),
                t.header().len()
            )
        }),
    }
}

/// What a corrected disclosure says at its top: the version a reader sees and the
/// reason for the latest correction.
fn correction_note(current: &storage::disclosures::Version) -> Option<String> {
    (current.version > 1).then(|| {
        let when = date(current.published_at);
        match current.change_note.as_deref().map(str::trim) {
            Some(note) if !note.is_empty() => {
                format!("第{}版 · {when}更正：{note}", current.version)
            }
            _ => format!("第{}版 · {when}更正", current.version),
        }
    })
}

fn parse_id(raw: &str) -> Result<i64, PageError> {
    raw.parse::<i64>()
        .ok()
        .filter(|id| *id > 0)
        .ok_or_else(|| PageError::not_found("没有找到这条公开内容，它的编号有误。"))
}

async fn detail(
    site: Site,
    path: web::Path<String>,
    pool: web::Data<PgPool>,
    index: web::Data<SearchIndex>,
    views: web::Data<ViewCounter>,
) -> Result<HttpResponse, PageError> {
    let id = parse_id(&path)?;
    let d = storage::disclosures::find(&pool, id)
        .await?
        .ok_or_else(|| PageError::not_found("没有找到这条公开内容，它可能已被删除或编号有误。"))?;
    let current = d
        .current()
        .ok_or_else(|| PageError::internal(anyhow::anyhow!("disclosure {id} has no version")))?;
    views.record(id);
    let hit = index
        .current()
        .get(&d.region_code)
        .ok_or_else(|| PageError::internal(anyhow::anyhow!("disclosure {id}: unknown region")))?;
    let village = VillageCode::try_from(d.region_code.clone()).ok();
    let region_href = paths::place(&hit.code);
    let module_href = match &village {
        Some(code) => paths::village_module(code, d.module),
        None => paths::region_own(&hit.code),
    };

    let json_of = |v: &storage::disclosures::Version| {
        v.content_sha256.as_ref().map(|h| {
            (
                paths::disclosure_version_json(id, v.version),
                hex::encode(h),
            )
        })
    };
    let fields_of = |v: &storage::disclosures::Version| {
        let mut f = vec![
            Field {
                label: "公开单位".into(),
                value: hit.full_name(),
            },
            Field {
                label: "栏目".into(),
                value: d.module.name().to_owned(),
            },
        ];
        if let Some(p) = &v.period {
            f.push(Field {
                label: "公开期间".into(),
                value: p.clone(),
            });
        }
        if let Some(a) = v.amount {
            f.push(Field {
                label: "金额".into(),
                value: a.to_string(),
            });
        }
        f.push(Field {
            label: "发布人".into(),
            value: v.publisher.clone(),
        });
        f
    };
    let files_of = |version: i32| {
        d.attachments
            .iter()
            .filter(|a| a.version == version)
            .map(|a| FileLink {
                href: paths::disclosure_file(id, a.id),
                name: a.name.clone(),
                size: file_size(a.size),
                sha256: hex::encode(&a.sha256),
            })
            .collect::<Vec<_>>()
    };

    // A receipt names its file by hash; the version's own copy is the one linked.
    let links_of = |version: i32| {
        let files: Vec<(String, String, Option<String>)> = d
            .attachments
            .iter()
            .filter(|a| a.version == version)
            .map(|a| {
                (
                    hex::encode(&a.sha256),
                    paths::disclosure_file(id, a.id),
                    a.has_preview
                        .then(|| paths::disclosure_file_small(id, a.id)),
                )
            })
            .collect();
        move |hash: &str| {
            files
                .iter()
                .find(|(h, _, _)| h == hash)
                .map(|(_, href, small)| (href.clone(), small.clone()))
        }
    };
    let mut fields = fields_of(current);
    fields.push(Field {
        label: "首次发布".into(),
        value: date_time(d.published_at),
    });
    if current.version > 1 {
        fields.push(Field {
            label: "最近更正".into(),
            value: date_time(current.published_at),
        });
    }
    if let Some(note) = &current.change_note {
        fields.push(Field {
            label: "更正说明".into(),
            value: note.clone(),
        });
    }
    fields.push(Field {
        label: "版本".into(),
        value: format!("第{}版（共{}版）", current.version, d.versions.len()),
    });
    fields.push(Field {
        label: "状态".into(),
        value: match d.status {
            DisclosureStatus::Published if current.version > 1 => "已发布（已更正）".to_owned(),
            DisclosureStatus::Published => "已发布".to_owned(),
            DisclosureStatus::Withdrawn => "已撤回".to_owned(),
        },
    });
    fields.push(Field {
        label: "浏览".into(),
        value: format!("{}次", count(d.views + views.pending(id))),
    });

    let log = DisclosureLog::read(&pool, id).await.map_err(log_error)?;
    let mut history = Vec::new();
    for v in d.versions.iter().skip(1) {
        history.push(VersionView {
            version: v.version,
            title: v.title.clone(),
            published: date_time(v.published_at),
            note: v.change_note.clone(),
            fields: fields_of(v),
            body: paragraphs(&v.body),
            files: files_of(v.version),
            content: v
                .content
                .as_ref()
                .map(|c| content_view_with(c, &links_of(v.version))),
            json: json_of(v),
            logged: logged_of(&pool, &log, v.version).await?,
        });
    }
    let mut crumbs = ancestors(&hit);
    crumbs.push(Crumb::new(hit.display_name.clone(), region_href));
    let module_name = if hit.level == RegionLevel::Village {
        d.module.name()
    } else {
        "本级公开"
    };
    crumbs.push(Crumb::new(module_name, module_href.clone()));
    let tables = d
        .attachments
        .iter()
        .filter(|a| a.version == current.version)
        .filter_map(|a| {
            let t = a.table.as_ref()?;
            Some(file_table_view(
                &a.name,
                paths::disclosure_file(id, a.id),
                t,
            ))
        })
        .collect();
    let summary: String = current.body.chars().take(60).collect();
    let page = DisclosurePage {
        page: site
            .layout(
                &paths::disclosure(id),
                &current.title,
                format!("{}：{summary}", hit.full_name()),
            )
            .with_crumbs(crumbs, "详情"),
        title: current.title.clone(),
        badges: badges(d.status, current.version, d.is_sample),
        withdrawn: d.withdrawn_reason.as_ref().map(|r| match d.withdrawn_at {
            Some(at) => format!("{}撤回。原因：{r}", date_time(at)),
            None => format!("已撤回。原因：{r}"),
        }),
        fields,
        body: paragraphs(&current.body),
        files: files_of(current.version),
        history,
        content: current
            .content
            .as_ref()
            .map(|c| content_view_with(c, &links_of(current.version))),
        json: json_of(current),
        logged: logged_of(&pool, &log, current.version).await?,
        module_href,
        module_name,
        complaint_href: village.as_ref().map(|v| {
            let about = crate::domain::complaint::DisclosureRef {
                disclosure_id: id,
                version: current.version,
            };
            paths::complaint_about(v, &about)
        }),
        is_sample: d.is_sample,
        correction: correction_note(current),
        tables,
    };
    site.render(&page)
}

async fn attachment(
    path: web::Path<(String, String)>,
    pool: web::Data<PgPool>,
) -> Result<HttpResponse, PageError> {
    let (id, file) = path.into_inner();
    let id = parse_id(&id)?;
    let file_id = parse_id(&file)?;
    let file = storage::disclosures::attachment(&pool, id, file_id)
        .await?
        .ok_or_else(|| PageError::not_found("没有找到这个附件。"))?;
    Ok(file_response(file, "public, max-age=3600"))
}

/// `GET /d/{id}/files/{file}/small`: a picture attachment's small copy.
async fn attachment_small(
    path: web::Path<(String, String)>,
    pool: web::Data<PgPool>,
) -> Result<HttpResponse, PageError> {
    let (id, file) = path.into_inner();
    let id = parse_id(&id)?;
    let file_id = parse_id(&file)?;
    let file = storage::disclosures::attachment_preview(&pool, id, file_id)
        .await?
        .ok_or_else(|| PageError::not_found("没有找到这个附件。"))?;
    Ok(file_response(file, "public, max-age=3600"))
}

/// `GET /d/{id}/v/{version}.json`: the version's canonical public JSON, byte for byte
/// what its SHA-256 was computed over (sent in `X-Content-SHA256` too).
async fn version_json(
    path: web::Path<(String, String)>,
    pool: web::Data<PgPool>,
) -> Result<HttpResponse, PageError> {
    let (id, version) = path.into_inner();
    let id = parse_id(&id)?;
    let version = version
        .parse::<i32>()
        .ok()
        .filter(|v| *v > 0)
        .ok_or_else(|| PageError::not_found("没有这个版本。"))?;
    let (json, digest) = storage::disclosures::public_json(&pool, id, version)
        .await?
        .ok_or_else(|| PageError::not_found("没有这个版本的结构化内容。"))?;
    Ok(HttpResponse::Ok()
        .insert_header((CONTENT_TYPE, "application/json; charset=utf-8"))
        // A published version never changes.
        .insert_header((CACHE_CONTROL, "public, max-age=86400, immutable"))
        .insert_header(("X-Content-Type-Options", "nosniff"))
        .insert_header(("X-Content-SHA256", hex::encode(digest)))
        .body(json))
}

/// 存证 #n of a version, its link, and whether what is stored still matches it.
async fn logged_of(
    pool: &PgPool,
    log: &DisclosureLog,
    version: i32,
) -> Result<Option<(u64, String, bool)>, PageError> {
    let logged = log.check(pool, version).await.map_err(log_error)?;
    Ok(logged.map(|l| (l.index, paths::transparency_entry(l.index), l.matches)))
}

fn log_error(e: crate::services::transparency::LogError) -> PageError {
    PageError::internal(anyhow::anyhow!(crate::services::transparency::describe(&e)))
}
