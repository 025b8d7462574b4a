//! `/healthz`: 200 when Postgres and Redis answer, 503 naming the one that does not.

use actix_web::{HttpResponse, web};
use serde::Serialize;
use sqlx::PgPool;

use crate::kv::Kv;
use crate::storage;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/healthz", web::get().to(healthz));
}

#[derive(Serialize)]
struct Health {
    status: &'static str,
    postgres: String,
    redis: String,
}

async fn healthz(pool: web::Data<PgPool>, kv: web::Data<Kv>) -> HttpResponse {
    let (pg, redis) = tokio::join!(storage::database::ping(&pool), kv.ping());
    let postgres = match pg {
        Ok(()) => "ok".to_owned(),
        Err(e) => format!("down: {e}"),
    };
    let redis_state = match redis {
        Ok(()) if kv.is_shared() => "ok".to_owned(),
        Ok(()) => "in-process".to_owned(),
        Err(e) => format!("down: {e}"),
    };
    let healthy = !postgres.starts_with("down") && !redis_state.starts_with("down");
    let body = Health {
        status: if healthy { "ok" } else { "unavailable" },
        postgres,
        redis: redis_state,
    };
    if healthy {
        HttpResponse::Ok().json(body)
    } else {
        tracing::warn!(postgres = %body.postgres, redis = %body.redis, "health check failed");
        HttpResponse::ServiceUnavailable().json(body)
    }
}
