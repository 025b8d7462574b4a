//! `GET /search?q=…&within=…`: finds villages and townships with the same matching as
//! the WeChat replies (`region_index`); a single match opens directly, no match offers
//! the closest names.

use actix_web::http::header::LOCATION;
use actix_web::{HttpResponse, web};
use askama::Template;
use serde::Deserialize;

use super::{Crumb, Layout, SearchBox, Site, count, get};
use crate::domain::{RegionCode, RegionLevel};
use crate::region_index::{Hit, Query, SearchIndex};
use crate::routes::page_error::PageError;
use crate::routes::paths;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route(paths::SEARCH, get().to(search));
}

/// Results shown on one page; more is a sign the query should be narrower.
const LIMIT: usize = 50;
const MAX_QUERY_CHARS: usize = 40;

#[derive(Deserialize)]
struct SearchQuery {
    q: Option<String>,
    within: Option<String>,
}

pub struct ResultLink {
    pub href: String,
    pub name: String,
    pub place: String,
    pub level: &'static str,
}

#[derive(Template)]
#[template(path = "search.html")]
struct SearchPage {
    page: Layout,
    query: String,
    scope: Option<String>,
    summary: String,
    results: Vec<ResultLink>,
    suggestions: Vec<ResultLink>,
    search: SearchBox,
}

fn href(hit: &Hit) -> String {
    paths::place(&hit.code)
}

fn link(hit: &Hit) -> ResultLink {
    ResultLink {
        href: href(hit),
        name: hit.display_name.clone(),
        place: [&hit.county, &hit.township]
            .into_iter()
            .flatten()
            .map(|p| p.name.as_str())
            .collect(),
        level: match hit.level {
            RegionLevel::Village => "村（社区）",
            RegionLevel::Township => "乡镇（街道）",
            _ => "",
        },
    }
}

async fn search(
    site: Site,
    query: web::Query<SearchQuery>,
    index: web::Data<SearchIndex>,
) -> Result<HttpResponse, PageError> {
    let text: String = query
        .q
        .as_deref()
        .unwrap_or("")
        .trim()
        .chars()
        .take(MAX_QUERY_CHARS)
        .collect();
    let index = index.current();
    let within = query
        .within
        .as_deref()
        .filter(|w| !w.is_empty())
        .and_then(|w| RegionCode::parse(w).ok())
        .and_then(|code| index.get(&code));
    let mut search_box = match &within {
        Some(w) => SearchBox::within(w.code.as_str(), &w.display_name),
        None => SearchBox::everywhere(),
    };
    search_box.value = text.clone();
    let scope = within.as_ref().map(|w| w.full_name());
    let (summary, results, suggestions) = if text.is_empty() {
        ("请输入村名或乡镇名。".to_owned(), Vec::new(), Vec::new())
    } else {
        let within_code = within.as_ref().map(|w| &w.code);
        let found = index.search(&Query {
            text: &text,
            within: within_code,
            limit: LIMIT,
        });
        if found.total == 1
            && let Some(only) = found.hits.first()
        {
            return Ok(HttpResponse::SeeOther()
                .insert_header((LOCATION, href(only)))
                .finish());
        }
        if found.total == 0 {
            let suggestions: Vec<ResultLink> = index
                .suggest(&text, 8)
                .iter()
                .filter(|h| within_code.is_none_or(|w| w.contains(&h.code)))
                .map(link)
                .collect();
            let summary = if suggestions.is_empty() {
                format!("没有找到“{text}”。请检查名称，或只输入村名中的两三个字。")
            } else {
                format!("没有找到“{text}”。您要找的是不是：")
            };
            (summary, Vec::new(), suggestions)
        } else {
            let summary = if found.total > LIMIT {
                format!(
                    "找到{}个，下面是最接近的{LIMIT}个。可以在村名前加上乡镇名，如“王岗乡王岗”。",
                    count(found.total as i64)
                )
            } else {
                format!("找到{}个。", count(found.total as i64))
            };
            (summary, found.hits.iter().map(link).collect(), Vec::new())
        }
    };
    let title = if text.is_empty() {
        "搜索".to_owned()
    } else {
        format!("搜索“{text}”")
    };
    let page = SearchPage {
        page: site
            .layout(paths::SEARCH, &title, "按村名或乡镇名查找本村的公开内容。")
            .with_crumbs(vec![Crumb::new("首页", paths::home())], "搜索"),
        query: text,
        scope,
        summary,
        results,
        suggestions,
        search: search_box,
    };
    site.render(&page)
}
