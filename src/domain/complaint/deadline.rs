//! Deadlines from 《信访工作条例》 (2022), the one place they are computed. All in
//! calendar days, counted in Asia/Shanghai: a deadline ends at the last instant of its
//! day there.
//!
//! - art. 23: decide whether to accept within 15 days of receipt;
//! - art. 34: conclude within 60 days of acceptance, extendable once by up to 30 days
//!   with the reason recorded;
//! - art. 35: a review (复查) concluded within 30 days of its request, which must come
//!   within 30 days of the reply.

use chrono::{DateTime, Days, NaiveTime, TimeDelta, TimeZone, Utc};

use crate::domain::china_time;

/// 15 days to accept or refuse (art. 23).
pub const ACCEPT_WITHIN_DAYS: u64 = 15;
/// 60 days from acceptance to conclusion (art. 34).
pub const CONCLUDE_WITHIN_DAYS: u64 = 60;
/// At most 30 more days, once (art. 34).
pub const MAX_EXTENSION_DAYS: u64 = 30;
/// 30 days to conclude a review (art. 35).
pub const REVIEW_WITHIN_DAYS: u64 = 30;
/// 30 days after the reply in which the complainant may ask for a review (art. 35).
pub const REVIEW_REQUEST_WITHIN_DAYS: u64 = 30;
/// Staff see 即将超期 this many days before a deadline.
pub const DUE_SOON_DAYS: i64 = 3;

/// The last instant of the calendar day `days` after the local day of `start`
/// (a complaint received on 1 March at 23:50 is due to be accepted by the end of 16 March).
pub fn days_after(start: DateTime<Utc>, days: u64) -> DateTime<Utc> {
    let local_day = china_time::day(start);
    let due_day = local_day
        .checked_add_days(Days::new(days))
        .unwrap_or(local_day);
    let end_of_day = NaiveTime::from_hms_milli_opt(23, 59, 59, 999).unwrap_or(NaiveTime::MIN);
    china_time::zone()
        .from_local_datetime(&due_day.and_time(end_of_day))
        .single()
        .map_or(start, |t| t.with_timezone(&Utc))
}

/// The deadlines of one complaint, as stored.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Deadlines {
    /// By when to accept or refuse; set on receipt.
    pub accept_due: Option<DateTime<Utc>>,
    /// By when to conclude; set on acceptance, moved by an extension.
    pub conclude_due: Option<DateTime<Utc>>,
    /// By when to conclude a review; set when one is opened.
    pub review_due: Option<DateTime<Utc>>,
}

impl Deadlines {
    pub fn on_receipt(received_at: DateTime<Utc>) -> Deadlines {
        Deadlines {
            accept_due: Some(days_after(received_at, ACCEPT_WITHIN_DAYS)),
            ..Deadlines::default()
        }
    }
}

/// How a deadline stands, as shown to staff.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum DeadlineState {
    OnTime,
    /// 即将超期: due within [`DUE_SOON_DAYS`].
    DueSoon,
    /// 已超期.
    Overdue,
}

impl DeadlineState {
    pub fn of(due: DateTime<Utc>, now: DateTime<Utc>) -> DeadlineState {
        if now > due {
            DeadlineState::Overdue
        } else if due - now <= TimeDelta::days(DUE_SOON_DAYS) {
            DeadlineState::DueSoon
        } else {
            DeadlineState::OnTime
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            DeadlineState::OnTime => "正常",
            DeadlineState::DueSoon => "即将超期",
            DeadlineState::Overdue => "已超期",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
    }

    #[test]
    fn acceptance_is_due_fifteen_calendar_days_later_across_a_month_end() {
        let due = days_after(at("2026-01-20T10:00:00+08:00"), ACCEPT_WITHIN_DAYS);
        assert_eq!(due, at("2026-02-04T23:59:59.999+08:00"));
        let due = days_after(at("2026-02-20T10:00:00+08:00"), ACCEPT_WITHIN_DAYS);
        assert_eq!(
            due,
            at("2026-03-07T23:59:59.999+08:00"),
            "February has 28 days in 2026"
        );
        let due = days_after(at("2028-02-20T10:00:00+08:00"), ACCEPT_WITHIN_DAYS);
        assert_eq!(
            due,
            at("2028-03-06T23:59:59.999+08:00"),
            "2028 is a leap year"
        );
    }

    #[test]
    fn the_day_counts_in_shanghai_not_utc() {
        // 23:30 in Shanghai is still 15:30 UTC of the same day; 00:30 is the previous day in UTC.
        assert_eq!(
            days_after(at("2026-11-29T23:30:00+08:00"), 15),
            at("2026-12-14T23:59:59.999+08:00")
        );
        assert_eq!(
            days_after(at("2026-11-30T00:30:00+08:00"), 15),
            at("2026-12-15T23:59:59.999+08:00")
        );
    }

    #[test]
    fn conclusion_is_due_sixty_days_after_acceptance_across_the_year_end() {
        let due = days_after(at("2026-11-15T09:00:00+08:00"), CONCLUDE_WITHIN_DAYS);
        assert_eq!(due, at("2027-01-14T23:59:59.999+08:00"));
    }

    #[test]
    fn deadline_states() {
        let due = at("2026-12-14T23:59:59.999+08:00");
        assert_eq!(
            DeadlineState::of(due, at("2026-12-01T00:00:00+08:00")),
            DeadlineState::OnTime
        );
        assert_eq!(
            DeadlineState::of(due, at("2026-12-12T00:00:00+08:00")),
            DeadlineState::DueSoon
        );
        assert_eq!(
            DeadlineState::of(due, at("2026-12-15T00:00:00+08:00")),
            DeadlineState::Overdue
        );
    }
}
