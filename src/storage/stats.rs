//! The home page's headline figures, counted live from the tables that hold them.

use sqlx::PgPool;

/// The figures on the home page. Sample content (示例, from `demo-data`) is no real
/// disclosure: it is counted apart and never in the published figures.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
pub struct Headline {
    /// Villages (and 社区) covered: every village-level region loaded.
    pub villages: i64,
    /// Villages that have published at least one real disclosure.
    pub publishing_villages: i64,
    /// Real disclosures currently published.
    pub disclosures: i64,
    /// Sample disclosures shown (and marked 示例) on the pages.
    pub samples: i64,
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
    // Two statements rather than one count(DISTINCT …) over the join, which sorted
    // every disclosure (9.5 s over a province's 5 million; these take 2).
    let published = sqlx::query!(
        r#"SELECT count(*) FILTER (WHERE NOT is_sample) AS "disclosures!",
                  count(*) FILTER (WHERE is_sample) AS "samples!"
           FROM disclosures WHERE status = 'published'"#
    )
    .fetch_one(pool)
    .await?;
    let publishing_villages = sqlx::query_scalar!(
        r#"SELECT count(*) AS "n!" FROM regions r
           WHERE r.level = 'village'
             AND EXISTS (SELECT 1 FROM disclosures d
                         WHERE d.region_code = r.code AND d.status = 'published'
                           AND NOT d.is_sample)"#
    )
    .fetch_one(pool)
    .await?;
    Ok(Headline {
        villages,
        publishing_villages,
        disclosures: published.disclosures,
        samples: published.samples,
        complaints_handled: super::complaints::count_answered(pool).await?,
        followers: super::followers::count_subscribed(pool).await?,
    })
}

/// The public statistics page's figures (`/stats`): the headline plus page views and
/// complaints received. Sample content is left out of every figure.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
pub struct PublicStats {
    pub headline: Headline,
    /// Views of real disclosures' pages.
    pub page_views: i64,
    pub complaints_received: i64,
}

pub async fn public_stats(pool: &PgPool) -> Result<PublicStats, sqlx::Error> {
    let headline = headline(pool).await?;
    let page_views = sqlx::query_scalar!(
        r#"SELECT coalesce(sum(views), 0)::int8 AS "n!" FROM disclosures WHERE NOT is_sample"#
    )
    .fetch_one(pool)
    .await?;
    let complaints_received = sqlx::query_scalar!(r#"SELECT count(*) AS "n!" FROM complaints"#)
        .fetch_one(pool)
        .await?;
    Ok(PublicStats {
        headline,
        page_views,
        complaints_received,
    })
}
