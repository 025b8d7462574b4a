//! The `outbox` table: template messages enqueued inside the transaction that causes
//! them, taken one at a time by delivery workers (`FOR UPDATE SKIP LOCKED`, so workers on
//! several machines never take the same row), and their outcome, including what
//! WeChat's `TEMPLATESENDJOBFINISH` event later reports.

use std::collections::BTreeMap;
use std::fmt;
use std::time::Duration;

use serde_json::Value;
use sqlx::PgPool;
use uuid::Uuid;

use super::{PgTransaction, data_keys};
use crate::crypto::{Field, Purpose, Vault, Wrapped};
use crate::domain::OpenId;
use crate::domain::notification::{Notification, TemplateJobStatus};

/// The channel `enqueue` notifies, so idle workers wake at once.
pub const CHANNEL: &str = "outbox";

/// A row of the outbox.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct OutboxId(i64);

impl OutboxId {
    pub fn get(self) -> i64 {
        self.0
    }
}

impl fmt::Display for OutboxId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

/// Where a row's sealed addressee lives.
pub fn openid_field(outbox_id: i64) -> Field {
    Field::new("outbox", "openid", outbox_id)
}

/// Adds a notification to the outbox inside the caller's transaction: it is sent if and
/// only if that transaction commits. Idle workers are woken on commit. The addressee is
/// sealed under a data key of the row; its lookup hash keeps a follower's rows in order.
pub async fn enqueue(
    tx: &mut PgTransaction<'_>,
    vault: &Vault,
    notification: &Notification,
) -> Result<OutboxId, sqlx::Error> {
    let id = sqlx::query_scalar!(
        r#"SELECT nextval(pg_get_serial_sequence('outbox', 'outbox_id')) AS "id!""#
    )
    .fetch_one(&mut **tx)
    .await?;
    let key = data_keys::create(tx, vault).await?;
    let openid = notification.openid().as_str();
    sqlx::query!(
        "INSERT INTO outbox (outbox_id, kind, data_key_id, openid_sealed, openid_hash,
             template_id, data, url, request_id)
         OVERRIDING SYSTEM VALUE VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
        id,
        notification.kind().as_str(),
        key.id,
        vault.seal(&key, &openid_field(id), openid.as_bytes()),
        vault.lookup(Purpose::OutboxOpenid, openid).0,
        notification.template_id(),
        notification.template_data(),
        notification.link(),
        // The request being served, when one is (a CLI command or a worker has none).
        crate::routes::request_context::current(),
    )
    .execute(&mut **tx)
    .await?;
    // Delivered at COMMIT, and only once per transaction however many rows it adds.
    sqlx::query!("SELECT pg_notify('outbox', '')::text AS notified")
        .fetch_one(&mut **tx)
        .await?;
    Ok(OutboxId(id))
}

/// A row taken for sending; its lock lives as long as the transaction it came with.
#[derive(Debug, Clone)]
pub struct OutboxTask {
    pub id: OutboxId,
    pub client_msg_id: Uuid,
    pub kind: String,
    pub openid: OpenId,
    pub template_id: String,
    pub data: Value,
    pub url: Option<String>,
    /// Attempts made before this one.
    pub attempts: i32,
    /// The request that wrote the row, for following it through the logs.
    pub request_id: Option<String>,
}

/// The oldest due row that no other worker holds, locked in a new transaction; `None`
/// when nothing is due. A follower's messages go out in the order they were written: a
/// row waits while an earlier one to the same follower is pending (being sent, or
/// waiting for its retry), so a status push never overtakes the one before it. The worker
/// decrypts the addressee here; a row whose openid does not open or no longer parses is
/// failed on the spot (the error names the row, never the openid) rather than retried
/// forever.
pub async fn next_due(
    pool: &PgPool,
    vault: &Vault,
) -> Result<Option<(PgTransaction<'static>, OutboxTask)>, sqlx::Error> {
    loop {
        let mut tx = pool.begin().await?;
        let Some(row) = sqlx::query!(
            r#"SELECT o.outbox_id, o.client_msg_id, o.kind, o.openid_sealed, o.template_id,
                      o.data, o.url, o.attempts, o.request_id, d.data_key_id AS "data_key_id?",
                      d.master_key AS "master_key?", d.wrapped
             FROM outbox o LEFT JOIN data_keys d ON d.data_key_id = o.data_key_id
             WHERE o.status = 'pending' AND o.next_attempt_at <= now()
               AND NOT EXISTS (
                   SELECT 1 FROM outbox earlier
                   WHERE earlier.openid_hash = o.openid_hash AND earlier.status = 'pending'
                     AND earlier.outbox_id < o.outbox_id)
             ORDER BY o.next_attempt_at, o.outbox_id
             LIMIT 1
             FOR UPDATE OF o SKIP LOCKED"#
        )
        .fetch_optional(&mut *tx)
        .await?
        else {
            tx.rollback().await?;
            return Ok(None);
        };
        let id = OutboxId(row.outbox_id);
        let field = openid_field(row.outbox_id);
        let opened = match (row.data_key_id, row.master_key, row.openid_sealed) {
            (Some(data_key_id), Some(master_key), Some(sealed)) => vault
                .unwrap(&Wrapped {
                    data_key_id,
                    master_key,
                    sealed: row.wrapped,
                })
                .and_then(|key| key.open_text(&field, &sealed))
                .map_err(|e| e.to_string()),
            _ => Err(format!("{field}: no sealed openid is stored")),
        };
        match opened.and_then(|raw| OpenId::parse(&raw).map_err(|e| e.to_string())) {
            Ok(openid) => {
                return Ok(Some((
                    tx,
                    OutboxTask {
                        id,
                        client_msg_id: row.client_msg_id,
                        kind: row.kind,
                        openid,
                        template_id: row.template_id,
                        data: row.data,
                        url: row.url,
                        attempts: row.attempts,
                        request_id: row.request_id,
                    },
                )));
            }
            Err(e) => {
                record_failed(&mut tx, id, &format!("stored openid is invalid: {e}")).await?;
                tx.commit().await?;
            }
        }
    }
}

/// The addressees of outbox rows after `after` (by id) that still hold a hash, opened:
/// what `keys rotate-lookup` recomputes. A row that does not open is returned with why.
pub async fn addressees_after(
    pool: &PgPool,
    vault: &Vault,
    after: i64,
    limit: i64,
) -> Result<Vec<(i64, Result<OpenId, String>)>, sqlx::Error> {
    let rows = sqlx::query!(
        r#"SELECT o.outbox_id, o.openid_sealed, d.data_key_id AS "data_key_id?",
                  d.master_key AS "master_key?", d.wrapped
           FROM outbox o LEFT JOIN data_keys d ON d.data_key_id = o.data_key_id
           WHERE o.outbox_id > $1 AND o.openid_hash IS NOT NULL
           ORDER BY o.outbox_id
           LIMIT $2"#,
        after,
        limit
    )
    .fetch_all(pool)
    .await?;
    Ok(rows
        .into_iter()
        .map(|row| {
            let field = openid_field(row.outbox_id);
            let opened = match (row.data_key_id, row.master_key, row.openid_sealed) {
                (Some(data_key_id), Some(master_key), Some(sealed)) => vault
                    .unwrap(&Wrapped {
                        data_key_id,
                        master_key,
                        sealed: row.wrapped,
                    })
                    .and_then(|key| key.open_text(&field, &sealed))
                    .map_err(|e| e.to_string()),
                _ => Err(format!("{field}: no sealed openid is stored")),
            };
            (
                row.outbox_id,
                opened.and_then(|raw| OpenId::parse(&raw).map_err(|e| e.to_string())),
            )
        })
        .collect())
}

/// Replaces an outbox row's lookup hash.
pub async fn set_openid_hash(
    executor: impl sqlx::PgExecutor<'_>,
    outbox_id: i64,
    hash: &[u8],
) -> Result<(), sqlx::Error> {
    sqlx::query!(
        "UPDATE outbox SET openid_hash = $2 WHERE outbox_id = $1 AND openid_hash IS NOT NULL",
        outbox_id,
        hash
    )
    .execute(executor)
    .await?;
    Ok(())
}

/// WeChat accepted the message.
pub async fn record_sent(
    tx: &mut PgTransaction<'_>,
    id: OutboxId,
    msgid: i64,
) -> Result<(), sqlx::Error> {
    sqlx::query!(
        "UPDATE outbox
         SET status = 'sent', msgid = $2, sent_at = now(), attempts = attempts + 1
         WHERE outbox_id = $1",
        id.0,
        msgid
    )
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// A transient failure: try again after `delay`.
pub async fn record_retry(
    tx: &mut PgTransaction<'_>,
    id: OutboxId,
    error: &str,
    delay: Duration,
) -> Result<(), sqlx::Error> {
    sqlx::query!(
        "UPDATE outbox
         SET attempts = attempts + 1, last_error = $2,
             next_attempt_at = now() + make_interval(secs => $3)
         WHERE outbox_id = $1",
        id.0,
        error,
        delay.as_secs_f64(),
    )
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// A final failure (the follower left, a bad openid or template, or too many attempts).
pub async fn record_failed(
    tx: &mut PgTransaction<'_>,
    id: OutboxId,
    error: &str,
) -> Result<(), sqlx::Error> {
    sqlx::query!(
        "UPDATE outbox SET status = 'failed', attempts = attempts + 1, last_error = $2
         WHERE outbox_id = $1",
        id.0,
        error
    )
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// Records what a `TEMPLATESENDJOBFINISH` event says about message `msgid`; the row it
/// marked, or `None` when no sent row has that msgid. Repeating an event is harmless.
pub async fn mark_delivery(
    pool: &PgPool,
    msgid: i64,
    status: TemplateJobStatus,
) -> Result<Option<OutboxId>, sqlx::Error> {
    let id = sqlx::query_scalar!(
        "UPDATE outbox SET delivery_status = $2, delivered_at = now()
         WHERE msgid = $1 AND status = 'sent'
         RETURNING outbox_id",
        msgid,
        status.as_str()
    )
    .fetch_optional(pool)
    .await?;
    Ok(id.map(OutboxId))
}

/// One row as stored, for operators and tests.
#[derive(Debug, Clone)]
pub struct OutboxEntry {
    pub id: OutboxId,
    pub client_msg_id: Uuid,
    pub kind: String,
    pub status: String,
    pub attempts: i32,
    pub last_error: Option<String>,
    pub msgid: Option<i64>,
    pub delivery_status: Option<String>,
}

pub async fn find(pool: &PgPool, id: OutboxId) -> Result<Option<OutboxEntry>, sqlx::Error> {
    let row = sqlx::query!(
        "SELECT outbox_id, client_msg_id, kind, status, attempts, last_error, msgid, delivery_status
         FROM outbox WHERE outbox_id = $1",
        id.0
    )
    .fetch_optional(pool)
    .await?;
    Ok(row.map(|r| OutboxEntry {
        id: OutboxId(r.outbox_id),
        client_msg_id: r.client_msg_id,
        kind: r.kind,
        status: r.status,
        attempts: r.attempts,
        last_error: r.last_error,
        msgid: r.msgid,
        delivery_status: r.delivery_status,
    }))
}

/// How many rows are pending, sent and failed.
pub async fn count_by_status(pool: &PgPool) -> Result<BTreeMap<String, i64>, sqlx::Error> {
    let rows = sqlx::query!(r#"SELECT status, count(*) AS "n!" FROM outbox GROUP BY status"#)
        .fetch_all(pool)
        .await?;
    Ok(rows.into_iter().map(|r| (r.status, r.n)).collect())
}
