//! The `inbound_messages` table: what followers wrote, for later analysis. Written in
//! batches (see `wechat::webhook::message_log`), each batch in one transaction with the
//! followers' last-seen times. Whose a message is is kept as the follower's lookup
//! hash (the one `followers` holds), not the openid.

use chrono::{DateTime, Utc};
use sqlx::PgPool;

use super::{corrupt, followers};
use crate::crypto::{Purpose, Vault};
use crate::domain::OpenId;

/// Where the words came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TextKind {
    Text,
    /// WeChat's recognition of a voice message.
    Voice,
}

impl TextKind {
    pub fn as_str(self) -> &'static str {
        match self {
            TextKind::Text => "text",
            TextKind::Voice => "voice",
        }
    }
}

/// One thing a follower wrote (or said).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InboundText {
    pub openid: OpenId,
    pub msg_id: u64,
    pub kind: TextKind,
    pub content: String,
    pub sent_at: DateTime<Utc>,
}

/// A follower was seen at a time; with the words, when there were any.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Sighting {
    pub openid: OpenId,
    pub at: DateTime<Utc>,
    pub text: Option<(u64, TextKind, String)>,
}

/// Stores a batch: its texts (a text already stored is skipped) and its followers'
/// last-seen times, in one transaction. Returns the texts inserted.
#[tracing::instrument(name = "Writing a batch of inbound messages", skip_all, fields(batch = batch.len()))]
pub async fn store_batch(
    pool: &PgPool,
    vault: &Vault,
    batch: &[Sighting],
) -> Result<u64, sqlx::Error> {
    let mut openids = Vec::with_capacity(batch.len());
    let mut msg_ids = Vec::new();
    let mut kinds = Vec::new();
    let mut contents = Vec::new();
    let mut text_hashes = Vec::new();
    let mut sent = Vec::new();
    let mut seen = Vec::with_capacity(batch.len());
    for s in batch {
        openids.push(s.openid.as_str().to_owned());
        seen.push(s.at);
        if let Some((msg_id, kind, content)) = &s.text {
            text_hashes.push(vault.lookup(Purpose::FollowerOpenid, s.openid.as_str()).0);
            msg_ids.push(msg_id.to_string());
            kinds.push(kind.as_str().to_owned());
            // Postgres text cannot hold NUL.
            contents.push(content.replace('\0', ""));
            sent.push(s.at);
        }
    }
    let mut tx = pool.begin().await?;
    followers::touch_many(&mut tx, vault, &openids, &seen).await?;
    let inserted = if text_hashes.is_empty() {
        0
    } else {
        sqlx::query!(
            // The village the follower has chosen now, as they write (touch_many has
            // just moved their row to the current hash).
            "INSERT INTO inbound_messages (openid_hash, msg_id, kind, content, sent_at, village_code)
             SELECT t.openid_hash, t.msg_id, t.kind, t.content, t.sent_at, f.village_code
             FROM UNNEST($1::bytea[], $2::text[], $3::text[], $4::text[], $5::timestamptz[])
                  AS t (openid_hash, msg_id, kind, content, sent_at)
             LEFT JOIN followers f ON f.openid_hash = t.openid_hash
             ON CONFLICT (openid_hash, msg_id, sent_at) DO NOTHING",
            &text_hashes,
            &msg_ids,
            &kinds,
            &contents,
            &sent,
        )
        .execute(&mut *tx)
        .await?
        .rows_affected()
    };
    tx.commit().await?;
    Ok(inserted)
}

/// A follower's stored texts, oldest first (under every hash that finds them: older
/// messages keep the hash they were written with).
pub async fn for_follower(
    pool: &PgPool,
    vault: &Vault,
    openid: &OpenId,
) -> Result<Vec<InboundText>, sqlx::Error> {
    sqlx::query!(
        "SELECT msg_id, kind, content, sent_at FROM inbound_messages
         WHERE openid_hash = ANY($1) ORDER BY sent_at, inbound_message_id",
        &vault.lookup_candidates(Purpose::FollowerOpenid, openid.as_str())
    )
    .fetch_all(pool)
    .await?
    .into_iter()
    .map(|r| {
        Ok(InboundText {
            openid: openid.clone(),
            msg_id: r.msg_id.parse().map_err(|e| corrupt("msg_id", e))?,
            kind: match r.kind.as_str() {
                "voice" => TextKind::Voice,
                _ => TextKind::Text,
            },
            content: r.content,
            sent_at: r.sent_at,
        })
    })
    .collect()
}

/// How many texts are stored.
pub async fn count(pool: &PgPool) -> Result<i64, sqlx::Error> {
    sqlx::query_scalar!(r#"SELECT count(*) AS "n!" FROM inbound_messages"#)
        .fetch_one(pool)
        .await
}
