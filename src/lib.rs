//! 阳光村务 (Sunshine Village Affairs): the backend of a WeChat Official Account on
//! which every village publishes its affairs and every villager can watch them.
//!
//! # Layout
//!
//! The layers, from the outside in:
//!
//! - `routes`: HTTP handlers, one module per audience (health, the JSON API, the staff
//!   API, OAuth callback, the WeChat webhook, the followers' H5 pages and assets). They
//!   extract, call one service or storage function, and map the result.
//! - `auth`: who is asking on the web: `auth::follower` (a follower's session on pages,
//!   OAuth2 snsapi_base, signed cookie), `auth::csrf` (tokens binding a form to them),
//!   and for staff `auth::password` (argon2id), `auth::totp` (RFC 6238) and
//!   `auth::staff_session` (Redis sessions behind a strict cookie or a bearer token).
//! - `services`: the use cases, each one transaction: `services::complaints` (filing a
//!   complaint, every transition, its timeline line and its push together),
//!   `services::accounts` (staff accounts and signing in) and `services::audit` (the one
//!   way a line enters the audit log).
//! - `wechat`: `wechat::webhook` (what WeChat sends us: the protocol, de-duplication,
//!   the rule table, the handlers, the message log, `simulate`) and `wechat::api` (the
//!   one client of WeChat's API: token, menu, templates, OAuth, JS-SDK, QR).
//! - `workers`: background work beside the server: `workers::outbox` (delivers the
//!   template-message outbox) and `workers::view_counter` (page views in batches).
//! - `domain`: types that can only hold valid values (region codes, …) and the rules
//!   about them. No I/O.
//! - `storage`: all SQL, one module per table group; rows come back as domain types.
//! - `transparency`: the Merkle log core (RFC 6962 hashing, proofs, tiles, checkpoints);
//!   pure, no I/O.
//! - `analysis`: the topics of what the public writes (segmentation, the trained model,
//!   the decision rule and its evaluation); pure, the model embedded.
//! - `region_import`: checking and loading division-code files; `region_index`: the
//!   in-memory search behind "find my village".
//! - `crypto`: identity at rest: data keys per record wrapped by configured master keys,
//!   AEAD under the `aes` or `sm` suite, keyed lookup hashes (docs/privacy.md).
//! - `kv`: Redis, or an in-process stand-in for a single instance.
//! - `configuration`: layered settings (built-in defaults, a file, `APP__…` variables);
//!   `startup`: builds the running service; `shutdown`: stops it in order;
//!   `telemetry`: logging; `cli`: the `sunvillage` command line; `demo_data`: sample
//!   content for a new installation.

pub mod analysis;
pub mod auth;
pub mod cli;
pub mod configuration;
pub mod crypto;
pub mod demo_data;
pub mod domain;
pub mod kv;
pub mod metrics;
pub mod page_cache;
pub mod region_import;
pub mod region_index;
pub mod routes;
pub mod services;
pub mod shutdown;
pub mod spreadsheet;
pub mod startup;
pub mod storage;
pub mod telemetry;
pub mod transparency;
pub mod wechat;
pub mod workers;
