//! Keeping the power list, a city administrator's act: recording the document that
//! adopted it, and changing an item (replace, add, remove) as a new version of the whole
//! list. Each is appended (never changed) with its audit line in one transaction.

use std::net::IpAddr;

use serde_json::json;
use sqlx::PgPool;

use super::audit::{self, Actor, Change, Subject};
use crate::domain::power_adoption::Adoption;
use crate::domain::power_edit::{Edit, EditError, Reason};
use crate::domain::staff::{StaffAction, StaffMember};
use crate::domain::{PowerItem, RegionLevel};
use crate::storage::{power, power_adoptions, power_versions};

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

#[derive(Debug, thiserror::Error)]
pub enum ChangeError {
    #[error("only a city administrator changes the power list")]
    Forbidden,
    /// Someone else made a version since the form was opened.
    #[error("the list is now at version {current}")]
    Stale { current: i32 },
    #[error("no adopting document {0}")]
    NoAdoption(i64),
    #[error(transparent)]
    Edit(#[from] EditError),
    #[error(transparent)]
    Database(#[from] sqlx::Error),
}

/// A new version made by a change.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Made {
    pub version: i32,
    /// The item changed, added or removed.
    pub item: i32,
}

fn item_json(version: i32, item: Option<&PowerItem>) -> serde_json::Value {
    json!({ "version": version, "item": item })
}

/// Makes `edit` to the version `base` the form was opened on, as the next version with
/// `reason` (and the adopting document it belongs to): the whole list checked, its rows
/// rewritten for the public pages, the version and the audit line (the item before and
/// after) in one transaction.
pub async fn change(
    pool: &PgPool,
    member: &StaffMember,
    ip: Option<IpAddr>,
    base: i32,
    edit: &Edit,
    reason: &Reason,
    adoption: Option<i64>,
) -> Result<Made, ChangeError> {
    if !may_keep(member) {
        return Err(ChangeError::Forbidden);
    }
    let mut tx = pool.begin().await?;
    power::lock(&mut tx).await?;
    let (current, list) = power_versions::current(&mut *tx)
        .await?
        .ok_or(sqlx::Error::RowNotFound)?;
    if current != base {
        return Err(ChangeError::Stale { current });
    }
    if let Some(id) = adoption
        && !power_adoptions::exists(&mut tx, id).await?
    {
        return Err(ChangeError::NoAdoption(id));
    }
    let next = edit.apply(&list)?;
    let (action, item) = match edit {
        Edit::Replace(i) => ("power_list.item_changed", i.id),
        Edit::Add(_) => (
            "power_list.item_added",
            crate::domain::power_edit::next_id(&list),
        ),
        Edit::Remove(id) => ("power_list.item_removed", *id),
    };
    let version = current + 1;
    power_versions::insert(
        &mut tx,
        version,
        &next,
        reason.as_str(),
        Some(member.account_id),
        adoption,
    )
    .await?;
    power::rewrite(&mut tx, &next).await?;
    let find = |l: &crate::domain::PowerList| l.items().iter().find(|i| i.id == item).cloned();
    audit::record(
        &mut *tx,
        Actor::member(member, ip),
        action,
        Subject::new("power_item", item, member.region.as_str()),
        Change {
            before: Some(item_json(current, find(&list).as_ref())),
            after: Some(item_json(version, find(&next).as_ref())),
            reason: Some(reason.as_str()),
        },
    )
    .await?;
    tx.commit().await?;
    Ok(Made { version, item })
}
