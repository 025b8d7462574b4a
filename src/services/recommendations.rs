//! 监察建议书 from draft to result: a printable draft computed from the classified
//! complaints of a topic, region and period; then sending it (to which department, by
//! when to rectify), its milestones and its result, each written with its audit line in
//! one transaction.

use std::net::IpAddr;

use chrono::{DateTime, Duration, NaiveDate, Utc};
use sqlx::PgPool;

use crate::domain::china_time;
use crate::domain::recommendation::{Sent, Subject, anonymise};
use crate::domain::staff::StaffMember;
use crate::services::audit::{self, Actor, Change, Subject as AuditSubject};
use crate::storage::recommendations as store;

/// Typical cases a draft quotes.
pub const CASES: i64 = 5;

#[derive(Debug, Clone)]
pub struct Case {
    pub village: String,
    pub day: String,
    /// Anonymised (`recommendation::anonymise`).
    pub text: String,
    pub status: String,
}

#[derive(Debug, Clone)]
pub struct Draft {
    pub subject: Subject,
    pub complaints: i64,
    pub messages: i64,
    pub villages: Vec<store::VillageCount>,
    pub cases: Vec<Case>,
}

/// The instant a China day starts.
fn start(day: NaiveDate) -> DateTime<Utc> {
    day.and_hms_opt(0, 0, 0)
        .and_then(|t| t.and_local_timezone(china_time::zone()).single())
        .map_or_else(Utc::now, |t| t.with_timezone(&Utc))
}

/// Where a recommendation stands: a result recorded, its deadline passed, or under way.
pub fn state(row: &store::Row, today: NaiveDate) -> &'static str {
    if row.closed_at.is_some() {
        "已有结果"
    } else if row.rectify_by < today {
        "已超过整改期限"
    } else {
        "整改中"
    }
}

pub async fn draft(pool: &PgPool, subject: Subject) -> Result<Draft, sqlx::Error> {
    let (from, until) = (start(subject.from), start(subject.to) + Duration::days(1));
    let (scope, topic) = (subject.region.as_str(), subject.topic.key());
    let villages = store::villages_concerned(pool, scope, topic, from, until).await?;
    let cases = store::typical_cases(pool, scope, topic, from, until, CASES)
        .await?
        .into_iter()
        .map(|c| Case {
            village: c.village,
            day: china_time::local(c.received_at)
                .format("%Y年%-m月%-d日")
                .to_string(),
            text: anonymise(&c.content),
            status: crate::domain::complaint::ComplaintStatus::parse(&c.status)
                .map_or_else(|| c.status.clone(), |s| s.label().to_owned()),
        })
        .collect();
    Ok(Draft {
        complaints: villages.iter().map(|v| v.complaints).sum(),
        messages: store::messages_about(pool, scope, topic, from, until).await?,
        villages,
        cases,
        subject,
    })
}

pub async fn send(
    pool: &PgPool,
    member: &StaffMember,
    ip: Option<IpAddr>,
    sent: &Sent,
) -> Result<i64, sqlx::Error> {
    let mut tx = pool.begin().await?;
    let id = store::insert(&mut tx, sent, member.account_id).await?;
    audit::record(
        &mut *tx,
        Actor::member(member, ip),
        "recommendation.sent",
        AuditSubject::new("recommendation", id, sent.subject.region.as_str()),
        Change {
            after: Some(serde_json::json!({
                "topic": sent.subject.topic.key(),
                "period": [sent.subject.from.to_string(), sent.subject.to.to_string()],
                "title": sent.title,
                "department": sent.department,
                "sent_on": sent.sent_on.to_string(),
                "rectify_by": sent.rectify_by.to_string(),
            })),
            ..Change::default()
        },
    )
    .await?;
    tx.commit().await?;
    Ok(id)
}

pub async fn add_milestone(
    pool: &PgPool,
    member: &StaffMember,
    ip: Option<IpAddr>,
    row: &store::Row,
    day: NaiveDate,
    note: &str,
) -> Result<(), sqlx::Error> {
    let mut tx = pool.begin().await?;
    store::add_milestone(&mut tx, row.recommendation_id, day, note, member.account_id).await?;
    audit::record(
        &mut *tx,
        Actor::member(member, ip),
        "recommendation.milestone",
        AuditSubject::new("recommendation", row.recommendation_id, &row.region_code),
        Change {
            after: Some(serde_json::json!({ "day": day.to_string(), "note": note })),
            ..Change::default()
        },
    )
    .await?;
    tx.commit().await
}

/// Records the result; false when a result was already recorded (nothing changes).
pub async fn close(
    pool: &PgPool,
    member: &StaffMember,
    ip: Option<IpAddr>,
    row: &store::Row,
    result: &str,
) -> Result<bool, sqlx::Error> {
    let mut tx = pool.begin().await?;
    if !store::close(&mut tx, row.recommendation_id, result).await? {
        return Ok(false);
    }
    audit::record(
        &mut *tx,
        Actor::member(member, ip),
        "recommendation.closed",
        AuditSubject::new("recommendation", row.recommendation_id, &row.region_code),
        Change {
            after: Some(serde_json::json!({ "result": result })),
            ..Change::default()
        },
    )
    .await?;
    tx.commit().await?;
    Ok(true)
}
