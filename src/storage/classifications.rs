//! `topic_classifications`: the topic model's answer per inbound text and complaint.
//! Texts are read as the services read them: a complaint's content and an inbound
//! message's content are in the clear (docs/privacy.md); no identity is read here.

use serde_json::json;
use sqlx::PgPool;

use crate::analysis::Classification;

/// What a classified item is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ItemKind {
    InboundMessage,
    Complaint,
}

impl ItemKind {
    pub const ALL: [ItemKind; 2] = [ItemKind::InboundMessage, ItemKind::Complaint];

    pub fn as_str(self) -> &'static str {
        match self {
            ItemKind::InboundMessage => "inbound_message",
            ItemKind::Complaint => "complaint",
        }
    }
}

/// An item still to be classified by a model.
#[derive(Debug, Clone)]
pub struct Pending {
    pub id: i64,
    pub text: String,
}

/// How many items of `kind` the model `model` has not classified yet.
pub async fn count_pending(pool: &PgPool, kind: ItemKind, model: &str) -> Result<i64, sqlx::Error> {
    let n = match kind {
        ItemKind::InboundMessage => {
            sqlx::query_scalar!(
                r#"SELECT count(*) AS "n!" FROM inbound_messages m
                   WHERE NOT EXISTS (SELECT 1 FROM topic_classifications c
                                     WHERE c.item_kind = 'inbound_message'
                                       AND c.item_id = m.inbound_message_id AND c.model = $1)"#,
                model
            )
            .fetch_one(pool)
            .await?
        }
        ItemKind::Complaint => {
            sqlx::query_scalar!(
                r#"SELECT count(*) AS "n!" FROM complaints m
                   WHERE NOT EXISTS (SELECT 1 FROM topic_classifications c
                                     WHERE c.item_kind = 'complaint'
                                       AND c.item_id = m.complaint_id AND c.model = $1)"#,
                model
            )
            .fetch_one(pool)
            .await?
        }
    };
    Ok(n)
}

/// The next `limit` items of `kind` after `after` (by id) that `model` has not classified.
pub async fn next_pending(
    pool: &PgPool,
    kind: ItemKind,
    model: &str,
    after: i64,
    limit: i64,
) -> Result<Vec<Pending>, sqlx::Error> {
    match kind {
        ItemKind::InboundMessage => sqlx::query_as!(
            Pending,
            r#"SELECT m.inbound_message_id AS "id!", m.content AS "text!" FROM inbound_messages m
                   WHERE m.inbound_message_id > $2
                     AND NOT EXISTS (SELECT 1 FROM topic_classifications c
                                     WHERE c.item_kind = 'inbound_message'
                                       AND c.item_id = m.inbound_message_id AND c.model = $1)
                   ORDER BY m.inbound_message_id LIMIT $3"#,
            model,
            after,
            limit
        )
        .fetch_all(pool)
        .await,
        ItemKind::Complaint => {
            sqlx::query_as!(
                Pending,
                r#"SELECT m.complaint_id AS "id!", m.content AS "text!" FROM complaints m
                   WHERE m.complaint_id > $2
                     AND NOT EXISTS (SELECT 1 FROM topic_classifications c
                                     WHERE c.item_kind = 'complaint'
                                       AND c.item_id = m.complaint_id AND c.model = $1)
                   ORDER BY m.complaint_id LIMIT $3"#,
                model,
                after,
                limit
            )
            .fetch_all(pool)
            .await
        }
    }
}

/// Stores (or replaces, for an older model) the classification of one item.
pub async fn store(
    pool: &PgPool,
    kind: ItemKind,
    id: i64,
    c: &Classification,
) -> Result<(), sqlx::Error> {
    let topics: Vec<String> = c.topics.iter().map(|t| t.topic.key().to_owned()).collect();
    let shown = if c.needs_review {
        std::slice::from_ref(&c.best_guess)
    } else {
        c.topics.as_slice()
    };
    let reasons = json!(
        shown
            .iter()
            .map(|t| json!({"topic": t.topic.key(), "confidence": t.confidence, "reasons": t.reasons}))
            .collect::<Vec<_>>()
    );
    sqlx::query!(
        "INSERT INTO topic_classifications
             (item_kind, item_id, model, topics, needs_review, confidence, best_guess, reasons)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
         ON CONFLICT (item_kind, item_id) DO UPDATE SET
             model = EXCLUDED.model, topics = EXCLUDED.topics,
             needs_review = EXCLUDED.needs_review, confidence = EXCLUDED.confidence,
             best_guess = EXCLUDED.best_guess, reasons = EXCLUDED.reasons,
             classified_at = now()",
        kind.as_str(),
        id,
        c.model,
        &topics,
        c.needs_review,
        c.best_guess.confidence.clamp(0.0, 1.0),
        c.best_guess.topic.key(),
        reasons,
    )
    .execute(pool)
    .await?;
    Ok(())
}

/// A stored classification as staff see it.
#[derive(Debug, Clone)]
pub struct Stored {
    pub topics: Vec<String>,
    pub needs_review: bool,
    pub confidence: f64,
    pub best_guess: String,
    pub model: String,
}

pub async fn find(pool: &PgPool, kind: ItemKind, id: i64) -> Result<Option<Stored>, sqlx::Error> {
    sqlx::query_as!(
        Stored,
        "SELECT topics, needs_review, confidence, best_guess, model FROM topic_classifications
         WHERE item_kind = $1 AND item_id = $2",
        kind.as_str(),
        id
    )
    .fetch_optional(pool)
    .await
}
