//! 阳光村务 (Sunshine Village Affairs): the backend of a WeChat Official Account on
//! which every village publishes its affairs and every villager can watch them.
//!
//! # Layout
//!
//! - `cli`: the `sunvillage` command line and its subcommands.
//! - `configuration`: layered settings (built-in defaults, a file, `APP__…` variables).
//! - `startup`: builds the running service; `shutdown`: stops it in order.
//! - `telemetry`: logging.
//! - `domain`: types that can only hold valid values (region codes, …). No I/O.
//! - `storage`: all SQL, one module per table group.
//! - `kv`: Redis, or an in-process stand-in for a single instance.
//! - `region_import`: checking and loading division-code files.
//! - `region_index`: the in-memory search behind "find my village".
//! - `routes`: HTTP handlers (health, JSON API, the WeChat webhook).
//! - `wechat`: the webhook's protocol, de-duplication, routing and message log.

pub mod cli;
pub mod configuration;
pub mod domain;
pub mod kv;
pub mod region_import;
pub mod region_index;
pub mod routes;
pub mod shutdown;
pub mod startup;
pub mod storage;
pub mod telemetry;
pub mod wechat;
