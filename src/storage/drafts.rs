//! The `disclosure_drafts` table: drafts and corrections on their way to publication.
//! The state machine is `domain::disclosure::lifecycle`; the service checks each step
//! before it calls these.

use chrono::{DateTime, Utc};
use sqlx::PgPool;

use super::disclosures::AttachmentFile;
use super::{PgTransaction, corrupt};
use crate::domain::disclosure::attachment::DraftFile;
use crate::domain::disclosure::content::StructuredContent;
use crate::domain::disclosure::file_table::FileTable;
use crate::domain::disclosure::lifecycle::DraftState;
use crate::domain::{Module, RegionCode};

/// A draft as read back.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Draft {
    pub draft_id: i64,
    pub region: RegionCode,
    pub module: Module,
    /// The published disclosure this corrects, if it is a correction.
    pub disclosure_id: Option<i64>,
    pub state: DraftState,
    pub content: StructuredContent,
    pub change_note: Option<String>,
    pub return_reason: Option<String>,
    pub author_id: i64,
    pub author_name: String,
    pub submitted_at: Option<DateTime<Utc>>,
    /// The disclosure it was published as.
    pub published_id: Option<i64>,
    pub published_version: Option<i32>,
    pub updated_at: DateTime<Utc>,
}

/// A line of a list of drafts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DraftLine {
    pub draft_id: i64,
    pub region: RegionCode,
    pub module: Module,
    pub title: String,
    pub state: DraftState,
    pub is_correction: bool,
    pub updated_at: DateTime<Utc>,
}

fn state(s: &str) -> Result<DraftState, sqlx::Error> {
    DraftState::parse(s).ok_or_else(|| corrupt("draft state", s))
}

fn region(s: &str) -> Result<RegionCode, sqlx::Error> {
    RegionCode::parse(s).map_err(|e| corrupt("region code", e))
}

fn module(s: &str) -> Result<Module, sqlx::Error> {
    Module::parse(s).map_err(|e| corrupt("module", e))
}

fn content(j: &serde_json::Value) -> Result<StructuredContent, sqlx::Error> {
    StructuredContent::from_json(j).map_err(|e| corrupt("draft content", e))
}

pub async fn insert(
    tx: &mut PgTransaction<'_>,
    region: &RegionCode,
    content: &StructuredContent,
    disclosure_id: Option<i64>,
    change_note: Option<&str>,
    author_id: i64,
) -> Result<i64, sqlx::Error> {
    sqlx::query_scalar!(
        "INSERT INTO disclosure_drafts
             (region_code, module, disclosure_id, content, title, change_note, author_id)
         VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING draft_id",
        region.as_str(),
        content.module.slug(),
        disclosure_id,
        content.to_json(false),
        content.title,
        change_note,
        author_id
    )
    .fetch_one(&mut **tx)
    .await
}

/// The draft, locked for the rest of the transaction.
pub async fn lock(tx: &mut PgTransaction<'_>, draft_id: i64) -> Result<Option<Draft>, sqlx::Error> {
    let row = sqlx::query!(
        r#"SELECT d.draft_id, d.region_code, d.module, d.disclosure_id, d.state, d.content,
                  d.change_note, d.return_reason, d.author_id, a.display_name AS author_name,
                  d.submitted_at, d.published_id, d.published_version, d.updated_at
           FROM disclosure_drafts d JOIN staff_accounts a ON a.account_id = d.author_id
           WHERE d.draft_id = $1 FOR UPDATE OF d"#,
        draft_id
    )
    .fetch_optional(&mut **tx)
    .await?;
    row.map(|r| {
        Ok(Draft {
            draft_id: r.draft_id,
            region: region(&r.region_code)?,
            module: module(&r.module)?,
            disclosure_id: r.disclosure_id,
            state: state(&r.state)?,
            content: content(&r.content)?,
            change_note: r.change_note,
            return_reason: r.return_reason,
            author_id: r.author_id,
            author_name: r.author_name,
            submitted_at: r.submitted_at,
            published_id: r.published_id,
            published_version: r.published_version,
            updated_at: r.updated_at,
        })
    })
    .transpose()
}

/// The draft, unlocked (for pages).
pub async fn find(pool: &PgPool, draft_id: i64) -> Result<Option<Draft>, sqlx::Error> {
    let mut tx = pool.begin().await?;
    let d = lock(&mut tx, draft_id).await?;
    tx.rollback().await?;
    Ok(d)
}

/// Saves edited content (and the correction's reason).
pub async fn save_content(
    tx: &mut PgTransaction<'_>,
    draft_id: i64,
    content: &StructuredContent,
    change_note: Option<&str>,
) -> Result<(), sqlx::Error> {
    sqlx::query!(
        "UPDATE disclosure_drafts SET content = $2, title = $3, change_note = $4, state = 'draft'
         WHERE draft_id = $1",
        draft_id,
        content.to_json(false),
        content.title,
        change_note
    )
    .execute(&mut **tx)
    .await?;
    Ok(())
}

pub async fn mark_submitted(
    tx: &mut PgTransaction<'_>,
    draft_id: i64,
    at: DateTime<Utc>,
) -> Result<(), sqlx::Error> {
    sqlx::query!(
        "UPDATE disclosure_drafts SET state = 'submitted', submitted_at = $2 WHERE draft_id = $1",
        draft_id,
        at
    )
    .execute(&mut **tx)
    .await?;
    Ok(())
}

pub async fn mark_returned(
    tx: &mut PgTransaction<'_>,
    draft_id: i64,
    reviewer: i64,
    reason: &str,
    at: DateTime<Utc>,
) -> Result<(), sqlx::Error> {
    sqlx::query!(
        "UPDATE disclosure_drafts
         SET state = 'returned', return_reason = $3, reviewed_by = $2, reviewed_at = $4
         WHERE draft_id = $1",
        draft_id,
        reviewer,
        reason,
        at
    )
    .execute(&mut **tx)
    .await?;
    Ok(())
}

pub async fn mark_published(
    tx: &mut PgTransaction<'_>,
    draft_id: i64,
    disclosure_id: i64,
    version: i32,
    reviewer: i64,
    at: DateTime<Utc>,
) -> Result<(), sqlx::Error> {
    sqlx::query!(
        "UPDATE disclosure_drafts
         SET state = 'published', published_id = $2, published_version = $3, reviewed_by = $4,
             reviewed_at = $5
         WHERE draft_id = $1",
        draft_id,
        disclosure_id,
        version,
        reviewer,
        at
    )
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// The open correction of a disclosure, if one is under way.
pub async fn open_correction(
    pool: &PgPool,
    disclosure_id: i64,
) -> Result<Option<i64>, sqlx::Error> {
    sqlx::query_scalar!(
        "SELECT draft_id FROM disclosure_drafts
         WHERE disclosure_id = $1 AND state <> 'published'",
        disclosure_id
    )
    .fetch_optional(pool)
    .await
}

/// Drafts inside `within` (a village, or a township's villages), in the given states,
/// most recently changed first.
pub async fn list(
    pool: &PgPool,
    within: &RegionCode,
    states: &[DraftState],
    limit: i64,
) -> Result<Vec<DraftLine>, sqlx::Error> {
    let states: Vec<&str> = states.iter().map(|s| s.as_str()).collect();
    let prefix = format!("{}%", within.as_str());
    let rows = sqlx::query!(
        "SELECT draft_id, region_code, module, title, state, disclosure_id, updated_at
         FROM disclosure_drafts
         WHERE region_code LIKE $1 AND state = ANY($2)
         ORDER BY updated_at DESC, draft_id DESC LIMIT $3",
        prefix,
        &states as &[&str],
        limit
    )
    .fetch_all(pool)
    .await?;
    rows.into_iter()
        .map(|r| {
            Ok(DraftLine {
                draft_id: r.draft_id,
                region: region(&r.region_code)?,
                module: module(&r.module)?,
                title: r.title,
                state: state(&r.state)?,
                is_correction: r.disclosure_id.is_some(),
                updated_at: r.updated_at,
            })
        })
        .collect()
}

/// An attachment of a draft, without its bytes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DraftFileInfo {
    pub id: i64,
    pub name: String,
    pub media_type: String,
    pub size: i64,
    pub sha256: Vec<u8>,
    pub has_preview: bool,
    /// A CSV or `.xlsx` file's rows as read when it was uploaded.
    pub table: Option<FileTable>,
}

/// A draft's attachments, in the order they were added (the order they are published in).
pub async fn files(
    db: impl sqlx::PgExecutor<'_>,
    draft_id: i64,
) -> Result<Vec<DraftFileInfo>, sqlx::Error> {
    sqlx::query!(
        r#"SELECT id, name, media_type, octet_length(content)::bigint AS "size!", sha256,
                  preview IS NOT NULL AS "has_preview!", table_rows
           FROM draft_attachments WHERE draft_id = $1 ORDER BY id"#,
        draft_id
    )
    .fetch_all(db)
    .await?
    .into_iter()
    .map(|f| {
        Ok(DraftFileInfo {
            table: f
                .table_rows
                .as_ref()
                .map(FileTable::from_json)
                .transpose()
                .map_err(|e| corrupt(&format!("draft attachment {} table", f.id), e))?,
            id: f.id,
            name: f.name,
            media_type: f.media_type,
            size: f.size,
            sha256: f.sha256,
            has_preview: f.has_preview,
        })
    })
    .collect()
}

/// Adds an attachment; `None` when the draft already holds this file or one of that name.
pub async fn insert_file(
    tx: &mut PgTransaction<'_>,
    draft_id: i64,
    file: &DraftFile,
) -> Result<Option<i64>, sqlx::Error> {
    sqlx::query_scalar!(
        "INSERT INTO draft_attachments (draft_id, name, media_type, content, preview, table_rows)
         VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT DO NOTHING RETURNING id",
        draft_id,
        file.name(),
        file.kind().media_type(),
        file.content(),
        file.preview(),
        file.table().map(|t| t.to_json())
    )
    .fetch_optional(&mut **tx)
    .await
}

/// Removes an attachment; false when the draft has no such file.
pub async fn delete_file(
    tx: &mut PgTransaction<'_>,
    draft_id: i64,
    file_id: i64,
) -> Result<bool, sqlx::Error> {
    let done = sqlx::query!(
        "DELETE FROM draft_attachments WHERE draft_id = $1 AND id = $2",
        draft_id,
        file_id
    )
    .execute(&mut **tx)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// An attachment's bytes (or its small copy), for staff who may see the draft.
pub async fn file(
    pool: &PgPool,
    draft_id: i64,
    file_id: i64,
    small: bool,
) -> Result<Option<AttachmentFile>, sqlx::Error> {
    let row = sqlx::query!(
        "SELECT name, media_type, content, preview FROM draft_attachments
         WHERE draft_id = $1 AND id = $2",
        draft_id,
        file_id
    )
    .fetch_optional(pool)
    .await?;
    Ok(row.and_then(|r| {
        let content = if small { r.preview? } else { r.content };
        Some(AttachmentFile {
            name: r.name,
            media_type: r.media_type,
            content,
        })
    }))
}

/// A correction starts with the files of the version it corrects.
pub async fn copy_version_files(
    tx: &mut PgTransaction<'_>,
    draft_id: i64,
    disclosure_id: i64,
    version: i32,
) -> Result<(), sqlx::Error> {
    sqlx::query!(
        "INSERT INTO draft_attachments (draft_id, name, media_type, content, preview, table_rows)
         SELECT $1, name, media_type, content, preview, table_rows FROM disclosure_attachments
         WHERE disclosure_id = $2 AND version = $3
           AND media_type IN ('application/pdf', 'image/jpeg', 'image/png', 'text/csv',
               'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet')
         ORDER BY id
         ON CONFLICT DO NOTHING",
        draft_id,
        disclosure_id,
        version
    )
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// Removes the drafts written by sample accounts (`demo-data`) that were never
/// published; a published one goes with its sample disclosure.
pub async fn delete_by_sample_authors(pool: &PgPool) -> Result<u64, sqlx::Error> {
    Ok(sqlx::query!(
        "DELETE FROM disclosure_drafts
         WHERE published_id IS NULL
           AND author_id IN (SELECT account_id FROM staff_accounts WHERE is_sample)"
    )
    .execute(pool)
    .await?
    .rows_affected())
}
