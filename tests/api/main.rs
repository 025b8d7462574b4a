//! Black-box tests: the real service over HTTP, against the machine's Postgres and
//! Redis (a fresh database and key prefix per test).

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "test helpers fail the test loudly on broken infrastructure"
)]

mod health;
mod helpers;
mod region_import;
mod regions_api;
mod startup;
mod wechat_dedup;
mod wechat_followers;
mod wechat_interop;
mod wechat_message_log;
mod wechat_messages;
mod wechat_protocol;
mod wechat_simulate;
mod wechat_support;
mod wechat_village_lookup;
