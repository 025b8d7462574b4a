//! The transparency log's tables: entries, stored subtree hashes, signed checkpoints
//! and the head row that serialises appends. Nothing here updates or deletes; the
//! migration's triggers refuse it anyway.

use chrono::{DateTime, Utc};
use sqlx::PgExecutor;

use super::{PgTransaction, corrupt};
use crate::transparency::hash::Hash;

/// Locks the log's head for this transaction and returns its size: the index the next
/// entry gets. Concurrent appends wait here, so indexes are dense and in commit order.
pub async fn lock_head(tx: &mut PgTransaction<'_>) -> Result<u64, sqlx::Error> {
    let size = sqlx::query_scalar!("SELECT size FROM tlog_head FOR UPDATE")
        .fetch_one(&mut **tx)
        .await?;
    u64::try_from(size).map_err(|e| corrupt("log size", e))
}

/// The log's size as committed.
pub async fn size(db: impl PgExecutor<'_>) -> Result<u64, sqlx::Error> {
    let size = sqlx::query_scalar!("SELECT size FROM tlog_head")
        .fetch_one(db)
        .await?;
    u64::try_from(size).map_err(|e| corrupt("log size", e))
}

fn stored_hash(stored_index: i64, hash: &[u8]) -> Result<(u64, Hash), sqlx::Error> {
    let index = u64::try_from(stored_index).map_err(|e| corrupt("stored index", e))?;
    let hash = Hash::from_slice(hash)
        .ok_or_else(|| corrupt("log hash", format!("stored index {index}")))?;
    Ok((index, hash))
}

/// Stored hashes by stored index; a missing one is absent from the result.
pub async fn hashes(
    db: impl PgExecutor<'_>,
    stored_indexes: &[u64],
) -> Result<Vec<(u64, Hash)>, sqlx::Error> {
    let wanted: Vec<i64> = stored_indexes
        .iter()
        .map(|&i| i64::try_from(i).map_err(|e| corrupt("stored index", e)))
        .collect::<Result<_, _>>()?;
    let rows = sqlx::query!(
        "SELECT stored_index, hash FROM tlog_hashes WHERE stored_index = ANY($1)",
        &wanted
    )
    .fetch_all(db)
    .await?;
    rows.into_iter()
        .map(|r| stored_hash(r.stored_index, &r.hash))
        .collect()
}

/// Appends entry `index` with its hashes (stored indexes consecutive from `first_stored`)
/// and moves the head on by one. The caller holds the head lock.
pub async fn append(
    tx: &mut PgTransaction<'_>,
    index: u64,
    entry: &[u8],
    subject: &str,
    first_stored: u64,
    hashes: &[Hash],
) -> Result<(), sqlx::Error> {
    let idx = i64::try_from(index).map_err(|e| corrupt("log index", e))?;
    let first = i64::try_from(first_stored).map_err(|e| corrupt("stored index", e))?;
    sqlx::query!(
        "INSERT INTO tlog_entries (idx, entry, subject) VALUES ($1, $2, $3)",
        idx,
        entry,
        subject
    )
    .execute(&mut **tx)
    .await?;
    let stored: Vec<i64> = (first..).take(hashes.len()).collect();
    let bytes: Vec<Vec<u8>> = hashes.iter().map(|h| h.as_bytes().to_vec()).collect();
    sqlx::query!(
        "INSERT INTO tlog_hashes (stored_index, hash) SELECT * FROM UNNEST($1::bigint[], $2::bytea[])",
        &stored,
        &bytes
    )
    .execute(&mut **tx)
    .await?;
    sqlx::query!("UPDATE tlog_head SET size = size + 1")
        .execute(&mut **tx)
        .await?;
    Ok(())
}

/// One stored entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredEntry {
    pub index: u64,
    pub entry: Vec<u8>,
    pub subject: String,
    pub created_at: DateTime<Utc>,
}

fn stored_entry(
    idx: i64,
    entry: Vec<u8>,
    subject: String,
    created_at: DateTime<Utc>,
) -> Result<StoredEntry, sqlx::Error> {
    Ok(StoredEntry {
        index: u64::try_from(idx).map_err(|e| corrupt("log index", e))?,
        entry,
        subject,
        created_at,
    })
}

/// Entries `from..to` in order (fewer if the log is shorter).
pub async fn entries(
    db: impl PgExecutor<'_>,
    from: u64,
    to: u64,
) -> Result<Vec<StoredEntry>, sqlx::Error> {
    let from = i64::try_from(from).map_err(|e| corrupt("log index", e))?;
    let to = i64::try_from(to).map_err(|e| corrupt("log index", e))?;
    let rows = sqlx::query!(
        "SELECT idx, entry, subject, created_at FROM tlog_entries
         WHERE idx >= $1 AND idx < $2 ORDER BY idx",
        from,
        to
    )
    .fetch_all(db)
    .await?;
    rows.into_iter()
        .map(|r| stored_entry(r.idx, r.entry, r.subject, r.created_at))
        .collect()
}

/// The newest entries, newest first.
pub async fn recent(db: impl PgExecutor<'_>, n: i64) -> Result<Vec<StoredEntry>, sqlx::Error> {
    let rows = sqlx::query!(
        "SELECT idx, entry, subject, created_at FROM tlog_entries ORDER BY idx DESC LIMIT $1",
        n
    )
    .fetch_all(db)
    .await?;
    rows.into_iter()
        .map(|r| stored_entry(r.idx, r.entry, r.subject, r.created_at))
        .collect()
}

/// The indexes of every entry about `subject`, oldest first.
pub async fn indexes_of(db: impl PgExecutor<'_>, subject: &str) -> Result<Vec<u64>, sqlx::Error> {
    let rows = sqlx::query_scalar!(
        "SELECT idx FROM tlog_entries WHERE subject = $1 ORDER BY idx",
        subject
    )
    .fetch_all(db)
    .await?;
    rows.into_iter()
        .map(|i| u64::try_from(i).map_err(|e| corrupt("log index", e)))
        .collect()
}

/// Every entry about `subject`, oldest first.
pub async fn entries_about(
    db: impl PgExecutor<'_>,
    subject: &str,
) -> Result<Vec<StoredEntry>, sqlx::Error> {
    let rows = sqlx::query!(
        "SELECT idx, entry, subject, created_at FROM tlog_entries WHERE subject = $1 ORDER BY idx",
        subject
    )
    .fetch_all(db)
    .await?;
    rows.into_iter()
        .map(|r| stored_entry(r.idx, r.entry, r.subject, r.created_at))
        .collect()
}

/// Stored hashes with stored index in `from..to`, in order.
pub async fn hashes_range(
    db: impl PgExecutor<'_>,
    from: u64,
    to: u64,
) -> Result<Vec<(u64, Hash)>, sqlx::Error> {
    let from = i64::try_from(from).map_err(|e| corrupt("stored index", e))?;
    let to = i64::try_from(to).map_err(|e| corrupt("stored index", e))?;
    let rows = sqlx::query!(
        "SELECT stored_index, hash FROM tlog_hashes
         WHERE stored_index >= $1 AND stored_index < $2 ORDER BY stored_index",
        from,
        to
    )
    .fetch_all(db)
    .await?;
    rows.into_iter()
        .map(|r| stored_hash(r.stored_index, &r.hash))
        .collect()
}

/// A kept signed checkpoint.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredCheckpoint {
    pub size: u64,
    pub note: String,
    pub created_at: DateTime<Utc>,
}

/// Keeps a signed checkpoint; `false` when one of that size is already kept (another
/// instance signed the same size first).
pub async fn insert_checkpoint(
    db: impl PgExecutor<'_>,
    size: u64,
    note: &str,
) -> Result<bool, sqlx::Error> {
    let size = i64::try_from(size).map_err(|e| corrupt("log size", e))?;
    let done = sqlx::query!(
        "INSERT INTO tlog_checkpoints (size, note) VALUES ($1, $2) ON CONFLICT (size) DO NOTHING",
        size,
        note
    )
    .execute(db)
    .await?;
    Ok(done.rows_affected() == 1)
}

fn checkpoint_of(
    size: i64,
    note: String,
    created_at: DateTime<Utc>,
) -> Result<StoredCheckpoint, sqlx::Error> {
    Ok(StoredCheckpoint {
        size: u64::try_from(size).map_err(|e| corrupt("checkpoint size", e))?,
        note,
        created_at,
    })
}

/// The largest kept checkpoint.
pub async fn latest_checkpoint(
    db: impl PgExecutor<'_>,
) -> Result<Option<StoredCheckpoint>, sqlx::Error> {
    let row = sqlx::query!(
        "SELECT size, note, created_at FROM tlog_checkpoints ORDER BY size DESC LIMIT 1"
    )
    .fetch_optional(db)
    .await?;
    row.map(|r| checkpoint_of(r.size, r.note, r.created_at))
        .transpose()
}

/// The kept checkpoint of exactly `size` entries.
pub async fn checkpoint_of_size(
    db: impl PgExecutor<'_>,
    size: u64,
) -> Result<Option<StoredCheckpoint>, sqlx::Error> {
    let size = i64::try_from(size).map_err(|e| corrupt("checkpoint size", e))?;
    let row = sqlx::query!(
        "SELECT size, note, created_at FROM tlog_checkpoints WHERE size = $1",
        size
    )
    .fetch_optional(db)
    .await?;
    row.map(|r| checkpoint_of(r.size, r.note, r.created_at))
        .transpose()
}

/// Kept checkpoints, newest first, a page at a time.
pub async fn checkpoints(
    db: impl PgExecutor<'_>,
    limit: i64,
    offset: i64,
) -> Result<Vec<StoredCheckpoint>, sqlx::Error> {
    let rows = sqlx::query!(
        "SELECT size, note, created_at FROM tlog_checkpoints ORDER BY size DESC LIMIT $1 OFFSET $2",
        limit,
        offset
    )
    .fetch_all(db)
    .await?;
    rows.into_iter()
        .map(|r| checkpoint_of(r.size, r.note, r.created_at))
        .collect()
}

/// Every kept checkpoint, smallest first (for `verify-log`).
pub async fn all_checkpoints(
    db: impl PgExecutor<'_>,
) -> Result<Vec<StoredCheckpoint>, sqlx::Error> {
    let rows = sqlx::query!("SELECT size, note, created_at FROM tlog_checkpoints ORDER BY size")
        .fetch_all(db)
        .await?;
    rows.into_iter()
        .map(|r| checkpoint_of(r.size, r.note, r.created_at))
        .collect()
}

/// The last checkpoint of each day in China, newest day first, a page at a time.
pub async fn daily_checkpoints(
    db: impl PgExecutor<'_>,
    days: i64,
    offset: i64,
) -> Result<Vec<StoredCheckpoint>, sqlx::Error> {
    let rows = sqlx::query!(
        r#"SELECT size AS "size!", note AS "note!", created_at AS "created_at!" FROM (
             SELECT DISTINCT ON ((created_at AT TIME ZONE 'Asia/Shanghai')::date) size, note, created_at
             FROM tlog_checkpoints
             ORDER BY (created_at AT TIME ZONE 'Asia/Shanghai')::date DESC, size DESC
           ) daily ORDER BY size DESC LIMIT $1 OFFSET $2"#,
        days,
        offset
    )
    .fetch_all(db)
    .await?;
    rows.into_iter()
        .map(|r| checkpoint_of(r.size, r.note, r.created_at))
        .collect()
}
