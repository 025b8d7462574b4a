//! The figures `/metrics` reads at scrape time: the outbox's backlog and failures and the
//! complaints past a deadline. Each query is served by a partial index, so a scrape
//! costs the same with ten million sent messages as with ten.

use sqlx::PgPool;

pub struct Read {
    /// Every row not yet sent or given up: the outbox's depth.
    pub outbox_pending: i64,
    pub outbox_oldest_due_seconds: f64,
    pub outbox_failures: Vec<Failure>,
    pub complaints_overdue: i64,
}

pub struct Failure {
    /// `pending` (will be retried) or `failed` (given up).
    pub status: String,
    /// WeChat's errcode; `http_502` for an HTTP error, `bad_response` for a body that is
    /// not JSON, `unreachable` for no answer.
    pub code: String,
    pub count: i64,
}

pub async fn read(pool: &PgPool) -> sqlx::Result<Read> {
    let due = sqlx::query!(
        r#"SELECT count(*) AS "pending!",
                  COALESCE(EXTRACT(EPOCH FROM now() - min(next_attempt_at)
                                    FILTER (WHERE next_attempt_at <= now()))::float8, 0) AS "oldest!"
           FROM outbox WHERE status = 'pending'"#
    )
    .fetch_one(pool)
    .await?;
    // From ApiError's text: "WeChat error <errcode>: …", "WeChat answered HTTP <status>",
    // "unexpected answer …" (not JSON), otherwise no answer at all.
    let failures = sqlx::query!(
        r#"SELECT status AS "status!",
                  CASE WHEN last_error ~ '^WeChat error -?[0-9]+'
                           THEN substring(last_error FROM '^WeChat error (-?[0-9]+)')
                       WHEN last_error ~ '^WeChat answered HTTP [0-9]+'
                           THEN 'http_' || substring(last_error FROM '^WeChat answered HTTP ([0-9]+)')
                       WHEN last_error LIKE 'unexpected answer%' THEN 'bad_response'
                       ELSE 'unreachable' END AS "code!",
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
        outbox_pending: due.pending,
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
