//! `GET /staff/calendar`: the publication calendar for the member's scope. A clerk sees
//! their village module by module (the rule, its source, when last published, whether
//! behind); a reviewer (or inspector) sees the villages of their township (or county),
//! those behind first, with the modules each is behind on.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use askama::Template;
use chrono::Utc;
use sqlx::PgPool;

use super::{StaffLayout, region_name, render};
use crate::domain::disclosure::calendar::{Calendar, Standing, ago};
use crate::domain::staff::StaffAction;
use crate::domain::{Module, RegionLevel};
use crate::region_index::SearchIndex;
use crate::routes::page_error::PageError;
use crate::routes::paths;
use crate::routes::staff::extract::StaffPage;
use crate::storage;

/// Villages shown at most (a county has a few hundred; the city's 3,474 are too many for
/// one page, so the city's inspectors see the first this many by code, and are told so).
const MAX_VILLAGES: i64 = 1000;

pub struct ModuleRow {
    pub module: &'static str,
    pub rule: String,
    pub source: String,
    pub last: String,
    pub state: &'static str,
    pub behind: bool,
}

pub struct VillageRow {
    pub name: String,
    pub place: String,
    pub finance: String,
    pub behind: Vec<String>,
    pub behind_count: usize,
}

#[derive(Template)]
#[template(path = "staff/calendar.html")]
struct CalendarPage {
    page: StaffLayout,
    scope: String,
    /// A clerk's own village, module by module.
    modules: Vec<ModuleRow>,
    /// A reviewer's villages, behind first.
    villages: Vec<VillageRow>,
    behind_villages: usize,
    truncated: bool,
}

fn last_label(s: Standing, now: chrono::DateTime<Utc>) -> String {
    s.last()
        .map_or_else(|| "从未公开".to_owned(), |t| ago(t, now))
}

pub async fn page(
    page: StaffPage,
    pool: web::Data<PgPool>,
    index: web::Data<SearchIndex>,
    calendar: web::Data<Calendar>,
) -> Result<HttpResponse, PageError> {
    let member = &page.member;
    if !member.may(StaffAction::ReadCalendar) {
        return Err(PageError::forbidden("您的角色不查看公开时限。"));
    }
    let now = Utc::now();
    let mut modules = Vec::new();
    let mut villages = Vec::new();
    let mut truncated = false;
    if member.region.level() == RegionLevel::Village {
        let last = storage::calendar::last_published(&pool, &member.region).await?;
        modules = Module::ALL
            .into_iter()
            .map(|m| {
                let rule = calendar.rule(m);
                let s = calendar.standing(m, last.get(&m).copied(), now);
                ModuleRow {
                    module: m.name(),
                    rule: rule.rule.clone(),
                    source: rule
                        .sources
                        .iter()
                        .map(|s| s.title.as_str())
                        .collect::<Vec<_>>()
                        .join("；"),
                    last: last_label(s, now),
                    state: s.label(),
                    behind: s.is_behind(),
                }
            })
            .collect();
    } else {
        let found = storage::calendar::villages_within(&pool, &member.region, MAX_VILLAGES).await?;
        truncated = found.len() as i64 >= MAX_VILLAGES;
        // A township's reviewer knows where its villages are; a county's inspector is told.
        let show_place = member.region.level() != RegionLevel::Township;
        villages = found
            .into_iter()
            .map(|v| {
                let silent = v.last.is_empty();
                let behind: Vec<String> = Module::ALL
                    .into_iter()
                    .filter_map(|m| {
                        let s = calendar.standing(m, v.last.get(&m).copied(), now);
                        s.is_behind()
                            .then(|| format!("{}（{}）", m.name(), last_label(s, now)))
                    })
                    .collect();
                let finance =
                    calendar.standing(Module::Assets, v.last.get(&Module::Assets).copied(), now);
                VillageRow {
                    place: if show_place {
                        region_name(&index, &v.code)
                    } else {
                        String::new()
                    },
                    name: v.name,
                    finance: last_label(finance, now),
                    behind_count: behind.len(),
                    // Nothing ever published: said once, not module by module.
                    behind: if silent {
                        vec!["各栏目均从未公开".to_owned()]
                    } else {
                        behind
                    },
                }
            })
            .collect();
        // Behind first, the most behind at the top; otherwise in code order.
        villages.sort_by_key(|v| std::cmp::Reverse(v.behind_count));
    }
    let behind_villages = villages.iter().filter(|v| v.behind_count > 0).count();
    let view = CalendarPage {
        page: StaffLayout::signed_in(&page, &index, "公开时限", paths::staff::CALENDAR),
        scope: region_name(&index, &member.region),
        modules,
        villages,
        behind_villages,
        truncated,
    };
    render(StatusCode::OK, &view)
}
