//! The publication calendar (公开时限): how often each module must be published, with the
//! legal rule it comes from, as data (`data/modules/calendar.toml`, compiled in and
//! checked at start-up), and a village's standing per module computed from its latest
//! publication: on time, behind, or never published. A village that stays silent is
//! itself a warning sign, so "never" is said as such, not as "no data".
//!
//! Time is always passed in (`now`), so the rules are tested on fixed clocks; months
//! count on China's calendar.

use std::collections::{BTreeMap, BTreeSet};

use chrono::{DateTime, Datelike, Months, NaiveDate, Utc};
use serde::Deserialize;

use super::definition::DefinitionError;
use crate::domain::{Module, china_time};

const FILE: &str = "data/modules/calendar.toml";
const TEXT: &str = include_str!("../../../data/modules/calendar.toml");

/// How often a module must be published.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Cadence {
    Monthly,
    Quarterly,
    /// When the matter arises (a project, an answered complaint): nothing to fall behind on.
    AsItHappens,
}

impl Cadence {
    fn parse(s: &str) -> Option<Cadence> {
        match s {
            "month" => Some(Cadence::Monthly),
            "quarter" => Some(Cadence::Quarterly),
            "as_it_happens" => Some(Cadence::AsItHappens),
            _ => None,
        }
    }

    /// How many months may pass without a publication.
    fn months(self) -> Option<u32> {
        match self {
            Cadence::Monthly => Some(1),
            Cadence::Quarterly => Some(3),
            Cadence::AsItHappens => None,
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Cadence::Monthly => "每月",
            Cadence::Quarterly => "每季度",
            Cadence::AsItHappens => "随时",
        }
    }
}

/// A legal text a rule cites.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Source {
    pub title: String,
    pub text: String,
}

/// One module's rule.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rule {
    pub module: Module,
    pub cadence: Cadence,
    /// The rule as villagers read it (财务收支情况每月公布一次).
    pub rule: String,
    pub sources: Vec<Source>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct FileSpec {
    source: Vec<SourceSpec>,
    module: Vec<RuleSpec>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct SourceSpec {
    key: String,
    title: String,
    text: String,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RuleSpec {
    module: String,
    every: String,
    rule: String,
    sources: Vec<String>,
}

/// Every module's rule.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Calendar(BTreeMap<Module, Rule>);

impl Calendar {
    /// `data/modules/calendar.toml` as compiled in.
    pub fn builtin() -> Result<Calendar, DefinitionError> {
        Calendar::parse(FILE, TEXT)
    }

    /// Reads a calendar file; refuses an unknown module or cadence, a module named twice
    /// or missing, a rule without a source or citing one not defined, and empty texts.
    pub fn parse(file: &str, text: &str) -> Result<Calendar, DefinitionError> {
        let fail = |place: &str, message: String| DefinitionError {
            file: file.to_owned(),
            place: place.to_owned(),
            message,
        };
        let spec: FileSpec = toml::from_str(text).map_err(|e| fail("file", e.to_string()))?;
        let mut sources = BTreeMap::new();
        for s in spec.source {
            let place = format!("source {}", s.key);
            if s.title.trim().is_empty() || s.text.trim().is_empty() {
                return Err(fail(&place, "title and text must not be empty".into()));
            }
            if sources
                .insert(
                    s.key.clone(),
                    Source {
                        title: s.title,
                        text: s.text,
                    },
                )
                .is_some()
            {
                return Err(fail(&place, "is defined twice".into()));
            }
        }
        let mut rules = BTreeMap::new();
        for r in spec.module {
            let place = format!("module {}", r.module);
            let module = Module::parse(&r.module).map_err(|e| fail(&place, e.to_string()))?;
            let cadence = Cadence::parse(&r.every).ok_or_else(|| {
                fail(
                    &place,
                    format!(
                        "every `{}` is not one of month, quarter, as_it_happens",
                        r.every
                    ),
                )
            })?;
            if r.rule.trim().is_empty() {
                return Err(fail(&place, "rule must not be empty".into()));
            }
            if r.sources.is_empty() {
                return Err(fail(&place, "cites no source".into()));
            }
            let mut cited = Vec::new();
            let mut seen = BTreeSet::new();
            for key in &r.sources {
                let s = sources
                    .get(key)
                    .ok_or_else(|| fail(&place, format!("source `{key}` is not defined")))?;
                if seen.insert(key) {
                    cited.push(s.clone());
                }
            }
            let rule = Rule {
                module,
                cadence,
                rule: r.rule,
                sources: cited,
            };
            if rules.insert(module, rule).is_some() {
                return Err(fail(&place, "is given twice".into()));
            }
        }
        if let Some(missing) = Module::ALL.iter().find(|m| !rules.contains_key(m)) {
            return Err(fail(
                &format!("module {}", missing.slug()),
                "is missing".into(),
            ));
        }
        Ok(Calendar(rules))
    }

    pub fn rule(&self, module: Module) -> &Rule {
        // Every module is present: `parse` refuses a file without one.
        &self.0[&module]
    }

    /// A module's standing, given when it was last published (first versions of
    /// disclosures still public, sample content excluded).
    pub fn standing(
        &self,
        module: Module,
        last: Option<DateTime<Utc>>,
        now: DateTime<Utc>,
    ) -> Standing {
        standing(self.rule(module).cadence, last, now)
    }
}

/// Where a village stands on one module.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Standing {
    /// Published within the period the rule allows (or the module has no calendar and
    /// something was published).
    OnTime { last: DateTime<Utc> },
    /// Published, but longer ago than the rule allows.
    Behind { last: DateTime<Utc> },
    /// Nothing ever published under a module that has a calendar.
    Never,
    /// Nothing published under a module published as matters arise: not a failing.
    NothingYet,
}

impl Standing {
    pub fn is_behind(self) -> bool {
        matches!(self, Standing::Behind { .. } | Standing::Never)
    }

    pub fn last(self) -> Option<DateTime<Utc>> {
        match self {
            Standing::OnTime { last } | Standing::Behind { last } => Some(last),
            Standing::Never | Standing::NothingYet => None,
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Standing::OnTime { .. } => "按时",
            Standing::Behind { .. } => "已超期",
            Standing::Never => "从未公开",
            Standing::NothingYet => "暂无",
        }
    }
}

/// Behind when no publication falls within the last `cadence` months on China's
/// calendar (a monthly module last published on 10 October is behind from 11 November).
pub fn standing(cadence: Cadence, last: Option<DateTime<Utc>>, now: DateTime<Utc>) -> Standing {
    match (cadence.months(), last) {
        (None, Some(last)) => Standing::OnTime { last },
        (None, None) => Standing::NothingYet,
        (Some(_), None) => Standing::Never,
        (Some(months), Some(last)) => {
            let today = china_time::day(now);
            let since = today
                .checked_sub_months(Months::new(months))
                .unwrap_or(today);
            if china_time::day(last) >= since {
                Standing::OnTime { last }
            } else {
                Standing::Behind { last }
            }
        }
    }
}

/// How long ago `then` was, as a page says it: 今天, 昨天, 12天前, 5个月前, 2年前.
pub fn ago(then: DateTime<Utc>, now: DateTime<Utc>) -> String {
    let (from, to) = (china_time::day(then), china_time::day(now));
    let days = (to - from).num_days();
    if days <= 0 {
        return "今天".into();
    }
    if days == 1 {
        return "昨天".into();
    }
    let months = whole_months(from, to);
    match months {
        0 => format!("{days}天前"),
        1..=23 => format!("{months}个月前"),
        _ => format!("{}年前", months / 12),
    }
}

/// Whole calendar months from `from` to `to` (31 January to 28 February is 0).
fn whole_months(from: NaiveDate, to: NaiveDate) -> u32 {
    let mut n = (to.year() - from.year()) * 12 + to.month() as i32 - from.month() as i32;
    if to.day() < from.day() {
        n -= 1;
    }
    u32::try_from(n).unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(s: &str) -> DateTime<Utc> {
        s.parse().unwrap()
    }

    #[test]
    fn the_builtin_calendar_holds_and_cites_the_law() {
        let c = Calendar::builtin().unwrap();
        let assets = c.rule(Module::Assets);
        assert_eq!(assets.cadence, Cadence::Monthly);
        assert!(
            assets.sources[0]
                .title
                .contains("村民委员会组织法》第三十条")
        );
        assert!(assets.sources[0].text.contains("每月公布一次"));
        assert_eq!(c.rule(Module::Organization).cadence, Cadence::Quarterly);
        assert_eq!(c.rule(Module::Projects).cadence, Cadence::AsItHappens);
    }

    #[test]
    fn a_bad_calendar_is_named_with_its_module() {
        let source = "[[source]]\nkey = \"a\"\ntitle = \"t\"\ntext = \"x\"\n";
        let all = |extra: &str| {
            let mut s = source.to_owned();
            for m in Module::ALL {
                if extra.contains(&format!("\"{}\"", m.slug())) {
                    continue;
                }
                s.push_str(&format!(
                    "[[module]]\nmodule = \"{}\"\nevery = \"quarter\"\nrule = \"r\"\nsources = [\"a\"]\n",
                    m.slug()
                ));
            }
            s.push_str(extra);
            Calendar::parse("c.toml", &s)
        };
        assert!(all("").is_ok());
        let e = all("[[module]]\nmodule = \"assets\"\nevery = \"weekly\"\nrule = \"r\"\nsources = [\"a\"]\n")
            .unwrap_err();
        assert_eq!(e.place, "module assets");
        assert!(e.message.contains("weekly"), "{e}");
        let e = all(
            "[[module]]\nmodule = \"assets\"\nevery = \"month\"\nrule = \"r\"\nsources = [\"b\"]\n",
        )
        .unwrap_err();
        assert!(e.message.contains("`b` is not defined"), "{e}");
        let e = all(
            "[[module]]\nmodule = \"economy\"\nevery = \"month\"\nrule = \"r\"\nsources = []\n",
        )
        .unwrap_err();
        assert!(e.message.contains("no source"), "{e}");
        let mut missing = source.to_owned();
        missing.push_str(
            "[[module]]\nmodule = \"assets\"\nevery = \"month\"\nrule = \"r\"\nsources = [\"a\"]\n",
        );
        let e = Calendar::parse("c.toml", &missing).unwrap_err();
        assert_eq!(e.message, "is missing");
    }

    #[test]
    fn a_monthly_module_falls_behind_a_month_after_its_last_publication() {
        // 10 October, 10:00 in China.
        let last = at("2026-10-10T02:00:00Z");
        let on = standing(Cadence::Monthly, Some(last), at("2026-11-10T15:00:00Z"));
        assert_eq!(on, Standing::OnTime { last });
        // 11 November in China (16:00 UTC on the 10th).
        let behind = standing(Cadence::Monthly, Some(last), at("2026-11-10T16:00:00Z"));
        assert_eq!(behind, Standing::Behind { last });
        assert!(behind.is_behind());
    }

    #[test]
    fn a_quarterly_module_has_three_months() {
        let last = at("2026-08-01T02:00:00Z");
        let now = at("2026-10-31T02:00:00Z");
        assert!(!standing(Cadence::Quarterly, Some(last), now).is_behind());
        let now = at("2026-11-02T02:00:00Z");
        assert!(standing(Cadence::Quarterly, Some(last), now).is_behind());
    }

    #[test]
    fn never_publishing_is_behind_but_not_for_a_module_without_a_calendar() {
        let now = at("2026-11-02T02:00:00Z");
        assert_eq!(standing(Cadence::Monthly, None, now), Standing::Never);
        assert!(Standing::Never.is_behind());
        let n = standing(Cadence::AsItHappens, None, now);
        assert_eq!(n, Standing::NothingYet);
        assert!(!n.is_behind());
        let old = at("2020-01-01T02:00:00Z");
        assert!(!standing(Cadence::AsItHappens, Some(old), now).is_behind());
    }

    #[test]
    fn ages_read_as_people_say_them() {
        let now = at("2026-12-02T04:00:00Z");
        assert_eq!(ago(at("2026-12-02T00:00:00Z"), now), "今天");
        assert_eq!(ago(at("2026-12-01T04:00:00Z"), now), "昨天");
        assert_eq!(ago(at("2026-11-20T04:00:00Z"), now), "12天前");
        assert_eq!(ago(at("2026-07-01T04:00:00Z"), now), "5个月前");
        assert_eq!(ago(at("2026-07-03T04:00:00Z"), now), "4个月前");
        assert_eq!(ago(at("2024-06-01T04:00:00Z"), now), "2年前");
        // The day turns at midnight in China: 23:30 on 1 December there is yesterday.
        assert_eq!(
            ago(at("2026-12-01T15:30:00Z"), at("2026-12-01T16:30:00Z")),
            "昨天"
        );
    }
}
