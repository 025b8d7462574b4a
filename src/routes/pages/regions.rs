//! `GET /r/{code}`: a city, county or township with its children and their counts,
//! breadcrumbs up to the city, and a search limited to it; a township also shows its
//! 监察办公室 and what it published itself (`GET /r/{code}/d`, paginated).

use actix_web::http::header::LOCATION;
use actix_web::{HttpResponse, web};
use askama::Template;
use serde::Deserialize;
use sqlx::PgPool;

use super::disclosures::{ListItem, list_item};
use super::home::HOME_CITY;
use super::village::{PersonView, supervisor_groups};
use super::{Crumb, Layout, Pager, SearchBox, Site, count, get, page_number};
use crate::domain::{RegionCode, RegionLevel};
use crate::region_index::{Hit, SearchIndex};
use crate::routes::page_error::PageError;
use crate::routes::paths;
use crate::storage::{self, Paging};

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route(paths::REGION_PATTERN, get().to(region))
        .route(paths::REGION_OWN_PATTERN, get().to(own_list));
}

/// Disclosures a township page shows before "more".
const OWN_PREVIEW: u32 = 5;
const PER_PAGE: u32 = 15;

/// The breadcrumbs above a region: its city (the home page for ours), county and
/// township, as far as they exist.
pub fn ancestors(hit: &Hit) -> Vec<Crumb> {
    let mut out = Vec::new();
    // Every trail starts the same way, 首页 (the home page is the city's).
    if let Some(city) = &hit.city {
        if city.code.as_str() == HOME_CITY {
            out.push(Crumb::new("首页", paths::home()));
        } else {
            out.push(Crumb::new(city.name.clone(), paths::region(&city.code)));
        }
    }
    for place in [&hit.county, &hit.township].into_iter().flatten() {
        out.push(Crumb::new(place.name.clone(), paths::region(&place.code)));
    }
    out
}

/// Finds the region a typed code means (a padded 12-digit code included).
pub fn lookup(index: &SearchIndex, raw: &str) -> Result<Hit, PageError> {
    let readings = RegionCode::interpretations(raw).map_err(|_| {
        PageError::not_found(format!(
            "“{raw}”不是有效的地区编码。可以用下面的搜索框按名称查找。"
        ))
    })?;
    let index = index.current();
    readings
        .iter()
        .find_map(|code| index.get(code))
        .ok_or_else(|| {
            PageError::not_found(format!(
                "没有找到编码为 {raw} 的地区。可以用下面的搜索框按名称查找。"
            ))
        })
}

fn redirect(to: String) -> HttpResponse {
    HttpResponse::MovedPermanently()
        .insert_header((LOCATION, to))
        .finish()
}

pub struct ChildLink {
    pub name: String,
    pub href: String,
    pub note: String,
}

#[derive(Template)]
#[template(path = "region.html")]
struct RegionPage {
    page: Layout,
    name: String,
    summary: String,
    children_title: String,
    children: Vec<ChildLink>,
    /// What the region published itself (a township may publish too).
    items: Vec<ListItem>,
    own_more: Option<String>,
    office: Vec<PersonView>,
    search: SearchBox,
}

async fn region(
    site: Site,
    path: web::Path<String>,
    pool: web::Data<PgPool>,
    index: web::Data<SearchIndex>,
) -> Result<HttpResponse, PageError> {
    let hit = lookup(&index, &path)?;
    if hit.level == RegionLevel::Village {
        return Ok(redirect(paths::place(&hit.code)));
    }
    if hit.code.as_str() != path.as_str() {
        return Ok(redirect(paths::region(&hit.code)));
    }
    let children = storage::regions::children_with_counts(&pool, &hit.code).await?;
    let child_level = hit.level.child();
    let published = if child_level == Some(RegionLevel::Village) {
        storage::disclosures::counts_for_children(&pool, &hit.code).await?
    } else {
        Default::default()
    };
    let grandchildren: i64 = children.iter().map(|(_, n)| n).sum();
    let children_view: Vec<ChildLink> = children
        .iter()
        .map(|(r, n)| {
            let is_village = r.level() == RegionLevel::Village;
            ChildLink {
                name: r.display_name.clone(),
                href: paths::place(&r.code),
                note: if is_village {
                    match published.get(r.code.as_str()) {
                        Some(n) => format!("{}条公开", count(*n)),
                        None => "暂无公开".to_owned(),
                    }
                } else {
                    format!("{}个{}", count(*n), lower_label(r.level()))
                },
            }
        })
        .collect();
    let summary = match child_level {
        Some(RegionLevel::Village) => format!("{}个村（社区）", count(children.len() as i64)),
        Some(level) => format!(
            "{}个{}，{}个{}",
            count(children.len() as i64),
            short_label(level),
            count(grandchildren),
            lower_label(level),
        ),
        None => String::new(),
    };
    let (own, own_total) = storage::disclosures::list(
        &pool,
        &hit.code,
        None,
        Paging {
            page: 1,
            per_page: OWN_PREVIEW,
        },
    )
    .await?;
    let office = if hit.level == RegionLevel::Township {
        let people = storage::people::supervisors_of(&pool, &[&hit.code]).await?;
        supervisor_groups(people)
            .into_iter()
            .flat_map(|g| g.people)
            .collect()
    } else {
        Vec::new()
    };
    let name = hit.display_name.clone();
    let path = paths::region(&hit.code);
    let place = hit.full_name();
    let page = RegionPage {
        page: site
            .layout(
                &path,
                &place,
                format!(
                    "{place}各{}的村务公开，{summary}。",
                    child_level.map_or("地", short_label)
                ),
            )
            .with_crumbs(ancestors(&hit), name.clone()),
        children_title: child_level.map_or_else(String::new, |l| format!("选择{}", short_label(l))),
        summary,
        children: children_view,
        items: own.iter().map(list_item).collect(),
        own_more: (own_total > i64::from(OWN_PREVIEW)).then(|| paths::region_own(&hit.code)),
        office,
        search: SearchBox::within(hit.code.as_str(), &name),
        name,
    };
    site.render(&page)
}

/// `县(区)` → `县区`, for running text.
fn short_label(level: RegionLevel) -> &'static str {
    match level {
        RegionLevel::Province => "省",
        RegionLevel::City => "市",
        RegionLevel::County => "县区",
        RegionLevel::Township => "乡镇（街道）",
        RegionLevel::Village => "村（社区）",
    }
}

/// What the children of a region of `level` contain.
fn lower_label(level: RegionLevel) -> &'static str {
    match level.child() {
        Some(child) => short_label(child),
        None => "",
    }
}

/// `?page=N`, read leniently by [`page_number`].
#[derive(Deserialize)]
pub struct PageQuery {
    page: Option<String>,
}

impl PageQuery {
    pub fn page_raw(&self) -> Option<&str> {
        self.page.as_deref()
    }
}

#[derive(Template)]
#[template(path = "list.html")]
struct OwnListPage {
    page: Layout,
    heading: String,
    summary: String,
    items: Vec<ListItem>,
    pager: Pager,
    empty: String,
}

async fn own_list(
    site: Site,
    path: web::Path<String>,
    query: web::Query<PageQuery>,
    pool: web::Data<PgPool>,
    index: web::Data<SearchIndex>,
) -> Result<HttpResponse, PageError> {
    let hit = lookup(&index, &path)?;
    if hit.code.as_str() != path.as_str() || hit.level == RegionLevel::Village {
        return Err(PageError::not_found("没有找到这个地区的公开列表。"));
    }
    let page_no = page_number(query.page_raw());
    let (items, total) = storage::disclosures::list(
        &pool,
        &hit.code,
        None,
        Paging {
            page: page_no,
            per_page: PER_PAGE,
        },
    )
    .await?;
    let base = paths::region_own(&hit.code);
    let name = hit.display_name.clone();
    let mut crumbs = ancestors(&hit);
    crumbs.push(Crumb::new(name.clone(), paths::region(&hit.code)));
    let page = OwnListPage {
        page: site
            .layout(
                &base,
                &format!("{}发布的公开", hit.full_name()),
                format!("{name}发布的公开事项。"),
            )
            .with_crumbs(crumbs, "本级公开"),
        heading: format!("{name}发布的公开"),
        summary: format!("共{}条，按发布时间从新到旧排列。", count(total)),
        items: items.iter().map(list_item).collect(),
        pager: Pager::new(&base, page_no, PER_PAGE, total),
        empty: format!("{name}暂未发布公开内容。"),
    };
    site.render(&page)
}
