//! `GET /wechat` (URL verification) and `POST /wechat` (messages). A message's URL
//! signature and timestamp are checked before a byte of its body is read; the body is
//! then read under a deadline, into a buffer that grows with what arrives (never sized
//! from the declared length), by at most `webhook.max_body_readers` requests at once.
//! So a sender that is not WeChat, or one that sends slowly, holds nothing for long.

use std::sync::Arc;
use std::time::Duration;

use actix_web::http::StatusCode;
use actix_web::http::header::{CONTENT_LENGTH, ContentType};
use actix_web::{HttpRequest, HttpResponse, web};
use futures::StreamExt;
use tokio::sync::Semaphore;

use crate::routes::client::client_ip;
use crate::routes::error::json_error;
use crate::routes::query::{self, QueryError};
use crate::wechat::webhook::{MAX_BODY_BYTES, Params, Response, Webhook, WebhookError};

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(
        web::resource(super::paths::WECHAT)
            .route(web::get().to(verify))
            .route(web::post().to(receive)),
    );
}

/// The permits of requests reading their body; one per process.
#[derive(Clone)]
pub struct BodyReaders(Arc<Semaphore>);

impl BodyReaders {
    pub fn new(max: usize) -> BodyReaders {
        BodyReaders(Arc::new(Semaphore::new(max)))
    }
}

async fn verify(req: HttpRequest, webhook: web::Data<Webhook>) -> HttpResponse {
    let result = params(&req).and_then(|p| webhook.verify_url(&p));
    match result {
        Ok(echostr) => HttpResponse::Ok()
            .content_type(ContentType::plaintext())
            .body(echostr),
        Err(e) => refuse(&req, &e),
    }
}

async fn receive(
    req: HttpRequest,
    payload: web::Payload,
    webhook: web::Data<Webhook>,
    readers: web::Data<BodyReaders>,
) -> HttpResponse {
    let result = async {
        let params = params(&req)?;
        webhook.verify_signature(&params)?;
        let timeout = Duration::from_millis(webhook.settings().webhook.body_timeout_ms);
        let body = read_body(&req, payload, &readers, timeout).await?;
        webhook.receive(&params, &body).await
    }
    .await;
    match result {
        Ok(Response::Success) => HttpResponse::Ok()
            .content_type(ContentType::plaintext())
            .body(crate::wechat::webhook::reply::SUCCESS),
        // actix's ContentType::xml() is `text/xml` alone, which HTTP's default reads
        // as Latin-1.
        Ok(Response::Xml(xml)) => HttpResponse::Ok()
            .content_type("text/xml; charset=utf-8")
            .body(xml),
        Err(e) => refuse(&req, &e),
    }
}

fn params(req: &HttpRequest) -> Result<Params, WebhookError> {
    query::parse::<Params>(req.query_string()).map_err(|e| match e {
        QueryError::Duplicate(name) => WebhookError::DuplicateParam(name),
        QueryError::Malformed => WebhookError::BadQuery,
    })
}

/// The body, refused as soon as it passes the limit (declared or streamed) or the
/// deadline.
async fn read_body(
    req: &HttpRequest,
    mut payload: web::Payload,
    readers: &BodyReaders,
    timeout: Duration,
) -> Result<Vec<u8>, WebhookError> {
    let declared = req
        .headers()
        .get(CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<usize>().ok());
    if declared.is_some_and(|n| n > MAX_BODY_BYTES) {
        return Err(WebhookError::TooLarge);
    }
    let _reading = readers.0.try_acquire().map_err(|_| WebhookError::Busy)?;
    let read = async {
        let mut body = Vec::new();
        while let Some(chunk) = payload.next().await {
            let chunk = chunk.map_err(|_| WebhookError::Unreadable)?;
            if body.len() + chunk.len() > MAX_BODY_BYTES {
                return Err(WebhookError::TooLarge);
            }
            body.extend_from_slice(&chunk);
        }
        Ok(body)
    };
    tokio::time::timeout(timeout, read)
        .await
        .map_err(|_| WebhookError::SlowBody)?
}

fn refuse(req: &HttpRequest, e: &WebhookError) -> HttpResponse {
    let status = match e {
        WebhookError::TooLarge => StatusCode::PAYLOAD_TOO_LARGE,
        WebhookError::BadSignature
        | WebhookError::BadMsgSignature
        | WebhookError::Stale
        | WebhookError::ReusedSignature => StatusCode::FORBIDDEN,
        WebhookError::SlowBody => StatusCode::REQUEST_TIMEOUT,
        WebhookError::Busy | WebhookError::ReplayCheckUnavailable => {
            StatusCode::SERVICE_UNAVAILABLE
        }
        _ => StatusCode::BAD_REQUEST,
    };
    tracing::warn!(
        client = %client_ip(req).map(|a| a.to_string()).unwrap_or_default(),
        status = status.as_u16(),
        reason = %e,
        "refused a webhook request"
    );
    let mut response = json_error(status, &e.to_string());
    // Whatever a refused sender still has in flight is not worth reading.
    response
        .head_mut()
        .set_connection_type(actix_web::http::ConnectionType::Close);
    response
}
