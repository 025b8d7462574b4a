//! What the black-box tests share: the app on a fresh database (`app`, `database`), a
//! fake of WeChat's API (`fake_wechat`), WeChat's side of the webhook (`wechat`), a
//! follower's browser (`follower`), complaints and staff as fixtures (`complaints`,
//! `staff`), the outbox driven on demand (`outbox`), servers and processes of a test's
//! own (`served`, `own_servers`) and waiting without sleeping (`wait`).

pub mod app;
pub mod complaints;
pub mod database;
pub mod fake_wechat;
pub mod follower;
pub mod outbox;
pub mod own_servers;
pub mod served;
pub mod staff;
pub mod wait;
pub mod wechat;

pub use app::{
    REDIS_URL, TestApp, secret, spawn_app, spawn_app_on, spawn_app_on_missing_database,
    spawn_app_with, spawn_app_with_wechat, template, test_settings,
};
pub use database::{PG_BASE, fresh_database, unique_name, url_of};
