//! Static assets embedded in the binary and served under fingerprinted names
//! (`/assets/site.3f2a9c01d4.css`): a new build changes the name, so browsers may keep
//! each file for a year. Pages link them through [`url`].

use std::sync::LazyLock;

use actix_web::http::header::{CACHE_CONTROL, CONTENT_TYPE};
use actix_web::{HttpResponse, web};
use sha1::{Digest, Sha1};

use super::page_error::PageError;
use crate::routes::paths;

/// One embedded file.
pub struct Asset {
    /// The name pages ask for: `site.css`.
    pub name: &'static str,
    /// Where it is served: `/assets/site.<fingerprint>.css`.
    pub path: String,
    pub content_type: &'static str,
    pub bytes: &'static [u8],
}

/// The stylesheet: WeUI's (vendored by scripts/vendor-weui), then ours.
const SITE_CSS: &str = concat!(
    include_str!("../../assets/vendor/weui.css"),
    "\n",
    include_str!("../../assets/site.css")
);
/// The staff pages' additions (they load site.css first).
const STAFF_CSS: &str = include_str!("../../assets/staff.css");
/// The picture WeChat shows beside a shared link.
const SHARE_PNG: &[u8] = include_bytes!("../../assets/share.png");

fn asset(name: &'static str, content_type: &'static str, bytes: &'static [u8]) -> Asset {
    let digest = Sha1::digest(bytes);
    let fingerprint = hex::encode(&digest[..5]);
    let (stem, ext) = name.rsplit_once('.').unwrap_or((name, ""));
    Asset {
        name,
        path: paths::asset(&format!("{stem}.{fingerprint}.{ext}")),
        content_type,
        bytes,
    }
}

static ASSETS: LazyLock<Vec<Asset>> = LazyLock::new(|| {
    vec![
        asset("site.css", "text/css; charset=utf-8", SITE_CSS.as_bytes()),
        asset("staff.css", "text/css; charset=utf-8", STAFF_CSS.as_bytes()),
        asset("share.png", "image/png", SHARE_PNG),
    ]
});

/// Every asset, for tests and the benchmarks.
pub fn all() -> &'static [Asset] {
    &ASSETS
}

/// The fingerprinted path of an embedded asset (`site.css` → `/assets/site.….css`).
/// An unknown name yields a path that is served as 404, so a typo shows in tests.
pub fn url(name: &str) -> &'static str {
    static MISSING: LazyLock<String> = LazyLock::new(|| paths::asset("missing"));
    ASSETS
        .iter()
        .find(|a| a.name == name)
        .map_or(MISSING.as_str(), |a| a.path.as_str())
}

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route(paths::ASSET_PATTERN, super::pages::get().to(serve));
}

async fn serve(file: web::Path<String>) -> Result<HttpResponse, PageError> {
    let path = paths::asset(&file);
    let asset = ASSETS
        .iter()
        .find(|a| a.path == path)
        .ok_or_else(|| PageError::not_found("没有这个文件。"))?;
    Ok(HttpResponse::Ok()
        .insert_header((CONTENT_TYPE, asset.content_type))
        .insert_header((CACHE_CONTROL, "public, max-age=31536000, immutable"))
        .body(asset.bytes))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_carry_a_fingerprint_of_the_content() {
        let css = url("site.css");
        assert!(
            css.starts_with("/assets/site.") && css.ends_with(".css"),
            "{css}"
        );
        assert_eq!(css.len(), "/assets/site.0123456789.css".len());
        assert_eq!(url("nothing.css"), "/assets/missing");
    }
}
