//! The WeChat webhook (`/wechat`): the protocol (signatures, the safe-mode envelope,
//! inbound XML, passive replies), retry de-duplication, the rule table that routes each
//! message to a handler, the inbound message log, and `sunvillage simulate`.
//!
//! - `signature`: sha1 of the sorted parts, compared in constant time.
//! - `crypto`: AES-256-CBC envelope with 32-byte PKCS#7 and the AppID check.
//! - `xml`: the safe XML reader (no DOCTYPE, no entities, bounded).
//! - `inbound`: XML → [`inbound::Inbound`], a variant per message and event kind.
//! - `reply`: [`reply::Reply`] → XML, `]]>` split inside CDATA.
//! - `dedup`: SET NX claims and stored replies for WeChat's retries.
//! - `router`: the ordered rule table; `handlers`: what each rule does.
//! - `message_log`: inbound texts batched to Postgres off the reply's path.
//! - `pipeline`: the pipeline from request to response.
//! - `simulate`: a signed (and encrypted) message to a running server, from the CLI.

pub mod crypto;
pub mod dedup;
pub mod handlers;
pub mod inbound;
pub mod message_log;
pub mod pipeline;
pub mod reply;
pub mod router;
pub mod signature;
pub mod simulate;
pub mod xml;

pub use pipeline::{MAX_BODY_BYTES, Params, Response, Webhook, WebhookError};

#[cfg(test)]
mod fuzz;

#[cfg(test)]
pub(crate) mod test_vectors {
    //! The byte-exact peer vectors under `tests/data/wechat-vectors/`.

    use std::path::PathBuf;

    fn path(rel: &str) -> PathBuf {
        PathBuf::from(env!("CARGO_MANIFEST_DIR"))
            .join("tests/data/wechat-vectors")
            .join(rel)
    }

    /// A vector file's exact text.
    pub fn text(rel: &str) -> String {
        std::fs::read_to_string(path(rel)).unwrap_or_else(|e| panic!("{rel}: {e}"))
    }

    pub fn json(rel: &str) -> serde_json::Value {
        serde_json::from_str(&text(rel)).unwrap_or_else(|e| panic!("{rel}: {e}"))
    }
}
