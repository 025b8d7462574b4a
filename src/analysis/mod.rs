//! Topic classification of what the public writes (issue 16): each inbound text and
//! complaint gets one or two of eleven topics (`data/analysis/topics.toml`), a
//! confidence per topic and the features that decided it, or 待人工分类 when the model
//! is not confident enough to guess.
//!
//! - `topic`: the eleven topics and their data file.
//! - `features`: text → features (jieba words with a user dictionary, word pairs,
//!   character 1–3-grams, toneless pinyin pairs).
//! - `model`: the stored model (TF-IDF + one logistic regression per topic) and its file.
//! - `train`: fitting it, deterministically, and cross-validation.
//! - `labelled`: CSV files of labelled messages (`text,topics`).
//! - `eval`: precision, recall, F1, confusion, macro F1.
//!
//! The model is trained from `tests/data/topics-train.csv` by `sunvillage classify
//! --train`, committed as `data/analysis/model.tsv` and embedded in the binary, so a
//! message gets the same topics on every machine; a test retrains and compares.

pub mod cluster;
pub mod eval;
pub mod features;
pub mod labelled;
pub mod model;
pub mod topic;
pub mod train;

use std::collections::BTreeMap;
use std::sync::LazyLock;

use serde::Serialize;

pub use model::{Contribution, Model, ModelError, Params};
pub use topic::{Topic, TopicCatalogue, TopicFileError, TopicInfo};

use features::{BUILTIN_USER_DICT, Featurizer, user_words};

/// The training parameters shipped with the code (`data/analysis/training.toml`).
pub const BUILTIN_TRAINING: &str = include_str!("../../data/analysis/training.toml");

/// What staff see when the model does not decide.
pub const NEEDS_REVIEW: &str = "待人工分类";

/// Reasons kept per chosen topic.
const REASONS: usize = 5;

#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum AnalysisError {
    #[error(transparent)]
    Topics(#[from] TopicFileError),
    #[error(transparent)]
    Model(#[from] ModelError),
    #[error("the training parameters are invalid: {0}")]
    Training(String),
}

/// One topic given to a message.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TopicScore {
    pub topic: Topic,
    /// The topic's probability by its logistic regression, 0 to 1.
    pub confidence: f64,
    /// The features that raised the topic's score most, largest first.
    pub reasons: Vec<Contribution>,
}

/// The outcome for one message, made to be stored and shown as it is.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Classification {
    /// The topics, best first: one or two (其他 only alone); none when `needs_review`.
    pub topics: Vec<TopicScore>,
    /// The best topic's confidence is below the threshold: 待人工分类, a person decides.
    pub needs_review: bool,
    /// The best topic even when `needs_review`, as a hint for that person.
    pub best_guess: TopicScore,
    /// Every topic's probability.
    pub probabilities: BTreeMap<Topic, f64>,
    /// Which model decided (`topics-` and a digest of its file), so stored results can
    /// be found and redone when the model changes.
    pub model: String,
}

impl Classification {
    /// The chosen topics' keys, or 待人工分类.
    pub fn summary(&self) -> String {
        if self.needs_review {
            return NEEDS_REVIEW.to_owned();
        }
        self.topics
            .iter()
            .map(|t| t.topic.key())
            .collect::<Vec<_>>()
            .join("|")
    }
}

/// One line per chosen topic: key, confidence, reasons; or 待人工分类 with the best
/// guess. This is what `sunvillage classify --text` prints.
impl std::fmt::Display for Classification {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let line = |f: &mut std::fmt::Formatter<'_>, t: &TopicScore| -> std::fmt::Result {
            write!(f, "{} {:.2}", t.topic, t.confidence)?;
            let reasons: Vec<String> = t.reasons.iter().map(ToString::to_string).collect();
            if !reasons.is_empty() {
                write!(f, "  {}", reasons.join("，"))?;
            }
            Ok(())
        };
        if self.needs_review {
            write!(f, "{NEEDS_REVIEW}（最可能：")?;
            line(f, &self.best_guess)?;
            return f.write_str("）");
        }
        for (i, t) in self.topics.iter().enumerate() {
            if i > 0 {
                f.write_str("\n")?;
            }
            line(f, t)?;
        }
        Ok(())
    }
}

/// The decision rule: the best topic; the second as well when it is likely enough
/// on its own and next to the best (neither being 其他); nothing when even the best is
/// below the review threshold. Ties go to the earlier topic.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Decision {
    /// Best first; empty when `needs_review`.
    pub topics: Vec<Topic>,
    pub needs_review: bool,
}

pub fn decide(p: &[f64; Topic::COUNT], params: &Params) -> Decision {
    let ranked = ranked(p);
    let (best, second) = (ranked[0], ranked[1]);
    if p[best.index()] < params.review_threshold {
        return Decision {
            topics: Vec::new(),
            needs_review: true,
        };
    }
    let mut topics = vec![best];
    let p2 = p[second.index()];
    if best != Topic::Other
        && second != Topic::Other
        && p2 >= params.second_threshold
        && p2 >= params.second_ratio * p[best.index()]
    {
        topics.push(second);
    }
    Decision {
        topics,
        needs_review: false,
    }
}

fn ranked(p: &[f64; Topic::COUNT]) -> [Topic; Topic::COUNT] {
    let mut ranked = Topic::ALL;
    ranked.sort_by(|a, b| p[b.index()].total_cmp(&p[a.index()]).then(a.cmp(b)));
    ranked
}

/// The topic file, the segmenter and a model: everything a classification needs.
#[derive(Debug)]
pub struct Classifier {
    catalogue: TopicCatalogue,
    featurizer: Featurizer,
    model: Model,
    model_id: String,
}

static BUILTIN: LazyLock<Result<Classifier, AnalysisError>> = LazyLock::new(|| {
    let catalogue = TopicCatalogue::builtin()?;
    let model = Model::parse(model::BUILTIN_MODEL)?;
    Ok(Classifier::new(
        catalogue,
        BUILTIN_USER_DICT,
        model,
        model::BUILTIN_MODEL,
    ))
});

/// Classifies `text` with the built-in topics and model. The first call loads them
/// (a fraction of a second); later calls share them.
pub fn classify(text: &str) -> Result<Classification, AnalysisError> {
    Ok(Classifier::builtin()?.classify(text))
}

impl Classifier {
    /// `model_text` is the model's file, for its identity.
    pub fn new(
        catalogue: TopicCatalogue,
        user_dict: &str,
        model: Model,
        model_text: &str,
    ) -> Classifier {
        let featurizer = segmenter(&catalogue, user_dict);
        Classifier {
            catalogue,
            featurizer,
            model,
            model_id: model_id(model_text),
        }
    }

    /// The built-in topics and model, loaded once.
    pub fn builtin() -> Result<&'static Classifier, AnalysisError> {
        BUILTIN.as_ref().map_err(Clone::clone)
    }

    pub fn catalogue(&self) -> &TopicCatalogue {
        &self.catalogue
    }

    pub fn featurizer(&self) -> &Featurizer {
        &self.featurizer
    }

    pub fn model(&self) -> &Model {
        &self.model
    }

    /// `topics-` and a digest of the model file, as stored beside each classification.
    pub fn model_id(&self) -> String {
        self.model_id.clone()
    }

    /// Every topic's probability for `text`, in Topic::ALL order.
    pub fn probabilities(&self, text: &str) -> [f64; Topic::COUNT] {
        self.model
            .probabilities(&self.model.vectorize(&self.featurizer.features(text)))
    }

    /// Scores the model on labelled messages (`sunvillage classify --eval`).
    pub fn evaluate(&self, set: &[labelled::Labelled]) -> eval::Evaluation {
        let mut e = eval::Evaluation::new();
        for m in set {
            e.add(
                &m.topics,
                &decide(&self.probabilities(&m.text), self.model.params()),
            );
        }
        e
    }

    pub fn classify(&self, text: &str) -> Classification {
        let v = self.model.vectorize(&self.featurizer.features(text));
        let p = self.model.probabilities(&v);
        let decision = decide(&p, self.model.params());
        let score = |topic: Topic| TopicScore {
            topic,
            confidence: p[topic.index()],
            reasons: self.model.reasons(&v, topic, REASONS),
        };
        Classification {
            topics: decision.topics.iter().map(|&t| score(t)).collect(),
            needs_review: decision.needs_review,
            best_guess: score(ranked(&p)[0]),
            probabilities: Topic::ALL.into_iter().map(|t| (t, p[t.index()])).collect(),
            model: self.model_id.clone(),
        }
    }
}

/// The segmenter for a topic file: the user dictionary plus the seed terms.
pub fn segmenter(catalogue: &TopicCatalogue, user_dict: &str) -> Featurizer {
    let seeds = catalogue
        .topics()
        .iter()
        .flat_map(|t| t.seeds.iter().map(|s| (t.topic.key(), s.as_str())));
    Featurizer::new(user_words(user_dict), seeds)
}

/// The training parameters shipped with the code.
pub fn builtin_params() -> Result<Params, AnalysisError> {
    toml::from_str(BUILTIN_TRAINING).map_err(|e| AnalysisError::Training(e.to_string()))
}

/// Trains a model with the built-in topics, user dictionary and parameters; its
/// `to_text()` is what `data/analysis/model.tsv` holds.
pub fn train_builtin(examples: &[labelled::Labelled]) -> Result<Model, AnalysisError> {
    let catalogue = TopicCatalogue::builtin()?;
    let featurizer = segmenter(&catalogue, BUILTIN_USER_DICT);
    Ok(train::train(
        &featurizer,
        &catalogue,
        examples,
        &builtin_params()?,
    ))
}

/// FNV-1a of the model file: stable, short, enough to tell models apart.
fn model_id(text: &str) -> String {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in text.bytes() {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0000_0100_0000_01b3);
    }
    format!("topics-{h:016x}")
}

#[cfg(test)]
mod tests;
