//! The `supervisors` and `poverty_households` tables: the supervisor directory and the
//! 脱贫攻坚 ledgers as public pages show them.

use chrono::NaiveDate;
use sqlx::PgPool;

use super::{Paging, corrupt};
use crate::domain::{
    HouseholdKind, MaskedName, NewHousehold, NewSupervisor, Phone, RegionCode, SupervisorBody,
    VillageCode,
};

/// A member of a supervising body, as listed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Supervisor {
    pub region_code: RegionCode,
    pub body: SupervisorBody,
    pub name: String,
    pub role: String,
    pub phone: Option<Phone>,
    pub is_sample: bool,
}

/// Adds a supervisor at the end of its body's list.
pub async fn add_supervisor(
    pool: &PgPool,
    s: &NewSupervisor,
    is_sample: bool,
) -> Result<(), sqlx::Error> {
    sqlx::query!(
        "INSERT INTO supervisors (region_code, body, name, role, phone, sort, is_sample)
         VALUES ($1, $2, $3, $4, $5,
                 (SELECT coalesce(max(sort), 0) + 1 FROM supervisors
                  WHERE region_code = $1 AND body = $2), $6)",
        s.region().as_str(),
        s.body().as_str(),
        s.name(),
        s.role(),
        s.phone().map(Phone::as_str),
        is_sample
    )
    .execute(pool)
    .await?;
    Ok(())
}

/// Supervisors of these regions (a village and its township, say), by body and order.
pub async fn supervisors_of(
    pool: &PgPool,
    regions: &[&RegionCode],
) -> Result<Vec<Supervisor>, sqlx::Error> {
    let codes: Vec<String> = regions.iter().map(|c| c.as_str().to_owned()).collect();
    sqlx::query!(
        "SELECT region_code, body, name, role, phone, is_sample FROM supervisors
         WHERE region_code = ANY($1)
         ORDER BY CASE body WHEN 'committee' THEN 1 WHEN 'monitor' THEN 2 ELSE 3 END, sort, id",
        &codes
    )
    .fetch_all(pool)
    .await?
    .into_iter()
    .map(|r| {
        Ok(Supervisor {
            region_code: RegionCode::parse(&r.region_code)
                .map_err(|e| corrupt("region code", e))?,
            body: SupervisorBody::parse(&r.body).ok_or_else(|| corrupt("body", &r.body))?,
            name: r.name,
            role: r.role,
            phone: stored_phone(r.phone.as_deref())?,
            is_sample: r.is_sample,
        })
    })
    .collect()
}

/// One household of a ledger, as shown.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Household {
    pub head: MaskedName,
    pub size: i16,
    pub risk: String,
    pub measures: String,
    pub cadre: String,
    pub last_visit: Option<NaiveDate>,
    pub lifted_year: Option<i16>,
    pub is_sample: bool,
}

pub async fn add_household(
    pool: &PgPool,
    h: &NewHousehold,
    is_sample: bool,
) -> Result<(), sqlx::Error> {
    sqlx::query!(
        "INSERT INTO poverty_households
             (village_code, kind, head_masked, size, risk, measures, cadre, last_visit,
              lifted_year, is_sample)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
        h.village().as_str(),
        h.kind().as_str(),
        h.head().as_str(),
        h.size(),
        h.risk(),
        h.measures(),
        h.cadre(),
        h.last_visit(),
        h.lifted_year(),
        is_sample
    )
    .execute(pool)
    .await?;
    Ok(())
}

/// How many households of each kind a village's ledgers hold.
pub async fn household_counts(
    pool: &PgPool,
    village: &VillageCode,
) -> Result<Vec<(HouseholdKind, i64)>, sqlx::Error> {
    let rows = sqlx::query!(
        r#"SELECT kind, count(*) AS "n!" FROM poverty_households
           WHERE village_code = $1 GROUP BY kind"#,
        village.as_str()
    )
    .fetch_all(pool)
    .await?;
    Ok(HouseholdKind::ALL
        .into_iter()
        .map(|k| {
            let n = rows
                .iter()
                .find(|r| r.kind == k.as_str())
                .map_or(0, |r| r.n);
            (k, n)
        })
        .collect())
}

/// A page of one ledger, in the order entered.
pub async fn households(
    pool: &PgPool,
    village: &VillageCode,
    kind: HouseholdKind,
    paging: Paging,
) -> Result<Vec<Household>, sqlx::Error> {
    sqlx::query!(
        "SELECT head_masked, size, risk, measures, cadre, last_visit, lifted_year, is_sample
         FROM poverty_households WHERE village_code = $1 AND kind = $2
         ORDER BY id OFFSET $3 LIMIT $4",
        village.as_str(),
        kind.as_str(),
        paging.offset(),
        paging.limit()
    )
    .fetch_all(pool)
    .await?
    .into_iter()
    .map(|r| {
        Ok(Household {
            head: MaskedName::parse(&r.head_masked).map_err(|e| corrupt("masked name", e))?,
            size: r.size,
            risk: r.risk,
            measures: r.measures,
            cadre: r.cadre,
            last_visit: r.last_visit,
            lifted_year: r.lifted_year,
            is_sample: r.is_sample,
        })
    })
    .collect()
}

/// Removes every supervisor and household marked as demo content.
pub async fn delete_samples(pool: &PgPool) -> Result<u64, sqlx::Error> {
    let a = sqlx::query!("DELETE FROM supervisors WHERE is_sample")
        .execute(pool)
        .await?
        .rows_affected();
    let b = sqlx::query!("DELETE FROM poverty_households WHERE is_sample")
        .execute(pool)
        .await?
        .rows_affected();
    Ok(a + b)
}

/// A supervisor's stored phone number, checked as when it was entered.
pub(super) fn stored_phone(raw: Option<&str>) -> Result<Option<Phone>, sqlx::Error> {
    raw.map(Phone::parse)
        .transpose()
        .map_err(|e| corrupt("phone", e))
}
