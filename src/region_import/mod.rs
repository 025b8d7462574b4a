//! Importing division codes: read and check every row of the given files, then load
//! the in-scope rows in one transaction, or nothing at all when any row is bad.

pub mod rows;
pub mod source;

use std::fmt;
use std::time::{Duration, Instant};

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use sqlx::PgPool;

use crate::domain::RegionLevel;
use crate::storage::regions::{self, UpsertCounts};
pub use rows::{RowError, Scope};
pub use source::{SourceFile, builtin_xinyang, open_dir};

/// Rows sent to Postgres per COPY chunk.
const COPY_CHUNK_ROWS: usize = 20_000;

#[derive(Debug, thiserror::Error)]
pub enum ImportError {
    #[error("{} bad row(s); nothing was imported", .0.len())]
    BadRows(Vec<RowError>),
    #[error("nothing to import: no row is within {0}")]
    NothingInScope(String),
    #[error(transparent)]
    Source(#[from] source::SourceError),
    #[error("database: {0}")]
    Database(#[from] sqlx::Error),
    #[error("reading the files stopped: {0}")]
    Reader(String),
}

/// What an import did.
#[derive(Debug, Clone)]
pub struct ImportReport {
    pub rows_read: usize,
    /// In-scope rows per level.
    pub by_level: Vec<(RegionLevel, usize)>,
    pub inserted: u64,
    pub updated: u64,
    pub unchanged: u64,
    pub elapsed: Duration,
}

impl fmt::Display for ImportReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let levels: Vec<String> = self
            .by_level
            .iter()
            .map(|(level, n)| format!("{n} {level}"))
            .collect();
        write!(
            f,
            "read {} rows; imported {} ({}): {} new, {} changed, {} unchanged, in {:.1} s",
            self.rows_read,
            self.by_level.iter().map(|(_, n)| n).sum::<usize>(),
            levels.join(", "),
            self.inserted,
            self.updated,
            self.unchanged,
            self.elapsed.as_secs_f64()
        )
    }
}

fn bar(show: bool, len: u64, message: &'static str, bytes: bool) -> ProgressBar {
    let target = if show {
        ProgressDrawTarget::stderr()
    } else {
        ProgressDrawTarget::hidden()
    };
    let template = if bytes {
        "{msg:>10} [{bar:40}] {bytes}/{total_bytes} {elapsed}"
    } else {
        "{msg:>10} [{bar:40}] {pos}/{len} {elapsed}"
    };
    let pb = ProgressBar::with_draw_target(Some(len), target);
    if let Ok(style) = ProgressStyle::with_template(template) {
        pb.set_style(style.progress_chars("=> "));
    }
    pb.set_message(message);
    pb
}

/// Reads, checks and stores. `progress` draws bars on a terminal.
pub async fn import(
    pool: &PgPool,
    files: Vec<SourceFile>,
    scope: &Scope,
    progress: bool,
) -> Result<ImportReport, ImportError> {
    let started = Instant::now();
    let total_bytes: u64 = files.iter().map(|f| f.size).sum();
    let reading = bar(progress, total_bytes, "reading", true);

    // Parsing is CPU-bound; keep it off the async workers.
    let scope_for_check = scope.clone();
    let reading_bar = reading.clone();
    let checked = tokio::task::spawn_blocking(move || {
        let mut checker = rows::Checker::default();
        for file in files {
            let name = file.name.clone();
            let level = file.level;
            let pb = reading_bar.clone();
            let text = file.into_text_reader(|raw| Box::new(pb.wrap_read(raw)));
            checker.read(&name, level, text, || {});
        }
        checker.finish(&scope_for_check)
    })
    .await
    .map_err(|e| ImportError::Reader(e.to_string()))?;
    reading.finish_and_clear();

    if !checked.errors.is_empty() {
        return Err(ImportError::BadRows(checked.errors));
    }
    if checked.records.is_empty() {
        return Err(ImportError::NothingInScope(
            scope.prefix().unwrap_or("the files").to_owned(),
        ));
    }
    let by_level: Vec<(RegionLevel, usize)> = RegionLevel::ALL
        .into_iter()
        .map(|level| {
            (
                level,
                checked
                    .records
                    .iter()
                    .filter(|r| r.code.level() == level)
                    .count(),
            )
        })
        .filter(|(_, n)| *n > 0)
        .collect();
    let total = checked.records.len();

    let writing = bar(progress, total as u64, "writing", false);
    let chunks = csv_chunks(&checked.records)?;
    let mut tx = pool.begin().await?;
    regions::begin_staging(&mut tx).await?;
    let mut sent_rows = 0usize;
    regions::copy_into_staging(&mut tx, chunks, |_| {
        sent_rows = (sent_rows + COPY_CHUNK_ROWS).min(total);
        writing.set_position(sent_rows as u64);
    })
    .await?;
    writing.set_message("merging");
    let UpsertCounts { inserted, updated } = regions::merge_staging(&mut tx).await?;
    tx.commit().await?;
    writing.finish_and_clear();

    Ok(ImportReport {
        rows_read: checked.rows_read,
        by_level,
        inserted,
        updated,
        unchanged: (total as u64).saturating_sub(inserted + updated),
        elapsed: started.elapsed(),
    })
}

/// The records as CSV (code, name, display_name, parent_code), in COPY-sized chunks.
fn csv_chunks(records: &[rows::Record]) -> Result<Vec<Vec<u8>>, ImportError> {
    records
        .chunks(COPY_CHUNK_ROWS)
        .map(|chunk| {
            let mut writer = csv::Writer::from_writer(Vec::with_capacity(chunk.len() * 64));
            for r in chunk {
                let parent = r.parent.as_ref().map_or("", |p| p.as_str());
                writer
                    .write_record([r.code.as_str(), &r.name, &r.display_name, parent])
                    .map_err(|e| ImportError::Reader(e.to_string()))?;
            }
            writer
                .into_inner()
                .map_err(|e| ImportError::Reader(e.to_string()))
        })
        .collect()
}

/// Loads the built-in 信阳市 divisions when the table is empty; true when it did.
pub async fn import_builtin_if_empty(pool: &PgPool) -> Result<bool, ImportError> {
    if !regions::is_empty(pool).await? {
        return Ok(false);
    }
    let report = import(pool, builtin_xinyang(), &Scope::all(), false).await?;
    tracing::info!(%report, "imported the built-in 信阳市 divisions");
    Ok(true)
}
