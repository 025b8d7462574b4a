//! The followers' H5 pages: server-rendered HTML (askama templates in `templates/`,
//! checked at compile time and escaped by default) in WeUI's look, readable without
//! script. Shared by every page: [`Layout`] (the base template's head, share metadata
//! and breadcrumbs), [`Site`] (an extractor that builds layouts and sends pages with
//! their cache and security headers), [`SearchBox`], [`Pager`] and the date and count
//! formats. Errors render through `routes::page_error::PageError`.

pub mod complaints;
pub mod counted;
pub mod disclosures;
pub mod home;
pub mod power;
pub mod pushes;
pub mod regions;
pub mod search;
pub mod stats;
pub mod text_size;
pub mod transparency;
pub mod village;

use std::future::{Ready, ready};

use actix_web::dev::Payload;
use actix_web::http::StatusCode;
use actix_web::http::header::{
    CACHE_CONTROL, CONTENT_SECURITY_POLICY, CONTENT_TYPE, HeaderValue, X_CONTENT_TYPE_OPTIONS,
};
use actix_web::{FromRequest, HttpRequest, HttpResponse, Route, guard, web};
use askama::Template;
use chrono::{DateTime, NaiveDate, Utc};

use super::assets;
use super::page_error::PageError;
use crate::configuration::Settings;
use crate::domain::china_time;
use crate::page_cache::{self, PageCache};

/// Every page route: GET, and HEAD for link checkers.
pub fn get() -> Route {
    web::route().guard(guard::Any(guard::Get()).or(guard::Head()))
}

/// The pages that write or need the freshest state: complaint forms and pages, the
/// follower's push switch, the text-size switch, the assets.
pub fn configure(cfg: &mut web::ServiceConfig) {
    complaints::configure(cfg);
    pushes::configure(cfg);
    text_size::configure(cfg);
    assets::configure(cfg);
}

/// The public pages that only read, and tolerate a replica's lag of a second or two:
/// registered with the page pool (`routes::configure`). Nothing here may write.
pub fn configure_reads(cfg: &mut web::ServiceConfig) {
    home::configure(cfg);
    search::configure(cfg);
    stats::configure(cfg);
    regions::configure(cfg);
    village::configure(cfg);
    disclosures::configure(cfg);
    power::configure(cfg);
    transparency::configure(cfg);
}

/// Answers every path no route claims with the friendly 404 page.
pub async fn not_found() -> Result<HttpResponse, PageError> {
    Err(PageError::not_found(
        "这个网址没有对应的页面，可能已经更改。可以搜索村名或乡镇名，或回到首页。",
    ))
}

/// No page loads anything from another host, runs script, or may be framed.
const CSP: &str = "default-src 'none'; style-src 'self'; img-src 'self' data:; \
                   form-action 'self'; base-uri 'none'; frame-ancestors 'none'";

/// An HTML response with the headers every page carries.
pub fn html_response(status: StatusCode, body: String) -> HttpResponse {
    let mut response = HttpResponse::build(status)
        .insert_header((CONTENT_TYPE, "text/html; charset=utf-8"))
        .insert_header((CONTENT_SECURITY_POLICY, CSP))
        .insert_header((X_CONTENT_TYPE_OPTIONS, "nosniff"))
        .body(body);
    response
        .headers_mut()
        .insert(CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}

/// The site's name, at the end of every title.
pub const SITE_NAME: &str = "阳光村务";

/// A link in the breadcrumbs.
#[derive(Debug, Clone)]
pub struct Crumb {
    pub name: String,
    pub href: String,
}

impl Crumb {
    pub fn new(name: impl Into<String>, href: impl Into<String>) -> Crumb {
        Crumb {
            name: name.into(),
            href: href.into(),
        }
    }
}

/// What the base template needs: the head, the share card and the breadcrumbs.
#[derive(Debug, Clone)]
pub struct Layout {
    /// The `<title>`: the page's own name, then the site's.
    pub title: String,
    /// The title of a shared link's card.
    pub share_title: String,
    /// The `description` and the share card's text.
    pub description: String,
    /// Absolute URL of this page.
    pub canonical: String,
    /// Absolute URL of the share picture.
    pub share_image: String,
    pub css: &'static str,
    /// Places above this page, top first.
    pub crumbs: Vec<Crumb>,
    /// This page's name in the breadcrumbs.
    pub here: String,
    /// 长辈模式: the reader chose large text (a cookie).
    pub large_text: bool,
    /// This page's path, for the 长辈模式 switch to come back to.
    pub path: String,
}

impl Layout {
    /// The 长辈模式 switch: to large text, or back to the standard size.
    pub fn text_size_switch(&self) -> String {
        super::paths::text_size(!self.large_text, &self.path)
    }
}

impl Layout {
    /// A layout without share metadata, for error pages (which need no settings).
    pub fn bare(title: &str) -> Layout {
        Layout {
            title: format!("{title} - {SITE_NAME}"),
            share_title: title.to_owned(),
            description: String::new(),
            canonical: String::new(),
            share_image: String::new(),
            css: assets::url("site.css"),
            crumbs: Vec::new(),
            here: String::new(),
            large_text: false,
            path: super::paths::home().to_owned(),
        }
    }

    /// Sets the breadcrumbs; `here` names the page itself.
    pub fn with_crumbs(mut self, crumbs: Vec<Crumb>, here: impl Into<String>) -> Layout {
        self.crumbs = crumbs;
        self.here = here.into();
        self
    }
}

/// The search form; `within` limits it to a region.
#[derive(Debug, Clone, Default)]
pub struct SearchBox {
    pub value: String,
    pub within: Option<String>,
    pub placeholder: String,
}

impl SearchBox {
    pub fn everywhere() -> SearchBox {
        SearchBox {
            value: String::new(),
            within: None,
            placeholder: "村名或乡镇名，如：王岗".into(),
        }
    }

    pub fn within(code: &str, name: &str) -> SearchBox {
        SearchBox {
            value: String::new(),
            within: Some(code.to_owned()),
            placeholder: format!("在{name}内搜索村或乡镇"),
        }
    }
}

/// Page navigation for a list.
#[derive(Debug, Clone)]
pub struct Pager {
    pub page: u32,
    pub pages: u32,
    pub prev: Option<String>,
    pub next: Option<String>,
}

impl Pager {
    /// `base` is the list's path; pages are `?page=N`.
    pub fn new(base: &str, page: u32, per_page: u32, total: i64) -> Pager {
        let total = u32::try_from(total.max(0)).unwrap_or(u32::MAX);
        let pages = total.div_ceil(per_page).max(1);
        let link = |p: u32| {
            if p == 1 {
                base.to_owned()
            } else {
                format!("{base}?page={p}")
            }
        };
        Pager {
            page,
            pages,
            prev: (page > 1).then(|| link(page - 1)),
            next: (page < pages).then(|| link(page + 1)),
        }
    }

    pub fn is_needed(&self) -> bool {
        self.pages > 1
    }
}

/// Reads `?page=N` leniently: anything that is not a page number is page 1.
pub fn page_number(raw: Option<&str>) -> u32 {
    raw.and_then(|p| p.parse::<u32>().ok())
        .filter(|p| (1..=100_000).contains(p))
        .unwrap_or(1)
}

/// The settings a page needs, taken from the app: cheap to extract in every handler.
pub struct Site {
    settings: web::Data<Settings>,
    large_text: bool,
    req: HttpRequest,
}

impl FromRequest for Site {
    type Error = PageError;
    type Future = Ready<Result<Site, PageError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        // A page to read while the database is known to be down says so at once instead
        // of waiting for the pool, unless the page cache holds it: that needs nothing of
        // the database (and the cache serves nothing once its LISTEN connection is gone).
        // A form being submitted goes on: it shows itself again with what was typed.
        let reading = matches!(
            *req.method(),
            actix_web::http::Method::GET | actix_web::http::Method::HEAD
        );
        if reading
            && req
                .app_data::<web::Data<crate::storage::database::Availability>>()
                .is_some_and(|db| db.is_down())
            && !is_kept(req)
        {
            return ready(Err(PageError::unavailable(
                crate::routes::page_error::DATABASE_DOWN,
            )));
        }
        ready(
            req.app_data::<web::Data<Settings>>()
                .map(|settings| Site {
                    settings: settings.clone(),
                    large_text: text_size::is_large(req),
                    req: req.clone(),
                })
                .ok_or_else(|| PageError::internal(anyhow::anyhow!("settings are not registered"))),
        )
    }
}

/// Whether the page cache holds the page at this request's path.
fn is_kept(req: &HttpRequest) -> bool {
    req.app_data::<web::Data<PageCache>>().is_some_and(|cache| {
        cache
            .get(&page_cache::Key {
                path: req.path().to_owned(),
                large_text: text_size::is_large(req),
            })
            .is_some()
    })
}

impl Site {
    /// A page's layout: `title` is the page's own name, `path` its address.
    pub fn layout(&self, path: &str, title: &str, description: impl Into<String>) -> Layout {
        let base = self.settings.public_base();
        Layout {
            title: format!("{title} - {SITE_NAME}"),
            share_title: format!("{title} · {SITE_NAME}"),
            description: description.into(),
            canonical: format!("{base}{path}"),
            share_image: format!("{base}{}", assets::url("share.png")),
            css: assets::url("site.css"),
            crumbs: Vec::new(),
            here: String::new(),
            large_text: self.large_text,
            path: path.to_owned(),
        }
    }

    /// Renders a page that belongs to one follower (a form, their complaints): never
    /// stored by a cache.
    pub fn render_private(
        &self,
        status: StatusCode,
        page: &impl Template,
    ) -> Result<HttpResponse, PageError> {
        let mut response = html_response(status, page.render()?);
        response
            .headers_mut()
            .insert(CACHE_CONTROL, HeaderValue::from_static("private, no-store"));
        Ok(response)
    }

    pub fn settings(&self) -> &Settings {
        &self.settings
    }

    fn public_cache_control(&self) -> HeaderValue {
        let value = format!("public, max-age={}", self.settings.pages.max_age_seconds);
        HeaderValue::from_str(&value).unwrap_or(HeaderValue::from_static("no-store"))
    }

    /// The page at `path`, showing `region` ("" for all), from the page cache when it
    /// holds it: answer with [`Cached::answer`] if so, else build the page and
    /// [`Cached::render`] it.
    pub fn cached(&self, path: &str, region: &str) -> Cached<'_> {
        let cache = self
            .req
            .app_data::<web::Data<PageCache>>()
            .filter(|c| c.is_on())
            .cloned();
        let key = page_cache::Key {
            path: path.to_owned(),
            large_text: self.large_text,
        };
        let ticket = cache.as_ref().map(|c| c.ticket());
        Cached {
            site: self,
            hit: cache.as_ref().and_then(|c| c.get(&key)),
            cache,
            key,
            region: region.to_owned(),
            ticket,
        }
    }

    /// Renders a page as 200 with the configured short caching.
    pub fn render(&self, page: &impl Template) -> Result<HttpResponse, PageError> {
        let mut response = html_response(StatusCode::OK, page.render()?);
        response
            .headers_mut()
            .insert(CACHE_CONTROL, self.public_cache_control());
        // The page differs with the 长辈模式 cookie: a shared cache keeps both.
        response.headers_mut().insert(
            actix_web::http::header::VARY,
            HeaderValue::from_static("Cookie"),
        );
        Ok(response)
    }
}

/// A page that may come from the page cache (`Site::cached`).
pub struct Cached<'a> {
    site: &'a Site,
    cache: Option<web::Data<PageCache>>,
    hit: Option<std::sync::Arc<page_cache::Page>>,
    key: page_cache::Key,
    region: String,
    ticket: Option<page_cache::Ticket>,
}

impl Cached<'_> {
    /// The stored page, if there is one to serve.
    pub fn answer(&self) -> Option<HttpResponse> {
        self.hit.as_ref().map(|p| self.respond(p, true))
    }

    /// Renders `page`, stores it when the cache may keep it, and answers with it.
    pub fn render(self, page: &impl Template) -> Result<HttpResponse, PageError> {
        let (Some(cache), Some(ticket)) = (&self.cache, self.ticket) else {
            return self.site.render(page);
        };
        let html = page.render()?;
        let stored = cache.put(ticket, self.key.clone(), &self.region, &html);
        Ok(self.respond(&stored, false))
    }

    fn respond(&self, page: &page_cache::Page, from_cache: bool) -> HttpResponse {
        let mut response = page_cache::respond(
            &self.site.req,
            page,
            self.site.public_cache_control(),
            from_cache,
        );
        let headers = response.headers_mut();
        headers.insert(CONTENT_SECURITY_POLICY, HeaderValue::from_static(CSP));
        headers.insert(X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
        response
    }
}

/// `2026年11月29日`.
pub fn date(t: DateTime<Utc>) -> String {
    china_time::local(t).format("%Y年%-m月%-d日").to_string()
}

/// `2026年11月29日 14:05`.
pub fn date_time(t: DateTime<Utc>) -> String {
    china_time::local(t)
        .format("%Y年%-m月%-d日 %H:%M")
        .to_string()
}

/// `2026年11月29日` for a calendar date.
pub fn day(d: NaiveDate) -> String {
    d.format("%Y年%-m月%-d日").to_string()
}

/// `3,474`.
pub fn count(n: i64) -> String {
    let digits = n.unsigned_abs().to_string();
    let mut out = String::new();
    if n < 0 {
        out.push('-');
    }
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// `12.3 KB`.
pub fn file_size(bytes: i64) -> String {
    if bytes < 1024 {
        format!("{bytes} 字节")
    } else if bytes < 1024 * 1024 {
        format!("{:.1} KB", bytes as f64 / 1024.0)
    } else {
        format!("{:.1} MB", bytes as f64 / (1024.0 * 1024.0))
    }
}

/// Paragraphs of a plain-text body: blank lines separate paragraphs, single line breaks
/// stay within one. The template escapes each line.
pub fn paragraphs(body: &str) -> Vec<Vec<String>> {
    let mut out: Vec<Vec<String>> = Vec::new();
    let mut current: Vec<String> = Vec::new();
    for line in body.lines() {
        if line.trim().is_empty() {
            if !current.is_empty() {
                out.push(std::mem::take(&mut current));
            }
        } else {
            current.push(line.trim_end().to_owned());
        }
    }
    if !current.is_empty() {
        out.push(current);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_show_in_beijing_time() {
        let t = DateTime::parse_from_rfc3339("2026-11-28T17:30:00Z")
            .unwrap()
            .with_timezone(&Utc);
        assert_eq!(date(t), "2026年11月29日");
        assert_eq!(date_time(t), "2026年11月29日 01:30");
    }

    #[test]
    fn counts_are_grouped() {
        assert_eq!(count(0), "0");
        assert_eq!(count(3474), "3,474");
        assert_eq!(count(1_300_000), "1,300,000");
    }

    #[test]
    fn pagers_link_neighbours() {
        let p = Pager::new("/v/1/m/assets", 2, 10, 25);
        assert_eq!(p.pages, 3);
        assert_eq!(p.prev.as_deref(), Some("/v/1/m/assets"));
        assert_eq!(p.next.as_deref(), Some("/v/1/m/assets?page=3"));
        assert!(!Pager::new("/x", 1, 10, 0).is_needed());
        assert_eq!(page_number(Some("abc")), 1);
        assert_eq!(page_number(Some("0")), 1);
        assert_eq!(page_number(Some("4")), 4);
    }

    #[test]
    fn bodies_split_into_paragraphs_and_lines() {
        assert_eq!(
            paragraphs("一\n二\n\n\n三"),
            vec![
                vec!["一".to_owned(), "二".to_owned()],
                vec!["三".to_owned()]
            ]
        );
    }
}

#[cfg(test)]
#[path = "../../../build/county_map.rs"]
#[allow(dead_code, reason = "the build script uses what the tests do not")]
mod county_map;

#[cfg(test)]
mod map_tests {
    use super::county_map::{parse, render, simplify};

    #[test]
    fn simplification_keeps_ends_and_drops_points_on_a_line() {
        let line = [(0.0, 0.0), (1.0, 0.01), (2.0, 0.0), (3.0, 5.0), (4.0, 0.0)];
        assert_eq!(
            simplify(&line, 0.5),
            vec![(0.0, 0.0), (2.0, 0.0), (3.0, 5.0), (4.0, 0.0)]
        );
    }

    #[test]
    fn the_shipped_map_draws_every_county_as_a_link() {
        let json: serde_json::Value =
            serde_json::from_str(include_str!("../../../data/maps/xinyang-counties.geojson"))
                .unwrap();
        let counties = parse(&json).unwrap();
        assert_eq!(counties.len(), 10);
        let svg = render(&counties, 1000.0, 1.2, "/r/");
        for c in &counties {
            assert!(
                svg.contains(&format!("href=\"/r/{}\"", c.code)),
                "{}",
                c.name
            );
            assert!(svg.contains(&c.name));
        }
        assert!(svg.len() < 40_000, "the map is {} bytes", svg.len());
    }
}
