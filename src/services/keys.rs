//! `sunvillage keys rotate`: every data key not yet under the current master key is
//! unwrapped with the key it names and wrapped again under the current one. The data
//! itself is not touched (a data key stays the same key). Batches commit one by one,
//! so an interrupted run resumes where it stopped; a key wrapped under a master key
//! that is no longer configured, or that does not unwrap, is reported, never skipped
//! silently.

use sqlx::PgPool;

use crate::crypto::{CryptoError, Purpose, Vault};
use crate::services::identity::{self, IdentityError};
use crate::storage::{self, data_keys};

/// Data keys handled per transaction.
pub const BATCH: i64 = 500;

/// What a rotation did.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Rotation {
    /// Keys now wrapped under the current master key.
    pub rewrapped: u64,
    /// Keys that could not be re-wrapped: (data key id, why), the reason naming the row
    /// and the master key id, never key material.
    pub failed: Vec<(i64, String)>,
}

/// Re-wraps every live data key under the current master key; `progress` is told
/// (done, total) after each batch.
pub async fn rotate(
    pool: &PgPool,
    vault: &Vault,
    batch: i64,
    mut progress: impl FnMut(u64, u64),
) -> Result<Rotation, sqlx::Error> {
    let current = vault.current_key().as_str().to_owned();
    let total: u64 = data_keys::count_by_master(pool)
        .await?
        .into_iter()
        .filter(|(master, _)| *master != current)
        .map(|(_, n)| u64::try_from(n).unwrap_or(0))
        .sum();
    let mut done = Rotation::default();
    let mut after = 0;
    loop {
        let mut tx = pool.begin().await?;
        let keys = data_keys::not_under(&mut tx, &current, after, batch.max(1)).await?;
        let Some(last) = keys.last() else {
            tx.rollback().await?;
            break;
        };
        after = last.data_key_id;
        for wrapped in &keys {
            match vault.unwrap(wrapped) {
                Ok(key) => {
                    data_keys::rewrap(&mut tx, &vault.wrap(&key)).await?;
                    done.rewrapped += 1;
                }
                Err(e @ (CryptoError::UnknownMasterKey { .. } | CryptoError::Refused { .. })) => {
                    done.failed.push((wrapped.data_key_id, e.to_string()));
                }
                Err(e) => done.failed.push((wrapped.data_key_id, e.to_string())),
            }
        }
        tx.commit().await?;
        progress(done.rewrapped + done.failed.len() as u64, total);
    }
    Ok(done)
}

/// What `keys rotate-lookup` did.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Rehash {
    /// Outbox rows and complaints whose hashes are now under the current lookup key.
    pub outbox: u64,
    pub complaints: u64,
    /// Rows whose identity did not open: ("outbox 7" / "complaint 42", why). Their
    /// hashes stay as they were, found only while the previous key is configured.
    pub failed: Vec<(String, String)>,
}

/// Recomputes every lookup hash that can be recomputed — those beside a sealed
/// identity, from the decrypted value — under the current lookup key and suite. The
/// outbox goes first (a follower's pending pushes are ordered by their hash). Safe to
/// run again: a row already under the current key gets the same hash. Hash-only rows
/// (`followers`, `inbound_messages`) cannot be recomputed without the openid: a
/// follower moves to the new hash when next seen, the rest stay findable only while
/// `crypto.previous_lookup_key` is configured (docs/privacy.md).
pub async fn rehash(
    pool: &PgPool,
    vault: &Vault,
    batch: i64,
    mut progress: impl FnMut(u64),
) -> Result<Rehash, sqlx::Error> {
    let mut done = Rehash::default();
    let mut after = 0;
    loop {
        let rows = storage::outbox::addressees_after(pool, vault, after, batch.max(1)).await?;
        let Some((last, _)) = rows.last() else {
            break;
        };
        after = *last;
        let mut tx = pool.begin().await?;
        for (id, opened) in rows {
            match opened {
                Ok(openid) => {
                    let hash = vault.lookup(Purpose::OutboxOpenid, openid.as_str());
                    storage::outbox::set_openid_hash(&mut *tx, id, hash.as_bytes()).await?;
                    done.outbox += 1;
                }
                Err(why) => done.failed.push((format!("outbox {id}"), why)),
            }
        }
        tx.commit().await?;
        progress(done.outbox + done.complaints + done.failed.len() as u64);
    }
    let mut after = 0;
    loop {
        let rows = storage::complaints::with_hashes_after(pool, after, batch.max(1)).await?;
        let Some(last) = rows.last() else {
            break;
        };
        after = last.complaint_id;
        let mut tx = pool.begin().await?;
        for row in &rows {
            match identity::open(vault, &row.identity) {
                Ok(opened) => {
                    let openid = vault.lookup(Purpose::ComplaintOpenid, opened.openid.as_str());
                    let phone = opened
                        .phone
                        .as_deref()
                        .map(|p| vault.lookup(Purpose::ComplainantPhone, p));
                    storage::complaints::set_hashes(
                        &mut *tx,
                        row.complaint_id,
                        openid.as_bytes(),
                        phone.as_ref().map(|h| h.as_bytes()),
                    )
                    .await?;
                    done.complaints += 1;
                }
                // Shredded meanwhile: nothing left to hash.
                Err(IdentityError::Shredded(_)) => {}
                Err(e) => done
                    .failed
                    .push((format!("complaint {}", row.complaint_id), e.to_string())),
            }
        }
        tx.commit().await?;
        progress(done.outbox + done.complaints + done.failed.len() as u64);
    }
    Ok(done)
}
