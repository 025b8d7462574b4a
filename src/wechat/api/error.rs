//! What a call to WeChat's API can end in: WeChat's `errcode`/`errmsg` as a typed code,
//! network and HTTP failures, and the token store's failures. Nothing here ever holds a
//! URL (queries may carry the AppSecret or an access_token) or the AppSecret itself.

use std::fmt;

use crate::kv::KvError;

/// WeChat's `errcode`, with a name for each code the service acts on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrCode {
    /// -1: system busy; retry with back-off.
    SystemBusy,
    /// 40001: invalid credential, or the token is not the latest.
    InvalidCredential,
    /// 40014: invalid access_token.
    InvalidAccessToken,
    /// 42001: access_token expired.
    AccessTokenExpired,
    /// 40003: invalid openid.
    InvalidOpenId,
    /// 40013: invalid AppID.
    InvalidAppId,
    /// 40125: invalid AppSecret.
    InvalidAppSecret,
    /// 40164: the caller's IP is not in the console's whitelist.
    IpNotWhitelisted,
    /// 89503: a risky IP awaits the administrator's confirmation.
    IpNeedsConfirmation,
    /// 40037: invalid template_id.
    InvalidTemplateId,
    /// 43004: the follower has unsubscribed.
    RequireSubscribe,
    /// 43101: the follower refuses the messages.
    UserRefused,
    /// 45009: the daily quota is used up.
    ApiQuota,
    /// 45011: too many calls this minute.
    FrequencyLimit,
    /// 46003: no menu is set.
    MenuNotExist,
    /// 40029 / 40163 / 42003: an OAuth code that is invalid, used or expired.
    BadOAuthCode(i64),
    /// 47001 / 47003: the request body or one of its arguments is malformed.
    BadArgument(i64),
    /// 48001: the account may not use this API.
    Unauthorized,
    Other(i64),
}

impl ErrCode {
    pub fn from_code(code: i64) -> ErrCode {
        match code {
            -1 => ErrCode::SystemBusy,
            40001 => ErrCode::InvalidCredential,
            40014 => ErrCode::InvalidAccessToken,
            42001 => ErrCode::AccessTokenExpired,
            40003 => ErrCode::InvalidOpenId,
            40013 => ErrCode::InvalidAppId,
            40125 => ErrCode::InvalidAppSecret,
            40164 => ErrCode::IpNotWhitelisted,
            89503 => ErrCode::IpNeedsConfirmation,
            40037 => ErrCode::InvalidTemplateId,
            43004 => ErrCode::RequireSubscribe,
            43101 => ErrCode::UserRefused,
            45009 => ErrCode::ApiQuota,
            45011 => ErrCode::FrequencyLimit,
            46003 => ErrCode::MenuNotExist,
            40029 | 40163 | 42003 => ErrCode::BadOAuthCode(code),
            47001 | 47003 => ErrCode::BadArgument(code),
            48001 => ErrCode::Unauthorized,
            other => ErrCode::Other(other),
        }
    }

    pub fn code(self) -> i64 {
        match self {
            ErrCode::SystemBusy => -1,
            ErrCode::InvalidCredential => 40001,
            ErrCode::InvalidAccessToken => 40014,
            ErrCode::AccessTokenExpired => 42001,
            ErrCode::InvalidOpenId => 40003,
            ErrCode::InvalidAppId => 40013,
            ErrCode::InvalidAppSecret => 40125,
            ErrCode::IpNotWhitelisted => 40164,
            ErrCode::IpNeedsConfirmation => 89503,
            ErrCode::InvalidTemplateId => 40037,
            ErrCode::RequireSubscribe => 43004,
            ErrCode::UserRefused => 43101,
            ErrCode::ApiQuota => 45009,
            ErrCode::FrequencyLimit => 45011,
            ErrCode::MenuNotExist => 46003,
            ErrCode::BadOAuthCode(c) | ErrCode::BadArgument(c) | ErrCode::Other(c) => c,
            ErrCode::Unauthorized => 48001,
        }
    }

    /// 40001 / 40014 / 42001 on a business call: the token we used is dead.
    pub fn is_token_error(self) -> bool {
        matches!(
            self,
            ErrCode::InvalidCredential | ErrCode::InvalidAccessToken | ErrCode::AccessTokenExpired
        )
    }
}

impl fmt::Display for ErrCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.code())
    }
}

/// A failed call to WeChat.
#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    /// WeChat answered with a non-zero `errcode`.
    #[error("WeChat error {code}: {message}")]
    Wechat { code: ErrCode, message: String },
    /// No answer: connecting, sending or reading failed or timed out. The source never
    /// carries the URL.
    #[error("cannot reach WeChat ({path})")]
    Network {
        path: &'static str,
        #[source]
        source: reqwest::Error,
    },
    /// An HTTP status other than 200.
    #[error("WeChat answered HTTP {status} ({path})")]
    Http { path: &'static str, status: u16 },
    /// A body that is not the JSON expected.
    #[error("unexpected answer from WeChat ({path}): {reason}")]
    BadResponse { path: &'static str, reason: String },
    /// The shared token store (Redis) failed.
    #[error("token store: {0}")]
    Store(#[from] KvError),
    /// Another instance held the refresh lock and no new token appeared in time.
    #[error("no {0} became available while another instance was refreshing it")]
    RefreshTimedOut(&'static str),
}

impl ApiError {
    /// The WeChat code, if WeChat answered with one.
    pub fn errcode(&self) -> Option<ErrCode> {
        match self {
            ApiError::Wechat { code, .. } => Some(*code),
            _ => None,
        }
    }

    /// Worth retrying within a call: system busy, no answer, or a 5xx.
    pub fn is_busy_or_unreachable(&self) -> bool {
        match self {
            ApiError::Wechat { code, .. } => *code == ErrCode::SystemBusy,
            ApiError::Network { .. } => true,
            ApiError::Http { status, .. } => *status >= 500,
            _ => false,
        }
    }

    /// A failure that a later attempt may not repeat (the outbox retries these later);
    /// the rest will fail the same way every time.
    pub fn is_transient(&self) -> bool {
        match self {
            ApiError::Wechat { code, .. } => !matches!(
                code,
                ErrCode::InvalidOpenId
                    | ErrCode::InvalidTemplateId
                    | ErrCode::RequireSubscribe
                    | ErrCode::UserRefused
                    | ErrCode::BadArgument(_)
            ),
            // A body that is not the JSON WeChat writes is a fault on the way (a proxy's
            // error page, a cut-off answer), not of the message: a later attempt may well
            // succeed, and a resend carries the same client_msg_id, so WeChat drops a copy.
            ApiError::BadResponse { .. } => true,
            ApiError::Network { .. }
            | ApiError::Http { .. }
            | ApiError::Store(_)
            | ApiError::RefreshTimedOut(_) => true,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_round_trip_and_classify() {
        for code in [
            -1, 40001, 40014, 42001, 40003, 40013, 40125, 40164, 89503, 40037, 43004, 43101, 45009,
            45011, 46003, 40029, 40163, 42003, 47001, 47003, 48001, 12345,
        ] {
            assert_eq!(ErrCode::from_code(code).code(), code);
        }
        assert!(ErrCode::from_code(42001).is_token_error());
        assert!(!ErrCode::from_code(40164).is_token_error());
        let err = |code| ApiError::Wechat {
            code: ErrCode::from_code(code),
            message: String::new(),
        };
        assert!(!err(43004).is_transient());
        assert!(!err(40003).is_transient());
        assert!(!err(40037).is_transient());
        assert!(err(45009).is_transient());
        assert!(err(-1).is_busy_or_unreachable());
        assert!(!err(45011).is_busy_or_unreachable());
    }

    #[test]
    fn error_json_vectors_parse_to_codes() {
        let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/errors");
        for (file, code) in [
            ("wxjava_40003.json", 40003),
            ("wxjava_40003_extra_field.json", 40003),
            ("silenceper_43101.json", 43101),
        ] {
            let text = std::fs::read_to_string(format!("{dir}/{file}")).unwrap();
            let v: serde_json::Value = serde_json::from_str(&text).unwrap();
            assert_eq!(super::super::errcode_of(&v), Some(code), "{file}");
        }
        for file in ["wxjava_success_is_not_error.json", "silenceper_ok.json"] {
            let text = std::fs::read_to_string(format!("{dir}/{file}")).unwrap();
            let v: serde_json::Value = serde_json::from_str(&text).unwrap();
            assert_eq!(super::super::errcode_of(&v), None, "{file}");
        }
    }
}
