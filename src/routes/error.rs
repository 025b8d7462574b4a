//! Errors of the JSON endpoints: the status and `{"error": "<short reason>"}`. The cause
//! of an internal error goes to the log, never to the client.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, ResponseError};

#[derive(thiserror::Error)]
pub enum JsonError {
    #[error("{0}")]
    BadRequest(String),
    #[error("{0}")]
    NotFound(String),
    #[error("{0}")]
    Unauthorized(String),
    #[error("{0}")]
    Forbidden(String),
    #[error("{0}")]
    Conflict(String),
    #[error("{0}")]
    TooManyRequests(String),
    #[error("{0}")]
    Unavailable(String),
    #[error("internal error")]
    Internal(#[source] anyhow::Error),
}

impl JsonError {
    pub fn bad_request(reason: impl Into<String>) -> JsonError {
        JsonError::BadRequest(reason.into())
    }

    pub fn not_found(reason: impl Into<String>) -> JsonError {
        JsonError::NotFound(reason.into())
    }

    pub fn internal(cause: impl Into<anyhow::Error>) -> JsonError {
        JsonError::Internal(cause.into())
    }
}

impl From<sqlx::Error> for JsonError {
    fn from(e: sqlx::Error) -> JsonError {
        JsonError::Internal(e.into())
    }
}

impl std::fmt::Debug for JsonError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        error_chain_fmt(self, f)
    }
}

impl ResponseError for JsonError {
    fn status_code(&self) -> StatusCode {
        match self {
            JsonError::BadRequest(_) => StatusCode::BAD_REQUEST,
            JsonError::NotFound(_) => StatusCode::NOT_FOUND,
            JsonError::Unauthorized(_) => StatusCode::UNAUTHORIZED,
            JsonError::Forbidden(_) => StatusCode::FORBIDDEN,
            JsonError::Conflict(_) => StatusCode::CONFLICT,
            JsonError::TooManyRequests(_) => StatusCode::TOO_MANY_REQUESTS,
            JsonError::Unavailable(_) => StatusCode::SERVICE_UNAVAILABLE,
            JsonError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    fn error_response(&self) -> HttpResponse {
        if let JsonError::Internal(cause) = self {
            tracing::error!(error.cause_chain = ?cause, "request failed");
        }
        json_error(self.status_code(), &self.to_string())
    }
}

/// The JSON error body with a status.
pub fn json_error(status: StatusCode, reason: &str) -> HttpResponse {
    HttpResponse::build(status).json(serde_json::json!({ "error": reason }))
}

/// Writes an error and every cause below it, one per line, for logs.
pub fn error_chain_fmt(
    e: &impl std::error::Error,
    f: &mut std::fmt::Formatter<'_>,
) -> std::fmt::Result {
    writeln!(f, "{e}")?;
    let mut cause = e.source();
    while let Some(c) = cause {
        writeln!(f, "Caused by:\n\t{c}")?;
        cause = c.source();
    }
    Ok(())
}
