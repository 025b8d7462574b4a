//! Staff: the pages under `/staff` (sign-in, complaint handling, the audit log,
//! accounts) and the JSON API under `/api/staff`. Every handler takes a
//! [`extract::StaffPage`] or [`extract::StaffApi`], which only the single session check
//! in `extract` produces, and asks the member's permissions before it acts.

pub mod audit;
pub mod complaints;
pub mod extract;
pub mod pages;
pub mod session;

use actix_web::web;

use crate::routes::pages::get;

/// The JSON API, under `/api`.
pub fn configure(cfg: &mut web::ServiceConfig) {
    session::configure(cfg);
    cfg.service(
        web::scope("/staff")
            .wrap(actix_web::middleware::from_fn(extract::api_gate))
            .configure(complaints::configure)
            .configure(audit::configure),
    );
}

/// The pages, under `/staff`.
pub fn configure_pages(cfg: &mut web::ServiceConfig) {
    use pages::{account, audit, complaints as handling, login, users};
    cfg.route("/staff", get().to(login::home))
        .route(extract::LOGIN_PATH, get().to(login::show))
        .route(extract::LOGIN_PATH, web::post().to(login::submit))
        .route("/staff/logout", web::post().to(login::logout))
        .route("/staff/account", get().to(account::show))
        .route(
            extract::PASSWORD_PATH,
            web::post().to(account::change_password),
        )
        .route(extract::PASSWORD_PATH, get().to(account::show))
        .route(extract::ENROL_PATH, get().to(account::totp))
        .route(extract::ENROL_PATH, web::post().to(account::confirm_totp))
        .route(
            "/staff/account/wechat",
            web::post().to(account::wechat_link),
        )
        .route("/staff/bind/{token}", get().to(account::bind))
        .route("/staff/complaints", get().to(handling::queue))
        .route("/staff/complaints/{tracking}", get().to(handling::show))
        .route(
            "/staff/complaints/{tracking}/actions",
            web::post().to(handling::act),
        )
        .route(
            "/staff/complaints/{tracking}/notes",
            web::post().to(handling::note),
        )
        .route(
            "/staff/complaints/{tracking}/reveal",
            web::post().to(handling::reveal),
        )
        .route(
            "/staff/complaints/{tracking}/photos/{n}",
            get().to(handling::photo),
        )
        .route("/staff/audit", get().to(audit::show))
        .route("/staff/audit.csv", get().to(audit::export))
        .route("/staff/users", get().to(users::list))
        .route("/staff/users", web::post().to(users::create))
        .route("/staff/users/{id}", get().to(users::show))
        .route("/staff/users/{id}", web::post().to(users::update))
        .route(
            "/staff/users/{id}/password",
            web::post().to(users::reset_password),
        )
        .route("/staff/users/{id}/totp", web::post().to(users::reset_totp))
        .route("/staff/units", web::post().to(users::add_unit));
}
