//! The first sheet of a CSV or `.xlsx` attachment as text, for showing it on the page
//! (`domain::disclosure::file_table`). Unlike an import nothing is checked against a
//! module: every cell is shown as the file holds it, a formula as the value the program
//! that saved it computed (never evaluated here).

use std::io::Cursor;

use calamine::{Data, Reader, Xlsx};

/// The rows of an `.xlsx` file's first sheet, each cell as text.
pub fn xlsx_rows(bytes: &[u8]) -> Result<Vec<Vec<String>>, String> {
    let mut book: Xlsx<_> = calamine::open_workbook_from_rs(Cursor::new(bytes))
        .map_err(|_| "不是有效的 Excel（.xlsx）文件".to_owned())?;
    let name = book
        .sheet_names()
        .first()
        .cloned()
        .ok_or("文件中没有工作表")?;
    let range = book
        .worksheet_range(&name)
        .map_err(|_| "第一个工作表无法读取".to_owned())?;
    Ok(range
        .rows()
        .map(|row| row.iter().map(cell_text).collect())
        .collect())
}

fn cell_text(data: &Data) -> String {
    match data {
        Data::Bool(b) => if *b { "是" } else { "否" }.to_owned(),
        Data::DateTime(d) => match d.as_datetime() {
            Some(t) if t.time() == chrono::NaiveTime::MIN => {
                t.date().format("%Y-%m-%d").to_string()
            }
            Some(t) => t.format("%Y-%m-%d %H:%M").to_string(),
            None => d.to_string(),
        },
        // A formula's cached value; an error value as Excel writes it (#DIV/0!).
        other => other.to_string(),
    }
}

/// The rows of a CSV file (UTF-8 with or without a BOM, or GB18030), each cell as text.
pub fn csv_rows(bytes: &[u8]) -> Result<Vec<Vec<String>>, String> {
    let text = super::decode_csv(bytes)?;
    if text
        .chars()
        .any(|c| c.is_control() && !matches!(c, '\n' | '\r' | '\t'))
    {
        return Err("含有控制字符，不是文本表格".into());
    }
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .from_reader(text.as_bytes());
    reader
        .records()
        .map(|r| {
            r.map(|record| record.iter().map(str::to_owned).collect())
                .map_err(|e| format!("CSV 格式有误：{e}"))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use rust_xlsxwriter::{Formula, Workbook};

    #[test]
    fn a_formula_shows_its_cached_value_and_is_not_evaluated() {
        let mut book = Workbook::new();
        let sheet = book.add_worksheet();
        sheet.write_string(0, 0, "金额").unwrap();
        sheet.write_number(1, 0, 12.5).unwrap();
        // The cached result is what the saving program wrote: 99, not 12.5.
        sheet
            .write_formula(2, 0, Formula::new("=A2").set_result("99"))
            .unwrap();
        let rows = xlsx_rows(&book.save_to_buffer().unwrap()).unwrap();
        assert_eq!(rows, vec![vec!["金额"], vec!["12.5"], vec!["99"]]);
    }

    #[test]
    fn gb18030_csv_is_read_and_binary_is_not() {
        let (gbk, _, _) = encoding_rs::GB18030.encode("姓名,金额\n张*三,300\n");
        let rows = csv_rows(&gbk).unwrap();
        assert_eq!(rows[1], vec!["张*三", "300"]);
        assert!(csv_rows(b"MZ\x90\x00\x03").is_err());
        assert!(xlsx_rows(b"PK\x03\x04 broken").is_err());
    }
}
