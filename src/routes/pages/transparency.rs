//! The transparency log for people: `/transparency` says what it is, shows the public
//! key, the latest signed checkpoint and the newest entries; `/transparency/entries/{n}`
//! shows one entry, its inclusion proof against the latest checkpoint (checked here,
//! and the command to check it yourself), and whether what the service stores today
//! still matches what was logged.

use actix_web::{HttpResponse, web};
use askama::Template;
use sqlx::PgPool;

use super::{Crumb, Layout, Site, date_time, get};
use crate::domain::complaint::ComplaintStatus;
use crate::routes::page_error::PageError;
use crate::routes::paths;
use crate::routes::transparency::canonical_number;
use crate::services::transparency::{self, LogSigner, public_reply_sha256};
use crate::storage::{self, tlog};
use crate::transparency::checkpoint::Checkpoint;
use crate::transparency::entry::Entry;
use crate::transparency::hash::{Hash, leaf_hash};
use crate::transparency::proof::verify_inclusion;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route(paths::TRANSPARENCY, get().to(home))
        .route(paths::TRANSPARENCY_HISTORY, get().to(history))
        .route(paths::TRANSPARENCY_ENTRY_PATTERN, get().to(entry));
}

/// One entry in a list.
pub struct EntryLine {
    pub index: u64,
    pub href: String,
    pub when: String,
    pub what: String,
}

pub struct CheckpointLine {
    pub size: u64,
    pub when: String,
    pub href: String,
}

#[derive(Template)]
#[template(path = "transparency.html")]
struct HomePage {
    page: Layout,
    public_key: String,
    origin: String,
    size: u64,
    root: String,
    signed_at: String,
    checkpoint_href: &'static str,
    history_href: String,
    entries: Vec<EntryLine>,
    checkpoints: Vec<CheckpointLine>,
    log_url: String,
}

/// A short description of an entry in Chinese.
fn summary(entry: &Entry) -> String {
    match entry {
        Entry::ComplaintStatus(e) => {
            let status = ComplaintStatus::parse(&e.status).map_or(e.status.as_str(), |s| s.label());
            format!("投诉 {} · {status}", e.tracking_number)
        }
        Entry::Disclosure(d) => format!("公开 #{} 第{}版", d.disclosure_id, d.version),
    }
}

fn line(e: &tlog::StoredEntry) -> EntryLine {
    EntryLine {
        index: e.index,
        href: paths::transparency_entry(e.index),
        when: date_time(e.created_at),
        what: Entry::decode(&e.entry).map_or_else(|_| "（无法读取）".to_owned(), |x| summary(&x)),
    }
}

async fn home(
    site: Site,
    pool: web::Data<PgPool>,
    signer: web::Data<LogSigner>,
) -> Result<HttpResponse, PageError> {
    let latest = tlog::latest_checkpoint(&**pool).await?;
    let (size, root, signed_at) = match &latest {
        Some(c) => {
            let opened = Checkpoint::open(c.note.as_bytes(), signer.origin(), &[signer.verifier()])
                .map_err(PageError::internal)?;
            (c.size, opened.root.to_base64(), date_time(c.created_at))
        }
        None => (0, Hash::empty().to_base64(), String::new()),
    };
    let entries = tlog::recent(&**pool, 20).await?.iter().map(line).collect();
    let checkpoints = tlog::checkpoints(&**pool, 10, 0)
        .await?
        .into_iter()
        .map(|c| CheckpointLine {
            size: c.size,
            when: date_time(c.created_at),
            href: paths::transparency_kept_checkpoint(c.size),
        })
        .collect();
    let page = HomePage {
        page: site
            .layout(
                paths::transparency(),
                "存证：公开与投诉办理记录",
                "每一次公开和投诉状态变化都写入只能追加的存证日志，任何人都能核对，事后改动都会被发现。",
            )
            .with_crumbs(vec![Crumb::new("首页", paths::home())], "存证"),
        public_key: signer.verifier().to_string(),
        origin: signer.origin().to_owned(),
        size,
        root,
        signed_at,
        checkpoint_href: paths::transparency_checkpoint(),
        history_href: paths::transparency_history(1),
        entries,
        checkpoints,
        log_url: format!("{}{}", site.settings().public_base(), paths::transparency()),
    };
    site.render(&page)
}

/// One day's last checkpoint.
pub struct DayLine {
    pub day: String,
    pub size: u64,
    pub root: String,
    pub href: String,
}

#[derive(Template)]
#[template(path = "transparency_history.html")]
struct HistoryPage {
    page: Layout,
    days: Vec<DayLine>,
    newer: Option<String>,
    older: Option<String>,
}

#[derive(serde::Deserialize)]
struct HistoryQuery {
    page: Option<u32>,
}

const DAYS_PER_PAGE: u32 = 30;

async fn history(
    site: Site,
    pool: web::Data<PgPool>,
    signer: web::Data<LogSigner>,
    query: web::Query<HistoryQuery>,
) -> Result<HttpResponse, PageError> {
    let page = query.page.unwrap_or(1).clamp(1, 10_000);
    let offset = i64::from((page - 1) * DAYS_PER_PAGE);
    // One more than a page, to know whether an older page exists.
    let mut kept = tlog::daily_checkpoints(&**pool, i64::from(DAYS_PER_PAGE) + 1, offset).await?;
    let older =
        (kept.len() > DAYS_PER_PAGE as usize).then(|| paths::transparency_history(page + 1));
    kept.truncate(DAYS_PER_PAGE as usize);
    let mut days = Vec::with_capacity(kept.len());
    for c in kept {
        let opened = Checkpoint::open(c.note.as_bytes(), signer.origin(), &[signer.verifier()])
            .map_err(PageError::internal)?;
        days.push(DayLine {
            day: crate::domain::china_time::day(c.created_at).to_string(),
            size: c.size,
            root: opened.root.to_base64(),
            href: paths::transparency_kept_checkpoint(c.size),
        });
    }
    let page_view = HistoryPage {
        page: site
            .layout(
                &paths::transparency_history(page),
                "存证日志每日签名",
                "存证日志每天最后一次签名的记录条数和根哈希，可与自己或他人保存的核对。",
            )
            .with_crumbs(
                vec![
                    Crumb::new("首页", paths::home()),
                    Crumb::new("存证", paths::transparency()),
                ],
                "每日签名",
            ),
        days,
        newer: (page > 1).then(|| paths::transparency_history(page - 1)),
        older,
    };
    site.render(&page_view)
}

/// What the service stores today, compared with what the entry recorded.
pub enum ContentCheck {
    Matches,
    Differs(String),
}

#[derive(Template)]
#[template(path = "transparency_entry.html")]
struct EntryPage {
    page: Layout,
    index: u64,
    when: String,
    what: String,
    fields: Vec<(&'static str, String)>,
    text: String,
    leaf: String,
    size: u64,
    root: String,
    proof: Vec<String>,
    proved: bool,
    check: ContentCheck,
    command: String,
    home_href: &'static str,
}

async fn entry(
    site: Site,
    pool: web::Data<PgPool>,
    signer: web::Data<LogSigner>,
    index: web::Path<String>,
) -> Result<HttpResponse, PageError> {
    let missing = || PageError::not_found("存证日志里没有这一条记录。");
    let index = canonical_number(&index).ok_or_else(missing)?;
    let stored = tlog::entries(&**pool, index, index.saturating_add(1))
        .await?
        .pop()
        .ok_or_else(missing)?;
    let decoded = Entry::decode(&stored.entry).map_err(PageError::internal)?;
    let leaf = leaf_hash(&stored.entry);
    // The proof is against the latest signed checkpoint; an entry newer than it is
    // shown as waiting for the next one.
    let latest = tlog::latest_checkpoint(&**pool).await?;
    let (size, root, proof, proved) = match latest {
        Some(c) if c.size > index => {
            let opened = Checkpoint::open(c.note.as_bytes(), signer.origin(), &[signer.verifier()])
                .map_err(PageError::internal)?;
            let proof = transparency::inclusion_proof(&pool, index, c.size)
                .await
                .map_err(|e| PageError::internal(anyhow::anyhow!(transparency::describe(&e))))?;
            let proved = verify_inclusion(index, c.size, &leaf, &proof, &opened.root).is_ok();
            (
                c.size,
                opened.root.to_base64(),
                proof.iter().map(Hash::to_base64).collect(),
                proved,
            )
        }
        _ => (0, String::new(), Vec::new(), false),
    };
    let (fields, check, target) = match &decoded {
        Entry::ComplaintStatus(e) => {
            let status = ComplaintStatus::parse(&e.status)
                .map_or(e.status.clone(), |s| s.label().to_owned());
            let fields = vec![
                ("投诉编号", e.tracking_number.clone()),
                ("状态", status),
                (
                    "答复哈希",
                    e.public_reply_sha256.map_or("无".to_owned(), hex::encode),
                ),
            ];
            let check = complaint_check(&pool, index, e.public_reply_sha256).await?;
            (fields, check, format!("--tracking {}", e.tracking_number))
        }
        Entry::Disclosure(d) => {
            let id = i64::try_from(d.disclosure_id).map_err(PageError::internal)?;
            let version = i32::try_from(d.version).map_err(PageError::internal)?;
            let check = match transparency::stored_version_matches(
                &pool,
                id,
                version,
                &d.content_sha256,
                &d.attachment_sha256s,
            )
            .await
            .map_err(|e| PageError::internal(anyhow::anyhow!(transparency::describe(&e))))?
            {
                Some(true) => ContentCheck::Matches,
                Some(false) => ContentCheck::Differs(
                    "现存的公开内容与记录时不同：内容在公开之后被改动过。".to_owned(),
                ),
                None => ContentCheck::Differs("这一版公开内容已不存在：记录被删除了。".to_owned()),
            };
            (
                vec![
                    ("公开编号", d.disclosure_id.to_string()),
                    ("版本", d.version.to_string()),
                    ("内容哈希", hex::encode(d.content_sha256)),
                ],
                check,
                format!("--disclosure {}", d.disclosure_id),
            )
        }
    };
    let base = site.settings().public_base().to_owned();
    let page = EntryPage {
        page: site
            .layout(
                &paths::transparency_entry(index),
                &format!("存证 #{index}"),
                format!("存证日志第 {index} 条记录及其证明。"),
            )
            .with_crumbs(
                vec![
                    Crumb::new("首页", paths::home()),
                    Crumb::new("存证", paths::transparency()),
                ],
                format!("#{index}"),
            ),
        index,
        when: date_time(stored.created_at),
        what: summary(&decoded),
        fields,
        text: String::from_utf8_lossy(&stored.entry).into_owned(),
        leaf: leaf.to_base64(),
        size,
        root,
        proof,
        proved,
        check,
        command: format!(
            "sunvillage verify --url {base}{} --key {} {target}",
            paths::transparency(),
            signer.verifier()
        ),
        home_href: paths::transparency(),
    };
    site.render(&page)
}

/// The timeline line that names entry `index`, hashed again.
async fn complaint_check(
    pool: &PgPool,
    index: u64,
    logged: Option<[u8; 32]>,
) -> Result<ContentCheck, PageError> {
    let steps = storage::complaints::logged_steps(pool, index, index.saturating_add(1)).await?;
    Ok(match steps.first() {
        None => ContentCheck::Differs("办理记录里找不到这一步：记录被删除了。".to_owned()),
        Some(step) if public_reply_sha256(&step.public_note) == logged => ContentCheck::Matches,
        Some(_) => {
            ContentCheck::Differs("现存的公开答复与记录时不同：答复在记录之后被改动过。".to_owned())
        }
    })
}
