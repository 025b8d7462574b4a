//! A power item's procedure as an administrator types it: one step per line, so a flow
//! chart is edited in one text box and read back the same way.
//!
//! ```text
//! 1. 提出申请｜主体：申请人｜说明：向村民委员会书面申请。
//! 2. 判断：村“两委”初审｜主体：村“两委”｜符合条件→下一步｜不符合条件→结束：不予受理，说明理由
//! 3. 民主评议｜时限：7日内｜依据：低保办法第十条｜公开：评议结果
//! 4. 判断：村民代表会议表决｜通过→下一步｜未通过→第1步
//! 5. 报乡镇审批
//! ```
//!
//! A line is the step's name, then `｜`-separated parts: `主体：`, `说明：`, `时限：`,
//! `依据：`, `公开：`, and for a step that starts with `判断：` its branches
//! `条件→下一步`, `条件→第N步` or `条件→结束：结果`. A leading `N.` is the reader's count
//! and is ignored. Outcomes (`结束：…`) become end steps; every rule of
//! `PowerItem::check` is checked here first with a message naming the line.

use std::collections::HashMap;

use super::power::{Branch, FlowStep, StepKind, check_text, limits};

const DECISION: &str = "判断";
const END: &str = "结束";
const NEXT: &str = "下一步";

/// The parts of a line other than branches, with their labels.
const FIELDS: [&str; 5] = ["主体", "说明", "时限", "依据", "公开"];

fn field_mut<'a>(step: &'a mut FlowStep, label: &str) -> Option<&'a mut Option<String>> {
    match label {
        "主体" => Some(&mut step.actor),
        "说明" => Some(&mut step.detail),
        "时限" => Some(&mut step.limit),
        "依据" => Some(&mut step.basis),
        "公开" => Some(&mut step.public),
        _ => None,
    }
}

fn field_of<'a>(step: &'a FlowStep, label: &str) -> Option<&'a String> {
    match label {
        "主体" => step.actor.as_ref(),
        "说明" => step.detail.as_ref(),
        "时限" => step.limit.as_ref(),
        "依据" => step.basis.as_ref(),
        "公开" => step.public.as_ref(),
        _ => None,
    }
}

/// `label：rest` (full- or half-width colon) → `rest`.
fn labelled<'a>(s: &'a str, label: &str) -> Option<&'a str> {
    let rest = s.strip_prefix(label)?;
    rest.strip_prefix('：')
        .or_else(|| rest.strip_prefix(':'))
        .map(str::trim)
}

/// The steps as lines, numbered.
pub fn render(steps: &[FlowStep]) -> String {
    let main: Vec<&FlowStep> = steps.iter().filter(|s| s.kind != StepKind::End).collect();
    let number: HashMap<&str, usize> = main
        .iter()
        .enumerate()
        .map(|(i, s)| (s.key.as_str(), i + 1))
        .collect();
    let ends: HashMap<&str, &str> = steps
        .iter()
        .filter(|s| s.kind == StepKind::End)
        .map(|s| (s.key.as_str(), s.title.as_str()))
        .collect();
    let mut out = String::new();
    for (i, step) in main.iter().enumerate() {
        out.push_str(&format!("{}. ", i + 1));
        if step.kind == StepKind::Decision {
            out.push_str(DECISION);
            out.push('：');
        }
        out.push_str(&step.title);
        for label in FIELDS {
            if let Some(v) = field_of(step, label) {
                out.push_str(&format!("｜{label}：{v}"));
            }
        }
        for b in &step.branches {
            let target = match (number.get(b.to.as_str()), ends.get(b.to.as_str())) {
                (Some(n), _) if *n == i + 2 => NEXT.to_owned(),
                (Some(n), _) => format!("第{n}步"),
                (None, Some(title)) => format!("{END}：{title}"),
                (None, None) => b.to.clone(),
            };
            out.push_str(&format!("｜{}→{target}", b.label));
        }
        out.push('\n');
    }
    out
}

/// Where a branch was written to go.
enum Target {
    Next,
    Step(usize),
    End(String),
}

fn target(s: &str) -> Option<Target> {
    if s == NEXT {
        return Some(Target::Next);
    }
    if let Some(title) = labelled(s, END) {
        return Some(Target::End(title.to_owned()));
    }
    let n = s.strip_prefix('第')?.strip_suffix('步')?;
    n.parse().ok().map(Target::Step)
}

/// Drops the reader's count: `12. ` or `12、`.
fn uncounted(line: &str) -> &str {
    let rest = line.trim_start_matches(|c: char| c.is_ascii_digit());
    if rest.len() == line.len() {
        return line;
    }
    rest.strip_prefix(['.', '、', '．'])
        .map_or(line, str::trim_start)
}

/// Reads the lines into steps (keys `s1`…, ends `e1`…), or says in Chinese what is wrong
/// and on which line.
pub fn parse(text: &str) -> Result<Vec<FlowStep>, String> {
    let lines: Vec<&str> = text
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .collect();
    if lines.len() < 2 {
        return Err("运行流程至少要有两步，每行写一步。".into());
    }
    if lines.len() > limits::STEPS {
        return Err(format!("运行流程最多{}步。", limits::STEPS));
    }
    let count = lines.len();
    let mut steps = Vec::with_capacity(count);
    // Per step: its branches as written (label, target), resolved once every line is read.
    let mut written: Vec<Vec<(String, Target)>> = Vec::with_capacity(count);
    for (i, line) in lines.iter().enumerate() {
        let n = i + 1;
        let mut parts = uncounted(line).split(['｜', '|']).map(str::trim);
        let head = parts.next().unwrap_or_default();
        let (kind, title) = match labelled(head, DECISION) {
            Some(title) => (StepKind::Decision, title),
            None => (StepKind::Step, head),
        };
        check_text(&format!("第{n}行的步骤名称"), title, limits::STEP_TITLE)?;
        let mut step = FlowStep {
            key: format!("s{n}"),
            kind,
            title: title.to_owned(),
            actor: None,
            detail: None,
            limit: None,
            basis: None,
            public: None,
            branches: Vec::new(),
        };
        let mut branches = Vec::new();
        for part in parts {
            if part.is_empty() {
                continue;
            }
            if let Some((label, value)) = FIELDS
                .iter()
                .find_map(|l| labelled(part, l).map(|v| (*l, v)))
            {
                check_text(&format!("第{n}行的“{label}”"), value, limits::STEP_FIELD)?;
                match field_mut(&mut step, label) {
                    Some(slot) if slot.is_some() => {
                        return Err(format!("第{n}行写了两次“{label}”。"));
                    }
                    Some(slot) => *slot = Some(value.to_owned()),
                    None => {}
                }
            } else if let Some((label, to)) = part.split_once('→').or_else(|| part.split_once("->"))
            {
                if kind != StepKind::Decision {
                    return Err(format!(
                        "第{n}行不是判断，不能有分支（→）；有分支的步骤以“判断：”开头。"
                    ));
                }
                let label = label.trim();
                check_text(&format!("第{n}行分支的条件"), label, limits::BRANCH_LABEL)?;
                let to = target(to.trim()).ok_or_else(|| {
                    format!("第{n}行的分支“{part}”：箭头后写“下一步”、“第几步”或“结束：结果”。")
                })?;
                branches.push((label.to_owned(), to));
            } else {
                return Err(format!(
                    "第{n}行的“{part}”看不懂：请写成“主体：…”“说明：…”“时限：…”“依据：…”“公开：…”，判断的分支写成“条件→下一步”。"
                ));
            }
        }
        if kind == StepKind::Decision && branches.len() < 2 {
            return Err(format!(
                "第{n}行是判断，至少要有两个分支，如“符合→下一步｜不符合→结束：不予批准”。"
            ));
        }
        if branches.len() > limits::BRANCHES {
            return Err(format!("第{n}行最多{}个分支。", limits::BRANCHES));
        }
        steps.push(step);
        written.push(branches);
    }
    let mut ends: Vec<FlowStep> = Vec::new();
    for (i, branches) in written.into_iter().enumerate() {
        let n = i + 1;
        let mut onward = 0;
        for (label, to) in branches {
            let key = match to {
                Target::Next if n == count => {
                    return Err(format!("第{n}行是最后一步，没有“下一步”。"));
                }
                Target::Next => format!("s{}", n + 1),
                Target::Step(m) if m == n => {
                    return Err(format!("第{n}行的分支不能回到自己这一步。"));
                }
                Target::Step(m) if m == 0 || m > count => {
                    return Err(format!("第{n}行的分支通向第{m}步，但流程只有{count}步。"));
                }
                Target::Step(m) => format!("s{m}"),
                Target::End(title) => {
                    check_text(&format!("第{n}行的结束结果"), &title, limits::STEP_TITLE)?;
                    match ends.iter().find(|e| e.title == title) {
                        Some(e) => e.key.clone(),
                        None => {
                            let key = format!("e{}", ends.len() + 1);
                            ends.push(FlowStep {
                                key: key.clone(),
                                kind: StepKind::End,
                                title,
                                actor: None,
                                detail: None,
                                limit: None,
                                basis: None,
                                public: None,
                                branches: Vec::new(),
                            });
                            key
                        }
                    }
                }
            };
            if key == format!("s{}", n + 1) {
                onward += 1;
            }
            steps[i].branches.push(Branch { label, to: key });
        }
        if steps[i].kind == StepKind::Decision && n < count && onward != 1 {
            return Err(format!(
                "第{n}行的分支中要有且只有一个通向下一步（写“条件→下一步”）。"
            ));
        }
    }
    steps.extend(ends);
    Ok(steps)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::PowerList;
    use crate::domain::power::BUILTIN_POWER_LIST;

    #[test]
    fn every_builtin_procedure_reads_back_as_the_same_flow_chart() {
        let list = PowerList::parse(BUILTIN_POWER_LIST).unwrap();
        for item in list.items() {
            let text = render(&item.steps);
            let back = parse(&text).unwrap_or_else(|e| panic!("item {}: {e}\n{text}", item.id));
            assert_eq!(render(&back), text, "item {}", item.id);
            let mut again = item.clone();
            again.steps = back;
            // The same chart: numbers, titles, branches and their targets.
            let shown = |i: &crate::domain::PowerItem| {
                i.flow()
                    .into_iter()
                    .map(|n| format!("{:?}|{:?}|{:?}|{}", n.step.title, n.onward, n.sides, n.last))
                    .collect::<Vec<_>>()
            };
            assert_eq!(shown(&again), shown(item), "item {}", item.id);
            let mut items = list.items().to_vec();
            items.retain(|i| i.id != item.id);
            items.push(again);
            let checked = PowerList::new(list.categories().to_vec(), items);
            assert!(checked.is_ok(), "item {}: {checked:?}", item.id);
        }
    }

    #[test]
    fn a_decision_line_branches_to_the_next_step_back_and_to_an_end() {
        let steps = parse(
            "1. 申请｜主体：申请人\n2. 判断：初审｜符合→下一步｜不符合→结束：不予受理\n\
             判断：表决｜通过→下一步｜未通过→第1步\n报乡镇审批｜时限：10日内",
        )
        .unwrap();
        assert_eq!(steps.len(), 5);
        assert_eq!(steps[0].actor.as_deref(), Some("申请人"));
        assert_eq!(steps[1].kind, StepKind::Decision);
        assert_eq!(steps[1].branches[1].to, "e1");
        assert_eq!(steps[2].branches[1].to, "s1");
        assert_eq!(steps[3].limit.as_deref(), Some("10日内"));
        assert_eq!(steps[4].kind, StepKind::End);
        assert_eq!(steps[4].title, "不予受理");
    }

    #[test]
    fn bad_lines_are_refused_naming_the_line() {
        for (text, message) in [
            ("只有一步", "至少要有两步"),
            ("申请\n｜主体：村委", "第2行的步骤名称不能为空"),
            ("申请\n判断：初审｜符合→下一步", "至少要有两个分支"),
            ("申请｜通过→下一步\n审批", "第1行不是判断"),
            ("判断：初审｜是→第9步｜否→下一步\n审批", "流程只有2步"),
            (
                "判断：初审｜是→结束：甲｜否→结束：乙\n审批",
                "有且只有一个通向下一步",
            ),
            ("申请\n判断：初审｜是→下一步｜否→结束：乙", "最后一步"),
            ("申请｜备注：x\n审批", "看不懂"),
            ("申请｜主体：a｜主体：b\n审批", "写了两次"),
            ("申请\u{7}\n审批", "控制字符"),
        ] {
            let err = parse(text).unwrap_err();
            assert!(err.contains(message), "{text:?}: {err}");
        }
        let long = format!("{}\n审批", "申".repeat(61));
        assert!(parse(&long).unwrap_err().contains("不能超过60个字"));
    }
}
