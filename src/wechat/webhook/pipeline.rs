//! The webhook's pipeline, free of HTTP: verify the URL signature and the timestamp,
//! open the body (decrypting in safe and compatible mode), de-duplicate, log, route,
//! run the handler, and seal the reply (encrypting it when the request was encrypted).

use std::sync::Arc;
use std::time::Duration;

use secrecy::{ExposeSecret, SecretString};
use serde::Deserialize;
use sqlx::PgPool;

use super::crypto::{Cipher, CryptoError};
use super::dedup::{Answer, Claim, Dedup, DedupKey, Stored};
use super::handlers::{Context, Handler, SORRY, time_of};
use super::inbound::{self, InboundError, InboundMessage};
use super::message_log::MessageLog;
use super::reply::Reply;
use super::xml::{self, XmlError};
use super::{router, signature};
use crate::configuration::{Settings, WechatMode};
use crate::kv::Kv;
use crate::region_index::SearchIndex;
use crate::storage::inbound_messages::{Sighting, TextKind};
use crate::telemetry::hashed;

/// Largest body accepted: WeChat's messages are a few KiB.
pub const MAX_BODY_BYTES: usize = 64 * 1024;

/// The query string WeChat adds to `/wechat`.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct Params {
    pub signature: Option<String>,
    pub timestamp: Option<String>,
    pub nonce: Option<String>,
    pub echostr: Option<String>,
    pub encrypt_type: Option<String>,
    pub msg_signature: Option<String>,
    pub openid: Option<String>,
}

/// Why a request was refused. The message is short and safe to send back.
#[derive(Debug, thiserror::Error)]
pub enum WebhookError {
    #[error("the body is larger than {MAX_BODY_BYTES} bytes")]
    TooLarge,
    #[error("the body could not be read")]
    Unreadable,
    #[error("the body is not UTF-8")]
    NotUtf8,
    #[error("missing query parameter {0}")]
    MissingParam(&'static str),
    #[error("query parameter {0} is given more than once")]
    DuplicateParam(String),
    #[error("the query string does not parse")]
    BadQuery,
    #[error("the body was not sent in time")]
    SlowBody,
    #[error("too many requests are sending their body; try again")]
    Busy,
    #[error("this signature was already used with another body")]
    ReusedSignature,
    #[error("cannot check the signature against replays now; try again")]
    ReplayCheckUnavailable,
    #[error("invalid signature")]
    BadSignature,
    #[error("invalid msg_signature")]
    BadMsgSignature,
    #[error("timestamp outside the accepted window")]
    Stale,
    #[error("this account accepts only encrypted messages")]
    EncryptionRequired,
    #[error("encrypted messages are not configured")]
    EncryptionNotConfigured,
    #[error("{0}")]
    Xml(#[from] XmlError),
    #[error("{0}")]
    Message(#[from] InboundError),
    #[error("decryption failed: {0}")]
    Decrypt(#[from] CryptoError),
}

/// What to answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Response {
    /// `success`: nothing to say.
    Success,
    /// A reply document (encrypted envelope in safe mode).
    Xml(String),
}

/// A request after verification and decryption.
#[derive(Debug)]
pub struct Opened {
    pub message: InboundMessage,
    /// Whether the request came encrypted (so the reply is encrypted too).
    pub encrypted: bool,
}

/// How long a used (timestamp, nonce, signature) is remembered when the timestamp
/// window is off: WeChat's retries come within about 15 s.
const SIGNATURE_MEMORY_WITHOUT_WINDOW: Duration = Duration::from_secs(300);

/// Everything the webhook needs; one per process, shared by every request.
pub struct Webhook {
    settings: Arc<Settings>,
    cipher: Option<Cipher>,
    replay_window: Option<Duration>,
    /// Remembers each URL signature used for a body that no signature covers.
    kv: Kv,
    dedup: Dedup,
    log: MessageLog,
    pool: PgPool,
    vault: crate::crypto::Vault,
    regions: SearchIndex,
    counters: crate::metrics::WebhookCounters,
}

impl Webhook {
    /// What this webhook counts, for /metrics.
    pub fn counters(&self) -> crate::metrics::WebhookCounters {
        self.counters.clone()
    }

    /// Fails only on an EncodingAESKey that does not decode (in plain mode a bad key is
    /// tolerated: encrypted requests are then refused).
    pub fn new(
        settings: Arc<Settings>,
        pool: PgPool,
        vault: crate::crypto::Vault,
        kv: Kv,
        regions: SearchIndex,
        log: MessageLog,
    ) -> Result<Webhook, CryptoError> {
        let wechat = &settings.wechat;
        let cipher = match Cipher::new(wechat.encoding_aes_key.expose_secret(), &wechat.app_id) {
            Ok(c) => Some(c),
            Err(e) if wechat.mode != WechatMode::Plain => return Err(e),
            Err(_) => None,
        };
        let hook = &settings.webhook;
        let replay_window =
            (hook.replay_window_s > 0).then(|| Duration::from_secs(hook.replay_window_s));
        let dedup = Dedup::new(
            kv.clone(),
            Duration::from_secs(hook.dedup_ttl_s),
            Duration::from_millis(hook.retry_wait_ms),
        );
        Ok(Webhook {
            settings,
            cipher,
            replay_window,
            kv,
            dedup,
            log,
            pool,
            vault,
            regions,
            counters: Default::default(),
        })
    }

    pub fn settings(&self) -> &Settings {
        &self.settings
    }

    fn token(&self) -> &SecretString {
        &self.settings.wechat.token
    }

    /// `GET /wechat`: the echostr to answer, when the signature is right.
    pub fn verify_url(&self, params: &Params) -> Result<String, WebhookError> {
        self.verify_signature(params)?;
        params
            .echostr
            .clone()
            .ok_or(WebhookError::MissingParam("echostr"))
    }

    /// Checks `signature` (sha1 of token, timestamp, nonce) and the timestamp's age:
    /// the route calls it before it reads a byte of the body, so that an unsigned
    /// sender holds nothing of ours.
    pub fn verify_signature(&self, params: &Params) -> Result<(), WebhookError> {
        let signature = param(&params.signature, "signature")?;
        let timestamp = param(&params.timestamp, "timestamp")?;
        let nonce = param(&params.nonce, "nonce")?;
        if !signature::verify(signature, &[self.token().expose_secret(), timestamp, nonce]) {
            return Err(WebhookError::BadSignature);
        }
        // Checked after the signature, so that a forged request learns nothing about
        // our clock.
        if let Some(window) = self.replay_window {
            let sent: i64 = timestamp.trim().parse().map_err(|_| WebhookError::Stale)?;
            let now = chrono::Utc::now().timestamp();
            let window = i64::try_from(window.as_secs()).unwrap_or(i64::MAX);
            if now.abs_diff(sent) > window.unsigned_abs() {
                return Err(WebhookError::Stale);
            }
        }
        Ok(())
    }

    /// Verifies, decrypts and parses a `POST /wechat` body.
    pub fn open(&self, params: &Params, body: &[u8]) -> Result<Opened, WebhookError> {
        self.verify_signature(params)?;
        let body = std::str::from_utf8(body).map_err(|_| WebhookError::NotUtf8)?;
        let outer = xml::parse(body)?;
        let encrypted = params
            .encrypt_type
            .as_deref()
            .is_some_and(|t| t.eq_ignore_ascii_case("aes"));
        if !encrypted {
            if self.settings.wechat.mode == WechatMode::Safe {
                return Err(WebhookError::EncryptionRequired);
            }
            return Ok(Opened {
                message: inbound::from_fields(&outer)?,
                encrypted: false,
            });
        }
        let cipher = self
            .cipher
            .as_ref()
            .ok_or(WebhookError::EncryptionNotConfigured)?;
        let msg_signature = param(&params.msg_signature, "msg_signature")?;
        let encrypt = outer
            .get("Encrypt")
            .ok_or(InboundError::Missing("Encrypt"))?;
        let timestamp = param(&params.timestamp, "timestamp")?;
        let nonce = param(&params.nonce, "nonce")?;
        if !signature::verify(
            msg_signature,
            &[self.token().expose_secret(), timestamp, nonce, encrypt],
        ) {
            return Err(WebhookError::BadMsgSignature);
        }
        let inner = cipher.decrypt(encrypt)?;
        Ok(Opened {
            message: inbound::parse(&inner)?,
            encrypted: true,
        })
    }

    /// Answers an opened message: from the de-duplication store for a retry, else by
    /// running the routed handler.
    pub async fn answer(&self, message: &InboundMessage) -> Answer {
        let key = DedupKey::of(message);
        self.counters.message(message.kind.metric_kind());
        let handler = router::route(message);
        if handler.is_pure() {
            return self.answer_at_once(handler, key, message).await;
        }
        let ticket = match self.dedup.claim(key).await {
            Claim::First(ticket) => ticket,
            Claim::Answered(answer) => {
                self.counters.dedup_hit();
                tracing::info!(follower = %hashed(message.from.as_str()), "a retry answered from the de-duplication store");
                return answer;
            }
            Claim::StillWorking => {
                self.counters.dedup_hit();
                tracing::info!(follower = %hashed(message.from.as_str()), "a retry arrived while the first delivery is still working; answered success");
                return Answer::Nothing;
            }
        };
        self.record(message);
        let ctx = self.context();
        let now = chrono::Utc::now().timestamp();
        let to = message.from.as_str();
        let budget = Duration::from_millis(self.settings.webhook.reply_budget_ms);
        let outcome = match tokio::time::timeout(budget, handler.run(&ctx, message)).await {
            Ok(outcome) => outcome,
            Err(_) => {
                // Most likely the database does not answer: a short apology now beats
                // WeChat's own "该公众号暂时无法提供服务" after 5 s. A retry tries again.
                tracing::warn!(handler = ?handler, budget_ms = budget.as_millis() as u64, "a reply ran out of time");
                self.dedup.release(ticket).await;
                return sorry(message, now);
            }
        };
        match outcome {
            Ok(reply) => {
                tracing::info!(
                    follower = %hashed(to),
                    kind = message.kind.type_name(),
                    handler = ?handler,
                    "answered a message"
                );
                let answer = match reply.render(to, &message.to, now) {
                    Some(xml) => Answer::Xml(xml),
                    None => Answer::Nothing,
                };
                self.dedup.complete(ticket, &answer).await;
                answer
            }
            Err(e) => {
                tracing::error!(error.cause_chain = ?e, handler = ?handler, "a webhook handler failed");
                // Let a retry try again.
                self.dedup.release(ticket).await;
                sorry(message, now)
            }
        }
    }

    /// Answers a message whose handler changes nothing, then claims it with that
    /// answer (see `dedup`): a retry sends the first delivery's answer.
    async fn answer_at_once(
        &self,
        handler: Handler,
        key: DedupKey,
        message: &InboundMessage,
    ) -> Answer {
        let to = message.from.as_str();
        let now = chrono::Utc::now().timestamp();
        let reply = match handler.run(&self.context(), message).await {
            Ok(reply) => reply,
            Err(e) => {
                // Nothing claimed: a retry tries again.
                tracing::error!(error.cause_chain = ?e, handler = ?handler, "a webhook handler failed");
                return sorry(message, now);
            }
        };
        let answer = reply
            .render(to, &message.to, now)
            .map_or(Answer::Nothing, Answer::Xml);
        match self.dedup.claim_answered(key, answer).await {
            Stored::First(answer) => {
                self.record(message);
                tracing::info!(
                    follower = %hashed(to),
                    kind = message.kind.type_name(),
                    handler = ?handler,
                    "answered a message"
                );
                answer
            }
            Stored::Retry(answer) => {
                self.counters.dedup_hit();
                tracing::info!(follower = %hashed(to), "a retry answered from the de-duplication store");
                answer
            }
        }
    }

    fn context(&self) -> Context<'_> {
        Context {
            settings: &self.settings,
            pool: &self.pool,
            vault: &self.vault,
            regions: &self.regions,
        }
    }

    /// Puts the follower's sighting (and words) in the message log, once per message.
    fn record(&self, message: &InboundMessage) {
        if let Some(s) = sighting(message) {
            self.log.record(s);
        }
    }

    /// The response body for an answer: encrypted and signed when the request was.
    pub fn seal(&self, answer: Answer, encrypted: bool) -> Result<Response, WebhookError> {
        let Answer::Xml(xml) = answer else {
            return Ok(Response::Success);
        };
        if !encrypted {
            return Ok(Response::Xml(xml));
        }
        let cipher = self
            .cipher
            .as_ref()
            .ok_or(WebhookError::EncryptionNotConfigured)?;
        let sealed = cipher.seal(
            self.token().expose_secret(),
            &xml,
            chrono::Utc::now().timestamp(),
        )?;
        Ok(Response::Xml(sealed.to_xml()))
    }

    /// The whole `POST /wechat`.
    pub async fn receive(&self, params: &Params, body: &[u8]) -> Result<Response, WebhookError> {
        let opened = self.open(params, body)?;
        if !opened.encrypted {
            self.refuse_reused_signature(params, body).await?;
        }
        let answer = self.answer(&opened.message).await;
        self.seal(answer, opened.encrypted)
    }

    /// In plain and compatible mode the URL signature covers token, timestamp and
    /// nonce, not the body: remember each signature for the replay window, with a
    /// digest of its body, and refuse it with any other body. The same body again is a
    /// retry, which de-duplication answers. Fails closed when the store is down, since
    /// nothing else then authenticates the message.
    async fn refuse_reused_signature(
        &self,
        params: &Params,
        body: &[u8],
    ) -> Result<(), WebhookError> {
        use sha2::{Digest, Sha256};
        let mut used = Sha256::new();
        for part in [&params.signature, &params.timestamp, &params.nonce] {
            used.update(part.as_deref().unwrap_or_default().as_bytes());
            used.update(b"\n");
        }
        let key = format!("wechat:signature:{}", hex::encode(used.finalize()));
        let digest = hex::encode(Sha256::digest(body));
        let memory = self
            .replay_window
            .map_or(SIGNATURE_MEMORY_WITHOUT_WINDOW, |w| w * 2);
        let first = self
            .kv
            .set_if_absent(&key, &digest, memory)
            .await
            .map_err(|_| WebhookError::ReplayCheckUnavailable)?;
        if first {
            return Ok(());
        }
        match self.kv.get(&key).await {
            Ok(Some(seen)) if seen == digest => Ok(()),
            Ok(_) => Err(WebhookError::ReusedSignature),
            Err(_) => Err(WebhookError::ReplayCheckUnavailable),
        }
    }
}

/// The short apology for a reply that could not be made.
fn sorry(message: &InboundMessage, now: i64) -> Answer {
    Reply::Text(SORRY.to_owned())
        .render(message.from.as_str(), &message.to, now)
        .map_or(Answer::Nothing, Answer::Xml)
}

fn param<'a>(value: &'a Option<String>, name: &'static str) -> Result<&'a str, WebhookError> {
    value
        .as_deref()
        .filter(|v| !v.is_empty())
        .ok_or(WebhookError::MissingParam(name))
}

/// What the message log keeps of a message: who, when, and their words if any. Job
/// reports are WeChat's, not the follower's doing, and are not sightings.
fn sighting(message: &InboundMessage) -> Option<Sighting> {
    if let inbound::Inbound::Event(
        inbound::Event::TemplateSendJobFinish { .. } | inbound::Event::MassSendJobFinish { .. },
    ) = &message.kind
    {
        return None;
    }
    let text = match &message.kind {
        inbound::Inbound::Text { msg_id, content } => {
            Some((*msg_id, TextKind::Text, content.clone()))
        }
        inbound::Inbound::Voice {
            msg_id,
            recognition: Some(words),
            ..
        } => Some((*msg_id, TextKind::Voice, words.clone())),
        _ => None,
    };
    Some(Sighting {
        openid: message.from.clone(),
        at: time_of(message),
        text,
    })
}
