//! What each module's disclosures hold, as data: one file per module under
//! `data/modules/` (fields, lists of rows such as a finance statement's line items, and
//! the totals computed from them). The clerk's form, the import template, validation and
//! the public page are all derived from these definitions, so a new field is a change to
//! a file, not to code. The files are compiled in and checked when the service starts:
//! a bad one stops start-up with its file name and the field at fault.

use std::collections::{BTreeMap, HashSet};

use serde::Deserialize;

use super::value::{Kind, Rules};
use crate::domain::Module;

/// The built-in files, one per module.
const FILES: &[(&str, &str)] = &[
    (
        "data/modules/organization.toml",
        include_str!("../../../data/modules/organization.toml"),
    ),
    (
        "data/modules/services.toml",
        include_str!("../../../data/modules/services.toml"),
    ),
    (
        "data/modules/economy.toml",
        include_str!("../../../data/modules/economy.toml"),
    ),
    (
        "data/modules/livelihood.toml",
        include_str!("../../../data/modules/livelihood.toml"),
    ),
    (
        "data/modules/assets.toml",
        include_str!("../../../data/modules/assets.toml"),
    ),
    (
        "data/modules/projects.toml",
        include_str!("../../../data/modules/projects.toml"),
    ),
    (
        "data/modules/decisions.toml",
        include_str!("../../../data/modules/decisions.toml"),
    ),
    (
        "data/modules/poverty.toml",
        include_str!("../../../data/modules/poverty.toml"),
    ),
    (
        "data/modules/complaints.toml",
        include_str!("../../../data/modules/complaints.toml"),
    ),
];

/// A definition file that does not hold: which file, where, what.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{file}: {place}: {message}")]
pub struct DefinitionError {
    pub file: String,
    /// The field or list (and column) at fault, e.g. `list items, column amount`.
    pub place: String,
    pub message: String,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct FileSpec {
    module: String,
    #[serde(default)]
    field: Vec<FieldSpec>,
    #[serde(default)]
    list: Vec<ListSpec>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct FieldSpec {
    key: String,
    label: String,
    kind: String,
    #[serde(default)]
    required: bool,
    max_chars: Option<usize>,
    min: Option<i64>,
    max: Option<i64>,
    #[serde(default)]
    choices: Vec<String>,
    hint: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ListSpec {
    key: String,
    label: String,
    #[serde(default)]
    min_rows: usize,
    max_rows: Option<usize>,
    #[serde(default)]
    column: Vec<FieldSpec>,
    #[serde(default)]
    total: Vec<TotalSpec>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct TotalSpec {
    label: String,
    sum: String,
    when: Option<WhenSpec>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct WhenSpec {
    column: String,
    equals: String,
}

/// One field (or one column of a list).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldDef {
    pub key: String,
    pub label: String,
    pub kind: Kind,
    pub required: bool,
    pub rules: Rules,
    /// Shown under the input.
    pub hint: Option<String>,
}

/// A sum computed over a list's rows, never typed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TotalDef {
    pub label: String,
    /// The amount column summed.
    pub sum: String,
    /// Only rows whose `column` holds `equals` (e.g. 收支 = 收入).
    pub when: Option<(String, String)>,
}

/// A list of rows: line items, a recipient list, the steps of a decision.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ListDef {
    pub key: String,
    pub label: String,
    pub min_rows: usize,
    pub max_rows: usize,
    pub columns: Vec<FieldDef>,
    pub totals: Vec<TotalDef>,
}

impl ListDef {
    pub fn column(&self, key: &str) -> Option<&FieldDef> {
        self.columns.iter().find(|c| c.key == key)
    }
}

/// What one module's disclosures hold (besides the title every disclosure has).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ModuleDefinition {
    pub module: Module,
    pub fields: Vec<FieldDef>,
    pub lists: Vec<ListDef>,
}

impl ModuleDefinition {
    pub fn list(&self, key: &str) -> Option<&ListDef> {
        self.lists.iter().find(|l| l.key == key)
    }
}

/// Most rows a list may hold when its file does not say.
pub const DEFAULT_MAX_ROWS: usize = 10_000;

fn key_ok(k: &str) -> bool {
    let mut chars = k.chars();
    chars.next().is_some_and(|c| c.is_ascii_lowercase())
        && chars.all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
        && k.len() <= 32
}

fn field(spec: FieldSpec, place: &str) -> Result<FieldDef, (String, String)> {
    let here = format!("{place} {}", spec.key);
    if !key_ok(&spec.key) {
        return Err((here, "key must be lower-case letters, digits and _".into()));
    }
    if spec.label.trim().is_empty() {
        return Err((here, "label is empty".into()));
    }
    let kind = Kind::parse(&spec.kind).ok_or_else(|| {
        let kinds: Vec<_> = Kind::ALL.iter().map(|k| k.as_str()).collect();
        (
            here.clone(),
            format!("kind `{}` is not one of {}", spec.kind, kinds.join(", ")),
        )
    })?;
    if (kind == Kind::Choice) == spec.choices.is_empty() {
        return Err((
            here,
            "choices are given for kind choice, and only for it".into(),
        ));
    }
    if (spec.min.is_some() || spec.max.is_some()) && kind != Kind::Integer {
        return Err((here, "min and max apply to kind integer only".into()));
    }
    if let (Some(lo), Some(hi)) = (spec.min, spec.max)
        && lo > hi
    {
        return Err((here, "min is greater than max".into()));
    }
    if spec.max_chars == Some(0) {
        return Err((here, "max_chars is 0".into()));
    }
    Ok(FieldDef {
        key: spec.key,
        label: spec.label.trim().to_owned(),
        kind,
        required: spec.required,
        rules: Rules {
            max_chars: spec.max_chars,
            min: spec.min,
            max: spec.max,
            choices: spec.choices,
        },
        hint: spec.hint,
    })
}

fn unique<'a>(keys: impl Iterator<Item = &'a str>, place: &str) -> Result<(), (String, String)> {
    let mut seen = HashSet::new();
    for k in keys {
        if !seen.insert(k) {
            return Err((format!("{place} {k}"), "is defined twice".into()));
        }
    }
    Ok(())
}

fn list(spec: ListSpec) -> Result<ListDef, (String, String)> {
    let here = format!("list {}", spec.key);
    if !key_ok(&spec.key) {
        return Err((here, "key must be lower-case letters, digits and _".into()));
    }
    if spec.column.is_empty() {
        return Err((here, "has no column".into()));
    }
    let max_rows = spec.max_rows.unwrap_or(DEFAULT_MAX_ROWS);
    if spec.min_rows > max_rows || max_rows == 0 {
        return Err((here, "min_rows is greater than max_rows".into()));
    }
    let columns = spec
        .column
        .into_iter()
        .map(|c| field(c, &format!("{here}, column")))
        .collect::<Result<Vec<_>, _>>()?;
    unique(
        columns.iter().map(|c| c.key.as_str()),
        &format!("{here}, column"),
    )?;
    if columns.iter().any(|c| c.kind == Kind::Textarea) {
        return Err((here, "a column cannot be a textarea".into()));
    }
    let mut totals = Vec::new();
    for t in spec.total {
        let at = format!("{here}, total {}", t.label);
        match columns.iter().find(|c| c.key == t.sum) {
            Some(c) if c.kind == Kind::Amount => {}
            _ => return Err((at, format!("sum `{}` is not an amount column", t.sum))),
        }
        let when = match t.when {
            None => None,
            Some(w) => {
                let ok = columns
                    .iter()
                    .find(|c| c.key == w.column)
                    .is_some_and(|c| c.rules.choices.contains(&w.equals));
                if !ok {
                    return Err((
                        at,
                        format!(
                            "when: `{}` is not a choice of column `{}`",
                            w.equals, w.column
                        ),
                    ));
                }
                Some((w.column, w.equals))
            }
        };
        totals.push(TotalDef {
            label: t.label,
            sum: t.sum,
            when,
        });
    }
    Ok(ListDef {
        key: spec.key,
        label: spec.label.trim().to_owned(),
        min_rows: spec.min_rows,
        max_rows,
        columns,
        totals,
    })
}

/// Checks one file's text.
pub fn parse_file(file: &str, text: &str) -> Result<ModuleDefinition, DefinitionError> {
    let fail = |place: String, message: String| DefinitionError {
        file: file.to_owned(),
        place,
        message,
    };
    let spec: FileSpec = toml::from_str(text).map_err(|e| {
        fail(
            "file".into(),
            e.to_string().replace('\n', " ").trim().to_owned(),
        )
    })?;
    let module = Module::parse(&spec.module).map_err(|e| fail("module".into(), e.to_string()))?;
    let expected = format!("{}.toml", module.slug());
    if !file.ends_with(&expected) {
        return Err(fail(
            "module".into(),
            format!("`{}` belongs in {expected}", spec.module),
        ));
    }
    let check = || -> Result<ModuleDefinition, (String, String)> {
        let fields = spec
            .field
            .into_iter()
            .map(|f| field(f, "field"))
            .collect::<Result<Vec<_>, _>>()?;
        unique(fields.iter().map(|f| f.key.as_str()), "field")?;
        let lists = spec
            .list
            .into_iter()
            .map(list)
            .collect::<Result<Vec<_>, _>>()?;
        unique(lists.iter().map(|l| l.key.as_str()), "list")?;
        Ok(ModuleDefinition {
            module,
            fields,
            lists,
        })
    };
    check().map_err(|(place, message)| fail(place, message))
}

/// Every module's definition.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ModuleDefinitions(BTreeMap<Module, ModuleDefinition>);

impl ModuleDefinitions {
    /// The files under `data/modules/`, as compiled in; every module must have one.
    pub fn builtin() -> Result<ModuleDefinitions, DefinitionError> {
        ModuleDefinitions::from_files(FILES.iter().copied())
    }

    pub fn from_files<'a>(
        files: impl IntoIterator<Item = (&'a str, &'a str)>,
    ) -> Result<ModuleDefinitions, DefinitionError> {
        let mut out = BTreeMap::new();
        for (file, text) in files {
            let d = parse_file(file, text)?;
            if out.contains_key(&d.module) {
                return Err(DefinitionError {
                    file: file.to_owned(),
                    place: "module".into(),
                    message: format!("`{}` is defined twice", d.module.slug()),
                });
            }
            out.insert(d.module, d);
        }
        if let Some(missing) = Module::ALL.iter().find(|m| !out.contains_key(m)) {
            return Err(DefinitionError {
                file: format!("data/modules/{}.toml", missing.slug()),
                place: "module".into(),
                message: "is missing".into(),
            });
        }
        Ok(ModuleDefinitions(out))
    }

    pub fn get(&self, module: Module) -> &ModuleDefinition {
        // Every module is present: `from_files` refuses a set without one.
        &self.0[&module]
    }

    pub fn all(&self) -> impl Iterator<Item = &ModuleDefinition> {
        self.0.values()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_builtin_files_hold() {
        let defs = ModuleDefinitions::builtin().unwrap();
        let assets = defs.get(Module::Assets);
        let items = assets.list("items").unwrap();
        assert_eq!(items.column("amount").unwrap().kind, Kind::Amount);
        assert!(!items.totals.is_empty());
        let livelihood = defs.get(Module::Livelihood);
        let recipients = livelihood.list("recipients").unwrap();
        assert_eq!(recipients.column("name").unwrap().kind, Kind::Name);
        assert!(defs.get(Module::Decisions).list("steps").is_some());
        assert!(defs.get(Module::Projects).fields.len() >= 8);
        assert!(defs.get(Module::Organization).lists.is_empty());
    }

    fn err(text: &str) -> DefinitionError {
        parse_file("data/modules/assets.toml", text).unwrap_err()
    }

    #[test]
    fn a_bad_file_is_named_with_its_field() {
        let e = err(r#"module = "assets"
[[list]]
key = "items"
label = "明细"
[[list.column]]
key = "amount"
label = "金额"
kind = "money"
"#);
        assert_eq!(e.file, "data/modules/assets.toml");
        assert_eq!(e.place, "list items, column amount");
        assert!(e.message.contains("money"), "{e}");

        let e = err(
            "module = \"assets\"\n[[field]]\nkey = \"a\"\nlabel = \"甲\"\nkind = \"text\"\nrequird = true\n",
        );
        assert!(e.to_string().contains("requird"), "{e}");

        let e = err("module = \"projects\"\n");
        assert_eq!(e.place, "module");

        let e = err(r#"module = "assets"
[[list]]
key = "items"
label = "明细"
[[list.column]]
key = "kind"
label = "收支"
kind = "choice"
choices = ["收入", "支出"]
[[list.column]]
key = "amount"
label = "金额"
kind = "amount"
[[list.total]]
label = "合计"
sum = "kind"
"#);
        assert_eq!(e.place, "list items, total 合计");
    }

    #[test]
    fn a_missing_module_is_named() {
        let e = ModuleDefinitions::from_files(FILES.iter().copied().skip(1)).unwrap_err();
        assert_eq!(e.file, "data/modules/organization.toml");
    }
}
