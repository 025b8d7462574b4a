//! `GET /me/pushes`: the follower's switch for the evening push of what their village
//! published (the page behind the link in 退订's answer); `POST /me/pushes` turns it on
//! or off (the follower's own form token), then shows the page again.

use actix_web::http::StatusCode;
use actix_web::http::header::LOCATION;
use actix_web::{HttpResponse, web};
use askama::Template;
use chrono::Utc;
use serde::Deserialize;

use super::complaints::Services;
use super::{Crumb, Layout};
use crate::auth::csrf::TokenError;
use crate::auth::follower::FollowerSession;
use crate::routes::page_error::PageError;
use crate::routes::paths;
use crate::storage;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(
        web::resource(paths::MY_PUSHES)
            .route(super::get().to(show))
            .route(web::post().to(switch)),
    );
}

/// The form token's purpose.
const PURPOSE: &str = "village-pushes";

#[derive(Template)]
#[template(path = "pushes.html")]
struct PushesPage {
    page: Layout,
    on: bool,
    village: Option<String>,
    csrf: String,
    banner: Option<String>,
}

#[derive(Deserialize)]
pub struct Done {
    done: Option<String>,
}

async fn render(
    s: &Services,
    session: &FollowerSession,
    status: StatusCode,
    banner: Option<String>,
) -> Result<HttpResponse, PageError> {
    let openid = session.openid();
    let on = storage::village_pushes::wanted(&s.pool, &s.vault, openid).await?;
    let village = storage::followers::bound_village(&s.pool, &s.vault, openid)
        .await?
        .and_then(|code| s.index.current().get(code.region_code()))
        .map(|hit| hit.full_name());
    let page = PushesPage {
        page: s
            .site
            .layout(
                paths::MY_PUSHES,
                "推送设置",
                "本村发布村务公开时是否给您发消息。",
            )
            .with_crumbs(vec![Crumb::new("首页", paths::home())], "推送设置"),
        on,
        village,
        csrf: s.forms.issue(openid, PURPOSE),
        banner,
    };
    s.site.render_private(status, &page)
}

async fn show(
    s: Services,
    session: FollowerSession,
    query: web::Query<Done>,
) -> Result<HttpResponse, PageError> {
    let banner = match query.done.as_deref() {
        Some("on") => Some("已开启本村公开推送。".to_owned()),
        Some("off") => Some("已关闭本村公开推送。".to_owned()),
        _ => None,
    };
    render(&s, &session, StatusCode::OK, banner).await
}

#[derive(Deserialize)]
pub struct SwitchForm {
    on: String,
    csrf: String,
}

async fn switch(
    s: Services,
    session: FollowerSession,
    form: web::Form<SwitchForm>,
) -> Result<HttpResponse, PageError> {
    match s.forms.check(session.openid(), PURPOSE, &form.csrf) {
        Ok(()) => {}
        Err(TokenError::Forged) => return Err(PageError::forbidden("页面已过期，请刷新后再试。")),
        Err(TokenError::Expired) => {
            let banner = Some("这个页面打开的时间太久了，为了安全请再点一次。".to_owned());
            return render(&s, &session, StatusCode::OK, banner).await;
        }
    }
    let on = match form.on.as_str() {
        "1" => true,
        "0" => false,
        _ => {
            let banner = Some("请选择开启或关闭。".to_owned());
            return render(&s, &session, StatusCode::UNPROCESSABLE_ENTITY, banner).await;
        }
    };
    storage::village_pushes::set_wanted(&s.pool, &s.vault, session.openid(), on, Utc::now())
        .await?;
    let done = if on { "on" } else { "off" };
    Ok(HttpResponse::SeeOther()
        .insert_header((LOCATION, format!("{}?done={done}", paths::MY_PUSHES)))
        .insert_header(("Cache-Control", "no-store"))
        .finish())
}
