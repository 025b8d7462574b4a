//! The supervision dashboard (`/staff/insight`, docs/analysis.md): what the public
//! raises by topic, area and month; where complaints come from; how they stand and how
//! fast they are handled against the statutory limits; follower growth; and which
//! villages publish. Every figure is within one region (the reader's scope) and is
//! computed live. Each table is also a CSV, from the same rows the page shows.

use std::collections::HashMap;

use chrono::{DateTime, Datelike, Duration, NaiveDate, Utc};
use sqlx::PgPool;

use crate::analysis::Topic;
use crate::analysis::cluster::{self, Item, ItemRef, Source};
use crate::domain::complaint::deadline::{ACCEPT_WITHIN_DAYS, CONCLUDE_WITHIN_DAYS};
use crate::domain::complaint::{ComplaintStatus, TrackingNumber};
use crate::domain::disclosure::calendar::Calendar;
use crate::domain::{Module, RegionCode, RegionLevel, china_time};
use crate::storage::insight as q;

/// How many months the dashboard looks back (this month included).
pub const MONTHS: u32 = 12;
/// "Last quarter" for disclosures: the last 90 days.
pub const QUARTER_DAYS: i64 = 90;
const TOP_VILLAGES: i64 = 10;
const OVERDUE_SHOWN: i64 = 50;

/// The dashboard's tables, each with a CSV at `/staff/insight/<name>.csv`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Table {
    Topics,
    Villages,
    Status,
    Overdue,
    Timeliness,
    Followers,
    Disclosures,
    Clusters,
    Recommendations,
}

impl Table {
    pub const ALL: [Table; 9] = [
        Table::Topics,
        Table::Villages,
        Table::Status,
        Table::Overdue,
        Table::Timeliness,
        Table::Followers,
        Table::Disclosures,
        Table::Clusters,
        Table::Recommendations,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Table::Topics => "topics",
            Table::Villages => "villages",
            Table::Status => "status",
            Table::Overdue => "overdue",
            Table::Timeliness => "timeliness",
            Table::Followers => "followers",
            Table::Disclosures => "disclosures",
            Table::Clusters => "clusters",
            Table::Recommendations => "recommendations",
        }
    }

    /// The table named `s` (`topics`, or `topics.csv` as the path has it).
    pub fn parse(s: &str) -> Option<Table> {
        let s = s.strip_suffix(".csv").unwrap_or(s);
        Table::ALL.into_iter().find(|t| t.as_str() == s)
    }

    pub fn title(self) -> &'static str {
        match self {
            Table::Topics => "问题类别 × 地区 × 月份",
            Table::Villages => "投诉最多的村",
            Table::Status => "投诉办理状态（超期优先）",
            Table::Overdue => "已超期的投诉",
            Table::Timeliness => "各乡镇受理、办结平均用时",
            Table::Followers => "关注人数增长",
            Table::Disclosures => "近一个季度（90天）各村公开情况",
            Table::Clusters => "反映同一件事的投诉和留言（近90天）",
            Table::Recommendations => "监察建议书整改情况",
        }
    }
}

/// A table as text: a header and rows, what the page and the CSV both show.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Grid {
    pub table: Table,
    pub header: Vec<String>,
    pub rows: Vec<Vec<String>>,
}

/// One line of a chart: a label and a value per month.
#[derive(Debug, Clone, PartialEq)]
pub struct Series {
    pub label: String,
    pub values: Vec<f64>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Dashboard {
    /// `2026-01` … this month.
    pub months: Vec<String>,
    /// Complaints and messages per topic and month, for the trend chart.
    pub topic_trend: Vec<Series>,
    /// Followers bound in scope at the end of each month.
    pub follower_trend: Series,
    /// Villages in scope that published nothing in the last 90 days.
    pub silent_villages: usize,
    /// Villages in scope behind the publication calendar on at least one module.
    pub behind_villages: usize,
    pub overdue: i64,
    /// Complaints about the same thing in the last 90 days.
    pub groups: Vec<SameMatter>,
    pub grids: Vec<Grid>,
}

impl Dashboard {
    pub fn grid(&self, table: Table) -> Option<&Grid> {
        self.grids.iter().find(|g| g.table == table)
    }
}

/// The digits of a village code that name the areas of `scope`'s dashboard: the level
/// below it, down to the township; a township's areas are its villages.
pub fn area_len(scope: &RegionCode) -> i32 {
    match scope.level() {
        RegionLevel::Province => 4,
        RegionLevel::City => 6,
        RegionLevel::County => 9,
        RegionLevel::Township | RegionLevel::Village => 12,
    }
}

/// The first day (China) of the month `back` months before `now`'s.
fn month_start(now: DateTime<Utc>, back: u32) -> DateTime<Utc> {
    let today = china_time::day(now);
    let total = today.year() * 12 + today.month0() as i32 - back as i32;
    let first = NaiveDate::from_ymd_opt(total.div_euclid(12), total.rem_euclid(12) as u32 + 1, 1)
        .unwrap_or(today);
    first
        .and_hms_opt(0, 0, 0)
        .and_then(|t| t.and_local_timezone(china_time::zone()).single())
        .map_or(now, |t| t.with_timezone(&Utc))
}

fn months(now: DateTime<Utc>) -> Vec<String> {
    (0..MONTHS)
        .rev()
        .map(|back| {
            china_time::local(month_start(now, back))
                .format("%Y-%m")
                .to_string()
        })
        .collect()
}

fn days(d: Option<f64>) -> String {
    d.map_or_else(|| "—".to_owned(), |d| format!("{d:.1}"))
}

fn status_label(s: &str) -> String {
    ComplaintStatus::parse(s).map_or_else(|| s.to_owned(), |s| s.label().to_owned())
}

/// The villages in `scope` behind the publication calendar (`data/modules/calendar.toml`,
/// the rule the village page and the staff calendar apply), each with the modules it is
/// behind on.
async fn behind_calendar(
    pool: &PgPool,
    calendar: &Calendar,
    scope: &RegionCode,
    now: DateTime<Utc>,
) -> Result<HashMap<String, Vec<&'static str>>, sqlx::Error> {
    let villages = crate::storage::calendar::villages_within(pool, scope, ALL_VILLAGES).await?;
    Ok(villages
        .into_iter()
        .filter_map(|v| {
            let behind: Vec<&'static str> = Module::ALL
                .into_iter()
                .filter(|m| {
                    calendar
                        .standing(*m, v.last.get(m).copied(), now)
                        .is_behind()
                })
                .map(Module::name)
                .collect();
            (!behind.is_empty()).then(|| (v.code.to_string(), behind))
        })
        .collect())
}

/// More villages than any scope holds (a province has about 50,000).
const ALL_VILLAGES: i64 = 1_000_000;

pub async fn dashboard(
    pool: &PgPool,
    calendar: &Calendar,
    scope: &RegionCode,
    now: DateTime<Utc>,
) -> Result<Dashboard, sqlx::Error> {
    let s = scope.as_str();
    let since = month_start(now, MONTHS - 1);
    let months = months(now);
    let topics = q::topic_counts(pool, s, area_len(scope), since).await?;
    let villages = q::top_villages(pool, s, since, TOP_VILLAGES).await?;
    let status = q::status_counts(pool, s, now).await?;
    let overdue = q::overdue(pool, s, now, OVERDUE_SHOWN).await?;
    let timeliness = q::timeliness(pool, s, since).await?;
    let follows = q::follower_months(pool, s, since).await?;
    let base = q::followers_before(pool, s, since).await?;
    let disclosures =
        q::disclosures_by_village(pool, s, now - Duration::days(QUARTER_DAYS)).await?;
    let behind = behind_calendar(pool, calendar, scope, now).await?;
    let groups = groups(pool, s, now - Duration::days(QUARTER_DAYS), now).await?;
    let recommendations = crate::storage::recommendations::list(pool, s).await?;
    let today = china_time::day(now);

    let month_at = |m: &str| months.iter().position(|x| x == m);
    let mut topic_trend: Vec<Series> = crate::analysis::Topic::ALL
        .iter()
        .map(|t| t.key().to_owned())
        .chain([crate::analysis::NEEDS_REVIEW.to_owned()])
        .map(|label| Series {
            label,
            values: vec![0.0; months.len()],
        })
        .collect();
    for c in &topics {
        if let (Some(series), Some(at)) = (
            topic_trend.iter_mut().find(|x| x.label == c.topic),
            month_at(&c.month),
        ) {
            series.values[at] += (c.complaints + c.messages) as f64;
        }
    }
    topic_trend.retain(|s| s.values.iter().any(|v| *v > 0.0));

    let mut total = base;
    let mut follower_values = Vec::with_capacity(months.len());
    let mut follower_rows = Vec::new();
    for m in &months {
        let (sub, unsub) = follows
            .iter()
            .find(|f| &f.month == m)
            .map_or((0, 0), |f| (f.subscribed, f.unsubscribed));
        total += sub - unsub;
        follower_values.push(total as f64);
        follower_rows.push(vec![
            m.clone(),
            sub.to_string(),
            unsub.to_string(),
            total.to_string(),
        ]);
    }

    let grids = vec![
        Grid {
            table: Table::Topics,
            header: ["地区代码", "地区", "月份", "类别", "投诉", "留言"]
                .map(String::from)
                .to_vec(),
            rows: topics
                .iter()
                .map(|c| {
                    vec![
                        c.area.clone(),
                        c.area_name.clone(),
                        c.month.clone(),
                        c.topic.clone(),
                        c.complaints.to_string(),
                        c.messages.to_string(),
                    ]
                })
                .collect(),
        },
        Grid {
            table: Table::Villages,
            header: ["村代码", "村", "乡镇", "投诉"].map(String::from).to_vec(),
            rows: villages
                .iter()
                .map(|v| {
                    vec![
                        v.code.clone(),
                        v.name.clone(),
                        v.township.clone(),
                        v.complaints.to_string(),
                    ]
                })
                .collect(),
        },
        Grid {
            table: Table::Status,
            header: ["状态", "投诉", "其中超期"].map(String::from).to_vec(),
            rows: status
                .iter()
                .map(|s| {
                    vec![
                        status_label(&s.status),
                        s.complaints.to_string(),
                        s.overdue.to_string(),
                    ]
                })
                .collect(),
        },
        Grid {
            table: Table::Overdue,
            header: ["受理编号", "村", "状态", "期限", "超期天数"]
                .map(String::from)
                .to_vec(),
            rows: overdue
                .iter()
                .map(|o| {
                    vec![
                        o.tracking_number.clone(),
                        o.village.clone(),
                        status_label(&o.status),
                        china_time::local(o.due).format("%Y-%m-%d").to_string(),
                        (now - o.due).num_days().to_string(),
                    ]
                })
                .collect(),
        },
        Grid {
            table: Table::Timeliness,
            header: [
                "乡镇代码".to_owned(),
                "乡镇".to_owned(),
                "已受理".to_owned(),
                format!("平均受理用时（天，时限{ACCEPT_WITHIN_DAYS}）"),
                "已办结".to_owned(),
                format!("平均办结用时（天，时限{CONCLUDE_WITHIN_DAYS}）"),
            ]
            .to_vec(),
            rows: timeliness
                .iter()
                .map(|t| {
                    vec![
                        t.township.clone(),
                        t.name.clone(),
                        t.accepted.to_string(),
                        days(t.accept_days),
                        t.concluded.to_string(),
                        days(t.conclude_days),
                    ]
                })
                .collect(),
        },
        Grid {
            table: Table::Followers,
            header: ["月份", "新关注", "取消关注", "月末关注"]
                .map(String::from)
                .to_vec(),
            rows: follower_rows,
        },
        Grid {
            table: Table::Disclosures,
            header: ["村代码", "村", "乡镇", "公开条数", "未按时公开的栏目"]
                .map(String::from)
                .to_vec(),
            rows: disclosures
                .iter()
                .map(|d| {
                    vec![
                        d.code.clone(),
                        d.name.clone(),
                        d.township.clone(),
                        d.disclosures.to_string(),
                        behind
                            .get(&d.code)
                            .map_or_else(|| "—".to_owned(), |m| m.join("、")),
                    ]
                })
                .collect(),
        },
        Grid {
            table: Table::Clusters,
            header: ["地点", "类别", "投诉", "留言", "最早", "最近", "受理编号"]
                .map(String::from)
                .to_vec(),
            rows: groups
                .iter()
                .map(|g| {
                    vec![
                        g.place.clone(),
                        g.topic.key().to_owned(),
                        g.complaints.len().to_string(),
                        g.messages.to_string(),
                        china_time::local(g.first).format("%Y-%m-%d").to_string(),
                        china_time::local(g.last).format("%Y-%m-%d").to_string(),
                        g.complaints
                            .iter()
                            .map(ToString::to_string)
                            .collect::<Vec<_>>()
                            .join(" "),
                    ]
                })
                .collect(),
        },
        Grid {
            table: Table::Recommendations,
            header: ["标题", "地区", "类别", "送达单位", "整改期限", "状态"]
                .map(String::from)
                .to_vec(),
            rows: recommendations
                .iter()
                .map(|r| {
                    vec![
                        r.title.clone(),
                        r.region_name.clone(),
                        r.topic.clone(),
                        r.department.clone(),
                        r.rectify_by.to_string(),
                        crate::services::recommendations::state(r, today).to_owned(),
                    ]
                })
                .collect(),
        },
    ];
    Ok(Dashboard {
        groups,
        topic_trend,
        follower_trend: Series {
            label: "关注人数".to_owned(),
            values: follower_values,
        },
        silent_villages: disclosures.iter().filter(|d| d.disclosures == 0).count(),
        behind_villages: behind.len(),
        overdue: status.iter().map(|s| s.overdue).sum(),
        months,
        grids,
    })
}

/// Complaints and followers' messages about the same thing (`analysis::cluster`), as
/// staff see the group. Messages are counted, not listed: their writers filed nothing,
/// and what they wrote stays in the inbound store.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SameMatter {
    pub topic: Topic,
    /// The village when all are in one, else the township.
    pub place: String,
    pub first: DateTime<Utc>,
    pub last: DateTime<Utc>,
    /// Oldest first.
    pub complaints: Vec<TrackingNumber>,
    pub messages: usize,
}

impl SameMatter {
    /// "7件关于交通的投诉（王岗村，11月3日以来）", "关于交通的7件投诉、3条留言（…）".
    pub fn headline(&self) -> String {
        let t = self.topic;
        let counted = match (self.complaints.len(), self.messages) {
            (c, 0) => format!("{c}件关于{t}的投诉"),
            (0, m) => format!("{m}条关于{t}的留言"),
            (c, m) => format!("关于{t}的{c}件投诉、{m}条留言"),
        };
        format!(
            "{counted}（{}，{}以来）",
            self.place,
            china_time::local(self.first).format("%-m月%-d日")
        )
    }
}

/// One item per (item, topic) of a classified row, leaving out 其他 (it is no matter).
fn items<'a>(
    source: Source,
    id: i64,
    village: &'a str,
    at: DateTime<Utc>,
    text: &'a str,
    topics: &'a [String],
) -> impl Iterator<Item = Item> + 'a {
    topics
        .iter()
        .filter_map(|k| Topic::parse(k))
        .filter(|t| *t != Topic::Other)
        .map(move |topic| Item {
            source,
            id,
            township: village.chars().take(9).collect(),
            village: village.to_owned(),
            topic,
            at,
            text: text.to_owned(),
        })
}

/// The groups among the complaints and messages of `scope` in `[since, until)`.
pub async fn groups(
    pool: &PgPool,
    scope: &str,
    since: DateTime<Utc>,
    until: DateTime<Utc>,
) -> Result<Vec<SameMatter>, sqlx::Error> {
    let complaints = q::cluster_rows(pool, scope, since, until).await?;
    let messages = q::message_cluster_rows(pool, scope, since, until).await?;
    let all: Vec<Item> = complaints
        .iter()
        .flat_map(|r| {
            items(
                Source::Complaint,
                r.complaint_id,
                &r.village_code,
                r.received_at,
                &r.content,
                &r.topics,
            )
        })
        .chain(messages.iter().flat_map(|r| {
            items(
                Source::Message,
                r.inbound_message_id,
                &r.village_code,
                r.sent_at,
                &r.content,
                &r.topics,
            )
        }))
        .collect();
    let complaint = |id: i64| complaints.iter().find(|r| r.complaint_id == id);
    let message = |id: i64| messages.iter().find(|r| r.inbound_message_id == id);
    // The place's name as the first item's row gives it.
    let names = |item: ItemRef| match item {
        (Source::Complaint, id) => complaint(id).map(|r| (&r.village, &r.township)),
        (Source::Message, id) => message(id).map(|r| (&r.village, &r.township)),
    };
    Ok(cluster::clusters(&all)
        .into_iter()
        .map(|c| {
            let place = match (&c.village, c.ids.first().and_then(|&i| names(i))) {
                (Some(_), Some((village, _))) => village.clone(),
                (None, Some((_, township))) => township.clone(),
                (_, None) => c.township.clone(),
            };
            SameMatter {
                topic: c.topic,
                place,
                first: c.first,
                last: c.last,
                complaints: c
                    .ids
                    .iter()
                    .filter(|(s, _)| *s == Source::Complaint)
                    .filter_map(|&(_, id)| complaint(id))
                    .filter_map(|r| TrackingNumber::parse(&r.tracking_number).ok())
                    .collect(),
                messages: c.ids.iter().filter(|(s, _)| *s == Source::Message).count(),
            }
        })
        .collect())
}

/// The group a complaint belongs to, if any: among the complaints of its township
/// within the window of days either side of it.
pub async fn group_of(
    pool: &PgPool,
    tracking: &TrackingNumber,
    village_code: &str,
    received_at: DateTime<Utc>,
) -> Result<Vec<SameMatter>, sqlx::Error> {
    let township: String = village_code.chars().take(9).collect();
    // A chain may reach further than one window; three either side is enough to see it.
    let reach = Duration::days(3 * cluster::WINDOW_DAYS);
    let all = groups(pool, &township, received_at - reach, received_at + reach).await?;
    Ok(all
        .into_iter()
        .filter(|g| g.complaints.contains(tracking))
        .collect())
}

/// A cell a spreadsheet would run as a formula (`=`, `+`, `-`, `@`, a tab or a return
/// first) gets a leading `'`, so that a title typed by someone stays text.
fn inert(cell: &str) -> std::borrow::Cow<'_, str> {
    if cell.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        format!("'{cell}").into()
    } else {
        cell.into()
    }
}

/// A grid as CSV: UTF-8 with a byte-order mark, so Excel and WPS read the Chinese.
pub fn csv(grid: &Grid) -> Result<Vec<u8>, csv::Error> {
    let mut out = csv::Writer::from_writer(b"\xEF\xBB\xBF".to_vec());
    out.write_record(&grid.header)?;
    for row in &grid.rows {
        out.write_record(row.iter().map(|c| inert(c).into_owned()))?;
    }
    out.into_inner().map_err(|e| e.into_error().into())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn months_run_back_across_the_year_in_china_time() {
        // 2026-01-31 20:00 UTC is already February 1st in China.
        let now = "2026-01-31T20:00:00Z".parse().unwrap();
        let m = months(now);
        assert_eq!(m.len(), 12);
        assert_eq!(m[0], "2025-03");
        assert_eq!(m[11], "2026-02");
    }

    #[test]
    fn a_cell_that_looks_like_a_formula_stays_text_in_the_csv() {
        let grid = Grid {
            table: Table::Recommendations,
            header: vec!["标题".into()],
            rows: vec![vec!["=HYPERLINK(\"x\")".into()], vec!["关于".into()]],
        };
        let out = String::from_utf8(csv(&grid).unwrap()).unwrap();
        assert_eq!(out, "\u{feff}标题\n\"'=HYPERLINK(\"\"x\"\")\"\n关于\n");
    }

    #[test]
    fn table_names_round_trip_with_or_without_csv() {
        for t in Table::ALL {
            assert_eq!(Table::parse(t.as_str()), Some(t));
            assert_eq!(Table::parse(&format!("{}.csv", t.as_str())), Some(t));
        }
        assert_eq!(Table::parse("users"), None);
    }
}
