//! The supervision dashboard's figures (`/staff/insight`), each one query over a
//! region's villages (`village_code LIKE scope || '%'`). Months and days are China's.
//! Sample content (`sunvillage demo-data`) is left out everywhere.

use chrono::{DateTime, Utc};
use sqlx::PgPool;

/// Complaints and inbound messages per area, month and topic.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TopicCount {
    pub area: String,
    pub area_name: String,
    /// `2026-11`.
    pub month: String,
    /// A topic key, or 待人工分类.
    pub topic: String,
    pub complaints: i64,
    pub messages: i64,
}

/// `area_len`: how many digits of the village code name the area (6 county, 9 township,
/// 12 village). Inbound messages count where their follower's village was when they
/// wrote (stored with the message).
pub async fn topic_counts(
    pool: &PgPool,
    scope: &str,
    area_len: i32,
    since: DateTime<Utc>,
) -> Result<Vec<TopicCount>, sqlx::Error> {
    sqlx::query_as!(
        TopicCount,
        r#"WITH items AS (
               SELECT c.village_code, c.received_at AS at, 'complaint' AS kind, t.topics, t.needs_review
               FROM complaints c
               JOIN topic_classifications t ON t.item_kind = 'complaint' AND t.item_id = c.complaint_id
               WHERE c.village_code LIKE $1 || '%' AND c.received_at >= $3
               UNION ALL
               SELECT m.village_code, m.sent_at, 'message', t.topics, t.needs_review
               FROM inbound_messages m
               JOIN topic_classifications t ON t.item_kind = 'inbound_message' AND t.item_id = m.inbound_message_id
               WHERE m.village_code LIKE $1 || '%' AND m.sent_at >= $3
           ), one AS (
               SELECT substr(village_code, 1, $2) AS area,
                      to_char(at AT TIME ZONE 'Asia/Shanghai', 'YYYY-MM') AS month,
                      kind,
                      unnest(CASE WHEN needs_review THEN ARRAY['待人工分类'] ELSE topics END) AS topic
               FROM items
           )
           SELECT one.area AS "area!", coalesce(r.display_name, one.area) AS "area_name!",
                  one.month AS "month!", one.topic AS "topic!",
                  count(*) FILTER (WHERE kind = 'complaint') AS "complaints!",
                  count(*) FILTER (WHERE kind = 'message') AS "messages!"
           FROM one LEFT JOIN regions r ON r.code = one.area
           GROUP BY one.area, r.display_name, one.month, one.topic
           ORDER BY one.area, one.month, one.topic"#,
        scope,
        area_len,
        since,
    )
    .fetch_all(pool)
    .await
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VillageCount {
    pub code: String,
    pub name: String,
    pub township: String,
    pub complaints: i64,
}

/// The villages with the most complaints received since `since`.
pub async fn top_villages(
    pool: &PgPool,
    scope: &str,
    since: DateTime<Utc>,
    limit: i64,
) -> Result<Vec<VillageCount>, sqlx::Error> {
    sqlx::query_as!(
        VillageCount,
        r#"SELECT c.village_code AS "code!", coalesce(v.display_name, c.village_code) AS "name!",
                  coalesce(t.display_name, '') AS "township!", count(*) AS "complaints!"
           FROM complaints c
           LEFT JOIN regions v ON v.code = c.village_code
           LEFT JOIN regions t ON t.code = substr(c.village_code, 1, 9)
           WHERE c.village_code LIKE $1 || '%' AND c.received_at >= $2
           GROUP BY c.village_code, v.display_name, t.display_name
           ORDER BY count(*) DESC, c.village_code
           LIMIT $3"#,
        scope,
        since,
        limit,
    )
    .fetch_all(pool)
    .await
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StatusCount {
    /// The stored status (`ComplaintStatus`'s wire name).
    pub status: String,
    pub complaints: i64,
    pub overdue: i64,
}

/// Every complaint in scope by status; overdue = its current deadline has passed.
pub async fn status_counts(
    pool: &PgPool,
    scope: &str,
    now: DateTime<Utc>,
) -> Result<Vec<StatusCount>, sqlx::Error> {
    sqlx::query_as!(
        StatusCount,
        r#"SELECT status AS "status!", count(*) AS "complaints!",
                  count(*) FILTER (WHERE current_due IS NOT NULL AND current_due < $2) AS "overdue!"
           FROM complaints WHERE village_code LIKE $1 || '%'
           GROUP BY status
           ORDER BY 3 DESC, 2 DESC, status"#,
        scope,
        now,
    )
    .fetch_all(pool)
    .await
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Overdue {
    pub tracking_number: String,
    pub village: String,
    pub status: String,
    pub due: DateTime<Utc>,
}

/// The overdue complaints, longest overdue first.
pub async fn overdue(
    pool: &PgPool,
    scope: &str,
    now: DateTime<Utc>,
    limit: i64,
) -> Result<Vec<Overdue>, sqlx::Error> {
    sqlx::query_as!(
        Overdue,
        r#"SELECT c.tracking_number, coalesce(v.display_name, c.village_code) AS "village!",
                  c.status, c.current_due AS "due!"
           FROM complaints c LEFT JOIN regions v ON v.code = c.village_code
           WHERE c.village_code LIKE $1 || '%' AND c.current_due < $2
           ORDER BY c.current_due, c.tracking_number
           LIMIT $3"#,
        scope,
        now,
        limit,
    )
    .fetch_all(pool)
    .await
}

#[derive(Debug, Clone, PartialEq)]
pub struct Timeliness {
    pub township: String,
    pub name: String,
    pub accepted: i64,
    /// Mean days from receipt to acceptance.
    pub accept_days: Option<f64>,
    pub concluded: i64,
    /// Mean days from acceptance to conclusion.
    pub conclude_days: Option<f64>,
}

/// Per township, how long complaints received since `since` took to be accepted and,
/// once accepted, to be concluded.
pub async fn timeliness(
    pool: &PgPool,
    scope: &str,
    since: DateTime<Utc>,
) -> Result<Vec<Timeliness>, sqlx::Error> {
    sqlx::query_as!(
        Timeliness,
        r#"SELECT substr(c.village_code, 1, 9) AS "township!",
                  coalesce(t.display_name, substr(c.village_code, 1, 9)) AS "name!",
                  count(c.accepted_at) AS "accepted!",
                  avg(extract(epoch FROM c.accepted_at - c.received_at) / 86400)::float8 AS accept_days,
                  count(c.concluded_at) FILTER (WHERE c.accepted_at IS NOT NULL) AS "concluded!",
                  avg(extract(epoch FROM c.concluded_at - c.accepted_at) / 86400)::float8 AS conclude_days
           FROM complaints c LEFT JOIN regions t ON t.code = substr(c.village_code, 1, 9)
           WHERE c.village_code LIKE $1 || '%' AND c.received_at >= $2
           GROUP BY 1, t.display_name
           ORDER BY 1"#,
        scope,
        since,
    )
    .fetch_all(pool)
    .await
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FollowerMonth {
    pub month: String,
    pub subscribed: i64,
    pub unsubscribed: i64,
}

/// Follows and unfollows per month of followers bound to a village in scope.
pub async fn follower_months(
    pool: &PgPool,
    scope: &str,
    since: DateTime<Utc>,
) -> Result<Vec<FollowerMonth>, sqlx::Error> {
    sqlx::query_as!(
        FollowerMonth,
        r#"WITH e AS (
               SELECT subscribed_at AS at, 1 AS sub, 0 AS unsub FROM followers
               WHERE village_code LIKE $1 || '%' AND subscribed_at >= $2
               UNION ALL
               SELECT unsubscribed_at, 0, 1 FROM followers
               WHERE village_code LIKE $1 || '%' AND unsubscribed_at >= $2
           )
           SELECT to_char(at AT TIME ZONE 'Asia/Shanghai', 'YYYY-MM') AS "month!",
                  sum(sub)::int8 AS "subscribed!", sum(unsub)::int8 AS "unsubscribed!"
           FROM e GROUP BY 1 ORDER BY 1"#,
        scope,
        since,
    )
    .fetch_all(pool)
    .await
}

/// Followers bound in scope and subscribed before `before` (the base of the growth line).
pub async fn followers_before(
    pool: &PgPool,
    scope: &str,
    before: DateTime<Utc>,
) -> Result<i64, sqlx::Error> {
    sqlx::query_scalar!(
        r#"SELECT count(*) AS "n!" FROM followers
           WHERE village_code LIKE $1 || '%' AND subscribed_at < $2
             AND (unsubscribed_at IS NULL OR unsubscribed_at >= $2 OR unsubscribed_at < subscribed_at)"#,
        scope,
        before,
    )
    .fetch_one(pool)
    .await
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VillageDisclosures {
    pub code: String,
    pub name: String,
    pub township: String,
    pub disclosures: i64,
}

/// Every village in scope with the disclosures it published since `since` (not
/// samples, not withdrawn), those with none first.
pub async fn disclosures_by_village(
    pool: &PgPool,
    scope: &str,
    since: DateTime<Utc>,
) -> Result<Vec<VillageDisclosures>, sqlx::Error> {
    sqlx::query_as!(
        VillageDisclosures,
        r#"SELECT v.code AS "code!", v.display_name AS "name!",
                  coalesce(t.display_name, '') AS "township!",
                  count(d.id) AS "disclosures!"
           FROM regions v
           LEFT JOIN regions t ON t.code = v.parent_code
           LEFT JOIN disclosures d ON d.region_code = v.code AND d.published_at >= $2
                AND NOT d.is_sample AND d.status = 'published'
           WHERE v.level = 'village' AND v.code LIKE $1 || '%'
           GROUP BY v.code, v.display_name, t.display_name
           ORDER BY count(d.id), v.code"#,
        scope,
        since,
    )
    .fetch_all(pool)
    .await
}

/// A classified message from a follower of a village, for grouping with complaints.
#[derive(Debug, Clone)]
pub struct MessageClusterRow {
    pub inbound_message_id: i64,
    pub village_code: String,
    pub village: String,
    pub township: String,
    pub sent_at: DateTime<Utc>,
    pub content: String,
    pub topics: Vec<String>,
}

/// Followers' messages from villages in scope sent in `[since, until)` that have topics.
/// A message from a follower who had chosen no village is placed nowhere and not grouped.
pub async fn message_cluster_rows(
    pool: &PgPool,
    scope: &str,
    since: DateTime<Utc>,
    until: DateTime<Utc>,
) -> Result<Vec<MessageClusterRow>, sqlx::Error> {
    sqlx::query_as!(
        MessageClusterRow,
        r#"SELECT m.inbound_message_id, m.village_code AS "village_code!",
                  coalesce(v.display_name, m.village_code) AS "village!",
                  coalesce(t.display_name, substr(m.village_code, 1, 9)) AS "township!",
                  m.sent_at, m.content, tc.topics
           FROM inbound_messages m
           JOIN topic_classifications tc
             ON tc.item_kind = 'inbound_message' AND tc.item_id = m.inbound_message_id
           LEFT JOIN regions v ON v.code = m.village_code
           LEFT JOIN regions t ON t.code = substr(m.village_code, 1, 9)
           WHERE m.village_code LIKE $1 || '%' AND m.sent_at >= $2 AND m.sent_at < $3
             AND NOT tc.needs_review
           ORDER BY m.sent_at, m.inbound_message_id"#,
        scope,
        since,
        until,
    )
    .fetch_all(pool)
    .await
}

/// A classified complaint, for grouping (`analysis::cluster`).
#[derive(Debug, Clone)]
pub struct ClusterRow {
    pub complaint_id: i64,
    pub tracking_number: String,
    pub village_code: String,
    pub village: String,
    pub township: String,
    pub received_at: DateTime<Utc>,
    pub content: String,
    pub topics: Vec<String>,
}

/// Complaints in scope received in `[since, until)` that have topics.
pub async fn cluster_rows(
    pool: &PgPool,
    scope: &str,
    since: DateTime<Utc>,
    until: DateTime<Utc>,
) -> Result<Vec<ClusterRow>, sqlx::Error> {
    sqlx::query_as!(
        ClusterRow,
        r#"SELECT c.complaint_id, c.tracking_number, c.village_code,
                  coalesce(v.display_name, c.village_code) AS "village!",
                  coalesce(t.display_name, substr(c.village_code, 1, 9)) AS "township!",
                  c.received_at, c.content, tc.topics
           FROM complaints c
           JOIN topic_classifications tc ON tc.item_kind = 'complaint' AND tc.item_id = c.complaint_id
           LEFT JOIN regions v ON v.code = c.village_code
           LEFT JOIN regions t ON t.code = substr(c.village_code, 1, 9)
           WHERE c.village_code LIKE $1 || '%' AND c.received_at >= $2 AND c.received_at < $3
             AND NOT tc.needs_review
           ORDER BY c.received_at, c.complaint_id"#,
        scope,
        since,
        until,
    )
    .fetch_all(pool)
    .await
}
