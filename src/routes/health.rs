//! `/healthz`: 200 when Postgres and Redis answer, 503 naming the one that does not. It
//! is public, so it says "down" and nothing more; the reason goes to the log.

use actix_web::{HttpResponse, web};
use serde::Serialize;
use sqlx::PgPool;

use crate::kv::Kv;
use crate::storage;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route(super::paths::HEALTHZ, web::get().to(healthz));
}

#[derive(Serialize)]
struct Health {
    status: &'static str,
    postgres: &'static str,
    redis: &'static str,
}

async fn healthz(
    pool: web::Data<PgPool>,
    kv: web::Data<Kv>,
    database: web::Data<storage::database::Availability>,
) -> HttpResponse {
    let pg = async {
        // What pages believe, first: while the watcher sees it down, pages say so.
        if database.is_down() {
            return Err(anyhow::anyhow!("the watcher's connection gets no answer"));
        }
        storage::database::ping(&pool).await
    };
    let (pg, redis) = tokio::join!(pg, kv.ping());
    let postgres = match pg {
        Ok(()) => "ok",
        Err(e) => {
            tracing::warn!(error = %e, "health check: Postgres does not answer");
            "down"
        }
    };
    let redis_state = match redis {
        Ok(()) if kv.is_shared() => "ok",
        Ok(()) => "in-process",
        Err(e) => {
            tracing::warn!(error = %e, "health check: Redis does not answer");
            "down"
        }
    };
    let healthy = postgres != "down" && redis_state != "down";
    let body = Health {
        status: if healthy { "ok" } else { "unavailable" },
        postgres,
        redis: redis_state,
    };
    if healthy {
        HttpResponse::Ok().json(body)
    } else {
        HttpResponse::ServiceUnavailable().json(body)
    }
}
