//! The nine modules of a village page (组织建设 … 投诉建议): what each disclosure is
//! filed under, its URL slug and how its tile looks.

use std::fmt;

/// One of the nine modules. The slug is what URLs and the database hold.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Module {
    /// 组织建设: the party branch and committees, who does what.
    Organization,
    /// 便民服务: services for residents, how to get things done.
    Services,
    /// 集体经济: the collective economy, income and its distribution.
    Economy,
    /// 民生公示: 低保, 五保, 救灾, 危房改造 and other benefit rosters.
    Livelihood,
    /// 三资管理: collective funds, assets and resources, leases.
    Assets,
    /// 项目公示: construction and other projects.
    Projects,
    /// 决策公示: resolutions (四议两公开) and their results.
    Decisions,
    /// 脱贫攻坚: poverty-alleviation measures and the household ledgers.
    Poverty,
    /// 投诉建议: complaints, suggestions and the answers made public.
    Complaints,
}

/// A slug that names no module.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("no module is called `{0}`")]
pub struct UnknownModule(pub String);

impl Module {
    /// In the order the village page shows them.
    pub const ALL: [Module; 9] = [
        Module::Organization,
        Module::Services,
        Module::Economy,
        Module::Livelihood,
        Module::Assets,
        Module::Projects,
        Module::Decisions,
        Module::Poverty,
        Module::Complaints,
    ];

    pub fn parse(slug: &str) -> Result<Module, UnknownModule> {
        Module::ALL
            .into_iter()
            .find(|m| m.slug() == slug)
            .ok_or_else(|| UnknownModule(slug.to_owned()))
    }

    /// The URL segment and stored value.
    pub fn slug(self) -> &'static str {
        match self {
            Module::Organization => "organization",
            Module::Services => "services",
            Module::Economy => "economy",
            Module::Livelihood => "livelihood",
            Module::Assets => "assets",
            Module::Projects => "projects",
            Module::Decisions => "decisions",
            Module::Poverty => "poverty",
            Module::Complaints => "complaints",
        }
    }

    /// The name shown to users.
    pub fn name(self) -> &'static str {
        match self {
            Module::Organization => "组织建设",
            Module::Services => "便民服务",
            Module::Economy => "集体经济",
            Module::Livelihood => "民生公示",
            Module::Assets => "三资管理",
            Module::Projects => "项目公示",
            Module::Decisions => "决策公示",
            Module::Poverty => "脱贫攻坚",
            Module::Complaints => "投诉建议",
        }
    }

    /// The one character on the module's tile: large and legible where an icon would
    /// have to be learned.
    pub fn glyph(self) -> &'static str {
        match self {
            Module::Organization => "组",
            Module::Services => "便",
            Module::Economy => "经",
            Module::Livelihood => "民",
            Module::Assets => "资",
            Module::Projects => "项",
            Module::Decisions => "决",
            Module::Poverty => "帮",
            Module::Complaints => "诉",
        }
    }

    /// What the module holds, in a sentence, for its page.
    pub fn summary(self) -> &'static str {
        match self {
            Module::Organization => {
                "村党组织、村民委员会、村务监督委员会的组成与分工，换届和民主评议情况。"
            }
            Module::Services => "在村里能办哪些事、去哪里办、要带什么材料、多久办结。",
            Module::Economy => "村集体经济组织的经营项目、收入和收益分配。",
            Module::Livelihood => {
                "低保、特困供养、临时救助、救灾、危房改造、各类补贴的对象和金额。"
            }
            Module::Assets => {
                "三资，就是村集体的钱、物、地（集体资金、资产、资源）：台账，发包、租赁合同和收支明细。"
            }
            Module::Projects => "村级工程项目从立项、招标、施工到验收结算的全过程。",
            Module::Decisions => {
                "按“四议两公开”（党支部提议、村两委商议、党员大会审议、村民代表会议或村民会议决议，决议公开、实施结果公开）作出的决议及其实施结果。"
            }
            Module::Poverty => "脱贫户和防返贫监测户的帮扶措施与走访情况。",
            Module::Complaints => "群众反映的问题、处理结果和答复。",
        }
    }
}

impl fmt::Display for Module {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_slug_parses_back_to_its_module() {
        for m in Module::ALL {
            assert_eq!(Module::parse(m.slug()), Ok(m));
        }
        assert!(Module::parse("Assets").is_err());
        assert!(Module::parse("").is_err());
    }

    #[test]
    fn names_and_glyphs_are_distinct() {
        let names: std::collections::HashSet<_> = Module::ALL.iter().map(|m| m.name()).collect();
        let glyphs: std::collections::HashSet<_> = Module::ALL.iter().map(|m| m.glyph()).collect();
        assert_eq!(names.len(), 9);
        assert_eq!(glyphs.len(), 9);
    }
}
