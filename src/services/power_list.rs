//! Recording the document that adopted the power list: a city administrator's act,
//! appended (never changed) with its audit line in one transaction.

use std::net::IpAddr;

use serde_json::json;
use sqlx::PgPool;

use super::audit::{self, Actor, Change, Subject};
use crate::domain::RegionLevel;
use crate::domain::power_adoption::Adoption;
use crate::domain::staff::{StaffAction, StaffMember};
use crate::storage::power_adoptions;

#[derive(Debug, thiserror::Error)]
pub enum AdoptionError {
    #[error("only a city administrator records the power list's adoption")]
    Forbidden,
    #[error(transparent)]
    Database(#[from] sqlx::Error),
}

/// Whether `member` keeps the power list: an administrator of the whole city (the
/// list is the city's, not a county's).
pub fn may_keep(member: &StaffMember) -> bool {
    member.may(StaffAction::ManagePowerList) && member.region.level() <= RegionLevel::City
}

pub async fn adopt(
    pool: &PgPool,
    member: &StaffMember,
    ip: Option<IpAddr>,
    adoption: &Adoption,
) -> Result<i64, AdoptionError> {
    if !may_keep(member) {
        return Err(AdoptionError::Forbidden);
    }
    let mut tx = pool.begin().await?;
    let id = power_adoptions::insert(&mut tx, adoption, member.account_id).await?;
    audit::record(
        &mut *tx,
        Actor::member(member, ip),
        "power_list.adopted",
        Subject::new("power_list_adoption", id, member.region.as_str()),
        Change {
            after: Some(json!({
                "title": adoption.title(),
                "doc_number": adoption.doc_number(),
                "adopted_on": adoption.adopted_on().to_string(),
                "issuer": adoption.issuer(),
            })),
            ..Change::default()
        },
    )
    .await?;
    tx.commit().await?;
    Ok(id)
}
