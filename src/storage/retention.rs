//! Crypto-shredding: destroying the data keys of records past their retention period.
//! The record stays (tracking number, village, category, status, timeline); what was
//! sealed under the key (identity, photos, a push's addressee) cannot be read again
//! with any key, and the lookup hashes go too, so nobody can even test a guess.

use chrono::{DateTime, Utc};

use super::PgTransaction;

/// A complaint whose identity was just destroyed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ShreddedComplaint {
    pub complaint_id: i64,
    pub tracking_number: String,
    pub village_code: String,
}

/// Shreds up to `limit` complaints closed (concluded, rated or rejected) before
/// `cutoff`; returns which.
pub async fn shred_complaints_closed_before(
    tx: &mut PgTransaction<'_>,
    cutoff: DateTime<Utc>,
    limit: i64,
) -> Result<Vec<ShreddedComplaint>, sqlx::Error> {
    sqlx::query_as!(
        ShreddedComplaint,
        r#"WITH due AS (
               SELECT complaint_id, data_key_id FROM complaints
               WHERE identity_shredded_at IS NULL
                 AND status IN ('concluded', 'rated', 'rejected')
                 AND COALESCE(concluded_at, updated_at) < $1
               ORDER BY complaint_id LIMIT $2 FOR UPDATE),
           destroyed AS (
               UPDATE data_keys d SET wrapped = NULL, shredded_at = now()
               FROM due WHERE d.data_key_id = due.data_key_id AND d.wrapped IS NOT NULL
               RETURNING d.data_key_id)
           UPDATE complaints c
           SET identity_shredded_at = now(), openid_hash = NULL, phone_hash = NULL
           FROM due WHERE c.complaint_id = due.complaint_id
           RETURNING c.complaint_id, c.tracking_number, c.village_code"#,
        cutoff,
        limit
    )
    .fetch_all(&mut **tx)
    .await
}

/// Shreds the addressee of up to `limit` outbox rows settled (sent or failed) before
/// `cutoff`; returns how many.
pub async fn shred_outbox_settled_before(
    tx: &mut PgTransaction<'_>,
    cutoff: DateTime<Utc>,
    limit: i64,
) -> Result<u64, sqlx::Error> {
    let done = sqlx::query!(
        r#"WITH due AS (
               SELECT o.outbox_id, o.data_key_id FROM outbox o
               JOIN data_keys d ON d.data_key_id = o.data_key_id
               WHERE o.status IN ('sent', 'failed') AND o.updated_at < $1
                 AND d.wrapped IS NOT NULL
               ORDER BY o.outbox_id LIMIT $2 FOR UPDATE OF o),
           destroyed AS (
               UPDATE data_keys d SET wrapped = NULL, shredded_at = now()
               FROM due WHERE d.data_key_id = due.data_key_id
               RETURNING d.data_key_id)
           UPDATE outbox o SET openid_hash = NULL
           FROM due WHERE o.outbox_id = due.outbox_id"#,
        cutoff,
        limit
    )
    .execute(&mut **tx)
    .await?;
    Ok(done.rows_affected())
}

/// Shreds the sealed openid of up to `limit` followers unsubscribed before `cutoff`;
/// returns how many. It only ever addressed the village's push, which an unsubscribed
/// follower no longer gets. The row stays (hash, binding, times): a follower who comes
/// back is found by the hash and sealed again under a new key.
pub async fn shred_followers_unsubscribed_before(
    tx: &mut PgTransaction<'_>,
    cutoff: DateTime<Utc>,
    limit: i64,
) -> Result<u64, sqlx::Error> {
    let done = sqlx::query!(
        r#"WITH due AS (
               SELECT follower_id, data_key_id FROM followers
               WHERE NOT subscribed AND unsubscribed_at < $1 AND openid_sealed IS NOT NULL
               ORDER BY follower_id LIMIT $2 FOR UPDATE),
           destroyed AS (
               UPDATE data_keys d SET wrapped = NULL, shredded_at = now()
               FROM due WHERE d.data_key_id = due.data_key_id AND d.wrapped IS NOT NULL
               RETURNING d.data_key_id)
           UPDATE followers f SET openid_sealed = NULL
           FROM due WHERE f.follower_id = due.follower_id"#,
        cutoff,
        limit
    )
    .execute(&mut **tx)
    .await?;
    Ok(done.rows_affected())
}
