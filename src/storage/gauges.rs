//! The figures `/metrics` reads at scrape time: the outbox's backlog and failures and the
//! complaints past a deadline. Each query is served by a partial index, so a scrape
//! costs the same with ten million sent messages as with ten.

use sqlx::PgPool;

pub struct Read {
    pub outbox_due: i64,
    pub outbox_oldest_due_seconds: f64,
    pub outbox_failures: Vec<Failure>,
    pub complaints_overdue: i64,
}

pub struct Failure {
    /// `pending` (will be retried) or `failed` (given up).
    pub status: String,
    /// WeChat's errcode, or `unreachable` when WeChat did not answer with one.
    pub code: String,
    pub count: i64,
}

pub async fn read(pool: &PgPool) -> sqlx::Result<Read> {
    let due = sqlx::query!(
        r#"SELECT count(*) AS "due!",
                  COALESCE(EXTRACT(EPOCH FROM now() - min(next_attempt_at))::float8, 0) AS "oldest!"
           FROM outbox WHERE status = 'pending' AND next_attempt_at <= now()"#
    )
    .fetch_one(pool)
    .await?;
    // last_error starts "WeChat error <code>: …" when WeChat answered (ApiError's text).
    let failures = sqlx::query!(
        r#"SELECT status AS "status!",
                  COALESCE(substring(last_error FROM '^WeChat error (-?[0-9]+)'), 'unreachable') AS "code!",
                  count(*) AS "count!"
           FROM outbox
           WHERE (status = 'pending' AND last_error IS NOT NULL) OR status = 'failed'
           GROUP BY 1, 2"#
    )
    .fetch_all(pool)
    .await?;
    let overdue = sqlx::query_scalar!(
        r#"SELECT count(*) AS "n!" FROM complaints WHERE current_due IS NOT NULL AND current_due < now()"#
    )
    .fetch_one(pool)
    .await?;
    Ok(Read {
        outbox_due: due.due,
        outbox_oldest_due_seconds: due.oldest.max(0.0),
        outbox_failures: failures
            .into_iter()
            .map(|r| Failure {
                status: r.status,
                code: r.code,
                count: r.count,
            })
            .collect(),
        complaints_overdue: overdue,
    })
}
