//! Staff passwords: hashed with argon2id (RFC 9106; the crate's defaults are OWASP's
//! recommended minimum, m = 19 MiB, t = 2, p = 1) into a PHC string that carries its own
//! parameters, so they can be raised later without invalidating stored hashes. A new
//! password is checked for strength first.

use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::{Algorithm, Argon2, Params, Version};
use secrecy::{ExposeSecret, SecretString};

/// Shortest password accepted.
pub const MIN_CHARS: usize = 12;
/// Longest: argon2 takes any length, but nobody types more, and a megabyte of
/// "password" would only cost us hashing time.
pub const MAX_CHARS: usize = 128;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum WeakPassword {
    #[error("密码至少{MIN_CHARS}位")]
    TooShort,
    #[error("密码最多{MAX_CHARS}位")]
    TooLong,
    #[error("密码需包含大写字母、小写字母、数字、符号中的至少三类（16位以上的至少两类）")]
    TooSimple,
    #[error("密码不能包含用户名或姓名")]
    ContainsName,
    #[error("这个密码太常见，请换一个")]
    Common,
}

#[derive(Debug, thiserror::Error)]
#[error("cannot hash the password: {0}")]
pub struct HashError(String);

/// Passwords people choose first, whatever the rules say (from lists of leaked Chinese
/// and English passwords), lower-cased and compared with the password lower-cased.
const COMMON: &[&str] = &[
    "password",
    "passw0rd",
    "p@ssw0rd",
    "qwerty",
    "qwertyuiop",
    "1qaz2wsx",
    "1q2w3e4r",
    "abc123",
    "abcd1234",
    "admin",
    "admin123",
    "administrator",
    "woaini",
    "woaini1314",
    "iloveyou",
    "123456",
    "12345678",
    "123456789",
    "1234567890",
    "88888888",
    "66666666",
    "000000",
    "111111",
    "123123",
    "a123456",
    "aa123456",
    "zxcvbnm",
    "asdfghjkl",
    "sunvillage",
    "yangguangcunwu",
    "cunwu",
    "jiwei",
    "xinyang",
    "welcome",
    "changeme",
];

/// Checks a new password against the rules; `names` are the username and display name.
pub fn check_strength(password: &SecretString, names: &[&str]) -> Result<(), WeakPassword> {
    let p = password.expose_secret();
    let chars = p.chars().count();
    if chars < MIN_CHARS {
        return Err(WeakPassword::TooShort);
    }
    if chars > MAX_CHARS {
        return Err(WeakPassword::TooLong);
    }
    let classes = [
        p.chars().any(|c| c.is_ascii_uppercase()),
        p.chars().any(|c| c.is_ascii_lowercase()),
        p.chars().any(|c| c.is_ascii_digit()),
        p.chars().any(|c| !c.is_ascii_alphanumeric()),
    ]
    .into_iter()
    .filter(|x| *x)
    .count();
    let distinct = p.chars().collect::<std::collections::BTreeSet<_>>().len();
    if classes < 3 && !(chars >= 16 && classes >= 2) || distinct < 5 {
        return Err(WeakPassword::TooSimple);
    }
    let lower = p.to_lowercase();
    if names
        .iter()
        .map(|n| n.trim().to_lowercase())
        .any(|n| n.chars().count() >= 2 && lower.contains(&n))
    {
        return Err(WeakPassword::ContainsName);
    }
    // A common password with a few digits or a symbol added is still that password.
    let core: String = lower.chars().filter(|c| c.is_alphanumeric()).collect();
    let core = core.trim_end_matches(|c: char| c.is_ascii_digit());
    if COMMON
        .iter()
        .any(|common| lower == *common || (common.len() >= 6 && core == *common))
    {
        return Err(WeakPassword::Common);
    }
    Ok(())
}

fn argon2() -> Argon2<'static> {
    Argon2::new(Algorithm::Argon2id, Version::V0x13, Params::default())
}

/// The PHC string to store for `password`.
pub fn hash(password: &SecretString) -> Result<String, HashError> {
    let salt_bytes: [u8; 16] = rand::random();
    let salt = SaltString::encode_b64(&salt_bytes).map_err(|e| HashError(e.to_string()))?;
    argon2()
        .hash_password(password.expose_secret().as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|e| HashError(e.to_string()))
}

/// Whether `password` matches the stored `phc` string (constant time in the password).
pub fn verify(password: &SecretString, phc: &str) -> bool {
    let Ok(parsed) = PasswordHash::new(phc) else {
        return false;
    };
    argon2()
        .verify_password(password.expose_secret().as_bytes(), &parsed)
        .is_ok()
}

/// Spends the time a real verification takes, for a username that does not exist, so
/// that timing does not tell which usernames do.
pub fn verify_nothing(password: &SecretString) {
    static DUMMY: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    let dummy = DUMMY.get_or_init(|| {
        hash(&SecretString::from(
            "a dummy password nobody has".to_owned(),
        ))
        .unwrap_or_default()
    });
    let _ = verify(password, dummy);
}

#[cfg(test)]
mod tests {
    use super::*;

    fn secret(s: &str) -> SecretString {
        SecretString::from(s.to_owned())
    }

    #[test]
    fn a_hash_verifies_only_its_password_and_names_argon2id() {
        let h = hash(&secret("Xinyang-2026-cunwu")).unwrap();
        assert!(h.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"), "{h}");
        assert!(verify(&secret("Xinyang-2026-cunwu"), &h));
        assert!(!verify(&secret("Xinyang-2026-cunwU"), &h));
        assert!(!verify(&secret("Xinyang-2026-cunwu"), "not a hash"));
        assert_ne!(h, hash(&secret("Xinyang-2026-cunwu")).unwrap(), "salted");
    }

    #[test]
    fn weak_passwords_are_refused_with_the_reason() {
        let names = ["zhangsan", "张三"];
        for (p, why) in [
            ("Short1!", WeakPassword::TooShort),
            ("alllowercaseletters", WeakPassword::TooSimple),
            ("aaaaaaaaaaaaA1!", WeakPassword::TooSimple),
            ("Zhangsan-2026!", WeakPassword::ContainsName),
            ("我是张三的密码Aa1!x", WeakPassword::ContainsName),
            ("Password12345", WeakPassword::Common),
            ("Woaini1314!!!", WeakPassword::Common),
        ] {
            assert_eq!(check_strength(&secret(p), &names), Err(why), "{p}");
        }
        for good in ["Xinyang-2026-cunwu", "correct horse battery staple 9"] {
            assert_eq!(check_strength(&secret(good), &names), Ok(()), "{good}");
        }
    }
}
