//! `GET /v/{code}`: a village with its nine modules as tiles, its supervisors (and its
//! township's 监察办公室) with tap-to-call phones, and links to the power list and to the
//! complaint form; `GET /v/{code}/m/{module}`: a module's disclosures, newest first,
//! paginated (脱贫攻坚 adds the ledgers, 投诉建议 the complaint button);
//! `GET /v/{code}/households/{kind}`: a ledger, names masked.

use actix_web::{HttpResponse, web};
use askama::Template;
use sqlx::PgPool;

use super::disclosures::{ListItem, list_item};
use super::regions::{PageQuery, ancestors, lookup};
use super::{Crumb, Layout, Pager, SearchBox, Site, count, day, get, page_number};
use crate::domain::disclosure::calendar::{Calendar, Standing, ago};
use crate::domain::{HouseholdKind, Module, RegionLevel, SupervisorBody, VillageCode};
use crate::region_index::{Hit, SearchIndex};
use crate::routes::page_error::PageError;
use crate::routes::paths;
use crate::storage::people::Supervisor;
use crate::storage::{self, Paging};

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route(paths::VILLAGE_PATTERN, get().to(village))
        .route(paths::VILLAGE_MODULE_PATTERN, get().to(module_list))
        .route(paths::VILLAGE_HOUSEHOLDS_PATTERN, get().to(households));
}

const PER_PAGE: u32 = 15;
const HOUSEHOLDS_PER_PAGE: u32 = 20;

/// The village a path names; anything else is the friendly 404.
fn find_village(index: &SearchIndex, raw: &str) -> Result<(Hit, VillageCode), PageError> {
    let not_a_village = || {
        PageError::not_found(format!(
            "没有找到编码为 {raw} 的村（社区）。可以用下面的搜索框按村名查找。"
        ))
    };
    let code = VillageCode::parse(raw).map_err(|_| not_a_village())?;
    let hit = lookup(index, raw).map_err(|_| not_a_village())?;
    if hit.level != RegionLevel::Village || hit.code != *code.region_code() {
        return Err(not_a_village());
    }
    Ok((hit, code))
}

/// "平桥区王岗乡": where a village lies.
fn place_of(hit: &Hit) -> String {
    [&hit.county, &hit.township]
        .into_iter()
        .flatten()
        .map(|p| p.name.as_str())
        .collect()
}

pub struct PersonView {
    pub name: String,
    /// The body they belong to (村务监督委员会 …).
    pub body: &'static str,
    pub role: String,
    pub phone: Option<String>,
    pub dial: Option<String>,
    pub sample: bool,
}

pub struct SupervisorGroup {
    pub title: &'static str,
    pub people: Vec<PersonView>,
}

/// Supervisors grouped by body, in the order the page shows them.
pub fn supervisor_groups(people: Vec<Supervisor>) -> Vec<SupervisorGroup> {
    SupervisorBody::ALL
        .into_iter()
        .map(|body| SupervisorGroup {
            title: body.name(),
            people: people
                .iter()
                .filter(|p| p.body == body)
                .map(|p| PersonView {
                    body: body.name(),
                    name: p.name.clone(),
                    role: p.role.clone(),
                    phone: p.phone.as_ref().map(|ph| ph.as_str().to_owned()),
                    dial: p.phone.as_ref().map(|ph| ph.dial()),
                    sample: p.is_sample,
                })
                .collect(),
        })
        .filter(|g| !g.people.is_empty())
        .collect()
}

/// Supervisors shown before 展开: enough to call someone, short enough that the page's
/// own content is not pushed screens down.
const SUPERVISORS_SHOWN: usize = 3;

/// The supervisors as one list in the page's order, split into those shown and the
/// rest (behind 展开).
pub fn folded_supervisors(people: Vec<Supervisor>) -> (Vec<PersonView>, Vec<PersonView>) {
    let mut all: Vec<PersonView> = supervisor_groups(people)
        .into_iter()
        .flat_map(|g| g.people)
        .collect();
    let rest = all.split_off(SUPERVISORS_SHOWN.min(all.len()));
    (all, rest)
}

pub struct Tile {
    pub href: String,
    pub name: &'static str,
    pub glyph: &'static str,
    pub slug: &'static str,
    pub note: String,
}

#[derive(Template)]
#[template(path = "village.html")]
struct VillagePage {
    page: Layout,
    name: String,
    place: String,
    tiles: Vec<Tile>,
    supervisors: Vec<PersonView>,
    more_supervisors: Vec<PersonView>,
    has_samples: bool,
    complaint_href: String,
    search: SearchBox,
    /// Complaints about the village in the months that had any: counts only, never who
    /// or what.
    months: Vec<MonthRow>,
    /// Said instead of a row per month when some (or all) months had none.
    quiet_months: Option<String>,
    /// Nothing published yet: one notice, the township's contact, greyed tiles.
    nothing_yet: Option<NothingYet>,
    /// How the village keeps the publication calendar.
    calendar: CalendarNote,
}

/// The publication calendar on a village page: when finance was last published (or that
/// it never was), and which modules are past their time. Sample content does not count.
pub struct CalendarNote {
    /// 本村上次公开财务：5个月前 (or 从未公开).
    pub finance: String,
    pub finance_behind: bool,
    /// The finance rule (财务收支情况每月公布一次).
    pub finance_rule: String,
    /// The rule of the other modules with a calendar (至少每季度公布一次).
    pub general_rule: String,
    /// Modules with a calendar that are past it: 组织建设（上次：5个月前）.
    pub behind: Vec<String>,
    /// The law the rules come from.
    pub source: String,
}

impl CalendarNote {
    pub fn new(
        calendar: &Calendar,
        last: &std::collections::HashMap<Module, chrono::DateTime<chrono::Utc>>,
        now: chrono::DateTime<chrono::Utc>,
    ) -> CalendarNote {
        let standing = |m: Module| calendar.standing(m, last.get(&m).copied(), now);
        let finance = standing(Module::Assets);
        let rule = calendar.rule(Module::Assets);
        let behind = Module::ALL
            .into_iter()
            .filter(|m| *m != Module::Assets)
            .filter_map(|m| match standing(m) {
                Standing::Behind { last } => {
                    Some(format!("{}（上次：{}）", m.name(), ago(last, now)))
                }
                Standing::Never => Some(format!("{}（从未公开）", m.name())),
                _ => None,
            })
            .collect();
        CalendarNote {
            finance: format!(
                "本村上次公开财务：{}",
                finance
                    .last()
                    .map_or_else(|| "从未公开".to_owned(), |t| ago(t, now))
            ),
            finance_behind: finance.is_behind(),
            finance_rule: rule.rule.clone(),
            general_rule: calendar.rule(Module::Organization).rule.clone(),
            behind,
            source: rule
                .sources
                .first()
                .map(|s| s.title.clone())
                .unwrap_or_default(),
        }
    }
}

/// What a village that has published nothing says instead of nine empty tiles.
pub struct NothingYet {
    /// 王岗乡监察办公室 and their phones, to ask about the village's affairs.
    pub township: String,
    pub contacts: Vec<PersonView>,
}

pub struct MonthRow {
    pub month: String,
    pub received: String,
    pub concluded: String,
}

/// Months of complaint figures shown on a village page.
const COMPLAINT_MONTHS: i32 = 6;

async fn village(
    site: Site,
    path: web::Path<String>,
    pool: web::Data<PgPool>,
    index: web::Data<SearchIndex>,
    calendar: web::Data<Calendar>,
) -> Result<HttpResponse, PageError> {
    let (hit, code) = find_village(&index, &path)?;
    let cached = site.cached(&paths::village(&code), hit.code.as_str());
    if let Some(answer) = cached.answer() {
        return Ok(answer);
    }
    let counts = storage::disclosures::module_counts(&pool, &hit.code).await?;
    let last = storage::calendar::last_of(&counts);
    let calendar = CalendarNote::new(&calendar, &last, chrono::Utc::now());
    let mut regions = vec![&hit.code];
    if let Some(t) = &hit.township {
        regions.push(&t.code);
    }
    let people = storage::people::supervisors_of(&pool, &regions).await?;
    let has_samples = counts.iter().any(|c| c.samples > 0) || people.iter().any(|p| p.is_sample);
    let tiles = counts
        .iter()
        .map(|c| Tile {
            href: paths::village_module(&code, c.module),
            name: c.module.name(),
            glyph: c.module.glyph(),
            slug: c.module.slug(),
            note: match (c.module, c.total) {
                // The 诉 tile opens the published answers: it says so.
                (Module::Complaints, 0) => "暂无答复".to_owned(),
                (Module::Complaints, n) => format!("{}条答复", count(n)),
                (_, 0) => "暂无".to_owned(),
                (_, n) => format!("{}条", count(n)),
            },
        })
        .collect();
    let all_months = storage::complaints::monthly_counts(&pool, &code, COMPLAINT_MONTHS).await?;
    let months: Vec<MonthRow> = all_months
        .iter()
        .filter(|m| m.received > 0 || m.concluded > 0)
        .map(|m| MonthRow {
            month: month_label(&m.month),
            received: count(m.received),
            concluded: count(m.concluded),
        })
        .collect();
    let quiet_months = if months.is_empty() {
        Some(format!("近{COMPLAINT_MONTHS}个月未收到投诉。"))
    } else if months.len() < all_months.len() {
        Some(format!("近{COMPLAINT_MONTHS}个月中，其余月份未收到投诉。"))
    } else {
        None
    };
    let nothing_yet = counts.iter().all(|c| c.total == 0).then(|| NothingYet {
        township: hit
            .township
            .as_ref()
            .map(|t| t.name.clone())
            .unwrap_or_default(),
        contacts: supervisor_groups(
            people
                .iter()
                .filter(|p| p.body == SupervisorBody::TownshipOffice)
                .cloned()
                .collect(),
        )
        .into_iter()
        .flat_map(|g| g.people)
        .collect(),
    });
    let (supervisors, more_supervisors) = folded_supervisors(people);
    let name = hit.display_name.clone();
    let place = place_of(&hit);
    let page = VillagePage {
        months,
        page: site
            .layout(
                &paths::village(&code),
                &format!("{place}{name}"),
                format!(
                    "{place}{name}的党务、村务、财务公开，村务监督委员会和廉情监督员联系方式。"
                ),
            )
            .with_crumbs(ancestors(&hit), name.clone()),
        tiles,
        supervisors,
        more_supervisors,
        quiet_months,
        nothing_yet,
        calendar,
        has_samples,
        complaint_href: paths::new_complaint(Some(&code)),
        search: SearchBox::everywhere(),
        place,
        name,
    };
    cached.render(&page)
}

/// `2026-11` → `2026年11月`.
fn month_label(month: &str) -> String {
    match month.split_once('-') {
        Some((y, m)) => format!("{y}年{}月", m.trim_start_matches('0')),
        None => month.to_owned(),
    }
}

pub struct LedgerLink {
    pub name: &'static str,
    pub href: String,
    pub households: String,
}

#[derive(Template)]
#[template(path = "module.html")]
struct ModulePage {
    page: Layout,
    heading: String,
    summary: &'static str,
    items: Vec<ListItem>,
    total: String,
    pager: Pager,
    empty: String,
    ledgers: Vec<LedgerLink>,
    complaint_href: String,
    is_complaints: bool,
    village_href: String,
}

async fn module_list(
    site: Site,
    path: web::Path<(String, String)>,
    query: web::Query<PageQuery>,
    pool: web::Data<PgPool>,
    index: web::Data<SearchIndex>,
) -> Result<HttpResponse, PageError> {
    let (raw_code, slug) = path.into_inner();
    let (hit, code) = find_village(&index, &raw_code)?;
    let module = Module::parse(&slug)
        .map_err(|_| PageError::not_found(format!("{}没有“{slug}”这个栏目。", hit.display_name)))?;
    let page_no = page_number(query.page_raw());
    let (items, total) = storage::disclosures::list(
        &pool,
        &hit.code,
        Some(module),
        Paging {
            page: page_no,
            per_page: PER_PAGE,
        },
    )
    .await?;
    let ledgers = if module == Module::Poverty {
        storage::people::household_counts(&pool, &code)
            .await?
            .into_iter()
            .map(|(kind, n)| LedgerLink {
                name: kind.name(),
                href: paths::village_households(&code, kind),
                households: format!("{}户", count(n)),
            })
            .collect()
    } else {
        Vec::new()
    };
    let name = hit.display_name.clone();
    let base = paths::village_module(&code, module);
    let mut crumbs = ancestors(&hit);
    crumbs.push(Crumb::new(name.clone(), paths::village(&code)));
    let page = ModulePage {
        page: site
            .layout(
                &base,
                &format!("{name}{}", module.name()),
                format!(
                    "{}{name}的{}公开：{}",
                    place_of(&hit),
                    module.name(),
                    module.summary()
                ),
            )
            .with_crumbs(crumbs, module.name()),
        heading: format!("{name} · {}", module.name()),
        summary: module.summary(),
        items: items.iter().map(list_item).collect(),
        total: count(total),
        pager: Pager::new(&base, page_no, PER_PAGE, total),
        empty: format!("{name}暂未发布{}方面的公开内容。", module.name()),
        ledgers,
        complaint_href: paths::new_complaint(Some(&code)),
        is_complaints: module == Module::Complaints,
        village_href: paths::village(&code),
    };
    site.render(&page)
}

pub struct HouseholdView {
    pub head: String,
    pub size: String,
    pub risk: String,
    pub measures: String,
    pub cadre: String,
    pub last_visit: Option<String>,
    pub lifted_year: Option<String>,
    pub sample: bool,
}

#[derive(Template)]
#[template(path = "households.html")]
struct HouseholdsPage {
    page: Layout,
    heading: String,
    total: String,
    households: Vec<HouseholdView>,
    pager: Pager,
    other_href: String,
    other_name: &'static str,
}

async fn households(
    site: Site,
    path: web::Path<(String, String)>,
    query: web::Query<PageQuery>,
    pool: web::Data<PgPool>,
    index: web::Data<SearchIndex>,
) -> Result<HttpResponse, PageError> {
    let (raw_code, kind) = path.into_inner();
    let (hit, code) = find_village(&index, &raw_code)?;
    let kind = HouseholdKind::parse(&kind).ok_or_else(|| PageError::not_found("没有这个台账。"))?;
    let page_no = page_number(query.page_raw());
    let total = storage::people::household_counts(&pool, &code)
        .await?
        .into_iter()
        .find(|(k, _)| *k == kind)
        .map_or(0, |(_, n)| n);
    let rows = storage::people::households(
        &pool,
        &code,
        kind,
        Paging {
            page: page_no,
            per_page: HOUSEHOLDS_PER_PAGE,
        },
    )
    .await?;
    let other = match kind {
        HouseholdKind::Lifted => HouseholdKind::Monitored,
        HouseholdKind::Monitored => HouseholdKind::Lifted,
    };
    let name = hit.display_name.clone();
    let base = paths::village_households(&code, kind);
    let mut crumbs = ancestors(&hit);
    crumbs.push(Crumb::new(name.clone(), paths::village(&code)));
    crumbs.push(Crumb::new(
        Module::Poverty.name(),
        paths::village_module(&code, Module::Poverty),
    ));
    let page = HouseholdsPage {
        page: site
            .layout(
                &base,
                &format!("{name}{}台账", kind.name()),
                format!("{name}{}帮扶台账（姓名已隐去）。", kind.name()),
            )
            .with_crumbs(crumbs, kind.name()),
        heading: format!("{name} · {}台账", kind.name()),
        total: count(total),
        households: rows
            .into_iter()
            .map(|h| HouseholdView {
                head: h.head.as_str().to_owned(),
                size: format!("{}人", h.size),
                risk: h.risk,
                measures: h.measures,
                cadre: h.cadre,
                last_visit: h.last_visit.map(day),
                lifted_year: h.lifted_year.map(|y| format!("{y}年脱贫")),
                sample: h.is_sample,
            })
            .collect(),
        pager: Pager::new(&base, page_no, HOUSEHOLDS_PER_PAGE, total),
        other_href: paths::village_households(&code, other),
        other_name: other.name(),
    };
    site.render(&page)
}
