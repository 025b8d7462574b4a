//! The supervisor directory as its keepers maintain it: every entry inside a region
//! (a township and its villages) with its id, adding and removing one. The public pages
//! read the same rows through `storage::people::supervisors_of`.

use sqlx::PgPool;

use super::{PgTransaction, corrupt};
use crate::domain::{NewSupervisor, Phone, RegionCode, SupervisorBody};

/// An entry of the directory, with what its keeper needs to act on it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    pub id: i64,
    pub region_code: RegionCode,
    pub region_name: String,
    pub body: SupervisorBody,
    pub name: String,
    pub role: String,
    pub phone: Option<Phone>,
    pub is_sample: bool,
}

/// An entry's row as read, checked into an [`Entry`] by [`EntryRow::into_entry`].
struct EntryRow {
    id: i64,
    region_code: String,
    display_name: String,
    body: String,
    name: String,
    role: String,
    phone: Option<String>,
    is_sample: bool,
}

impl EntryRow {
    fn into_entry(self) -> Result<Entry, sqlx::Error> {
        Ok(Entry {
            id: self.id,
            region_code: RegionCode::parse(&self.region_code)
                .map_err(|e| corrupt("region code", e))?,
            region_name: self.display_name,
            body: SupervisorBody::parse(&self.body).ok_or_else(|| corrupt("body", &self.body))?,
            name: self.name,
            role: self.role,
            phone: super::people::stored_phone(self.phone.as_deref())?,
            is_sample: self.is_sample,
        })
    }
}

/// Every entry inside `region`, by place, body and order.
pub async fn within(pool: &PgPool, region: &RegionCode) -> Result<Vec<Entry>, sqlx::Error> {
    sqlx::query_as!(
        EntryRow,
        "SELECT s.id, s.region_code, r.display_name, s.body, s.name, s.role, s.phone, s.is_sample
         FROM supervisors s JOIN regions r ON r.code = s.region_code
         WHERE starts_with(s.region_code, $1)
         ORDER BY s.region_code,
                  CASE s.body WHEN 'office' THEN 0 WHEN 'committee' THEN 1 ELSE 2 END, s.sort, s.id
         LIMIT 2000",
        region.as_str()
    )
    .fetch_all(pool)
    .await?
    .into_iter()
    .map(EntryRow::into_entry)
    .collect()
}

/// The township and village regions inside `region` (what an entry may belong to), by
/// code: their codes and names.
pub async fn places_within(
    pool: &PgPool,
    region: &RegionCode,
) -> Result<Vec<(RegionCode, String)>, sqlx::Error> {
    sqlx::query!(
        "SELECT code, display_name FROM regions
         WHERE starts_with(code, $1) AND level IN ('township', 'village')
         ORDER BY code LIMIT 1000",
        region.as_str()
    )
    .fetch_all(pool)
    .await?
    .into_iter()
    .map(|r| {
        Ok((
            RegionCode::parse(&r.code).map_err(|e| corrupt("region code", e))?,
            r.display_name,
        ))
    })
    .collect()
}

/// Adds an entry at the end of its body's list; its id.
pub async fn add(tx: &mut PgTransaction<'_>, s: &NewSupervisor) -> Result<i64, sqlx::Error> {
    sqlx::query_scalar!(
        "INSERT INTO supervisors (region_code, body, name, role, phone, sort)
         VALUES ($1, $2, $3, $4, $5,
                 (SELECT coalesce(max(sort), 0) + 1 FROM supervisors
                  WHERE region_code = $1 AND body = $2))
         RETURNING id",
        s.region().as_str(),
        s.body().as_str(),
        s.name(),
        s.role(),
        s.phone().map(Phone::as_str),
    )
    .fetch_one(&mut **tx)
    .await
}

/// Removes the entry `id` if it lies inside `region`; what it held, if it did.
pub async fn remove(
    tx: &mut PgTransaction<'_>,
    id: i64,
    region: &RegionCode,
) -> Result<Option<(String, String, String, String, Option<String>)>, sqlx::Error> {
    let row = sqlx::query!(
        "DELETE FROM supervisors WHERE id = $1 AND starts_with(region_code, $2)
         RETURNING region_code, body, name, role, phone",
        id,
        region.as_str()
    )
    .fetch_optional(&mut **tx)
    .await?;
    Ok(row.map(|r| (r.region_code, r.body, r.name, r.role, r.phone)))
}

/// The entry `id` if it lies inside `region`, locked until the transaction ends: what an
/// edit starts from.
pub async fn find_for_update(
    tx: &mut PgTransaction<'_>,
    id: i64,
    region: &RegionCode,
) -> Result<Option<(RegionCode, SupervisorBody, String, String, Option<String>)>, sqlx::Error> {
    let Some(r) = sqlx::query!(
        "SELECT region_code, body, name, role, phone FROM supervisors
         WHERE id = $1 AND starts_with(region_code, $2) FOR UPDATE",
        id,
        region.as_str()
    )
    .fetch_optional(&mut **tx)
    .await?
    else {
        return Ok(None);
    };
    Ok(Some((
        RegionCode::parse(&r.region_code).map_err(|e| corrupt("region code", e))?,
        SupervisorBody::parse(&r.body).ok_or_else(|| corrupt("body", &r.body))?,
        r.name,
        r.role,
        r.phone,
    )))
}

/// The entry `id` inside `region`, for the edit form.
pub async fn find(
    pool: &PgPool,
    id: i64,
    region: &RegionCode,
) -> Result<Option<Entry>, sqlx::Error> {
    sqlx::query_as!(
        EntryRow,
        "SELECT s.id, s.region_code, r.display_name, s.body, s.name, s.role, s.phone, s.is_sample
         FROM supervisors s JOIN regions r ON r.code = s.region_code
         WHERE s.id = $1 AND starts_with(s.region_code, $2)",
        id,
        region.as_str()
    )
    .fetch_optional(pool)
    .await?
    .map(EntryRow::into_entry)
    .transpose()
}

/// Writes an edited entry in place (its place and order stay). An edited sample entry is
/// the keeper's own from then on, so removing the samples keeps it.
pub async fn update(
    tx: &mut PgTransaction<'_>,
    id: i64,
    s: &NewSupervisor,
) -> Result<(), sqlx::Error> {
    sqlx::query!(
        "UPDATE supervisors SET body = $2, name = $3, role = $4, phone = $5, is_sample = false
         WHERE id = $1 AND region_code = $6",
        id,
        s.body().as_str(),
        s.name(),
        s.role(),
        s.phone().map(Phone::as_str),
        s.region().as_str(),
    )
    .execute(&mut **tx)
    .await?;
    Ok(())
}
