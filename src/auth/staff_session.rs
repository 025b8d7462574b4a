//! Staff sessions: a random token, kept in Redis (shared by every instance) under its
//! SHA-256 with the account and the account's session epoch, reached through a signed,
//! `HttpOnly`, `SameSite=Strict` cookie on `/staff` pages (`Secure` outside development)
//! or an `Authorization: Bearer` token on the API. A session ends when it is idle too
//! long, when it is too old, on logout, and — through the epoch, which the account row
//! carries and every request compares — at once for every session of an account whose
//! password changes or that is disabled.

use std::time::Duration;

use actix_web::HttpRequest;
use actix_web::cookie::{Cookie, CookieJar, Key, SameSite};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::kv::{Kv, KvError};

pub const COOKIE: &str = "sv_staff";
/// The path the cookie is sent on: staff pages only, never the followers' pages or the
/// JSON API (which takes a bearer token, so a page of another site cannot use it).
pub const COOKIE_PATH: &str = crate::routes::paths::staff::HOME;

/// What a session lets its holder do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SessionKind {
    /// Staff pages.
    Page,
    /// The JSON API.
    Api,
    /// Only enrolling the second factor the role requires (signed in with the
    /// password, nothing else yet).
    Enrol,
}

/// A session as stored.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SessionRecord {
    pub account_id: i64,
    /// The account's session epoch when the session began.
    pub epoch: i32,
    pub kind: SessionKind,
    /// When the session began, in Unix milliseconds.
    pub created_ms: i64,
    /// The session's CSRF token, which every staff form carries.
    pub csrf: String,
}

/// The session store and cookie settings; cheap to clone.
#[derive(Clone)]
pub struct StaffSessions {
    kv: Kv,
    key: Key,
    secure: bool,
    idle: Duration,
    absolute: Duration,
}

fn random_token() -> String {
    hex::encode(rand::random::<[u8; 32]>())
}

fn store_key(token: &str) -> String {
    format!(
        "staff:session:{}",
        hex::encode(Sha256::digest(token.as_bytes()))
    )
}

fn now_ms() -> i64 {
    chrono::Utc::now().timestamp_millis()
}

impl StaffSessions {
    /// `secret` signs the cookie (at least 32 bytes); `secure` marks it `Secure`.
    pub fn new(kv: Kv, secret: &[u8], secure: bool, idle: Duration, absolute: Duration) -> Self {
        let mut keyed = b"staff-session|".to_vec();
        keyed.extend_from_slice(secret);
        StaffSessions {
            kv,
            key: Key::derive_from(&Sha256::digest(&keyed).repeat(2)),
            secure,
            idle,
            absolute,
        }
    }

    /// Whether the cookies are marked `Secure` (everywhere but development).
    pub fn is_secure(&self) -> bool {
        self.secure
    }

    /// Starts a session; the token is the holder's only proof of it.
    pub async fn create(
        &self,
        account_id: i64,
        epoch: i32,
        kind: SessionKind,
    ) -> Result<(String, SessionRecord), KvError> {
        let token = random_token();
        let record = SessionRecord {
            account_id,
            epoch,
            kind,
            created_ms: now_ms(),
            csrf: random_token(),
        };
        self.save(&token, &record).await?;
        Ok((token, record))
    }

    async fn save(&self, token: &str, record: &SessionRecord) -> Result<(), KvError> {
        let value = serde_json::to_string(record).unwrap_or_default();
        self.kv.set(&store_key(token), &value, self.idle).await
    }

    /// The live session of `token`, its idle time restarted; `None` when unknown,
    /// expired or older than the absolute limit.
    pub async fn find(&self, token: &str) -> Result<Option<SessionRecord>, KvError> {
        self.find_at(token, now_ms()).await
    }

    async fn find_at(&self, token: &str, now: i64) -> Result<Option<SessionRecord>, KvError> {
        if token.len() != 64 || !token.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Ok(None);
        }
        let Some(raw) = self.kv.get(&store_key(token)).await? else {
            return Ok(None);
        };
        let Ok(record) = serde_json::from_str::<SessionRecord>(&raw) else {
            return Ok(None);
        };
        let age = now.saturating_sub(record.created_ms);
        if age > i64::try_from(self.absolute.as_millis()).unwrap_or(i64::MAX) {
            self.revoke(token).await?;
            return Ok(None);
        }
        self.save(token, &record).await?;
        Ok(Some(record))
    }

    /// Ends the session of `token`.
    pub async fn revoke(&self, token: &str) -> Result<(), KvError> {
        self.kv.delete(&store_key(token)).await
    }

    /// The cookie that carries `token` on staff pages.
    pub fn cookie(&self, token: &str) -> Cookie<'static> {
        let cookie = Cookie::build(COOKIE, token.to_owned())
            .path(COOKIE_PATH)
            .http_only(true)
            .secure(self.secure)
            .same_site(SameSite::Strict)
            .finish();
        let mut jar = CookieJar::new();
        jar.signed_mut(&self.key).add(cookie.clone());
        jar.get(COOKIE).cloned().unwrap_or(cookie)
    }

    /// A cookie that removes the session cookie.
    pub fn removal(&self) -> Cookie<'static> {
        let mut cookie = Cookie::build(COOKIE, "")
            .path(COOKIE_PATH)
            .http_only(true)
            .secure(self.secure)
            .same_site(SameSite::Strict)
            .finish();
        cookie.make_removal();
        cookie
    }

    /// The token in this request's signed cookie, if its signature holds.
    pub fn token_from_cookie(&self, req: &HttpRequest) -> Option<String> {
        let cookie = req.cookie(COOKIE)?;
        let mut jar = CookieJar::new();
        jar.add_original(cookie);
        jar.signed(&self.key)
            .get(COOKIE)
            .map(|c| c.value().to_owned())
    }
}

/// The bearer token of an API request.
pub fn bearer_token(req: &HttpRequest) -> Option<String> {
    req.headers()
        .get(actix_web::http::header::AUTHORIZATION)?
        .to_str()
        .ok()?
        .strip_prefix("Bearer ")
        .map(str::trim)
        .filter(|t| !t.is_empty())
        .map(str::to_owned)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sessions(absolute: Duration) -> StaffSessions {
        StaffSessions::new(
            Kv::memory("t:"),
            b"a deployment secret of at least 32 bytes",
            true,
            Duration::from_secs(60),
            absolute,
        )
    }

    #[tokio::test]
    async fn a_session_lives_until_revoked_and_its_cookie_is_strict() {
        let s = sessions(Duration::from_secs(3600));
        let (token, record) = s.create(7, 3, SessionKind::Page).await.unwrap();
        assert_eq!(s.find(&token).await.unwrap(), Some(record));
        s.revoke(&token).await.unwrap();
        assert_eq!(s.find(&token).await.unwrap(), None);
        assert_eq!(s.find("not a token").await.unwrap(), None);
        let cookie = s.cookie(&token);
        // Signed: a MAC before the token, which a forger cannot make.
        assert!(cookie.value().ends_with(&token) && cookie.value() != token);
        let cookie = cookie.to_string();
        for part in ["HttpOnly", "Secure", "SameSite=Strict", "Path=/staff"] {
            assert!(cookie.contains(part), "{cookie}");
        }
    }

    #[tokio::test]
    async fn a_session_older_than_the_absolute_limit_is_over() {
        let s = sessions(Duration::from_secs(3600));
        let (token, record) = s.create(7, 3, SessionKind::Api).await.unwrap();
        let limit = record.created_ms + 3_600_000;
        assert!(s.find_at(&token, limit).await.unwrap().is_some());
        assert_eq!(s.find_at(&token, limit + 1).await.unwrap(), None);
        assert_eq!(s.find(&token).await.unwrap(), None, "and it is gone");
    }
}
