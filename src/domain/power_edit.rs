//! Changing the power list: an item as an administrator's form holds it, checked field by
//! field with Chinese messages (by `power::check_text`, the rule the file obeys too); the
//! three changes a new version may make (replace, add or remove an item); and the
//! required reason.

use super::power::{PowerItem, PowerList, check_text, limits};
use super::power_lines;

/// What is wrong with a field: the field's form name and a message in Chinese.
pub type FieldError = (&'static str, String);

/// An item's fields as typed.
pub struct ItemFields<'a> {
    pub category: &'a str,
    pub name: &'a str,
    pub subject: &'a str,
    pub publicity: &'a str,
    pub accountability: &'a str,
    /// One law per line.
    pub basis: &'a str,
    /// One step per line (`power_lines`).
    pub steps: &'a str,
}

impl ItemFields<'_> {
    /// The item `id` these fields describe, or every field's error at once.
    pub fn parse(&self, id: i32, categories: &[String]) -> Result<PowerItem, Vec<FieldError>> {
        let mut errors = Vec::new();
        let category = self.category.trim();
        if !categories.iter().any(|c| c == category) {
            errors.push(("category", "请从列表中选择类别。".to_owned()));
        }
        let mut text = |field: &'static str, label: &str, s: &str, max: usize| {
            let s = s.trim();
            if let Err(e) = check_text(label, s, max) {
                errors.push((field, e));
            }
            s.to_owned()
        };
        let name = text("name", "名称", self.name, limits::NAME);
        let subject = text("subject", "实施主体", self.subject, limits::PARAGRAPH);
        let publicity = text("publicity", "公开公示", self.publicity, limits::PARAGRAPH);
        let accountability = text(
            "accountability",
            "责任追究",
            self.accountability,
            limits::PARAGRAPH,
        );
        let basis: Vec<String> = self
            .basis
            .lines()
            .map(str::trim)
            .filter(|l| !l.is_empty())
            .map(str::to_owned)
            .collect();
        if basis.is_empty() {
            errors.push(("basis", "请填写依据，每行一条。".to_owned()));
        } else if basis.len() > limits::BASIS_LINES {
            errors.push(("basis", format!("依据最多{}条。", limits::BASIS_LINES)));
        } else if let Some(e) = basis.iter().enumerate().find_map(|(i, b)| {
            check_text(&format!("第{}条依据", i + 1), b, limits::BASIS_LINE).err()
        }) {
            errors.push(("basis", e));
        }
        let steps = power_lines::parse(self.steps).unwrap_or_else(|e| {
            errors.push(("steps", e));
            Vec::new()
        });
        if !errors.is_empty() {
            return Err(errors);
        }
        Ok(PowerItem {
            id,
            category: category.to_owned(),
            name,
            subject,
            publicity,
            accountability,
            basis,
            steps,
        })
    }
}

/// The fields of an item, to prefill its form.
pub fn fields_of(item: &PowerItem) -> [(&'static str, String); 7] {
    [
        ("category", item.category.clone()),
        ("name", item.name.clone()),
        ("subject", item.subject.clone()),
        ("publicity", item.publicity.clone()),
        ("accountability", item.accountability.clone()),
        ("basis", item.basis.join("\n")),
        ("steps", power_lines::render(&item.steps)),
    ]
}

/// Why a version was not made.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EditError {
    #[error("no item {0}")]
    NoItem(i32),
    #[error("the change changes nothing")]
    Unchanged,
    #[error("the list may not lose its last item")]
    LastItem,
    #[error("{0}")]
    Invalid(String),
}

/// One change to the list, as a version records it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Edit {
    /// The item of the same id, replaced.
    Replace(PowerItem),
    /// A new item (its id is the next free one).
    Add(PowerItem),
    Remove(i32),
}

impl Edit {
    /// The list after the change, checked whole; a category left empty is dropped.
    pub fn apply(&self, list: &PowerList) -> Result<PowerList, EditError> {
        let mut items = list.items().to_vec();
        match self {
            Edit::Replace(item) => {
                let slot = items
                    .iter_mut()
                    .find(|i| i.id == item.id)
                    .ok_or(EditError::NoItem(item.id))?;
                if same(slot, item) {
                    return Err(EditError::Unchanged);
                }
                *slot = item.clone();
            }
            Edit::Add(item) => {
                let mut item = item.clone();
                item.id = next_id(list);
                items.push(item);
            }
            Edit::Remove(id) => {
                let before = items.len();
                items.retain(|i| i.id != *id);
                if items.len() == before {
                    return Err(EditError::NoItem(*id));
                }
                if items.is_empty() {
                    return Err(EditError::LastItem);
                }
            }
        }
        let categories = list
            .categories()
            .iter()
            .filter(|c| items.iter().any(|i| &i.category == *c))
            .cloned()
            .collect();
        PowerList::new(categories, items).map_err(|e| EditError::Invalid(e.to_string()))
    }
}

/// Whether two items read the same to a villager: the same fields and the same chart
/// (the editor renames step keys, which nobody sees).
pub fn same(a: &PowerItem, b: &PowerItem) -> bool {
    a.id == b.id
        && a.category == b.category
        && a.name == b.name
        && a.subject == b.subject
        && a.publicity == b.publicity
        && a.accountability == b.accountability
        && a.basis == b.basis
        && power_lines::render(&a.steps) == power_lines::render(&b.steps)
}

/// The id a new item gets: one past the highest of the list.
pub fn next_id(list: &PowerList) -> i32 {
    list.items().iter().map(|i| i.id).max().unwrap_or(0) + 1
}

/// Why a version was made: required, one line, at most 200 characters.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reason(String);

impl Reason {
    pub const MAX: usize = 200;

    pub fn parse(s: &str) -> Result<Reason, FieldError> {
        let s = s.trim();
        if s.is_empty() {
            return Err((
                "reason",
                "请填写修订理由，如依据哪份文件或会议修改。".into(),
            ));
        }
        check_text("修订理由", s, Reason::MAX).map_err(|e| ("reason", e))?;
        Ok(Reason(s.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::power::BUILTIN_POWER_LIST;

    fn list() -> PowerList {
        PowerList::parse(BUILTIN_POWER_LIST).unwrap()
    }

    fn fields_with<'a>(
        item: &'a [(&'static str, String); 7],
        field: &str,
        value: &'a str,
    ) -> ItemFields<'a> {
        let get = |f: &str| -> &'a str {
            if f == field {
                value
            } else {
                item.iter()
                    .find(|(k, _)| *k == f)
                    .map(|(_, v)| v.as_str())
                    .unwrap()
            }
        };
        ItemFields {
            category: get("category"),
            name: get("name"),
            subject: get("subject"),
            publicity: get("publicity"),
            accountability: get("accountability"),
            basis: get("basis"),
            steps: get("steps"),
        }
    }

    #[test]
    fn an_item_read_back_from_its_form_is_the_same_chart_and_an_unchanged_edit_is_refused() {
        let list = list();
        let item = &list.items()[2];
        let fields = fields_of(item);
        let back = fields_with(&fields, "", "")
            .parse(item.id, list.categories())
            .unwrap();
        assert_eq!(back.name, item.name);
        assert_eq!(
            power_lines::render(&back.steps),
            power_lines::render(&item.steps)
        );
        // The editor renames the steps' keys; the chart is the same, so nothing changed.
        assert_eq!(Edit::Replace(back).apply(&list), Err(EditError::Unchanged));
    }

    #[test]
    fn every_field_is_checked_with_a_chinese_message() {
        let list = list();
        let fields = fields_of(&list.items()[0]);
        let long = "长".repeat(61);
        for (field, value, message) in [
            ("category", "外星事务", "请从列表中选择类别"),
            ("name", " ", "名称不能为空"),
            ("name", long.as_str(), "名称不能超过60个字"),
            ("subject", "村委\n会", "只能写一段"),
            ("basis", "\n \n", "请填写依据"),
            ("steps", "只有一步", "至少要有两步"),
        ] {
            let errors = fields_with(&fields, field, value)
                .parse(1, list.categories())
                .unwrap_err();
            assert!(
                errors
                    .iter()
                    .any(|(f, m)| *f == field && m.contains(message)),
                "{field}: {errors:?}"
            );
        }
        assert!(Reason::parse("  ").is_err());
        assert!(Reason::parse("依据信纪发〔2024〕12号调整").is_ok());
    }

    #[test]
    fn removing_the_last_item_of_a_category_drops_the_category_and_adding_takes_the_next_id() {
        let list = list();
        let only: Vec<&PowerItem> = list
            .items()
            .iter()
            .filter(|i| i.category == "组织人事")
            .collect();
        let mut smaller = list.clone();
        for i in only {
            smaller = Edit::Remove(i.id).apply(&smaller).unwrap();
        }
        assert!(!smaller.categories().iter().any(|c| c == "组织人事"));
        let mut new = list.items()[0].clone();
        new.name = "新增的一项".into();
        let bigger = Edit::Add(new).apply(&list).unwrap();
        assert_eq!(bigger.items().last().unwrap().id, 31);
        assert_eq!(Edit::Remove(99).apply(&list), Err(EditError::NoItem(99)));
    }
}
