//! A CSV or `.xlsx` attachment as the public page shows it: its first sheet's header
//! row and at most [`MAX_ROWS`] rows of [`MAX_COLUMNS`] columns, with how many the file
//! has. Read once when the file is uploaded and kept as JSON beside it, so a page view
//! reads a few kilobytes instead of parsing up to 5 MB.

use serde_json::{Value as Json, json};

/// Rows (below the header) and columns shown; the file keeps them all.
pub const MAX_ROWS: usize = 200;
pub const MAX_COLUMNS: usize = 30;
/// A longer cell is cut on the page (the file has it whole).
const MAX_CELL_CHARS: usize = 200;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileTable {
    header: Vec<String>,
    rows: Vec<Vec<String>>,
    /// Rows below the header in the file, and its widest row.
    total_rows: usize,
    total_columns: usize,
}

fn cell(s: &str) -> String {
    let s = s.trim();
    if s.chars().count() > MAX_CELL_CHARS {
        format!("{}…", s.chars().take(MAX_CELL_CHARS).collect::<String>())
    } else {
        s.to_owned()
    }
}

impl FileTable {
    /// From a sheet's rows as read: blank rows are dropped, the first row left is the
    /// header. `None` for a sheet without a filled cell.
    pub fn from_rows(rows: Vec<Vec<String>>) -> Option<FileTable> {
        let mut rows = rows
            .into_iter()
            .filter(|r| r.iter().any(|c| !c.trim().is_empty()));
        // A row's width up to its last filled cell: columns empty everywhere go.
        let filled = |r: &[String]| {
            r.iter()
                .rposition(|c| !c.trim().is_empty())
                .map_or(0, |i| i + 1)
        };
        let first = rows.next()?;
        let mut total_rows = 0;
        let mut total_columns = filled(&first);
        let mut shown = Vec::new();
        for r in rows {
            total_rows += 1;
            total_columns = total_columns.max(filled(&r));
            if shown.len() < MAX_ROWS {
                shown.push(r);
            }
        }
        let width = total_columns.min(MAX_COLUMNS);
        let fit = |r: &[String]| -> Vec<String> {
            (0..width)
                .map(|i| r.get(i).map(|c| cell(c)).unwrap_or_default())
                .collect()
        };
        Some(FileTable {
            header: fit(&first),
            rows: shown.iter().map(|r| fit(r)).collect(),
            total_rows,
            total_columns,
        })
    }

    pub fn header(&self) -> &[String] {
        &self.header
    }
    pub fn rows(&self) -> &[Vec<String>] {
        &self.rows
    }
    /// Rows below the header in the whole file.
    pub fn total_rows(&self) -> usize {
        self.total_rows
    }
    /// Whether the page shows less than the file holds.
    pub fn is_cut(&self) -> bool {
        self.rows.len() < self.total_rows || self.header.len() < self.total_columns
    }

    pub fn to_json(&self) -> Json {
        json!({
            "header": self.header,
            "rows": self.rows,
            "total_rows": self.total_rows,
            "total_columns": self.total_columns,
        })
    }

    pub fn from_json(j: &Json) -> Result<FileTable, String> {
        let strings = |v: &Json| -> Option<Vec<String>> {
            v.as_array()?
                .iter()
                .map(|c| c.as_str().map(str::to_owned))
                .collect()
        };
        let count = |k: &str| {
            j.get(k)
                .and_then(Json::as_u64)
                .and_then(|n| usize::try_from(n).ok())
        };
        let bad = || "not a file table".to_owned();
        Ok(FileTable {
            header: j.get("header").and_then(strings).ok_or_else(bad)?,
            rows: j
                .get("rows")
                .and_then(Json::as_array)
                .ok_or_else(bad)?
                .iter()
                .map(|r| strings(r).ok_or_else(bad))
                .collect::<Result<_, _>>()?,
            total_rows: count("total_rows").ok_or_else(bad)?,
            total_columns: count("total_columns").ok_or_else(bad)?,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rows(n: usize) -> Vec<Vec<String>> {
        std::iter::once(vec!["姓名".to_owned(), "金额".to_owned(), String::new()])
            .chain((0..n).map(|i| vec![format!("户{i}"), format!("{i}"), String::new()]))
            .collect()
    }

    #[test]
    fn at_most_200_rows_are_kept_with_the_count_of_all() {
        let t = FileTable::from_rows(rows(250)).unwrap();
        assert_eq!(t.header(), ["姓名", "金额"], "an empty last column goes");
        assert_eq!(t.rows().len(), MAX_ROWS);
        assert_eq!(t.total_rows(), 250);
        assert!(t.is_cut());
        assert_eq!(FileTable::from_json(&t.to_json()).unwrap(), t);
        let small = FileTable::from_rows(rows(2)).unwrap();
        assert!(!small.is_cut());
        assert_eq!(FileTable::from_rows(vec![vec![" ".into()]]), None);
    }
}
