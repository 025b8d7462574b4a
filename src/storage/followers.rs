//! The `followers` table: who follows the account, since when, and which village they
//! chose. Unsubscribing keeps the row.

use chrono::{DateTime, Utc};
use sqlx::{PgConnection, PgPool};

use super::corrupt;
use crate::domain::{OpenId, VillageCode};

/// A follower as stored.
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
    openid: &OpenId,
    at: DateTime<Utc>,
    village: Option<&VillageCode>,
) -> Result<(), sqlx::Error> {
    sqlx::query!(
        "INSERT INTO followers (openid, subscribed, village_code, subscribed_at, first_seen_at, last_seen_at)
         VALUES ($1, true, $2, $3, $3, $3)
         ON CONFLICT (openid) DO UPDATE
             SET subscribed = true,
                 subscribed_at = EXCLUDED.subscribed_at,
                 village_code = coalesce(EXCLUDED.village_code, followers.village_code),
                 first_seen_at = least(followers.first_seen_at, EXCLUDED.first_seen_at),
                 last_seen_at = greatest(followers.last_seen_at, EXCLUDED.last_seen_at)",
        openid.as_str(),
        village.map(VillageCode::as_str),
        at,
    )
    .execute(pool)
    .await?;
    Ok(())
}

/// Binds a follower (who is following: they just scanned) to a village.
#[tracing::instrument(name = "Binding a follower to a village", skip_all)]
pub async fn bind_village(
    pool: &PgPool,
    openid: &OpenId,
    village: &VillageCode,
    at: DateTime<Utc>,
) -> Result<(), sqlx::Error> {
    sqlx::query!(
        "INSERT INTO followers (openid, subscribed, village_code, first_seen_at, last_seen_at)
         VALUES ($1, true, $2, $3, $3)
         ON CONFLICT (openid) DO UPDATE
             SET subscribed = true,
                 village_code = EXCLUDED.village_code,
                 first_seen_at = least(followers.first_seen_at, EXCLUDED.first_seen_at),
                 last_seen_at = greatest(followers.last_seen_at, EXCLUDED.last_seen_at)",
        openid.as_str(),
        village.as_str(),
        at,
    )
    .execute(pool)
    .await?;
    Ok(())
}

/// Marks a follower unsubscribed at `at`; the row and its binding stay.
#[tracing::instrument(name = "Recording an unsubscription", skip_all)]
pub async fn unsubscribe(
    pool: &PgPool,
    openid: &OpenId,
    at: DateTime<Utc>,
) -> Result<(), sqlx::Error> {
    sqlx::query!(
        "INSERT INTO followers (openid, subscribed, unsubscribed_at, first_seen_at, last_seen_at)
         VALUES ($1, false, $2, $2, $2)
         ON CONFLICT (openid) DO UPDATE
             SET subscribed = false,
                 unsubscribed_at = EXCLUDED.unsubscribed_at,
                 first_seen_at = least(followers.first_seen_at, EXCLUDED.first_seen_at),
                 last_seen_at = greatest(followers.last_seen_at, EXCLUDED.last_seen_at)",
        openid.as_str(),
        at,
    )
    .execute(pool)
    .await?;
    Ok(())
}

/// Notes that these followers wrote or tapped something (`openids[i]` at `seen[i]`). A
/// follower seen for the first time is following (only followers can write), so the row
/// is created as subscribed; an existing row only moves its times.
pub async fn touch_many(
    conn: &mut PgConnection,
    openids: &[String],
    seen: &[DateTime<Utc>],
) -> Result<(), sqlx::Error> {
    sqlx::query!(
        "INSERT INTO followers (openid, subscribed, first_seen_at, last_seen_at)
         SELECT openid, true, min(seen), max(seen)
         FROM UNNEST($1::text[], $2::timestamptz[]) AS t (openid, seen)
         GROUP BY openid
         ON CONFLICT (openid) DO UPDATE
             SET first_seen_at = least(followers.first_seen_at, EXCLUDED.first_seen_at),
                 last_seen_at = greatest(followers.last_seen_at, EXCLUDED.last_seen_at)",
        openids,
        seen,
    )
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// The village a follower is bound to, if any.
pub async fn bound_village(
    pool: &PgPool,
    openid: &OpenId,
) -> Result<Option<VillageCode>, sqlx::Error> {
    let code = sqlx::query_scalar!(
        "SELECT village_code FROM followers WHERE openid = $1",
        openid.as_str()
    )
    .fetch_optional(pool)
    .await?
    .flatten();
    code.map(|c| VillageCode::parse(&c).map_err(|e| corrupt("village code", e)))
        .transpose()
}

pub async fn find(pool: &PgPool, openid: &OpenId) -> Result<Option<Follower>, sqlx::Error> {
    let Some(row) = sqlx::query!(
        "SELECT openid, subscribed, village_code, subscribed_at, unsubscribed_at,
                first_seen_at, last_seen_at
         FROM followers WHERE openid = $1",
        openid.as_str()
    )
    .fetch_optional(pool)
    .await?
    else {
        return Ok(None);
    };
    Ok(Some(Follower {
        openid: OpenId::parse(&row.openid).map_err(|e| corrupt("openid", e))?,
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
