//! The single authorisation check of the staff API: `Authorization: Bearer <token>`,
//! looked up by its SHA-256 in `staff_tokens`. The staff issue replaces the token table
//! with accounts; handlers only ever see the resulting [`Staff`].

use std::future::Future;
use std::pin::Pin;

use actix_web::{FromRequest, HttpRequest, dev::Payload, web};
use sha2::{Digest, Sha256};
use sqlx::PgPool;

use crate::domain::staff::Staff;
use crate::routes::error::JsonError;
use crate::storage;

/// The digest stored for a token.
pub fn token_digest(token: &str) -> [u8; 32] {
    Sha256::digest(token.as_bytes()).into()
}

/// A new random token: 32 bytes, hex.
pub fn new_token() -> String {
    let bytes: [u8; 32] = rand::random();
    hex::encode(bytes)
}

impl FromRequest for Staff {
    type Error = JsonError;
    type Future = Pin<Box<dyn Future<Output = Result<Staff, JsonError>>>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let pool = req.app_data::<web::Data<PgPool>>().cloned();
        let header = req
            .headers()
            .get(actix_web::http::header::AUTHORIZATION)
            .and_then(|h| h.to_str().ok())
            .map(str::to_owned);
        Box::pin(async move {
            let pool =
                pool.ok_or_else(|| JsonError::internal(anyhow::anyhow!("no database pool")))?;
            let token = header
                .as_deref()
                .and_then(|h| h.strip_prefix("Bearer "))
                .map(str::trim)
                .filter(|t| !t.is_empty())
                .ok_or_else(|| {
                    JsonError::Unauthorized(
                        "a staff token is required (Authorization: Bearer …)".into(),
                    )
                })?;
            storage::staff_tokens::find_active(&pool, &token_digest(token))
                .await?
                .ok_or_else(|| JsonError::Unauthorized("unknown or revoked staff token".into()))
        })
    }
}
