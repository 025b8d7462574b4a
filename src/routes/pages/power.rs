//! `GET /power`: the power list grouped by category; `GET /power/{id}`: one power's five
//! clarities with its procedure drawn as a flow chart in HTML and CSS (decisions as
//! hexagons, branches that leave the main line beside them). Both name the version in
//! force (本清单第N版，YYYY-MM-DD修订): the list's rows are the current version's, and its
//! number is one row read by the primary key, so no cache is needed.

use actix_web::{HttpResponse, web};
use askama::Template;
use sqlx::PgPool;

use super::{Crumb, Layout, Site, get};
use crate::domain::china_time;
use crate::domain::power::{FlowNode, SideTarget};
use crate::routes::page_error::PageError;
use crate::routes::paths;
use crate::storage;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route(paths::POWER, get().to(list))
        .route(paths::POWER_ITEM_PATTERN, get().to(item));
}

pub struct ItemLink {
    pub number: i32,
    pub name: String,
    pub href: String,
    pub steps: String,
}

pub struct Category {
    pub name: String,
    pub items: Vec<ItemLink>,
}

#[derive(Template)]
#[template(path = "power_list.html")]
struct PowerListPage {
    page: Layout,
    total: usize,
    categories: Vec<Category>,
    /// The document that adopted the list (本清单由…印发), once an administrator recorded it.
    adopted: Option<String>,
    revision: Option<String>,
}

/// "本清单第N版，YYYY-MM-DD修订", China's date.
async fn revision(pool: &PgPool) -> Result<Option<String>, PageError> {
    Ok(storage::power_versions::header(pool)
        .await?
        .map(|(n, at)| format!("本清单第{n}版，{}修订", china_time::day(at))))
}

async fn list(site: Site, pool: web::Data<PgPool>) -> Result<HttpResponse, PageError> {
    let items = storage::power::list(&pool).await?;
    let total = items.len();
    let adopted = storage::power_adoptions::latest(&pool).await?.map(|a| {
        format!(
            "本清单由{}以《{}》（{}）于{}印发。",
            a.issuer,
            a.title,
            a.doc_number,
            a.adopted_on.format("%Y年%-m月%-d日")
        )
    });
    let mut categories: Vec<Category> = Vec::new();
    for i in items {
        let link = ItemLink {
            number: i.id,
            href: paths::power_item(i.id),
            steps: format!("{}步", i.steps),
            name: i.name,
        };
        match categories.last_mut() {
            Some(c) if c.name == i.category => c.items.push(link),
            _ => categories.push(Category {
                name: i.category,
                items: vec![link],
            }),
        }
    }
    let page = PowerListPage {
        page: site
            .layout(
                paths::power(),
                "村级小微权力清单",
                format!("村级小微权力清单{total}项：每项权力的名称、实施主体、运行流程、公开公示和责任追究。"),
            )
            .with_crumbs(vec![Crumb::new("首页", paths::home())], "小微权力清单"),
        total,
        categories,
        adopted,
        revision: revision(&pool).await?,
    };
    site.render(&page)
}

/// A branch off the main line, ready to show.
pub struct SideView {
    pub label: String,
    pub text: String,
    pub href: Option<String>,
    pub is_end: bool,
}

/// A step of the flow chart, ready to show.
pub struct NodeView {
    pub number: usize,
    pub title: String,
    pub actor: Option<String>,
    pub detail: Option<String>,
    pub limit: Option<String>,
    pub basis: Option<String>,
    pub public: Option<String>,
    pub decision: bool,
    pub onward: Option<String>,
    pub sides: Vec<SideView>,
    pub last: bool,
}

fn node_view(n: FlowNode<'_>) -> NodeView {
    NodeView {
        number: n.number,
        decision: n.is_decision(),
        title: n.step.title.clone(),
        actor: n.step.actor.clone(),
        detail: n.step.detail.clone(),
        limit: n.step.limit.clone(),
        basis: n.step.basis.clone(),
        public: n.step.public.clone(),
        onward: n.onward.map(str::to_owned),
        sides: n
            .sides
            .into_iter()
            .map(|s| match s.target {
                SideTarget::Step { number, title } => SideView {
                    label: s.label.to_owned(),
                    text: format!("回到第{number}步：{title}"),
                    href: Some(format!("#step-{number}")),
                    is_end: false,
                },
                SideTarget::End { title } => SideView {
                    label: s.label.to_owned(),
                    text: title.to_owned(),
                    href: None,
                    is_end: true,
                },
            })
            .collect(),
        last: n.last,
    }
}

#[derive(Template)]
#[template(path = "power_item.html")]
struct PowerItemPage {
    page: Layout,
    number: i32,
    name: String,
    category: String,
    subject: String,
    publicity: String,
    accountability: String,
    basis: Vec<String>,
    flow: Vec<NodeView>,
    prev: Option<String>,
    next: Option<String>,
    revision: Option<String>,
}

async fn item(
    site: Site,
    path: web::Path<String>,
    pool: web::Data<PgPool>,
) -> Result<HttpResponse, PageError> {
    let missing = || PageError::not_found("小微权力清单中没有这一项。");
    let id: i32 = path.parse().map_err(|_| missing())?;
    let item = storage::power::find(&pool, id).await?.ok_or_else(missing)?;
    let (prev, next) = storage::power::neighbours(&pool, id).await?;
    let flow = item.flow().into_iter().map(node_view).collect();
    let page = PowerItemPage {
        page: site
            .layout(
                &paths::power_item(id),
                &item.name,
                format!(
                    "小微权力清单第{id}项“{}”：实施主体、运行流程图、公开公示和责任追究。",
                    item.name
                ),
            )
            .with_crumbs(
                vec![
                    Crumb::new("首页", paths::home()),
                    Crumb::new("小微权力清单", paths::power()),
                ],
                format!("第{id}项"),
            ),
        number: item.id,
        name: item.name.clone(),
        category: item.category.clone(),
        subject: item.subject.clone(),
        publicity: item.publicity.clone(),
        accountability: item.accountability.clone(),
        basis: item.basis.clone(),
        flow,
        prev: prev.map(paths::power_item),
        next: next.map(paths::power_item),
        revision: revision(&pool).await?,
    };
    site.render(&page)
}
