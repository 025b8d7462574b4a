//! A disclosure's structured content: the title, each field's value and each list's
//! rows, checked against the module's definition. It is self-describing (labels and
//! kinds travel with the values), so a version published under an older definition
//! still reads as it was published. Two JSON forms: the full one staff work on (names
//! whole), and the public one (names masked) whose canonical bytes are hashed and served.

use std::collections::HashMap;

use serde_json::{Value as Json, json};

use super::attachment::FileRef;
use super::canonical;
use super::definition::{FieldDef, ListDef, ModuleDefinition, TotalDef};
use super::value::{self, Kind, Value};
use super::{Amount, MAX_TITLE};
use crate::domain::Module;

/// The version of the JSON layout below.
pub const SCHEMA: i64 = 1;

/// What a clerk sent: text per field and per cell, keyed by the definition's keys.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RawContent {
    pub title: String,
    pub fields: HashMap<String, String>,
    /// Rows per list; each row maps a column key to its text.
    pub lists: HashMap<String, Vec<HashMap<String, String>>>,
}

/// Where a problem is, for the clerk.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Place {
    Title,
    Field(String),
    List(String),
    /// A list's row (1-based) and column label.
    Cell {
        list: String,
        row: usize,
        column: String,
    },
}

/// One problem with what was sent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    pub place: Place,
    pub message: String,
}

impl std::fmt::Display for Problem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &self.place {
            Place::Title => write!(f, "标题：{}", self.message),
            Place::Field(l) | Place::List(l) => write!(f, "{l}：{}", self.message),
            Place::Cell { list, row, column } => {
                write!(f, "{list}第{row}行“{column}”：{}", self.message)
            }
        }
    }
}

/// A field as published: its description and value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldValue {
    pub key: String,
    pub label: String,
    pub kind: Kind,
    pub value: Option<Value>,
}

/// A column's description, as it travels with the rows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Column {
    pub key: String,
    pub label: String,
    pub kind: Kind,
}

/// A list with its rows (cells in column order) and the totals to compute.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ListValue {
    pub key: String,
    pub label: String,
    pub columns: Vec<Column>,
    pub rows: Vec<Vec<Option<Value>>>,
    pub totals: Vec<TotalDef>,
}

impl ListValue {
    /// Each total's label and sum, computed from the rows.
    pub fn totals(&self) -> Vec<(String, Amount)> {
        let index = |key: &str| self.columns.iter().position(|c| c.key == key);
        self.totals
            .iter()
            .map(|t| {
                let sum_at = index(&t.sum);
                let when = t
                    .when
                    .as_ref()
                    .map(|(col, equals)| (index(col), equals.as_str()));
                let mut total = Amount::ZERO;
                for row in &self.rows {
                    if let Some((at, equals)) = when {
                        let hit = at
                            .and_then(|i| row.get(i))
                            .and_then(|c| c.as_ref())
                            .and_then(Value::as_text)
                            == Some(equals);
                        if !hit {
                            continue;
                        }
                    }
                    if let Some(a) = sum_at
                        .and_then(|i| row.get(i))
                        .and_then(|c| c.as_ref())
                        .and_then(Value::amount)
                    {
                        // The definition caps rows and amounts so that this cannot overflow
                        // in practice; saturate rather than panic if it ever did.
                        total = total.checked_add(a).unwrap_or(total);
                    }
                }
                (t.label.clone(), total)
            })
            .collect()
    }
}

/// One disclosure's content, valid for its module.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StructuredContent {
    pub module: Module,
    pub title: String,
    pub fields: Vec<FieldValue>,
    pub lists: Vec<ListValue>,
}

fn columns(list: &ListDef) -> Vec<Column> {
    list.columns
        .iter()
        .map(|c| Column {
            key: c.key.clone(),
            label: c.label.clone(),
            kind: c.kind,
        })
        .collect()
}

fn cell(def: &FieldDef, raw: Option<&String>) -> Result<Option<Value>, String> {
    let v = value::parse(def.kind, &def.rules, raw.map_or("", String::as_str))?;
    if v.is_none() && def.required {
        return Err("必须填写".into());
    }
    Ok(v)
}

/// Checks one list's rows (blank rows are dropped); problems are located by row and
/// column. `first_row` is the number the first row is reported as.
pub fn parse_rows(
    list: &ListDef,
    rows: &[HashMap<String, String>],
    first_row: usize,
    problems: &mut Vec<Problem>,
) -> Vec<Vec<Option<Value>>> {
    let mut out = Vec::new();
    for (i, row) in rows.iter().enumerate() {
        if row.values().all(|v| v.trim().is_empty()) {
            continue;
        }
        let mut cells = Vec::with_capacity(list.columns.len());
        for c in &list.columns {
            match cell(c, row.get(&c.key)) {
                Ok(v) => cells.push(v),
                Err(message) => {
                    problems.push(Problem {
                        place: Place::Cell {
                            list: list.label.clone(),
                            row: first_row + i,
                            column: c.label.clone(),
                        },
                        message,
                    });
                    cells.push(None);
                }
            }
        }
        out.push(cells);
    }
    out
}

impl ModuleDefinition {
    /// Checks everything a clerk sent; every problem at once, or the content.
    pub fn parse(&self, raw: &RawContent) -> Result<StructuredContent, Vec<Problem>> {
        let mut problems = Vec::new();
        let title = raw.title.trim();
        if title.is_empty() {
            problems.push(Problem {
                place: Place::Title,
                message: "必须填写".into(),
            });
        } else if title.chars().count() > MAX_TITLE {
            problems.push(Problem {
                place: Place::Title,
                message: format!("超过{MAX_TITLE}个字"),
            });
        } else if let Err(message) = value::parse(Kind::Text, &Default::default(), title) {
            problems.push(Problem {
                place: Place::Title,
                message,
            });
        }
        let mut fields = Vec::new();
        for f in &self.fields {
            let value = cell(f, raw.fields.get(&f.key)).unwrap_or_else(|message| {
                problems.push(Problem {
                    place: Place::Field(f.label.clone()),
                    message,
                });
                None
            });
            fields.push(FieldValue {
                key: f.key.clone(),
                label: f.label.clone(),
                kind: f.kind,
                value,
            });
        }
        let mut lists = Vec::new();
        for l in &self.lists {
            let given = raw.lists.get(&l.key).map_or(&[][..], Vec::as_slice);
            let rows = parse_rows(l, given, 1, &mut problems);
            if rows.len() < l.min_rows {
                problems.push(Problem {
                    place: Place::List(l.label.clone()),
                    message: format!("至少填写{}行", l.min_rows),
                });
            }
            if rows.len() > l.max_rows {
                problems.push(Problem {
                    place: Place::List(l.label.clone()),
                    message: format!("最多{}行", l.max_rows),
                });
            }
            lists.push(ListValue {
                key: l.key.clone(),
                label: l.label.clone(),
                columns: columns(l),
                rows,
                totals: l.totals.clone(),
            });
        }
        if !problems.is_empty() {
            return Err(problems);
        }
        Ok(StructuredContent {
            module: self.module,
            title: title.to_owned(),
            fields,
            lists,
        })
    }

    /// What the form shows for `content` (or an empty form): the text of each input.
    pub fn raw_of(&self, content: Option<&StructuredContent>) -> RawContent {
        let Some(c) = content else {
            return RawContent::default();
        };
        let mut raw = RawContent {
            title: c.title.clone(),
            ..RawContent::default()
        };
        for f in &c.fields {
            if let Some(v) = &f.value {
                raw.fields.insert(f.key.clone(), v.to_string());
            }
        }
        for l in &c.lists {
            let rows = l
                .rows
                .iter()
                .map(|row| {
                    l.columns
                        .iter()
                        .zip(row)
                        .filter_map(|(col, v)| v.as_ref().map(|v| (col.key.clone(), v.to_string())))
                        .collect()
                })
                .collect();
            raw.lists.insert(l.key.clone(), rows);
        }
        raw
    }
}

fn kind_json(kind: Kind) -> Json {
    kind.as_str().into()
}

fn total_json(t: &TotalDef) -> Json {
    json!({
        "label": t.label,
        "sum": t.sum,
        "when": t.when.as_ref().map(|(c, e)| json!({"column": c, "equals": e})),
    })
}

impl StructuredContent {
    /// The content as JSON: `public` masks names (and is what is published and hashed).
    pub fn to_json(&self, public: bool) -> Json {
        let v = |x: &Option<Value>| x.as_ref().map_or(Json::Null, |x| x.to_json(public));
        json!({
            "schema": SCHEMA,
            "module": self.module.slug(),
            "title": self.title,
            "fields": self.fields.iter().map(|f| json!({
                "key": f.key, "label": f.label, "kind": kind_json(f.kind), "value": v(&f.value),
            })).collect::<Vec<_>>(),
            "lists": self.lists.iter().map(|l| json!({
                "key": l.key,
                "label": l.label,
                "columns": l.columns.iter().map(|c| json!({
                    "key": c.key, "label": c.label, "kind": kind_json(c.kind),
                })).collect::<Vec<_>>(),
                "rows": l.rows.iter().map(|r| r.iter().map(v).collect::<Vec<_>>()).collect::<Vec<_>>(),
                "totals": l.totals.iter().map(total_json).collect::<Vec<_>>(),
            })).collect::<Vec<_>>(),
        })
    }

    /// The canonical text of the public JSON and its SHA-256.
    pub fn public_canonical(&self) -> (String, [u8; 32]) {
        self.public_canonical_with(&[])
    }

    /// The same, naming the version's attachments (name, type and SHA-256, in their
    /// order) when it has any, so that the one hash covers the files too. Without
    /// attachments the text is what [`StructuredContent::public_canonical`] gives.
    pub fn public_canonical_with(&self, files: &[FileRef]) -> (String, [u8; 32]) {
        let mut json = self.to_json(true);
        if !files.is_empty()
            && let Some(object) = json.as_object_mut()
        {
            let listed = files
                .iter()
                .map(|f| {
                    json!({"name": f.name, "media_type": f.media_type, "sha256": hex::encode(f.sha256)})
                })
                .collect::<Vec<_>>();
            object.insert("attachments".into(), Json::Array(listed));
        }
        let text = canonical::to_string(&json);
        let digest = canonical::sha256(&text);
        (text, digest)
    }

    /// Every attachment the content refers to (a receipt cell), with where it is.
    pub fn file_refs(&self) -> Vec<(Place, String)> {
        let mut out = Vec::new();
        for f in &self.fields {
            if let Some(h) = f.value.as_ref().and_then(Value::file) {
                out.push((Place::Field(f.label.clone()), h.to_owned()));
            }
        }
        for l in &self.lists {
            for (i, row) in l.rows.iter().enumerate() {
                for (c, v) in l.columns.iter().zip(row) {
                    if let Some(h) = v.as_ref().and_then(Value::file) {
                        let place = Place::Cell {
                            list: l.label.clone(),
                            row: i + 1,
                            column: c.label.clone(),
                        };
                        out.push((place, h.to_owned()));
                    }
                }
            }
        }
        out
    }

    /// Reads back the full JSON written by `to_json(false)`.
    pub fn from_json(j: &Json) -> Result<StructuredContent, String> {
        let s = |v: &Json, what: &str| {
            v.as_str()
                .map(str::to_owned)
                .ok_or_else(|| format!("{what} is not a string"))
        };
        let kind = |v: &Json| {
            v.as_str()
                .and_then(Kind::parse)
                .ok_or_else(|| format!("bad kind {v}"))
        };
        let arr = |v: &Json, what: &str| {
            v.as_array()
                .cloned()
                .ok_or_else(|| format!("{what} is not an array"))
        };
        let typed = |k: Kind, v: &Json| -> Result<Option<Value>, String> {
            if v.is_null() {
                return Ok(None);
            }
            Value::from_json(k, v)
                .map(Some)
                .ok_or_else(|| format!("{v} is not a {}", k.as_str()))
        };
        let module = Module::parse(&s(&j["module"], "module")?).map_err(|e| e.to_string())?;
        let mut fields = Vec::new();
        for f in arr(&j["fields"], "fields")? {
            let k = kind(&f["kind"])?;
            fields.push(FieldValue {
                key: s(&f["key"], "key")?,
                label: s(&f["label"], "label")?,
                kind: k,
                value: typed(k, &f["value"])?,
            });
        }
        let mut lists = Vec::new();
        for l in arr(&j["lists"], "lists")? {
            let mut cols = Vec::new();
            for c in arr(&l["columns"], "columns")? {
                cols.push(Column {
                    key: s(&c["key"], "key")?,
                    label: s(&c["label"], "label")?,
                    kind: kind(&c["kind"])?,
                });
            }
            let mut rows = Vec::new();
            for r in arr(&l["rows"], "rows")? {
                let cells = arr(&r, "row")?;
                if cells.len() != cols.len() {
                    return Err("a row does not match its columns".into());
                }
                rows.push(
                    cols.iter()
                        .zip(&cells)
                        .map(|(c, v)| typed(c.kind, v))
                        .collect::<Result<Vec<_>, _>>()?,
                );
            }
            let mut totals = Vec::new();
            for t in arr(&l["totals"], "totals")? {
                totals.push(TotalDef {
                    label: s(&t["label"], "label")?,
                    sum: s(&t["sum"], "sum")?,
                    when: if t["when"].is_null() {
                        None
                    } else {
                        Some((
                            s(&t["when"]["column"], "column")?,
                            s(&t["when"]["equals"], "equals")?,
                        ))
                    },
                });
            }
            lists.push(ListValue {
                key: s(&l["key"], "key")?,
                label: s(&l["label"], "label")?,
                columns: cols,
                rows,
                totals,
            });
        }
        Ok(StructuredContent {
            module,
            title: s(&j["title"], "title")?,
            fields,
            lists,
        })
    }

    pub fn field(&self, key: &str) -> Option<&Value> {
        self.fields
            .iter()
            .find(|f| f.key == key)
            .and_then(|f| f.value.as_ref())
    }

    /// The longest text field, for list summaries and the page description.
    pub fn body(&self) -> Option<&str> {
        self.fields
            .iter()
            .find(|f| f.kind == Kind::Textarea)
            .and_then(|f| f.value.as_ref())
            .and_then(Value::as_text)
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::domain::disclosure::definition::ModuleDefinitions;

    pub fn finance_raw(rows: &[(&str, &str, &str, &str, &str)]) -> RawContent {
        let mut raw = RawContent {
            title: "王岗村2026年11月财务收支公开".into(),
            ..RawContent::default()
        };
        raw.fields.insert("period".into(), "2026年11月".into());
        let rows = rows
            .iter()
            .map(|(date, dir, item, amount, voucher)| {
                [
                    ("date", *date),
                    ("direction", *dir),
                    ("item", *item),
                    ("amount", *amount),
                    ("voucher", *voucher),
                ]
                .into_iter()
                .map(|(k, v)| (k.to_owned(), v.to_owned()))
                .collect()
            })
            .collect();
        raw.lists.insert("items".into(), rows);
        raw
    }

    #[test]
    fn a_finance_statement_computes_its_totals() {
        let defs = ModuleDefinitions::builtin().unwrap();
        let c = defs
            .get(Module::Assets)
            .parse(&finance_raw(&[
                ("2026-11-02", "收入", "鱼塘承包费", "12,000.00", "记-001"),
                ("2026-11-05", "支出", "道路维修", "3456.7", "记-002"),
                ("2026-11-09", "收入", "上级转移支付", "0.05", "记-003"),
            ]))
            .unwrap();
        let totals = c.lists[0].totals();
        assert_eq!(
            totals[0],
            ("收入合计".into(), Amount::from_fen(1_200_005).unwrap())
        );
        assert_eq!(
            totals[1],
            ("支出合计".into(), Amount::from_fen(345_670).unwrap())
        );
        // Round trip through the stored JSON, and a stable hash.
        let back = StructuredContent::from_json(&c.to_json(false)).unwrap();
        assert_eq!(back, c);
        assert_eq!(back.public_canonical(), c.public_canonical());
    }

    #[test]
    fn every_problem_is_located() {
        let defs = ModuleDefinitions::builtin().unwrap();
        let mut raw = finance_raw(&[
            ("2026-11-02", "收入", "承包费", "12.345", "记-001"),
            ("", "", "", "", ""),
            ("2026-13-01", "支", "张三411503198001011234", "5", ""),
        ]);
        raw.title = " ".into();
        let problems = defs.get(Module::Assets).parse(&raw).unwrap_err();
        let shown: Vec<String> = problems.iter().map(ToString::to_string).collect();
        assert!(shown.contains(&"标题：必须填写".to_owned()), "{shown:?}");
        assert!(
            shown
                .iter()
                .any(|s| s.starts_with("收支明细第1行“金额（元）”")),
            "{shown:?}"
        );
        assert!(
            shown.iter().any(|s| s.starts_with("收支明细第3行“日期”")),
            "{shown:?}"
        );
        assert!(
            shown.iter().any(|s| s.starts_with("收支明细第3行“收支”")),
            "{shown:?}"
        );
        assert!(
            shown
                .iter()
                .any(|s| s.contains("第3行“摘要”") && s.contains("身份证")),
            "{shown:?}"
        );
        assert!(
            shown
                .iter()
                .any(|s| s.starts_with("收支明细第3行“凭证号”：必须填写")),
            "{shown:?}"
        );
    }

    #[test]
    fn the_public_json_masks_names() {
        let defs = ModuleDefinitions::builtin().unwrap();
        let mut raw = RawContent {
            title: "2026年第四季度低保名单".into(),
            ..RawContent::default()
        };
        raw.fields.insert("program".into(), "低保".into());
        raw.fields.insert("period".into(), "2026年第四季度".into());
        let row: HashMap<String, String> = [
            ("name", "张小明"),
            ("household", "3"),
            ("amount", "1,500"),
            ("reason", "因病致贫"),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
        .collect();
        raw.lists.insert("recipients".into(), vec![row]);
        let c = defs.get(Module::Livelihood).parse(&raw).unwrap();
        let (public, _) = c.public_canonical();
        assert!(
            public.contains("张*明") && !public.contains("张小明"),
            "{public}"
        );
        assert!(c.to_json(false).to_string().contains("张小明"));
    }
}
