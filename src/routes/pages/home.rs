//! `GET /`: the city map (drawn at build time), the search box, the headline figures
//! and the county-level units as large buttons.

use std::time::Duration;

use actix_web::{HttpResponse, web};
use askama::Template;
use sqlx::PgPool;

use super::{Layout, SearchBox, Site, count, get};
use crate::domain::RegionCode;
use crate::kv::Kv;
use crate::routes::page_error::PageError;
use crate::routes::paths;
use crate::storage;
use crate::storage::stats::Headline;

/// The map drawn by build.rs from data/maps/xinyang-counties.geojson.
pub const COUNTY_MAP_SVG: &str = include_str!(concat!(env!("OUT_DIR"), "/county_map.svg"));
/// The city the home page shows (信阳市); the map is of it.
pub const HOME_CITY: &str = "4115";
/// How long the headline figures are reused before they are counted again.
const HEADLINE_TTL: Duration = Duration::from_secs(60);
const HEADLINE_KEY: &str = "pages:headline";

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route(paths::HOME, get().to(home));
}

pub struct Figure {
    pub label: &'static str,
    pub value: String,
    /// What a figure means when it would otherwise be a bare 0.
    pub note: Option<&'static str>,
}

/// The headline as figures a reader can trust: how many villages really publish of
/// all, and a word of explanation instead of a bare 0.
pub fn figures(h: &Headline) -> Vec<Figure> {
    let zero = |n: i64, why: &'static str| (n == 0).then_some(why);
    vec![
        Figure {
            label: "已公开的村",
            value: format!("{} / {}", count(h.publishing_villages), count(h.villages)),
            note: zero(h.publishing_villages, "各村正陆续上线公开"),
        },
        Figure {
            label: "公开事项",
            value: count(h.disclosures),
            note: zero(h.disclosures, "还没有村正式公开"),
        },
        Figure {
            label: "办结投诉",
            value: count(h.complaints_handled),
            note: zero(h.complaints_handled, "还没有办结的投诉"),
        },
        Figure {
            label: "关注群众",
            value: count(h.followers),
            note: zero(h.followers, "还没有人关注"),
        },
    ]
}

pub struct CountyLink {
    pub name: String,
    pub href: String,
    pub note: String,
}

#[derive(Template)]
#[template(path = "home.html")]
struct HomePage {
    page: Layout,
    search: SearchBox,
    figures: Vec<Figure>,
    /// Sample content is shown on some pages: say that it is not counted.
    has_samples: bool,
    map: &'static str,
    counties: Vec<CountyLink>,
}

/// The figures, counted again at most once a minute across all instances
/// (`counted::figures`: readers never wait for a recount).
async fn headline(pool: &PgPool, kv: &Kv) -> Result<Headline, sqlx::Error> {
    super::counted::figures(pool, kv, HEADLINE_KEY, HEADLINE_TTL, |pool| async move {
        storage::stats::headline(&pool).await
    })
    .await
}

async fn home(
    site: Site,
    pool: web::Data<PgPool>,
    kv: web::Data<Kv>,
) -> Result<HttpResponse, PageError> {
    let cached = site.cached(paths::home(), "");
    if let Some(answer) = cached.answer() {
        return Ok(answer);
    }
    let city = RegionCode::parse(HOME_CITY).map_err(PageError::internal)?;
    let h = headline(&pool, &kv).await?;
    let counties = storage::regions::children_with_counts(&pool, &city)
        .await?
        .into_iter()
        .map(|(r, townships)| CountyLink {
            href: paths::region(&r.code),
            name: r.display_name,
            note: format!("{townships}个乡镇"),
        })
        .collect();
    let page = HomePage {
        page: site.layout(
            paths::home(),
            "信阳市村务公开",
            format!(
                "信阳市{}个村（社区）的党务、村务、财务公开，小微权力清单和投诉建议。",
                count(h.villages)
            ),
        ),
        search: SearchBox::everywhere(),
        figures: figures(&h),
        has_samples: h.samples > 0,
        map: COUNTY_MAP_SVG,
        counties,
    };
    cached.render(&page)
}
