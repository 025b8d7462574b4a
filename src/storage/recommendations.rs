//! `recommendations` and their milestones (监察建议书), and the figures a draft is made
//! of: complaints of a topic in a region and period, by village, with typical texts.

use chrono::{DateTime, NaiveDate, Utc};
use sqlx::PgPool;

use super::PgTransaction;
use crate::domain::recommendation::Sent;

#[derive(Debug, Clone)]
pub struct Row {
    pub recommendation_id: i64,
    pub topic: String,
    pub region_code: String,
    pub region_name: String,
    pub period_from: NaiveDate,
    pub period_to: NaiveDate,
    pub title: String,
    pub department: String,
    pub sent_on: NaiveDate,
    pub rectify_by: NaiveDate,
    pub result: Option<String>,
    pub closed_at: Option<DateTime<Utc>>,
}

#[derive(Debug, Clone)]
pub struct Milestone {
    pub happened_on: NaiveDate,
    pub note: String,
    pub by: String,
}

pub async fn insert(tx: &mut PgTransaction<'_>, s: &Sent, by: i64) -> Result<i64, sqlx::Error> {
    sqlx::query_scalar!(
        "INSERT INTO recommendations (topic, region_code, period_from, period_to, title,
                                      department, sent_on, rectify_by, created_by)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING recommendation_id",
        s.subject.topic.key(),
        s.subject.region.as_str(),
        s.subject.from,
        s.subject.to,
        s.title,
        s.department,
        s.sent_on,
        s.rectify_by,
        by,
    )
    .fetch_one(&mut **tx)
    .await
}

/// Those of a region, open first and by deadline.
pub async fn list(pool: &PgPool, scope: &str) -> Result<Vec<Row>, sqlx::Error> {
    sqlx::query_as!(
        Row,
        r#"SELECT r.recommendation_id, r.topic, r.region_code,
                  coalesce(g.display_name, r.region_code) AS "region_name!",
                  r.period_from, r.period_to, r.title, r.department, r.sent_on, r.rectify_by,
                  r.result, r.closed_at
           FROM recommendations r LEFT JOIN regions g ON g.code = r.region_code
           WHERE r.region_code LIKE $1 || '%'
           ORDER BY r.closed_at IS NOT NULL, r.rectify_by, r.recommendation_id"#,
        scope
    )
    .fetch_all(pool)
    .await
}

pub async fn find(pool: &PgPool, id: i64) -> Result<Option<Row>, sqlx::Error> {
    sqlx::query_as!(
        Row,
        r#"SELECT r.recommendation_id, r.topic, r.region_code,
                  coalesce(g.display_name, r.region_code) AS "region_name!",
                  r.period_from, r.period_to, r.title, r.department, r.sent_on, r.rectify_by,
                  r.result, r.closed_at
           FROM recommendations r LEFT JOIN regions g ON g.code = r.region_code
           WHERE r.recommendation_id = $1"#,
        id
    )
    .fetch_optional(pool)
    .await
}

pub async fn milestones(pool: &PgPool, id: i64) -> Result<Vec<Milestone>, sqlx::Error> {
    sqlx::query_as!(
        Milestone,
        r#"SELECT m.happened_on, m.note, coalesce(a.display_name, '') AS "by!"
           FROM recommendation_milestones m
           LEFT JOIN staff_accounts a ON a.account_id = m.created_by
           WHERE m.recommendation_id = $1
           ORDER BY m.happened_on, m.recommendation_milestone_id"#,
        id
    )
    .fetch_all(pool)
    .await
}

pub async fn add_milestone(
    tx: &mut PgTransaction<'_>,
    id: i64,
    day: NaiveDate,
    note: &str,
    by: i64,
) -> Result<(), sqlx::Error> {
    sqlx::query!(
        "INSERT INTO recommendation_milestones (recommendation_id, happened_on, note, created_by)
         VALUES ($1, $2, $3, $4)",
        id,
        day,
        note,
        by
    )
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// Records the result and closes it; false when it was already closed.
pub async fn close(tx: &mut PgTransaction<'_>, id: i64, result: &str) -> Result<bool, sqlx::Error> {
    let done = sqlx::query!(
        "UPDATE recommendations SET result = $2, closed_at = now()
         WHERE recommendation_id = $1 AND closed_at IS NULL",
        id,
        result
    )
    .execute(&mut **tx)
    .await?;
    Ok(done.rows_affected() == 1)
}

#[derive(Debug, Clone)]
pub struct VillageCount {
    pub village: String,
    pub township: String,
    pub complaints: i64,
}

/// Complaints given `topic` in `scope` received in `[from, until)`, by village.
pub async fn villages_concerned(
    pool: &PgPool,
    scope: &str,
    topic: &str,
    from: DateTime<Utc>,
    until: DateTime<Utc>,
) -> Result<Vec<VillageCount>, sqlx::Error> {
    sqlx::query_as!(
        VillageCount,
        r#"SELECT coalesce(v.display_name, c.village_code) AS "village!",
                  coalesce(t.display_name, '') AS "township!", count(*) AS "complaints!"
           FROM complaints c
           JOIN topic_classifications tc ON tc.item_kind = 'complaint' AND tc.item_id = c.complaint_id
           LEFT JOIN regions v ON v.code = c.village_code
           LEFT JOIN regions t ON t.code = substr(c.village_code, 1, 9)
           WHERE c.village_code LIKE $1 || '%' AND $2 = ANY (tc.topics)
             AND c.received_at >= $3 AND c.received_at < $4
           GROUP BY c.village_code, v.display_name, t.display_name
           ORDER BY count(*) DESC, c.village_code"#,
        scope,
        topic,
        from,
        until
    )
    .fetch_all(pool)
    .await
}

#[derive(Debug, Clone)]
pub struct Case {
    pub village: String,
    pub received_at: DateTime<Utc>,
    pub content: String,
    pub status: String,
}

/// The complaints the model was surest were about `topic`: typical cases.
pub async fn typical_cases(
    pool: &PgPool,
    scope: &str,
    topic: &str,
    from: DateTime<Utc>,
    until: DateTime<Utc>,
    limit: i64,
) -> Result<Vec<Case>, sqlx::Error> {
    sqlx::query_as!(
        Case,
        r#"SELECT coalesce(v.display_name, c.village_code) AS "village!", c.received_at,
                  c.content, c.status
           FROM complaints c
           JOIN topic_classifications tc ON tc.item_kind = 'complaint' AND tc.item_id = c.complaint_id
           LEFT JOIN regions v ON v.code = c.village_code
           WHERE c.village_code LIKE $1 || '%' AND tc.topics[1] = $2
             AND c.received_at >= $3 AND c.received_at < $4
           ORDER BY tc.confidence DESC, c.received_at, c.complaint_id
           LIMIT $5"#,
        scope,
        topic,
        from,
        until,
        limit
    )
    .fetch_all(pool)
    .await
}

/// Inbound messages given `topic` from followers of villages in `scope` (where the
/// follower's village was when they wrote).
pub async fn messages_about(
    pool: &PgPool,
    scope: &str,
    topic: &str,
    from: DateTime<Utc>,
    until: DateTime<Utc>,
) -> Result<i64, sqlx::Error> {
    sqlx::query_scalar!(
        r#"SELECT count(*) AS "n!" FROM inbound_messages m
           JOIN topic_classifications tc ON tc.item_kind = 'inbound_message'
                AND tc.item_id = m.inbound_message_id
           WHERE m.village_code LIKE $1 || '%' AND $2 = ANY (tc.topics)
             AND m.sent_at >= $3 AND m.sent_at < $4"#,
        scope,
        topic,
        from,
        until
    )
    .fetch_one(pool)
    .await
}
