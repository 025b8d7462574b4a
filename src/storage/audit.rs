//! `audit_log`: appended to, read within a scope, never changed (the table refuses
//! UPDATE, DELETE and TRUNCATE for everyone, this service included).

use std::net::IpAddr;

use chrono::{DateTime, Utc};
use serde::Serialize;
use serde_json::Value;
use sqlx::PgPool;

use crate::domain::RegionCode;

/// One line to append.
#[derive(Debug, Clone, Default)]
pub struct NewEntry<'a> {
    pub account_id: Option<i64>,
    /// The username as it was (or as typed, for a failed sign-in); `None` for the
    /// system acting on its own (a timer's retention pass), which has no name.
    pub actor: Option<&'a str>,
    pub source_ip: Option<IpAddr>,
    pub action: &'a str,
    pub region_code: Option<&'a str>,
    pub object_type: Option<&'a str>,
    pub object_id: Option<String>,
    pub before: Option<Value>,
    pub after: Option<Value>,
    pub reason: Option<&'a str>,
}

pub async fn insert(
    executor: impl sqlx::PgExecutor<'_>,
    e: &NewEntry<'_>,
) -> Result<i64, sqlx::Error> {
    let actor: Option<String> = e.actor.map(|a| a.chars().take(64).collect());
    let kind = if actor.is_some() { "person" } else { "system" };
    sqlx::query_scalar!(
        "INSERT INTO audit_log
             (account_id, actor, source_ip, action, region_code, object_type, object_id, before, after, reason, actor_kind)
         VALUES ($1, $2, $3::text::inet, $4, $5, $6, $7, $8, $9, $10, $11)
         RETURNING audit_id",
        e.account_id,
        actor,
        e.source_ip.map(|ip| ip.to_string()),
        e.action,
        e.region_code,
        e.object_type,
        e.object_id,
        e.before,
        e.after,
        e.reason,
        kind,
    )
    .fetch_one(executor)
    .await
}

/// A line as read.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Entry {
    pub audit_id: i64,
    pub at: DateTime<Utc>,
    pub account_id: Option<i64>,
    /// The person's name; empty when `by_system`.
    pub actor: String,
    /// A line the service wrote on its own (no person acted).
    pub by_system: bool,
    pub source_ip: Option<String>,
    pub action: String,
    pub region_code: Option<String>,
    pub object_type: Option<String>,
    pub object_id: Option<String>,
    pub before: Option<Value>,
    pub after: Option<Value>,
    pub reason: Option<String>,
}

/// What to read: always within a region; the rest optional.
#[derive(Debug, Clone)]
pub struct Filter {
    /// Only lines about things inside this region. Lines about nothing in particular
    /// (a failed sign-in with an unknown name) are read only from the city or province.
    pub within: RegionCode,
    pub actor: Option<String>,
    /// An action or a family of them: `complaint` matches `complaint.accept`.
    pub action: Option<String>,
    /// A region inside `within` to narrow to.
    pub region: Option<RegionCode>,
    pub from: Option<DateTime<Utc>>,
    pub before_time: Option<DateTime<Utc>>,
    pub object_type: Option<String>,
    pub object_id: Option<String>,
    /// Keyset pagination: lines older than this one.
    pub before_id: Option<i64>,
    pub limit: i64,
}

pub async fn list(pool: &PgPool, f: &Filter) -> Result<Vec<Entry>, sqlx::Error> {
    let within = format!("{}%", f.within.as_str());
    let top = f.within.as_str().len() <= 4;
    let region = f.region.as_ref().map(|r| format!("{}%", r.as_str()));
    let action_family = f.action.as_ref().map(|a| format!("{a}.%"));
    sqlx::query_as!(
        Entry,
        r#"SELECT audit_id, at, account_id, COALESCE(actor, '') AS "actor!",
                  actor_kind = 'system' AS "by_system!", host(source_ip) AS source_ip, action,
                  region_code, object_type, object_id, before, after, reason
           FROM audit_log
           WHERE (region_code LIKE $1 OR (region_code IS NULL AND $2))
             AND ($3::text IS NULL OR actor = $3)
             AND ($4::text IS NULL OR action = $4 OR action LIKE $5)
             AND ($6::text IS NULL OR region_code LIKE $6)
             AND ($7::timestamptz IS NULL OR at >= $7)
             AND ($8::timestamptz IS NULL OR at < $8)
             AND ($9::text IS NULL OR object_type = $9)
             AND ($10::text IS NULL OR object_id = $10)
             AND ($11::bigint IS NULL OR audit_id < $11)
           ORDER BY audit_id DESC
           LIMIT $12"#,
        within,
        top,
        f.actor,
        f.action,
        action_family,
        region,
        f.from,
        f.before_time,
        f.object_type,
        f.object_id,
        f.before_id,
        f.limit,
    )
    .fetch_all(pool)
    .await
}

/// How many lines of `action` the account wrote since `since`: a limit counted from the
/// log survives the loss of Redis.
pub async fn count_since(
    executor: impl sqlx::PgExecutor<'_>,
    account_id: i64,
    action: &str,
    since: DateTime<Utc>,
) -> Result<i64, sqlx::Error> {
    sqlx::query_scalar!(
        r#"SELECT count(*) AS "n!" FROM audit_log
           WHERE account_id = $1 AND action = $2 AND at >= $3"#,
        account_id,
        action,
        since,
    )
    .fetch_one(executor)
    .await
}
