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

    /// `#rgb` or `#rrggbb` as 0–255 channels.
    fn hex_colour(value: &str) -> Option<[f64; 3]> {
        let h = value.trim().strip_prefix('#')?;
        let h = match h.len() {
            3 => h.chars().flat_map(|c| [c, c]).collect::<String>(),
            6 => h.to_owned(),
            _ => return None,
        };
        let channel = |i: usize| {
            h.get(i..i + 2)
                .and_then(|pair| u8::from_str_radix(pair, 16).ok())
                .map(f64::from)
        };
        Some([channel(0)?, channel(2)?, channel(4)?])
    }

    /// WCAG 2.x relative luminance and contrast ratio.
    fn contrast(a: [f64; 3], b: [f64; 3]) -> f64 {
        let lum = |c: [f64; 3]| {
            let lin = |v: f64| {
                let v = v / 255.0;
                if v <= 0.040_45 {
                    v / 12.92
                } else {
                    ((v + 0.055) / 1.055).powf(2.4)
                }
            };
            0.2126 * lin(c[0]) + 0.7152 * lin(c[1]) + 0.0722 * lin(c[2])
        };
        let (hi, lo) = {
            let (x, y) = (lum(a), lum(b));
            if x > y { (x, y) } else { (y, x) }
        };
        (hi + 0.05) / (lo + 0.05)
    }

    #[test]
    fn the_contrast_ratio_matches_known_values() {
        let white = hex_colour("#fff").unwrap();
        assert!((contrast(white, hex_colour("#000").unwrap()) - 21.0).abs() < 0.01);
        // #767676 is the lightest grey at 4.5:1 on white.
        assert!((contrast(white, hex_colour("#767676").unwrap()) - 4.54).abs() < 0.01);
    }

    /// Every placeholder colour of our stylesheets, and the one that wins over WeUI's
    /// (the last bare `::placeholder` rule of the served stylesheet), reads at ≥ 4.5:1
    /// on the inputs' white.
    #[test]
    fn placeholders_are_at_least_four_and_a_half_to_one_on_white() {
        let white = hex_colour("#fff").unwrap();
        let rules = |css: &'static str| {
            css.split('}')
                .filter_map(|rule| rule.split_once('{'))
                .filter(|(selector, _)| selector.contains("placeholder"))
                .map(|(selector, body)| (selector.trim().to_owned(), body.to_owned()))
                .collect::<Vec<_>>()
        };
        let colour = |body: &str| {
            body.split(';')
                .filter_map(|d| d.split_once(':'))
                .filter(|(p, _)| p.trim() == "color")
                .map(|(_, v)| v.trim().to_owned())
                .next_back()
        };
        let ours: Vec<_> = rules(include_str!("../../assets/site.css"))
            .into_iter()
            .chain(rules(STAFF_CSS))
            .collect();
        assert!(!ours.is_empty(), "site.css sets the placeholder colour");
        for (selector, body) in &ours {
            let value = colour(body).unwrap_or_default();
            let c = hex_colour(&value)
                .unwrap_or_else(|| panic!("{selector}: write the colour as #rrggbb, not {value}"));
            let ratio = contrast(white, c);
            assert!(ratio >= 4.5, "{selector} {value}: {ratio:.2}:1");
        }
        let served = rules(SITE_CSS);
        let (_, winner) = served
            .iter()
            .rfind(|(selector, _)| selector.rsplit(['}', '\n']).next() == Some("::placeholder"))
            .expect("a bare ::placeholder rule");
        let value = colour(winner).unwrap_or_default();
        assert!(
            contrast(white, hex_colour(&value).unwrap()) >= 4.5,
            "{value}"
        );
    }
}
