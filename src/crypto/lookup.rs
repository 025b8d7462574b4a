//! Keyed lookup hashes: `suite ‖ HMAC(lookup key, purpose ‖ 0 ‖ value)`, stored beside a
//! ciphertext and indexed, so that the service finds a follower's complaints without
//! storing the openid. The purpose separates the uses: equal phone numbers and equal
//! openids hash differently. A search computes the hash under every suite, so rows of
//! both read the same.

use hmac::{Hmac, Mac};

use super::Suite;
use super::keys::SecretKey;

/// What a hash is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Purpose {
    /// The complainant's openid on a complaint (their own list, the daily quota).
    ComplaintOpenid,
    /// The complainant's phone number (an inspector's search).
    ComplainantPhone,
    /// The addressee of an outbox row (a follower's messages in order).
    OutboxOpenid,
    /// A follower of the account (`followers`, and whose an `inbound_messages` row is).
    FollowerOpenid,
}

impl Purpose {
    fn label(self) -> &'static [u8] {
        match self {
            Purpose::ComplaintOpenid => b"complaints.openid",
            Purpose::ComplainantPhone => b"complaints.complainant_phone",
            Purpose::OutboxOpenid => b"outbox.openid",
            Purpose::FollowerOpenid => b"followers.openid",
        }
    }
}

/// A lookup hash as stored (33 bytes).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct LookupHash(pub Vec<u8>);

impl LookupHash {
    pub fn as_bytes(&self) -> &[u8] {
        &self.0
    }
}

fn mac<M: Mac + hmac::digest::KeyInit>(key: &[u8; 32], purpose: Purpose, value: &str) -> Vec<u8> {
    let mut m = <M as hmac::digest::KeyInit>::new_from_slice(key)
        .unwrap_or_else(|_| unreachable!("HMAC accepts a 32-byte key"));
    m.update(purpose.label());
    m.update(&[0]);
    m.update(value.as_bytes());
    m.finalize().into_bytes().to_vec()
}

pub fn hash(key: &SecretKey, suite: Suite, purpose: Purpose, value: &str) -> LookupHash {
    let digest = match suite {
        Suite::Aes => mac::<Hmac<sha2::Sha256>>(key.bytes(), purpose, value),
        Suite::Sm => mac::<Hmac<sm3::Sm3>>(key.bytes(), purpose, value),
    };
    let mut out = Vec::with_capacity(1 + digest.len());
    out.push(suite.byte());
    out.extend_from_slice(&digest);
    LookupHash(out)
}

/// The hash of `value` under every suite: what a search matches against.
pub fn candidates(key: &SecretKey, purpose: Purpose, value: &str) -> Vec<Vec<u8>> {
    Suite::ALL
        .into_iter()
        .map(|s| hash(key, s, purpose, value).0)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hashes_differ_by_suite_purpose_value_and_key() {
        let key = SecretKey::new([1; 32]);
        let a = hash(&key, Suite::Aes, Purpose::ComplaintOpenid, "o1");
        assert_eq!(a, hash(&key, Suite::Aes, Purpose::ComplaintOpenid, "o1"));
        assert_eq!(a.0.len(), 33);
        assert_ne!(a, hash(&key, Suite::Sm, Purpose::ComplaintOpenid, "o1"));
        assert_ne!(a, hash(&key, Suite::Aes, Purpose::OutboxOpenid, "o1"));
        assert_ne!(a, hash(&key, Suite::Aes, Purpose::ComplaintOpenid, "o2"));
        assert_ne!(
            a,
            hash(
                &SecretKey::new([2; 32]),
                Suite::Aes,
                Purpose::ComplaintOpenid,
                "o1"
            )
        );
        let all = candidates(&key, Purpose::ComplaintOpenid, "o1");
        assert!(all.contains(&a.0));
        assert!(all.contains(&hash(&key, Suite::Sm, Purpose::ComplaintOpenid, "o1").0));
    }

    #[test]
    fn hmac_sm3_matches_a_known_answer() {
        // SM3("abc") from GB/T 32905 appendix A.
        use sm3::Digest;
        let d = sm3::Sm3::digest(b"abc");
        assert_eq!(
            hex::encode(d),
            "66c7f0f462eeedd9d1f2d46bdc10e4e24167c4875cf2f7a2297da02b8f4ba8e0"
        );
    }
}
