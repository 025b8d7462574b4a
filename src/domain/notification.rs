//! Template-message notifications under WeChat's 2023 rules: which template and fields a
//! kind of notification uses, values of at most 20 characters without line breaks, no
//! `first`/`remark` lines and no colours; and the delivery report WeChat sends back.

use std::collections::BTreeMap;
use std::fmt;

use super::OpenId;

/// Longest template field value WeChat shows since 2023-05-04 (characters, not bytes).
pub const MAX_VALUE_CHARS: usize = 20;

/// Longest link a template message may carry.
pub const MAX_LINK_BYTES: usize = 1024;

/// What a notification kind and a notification field name look like (they are
/// configuration keys: `[wechat.templates.complaint_received]`, `tracking_number = …`).
pub const NAME_RULE: &str =
    "a lower-case letter, then lower-case letters, digits or _ (at most 64)";

/// Whether `s` follows [`NAME_RULE`].
fn is_name(s: &str) -> bool {
    s.len() <= 64
        && s.bytes().next().is_some_and(|b| b.is_ascii_lowercase())
        && s.bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
}

/// A kind of notification, named like a configuration key (`complaint_received`), by
/// [`NAME_RULE`].
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct NotificationKind(String);

impl NotificationKind {
    pub fn parse(s: &str) -> Result<NotificationKind, NotificationError> {
        if is_name(s) {
            Ok(NotificationKind(s.to_owned()))
        } else {
            Err(NotificationError::BadKind(s.to_owned()))
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// So that a map of kinds can be looked up with the kind's name.
impl std::borrow::Borrow<str> for NotificationKind {
    fn borrow(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for NotificationKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// One field value of a template message: 1 to 20 characters, no line break, no emoji.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TemplateValue(String);

impl TemplateValue {
    pub fn parse(s: &str) -> Result<TemplateValue, ValueError> {
        if s.trim().is_empty() {
            return Err(ValueError::Empty);
        }
        let chars = s.chars().count();
        if chars > MAX_VALUE_CHARS {
            return Err(ValueError::TooLong(chars));
        }
        if s.chars()
            .any(|c| matches!(c, '\n' | '\r' | '\u{2028}' | '\u{2029}'))
        {
            return Err(ValueError::LineBreak);
        }
        if s.chars().any(is_emoji) {
            return Err(ValueError::Emoji);
        }
        Ok(TemplateValue(s.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// The common emoji blocks; WeChat drops them from template messages since 2023.
fn is_emoji(c: char) -> bool {
    matches!(u32::from(c),
        0x1F000..=0x1FAFF | 0x2600..=0x27BF | 0xFE0F)
}

/// Why a field value breaks the 2023 template rules.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ValueError {
    #[error("is empty")]
    Empty,
    #[error("has {0} characters; WeChat shows at most 20")]
    TooLong(usize),
    #[error("contains a line break, which WeChat does not allow")]
    LineBreak,
    #[error("contains an emoji, which WeChat drops")]
    Emoji,
}

/// Which template a kind of notification uses, and which template keyword
/// (`thing2`, `character_string1`, …) each of its named fields fills. A field name
/// follows [`NAME_RULE`]; a keyword is letters, digits and _ as the console shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TemplateSpec {
    template_id: String,
    /// Notification field name → template keyword.
    fields: BTreeMap<String, String>,
}

/// Keywords the 2023 rules removed; a template that still names them is misconfigured.
const RETIRED_KEYWORDS: [&str; 2] = ["first", "remark"];

impl TemplateSpec {
    /// `fields` maps each notification field name to the template's keyword.
    pub fn parse(
        template_id: &str,
        fields: &BTreeMap<String, String>,
    ) -> Result<TemplateSpec, String> {
        let id_ok = !template_id.is_empty()
            && template_id.len() <= 128
            && template_id
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
        if !id_ok {
            return Err(
                "template_id must be the id from the console (letters, digits, - and _)".into(),
            );
        }
        if fields.is_empty() {
            return Err("fields is empty: map each field name to a template keyword".into());
        }
        let mut keywords = std::collections::BTreeSet::new();
        for (name, keyword) in fields {
            if !is_name(name) {
                return Err(format!(
                    "fields: `{name}` is not a field name ({NAME_RULE})"
                ));
            }
            let keyword_ok = !keyword.is_empty()
                && keyword.len() <= 64
                && keyword
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'_');
            if !keyword_ok {
                return Err(format!(
                    "fields.{name}: `{keyword}` is not a template keyword such as thing2"
                ));
            }
            if RETIRED_KEYWORDS.contains(&keyword.as_str()) {
                return Err(format!(
                    "fields.{name}: `{keyword}` is no longer shown by WeChat (2023 rules)"
                ));
            }
            if !keywords.insert(keyword.as_str()) {
                return Err(format!("fields: keyword `{keyword}` is used twice"));
            }
        }
        Ok(TemplateSpec {
            template_id: template_id.to_owned(),
            fields: fields.clone(),
        })
    }

    pub fn template_id(&self) -> &str {
        &self.template_id
    }

    /// The field names a notification of this kind must give, in order.
    pub fn field_names(&self) -> impl Iterator<Item = &str> {
        self.fields.keys().map(String::as_str)
    }

    /// The template keyword a field fills.
    pub fn keyword(&self, field: &str) -> Option<&str> {
        self.fields.get(field).map(String::as_str)
    }

    /// A notification of `kind` for `openid`: every configured field given exactly
    /// once, each value within the 2023 rules, and an absolute http(s) link.
    pub fn notification(
        &self,
        kind: &NotificationKind,
        openid: &OpenId,
        values: &[(&str, &str)],
        link: Option<&str>,
    ) -> Result<Notification, NotificationError> {
        let mut data = BTreeMap::new();
        for (name, value) in values {
            let Some(keyword) = self.fields.get(*name) else {
                return Err(NotificationError::UnexpectedField {
                    kind: kind.to_string(),
                    field: (*name).to_owned(),
                });
            };
            let value =
                TemplateValue::parse(value).map_err(|reason| NotificationError::BadValue {
                    kind: kind.to_string(),
                    field: (*name).to_owned(),
                    reason,
                })?;
            if data.insert(keyword.clone(), value).is_some() {
                return Err(NotificationError::DuplicateField {
                    kind: kind.to_string(),
                    field: (*name).to_owned(),
                });
            }
        }
        if let Some((name, _)) = self.fields.iter().find(|(_, kw)| !data.contains_key(*kw)) {
            return Err(NotificationError::MissingField {
                kind: kind.to_string(),
                field: name.clone(),
            });
        }
        let link = link.map(check_link).transpose()?;
        Ok(Notification {
            kind: kind.clone(),
            openid: openid.clone(),
            template_id: self.template_id.clone(),
            data,
            link,
        })
    }
}

fn check_link(link: &str) -> Result<String, NotificationError> {
    let bad = || NotificationError::BadLink(link.chars().take(80).collect());
    if link.len() > MAX_LINK_BYTES {
        return Err(bad());
    }
    let parsed = url::Url::parse(link).map_err(|_| bad())?;
    if !matches!(parsed.scheme(), "http" | "https") || parsed.host().is_none() {
        return Err(bad());
    }
    Ok(link.to_owned())
}

/// A template message ready for the outbox. Built only by [`TemplateSpec::notification`],
/// so it always obeys the configured mapping and the 2023 rules.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Notification {
    kind: NotificationKind,
    openid: OpenId,
    template_id: String,
    /// Template keyword → value.
    data: BTreeMap<String, TemplateValue>,
    link: Option<String>,
}

impl Notification {
    pub fn kind(&self) -> &NotificationKind {
        &self.kind
    }

    pub fn openid(&self) -> &OpenId {
        &self.openid
    }

    pub fn template_id(&self) -> &str {
        &self.template_id
    }

    /// Template keyword → value.
    pub fn data(&self) -> impl Iterator<Item = (&str, &str)> {
        self.data.iter().map(|(k, v)| (k.as_str(), v.as_str()))
    }

    /// The fields as message/template/send takes them: `{"keyword": {"value": "…"}}`
    /// (no colours: ignored since 2023).
    pub fn template_data(&self) -> serde_json::Value {
        serde_json::Value::Object(
            self.data()
                .map(|(k, v)| (k.to_owned(), serde_json::json!({ "value": v })))
                .collect(),
        )
    }

    pub fn link(&self) -> Option<&str> {
        self.link.as_deref()
    }
}

/// Why a notification cannot be built; each names the kind and field.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum NotificationError {
    #[error("`{0}` is not a notification kind ({rule})", rule = NAME_RULE)]
    BadKind(String),
    #[error("no template is configured for notification kind `{0}` (wechat.templates.{0})")]
    UnknownKind(String),
    #[error("{kind}: field `{field}` is not in the configured template")]
    UnexpectedField { kind: String, field: String },
    #[error("{kind}: field `{field}` is given twice")]
    DuplicateField { kind: String, field: String },
    #[error("{kind}: field `{field}` is missing")]
    MissingField { kind: String, field: String },
    #[error("{kind}: field `{field}` {reason}")]
    BadValue {
        kind: String,
        field: String,
        reason: ValueError,
    },
    #[error("the link `{0}` is not an absolute http(s) URL of at most 1024 bytes")]
    BadLink(String),
}

/// What a `TEMPLATESENDJOBFINISH` event reports about one message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TemplateJobStatus {
    /// `success`: the follower received it.
    Success,
    /// `failed:user block`: the follower refuses the account's messages.
    UserBlock,
    /// `failed: system failed`: WeChat could not deliver it.
    SystemFailed,
    /// Any other text WeChat may send.
    Unknown,
}

impl TemplateJobStatus {
    /// Reads the event's `Status` text, tolerant of the spacing variants WeChat uses.
    pub fn parse(status: &str) -> TemplateJobStatus {
        let squeezed: String = status
            .chars()
            .filter(|c| !c.is_whitespace())
            .flat_map(char::to_lowercase)
            .collect();
        match squeezed.as_str() {
            "success" => TemplateJobStatus::Success,
            "failed:userblock" => TemplateJobStatus::UserBlock,
            "failed:systemfailed" => TemplateJobStatus::SystemFailed,
            _ => TemplateJobStatus::Unknown,
        }
    }

    /// The value stored in `outbox.delivery_status`.
    pub fn as_str(self) -> &'static str {
        match self {
            TemplateJobStatus::Success => "success",
            TemplateJobStatus::UserBlock => "user_block",
            TemplateJobStatus::SystemFailed => "system_failed",
            TemplateJobStatus::Unknown => "unknown",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec() -> TemplateSpec {
        let fields: BTreeMap<String, String> = [
            ("tracking_number", "character_string1"),
            ("status", "phrase2"),
        ]
        .into_iter()
        .map(|(a, b)| (a.to_owned(), b.to_owned()))
        .collect();
        TemplateSpec::parse("ngqIpbwh8bUfcSsECmogfXcV14J0tQlEpBO27izEYtY", &fields).unwrap()
    }

    fn openid() -> OpenId {
        OpenId::parse("oLVPpjqs9BhvzwPj5A-vTYAX3GLc").unwrap()
    }

    fn kind() -> NotificationKind {
        NotificationKind::parse("complaint_received").unwrap()
    }

    #[test]
    fn a_notification_maps_fields_to_template_keywords() {
        let n = spec()
            .notification(
                &kind(),
                &openid(),
                &[("tracking_number", "TS20261129001"), ("status", "已受理")],
                Some("https://cunwu.example.cn/complaints/TS20261129001"),
            )
            .unwrap();
        let data: Vec<_> = n.data().collect();
        assert_eq!(
            data,
            [
                ("character_string1", "TS20261129001"),
                ("phrase2", "已受理")
            ]
        );
        assert_eq!(
            n.template_id(),
            "ngqIpbwh8bUfcSsECmogfXcV14J0tQlEpBO27izEYtY"
        );
    }

    #[test]
    fn values_follow_the_2023_rules() {
        assert!(TemplateValue::parse(&"受".repeat(20)).is_ok());
        assert_eq!(
            TemplateValue::parse(&"受".repeat(21)),
            Err(ValueError::TooLong(21))
        );
        assert_eq!(
            TemplateValue::parse("第一行\n第二行"),
            Err(ValueError::LineBreak)
        );
        assert_eq!(TemplateValue::parse("  "), Err(ValueError::Empty));
        assert_eq!(TemplateValue::parse("已办结👍"), Err(ValueError::Emoji));
    }

    #[test]
    fn every_problem_names_the_field() {
        let s = spec();
        let err = s
            .notification(
                &kind(),
                &openid(),
                &[("tracking_number", "TS1"), ("status", &"长".repeat(21))],
                None,
            )
            .unwrap_err();
        assert_eq!(
            err.to_string(),
            "complaint_received: field `status` has 21 characters; WeChat shows at most 20"
        );
        let err = s
            .notification(&kind(), &openid(), &[("tracking_number", "TS1")], None)
            .unwrap_err();
        assert!(err.to_string().contains("`status` is missing"), "{err}");
        let err = s
            .notification(
                &kind(),
                &openid(),
                &[("tracking_number", "TS1"), ("status", "ok"), ("first", "x")],
                None,
            )
            .unwrap_err();
        assert!(err.to_string().contains("`first`"), "{err}");
        let err = s
            .notification(
                &kind(),
                &openid(),
                &[("tracking_number", "TS1"), ("status", "ok")],
                Some("/relative"),
            )
            .unwrap_err();
        assert!(matches!(err, NotificationError::BadLink(_)));
    }

    #[test]
    fn a_template_naming_first_or_remark_is_refused() {
        let fields: BTreeMap<String, String> = [("intro".to_owned(), "first".to_owned())].into();
        assert!(TemplateSpec::parse("abc", &fields).is_err());
        let empty = BTreeMap::new();
        assert!(TemplateSpec::parse("abc", &empty).is_err());
        let fields: BTreeMap<String, String> = [("a".to_owned(), "thing1".to_owned())].into();
        assert!(TemplateSpec::parse("has space", &fields).is_err());
    }

    #[test]
    fn field_names_follow_the_documented_rule() {
        let spec = |name: &str| {
            let fields: BTreeMap<String, String> = [(name.to_owned(), "thing1".to_owned())].into();
            TemplateSpec::parse("abc", &fields)
        };
        assert!(spec("tracking_number").is_ok());
        for bad in ["Status", "2nd", "_x", "has-dash", &"x".repeat(65)] {
            let err = spec(bad).unwrap_err();
            assert!(err.contains(NAME_RULE), "{bad}: {err}");
        }
        assert!(
            NotificationKind::parse("Complaint")
                .unwrap_err()
                .to_string()
                .contains(NAME_RULE)
        );
    }

    #[test]
    fn job_statuses_parse_as_wechat_writes_them() {
        assert_eq!(
            TemplateJobStatus::parse("success"),
            TemplateJobStatus::Success
        );
        assert_eq!(
            TemplateJobStatus::parse("failed:user block"),
            TemplateJobStatus::UserBlock
        );
        assert_eq!(
            TemplateJobStatus::parse("failed: system failed"),
            TemplateJobStatus::SystemFailed
        );
        assert_eq!(TemplateJobStatus::parse("what"), TemplateJobStatus::Unknown);
    }
}
