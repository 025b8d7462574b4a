//! 统计用区划代码 (statistical division codes) and the region hierarchy.
//!
//! A full code has 12 digits: 2 province, 2 city, 2 county, 3 township, 3 village.
//! A region is keyed by the code at its own level's length (`4115` for 信阳市,
//! `411503209202` for a village), not by the zero-padded 12-digit form: in the national
//! data the padded forms collide (东莞市 4419 and its county-level twin 441900 both pad
//! to 441900000000; so do 金门县's township and village 350527000), so only the length
//! tells the level.

use std::fmt;

/// The five levels of the division hierarchy, from the top.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum RegionLevel {
    /// 省级 (2 digits).
    Province,
    /// 地级 (4 digits).
    City,
    /// 县级 (6 digits): districts, counties, county-level cities and zones.
    County,
    /// 乡级 (9 digits): 乡, 镇, 街道 and equivalent units.
    Township,
    /// 村级 (12 digits): 村民委员会 and 社区居民委员会.
    Village,
}

impl RegionLevel {
    pub const ALL: [RegionLevel; 5] = [
        RegionLevel::Province,
        RegionLevel::City,
        RegionLevel::County,
        RegionLevel::Township,
        RegionLevel::Village,
    ];

    /// Number of digits in a code of this level.
    pub fn code_len(self) -> usize {
        match self {
            RegionLevel::Province => 2,
            RegionLevel::City => 4,
            RegionLevel::County => 6,
            RegionLevel::Township => 9,
            RegionLevel::Village => 12,
        }
    }

    pub fn from_code_len(len: usize) -> Option<RegionLevel> {
        RegionLevel::ALL.into_iter().find(|l| l.code_len() == len)
    }

    /// The level directly above, if any.
    pub fn parent(self) -> Option<RegionLevel> {
        match self {
            RegionLevel::Province => None,
            RegionLevel::City => Some(RegionLevel::Province),
            RegionLevel::County => Some(RegionLevel::City),
            RegionLevel::Township => Some(RegionLevel::County),
            RegionLevel::Village => Some(RegionLevel::Township),
        }
    }

    /// The level directly below, if any.
    pub fn child(self) -> Option<RegionLevel> {
        RegionLevel::ALL
            .into_iter()
            .find(|l| l.parent() == Some(self))
    }

    pub fn as_str(self) -> &'static str {
        match self {
            RegionLevel::Province => "province",
            RegionLevel::City => "city",
            RegionLevel::County => "county",
            RegionLevel::Township => "township",
            RegionLevel::Village => "village",
        }
    }

    /// The Chinese word shown to users.
    pub fn label(self) -> &'static str {
        match self {
            RegionLevel::Province => "省",
            RegionLevel::City => "市",
            RegionLevel::County => "县(区)",
            RegionLevel::Township => "乡(镇、街道)",
            RegionLevel::Village => "村(社区)",
        }
    }
}

impl fmt::Display for RegionLevel {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Why a string is not a region code.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RegionCodeError {
    #[error("a region code has only digits")]
    NotDigits,
    #[error("a region code has 2, 4, 6, 9 or 12 digits, not {0}")]
    BadLength(usize),
    #[error("a village code has 12 digits")]
    NotVillage,
}

/// A 统计用区划代码 at its level's length. The only constructor is [`RegionCode::parse`].
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct RegionCode(String);

impl RegionCode {
    pub fn parse(s: &str) -> Result<RegionCode, RegionCodeError> {
        if s.is_empty() || !s.bytes().all(|b| b.is_ascii_digit()) {
            return Err(RegionCodeError::NotDigits);
        }
        if RegionLevel::from_code_len(s.len()).is_none() {
            return Err(RegionCodeError::BadLength(s.len()));
        }
        Ok(RegionCode(s.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn level(&self) -> RegionLevel {
        // parse() admits only lengths that map to a level.
        RegionLevel::from_code_len(self.0.len()).unwrap_or(RegionLevel::Village)
    }

    /// The code of the region directly above, derived from the digits.
    pub fn parent(&self) -> Option<RegionCode> {
        let parent = self.level().parent()?;
        self.truncated(parent)
    }

    /// This code cut to a higher level's length (`None` for a lower or equal level).
    pub fn truncated(&self, level: RegionLevel) -> Option<RegionCode> {
        if level >= self.level() {
            return None;
        }
        self.0
            .get(..level.code_len())
            .map(|s| RegionCode(s.to_owned()))
    }

    /// Codes of every region above this one, top first.
    pub fn ancestors(&self) -> Vec<RegionCode> {
        RegionLevel::ALL
            .into_iter()
            .filter_map(|level| self.truncated(level))
            .collect()
    }

    /// Whether `other` lies inside this region (or is this region).
    pub fn contains(&self, other: &RegionCode) -> bool {
        other.0.starts_with(&self.0)
    }

    /// Readings of a code someone typed or scanned, most specific first. A 12-digit code
    /// may be a village, or an official zero-padded code of a higher level
    /// (411503209000 is 王岗乡's township code in the published tables).
    pub fn interpretations(s: &str) -> Result<Vec<RegionCode>, RegionCodeError> {
        let code = RegionCode::parse(s)?;
        let mut out = vec![code.clone()];
        if code.level() == RegionLevel::Village {
            for level in [
                RegionLevel::Township,
                RegionLevel::County,
                RegionLevel::City,
                RegionLevel::Province,
            ] {
                let (head, tail) = s.split_at(level.code_len());
                if tail.bytes().all(|b| b == b'0') {
                    out.push(RegionCode(head.to_owned()));
                }
            }
        }
        Ok(out)
    }
}

impl fmt::Display for RegionCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl AsRef<str> for RegionCode {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

impl serde::Serialize for RegionCode {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.0)
    }
}

/// A village's 12-digit code: what village pages, QR codes and complaints point at.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct VillageCode(RegionCode);

impl VillageCode {
    pub fn parse(s: &str) -> Result<VillageCode, RegionCodeError> {
        let code = RegionCode::parse(s)?;
        if code.level() != RegionLevel::Village {
            return Err(RegionCodeError::NotVillage);
        }
        Ok(VillageCode(code))
    }

    pub fn as_str(&self) -> &str {
        self.0.as_str()
    }

    pub fn region_code(&self) -> &RegionCode {
        &self.0
    }
}

impl fmt::Display for VillageCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

impl TryFrom<RegionCode> for VillageCode {
    type Error = RegionCodeError;
    fn try_from(code: RegionCode) -> Result<Self, Self::Error> {
        if code.level() != RegionLevel::Village {
            return Err(RegionCodeError::NotVillage);
        }
        Ok(VillageCode(code))
    }
}

/// One region of the hierarchy as stored.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Region {
    pub code: RegionCode,
    /// The official name as published (王岗村民委员会).
    pub name: String,
    /// The name people use (王岗村), see [`display_name`].
    pub display_name: String,
    /// `None` only at the top of what was imported.
    pub parent_code: Option<RegionCode>,
}

impl Region {
    pub fn level(&self) -> RegionLevel {
        self.code.level()
    }
}

/// Committee suffixes of village-level names, and what the short name ends with instead.
/// Longest first, so `社区居民委员会` wins over `居民委员会`. The odd forms (村民委会,
/// 居民居委会, 民居委员会) occur in the published 信阳 data.
const VILLAGE_SUFFIXES: &[(&str, &str)] = &[
    ("社区居民居委会", "社区"),
    ("社区居民委员会", "社区"),
    ("社区民居委员会", "社区"),
    ("社区居民委会", "社区"),
    ("社区居委会", "社区"),
    ("村民委员会", "村"),
    ("居民委员会", "社区"),
    ("居民居委会", "社区"),
    ("民居委员会", "社区"),
    ("村民委会", "村"),
    ("居民委会", "社区"),
    ("村委会", "村"),
    ("居委会", "社区"),
    ("委员会", ""),
];

/// The name people use: 王岗村民委员会 → 王岗村, 义阳社区居民委员会 → 义阳社区.
/// Names of other levels, and village names without a committee suffix, stay as they are.
pub fn display_name(official: &str, level: RegionLevel) -> String {
    if level != RegionLevel::Village {
        return official.to_owned();
    }
    for (suffix, ending) in VILLAGE_SUFFIXES {
        if let Some(stem) = official.strip_suffix(suffix) {
            if stem.is_empty() {
                return official.to_owned();
            }
            // 张家庄村委会 → 张家庄村, but 东庄村村委会 → 东庄村; 东平小区居委会 → 东平小区.
            let already = stem.ends_with(ending) || (*ending == "社区" && stem.ends_with('区'));
            return if already {
                stem.to_owned()
            } else {
                format!("{stem}{ending}")
            };
        }
    }
    official.to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;
    use claims::{assert_err, assert_ok};
    use proptest::prelude::*;

    #[test]
    fn codes_of_each_level_parse() {
        for (code, level) in [
            ("41", RegionLevel::Province),
            ("4115", RegionLevel::City),
            ("411503", RegionLevel::County),
            ("411503209", RegionLevel::Township),
            ("411503209202", RegionLevel::Village),
        ] {
            assert_eq!(assert_ok!(RegionCode::parse(code)).level(), level);
        }
    }

    #[test]
    fn malformed_codes_are_refused() {
        for bad in [
            "",
            "4",
            "41150",
            "4115a3",
            "41150320920",
            "4115032092021",
            " 4115",
        ] {
            assert_err!(RegionCode::parse(bad));
        }
    }

    #[test]
    fn a_village_knows_its_ancestors() {
        let code = assert_ok!(RegionCode::parse("411503209202"));
        let ancestors: Vec<String> = code.ancestors().iter().map(|c| c.to_string()).collect();
        assert_eq!(ancestors, ["41", "4115", "411503", "411503209"]);
        assert_eq!(
            code.parent().map(|c| c.to_string()).as_deref(),
            Some("411503209")
        );
        assert_eq!(assert_ok!(RegionCode::parse("41")).parent(), None);
    }

    #[test]
    fn a_padded_official_code_is_also_read_as_higher_levels() {
        let readings: Vec<String> = assert_ok!(RegionCode::interpretations("411503209000"))
            .iter()
            .map(|c| c.to_string())
            .collect();
        assert_eq!(readings, ["411503209000", "411503209"]);
        let readings = assert_ok!(RegionCode::interpretations("411500000000"));
        assert_eq!(readings.len(), 4);
    }

    #[test]
    fn village_code_requires_twelve_digits() {
        assert_ok!(VillageCode::parse("411503209202"));
        assert_eq!(
            VillageCode::parse("411503209"),
            Err(RegionCodeError::NotVillage)
        );
    }

    #[test]
    fn display_names_drop_committee_suffixes() {
        let v = RegionLevel::Village;
        for (official, short) in [
            ("王岗村民委员会", "王岗村"),
            ("义阳社区居民委员会", "义阳社区"),
            ("多福巷社区居委会", "多福巷社区"),
            ("张家庄村委会", "张家庄村"),
            ("东庄村村委会", "东庄村"),
            ("冲田洼村民委会", "冲田洼村"),
            ("吴陈河社区居民委会", "吴陈河社区"),
            ("刘洼社区居民居委会", "刘洼社区"),
            ("戴洼社区民居委员会", "戴洼社区"),
            ("东平小区居委会", "东平小区"),
            ("第一街委员会", "第一街"),
            ("某某林场生活区", "某某林场生活区"),
        ] {
            assert_eq!(display_name(official, v), short, "{official}");
        }
        assert_eq!(display_name("平桥区", RegionLevel::County), "平桥区");
    }

    proptest! {
        #[test]
        fn any_twelve_digits_are_a_village_with_four_ancestors(s in "[0-9]{12}") {
            let code = RegionCode::parse(&s).unwrap();
            prop_assert_eq!(code.level(), RegionLevel::Village);
            let ancestors = code.ancestors();
            prop_assert_eq!(ancestors.len(), 4);
            for a in ancestors {
                prop_assert!(a.contains(&code));
            }
        }

        #[test]
        fn display_name_never_panics_and_never_grows_past_a_suffix(s in "\\PC{0,20}") {
            let d = display_name(&s, RegionLevel::Village);
            prop_assert!(d.chars().count() <= s.chars().count() + 2);
        }
    }
}
