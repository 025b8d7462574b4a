//! What one log entry says, in a canonical, versioned text a person can read.
//!
//! ```text
//! sunvillage-log-entry v1
//! kind disclosure-corrected
//! village 411502100201
//! module assets
//! disclosure 123
//! version 2
//! at 2026-11-28T08:30:00Z
//! content-sha256 9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08
//! attachment-sha256 60303ae22b998861bce3b28f33eec1be758a213c86c93c076dbe9f558c11c752
//! ```
//!
//! ```text
//! sunvillage-log-entry v1
//! kind complaint-status
//! tracking XY-20261128-0042
//! status accepted
//! at 2026-11-28T09:00:00Z
//! public-reply-sha256 none
//! ```
//!
//! Rules, so that one event has exactly one encoding and the encoding one meaning:
//! the first line names the format and its version; then `key value` lines in the
//! fixed order above, one space between, each ending in LF (including the last);
//! values are printable ASCII without spaces (codes, slugs, decimals without leading
//! zeros, lowercase hex, UTC times as `YYYY-MM-DDTHH:MM:SSZ`); attachments come last,
//! zero or more, in the order the disclosure lists them. Decoding re-encodes and
//! insists on byte equality, so no second spelling of an entry is ever accepted.
//!
//! Deliberately absent: who complained and what anyone wrote. A complaint entry
//! carries only its public tracking number, its status, the time, and the hash of the
//! reply made public (`none` if there is none yet). A disclosure entry carries hashes
//! of the content, not the content, so a withdrawn text need not stay public for the
//! log to prove what it was.
//!
//! This module takes plain strings and numbers, not the domain types, so the log's
//! format does not move when the domain code does; the caller converts.

use std::fmt;

use super::hash::{Hash, leaf_hash};
use super::tiles::MAX_ENTRY_SIZE;

/// The first line of every entry of this version.
pub const FORMAT_LINE: &str = "sunvillage-log-entry v1";

/// The longest value a code, slug or tracking number may have.
const MAX_TOKEN_LEN: usize = 64;

/// SHA-256 of content or an attachment, as entries carry it: the one hash function
/// for server and verifier alike.
pub fn sha256(bytes: &[u8]) -> [u8; 32] {
    use sha2::Digest as _;
    sha2::Sha256::digest(bytes).into()
}

/// One logged event.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Entry {
    Disclosure(DisclosureEvent),
    ComplaintStatus(ComplaintStatusEvent),
}

/// What happened to a disclosure.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DisclosureKind {
    Published,
    Corrected,
    Withdrawn,
}

impl DisclosureKind {
    fn as_str(self) -> &'static str {
        match self {
            DisclosureKind::Published => "disclosure-published",
            DisclosureKind::Corrected => "disclosure-corrected",
            DisclosureKind::Withdrawn => "disclosure-withdrawn",
        }
    }
}

/// A disclosure published, corrected (a new version) or withdrawn.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DisclosureEvent {
    pub kind: DisclosureKind,
    /// The region code of the village (or township …) that published it.
    pub village_code: String,
    /// The module's slug, e.g. `assets`.
    pub module: String,
    pub disclosure_id: u64,
    /// The version published or corrected to; for a withdrawal, the version withdrawn.
    pub version: u32,
    /// When, in seconds since 1970-01-01T00:00:00Z.
    pub at: i64,
    /// SHA-256 of the version's content document.
    pub content_sha256: [u8; 32],
    /// SHA-256 of each attachment's bytes, in the disclosure's order.
    pub attachment_sha256s: Vec<[u8; 32]>,
}

/// A complaint's status changed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ComplaintStatusEvent {
    pub tracking_number: String,
    /// The status slug, e.g. `accepted`.
    pub status: String,
    /// When, in seconds since 1970-01-01T00:00:00Z.
    pub at: i64,
    /// SHA-256 of the reply made public with this status, if any.
    pub public_reply_sha256: Option<[u8; 32]>,
}

/// An entry that cannot be written or read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EntryError {
    #[error(
        "{field} must be 1 to {MAX_TOKEN_LEN} printable ASCII characters without spaces, got {value:?}"
    )]
    BadToken { field: &'static str, value: String },
    #[error("{field} must be at least 1")]
    Zero { field: &'static str },
    #[error("the time {0} is outside 1970-01-01 … 9999-12-31")]
    TimeOutOfRange(i64),
    #[error("the entry is {len} bytes, more than the {MAX_ENTRY_SIZE} an entry may have")]
    TooLarge { len: usize },
    #[error("not a version-1 log entry: it starts {0:?}")]
    UnknownFormat(String),
    #[error("line {line}: expected {expected}")]
    Malformed { line: usize, expected: String },
    #[error("the entry is not in canonical form (it would be written differently)")]
    NotCanonical,
}

impl Entry {
    /// The entry's bytes, as logged.
    pub fn encode(&self) -> Result<Vec<u8>, EntryError> {
        let mut out = String::new();
        let mut line = |key: &str, value: &str| {
            out.push_str(key);
            out.push(' ');
            out.push_str(value);
            out.push('\n');
        };
        match self {
            Entry::Disclosure(d) => {
                line("kind", d.kind.as_str());
                line("village", token("village", &d.village_code)?);
                line("module", token("module", &d.module)?);
                line("disclosure", &positive("disclosure", d.disclosure_id)?);
                line("version", &positive("version", u64::from(d.version))?);
                line("at", &format_time(d.at)?);
                line("content-sha256", &hex::encode(d.content_sha256));
                for a in &d.attachment_sha256s {
                    line("attachment-sha256", &hex::encode(a));
                }
            }
            Entry::ComplaintStatus(c) => {
                line("kind", "complaint-status");
                line("tracking", token("tracking", &c.tracking_number)?);
                line("status", token("status", &c.status)?);
                line("at", &format_time(c.at)?);
                let reply = c.public_reply_sha256.map(hex::encode);
                line("public-reply-sha256", reply.as_deref().unwrap_or("none"));
            }
        }
        let bytes = format!("{FORMAT_LINE}\n{out}").into_bytes();
        if bytes.len() > MAX_ENTRY_SIZE {
            return Err(EntryError::TooLarge { len: bytes.len() });
        }
        Ok(bytes)
    }

    /// The entry's leaf hash in the log.
    pub fn leaf_hash(&self) -> Result<Hash, EntryError> {
        Ok(leaf_hash(&self.encode()?))
    }

    /// Reads an entry back, refusing anything [`Entry::encode`] would not write.
    pub fn decode(bytes: &[u8]) -> Result<Entry, EntryError> {
        let text = std::str::from_utf8(bytes).map_err(|_| EntryError::Malformed {
            line: 1,
            expected: "UTF-8 text".into(),
        })?;
        let body = text.strip_suffix('\n').ok_or(EntryError::Malformed {
            line: text.lines().count().max(1),
            expected: "a final newline".into(),
        })?;
        let mut lines = Lines {
            lines: body.split('\n').collect(),
            next: 0,
        };
        let first = lines.lines.first().copied().unwrap_or_default();
        if first != FORMAT_LINE {
            return Err(EntryError::UnknownFormat(first.chars().take(60).collect()));
        }
        lines.next = 1;
        let entry = match lines.value("kind")? {
            "complaint-status" => Entry::ComplaintStatus(ComplaintStatusEvent {
                tracking_number: lines.value("tracking")?.to_owned(),
                status: lines.value("status")?.to_owned(),
                at: lines.parse("at", "a UTC time YYYY-MM-DDTHH:MM:SSZ", parse_time)?,
                public_reply_sha256: lines.parse(
                    "public-reply-sha256",
                    "64 hex digits or none",
                    |v| {
                        if v == "none" {
                            Some(None)
                        } else {
                            parse_sha256(v).map(Some)
                        }
                    },
                )?,
            }),
            kind => {
                let kind = match kind {
                    "disclosure-published" => DisclosureKind::Published,
                    "disclosure-corrected" => DisclosureKind::Corrected,
                    "disclosure-withdrawn" => DisclosureKind::Withdrawn,
                    _ => return Err(lines.expected("kind", "a known kind of event")),
                };
                let mut event = DisclosureEvent {
                    kind,
                    village_code: lines.value("village")?.to_owned(),
                    module: lines.value("module")?.to_owned(),
                    disclosure_id: lines.parse("disclosure", "a decimal number", parse_decimal)?,
                    version: lines.parse("version", "a decimal number", |v| {
                        parse_decimal(v).and_then(|n| u32::try_from(n).ok())
                    })?,
                    at: lines.parse("at", "a UTC time YYYY-MM-DDTHH:MM:SSZ", parse_time)?,
                    content_sha256: lines.parse("content-sha256", "64 hex digits", parse_sha256)?,
                    attachment_sha256s: Vec::new(),
                };
                while !lines.done() {
                    let a = lines.parse("attachment-sha256", "64 hex digits", parse_sha256)?;
                    event.attachment_sha256s.push(a);
                }
                Entry::Disclosure(event)
            }
        };
        if !lines.done() {
            return Err(lines.expected("", "the end of the entry"));
        }
        // Catches everything the line parsers let through: leading zeros, uppercase
        // hex, bad tokens.
        if entry.encode().ok().as_deref() != Some(bytes) {
            return Err(EntryError::NotCanonical);
        }
        Ok(entry)
    }
}

impl fmt::Display for Entry {
    /// The logged text itself (or why this entry cannot be logged).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.encode() {
            Ok(bytes) => f.write_str(&String::from_utf8_lossy(&bytes)),
            Err(e) => write!(f, "(not loggable: {e})"),
        }
    }
}

/// Walks the lines of an entry, one expected key at a time.
struct Lines<'a> {
    lines: Vec<&'a str>,
    next: usize,
}

impl<'a> Lines<'a> {
    fn done(&self) -> bool {
        self.next >= self.lines.len()
    }

    fn expected(&self, key: &str, what: &str) -> EntryError {
        let expected = if key.is_empty() {
            what.to_owned()
        } else {
            format!("`{key} <{what}>`")
        };
        EntryError::Malformed {
            line: self.next + 1,
            expected,
        }
    }

    fn value(&mut self, key: &str) -> Result<&'a str, EntryError> {
        let value = self
            .lines
            .get(self.next)
            .and_then(|l| l.strip_prefix(key))
            .and_then(|l| l.strip_prefix(' '))
            .ok_or_else(|| self.expected(key, "value"))?;
        self.next += 1;
        Ok(value)
    }

    fn parse<T>(
        &mut self,
        key: &str,
        what: &str,
        f: impl FnOnce(&str) -> Option<T>,
    ) -> Result<T, EntryError> {
        let value = self.value(key)?;
        f(value).ok_or_else(|| {
            self.next -= 1;
            self.expected(key, what)
        })
    }
}

fn token<'a>(field: &'static str, value: &'a str) -> Result<&'a str, EntryError> {
    let ok = !value.is_empty()
        && value.len() <= MAX_TOKEN_LEN
        && value.bytes().all(|b| b.is_ascii_graphic());
    if !ok {
        return Err(EntryError::BadToken {
            field,
            value: value.chars().take(MAX_TOKEN_LEN + 1).collect(),
        });
    }
    Ok(value)
}

fn positive(field: &'static str, n: u64) -> Result<String, EntryError> {
    if n == 0 {
        return Err(EntryError::Zero { field });
    }
    Ok(n.to_string())
}

fn parse_decimal(v: &str) -> Option<u64> {
    if v.starts_with('0') || !v.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    v.parse().ok()
}

fn parse_sha256(v: &str) -> Option<[u8; 32]> {
    if v.bytes().any(|b| b.is_ascii_uppercase()) {
        return None;
    }
    Hash::from_hex(v).ok().map(|h| h.0)
}

/// 9999-12-31T23:59:59Z, the last second a four-digit year can write.
const MAX_TIME: i64 = 253_402_300_799;

/// Seconds since the epoch as `YYYY-MM-DDTHH:MM:SSZ`.
fn format_time(at: i64) -> Result<String, EntryError> {
    if !(0..=MAX_TIME).contains(&at) {
        return Err(EntryError::TimeOutOfRange(at));
    }
    let (days, secs) = (at / 86_400, at % 86_400);
    let (y, m, d) = civil_from_days(days);
    Ok(format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}Z",
        secs / 3600,
        secs / 60 % 60,
        secs % 60
    ))
}

/// The inverse of [`format_time`]; anything else is `None`.
fn parse_time(v: &str) -> Option<i64> {
    let b = v.as_bytes();
    let shape = b.len() == 20
        && b.iter().enumerate().all(|(i, c)| match i {
            4 | 7 => *c == b'-',
            10 => *c == b'T',
            13 | 16 => *c == b':',
            19 => *c == b'Z',
            _ => c.is_ascii_digit(),
        });
    if !shape {
        return None;
    }
    let num = |range: std::ops::Range<usize>| -> i64 {
        b[range].iter().fold(0, |n, c| n * 10 + i64::from(c - b'0'))
    };
    let (y, m, d) = (num(0..4), num(5..7), num(8..10));
    let (hh, mm, ss) = (num(11..13), num(14..16), num(17..19));
    if !(1..=12).contains(&m) || d < 1 || d > days_in_month(y, m) || hh > 23 || mm > 59 || ss > 59 {
        return None;
    }
    let at = days_from_civil(y, m, d) * 86_400 + hh * 3600 + mm * 60 + ss;
    (0..=MAX_TIME).contains(&at).then_some(at)
}

fn days_in_month(y: i64, m: i64) -> i64 {
    match m {
        2 if y % 4 == 0 && (y % 100 != 0 || y % 400 == 0) => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// Days since 1970-01-01 of a proleptic Gregorian date (the "days from civil"
/// algorithm of H. Hinnant's chrono notes: years counted from March, in 400-year eras).
fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// The inverse of [`days_from_civil`].
fn civil_from_days(days: i64) -> (i64, i64, i64) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    (y, m, d)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn disclosure() -> DisclosureEvent {
        DisclosureEvent {
            kind: DisclosureKind::Corrected,
            village_code: "411502100201".into(),
            module: "assets".into(),
            disclosure_id: 123,
            version: 2,
            // 2026-11-28T08:30:00Z
            at: 1_795_854_600,
            content_sha256: hex_32(
                "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08",
            ),
            attachment_sha256s: vec![hex_32(
                "60303ae22b998861bce3b28f33eec1be758a213c86c93c076dbe9f558c11c752",
            )],
        }
    }

    fn complaint() -> ComplaintStatusEvent {
        ComplaintStatusEvent {
            tracking_number: "XY-20261128-0042".into(),
            status: "accepted".into(),
            at: 1_795_856_400,
            public_reply_sha256: None,
        }
    }

    fn hex_32(h: &str) -> [u8; 32] {
        Hash::from_hex(h).unwrap().0
    }

    #[test]
    fn a_disclosure_entry_reads_as_documented() {
        let bytes = Entry::Disclosure(disclosure()).encode().unwrap();
        assert_eq!(
            String::from_utf8(bytes.clone()).unwrap(),
            "sunvillage-log-entry v1\n\
             kind disclosure-corrected\n\
             village 411502100201\n\
             module assets\n\
             disclosure 123\n\
             version 2\n\
             at 2026-11-28T08:30:00Z\n\
             content-sha256 9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08\n\
             attachment-sha256 60303ae22b998861bce3b28f33eec1be758a213c86c93c076dbe9f558c11c752\n"
        );
        assert_eq!(Entry::decode(&bytes), Ok(Entry::Disclosure(disclosure())));
    }

    #[test]
    fn a_complaint_entry_names_no_person_and_no_text() {
        let bytes = Entry::ComplaintStatus(complaint()).encode().unwrap();
        assert_eq!(
            String::from_utf8(bytes.clone()).unwrap(),
            "sunvillage-log-entry v1\n\
             kind complaint-status\n\
             tracking XY-20261128-0042\n\
             status accepted\n\
             at 2026-11-28T09:00:00Z\n\
             public-reply-sha256 none\n"
        );
        assert_eq!(
            Entry::decode(&bytes),
            Ok(Entry::ComplaintStatus(complaint()))
        );
    }

    #[test]
    fn content_hashes_are_plain_sha256() {
        // FIPS 180-2's "abc" example.
        assert_eq!(
            hex::encode(sha256(b"abc")),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }

    #[test]
    fn times_are_written_as_utc_calendar_dates() {
        for (at, text) in [
            (0, "1970-01-01T00:00:00Z"),
            (951_782_400, "2000-02-29T00:00:00Z"),
            (1_795_854_600, "2026-11-28T08:30:00Z"),
            (MAX_TIME, "9999-12-31T23:59:59Z"),
        ] {
            assert_eq!(format_time(at).unwrap(), text);
            assert_eq!(parse_time(text), Some(at));
        }
        for bad in [
            "2026-02-29T00:00:00Z",
            "2026-13-01T00:00:00Z",
            "2026-11-28T24:00:00Z",
            "2026-11-28 08:30:00Z",
            "2026-11-28T08:30:00+08:00",
            "2026-11-28T08:30:00z",
        ] {
            assert_eq!(parse_time(bad), None, "{bad}");
        }
        assert_eq!(format_time(-1), Err(EntryError::TimeOutOfRange(-1)));
        assert!(format_time(MAX_TIME + 1).is_err());
    }

    #[test]
    fn values_that_could_blur_a_line_are_refused() {
        for bad in [
            "",
            "has space",
            "two\nlines",
            "村",
            "tab\there",
            &"x".repeat(65),
        ] {
            let mut d = disclosure();
            d.module = bad.into();
            assert!(
                matches!(
                    Entry::Disclosure(d).encode(),
                    Err(EntryError::BadToken { .. })
                ),
                "{bad:?}"
            );
        }
        let mut d = disclosure();
        d.version = 0;
        assert_eq!(
            Entry::Disclosure(d).encode(),
            Err(EntryError::Zero { field: "version" })
        );
        let mut d = disclosure();
        d.attachment_sha256s = vec![[0; 32]; 1000];
        assert!(matches!(
            Entry::Disclosure(d).encode(),
            Err(EntryError::TooLarge { .. })
        ));
    }

    #[test]
    fn anything_but_the_canonical_text_is_refused() {
        let good = String::from_utf8(Entry::Disclosure(disclosure()).encode().unwrap()).unwrap();
        let variants = [
            good.replace("v1", "v2"),
            good.replace("disclosure 123", "disclosure 0123"),
            good.replace("9f86d0", "9F86D0"),
            good.replace("version 2\n", "version  2\n"),
            good.replace("module assets\n", "module assets \n"),
            good.replace("\n", "\r\n"),
            good.trim_end().to_owned(),
            format!("{good}\n"),
            format!("{good}extra line\n"),
            good.replace("kind disclosure-corrected", "kind disclosure-deleted"),
            good.replace(
                "village 411502100201\nmodule assets\n",
                "module assets\nvillage 411502100201\n",
            ),
            good.replace("at 2026-11-28T08:30:00Z", "at 1795854600"),
            String::new(),
        ];
        for v in variants {
            assert!(Entry::decode(v.as_bytes()).is_err(), "accepted {v:?}");
        }
        assert!(Entry::decode(&[0xff, b'\n']).is_err());
    }

    fn token_strategy() -> impl Strategy<Value = String> {
        "[!-~]{1,64}"
    }

    proptest! {
        #[test]
        fn every_entry_round_trips(
            village in token_strategy(), module in token_strategy(),
            id in 1u64.., version in 1u32.., at in 0..=MAX_TIME,
            content in any::<[u8; 32]>(), attachments in proptest::collection::vec(any::<[u8; 32]>(), 0..20),
            kind in prop_oneof![Just(DisclosureKind::Published), Just(DisclosureKind::Corrected), Just(DisclosureKind::Withdrawn)],
            tracking in token_strategy(), status in token_strategy(), reply in any::<Option<[u8; 32]>>(),
        ) {
            let d = Entry::Disclosure(DisclosureEvent {
                kind, village_code: village, module, disclosure_id: id, version, at,
                content_sha256: content, attachment_sha256s: attachments,
            });
            prop_assert_eq!(Entry::decode(&d.encode().unwrap()), Ok(d));
            let c = Entry::ComplaintStatus(ComplaintStatusEvent {
                tracking_number: tracking, status, at, public_reply_sha256: reply,
            });
            prop_assert_eq!(Entry::decode(&c.encode().unwrap()), Ok(c));
        }

        #[test]
        fn decoding_arbitrary_bytes_never_panics(bytes in proptest::collection::vec(any::<u8>(), 0..400)) {
            let _ = Entry::decode(&bytes);
        }

        #[test]
        fn times_round_trip(at in 0..=MAX_TIME) {
            prop_assert_eq!(parse_time(&format_time(at).unwrap()), Some(at));
        }
    }
}
