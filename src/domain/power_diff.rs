//! What changed between two versions of the power list, item by item: added, removed, or
//! changed with each changed field's lines taken out and put in (the flow chart compared
//! as its editor's lines, so renamed step keys are no change).

use super::PowerItem;
use super::power::PowerList;
use super::power_lines;

/// One field of an item that changed: the lines it lost and gained.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldChange {
    pub label: &'static str,
    pub removed: Vec<String>,
    pub added: Vec<String>,
}

/// What happened to one item.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ItemChange {
    Added {
        id: i32,
        name: String,
    },
    Removed {
        id: i32,
        name: String,
    },
    Changed {
        id: i32,
        name: String,
        fields: Vec<FieldChange>,
    },
}

/// An item's fields as lines, labelled as the public page labels them.
fn lines(item: &PowerItem) -> [(&'static str, Vec<String>); 7] {
    let one = |s: &str| vec![s.to_owned()];
    [
        ("类别", one(&item.category)),
        ("名称", one(&item.name)),
        ("实施主体", one(&item.subject)),
        ("依据", item.basis.clone()),
        (
            "运行流程",
            power_lines::render(&item.steps)
                .lines()
                .map(str::to_owned)
                .collect(),
        ),
        ("公开公示", one(&item.publicity)),
        ("责任追究", one(&item.accountability)),
    ]
}

fn field_changes(before: &PowerItem, after: &PowerItem) -> Vec<FieldChange> {
    lines(before)
        .into_iter()
        .zip(lines(after))
        .filter(|((_, b), (_, a))| b != a)
        .map(|((label, b), (_, a))| FieldChange {
            label,
            removed: b.iter().filter(|l| !a.contains(l)).cloned().collect(),
            added: a.iter().filter(|l| !b.contains(l)).cloned().collect(),
        })
        .collect()
}

/// The changes from `before` to `after`, by item id.
pub fn diff(before: &PowerList, after: &PowerList) -> Vec<ItemChange> {
    let mut ids: Vec<i32> = before
        .items()
        .iter()
        .chain(after.items())
        .map(|i| i.id)
        .collect();
    ids.sort_unstable();
    ids.dedup();
    let find = |list: &PowerList, id: i32| list.items().iter().find(|i| i.id == id).cloned();
    ids.into_iter()
        .filter_map(|id| match (find(before, id), find(after, id)) {
            (None, Some(a)) => Some(ItemChange::Added { id, name: a.name }),
            (Some(b), None) => Some(ItemChange::Removed { id, name: b.name }),
            (Some(b), Some(a)) => {
                let fields = field_changes(&b, &a);
                (!fields.is_empty()).then_some(ItemChange::Changed {
                    id,
                    name: a.name,
                    fields,
                })
            }
            (None, None) => None,
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::power::BUILTIN_POWER_LIST;
    use crate::domain::power_edit::Edit;

    #[test]
    fn a_renamed_item_with_a_new_step_shows_both_fields_and_nothing_else() {
        let list = PowerList::parse(BUILTIN_POWER_LIST).unwrap();
        let mut item = list
            .items()
            .iter()
            .find(|i| i.main_steps().last().unwrap().kind == crate::domain::power::StepKind::Step)
            .unwrap()
            .clone();
        let original = item.id;
        let old_name = item.name.clone();
        item.name = "新名称".into();
        let text = format!("{}新增的最后一步\n", power_lines::render(&item.steps));
        item.steps = power_lines::parse(&text).unwrap();
        let after = Edit::Replace(item).apply(&list).unwrap();
        let changes = diff(&list, &after);
        let [ItemChange::Changed { id, fields, .. }] = changes.as_slice() else {
            panic!("{changes:?}");
        };
        assert_eq!(*id, original);
        assert_eq!(fields.len(), 2, "{fields:?}");
        assert_eq!(fields[0].removed, [old_name]);
        assert_eq!(fields[0].added, ["新名称"]);
        assert_eq!(fields[1].label, "运行流程");
        assert!(
            fields[1]
                .added
                .iter()
                .any(|l| l.ends_with("新增的最后一步"))
        );
    }
}
