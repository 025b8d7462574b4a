//! A follower's openid: the account-specific identifier WeChat gives each follower.

use std::fmt;

/// An openid as WeChat issues them: 28 characters of letters, digits, `-` and `_` for
/// an Official Account; up to 64 are accepted so that test and future ids fit. Never
/// log one in the clear (see `telemetry::hashed`).
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct OpenId(String);

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("an openid has 1 to 64 letters, digits, '-' or '_'")]
pub struct OpenIdError;

impl OpenId {
    pub fn parse(s: &str) -> Result<OpenId, OpenIdError> {
        let ok = !s.is_empty()
            && s.len() <= 64
            && s.bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
        if ok {
            Ok(OpenId(s.to_owned()))
        } else {
            Err(OpenIdError)
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// Redacted, so that an openid inside a logged struct does not leak.
impl fmt::Debug for OpenId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "OpenId({})", crate::telemetry::hashed(&self.0))
    }
}

impl AsRef<str> for OpenId {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn real_openids_parse_and_junk_does_not() {
        assert!(OpenId::parse("oLVPpjqs9BhvzwPj5A-vTYAX3GLc").is_ok());
        for bad in ["", "has space", "a<b", &"x".repeat(65), "ö"] {
            assert!(OpenId::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn debug_does_not_show_the_openid() {
        let id = OpenId::parse("oLVPpjqs9BhvzwPj5A-vTYAX3GLc").unwrap();
        assert!(!format!("{id:?}").contains("oLVP"));
    }
}
