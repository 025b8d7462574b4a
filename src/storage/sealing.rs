//! Sealing what was stored before identities were encrypted: the service runs this at
//! start-up (after the migrations), so a database is never left half plaintext. Each
//! complaint or outbox row is sealed and its plaintext emptied in one transaction;
//! a second run finds nothing to do.

use sqlx::PgPool;

use super::complaints::{field, photo_field};
use super::outbox::openid_field;
use super::{PgTransaction, data_keys, followers};
use crate::crypto::{Purpose, Vault};

/// How many rows a run sealed.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Sealed {
    pub complaints: u64,
    pub photos: u64,
    pub outbox: u64,
    /// Followers (their openid sealed beside it) and messages whose openid was replaced
    /// by its lookup hash.
    pub followers: u64,
    pub messages: u64,
}

const BATCH: i64 = 200;

/// Seals every plaintext identity, photo and outbox addressee still stored.
pub async fn seal_plaintext(pool: &PgPool, vault: &Vault) -> Result<Sealed, sqlx::Error> {
    let mut done = Sealed::default();
    loop {
        let mut tx = pool.begin().await?;
        let n = seal_complaints(&mut tx, vault, &mut done).await?;
        tx.commit().await?;
        if n == 0 {
            break;
        }
    }
    loop {
        let mut tx = pool.begin().await?;
        let n = seal_outbox(&mut tx, vault).await?;
        tx.commit().await?;
        done.outbox += n;
        if n == 0 {
            break;
        }
    }
    loop {
        let mut tx = pool.begin().await?;
        let (followers, messages) = hash_followers(&mut tx, vault).await?;
        tx.commit().await?;
        done.followers += followers;
        done.messages += messages;
        if followers == 0 && messages == 0 {
            break;
        }
    }
    Ok(done)
}

/// Replaces the openids of up to a batch of followers, and of their messages, by the
/// lookup hash; a follower's is also sealed under a data key of the row. A follower already stored under the hash (written by a newer instance
/// meanwhile) absorbs the old row's binding and times.
async fn hash_followers(
    tx: &mut PgTransaction<'_>,
    vault: &Vault,
) -> Result<(u64, u64), sqlx::Error> {
    let openids = sqlx::query_scalar!(
        r#"SELECT openid AS "openid!" FROM followers WHERE openid IS NOT NULL
           UNION SELECT openid AS "openid!" FROM inbound_messages WHERE openid IS NOT NULL
           LIMIT $1"#,
        BATCH
    )
    .fetch_all(&mut **tx)
    .await?;
    let (mut followers, mut messages) = (0, 0);
    for openid in &openids {
        let hash = vault.lookup(Purpose::FollowerOpenid, openid).0;
        sqlx::query!(
            "UPDATE followers h SET
                 village_code = coalesce(h.village_code, o.village_code),
                 subscribed_at = greatest(h.subscribed_at, o.subscribed_at),
                 unsubscribed_at = greatest(h.unsubscribed_at, o.unsubscribed_at),
                 first_seen_at = least(h.first_seen_at, o.first_seen_at),
                 last_seen_at = greatest(h.last_seen_at, o.last_seen_at)
             FROM followers o WHERE h.openid_hash = $2 AND o.openid = $1",
            openid,
            hash
        )
        .execute(&mut **tx)
        .await?;
        sqlx::query!(
            "DELETE FROM followers WHERE openid = $1
                 AND EXISTS (SELECT 1 FROM followers WHERE openid_hash = $2)",
            openid,
            hash
        )
        .execute(&mut **tx)
        .await?;
        followers += sqlx::query!(
            "UPDATE followers SET openid_hash = $2, openid = NULL WHERE openid = $1",
            openid,
            hash
        )
        .execute(&mut **tx)
        .await?
        .rows_affected();
        // The row now under the hash keeps the openid sealed (the evening push reads it).
        let unsealed = sqlx::query_scalar!(
            "SELECT follower_id FROM followers WHERE openid_hash = $1 AND openid_sealed IS NULL",
            hash
        )
        .fetch_optional(&mut **tx)
        .await?;
        if let Some(follower_id) = unsealed {
            followers::seal_if_unsealed(tx, vault, follower_id, true, openid).await?;
        }
        // A message stored twice (once per form) is kept once.
        sqlx::query!(
            "DELETE FROM inbound_messages m WHERE m.openid = $1 AND EXISTS (
                 SELECT 1 FROM inbound_messages h
                 WHERE h.openid_hash = $2 AND h.msg_id = m.msg_id AND h.sent_at = m.sent_at)",
            openid,
            hash
        )
        .execute(&mut **tx)
        .await?;
        messages += sqlx::query!(
            "UPDATE inbound_messages SET openid_hash = $2, openid = NULL WHERE openid = $1",
            openid,
            hash
        )
        .execute(&mut **tx)
        .await?
        .rows_affected();
    }
    Ok((followers, messages))
}

async fn seal_complaints(
    tx: &mut PgTransaction<'_>,
    vault: &Vault,
    done: &mut Sealed,
) -> Result<u64, sqlx::Error> {
    let rows = sqlx::query!(
        r#"SELECT complaint_id, openid AS "openid!", complainant_name, complainant_phone
           FROM complaints WHERE openid IS NOT NULL
           ORDER BY complaint_id LIMIT $1 FOR UPDATE"#,
        BATCH
    )
    .fetch_all(&mut **tx)
    .await?;
    for r in &rows {
        let id = r.complaint_id;
        let key = data_keys::create(tx, vault).await?;
        let name = r
            .complainant_name
            .as_ref()
            .map(|n| vault.seal(&key, &field(id, "name"), n.as_bytes()));
        let phone = r
            .complainant_phone
            .as_ref()
            .map(|p| vault.seal(&key, &field(id, "phone"), p.as_bytes()));
        let phone_hash = r
            .complainant_phone
            .as_ref()
            .map(|p| vault.lookup(Purpose::ComplainantPhone, p).0);
        sqlx::query!(
            "UPDATE complaints SET data_key_id = $2, openid_sealed = $3, openid_hash = $4,
                 name_sealed = $5, phone_sealed = $6, phone_hash = $7,
                 openid = NULL, complainant_name = NULL, complainant_phone = NULL
             WHERE complaint_id = $1",
            id,
            key.id,
            vault.seal(&key, &field(id, "openid"), r.openid.as_bytes()),
            vault.lookup(Purpose::ComplaintOpenid, &r.openid).0,
            name,
            phone,
            phone_hash,
        )
        .execute(&mut **tx)
        .await?;
        let photos = sqlx::query!(
            r#"SELECT position, bytes AS "bytes!" FROM complaint_photos
               WHERE complaint_id = $1 AND bytes IS NOT NULL"#,
            id
        )
        .fetch_all(&mut **tx)
        .await?;
        for p in photos {
            let sealed = vault.seal(&key, &photo_field(id, p.position), &p.bytes);
            sqlx::query!(
                "UPDATE complaint_photos SET sealed = $3, bytes = NULL
                 WHERE complaint_id = $1 AND position = $2",
                id,
                p.position,
                sealed
            )
            .execute(&mut **tx)
            .await?;
            done.photos += 1;
        }
        done.complaints += 1;
    }
    Ok(rows.len() as u64)
}

async fn seal_outbox(tx: &mut PgTransaction<'_>, vault: &Vault) -> Result<u64, sqlx::Error> {
    let rows = sqlx::query!(
        r#"SELECT outbox_id, openid AS "openid!" FROM outbox WHERE openid IS NOT NULL
           ORDER BY outbox_id LIMIT $1 FOR UPDATE"#,
        BATCH
    )
    .fetch_all(&mut **tx)
    .await?;
    for r in &rows {
        let key = data_keys::create(tx, vault).await?;
        sqlx::query!(
            "UPDATE outbox SET data_key_id = $2, openid_sealed = $3, openid_hash = $4, openid = NULL
             WHERE outbox_id = $1",
            r.outbox_id,
            key.id,
            vault.seal(&key, &openid_field(r.outbox_id), r.openid.as_bytes()),
            vault.lookup(Purpose::OutboxOpenid, &r.openid).0,
        )
        .execute(&mut **tx)
        .await?;
    }
    Ok(rows.len() as u64)
}
