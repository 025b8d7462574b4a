//! 阳光村务 (Sunshine Village Affairs): the backend of a WeChat Official Account on
//! which every village publishes its affairs and every villager can watch them.
//!
//! # Layout
//!
//! - `analysis`: topics of what the public writes (classification, its model and data).
//! - `cli`: the `sunvillage` command line and its subcommands.
//! - `configuration`: layered settings (built-in defaults, a file, `APP__…` variables).
//! - `startup`: builds the running service; `shutdown`: stops it in order.
//! - `telemetry`: logging.
//! - `domain`: types that can only hold valid values (region codes, …). No I/O.
//! - `storage`: all SQL, one module per table group.
//! - `complaints`: changing complaints: state, timeline and notification in one transaction.
//! - `form_token`: CSRF tokens tying a follower's form to them.
//! - `kv`: Redis, or an in-process stand-in for a single instance.
//! - `region_import`: checking and loading division-code files.
//! - `region_index`: the in-memory search behind "find my village".
//! - `routes`: HTTP handlers (health, JSON API, staff API, OAuth callback, the WeChat
//!   webhook, the followers' H5 pages and assets).
//! - `wechat_api`: the client of WeChat's API (token, menu, templates, OAuth, JS-SDK, QR).
//! - `session`: follower sessions on pages (OAuth2 snsapi_base, signed cookie).
//! - `outbox_worker`: delivers the template-message outbox.
//! - `view_counter`: page views counted in memory and written in batches.
//! - `demo_data`: sample content for a new installation (`sunvillage demo-data`).
//! - `wechat`: the webhook's protocol, de-duplication, routing and message log.

pub mod analysis;
pub mod cli;
pub mod complaints;
pub mod configuration;
pub mod demo_data;
pub mod domain;
pub mod form_token;
pub mod kv;
pub mod outbox_worker;
pub mod region_import;
pub mod region_index;
pub mod routes;
pub mod session;
pub mod shutdown;
pub mod startup;
pub mod storage;
pub mod telemetry;
pub mod view_counter;
pub mod wechat;
pub mod wechat_api;
