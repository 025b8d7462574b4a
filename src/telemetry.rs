//! Logging: `tracing` with a pretty (terminal) or JSON (collector) format. `RUST_LOG`
//! overrides the configured filter. Never log secrets, cookies, raw bodies or a
//! complainant's name or phone; log openids through [`hashed`].

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

/// A short, stable stand-in for an identifier that must not appear in logs (an openid):
/// enough to follow one follower through the log, useless to anyone reading it.
pub fn hashed(value: &str) -> String {
    use sha1::{Digest, Sha1};
    let digest = Sha1::digest(format!("sunvillage-log:{value}").as_bytes());
    hex::encode(&digest[..6])
}

#[cfg(test)]
mod tests {
    #[test]
    fn hashed_is_stable_and_hides_the_value() {
        let a = super::hashed("oLVPpjqs9BhvzwPj5A-vTYAX3GLc");
        assert_eq!(a, super::hashed("oLVPpjqs9BhvzwPj5A-vTYAX3GLc"));
        assert_eq!(a.len(), 12);
        assert!(!a.contains("oLVP"));
    }
}
