//! What a draft changes against the published version, for the reviewer: each field
//! whose value differs, and for each list the rows removed, added and changed. Rows are
//! compared as whole lines (a multiset), so an inserted line item shows as one added row
//! rather than every later row "changed"; a removed row and an added row that agree in
//! most cells are shown as one changed row with the cells that differ.

use std::collections::HashMap;

use super::content::StructuredContent;
use super::value::Value;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Change {
    Title {
        before: Option<String>,
        after: String,
    },
    Field {
        label: String,
        before: Option<String>,
        after: Option<String>,
    },
    /// Row numbers are 1-based, in the version they belong to.
    RowAdded {
        list: String,
        row: usize,
        cells: Vec<String>,
    },
    RowRemoved {
        list: String,
        row: usize,
        cells: Vec<String>,
    },
    RowChanged {
        list: String,
        row: usize,
        /// (column label, before, after) for each cell that differs.
        cells: Vec<(String, String, String)>,
    },
}

fn text(v: &Option<Value>) -> Option<String> {
    v.as_ref().map(ToString::to_string)
}

fn row_text(row: &[Option<Value>]) -> Vec<String> {
    row.iter().map(|c| text(c).unwrap_or_default()).collect()
}

/// The changes from `before` (None: nothing published yet, everything is new) to `after`.
pub fn diff(before: Option<&StructuredContent>, after: &StructuredContent) -> Vec<Change> {
    let mut out = Vec::new();
    if before.map(|b| &b.title) != Some(&after.title) {
        out.push(Change::Title {
            before: before.map(|b| b.title.clone()),
            after: after.title.clone(),
        });
    }
    for f in &after.fields {
        let old = before
            .and_then(|b| b.fields.iter().find(|o| o.key == f.key))
            .and_then(|o| text(&o.value));
        let new = text(&f.value);
        if old != new {
            out.push(Change::Field {
                label: f.label.clone(),
                before: old,
                after: new,
            });
        }
    }
    if let Some(b) = before {
        for o in &b.fields {
            if o.value.is_some() && !after.fields.iter().any(|f| f.key == o.key) {
                out.push(Change::Field {
                    label: o.label.clone(),
                    before: text(&o.value),
                    after: None,
                });
            }
        }
    }
    for l in &after.lists {
        let old_rows: Vec<Vec<String>> = before
            .and_then(|b| b.lists.iter().find(|o| o.key == l.key))
            .map(|o| o.rows.iter().map(|r| row_text(r)).collect())
            .unwrap_or_default();
        let new_rows: Vec<Vec<String>> = l.rows.iter().map(|r| row_text(r)).collect();
        let mut unmatched: HashMap<&Vec<String>, usize> = HashMap::new();
        for r in &new_rows {
            *unmatched.entry(r).or_default() += 1;
        }
        let mut removed = Vec::new();
        for (i, r) in old_rows.iter().enumerate() {
            match unmatched.get_mut(r) {
                Some(n) if *n > 0 => *n -= 1,
                _ => removed.push(i),
            }
        }
        let mut kept: HashMap<&Vec<String>, usize> = HashMap::new();
        for (i, r) in old_rows.iter().enumerate() {
            if !removed.contains(&i) {
                *kept.entry(r).or_default() += 1;
            }
        }
        let mut added = Vec::new();
        for (i, r) in new_rows.iter().enumerate() {
            match kept.get_mut(r) {
                Some(n) if *n > 0 => *n -= 1,
                _ => added.push(i),
            }
        }
        // Pair each removed row with the added row most like it (at least half its
        // cells equal): that is one corrected line item, not a removal and an addition.
        // Past a million comparisons (a whole statement replaced) pairing is skipped.
        let same = |a: &[String], b: &[String]| a.iter().zip(b).filter(|(x, y)| x == y).count();
        let mut paired: Vec<Option<usize>> = vec![None; removed.len()];
        if removed.len().saturating_mul(added.len()) <= 1_000_000 {
            let mut taken = vec![false; added.len()];
            for (k, &i) in removed.iter().enumerate() {
                let best = added
                    .iter()
                    .enumerate()
                    .filter(|(n, _)| !taken[*n])
                    .map(|(n, &j)| (n, same(&old_rows[i], &new_rows[j])))
                    .filter(|(_, eq)| eq * 2 >= l.columns.len())
                    .max_by_key(|(n, eq)| (*eq, std::cmp::Reverse(*n)));
                if let Some((n, _)) = best {
                    taken[n] = true;
                    paired[k] = Some(added[n]);
                }
            }
        }
        for (k, &i) in removed.iter().enumerate() {
            match paired[k] {
                Some(j) => out.push(Change::RowChanged {
                    list: l.label.clone(),
                    row: j + 1,
                    cells: l
                        .columns
                        .iter()
                        .zip(old_rows[i].iter().zip(&new_rows[j]))
                        .filter(|(_, (a, b))| a != b)
                        .map(|(c, (a, b))| (c.label.clone(), a.clone(), b.clone()))
                        .collect(),
                }),
                None => out.push(Change::RowRemoved {
                    list: l.label.clone(),
                    row: i + 1,
                    cells: old_rows[i].clone(),
                }),
            }
        }
        for &j in added.iter().filter(|j| !paired.contains(&Some(**j))) {
            out.push(Change::RowAdded {
                list: l.label.clone(),
                row: j + 1,
                cells: new_rows[j].clone(),
            });
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::Module;
    use crate::domain::disclosure::content::tests::finance_raw;
    use crate::domain::disclosure::definition::ModuleDefinitions;

    #[test]
    fn a_correction_shows_the_field_and_the_line_items_it_changes() {
        let defs = ModuleDefinitions::builtin().unwrap();
        let def = defs.get(Module::Assets);
        let v1 = def
            .parse(&finance_raw(&[
                ("2026-11-02", "收入", "鱼塘承包费", "12000", "记-001"),
                ("2026-11-05", "支出", "道路维修", "3456.70", "记-002"),
                ("2026-11-09", "支出", "办公用品", "200", "记-003"),
            ]))
            .unwrap();
        let mut raw = finance_raw(&[
            ("2026-11-01", "支出", "电费", "88", "记-000"),
            ("2026-11-02", "收入", "鱼塘承包费", "12000", "记-001"),
            ("2026-11-05", "支出", "道路维修", "3465.70", "记-002"),
        ]);
        raw.fields
            .insert("period".into(), "2026年11月（更正）".into());
        let v2 = def.parse(&raw).unwrap();
        let changes = diff(Some(&v1), &v2);
        assert!(changes.contains(&Change::Field {
            label: "公开期间".into(),
            before: Some("2026年11月".into()),
            after: Some("2026年11月（更正）".into()),
        }));
        assert!(changes.iter().any(|c| matches!(c,
            Change::RowAdded { row: 1, cells, .. } if cells[2] == "电费")));
        assert!(changes.iter().any(|c| matches!(c,
            Change::RowChanged { row: 3, cells, .. }
                if cells == &[("金额（元）".to_owned(), "3456.70".to_owned(), "3465.70".to_owned())])),
            "{changes:?}");
        assert!(changes.iter().any(|c| matches!(c,
            Change::RowRemoved { row: 3, cells, .. } if cells[2] == "办公用品")));
        assert_eq!(changes.len(), 4, "{changes:?}");
        assert!(diff(Some(&v2), &v2).is_empty());
        // Nothing published yet: everything is new.
        assert!(diff(None, &v1).len() >= 4);
    }
}
