//! What the daily push to a village's followers reads and writes: the village's
//! publications in a window, its followers who want the push, the once-a-day row
//! (`village_pushes`, keyed by the follower's lookup hash and the day), and the
//! follower's switch (`followers.village_pushes`).

use chrono::{DateTime, NaiveDate, Utc};
use sqlx::PgPool;

use super::{PgTransaction, corrupt};
use crate::crypto::{Purpose, Vault};
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
/// off.
pub async fn followers_of(
    pool: &PgPool,
    village: &VillageCode,
) -> Result<Vec<OpenId>, sqlx::Error> {
    let rows = sqlx::query_scalar!(
        "SELECT openid FROM followers
         WHERE village_code = $1 AND subscribed AND village_pushes
         ORDER BY openid",
        village.as_str()
    )
    .fetch_all(pool)
    .await?;
    rows.iter()
        .map(|o| OpenId::parse(o).map_err(|e| corrupt("openid", e)))
        .collect()
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
/// followers can write to the account).
pub async fn set_wanted(
    pool: &PgPool,
    openid: &OpenId,
    wanted: bool,
    at: DateTime<Utc>,
) -> Result<(), sqlx::Error> {
    sqlx::query!(
        "INSERT INTO followers (openid, subscribed, village_pushes, first_seen_at, last_seen_at)
         VALUES ($1, true, $2, $3, $3)
         ON CONFLICT (openid) DO UPDATE SET village_pushes = EXCLUDED.village_pushes",
        openid.as_str(),
        wanted,
        at,
    )
    .execute(pool)
    .await?;
    Ok(())
}

/// Whether a follower gets the push (a follower not yet known would: the default).
pub async fn wanted(pool: &PgPool, openid: &OpenId) -> Result<bool, sqlx::Error> {
    let row = sqlx::query_scalar!(
        "SELECT village_pushes FROM followers WHERE openid = $1",
        openid.as_str()
    )
    .fetch_optional(pool)
    .await?;
    Ok(row.unwrap_or(true))
}
