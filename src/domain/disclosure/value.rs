//! The values a module's fields and list columns hold, one type per kind, each parsed
//! from what a clerk typed (or a spreadsheet cell held) and never holding anything else.
//! Errors are Chinese sentences: they are shown to the clerk as they are.

use std::fmt;

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use super::Amount;
use crate::domain::MaskedName;

/// What kind of value a field or column holds (`kind = "…"` in `data/modules/*.toml`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Kind {
    /// One line of text.
    Text,
    /// Several lines.
    Textarea,
    /// A day, written 2026-11-28 (or 2026/11/28, 2026年11月28日).
    Date,
    /// Yuan with at most two decimals, kept as 分 (fen).
    Amount,
    /// A whole number (household size, votes).
    Integer,
    /// One of the field's `choices`.
    Choice,
    /// A person's name: kept whole for staff, masked (张*明) wherever the public reads it.
    Name,
    /// One of the draft's attachments (a receipt photo), by the SHA-256 of its bytes:
    /// a hash rather than an id, so that the reference survives publication and a
    /// published row says exactly which picture it means.
    Attachment,
}

impl Kind {
    pub const ALL: &[Kind] = &[
        Kind::Text,
        Kind::Textarea,
        Kind::Date,
        Kind::Amount,
        Kind::Integer,
        Kind::Choice,
        Kind::Name,
        Kind::Attachment,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Text => "text",
            Kind::Textarea => "textarea",
            Kind::Date => "date",
            Kind::Amount => "amount",
            Kind::Integer => "integer",
            Kind::Choice => "choice",
            Kind::Name => "name",
            Kind::Attachment => "attachment",
        }
    }

    pub fn parse(s: &str) -> Option<Kind> {
        Kind::ALL.iter().copied().find(|k| k.as_str() == s)
    }
}

/// One value of a field or cell.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Value {
    Text(String),
    Date(NaiveDate),
    Amount(Amount),
    Integer(i64),
    /// A person's full name (see [`Kind::Name`]).
    Name(String),
    /// An attachment's SHA-256, 64 lowercase hex digits (see [`Kind::Attachment`]).
    File(String),
}

impl Value {
    /// As the public reads it: names masked, amounts in yuan, dates as 2026-11-28.
    pub fn public_text(&self) -> String {
        match self {
            Value::Name(full) => MaskedName::mask(full)
                .map(|m| m.as_str().to_owned())
                .unwrap_or_else(|_| "*".into()),
            other => other.to_string(),
        }
    }

    /// The value in canonical JSON: amounts as integer fen, dates as strings, names
    /// masked when `public`.
    pub fn to_json(&self, public: bool) -> serde_json::Value {
        match self {
            Value::Text(s) => s.as_str().into(),
            Value::Date(d) => d.format("%Y-%m-%d").to_string().into(),
            Value::Amount(a) => a.fen().into(),
            Value::Integer(n) => (*n).into(),
            Value::Name(_) if public => self.public_text().into(),
            Value::Name(s) | Value::File(s) => s.as_str().into(),
        }
    }

    /// Reads back a value written by [`Value::to_json`] (not public) for `kind`.
    pub fn from_json(kind: Kind, v: &serde_json::Value) -> Option<Value> {
        match kind {
            Kind::Text | Kind::Textarea | Kind::Choice => {
                v.as_str().map(|s| Value::Text(s.to_owned()))
            }
            Kind::Name => v.as_str().map(|s| Value::Name(s.to_owned())),
            Kind::Date => v
                .as_str()
                .and_then(|s| NaiveDate::parse_from_str(s, "%Y-%m-%d").ok())
                .map(Value::Date),
            Kind::Amount => v
                .as_i64()
                .and_then(|f| Amount::from_fen(f).ok())
                .map(Value::Amount),
            Kind::Integer => v.as_i64().map(Value::Integer),
            Kind::Attachment => v.as_str().and_then(file_hash).map(Value::File),
        }
    }

    pub fn amount(&self) -> Option<Amount> {
        match self {
            Value::Amount(a) => Some(*a),
            _ => None,
        }
    }

    /// The SHA-256 (hex) of the attachment this refers to.
    pub fn file(&self) -> Option<&str> {
        match self {
            Value::File(h) => Some(h),
            _ => None,
        }
    }

    pub fn as_text(&self) -> Option<&str> {
        match self {
            Value::Text(s) | Value::Name(s) => Some(s),
            _ => None,
        }
    }
}

impl fmt::Display for Value {
    /// As staff read and type it (an amount as `1234.50`, so that it can be typed back).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Value::Text(s) | Value::Name(s) | Value::File(s) => f.write_str(s),
            Value::Date(d) => write!(f, "{}", d.format("%Y-%m-%d")),
            Value::Amount(a) => f.write_str(&a.plain_yuan()),
            Value::Integer(n) => write!(f, "{n}"),
        }
    }
}

/// The limits a field or column puts on what it holds.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Rules {
    /// Longest text, in characters.
    pub max_chars: Option<usize>,
    pub min: Option<i64>,
    pub max: Option<i64>,
    pub choices: Vec<String>,
}

/// Parses what was typed for `kind`; `Ok(None)` when nothing was. Text of every kind
/// is refused when it holds an ID-card number: all of a disclosure is public.
pub fn parse(kind: Kind, rules: &Rules, raw: &str) -> Result<Option<Value>, String> {
    let raw = if kind == Kind::Textarea {
        raw.replace("\r\n", "\n").replace('\r', "\n")
    } else {
        raw.to_owned()
    };
    let s = raw.trim();
    if s.is_empty() {
        return Ok(None);
    }
    let control = |c: char| c.is_control() && !(kind == Kind::Textarea && matches!(c, '\n' | '\t'));
    if s.chars().any(control) {
        return Err("含有控制字符".into());
    }
    if kind == Kind::Attachment {
        return file_hash(s)
            .map(|h| Some(Value::File(h)))
            .ok_or_else(|| "应为本草稿已上传的附件（填写文件名）".to_owned());
    }
    if contains_id_number(s) {
        return Err("含有身份证号码，公开内容不得填写身份证号".into());
    }
    let max_chars = rules.max_chars.unwrap_or(match kind {
        Kind::Textarea => 20_000,
        _ => 100,
    });
    if s.chars().count() > max_chars {
        return Err(format!("超过{max_chars}个字"));
    }
    let value = match kind {
        Kind::Text | Kind::Textarea => Value::Text(s.to_owned()),
        Kind::Attachment => return Err("应为本草稿已上传的附件（填写文件名）".into()),
        Kind::Choice => {
            if !rules.choices.iter().any(|c| c == s) {
                return Err(format!("应为以下之一：{}", rules.choices.join("、")));
            }
            Value::Text(s.to_owned())
        }
        Kind::Name => {
            MaskedName::mask(s).map_err(|_| "不是有效的姓名（2至10个字）".to_owned())?;
            Value::Name(s.to_owned())
        }
        Kind::Date => Value::Date(parse_date(s).ok_or("不是有效的日期，应写作2026-11-28")?),
        Kind::Amount => {
            let a = Amount::parse_yuan(s)?;
            Value::Amount(a)
        }
        Kind::Integer => {
            let n: i64 = s.parse().map_err(|_| "应为整数".to_owned())?;
            if rules.min.is_some_and(|m| n < m) || rules.max.is_some_and(|m| n > m) {
                return Err(format!(
                    "应在{}至{}之间",
                    rules.min.map_or("—".into(), |m| m.to_string()),
                    rules.max.map_or("—".into(), |m| m.to_string())
                ));
            }
            Value::Integer(n)
        }
    };
    Ok(Some(value))
}

/// A SHA-256 written as 64 hex digits, lowercased.
fn file_hash(s: &str) -> Option<String> {
    (s.len() == 64 && s.chars().all(|c| c.is_ascii_hexdigit())).then(|| s.to_ascii_lowercase())
}

fn parse_date(s: &str) -> Option<NaiveDate> {
    ["%Y-%m-%d", "%Y/%m/%d", "%Y.%m.%d", "%Y年%m月%d日"]
        .iter()
        .find_map(|f| NaiveDate::parse_from_str(s, f).ok())
        .filter(|d| (1949..=2100).contains(&chrono::Datelike::year(d)))
}

/// Whether `s` holds what looks like a resident ID-card number (身份证号): 18 characters
/// (17 digits and a digit or X) or 15 digits, with a plausible date of birth inside.
/// A longer run of digits (a bank account) is not one.
pub fn contains_id_number(s: &str) -> bool {
    let chars: Vec<char> = s.chars().collect();
    let mut i = 0;
    while i < chars.len() {
        if !chars[i].is_ascii_digit() {
            i += 1;
            continue;
        }
        let start = i;
        while i < chars.len() && chars[i].is_ascii_digit() {
            i += 1;
        }
        let mut run: String = chars[start..i].iter().collect();
        if run.len() == 17 && i < chars.len() && matches!(chars[i], 'X' | 'x') {
            run.push('X');
            i += 1;
        }
        let birth = match run.len() {
            18 => run.get(6..14).map(str::to_owned),
            15 => run.get(6..12).map(|d| format!("19{d}")),
            _ => None,
        };
        if birth.is_some_and(|b| NaiveDate::parse_from_str(&b, "%Y%m%d").is_ok()) {
            return true;
        }
    }
    false
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rules() -> Rules {
        Rules::default()
    }

    #[test]
    fn id_card_numbers_are_found_and_refused() {
        assert!(contains_id_number("身份证411503198001011234"));
        assert!(contains_id_number("41150319800101123X，张三"));
        assert!(contains_id_number("411503800101123"));
        assert!(!contains_id_number("凭证号2026110001"));
        assert!(!contains_id_number("账号6222021234567890123"));
        assert!(!contains_id_number("411503999999991234"));
        assert!(parse(Kind::Text, &rules(), "张三 411503198001011234").is_err());
        assert!(parse(Kind::Textarea, &rules(), "备注\n411503198001011234").is_err());
    }

    #[test]
    fn values_parse_by_kind() {
        assert_eq!(parse(Kind::Text, &rules(), "  "), Ok(None));
        assert_eq!(
            parse(Kind::Amount, &rules(), "1,234.5"),
            Ok(Some(Value::Amount(Amount::from_fen(123_450).unwrap())))
        );
        assert!(parse(Kind::Amount, &rules(), "12.345").is_err());
        assert!(parse(Kind::Amount, &rules(), "十元").is_err());
        assert_eq!(
            parse(Kind::Date, &rules(), "2026年11月3日"),
            Ok(Some(Value::Date(
                NaiveDate::from_ymd_opt(2026, 11, 3).unwrap()
            )))
        );
        assert!(parse(Kind::Date, &rules(), "2026-02-30").is_err());
        let choice = Rules {
            choices: vec!["收入".into(), "支出".into()],
            ..Rules::default()
        };
        assert!(parse(Kind::Choice, &choice, "支出").is_ok());
        assert!(parse(Kind::Choice, &choice, "支").is_err());
        let votes = Rules {
            min: Some(0),
            max: Some(1000),
            ..Rules::default()
        };
        assert!(parse(Kind::Integer, &votes, "-1").is_err());
        assert_eq!(
            parse(Kind::Integer, &votes, "37"),
            Ok(Some(Value::Integer(37)))
        );
        let name = parse(Kind::Name, &rules(), "张小明").unwrap().unwrap();
        assert_eq!(name.public_text(), "张*明");
        assert_eq!(name.to_json(true), serde_json::json!("张*明"));
        assert_eq!(name.to_json(false), serde_json::json!("张小明"));
        assert!(parse(Kind::Text, &rules(), "a\u{7}").is_err());
        assert!(parse(Kind::Text, &rules(), &"字".repeat(101)).is_err());
    }

    #[test]
    fn json_round_trips() {
        for (kind, raw) in [
            (Kind::Amount, "0.05"),
            (Kind::Date, "2026-01-31"),
            (Kind::Name, "欧阳明"),
            (Kind::Integer, "3"),
        ] {
            let v = parse(kind, &rules(), raw).unwrap().unwrap();
            assert_eq!(Value::from_json(kind, &v.to_json(false)), Some(v));
        }
    }
}
