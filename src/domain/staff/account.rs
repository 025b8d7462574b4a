//! What makes an account: a username (how staff sign in) and a display name (what the
//! timeline and the audit log show). Both parse or refuse with a reason in Chinese.

use std::fmt;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AccountError {
    #[error("用户名为3到32位小写字母、数字、点、下划线或连字符，以字母开头")]
    Username,
    #[error("姓名为1到20个字，不含控制字符")]
    DisplayName,
}

/// 3–32 of `a-z 0-9 . _ -`, starting with a letter; stored lower-case, so that
/// `ZhangSan` and `zhangsan` are one account.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Username(String);

impl Username {
    pub fn parse(raw: &str) -> Result<Username, AccountError> {
        let s = raw.trim().to_ascii_lowercase();
        let ok = (3..=32).contains(&s.len())
            && s.starts_with(|c: char| c.is_ascii_lowercase())
            && s.bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b"._-".contains(&b));
        if ok {
            Ok(Username(s))
        } else {
            Err(AccountError::Username)
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Username {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A person's name as staff read it: 1–20 characters, no control characters.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DisplayName(String);

impl DisplayName {
    pub fn parse(raw: &str) -> Result<DisplayName, AccountError> {
        let s = raw.trim();
        let ok = (1..=20).contains(&s.chars().count()) && !s.chars().any(char::is_control);
        if ok {
            Ok(DisplayName(s.to_owned()))
        } else {
            Err(AccountError::DisplayName)
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn usernames_are_lower_case_and_plain() {
        assert_eq!(Username::parse(" ZhangSan ").unwrap().as_str(), "zhangsan");
        assert!(Username::parse("li.si-2").is_ok());
        for bad in [
            "ab",
            "1abc",
            "张三",
            "a b c",
            "a'; DROP TABLE",
            &"a".repeat(33),
        ] {
            assert!(Username::parse(bad).is_err(), "{bad}");
        }
        assert!(DisplayName::parse("王五").is_ok());
        assert!(DisplayName::parse("").is_err());
        assert!(DisplayName::parse("a\u{7}b").is_err());
    }
}
