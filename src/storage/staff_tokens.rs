//! `staff_tokens`: who may call the staff API, by the SHA-256 of their token.

use sqlx::PgPool;

use super::corrupt;
use crate::domain::staff::{Staff, StaffRole};

pub async fn insert(pool: &PgPool, staff: &Staff, token_sha256: &[u8]) -> Result<i64, sqlx::Error> {
    sqlx::query_scalar!(
        "INSERT INTO staff_tokens (name, role, unit, token_sha256) VALUES ($1, $2, $3, $4) RETURNING staff_token_id",
        staff.name,
        staff.role.as_str(),
        staff.unit,
        token_sha256
    )
    .fetch_one(pool)
    .await
}

/// The staff member a live token belongs to.
pub async fn find_active(pool: &PgPool, token_sha256: &[u8]) -> Result<Option<Staff>, sqlx::Error> {
    let row = sqlx::query!(
        "SELECT name, role, unit FROM staff_tokens WHERE token_sha256 = $1 AND revoked_at IS NULL",
        token_sha256
    )
    .fetch_optional(pool)
    .await?;
    row.map(|r| {
        Ok(Staff {
            role: StaffRole::parse(&r.role).ok_or_else(|| corrupt("staff role", &r.role))?,
            name: r.name,
            unit: r.unit,
        })
    })
    .transpose()
}
