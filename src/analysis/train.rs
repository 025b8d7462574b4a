//! Training: TF-IDF over the labelled messages (and the topic file's seed terms), then
//! one L2-regularised logistic regression per topic, fitted with L-BFGS.
//!
//! Written here rather than taken from a crate: the data are sparse (a few hundred
//! non-zero features of tens of thousands per message) and multi-label, which the
//! dense ndarray-based crates handle poorly, and the fit must give the same bits on
//! every machine so the committed model can be checked against a fresh training. The
//! loss is convex, so L-BFGS from zero reaches the one optimum without any randomness.

use std::collections::{BTreeMap, VecDeque};

use super::features::Featurizer;
use super::labelled::Labelled;
use super::model::{Model, Params, Vector, round, sigmoid};
use super::topic::{Topic, TopicCatalogue};

/// A message ready for training: its feature counts and topics.
struct Doc {
    counts: BTreeMap<String, u32>,
    topics: [bool; Topic::COUNT],
    seed: bool,
}

fn docs(featurizer: &Featurizer, catalogue: &TopicCatalogue, examples: &[Labelled]) -> Vec<Doc> {
    let mut docs: Vec<Doc> = examples
        .iter()
        .map(|e| {
            let mut topics = [false; Topic::COUNT];
            for t in &e.topics {
                topics[t.index()] = true;
            }
            Doc {
                counts: featurizer.features(&e.text),
                topics,
                seed: false,
            }
        })
        .collect();
    for info in catalogue.topics() {
        for seed in &info.seeds {
            let mut topics = [false; Topic::COUNT];
            topics[info.topic.index()] = true;
            docs.push(Doc {
                counts: featurizer.features(seed),
                topics,
                seed: true,
            });
        }
    }
    docs
}

/// Trains a model on `examples` (plus the seed terms of `catalogue`). The model comes
/// back through its text form, so it is exactly what `to_text` stores.
pub fn train(
    featurizer: &Featurizer,
    catalogue: &TopicCatalogue,
    examples: &[Labelled],
    params: &Params,
) -> Model {
    let all = docs(featurizer, catalogue, examples);
    fit(&all.iter().collect::<Vec<_>>(), params)
}

fn fit(docs: &[&Doc], params: &Params) -> Model {
    // Document frequencies: (messages, all documents, in a seed term).
    let mut df: BTreeMap<&str, (u32, u32, bool)> = BTreeMap::new();
    for doc in docs {
        for feature in doc.counts.keys() {
            let e = df.entry(feature.as_str()).or_insert((0, 0, false));
            e.1 += 1;
            if doc.seed {
                e.2 = true;
            } else {
                e.0 += 1;
            }
        }
    }
    let n = docs.len() as f64;
    let (features, idf): (Vec<String>, Vec<f64>) = df
        .iter()
        .filter(|(_, (messages, _, in_seed))| *messages >= params.min_df || *in_seed)
        .map(|(f, (_, all, _))| {
            (
                (*f).to_owned(),
                round(((1.0 + n) / (1.0 + f64::from(*all))).ln() + 1.0),
            )
        })
        .unzip();
    let dim = features.len();
    let empty = Model::new(
        *params,
        [0.0; Topic::COUNT],
        features.clone(),
        idf.clone(),
        vec![Vec::new(); dim],
    );
    let rows: Vec<Vector> = docs.iter().map(|d| empty.vectorize(&d.counts)).collect();

    let mut bias = [0.0; Topic::COUNT];
    let mut weights: Vec<Vec<(u8, f64)>> = vec![Vec::new(); dim];
    for topic in Topic::ALL {
        let y: Vec<bool> = docs.iter().map(|d| d.topics[topic.index()]).collect();
        let theta = logistic_regression(&rows, &y, dim, params);
        bias[topic.index()] = round(theta[dim]);
        for (j, w) in theta[..dim].iter().enumerate() {
            let w = round(*w);
            if w.abs() >= params.prune {
                // Topic indices are below 11, so they fit in a byte.
                weights[j].push((topic.index() as u8, w));
            }
        }
    }
    // Features no topic weighs are dropped; their IDF no longer matters to anyone.
    let keep: Vec<bool> = weights.iter().map(|w| !w.is_empty()).collect();
    let features = kept(features, &keep);
    let idf = kept(idf, &keep);
    let weights = kept(weights, &keep);
    let model = Model::new(*params, bias, features, idf, weights);
    // Dropping features changes the vectors' norms slightly; what ships is what is
    // measured, so the model is the one read back from its text.
    match Model::parse(&model.to_text()) {
        Ok(m) => m,
        Err(_) => model,
    }
}

fn kept<T>(v: Vec<T>, keep: &[bool]) -> Vec<T> {
    v.into_iter()
        .zip(keep)
        .filter(|(_, k)| **k)
        .map(|(x, _)| x)
        .collect()
}

/// Out-of-fold probabilities: message i is scored by a model trained on the folds
/// without it (fold = i mod `folds`), for choosing parameters without a test set.
pub fn cross_validate(
    featurizer: &Featurizer,
    catalogue: &TopicCatalogue,
    examples: &[Labelled],
    params: &Params,
    folds: usize,
) -> Vec<[f64; Topic::COUNT]> {
    let all = docs(featurizer, catalogue, examples);
    let (messages, seeds) = all.split_at(examples.len());
    let mut out = vec![[0.0; Topic::COUNT]; messages.len()];
    for fold in 0..folds {
        let train: Vec<&Doc> = messages
            .iter()
            .enumerate()
            .filter(|(i, _)| i % folds != fold)
            .map(|(_, d)| d)
            .chain(seeds)
            .collect();
        let model = fit(&train, params);
        for (i, doc) in messages
            .iter()
            .enumerate()
            .filter(|(i, _)| i % folds == fold)
        {
            out[i] = model.probabilities(&model.vectorize(&doc.counts));
        }
    }
    out
}

/// Weights and, last, the bias of one topic's logistic regression: minimises
/// Σ cᵢ·log(1 + exp(−yᵢ·zᵢ)) + l2/2·‖w‖², cᵢ = positive_weight for the topic's messages.
fn logistic_regression(rows: &[Vector], y: &[bool], dim: usize, params: &Params) -> Vec<f64> {
    let objective = |theta: &[f64], grad: &mut [f64]| -> f64 {
        grad.fill(0.0);
        let (w, b) = theta.split_at(dim);
        let mut loss = 0.0;
        for (row, &positive) in rows.iter().zip(y) {
            let z = b[0] + row.iter().map(|&(j, x)| x * w[j]).sum::<f64>();
            let (c, sign) = if positive {
                (params.positive_weight, 1.0)
            } else {
                (1.0, -1.0)
            };
            loss += c * log1p_exp(-sign * z);
            let dz = c * (sigmoid(z) - if positive { 1.0 } else { 0.0 });
            for &(j, x) in row {
                grad[j] += dz * x;
            }
            grad[dim] += dz;
        }
        for j in 0..dim {
            loss += 0.5 * params.l2 * w[j] * w[j];
            grad[j] += params.l2 * w[j];
        }
        loss
    };
    lbfgs(dim + 1, objective, 500, 1e-5)
}

/// log(1 + eˣ) without overflow.
fn log1p_exp(x: f64) -> f64 {
    if x > 0.0 {
        x + (-x).exp().ln_1p()
    } else {
        x.exp().ln_1p()
    }
}

fn dot(a: &[f64], b: &[f64]) -> f64 {
    a.iter().zip(b).map(|(x, y)| x * y).sum()
}

/// Limited-memory BFGS (10 pairs) with a backtracking Armijo line search, from zero.
/// Stops when the largest gradient component is below `tol` or progress stalls.
fn lbfgs(n: usize, f: impl Fn(&[f64], &mut [f64]) -> f64, max_iter: usize, tol: f64) -> Vec<f64> {
    const MEMORY: usize = 10;
    let mut x = vec![0.0; n];
    let mut g = vec![0.0; n];
    let mut fx = f(&x, &mut g);
    let mut history: VecDeque<(Vec<f64>, Vec<f64>, f64)> = VecDeque::new();
    let (mut x_new, mut g_new) = (vec![0.0; n], vec![0.0; n]);
    for _ in 0..max_iter {
        if g.iter().all(|v| v.abs() < tol) {
            break;
        }
        // Two-loop recursion: d = −H·g.
        let mut d: Vec<f64> = g.iter().map(|v| -v).collect();
        let mut alphas = Vec::with_capacity(history.len());
        for (s, yv, rho) in history.iter().rev() {
            let a = rho * dot(s, &d);
            for (di, yi) in d.iter_mut().zip(yv) {
                *di -= a * yi;
            }
            alphas.push(a);
        }
        let gamma = match history.back() {
            Some((s, yv, _)) => dot(s, yv) / dot(yv, yv),
            None => 1.0 / dot(&g, &g).sqrt().max(1.0),
        };
        for v in &mut d {
            *v *= gamma;
        }
        for ((s, yv, rho), a) in history.iter().zip(alphas.iter().rev()) {
            let b = rho * dot(yv, &d);
            for (di, si) in d.iter_mut().zip(s) {
                *di += (a - b) * si;
            }
        }
        let mut slope = dot(&g, &d);
        if slope >= 0.0 {
            // Not a descent direction (can only come from rounding): restart.
            history.clear();
            d = g.iter().map(|v| -v).collect();
            slope = -dot(&g, &g);
        }
        let mut step = 1.0;
        let mut f_new;
        loop {
            for ((xn, xi), di) in x_new.iter_mut().zip(&x).zip(&d) {
                *xn = xi + step * di;
            }
            f_new = f(&x_new, &mut g_new);
            if f_new <= fx + 1e-4 * step * slope || step < 1e-10 {
                break;
            }
            step *= 0.5;
        }
        let s: Vec<f64> = x_new.iter().zip(&x).map(|(a, b)| a - b).collect();
        let yv: Vec<f64> = g_new.iter().zip(&g).map(|(a, b)| a - b).collect();
        let sy = dot(&s, &yv);
        if sy > 1e-12 {
            if history.len() == MEMORY {
                history.pop_front();
            }
            history.push_back((s, yv, 1.0 / sy));
        }
        let stalled = fx - f_new <= 1e-12 * fx.abs().max(1.0);
        std::mem::swap(&mut x, &mut x_new);
        std::mem::swap(&mut g, &mut g_new);
        fx = f_new;
        if stalled {
            break;
        }
    }
    x
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::analysis::model::normalize;

    #[test]
    fn lbfgs_finds_the_minimum_of_a_quadratic() {
        // f = (x−3)² + 10·(y+1)²
        let x = lbfgs(
            2,
            |v, g| {
                g[0] = 2.0 * (v[0] - 3.0);
                g[1] = 20.0 * (v[1] + 1.0);
                (v[0] - 3.0).powi(2) + 10.0 * (v[1] + 1.0).powi(2)
            },
            100,
            1e-9,
        );
        assert!(
            (x[0] - 3.0).abs() < 1e-6 && (x[1] + 1.0).abs() < 1e-6,
            "{x:?}"
        );
    }

    #[test]
    fn logistic_regression_separates_and_its_gradient_vanishes_at_the_end() {
        let mut rows: Vec<Vector> = vec![
            vec![(0, 1.0)],
            vec![(1, 1.0)],
            vec![(0, 0.6), (1, 0.8)],
            vec![(1, 0.9), (0, 0.1)],
        ];
        for r in &mut rows {
            r.sort_by_key(|&(j, _)| j);
            normalize(r);
        }
        let y = [true, false, false, false];
        let params = Params {
            l2: 0.1,
            min_df: 1,
            positive_weight: 1.0,
            prune: 0.0,
            review_threshold: 0.0,
            second_threshold: 0.0,
            second_ratio: 0.0,
        };
        let theta = logistic_regression(&rows, &y, 2, &params);
        assert!(theta[0] > 0.0 && theta[1] < 0.0, "{theta:?}");
        let z = |r: &Vector| theta[2] + r.iter().map(|&(j, x)| x * theta[j]).sum::<f64>();
        assert!(sigmoid(z(&rows[0])) > 0.5 && sigmoid(z(&rows[1])) < 0.5);
    }
}
