//! Every URL of the service in one place: the patterns the routes are registered with
//! (`…_PATTERN`, actix's `{name}` segments) and the typed builders that pages, WeChat
//! replies, template-message pushes and redirects link with. A link is built only from
//! a value that parsed (a `VillageCode`, a `TrackingNumber`), so it always names
//! something a route can answer; the test at the bottom checks that every builder's path
//! is matched by a registered route.
//!
//! Builders return paths (`/v/411503209202`); WeChat replies and pushes prefix them
//! with `public_base_url`.

use std::fmt::Display;

use crate::domain::complaint::TrackingNumber;
use crate::domain::{HouseholdKind, Module, RegionCode, VillageCode};

// Followers' pages.
pub const HOME: &str = "/";
pub const SEARCH: &str = "/search";
/// The platform's public figures, live.
pub const STATS: &str = "/stats";
pub const POWER: &str = "/power";
pub const POWER_ITEM_PATTERN: &str = "/power/{id}";
pub const VILLAGE_PATTERN: &str = "/v/{code}";
pub const VILLAGE_MODULE_PATTERN: &str = "/v/{code}/m/{module}";
pub const VILLAGE_HOUSEHOLDS_PATTERN: &str = "/v/{code}/households/{kind}";
pub const REGION_PATTERN: &str = "/r/{code}";
pub const REGION_OWN_PATTERN: &str = "/r/{code}/d";
pub const DISCLOSURE_PATTERN: &str = "/d/{id}";
pub const DISCLOSURE_FILE_PATTERN: &str = "/d/{id}/files/{file}";
/// A picture attachment scaled down for the page (a receipt in a table).
pub const DISCLOSURE_FILE_SMALL_PATTERN: &str = "/d/{id}/files/{file}/small";
/// A version's canonical public JSON (its SHA-256 is the version's `content_sha256`).
pub const DISCLOSURE_VERSION_JSON_PATTERN: &str = "/d/{id}/v/{version}.json";
pub const ASSET_PATTERN: &str = "/assets/{file}";
/// 长辈模式 on or off (a cookie), then back to the page.
pub const TEXT_SIZE: &str = "/text-size";

// Complaints, for the follower who filed them.
/// `POST`: the form's submission.
pub const COMPLAINTS: &str = "/complaints";
pub const NEW_COMPLAINT: &str = "/complaints/new";
pub const CHOOSE_COMPLAINT_VILLAGE: &str = "/complaints/new/village";
/// `POST`: the form's fields kept as a draft on the way to the village chooser.
pub const COMPLAINT_DRAFT: &str = "/complaints/new/draft";
pub const MY_COMPLAINTS: &str = "/complaints/mine";
pub const COMPLAINT_PATTERN: &str = "/complaints/{tracking}";
pub const COMPLAINT_RECEIVED_PATTERN: &str = "/complaints/{tracking}/received";
pub const COMPLAINT_PHOTO_PATTERN: &str = "/complaints/{tracking}/photos/{n}";
pub const COMPLAINT_RATE_PATTERN: &str = "/complaints/{tracking}/rate";
pub const COMPLAINT_REVIEW_PATTERN: &str = "/complaints/{tracking}/review";
/// The follower's switch for the evening push of what their village published.
pub const MY_PUSHES: &str = "/me/pushes";

// The transparency log (C2SP tlog-tiles under TRANSPARENCY, plus pages for people).
pub const TRANSPARENCY: &str = "/transparency";
pub const TRANSPARENCY_CHECKPOINT: &str = "/transparency/checkpoint";
/// The dated history: each day's last checkpoint, for comparing with what others saw.
pub const TRANSPARENCY_HISTORY: &str = "/transparency/history";
/// `{path}` is a tile path, `tile/0/x001/234.p/17` without its `tile/`.
pub const TRANSPARENCY_TILE_PATTERN: &str = "/transparency/tile/{path:.+}";
pub const TRANSPARENCY_KEPT_CHECKPOINT_PATTERN: &str = "/transparency/checkpoints/{size}";
pub const TRANSPARENCY_ENTRY_PATTERN: &str = "/transparency/entries/{index}";
/// JSON: the log indexes of a tracking number's status changes.
pub const TRANSPARENCY_COMPLAINT_PATTERN: &str = "/transparency/complaints/{tracking}";
/// JSON: the log indexes of a disclosure's publications, corrections and withdrawal.
pub const TRANSPARENCY_DISCLOSURE_PATTERN: &str = "/transparency/disclosures/{id}";

// Service endpoints.
pub const HEALTHZ: &str = "/healthz";
/// Ready to serve: Postgres, Redis and every migration of this build applied.
pub const READYZ: &str = "/readyz";
/// Prometheus, with `metrics.token`.
pub const METRICS: &str = "/metrics";
/// The server URL entered in the WeChat console.
pub const WECHAT: &str = "/wechat";
/// Where WeChat's OAuth2 sends a follower back (under `public_base_url`).
pub const OAUTH_CALLBACK: &str = "/oauth/callback";

/// The JSON API's scope; the patterns below are registered inside it.
pub const API: &str = "/api";
pub mod api {
    pub const REGION_SEARCH: &str = "/regions/search";
    pub const REGION_PATTERN: &str = "/regions/{code}";
    pub const JSSDK_CONFIG: &str = "/jssdk/config";
    /// Signing in and out of the staff API (outside the gated scope).
    pub const STAFF_SESSION: &str = "/staff/session";
    /// The staff API's scope: every endpoint in it is behind the session check.
    pub const STAFF: &str = "/staff";
    /// Inside [`STAFF`].
    pub mod staff {
        pub const COMPLAINTS: &str = "/complaints";
        pub const COMPLAINT_PATTERN: &str = "/complaints/{id}";
        pub const COMPLAINT_ACTIONS_PATTERN: &str = "/complaints/{id}/actions";
        pub const COMPLAINT_NOTES_PATTERN: &str = "/complaints/{id}/notes";
        pub const COMPLAINT_REVEAL_PATTERN: &str = "/complaints/{id}/reveal";
        pub const COMPLAINT_PHOTO_PATTERN: &str = "/complaints/{id}/photos/{position}";
        pub const AUDIT: &str = "/audit";
    }
    pub const OPENAPI: &str = "/openapi.json";
}

/// The staff pages (`/staff/…`).
pub mod staff {
    use crate::domain::Module;
    use crate::domain::complaint::TrackingNumber;
    use crate::domain::disclosure::lifecycle::Step;

    pub const HOME: &str = "/staff";
    pub const LOGIN: &str = "/staff/login";
    pub const LOGOUT: &str = "/staff/logout";
    pub const ACCOUNT: &str = "/staff/account";
    pub const PASSWORD: &str = "/staff/account/password";
    pub const TOTP: &str = "/staff/account/totp";
    pub const WECHAT_LINK: &str = "/staff/account/wechat";
    pub const BIND_PATTERN: &str = "/staff/bind/{token}";
    pub const COMPLAINTS: &str = "/staff/complaints";
    pub const COMPLAINT_PATTERN: &str = "/staff/complaints/{tracking}";
    pub const COMPLAINT_ACTIONS_PATTERN: &str = "/staff/complaints/{tracking}/actions";
    pub const COMPLAINT_NOTES_PATTERN: &str = "/staff/complaints/{tracking}/notes";
    pub const COMPLAINT_REVEAL_PATTERN: &str = "/staff/complaints/{tracking}/reveal";
    pub const COMPLAINT_PHOTO_PATTERN: &str = "/staff/complaints/{tracking}/photos/{n}";
    pub const AUDIT: &str = "/staff/audit";
    pub const AUDIT_CSV: &str = "/staff/audit.csv";
    /// The supervision dashboard (docs/analysis.md).
    pub const INSIGHT: &str = "/staff/insight";
    /// One of its tables as CSV: `/staff/insight/topics.csv`.
    pub const INSIGHT_TABLE_PATTERN: &str = "/staff/insight/{table}";
    /// 监察建议书: the list (`POST`: send one), a draft, one and its updates.
    pub const RECOMMENDATIONS: &str = "/staff/recommendations";
    pub const NEW_RECOMMENDATION: &str = "/staff/recommendations/new";
    pub const RECOMMENDATION_PATTERN: &str = "/staff/recommendations/{id}";
    pub const RECOMMENDATION_MILESTONES_PATTERN: &str = "/staff/recommendations/{id}/milestones";
    pub const RECOMMENDATION_RESULT_PATTERN: &str = "/staff/recommendations/{id}/result";
    /// An inspector's search for complaints by the complainant's phone number.
    pub const PHONE_SEARCH: &str = "/staff/phone-search";
    pub const USERS: &str = "/staff/users";
    pub const USER_PATTERN: &str = "/staff/users/{id}";
    pub const USER_PASSWORD_PATTERN: &str = "/staff/users/{id}/password";
    pub const USER_TOTP_PATTERN: &str = "/staff/users/{id}/totp";
    pub const UNITS: &str = "/staff/units";
    /// Publishing: a clerk's drafts, a reviewer's queue.
    pub const DISCLOSURES: &str = "/staff/disclosures";
    pub const NEW_DISCLOSURE_PATTERN: &str = "/staff/disclosures/new/{module}";
    pub const CORRECT_PATTERN: &str = "/staff/disclosures/{id}/correct";
    pub const WITHDRAW_PATTERN: &str = "/staff/disclosures/{id}/withdraw";
    pub const DRAFT_PATTERN: &str = "/staff/drafts/{id}";
    /// `POST` (multipart): a `.xlsx` or `.csv` of a list's rows, shown for confirmation.
    pub const DRAFT_IMPORT_PATTERN: &str = "/staff/drafts/{id}/import";
    /// `GET`: the blank `.xlsx` a clerk fills in for a module's list.
    pub const TEMPLATE_PATTERN: &str = "/staff/templates/{module}.xlsx";
    /// `POST` (multipart): a PDF, JPEG or PNG attached to a draft.
    pub const DRAFT_FILES_PATTERN: &str = "/staff/drafts/{id}/files";
    /// `GET`: a draft's attachment, for staff in its scope only until it is published.
    pub const DRAFT_FILE_PATTERN: &str = "/staff/drafts/{id}/files/{file}";
    pub const DRAFT_FILE_SMALL_PATTERN: &str = "/staff/drafts/{id}/files/{file}/small";
    /// `POST`: removes an attachment.
    pub const DRAFT_FILE_DELETE_PATTERN: &str = "/staff/drafts/{id}/files/{file}/delete";
    /// `POST`: submit, approve or return (the step's name).
    pub const DRAFT_STEP_PATTERN: &str = "/staff/drafts/{id}/{step}";
    /// The publication calendar: which villages (or modules) are behind.
    pub const CALENDAR: &str = "/staff/calendar";
    /// The supervisor directory of a reviewer's township and villages (`POST`: add one).
    pub const SUPERVISORS: &str = "/staff/supervisors";
    /// The power list's adopting documents (`POST`: record one).
    pub const POWER: &str = "/staff/power";
    /// `POST`: remove an entry.
    pub const SUPERVISOR_REMOVE_PATTERN: &str = "/staff/supervisors/{id}/remove";
    /// `POST`: edit an entry in place.
    pub const SUPERVISOR_EDIT_PATTERN: &str = "/staff/supervisors/{id}/edit";
    /// The form of a new power-list item (`POST`: add it as a new version).
    pub const POWER_ITEM_NEW: &str = "/staff/power/items/new";
    /// An item's form (`POST`: save it as a new version).
    pub const POWER_ITEM_PATTERN: &str = "/staff/power/items/{id}";
    /// `POST`: remove an item, as a new version.
    pub const POWER_ITEM_REMOVE_PATTERN: &str = "/staff/power/items/{id}/remove";
    /// Every version of the power list with what it changed.
    pub const POWER_VERSIONS: &str = "/staff/power/versions";

    /// The sign-in page, coming back to `next` afterwards.
    pub fn login(next: &str) -> String {
        let next: String = url::form_urlencoded::byte_serialize(next.as_bytes()).collect();
        format!("{LOGIN}?next={next}")
    }

    /// A page with `?done=…`, saying what was just done.
    pub fn after(page: &str, done: &str) -> String {
        format!("{page}?done={done}")
    }

    /// A complaint as staff handle it (linked from pushes to staff, too).
    pub fn complaint(tracking: &TrackingNumber) -> String {
        format!("{COMPLAINTS}/{tracking}")
    }

    pub fn complaint_actions(tracking: &TrackingNumber) -> String {
        format!("{}/actions", complaint(tracking))
    }

    pub fn complaint_notes(tracking: &TrackingNumber) -> String {
        format!("{}/notes", complaint(tracking))
    }

    pub fn complaint_reveal(tracking: &TrackingNumber) -> String {
        format!("{}/reveal", complaint(tracking))
    }

    pub fn complaint_photo(tracking: &TrackingNumber, n: i64) -> String {
        format!("{}/photos/{n}", complaint(tracking))
    }

    /// The queue with a query string.
    pub fn queue(query: &str) -> String {
        format!("{COMPLAINTS}?{query}")
    }

    pub fn audit(query: &str) -> String {
        format!("{AUDIT}?{query}")
    }

    pub fn audit_csv(query: &str) -> String {
        format!("{AUDIT_CSV}?{query}")
    }

    pub fn recommendation(id: i64) -> String {
        format!("{RECOMMENDATIONS}/{id}")
    }

    pub fn recommendation_milestones(id: i64) -> String {
        format!("{}/milestones", recommendation(id))
    }

    pub fn recommendation_result(id: i64) -> String {
        format!("{}/result", recommendation(id))
    }

    /// A draft for a topic, region and period (dates as `2026-12-01`).
    pub fn new_recommendation(topic: &str, region: &str, from: &str, to: &str) -> String {
        let mut q = url::form_urlencoded::Serializer::new(String::new());
        q.append_pair("topic", topic)
            .append_pair("region", region)
            .append_pair("from", from)
            .append_pair("to", to);
        format!("{NEW_RECOMMENDATION}?{}", q.finish())
    }

    pub fn insight_csv(table: crate::services::insight::Table) -> String {
        format!("{INSIGHT}/{}.csv", table.as_str())
    }

    pub fn user(id: i64) -> String {
        format!("{USERS}/{id}")
    }

    pub fn user_password(id: i64) -> String {
        format!("{}/password", user(id))
    }

    pub fn user_totp(id: i64) -> String {
        format!("{}/totp", user(id))
    }

    /// The one-time link that binds an account's WeChat (prefixed with the public base).
    pub fn bind(token: &str) -> String {
        format!("/staff/bind/{token}")
    }

    pub fn new_disclosure(module: Module) -> String {
        format!("{DISCLOSURES}/new/{}", module.slug())
    }

    pub fn correct(disclosure_id: i64) -> String {
        format!("{DISCLOSURES}/{disclosure_id}/correct")
    }

    pub fn withdraw(disclosure_id: i64) -> String {
        format!("{DISCLOSURES}/{disclosure_id}/withdraw")
    }

    pub fn draft(id: i64) -> String {
        format!("/staff/drafts/{id}")
    }

    pub fn supervisor_remove(id: i64) -> String {
        format!("{SUPERVISORS}/{id}/remove")
    }

    pub fn power_item(id: i32) -> String {
        format!("{POWER}/items/{id}")
    }

    pub fn power_item_remove(id: i32) -> String {
        format!("{}/remove", power_item(id))
    }

    /// The directory with the edit form of entry `id` open (`GET`).
    pub fn supervisor_edit_form(id: i64) -> String {
        format!("{SUPERVISORS}?edit={id}#edit")
    }

    /// Where the edit form is sent (`POST`).
    pub fn supervisor_edit(id: i64) -> String {
        format!("{SUPERVISORS}/{id}/edit")
    }

    pub fn draft_import(id: i64) -> String {
        format!("{}/import", draft(id))
    }

    pub fn template(module: Module) -> String {
        format!("/staff/templates/{}.xlsx", module.slug())
    }

    pub fn draft_files(id: i64) -> String {
        format!("{}/files", draft(id))
    }

    pub fn draft_file(id: i64, file: i64) -> String {
        format!("{}/files/{file}", draft(id))
    }

    pub fn draft_file_small(id: i64, file: i64) -> String {
        format!("{}/small", draft_file(id, file))
    }

    pub fn draft_file_delete(id: i64, file: i64) -> String {
        format!("{}/delete", draft_file(id, file))
    }

    pub fn draft_step(id: i64, step: Step) -> String {
        format!("{}/{}", draft(id), step.as_str())
    }
}

pub fn home() -> &'static str {
    HOME
}

/// `/search?q=…` (and `&within=<code>`), the query percent-encoded.
pub fn search(text: &str, within: Option<&RegionCode>) -> String {
    let mut query = url::form_urlencoded::Serializer::new(String::new());
    query.append_pair("q", text);
    if let Some(code) = within {
        query.append_pair("within", code.as_str());
    }
    format!("{SEARCH}?{}", query.finish())
}

/// Switches 长辈模式 (large text) on or off, then returns to `back`.
pub fn text_size(large: bool, back: &str) -> String {
    let mut query = url::form_urlencoded::Serializer::new(String::new());
    query.append_pair("large", if large { "1" } else { "0" });
    query.append_pair("back", back);
    format!("{TEXT_SIZE}?{}", query.finish())
}

pub fn power() -> &'static str {
    POWER
}

pub fn power_item(id: i32) -> String {
    format!("{POWER}/{id}")
}

pub fn village(code: &VillageCode) -> String {
    format!("/v/{code}")
}

pub fn village_module(code: &VillageCode, module: Module) -> String {
    format!("{}/m/{}", village(code), module.slug())
}

pub fn village_households(code: &VillageCode, kind: HouseholdKind) -> String {
    format!("{}/households/{}", village(code), kind.as_str())
}

/// A city's, county's or township's page. (A village code given here is redirected to
/// the village's page; [`place`] links it there directly.)
pub fn region(code: &RegionCode) -> String {
    format!("/r/{code}")
}

/// What a township (or county) published itself.
pub fn region_own(code: &RegionCode) -> String {
    format!("{}/d", region(code))
}

/// The page of any region: a village's own page for a 12-digit code, else the region's.
pub fn place(code: &RegionCode) -> String {
    match VillageCode::try_from(code.clone()) {
        Ok(v) => village(&v),
        Err(_) => region(code),
    }
}

pub fn disclosure(id: i64) -> String {
    format!("/d/{id}")
}

pub fn disclosure_file(id: i64, file: impl Display) -> String {
    format!("{}/files/{file}", disclosure(id))
}

pub fn disclosure_file_small(id: i64, file: impl Display) -> String {
    format!("{}/small", disclosure_file(id, file))
}

pub fn disclosure_version_json(id: i64, version: i32) -> String {
    format!("{}/v/{version}.json", disclosure(id))
}

/// An embedded asset under its (fingerprinted) file name.
pub fn asset(file: &str) -> String {
    format!("/assets/{file}")
}

pub fn complaints_submit() -> &'static str {
    COMPLAINTS
}

/// The complaint form, with the village already chosen when there is one.
pub fn new_complaint(village: Option<&VillageCode>) -> String {
    match village {
        Some(code) => format!("{NEW_COMPLAINT}?village={code}"),
        None => NEW_COMPLAINT.to_owned(),
    }
}

/// The form for a question about a disclosure (its 对这条公开有疑问): the village and the
/// disclosure's version (`about=123v2`).
pub fn complaint_about(
    village: &VillageCode,
    about: &crate::domain::complaint::DisclosureRef,
) -> String {
    format!(
        "{NEW_COMPLAINT}?village={village}&about={}",
        about.as_param()
    )
}

pub fn choose_complaint_village() -> &'static str {
    CHOOSE_COMPLAINT_VILLAGE
}

/// The form again with its kept draft (`draft` is the form's key), and the village
/// chosen for it when there is one.
pub fn new_complaint_from_draft(draft: &uuid::Uuid, village: Option<&VillageCode>) -> String {
    let mut query = url::form_urlencoded::Serializer::new(String::new());
    query.append_pair("draft", &draft.to_string());
    if let Some(code) = village {
        query.append_pair("village", code.as_str());
    }
    format!("{NEW_COMPLAINT}?{}", query.finish())
}

/// The village chooser for a kept draft, searching for `text` when it is not empty.
pub fn choose_complaint_village_for(draft: &uuid::Uuid, text: &str) -> String {
    let mut query = url::form_urlencoded::Serializer::new(String::new());
    query.append_pair("draft", &draft.to_string());
    if !text.trim().is_empty() {
        query.append_pair("q", text.trim());
    }
    format!("{CHOOSE_COMPLAINT_VILLAGE}?{}", query.finish())
}

/// Where the form sends its fields to be kept while the village is chosen.
pub fn complaint_draft() -> &'static str {
    COMPLAINT_DRAFT
}

pub fn my_complaints() -> &'static str {
    MY_COMPLAINTS
}

/// The complainant's page of a complaint, linked from every push and reply.
pub fn complaint(tracking: &TrackingNumber) -> String {
    format!("{COMPLAINTS}/{tracking}")
}

/// The same page after an action: `done` names what was done (`rated`, `review`).
pub fn complaint_after(tracking: &TrackingNumber, done: &str) -> String {
    format!("{}?done={done}", complaint(tracking))
}

/// The confirmation right after submitting.
pub fn complaint_received(tracking: &TrackingNumber) -> String {
    format!("{}/received", complaint(tracking))
}

/// The `n`-th photo (from 1) of a complaint, for its complainant.
pub fn complaint_photo(tracking: &TrackingNumber, n: impl Display) -> String {
    format!("{}/photos/{n}", complaint(tracking))
}

pub fn complaint_rate(tracking: &TrackingNumber) -> String {
    format!("{}/rate", complaint(tracking))
}

pub fn complaint_review(tracking: &TrackingNumber) -> String {
    format!("{}/review", complaint(tracking))
}

pub fn transparency() -> &'static str {
    TRANSPARENCY
}

pub fn transparency_checkpoint() -> &'static str {
    TRANSPARENCY_CHECKPOINT
}

pub fn transparency_history(page: u32) -> String {
    if page <= 1 {
        TRANSPARENCY_HISTORY.to_owned()
    } else {
        format!("{TRANSPARENCY_HISTORY}?page={page}")
    }
}

/// A tile or entry bundle, from its C2SP path (`tile/…`).
pub fn transparency_tile(tile: &crate::transparency::tiles::Tile) -> String {
    format!("{TRANSPARENCY}/{}", tile.path())
}

pub fn transparency_kept_checkpoint(size: u64) -> String {
    format!("{TRANSPARENCY}/checkpoints/{size}")
}

/// The page of one entry, with its proof (存证 #n links here).
pub fn transparency_entry(index: u64) -> String {
    format!("{TRANSPARENCY}/entries/{index}")
}

pub fn transparency_complaint(tracking: &TrackingNumber) -> String {
    format!("{TRANSPARENCY}/complaints/{tracking}")
}

pub fn transparency_disclosure(id: i64) -> String {
    format!("{TRANSPARENCY}/disclosures/{id}")
}

pub fn healthz() -> &'static str {
    HEALTHZ
}

pub fn readyz() -> &'static str {
    READYZ
}

pub fn metrics() -> &'static str {
    METRICS
}

pub fn wechat() -> &'static str {
    WECHAT
}

pub fn oauth_callback() -> &'static str {
    OAUTH_CALLBACK
}

pub fn api_region(code: &RegionCode) -> String {
    format!("{API}/regions/{code}")
}

pub fn api_region_search() -> String {
    format!("{API}{}", api::REGION_SEARCH)
}

pub fn api_jssdk_config() -> String {
    format!("{API}{}", api::JSSDK_CONFIG)
}

pub fn api_staff_session() -> String {
    format!("{API}{}", api::STAFF_SESSION)
}

pub fn api_staff_audit() -> String {
    format!("{API}{}{}", api::STAFF, api::staff::AUDIT)
}

pub fn api_openapi() -> String {
    format!("{API}{}", api::OPENAPI)
}

pub fn staff_complaints() -> String {
    format!("{API}{}{}", api::STAFF, api::staff::COMPLAINTS)
}

/// A complaint in the staff JSON API.
pub fn staff_complaint(id: i64) -> String {
    format!("{}/{id}", staff_complaints())
}

pub fn staff_complaint_actions(id: i64) -> String {
    format!("{}/actions", staff_complaint(id))
}

pub fn staff_complaint_notes(id: i64) -> String {
    format!("{}/notes", staff_complaint(id))
}

pub fn staff_complaint_reveal(id: i64) -> String {
    format!("{}/reveal", staff_complaint(id))
}

/// The `n`-th photo (from 1) of a complaint, for staff who may see it.
pub fn staff_complaint_photo(id: i64, n: impl Display) -> String {
    format!("{}/photos/{n}", staff_complaint(id))
}

#[cfg(test)]
mod tests {
    use std::sync::{Arc, Mutex};

    use actix_web::App;
    use actix_web::test as actix;

    use super::*;

    fn every_builder() -> Vec<String> {
        let v = VillageCode::parse("411503209202").unwrap();
        let township = RegionCode::parse("411503209").unwrap();
        let tracking = TrackingNumber::parse("XY-20261128-0042").unwrap();
        vec![
            home().to_owned(),
            search("王岗", Some(&township)),
            power().to_owned(),
            STATS.to_owned(),
            power_item(3),
            village(&v),
            village_module(&v, Module::Assets),
            village_households(&v, HouseholdKind::Monitored),
            region(&township),
            region_own(&township),
            place(&township),
            place(v.region_code()),
            disclosure(7),
            disclosure_file(7, 2),
            disclosure_version_json(7, 2),
            asset("site.0123456789.css"),
            complaints_submit().to_owned(),
            new_complaint(Some(&v)),
            new_complaint(None),
            choose_complaint_village().to_owned(),
            new_complaint_from_draft(&uuid::Uuid::nil(), Some(&v)),
            choose_complaint_village_for(&uuid::Uuid::nil(), "王岗"),
            complaint_draft().to_owned(),
            text_size(true, "/v/411503209202"),
            my_complaints().to_owned(),
            complaint(&tracking),
            complaint_after(&tracking, "rated"),
            complaint_received(&tracking),
            complaint_photo(&tracking, 1),
            complaint_rate(&tracking),
            complaint_review(&tracking),
            transparency().to_owned(),
            transparency_checkpoint().to_owned(),
            transparency_history(1),
            transparency_history(2),
            transparency_tile(&crate::transparency::tiles::Tile::hashes(0, 1234, 17).unwrap()),
            transparency_tile(&crate::transparency::tiles::Tile::entries(3, 256).unwrap()),
            transparency_kept_checkpoint(42),
            transparency_entry(1234),
            transparency_complaint(&tracking),
            transparency_disclosure(7),
            healthz().to_owned(),
            readyz().to_owned(),
            metrics().to_owned(),
            wechat().to_owned(),
            oauth_callback().to_owned(),
            api_region(&township),
            api_region_search(),
            api_jssdk_config(),
            staff_complaints(),
            staff_complaint(7),
            staff_complaint_actions(7),
            staff_complaint_notes(7),
            staff_complaint_photo(7, 1),
            staff_complaint_reveal(7),
            api_staff_session(),
            api_staff_audit(),
            api_openapi(),
            staff::HOME.to_owned(),
            staff::login("/staff/complaints"),
            staff::ACCOUNT.to_owned(),
            staff::PASSWORD.to_owned(),
            staff::TOTP.to_owned(),
            staff::after(staff::ACCOUNT, "totp"),
            staff::bind("0123abcd"),
            staff::complaint(&tracking),
            staff::complaint_photo(&tracking, 1),
            staff::queue("status=pending"),
            staff::audit("actor=x"),
            staff::audit_csv(""),
            staff::INSIGHT.to_owned(),
            staff::RECOMMENDATIONS.to_owned(),
            staff::new_recommendation("交通", "411503", "2026-09-01", "2026-11-30"),
            staff::recommendation(7),
            staff::recommendation_milestones(7),
            staff::recommendation_result(7),
            staff::insight_csv(crate::services::insight::Table::Topics),
            staff::USERS.to_owned(),
            staff::user(3),
            staff::DISCLOSURES.to_owned(),
            staff::new_disclosure(Module::Assets),
            staff::correct(7),
            staff::withdraw(7),
            staff::draft(7),
            staff::draft_import(7),
            staff::draft_files(7),
            staff::template(Module::Assets),
            staff::draft_file(7, 2),
            staff::draft_file_small(7, 2),
            staff::draft_file_delete(7, 2),
            disclosure_file_small(7, 2),
            staff::draft_step(7, crate::domain::disclosure::lifecycle::Step::Approve),
            staff::CALENDAR.to_owned(),
            staff::SUPERVISORS.to_owned(),
            staff::POWER.to_owned(),
            staff::supervisor_remove(7),
            staff::supervisor_edit(7),
            staff::supervisor_edit_form(7),
            staff::POWER_ITEM_NEW.to_owned(),
            staff::power_item(3),
            staff::power_item_remove(3),
            staff::POWER_VERSIONS.to_owned(),
            MY_PUSHES.to_owned(),
        ]
    }

    #[actix_web::test]
    async fn every_builder_names_a_registered_route() {
        // The pattern of the resource each path matched, or None when only a default
        // service (the pages' 404, the API's "no such endpoint") would answer it. The
        // handlers themselves are not needed: the request stops at the recorder.
        let matched: Arc<Mutex<Option<String>>> = Arc::default();
        let seen = Arc::clone(&matched);
        let pool = actix_web::web::Data::new(
            sqlx::PgPool::connect_lazy("postgres://nobody@127.0.0.1:1/none").unwrap(),
        );
        let routes =
            move |cfg: &mut actix_web::web::ServiceConfig| crate::routes::configure(cfg, &pool);
        let app = actix::init_service(App::new().configure(routes).wrap_fn(move |req, _srv| {
            *seen.lock().unwrap() = req.match_pattern();
            std::future::ready(Ok(req.into_response(actix_web::HttpResponse::Ok())))
        }))
        .await;
        for path in every_builder() {
            let req = actix::TestRequest::get().uri(&path).to_request();
            actix::call_service(&app, req).await;
            let pattern = matched.lock().unwrap().take();
            assert!(pattern.is_some(), "no route answers {path}");
        }
        let req = actix::TestRequest::get().uri("/v/1/nothing").to_request();
        actix::call_service(&app, req).await;
        assert_eq!(*matched.lock().unwrap(), None, "the check can fail");
    }

    #[test]
    fn the_county_map_drawn_at_build_time_links_each_county_with_region() {
        // build.rs cannot use this module; this keeps its "/r/" prefix honest.
        let map = crate::routes::pages::home::COUNTY_MAP_SVG;
        for code in ["411502", "411503", "411521", "411528"] {
            let href = format!("href=\"{}\"", region(&RegionCode::parse(code).unwrap()));
            assert!(map.contains(&href), "{href}");
        }
    }

    #[test]
    fn places_link_villages_to_their_own_page() {
        let code = RegionCode::parse("411503209202").unwrap();
        assert_eq!(place(&code), "/v/411503209202");
        let county = RegionCode::parse("411503").unwrap();
        assert_eq!(place(&county), "/r/411503");
        assert_eq!(
            search("王岗 村", None),
            "/search?q=%E7%8E%8B%E5%B2%97+%E6%9D%91"
        );
    }
}
