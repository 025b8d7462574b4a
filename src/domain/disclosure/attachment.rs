//! A file a clerk attaches to a draft: a PDF (a scanned resolution, a contract), a
//! JPEG or PNG photo (a receipt), or a table (a CSV or `.xlsx` ledger). Its type is what
//! its bytes are, never its name or the type the browser declared. A photo is decoded
//! and encoded again, so that no EXIF, GPS position or phone model reaches the public
//! (`domain::photo`), and a small copy is made for showing it inside a table. A table's
//! first sheet is read once, here, into what the page shows (`file_table`).

use std::fmt;

use crate::domain::disclosure::file_table::FileTable;
use crate::domain::disclosure::value::contains_id_number;
use crate::domain::photo::Photo;

/// The longer side of a picture's small copy, in pixels.
pub const PREVIEW_SIDE: u32 = 800;
/// No setting may allow more: the database refuses larger files.
pub const MAX_BYTES_CEILING: usize = 5 * 1024 * 1024;
/// No setting may allow more attachments to one draft.
pub const MAX_FILES_CEILING: usize = 200;
const MAX_NAME: usize = 100;

/// What a file is, by its content.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FileKind {
    Pdf,
    Jpeg,
    Png,
    /// Text in UTF-8 or GB18030 that reads as CSV.
    Csv,
    /// A zip holding a workbook's OOXML parts, as calamine reads them.
    Xlsx,
}

/// The media type of an `.xlsx` workbook.
pub const XLSX_TYPE: &str = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";

impl FileKind {
    pub fn media_type(self) -> &'static str {
        match self {
            FileKind::Pdf => "application/pdf",
            FileKind::Jpeg => "image/jpeg",
            FileKind::Png => "image/png",
            FileKind::Csv => "text/csv",
            FileKind::Xlsx => XLSX_TYPE,
        }
    }

    /// The kind by the file's first bytes. Text has no signature: a CSV is whatever is
    /// none of these and then reads as one (see [`DraftFile::parse`]).
    pub fn sniff(bytes: &[u8]) -> Option<FileKind> {
        if bytes.starts_with(b"%PDF-") {
            Some(FileKind::Pdf)
        } else if bytes.starts_with(&[0xFF, 0xD8, 0xFF]) {
            Some(FileKind::Jpeg)
        } else if bytes.starts_with(&[0x89, b'P', b'N', b'G', 0x0D, 0x0A, 0x1A, 0x0A]) {
            Some(FileKind::Png)
        } else if bytes.starts_with(b"PK\x03\x04") {
            Some(FileKind::Xlsx)
        } else {
            None
        }
    }
}

/// Why a file was refused: Chinese sentences, shown to the clerk as they are.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FileError {
    #[error("请选择要上传的文件。")]
    Empty,
    #[error("文件名不能为空，且不能超过100个字、不能含有 / \\ \" 或控制字符。")]
    BadName,
    #[error("文件名含有身份证号码，附件是公开的，请改名后再上传。")]
    IdNumber,
    #[error(
        "“{0}”不是 PDF、JPEG、PNG、CSV 或 Excel（.xlsx）文件（按文件内容判断，与扩展名无关）。"
    )]
    NotAllowed(String),
    #[error("“{name}”无法作为表格读取：{why}。请用 Excel 或 WPS 另存为 .xlsx 或 CSV 后再上传。")]
    BadTable { name: String, why: String },
    #[error("“{0}”的表格中有身份证号码，附件是公开的，请删去后再上传。")]
    IdNumberInTable(String),
    #[error("“{name}”超过{limit}，请压缩后再上传。")]
    TooLarge { name: String, limit: Size },
    #[error("“{0}”无法作为图片读取，请重新拍照或另存后再上传。")]
    BadPicture(String),
}

/// A size in bytes, written for people (5MB, 300KB).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Size(pub usize);

impl fmt::Display for Size {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.0 >= 1024 * 1024 && self.0.is_multiple_of(1024 * 1024) {
            write!(f, "{}MB", self.0 / (1024 * 1024))
        } else {
            write!(f, "{}KB", self.0.div_ceil(1024))
        }
    }
}

/// A file ready to be stored with a draft: only [`DraftFile::parse`] makes one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DraftFile {
    name: String,
    kind: FileKind,
    content: Vec<u8>,
    preview: Option<Vec<u8>>,
    table: Option<FileTable>,
}

/// A file's name as shown: the last part of what the browser sent, trimmed.
fn file_name(raw: &str) -> Result<String, FileError> {
    let name = raw.rsplit(['/', '\\']).next().unwrap_or(raw).trim();
    if name.is_empty()
        || name.chars().count() > MAX_NAME
        || name.contains('"')
        || name.chars().any(char::is_control)
    {
        return Err(FileError::BadName);
    }
    if contains_id_number(name) {
        return Err(FileError::IdNumber);
    }
    Ok(name.to_owned())
}

impl DraftFile {
    /// Checks a file of at most `max_bytes`; a picture is cleaned of its metadata and
    /// gets its small copy. CPU-bound for pictures: run it off the async threads.
    pub fn parse(raw_name: &str, bytes: &[u8], max_bytes: usize) -> Result<DraftFile, FileError> {
        let name = file_name(raw_name)?;
        if bytes.is_empty() {
            return Err(FileError::Empty);
        }
        let limit = max_bytes.min(MAX_BYTES_CEILING);
        let too_large = || FileError::TooLarge {
            name: name.clone(),
            limit: Size(limit),
        };
        if bytes.len() > limit {
            return Err(too_large());
        }
        let kind = match FileKind::sniff(bytes) {
            Some(kind) => kind,
            None if crate::spreadsheet::table::csv_rows(bytes).is_ok() => FileKind::Csv,
            None => return Err(FileError::NotAllowed(name.clone())),
        };
        let table = match kind {
            FileKind::Csv | FileKind::Xlsx => Some(read_table(&name, kind, bytes)?),
            _ => None,
        };
        let (content, preview) = match kind {
            FileKind::Pdf | FileKind::Csv | FileKind::Xlsx => (bytes.to_vec(), None),
            FileKind::Jpeg | FileKind::Png => {
                let bad = |_| FileError::BadPicture(name.clone());
                let clean = Photo::clean(bytes).map_err(bad)?;
                let small = Photo::clean_within(clean.bytes(), PREVIEW_SIDE).map_err(bad)?;
                (clean.bytes().to_vec(), Some(small.bytes().to_vec()))
            }
        };
        if content.len() > limit {
            return Err(too_large());
        }
        Ok(DraftFile {
            name,
            kind,
            content,
            preview,
            table,
        })
    }

    pub fn name(&self) -> &str {
        &self.name
    }
    pub fn kind(&self) -> FileKind {
        self.kind
    }
    pub fn content(&self) -> &[u8] {
        &self.content
    }
    pub fn preview(&self) -> Option<&[u8]> {
        self.preview.as_deref()
    }
    /// What the page shows of a CSV or `.xlsx` file.
    pub fn table(&self) -> Option<&FileTable> {
        self.table.as_ref()
    }
}

/// A table's first sheet, refused whole if it cannot be read or names an ID-card
/// number anywhere (the file is downloadable, not only the rows shown).
fn read_table(name: &str, kind: FileKind, bytes: &[u8]) -> Result<FileTable, FileError> {
    let bad = |why: String| FileError::BadTable {
        name: name.to_owned(),
        why,
    };
    let rows = match kind {
        FileKind::Xlsx => crate::spreadsheet::table::xlsx_rows(bytes),
        _ => crate::spreadsheet::table::csv_rows(bytes),
    }
    .map_err(bad)?;
    if rows.iter().flatten().any(|c| contains_id_number(c)) {
        return Err(FileError::IdNumberInTable(name.to_owned()));
    }
    FileTable::from_rows(rows).ok_or_else(|| bad("表格是空的".into()))
}

/// An attachment as a published version's canonical JSON and log entry name it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileRef {
    pub name: String,
    pub media_type: String,
    pub sha256: [u8; 32],
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::photo::testing::jpeg_with_gps;

    #[test]
    fn the_type_is_read_from_the_bytes_not_the_name() {
        assert_eq!(
            DraftFile::parse("收据.pdf", b"MZ\x90\x00 not a pdf", 1 << 20),
            Err(FileError::NotAllowed("收据.pdf".into()))
        );
        let pdf = DraftFile::parse("决议.jpg", b"%PDF-1.7\n%%EOF\n", 1 << 20).unwrap();
        assert_eq!(pdf.kind(), FileKind::Pdf);
        assert_eq!(pdf.preview(), None);
    }

    #[test]
    fn a_photo_loses_its_metadata_and_gets_a_small_copy() {
        let phone = jpeg_with_gps(1600, 1200);
        let f = DraftFile::parse("C:\\fakepath\\收据1.jpg", &phone, 5 << 20).unwrap();
        assert_eq!(f.name(), "收据1.jpg");
        assert_eq!(f.kind(), FileKind::Jpeg);
        let needle = crate::domain::photo::testing::PHONE_MODEL.as_bytes();
        assert!(!f.content().windows(needle.len()).any(|w| w == needle));
        let small = image::load_from_memory(f.preview().unwrap()).unwrap();
        assert_eq!(small.width().max(small.height()), PREVIEW_SIDE);
    }

    #[test]
    fn a_csv_or_xlsx_becomes_a_table_and_a_broken_one_is_refused() {
        let (gbk, _, _) = encoding_rs::GB18030.encode("户主,人口,金额\n张*三,3,300.00\n");
        let csv = DraftFile::parse("名单.csv", &gbk, 1 << 20).unwrap();
        assert_eq!(csv.kind(), FileKind::Csv);
        assert_eq!(csv.table().unwrap().rows()[0], ["张*三", "3", "300.00"]);
        let e = DraftFile::parse("台账.xlsx", b"PK\x03\x04 not a workbook", 1 << 20).unwrap_err();
        assert!(matches!(e, FileError::BadTable { .. }), "{e}");
        assert!(
            e.to_string().starts_with("“台账.xlsx”无法作为表格读取"),
            "{e}"
        );
        assert_eq!(
            DraftFile::parse(
                "名单.csv",
                "姓名,身份证\n张三,411503198001011234\n".as_bytes(),
                1 << 20
            ),
            Err(FileError::IdNumberInTable("名单.csv".into()))
        );
    }

    #[test]
    fn sizes_names_and_empty_files_are_refused_in_chinese() {
        let big = [b"%PDF-".as_slice(), &[b' '; 2048]].concat();
        let e = DraftFile::parse("合同.pdf", &big, 1024).unwrap_err();
        assert_eq!(e.to_string(), "“合同.pdf”超过1KB，请压缩后再上传。");
        assert_eq!(DraftFile::parse("a.pdf", b"", 1024), Err(FileError::Empty));
        assert_eq!(
            DraftFile::parse("  ", b"%PDF-", 1024),
            Err(FileError::BadName)
        );
        assert_eq!(
            DraftFile::parse("411503198001011234.pdf", b"%PDF-", 1024),
            Err(FileError::IdNumber)
        );
        assert_eq!(Size(5 * 1024 * 1024).to_string(), "5MB");
    }
}
