//! Where division data comes from: a directory in the five-file layout of the
//! `china-division` package (provinces, cities, areas, streets, villages; `.csv` or
//! `.csv.gz`), or the 信阳市 files built into the binary.

use std::fs::File;
use std::io::{BufReader, Read};
use std::path::Path;

use flate2::read::GzDecoder;

use crate::domain::RegionLevel;

/// One file of division data, ready to be read.
pub struct SourceFile {
    pub level: RegionLevel,
    /// Shown in error messages (`villages.csv.gz:1234: …`).
    pub name: String,
    /// Size of `raw` in bytes, for the progress bar.
    pub size: u64,
    /// The bytes as stored (gzip-compressed when `gzip`).
    pub raw: Box<dyn Read + Send>,
    pub gzip: bool,
}

impl SourceFile {
    /// The CSV text, with `wrap` applied to the stored bytes (to count them).
    pub fn into_text_reader(
        self,
        wrap: impl FnOnce(Box<dyn Read + Send>) -> Box<dyn Read + Send>,
    ) -> Box<dyn Read + Send> {
        let raw = wrap(self.raw);
        if self.gzip {
            Box::new(GzDecoder::new(raw))
        } else {
            raw
        }
    }
}

/// The file stem that holds each level in the five-file layout.
pub fn stem(level: RegionLevel) -> &'static str {
    match level {
        RegionLevel::Province => "provinces",
        RegionLevel::City => "cities",
        RegionLevel::County => "areas",
        RegionLevel::Township => "streets",
        RegionLevel::Village => "villages",
    }
}

/// The 信阳市 files shipped in `data/regions/xinyang/` (2023 统计用区划代码).
pub fn builtin_xinyang() -> Vec<SourceFile> {
    const FILES: [(RegionLevel, &str, &[u8]); 4] = [
        (
            RegionLevel::City,
            "cities.csv",
            include_bytes!("../../data/regions/xinyang/cities.csv"),
        ),
        (
            RegionLevel::County,
            "areas.csv",
            include_bytes!("../../data/regions/xinyang/areas.csv"),
        ),
        (
            RegionLevel::Township,
            "streets.csv",
            include_bytes!("../../data/regions/xinyang/streets.csv"),
        ),
        (
            RegionLevel::Village,
            "villages.csv",
            include_bytes!("../../data/regions/xinyang/villages.csv"),
        ),
    ];
    FILES
        .into_iter()
        .map(|(level, name, bytes)| SourceFile {
            level,
            name: format!("built-in {name}"),
            size: bytes.len() as u64,
            raw: Box::new(bytes),
            gzip: false,
        })
        .collect()
}

#[derive(Debug, thiserror::Error)]
pub enum SourceError {
    #[error("{0} is not a directory")]
    NotADirectory(String),
    #[error("{dir} has both {stem}.csv and {stem}.csv.gz; keep one")]
    Ambiguous { dir: String, stem: &'static str },
    #[error("{0} has none of provinces, cities, areas, streets, villages (.csv or .csv.gz)")]
    Empty(String),
    #[error("cannot open {path}: {source}")]
    Open {
        path: String,
        source: std::io::Error,
    },
}

/// Opens whichever of the five files the directory holds, top level first.
pub fn open_dir(dir: &Path) -> Result<Vec<SourceFile>, SourceError> {
    let shown = dir.display().to_string();
    if !dir.is_dir() {
        return Err(SourceError::NotADirectory(shown));
    }
    let mut files = Vec::new();
    for level in RegionLevel::ALL {
        let stem = stem(level);
        let plain = dir.join(format!("{stem}.csv"));
        let gz = dir.join(format!("{stem}.csv.gz"));
        let path = match (plain.is_file(), gz.is_file()) {
            (true, true) => return Err(SourceError::Ambiguous { dir: shown, stem }),
            (true, false) => plain,
            (false, true) => gz,
            (false, false) => continue,
        };
        let open_err = |source| SourceError::Open {
            path: path.display().to_string(),
            source,
        };
        let file = File::open(&path).map_err(open_err)?;
        let size = file.metadata().map_err(open_err)?.len();
        let name = path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let gzip = name.ends_with(".gz");
        files.push(SourceFile {
            level,
            name,
            size,
            raw: Box::new(BufReader::new(file)),
            gzip,
        });
    }
    if files.is_empty() {
        return Err(SourceError::Empty(shown));
    }
    Ok(files)
}
