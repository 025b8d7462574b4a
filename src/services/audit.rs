//! The one way a line enters the audit log: who (the member of staff, or the name typed
//! at a failed sign-in), from where, what, on what, before and after, why. Writes that
//! change something take the same transaction as the change, so that nothing changes
//! without its line (Decidim's "traceability" service is the model).

use std::net::IpAddr;

use serde_json::Value;

use crate::domain::staff::StaffMember;
use crate::storage::audit::{self, NewEntry};

/// Who is acting, and from where.
#[derive(Debug, Clone, Copy)]
pub struct Actor<'a> {
    pub member: Option<&'a StaffMember>,
    /// The username (or what was typed), or `cli` for the command line; `None` for the
    /// system itself.
    pub name: Option<&'a str>,
    pub ip: Option<IpAddr>,
}

impl<'a> Actor<'a> {
    pub fn member(member: &'a StaffMember, ip: Option<IpAddr>) -> Actor<'a> {
        Actor {
            member: Some(member),
            name: Some(&member.username),
            ip,
        }
    }

    /// The command line on the server (`sunvillage user …`): trusted, and recorded.
    pub fn command_line() -> Actor<'static> {
        Actor {
            member: None,
            name: Some("cli"),
            ip: None,
        }
    }

    /// The service acting on its own, by schedule (the retention pass): nobody to name.
    pub fn system() -> Actor<'static> {
        Actor {
            member: None,
            name: None,
            ip: None,
        }
    }
}

/// What was acted on.
#[derive(Debug, Clone, Default)]
pub struct Subject<'a> {
    pub region_code: Option<&'a str>,
    pub object_type: Option<&'a str>,
    pub object_id: Option<String>,
}

impl<'a> Subject<'a> {
    pub fn new(object_type: &'a str, object_id: impl ToString, region_code: &'a str) -> Self {
        Subject {
            region_code: Some(region_code),
            object_type: Some(object_type),
            object_id: Some(object_id.to_string()),
        }
    }
}

/// Before and after, and why.
#[derive(Debug, Clone, Default)]
pub struct Change<'a> {
    pub before: Option<Value>,
    pub after: Option<Value>,
    pub reason: Option<&'a str>,
}

/// Appends one line.
pub async fn record(
    executor: impl sqlx::PgExecutor<'_>,
    actor: Actor<'_>,
    action: &str,
    subject: Subject<'_>,
    change: Change<'_>,
) -> Result<i64, sqlx::Error> {
    let region = subject
        .region_code
        .or(actor.member.map(|m| m.region.as_str()));
    audit::insert(
        executor,
        &NewEntry {
            account_id: actor.member.map(|m| m.account_id),
            actor: actor.name,
            source_ip: actor.ip,
            action,
            region_code: region,
            object_type: subject.object_type,
            object_id: subject.object_id,
            before: change.before,
            after: change.after,
            reason: change.reason,
        },
    )
    .await
}
