//! Importing a list's rows (a finance statement's line items, a recipient list) from
//! what clerks keep their accounts in: `.xlsx` (Excel, WPS) through calamine, and CSV in
//! UTF-8 (with or without a BOM) or GB18030. The first row names the columns (by their
//! labels in `data/modules/*.toml`); every cell is checked like a typed one; a formula is
//! refused (its value is whatever the last program computed), as is an ID-card number.
//! All or nothing: every problem is reported with its sheet, row and column in Chinese,
//! and no row is returned unless all are good.

use std::io::Cursor;

use calamine::{Data, Reader, Xlsx};

use crate::domain::disclosure::definition::ListDef;
use crate::domain::disclosure::value::{self, Kind, Value};

/// Largest file read.
pub const MAX_BYTES: usize = 10 * 1024 * 1024;

/// One cell as read.
#[derive(Debug, Clone, PartialEq)]
enum Cell {
    Text(String),
    /// A number as the sheet stores it.
    Number(f64),
    Date(chrono::NaiveDate),
    Formula,
    Empty,
}

/// A sheet: its name and rows (the first is the header).
struct Sheet {
    name: String,
    rows: Vec<Vec<Cell>>,
}

/// A problem, located.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImportProblem {
    pub sheet: String,
    /// The spreadsheet's row number (1 = the header); `None` for the file as a whole.
    pub row: Option<usize>,
    /// Column letter and header, e.g. `D列（金额（元））`.
    pub column: Option<String>,
    pub message: String,
}

impl std::fmt::Display for ImportProblem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "工作表“{}”", self.sheet)?;
        if let Some(r) = self.row {
            write!(f, "第{r}行")?;
        }
        if let Some(c) = &self.column {
            write!(f, "{c}")?;
        }
        write!(f, "：{}", self.message)
    }
}

fn whole(sheet: &str, message: impl Into<String>) -> Vec<ImportProblem> {
    vec![ImportProblem {
        sheet: sheet.to_owned(),
        row: None,
        column: None,
        message: message.into(),
    }]
}

/// `A`, `B`, … `Z`, `AA` for a 0-based column.
fn letter(mut i: usize) -> String {
    let mut out = Vec::new();
    loop {
        out.push(char::from(b'A' + u8::try_from(i % 26).unwrap_or(0)));
        if i < 26 {
            break;
        }
        i = i / 26 - 1;
    }
    out.iter().rev().collect()
}

fn read_xlsx(bytes: &[u8]) -> Result<Sheet, String> {
    let mut book: Xlsx<_> =
        calamine::open_workbook_from_rs(Cursor::new(bytes)).map_err(|_| "不是有效的 .xlsx 文件")?;
    let name = book
        .sheet_names()
        .first()
        .cloned()
        .ok_or("文件中没有工作表")?;
    let range = book
        .worksheet_range(&name)
        .map_err(|_| "工作表无法读取".to_owned())?;
    let formulas = book.worksheet_formula(&name).ok();
    let (r0, c0) = range.start().unwrap_or((0, 0));
    let mut rows = Vec::new();
    for (r, row) in range.rows().enumerate() {
        let mut cells = Vec::new();
        for (c, data) in row.iter().enumerate() {
            let at = (r0 + r as u32, c0 + c as u32);
            let formula = formulas
                .as_ref()
                .and_then(|f| f.get_value(at))
                .is_some_and(|f| !f.is_empty());
            cells.push(if formula {
                Cell::Formula
            } else {
                match data {
                    Data::Empty => Cell::Empty,
                    Data::String(s) | Data::DateTimeIso(s) | Data::DurationIso(s) => {
                        Cell::Text(s.clone())
                    }
                    Data::Int(n) => Cell::Text(n.to_string()),
                    Data::Float(f) => Cell::Number(*f),
                    Data::Bool(b) => Cell::Text(if *b { "是" } else { "否" }.into()),
                    Data::DateTime(d) => d
                        .as_datetime()
                        .map_or(Cell::Empty, |t| Cell::Date(t.date())),
                    Data::Error(_) => Cell::Formula,
                }
            });
        }
        // Leading empty rows and columns are part of the sheet's coordinates.
        rows.push((r0 as usize + r, c0 as usize, cells));
    }
    // Keep spreadsheet row numbers: pad to the real start.
    let mut out: Vec<Vec<Cell>> = Vec::new();
    for (r, c0, cells) in rows {
        while out.len() < r {
            out.push(Vec::new());
        }
        let mut padded = vec![Cell::Empty; c0];
        padded.extend(cells);
        out.push(padded);
    }
    Ok(Sheet { name, rows: out })
}

/// CSV text: UTF-8 (a BOM is dropped), else GB18030 (what Chinese Excel writes).
fn decode_csv(bytes: &[u8]) -> Result<String, String> {
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    if let Ok(s) = std::str::from_utf8(bytes) {
        return Ok(s.to_owned());
    }
    encoding_rs::GB18030
        .decode_without_bom_handling_and_without_replacement(bytes)
        .map(|s| s.into_owned())
        .ok_or_else(|| "文件编码无法识别，请另存为 UTF-8 或 GB18030 编码的 CSV".into())
}

fn read_csv(name: &str, bytes: &[u8]) -> Result<Sheet, String> {
    let text = decode_csv(bytes)?;
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .from_reader(text.as_bytes());
    let mut rows = Vec::new();
    for record in reader.records() {
        let record = record.map_err(|e| format!("CSV 格式有误：{e}"))?;
        rows.push(
            record
                .iter()
                .map(|s| {
                    // A leading = is a formula to Excel (and a way to smuggle one in).
                    if s.trim_start().starts_with('=') {
                        Cell::Formula
                    } else if s.trim().is_empty() {
                        Cell::Empty
                    } else {
                        Cell::Text(s.to_owned())
                    }
                })
                .collect(),
        );
    }
    Ok(Sheet {
        name: name.to_owned(),
        rows,
    })
}

/// The text a cell gives a column of `kind`.
fn cell_text(cell: &Cell, kind: Kind) -> Result<String, String> {
    match cell {
        Cell::Empty => Ok(String::new()),
        Cell::Text(s) => Ok(s.clone()),
        Cell::Formula => Err("是公式或错误值，请复制后“粘贴为数值”再导入".into()),
        Cell::Date(d) => Ok(d.format("%Y-%m-%d").to_string()),
        // The shortest text that reads back as the same number: 3456.7, not
        // 3456.69999…; an amount with a third decimal is then refused as typed.
        Cell::Number(f) if kind == Kind::Date => Err(format!("“{f}”不是日期")),
        Cell::Number(f) => Ok(format!("{f}")),
    }
}

/// Reads `file_name` (`.xlsx` or `.csv`) into rows for `list`: every cell checked, all
/// rows or none.
pub fn import(
    list: &ListDef,
    file_name: &str,
    bytes: &[u8],
) -> Result<Vec<Vec<Option<Value>>>, Vec<ImportProblem>> {
    let shown_name = file_name.rsplit(['/', '\\']).next().unwrap_or(file_name);
    if bytes.len() > MAX_BYTES {
        return Err(whole(shown_name, "文件超过10MB"));
    }
    let lower = file_name.to_lowercase();
    let sheet = if lower.ends_with(".xlsx") {
        read_xlsx(bytes)
    } else if lower.ends_with(".csv") {
        read_csv(shown_name, bytes)
    } else {
        Err("只能导入 .xlsx 或 .csv 文件（.xls 请先另存为 .xlsx）".into())
    }
    .map_err(|m| whole(shown_name, m))?;
    let sheet_name = sheet.name.clone();
    let Some(header_at) = sheet
        .rows
        .iter()
        .position(|r| r.iter().any(|c| *c != Cell::Empty))
    else {
        return Err(whole(&sheet_name, "表格是空的"));
    };
    let header: Vec<String> = sheet.rows[header_at]
        .iter()
        .map(|c| match c {
            Cell::Text(s) => s.trim().to_owned(),
            _ => String::new(),
        })
        .collect();
    let mut problems = Vec::new();
    // Which spreadsheet column holds each of the list's columns.
    let mut at = Vec::new();
    for col in &list.columns {
        let found = header
            .iter()
            .position(|h| *h == col.label || h.trim_end_matches('*') == col.label);
        if found.is_none() && col.required {
            problems.push(ImportProblem {
                sheet: sheet_name.clone(),
                row: Some(header_at + 1),
                column: None,
                message: format!("缺少列“{}”", col.label),
            });
        }
        at.push(found);
    }
    if !problems.is_empty() {
        return Err(problems);
    }
    let data = &sheet.rows[header_at + 1..];
    let filled = data
        .iter()
        .filter(|r| r.iter().any(|c| *c != Cell::Empty))
        .count();
    if filled > list.max_rows {
        return Err(whole(
            &sheet_name,
            format!("最多{}行，文件有{filled}行", list.max_rows),
        ));
    }
    let mut out = Vec::new();
    for (i, row) in data.iter().enumerate() {
        if row.iter().all(|c| *c == Cell::Empty) {
            continue;
        }
        let row_no = header_at + 2 + i;
        let mut cells = Vec::with_capacity(list.columns.len());
        for (col, index) in list.columns.iter().zip(&at) {
            let place = |message: String| ImportProblem {
                sheet: sheet_name.clone(),
                row: Some(row_no),
                column: index.map(|x| format!("{}列（{}）", letter(x), col.label)),
                message,
            };
            let cell = index.and_then(|x| row.get(x)).unwrap_or(&Cell::Empty);
            let parsed = cell_text(cell, col.kind).and_then(|text| {
                let v = value::parse(col.kind, &col.rules, &text)?;
                if v.is_none() && col.required {
                    return Err("必须填写".into());
                }
                Ok(v)
            });
            match parsed {
                Ok(v) => cells.push(v),
                Err(m) => {
                    problems.push(place(m));
                    cells.push(None);
                }
            }
        }
        out.push(cells);
    }
    if out.len() < list.min_rows {
        problems.push(ImportProblem {
            sheet: sheet_name.clone(),
            row: None,
            column: None,
            message: format!("至少需要{}行数据", list.min_rows),
        });
    }
    if problems.is_empty() {
        Ok(out)
    } else {
        Err(problems)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::Module;
    use crate::domain::disclosure::definition::ModuleDefinitions;
    use rust_xlsxwriter::{Formula, Workbook};

    fn items() -> ListDef {
        ModuleDefinitions::builtin()
            .unwrap()
            .get(Module::Assets)
            .list("items")
            .unwrap()
            .clone()
    }

    const HEADER: [&str; 5] = ["日期", "收支", "摘要", "金额（元）", "凭证号"];

    fn xlsx(rows: &[[&str; 5]], formula_at: Option<(u32, u16)>) -> Vec<u8> {
        let mut book = Workbook::new();
        let sheet = book.add_worksheet();
        sheet.set_name("收支明细").unwrap();
        for (c, h) in HEADER.iter().enumerate() {
            sheet.write_string(0, c as u16, *h).unwrap();
        }
        for (r, row) in rows.iter().enumerate() {
            for (c, v) in row.iter().enumerate() {
                let (r, c) = (r as u32 + 1, c as u16);
                if c == 3 {
                    // Amounts as numbers, as Excel keeps them.
                    sheet.write_number(r, c, v.parse::<f64>().unwrap()).unwrap();
                } else {
                    sheet.write_string(r, c, *v).unwrap();
                }
            }
        }
        if let Some((r, c)) = formula_at {
            sheet
                .write_formula(r, c, Formula::new("=SUM(D2:D3)"))
                .unwrap();
        }
        book.save_to_buffer().unwrap()
    }

    #[test]
    fn an_xlsx_with_line_items_is_read() {
        let bytes = xlsx(
            &[
                ["2026-11-02", "收入", "鱼塘承包费", "12000", "记-001"],
                ["2026-11-05", "支出", "道路维修", "3456.7", "记-002"],
            ],
            None,
        );
        let rows = import(&items(), "11月.xlsx", &bytes).unwrap();
        assert_eq!(rows.len(), 2);
        assert_eq!(rows[1][3].as_ref().unwrap().to_string(), "3456.70");
    }

    #[test]
    fn a_formula_cell_and_a_bad_amount_are_refused_with_their_place() {
        let bytes = xlsx(
            &[
                ["2026-11-02", "收入", "鱼塘承包费", "12000.123", "记-001"],
                ["2026-11-05", "支出", "道路维修", "3456.7", "记-002"],
            ],
            Some((2, 3)),
        );
        let problems = import(&items(), "11月.xlsx", &bytes).unwrap_err();
        let shown: Vec<String> = problems.iter().map(ToString::to_string).collect();
        assert!(
            shown.contains(
                &"工作表“收支明细”第2行D列（金额（元））：金额“12000.123”超过两位小数（分）"
                    .to_owned()
            ),
            "{shown:?}"
        );
        assert!(
            shown
                .iter()
                .any(|s| s.starts_with("工作表“收支明细”第3行D列（金额（元））：是公式")),
            "{shown:?}"
        );
    }

    #[test]
    fn csv_in_gb18030_and_in_utf8_with_a_bom_read_the_same() {
        let text = "日期,收支,摘要,金额（元）,凭证号\r\n2026-11-02,收入,鱼塘承包费,\"12,000.00\",记-001\r\n";
        let (gb, _, bad) = encoding_rs::GB18030.encode(text);
        assert!(!bad);
        assert!(std::str::from_utf8(&gb).is_err(), "real GB18030 bytes");
        let mut bom = b"\xEF\xBB\xBF".to_vec();
        bom.extend_from_slice(text.as_bytes());
        let a = import(&items(), "a.csv", &gb).unwrap();
        let b = import(&items(), "b.csv", &bom).unwrap();
        assert_eq!(a, b);
        assert_eq!(a[0][2].as_ref().unwrap().to_string(), "鱼塘承包费");
    }

    #[test]
    fn a_missing_column_an_id_number_and_too_many_rows_are_refused_whole() {
        let missing = "日期,收支,摘要,金额（元）\n2026-11-02,收入,承包费,5\n";
        let p = import(&items(), "a.csv", missing.as_bytes()).unwrap_err();
        assert_eq!(p[0].to_string(), "工作表“a.csv”第1行：缺少列“凭证号”");

        let id = "日期,收支,摘要,金额（元）,凭证号\n2026-11-02,收入,张三 411503198001011234,5,记-1\n2026-11-03,收入,承包费,5,记-2\n";
        let p = import(&items(), "a.csv", id.as_bytes()).unwrap_err();
        assert_eq!(p.len(), 1);
        assert!(
            p[0].to_string()
                .starts_with("工作表“a.csv”第2行C列（摘要）：含有身份证号码"),
            "{}",
            p[0]
        );

        let formula = "日期,收支,摘要,金额（元）,凭证号\n2026-11-02,收入,承包费,=1+1,记-1\n";
        assert!(import(&items(), "a.csv", formula.as_bytes()).is_err());

        let mut big = String::from("日期,收支,摘要,金额（元）,凭证号\n");
        for i in 0..10_000 {
            big.push_str(&format!("2026-11-02,收入,承包费,{i}.5,记-{i}\n"));
        }
        assert_eq!(
            import(&items(), "big.csv", big.as_bytes()).unwrap().len(),
            10_000
        );
        big.push_str("2026-11-02,收入,承包费,1,记-x\n");
        let p = import(&items(), "big.csv", big.as_bytes()).unwrap_err();
        assert!(p[0].message.contains("最多10000行"), "{}", p[0]);
        assert!(import(&items(), "a.xls", b"x").is_err());
    }
}
