//! Reading and checking division rows. Every row is checked (code length for its level,
//! ancestor columns that agree with the code, a non-empty name, no duplicate code, a
//! parent that is present); every problem is reported with its file and line.

use std::collections::HashMap;
use std::fmt;
use std::io::Read;

use crate::domain::{RegionCode, RegionLevel, display_name};

/// Longest name accepted; the longest in the national data has 31 characters.
const MAX_NAME_CHARS: usize = 100;

/// A checked row, ready to be stored.
#[derive(Debug, Clone)]
pub struct Record {
    pub code: RegionCode,
    pub name: String,
    pub display_name: String,
    pub parent: Option<RegionCode>,
}

/// One problem in the input, located by file and line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RowError {
    pub file: String,
    pub line: u64,
    pub message: String,
}

impl fmt::Display for RowError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}: {}", self.file, self.line, self.message)
    }
}

/// The `--within` code prefix. A row is in scope when its code starts with the prefix
/// or is an ancestor of it (importing 4115 brings province 41 along when present).
#[derive(Debug, Clone, Default)]
pub struct Scope(Option<String>);

impl Scope {
    pub fn all() -> Scope {
        Scope(None)
    }

    pub fn within(prefix: &str) -> Result<Scope, String> {
        if prefix.is_empty() || prefix.len() > 12 || !prefix.bytes().all(|b| b.is_ascii_digit()) {
            return Err(format!(
                "--within takes 1 to 12 digits of a code, not `{prefix}`"
            ));
        }
        Ok(Scope(Some(prefix.to_owned())))
    }

    pub fn includes(&self, code: &str) -> bool {
        match &self.0 {
            None => true,
            Some(p) => code.starts_with(p.as_str()) || p.starts_with(code),
        }
    }

    pub fn prefix(&self) -> Option<&str> {
        self.0.as_deref()
    }
}

/// Ancestor columns of the layout and the level each one names.
const ANCESTOR_COLUMNS: [(&str, RegionLevel); 4] = [
    ("provinceCode", RegionLevel::Province),
    ("cityCode", RegionLevel::City),
    ("areaCode", RegionLevel::County),
    ("streetCode", RegionLevel::Township),
];

/// Collects rows from all files, then checks the tree they form.
#[derive(Default)]
pub struct Checker {
    records: Vec<Record>,
    /// Where each code was first seen: (file, line).
    seen: HashMap<String, (usize, u64)>,
    /// Where each stored record came from, parallel to `records`.
    origins: Vec<(usize, u64)>,
    files: Vec<String>,
    levels_read: Vec<RegionLevel>,
    errors: Vec<RowError>,
    rows_read: usize,
}

/// What the checker produced.
pub struct Checked {
    /// In-scope records, top level first.
    pub records: Vec<Record>,
    pub errors: Vec<RowError>,
    /// Rows read in all, whatever their scope.
    pub rows_read: usize,
}

impl Checker {
    /// Reads one CSV file of `level`; `on_row` is called for every row read.
    pub fn read(
        &mut self,
        file_name: &str,
        level: RegionLevel,
        text: impl Read,
        mut on_row: impl FnMut(),
    ) {
        let file_idx = self.files.len();
        self.files.push(file_name.to_owned());
        self.levels_read.push(level);
        let mut reader = csv::ReaderBuilder::new()
            .has_headers(true)
            .from_reader(text);
        let headers = match reader.headers() {
            Ok(h) => h.clone(),
            Err(e) => return self.error(file_idx, 1, format!("unreadable header: {e}")),
        };
        let column = |name: &str| headers.iter().position(|h| h.trim() == name);
        let (Some(code_col), Some(name_col)) = (column("code"), column("name")) else {
            return self.error(
                file_idx,
                1,
                "the header needs `code` and `name` columns".into(),
            );
        };
        let ancestors: Vec<(usize, RegionLevel, &str)> = ANCESTOR_COLUMNS
            .iter()
            .filter(|(_, l)| *l < level)
            .filter_map(|(name, l)| column(name).map(|i| (i, *l, *name)))
            .collect();
        if let Some(parent) = level.parent()
            && !ancestors.iter().any(|(_, l, _)| *l == parent)
        {
            let wanted = ANCESTOR_COLUMNS
                .iter()
                .find(|(_, l)| *l == parent)
                .map_or("", |c| c.0);
            return self.error(file_idx, 1, format!("the header needs a `{wanted}` column"));
        }

        let mut row = csv::StringRecord::new();
        loop {
            let line = reader.position().line();
            match reader.read_record(&mut row) {
                Ok(false) => break,
                Ok(true) => {}
                Err(e) => {
                    self.rows_read += 1;
                    let line = e.position().map_or(line, |p| p.line());
                    self.error(file_idx, line, format!("not a valid CSV row: {e}"));
                    // A broken row leaves the reader in an unknown place for I/O errors.
                    if !matches!(
                        e.kind(),
                        csv::ErrorKind::UnequalLengths { .. } | csv::ErrorKind::Utf8 { .. }
                    ) {
                        break;
                    }
                    continue;
                }
            }
            on_row();
            self.rows_read += 1;
            let line = row.position().map_or(line, |p| p.line());
            self.check_row(file_idx, line, level, &row, code_col, name_col, &ancestors);
        }
    }

    #[allow(clippy::too_many_arguments)]
    fn check_row(
        &mut self,
        file_idx: usize,
        line: u64,
        level: RegionLevel,
        row: &csv::StringRecord,
        code_col: usize,
        name_col: usize,
        ancestors: &[(usize, RegionLevel, &str)],
    ) {
        let raw_code = row.get(code_col).unwrap_or("");
        if raw_code.len() != level.code_len() {
            let digits = raw_code.len();
            let wanted = level.code_len();
            return self.error(
                file_idx,
                line,
                format!(
                    "code `{raw_code}` has {digits} characters; a {level} code has {wanted} digits"
                ),
            );
        }
        let code = match RegionCode::parse(raw_code) {
            Ok(c) => c,
            Err(e) => return self.error(file_idx, line, format!("code `{raw_code}`: {e}")),
        };
        let name = row.get(name_col).unwrap_or("").trim();
        if name.is_empty() {
            return self.error(file_idx, line, format!("{code} has an empty name"));
        }
        if name.chars().count() > MAX_NAME_CHARS || name.chars().any(char::is_control) {
            return self.error(file_idx, line, format!("{code} has an implausible name"));
        }
        for (col, ancestor_level, col_name) in ancestors {
            let value = row.get(*col).unwrap_or("");
            let expected = code.truncated(*ancestor_level);
            if expected.as_ref().map(RegionCode::as_str) != Some(value) {
                return self.error(
                    file_idx,
                    line,
                    format!("{col_name} `{value}` does not match the first digits of {code}"),
                );
            }
        }
        if let Some(&(first_file, first_line)) = self.seen.get(code.as_str()) {
            let first = self.files.get(first_file).cloned().unwrap_or_default();
            return self.error(
                file_idx,
                line,
                format!("duplicate code {code}, first at {first}:{first_line}"),
            );
        }
        self.seen.insert(code.as_str().to_owned(), (file_idx, line));
        self.records.push(Record {
            display_name: display_name(name, level),
            name: name.to_owned(),
            parent: code.parent(),
            code,
        });
        self.origins.push((file_idx, line));
    }

    fn error(&mut self, file_idx: usize, line: u64, message: String) {
        let file = self.files.get(file_idx).cloned().unwrap_or_default();
        self.errors.push(RowError {
            file,
            line,
            message,
        });
    }

    /// Checks that every parent is present, then keeps the in-scope records.
    pub fn finish(mut self, scope: &Scope) -> Checked {
        let mut missing = Vec::new();
        for (record, &(file_idx, line)) in self.records.iter().zip(&self.origins) {
            let Some(parent) = &record.parent else {
                continue;
            };
            // A parent is required when its level's file is part of this import;
            // otherwise it is linked if already stored (see storage::regions).
            if self.levels_read.contains(&parent.level())
                && !self.seen.contains_key(parent.as_str())
            {
                let file = self.files.get(file_idx).cloned().unwrap_or_default();
                missing.push(RowError {
                    file,
                    line,
                    message: format!("{} has no parent {} {parent}", record.code, parent.level()),
                });
            }
        }
        self.errors.extend(missing);
        self.errors
            .sort_by(|a, b| (&a.file, a.line).cmp(&(&b.file, b.line)));
        let mut records: Vec<Record> = self
            .records
            .into_iter()
            .filter(|r| scope.includes(r.code.as_str()))
            .collect();
        records.sort_by(|a, b| (a.code.level(), &a.code).cmp(&(b.code.level(), &b.code)));
        Checked {
            records,
            errors: self.errors,
            rows_read: self.rows_read,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(files: &[(&str, RegionLevel, &str)], scope: Scope) -> Checked {
        let mut checker = Checker::default();
        for (name, level, text) in files {
            checker.read(name, *level, text.as_bytes(), || {});
        }
        checker.finish(&scope)
    }

    const STREETS: &str =
        "code,name,areaCode,provinceCode,cityCode\n411503209,\"王岗乡\",411503,41,4115\n";

    #[test]
    fn good_rows_become_records_with_display_names() {
        let checked = check(
            &[
                ("streets.csv", RegionLevel::Township, STREETS),
                (
                    "villages.csv",
                    RegionLevel::Village,
                    "code,name,streetCode,provinceCode,cityCode,areaCode\n411503209202,\"王岗村民委员会\",411503209,41,4115,411503\n",
                ),
            ],
            Scope::all(),
        );
        assert!(checked.errors.is_empty(), "{:?}", checked.errors);
        assert_eq!(checked.records.len(), 2);
        assert_eq!(checked.records[1].display_name, "王岗村");
    }

    #[test]
    fn every_bad_row_is_reported_with_file_and_line() {
        let villages = "code,name,streetCode,provinceCode,cityCode,areaCode\n\
            411503209202,\"王岗村民委员会\",411503209,41,4115,411503\n\
            41150320920,\"短码村\",411503209,41,4115,411503\n\
            411503209203,\"\",411503209,41,4115,411503\n\
            411503209202,\"重复村\",411503209,41,4115,411503\n\
            411503999001,\"无乡村\",411503999,41,4115,411503\n\
            411503209204,\"错乡村\",411503208,41,4115,411503\n\
            411503209205,\"少列村\"\n";
        let checked = check(
            &[
                ("streets.csv", RegionLevel::Township, STREETS),
                ("villages.csv", RegionLevel::Village, villages),
            ],
            Scope::all(),
        );
        let lines: Vec<(u64, &str)> = checked
            .errors
            .iter()
            .map(|e| (e.line, e.message.as_str()))
            .collect();
        assert_eq!(lines.len(), 6, "{lines:?}");
        assert!(lines[0].0 == 3 && lines[0].1.contains("has 11 characters"));
        assert!(lines[1].0 == 4 && lines[1].1.contains("empty name"));
        assert!(lines[2].0 == 5 && lines[2].1.contains("duplicate code"));
        assert!(lines[3].0 == 6 && lines[3].1.contains("no parent township 411503999"));
        assert!(lines[4].0 == 7 && lines[4].1.contains("streetCode"));
        assert!(lines[5].0 == 8 && lines[5].1.contains("not a valid CSV row"));
        assert!(checked.errors.iter().all(|e| e.file == "villages.csv"));
    }

    #[test]
    fn a_scope_keeps_its_rows_and_their_ancestors() {
        let checked = check(
            &[
                (
                    "provinces.csv",
                    RegionLevel::Province,
                    "code,name\n41,\"河南省\"\n42,\"湖北省\"\n",
                ),
                (
                    "cities.csv",
                    RegionLevel::City,
                    "code,name,provinceCode\n4115,\"信阳市\",41\n4201,\"武汉市\",42\n",
                ),
            ],
            Scope::within("4115").unwrap(),
        );
        let codes: Vec<&str> = checked.records.iter().map(|r| r.code.as_str()).collect();
        assert_eq!(codes, ["41", "4115"]);
    }

    #[test]
    fn a_missing_header_column_is_an_error_on_line_one() {
        let checked = check(
            &[(
                "villages.csv",
                RegionLevel::Village,
                "code,name\n411503209202,x\n",
            )],
            Scope::all(),
        );
        assert_eq!(checked.errors.len(), 1);
        assert_eq!(checked.errors[0].line, 1);
        assert!(checked.errors[0].message.contains("streetCode"));
    }

    #[test]
    fn a_bad_scope_is_refused() {
        assert!(Scope::within("41a").is_err());
        assert!(Scope::within("").is_err());
    }
}
