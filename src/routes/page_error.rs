//! Errors of the HTML pages, the counterpart of `error::JsonError`: the status and a
//! friendly page in the site's layout that says what happened in plain words and offers
//! the search box and a way home. An internal cause is logged, never shown.

use actix_web::http::StatusCode;
use actix_web::http::header::CACHE_CONTROL;
use actix_web::{HttpResponse, ResponseError};
use askama::Template;

use super::error::error_chain_fmt;
use super::pages::{Layout, SearchBox, html_response};

#[derive(thiserror::Error)]
pub enum PageError {
    /// Nothing here: the message says what was looked for, in Chinese.
    #[error("{0}")]
    NotFound(String),
    /// The address is malformed: the message says how, in Chinese.
    #[error("{0}")]
    BadRequest(String),
    /// Someone else's page (a complaint is shown only to whoever filed it).
    #[error("{0}")]
    Forbidden(String),
    /// The service cannot answer now (the database does not answer, too many uploads
    /// at once): the message says to try again, in Chinese.
    #[error("{0}")]
    Unavailable(String),
    #[error("internal error")]
    Internal(#[source] anyhow::Error),
}

impl PageError {
    pub fn not_found(message: impl Into<String>) -> PageError {
        PageError::NotFound(message.into())
    }

    pub fn bad_request(message: impl Into<String>) -> PageError {
        PageError::BadRequest(message.into())
    }

    pub fn forbidden(message: impl Into<String>) -> PageError {
        PageError::Forbidden(message.into())
    }

    pub fn unavailable(message: impl Into<String>) -> PageError {
        PageError::Unavailable(message.into())
    }

    pub fn internal(cause: impl Into<anyhow::Error>) -> PageError {
        PageError::Internal(cause.into())
    }
}

/// What a page says when the database does not answer.
pub const DATABASE_DOWN: &str = "系统正在维护或访问的人较多，页面暂时打不开，请稍后再试。";

impl From<sqlx::Error> for PageError {
    fn from(e: sqlx::Error) -> PageError {
        if crate::storage::database::is_unavailable(&e) {
            tracing::warn!(error = %e, "the database does not answer");
            return PageError::Unavailable(DATABASE_DOWN.to_owned());
        }
        PageError::Internal(e.into())
    }
}

impl From<askama::Error> for PageError {
    fn from(e: askama::Error) -> PageError {
        PageError::Internal(e.into())
    }
}

impl std::fmt::Debug for PageError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        error_chain_fmt(self, f)
    }
}

#[derive(Template)]
#[template(path = "error.html")]
struct ErrorPage<'a> {
    page: Layout,
    heading: &'a str,
    message: &'a str,
    search: SearchBox,
}

impl ResponseError for PageError {
    fn status_code(&self) -> StatusCode {
        match self {
            PageError::NotFound(_) => StatusCode::NOT_FOUND,
            PageError::BadRequest(_) => StatusCode::BAD_REQUEST,
            PageError::Forbidden(_) => StatusCode::FORBIDDEN,
            PageError::Unavailable(_) => StatusCode::SERVICE_UNAVAILABLE,
            PageError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    fn error_response(&self) -> HttpResponse {
        let (heading, message) = match self {
            PageError::NotFound(m) => ("没有找到这个页面", m.as_str()),
            PageError::BadRequest(m) => ("网址有误", m.as_str()),
            PageError::Forbidden(m) => ("无权查看", m.as_str()),
            PageError::Unavailable(m) => ("系统繁忙", m.as_str()),
            PageError::Internal(cause) => {
                tracing::error!(error.cause_chain = ?cause, "page failed");
                ("系统繁忙", "页面暂时打不开，请稍后再试。")
            }
        };
        let page = ErrorPage {
            page: Layout::bare(heading),
            heading,
            message,
            search: SearchBox::everywhere(),
        };
        let status = self.status_code();
        // A missing page may appear later (a village publishes); an outage passes; a
        // refusal depends on who asks.
        let cache = if status.is_server_error() || status == StatusCode::FORBIDDEN {
            "no-store"
        } else {
            "public, max-age=60"
        };
        match page.render() {
            Ok(body) => {
                let mut response = html_response(status, body);
                response.headers_mut().insert(
                    CACHE_CONTROL,
                    actix_web::http::header::HeaderValue::from_static(cache),
                );
                response
            }
            Err(e) => {
                tracing::error!(error = %e, "the error page did not render");
                HttpResponse::build(status)
                    .content_type("text/plain; charset=utf-8")
                    .body(heading.to_owned())
            }
        }
    }
}
