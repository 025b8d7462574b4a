//! The power list (小微权力清单): each village-level power with its "five clarities"
//! (五个明确) — name, who exercises it, its procedure as a flow with decision branches,
//! what is made public and when, and accountability — and its legal basis. Read from
//! the TOML data file (or a stored version's JSON) and checked whole: a list that does
//! not hold together is refused with the item and step named. The bounds on its text
//! (`limits`, `check_text`) are the same for the file, a stored version and the editor.

use std::collections::{HashMap, HashSet};

use serde::{Deserialize, Serialize};

/// The list shipped in the binary (`data/power/power-list.toml`).
pub const BUILTIN_POWER_LIST: &str = include_str!("../../data/power/power-list.toml");

/// Why a power list was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PowerListError {
    #[error("the file is not valid TOML for a power list: {0}")]
    Syntax(String),
    #[error("item {item}: {reason}")]
    Item { item: i32, reason: String },
    #[error("{0}")]
    List(String),
}

/// How long a list and its text may be: a page villagers read on a phone, not a book.
pub mod limits {
    /// Items in the list (the models have 30 to 40).
    pub const ITEMS: usize = 100;
    pub const CATEGORIES: usize = 20;
    pub const CATEGORY: usize = 20;
    pub const NAME: usize = 60;
    /// 实施主体, 公开公示, 责任追究: one paragraph each.
    pub const PARAGRAPH: usize = 500;
    pub const BASIS_LINES: usize = 10;
    pub const BASIS_LINE: usize = 100;
    pub const STEPS: usize = 30;
    pub const STEP_TITLE: usize = 60;
    /// A step's actor, detail, time limit, basis or publicity.
    pub const STEP_FIELD: usize = 300;
    pub const BRANCHES: usize = 6;
    pub const BRANCH_LABEL: usize = 20;
}

/// The one rule for a piece of the list's text: present, at most `max` characters, one
/// line without control characters. The message (Chinese) names `label`.
pub fn check_text(label: &str, s: &str, max: usize) -> Result<(), String> {
    if s.trim().is_empty() {
        return Err(format!("{label}不能为空。"));
    }
    if s.chars().count() > max {
        return Err(format!("{label}不能超过{max}个字。"));
    }
    if s.chars().any(char::is_control) {
        return Err(format!("{label}只能写一段，不能换行或含控制字符。"));
    }
    Ok(())
}

/// What a step of a procedure is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum StepKind {
    /// Something done; the flow continues to the next step.
    #[default]
    Step,
    /// A question with branches; one branch continues to the next step.
    Decision,
    /// An outcome off the main line, reached only through a branch.
    End,
}

impl StepKind {
    pub fn as_str(self) -> &'static str {
        match self {
            StepKind::Step => "step",
            StepKind::Decision => "decision",
            StepKind::End => "end",
        }
    }

    pub fn parse(s: &str) -> Option<StepKind> {
        match s {
            "step" => Some(StepKind::Step),
            "decision" => Some(StepKind::Decision),
            "end" => Some(StepKind::End),
            _ => None,
        }
    }
}

/// One way out of a decision.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Branch {
    pub label: String,
    /// The key of the step it leads to.
    pub to: String,
}

/// One step of a procedure.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct FlowStep {
    pub key: String,
    #[serde(default)]
    pub kind: StepKind,
    pub title: String,
    /// Who does it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub actor: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub detail: Option<String>,
    /// The time limit, where a law fixes one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub limit: Option<String>,
    /// The article the step rests on.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub basis: Option<String>,
    /// What this step makes public.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub public: Option<String>,
    #[serde(default, rename = "branch", skip_serializing_if = "Vec::is_empty")]
    pub branches: Vec<Branch>,
}

/// One power with its five clarities.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct PowerItem {
    pub id: i32,
    pub category: String,
    /// 明确一: the power's name.
    pub name: String,
    /// 明确二: who exercises it.
    pub subject: String,
    /// 明确四: what is made public and when.
    pub publicity: String,
    /// 明确五: accountability for breaches.
    pub accountability: String,
    pub basis: Vec<String>,
    /// 明确三: the procedure.
    #[serde(rename = "step")]
    pub steps: Vec<FlowStep>,
}

/// The list as written in the file and stored in a version (JSON), before it is checked.
#[derive(Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
struct RawList {
    categories: Vec<String>,
    #[serde(rename = "item")]
    items: Vec<PowerItem>,
}

/// A checked power list: categories in display order, items by id.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PowerList {
    categories: Vec<String>,
    items: Vec<PowerItem>,
}

impl PowerList {
    pub fn parse(toml_text: &str) -> Result<PowerList, PowerListError> {
        let raw: RawList =
            toml::from_str(toml_text).map_err(|e| PowerListError::Syntax(e.to_string()))?;
        PowerList::new(raw.categories, raw.items)
    }

    /// Reads a stored version (what `to_json` wrote), checked again like a file.
    pub fn from_json(value: serde_json::Value) -> Result<PowerList, PowerListError> {
        let raw: RawList =
            serde_json::from_value(value).map_err(|e| PowerListError::Syntax(e.to_string()))?;
        PowerList::new(raw.categories, raw.items)
    }

    /// The whole list as one JSON document, as a version stores it.
    pub fn to_json(&self) -> serde_json::Value {
        serde_json::to_value(RawList {
            categories: self.categories.clone(),
            items: self.items.clone(),
        })
        .unwrap_or_default()
    }

    /// Checks a list built in code (tests) or read from a file.
    pub fn new(
        categories: Vec<String>,
        mut items: Vec<PowerItem>,
    ) -> Result<PowerList, PowerListError> {
        if items.is_empty() {
            return Err(PowerListError::List("the list has no items".into()));
        }
        if items.len() > limits::ITEMS || categories.len() > limits::CATEGORIES {
            return Err(PowerListError::List(format!(
                "a list has at most {} items in {} categories",
                limits::ITEMS,
                limits::CATEGORIES
            )));
        }
        for c in &categories {
            check_text("类别", c, limits::CATEGORY).map_err(PowerListError::List)?;
        }
        let mut ids = HashSet::new();
        for item in &items {
            if item.id <= 0 || !ids.insert(item.id) {
                return Err(PowerListError::Item {
                    item: item.id,
                    reason: "ids are positive and unique".into(),
                });
            }
            if !categories.contains(&item.category) {
                return Err(PowerListError::Item {
                    item: item.id,
                    reason: format!("category `{}` is not in `categories`", item.category),
                });
            }
            item.check().map_err(|reason| PowerListError::Item {
                item: item.id,
                reason,
            })?;
        }
        let used: HashSet<&String> = items.iter().map(|i| &i.category).collect();
        if let Some(unused) = categories.iter().find(|c| !used.contains(c)) {
            return Err(PowerListError::List(format!(
                "category `{unused}` has no items"
            )));
        }
        items.sort_by_key(|i| i.id);
        Ok(PowerList { categories, items })
    }

    pub fn categories(&self) -> &[String] {
        &self.categories
    }

    pub fn items(&self) -> &[PowerItem] {
        &self.items
    }
}

fn optional(label: &str, s: Option<&String>, max: usize) -> Result<(), String> {
    s.map_or(Ok(()), |s| check_text(label, s, max))
}

impl PowerItem {
    /// The steps on the main line, in order.
    pub fn main_steps(&self) -> impl Iterator<Item = &FlowStep> {
        self.steps.iter().filter(|s| s.kind != StepKind::End)
    }

    fn check(&self) -> Result<(), String> {
        check_text("名称", &self.name, limits::NAME)?;
        check_text("实施主体", &self.subject, limits::PARAGRAPH)?;
        check_text("公开公示", &self.publicity, limits::PARAGRAPH)?;
        check_text("责任追究", &self.accountability, limits::PARAGRAPH)?;
        if self.basis.is_empty() {
            return Err("basis lists no law".into());
        }
        if self.basis.len() > limits::BASIS_LINES {
            return Err(format!("依据最多{}条。", limits::BASIS_LINES));
        }
        for b in &self.basis {
            check_text("依据", b, limits::BASIS_LINE)?;
        }
        if self.steps.len() > limits::STEPS {
            return Err(format!("运行流程最多{}步。", limits::STEPS));
        }
        let mut keys = HashMap::new();
        for (i, step) in self.steps.iter().enumerate() {
            let n = i + 1;
            check_text(&format!("第{n}步的名称"), &step.title, limits::STEP_TITLE)?;
            for (label, value) in [
                ("主体", &step.actor),
                ("说明", &step.detail),
                ("时限", &step.limit),
                ("依据", &step.basis),
                ("公开", &step.public),
            ] {
                optional(
                    &format!("第{n}步的{label}"),
                    value.as_ref(),
                    limits::STEP_FIELD,
                )?;
            }
            if step.branches.len() > limits::BRANCHES {
                return Err(format!("第{n}步最多{}个分支。", limits::BRANCHES));
            }
            if keys.insert(step.key.as_str(), i).is_some() || step.key.is_empty() {
                return Err(format!("step key `{}` is empty or repeated", step.key));
            }
        }
        let main: Vec<&FlowStep> = self.main_steps().collect();
        if main.len() < 2 {
            return Err("a procedure has at least two steps".into());
        }
        if let Some(pos) = self.steps.iter().position(|s| s.kind == StepKind::End)
            && self.steps[pos..].iter().any(|s| s.kind != StepKind::End)
        {
            return Err("end steps come after the main line".into());
        }
        let mut reached: HashSet<&str> = HashSet::new();
        for (i, step) in main.iter().enumerate() {
            let next = main.get(i + 1).map(|s| s.key.as_str());
            match step.kind {
                StepKind::Decision => {
                    if step.branches.len() < 2 {
                        return Err(format!(
                            "decision `{}` has fewer than two branches",
                            step.key
                        ));
                    }
                    for b in &step.branches {
                        check_text("分支的条件", &b.label, limits::BRANCH_LABEL)?;
                        if !keys.contains_key(b.to.as_str()) {
                            return Err(format!(
                                "decision `{}` leads to `{}`, which is no step",
                                step.key, b.to
                            ));
                        }
                        if b.to == step.key {
                            return Err(format!("decision `{}` leads to itself", step.key));
                        }
                        reached.insert(b.to.as_str());
                    }
                    let onward = step
                        .branches
                        .iter()
                        .filter(|b| Some(b.to.as_str()) == next)
                        .count();
                    if next.is_some() && onward != 1 {
                        return Err(format!(
                            "decision `{}` needs exactly one branch to the next step",
                            step.key
                        ));
                    }
                }
                StepKind::Step if !step.branches.is_empty() => {
                    return Err(format!(
                        "step `{}` has branches but is no decision",
                        step.key
                    ));
                }
                _ => {}
            }
        }
        for end in self.steps.iter().filter(|s| s.kind == StepKind::End) {
            if !end.branches.is_empty() {
                return Err(format!("end `{}` has branches", end.key));
            }
            if !reached.contains(end.key.as_str()) {
                return Err(format!("end `{}` is reached by no branch", end.key));
            }
        }
        Ok(())
    }

    /// The procedure laid out for a flow chart: the main line in order, each node with
    /// the label on its arrow down and the branches that leave the line.
    pub fn flow(&self) -> Vec<FlowNode<'_>> {
        let main: Vec<&FlowStep> = self.main_steps().collect();
        let number: HashMap<&str, usize> = main
            .iter()
            .enumerate()
            .map(|(i, s)| (s.key.as_str(), i + 1))
            .collect();
        let by_key: HashMap<&str, &FlowStep> =
            self.steps.iter().map(|s| (s.key.as_str(), s)).collect();
        main.iter()
            .enumerate()
            .map(|(i, step)| {
                let next = main.get(i + 1).map(|s| s.key.as_str());
                let mut onward = None;
                let mut sides = Vec::new();
                for b in &step.branches {
                    if Some(b.to.as_str()) == next {
                        onward = Some(b.label.as_str());
                    } else if let Some(n) = number.get(b.to.as_str()) {
                        let title = by_key.get(b.to.as_str()).map_or("", |s| s.title.as_str());
                        sides.push(SideBranch {
                            label: &b.label,
                            target: SideTarget::Step { number: *n, title },
                        });
                    } else if let Some(end) = by_key.get(b.to.as_str()) {
                        sides.push(SideBranch {
                            label: &b.label,
                            target: SideTarget::End { title: &end.title },
                        });
                    }
                }
                FlowNode {
                    number: i + 1,
                    step,
                    onward,
                    sides,
                    last: next.is_none(),
                }
            })
            .collect()
    }
}

/// A step on the main line of a flow chart.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FlowNode<'a> {
    pub number: usize,
    pub step: &'a FlowStep,
    /// The label on the arrow to the next step (a decision's continuing branch).
    pub onward: Option<&'a str>,
    /// Branches that leave the main line.
    pub sides: Vec<SideBranch<'a>>,
    pub last: bool,
}

impl FlowNode<'_> {
    pub fn is_decision(&self) -> bool {
        self.step.kind == StepKind::Decision
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SideBranch<'a> {
    pub label: &'a str,
    pub target: SideTarget<'a>,
}

/// Where a branch off the main line goes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SideTarget<'a> {
    /// Back (or ahead) to a numbered step.
    Step { number: usize, title: &'a str },
    /// An outcome that ends the procedure.
    End { title: &'a str },
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_builtin_list_holds_thirty_items_in_seven_categories() {
        let list = PowerList::parse(BUILTIN_POWER_LIST).unwrap();
        assert_eq!(list.items().len(), 30);
        assert_eq!(list.categories().len(), 7);
        let ids: Vec<i32> = list.items().iter().map(|i| i.id).collect();
        assert_eq!(ids, (1..=30).collect::<Vec<_>>());
        let names: HashSet<&str> = list.items().iter().map(|i| i.name.as_str()).collect();
        for seed in [
            "低保",
            "五保",
            "救灾",
            "危房改造",
            "三资管理",
            "工程项目建设",
        ] {
            assert!(
                names.iter().any(|n| n.contains(seed)),
                "the seed's {seed} is missing"
            );
        }
        let decisions = list
            .items()
            .iter()
            .filter(|i| i.steps.iter().any(|s| s.kind == StepKind::Decision))
            .count();
        assert!(decisions >= 25, "only {decisions} items branch");
    }

    #[test]
    fn the_flow_of_minimum_living_allowance_branches_to_a_written_refusal() {
        let list = PowerList::parse(BUILTIN_POWER_LIST).unwrap();
        let dibao = list
            .items()
            .iter()
            .find(|i| i.name.contains("低保"))
            .unwrap();
        let flow = dibao.flow();
        let first = flow.iter().find(|n| n.step.key == "first").unwrap();
        assert!(first.is_decision());
        assert_eq!(first.onward, Some("符合条件"));
        assert_eq!(
            first.sides,
            [SideBranch {
                label: "不符合条件",
                target: SideTarget::End {
                    title: "不予批准，书面向申请人说明理由"
                }
            }]
        );
        assert!(flow.last().unwrap().last);
    }

    #[test]
    fn a_branch_back_names_the_step_number() {
        let list = PowerList::parse(BUILTIN_POWER_LIST).unwrap();
        let item = list.items().iter().find(|i| i.id == 2).unwrap();
        let vote = item
            .flow()
            .into_iter()
            .find(|n| n.step.key == "vote")
            .unwrap();
        assert_eq!(
            vote.sides[0].target,
            SideTarget::Step {
                number: 1,
                title: "拟订使用方案"
            }
        );
    }

    fn list_with(steps: &str) -> Result<PowerList, PowerListError> {
        PowerList::parse(&format!(
            r#"categories = ["c"]
[[item]]
id = 1
category = "c"
name = "n"
subject = "s"
publicity = "p"
accountability = "a"
basis = ["b"]
{steps}"#
        ))
    }

    #[test]
    fn broken_flows_are_refused_with_the_reason() {
        let ok = r#"
[[item.step]]
key = "a"
title = "A"
[[item.step]]
key = "d"
kind = "decision"
title = "D"
branch = [{ label = "yes", to = "b" }, { label = "no", to = "x" }]
[[item.step]]
key = "b"
title = "B"
[[item.step]]
key = "x"
kind = "end"
title = "X"
"#;
        assert!(list_with(ok).is_ok());
        for (broken, reason) in [
            (
                ok.replace("to = \"x\"", "to = \"nowhere\""),
                "which is no step",
            ),
            (ok.replace("to = \"b\"", "to = \"a\""), "exactly one branch"),
            (
                ok.replace(", { label = \"no\", to = \"x\" }", ""),
                "fewer than two",
            ),
            (ok.replace("key = \"b\"", "key = \"a\""), "repeated"),
        ] {
            let err = list_with(&broken).unwrap_err().to_string();
            assert!(err.contains(reason), "{err}");
        }
        assert!(PowerList::parse("categories = 1").is_err());
    }
}
