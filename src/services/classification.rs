//! Classifying what is stored: every inbound text and complaint the built-in model has
//! not classified yet, in batches, oldest first. `classify --all` runs it to the end
//! with a progress bar; the worker runs it every `analysis.classify_every_seconds`.
//! Resumable by construction: an item already classified by this model is skipped.

use sqlx::PgPool;

use crate::analysis::{AnalysisError, Classifier};
use crate::storage::classifications::{self, ItemKind};

/// Items classified per batch (one query to find them).
pub const BATCH: i64 = 200;

#[derive(Debug, thiserror::Error)]
pub enum ClassifyError {
    #[error(transparent)]
    Model(#[from] AnalysisError),
    #[error(transparent)]
    Database(#[from] sqlx::Error),
    #[error("the classifier task failed: {0}")]
    Task(String),
}

/// What a run did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Report {
    pub classified: u64,
    pub needs_review: u64,
}

/// How many items the built-in model has still to classify.
pub async fn pending(pool: &PgPool) -> Result<u64, ClassifyError> {
    let model = &Classifier::builtin()?.model_id();
    let mut total = 0;
    for kind in ItemKind::ALL {
        total += classifications::count_pending(pool, kind, model).await?;
    }
    Ok(u64::try_from(total).unwrap_or(0))
}

/// Classifies every item not yet classified by the built-in model; `progress` is told
/// the running count after each batch.
pub async fn classify_pending(
    pool: &PgPool,
    mut progress: impl FnMut(u64),
) -> Result<Report, ClassifyError> {
    let classifier = Classifier::builtin()?;
    let model = classifier.model_id();
    let mut report = Report::default();
    for kind in ItemKind::ALL {
        let mut after = 0;
        loop {
            let batch = classifications::next_pending(pool, kind, &model, after, BATCH).await?;
            let Some(last) = batch.last() else { break };
            after = last.id;
            // Segmenting is CPU work: off the async threads.
            let done = tokio::task::spawn_blocking(move || {
                batch
                    .into_iter()
                    .map(|item| (item.id, classifier.classify(&item.text)))
                    .collect::<Vec<_>>()
            })
            .await
            .map_err(|e| ClassifyError::Task(e.to_string()))?;
            for (id, c) in &done {
                classifications::store(pool, kind, *id, c).await?;
                report.classified += 1;
                report.needs_review += u64::from(c.needs_review);
            }
            progress(report.classified);
        }
    }
    Ok(report)
}
