//! Settings in layers: `config/default.toml` (compiled in), an optional file given with
//! `--config`, then environment variables `APP__SECTION__KEY`. Secrets are `SecretString`
//! and are exposed only where they are used.
//!
//! Values are parsed once, while loading: `server.bind` is a `SocketAddr`,
//! `database.url` the connection options, `wechat.templates` the checked template
//! specs. A value that does not parse stops loading with an error naming its key (the
//! first bad one in the files' order); [`Settings::validate`] then checks what only makes
//! sense across keys.

use std::collections::BTreeMap;
use std::fmt;
use std::net::SocketAddr;
use std::path::Path;
use std::sync::Arc;

use config::{Config, Environment as EnvSource, File, FileFormat};
use secrecy::{ExposeSecret, SecretString};
use serde::{Deserialize, Deserializer};
use serde_aux::field_attributes::deserialize_number_from_string;
use sqlx::postgres::PgConnectOptions;

use crate::domain::notification::{NotificationKind, TemplateSpec};
use crate::transparency::note::NoteSigner;

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
    pub session: SessionSettings,
    pub outbox: OutboxSettings,
    pub webhook: WebhookSettings,
    pub log: LogSettings,
    pub pages: PageSettings,
    pub complaints: ComplaintSettings,
    pub publishing: PublishingSettings,
    pub transparency: TransparencySettings,
    pub crypto: CryptoSettings,
    pub retention: RetentionSettings,
    pub metrics: MetricsSettings,
    pub analysis: AnalysisSettings,
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
    /// The listen address, `127.0.0.1:8080` (port 0: any free port).
    #[serde(deserialize_with = "socket_address")]
    pub bind: SocketAddr,
    #[serde(deserialize_with = "deserialize_number_from_string")]
    pub workers: usize,
    /// Reverse proxies whose `X-Forwarded-For` is believed: addresses or networks,
    /// separated by commas (`10.0.0.5, 10.1.0.0/16`). Empty: the peer is the client.
    pub trusted_proxies: String,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DatabaseSettings {
    /// Where the database is; it may carry the password, so it never prints whole.
    pub url: DatabaseUrl,
    #[serde(deserialize_with = "deserialize_number_from_string")]
    pub max_connections: u32,
    /// Longest wait for a connection from the pool; a page or a reply that cannot get
    /// one by then answers "busy" instead of making the follower (or WeChat) wait.
    #[serde(deserialize_with = "deserialize_number_from_string")]
    pub acquire_timeout_ms: u64,
    /// A streaming replica the public read-only pages are served from (docs/scaling.md);
    /// empty: they read `url` like everything else.
    #[serde(default, deserialize_with = "optional_database_url")]
    pub read_url: Option<DatabaseUrl>,
}

fn optional_database_url<'de, D: Deserializer<'de>>(d: D) -> Result<Option<DatabaseUrl>, D::Error> {
    let raw = SecretString::deserialize(d)?;
    match raw.expose_secret() {
        "" => Ok(None),
        url => DatabaseUrl::parse(url)
            .map(Some)
            .map_err(serde::de::Error::custom),
    }
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
    /// Where the access_token comes from: `stable` (/cgi-bin/stable_token) or `token`.
    pub token_endpoint: TokenEndpoint,
    /// Template and field mapping per notification kind (`[wechat.templates.<kind>]`),
    /// each checked against the 2023 rules while loading.
    #[serde(default, deserialize_with = "templates")]
    pub templates: BTreeMap<NotificationKind, TemplateSpec>,
    /// Production refuses plain and compatible mode unless this is set: there the
    /// signature does not cover the body, so only safe mode authenticates a message.
    pub allow_unencrypted: bool,
    /// Longest wait for one answer from WeChat's API. At most 15 s, so that a call
    /// with its retries ends inside the 30 s token-refresh lock.
    #[serde(deserialize_with = "deserialize_number_from_string")]
    pub request_timeout_ms: u64,
}

/// The endpoint that issues access_tokens.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum TokenEndpoint {
    /// `POST /cgi-bin/stable_token`: the same token while it is valid, so instances and
    /// other systems using the account do not invalidate each other's.
    Stable,
    /// `GET /cgi-bin/token`: every call invalidates the previous token after 5 minutes.
    Token,
}

/// One `[wechat.templates.<kind>]` table as written: the template (模板ID from the
/// console) and which template keyword each notification field fills, e.g.
/// `fields = { status = "phrase2" }`. Read into a [`TemplateSpec`] at once.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct TemplateTable {
    template_id: String,
    fields: BTreeMap<String, String>,
}

fn templates<'de, D: Deserializer<'de>>(
    d: D,
) -> Result<BTreeMap<NotificationKind, TemplateSpec>, D::Error> {
    let tables = BTreeMap::<String, TemplateTable>::deserialize(d)?;
    tables
        .into_iter()
        .map(|(kind, t)| {
            let kind = NotificationKind::parse(&kind).map_err(serde::de::Error::custom)?;
            let spec = TemplateSpec::parse(&t.template_id, &t.fields)
                .map_err(|reason| serde::de::Error::custom(format!("{kind}: {reason}")))?;
            Ok((kind, spec))
        })
        .collect()
}

fn socket_address<'de, D: Deserializer<'de>>(d: D) -> Result<SocketAddr, D::Error> {
    let raw = String::deserialize(d)?;
    raw.trim().parse().map_err(|_| {
        serde::de::Error::custom(format!("`{raw}` is not an address like 127.0.0.1:8080"))
    })
}

/// `database.url`, parsed once into the options every connection is made with. Its
/// `Debug` shows host, port and database, never the user's password.
#[derive(Clone)]
pub struct DatabaseUrl(PgConnectOptions);

impl DatabaseUrl {
    pub fn parse(url: &str) -> Result<DatabaseUrl, String> {
        if url.is_empty() {
            return Err("is empty".into());
        }
        if !(url.starts_with("postgres://") || url.starts_with("postgresql://")) {
            return Err("must start with postgres://".into());
        }
        url.parse::<PgConnectOptions>()
            .map(DatabaseUrl)
            .map_err(|e| format!("not a Postgres URL: {e}"))
    }

    pub fn options(&self) -> &PgConnectOptions {
        &self.0
    }

    /// Host, port and database name, for logs.
    pub fn describe(&self) -> String {
        format!(
            "{}:{}/{}",
            self.0.get_host(),
            self.0.get_port(),
            self.0.get_database().unwrap_or("(default)")
        )
    }
}

impl fmt::Debug for DatabaseUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "DatabaseUrl({})", self.describe())
    }
}

impl<'de> Deserialize<'de> for DatabaseUrl {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<DatabaseUrl, D::Error> {
        // Read as a secret, so that no error path can echo it.
        let raw = SecretString::deserialize(d)?;
        DatabaseUrl::parse(raw.expose_secret()).map_err(serde::de::Error::custom)
    }
}

/// Follower sessions on pages (OAuth2 snsapi_base).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SessionSettings {
    /// Signs the session cookie; at least 32 bytes.
    pub secret: SecretString,
    /// Development only: every browser without a session acts as this openid.
    pub dev_openid: String,
    /// How long a session cookie is honoured.
    #[serde(deserialize_with = "deserialize_number_from_string")]
    pub max_age_hours: u32,
}

/// Topic classification of stored messages and complaints (docs/analysis.md).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AnalysisSettings {
    /// How often the worker classifies what arrived since, in seconds.
    #[serde(deserialize_with = "deserialize_number_from_string")]
    pub classify_every_seconds: u64,
}

/// `/metrics`, for the operator's Prometheus only.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MetricsSettings {
    /// The bearer token Prometheus sends (`authorization: Bearer …`); empty: `/metrics`
    /// answers 404, as to anyone without the token.
    pub token: SecretString,
}

impl MetricsSettings {
    fn validate(&self) -> Result<(), SettingsError> {
        let token = self.token.expose_secret();
        if !token.is_empty() && token.len() < 16 {
            return Err(invalid("metrics.token", "must be at least 16 characters"));
        }
        Ok(())
    }
}

/// The template-message outbox and its delivery worker.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OutboxSettings {
    /// Run the delivery worker inside `serve` (else run `sunvillage worker`).
    pub worker_in_serve: bool,
    /// Messages one worker sends at once.
    #[serde(deserialize_with = "deserialize_number_from_string")]
    pub concurrency: usize,
    /// How often an idle worker looks for due retries (new rows wake it at once).
    #[serde(deserialize_with = "deserialize_number_from_string")]
    pub poll_interval_ms: u64,
    /// Delay before the first retry; doubled after each failure.
    #[serde(deserialize_with = "deserialize_number_from_string")]
    pub retry_base_ms: u64,
    /// Longest delay between retries.
    #[serde(deserialize_with = "deserialize_number_from_string")]
    pub retry_max_ms: u64,
    /// Attempts before a transient failure becomes final.
    #[serde(deserialize_with = "deserialize_number_from_string")]
    pub max_attempts: u32,
}

/// The public transparency log (docs/transparency.md).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TransparencySettings {
    /// The Ed25519 signing key of checkpoints, `PRIVATE+KEY+<origin>+<id>+<key>`
    /// (`sunvillage transparency keygen` makes one); its name is the log's origin.
    #[serde(deserialize_with = "log_signer")]
    pub signing_key: Arc<NoteSigner>,
    /// How often a checkpoint is signed while entries arrive, in seconds.
    #[serde(deserialize_with = "deserialize_number_from_string")]
    pub checkpoint_interval_s: u64,
}

/// The signing key of `config/default.toml`: public, so refused in production.
pub const DEV_TLOG_VERIFIER: &str =
    "sunvillage-dev+0d95af5a+AYvUldkwbTyyDq9VQVn3a0AKY6RSzyR9Subn56vUWaIZ";

fn log_signer<'de, D: Deserializer<'de>>(d: D) -> Result<Arc<NoteSigner>, D::Error> {
    // Read as a secret, so that no error path can echo it.
    let raw = SecretString::deserialize(d)?;
    NoteSigner::from_key(&raw)
        .map(Arc::new)
        .map_err(serde::de::Error::custom)
}

impl TransparencySettings {
    fn validate(&self, environment: AppEnvironment) -> Result<(), SettingsError> {
        if environment == AppEnvironment::Production
            && self.signing_key.verifier().to_string() == DEV_TLOG_VERIFIER
        {
            return Err(invalid(
                "transparency.signing_key",
                "is the public development key; make one with `sunvillage transparency keygen` \
                 and set APP__TRANSPARENCY__SIGNING_KEY",
            ));
        }
        if !(1..=3600).contains(&self.checkpoint_interval_s) {
            return Err(invalid(
                "transparency.checkpoint_interval_s",
                "must be 1 to 3600",
            ));
        }
        Ok(())
    }
}

/// 投诉建议.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ComplaintSettings {
    /// The letters that start every tracking number (XY-20261128-0042).
    pub tracking_prefix: String,
}

/// Publishing (`docs/publishing.md`): what a draft may carry.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PublishingSettings {
    /// Largest attachment (PDF, JPEG, PNG), in bytes; at most 5 MiB.
    #[serde(deserialize_with = "deserialize_number_from_string")]
    pub max_attachment_bytes: usize,
    /// Most attachments on one draft (receipt photos included); at most 200.
    #[serde(deserialize_with = "deserialize_number_from_string")]
    pub max_attachments: usize,
}

impl PublishingSettings {
    pub fn file_limits(&self) -> crate::services::disclosures::FileLimits {
        crate::services::disclosures::FileLimits {
            max_files: self.max_attachments,
            max_bytes: self.max_attachment_bytes,
        }
    }
}

/// Identity at rest (`docs/privacy.md`): the suite new ciphertexts are written with,
/// the master keys that wrap data keys (by id), and the key of lookup hashes. Keys are
/// base64 of 32 bytes (`sunvillage keys new`), given in production through
/// `APP__CRYPTO__MASTER_KEYS__<ID>` and `APP__CRYPTO__LOOKUP_KEY`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CryptoSettings {
    pub suite: crate::crypto::Suite,
    /// The master key new data keys are wrapped under.
    pub current_key: String,
    pub master_keys: BTreeMap<String, SecretString>,
    pub lookup_key: SecretString,
    /// The lookup key before the last `keys rotate-lookup`: hashes a row still holds
    /// under it (a follower not seen since, a message) are still found. Empty: none.
    #[serde(default)]
    pub previous_lookup_key: Option<SecretString>,
}

/// How long what identifies a person is kept (docs/privacy.md gives the defaults and
/// their source); past it, `sunvillage retention run` destroys the data keys.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RetentionSettings {
    /// Days after a complaint is closed (concluded, rated, rejected) that the
    /// complainant's identity and the photos are kept.
    #[serde(deserialize_with = "deserialize_number_from_string")]
    pub complaint_identity_days: u32,
    /// Days a sent or failed push keeps its addressee.
    #[serde(deserialize_with = "deserialize_number_from_string")]
    pub outbox_days: u32,
}

/// The development keys of `config/default.toml`: public, so refused in production.
const DEV_MASTER_KEY: &str = "bWBfaq7TCERhyQhoBSxTUGbvAeLjfaVHUBTCiVoeonI=";
const DEV_LOOKUP_KEY: &str = "RBWMd79r5uvlqBc3+s5loScdijjLtZaOdns3SBL+jMw=";

impl CryptoSettings {
    fn validate(&self, environment: AppEnvironment) -> Result<(), SettingsError> {
        crate::crypto::Vault::from_settings(self).map_err(|e| invalid("crypto", e.to_string()))?;
        if environment == AppEnvironment::Production {
            let public = self
                .master_keys
                .values()
                .any(|k| k.expose_secret().trim() == DEV_MASTER_KEY);
            if public {
                return Err(invalid(
                    "crypto.master_keys",
                    "holds the public development key; set APP__CRYPTO__MASTER_KEYS__<ID>",
                ));
            }
            if self.lookup_key.expose_secret().trim() == DEV_LOOKUP_KEY {
                return Err(invalid(
                    "crypto.lookup_key",
                    "is the development default; set APP__CRYPTO__LOOKUP_KEY",
                ));
            }
        }
        Ok(())
    }
}

/// The followers' H5 pages.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PageSettings {
    /// How long a page may be cached (`Cache-Control: max-age`), in seconds.
    #[serde(deserialize_with = "deserialize_number_from_string")]
    pub max_age_seconds: u32,
    /// How often counted page views are written to the database, in seconds.
    #[serde(deserialize_with = "deserialize_number_from_string")]
    pub view_flush_seconds: u64,
    /// How long a rendered page is kept in memory at most (`page_cache`); 0: not at all.
    #[serde(
        default = "default_cache_seconds",
        deserialize_with = "deserialize_number_from_string"
    )]
    pub cache_seconds: u32,
    /// Compressed pages kept in memory at most, in MiB.
    #[serde(
        default = "default_cache_mib",
        deserialize_with = "deserialize_number_from_string"
    )]
    pub cache_mib: u32,
}

fn default_cache_seconds() -> u32 {
    60
}

fn default_cache_mib() -> u32 {
    32
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
    /// The longest a request may take to send its body (after its headers).
    #[serde(deserialize_with = "deserialize_number_from_string")]
    pub body_timeout_ms: u64,
    /// Requests whose body is being read at once; more are answered 503 at once.
    #[serde(deserialize_with = "deserialize_number_from_string")]
    pub max_body_readers: usize,
    /// How long a reply may wait for the database before the follower gets a short
    /// apology instead (WeChat gives up after 5 s and retries).
    #[serde(deserialize_with = "deserialize_number_from_string")]
    pub reply_budget_ms: u64,
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
        if !(1..5_000).contains(&self.body_timeout_ms) {
            return Err(invalid("webhook.body_timeout_ms", "must be 1 to 4999"));
        }
        if self.max_body_readers == 0 {
            return Err(invalid("webhook.max_body_readers", "must be at least 1"));
        }
        if !(1..5_000).contains(&self.reply_budget_ms) {
            return Err(invalid("webhook.reply_budget_ms", "must be 1 to 4999"));
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
        // In name order, so that keys the defaults lack are added in a fixed order.
        let env = env.map(|vars| {
            vars.into_iter()
                .collect::<BTreeMap<_, _>>()
                .into_iter()
                .collect()
        });
        let env_source = EnvSource::with_prefix(ENV_PREFIX)
            .separator("__")
            .source(env);
        let settings: Settings = builder.add_source(env_source).build()?.try_deserialize()?;
        settings.validate()?;
        Ok(settings)
    }

    /// Checks what parsing each value alone cannot: non-empty secrets, ranges, and values
    /// that only make sense together.
    pub fn validate(&self) -> Result<(), SettingsError> {
        let base = url::Url::parse(&self.public_base_url)
            .map_err(|e| invalid("public_base_url", format!("not a URL: {e}")))?;
        if !matches!(base.scheme(), "http" | "https") || base.host().is_none() {
            return Err(invalid(
                "public_base_url",
                "must be an http(s) URL with a host",
            ));
        }
        self.trusted_proxies()?;
        if self.database.max_connections == 0 {
            return Err(invalid("database.max_connections", "must be at least 1"));
        }
        if !(100..=60_000).contains(&self.database.acquire_timeout_ms) {
            return Err(invalid(
                "database.acquire_timeout_ms",
                "must be 100 to 60000",
            ));
        }
        let redis_url = self.redis.url.expose_secret();
        if !redis_url.is_empty() && redis::Client::open(redis_url).is_err() {
            return Err(invalid("redis.url", "is not a redis:// URL"));
        }
        self.session.validate(self.environment)?;
        self.crypto.validate(self.environment)?;
        self.metrics.validate()?;
        if self.retention.complaint_identity_days == 0 || self.retention.outbox_days == 0 {
            return Err(invalid("retention", "periods are at least 1 day"));
        }
        self.wechat.validate(self.environment)?;
        self.transparency.validate(self.environment)?;
        self.outbox.validate()?;
        // Each delivery task holds a connection while it sends, one more listens for new
        // outbox rows, and, with the page cache on, one for page changes (page_cache).
        let pool = usize::try_from(self.database.max_connections).unwrap_or(usize::MAX);
        let listeners = 1 + usize::from(self.pages.cache_seconds > 0);
        if self.outbox.worker_in_serve && self.outbox.concurrency + listeners > pool {
            return Err(invalid(
                "outbox.concurrency",
                "needs concurrency + 1 connections (+ 1 more with pages.cache_seconds > 0); \
                 raise database.max_connections",
            ));
        }
        if self.pages.max_age_seconds > 86_400 {
            return Err(invalid(
                "pages.max_age_seconds",
                "must be at most 86400 (a day)",
            ));
        }
        if self.pages.cache_seconds > self.pages.max_age_seconds {
            return Err(invalid(
                "pages.cache_seconds",
                "must be at most pages.max_age_seconds (a cached page must not outlive what \
                 browsers are told)",
            ));
        }
        if !(1..=4_096).contains(&self.pages.cache_mib) {
            return Err(invalid("pages.cache_mib", "must be 1 to 4096"));
        }
        if !(1..=3_600).contains(&self.pages.view_flush_seconds) {
            return Err(invalid("pages.view_flush_seconds", "must be 1 to 3600"));
        }
        if !(1..=86_400).contains(&self.analysis.classify_every_seconds) {
            return Err(invalid(
                "analysis.classify_every_seconds",
                "must be 1 to 86400",
            ));
        }
        use crate::domain::disclosure::attachment::{MAX_BYTES_CEILING, MAX_FILES_CEILING};
        if !(1..=MAX_BYTES_CEILING).contains(&self.publishing.max_attachment_bytes) {
            return Err(invalid(
                "publishing.max_attachment_bytes",
                "must be 1 to 5242880 (5 MiB, what the database keeps)",
            ));
        }
        if !(1..=MAX_FILES_CEILING).contains(&self.publishing.max_attachments) {
            return Err(invalid("publishing.max_attachments", "must be 1 to 200"));
        }
        let day = chrono::NaiveDate::default();
        if crate::domain::complaint::TrackingNumber::new(&self.complaints.tracking_prefix, day, 1)
            .is_err()
        {
            return Err(invalid(
                "complaints.tracking_prefix",
                "must be 2 to 6 capital letters",
            ));
        }
        self.webhook.validate()?;
        self.validate_complaint_templates()?;
        Ok(())
    }

    /// Complaint pushes use fixed field names; in production each must have a template,
    /// since a complaint whose status changes silently breaks the service's promise.
    fn validate_complaint_templates(&self) -> Result<(), SettingsError> {
        use crate::domain::complaint::Event;
        for event in Event::NOTIFIED {
            let key = event.as_str();
            match self.wechat.templates.get(key) {
                Some(t) => {
                    let mut names: Vec<&str> = t.field_names().collect();
                    names.sort_unstable();
                    let mut wanted = Event::FIELDS.to_vec();
                    wanted.sort_unstable();
                    if names != wanted {
                        return Err(invalid(
                            "wechat.templates",
                            format!("{key}: fields must be exactly {}", Event::FIELDS.join(", ")),
                        ));
                    }
                }
                None if self.environment == AppEnvironment::Production => {
                    return Err(invalid(
                        "wechat.templates",
                        format!(
                            "{key} is required in production (fields {})",
                            Event::FIELDS.join(", ")
                        ),
                    ));
                }
                None => {}
            }
        }
        Ok(())
    }

    /// The parsed `server.trusted_proxies`.
    pub fn trusted_proxies(&self) -> Result<Vec<ipnet::IpNet>, SettingsError> {
        self.server
            .trusted_proxies
            .split(',')
            .map(str::trim)
            .filter(|p| !p.is_empty())
            .map(|p| {
                p.parse::<ipnet::IpNet>()
                    .or_else(|_| p.parse::<std::net::IpAddr>().map(ipnet::IpNet::from))
                    .map_err(|_| {
                        invalid(
                            "server.trusted_proxies",
                            format!("`{p}` is not an address or a network like 10.0.0.0/8"),
                        )
                    })
            })
            .collect()
    }

    /// `public_base_url` without a trailing slash, ready to have paths appended.
    pub fn public_base(&self) -> &str {
        self.public_base_url.trim_end_matches('/')
    }
}

impl DatabaseSettings {
    /// The options every connection to the service's database is made with.
    pub fn connect_options(&self) -> PgConnectOptions {
        self.url.options().clone()
    }

    /// Host, port and database name, for logs (never the password).
    pub fn describe(&self) -> String {
        self.url.describe()
    }
}

impl RedisSettings {
    pub fn is_configured(&self) -> bool {
        !self.url.expose_secret().is_empty()
    }
}

/// The development values of `config/default.toml`: public, so refused in production.
const DEV_WECHAT_TOKEN: &str = "sunvillage-dev-token";
const DEV_APP_SECRET: &str = "development-app-secret";
const DEV_ENCODING_AES_KEY: &str = "jWmYm7qr5nMoAUwZRjGtBxmz3KA1tkAj3ykkR6q2B2C";

/// WeChat's own API, as opposed to a local fake or a proxy.
const WECHAT_API: &str = "https://api.weixin.qq.com";

impl WechatSettings {
    /// The repository's placeholder AppSecret pointed at WeChat's real API: every call
    /// can only be refused (40125), so commands say so at once instead of retrying.
    pub fn placeholder_secret_for_wechat(&self) -> bool {
        self.app_secret.expose_secret() == DEV_APP_SECRET
            && self.api_base.trim_end_matches('/') == WECHAT_API
    }

    fn validate(&self, environment: AppEnvironment) -> Result<(), SettingsError> {
        if !(100..=15_000).contains(&self.request_timeout_ms) {
            return Err(invalid("wechat.request_timeout_ms", "must be 100 to 15000"));
        }
        if environment == AppEnvironment::Production {
            self.validate_for_production()?;
        }
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

    /// Production refuses the repository's public development secrets, and messages
    /// whose body no signature covers unless that is explicitly allowed.
    fn validate_for_production(&self) -> Result<(), SettingsError> {
        let public = [
            ("wechat.token", self.token.expose_secret(), DEV_WECHAT_TOKEN),
            (
                "wechat.app_secret",
                self.app_secret.expose_secret(),
                DEV_APP_SECRET,
            ),
            (
                "wechat.encoding_aes_key",
                self.encoding_aes_key.expose_secret(),
                DEV_ENCODING_AES_KEY,
            ),
        ];
        for (key, value, development) in public {
            if value == development {
                return Err(invalid(
                    key,
                    "is the public development value; set the account's own through the environment",
                ));
            }
        }
        if self.mode != WechatMode::Safe && !self.allow_unencrypted {
            return Err(invalid(
                "wechat.mode",
                "only safe mode authenticates a message's body; use safe, or set wechat.allow_unencrypted = true knowingly",
            ));
        }
        Ok(())
    }

    /// `api_base` without a trailing slash.
    pub fn api_base(&self) -> &str {
        self.api_base.trim_end_matches('/')
    }
}

/// The development default of `session.secret`, refused in production.
const DEV_SESSION_SECRET: &str = "development-session-secret-not-for-production";

impl SessionSettings {
    fn validate(&self, environment: AppEnvironment) -> Result<(), SettingsError> {
        let secret = self.secret.expose_secret();
        if secret.len() < 32 {
            return Err(invalid(
                "session.secret",
                "must be at least 32 bytes (e.g. `openssl rand -hex 32`)",
            ));
        }
        if environment == AppEnvironment::Production && secret == DEV_SESSION_SECRET {
            return Err(invalid(
                "session.secret",
                "is the development default; set APP__SESSION__SECRET",
            ));
        }
        if !self.dev_openid.is_empty() {
            if environment == AppEnvironment::Production {
                return Err(invalid(
                    "session.dev_openid",
                    "acts as a follower without WeChat's consent; it must be empty in production",
                ));
            }
            crate::domain::OpenId::parse(&self.dev_openid)
                .map_err(|e| invalid("session.dev_openid", e.to_string()))?;
        }
        if self.max_age_hours == 0 {
            return Err(invalid("session.max_age_hours", "must be at least 1"));
        }
        Ok(())
    }
}

impl OutboxSettings {
    fn validate(&self) -> Result<(), SettingsError> {
        if !(1..=64).contains(&self.concurrency) {
            return Err(invalid("outbox.concurrency", "must be 1 to 64"));
        }
        if self.poll_interval_ms < 10 {
            return Err(invalid("outbox.poll_interval_ms", "must be at least 10"));
        }
        if self.retry_base_ms == 0 {
            return Err(invalid("outbox.retry_base_ms", "must be at least 1"));
        }
        if self.retry_max_ms < self.retry_base_ms {
            return Err(invalid(
                "outbox.retry_max_ms",
                "must be at least outbox.retry_base_ms",
            ));
        }
        if self.max_attempts == 0 {
            return Err(invalid("outbox.max_attempts", "must be at least 1"));
        }
        Ok(())
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
        assert_eq!(s.server.bind.to_string(), "127.0.0.1:8080");
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
                ("APP__PAGES__CACHE_SECONDS", "0"),
            ])
        ));
        assert_eq!(s.pages.cache_seconds, 0);
        assert_eq!(s.server.bind.to_string(), "0.0.0.0:9000");
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
    fn page_settings_out_of_range_are_named() {
        for (key, value) in [
            ("APP__PAGES__VIEW_FLUSH_SECONDS", "0"),
            ("APP__PAGES__MAX_AGE_SECONDS", "999999"),
            ("APP__PAGES__CACHE_SECONDS", "61"),
            ("APP__PAGES__CACHE_MIB", "0"),
        ] {
            let err = assert_err!(Settings::load_with_env(None, env(&[(key, value)])));
            let named = key
                .trim_start_matches("APP__")
                .replace("__", ".")
                .to_lowercase();
            assert!(err.to_string().contains(&named), "{key}: {err}");
        }
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
    fn production_refuses_the_development_log_key() {
        let mut s = assert_ok!(Settings::load_with_env(None, env(&[])));
        s.environment = AppEnvironment::Production;
        let err = assert_err!(s.transparency.validate(s.environment));
        assert!(
            err.to_string().contains("transparency.signing_key"),
            "{err}"
        );
        assert_eq!(
            s.transparency.signing_key.verifier().to_string(),
            DEV_TLOG_VERIFIER
        );
    }

    /// deploy/env.example and compose.yaml name only real settings, and filled in they
    /// start the production example: a misspelt variable would stop every instance.
    #[test]
    fn the_deployment_examples_name_real_settings() {
        let root = Path::new(env!("CARGO_MANIFEST_DIR"));
        let (key, _) = assert_ok!(crate::transparency::note::generate_key("cunwu.example/log"));
        let value = |name: &str| -> String {
            match name {
                "APP__PUBLIC_BASE_URL" => "https://cunwu.example.gov.cn".into(),
                "APP__WECHAT__APP_ID" => "wx0123456789abcdef".into(),
                "APP__WECHAT__ENCODING_AES_KEY" => {
                    "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG".into()
                }
                "APP__SESSION__SECRET" => "0123456789abcdef0123456789abcdef".into(),
                "APP__TRANSPARENCY__SIGNING_KEY" => key.expose_secret().to_owned(),
                "APP__CRYPTO__MASTER_KEYS__K1" | "APP__CRYPTO__LOOKUP_KEY" => {
                    "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=".into()
                }
                other => format!("value-of-{}", other.to_ascii_lowercase()),
            }
        };
        let example = assert_ok!(std::fs::read_to_string(root.join("deploy/env.example")));
        let mut vars: HashMap<String, String> = example
            .lines()
            .filter_map(|l| l.split_once('='))
            .filter(|(name, _)| name.starts_with("APP__"))
            .map(|(name, _)| (name.to_owned(), value(name)))
            .collect();
        assert!(vars.len() >= 15, "{vars:?}");
        // What compose.yaml sets for every instance.
        vars.insert(
            "APP__DATABASE__URL".into(),
            "postgres://u:pw@postgres/x".into(),
        );
        vars.insert("APP__REDIS__URL".into(), "redis://redis:6379".into());
        vars.insert("APP__SERVER__TRUSTED_PROXIES".into(), "172.28.0.10".into());
        vars.insert("APP__OUTBOX__WORKER_IN_SERVE".into(), "false".into());
        let compose = assert_ok!(std::fs::read_to_string(root.join("compose.yaml")));
        for name in [
            "APP__DATABASE__URL",
            "APP__REDIS__URL",
            "APP__SERVER__TRUSTED_PROXIES",
        ] {
            assert!(compose.contains(name), "compose.yaml no longer sets {name}");
        }
        let path = root.join("config/production.toml");
        let s = assert_ok!(Settings::load_with_env(Some(&path), Some(vars)));
        assert!(!s.outbox.worker_in_serve);
        assert_eq!(s.public_base_url, "https://cunwu.example.gov.cn");
    }

    #[test]
    fn the_production_example_names_its_missing_secrets() {
        let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("config/production.toml");
        let err = assert_err!(Settings::load_with_env(Some(&path), env(&[])));
        assert!(err.to_string().contains("database.url"), "{err}");
        let mut vars = vec![
            (
                "APP__DATABASE__URL".to_owned(),
                "postgres://u:pw@db/x".to_owned(),
            ),
            ("APP__WECHAT__APP_SECRET".to_owned(), "s".to_owned()),
            ("APP__WECHAT__TOKEN".to_owned(), "t".to_owned()),
            (
                "APP__WECHAT__ENCODING_AES_KEY".to_owned(),
                "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG".to_owned(),
            ),
            (
                "APP__SESSION__SECRET".to_owned(),
                "0123456789abcdef0123456789abcdef".to_owned(),
            ),
        ];
        let env_of = |vars: &[(String, String)]| Some(vars.iter().cloned().collect());
        // Without its template ids the example names the first missing one.
        let err = assert_err!(Settings::load_with_env(Some(&path), env_of(&vars)));
        assert!(err.to_string().contains("wechat.templates"), "{err}");
        for event in crate::domain::complaint::Event::NOTIFIED {
            let kind = event.as_str().to_ascii_uppercase();
            vars.push((
                format!("APP__WECHAT__TEMPLATES__{kind}__TEMPLATE_ID"),
                format!("tpl_{kind}"),
            ));
        }
        // Without its log key the example names it.
        let err = assert_err!(Settings::load_with_env(Some(&path), env_of(&vars)));
        assert!(
            err.to_string().contains("transparency.signing_key"),
            "{err}"
        );
        let (key, _) = assert_ok!(crate::transparency::note::generate_key("cunwu.example/log"));
        vars.push((
            "APP__TRANSPARENCY__SIGNING_KEY".to_owned(),
            key.expose_secret().to_owned(),
        ));
        // Without its own keys the example names them (the development key is removed).
        let err = assert_err!(Settings::load_with_env(Some(&path), env_of(&vars)));
        assert!(err.to_string().contains("crypto"), "{err}");
        vars.push((
            "APP__CRYPTO__MASTER_KEYS__K1".to_owned(),
            "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=".to_owned(),
        ));
        vars.push((
            "APP__CRYPTO__LOOKUP_KEY".to_owned(),
            "HyAhIiMkJSYnKCkqKywtLi8wMTIzNDU2Nzg5Ojs8PT4=".to_owned(),
        ));
        let s = assert_ok!(Settings::load_with_env(Some(&path), env_of(&vars)));
        assert_eq!(s.wechat.templates.len(), 7);
        let vault = assert_ok!(crate::crypto::Vault::from_settings(&s.crypto));
        assert_eq!(vault.current_key().as_str(), "k1");
        assert!(!vault.knows_master_key("dev"));
    }

    #[test]
    fn production_refuses_the_development_keys() {
        let defaults = assert_ok!(Settings::load_with_env(None, env(&[])));
        let err = assert_err!(defaults.crypto.validate(AppEnvironment::Production));
        assert!(err.to_string().contains("crypto.master_keys"), "{err}");
        let mut own = defaults.crypto.clone();
        own.master_keys.insert("dev".into(), String::new().into());
        own.master_keys.insert(
            "k1".into(),
            "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8="
                .to_owned()
                .into(),
        );
        own.current_key = "k1".into();
        let err = assert_err!(own.validate(AppEnvironment::Production));
        assert!(err.to_string().contains("crypto.lookup_key"), "{err}");
        own.lookup_key = "HyAhIiMkJSYnKCkqKywtLi8wMTIzNDU2Nzg5Ojs8PT4="
            .to_owned()
            .into();
        assert_ok!(own.validate(AppEnvironment::Production));
        assert!(!format!("{own:?}").contains("AAECAwQF"));
    }

    #[test]
    fn a_test_openid_refuses_to_start_in_production() {
        let ok = Settings::load_with_env(
            None,
            env(&[("APP__SESSION__DEV_OPENID", "oDevFollower0000000000000001")]),
        );
        assert_eq!(
            assert_ok!(ok).session.dev_openid,
            "oDevFollower0000000000000001"
        );
        let err = assert_err!(Settings::load_with_env(
            None,
            env(&[
                ("APP__ENVIRONMENT", "production"),
                ("APP__SESSION__SECRET", "0123456789abcdef0123456789abcdef"),
                ("APP__SESSION__DEV_OPENID", "oDevFollower0000000000000001"),
            ])
        ));
        assert!(err.to_string().contains("session.dev_openid"), "{err}");
        let err = assert_err!(Settings::load_with_env(
            None,
            env(&[("APP__ENVIRONMENT", "production")])
        ));
        assert!(err.to_string().contains("session.secret"), "{err}");
    }

    #[test]
    fn production_refuses_the_public_development_secrets_and_unsigned_bodies() {
        let defaults = assert_ok!(Settings::load_with_env(None, env(&[])));
        let mut own = defaults.wechat.clone();
        own.token = "OurOwnToken2026".to_owned().into();
        own.app_secret = "our-own-app-secret".to_owned().into();
        own.encoding_aes_key = "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG"
            .to_owned()
            .into();
        own.mode = WechatMode::Safe;
        assert_ok!(own.validate(AppEnvironment::Production));
        type MakePublic = fn(&mut WechatSettings);
        let public: [(&str, MakePublic); 3] = [
            ("wechat.token", |w| {
                w.token = DEV_WECHAT_TOKEN.to_owned().into()
            }),
            ("wechat.app_secret", |w| {
                w.app_secret = DEV_APP_SECRET.to_owned().into()
            }),
            ("wechat.encoding_aes_key", |w| {
                w.encoding_aes_key = DEV_ENCODING_AES_KEY.to_owned().into()
            }),
        ];
        for (key, set_public) in public {
            let mut w = own.clone();
            set_public(&mut w);
            let err = assert_err!(w.validate(AppEnvironment::Production));
            assert!(err.to_string().contains(key), "{err}");
            assert!(
                err.to_string().contains("public development value"),
                "{err}"
            );
            assert_ok!(w.validate(AppEnvironment::Development));
        }
        for mode in [WechatMode::Plain, WechatMode::Compatible] {
            let mut w = own.clone();
            w.mode = mode;
            let err = assert_err!(w.validate(AppEnvironment::Production));
            assert!(err.to_string().contains("wechat.mode"), "{err}");
            w.allow_unencrypted = true;
            assert_ok!(w.validate(AppEnvironment::Production));
        }
    }

    #[test]
    fn wechat_client_and_outbox_settings_are_read_and_checked() {
        let s = assert_ok!(Settings::load_with_env(
            None,
            env(&[
                ("APP__WECHAT__TOKEN_ENDPOINT", "token"),
                ("APP__OUTBOX__WORKER_IN_SERVE", "false"),
                ("APP__OUTBOX__CONCURRENCY", "3"),
            ])
        ));
        assert_eq!(s.wechat.token_endpoint, TokenEndpoint::Token);
        assert!(!s.outbox.worker_in_serve);
        assert_eq!(s.outbox.concurrency, 3);
        assert!(s.wechat.templates.is_empty());
        for (key, value, named) in [
            ("APP__OUTBOX__CONCURRENCY", "0", "outbox.concurrency"),
            ("APP__SESSION__SECRET", "short", "session.secret"),
            ("APP__WECHAT__TOKEN_ENDPOINT", "magic", "token_endpoint"),
        ] {
            let err = assert_err!(Settings::load_with_env(None, env(&[(key, value)])));
            assert!(err.to_string().contains(named), "{key}: {err}");
        }
    }

    #[test]
    fn templates_are_configured_per_kind_and_checked() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("t.toml");
        std::fs::write(
            &path,
            r#"
[wechat.templates.complaint_received]
template_id = "ngqIpbwh8bUfcSsECmogfXcV14J0tQlEpBO27izEYtY"
fields = { tracking_number = "character_string1", status = "phrase2", time = "time3" }
"#,
        )
        .unwrap();
        let s = assert_ok!(Settings::load_with_env(Some(&path), env(&[])));
        let t = &s.wechat.templates["complaint_received"];
        assert_eq!(t.keyword("status"), Some("phrase2"));
        std::fs::write(
            &path,
            r#"
[wechat.templates.complaint_received]
template_id = "abc"
fields = { intro = "first" }
"#,
        )
        .unwrap();
        let err = assert_err!(Settings::load_with_env(Some(&path), env(&[])));
        assert!(err.to_string().contains("wechat.templates"), "{err}");
        assert!(err.to_string().contains("complaint_received"), "{err}");
    }
}
