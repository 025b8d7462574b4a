//! `GET /complaints/mine`: the follower's own complaints, newest first.

use actix_web::HttpResponse;
use actix_web::http::StatusCode;
use askama::Template;

use super::{ComplaintLine, Services, line};
use crate::auth::follower::FollowerSession;
use crate::routes::page_error::PageError;
use crate::routes::pages::{Crumb, Layout};
use crate::routes::paths;
use crate::storage;

/// Most complaints listed (five a day at most, so a long history).
const SHOWN: i64 = 200;

#[derive(Template)]
#[template(path = "complaint_mine.html")]
struct MinePage {
    page: Layout,
    lines: Vec<ComplaintLine>,
}

pub async fn mine(s: Services, session: FollowerSession) -> Result<HttpResponse, PageError> {
    let (site, index) = (&s.site, &s.index);
    let rows =
        storage::complaints::list_for_openid(&s.pool, &s.vault, session.openid(), SHOWN).await?;
    let page = MinePage {
        page: site
            .layout(
                paths::my_complaints(),
                "我的投诉",
                "查看您提交的投诉建议和办理进展。",
            )
            .with_crumbs(vec![Crumb::new("首页", paths::home())], "我的投诉"),
        lines: rows.iter().map(|r| line(r, index)).collect(),
    };
    site.render_private(StatusCode::OK, &page)
}
