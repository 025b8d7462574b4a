//! Settings in layers: `config/default.toml` (compiled in), an optional file given with
//! `--config`, then environment variables `APP__SECTION__KEY`. Secrets are `SecretString`
//! and are exposed only where they are used.

use std::net::SocketAddr;
use std::path::Path;

use config::{Config, Environment as EnvSource, File, FileFormat};
use secrecy::{ExposeSecret, SecretString};
use serde::Deserialize;
use serde_aux::field_attributes::deserialize_number_from_string;
use sqlx::postgres::PgConnectOptions;

/// The base layer, identical to `config/default.toml`.
pub const DEFAULT_TOML: &str = include_str!("../config/default.toml");

/// Prefix of environment overrides: `APP__WECHAT__MODE=safe` sets `wechat.mode`.
pub const ENV_PREFIX: &str = "APP";

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Settings {
    pub environment: AppEnvironment,
    pub public_base_url: String,
    pub server: ServerSettings,
    pub database: DatabaseSettings,
    pub redis: RedisSettings,
    pub wechat: WechatSettings,
    pub webhook: WebhookSettings,
    pub log: LogSettings,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum AppEnvironment {
    Development,
    Production,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ServerSettings {
    pub bind: String,
    #[serde(deserialize_with = "deserialize_number_from_string")]
    pub workers: usize,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DatabaseSettings {
    /// May carry the password, so it is a secret as a whole.
    pub url: SecretString,
    #[serde(deserialize_with = "deserialize_number_from_string")]
    pub max_connections: u32,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RedisSettings {
    /// Empty: the in-process store. May carry a password.
    pub url: SecretString,
    pub key_prefix: String,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WechatSettings {
    pub app_id: String,
    pub app_secret: SecretString,
    pub token: SecretString,
    pub encoding_aes_key: SecretString,
    pub mode: WechatMode,
    pub api_base: String,
}

/// How the account's messages travel (消息加解密方式 in the WeChat console).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum WechatMode {
    /// 明文模式.
    Plain,
    /// 兼容模式: plain fields and `Encrypt` side by side.
    Compatible,
    /// 安全模式: only `Encrypt`.
    Safe,
}

/// How the `/wechat` webhook guards against replays and retries, and how it batches
/// the inbound message log.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WebhookSettings {
    /// A signed request whose timestamp is further than this from our clock is refused
    /// as a replay; 0 turns the check off.
    #[serde(deserialize_with = "deserialize_number_from_string")]
    pub replay_window_s: u64,
    /// How long a message's de-duplication key, and the reply stored with it, live.
    #[serde(deserialize_with = "deserialize_number_from_string")]
    pub dedup_ttl_s: u64,
    /// How long a retry that arrives while the first delivery is still being answered
    /// waits for that answer before it gets `success`.
    #[serde(deserialize_with = "deserialize_number_from_string")]
    pub retry_wait_ms: u64,
    /// Inbound texts written per insert.
    #[serde(deserialize_with = "deserialize_number_from_string")]
    pub log_batch_size: usize,
    /// The longest an inbound text waits before it is written.
    #[serde(deserialize_with = "deserialize_number_from_string")]
    pub log_flush_ms: u64,
}

impl WebhookSettings {
    fn validate(&self) -> Result<(), SettingsError> {
        if self.dedup_ttl_s == 0 {
            return Err(invalid("webhook.dedup_ttl_s", "must be at least 1"));
        }
        // WeChat gives up on an answer after 5 s.
        if self.retry_wait_ms >= 5_000 {
            return Err(invalid(
                "webhook.retry_wait_ms",
                "must stay below WeChat's 5000 ms budget",
            ));
        }
        if self.log_batch_size == 0 || self.log_batch_size > 10_000 {
            return Err(invalid("webhook.log_batch_size", "must be 1 to 10000"));
        }
        if self.log_flush_ms == 0 {
            return Err(invalid("webhook.log_flush_ms", "must be at least 1"));
        }
        Ok(())
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LogSettings {
    pub format: LogFormat,
    pub filter: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum LogFormat {
    Pretty,
    Json,
}

/// A setting that is missing or wrong; the message names it.
#[derive(Debug, thiserror::Error)]
pub enum SettingsError {
    #[error("configuration: {0}")]
    Load(#[from] config::ConfigError),
    #[error("configuration: {key}: {reason}")]
    Invalid { key: &'static str, reason: String },
}

fn invalid(key: &'static str, reason: impl Into<String>) -> SettingsError {
    SettingsError::Invalid {
        key,
        reason: reason.into(),
    }
}

impl Settings {
    /// Reads the layers from the real process environment.
    pub fn load(file: Option<&Path>) -> Result<Settings, SettingsError> {
        Settings::load_with_env(file, None)
    }

    /// Reads the layers with `env` standing in for the process environment (for tests).
    pub fn load_with_env(
        file: Option<&Path>,
        env: Option<std::collections::HashMap<String, String>>,
    ) -> Result<Settings, SettingsError> {
        let mut builder =
            Config::builder().add_source(File::from_str(DEFAULT_TOML, FileFormat::Toml));
        if let Some(path) = file {
            builder = builder.add_source(File::from(path).required(true));
        }
        let env_source = EnvSource::with_prefix(ENV_PREFIX)
            .separator("__")
            .source(env);
        let settings: Settings = builder.add_source(env_source).build()?.try_deserialize()?;
        settings.validate()?;
        Ok(settings)
    }

    /// Checks what serde cannot: formats, non-empty secrets, and values that only make
    /// sense together.
    pub fn validate(&self) -> Result<(), SettingsError> {
        let base = url::Url::parse(&self.public_base_url)
            .map_err(|e| invalid("public_base_url", format!("not a URL: {e}")))?;
        if !matches!(base.scheme(), "http" | "https") || base.host().is_none() {
            return Err(invalid(
                "public_base_url",
                "must be an http(s) URL with a host",
            ));
        }
        self.bind_address()?;
        if self.database.url.expose_secret().is_empty() {
            return Err(invalid("database.url", "is empty"));
        }
        self.database.connect_options()?;
        if self.database.max_connections == 0 {
            return Err(invalid("database.max_connections", "must be at least 1"));
        }
        let redis_url = self.redis.url.expose_secret();
        if !redis_url.is_empty() && redis::Client::open(redis_url).is_err() {
            return Err(invalid("redis.url", "is not a redis:// URL"));
        }
        self.wechat.validate()?;
        self.webhook.validate()?;
        Ok(())
    }

    pub fn bind_address(&self) -> Result<SocketAddr, SettingsError> {
        self.server.bind.parse().map_err(|_| {
            invalid(
                "server.bind",
                format!(
                    "`{}` is not an address like 127.0.0.1:8080",
                    self.server.bind
                ),
            )
        })
    }

    /// `public_base_url` without a trailing slash, ready to have paths appended.
    pub fn public_base(&self) -> &str {
        self.public_base_url.trim_end_matches('/')
    }
}

impl DatabaseSettings {
    pub fn connect_options(&self) -> Result<PgConnectOptions, SettingsError> {
        let url = self.url.expose_secret();
        if !(url.starts_with("postgres://") || url.starts_with("postgresql://")) {
            return Err(invalid("database.url", "must start with postgres://"));
        }
        self.url
            .expose_secret()
            .parse::<PgConnectOptions>()
            .map_err(|e| invalid("database.url", format!("not a Postgres URL: {e}")))
    }

    /// Host, port and database name, for logs (never the password).
    pub fn describe(&self) -> String {
        match self.connect_options() {
            Ok(o) => format!(
                "{}:{}/{}",
                o.get_host(),
                o.get_port(),
                o.get_database().unwrap_or("(default)")
            ),
            Err(_) => "(invalid)".to_owned(),
        }
    }
}

impl RedisSettings {
    pub fn is_configured(&self) -> bool {
        !self.url.expose_secret().is_empty()
    }
}

impl WechatSettings {
    fn validate(&self) -> Result<(), SettingsError> {
        if self.app_id.trim().is_empty() {
            return Err(invalid("wechat.app_id", "is empty"));
        }
        if self.token.expose_secret().is_empty() {
            return Err(invalid("wechat.token", "is empty"));
        }
        // The console allows 3–32 letters and digits.
        let token = self.token.expose_secret();
        if token.len() > 32
            || !token
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
        {
            return Err(invalid(
                "wechat.token",
                "must be at most 32 letters and digits",
            ));
        }
        if self.app_secret.expose_secret().is_empty() {
            return Err(invalid("wechat.app_secret", "is empty"));
        }
        if self.mode != WechatMode::Plain {
            let key = self.encoding_aes_key.expose_secret();
            if key.len() != 43 || !key.bytes().all(|b| b.is_ascii_alphanumeric()) {
                return Err(invalid(
                    "wechat.encoding_aes_key",
                    "must be the 43 letters and digits from the WeChat console",
                ));
            }
        }
        let api = url::Url::parse(&self.api_base)
            .map_err(|e| invalid("wechat.api_base", format!("not a URL: {e}")))?;
        if !matches!(api.scheme(), "http" | "https") {
            return Err(invalid("wechat.api_base", "must be an http(s) URL"));
        }
        Ok(())
    }

    /// `api_base` without a trailing slash.
    pub fn api_base(&self) -> &str {
        self.api_base.trim_end_matches('/')
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use claims::{assert_err, assert_ok};
    use std::collections::HashMap;

    fn env(pairs: &[(&str, &str)]) -> Option<HashMap<String, String>> {
        Some(
            pairs
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
        )
    }

    #[test]
    fn defaults_work_on_a_development_machine() {
        let s = assert_ok!(Settings::load_with_env(None, env(&[])));
        assert_eq!(s.server.bind, "127.0.0.1:8080");
        assert_eq!(s.wechat.mode, WechatMode::Plain);
        assert_eq!(s.environment, AppEnvironment::Development);
    }

    #[test]
    fn environment_variables_override_each_documented_key() {
        let s = assert_ok!(Settings::load_with_env(
            None,
            env(&[
                ("APP__SERVER__BIND", "0.0.0.0:9000"),
                ("APP__DATABASE__URL", "postgres://u:pw@db:5433/x"),
                ("APP__DATABASE__MAX_CONNECTIONS", "3"),
                ("APP__REDIS__URL", ""),
                ("APP__PUBLIC_BASE_URL", "https://cunwu.example.cn"),
                ("APP__WECHAT__APP_ID", "wxabc"),
                ("APP__WECHAT__APP_SECRET", "s3cret"),
                ("APP__WECHAT__TOKEN", "012345"),
                (
                    "APP__WECHAT__ENCODING_AES_KEY",
                    "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG"
                ),
                ("APP__WECHAT__MODE", "safe"),
                ("APP__WECHAT__API_BASE", "http://127.0.0.1:9999"),
            ])
        ));
        assert_eq!(s.server.bind, "0.0.0.0:9000");
        assert_eq!(s.database.max_connections, 3);
        assert!(!s.redis.is_configured());
        assert_eq!(s.public_base_url, "https://cunwu.example.cn");
        assert_eq!(s.wechat.app_id, "wxabc");
        // A token of digits keeps its leading zero: values are not parsed as numbers.
        assert_eq!(s.wechat.token.expose_secret(), "012345");
        assert_eq!(s.wechat.mode, WechatMode::Safe);
        assert_eq!(s.database.describe(), "db:5433/x");
    }

    #[test]
    fn a_bad_setting_is_named_in_the_error() {
        for (key, value, named) in [
            ("APP__WECHAT__MODE", "secret", "mode"),
            ("APP__SERVER__BIND", "localhost", "server.bind"),
            ("APP__PUBLIC_BASE_URL", "cunwu", "public_base_url"),
            ("APP__DATABASE__URL", "mysql://x", "database.url"),
            ("APP__WECHAT__TOKEN", "", "wechat.token"),
            ("APP__WEBHOOK__RETRY_WAIT_MS", "6000", "retry_wait_ms"),
            ("APP__WEBHOOK__DEDUP_TTL_S", "0", "webhook.dedup_ttl_s"),
            ("APP__WEBHOOK__LOG_BATCH_SIZE", "0", "log_batch_size"),
        ] {
            let result = Settings::load_with_env(None, env(&[(key, value)]));
            assert!(result.is_err(), "{key}={value} was accepted");
            let err = assert_err!(result);
            assert!(err.to_string().contains(named), "{key}: {err}");
        }
        let err = assert_err!(Settings::load_with_env(
            None,
            env(&[
                ("APP__WECHAT__MODE", "safe"),
                ("APP__WECHAT__ENCODING_AES_KEY", "short")
            ])
        ));
        assert!(err.to_string().contains("wechat.encoding_aes_key"));
    }

    #[test]
    fn an_unknown_key_stops_start_up() {
        let err = assert_err!(Settings::load_with_env(
            None,
            env(&[("APP__DATABASE__URLL", "x")])
        ));
        assert!(err.to_string().contains("urll"), "{err}");
    }

    #[test]
    fn secrets_never_appear_in_debug_output() {
        let s = assert_ok!(Settings::load_with_env(
            None,
            env(&[
                ("APP__WECHAT__APP_SECRET", "topsecretvalue"),
                ("APP__DATABASE__URL", "postgres://u:hunter2@db/x"),
            ])
        ));
        let dump = format!("{s:?}");
        assert!(!dump.contains("topsecretvalue"));
        assert!(!dump.contains("hunter2"));
    }

    #[test]
    fn the_production_example_names_its_missing_secrets() {
        let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("config/production.toml");
        let err = assert_err!(Settings::load_with_env(Some(&path), env(&[])));
        assert!(err.to_string().contains("database.url"), "{err}");
        let s = assert_ok!(Settings::load_with_env(
            Some(&path),
            env(&[
                ("APP__DATABASE__URL", "postgres://u:pw@db/x"),
                ("APP__WECHAT__APP_SECRET", "s"),
                ("APP__WECHAT__TOKEN", "t"),
                (
                    "APP__WECHAT__ENCODING_AES_KEY",
                    "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG"
                ),
            ])
        ));
        assert_eq!(s.environment, AppEnvironment::Production);
    }
}
