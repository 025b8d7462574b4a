//! The transparency log's files for machines, in the C2SP tlog-tiles layout under
//! `/transparency/`: the latest signed checkpoint, hash tiles and entry bundles, every
//! kept checkpoint by size, and the log indexes of a tracking number. Tiles and kept
//! checkpoints never change once served, so they are cached for a year; the latest
//! checkpoint for seconds. Anyone may fetch them from anywhere (CORS `*`): the point is
//! that others check us. The pages for people are `pages/transparency.rs`.

use actix_web::http::header::{ACCESS_CONTROL_ALLOW_ORIGIN, CACHE_CONTROL, CONTENT_TYPE};
use actix_web::{HttpResponse, web};
use serde::Serialize;
use sqlx::PgPool;

use super::paths;
use crate::domain::complaint::TrackingNumber;
use crate::services::transparency::{self, LogError, complaint_subject};
use crate::storage::tlog;
use crate::transparency::tiles::Tile;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route(
        paths::TRANSPARENCY_CHECKPOINT,
        super::pages::get().to(checkpoint),
    )
    .route(
        paths::TRANSPARENCY_TILE_PATTERN,
        super::pages::get().to(tile),
    )
    .route(
        paths::TRANSPARENCY_KEPT_CHECKPOINT_PATTERN,
        super::pages::get().to(kept_checkpoint),
    )
    .route(
        paths::TRANSPARENCY_COMPLAINT_PATTERN,
        super::pages::get().to(complaint_entries),
    )
    .route(
        paths::TRANSPARENCY_DISCLOSURE_PATTERN,
        super::pages::get().to(disclosure_entries),
    );
}

const LATEST: &str = "public, max-age=10";
const FOREVER: &str = "public, max-age=31536000, immutable";

fn text(body: String, cache: &'static str) -> HttpResponse {
    HttpResponse::Ok()
        .insert_header((CONTENT_TYPE, "text/plain; charset=utf-8"))
        .insert_header((CACHE_CONTROL, cache))
        .insert_header((ACCESS_CONTROL_ALLOW_ORIGIN, "*"))
        .body(body)
}

fn missing(what: &str) -> HttpResponse {
    HttpResponse::NotFound()
        .insert_header((CONTENT_TYPE, "text/plain; charset=utf-8"))
        .insert_header((CACHE_CONTROL, "no-store"))
        .insert_header((ACCESS_CONTROL_ALLOW_ORIGIN, "*"))
        .body(format!("{what}\n"))
}

fn failed(e: &LogError) -> HttpResponse {
    if let LogError::Database(db) = e
        && crate::storage::database::is_unavailable(db)
    {
        return HttpResponse::ServiceUnavailable()
            .insert_header((CACHE_CONTROL, "no-store"))
            .body("the log's database does not answer; try again later\n");
    }
    tracing::error!(error = %transparency::describe(e), "transparency log");
    HttpResponse::InternalServerError()
        .insert_header((CACHE_CONTROL, "no-store"))
        .body("the log cannot be read now\n")
}

async fn checkpoint(pool: web::Data<PgPool>) -> HttpResponse {
    match tlog::latest_checkpoint(&**pool).await {
        Ok(Some(c)) => text(c.note, LATEST),
        Ok(None) => missing("no checkpoint has been signed yet"),
        Err(e) => failed(&e.into()),
    }
}

async fn tile(pool: web::Data<PgPool>, path: web::Path<String>) -> HttpResponse {
    let Ok(tile) = Tile::parse_path(&format!("tile/{path}")) else {
        return missing("not a tile path");
    };
    let size = match tlog::latest_checkpoint(&**pool).await {
        Ok(latest) => latest.map_or(0, |c| c.size),
        Err(e) => return failed(&e.into()),
    };
    match transparency::tile_body(&pool, &tile, size).await {
        Ok(Some(body)) => HttpResponse::Ok()
            .insert_header((CONTENT_TYPE, "application/octet-stream"))
            .insert_header((CACHE_CONTROL, FOREVER))
            .insert_header((ACCESS_CONTROL_ALLOW_ORIGIN, "*"))
            .body(body),
        Ok(None) => missing("the latest checkpoint does not reach this tile"),
        Err(e) => failed(&e),
    }
}

async fn kept_checkpoint(pool: web::Data<PgPool>, size: web::Path<String>) -> HttpResponse {
    let Some(size) = canonical_number(&size) else {
        return missing("not a size");
    };
    match tlog::checkpoint_of_size(&**pool, size).await {
        Ok(Some(c)) => text(c.note, FOREVER),
        Ok(None) => missing("no checkpoint of this size was signed"),
        Err(e) => failed(&e.into()),
    }
}

#[derive(Serialize)]
struct ComplaintEntries {
    tracking_number: String,
    /// Log indexes of its status changes, oldest first.
    entries: Vec<u64>,
}

async fn complaint_entries(pool: web::Data<PgPool>, tracking: web::Path<String>) -> HttpResponse {
    let Ok(tracking) = TrackingNumber::parse(&tracking) else {
        return missing("not a tracking number");
    };
    match tlog::indexes_of(&**pool, &complaint_subject(&tracking)).await {
        Ok(entries) => HttpResponse::Ok()
            .insert_header((CACHE_CONTROL, LATEST))
            .insert_header((ACCESS_CONTROL_ALLOW_ORIGIN, "*"))
            .json(ComplaintEntries {
                tracking_number: tracking.to_string(),
                entries,
            }),
        Err(e) => failed(&e.into()),
    }
}

#[derive(Serialize)]
struct DisclosureEntries {
    disclosure: u64,
    /// Log indexes of its publications, corrections and withdrawal, oldest first.
    entries: Vec<u64>,
}

async fn disclosure_entries(pool: web::Data<PgPool>, id: web::Path<String>) -> HttpResponse {
    let Some(id) = canonical_number(&id) else {
        return missing("not a disclosure number");
    };
    let Ok(signed) = i64::try_from(id) else {
        return missing("not a disclosure number");
    };
    match tlog::indexes_of(&**pool, &transparency::disclosure_subject(signed)).await {
        Ok(entries) => HttpResponse::Ok()
            .insert_header((CACHE_CONTROL, LATEST))
            .insert_header((ACCESS_CONTROL_ALLOW_ORIGIN, "*"))
            .json(DisclosureEntries {
                disclosure: id,
                entries,
            }),
        Err(e) => failed(&e.into()),
    }
}

/// A decimal number written the one way (no sign, no leading zero), so each resource
/// has one URL.
pub fn canonical_number(text: &str) -> Option<u64> {
    let n: u64 = text.parse().ok()?;
    (n.to_string() == text).then_some(n)
}

#[cfg(test)]
mod tests {
    #[test]
    fn numbers_have_one_spelling() {
        assert_eq!(super::canonical_number("42"), Some(42));
        assert_eq!(super::canonical_number("0"), Some(0));
        for bad in ["042", "+42", "", "4 2", "-1", "18446744073709551616"] {
            assert_eq!(super::canonical_number(bad), None, "{bad}");
        }
    }
}
