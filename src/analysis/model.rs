//! The trained model: a vocabulary of features with their IDF, and for each topic a
//! logistic regression (one-vs-rest) over the TF-IDF vector; plus the decision rule's
//! thresholds. Stored as text (`data/analysis/model.tsv`), committed, embedded in the
//! binary, and reproduced exactly by `sunvillage classify --train`.
//!
//! File format, one record a line, fields separated by a tab (shown as `→`):
//!
//! ```text
//! sunvillage-topic-model → 1
//! param → <name> → <value>            (see `Params`)
//! bias → <b_0> → … → <b_10>           (one per topic, in Topic::ALL order)
//! f → <feature> → <idf> → <topic index>:<weight> …   (features sorted, weights non-zero)
//! ```

use std::collections::HashMap;
use std::fmt::Write as _;

use serde::{Deserialize, Serialize};

use super::features::Shown;
use super::topic::Topic;

const MAGIC: &str = "sunvillage-topic-model";
const VERSION: &str = "1";

/// The model shipped in the binary.
pub const BUILTIN_MODEL: &str = include_str!("../../data/analysis/model.tsv");

/// How a model is trained and how its probabilities become topics.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Params {
    /// L2 penalty of each topic's logistic regression (on the sum of the losses).
    pub l2: f64,
    /// A feature enters the vocabulary when this many training messages have it (or a
    /// seed term of the topic file has it).
    pub min_df: u32,
    /// Loss weight of a topic's positive examples (each topic is a minority).
    pub positive_weight: f64,
    /// Weights smaller than this are dropped from the stored model.
    pub prune: f64,
    /// Below this probability of its best topic a message is 待人工分类.
    pub review_threshold: f64,
    /// A second topic needs at least this probability …
    pub second_threshold: f64,
    /// … and at least this fraction of the best one's.
    pub second_ratio: f64,
}

impl Params {
    /// The names and values, in the order the file stores them.
    fn fields(&self) -> [(&'static str, f64); 7] {
        [
            ("l2", self.l2),
            ("min_df", f64::from(self.min_df)),
            ("positive_weight", self.positive_weight),
            ("prune", self.prune),
            ("review_threshold", self.review_threshold),
            ("second_threshold", self.second_threshold),
            ("second_ratio", self.second_ratio),
        ]
    }

    fn set(&mut self, name: &str, value: f64) -> bool {
        match name {
            "l2" => self.l2 = value,
            "min_df" if value >= 0.0 && value.fract() == 0.0 && value <= f64::from(u32::MAX) => {
                self.min_df = value as u32;
            }
            "positive_weight" => self.positive_weight = value,
            "prune" => self.prune = value,
            "review_threshold" => self.review_threshold = value,
            "second_threshold" => self.second_threshold = value,
            "second_ratio" => self.second_ratio = value,
            _ => return false,
        }
        true
    }
}

#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("model file line {line}: {reason}")]
pub struct ModelError {
    pub line: usize,
    pub reason: String,
}

/// One feature that pushed a message towards a topic: its contribution to the topic's
/// score (TF-IDF value × weight).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Contribution {
    /// The feature as stored (`c2:低包`).
    pub feature: String,
    pub weight: f64,
}

impl std::fmt::Display for Contribution {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} {:+.2}", Shown(&self.feature), self.weight)
    }
}

#[derive(Debug, Clone)]
pub struct Model {
    params: Params,
    bias: [f64; Topic::COUNT],
    features: Vec<String>,
    idf: Vec<f64>,
    /// Per feature, its non-zero weights as (topic index, weight).
    weights: Vec<Vec<(u8, f64)>>,
    /// For lookups only; nothing iterates it.
    index: HashMap<String, usize>,
}

/// A message as the model sees it: (feature index, TF-IDF value), by index.
pub type Vector = Vec<(usize, f64)>;

impl Model {
    pub(crate) fn new(
        params: Params,
        bias: [f64; Topic::COUNT],
        features: Vec<String>,
        idf: Vec<f64>,
        weights: Vec<Vec<(u8, f64)>>,
    ) -> Model {
        let index = features
            .iter()
            .enumerate()
            .map(|(i, f)| (f.clone(), i))
            .collect();
        Model {
            params,
            bias,
            features,
            idf,
            weights,
            index,
        }
    }

    pub fn params(&self) -> &Params {
        &self.params
    }

    pub fn feature_count(&self) -> usize {
        self.features.len()
    }

    /// The TF-IDF vector of feature counts: sublinear term frequency, L2-normalised.
    pub fn vectorize<'a>(&self, counts: impl IntoIterator<Item = (&'a String, &'a u32)>) -> Vector {
        let mut v: Vector = counts
            .into_iter()
            .filter_map(|(f, &n)| {
                let i = *self.index.get(f)?;
                Some((i, (1.0 + f64::from(n).ln()) * self.idf[i]))
            })
            .collect();
        v.sort_by_key(|&(i, _)| i);
        normalize(&mut v);
        v
    }

    /// Each topic's probability, in Topic::ALL order.
    pub fn probabilities(&self, v: &Vector) -> [f64; Topic::COUNT] {
        let mut z = self.bias;
        for &(i, x) in v {
            for &(t, w) in &self.weights[i] {
                z[usize::from(t)] += x * w;
            }
        }
        z.map(sigmoid)
    }

    /// The features that raised `topic`'s score most, largest first.
    pub fn reasons(&self, v: &Vector, topic: Topic, at_most: usize) -> Vec<Contribution> {
        let t = topic.index();
        let mut all: Vec<Contribution> = v
            .iter()
            .filter_map(|&(i, x)| {
                let w = self.weights[i]
                    .iter()
                    .find(|(k, _)| usize::from(*k) == t)?
                    .1;
                (x * w > 0.0).then(|| Contribution {
                    feature: self.features[i].clone(),
                    weight: x * w,
                })
            })
            .collect();
        all.sort_by(|a, b| {
            b.weight
                .total_cmp(&a.weight)
                .then_with(|| a.feature.cmp(&b.feature))
        });
        all.truncate(at_most);
        all
    }

    /// The model as its file stores it.
    pub fn to_text(&self) -> String {
        let mut out = format!("{MAGIC}\t{VERSION}\n");
        for (name, value) in self.params.fields() {
            let _ = writeln!(out, "param\t{name}\t{value}");
        }
        out.push_str("bias");
        for b in self.bias {
            let _ = write!(out, "\t{}", round(b));
        }
        out.push('\n');
        for ((feature, idf), weights) in self.features.iter().zip(&self.idf).zip(&self.weights) {
            let _ = write!(out, "f\t{feature}\t{}\t", round(*idf));
            let cells: Vec<String> = weights
                .iter()
                .map(|(t, w)| format!("{t}:{}", round(*w)))
                .collect();
            out.push_str(&cells.join(" "));
            out.push('\n');
        }
        out
    }

    pub fn parse(text: &str) -> Result<Model, ModelError> {
        let err = |line: usize, reason: &str| ModelError {
            line,
            reason: reason.to_owned(),
        };
        let mut lines = text.lines().enumerate().map(|(i, l)| (i + 1, l));
        match lines.next() {
            Some((_, l)) if l == format!("{MAGIC}\t{VERSION}") => {}
            _ => return Err(err(1, "not a topic model of version 1")),
        }
        let mut params = Params {
            l2: f64::NAN,
            min_df: 0,
            positive_weight: f64::NAN,
            prune: f64::NAN,
            review_threshold: f64::NAN,
            second_threshold: f64::NAN,
            second_ratio: f64::NAN,
        };
        let mut seen_params = 0;
        let mut bias = None;
        let (mut features, mut idf, mut weights) = (Vec::new(), Vec::new(), Vec::new());
        for (n, line) in lines {
            let cells: Vec<&str> = line.split('\t').collect();
            match cells.as_slice() {
                ["param", name, value] => {
                    let value: f64 = value
                        .parse()
                        .map_err(|_| err(n, "a parameter is not a number"))?;
                    if !params.set(name, value) {
                        return Err(err(n, "unknown parameter"));
                    }
                    seen_params += 1;
                }
                ["bias", values @ ..] => {
                    let parsed = parse_floats(values).ok_or_else(|| err(n, "bad bias"))?;
                    bias = Some(
                        <[f64; Topic::COUNT]>::try_from(parsed)
                            .map_err(|_| err(n, "need one bias per topic"))?,
                    );
                }
                ["f", feature, value, cells] => {
                    if features
                        .last()
                        .is_some_and(|last: &String| last.as_str() >= *feature)
                    {
                        return Err(err(n, "features are not sorted or repeat"));
                    }
                    let value: f64 = value.parse().map_err(|_| err(n, "bad idf"))?;
                    let mut ws = Vec::new();
                    for cell in cells.split(' ').filter(|c| !c.is_empty()) {
                        let (t, w) = cell.split_once(':').ok_or_else(|| err(n, "bad weight"))?;
                        let t: u8 = t.parse().map_err(|_| err(n, "bad topic index"))?;
                        let w: f64 = w.parse().map_err(|_| err(n, "bad weight"))?;
                        if usize::from(t) >= Topic::COUNT || !w.is_finite() {
                            return Err(err(n, "bad weight"));
                        }
                        ws.push((t, w));
                    }
                    features.push((*feature).to_owned());
                    idf.push(value);
                    weights.push(ws);
                }
                _ => return Err(err(n, "unknown record")),
            }
        }
        if seen_params != params.fields().len()
            || params.fields().iter().any(|(_, v)| !v.is_finite())
        {
            return Err(err(0, "every parameter must be given once"));
        }
        let bias = bias.ok_or_else(|| err(0, "no bias line"))?;
        Ok(Model::new(params, bias, features, idf, weights))
    }
}

fn parse_floats(values: &[&str]) -> Option<Vec<f64>> {
    values
        .iter()
        .map(|v| v.parse().ok().filter(|x: &f64| x.is_finite()))
        .collect()
}

/// Four decimals: the file stays small and its numbers, once read back, are
/// the numbers the model computes with (training rounds through the same text).
pub(crate) fn round(x: f64) -> f64 {
    let r = (x * 1e4).round() / 1e4;
    if r == 0.0 { 0.0 } else { r }
}

pub(crate) fn sigmoid(z: f64) -> f64 {
    if z >= 0.0 {
        1.0 / (1.0 + (-z).exp())
    } else {
        let e = z.exp();
        e / (1.0 + e)
    }
}

pub(crate) fn normalize(v: &mut Vector) {
    let norm = v.iter().map(|(_, x)| x * x).sum::<f64>().sqrt();
    if norm > 0.0 {
        for (_, x) in v.iter_mut() {
            *x /= norm;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tiny() -> Model {
        let params = Params {
            l2: 1.0,
            min_df: 2,
            positive_weight: 1.0,
            prune: 0.001,
            review_threshold: 0.3,
            second_threshold: 0.4,
            second_ratio: 0.5,
        };
        let mut bias = [-2.0; Topic::COUNT];
        bias[10] = -0.5;
        Model::new(
            params,
            bias,
            vec!["c1:路".to_owned(), "c2:低保".to_owned()],
            vec![1.5, 2.25],
            vec![vec![(0, 3.0)], vec![(3, 4.5), (8, 0.25)]],
        )
    }

    #[test]
    fn a_model_survives_its_text_form() {
        let model = tiny();
        let text = model.to_text();
        let back = Model::parse(&text).unwrap();
        assert_eq!(back.to_text(), text);
        assert_eq!(back.params(), model.params());
    }

    #[test]
    fn damaged_files_are_refused_with_the_line() {
        let text = tiny().to_text();
        let unsorted = text.replace("f\tc1:路", "f\tc3:路");
        assert_eq!(Model::parse(&unsorted).unwrap_err().line, 11);
        assert!(Model::parse("hello").is_err());
        let no_param = text.replace("param\tprune\t0.001\n", "");
        assert!(Model::parse(&no_param).is_err());
    }

    #[test]
    fn reasons_are_the_largest_contributions_of_the_topic() {
        let model = tiny();
        let counts = [
            ("c1:路".to_owned(), 1),
            ("c2:低保".to_owned(), 2),
            ("c2:未知".to_owned(), 5),
        ];
        let v = model.vectorize(counts.iter().map(|(f, n)| (f, n)));
        assert_eq!(v.len(), 2);
        let p = model.probabilities(&v);
        assert!(p[3] > p[0] && p[0] > p[1]);
        let reasons = model.reasons(&v, Topic::SocialSecurity, 3);
        assert_eq!(reasons.len(), 1);
        assert_eq!(reasons[0].feature, "c2:低保");
        assert!(reasons[0].to_string().starts_with("低保(二字) +"));
    }
}
