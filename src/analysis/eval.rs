//! Measuring a classifier on labelled messages.
//!
//! Per topic: a message is a true positive when the topic is both given and predicted,
//! a false positive when predicted only, a false negative when given only. A message
//! left 待人工分类 predicts no topic: each of its topics is a false negative (the model
//! did not find it) and no topic gets a false positive. F1 = 2·TP / (2·TP + FP + FN),
//! taken as 1 for a topic that is neither given nor predicted; macro F1 is the plain
//! mean over the eleven topics.

use std::fmt::Write as _;

use super::Decision;
use super::topic::Topic;

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Counts {
    pub tp: u32,
    pub fp: u32,
    pub fn_: u32,
}

impl Counts {
    pub fn precision(&self) -> f64 {
        ratio(self.tp, self.tp + self.fp)
    }

    pub fn recall(&self) -> f64 {
        ratio(self.tp, self.tp + self.fn_)
    }

    pub fn f1(&self) -> f64 {
        let d = 2 * self.tp + self.fp + self.fn_;
        if d == 0 {
            1.0
        } else {
            f64::from(2 * self.tp) / f64::from(d)
        }
    }

    pub fn support(&self) -> u32 {
        self.tp + self.fn_
    }
}

fn ratio(a: u32, b: u32) -> f64 {
    if b == 0 {
        0.0
    } else {
        f64::from(a) / f64::from(b)
    }
}

/// Counts over a set of messages.
#[derive(Debug, Clone, Default)]
pub struct Evaluation {
    counts: [Counts; Topic::COUNT],
    /// [given][predicted]; the last column is 待人工分类. A message with topics G and
    /// prediction P adds one to (g, p) for every g in G and p in P.
    confusion: [[u32; Topic::COUNT + 1]; Topic::COUNT],
    messages: u32,
    review: u32,
    exact: u32,
}

impl Evaluation {
    pub fn new() -> Evaluation {
        Evaluation::default()
    }

    pub fn add(&mut self, given: &[Topic], predicted: &Decision) {
        self.messages += 1;
        if predicted.needs_review {
            self.review += 1;
        }
        for t in Topic::ALL {
            let (g, p) = (given.contains(&t), predicted.topics.contains(&t));
            let c = &mut self.counts[t.index()];
            match (g, p) {
                (true, true) => c.tp += 1,
                (false, true) => c.fp += 1,
                (true, false) => c.fn_ += 1,
                (false, false) => {}
            }
        }
        for g in given {
            let row = &mut self.confusion[g.index()];
            if predicted.needs_review {
                row[Topic::COUNT] += 1;
            }
            for p in &predicted.topics {
                row[p.index()] += 1;
            }
        }
        let mut sorted = predicted.topics.clone();
        sorted.sort();
        if sorted == given {
            self.exact += 1;
        }
    }

    pub fn counts(&self, topic: Topic) -> Counts {
        self.counts[topic.index()]
    }

    pub fn messages(&self) -> u32 {
        self.messages
    }

    pub fn needs_review(&self) -> u32 {
        self.review
    }

    pub fn macro_f1(&self) -> f64 {
        self.counts.iter().map(Counts::f1).sum::<f64>() / Topic::COUNT as f64
    }

    /// The table, the 待人工分类 count, the confusion and, as the last line,
    /// `macro F1: 0.873`.
    pub fn report(&self) -> String {
        let mut out = String::new();
        let _ = writeln!(out, "{}precision  recall     F1  support", pad("topic", 10));
        for t in Topic::ALL {
            let c = self.counts(t);
            let _ = writeln!(
                out,
                "{}{:>9.3} {:>7.3} {:>6.3} {:>8}",
                pad(t.key(), 10),
                c.precision(),
                c.recall(),
                c.f1(),
                c.support()
            );
        }
        let _ = writeln!(
            out,
            "\n{} messages; {} with exactly the given topics; {} left {} (they count as predicting no topic)",
            self.messages,
            self.exact,
            self.review,
            super::NEEDS_REVIEW
        );
        out.push_str("\nconfusion (rows: given topic, columns: predicted; 待人工 = 待人工分类)\n");
        out.push_str(&pad("", 10));
        for t in Topic::ALL {
            out.push_str(&pad_left(short(t), 6));
        }
        out.push_str(&pad_left("待人工", 8));
        out.push('\n');
        for g in Topic::ALL {
            out.push_str(&pad(g.key(), 10));
            for (i, n) in self.confusion[g.index()].iter().enumerate() {
                let width = if i == Topic::COUNT { 8 } else { 6 };
                out.push_str(&pad_left(&n.to_string(), width));
            }
            out.push('\n');
        }
        let mut mixups: Vec<(u32, Topic, Topic)> = Vec::new();
        for g in Topic::ALL {
            for p in Topic::ALL {
                let n = self.confusion[g.index()][p.index()];
                if g != p && n > 0 {
                    mixups.push((n, g, p));
                }
            }
        }
        mixups.sort_by(|a, b| b.0.cmp(&a.0).then((a.1, a.2).cmp(&(b.1, b.2))));
        if !mixups.is_empty() {
            out.push_str("\nmost frequent: given → also or instead predicted\n");
            for (n, g, p) in mixups.iter().take(8) {
                let _ = writeln!(out, "  {g} → {p}: {n}");
            }
        }
        let _ = write!(out, "\nmacro F1: {:.3}", self.macro_f1());
        out
    }
}

/// Column headings two characters wide.
fn short(t: Topic) -> &'static str {
    match t {
        Topic::FarmSubsidy => "惠农",
        Topic::Projects => "工程",
        Topic::CadreConduct => "干部",
        Topic::Environment => "环境",
        _ => t.key(),
    }
}

/// Terminal columns: CJK characters take two.
fn width(s: &str) -> usize {
    s.chars().map(|c| if c.is_ascii() { 1 } else { 2 }).sum()
}

fn pad(s: &str, w: usize) -> String {
    format!("{s}{}", " ".repeat(w.saturating_sub(width(s))))
}

fn pad_left(s: &str, w: usize) -> String {
    format!("{}{s}", " ".repeat(w.saturating_sub(width(s))))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn decided(topics: &[Topic]) -> Decision {
        Decision {
            topics: topics.to_vec(),
            needs_review: false,
        }
    }

    #[test]
    fn counts_follow_the_definitions() {
        let mut e = Evaluation::new();
        e.add(&[Topic::Transport], &decided(&[Topic::Transport]));
        e.add(
            &[Topic::Transport, Topic::Projects],
            &decided(&[Topic::Transport]),
        );
        e.add(&[Topic::Water], &decided(&[Topic::Transport]));
        e.add(
            &[Topic::Water],
            &Decision {
                topics: vec![],
                needs_review: true,
            },
        );
        let road = e.counts(Topic::Transport);
        assert_eq!((road.tp, road.fp, road.fn_), (2, 1, 0));
        let water = e.counts(Topic::Water);
        assert_eq!((water.tp, water.fp, water.fn_), (0, 0, 2));
        assert_eq!(e.counts(Topic::Projects).f1(), 0.0);
        // Topics never given nor predicted score 1.
        assert_eq!(e.counts(Topic::Other).f1(), 1.0);
        let expected = (0.8 + 0.0 + 0.0 + 8.0) / 11.0;
        assert!((e.macro_f1() - expected).abs() < 1e-12);
        assert_eq!(e.needs_review(), 1);
    }

    #[test]
    fn the_report_ends_with_the_macro_f1_line() {
        let mut e = Evaluation::new();
        e.add(&[Topic::Transport], &decided(&[Topic::Transport]));
        let report = e.report();
        assert_eq!(report.lines().last(), Some("macro F1: 1.000"));
        assert!(report.contains("交通"));
    }
}
