//! `GET /api/jssdk/config?url=…`: the `wx.config` values (appId, timestamp, nonceStr,
//! signature) for a page of this site, so it can be shared with its own title and
//! picture.

use actix_web::{HttpResponse, web};
use serde::Deserialize;

use crate::configuration::Settings;
use crate::routes::error::JsonError;
use crate::routes::paths;
use crate::wechat::api::WechatApi;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route(paths::api::JSSDK_CONFIG, web::get().to(config));
}

/// Longest page URL signed.
const MAX_URL: usize = 2048;

#[derive(Deserialize)]
struct Params {
    url: Option<String>,
}

/// The page URL as signed: on this site, without its fragment.
fn page_url(url: &str, public_base: &str) -> Result<String, JsonError> {
    let url = url.split('#').next().unwrap_or_default();
    let on_site = url == public_base
        || url
            .strip_prefix(public_base)
            .is_some_and(|rest| rest.starts_with('/') || rest.starts_with('?'));
    if url.len() > MAX_URL || !on_site {
        return Err(JsonError::bad_request(format!(
            "url must be a page under {public_base}"
        )));
    }
    Ok(url.to_owned())
}

async fn config(
    params: web::Query<Params>,
    settings: web::Data<Settings>,
    api: web::Data<WechatApi>,
) -> Result<HttpResponse, JsonError> {
    let url = params
        .url
        .as_deref()
        .ok_or_else(|| JsonError::bad_request("url is required: the page's address"))?;
    let url = page_url(url, settings.public_base())?;
    let config = api.js_config(&url).await.map_err(JsonError::internal)?;
    Ok(HttpResponse::Ok()
        .insert_header(("Cache-Control", "no-store"))
        .json(config))
}
