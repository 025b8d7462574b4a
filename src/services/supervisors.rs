//! Keeping the supervisor directory: a township's reviewer adds, edits in place and
//! removes the 监察办公室 of their township and the 村务监督委员会 members and 廉情监督员 of
//! its villages. Each change writes its audit line (old and new values) in the same
//! transaction.

use std::net::IpAddr;

use serde_json::json;
use sqlx::PgPool;

use super::audit::{self, Actor, Change, Subject};
use crate::domain::staff::{StaffAction, StaffMember};
use crate::domain::{NewSupervisor, PersonError, Phone, RegionCode, SupervisorBody};
use crate::storage::supervisors;

#[derive(Debug, thiserror::Error)]
pub enum SupervisorError {
    #[error("not allowed")]
    Forbidden,
    #[error("no such entry in scope")]
    NotFound,
    #[error("invalid: {0}")]
    Invalid(#[from] PersonError),
    #[error("the place is not a township or village in scope")]
    Place,
    #[error(transparent)]
    Database(#[from] sqlx::Error),
}

/// What a keeper typed.
pub struct SupervisorForm<'a> {
    pub region: &'a str,
    pub body: &'a str,
    pub name: &'a str,
    pub role: &'a str,
    pub phone: &'a str,
}

fn may(member: &StaffMember) -> Result<(), SupervisorError> {
    if member.may(StaffAction::ManageSupervisors) {
        Ok(())
    } else {
        Err(SupervisorError::Forbidden)
    }
}

/// Adds an entry inside the member's region; its id.
pub async fn add(
    pool: &PgPool,
    member: &StaffMember,
    ip: Option<IpAddr>,
    form: &SupervisorForm<'_>,
) -> Result<i64, SupervisorError> {
    may(member)?;
    let region = RegionCode::parse(form.region.trim()).map_err(|_| SupervisorError::Place)?;
    let known = supervisors::places_within(pool, &member.region)
        .await?
        .into_iter()
        .any(|(c, _)| c == region);
    if !known {
        return Err(SupervisorError::Place);
    }
    let body = SupervisorBody::parse(form.body).ok_or(SupervisorError::Place)?;
    let phone = Some(form.phone.trim()).filter(|p| !p.is_empty());
    let entry = NewSupervisor::new(region.clone(), body, form.name, form.role, phone)?;
    let mut tx = pool.begin().await?;
    let id = supervisors::add(&mut tx, &entry).await?;
    audit::record(
        &mut *tx,
        Actor::member(member, ip),
        "supervisor.added",
        Subject::new("supervisor", id, region.as_str()),
        Change {
            after: Some(json!({
                "body": body.as_str(),
                "name": entry.name(),
                "role": entry.role(),
                "phone": entry.phone().map(Phone::as_str),
            })),
            ..Change::default()
        },
    )
    .await?;
    tx.commit().await?;
    Ok(id)
}

/// Removes an entry inside the member's region (one outside it is "not found").
pub async fn remove(
    pool: &PgPool,
    member: &StaffMember,
    ip: Option<IpAddr>,
    id: i64,
) -> Result<(), SupervisorError> {
    may(member)?;
    let mut tx = pool.begin().await?;
    let (region, body, name, role, phone) = supervisors::remove(&mut tx, id, &member.region)
        .await?
        .ok_or(SupervisorError::NotFound)?;
    audit::record(
        &mut *tx,
        Actor::member(member, ip),
        "supervisor.removed",
        Subject::new("supervisor", id, &region),
        Change {
            before: Some(json!({"body": body, "name": name, "role": role, "phone": phone})),
            ..Change::default()
        },
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// What a keeper changed in an entry: its place stays, the rest is checked again by the
/// same rules as a new entry.
pub struct EditForm<'a> {
    pub body: &'a str,
    pub name: &'a str,
    pub role: &'a str,
    pub phone: &'a str,
}

/// Edits an entry inside the member's region in place (one outside it is "not found",
/// whatever was typed); the audit line holds the values before and after.
pub async fn edit(
    pool: &PgPool,
    member: &StaffMember,
    ip: Option<IpAddr>,
    id: i64,
    form: &EditForm<'_>,
) -> Result<(), SupervisorError> {
    may(member)?;
    let mut tx = pool.begin().await?;
    let (region, body, name, role, phone) =
        supervisors::find_for_update(&mut tx, id, &member.region)
            .await?
            .ok_or(SupervisorError::NotFound)?;
    let new_body = SupervisorBody::parse(form.body).ok_or(SupervisorError::Place)?;
    let typed_phone = Some(form.phone.trim()).filter(|p| !p.is_empty());
    let entry = NewSupervisor::new(region.clone(), new_body, form.name, form.role, typed_phone)?;
    supervisors::update(&mut tx, id, &entry).await?;
    audit::record(
        &mut *tx,
        Actor::member(member, ip),
        "supervisor.edited",
        Subject::new("supervisor", id, region.as_str()),
        Change {
            before: Some(json!({
                "body": body.as_str(),
                "name": name,
                "role": role,
                "phone": phone,
            })),
            after: Some(json!({
                "body": entry.body().as_str(),
                "name": entry.name(),
                "role": entry.role(),
                "phone": entry.phone().map(Phone::as_str),
            })),
            ..Change::default()
        },
    )
    .await?;
    tx.commit().await?;
    Ok(())
}
