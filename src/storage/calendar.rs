//! What the publication calendar reads: when each village last published under each
//! module. Only disclosures still public count (a withdrawn one is not "published"), and
//! never sample content from `demo-data`; a correction does not restart the clock (the
//! first version's time counts), or re-saving an old statement would look like a new one.

use std::collections::{BTreeMap, HashMap};

use chrono::{DateTime, Utc};
use sqlx::PgPool;

use super::corrupt;
use crate::domain::{Module, RegionCode};

/// A village and when it last published under each module (absent: never).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VillageLast {
    pub code: RegionCode,
    pub name: String,
    pub last: HashMap<Module, DateTime<Utc>>,
}

/// When `village` last published under each module (read with its module counts, the
/// one statement a village page runs for both).
pub async fn last_published(
    pool: &PgPool,
    village: &RegionCode,
) -> Result<HashMap<Module, DateTime<Utc>>, sqlx::Error> {
    let counts = super::disclosures::module_counts(pool, village).await?;
    Ok(last_of(&counts))
}

/// The last publication per module, from a region's module counts.
pub fn last_of(counts: &[super::disclosures::ModuleCount]) -> HashMap<Module, DateTime<Utc>> {
    counts
        .iter()
        .filter_map(|c| c.last_published.map(|at| (c.module, at)))
        .collect()
}

/// Every village inside `region` (at most `limit`, by code), with when each last
/// published under each module.
pub async fn villages_within(
    pool: &PgPool,
    region: &RegionCode,
    limit: i64,
) -> Result<Vec<VillageLast>, sqlx::Error> {
    let rows = sqlx::query!(
        r#"WITH v AS (
               SELECT code, display_name FROM regions
               WHERE level = 'village' AND starts_with(code, $1)
               ORDER BY code LIMIT $2
           )
           SELECT v.code AS "code!", v.display_name AS "name!", d.module AS "module?",
                  max(d.published_at) AS "last?"
           FROM v LEFT JOIN disclosures d
               ON d.region_code = v.code AND d.status = 'published' AND NOT d.is_sample
           GROUP BY v.code, v.display_name, d.module
           ORDER BY v.code"#,
        region.as_str(),
        limit,
    )
    .fetch_all(pool)
    .await?;
    let mut out: BTreeMap<String, VillageLast> = BTreeMap::new();
    for r in rows {
        let entry = match out.entry(r.code.clone()) {
            std::collections::btree_map::Entry::Occupied(e) => e.into_mut(),
            std::collections::btree_map::Entry::Vacant(e) => e.insert(VillageLast {
                code: RegionCode::parse(&r.code).map_err(|e| corrupt("region code", e))?,
                name: r.name,
                last: HashMap::new(),
            }),
        };
        if let (Some(m), Some(last)) = (r.module.as_deref(), r.last) {
            let m = Module::parse(m).map_err(|e| corrupt("module", e))?;
            entry.last.insert(m, last);
        }
    }
    Ok(out.into_values().collect())
}
