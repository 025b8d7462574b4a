//! Staff pages under `/staff`: server-rendered like the followers' pages (the same
//! stylesheet plus `staff.css`), usable on a desktop and in WeChat on a phone, no
//! script. Every page but the sign-in page takes a [`StaffPage`]; every form carries
//! the session's CSRF token and shows its errors next to the fields.

pub mod account;
pub mod audit;
pub mod calendar;
pub mod chart;
pub mod complaints;
pub mod insight;
pub mod login;
pub mod phone_search;
pub mod power;
pub mod power_items;
pub mod power_versions;
pub mod publishing;
pub mod recommendations;
pub mod supervisors;
pub mod users;

use std::collections::BTreeMap;

use actix_web::HttpResponse;
use actix_web::http::StatusCode;
use actix_web::http::header::{CACHE_CONTROL, HeaderValue};
use askama::Template;
use base64::Engine;

use super::extract::StaffPage;
use crate::domain::RegionCode;
use crate::domain::staff::StaffAction;
use crate::region_index::SearchIndex;
use crate::routes::assets;
use crate::routes::page_error::PageError;
use crate::routes::pages::html_response;
use crate::routes::paths;

/// Who is signed in, for the bar at the top.
pub struct Who {
    pub name: String,
    pub role: &'static str,
    pub region: String,
    pub csrf: String,
}

/// A link in the bar at the top.
pub struct NavLink {
    pub href: &'static str,
    pub label: &'static str,
    pub current: bool,
}

/// What the staff base template needs.
pub struct StaffLayout {
    pub title: String,
    pub css: &'static str,
    pub staff_css: &'static str,
    pub who: Option<Who>,
    pub nav: Vec<NavLink>,
    /// An error that concerns the whole page.
    pub banner: Option<String>,
    /// Good news (a change saved).
    pub notice: Option<String>,
}

/// The pages of the bar, each shown only to roles that may use it.
const NAV: &[(&str, &str, Option<StaffAction>)] = &[
    (
        paths::staff::COMPLAINTS,
        "投诉办理",
        Some(StaffAction::ListComplaints),
    ),
    (
        paths::staff::DISCLOSURES,
        "村务公开",
        Some(StaffAction::DraftDisclosure),
    ),
    (
        paths::staff::DISCLOSURES,
        "公开审核",
        Some(StaffAction::ReviewDisclosure),
    ),
    (
        paths::staff::INSIGHT,
        "监督分析",
        Some(StaffAction::ReadInsight),
    ),
    (
        paths::staff::RECOMMENDATIONS,
        "监察建议书",
        Some(StaffAction::ReadInsight),
    ),
    (
        paths::staff::SUPERVISORS,
        "监督员名录",
        Some(StaffAction::ManageSupervisors),
    ),
    (
        paths::staff::CALENDAR,
        "公开时限",
        Some(StaffAction::ReadCalendar),
    ),
    (
        paths::staff::PHONE_SEARCH,
        "按手机号查找",
        Some(StaffAction::SearchByPhone),
    ),
    (
        paths::staff::AUDIT,
        "审计日志",
        Some(StaffAction::ReadAudit),
    ),
    (
        paths::staff::POWER,
        "权力清单",
        Some(StaffAction::ManagePowerList),
    ),
    (
        paths::staff::USERS,
        "账号管理",
        Some(StaffAction::ManageAccounts),
    ),
    (paths::staff::ACCOUNT, "我的账号", None),
];

/// "平桥区王岗乡王岗村" (or the city's name) for a region code.
pub fn region_name(index: &SearchIndex, code: &RegionCode) -> String {
    index
        .current()
        .get(code)
        .map_or_else(|| code.to_string(), |h| h.full_name())
}

impl StaffLayout {
    /// The layout of a page for `page`'s member; `here` is the page's path (its link in
    /// the bar is marked).
    pub fn signed_in(
        page: &StaffPage,
        index: &SearchIndex,
        title: &str,
        here: &str,
    ) -> StaffLayout {
        let member = &page.member;
        let nav = NAV
            .iter()
            .filter(|(_, _, needs)| needs.is_none_or(|a| member.may(a)))
            .map(|(href, label, _)| NavLink {
                href,
                label,
                current: here.starts_with(href),
            })
            .collect();
        StaffLayout {
            who: Some(Who {
                name: member.display_name.clone(),
                role: member.role.label(),
                region: region_name(index, &member.region),
                csrf: page.csrf.clone(),
            }),
            nav,
            ..StaffLayout::anonymous(title)
        }
    }

    /// The layout of a page nobody is signed in on (sign-in, binding WeChat).
    pub fn anonymous(title: &str) -> StaffLayout {
        StaffLayout {
            title: title.to_owned(),
            css: assets::url("site.css"),
            staff_css: assets::url("staff.css"),
            who: None,
            nav: Vec::new(),
            banner: None,
            notice: None,
        }
    }

    pub fn with_banner(mut self, banner: Option<String>) -> StaffLayout {
        self.banner = banner;
        self
    }

    pub fn with_notice(mut self, notice: Option<String>) -> StaffLayout {
        self.notice = notice;
        self
    }
}

/// A staff page: never cached by anyone, never framed.
pub fn render(status: StatusCode, page: &impl Template) -> Result<HttpResponse, PageError> {
    let mut response = html_response(status, page.render()?);
    response
        .headers_mut()
        .insert(CACHE_CONTROL, HeaderValue::from_static("no-store"));
    Ok(response)
}

/// An option of a `<select>`.
#[derive(Debug, Clone)]
pub struct Choice {
    pub value: String,
    pub label: String,
    pub selected: bool,
}

impl Choice {
    pub fn new(value: impl Into<String>, label: impl Into<String>, selected: bool) -> Choice {
        Choice {
            value: value.into(),
            label: label.into(),
            selected,
        }
    }
}

/// Messages per form field, shown next to each.
#[derive(Debug, Clone, Default)]
pub struct Errors(BTreeMap<&'static str, String>);

impl Errors {
    pub fn add(&mut self, field: &'static str, message: impl Into<String>) {
        self.0.entry(field).or_insert_with(|| message.into());
    }

    pub fn get(&self, field: &str) -> Option<&str> {
        self.0.get(field).map(String::as_str)
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

/// A QR code of `text` as an `<img src>`: an SVG drawn on the server (no script, no
/// third-party host), inlined as a data URI (the pages' CSP allows `data:` images).
pub fn qr_data_uri(text: &str) -> String {
    let svg = qrcode::QrCode::new(text.as_bytes())
        .map(|code| {
            code.render::<qrcode::render::svg::Color<'_>>()
                .min_dimensions(200, 200)
                .quiet_zone(true)
                .build()
        })
        .unwrap_or_default();
    format!(
        "data:image/svg+xml;base64,{}",
        base64::engine::general_purpose::STANDARD.encode(svg)
    )
}

/// A redirect after a form was handled (POST → 303 → GET).
pub fn see_other(to: &str) -> HttpResponse {
    HttpResponse::SeeOther()
        .insert_header((actix_web::http::header::LOCATION, to.to_owned()))
        .insert_header((CACHE_CONTROL, "no-store"))
        .finish()
}
