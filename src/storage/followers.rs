//! The `followers` table: who follows the account, since when, and which village they
//! chose. Unsubscribing keeps the row. A follower is found by the keyed lookup hash of
//! their openid (docs/privacy.md): by every hash the vault accepts (either suite, the
//! previous lookup key), and moved to the current hash whenever they are seen, which is
//! the one moment the openid is at hand. The openid itself is kept only sealed, under a
//! data key of the row's own, for the village's evening push to address them; a row
//! without it (hashed before followers were sealed, or shredded by the retention pass)
//! is sealed again by the next write that has the openid.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use sqlx::{PgConnection, PgPool};

use super::{corrupt, data_keys};
use crate::crypto::{Field, Purpose, Vault};
use crate::domain::{OpenId, VillageCode};

/// Where a follower's sealed openid lives.
pub fn openid_field(follower_id: i64) -> Field {
    Field::new("followers", "openid", follower_id)
}

/// A follower's hash now, and the older ones that still find them.
pub(super) struct Hashes {
    pub(super) current: Vec<u8>,
    older: Vec<Vec<u8>>,
}

pub(super) fn hashes(vault: &Vault, openid: &str) -> Hashes {
    let current = vault.lookup(Purpose::FollowerOpenid, openid).0;
    let older = vault
        .lookup_candidates(Purpose::FollowerOpenid, openid)
        .into_iter()
        .filter(|h| *h != current)
        .collect();
    Hashes { current, older }
}

/// Moves the rows of these followers stored under an older hash to the current one
/// (`current[i]` replaces `older[i]`; a follower appears once per older hash).
async fn rekey(
    conn: &mut PgConnection,
    current: &[Vec<u8>],
    older: &[Vec<u8>],
) -> Result<(), sqlx::Error> {
    if older.is_empty() {
        return Ok(());
    }
    sqlx::query!(
        "UPDATE followers f SET openid_hash = t.current
         FROM UNNEST($1::bytea[], $2::bytea[]) AS t (current, older)
         WHERE f.openid_hash = t.older
           AND NOT EXISTS (SELECT 1 FROM followers g WHERE g.openid_hash = t.current)",
        current,
        older,
    )
    .execute(&mut *conn)
    .await?;
    Ok(())
}

pub(super) async fn rekey_one(conn: &mut PgConnection, h: &Hashes) -> Result<(), sqlx::Error> {
    let current = vec![h.current.clone(); h.older.len()];
    rekey(conn, &current, &h.older).await
}

/// Seals `openid` into the row `follower_id` under a new data key of its own, when the
/// writer that just upserted it found it holding none.
pub(super) async fn seal_if_unsealed(
    conn: &mut PgConnection,
    vault: &Vault,
    follower_id: i64,
    unsealed: bool,
    openid: &str,
) -> Result<(), sqlx::Error> {
    if !unsealed {
        return Ok(());
    }
    seal(conn, vault, &[(follower_id, openid)]).await
}

/// Seals each `(follower_id, openid)` into its row under a new data key of its own, in
/// three statements however many rows (none for no rows).
async fn seal(
    conn: &mut PgConnection,
    vault: &Vault,
    rows: &[(i64, &str)],
) -> Result<(), sqlx::Error> {
    if rows.is_empty() {
        return Ok(());
    }
    let keys = data_keys::create_many(conn, vault, rows.len()).await?;
    let mut ids = Vec::with_capacity(rows.len());
    let mut key_ids = Vec::with_capacity(rows.len());
    let mut sealed = Vec::with_capacity(rows.len());
    for ((follower_id, openid), key) in rows.iter().zip(&keys) {
        ids.push(*follower_id);
        key_ids.push(key.id);
        sealed.push(vault.seal(key, &openid_field(*follower_id), openid.as_bytes()));
    }
    sqlx::query!(
        "UPDATE followers f SET data_key_id = t.data_key_id, openid_sealed = t.sealed
         FROM UNNEST($1::bigint[], $2::bigint[], $3::bytea[]) AS t (follower_id, data_key_id, sealed)
         WHERE f.follower_id = t.follower_id",
        &ids,
        &key_ids,
        &sealed,
    )
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// A follower as stored (the openid is the one they were looked up by).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Follower {
    pub openid: OpenId,
    pub subscribed: bool,
    pub village: Option<VillageCode>,
    pub subscribed_at: Option<DateTime<Utc>>,
    pub unsubscribed_at: Option<DateTime<Utc>>,
    pub first_seen_at: DateTime<Utc>,
    pub last_seen_at: DateTime<Utc>,
}

/// Records a subscription at `at`, binding `village` when the follower came through a
/// village's QR code (and keeping an earlier binding otherwise).
#[tracing::instrument(name = "Recording a subscription", skip_all)]
pub async fn subscribe(
    pool: &PgPool,
    vault: &Vault,
    openid: &OpenId,
    at: DateTime<Utc>,
    village: Option<&VillageCode>,
) -> Result<(), sqlx::Error> {
    let h = hashes(vault, openid.as_str());
    let mut tx = pool.begin().await?;
    rekey_one(&mut tx, &h).await?;
    let row = sqlx::query!(
        "INSERT INTO followers (openid_hash, subscribed, village_code, subscribed_at, first_seen_at, last_seen_at)
         VALUES ($1, true, $2, $3, $3, $3)
         ON CONFLICT (openid_hash) DO UPDATE
             SET subscribed = true,
                 subscribed_at = EXCLUDED.subscribed_at,
                 village_code = coalesce(EXCLUDED.village_code, followers.village_code),
                 first_seen_at = least(followers.first_seen_at, EXCLUDED.first_seen_at),
                 last_seen_at = greatest(followers.last_seen_at, EXCLUDED.last_seen_at)
         RETURNING follower_id, openid_sealed IS NULL AS \"unsealed!\"",
        h.current,
        village.map(VillageCode::as_str),
        at,
    )
    .fetch_one(&mut *tx)
    .await?;
    seal_if_unsealed(
        &mut tx,
        vault,
        row.follower_id,
        row.unsealed,
        openid.as_str(),
    )
    .await?;
    tx.commit().await
}

/// Binds a follower (who is following: they just scanned) to a village.
#[tracing::instrument(name = "Binding a follower to a village", skip_all)]
pub async fn bind_village(
    pool: &PgPool,
    vault: &Vault,
    openid: &OpenId,
    village: &VillageCode,
    at: DateTime<Utc>,
) -> Result<(), sqlx::Error> {
    let h = hashes(vault, openid.as_str());
    let mut tx = pool.begin().await?;
    rekey_one(&mut tx, &h).await?;
    let row = sqlx::query!(
        "INSERT INTO followers (openid_hash, subscribed, village_code, first_seen_at, last_seen_at)
         VALUES ($1, true, $2, $3, $3)
         ON CONFLICT (openid_hash) DO UPDATE
             SET subscribed = true,
                 village_code = EXCLUDED.village_code,
                 first_seen_at = least(followers.first_seen_at, EXCLUDED.first_seen_at),
                 last_seen_at = greatest(followers.last_seen_at, EXCLUDED.last_seen_at)
         RETURNING follower_id, openid_sealed IS NULL AS \"unsealed!\"",
        h.current,
        village.as_str(),
        at,
    )
    .fetch_one(&mut *tx)
    .await?;
    seal_if_unsealed(
        &mut tx,
        vault,
        row.follower_id,
        row.unsealed,
        openid.as_str(),
    )
    .await?;
    tx.commit().await
}

/// Marks a follower unsubscribed at `at`; the row and its binding stay.
#[tracing::instrument(name = "Recording an unsubscription", skip_all)]
pub async fn unsubscribe(
    pool: &PgPool,
    vault: &Vault,
    openid: &OpenId,
    at: DateTime<Utc>,
) -> Result<(), sqlx::Error> {
    let h = hashes(vault, openid.as_str());
    let mut tx = pool.begin().await?;
    rekey_one(&mut tx, &h).await?;
    let row = sqlx::query!(
        "INSERT INTO followers (openid_hash, subscribed, unsubscribed_at, first_seen_at, last_seen_at)
         VALUES ($1, false, $2, $2, $2)
         ON CONFLICT (openid_hash) DO UPDATE
             SET subscribed = false,
                 unsubscribed_at = EXCLUDED.unsubscribed_at,
                 first_seen_at = least(followers.first_seen_at, EXCLUDED.first_seen_at),
                 last_seen_at = greatest(followers.last_seen_at, EXCLUDED.last_seen_at)
         RETURNING follower_id, openid_sealed IS NULL AS \"unsealed!\"",
        h.current,
        at,
    )
    .fetch_one(&mut *tx)
    .await?;
    seal_if_unsealed(
        &mut tx,
        vault,
        row.follower_id,
        row.unsealed,
        openid.as_str(),
    )
    .await?;
    tx.commit().await
}

/// How precisely the message log keeps `last_seen_at`: a follower's row is not written
/// again for a sighting within this of the time it holds. A conversation of several
/// messages then costs one write, not one each; nothing reads the time more finely
/// (WeChat's windows for answering a follower are hours long).
pub const LAST_SEEN_PRECISION: std::time::Duration = std::time::Duration::from_secs(60);

/// Notes that these followers wrote or tapped something (`openids[i]` at `seen[i]`). A
/// follower seen for the first time is following (only followers can write), so the row
/// is created as subscribed; an existing row only moves its times, and only when they
/// move by more than [`LAST_SEEN_PRECISION`]. Returns each follower's current hash, in
/// order.
pub async fn touch_many(
    conn: &mut PgConnection,
    vault: &Vault,
    openids: &[String],
    seen: &[DateTime<Utc>],
) -> Result<Vec<Vec<u8>>, sqlx::Error> {
    if openids.is_empty() {
        return Ok(Vec::new());
    }
    let mut current = Vec::with_capacity(openids.len());
    let (mut rekey_to, mut rekey_from) = (Vec::new(), Vec::new());
    for openid in openids {
        let h = hashes(vault, openid);
        for older in h.older {
            rekey_to.push(h.current.clone());
            rekey_from.push(older);
        }
        current.push(h.current);
    }
    rekey(conn, &rekey_to, &rekey_from).await?;
    let rows = sqlx::query!(
        r#"INSERT INTO followers (openid_hash, subscribed, first_seen_at, last_seen_at)
           SELECT openid_hash, true, min(seen), max(seen)
           FROM UNNEST($1::bytea[], $2::timestamptz[]) AS t (openid_hash, seen)
           GROUP BY openid_hash
           ON CONFLICT (openid_hash) DO UPDATE
               SET first_seen_at = least(followers.first_seen_at, EXCLUDED.first_seen_at),
                   last_seen_at = greatest(followers.last_seen_at, EXCLUDED.last_seen_at)
               WHERE followers.openid_sealed IS NULL
                  OR followers.last_seen_at < EXCLUDED.last_seen_at - make_interval(secs => $3)
                  OR followers.first_seen_at > EXCLUDED.first_seen_at
           RETURNING follower_id, openid_hash AS "openid_hash!", openid_sealed IS NULL AS "unsealed!""#,
        &current,
        seen,
        LAST_SEEN_PRECISION.as_secs_f64(),
    )
    .fetch_all(&mut *conn)
    .await?;
    // Followers seen for the first time (or unsealed since) are sealed together, so a
    // batch of new followers costs three statements, not three each.
    let position: HashMap<&[u8], usize> = current
        .iter()
        .enumerate()
        .map(|(i, h)| (h.as_slice(), i))
        .collect();
    let unsealed: Vec<(i64, &str)> = rows
        .iter()
        .filter(|r| r.unsealed)
        .filter_map(|r| {
            let i = *position.get(r.openid_hash.as_slice())?;
            Some((r.follower_id, openids[i].as_str()))
        })
        .collect();
    seal(conn, vault, &unsealed).await?;
    Ok(current)
}

/// The village a follower is bound to, if any.
pub async fn bound_village(
    pool: &PgPool,
    vault: &Vault,
    openid: &OpenId,
) -> Result<Option<VillageCode>, sqlx::Error> {
    let code = sqlx::query_scalar!(
        "SELECT village_code FROM followers WHERE openid_hash = ANY($1)
         ORDER BY last_seen_at DESC LIMIT 1",
        &vault.lookup_candidates(Purpose::FollowerOpenid, openid.as_str())
    )
    .fetch_optional(pool)
    .await?
    .flatten();
    code.map(|c| VillageCode::parse(&c).map_err(|e| corrupt("village code", e)))
        .transpose()
}

pub async fn find(
    pool: &PgPool,
    vault: &Vault,
    openid: &OpenId,
) -> Result<Option<Follower>, sqlx::Error> {
    let Some(row) = sqlx::query!(
        "SELECT subscribed, village_code, subscribed_at, unsubscribed_at,
                first_seen_at, last_seen_at
         FROM followers WHERE openid_hash = ANY($1)
         ORDER BY last_seen_at DESC LIMIT 1",
        &vault.lookup_candidates(Purpose::FollowerOpenid, openid.as_str())
    )
    .fetch_optional(pool)
    .await?
    else {
        return Ok(None);
    };
    Ok(Some(Follower {
        openid: openid.clone(),
        subscribed: row.subscribed,
        village: row
            .village_code
            .map(|c| VillageCode::parse(&c))
            .transpose()
            .map_err(|e| corrupt("village code", e))?,
        subscribed_at: row.subscribed_at,
        unsubscribed_at: row.unsubscribed_at,
        first_seen_at: row.first_seen_at,
        last_seen_at: row.last_seen_at,
    }))
}

/// How many follow the account now (for the home page's headline figures).
pub async fn count_subscribed(pool: &PgPool) -> Result<i64, sqlx::Error> {
    sqlx::query_scalar!(r#"SELECT count(*) AS "n!" FROM followers WHERE subscribed"#)
        .fetch_one(pool)
        .await
}
