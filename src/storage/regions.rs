//! The `regions` table: lookups for the API and pages, the bulk load used by imports.

use sqlx::{PgConnection, PgPool};

use super::corrupt;
use crate::domain::{Region, RegionCode, RegionLevel};

fn region(
    code: String,
    name: String,
    display_name: String,
    parent_code: Option<String>,
) -> Result<Region, sqlx::Error> {
    Ok(Region {
        code: RegionCode::parse(&code).map_err(|e| corrupt("region code", e))?,
        name,
        display_name,
        parent_code: parent_code
            .map(|p| RegionCode::parse(&p))
            .transpose()
            .map_err(|e| corrupt("parent code", e))?,
    })
}

pub async fn find(
    executor: impl sqlx::PgExecutor<'_>,
    code: &RegionCode,
) -> Result<Option<Region>, sqlx::Error> {
    sqlx::query!(
        "SELECT code, name, display_name, parent_code FROM regions WHERE code = $1",
        code.as_str()
    )
    .fetch_optional(executor)
    .await?
    .map(|r| region(r.code, r.name, r.display_name, r.parent_code))
    .transpose()
}

/// The first of `readings` (a typed code's interpretations, most specific first,
/// see `RegionCode::interpretations`) that names a stored region.
pub async fn find_first(
    pool: &PgPool,
    readings: &[RegionCode],
) -> Result<Option<Region>, sqlx::Error> {
    let found = find_many(pool, readings).await?;
    Ok(readings
        .iter()
        .find_map(|code| found.iter().find(|r| &r.code == code))
        .cloned())
}

/// The regions with these codes, top level first; absent codes are skipped.
pub async fn find_many(pool: &PgPool, codes: &[RegionCode]) -> Result<Vec<Region>, sqlx::Error> {
    let codes: Vec<String> = codes.iter().map(|c| c.as_str().to_owned()).collect();
    sqlx::query!(
        "SELECT code, name, display_name, parent_code FROM regions
         WHERE code = ANY($1) ORDER BY length(code), code",
        &codes
    )
    .fetch_all(pool)
    .await?
    .into_iter()
    .map(|r| region(r.code, r.name, r.display_name, r.parent_code))
    .collect()
}

/// A region's children, each with the number of its own children.
pub async fn children_with_counts(
    pool: &PgPool,
    code: &RegionCode,
) -> Result<Vec<(Region, i64)>, sqlx::Error> {
    sqlx::query!(
        r#"SELECT r.code, r.name, r.display_name, r.parent_code,
                  (SELECT count(*) FROM regions c WHERE c.parent_code = r.code) AS "child_count!"
           FROM regions r WHERE r.parent_code = $1 ORDER BY r.code"#,
        code.as_str()
    )
    .fetch_all(pool)
    .await?
    .into_iter()
    .map(|r| {
        Ok((
            region(r.code, r.name, r.display_name, r.parent_code)?,
            r.child_count,
        ))
    })
    .collect()
}

/// How many regions of each level are stored.
pub async fn count_by_level(pool: &PgPool) -> Result<Vec<(RegionLevel, i64)>, sqlx::Error> {
    let rows =
        sqlx::query!(r#"SELECT level AS "level!", count(*) AS "n!" FROM regions GROUP BY level"#)
            .fetch_all(pool)
            .await?;
    let mut out: Vec<(RegionLevel, i64)> = RegionLevel::ALL
        .into_iter()
        .map(|level| {
            let n = rows
                .iter()
                .find(|r| r.level == level.as_str())
                .map_or(0, |r| r.n);
            (level, n)
        })
        .collect();
    out.retain(|(_, n)| *n > 0);
    Ok(out)
}

pub async fn is_empty(pool: &PgPool) -> Result<bool, sqlx::Error> {
    let any = sqlx::query_scalar!(r#"SELECT EXISTS (SELECT 1 FROM regions) AS "any!""#)
        .fetch_one(pool)
        .await?;
    Ok(!any)
}

/// Changes whenever the table's content changes; the search index compares it to
/// decide whether to rebuild.
pub async fn fingerprint(pool: &PgPool) -> Result<String, sqlx::Error> {
    let row = sqlx::query!(r#"SELECT count(*) AS "n!", max(updated_at) AS latest FROM regions"#)
        .fetch_one(pool)
        .await?;
    Ok(format!("{}@{:?}", row.n, row.latest))
}

/// Every region, top level first, for building the in-memory search index.
pub async fn all(pool: &PgPool) -> Result<Vec<Region>, sqlx::Error> {
    sqlx::query!(
        "SELECT code, name, display_name, parent_code FROM regions ORDER BY length(code), code"
    )
    .fetch_all(pool)
    .await?
    .into_iter()
    .map(|r| region(r.code, r.name, r.display_name, r.parent_code))
    .collect()
}

/// What a bulk load changed.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct UpsertCounts {
    pub inserted: u64,
    pub updated: u64,
}

/// Opens the staging table a bulk load copies into; it vanishes with the transaction.
pub async fn begin_staging(conn: &mut PgConnection) -> Result<(), sqlx::Error> {
    sqlx::query(
        "CREATE TEMP TABLE import_regions (
             code text PRIMARY KEY, name text NOT NULL,
             display_name text NOT NULL, parent_code text
         ) ON COMMIT DROP",
    )
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// Streams CSV rows (code, name, display_name, parent_code) into the staging table.
pub async fn copy_into_staging(
    conn: &mut PgConnection,
    chunks: impl IntoIterator<Item = Vec<u8>>,
    mut on_chunk: impl FnMut(usize),
) -> Result<(), sqlx::Error> {
    let mut copy = conn
        .copy_in_raw("COPY import_regions (code, name, display_name, parent_code) FROM STDIN WITH (FORMAT csv)")
        .await?;
    for chunk in chunks {
        let len = chunk.len();
        copy.send(chunk).await?;
        on_chunk(len);
    }
    copy.finish().await?;
    Ok(())
}

/// Moves the staged rows into `regions`: new codes are inserted, changed rows updated,
/// identical rows left alone (so a re-run changes nothing). A parent that is neither
/// staged nor stored (the top of a partial import) is recorded as NULL.
pub async fn merge_staging(conn: &mut PgConnection) -> Result<UpsertCounts, sqlx::Error> {
    // Unchecked at compile time: the staging table exists only inside the transaction.
    let (inserted, updated): (i64, i64) = sqlx::query_as(
        r#"WITH merged AS (
               INSERT INTO regions (code, name, display_name, parent_code)
               SELECT i.code, i.name, i.display_name,
                      CASE WHEN EXISTS (SELECT 1 FROM import_regions p WHERE p.code = i.parent_code)
                             OR EXISTS (SELECT 1 FROM regions r WHERE r.code = i.parent_code)
                           THEN i.parent_code END
               FROM import_regions i
               ON CONFLICT (code) DO UPDATE
                   SET name = EXCLUDED.name,
                       display_name = EXCLUDED.display_name,
                       parent_code = EXCLUDED.parent_code
                   WHERE (regions.name, regions.display_name, regions.parent_code)
                         IS DISTINCT FROM (EXCLUDED.name, EXCLUDED.display_name, EXCLUDED.parent_code)
               RETURNING (xmax = 0) AS inserted
           )
           SELECT count(*) FILTER (WHERE inserted), count(*) FILTER (WHERE NOT inserted)
           FROM merged"#,
    )
    .fetch_one(&mut *conn)
    .await?;
    Ok(UpsertCounts {
        inserted: u64::try_from(inserted).unwrap_or(0),
        updated: u64::try_from(updated).unwrap_or(0),
    })
}

/// The villages inside a region (the region itself when it is a village), by code.
pub async fn villages_within(pool: &PgPool, code: &RegionCode) -> Result<Vec<Region>, sqlx::Error> {
    sqlx::query!(
        "SELECT code, name, display_name, parent_code FROM regions
         WHERE level = 'village' AND starts_with(code, $1) ORDER BY code",
        code.as_str()
    )
    .fetch_all(pool)
    .await?
    .into_iter()
    .map(|r| region(r.code, r.name, r.display_name, r.parent_code))
    .collect()
}
