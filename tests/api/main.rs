//! Black-box tests: the real service over HTTP, against the machine's Postgres and
//! Redis (a fresh database and key prefix per test).

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "test helpers fail the test loudly on broken infrastructure"
)]

mod attachments;
mod backup;
mod browser;
mod calendar;
mod complaint_load;
mod complaint_pages;
mod complaints_staff;
mod demo_data;
mod health;
mod insight;
mod jssdk;
mod keeping_browser;
mod logs;
mod oauth;
mod openapi;
mod operations;
mod outages;
mod outbox;
mod page_cache;
mod pages;
mod phone_search;
mod power_admin;
mod power_editor;
mod privacy;
mod publishing;
mod qrcode;
mod region_import;
mod regions_api;
mod replica;
mod role_matrix;
mod slow_bodies;
mod staff_accounts;
mod staff_browser;
mod startup;
mod supervisors;
mod support;
mod transparency;
mod two_instances;
mod village_pushes;
mod wechat_dedup;
mod wechat_faults;
mod wechat_followers;
mod wechat_interop;
mod wechat_menu;
mod wechat_message_log;
mod wechat_messages;
mod wechat_protocol;
mod wechat_simulate;
mod wechat_token;
mod wechat_village_lookup;
