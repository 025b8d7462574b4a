//! HTTP handlers, one module per audience (health, the JSON API, the WeChat webhook). Handlers extract, call one domain or storage
//! function, and map the result; no SQL here.

pub mod api;
pub mod assets;
pub mod client;
pub mod error;
pub mod health;
pub mod oauth;
pub mod page_error;
pub mod pages;
pub mod paths;
pub mod query;
pub mod request_context;
pub mod staff;
pub mod transparency;
pub mod wechat;

use actix_web::web;

/// Every route of the service.
/// Every route. `page_pool` is what the read-only public pages query (a replica when
/// `database.read_url` is set): they are registered last, in a scope of their own that
/// gives them that pool, so that everything else — forms, the webhook, staff — keeps
/// the primary.
pub fn configure(cfg: &mut web::ServiceConfig, page_pool: &web::Data<sqlx::PgPool>) {
    // First: the webhook is the busiest path, and actix tries resources in order, each
    // pattern with a {segment} a regex match (3.5 % of the webhook's CPU under load when
    // it came after the pages and the API).
    wechat::configure(cfg);
    health::configure(cfg);
    api::configure(cfg);
    oauth::configure(cfg);
    transparency::configure(cfg);
    staff::configure_pages(cfg);
    pages::configure(cfg);
    // Outside /api (which answers JSON), a bad address gets the friendly HTML page.
    cfg.app_data(web::QueryConfig::default().error_handler(|_, req| {
        let message = match query::duplicate(req.query_string()) {
            Some(name) => format!("网址中的参数“{name}”出现了不止一次，请检查网址。"),
            None => "网址中的查询参数有误。".to_owned(),
        };
        page_error::PageError::bad_request(message).into()
    }))
    .app_data(
        web::PathConfig::default()
            .error_handler(|_, _| page_error::PageError::bad_request("网址有误。").into()),
    )
    .default_service(web::to(pages::not_found));
    // Last: an empty-prefix scope takes every path that reaches it (the app's 404
    // answers what it does not know).
    cfg.service(
        web::scope("")
            .app_data(page_pool.clone())
            .configure(pages::configure_reads),
    );
}
