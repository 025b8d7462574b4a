//! China's clock, the one place it is defined: deadlines, tracking numbers, daily
//! quotas, notification times and the dates on pages all count in it.

use chrono::{DateTime, FixedOffset, NaiveDate, Offset, Utc};

/// China Standard Time (Asia/Shanghai). Fixed: China has kept UTC+8 without daylight
/// saving since 1991, so no time-zone database is needed.
pub fn zone() -> FixedOffset {
    FixedOffset::east_opt(8 * 3600).unwrap_or_else(|| Utc.fix())
}

/// `t` on China's clock.
pub fn local(t: DateTime<Utc>) -> DateTime<FixedOffset> {
    t.with_timezone(&zone())
}

/// The calendar day `t` falls on in China.
pub fn day(t: DateTime<Utc>) -> NaiveDate {
    local(t).date_naive()
}

/// When the day `t` falls on began in China (midnight, UTC+8).
pub fn start_of_day(t: DateTime<Utc>) -> DateTime<Utc> {
    day(t)
        .and_time(chrono::NaiveTime::MIN)
        .and_local_timezone(zone())
        .single()
        .map_or(t, |midnight| midnight.with_timezone(&Utc))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_day_starts_at_midnight_in_china() {
        let t: DateTime<Utc> = "2026-11-28T15:59:59Z".parse().unwrap();
        assert_eq!(start_of_day(t).to_rfc3339(), "2026-11-27T16:00:00+00:00");
        let t: DateTime<Utc> = "2026-11-28T16:00:00Z".parse().unwrap();
        assert_eq!(start_of_day(t).to_rfc3339(), "2026-11-28T16:00:00+00:00");
    }

    #[test]
    fn the_day_turns_at_midnight_in_china_not_in_utc() {
        let t = DateTime::parse_from_rfc3339("2026-11-28T16:00:00Z")
            .unwrap()
            .with_timezone(&Utc);
        assert_eq!(day(t), NaiveDate::from_ymd_opt(2026, 11, 29).unwrap());
        assert_eq!(
            day(t - chrono::TimeDelta::seconds(1)),
            NaiveDate::from_ymd_opt(2026, 11, 28).unwrap()
        );
    }
}
