//! WeChat retries a message it got no answer to within 5 s (three times). The first
//! delivery claims the message's key with `SET NX`; when it has answered, the reply is
//! stored under the key, and a retry gets that same reply without the work being done
//! again.
//!
//! A delivery whose handler changes nothing and answers from memory (a village lookup,
//! help: most of what followers send) is answered first and claimed with its answer, in
//! one `SET NX` ([`Dedup::claim_answered`]): there is no moment in which its key holds a
//! pending marker, so a retry always finds the answer itself, and the follower waits for
//! one round trip to Redis instead of two. A duplicate that arrives while the first is
//! computing computes the same answer, loses the `SET NX`, and sends the first one's.
//!
//! A retry that arrives while the first delivery is still working waits up to
//! `retry_wait` for the stored reply and answers `success` if there is none by then:
//! WeChat stops retrying, and the work is done once. If the first delivery fails, it
//! releases its claim so that the next retry can try again. When Redis cannot be reached
//! the message is handled without de-duplication: answering matters more.

use std::time::Duration;

use sha1::{Digest, Sha1};

use super::inbound::{Inbound, InboundMessage};
use crate::kv::Kv;

/// What identifies one delivery across retries: MsgId + CreateTime + FromUserName for
/// messages (MsgId alone has collided in practice), FromUserName + CreateTime + Event +
/// EventKey for events.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct DedupKey(String);

impl DedupKey {
    pub fn of(message: &InboundMessage) -> DedupKey {
        let from = message.from.as_str();
        let time = message.create_time;
        let raw = match (&message.kind, message.kind.msg_id()) {
            (Inbound::Event(event), _) => format!(
                "event\n{from}\n{time}\n{}\n{}",
                event.kind().as_str(),
                event.key()
            ),
            (_, Some(msg_id)) => format!("msg\n{msg_id}\n{time}\n{from}"),
            (
                Inbound::Unknown {
                    msg_type,
                    event,
                    event_key,
                    ..
                },
                None,
            ) => format!(
                "other\n{from}\n{time}\n{msg_type}\n{}\n{}",
                event.as_deref().unwrap_or(""),
                event_key.as_deref().unwrap_or("")
            ),
            (_, None) => format!("other\n{from}\n{time}\n{}", message.kind.type_name()),
        };
        // Hashed: event keys (VIEW URLs) can be long, and keys should not hold openids.
        DedupKey(format!(
            "wechat:dedup:{}",
            hex::encode(Sha1::digest(raw.as_bytes()))
        ))
    }

    /// The key in the store (before the store's own prefix).
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A stored outcome of a delivery.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Answer {
    /// The reply was `success`.
    Nothing,
    /// The plain reply document (encrypted again, freshly, for each retry in safe mode).
    Xml(String),
}

/// What a delivery should do.
#[derive(Debug)]
pub enum Claim {
    /// The first delivery (or Redis is unreachable): do the work, then complete or
    /// release the ticket.
    First(Ticket),
    /// A retry of a delivery already answered.
    Answered(Answer),
    /// A retry while the first delivery is still working, after waiting for it.
    StillWorking,
}

/// Whose answer a delivery answered at once sends.
#[derive(Debug, PartialEq, Eq)]
pub enum Stored {
    /// This delivery's: it was the first (or Redis is unreachable).
    First(Answer),
    /// The first delivery's, for a retry.
    Retry(Answer),
}

/// Proof of a claim: the pending marker this delivery wrote.
#[derive(Debug)]
pub struct Ticket {
    key: DedupKey,
    /// `None` when Redis failed and nothing was claimed.
    marker: Option<String>,
}

const PENDING: &str = "P:";
const NOTHING: &str = "S";
const XML: &str = "X:";
const POLL_EVERY: Duration = Duration::from_millis(50);

/// The de-duplicator.
#[derive(Clone)]
pub struct Dedup {
    kv: Kv,
    ttl: Duration,
    retry_wait: Duration,
}

impl Dedup {
    pub fn new(kv: Kv, ttl: Duration, retry_wait: Duration) -> Dedup {
        Dedup {
            kv,
            ttl,
            retry_wait,
        }
    }

    /// Claims `key` for this delivery, or finds (or waits for) the first delivery's
    /// answer.
    pub async fn claim(&self, key: DedupKey) -> Claim {
        let marker = format!("{PENDING}{}", uuid::Uuid::new_v4().simple());
        match self.kv.set_if_absent(key.as_str(), &marker, self.ttl).await {
            Ok(true) => {
                return Claim::First(Ticket {
                    key,
                    marker: Some(marker),
                });
            }
            Ok(false) => {}
            Err(e) => {
                tracing::warn!(error = %e, "de-duplication store unavailable; handling without it");
                return Claim::First(Ticket { key, marker: None });
            }
        }
        self.wait(key, marker).await
    }

    /// For a retry: the first delivery's answer once it is stored, or the claim when
    /// the first gave it up, or `StillWorking` after `retry_wait`.
    async fn wait(&self, key: DedupKey, marker: String) -> Claim {
        let deadline = tokio::time::Instant::now() + self.retry_wait;
        loop {
            match self.kv.get(key.as_str()).await {
                Ok(Some(stored)) => {
                    if let Some(answer) = decode(&stored) {
                        return Claim::Answered(answer);
                    }
                }
                // Released (the first delivery failed) or expired: this one takes over.
                Ok(None) => {
                    if let Ok(true) = self.kv.set_if_absent(key.as_str(), &marker, self.ttl).await {
                        return Claim::First(Ticket {
                            key,
                            marker: Some(marker),
                        });
                    }
                }
                Err(e) => {
                    tracing::warn!(error = %e, "de-duplication store unavailable while waiting");
                    return Claim::StillWorking;
                }
            }
            if tokio::time::Instant::now() + POLL_EVERY > deadline {
                return Claim::StillWorking;
            }
            tokio::time::sleep(POLL_EVERY).await;
        }
    }

    /// Claims `key` with the answer already made, for a handler that changes nothing:
    /// one round trip. A retry is answered as [`Dedup::claim`] answers it: the stored
    /// answer; after waiting, when a first delivery that claimed the other way (an
    /// instance of an older release, during a rolling restart) is still working; or
    /// its own, when the first one gave up.
    pub async fn claim_answered(&self, key: DedupKey, answer: Answer) -> Stored {
        match self
            .kv
            .set_if_absent(key.as_str(), &stored_form(&answer), self.ttl)
            .await
        {
            Ok(true) => return Stored::First(answer),
            Ok(false) => {}
            Err(e) => {
                tracing::warn!(error = %e, "de-duplication store unavailable; handling without it");
                return Stored::First(answer);
            }
        }
        let marker = format!("{PENDING}{}", uuid::Uuid::new_v4().simple());
        match self.wait(key, marker).await {
            Claim::First(ticket) => {
                self.complete(ticket, &answer).await;
                Stored::First(answer)
            }
            Claim::Answered(stored) => Stored::Retry(stored),
            Claim::StillWorking => Stored::Retry(Answer::Nothing),
        }
    }

    /// Stores the answer so retries get it.
    pub async fn complete(&self, ticket: Ticket, answer: &Answer) {
        if ticket.marker.is_none() {
            return;
        }
        let value = stored_form(answer);
        if let Err(e) = self.kv.set(ticket.key.as_str(), &value, self.ttl).await {
            tracing::warn!(error = %e, "could not store the reply for retries");
        }
    }

    /// Gives the claim up after a failure, so that a retry does the work.
    pub async fn release(&self, ticket: Ticket) {
        if let Some(marker) = &ticket.marker
            && let Err(e) = self.kv.delete_if_equal(ticket.key.as_str(), marker).await
        {
            tracing::warn!(error = %e, "could not release a de-duplication claim");
        }
    }
}

fn decode(stored: &str) -> Option<Answer> {
    if stored == NOTHING {
        Some(Answer::Nothing)
    } else {
        stored
            .strip_prefix(XML)
            .map(|xml| Answer::Xml(xml.to_owned()))
    }
}

/// The stored form of a pending claim, so that tests can stage "first delivery still
/// working" from outside.
pub fn pending_marker() -> String {
    format!("{PENDING}test")
}

/// The stored form of an answer, for the same purpose.
pub fn stored_form(answer: &Answer) -> String {
    match answer {
        Answer::Nothing => NOTHING.to_owned(),
        Answer::Xml(xml) => format!("{XML}{xml}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::wechat::webhook::inbound::parse;

    fn msg(body: &str) -> InboundMessage {
        parse(body).unwrap()
    }

    const TEXT: &str = "<xml><ToUserName>gh</ToUserName><FromUserName>o1</FromUserName><CreateTime>100</CreateTime><MsgType>text</MsgType><Content>x</Content><MsgId>7</MsgId></xml>";

    #[test]
    fn message_keys_use_msg_id_time_and_sender() {
        let a = DedupKey::of(&msg(TEXT));
        assert_eq!(a, DedupKey::of(&msg(&TEXT.replace(">x<", ">changed<"))));
        assert_ne!(a, DedupKey::of(&msg(&TEXT.replace(">o1<", ">o2<"))));
        assert_ne!(a, DedupKey::of(&msg(&TEXT.replace(">100<", ">101<"))));
        assert_ne!(a, DedupKey::of(&msg(&TEXT.replace(">7<", ">8<"))));
        assert!(a.as_str().starts_with("wechat:dedup:"));
    }

    #[test]
    fn event_keys_use_sender_time_event_and_key() {
        let click = "<xml><ToUserName>gh</ToUserName><FromUserName>o1</FromUserName><CreateTime>100</CreateTime><MsgType>event</MsgType><Event>CLICK</Event><EventKey>A</EventKey></xml>";
        let a = DedupKey::of(&msg(click));
        assert_eq!(a, DedupKey::of(&msg(click)));
        assert_ne!(a, DedupKey::of(&msg(&click.replace(">A<", ">B<"))));
        assert_ne!(a, DedupKey::of(&msg(&click.replace(">CLICK<", ">VIEW<"))));
        let job = "<xml><ToUserName>gh</ToUserName><FromUserName>o1</FromUserName><CreateTime>100</CreateTime><MsgType>event</MsgType><Event>TEMPLATESENDJOBFINISH</Event><MsgID>1</MsgID><Status>success</Status></xml>";
        assert_ne!(
            DedupKey::of(&msg(job)),
            DedupKey::of(&msg(&job.replace(">1<", ">2<")))
        );
    }

    /// A de-duplicator on the in-process store, and the first delivery's claim of TEXT.
    async fn first_claim() -> (Dedup, DedupKey, Ticket) {
        let dedup = Dedup::new(
            Kv::memory("t:"),
            Duration::from_secs(60),
            Duration::from_millis(200),
        );
        let key = DedupKey::of(&msg(TEXT));
        let Claim::First(ticket) = dedup.claim(key.clone()).await else {
            panic!("first delivery must claim");
        };
        (dedup, key, ticket)
    }

    #[tokio::test(start_paused = true)]
    async fn the_first_delivery_claims_and_a_retry_gets_its_answer() {
        let (dedup, key, ticket) = first_claim().await;
        assert!(matches!(
            dedup.claim(key.clone()).await,
            Claim::StillWorking
        ));
        dedup.complete(ticket, &Answer::Xml("<xml/>".into())).await;
        assert!(
            matches!(dedup.claim(key.clone()).await, Claim::Answered(Answer::Xml(x)) if x == "<xml/>")
        );
    }

    #[tokio::test(start_paused = true)]
    async fn a_released_claim_lets_the_retry_do_the_work() {
        let (dedup, key, ticket) = first_claim().await;
        dedup.release(ticket).await;
        assert!(matches!(dedup.claim(key).await, Claim::First(_)));
    }

    #[tokio::test]
    async fn an_answer_claimed_at_once_is_what_every_retry_gets() {
        let dedup = Dedup::new(
            Kv::memory("t:"),
            Duration::from_secs(60),
            Duration::from_millis(200),
        );
        let key = DedupKey::of(&msg(TEXT));
        let first = Answer::Xml("<xml>first</xml>".into());
        assert_eq!(
            dedup.claim_answered(key.clone(), first.clone()).await,
            Stored::First(first.clone())
        );
        // The retry made its answer again (a later CreateTime): it sends the first's.
        let again = Answer::Xml("<xml>again</xml>".into());
        assert_eq!(
            dedup.claim_answered(key.clone(), again).await,
            Stored::Retry(first.clone())
        );
        // A retry through the claiming path gets it too.
        assert!(matches!(dedup.claim(key).await, Claim::Answered(a) if a == first));
    }
}
