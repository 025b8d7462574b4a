//! The home page's headline figures, counted live from the tables that hold them.

use sqlx::PgPool;

use super::disclosures;

/// The four figures on the home page.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
pub struct Headline {
    /// Villages (and 社区) covered: every village-level region loaded.
    pub villages: i64,
    /// Disclosures currently published.
    pub disclosures: i64,
    /// Complaints answered (办结, whether or not rated since).
    pub complaints_handled: i64,
    /// Followers of the Official Account who are still subscribed.
    pub followers: i64,
}

/// Counts the figures now. Each is one indexed count; the home page caches the result
/// for a minute.
pub async fn headline(pool: &PgPool) -> Result<Headline, sqlx::Error> {
    let villages =
        sqlx::query_scalar!(r#"SELECT count(*) AS "n!" FROM regions WHERE level = 'village'"#)
            .fetch_one(pool)
            .await?;
    Ok(Headline {
        villages,
        disclosures: disclosures::count_public(pool).await?,
        complaints_handled: super::complaints::count_answered(pool).await?,
        followers: super::followers::count_subscribed(pool).await?,
    })
}
