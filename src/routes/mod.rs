//! HTTP handlers, one module per audience (health, the JSON API, the WeChat webhook). Handlers extract, call one domain or storage
//! function, and map the result; no SQL here.

pub mod api;
pub mod error;
pub mod health;
pub mod wechat;

use actix_web::web;

/// Every route of the service.
pub fn configure(cfg: &mut web::ServiceConfig) {
    health::configure(cfg);
    api::configure(cfg);
    wechat::configure(cfg);
}
