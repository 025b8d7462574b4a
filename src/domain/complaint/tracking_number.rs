//! 受理编号: the readable number a complainant quotes (`XY-20261128-0042`): a prefix
//! for the deployment, the day of receipt in Asia/Shanghai, and that day's sequence
//! number, at least four digits (a fifth appears after the 9,999th complaint of a day).

use std::fmt;

use chrono::NaiveDate;

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct TrackingNumber(String);

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TrackingNumberError {
    #[error("a tracking number looks like XY-20261128-0042")]
    Malformed,
    #[error("a tracking number's prefix is 2 to 6 capital letters")]
    BadPrefix,
}

fn valid_prefix(p: &str) -> bool {
    (2..=6).contains(&p.len()) && p.bytes().all(|b| b.is_ascii_uppercase())
}

impl TrackingNumber {
    /// The number of the `seq`-th complaint (from 1) received on `day`.
    pub fn new(
        prefix: &str,
        day: NaiveDate,
        seq: u32,
    ) -> Result<TrackingNumber, TrackingNumberError> {
        if !valid_prefix(prefix) {
            return Err(TrackingNumberError::BadPrefix);
        }
        if seq == 0 {
            return Err(TrackingNumberError::Malformed);
        }
        Ok(TrackingNumber(format!(
            "{prefix}-{}-{seq:04}",
            day.format("%Y%m%d")
        )))
    }

    /// Reads a number as typed: surrounding spaces and lower case are forgiven.
    pub fn parse(s: &str) -> Result<TrackingNumber, TrackingNumberError> {
        let s = s.trim().to_ascii_uppercase();
        let mut parts = s.split('-');
        let (Some(prefix), Some(date), Some(seq), None) =
            (parts.next(), parts.next(), parts.next(), parts.next())
        else {
            return Err(TrackingNumberError::Malformed);
        };
        if !valid_prefix(prefix) {
            return Err(TrackingNumberError::BadPrefix);
        }
        let date_ok = date.len() == 8 && NaiveDate::parse_from_str(date, "%Y%m%d").is_ok();
        let seq_ok = (4..=6).contains(&seq.len())
            && seq.bytes().all(|b| b.is_ascii_digit())
            && seq != "0000";
        if !date_ok || !seq_ok {
            return Err(TrackingNumberError::Malformed);
        }
        Ok(TrackingNumber(s))
    }

    /// The first tracking number inside a message such as "查询 XY-20261128-0042 进度".
    pub fn find_in(text: &str) -> Option<TrackingNumber> {
        text.split(|c: char| !(c.is_ascii_alphanumeric() || c == '-'))
            .find_map(|word| TrackingNumber::parse(word).ok())
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for TrackingNumber {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn day() -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, 11, 28).unwrap()
    }

    #[test]
    fn numbers_are_readable_and_grow_a_digit_after_9999() {
        assert_eq!(
            TrackingNumber::new("XY", day(), 42).unwrap().as_str(),
            "XY-20261128-0042"
        );
        assert_eq!(
            TrackingNumber::new("XY", day(), 10_000).unwrap().as_str(),
            "XY-20261128-10000"
        );
        assert!(TrackingNumber::new("xy", day(), 1).is_err());
        assert!(TrackingNumber::new("XY", day(), 0).is_err());
    }

    #[test]
    fn typed_numbers_parse_and_junk_does_not() {
        assert_eq!(
            TrackingNumber::parse(" xy-20261128-0042 ")
                .unwrap()
                .as_str(),
            "XY-20261128-0042"
        );
        for bad in [
            "XY-20261328-0042",
            "XY-2026112-0042",
            "XY-20261128-42",
            "X-20261128-0042",
            "XY20261128-0042",
            "XY-20261128-0000",
            "",
        ] {
            assert!(TrackingNumber::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn a_number_is_found_inside_a_message() {
        let n = TrackingNumber::find_in("查询XY-20261128-0042的进度").unwrap();
        assert_eq!(n.as_str(), "XY-20261128-0042");
        assert_eq!(TrackingNumber::find_in("王岗村"), None);
    }

    proptest! {
        #[test]
        fn every_generated_number_parses_back(seq in 1u32..1_000_000, d in 0u64..3650) {
            let day = NaiveDate::from_ymd_opt(2024, 1, 1).unwrap() + chrono::Days::new(d);
            let n = TrackingNumber::new("XY", day, seq).unwrap();
            prop_assert_eq!(TrackingNumber::parse(n.as_str()).unwrap(), n);
        }
    }
}
