//! A disclosure (公开事项): what a village or township publishes under one of the nine
//! modules. Published content is never changed in place: a correction is a new version,
//! a withdrawal keeps the record and states the reason.

use std::fmt;

use super::{Module, RegionCode};

pub mod attachment;
pub mod calendar;
pub mod canonical;
pub mod content;
pub mod definition;
pub mod diff;
pub mod file_table;
pub mod lifecycle;
pub mod value;

/// Why a disclosure's content was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DisclosureError {
    #[error("{field} is required")]
    Missing { field: &'static str },
    #[error("{field} is longer than {max} characters")]
    TooLong { field: &'static str, max: usize },
    #[error("{field} contains control characters")]
    ControlCharacters { field: &'static str },
    #[error("the amount is out of range")]
    AmountOutOfRange,
    #[error("attachment `{0}`: {1}")]
    Attachment(String, &'static str),
    #[error("at most {0} attachments")]
    TooManyAttachments(usize),
}

/// Limits on what one disclosure may hold.
pub const MAX_TITLE: usize = 80;
pub const MAX_BODY: usize = 20_000;
pub const MAX_PERIOD: usize = 40;
pub const MAX_PUBLISHER: usize = 60;
pub const MAX_NOTE: usize = 200;
pub const MAX_ATTACHMENTS: usize = 10;
pub const MAX_ATTACHMENT_BYTES: usize = 5 * 1024 * 1024;
/// The file types a follower's phone opens without an app of its own.
pub const ATTACHMENT_TYPES: &[&str] = &[
    "application/pdf",
    "image/jpeg",
    "image/png",
    "text/plain",
    "text/csv",
];

/// One line of text: trimmed, present, bounded, without control characters.
fn line(field: &'static str, s: &str, max: usize) -> Result<String, DisclosureError> {
    let s = s.trim();
    if s.is_empty() {
        return Err(DisclosureError::Missing { field });
    }
    if s.chars().count() > max {
        return Err(DisclosureError::TooLong { field, max });
    }
    if s.chars().any(char::is_control) {
        return Err(DisclosureError::ControlCharacters { field });
    }
    Ok(s.to_owned())
}

/// Several lines: line endings made `\n`, other control characters refused.
fn text(field: &'static str, s: &str, max: usize) -> Result<String, DisclosureError> {
    let s = s.replace("\r\n", "\n").replace('\r', "\n");
    let s = s.trim();
    if s.is_empty() {
        return Err(DisclosureError::Missing { field });
    }
    if s.chars().count() > max {
        return Err(DisclosureError::TooLong { field, max });
    }
    if s.chars().any(|c| c.is_control() && c != '\n' && c != '\t') {
        return Err(DisclosureError::ControlCharacters { field });
    }
    Ok(s.to_owned())
}

/// A sum of money in 分 (fen), shown as yuan.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Amount(i64);

impl Amount {
    /// Ten trillion yuan: more than any village handles, and safe in every column.
    const LIMIT: i64 = 1_000_000_000_000_000;

    pub fn from_fen(fen: i64) -> Result<Amount, DisclosureError> {
        if fen.abs() >= Amount::LIMIT {
            return Err(DisclosureError::AmountOutOfRange);
        }
        Ok(Amount(fen))
    }

    pub fn fen(self) -> i64 {
        self.0
    }

    /// Reads yuan as typed or exported: `1234.5`, `1,234.50`, `¥1234`; never more than
    /// two decimals, never negative (whether money came in or went out is a column of its
    /// own), never anything else.
    pub fn parse_yuan(s: &str) -> Result<Amount, String> {
        let bad = || format!("金额“{s}”有误，应为元，最多两位小数，如 1234.50");
        let t = s.trim().trim_start_matches(['¥', '￥']).replace(',', "");
        let (whole, frac) = t.split_once('.').unwrap_or((&t, ""));
        let digits = |p: &str| p.chars().all(|c| c.is_ascii_digit());
        if whole.is_empty() || !digits(whole) || !digits(frac) || whole.len() > 15 {
            return Err(bad());
        }
        if frac.len() > 2 {
            return Err(format!("金额“{s}”超过两位小数（分）"));
        }
        let yuan: i64 = whole.parse().map_err(|_| bad())?;
        let cents: i64 = format!("{frac:0<2}").parse().map_err(|_| bad())?;
        yuan.checked_mul(100)
            .and_then(|f| f.checked_add(cents))
            .and_then(|f| Amount::from_fen(f).ok())
            .ok_or_else(bad)
    }

    /// `1234.50`: as a clerk types it back into a form.
    pub fn plain_yuan(self) -> String {
        let sign = if self.0 < 0 { "-" } else { "" };
        let abs = self.0.unsigned_abs();
        format!("{sign}{}.{:02}", abs / 100, abs % 100)
    }

    /// Adds, or `None` past the limit.
    pub fn checked_add(self, other: Amount) -> Option<Amount> {
        self.0
            .checked_add(other.0)
            .and_then(|f| Amount::from_fen(f).ok())
    }

    pub const ZERO: Amount = Amount(0);
}

impl fmt::Display for Amount {
    /// `1,234,567.80元`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let sign = if self.0 < 0 { "-" } else { "" };
        let abs = self.0.unsigned_abs();
        let yuan = (abs / 100).to_string();
        let mut grouped = String::new();
        for (i, c) in yuan.chars().enumerate() {
            if i > 0 && (yuan.len() - i).is_multiple_of(3) {
                grouped.push(',');
            }
            grouped.push(c);
        }
        write!(f, "{sign}{grouped}.{:02}元", abs % 100)
    }
}

/// What one version of a disclosure says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DisclosureContent {
    title: String,
    body: String,
    period: Option<String>,
    amount: Option<Amount>,
    publisher: String,
}

impl DisclosureContent {
    pub fn parse(
        title: &str,
        body: &str,
        period: Option<&str>,
        amount_fen: Option<i64>,
        publisher: &str,
    ) -> Result<DisclosureContent, DisclosureError> {
        Ok(DisclosureContent {
            title: line("title", title, MAX_TITLE)?,
            body: text("body", body, MAX_BODY)?,
            period: period
                .map(str::trim)
                .filter(|p| !p.is_empty())
                .map(|p| line("period", p, MAX_PERIOD))
                .transpose()?,
            amount: amount_fen.map(Amount::from_fen).transpose()?,
            publisher: line("publisher", publisher, MAX_PUBLISHER)?,
        })
    }

    pub fn title(&self) -> &str {
        &self.title
    }
    pub fn body(&self) -> &str {
        &self.body
    }
    /// The period covered, e.g. 2026年第三季度.
    pub fn period(&self) -> Option<&str> {
        self.period.as_deref()
    }
    pub fn amount(&self) -> Option<Amount> {
        self.amount
    }
    pub fn publisher(&self) -> &str {
        &self.publisher
    }
}

/// A file attached to a version: a scanned resolution, a contract, a photo.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewAttachment {
    name: String,
    media_type: &'static str,
    content: Vec<u8>,
}

impl NewAttachment {
    pub fn parse(
        name: &str,
        media_type: &str,
        content: Vec<u8>,
    ) -> Result<NewAttachment, DisclosureError> {
        let name = line("attachment name", name, 100)?;
        if name.contains(['/', '\\', '"']) {
            return Err(DisclosureError::Attachment(
                name,
                "the name holds / \\ or \"",
            ));
        }
        let media_type = ATTACHMENT_TYPES
            .iter()
            .copied()
            .find(|t| *t == media_type)
            .ok_or_else(|| {
                DisclosureError::Attachment(name.clone(), "only PDF, JPEG, PNG, text or CSV")
            })?;
        if content.is_empty() {
            return Err(DisclosureError::Attachment(name, "the file is empty"));
        }
        if content.len() > MAX_ATTACHMENT_BYTES {
            return Err(DisclosureError::Attachment(
                name,
                "the file is larger than 5 MB",
            ));
        }
        Ok(NewAttachment {
            name,
            media_type,
            content,
        })
    }

    pub fn name(&self) -> &str {
        &self.name
    }
    pub fn media_type(&self) -> &'static str {
        self.media_type
    }
    pub fn content(&self) -> &[u8] {
        &self.content
    }
}

/// A disclosure about to be published: its first version.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewDisclosure {
    region: RegionCode,
    module: Module,
    content: DisclosureContent,
    attachments: Vec<NewAttachment>,
}

impl NewDisclosure {
    pub fn new(
        region: RegionCode,
        module: Module,
        content: DisclosureContent,
        attachments: Vec<NewAttachment>,
    ) -> Result<NewDisclosure, DisclosureError> {
        check_attachments(&attachments)?;
        Ok(NewDisclosure {
            region,
            module,
            content,
            attachments,
        })
    }

    pub fn region(&self) -> &RegionCode {
        &self.region
    }
    pub fn module(&self) -> Module {
        self.module
    }
    pub fn content(&self) -> &DisclosureContent {
        &self.content
    }
    pub fn attachments(&self) -> &[NewAttachment] {
        &self.attachments
    }
}

/// A correction: the next version's content and why it changed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Correction {
    content: DisclosureContent,
    note: String,
    attachments: Vec<NewAttachment>,
}

impl Correction {
    pub fn new(
        content: DisclosureContent,
        note: &str,
        attachments: Vec<NewAttachment>,
    ) -> Result<Correction, DisclosureError> {
        check_attachments(&attachments)?;
        Ok(Correction {
            content,
            note: line("note", note, MAX_NOTE)?,
            attachments,
        })
    }

    pub fn content(&self) -> &DisclosureContent {
        &self.content
    }
    /// What changed and why, shown in the version history.
    pub fn note(&self) -> &str {
        &self.note
    }
    pub fn attachments(&self) -> &[NewAttachment] {
        &self.attachments
    }
}

fn check_attachments(attachments: &[NewAttachment]) -> Result<(), DisclosureError> {
    if attachments.len() > MAX_ATTACHMENTS {
        return Err(DisclosureError::TooManyAttachments(MAX_ATTACHMENTS));
    }
    Ok(())
}

/// Why a disclosure is withdrawn; the record stays, with this reason beside it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WithdrawalReason(String);

impl WithdrawalReason {
    pub fn parse(s: &str) -> Result<WithdrawalReason, DisclosureError> {
        line("reason", s, MAX_NOTE).map(WithdrawalReason)
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// Where a published disclosure stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DisclosureStatus {
    Published,
    Withdrawn,
}

impl DisclosureStatus {
    pub fn parse(s: &str) -> Option<DisclosureStatus> {
        match s {
            "published" => Some(DisclosureStatus::Published),
            "withdrawn" => Some(DisclosureStatus::Withdrawn),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            DisclosureStatus::Published => "published",
            DisclosureStatus::Withdrawn => "withdrawn",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use claims::{assert_err, assert_ok};

    #[test]
    fn amounts_show_as_grouped_yuan() {
        for (fen, shown) in [
            (0, "0.00元"),
            (5, "0.05元"),
            (123_456, "1,234.56元"),
            (100_000_000, "1,000,000.00元"),
            (-25_000, "-250.00元"),
        ] {
            assert_eq!(assert_ok!(Amount::from_fen(fen)).to_string(), shown);
        }
        assert_err!(Amount::from_fen(i64::MAX));
    }

    #[test]
    fn content_is_trimmed_and_bounded() {
        let c = assert_ok!(DisclosureContent::parse(
            "  三季度财务公开 ",
            "第一行\r\n第二行",
            Some(" "),
            Some(100),
            "村委会"
        ));
        assert_eq!(c.title(), "三季度财务公开");
        assert_eq!(c.body(), "第一行\n第二行");
        assert_eq!(c.period(), None);
        let long = "字".repeat(MAX_TITLE + 1);
        assert_eq!(
            DisclosureContent::parse(&long, "b", None, None, "p"),
            Err(DisclosureError::TooLong {
                field: "title",
                max: MAX_TITLE
            })
        );
        assert_err!(DisclosureContent::parse("", "b", None, None, "p"));
        assert_err!(DisclosureContent::parse("t", "b", None, None, " "));
        assert_err!(DisclosureContent::parse("t\u{7}", "b", None, None, "p"));
    }

    #[test]
    fn attachments_are_checked() {
        assert_ok!(NewAttachment::parse(
            "明细.csv",
            "text/csv",
            b"a,b".to_vec()
        ));
        assert_err!(NewAttachment::parse(
            "x.exe",
            "application/x-msdownload",
            b"MZ".to_vec()
        ));
        assert_err!(NewAttachment::parse(
            "../x.pdf",
            "application/pdf",
            b"%PDF".to_vec()
        ));
        assert_err!(NewAttachment::parse("x.pdf", "application/pdf", Vec::new()));
    }

    #[test]
    fn a_correction_needs_a_note() {
        let c = assert_ok!(DisclosureContent::parse("t", "b", None, None, "p"));
        assert_err!(Correction::new(c.clone(), "  ", Vec::new()));
        assert_ok!(Correction::new(c, "金额更正", Vec::new()));
    }
}
