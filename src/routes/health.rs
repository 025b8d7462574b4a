//! The operator's endpoints. `/healthz`: the process answers (a liveness probe, which
//! must not fail while Postgres is down, or every instance would be restarted at once).
//! `/readyz`: 200 when Postgres and Redis answer and every migration of this build is
//! applied, 503 naming what is missing; it is public, so it says "down" and nothing
//! more, and the reason goes to the log. `/metrics`: Prometheus, for the bearer of
//! `metrics.token` only.

use actix_web::http::header::AUTHORIZATION;
use actix_web::{HttpRequest, HttpResponse, web};
use secrecy::ExposeSecret;
use serde::Serialize;
use sqlx::PgPool;
use subtle::ConstantTimeEq;

use crate::configuration::Settings;
use crate::kv::Kv;
use crate::metrics::Metrics;
use crate::storage;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route(super::paths::HEALTHZ, web::get().to(healthz))
        .route(super::paths::READYZ, web::get().to(readyz))
        .route(super::paths::METRICS, web::get().to(metrics));
}

#[derive(Serialize)]
struct Alive {
    status: &'static str,
}

async fn healthz() -> HttpResponse {
    HttpResponse::Ok().json(Alive { status: "ok" })
}

#[derive(Serialize)]
struct Ready {
    status: &'static str,
    postgres: &'static str,
    redis: &'static str,
    migrations: &'static str,
}

async fn readyz(
    pool: web::Data<PgPool>,
    kv: web::Data<Kv>,
    database: web::Data<storage::database::Availability>,
) -> HttpResponse {
    let pg = async {
        // What pages believe, first: while the watcher sees it down, pages say so.
        if database.is_down() {
            return Err(anyhow::anyhow!("the watcher's connection gets no answer"));
        }
        storage::database::ping(&pool).await?;
        storage::database::unapplied_migrations(&pool).await
    };
    let (pg, redis) = tokio::join!(pg, kv.ping());
    let (postgres, migrations) = match pg {
        Ok(0) => ("ok", "ok"),
        Ok(missing) => {
            tracing::warn!(
                missing,
                "readiness: migrations of this build are not applied"
            );
            ("ok", "pending")
        }
        Err(e) => {
            tracing::warn!(error = %e, "readiness: Postgres does not answer");
            ("down", "unknown")
        }
    };
    let redis_state = match redis {
        Ok(()) if kv.is_shared() => "ok",
        Ok(()) => "in-process",
        Err(e) => {
            tracing::warn!(error = %e, "readiness: Redis does not answer");
            "down"
        }
    };
    let ready = postgres == "ok" && migrations == "ok" && redis_state != "down";
    let body = Ready {
        status: if ready { "ok" } else { "unavailable" },
        postgres,
        redis: redis_state,
        migrations,
    };
    if ready {
        HttpResponse::Ok().json(body)
    } else {
        HttpResponse::ServiceUnavailable().json(body)
    }
}

/// 404 without the token, as if there were nothing here: the route's existence is no
/// business of the internet's.
async fn metrics(
    req: HttpRequest,
    settings: web::Data<Settings>,
    metrics: web::Data<Metrics>,
    pool: web::Data<PgPool>,
) -> HttpResponse {
    let token = settings.metrics.token.expose_secret();
    let presented = req
        .headers()
        .get(AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .unwrap_or_default();
    let allowed = !token.is_empty() && bool::from(presented.as_bytes().ct_eq(token.as_bytes()));
    if !allowed {
        return HttpResponse::NotFound().finish();
    }
    HttpResponse::Ok()
        .content_type("application/openmetrics-text; version=1.0.0; charset=utf-8")
        .insert_header(("Cache-Control", "no-store"))
        .body(metrics.render(&pool).await)
}
