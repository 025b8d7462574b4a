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
use crate::routes::paths;

/// The JSON API, under `/api`.
pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route(paths::api::OPENAPI, web::get().to(openapi));
    session::configure(cfg);
    cfg.service(
        web::scope(paths::api::STAFF)
            .wrap(actix_web::middleware::from_fn(extract::api_gate))
            .configure(complaints::configure)
            .configure(audit::configure),
    );
}

/// `GET /api/openapi.json`: the staff API's description, for integrating systems.
async fn openapi() -> actix_web::HttpResponse {
    use utoipa::OpenApi;
    actix_web::HttpResponse::Ok().json(complaints::ApiDoc::openapi())
}

/// The pages, under `/staff`.
pub fn configure_pages(cfg: &mut web::ServiceConfig) {
    use pages::{
        account, audit, calendar, complaints as handling, insight, login, phone_search, power,
        power_items, power_versions, publishing, recommendations, supervisors, users,
    };
    use paths::staff as p;
    cfg.route(p::HOME, get().to(login::home))
        .route(p::LOGIN, get().to(login::show))
        .route(p::LOGIN, web::post().to(login::submit))
        .route(p::LOGOUT, web::post().to(login::logout))
        .route(p::ACCOUNT, get().to(account::show))
        .route(p::PASSWORD, web::post().to(account::change_password))
        .route(p::PASSWORD, get().to(account::show))
        .route(p::TOTP, get().to(account::totp))
        .route(p::TOTP, web::post().to(account::confirm_totp))
        .route(p::WECHAT_LINK, web::post().to(account::wechat_link))
        .route(p::BIND_PATTERN, get().to(account::bind))
        .route(p::COMPLAINTS, get().to(handling::queue))
        .route(p::COMPLAINT_PATTERN, get().to(handling::show))
        .route(p::COMPLAINT_ACTIONS_PATTERN, web::post().to(handling::act))
        .route(p::COMPLAINT_NOTES_PATTERN, web::post().to(handling::note))
        .route(
            p::COMPLAINT_REVEAL_PATTERN,
            web::post().to(handling::reveal),
        )
        .route(p::COMPLAINT_PHOTO_PATTERN, get().to(handling::photo))
        .route(p::PHONE_SEARCH, get().to(phone_search::show))
        .route(p::PHONE_SEARCH, web::post().to(phone_search::search))
        .route(p::AUDIT, get().to(audit::show))
        .route(p::AUDIT_CSV, get().to(audit::export))
        .route(p::INSIGHT, get().to(insight::show))
        .route(p::INSIGHT_TABLE_PATTERN, get().to(insight::export))
        .route(p::RECOMMENDATIONS, get().to(recommendations::list))
        .route(p::RECOMMENDATIONS, web::post().to(recommendations::send))
        // Before the pattern, which would take `new` for an id.
        .route(p::NEW_RECOMMENDATION, get().to(recommendations::new))
        .route(p::RECOMMENDATION_PATTERN, get().to(recommendations::show))
        .route(
            p::RECOMMENDATION_MILESTONES_PATTERN,
            web::post().to(recommendations::milestone),
        )
        .route(
            p::RECOMMENDATION_RESULT_PATTERN,
            web::post().to(recommendations::result),
        )
        .route(p::USERS, get().to(users::list))
        .route(p::USERS, web::post().to(users::create))
        .route(p::USER_PATTERN, get().to(users::show))
        .route(p::USER_PATTERN, web::post().to(users::update))
        .route(
            p::USER_PASSWORD_PATTERN,
            web::post().to(users::reset_password),
        )
        .route(p::USER_TOTP_PATTERN, web::post().to(users::reset_totp))
        .route(p::UNITS, web::post().to(users::add_unit))
        .route(p::DISCLOSURES, get().to(publishing::list))
        .route(p::CALENDAR, get().to(calendar::page))
        .service(
            web::resource(p::SUPERVISORS)
                .route(get().to(supervisors::list))
                .route(web::post().to(supervisors::add)),
        )
        .service(
            web::resource(p::POWER)
                .route(get().to(power::list))
                .route(web::post().to(power::adopt)),
        )
        .route(
            p::SUPERVISOR_REMOVE_PATTERN,
            web::post().to(supervisors::remove),
        )
        .route(
            p::SUPERVISOR_EDIT_PATTERN,
            web::post().to(supervisors::edit),
        )
        .route(p::POWER_VERSIONS, get().to(power_versions::page))
        .route(
            p::POWER_ITEM_REMOVE_PATTERN,
            web::post().to(power_items::remove),
        )
        .route(p::CORRECT_PATTERN, web::post().to(publishing::correct))
        .route(p::WITHDRAW_PATTERN, web::post().to(publishing::withdraw))
        // Before the steps' pattern, which would take `import` for a step.
        .route(p::DRAFT_IMPORT_PATTERN, web::post().to(publishing::import))
        .route(p::DRAFT_FILES_PATTERN, web::post().to(publishing::attach))
        .route(p::TEMPLATE_PATTERN, get().to(publishing::template))
        .route(p::DRAFT_FILE_PATTERN, get().to(publishing::file))
        .route(
            p::DRAFT_FILE_SMALL_PATTERN,
            get().to(publishing::file_small),
        )
        .route(
            p::DRAFT_FILE_DELETE_PATTERN,
            web::post().to(publishing::detach),
        )
        .route(p::DRAFT_STEP_PATTERN, web::post().to(publishing::step));
    // The module form carries every line item: more than the default 16 KiB.
    let big_form = || web::FormConfig::default().limit(8 * 1024 * 1024);
    // An item's text and flow chart: more than the default 16 KiB in the worst case.
    let item_form = || web::FormConfig::default().limit(256 * 1024);
    // `new` before the item's pattern, which would take it for an id.
    cfg.service(
        web::resource(p::POWER_ITEM_NEW)
            .app_data(item_form())
            .route(get().to(power_items::new_form))
            .route(web::post().to(power_items::create)),
    )
    .service(
        web::resource(p::POWER_ITEM_PATTERN)
            .app_data(item_form())
            .route(get().to(power_items::form))
            .route(web::post().to(power_items::save)),
    );
    cfg.service(
        web::resource(p::NEW_DISCLOSURE_PATTERN)
            .app_data(big_form())
            .route(get().to(publishing::new_form))
            .route(web::post().to(publishing::create)),
    )
    .service(
        web::resource(p::DRAFT_PATTERN)
            .app_data(big_form())
            .route(get().to(publishing::show))
            .route(web::post().to(publishing::save)),
    );
}
