//! An inspector's or auditor's search for complaints by the complainant's phone number
//! (docs/privacy.md): the number is normalised, hashed with the lookup key and matched
//! against `complaints.phone_hash` — never stored, never compared in the clear. Each
//! search writes an audit line holding the hash, not the number, and the same lines
//! bound how often one account may search: counted in Postgres, the limit survives the
//! loss of Redis and holds across instances.

use std::net::IpAddr;

use chrono::{Duration, Utc};
use serde_json::json;
use sqlx::PgPool;

use crate::crypto::Vault;
use crate::crypto::lookup::Purpose;
use crate::domain::complaint::MobileNumber;
use crate::domain::staff::{StaffAction, StaffMember};
use crate::services::audit::{self, Actor, Change, Subject};
use crate::storage;
use crate::storage::complaints::ComplaintRow;

/// The audit action of a search.
pub const AUDITED_AS: &str = "complaint.phone_searched";
/// Searches one account may make in [`WINDOW_MINUTES`].
pub const LIMIT: i64 = 20;
pub const WINDOW_MINUTES: i64 = 60;
/// The most complaints one search lists.
const MAX_MATCHES: i64 = 100;

#[derive(Debug, thiserror::Error)]
pub enum SearchError {
    #[error("the role may not search by phone number")]
    Forbidden,
    #[error("not a mobile number")]
    InvalidNumber,
    #[error("too many searches in the last hour")]
    TooMany,
    #[error(transparent)]
    Database(#[from] sqlx::Error),
}

/// Finds the complaints inside `member`'s scope filed with `raw`'s number, after
/// recording the search.
pub async fn search(
    pool: &PgPool,
    vault: &Vault,
    member: &StaffMember,
    ip: Option<IpAddr>,
    raw: &str,
) -> Result<Vec<ComplaintRow>, SearchError> {
    if !member.may(StaffAction::SearchByPhone) {
        return Err(SearchError::Forbidden);
    }
    let number = MobileNumber::parse(raw).ok_or(SearchError::InvalidNumber)?;
    let mut tx = pool.begin().await?;
    // One search of an account at a time, so that two at once cannot both pass the count.
    sqlx::query("SELECT pg_advisory_xact_lock(hashtext('phone_search'), ($1 % 2147483647)::int)")
        .bind(member.account_id)
        .execute(&mut *tx)
        .await?;
    let since = Utc::now() - Duration::minutes(WINDOW_MINUTES);
    let done = storage::audit::count_since(&mut *tx, member.account_id, AUDITED_AS, since).await?;
    if done >= LIMIT {
        return Err(SearchError::TooMany);
    }
    let hashes = vault.lookup_candidates(Purpose::ComplainantPhone, number.as_str());
    let unit = member.unit_scope(StaffAction::SearchByPhone);
    let rows = storage::complaints::list_by_phone_hash(
        pool,
        &hashes,
        member.region.as_str(),
        unit,
        MAX_MATCHES,
    )
    .await?;
    let hash = vault.lookup(Purpose::ComplainantPhone, number.as_str());
    audit::record(
        &mut *tx,
        Actor::member(member, ip),
        AUDITED_AS,
        Subject::default(),
        Change {
            after: Some(json!({
                "phone_hash": hex::encode(hash.as_bytes()),
                "matches": rows.len(),
            })),
            ..Change::default()
        },
    )
    .await?;
    tx.commit().await?;
    Ok(rows)
}
