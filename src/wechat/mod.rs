//! WeChat, in two halves that meet only through the database and the outbox:
//!
//! - [`webhook`]: what WeChat sends us. The `/wechat` endpoint's protocol (signatures,
//!   the safe-mode envelope, inbound XML, passive replies), retry de-duplication, the
//!   rule table routing each message to a handler, and the inbound message log.
//! - [`api`]: what we ask of WeChat. The one outbound client (access_token, menu,
//!   template messages, OAuth2, JS-SDK, QR codes) that the outbox worker, the pages and
//!   the CLI use.

pub mod api;
pub mod webhook;
