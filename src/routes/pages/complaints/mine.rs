//! `GET /complaints/mine`: the follower's own complaints, newest first.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use askama::Template;
use sqlx::PgPool;

use super::{ComplaintLine, line};
use crate::region_index::SearchIndex;
use crate::routes::page_error::PageError;
use crate::routes::pages::{Crumb, Layout, Site};
use crate::session::FollowerSession;
use crate::storage;

/// Most complaints listed (five a day at most, so a long history).
const SHOWN: i64 = 200;

#[derive(Template)]
#[template(path = "complaint_mine.html")]
struct MinePage {
    page: Layout,
    lines: Vec<ComplaintLine>,
}

pub async fn mine(
    site: Site,
    session: FollowerSession,
    pool: web::Data<PgPool>,
    index: web::Data<SearchIndex>,
) -> Result<HttpResponse, PageError> {
    let rows =
        storage::complaints::list_for_openid(&pool, session.openid().as_str(), SHOWN).await?;
    let page = MinePage {
        page: site
            .layout(
                "/complaints/mine",
                "我的投诉",
                "查看您提交的投诉建议和办理进展。",
            )
            .with_crumbs(vec![Crumb::new("首页", "/")], "我的投诉"),
        lines: rows.iter().map(|r| line(r, &index)).collect(),
    };
    site.render_private(StatusCode::OK, &page)
}
