//! `power_list_versions`: every version of the power list, whole, append-only. The
//! current one is also written out to `power_items` and its step tables
//! (`storage::power::rewrite`) in the same transaction, for the public pages.

use chrono::{DateTime, Utc};
use sqlx::PgPool;

use super::{PgTransaction, corrupt};
use crate::domain::PowerList;

/// A version as stored, with who made it and the document it belongs to.
#[derive(Debug, Clone)]
pub struct Version {
    pub version: i32,
    pub list: PowerList,
    pub reason: String,
    /// The staff member's name; `None` for the system or the command line.
    pub by: Option<String>,
    pub recorded_at: DateTime<Utc>,
    /// `文号` of the adopting document.
    pub adoption: Option<String>,
}

/// The number and date of the version in force, for the public pages (one row by the
/// primary key's index).
pub async fn header(pool: &PgPool) -> Result<Option<(i32, DateTime<Utc>)>, sqlx::Error> {
    let row = sqlx::query!(
        "SELECT version, recorded_at FROM power_list_versions ORDER BY version DESC LIMIT 1"
    )
    .fetch_optional(pool)
    .await?;
    Ok(row.map(|r| (r.version, r.recorded_at)))
}

fn list_of(version: i32, value: serde_json::Value) -> Result<PowerList, sqlx::Error> {
    PowerList::from_json(value).map_err(|e| corrupt(&format!("power list version {version}"), e))
}

/// The version in force; read it under `storage::power::lock` to change it.
pub async fn current(
    db: impl sqlx::PgExecutor<'_>,
) -> Result<Option<(i32, PowerList)>, sqlx::Error> {
    let Some(r) =
        sqlx::query!("SELECT version, list FROM power_list_versions ORDER BY version DESC LIMIT 1")
            .fetch_optional(db)
            .await?
    else {
        return Ok(None);
    };
    Ok(Some((r.version, list_of(r.version, r.list)?)))
}

/// Appends a version.
pub async fn insert(
    tx: &mut PgTransaction<'_>,
    version: i32,
    list: &PowerList,
    reason: &str,
    account_id: Option<i64>,
    adoption_id: Option<i64>,
) -> Result<(), sqlx::Error> {
    sqlx::query!(
        "INSERT INTO power_list_versions (version, list, reason, account_id, adoption_id)
         VALUES ($1, $2, $3, $4, $5)",
        version,
        list.to_json(),
        reason,
        account_id,
        adoption_id,
    )
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// The latest `limit` versions, newest first, and the one before the oldest of them (to
/// say what the oldest changed).
pub async fn recent(pool: &PgPool, limit: i64) -> Result<Vec<Version>, sqlx::Error> {
    let rows = sqlx::query!(
        r#"SELECT v.version, v.list, v.reason, v.recorded_at,
                  a.display_name AS "by?", d.doc_number AS "adoption?"
           FROM power_list_versions v
           LEFT JOIN staff_accounts a ON a.account_id = v.account_id
           LEFT JOIN power_list_adoptions d ON d.id = v.adoption_id
           ORDER BY v.version DESC
           LIMIT $1"#,
        limit + 1
    )
    .fetch_all(pool)
    .await?;
    rows.into_iter()
        .map(|r| {
            Ok(Version {
                list: list_of(r.version, r.list)?,
                version: r.version,
                reason: r.reason,
                by: r.by,
                recorded_at: r.recorded_at,
                adoption: r.adoption,
            })
        })
        .collect()
}
