//! The public JSON API under `/api`.

pub mod jssdk;
pub mod regions;

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};

use super::error::{JsonError, json_error};

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(
        web::scope(super::paths::API)
            .app_data(web::QueryConfig::default().error_handler(|err, req| {
                let message = match super::query::duplicate(req.query_string()) {
                    Some(name) => format!("query parameter `{name}` is given more than once"),
                    None => format!("bad query string: {err}"),
                };
                JsonError::bad_request(message).into()
            }))
            .app_data(web::PathConfig::default().error_handler(|err, _req| {
                JsonError::bad_request(format!("bad path: {err}")).into()
            }))
            .app_data(
                web::JsonConfig::default()
                    .limit(64 * 1024)
                    .error_handler(|err, _req| {
                        JsonError::bad_request(format!("bad JSON body: {err}")).into()
                    }),
            )
            .configure(regions::configure)
            .configure(super::staff::configure)
            .configure(jssdk::configure)
            .default_service(web::to(not_found)),
    );
}

async fn not_found() -> HttpResponse {
    json_error(StatusCode::NOT_FOUND, "no such endpoint")
}
