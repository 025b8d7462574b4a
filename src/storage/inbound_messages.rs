//! The `inbound_messages` table: what followers wrote, for later analysis. Written in
//! batches (see `wechat::webhook::message_log`), each batch in one transaction with the
//! followers' last-seen times. Whose a message is is kept as the follower's lookup
//! hash (the one `followers` holds), not the openid.

use std::collections::HashMap;
use std::collections::hash_map::Entry;

use chrono::{DateTime, Utc};
use sqlx::{Connection, PgConnection, PgPool};

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
    recent: &mut RecentlySeen,
    batch: &[Sighting],
) -> Result<u64, sqlx::Error> {
    // Followers this writer stored moments ago need neither a write nor their hashes
    // computed again (`followers::LAST_SEEN_PRECISION`); the others are touched, in
    // batch order, and `touch_many` returns their hashes in that order.
    let vouched: Vec<Option<&[u8]>> = batch
        .iter()
        .map(|s| recent.fresh(s.openid.as_str(), s.at))
        .collect();
    let (mut openids, mut seen) = (Vec::new(), Vec::new());
    for (s, _) in batch.iter().zip(&vouched).filter(|(_, v)| v.is_none()) {
        openids.push(s.openid.as_str().to_owned());
        seen.push(s.at);
    }
    let mut tx = pool.begin().await?;
    let touched = followers::touch_many(&mut tx, vault, &openids, &seen).await?;
    let mut touched_hashes = touched.iter();
    let mut texts = Texts::default();
    for (s, vouched) in batch.iter().zip(&vouched) {
        let hash = match vouched {
            Some(h) => *h,
            None => touched_hashes
                .next()
                .ok_or_else(|| sqlx::Error::Decode("touch_many returned too few hashes".into()))?,
        };
        let Some((msg_id, kind, content)) = &s.text else {
            continue;
        };
        texts.hashes.push(hash.to_vec());
        texts.msg_ids.push(msg_id.to_string());
        texts.kinds.push(kind.as_str().to_owned());
        // Postgres text cannot hold NUL.
        texts.contents.push(content.replace('\0', ""));
        texts.sent.push(s.at);
    }
    let inserted = if texts.hashes.is_empty() {
        0
    } else {
        insert_texts(&mut tx, &texts).await?
    };
    tx.commit().await?;
    for ((openid, hash), at) in openids.into_iter().zip(touched).zip(seen) {
        recent.remember(openid, hash, at);
    }
    Ok(inserted)
}

/// The followers one log writer stored in the last [`followers::LAST_SEEN_PRECISION`]:
/// their current hash and the time written. Only ever vouches for a row this process
/// wrote (and sealed) itself, so it is safe beside other instances writing the same rows.
#[derive(Default)]
pub struct RecentlySeen {
    followers: HashMap<String, (Vec<u8>, DateTime<Utc>)>,
}

/// Beyond this many followers in a minute the memory is thinned to the fresh ones.
const RECENTLY_SEEN_MAX: usize = 50_000;

impl RecentlySeen {
    /// The follower's hash, when their row holds a time within the precision of `at`.
    fn fresh(&self, openid: &str, at: DateTime<Utc>) -> Option<&[u8]> {
        let (hash, written) = self.followers.get(openid)?;
        let since = (at - *written).to_std().ok()?;
        (since < followers::LAST_SEEN_PRECISION).then_some(hash.as_slice())
    }

    fn remember(&mut self, openid: String, hash: Vec<u8>, at: DateTime<Utc>) {
        if self.followers.len() >= RECENTLY_SEEN_MAX {
            let precision = followers::LAST_SEEN_PRECISION;
            self.followers
                .retain(|_, (_, written)| (at - *written).to_std().is_ok_and(|d| d < precision));
            if self.followers.len() >= RECENTLY_SEEN_MAX {
                self.followers.clear();
            }
        }
        match self.followers.entry(openid) {
            Entry::Occupied(mut e) => {
                if at >= e.get().1 {
                    e.insert((hash, at));
                }
            }
            Entry::Vacant(e) => {
                e.insert((hash, at));
            }
        }
    }
}

/// A batch's texts, column by column.
#[derive(Default)]
struct Texts {
    hashes: Vec<Vec<u8>>,
    msg_ids: Vec<String>,
    kinds: Vec<String>,
    contents: Vec<String>,
    sent: Vec<DateTime<Utc>>,
}

/// Inserts the texts not stored yet. Nearly every batch holds only new messages, so it
/// is first written with a plain insert that skips what a lookup finds already stored;
/// `ON CONFLICT DO NOTHING`'s speculative insertion cost about a third of the statement
/// (docs/benchmarks.md). Only when that insert meets a duplicate (the same message twice
/// in the batch, or another instance storing it at the same moment) is the batch written
/// again, from a savepoint, skipping conflicts.
async fn insert_texts(tx: &mut PgConnection, t: &Texts) -> Result<u64, sqlx::Error> {
    let mut plain = tx.begin().await?;
    // The village the follower has chosen now, as they write (touch_many has just moved
    // their row to the current hash).
    let first = sqlx::query!(
        "INSERT INTO inbound_messages (openid_hash, msg_id, kind, content, sent_at, village_code)
         SELECT t.openid_hash, t.msg_id, t.kind, t.content, t.sent_at, f.village_code
         FROM UNNEST($1::bytea[], $2::text[], $3::text[], $4::text[], $5::timestamptz[])
              AS t (openid_hash, msg_id, kind, content, sent_at)
         LEFT JOIN followers f ON f.openid_hash = t.openid_hash
         WHERE NOT EXISTS (SELECT 1 FROM inbound_messages m
                           WHERE m.openid_hash = t.openid_hash AND m.msg_id = t.msg_id
                             AND m.sent_at = t.sent_at)",
        &t.hashes,
        &t.msg_ids,
        &t.kinds,
        &t.contents,
        &t.sent,
    )
    .execute(&mut *plain)
    .await;
    match first {
        Ok(done) => {
            plain.commit().await?;
            return Ok(done.rows_affected());
        }
        Err(sqlx::Error::Database(e)) if e.is_unique_violation() => plain.rollback().await?,
        Err(e) => return Err(e),
    }
    let done = sqlx::query!(
        "INSERT INTO inbound_messages (openid_hash, msg_id, kind, content, sent_at, village_code)
         SELECT t.openid_hash, t.msg_id, t.kind, t.content, t.sent_at, f.village_code
         FROM UNNEST($1::bytea[], $2::text[], $3::text[], $4::text[], $5::timestamptz[])
              AS t (openid_hash, msg_id, kind, content, sent_at)
         LEFT JOIN followers f ON f.openid_hash = t.openid_hash
         ON CONFLICT (openid_hash, msg_id, sent_at) DO NOTHING",
        &t.hashes,
        &t.msg_ids,
        &t.kinds,
        &t.contents,
        &t.sent,
    )
    .execute(&mut *tx)
    .await?;
    Ok(done.rows_affected())
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

#[cfg(test)]
mod tests {
    use chrono::{Duration, Utc};

    use super::*;

    #[test]
    fn a_follower_is_vouched_for_within_the_precision_after_the_time_written_only() {
        let mut recent = RecentlySeen::default();
        let t0 = Utc::now();
        recent.remember("oA".into(), vec![1], t0);
        assert_eq!(
            recent.fresh("oA", t0 + Duration::seconds(59)),
            Some(&[1u8][..])
        );
        assert_eq!(recent.fresh("oA", t0 + Duration::seconds(60)), None);
        assert_eq!(
            recent.fresh("oA", t0 - Duration::seconds(1)),
            None,
            "earlier"
        );
        assert_eq!(recent.fresh("oB", t0), None);
        // An older time does not replace a newer one.
        recent.remember("oA".into(), vec![2], t0 - Duration::seconds(5));
        assert_eq!(recent.fresh("oA", t0), Some(&[1u8][..]));
    }

    #[test]
    fn a_full_memory_keeps_only_the_fresh_followers() {
        let mut recent = RecentlySeen::default();
        let t0 = Utc::now();
        for i in 0..RECENTLY_SEEN_MAX - 1 {
            recent.remember(format!("old{i}"), vec![], t0);
        }
        recent.remember("fresh".into(), vec![], t0 + Duration::seconds(90));
        let later = t0 + Duration::seconds(100);
        recent.remember("new".into(), vec![], later);
        assert_eq!(recent.followers.len(), 2);
        assert!(recent.fresh("fresh", later).is_some());
        assert!(recent.fresh("old1", t0).is_none());
    }
}
