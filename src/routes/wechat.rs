//! `GET /wechat` (URL verification) and `POST /wechat` (messages): extract the query and
//! a body of at most 64 KiB, call the webhook, map the result. Refusals are logged with
//! the remote address.

use actix_web::http::StatusCode;
use actix_web::http::header::{CONTENT_LENGTH, ContentType};
use actix_web::{HttpRequest, HttpResponse, web};
use futures::StreamExt;

use crate::routes::error::json_error;
use crate::wechat::{MAX_BODY_BYTES, Params, Response, Webhook, WebhookError};

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(
        web::resource("/wechat")
            .route(web::get().to(verify))
            .route(web::post().to(receive)),
    );
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
) -> HttpResponse {
    let result = async {
        let params = params(&req)?;
        let body = read_body(&req, payload).await?;
        webhook.receive(&params, &body).await
    }
    .await;
    match result {
        Ok(Response::Success) => HttpResponse::Ok()
            .content_type(ContentType::plaintext())
            .body(crate::wechat::reply::SUCCESS),
        Ok(Response::Xml(xml)) => HttpResponse::Ok()
            .content_type(ContentType::xml())
            .body(xml),
        Err(e) => refuse(&req, &e),
    }
}

fn params(req: &HttpRequest) -> Result<Params, WebhookError> {
    web::Query::<Params>::from_query(req.query_string())
        .map(web::Query::into_inner)
        .map_err(|_| WebhookError::MissingParam("signature"))
}

/// The body, refused as soon as it passes the limit (declared or streamed).
async fn read_body(req: &HttpRequest, mut payload: web::Payload) -> Result<Vec<u8>, WebhookError> {
    let declared = req
        .headers()
        .get(CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<usize>().ok());
    if declared.is_some_and(|n| n > MAX_BODY_BYTES) {
        return Err(WebhookError::TooLarge);
    }
    let mut body = Vec::with_capacity(declared.unwrap_or(1024).min(MAX_BODY_BYTES));
    while let Some(chunk) = payload.next().await {
        let chunk = chunk.map_err(|_| WebhookError::Unreadable)?;
        if body.len() + chunk.len() > MAX_BODY_BYTES {
            return Err(WebhookError::TooLarge);
        }
        body.extend_from_slice(&chunk);
    }
    Ok(body)
}

fn refuse(req: &HttpRequest, e: &WebhookError) -> HttpResponse {
    let status = match e {
        WebhookError::TooLarge => StatusCode::PAYLOAD_TOO_LARGE,
        WebhookError::BadSignature | WebhookError::BadMsgSignature | WebhookError::Stale => {
            StatusCode::FORBIDDEN
        }
        _ => StatusCode::BAD_REQUEST,
    };
    let info = req.connection_info();
    tracing::warn!(
        peer = %req.peer_addr().map(|a| a.to_string()).unwrap_or_default(),
        forwarded_for = info.realip_remote_addr().unwrap_or(""),
        status = status.as_u16(),
        reason = %e,
        "refused a webhook request"
    );
    json_error(status, &e.to_string())
}
