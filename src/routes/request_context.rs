//! Every request's id and its metrics. The id is the `X-Request-Id` a trusted proxy set
//! (nginx makes one per request, docs/deploy.md) or one made here; it is in the request's
//! log span, in the response's `X-Request-Id`, and in every outbox row the request
//! writes, so one villager's "I got no message" can be followed from nginx's log to the
//! push. From anyone but a trusted proxy the header is ignored: it would let a caller
//! write into our logs.

use std::time::Instant;

use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::{HeaderName, HeaderValue};
use actix_web::middleware::Next;
use actix_web::{Error, HttpMessage, web};

use super::client::TrustedProxies;
use crate::metrics::Metrics;

pub const HEADER: HeaderName = HeaderName::from_static("x-request-id");

/// The id, in the request's extensions (read by the log span).
#[derive(Clone, Debug)]
pub struct RequestId(pub String);

tokio::task_local! {
    /// The id of the request this task serves, for code far from the handler (the
    /// outbox insert) that should not take it as a parameter through every layer.
    static CURRENT: String;
}

/// The id of the request being served, if this runs inside one.
pub fn current() -> Option<String> {
    CURRENT.try_with(Clone::clone).ok()
}

/// A proxy's id is kept when it is short and plain (nginx's `$request_id` is 32 hex
/// digits; a UUID has dashes); anything else is replaced.
fn acceptable(id: &str) -> bool {
    (8..=64).contains(&id.len())
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_' || b == b'.')
}

fn id_for(req: &ServiceRequest) -> String {
    let trusted = req.peer_addr().is_some_and(|peer| {
        req.app_data::<web::Data<TrustedProxies>>()
            .is_some_and(|proxies| proxies.trusts(peer.ip()))
    });
    if trusted
        && let Some(id) = req.headers().get(&HEADER).and_then(|v| v.to_str().ok())
        && acceptable(id)
    {
        return id.to_owned();
    }
    uuid::Uuid::new_v4().simple().to_string()
}

/// The outermost middleware: names the request, serves it inside that name, and counts it.
pub async fn middleware(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<impl MessageBody + 'static>, Error> {
    let started = Instant::now();
    let id = id_for(&req);
    req.extensions_mut().insert(RequestId(id.clone()));
    let metrics = req.app_data::<web::Data<Metrics>>().cloned();
    let route = req.match_pattern();
    let method = req.method().as_str().to_owned();
    let mut outcome = CURRENT.scope(id.clone(), next.call(req)).await;
    let status = match &mut outcome {
        Ok(response) => {
            if let Ok(value) = HeaderValue::from_str(&id) {
                response.headers_mut().insert(HEADER, value);
            }
            response.status()
        }
        Err(e) => e.as_response_error().status_code(),
    };
    if let Some(metrics) = metrics {
        metrics.observe_request(
            route.as_deref(),
            &method,
            status.as_u16(),
            started.elapsed(),
        );
    }
    outcome
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_plain_short_ids_are_kept() {
        assert!(acceptable("0f8fad5bd9cb469fa16570867728950e"));
        assert!(acceptable("req-1234.abcd_EF"));
        assert!(!acceptable("short"));
        assert!(!acceptable(&"a".repeat(65)));
        assert!(!acceptable("abc def ghij"));
        assert!(!acceptable("abcdefgh\nforged log line"));
        assert!(!acceptable("请求编号一二三四"));
    }
}
