//! What the daily push to a village's followers reads and writes: the village's
//! publications in a window, its followers who want the push, the once-a-day row
//! (`village_pushes`, keyed by the follower's lookup hash and the day), and the
//! follower's switch (`followers.village_pushes`). Followers are found by their lookup
//! hash and addressed by their sealed openid (storage::followers).

use chrono::{DateTime, NaiveDate, Utc};
use sqlx::PgPool;

use super::{PgTransaction, corrupt, followers};
use crate::crypto::{Purpose, Vault, Wrapped};
use crate::domain::{Module, OpenId, VillageCode};

/// A village's publications in a window, oldest first.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VillagePublications {
    pub village: VillageCode,
    pub name: String,
    pub modules: Vec<Module>,
}

/// Every village that published (first versions, still public, no sample content) in
/// `[from, to)`, with the modules of its publications in the order they were published.
pub async fn published_between(
    pool: &PgPool,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
) -> Result<Vec<VillagePublications>, sqlx::Error> {
    let rows = sqlx::query!(
        r#"SELECT d.region_code, r.display_name, d.module
           FROM disclosures d JOIN regions r ON r.code = d.region_code
           WHERE d.status = 'published' AND NOT d.is_sample
             AND d.published_at >= $1 AND d.published_at < $2
             AND r.level = 'village'
           ORDER BY d.region_code, d.published_at, d.id"#,
        from,
        to,
    )
    .fetch_all(pool)
    .await?;
    let mut out: Vec<VillagePublications> = Vec::new();
    for r in rows {
        let module = Module::parse(&r.module).map_err(|e| corrupt("module", e))?;
        match out.last_mut() {
            Some(last) if last.village.as_str() == r.region_code => last.modules.push(module),
            _ => out.push(VillagePublications {
                village: VillageCode::parse(&r.region_code)
                    .map_err(|e| corrupt("village code", e))?,
                name: r.display_name,
                modules: vec![module],
            }),
        }
    }
    Ok(out)
}

/// The followers bound to `village` who follow the account and have not turned the push
/// off, their openids opened (one data key each). A follower whose openid is not stored
/// sealed (hashed before followers were sealed: sealed again when next seen) cannot be
/// addressed and is left out, as is one whose openid does not open (logged by row).
pub async fn followers_of(
    pool: &PgPool,
    vault: &Vault,
    village: &VillageCode,
) -> Result<Vec<OpenId>, sqlx::Error> {
    let rows = sqlx::query!(
        r#"SELECT f.follower_id, f.openid_sealed AS "openid_sealed!",
                  d.data_key_id AS "data_key_id?", d.master_key AS "master_key?", d.wrapped
           FROM followers f LEFT JOIN data_keys d ON d.data_key_id = f.data_key_id
           WHERE f.village_code = $1 AND f.subscribed AND f.village_pushes
             AND f.openid_sealed IS NOT NULL
           ORDER BY f.follower_id"#,
        village.as_str()
    )
    .fetch_all(pool)
    .await?;
    let mut out = Vec::with_capacity(rows.len());
    for row in rows {
        let field = followers::openid_field(row.follower_id);
        let opened = match (row.data_key_id, row.master_key) {
            (Some(data_key_id), Some(master_key)) => vault
                .unwrap(&Wrapped {
                    data_key_id,
                    master_key,
                    sealed: row.wrapped,
                })
                .and_then(|key| key.open_text(&field, &row.openid_sealed))
                .map_err(|e| e.to_string()),
            _ => Err(format!("{field}: its data key is missing")),
        };
        match opened.and_then(|raw| OpenId::parse(&raw).map_err(|e| e.to_string())) {
            Ok(openid) => out.push(openid),
            // The error names the row and the key, never the openid.
            Err(e) => {
                tracing::warn!(error = %e, "no push for a follower: their openid does not open")
            }
        }
    }
    Ok(out)
}

/// Claims `day`'s push to `openid` inside the caller's transaction; false when it was
/// already sent (by this or another instance).
pub async fn claim(
    tx: &mut PgTransaction<'_>,
    vault: &Vault,
    openid: &OpenId,
    day: NaiveDate,
    village: &VillageCode,
    disclosures: usize,
) -> Result<bool, sqlx::Error> {
    let claimed = sqlx::query_scalar!(
        "INSERT INTO village_pushes (openid_hash, day, village_code, disclosures)
         VALUES ($1, $2, $3, $4)
         ON CONFLICT DO NOTHING RETURNING day",
        vault.lookup(Purpose::OutboxOpenid, openid.as_str()).0,
        day,
        village.as_str(),
        i32::try_from(disclosures).unwrap_or(i32::MAX),
    )
    .fetch_optional(&mut **tx)
    .await?;
    Ok(claimed.is_some())
}

/// Turns a follower's push on or off (a follower not seen before is recorded: only
/// followers can write to the account), sealing their openid if the row holds none.
pub async fn set_wanted(
    pool: &PgPool,
    vault: &Vault,
    openid: &OpenId,
    wanted: bool,
    at: DateTime<Utc>,
) -> Result<(), sqlx::Error> {
    let h = followers::hashes(vault, openid.as_str());
    let mut tx = pool.begin().await?;
    followers::rekey_one(&mut tx, &h).await?;
    let row = sqlx::query!(
        r#"INSERT INTO followers (openid_hash, subscribed, village_pushes, first_seen_at, last_seen_at)
           VALUES ($1, true, $2, $3, $3)
           ON CONFLICT (openid_hash) DO UPDATE SET village_pushes = EXCLUDED.village_pushes
           RETURNING follower_id, openid_sealed IS NULL AS "unsealed!""#,
        h.current,
        wanted,
        at,
    )
    .fetch_one(&mut *tx)
    .await?;
    followers::seal_if_unsealed(
        &mut tx,
        vault,
        row.follower_id,
        row.unsealed,
        openid.as_str(),
    )
    .await?;
    tx.commit().await
}

/// Whether a follower gets the push (a follower not yet known would: the default).
pub async fn wanted(pool: &PgPool, vault: &Vault, openid: &OpenId) -> Result<bool, sqlx::Error> {
    let row = sqlx::query_scalar!(
        "SELECT village_pushes FROM followers WHERE openid_hash = ANY($1)
         ORDER BY last_seen_at DESC LIMIT 1",
        &vault.lookup_candidates(Purpose::FollowerOpenid, openid.as_str())
    )
    .fetch_optional(pool)
    .await?;
    Ok(row.unwrap_or(true))
}
