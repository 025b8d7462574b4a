//! The `disclosures`, `disclosure_versions` and `disclosure_attachments` tables:
//! publishing, correcting (a new version) and withdrawing (the record stays), the
//! public lists and detail, and batched view counts.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use sqlx::PgPool;

use super::{Paging, PgTransaction, corrupt};
use crate::domain::disclosure::attachment::FileRef;
use crate::domain::disclosure::content::StructuredContent;
use crate::domain::disclosure::file_table::FileTable;
use crate::domain::{
    Amount, Correction, DisclosureStatus, Module, NewAttachment, NewDisclosure, RegionCode,
    WithdrawalReason,
};

/// One line of a module's list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DisclosureSummary {
    pub id: i64,
    pub title: String,
    pub period: Option<String>,
    pub amount: Option<Amount>,
    /// When it was first published.
    pub published_at: DateTime<Utc>,
    pub version: i32,
    pub status: DisclosureStatus,
    pub is_sample: bool,
}

/// One version of the content.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Version {
    pub version: i32,
    pub title: String,
    pub body: String,
    pub period: Option<String>,
    pub amount: Option<Amount>,
    pub publisher: String,
    pub change_note: Option<String>,
    pub published_at: DateTime<Utc>,
    /// The structured content, for versions published through a draft.
    pub content: Option<StructuredContent>,
    /// SHA-256 of the version's canonical public JSON.
    pub content_sha256: Option<Vec<u8>>,
}

/// A file's description, without its bytes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AttachmentInfo {
    pub id: i64,
    pub version: i32,
    pub name: String,
    pub media_type: String,
    pub size: i64,
    pub sha256: Vec<u8>,
    /// A picture has a small copy for the page.
    pub has_preview: bool,
    /// A CSV or `.xlsx` file's rows for the page.
    pub table: Option<FileTable>,
}

/// Everything the detail page shows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Disclosure {
    pub id: i64,
    pub region_code: RegionCode,
    pub module: Module,
    pub status: DisclosureStatus,
    pub withdrawn_reason: Option<String>,
    pub withdrawn_at: Option<DateTime<Utc>>,
    pub published_at: DateTime<Utc>,
    pub views: i64,
    pub is_sample: bool,
    /// Newest first; the first is the current version.
    pub versions: Vec<Version>,
    /// Of every version; `version` tells which.
    pub attachments: Vec<AttachmentInfo>,
}

impl Disclosure {
    pub fn current(&self) -> Option<&Version> {
        self.versions.first()
    }
}

/// An attachment's bytes, for download.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AttachmentFile {
    pub name: String,
    pub media_type: String,
    pub content: Vec<u8>,
}

/// How many disclosures a region shows under one module, and how many are demo content.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ModuleCount {
    pub module: Module,
    pub total: i64,
    pub samples: i64,
    /// When a disclosure still published, not sample content, was last first published:
    /// what the publication calendar judges (`domain::disclosure::calendar`).
    pub last_published: Option<DateTime<Utc>>,
}

fn module(s: &str) -> Result<Module, sqlx::Error> {
    Module::parse(s).map_err(|e| corrupt("module", e))
}

fn status(s: &str) -> Result<DisclosureStatus, sqlx::Error> {
    DisclosureStatus::parse(s).ok_or_else(|| corrupt("status", s))
}

fn amount(fen: Option<i64>) -> Result<Option<Amount>, sqlx::Error> {
    fen.map(Amount::from_fen)
        .transpose()
        .map_err(|e| corrupt("amount", e))
}

async fn insert_attachments(
    tx: &mut PgTransaction<'_>,
    id: i64,
    version: i32,
    attachments: &[NewAttachment],
) -> Result<(), sqlx::Error> {
    for a in attachments {
        // Shown as a table like an uploaded one (`DraftFile::parse`).
        let table = (a.media_type() == "text/csv")
            .then(|| crate::spreadsheet::table::csv_rows(a.content()).ok())
            .flatten()
            .and_then(FileTable::from_rows)
            .map(|t| t.to_json());
        sqlx::query!(
            "INSERT INTO disclosure_attachments (disclosure_id, version, name, media_type, content, table_rows)
             VALUES ($1, $2, $3, $4, $5, $6)",
            id,
            version,
            a.name(),
            a.media_type(),
            a.content(),
            table
        )
        .execute(&mut **tx)
        .await?;
    }
    Ok(())
}

/// Publishes version 1 at `at`; returns the new disclosure's id.
pub async fn publish(
    pool: &PgPool,
    new: &NewDisclosure,
    at: DateTime<Utc>,
    is_sample: bool,
) -> Result<i64, sqlx::Error> {
    let mut tx = pool.begin().await?;
    let id = sqlx::query_scalar!(
        "INSERT INTO disclosures (region_code, module, published_at, is_sample)
         VALUES ($1, $2, $3, $4) RETURNING id",
        new.region().as_str(),
        new.module().slug(),
        at,
        is_sample
    )
    .fetch_one(&mut *tx)
    .await?;
    let c = new.content();
    sqlx::query!(
        "INSERT INTO disclosure_versions
             (disclosure_id, version, title, body, period, amount_fen, publisher, published_at)
         VALUES ($1, 1, $2, $3, $4, $5, $6, $7)",
        id,
        c.title(),
        c.body(),
        c.period(),
        c.amount().map(Amount::fen),
        c.publisher(),
        at
    )
    .execute(&mut *tx)
    .await?;
    insert_attachments(&mut tx, id, 1, new.attachments()).await?;
    tx.commit().await?;
    Ok(id)
}

/// Adds a corrected version at `at`; returns its number, or `None` when the disclosure
/// does not exist or was withdrawn (a withdrawn record is kept as it was).
pub async fn correct(
    pool: &PgPool,
    id: i64,
    correction: &Correction,
    at: DateTime<Utc>,
) -> Result<Option<i32>, sqlx::Error> {
    let mut tx = pool.begin().await?;
    let Some(current) = sqlx::query_scalar!(
        "SELECT current_version FROM disclosures WHERE id = $1 AND status = 'published' FOR UPDATE",
        id
    )
    .fetch_optional(&mut *tx)
    .await?
    else {
        return Ok(None);
    };
    let version = current + 1;
    let c = correction.content();
    sqlx::query!(
        "INSERT INTO disclosure_versions
             (disclosure_id, version, title, body, period, amount_fen, publisher, change_note,
              published_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
        id,
        version,
        c.title(),
        c.body(),
        c.period(),
        c.amount().map(Amount::fen),
        c.publisher(),
        correction.note(),
        at
    )
    .execute(&mut *tx)
    .await?;
    insert_attachments(&mut tx, id, version, correction.attachments()).await?;
    sqlx::query!(
        "UPDATE disclosures SET current_version = $2 WHERE id = $1",
        id,
        version
    )
    .execute(&mut *tx)
    .await?;
    tx.commit().await?;
    Ok(Some(version))
}

/// Withdraws a published disclosure, keeping it and the reason; false when there was
/// none to withdraw.
pub async fn withdraw(
    pool: &PgPool,
    id: i64,
    reason: &WithdrawalReason,
    at: DateTime<Utc>,
) -> Result<bool, sqlx::Error> {
    let done = sqlx::query!(
        "UPDATE disclosures SET status = 'withdrawn', withdrawn_reason = $2, withdrawn_at = $3
         WHERE id = $1 AND status = 'published'",
        id,
        reason.as_str(),
        at
    )
    .execute(pool)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Per module, how many disclosures `region` shows (every module, zeros included).
pub async fn module_counts(
    pool: &PgPool,
    region: &RegionCode,
) -> Result<Vec<ModuleCount>, sqlx::Error> {
    let rows = sqlx::query!(
        r#"SELECT module, count(*) AS "total!", count(*) FILTER (WHERE is_sample) AS "samples!",
                  max(published_at) FILTER (WHERE status = 'published' AND NOT is_sample)
                      AS "last_published?"
           FROM disclosures
           WHERE region_code = $1 AND status IN ('published', 'withdrawn')
           GROUP BY module"#,
        region.as_str()
    )
    .fetch_all(pool)
    .await?;
    let mut found: HashMap<Module, (i64, i64, Option<DateTime<Utc>>)> = HashMap::new();
    for r in rows {
        found.insert(module(&r.module)?, (r.total, r.samples, r.last_published));
    }
    Ok(Module::ALL
        .into_iter()
        .map(|m| {
            let (total, samples, last_published) = found.get(&m).copied().unwrap_or((0, 0, None));
            ModuleCount {
                module: m,
                total,
                samples,
                last_published,
            }
        })
        .collect())
}

/// A region's disclosures (of one module, or all), newest first, and how many there
/// are in all.
pub async fn list(
    pool: &PgPool,
    region: &RegionCode,
    only: Option<Module>,
    paging: Paging,
) -> Result<(Vec<DisclosureSummary>, i64), sqlx::Error> {
    let module_filter = only.map(Module::slug);
    let total = sqlx::query_scalar!(
        r#"SELECT count(*) AS "n!" FROM disclosures
           WHERE region_code = $1 AND ($2::text IS NULL OR module = $2)
             AND status IN ('published', 'withdrawn')"#,
        region.as_str(),
        module_filter
    )
    .fetch_one(pool)
    .await?;
    let rows = sqlx::query!(
        r#"SELECT d.id, v.title, v.period, v.amount_fen, d.published_at, d.current_version,
                  d.status, d.is_sample
           FROM disclosures d
           JOIN disclosure_versions v ON v.disclosure_id = d.id AND v.version = d.current_version
           WHERE d.region_code = $1 AND ($2::text IS NULL OR d.module = $2)
             AND d.status IN ('published', 'withdrawn')
           ORDER BY d.published_at DESC, d.id DESC
           OFFSET $3 LIMIT $4"#,
        region.as_str(),
        module_filter,
        paging.offset(),
        paging.limit()
    )
    .fetch_all(pool)
    .await?;
    let items = rows
        .into_iter()
        .map(|r| {
            Ok(DisclosureSummary {
                id: r.id,
                title: r.title,
                period: r.period,
                amount: amount(r.amount_fen)?,
                published_at: r.published_at,
                version: r.current_version,
                status: status(&r.status)?,
                is_sample: r.is_sample,
            })
        })
        .collect::<Result<Vec<_>, sqlx::Error>>()?;
    Ok((items, total))
}

/// How many disclosures each child of `parent` shows (children without any are absent).
pub async fn counts_for_children(
    pool: &PgPool,
    parent: &RegionCode,
) -> Result<HashMap<String, i64>, sqlx::Error> {
    let rows = sqlx::query!(
        r#"SELECT d.region_code, count(*) AS "n!"
           FROM disclosures d JOIN regions r ON r.code = d.region_code
           WHERE r.parent_code = $1 AND d.status IN ('published', 'withdrawn')
           GROUP BY d.region_code"#,
        parent.as_str()
    )
    .fetch_all(pool)
    .await?;
    Ok(rows.into_iter().map(|r| (r.region_code, r.n)).collect())
}

/// A disclosure with every version and its attachments' descriptions.
pub async fn find(pool: &PgPool, id: i64) -> Result<Option<Disclosure>, sqlx::Error> {
    let Some(d) = sqlx::query!(
        "SELECT id, region_code, module, status, withdrawn_reason, withdrawn_at, published_at,
                views, is_sample
         FROM disclosures WHERE id = $1 AND status IN ('published', 'withdrawn')",
        id
    )
    .fetch_optional(pool)
    .await?
    else {
        return Ok(None);
    };
    let versions = sqlx::query!(
        "SELECT version, title, body, period, amount_fen, publisher, change_note, published_at,
                content, content_sha256
         FROM disclosure_versions WHERE disclosure_id = $1 ORDER BY version DESC",
        id
    )
    .fetch_all(pool)
    .await?
    .into_iter()
    .map(|v| {
        Ok(Version {
            version: v.version,
            title: v.title,
            body: v.body,
            period: v.period,
            amount: amount(v.amount_fen)?,
            publisher: v.publisher,
            change_note: v.change_note,
            published_at: v.published_at,
            content: v
                .content
                .as_ref()
                .map(StructuredContent::from_json)
                .transpose()
                .map_err(|e| corrupt("version content", e))?,
            content_sha256: v.content_sha256,
        })
    })
    .collect::<Result<Vec<_>, sqlx::Error>>()?;
    let attachments = sqlx::query!(
        r#"SELECT id, version, name, media_type, octet_length(content)::bigint AS "size!",
                  sha256, preview IS NOT NULL AS "has_preview!", table_rows
           FROM disclosure_attachments WHERE disclosure_id = $1 ORDER BY version DESC, id"#,
        id
    )
    .fetch_all(pool)
    .await?
    .into_iter()
    .map(|a| {
        Ok(AttachmentInfo {
            table: a
                .table_rows
                .as_ref()
                .map(FileTable::from_json)
                .transpose()
                .map_err(|e| corrupt(&format!("attachment {} table", a.id), e))?,
            id: a.id,
            version: a.version,
            name: a.name,
            media_type: a.media_type,
            size: a.size,
            sha256: a.sha256,
            has_preview: a.has_preview,
        })
    })
    .collect::<Result<Vec<_>, sqlx::Error>>()?;
    Ok(Some(Disclosure {
        id: d.id,
        region_code: RegionCode::parse(&d.region_code).map_err(|e| corrupt("region code", e))?,
        module: module(&d.module)?,
        status: status(&d.status)?,
        withdrawn_reason: d.withdrawn_reason,
        withdrawn_at: d.withdrawn_at,
        published_at: d.published_at,
        views: d.views,
        is_sample: d.is_sample,
        versions,
        attachments,
    }))
}

/// An attachment of a shown disclosure, with its bytes.
pub async fn attachment(
    pool: &PgPool,
    disclosure_id: i64,
    attachment_id: i64,
) -> Result<Option<AttachmentFile>, sqlx::Error> {
    sqlx::query_as!(
        AttachmentFile,
        "SELECT a.name, a.media_type, a.content
         FROM disclosure_attachments a JOIN disclosures d ON d.id = a.disclosure_id
         WHERE a.id = $1 AND a.disclosure_id = $2 AND d.status IN ('published', 'withdrawn')",
        attachment_id,
        disclosure_id
    )
    .fetch_optional(pool)
    .await
}

/// A picture attachment's small copy, as [`attachment`] serves the file.
pub async fn attachment_preview(
    pool: &PgPool,
    disclosure_id: i64,
    attachment_id: i64,
) -> Result<Option<AttachmentFile>, sqlx::Error> {
    let row = sqlx::query!(
        "SELECT a.name, a.media_type, a.preview
         FROM disclosure_attachments a JOIN disclosures d ON d.id = a.disclosure_id
         WHERE a.id = $1 AND a.disclosure_id = $2 AND d.status IN ('published', 'withdrawn')",
        attachment_id,
        disclosure_id
    )
    .fetch_optional(pool)
    .await?;
    Ok(row.and_then(|r| {
        Some(AttachmentFile {
            name: r.name,
            media_type: r.media_type,
            content: r.preview?,
        })
    }))
}

/// Publishes a draft's attachments with version `version` of `disclosure_id`, in their
/// order (inside the caller's transaction, after the version row).
pub async fn copy_draft_files(
    tx: &mut PgTransaction<'_>,
    draft_id: i64,
    disclosure_id: i64,
    version: i32,
) -> Result<(), sqlx::Error> {
    sqlx::query!(
        "INSERT INTO disclosure_attachments (disclosure_id, version, name, media_type, content, preview, table_rows)
         SELECT $2, $3, name, media_type, content, preview, table_rows FROM draft_attachments
         WHERE draft_id = $1 ORDER BY id",
        draft_id,
        disclosure_id,
        version
    )
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// The SHA-256 of each attachment of a version, in their order: what its log entry's
/// `attachment-sha256` lines must say.
pub async fn version_file_hashes(
    db: impl sqlx::PgExecutor<'_>,
    disclosure_id: i64,
    version: i32,
) -> Result<Vec<[u8; 32]>, sqlx::Error> {
    let rows = sqlx::query_scalar!(
        "SELECT sha256 FROM disclosure_attachments
         WHERE disclosure_id = $1 AND version = $2 ORDER BY id",
        disclosure_id,
        version
    )
    .fetch_all(db)
    .await?;
    rows.into_iter()
        .map(|h| {
            <[u8; 32]>::try_from(h.as_slice()).map_err(|_| {
                corrupt(
                    "attachment sha256",
                    format!("disclosure {disclosure_id} v{version}"),
                )
            })
        })
        .collect()
}

/// Adds counted views, one statement for the whole batch.
pub async fn add_views(pool: &PgPool, counts: &[(i64, i64)]) -> Result<(), sqlx::Error> {
    if counts.is_empty() {
        return Ok(());
    }
    let (ids, ns): (Vec<i64>, Vec<i64>) = counts.iter().copied().unzip();
    sqlx::query!(
        "UPDATE disclosures d SET views = d.views + c.n
         FROM unnest($1::bigint[], $2::bigint[]) AS c(id, n)
         WHERE d.id = c.id",
        &ids,
        &ns
    )
    .execute(pool)
    .await?;
    Ok(())
}

/// Removes every disclosure marked as demo content; returns how many.
pub async fn delete_samples(pool: &PgPool) -> Result<u64, sqlx::Error> {
    Ok(sqlx::query!("DELETE FROM disclosures WHERE is_sample")
        .execute(pool)
        .await?
        .rows_affected())
}

/// Disclosures shown in all, for the home page's headline.
pub async fn count_public(pool: &PgPool) -> Result<i64, sqlx::Error> {
    sqlx::query_scalar!(r#"SELECT count(*) AS "n!" FROM disclosures WHERE status = 'published'"#)
        .fetch_one(pool)
        .await
}

/// A version published through a draft (see `services::disclosures`).
pub struct NewVersion<'a> {
    pub content: &'a StructuredContent,
    pub publisher: &'a str,
    pub change_note: Option<&'a str>,
    pub draft_id: i64,
    pub approved_by: i64,
    pub at: DateTime<Utc>,
    /// The attachments published with it, in their order.
    pub files: &'a [FileRef],
}

/// Inserts a published disclosure with no version yet (the caller adds version 1 in
/// the same transaction).
pub async fn insert_disclosure(
    tx: &mut PgTransaction<'_>,
    region: &RegionCode,
    module: Module,
    at: DateTime<Utc>,
    is_sample: bool,
) -> Result<i64, sqlx::Error> {
    sqlx::query_scalar!(
        "INSERT INTO disclosures (region_code, module, published_at, is_sample)
         VALUES ($1, $2, $3, $4) RETURNING id",
        region.as_str(),
        module.slug(),
        at,
        is_sample
    )
    .fetch_one(&mut **tx)
    .await
}

/// Writes version `version` of `id` and makes it the current one; returns the SHA-256
/// of its canonical public JSON.
pub async fn insert_version(
    tx: &mut PgTransaction<'_>,
    id: i64,
    version: i32,
    new: &NewVersion<'_>,
) -> Result<[u8; 32], sqlx::Error> {
    let (public_json, digest) = new.content.public_canonical_with(new.files);
    let period = new.content.field("period").map(ToString::to_string);
    sqlx::query!(
        "INSERT INTO disclosure_versions
             (disclosure_id, version, title, body, period, publisher, change_note, published_at,
              content, public_json, content_sha256, draft_id, approved_by)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)",
        id,
        version,
        new.content.title,
        new.content.body().unwrap_or_default(),
        period,
        new.publisher,
        new.change_note,
        new.at,
        new.content.to_json(false),
        public_json,
        &digest[..],
        new.draft_id,
        new.approved_by
    )
    .execute(&mut **tx)
    .await?;
    sqlx::query!(
        "UPDATE disclosures SET current_version = $2 WHERE id = $1",
        id,
        version
    )
    .execute(&mut **tx)
    .await?;
    Ok(digest)
}

/// The SHA-256 of a version's canonical public JSON; `None` for a version published
/// before the lifecycle (or no such version).
pub async fn content_sha256(
    db: impl sqlx::PgExecutor<'_>,
    id: i64,
    version: i32,
) -> Result<Option<[u8; 32]>, sqlx::Error> {
    let row = sqlx::query_scalar!(
        "SELECT content_sha256 FROM disclosure_versions WHERE disclosure_id = $1 AND version = $2",
        id,
        version
    )
    .fetch_optional(db)
    .await?;
    row.flatten()
        .map(|b| {
            <[u8; 32]>::try_from(b.as_slice()).map_err(|_| {
                super::corrupt("content_sha256", format!("disclosure {id} v{version}"))
            })
        })
        .transpose()
}

/// A shown disclosure's place and current version, locked for the transaction.
pub struct Locked {
    pub region: RegionCode,
    pub module: Module,
    pub status: DisclosureStatus,
    pub current_version: i32,
    pub is_sample: bool,
}

pub async fn lock(tx: &mut PgTransaction<'_>, id: i64) -> Result<Option<Locked>, sqlx::Error> {
    let row = sqlx::query!(
        "SELECT region_code, module, status, current_version, is_sample FROM disclosures
         WHERE id = $1 FOR UPDATE",
        id
    )
    .fetch_optional(&mut **tx)
    .await?;
    row.map(|r| {
        Ok(Locked {
            region: RegionCode::parse(&r.region_code).map_err(|e| corrupt("region code", e))?,
            module: module(&r.module)?,
            status: status(&r.status)?,
            current_version: r.current_version,
            is_sample: r.is_sample,
        })
    })
    .transpose()
}

/// Marks a disclosure withdrawn, keeping every version (inside the caller's transaction).
pub async fn mark_withdrawn(
    tx: &mut PgTransaction<'_>,
    id: i64,
    reason: &WithdrawalReason,
    at: DateTime<Utc>,
) -> Result<bool, sqlx::Error> {
    let done = sqlx::query!(
        "UPDATE disclosures SET status = 'withdrawn', withdrawn_reason = $2, withdrawn_at = $3
         WHERE id = $1 AND status = 'published'",
        id,
        reason.as_str(),
        at
    )
    .execute(&mut **tx)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// The structured content of the current version, when it has one.
pub async fn current_content(
    executor: impl sqlx::PgExecutor<'_>,
    id: i64,
) -> Result<Option<StructuredContent>, sqlx::Error> {
    let found = sqlx::query_scalar!(
        "SELECT v.content FROM disclosures d
         JOIN disclosure_versions v ON v.disclosure_id = d.id AND v.version = d.current_version
         WHERE d.id = $1",
        id
    )
    .fetch_optional(executor)
    .await?
    .flatten();
    found
        .as_ref()
        .map(StructuredContent::from_json)
        .transpose()
        .map_err(|e| corrupt("version content", e))
}

/// A shown version's canonical public JSON and its SHA-256.
pub async fn public_json(
    pool: &PgPool,
    id: i64,
    version: i32,
) -> Result<Option<(String, Vec<u8>)>, sqlx::Error> {
    let row = sqlx::query!(
        "SELECT v.public_json, v.content_sha256 FROM disclosure_versions v
         JOIN disclosures d ON d.id = v.disclosure_id
         WHERE v.disclosure_id = $1 AND v.version = $2 AND d.status IN ('published', 'withdrawn')",
        id,
        version
    )
    .fetch_optional(pool)
    .await?;
    Ok(row.and_then(|r| r.public_json.zip(r.content_sha256)))
}

/// The name a region publishes under (its own name, e.g. 王岗村).
pub async fn publisher_name(
    tx: &mut PgTransaction<'_>,
    region: &RegionCode,
) -> Result<String, sqlx::Error> {
    sqlx::query_scalar!("SELECT name FROM regions WHERE code = $1", region.as_str())
        .fetch_one(&mut **tx)
        .await
}

/// The title of `about`'s version when it is a published (not withdrawn) disclosure of
/// `region_code`: what a complaint may ask about.
pub async fn published_version(
    executor: impl sqlx::PgExecutor<'_>,
    about: &crate::domain::complaint::DisclosureRef,
    region_code: &str,
) -> Result<Option<String>, sqlx::Error> {
    sqlx::query_scalar!(
        "SELECT v.title FROM disclosures d
         JOIN disclosure_versions v ON v.disclosure_id = d.id
         WHERE d.id = $1 AND v.version = $2 AND d.region_code = $3 AND d.status = 'published'",
        about.disclosure_id,
        about.version,
        region_code,
    )
    .fetch_optional(executor)
    .await
}

/// The title of a disclosure's version, whatever became of it since (a complaint's
/// reference is shown even after the disclosure was corrected or withdrawn).
pub async fn version_title(
    pool: &PgPool,
    disclosure_id: i64,
    version: i32,
) -> Result<Option<String>, sqlx::Error> {
    sqlx::query_scalar!(
        "SELECT title FROM disclosure_versions WHERE disclosure_id = $1 AND version = $2",
        disclosure_id,
        version,
    )
    .fetch_optional(pool)
    .await
}
