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

pub mod table;

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
/// rows or none. A receipt column names one of the draft's `files` (name, SHA-256 hex)
/// by its file name.
pub fn import(
    list: &ListDef,
    file_name: &str,
    bytes: &[u8],
    files: &[(String, String)],
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
                let text = match col.kind {
                    Kind::Attachment if !text.trim().is_empty() => files
                        .iter()
                        .find(|(name, _)| name == text.trim())
                        .map(|(_, hash)| hash.clone())
                        .ok_or_else(|| {
                            format!("没有名为“{}”的附件，请先上传这张照片", text.trim())
                        })?,
                    _ => text,
                };
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

/// The blank `.xlsx` a clerk fills in for `list` of the module named `module_name`: its
/// first sheet has the header row the importer reads (the columns' labels, a `*` after
/// the required ones), cell formats and drop-down lists for choices; a second sheet,
/// which the importer does not read, has the rules. Imported back as it is, only the
/// rows a clerk added count.
pub fn template(module_name: &str, list: &ListDef) -> Result<Vec<u8>, rust_xlsxwriter::XlsxError> {
    use rust_xlsxwriter::{DataValidation, Format, FormatAlign, Workbook};
    let mut book = Workbook::new();
    let head = Format::new()
        .set_bold()
        .set_background_color("#E8F3EC")
        .set_align(FormatAlign::Center);
    let text = Format::new().set_num_format("@");
    let date = Format::new().set_num_format("yyyy-mm-dd");
    let amount = Format::new().set_num_format("0.00");
    let wrap = Format::new().set_text_wrap();
    // The rows a drop-down covers: the list's own limit, within Excel's sheet.
    let last_row = u32::try_from(list.max_rows.min(1_000_000)).unwrap_or(1_000_000);
    let sheet = book.add_worksheet();
    sheet.set_name(sheet_name(&list.label))?;
    for (c, col) in list.columns.iter().enumerate() {
        let c = u16::try_from(c).unwrap_or(u16::MAX);
        let label = format!("{}{}", col.label, if col.required { "*" } else { "" });
        sheet.write_string_with_format(0, c, label, &head)?;
        let width = match col.kind {
            Kind::Text | Kind::Textarea => 24,
            Kind::Attachment => 20,
            _ => 14,
        };
        sheet.set_column_width(c, width)?;
        match col.kind {
            Kind::Date => sheet.set_column_format(c, &date)?,
            Kind::Amount => sheet.set_column_format(c, &amount)?,
            Kind::Integer => sheet,
            _ => sheet.set_column_format(c, &text)?,
        };
        if col.kind == Kind::Choice && !col.rules.choices.is_empty() {
            let choices = DataValidation::new()
                .allow_list_strings(&col.rules.choices)?
                .set_error_title("请从列表中选择")?
                .set_error_message(format!("应为以下之一：{}", col.rules.choices.join("、")))?;
            sheet.add_data_validation(1, c, last_row, c, &choices)?;
        }
    }
    sheet.set_freeze_panes(1, 0)?;

    let notes = book.add_worksheet();
    notes.set_name("填写说明")?;
    notes.set_column_width(0, 18)?;
    notes.set_column_width(1, 70)?;
    let general = [
        format!("{module_name}：{}导入模板", list.label),
        format!(
            "在第一个工作表“{}”中从第2行起每行填写一条，第一行的列名不要改动。",
            sheet_name(&list.label)
        ),
        "带 * 的列必须填写；空行会被忽略。".to_owned(),
        format!(
            "至少{}行，最多{}行。整个文件检查通过才会导入，任何一处有误都不会保存。",
            list.min_rows, list.max_rows
        ),
        "请填写数值，不要使用公式（公式请复制后“粘贴为数值”）。".to_owned(),
        "公开内容不得填写身份证号码。".to_owned(),
    ];
    let mut r = 0;
    for line in general {
        notes.write_string_with_format(r, 0, line, &wrap)?;
        r += 1;
    }
    r += 1;
    notes.write_string_with_format(r, 0, "列", &head)?;
    notes.write_string_with_format(r, 1, "填写要求", &head)?;
    for col in &list.columns {
        r += 1;
        notes.write_string(r, 0, &col.label)?;
        notes.write_string_with_format(r, 1, column_rule(col), &wrap)?;
    }
    if !list.totals.is_empty() {
        r += 2;
        let totals: Vec<&str> = list.totals.iter().map(|t| t.label.as_str()).collect();
        notes.write_string_with_format(
            r,
            0,
            format!("{}由系统根据明细自动计算，不用填写。", totals.join("、")),
            &wrap,
        )?;
    }
    book.save_to_buffer()
}

/// A sheet's name within Excel's rules (at most 31 characters, none of `[]:*?/\`).
fn sheet_name(label: &str) -> String {
    label
        .chars()
        .filter(|c| !matches!(c, '[' | ']' | ':' | '*' | '?' | '/' | '\\'))
        .take(31)
        .collect()
}

/// What a column takes, for the notes sheet.
fn column_rule(col: &crate::domain::disclosure::definition::FieldDef) -> String {
    let mut out = vec![if col.required { "必填" } else { "选填" }.to_owned()];
    out.push(match col.kind {
        Kind::Text | Kind::Textarea => "文字".to_owned(),
        Kind::Date => "日期，如 2026-11-28".to_owned(),
        Kind::Amount => "金额，单位元，最多两位小数，如 1234.50".to_owned(),
        Kind::Integer => "整数".to_owned(),
        Kind::Choice => format!("从下拉列表中选择：{}", col.rules.choices.join("、")),
        Kind::Name => "姓名（公开时只显示首尾字，如 张*明）".to_owned(),
        Kind::Attachment => "已上传到草稿的照片的文件名，如 收据1.jpg".to_owned(),
    });
    if let Some(n) = col.rules.max_chars {
        out.push(format!("不超过{n}个字"));
    }
    if let (Some(min), Some(max)) = (col.rules.min, col.rules.max) {
        out.push(format!("{min}至{max}之间"));
    }
    if let Some(h) = &col.hint {
        out.push(h.clone());
    }
    out.join("；")
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
        let rows = import(&items(), "11月.xlsx", &bytes, &[]).unwrap();
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
        let problems = import(&items(), "11月.xlsx", &bytes, &[]).unwrap_err();
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
        let a = import(&items(), "a.csv", &gb, &[]).unwrap();
        let b = import(&items(), "b.csv", &bom, &[]).unwrap();
        assert_eq!(a, b);
        assert_eq!(a[0][2].as_ref().unwrap().to_string(), "鱼塘承包费");
    }

    #[test]
    fn a_missing_column_an_id_number_and_too_many_rows_are_refused_whole() {
        let missing = "日期,收支,摘要,金额（元）\n2026-11-02,收入,承包费,5\n";
        let p = import(&items(), "a.csv", missing.as_bytes(), &[]).unwrap_err();
        assert_eq!(p[0].to_string(), "工作表“a.csv”第1行：缺少列“凭证号”");

        let id = "日期,收支,摘要,金额（元）,凭证号\n2026-11-02,收入,张三 411503198001011234,5,记-1\n2026-11-03,收入,承包费,5,记-2\n";
        let p = import(&items(), "a.csv", id.as_bytes(), &[]).unwrap_err();
        assert_eq!(p.len(), 1);
        assert!(
            p[0].to_string()
                .starts_with("工作表“a.csv”第2行C列（摘要）：含有身份证号码"),
            "{}",
            p[0]
        );

        let formula = "日期,收支,摘要,金额（元）,凭证号\n2026-11-02,收入,承包费,=1+1,记-1\n";
        assert!(import(&items(), "a.csv", formula.as_bytes(), &[]).is_err());

        let mut big = String::from("日期,收支,摘要,金额（元）,凭证号\n");
        for i in 0..10_000 {
            big.push_str(&format!("2026-11-02,收入,承包费,{i}.5,记-{i}\n"));
        }
        assert_eq!(
            import(&items(), "big.csv", big.as_bytes(), &[])
                .unwrap()
                .len(),
            10_000
        );
        big.push_str("2026-11-02,收入,承包费,1,记-x\n");
        let p = import(&items(), "big.csv", big.as_bytes(), &[]).unwrap_err();
        assert!(p[0].message.contains("最多10000行"), "{}", p[0]);
        assert!(import(&items(), "a.xls", b"x", &[]).is_err());
    }
}
