//! Tokens that tie a form to the follower who opened it (CSRF protection): an
//! HMAC-SHA256, under the session secret, of the form's purpose and the follower's
//! openid. Another site cannot make one, and one follower's token is useless to another.

use hmac::{Hmac, Mac};
use secrecy::ExposeSecret;
use sha2::Sha256;

use crate::configuration::Settings;
use crate::domain::OpenId;

#[derive(Clone)]
pub struct FormTokens {
    /// Keyed once; cloned for each token.
    keyed: Hmac<Sha256>,
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

    fn mac(&self, openid: &OpenId, purpose: &str) -> Hmac<Sha256> {
        let mut mac = self.keyed.clone();
        mac.update(purpose.as_bytes());
        mac.update(b"|");
        mac.update(openid.as_str().as_bytes());
        mac
    }

    /// The token for `purpose` (e.g. `complaint:<form key>`) and this follower.
    pub fn issue(&self, openid: &OpenId, purpose: &str) -> String {
        hex::encode(self.mac(openid, purpose).finalize().into_bytes())
    }

    /// Whether `token` is the one issued for `purpose` and this follower (constant time).
    pub fn verify(&self, openid: &OpenId, purpose: &str, token: &str) -> bool {
        // 64 hex digits: the 32 bytes of an HMAC-SHA256.
        if token.len() != 64 {
            return false;
        }
        let Ok(bytes) = hex::decode(token) else {
            return false;
        };
        self.mac(openid, purpose).verify_slice(&bytes).is_ok()
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
}
