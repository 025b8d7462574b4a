//! Logging: `tracing` with a pretty (terminal) or JSON (collector) format. `RUST_LOG`
//! overrides the configured filter. Never log secrets, cookies, raw bodies, query
//! strings (they carry OAuth codes, signatures, nonces and openids), or a complainant's
//! name or phone; log openids through [`hashed`].

use std::sync::OnceLock;

use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::{Error, HttpMessage};
use hmac::{Hmac, Mac};
use sha2::Sha256;
use tracing::Span;
use tracing_actix_web::{DefaultRootSpanBuilder, RootSpanBuilder};
use tracing_subscriber::EnvFilter;
use tracing_subscriber::fmt::writer::MakeWriterExt;

use crate::configuration::{LogFormat, LogSettings};

/// Installs the global subscriber. Safe to call twice (the second call does nothing),
/// which tests rely on.
pub fn init(settings: &LogSettings) {
    let filter = EnvFilter::try_from_default_env()
        .or_else(|_| EnvFilter::try_new(&settings.filter))
        .unwrap_or_else(|_| EnvFilter::new("info"));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr.with_max_level(tracing::Level::TRACE));
    let _ = match settings.format {
        LogFormat::Pretty => builder.with_target(false).try_init(),
        LogFormat::Json => builder.json().flatten_event(true).try_init(),
    };
}

static LOG_KEY: OnceLock<Hmac<Sha256>> = OnceLock::new();

/// Keys [`hashed`] with a secret of the deployment, so that a log reader cannot test
/// a guessed openid against the log. Without a key (a command that never set one) a
/// random one per process is used. The first call wins.
pub fn set_log_key(secret: &[u8]) {
    let _ = LOG_KEY.set(keyed(secret));
}

/// HMAC-SHA256 under a block-sized key derived from `secret` (infallible, unlike a
/// key of arbitrary length).
fn keyed(secret: &[u8]) -> Hmac<Sha256> {
    use sha2::{Digest, Sha512};
    let block: [u8; 64] = Sha512::new()
        .chain_update(b"sunvillage-log-id|")
        .chain_update(secret)
        .finalize()
        .into();
    <Hmac<Sha256> as hmac::digest::KeyInit>::new(&block.into())
}

fn log_key() -> &'static Hmac<Sha256> {
    LOG_KEY.get_or_init(|| keyed(&rand::random::<[u8; 32]>()))
}

/// A short, stable stand-in for an identifier that must not appear in logs (an openid):
/// an HMAC under the deployment's secret, enough to follow one follower through the
/// log, useless to anyone reading it without the secret.
pub fn hashed(value: &str) -> String {
    let mut mac = log_key().clone();
    mac.update(value.as_bytes());
    hex::encode(&mac.finalize().into_bytes()[..6])
}

/// The root span of every request: method, route pattern, path and request id, but not
/// the query string, which is where OAuth codes, signatures, nonces and openids travel.
/// Errors are logged here once: server errors at ERROR, refusals at INFO (a browser
/// sent to sign in is not an error).
pub struct RequestSpan;

impl RootSpanBuilder for RequestSpan {
    fn on_request_start(request: &ServiceRequest) -> Span {
        let request_id = request
            .extensions()
            .get::<crate::routes::request_context::RequestId>()
            .map(|id| id.0.clone())
            .unwrap_or_default();
        tracing::info_span!(
            "request",
            http.method = %request.method(),
            http.route = request.match_pattern().unwrap_or_default(),
            http.path = %request.path(),
            request_id,
            http.status_code = tracing::field::Empty,
            otel.status_code = tracing::field::Empty,
            exception.message = tracing::field::Empty,
            exception.details = tracing::field::Empty,
        )
    }

    fn on_request_end<B: MessageBody>(span: Span, outcome: &Result<ServiceResponse<B>, Error>) {
        let failure = match outcome {
            Ok(response) => response
                .response()
                .error()
                .map(|e| (response.status(), format!("{e:?}"))),
            Err(e) => Some((e.as_response_error().status_code(), format!("{e:?}"))),
        };
        if let Some((status, details)) = failure {
            span.in_scope(|| {
                if status.is_server_error() {
                    tracing::error!(status = status.as_u16(), error = %details, "request failed");
                } else if status.is_redirection() {
                    // The ordinary "sign in first" answer of every follower page.
                    tracing::debug!(status = status.as_u16(), "redirected");
                } else {
                    tracing::info!(status = status.as_u16(), "request refused");
                }
            });
        }
        DefaultRootSpanBuilder::on_request_end(span, outcome);
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn hashed_is_stable_and_hides_the_value() {
        let a = super::hashed("oLVPpjqs9BhvzwPj5A-vTYAX3GLc");
        assert_eq!(a, super::hashed("oLVPpjqs9BhvzwPj5A-vTYAX3GLc"));
        assert_eq!(a.len(), 12);
        assert!(!a.contains("oLVP"));
        assert_ne!(a, super::hashed("oLVPpjqs9BhvzwPj5A-vTYAX3GLd"));
    }
}
