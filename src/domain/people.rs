//! People on public pages: supervisors with tap-to-call phones, and households of the
//! poverty-alleviation ledger, whose heads appear only with a masked name (张*明) and
//! never with an ID number or phone.

use chrono::NaiveDate;

use super::{RegionCode, RegionLevel, VillageCode};

/// Why a person's record was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PersonError {
    #[error("{0} is required")]
    Missing(&'static str),
    #[error("{0} is too long")]
    TooLong(&'static str),
    #[error("a name has 2 to 10 characters and no digits or symbols")]
    BadName,
    #[error("a masked name keeps only the first and last character (张*明)")]
    NotMasked,
    #[error("a phone number has 3 to 20 digits, optionally grouped with - or spaces")]
    BadPhone,
    #[error("{body} belongs to a {expected}, not to region {code}")]
    WrongLevel {
        body: &'static str,
        expected: &'static str,
        code: String,
    },
    #[error("a household has 1 to 30 members")]
    BadSize,
    #[error("the year is out of range")]
    BadYear,
}

fn line(field: &'static str, s: &str, max: usize) -> Result<String, PersonError> {
    let s = s.trim();
    if s.is_empty() {
        return Err(PersonError::Missing(field));
    }
    if s.chars().count() > max || s.chars().any(char::is_control) {
        return Err(PersonError::TooLong(field));
    }
    Ok(s.to_owned())
}

/// A name as a public page may show it: first and last character kept, the rest
/// starred (张*明, 欧**明, 李*).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MaskedName(String);

fn name_char(c: char) -> bool {
    c.is_alphabetic() || c == '·'
}

impl MaskedName {
    /// Masks a full name.
    pub fn mask(full: &str) -> Result<MaskedName, PersonError> {
        let chars: Vec<char> = full.trim().chars().collect();
        if !(2..=10).contains(&chars.len()) || !chars.iter().all(|c| name_char(*c)) {
            return Err(PersonError::BadName);
        }
        let mut masked = String::new();
        masked.push(chars[0]);
        if chars.len() == 2 {
            masked.push('*');
        } else {
            masked.extend(std::iter::repeat_n('*', chars.len() - 2));
            masked.push(chars[chars.len() - 1]);
        }
        Ok(MaskedName(masked))
    }

    /// Accepts a name that is already masked (as stored), and nothing else.
    pub fn parse(masked: &str) -> Result<MaskedName, PersonError> {
        let chars: Vec<char> = masked.trim().chars().collect();
        let n = chars.len();
        if !(2..=10).contains(&n) {
            return Err(PersonError::NotMasked);
        }
        let stars = chars.iter().filter(|c| **c == '*').count();
        let ok = name_char(chars[0])
            && if n == 2 {
                chars[1] == '*'
            } else {
                stars == n - 2 && name_char(chars[n - 1])
            };
        if !ok {
            return Err(PersonError::NotMasked);
        }
        Ok(MaskedName(chars.into_iter().collect()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A phone number shown with a tap-to-call link: digits grouped by `-`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Phone(String);

impl Phone {
    pub fn parse(s: &str) -> Result<Phone, PersonError> {
        let s = s.trim();
        let digits = s.bytes().filter(u8::is_ascii_digit).count();
        if !(3..=20).contains(&digits)
            || !s
                .bytes()
                .all(|b| b.is_ascii_digit() || b == b'-' || b == b' ')
            || !s.starts_with(|c: char| c.is_ascii_digit())
        {
            return Err(PersonError::BadPhone);
        }
        Ok(Phone(
            s.split([' ', '-'])
                .filter(|p| !p.is_empty())
                .collect::<Vec<_>>()
                .join("-"),
        ))
    }

    /// As shown: `0376-6221234`.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// For `href="tel:…"`: the digits alone.
    pub fn dial(&self) -> String {
        self.0.chars().filter(char::is_ascii_digit).collect()
    }
}

/// The bodies whose members the supervisor directory lists.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum SupervisorBody {
    /// 村务监督委员会 of a village (3 to 5 members, 村组法 art. 32).
    VillageCommittee,
    /// 村级廉情监督员.
    IntegrityMonitor,
    /// 乡镇监察办公室 of a township.
    TownshipOffice,
}

impl SupervisorBody {
    pub const ALL: [SupervisorBody; 3] = [
        SupervisorBody::VillageCommittee,
        SupervisorBody::IntegrityMonitor,
        SupervisorBody::TownshipOffice,
    ];

    pub fn parse(s: &str) -> Option<SupervisorBody> {
        SupervisorBody::ALL.into_iter().find(|b| b.as_str() == s)
    }

    pub fn as_str(self) -> &'static str {
        match self {
            SupervisorBody::VillageCommittee => "committee",
            SupervisorBody::IntegrityMonitor => "monitor",
            SupervisorBody::TownshipOffice => "office",
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            SupervisorBody::VillageCommittee => "村务监督委员会",
            SupervisorBody::IntegrityMonitor => "廉情监督员",
            SupervisorBody::TownshipOffice => "乡镇监察办公室",
        }
    }

    /// The level of region the body belongs to.
    pub fn level(self) -> RegionLevel {
        match self {
            SupervisorBody::VillageCommittee | SupervisorBody::IntegrityMonitor => {
                RegionLevel::Village
            }
            SupervisorBody::TownshipOffice => RegionLevel::Township,
        }
    }
}

/// A member of a supervising body, as listed publicly.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewSupervisor {
    region: RegionCode,
    body: SupervisorBody,
    name: String,
    role: String,
    phone: Option<Phone>,
}

impl NewSupervisor {
    pub fn new(
        region: RegionCode,
        body: SupervisorBody,
        name: &str,
        role: &str,
        phone: Option<&str>,
    ) -> Result<NewSupervisor, PersonError> {
        if region.level() != body.level() {
            return Err(PersonError::WrongLevel {
                body: body.name(),
                expected: body.level().label(),
                code: region.to_string(),
            });
        }
        Ok(NewSupervisor {
            region,
            body,
            name: line("name", name, 30)?,
            role: line("role", role, 20)?,
            phone: phone.map(Phone::parse).transpose()?,
        })
    }

    pub fn region(&self) -> &RegionCode {
        &self.region
    }
    pub fn body(&self) -> SupervisorBody {
        self.body
    }
    pub fn name(&self) -> &str {
        &self.name
    }
    pub fn role(&self) -> &str {
        &self.role
    }
    pub fn phone(&self) -> Option<&Phone> {
        self.phone.as_ref()
    }
}

/// The two ledgers of the 脱贫攻坚 module.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum HouseholdKind {
    /// 脱贫户: lifted out of poverty.
    Lifted,
    /// 防返贫监测户: watched so they do not fall back.
    Monitored,
}

impl HouseholdKind {
    pub const ALL: [HouseholdKind; 2] = [HouseholdKind::Lifted, HouseholdKind::Monitored];

    pub fn parse(s: &str) -> Option<HouseholdKind> {
        HouseholdKind::ALL.into_iter().find(|k| k.as_str() == s)
    }

    pub fn as_str(self) -> &'static str {
        match self {
            HouseholdKind::Lifted => "lifted",
            HouseholdKind::Monitored => "monitored",
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            HouseholdKind::Lifted => "脱贫户",
            HouseholdKind::Monitored => "防返贫监测户",
        }
    }
}

/// One household of a ledger. There is no field for an ID number or a phone: the
/// public ledger cannot leak what it never holds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewHousehold {
    village: VillageCode,
    kind: HouseholdKind,
    head: MaskedName,
    size: i16,
    risk: String,
    measures: String,
    cadre: String,
    last_visit: Option<NaiveDate>,
    lifted_year: Option<i16>,
}

impl NewHousehold {
    #[allow(clippy::too_many_arguments, reason = "one argument per ledger column")]
    pub fn new(
        village: VillageCode,
        kind: HouseholdKind,
        head: MaskedName,
        size: i16,
        risk: &str,
        measures: &str,
        cadre: &str,
        last_visit: Option<NaiveDate>,
        lifted_year: Option<i16>,
    ) -> Result<NewHousehold, PersonError> {
        if !(1..=30).contains(&size) {
            return Err(PersonError::BadSize);
        }
        if lifted_year.is_some_and(|y| !(2010..=2100).contains(&y)) {
            return Err(PersonError::BadYear);
        }
        Ok(NewHousehold {
            village,
            kind,
            head,
            size,
            risk: line("risk", risk, 30)?,
            measures: line("measures", measures, 500)?,
            cadre: line("cadre", cadre, 30)?,
            last_visit,
            lifted_year,
        })
    }

    pub fn village(&self) -> &VillageCode {
        &self.village
    }
    pub fn kind(&self) -> HouseholdKind {
        self.kind
    }
    pub fn head(&self) -> &MaskedName {
        &self.head
    }
    pub fn size(&self) -> i16 {
        self.size
    }
    /// 致贫或返贫风险类型: 因病, 因残, 因学, 因灾, 缺劳力 ….
    pub fn risk(&self) -> &str {
        &self.risk
    }
    pub fn measures(&self) -> &str {
        &self.measures
    }
    /// The cadre responsible for helping the household (帮扶责任人).
    pub fn cadre(&self) -> &str {
        &self.cadre
    }
    pub fn last_visit(&self) -> Option<NaiveDate> {
        self.last_visit
    }
    pub fn lifted_year(&self) -> Option<i16> {
        self.lifted_year
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use claims::{assert_err, assert_ok};
    use proptest::prelude::*;

    #[test]
    fn names_are_masked_between_first_and_last() {
        for (full, masked) in [
            ("张明", "张*"),
            ("张小明", "张*明"),
            ("欧阳小明", "欧**明"),
            ("阿依古丽·买买提", "阿******提"),
        ] {
            assert_eq!(assert_ok!(MaskedName::mask(full)).as_str(), masked);
        }
        assert_err!(MaskedName::mask("张"));
        assert_err!(MaskedName::mask("张3明"));
        assert_err!(MaskedName::mask("411503199001011234"));
    }

    #[test]
    fn only_masked_names_are_accepted_as_stored() {
        assert_ok!(MaskedName::parse("张*明"));
        assert_ok!(MaskedName::parse("李*"));
        assert_err!(MaskedName::parse("张小明"));
        assert_err!(MaskedName::parse("**明"));
        assert_err!(MaskedName::parse("1*2"));
    }

    #[test]
    fn phones_are_grouped_and_dialable() {
        let p = assert_ok!(Phone::parse(" 0376 622 1234 "));
        assert_eq!(p.as_str(), "0376-622-1234");
        assert_eq!(p.dial(), "03766221234");
        assert_eq!(assert_ok!(Phone::parse("12388")).dial(), "12388");
        assert_err!(Phone::parse("call me"));
        assert_err!(Phone::parse("-12"));
        assert_err!(Phone::parse("+86 138"));
    }

    #[test]
    fn a_body_belongs_to_its_level() {
        let village = RegionCode::parse("411503209202").unwrap();
        let township = RegionCode::parse("411503209").unwrap();
        assert_ok!(NewSupervisor::new(
            village.clone(),
            SupervisorBody::VillageCommittee,
            "王建国",
            "主任",
            Some("0376-0000101")
        ));
        assert_err!(NewSupervisor::new(
            village,
            SupervisorBody::TownshipOffice,
            "王岗乡监察办公室",
            "值班电话",
            None
        ));
        assert_ok!(NewSupervisor::new(
            township,
            SupervisorBody::TownshipOffice,
            "王岗乡监察办公室",
            "值班电话",
            None
        ));
    }

    proptest! {
        #[test]
        fn a_masked_name_never_shows_the_middle(name in "[\u{4e00}-\u{9fa5}]{2,10}") {
            let masked = MaskedName::mask(&name).unwrap();
            let chars: Vec<char> = name.chars().collect();
            let shown: Vec<char> = masked.as_str().chars().collect();
            prop_assert_eq!(shown.len(), chars.len());
            prop_assert_eq!(shown[0], chars[0]);
            for c in &shown[1..shown.len() - 1] {
                prop_assert_eq!(*c, '*');
            }
            prop_assert!(MaskedName::parse(masked.as_str()).is_ok());
        }
    }
}
