//! The staff JSON API under `/api/staff`: complaint lists with filters, details with the
//! whole timeline, every transition and internal notes. Every handler takes a
//! [`crate::domain::staff::Staff`], which only the check in `auth` produces.

pub mod auth;
pub mod complaints;

use actix_web::web;

pub fn configure(cfg: &mut web::ServiceConfig) {
    complaints::configure(cfg);
}
