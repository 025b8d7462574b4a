//! `power_list_adoptions`: the documents that adopted the power list, append-only.

use chrono::{DateTime, NaiveDate, Utc};
use sqlx::PgPool;

use super::PgTransaction;
use crate::domain::power_adoption::Adoption;

/// An adoption as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Recorded {
    pub id: i64,
    pub title: String,
    pub doc_number: String,
    pub adopted_on: NaiveDate,
    pub issuer: String,
    pub recorded_by: Option<String>,
    pub recorded_at: DateTime<Utc>,
}

pub async fn insert(
    tx: &mut PgTransaction<'_>,
    a: &Adoption,
    account_id: i64,
) -> Result<i64, sqlx::Error> {
    sqlx::query_scalar!(
        "INSERT INTO power_list_adoptions (title, doc_number, adopted_on, issuer, account_id)
         VALUES ($1, $2, $3, $4, $5) RETURNING id",
        a.title(),
        a.doc_number(),
        a.adopted_on(),
        a.issuer(),
        account_id,
    )
    .fetch_one(&mut **tx)
    .await
}

/// Every adoption, the latest first (by date, then by when it was recorded).
pub async fn history(pool: &PgPool) -> Result<Vec<Recorded>, sqlx::Error> {
    let rows = sqlx::query!(
        r#"SELECT p.id, p.title, p.doc_number, p.adopted_on, p.issuer, p.recorded_at,
                  a.display_name AS "recorded_by?"
           FROM power_list_adoptions p
           LEFT JOIN staff_accounts a ON a.account_id = p.account_id
           ORDER BY p.adopted_on DESC, p.id DESC
           LIMIT 200"#
    )
    .fetch_all(pool)
    .await?;
    Ok(rows
        .into_iter()
        .map(|r| Recorded {
            id: r.id,
            title: r.title,
            doc_number: r.doc_number,
            adopted_on: r.adopted_on,
            issuer: r.issuer,
            recorded_by: r.recorded_by,
            recorded_at: r.recorded_at,
        })
        .collect())
}

/// The adoption in force: the latest.
pub async fn latest(pool: &PgPool) -> Result<Option<Recorded>, sqlx::Error> {
    Ok(history(pool).await?.into_iter().next())
}

/// Whether the adoption `id` was recorded.
pub async fn exists(tx: &mut PgTransaction<'_>, id: i64) -> Result<bool, sqlx::Error> {
    sqlx::query_scalar!(
        r#"SELECT EXISTS (SELECT 1 FROM power_list_adoptions WHERE id = $1) AS "exists!""#,
        id
    )
    .fetch_one(&mut **tx)
    .await
}
