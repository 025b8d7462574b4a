//! `GET /stats`: the platform's public figures (issue 16, item 8), counted live from
//! the tables, without sample content, and shared by all instances for a minute.

use std::time::Duration;

use actix_web::{HttpResponse, web};
use askama::Template;
use sqlx::PgPool;

use super::home::Figure;
use super::{Layout, Site, count, get};
use crate::kv::Kv;
use crate::routes::page_error::PageError;
use crate::routes::paths;
use crate::storage::stats::{self, PublicStats};

const TTL: Duration = Duration::from_secs(60);
const KEY: &str = "pages:stats";

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route(paths::STATS, get().to(show));
}

#[derive(Template)]
#[template(path = "stats.html")]
struct StatsPage {
    page: Layout,
    figures: Vec<Figure>,
}

pub fn figures(s: &PublicStats) -> Vec<Figure> {
    let h = &s.headline;
    let figure = |label, n: i64| Figure {
        label,
        value: count(n),
        note: None,
    };
    vec![
        figure("覆盖村（社区）", h.villages),
        figure("已公开的村", h.publishing_villages),
        figure("关注群众", h.followers),
        figure("公开事项", h.disclosures),
        figure("公开页面浏览", s.page_views),
        figure("收到投诉", s.complaints_received),
        figure("办结投诉", h.complaints_handled),
    ]
}

async fn figures_now(pool: &PgPool, kv: &Kv) -> Result<PublicStats, sqlx::Error> {
    super::counted::figures(pool, kv, KEY, TTL, |pool| async move {
        stats::public_stats(&pool).await
    })
    .await
}

async fn show(
    site: Site,
    pool: web::Data<PgPool>,
    kv: web::Data<Kv>,
) -> Result<HttpResponse, PageError> {
    let s = figures_now(&pool, &kv).await?;
    let page = StatsPage {
        page: site.layout(
            paths::STATS,
            "平台数据",
            "阳光村务平台覆盖的村、关注群众、公开事项、浏览量和投诉办理情况，实时统计。",
        ),
        figures: figures(&s),
    };
    site.render(&page)
}
