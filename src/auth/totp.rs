//! The staff second factor: RFC 6238 time-based codes (HMAC-SHA1, 6 digits, 30 s),
//! which every authenticator app reads from an `otpauth://` QR code. A code is accepted
//! for the step before and after the current one (clock drift) and only once: the step
//! it matched is stored, and a code of that step or an earlier one is refused, so a code
//! read over a shoulder or from a phishing page cannot be used again.
//!
//! Secrets are kept sealed with AES-256-GCM under a key derived from the deployment's
//! secret, bound to the account they belong to, so that a copy of the database carries
//! no working second factor and a sealed secret moved to another account does not open.

use aes_gcm::aead::{Aead, KeyInit, Payload};
use aes_gcm::{Aes256Gcm, Nonce};
use sha2::{Digest, Sha256};
use totp_rs::{Algorithm, TOTP};

const DIGITS: usize = 6;
const STEP_SECONDS: u64 = 30;
const SECRET_BYTES: usize = 20;
/// Steps either side of now a code may come from.
const SKEW: i64 = 1;
const NONCE_BYTES: usize = 12;

/// A TOTP shared secret (160 bits, as RFC 4226 recommends).
#[derive(Clone, PartialEq, Eq)]
pub struct TotpSecret(Vec<u8>);

impl std::fmt::Debug for TotpSecret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("TotpSecret(…)")
    }
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum TotpError {
    #[error("the sealed second-factor secret does not open (another account's, or another key)")]
    Unsealable,
    #[error("the second-factor secret cannot be sealed")]
    Unsealed,
}

impl TotpSecret {
    pub fn generate() -> TotpSecret {
        TotpSecret(rand::random::<[u8; SECRET_BYTES]>().to_vec())
    }

    fn totp(&self, issuer: &str, account: &str) -> TOTP {
        TOTP::new_unchecked(
            Algorithm::SHA1,
            DIGITS,
            0,
            STEP_SECONDS,
            self.0.clone(),
            Some(issuer.to_owned()),
            account.to_owned(),
        )
    }

    /// A secret as an app shows it (base32), e.g. read back from the enrolment page.
    pub fn from_base32(text: &str) -> Option<TotpSecret> {
        totp_rs::Secret::Encoded(text.trim().to_owned())
            .to_bytes()
            .ok()
            .filter(|b| b.len() >= 16)
            .map(TotpSecret)
    }

    /// The secret as people type it into an app: base32 without padding.
    pub fn base32(&self) -> String {
        self.totp("x", "x").get_secret_base32()
    }

    /// The `otpauth://totp/…` address an authenticator app reads from a QR code.
    pub fn otpauth_url(&self, issuer: &str, account: &str) -> String {
        self.totp(issuer, account).get_url()
    }

    /// The code for the step holding `unix_time`.
    pub fn code_at(&self, unix_time: u64) -> String {
        self.totp("x", "x").generate(unix_time)
    }

    /// The step `code` belongs to, when it is good at `unix_time` and newer than
    /// `last_step` (the step of the last code accepted from this account).
    pub fn verify(&self, code: &str, unix_time: u64, last_step: Option<i64>) -> Option<i64> {
        let code: String = code.chars().filter(|c| !c.is_whitespace()).collect();
        if code.len() != DIGITS || !code.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        let now = i64::try_from(unix_time / STEP_SECONDS).ok()?;
        let totp = self.totp("x", "x");
        (now - SKEW..=now + SKEW)
            .filter(|step| last_step.is_none_or(|last| *step > last))
            .find(|step| {
                let at = u64::try_from(*step).unwrap_or(0) * STEP_SECONDS;
                let expected = totp.generate(at);
                subtle::ConstantTimeEq::ct_eq(expected.as_bytes(), code.as_bytes()).into()
            })
    }
}

/// Seals and opens TOTP secrets; cheap to clone.
#[derive(Clone)]
pub struct Sealer {
    cipher: Aes256Gcm,
}

impl Sealer {
    /// The key is derived from the deployment secret (`session.secret`); changing that
    /// secret means every account enrols its second factor again.
    pub fn new(deployment_secret: &[u8]) -> Sealer {
        let key: [u8; 32] = Sha256::new()
            .chain_update(b"sunvillage-totp-seal|")
            .chain_update(deployment_secret)
            .finalize()
            .into();
        Sealer {
            cipher: Aes256Gcm::new(&key.into()),
        }
    }

    fn aad(account_id: i64) -> Vec<u8> {
        format!("staff_accounts.totp_secret|{account_id}").into_bytes()
    }

    pub fn seal(&self, account_id: i64, secret: &TotpSecret) -> Result<Vec<u8>, TotpError> {
        let nonce: [u8; NONCE_BYTES] = rand::random();
        let aad = Sealer::aad(account_id);
        let sealed = self
            .cipher
            .encrypt(
                Nonce::from_slice(&nonce),
                Payload {
                    msg: &secret.0,
                    aad: &aad,
                },
            )
            .map_err(|_| TotpError::Unsealed)?;
        let mut out = nonce.to_vec();
        out.extend_from_slice(&sealed);
        Ok(out)
    }

    pub fn open(&self, account_id: i64, sealed: &[u8]) -> Result<TotpSecret, TotpError> {
        if sealed.len() <= NONCE_BYTES {
            return Err(TotpError::Unsealable);
        }
        let (nonce, body) = sealed.split_at(NONCE_BYTES);
        let aad = Sealer::aad(account_id);
        self.cipher
            .decrypt(
                Nonce::from_slice(nonce),
                Payload {
                    msg: body,
                    aad: &aad,
                },
            )
            .map(TotpSecret)
            .map_err(|_| TotpError::Unsealable)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// RFC 6238 appendix B, SHA-1 rows, the last six of their eight digits (the same
    /// dynamic truncation modulo 10^6).
    #[test]
    fn rfc_6238_test_vectors() {
        let secret = TotpSecret(b"12345678901234567890".to_vec());
        for (time, code) in [
            (59, "287082"),
            (1_111_111_109, "081804"),
            (1_111_111_111, "050471"),
            (1_234_567_890, "005924"),
            (2_000_000_000, "279037"),
            (20_000_000_000, "353130"),
        ] {
            assert_eq!(secret.code_at(time), code, "at {time}");
        }
    }

    #[test]
    fn a_code_is_good_once_and_only_near_its_time() {
        let secret = TotpSecret::generate();
        let now = 1_764_000_000;
        let code = secret.code_at(now);
        let step = secret.verify(&code, now, None).unwrap();
        assert_eq!(secret.verify(&code, now, Some(step)), None, "used once");
        assert!(
            secret.verify(&code, now + 30, None).is_some(),
            "one step of drift"
        );
        assert_eq!(secret.verify(&code, now + 90, None), None);
        assert_eq!(secret.verify("12345", now, None), None);
        assert_eq!(secret.verify("abcdef", now, None), None);
        let (head, tail) = code.split_at(3);
        let spaced = format!("{head} {tail}");
        assert!(secret.verify(&spaced, now, None).is_some());
    }

    #[test]
    fn a_sealed_secret_opens_only_for_its_account_and_key() {
        let sealer = Sealer::new(b"deployment secret of at least 32 bytes");
        let secret = TotpSecret::generate();
        let sealed = sealer.seal(7, &secret).unwrap();
        assert_eq!(sealer.open(7, &sealed).unwrap(), secret);
        assert_eq!(sealer.open(8, &sealed), Err(TotpError::Unsealable));
        let other = Sealer::new(b"another deployment secret, 32 bytes+");
        assert_eq!(other.open(7, &sealed), Err(TotpError::Unsealable));
        assert!(!sealed.windows(secret.0.len()).any(|w| w == secret.0));
    }

    #[test]
    fn the_otpauth_address_names_the_issuer_and_account() {
        let secret = TotpSecret::generate();
        let url = secret.otpauth_url("阳光村务", "zhangsan");
        assert!(url.starts_with("otpauth://totp/"), "{url}");
        assert!(
            url.contains(&format!("secret={}", secret.base32())),
            "{url}"
        );
        assert!(url.contains("zhangsan"), "{url}");
    }
}
