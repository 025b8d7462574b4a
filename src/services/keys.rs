//! `sunvillage keys rotate`: every data key not yet under the current master key is
//! unwrapped with the key it names and wrapped again under the current one. The data
//! itself is not touched (a data key stays the same key). Batches commit one by one,
//! so an interrupted run resumes where it stopped; a key wrapped under a master key
//! that is no longer configured, or that does not unwrap, is reported, never skipped
//! silently.

use sqlx::PgPool;

use crate::crypto::{CryptoError, Vault};
use crate::storage::data_keys;

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
