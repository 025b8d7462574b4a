//! Tokens that tie a form to the follower who opened it (CSRF protection): the time it
//! was issued and an HMAC-SHA256, under the session secret, of the form's purpose, the
//! follower's openid and that time. Another site cannot make one, one follower's token
//! is useless to another, and a token older than [`LIFETIME`] is refused as expired (a
//! leaked page stops being usable; the form is shown again, with what was typed).

use std::time::Duration;

use hmac::{Hmac, Mac};
use secrecy::ExposeSecret;
use sha2::Sha256;

use crate::configuration::Settings;
use crate::domain::OpenId;

/// How long a form stays good after it was opened: a villager may take an evening to
/// write, and an expired form loses nothing (it is shown again as typed).
pub const LIFETIME: Duration = Duration::from_secs(24 * 3600);

#[derive(Clone)]
pub struct FormTokens {
    /// Keyed once; cloned for each token.
    keyed: Hmac<Sha256>,
}

/// Why a token was not accepted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum TokenError {
    #[error("the token was not issued for this form and follower")]
    Forged,
    #[error("the form was opened too long ago")]
    Expired,
}

impl FormTokens {
    pub fn from_settings(settings: &Settings) -> Result<FormTokens, hmac::digest::InvalidLength> {
        FormTokens::new(
            format!("form-token|{}", settings.session.secret.expose_secret()).as_bytes(),
        )
    }

    pub fn new(key: &[u8]) -> Result<FormTokens, hmac::digest::InvalidLength> {
        Ok(FormTokens {
            keyed: Hmac::<Sha256>::new_from_slice(key)?,
        })
    }

    fn mac(&self, openid: &OpenId, purpose: &str, issued: i64) -> Hmac<Sha256> {
        let mut mac = self.keyed.clone();
        mac.update(purpose.as_bytes());
        mac.update(b"|");
        mac.update(openid.as_str().as_bytes());
        mac.update(b"|");
        mac.update(issued.to_string().as_bytes());
        mac
    }

    /// The token for `purpose` (e.g. `complaint:<form key>`) and this follower.
    pub fn issue(&self, openid: &OpenId, purpose: &str) -> String {
        self.issue_at(openid, purpose, chrono::Utc::now().timestamp())
    }

    fn issue_at(&self, openid: &OpenId, purpose: &str, issued: i64) -> String {
        let mac = self.mac(openid, purpose, issued).finalize().into_bytes();
        format!("{issued}-{}", hex::encode(mac))
    }

    /// Checks that `token` was issued for `purpose` and this follower (constant time),
    /// and not longer than [`LIFETIME`] ago.
    pub fn check(&self, openid: &OpenId, purpose: &str, token: &str) -> Result<(), TokenError> {
        self.check_at(openid, purpose, token, chrono::Utc::now().timestamp())
    }

    fn check_at(
        &self,
        openid: &OpenId,
        purpose: &str,
        token: &str,
        now: i64,
    ) -> Result<(), TokenError> {
        let (issued, mac) = token.trim().split_once('-').ok_or(TokenError::Forged)?;
        let issued: i64 = issued.parse().map_err(|_| TokenError::Forged)?;
        // 64 hex digits: the 32 bytes of an HMAC-SHA256.
        if mac.len() != 64 {
            return Err(TokenError::Forged);
        }
        let bytes = hex::decode(mac).map_err(|_| TokenError::Forged)?;
        self.mac(openid, purpose, issued)
            .verify_slice(&bytes)
            .map_err(|_| TokenError::Forged)?;
        let lifetime = i64::try_from(LIFETIME.as_secs()).unwrap_or(i64::MAX);
        // A token "from the future" beyond a minute of clock skew is as stale as an old one.
        if now.saturating_sub(issued) > lifetime || issued.saturating_sub(now) > 60 {
            return Err(TokenError::Expired);
        }
        Ok(())
    }

    /// Whether `token` is good for `purpose` and this follower now.
    pub fn verify(&self, openid: &OpenId, purpose: &str, token: &str) -> bool {
        self.check(openid, purpose, token).is_ok()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tokens() -> FormTokens {
        FormTokens::new(b"test-key").unwrap()
    }

    #[test]
    fn a_token_verifies_only_for_its_follower_and_purpose() {
        let t = tokens();
        let a = OpenId::parse("oAAAAAAAAAAAAAAAAAAAAAAAAAAA").unwrap();
        let b = OpenId::parse("oBBBBBBBBBBBBBBBBBBBBBBBBBBB").unwrap();
        let token = t.issue(&a, "complaint:1");
        assert!(t.verify(&a, "complaint:1", &token));
        assert!(!t.verify(&b, "complaint:1", &token));
        assert!(!t.verify(&a, "complaint:2", &token));
        assert!(!t.verify(&a, "complaint:1", "not-hex"));
        assert!(!t.verify(&a, "complaint:1", ""));
    }

    #[test]
    fn a_token_expires_and_its_time_cannot_be_moved() {
        let t = tokens();
        let a = OpenId::parse("oAAAAAAAAAAAAAAAAAAAAAAAAAAA").unwrap();
        let day = i64::try_from(LIFETIME.as_secs()).unwrap();
        let token = t.issue_at(&a, "p", 1_000_000);
        assert_eq!(t.check_at(&a, "p", &token, 1_000_000 + day), Ok(()));
        assert_eq!(
            t.check_at(&a, "p", &token, 1_000_001 + day),
            Err(TokenError::Expired)
        );
        // Claiming a later issue time breaks the MAC.
        let (_, mac) = token.split_once('-').unwrap();
        let moved = format!("{}-{mac}", 1_000_000 + day);
        assert_eq!(
            t.check_at(&a, "p", &moved, 1_000_001 + day),
            Err(TokenError::Forged)
        );
    }
}
