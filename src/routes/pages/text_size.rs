//! `GET /text-size?large=1&back=/v/…`: 长辈模式 (large text, larger tap targets) on or
//! off, remembered in a cookie for a year, then back to the page. A plain link, so it
//! needs no script; the MIIT 《互联网网站适老化通用设计规范》 asks for exactly this: a
//! visible switch to a larger-type mode on every page.

use actix_web::cookie::{Cookie, SameSite, time};
use actix_web::http::header::{CACHE_CONTROL, LOCATION};
use actix_web::{HttpRequest, HttpResponse, web};
use serde::Deserialize;

use super::get;
use crate::auth::follower::safe_return_to;
use crate::routes::paths;

/// The cookie that says a reader chose large text.
pub const COOKIE: &str = "sv_large";

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route(paths::TEXT_SIZE, get().to(switch));
}

/// Whether this request's reader chose large text.
pub fn is_large(req: &HttpRequest) -> bool {
    req.cookie(COOKIE).is_some_and(|c| c.value() == "1")
}

#[derive(Deserialize)]
pub struct SwitchQuery {
    large: Option<String>,
    back: Option<String>,
}

async fn switch(query: web::Query<SwitchQuery>) -> HttpResponse {
    let large = query.large.as_deref() == Some("1");
    let back = safe_return_to(query.back.as_deref().unwrap_or_default());
    let mut cookie = Cookie::build(COOKIE, "1")
        .path("/")
        .http_only(true)
        .same_site(SameSite::Lax)
        .max_age(time::Duration::days(365))
        .finish();
    if !large {
        cookie.make_removal();
    }
    HttpResponse::SeeOther()
        .insert_header((LOCATION, back))
        .insert_header((CACHE_CONTROL, "no-store"))
        .cookie(cookie)
        .finish()
}
