//! The `data_keys` table: one random key per record, stored wrapped by a master key.

use crate::crypto::{DataKey, Vault, Wrapped};

use sqlx::PgConnection;

use super::PgTransaction;

/// A new data key for a record, stored wrapped under the current master key (in the
/// caller's transaction: a connection, so batch writers holding one can call it).
pub async fn create(conn: &mut PgConnection, vault: &Vault) -> Result<DataKey, sqlx::Error> {
    let mut keys = create_many(conn, vault, 1).await?;
    keys.pop().ok_or(sqlx::Error::RowNotFound)
}

/// `n` new data keys, stored wrapped, in two statements however many: the message log
/// seals a batch of followers seen for the first time at once.
pub async fn create_many(
    conn: &mut PgConnection,
    vault: &Vault,
    n: usize,
) -> Result<Vec<DataKey>, sqlx::Error> {
    if n == 0 {
        return Ok(Vec::new());
    }
    let count = i32::try_from(n).map_err(|e| sqlx::Error::Encode(Box::new(e)))?;
    // The ids are taken first: each wrapping is bound to the row it is stored in.
    let ids = sqlx::query_scalar!(
        r#"SELECT nextval(pg_get_serial_sequence('data_keys', 'data_key_id')) AS "id!"
           FROM generate_series(1, $1::int)"#,
        count
    )
    .fetch_all(&mut *conn)
    .await?;
    let keys: Vec<DataKey> = ids.iter().map(|&id| DataKey::random(id)).collect();
    let (masters, wrapped): (Vec<String>, Vec<Option<Vec<u8>>>) = keys
        .iter()
        .map(|key| {
            let w = vault.wrap(key);
            (w.master_key, w.sealed)
        })
        .unzip();
    sqlx::query!(
        "INSERT INTO data_keys (data_key_id, master_key, wrapped) OVERRIDING SYSTEM VALUE
         SELECT * FROM UNNEST($1::bigint[], $2::text[], $3::bytea[])",
        &ids,
        &masters,
        &wrapped as &[Option<Vec<u8>>],
    )
    .execute(&mut *conn)
    .await?;
    Ok(keys)
}

pub async fn find(
    executor: impl sqlx::PgExecutor<'_>,
    id: i64,
) -> Result<Option<Wrapped>, sqlx::Error> {
    let row = sqlx::query!(
        "SELECT data_key_id, master_key, wrapped FROM data_keys WHERE data_key_id = $1",
        id
    )
    .fetch_optional(executor)
    .await?;
    Ok(row.map(|r| Wrapped {
        data_key_id: r.data_key_id,
        master_key: r.master_key,
        sealed: r.wrapped,
    }))
}

/// Live keys not wrapped under `current`, after `after`, in id order: a batch for
/// `keys rotate`, locked until the transaction ends.
pub async fn not_under(
    tx: &mut PgTransaction<'_>,
    current: &str,
    after: i64,
    limit: i64,
) -> Result<Vec<Wrapped>, sqlx::Error> {
    let rows = sqlx::query!(
        "SELECT data_key_id, master_key, wrapped FROM data_keys
         WHERE wrapped IS NOT NULL AND master_key <> $1 AND data_key_id > $2
         ORDER BY data_key_id LIMIT $3 FOR UPDATE SKIP LOCKED",
        current,
        after,
        limit
    )
    .fetch_all(&mut **tx)
    .await?;
    Ok(rows
        .into_iter()
        .map(|r| Wrapped {
            data_key_id: r.data_key_id,
            master_key: r.master_key,
            sealed: r.wrapped,
        })
        .collect())
}

/// Stores a key re-wrapped under another master key.
pub async fn rewrap(tx: &mut PgTransaction<'_>, wrapped: &Wrapped) -> Result<(), sqlx::Error> {
    sqlx::query!(
        "UPDATE data_keys SET master_key = $2, wrapped = $3
         WHERE data_key_id = $1 AND wrapped IS NOT NULL",
        wrapped.data_key_id,
        wrapped.master_key,
        wrapped.sealed,
    )
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// How many live keys each master key wraps.
pub async fn count_by_master(
    executor: impl sqlx::PgExecutor<'_>,
) -> Result<Vec<(String, i64)>, sqlx::Error> {
    let rows = sqlx::query!(
        r#"SELECT master_key, count(*) AS "n!" FROM data_keys
           WHERE wrapped IS NOT NULL GROUP BY master_key ORDER BY master_key"#
    )
    .fetch_all(executor)
    .await?;
    Ok(rows.into_iter().map(|r| (r.master_key, r.n)).collect())
}

/// Destroys a data key for good: what it sealed can no longer be opened.
pub async fn shred(tx: &mut PgTransaction<'_>, id: i64) -> Result<(), sqlx::Error> {
    sqlx::query!(
        "UPDATE data_keys SET wrapped = NULL, shredded_at = now()
         WHERE data_key_id = $1 AND wrapped IS NOT NULL",
        id
    )
    .execute(&mut **tx)
    .await?;
    Ok(())
}
