//! From a message to the features the model weighs.
//!
//! Villagers type on phones: dialect, no punctuation, homophone slips (低包 for 低保,
//! 五抱 for 五保) and words no dictionary knows. So besides jieba's words (with a user
//! dictionary of local terms), a message yields its character 1-, 2- and 3-grams, which
//! survive unknown words and one wrong character; toneless pinyin pairs, which make 低包
//! and 低保 the same feature `di bao`; and the terms of the user dictionary and of the
//! topic file found by their sound, each term and, for seed terms, its topic.
//! (Word pairs were measured too and did not help; docs/analysis.md.)
//!
//! Features are strings `kind:text`; everything is kept in sorted maps so the same text
//! gives the same features, in the same order, on every machine.

use std::collections::BTreeMap;
use std::fmt;

use jieba_rs::Jieba;
use pinyin::ToPinyin;

/// Local and domain terms (segmenter words and terms found by sound): one a line, `#`
/// starts a comment.
pub const BUILTIN_USER_DICT: &str = include_str!("../../data/analysis/userdict.txt");

/// The words of a user dictionary in the format of `BUILTIN_USER_DICT`.
pub fn user_words(dict: &str) -> impl Iterator<Item = &str> {
    dict.lines()
        .map(|line| line.split('#').next().unwrap_or("").trim())
        .filter(|word| !word.is_empty())
}

/// What a feature is, by the prefix of its string.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FeatureKind {
    Char,
    CharBigram,
    CharTrigram,
    Word,
    Pinyin,
    /// A seed term of the topic file, found by its sound (so 低包 finds 低保).
    Seed,
    /// Some seed term of a topic found: one feature per topic, so a seed term that no
    /// training message used still counts through the weight its topic's others earned.
    SeedTopic,
}

impl FeatureKind {
    const ALL: [FeatureKind; 7] = [
        FeatureKind::Char,
        FeatureKind::CharBigram,
        FeatureKind::CharTrigram,
        FeatureKind::Word,
        FeatureKind::Pinyin,
        FeatureKind::Seed,
        FeatureKind::SeedTopic,
    ];

    fn prefix(self) -> &'static str {
        match self {
            FeatureKind::Char => "c1",
            FeatureKind::CharBigram => "c2",
            FeatureKind::CharTrigram => "c3",
            FeatureKind::Word => "w",
            FeatureKind::Pinyin => "py",
            FeatureKind::Seed => "kw",
            FeatureKind::SeedTopic => "kt",
        }
    }

    /// How staff see the kind beside the feature (`低包(二字)`).
    pub fn label(self) -> &'static str {
        match self {
            FeatureKind::Char => "单字",
            FeatureKind::CharBigram => "二字",
            FeatureKind::CharTrigram => "三字",
            FeatureKind::Word => "词",
            FeatureKind::Pinyin => "拼音",
            FeatureKind::Seed => "关键词",
            FeatureKind::SeedTopic => "类别关键词",
        }
    }

    /// Splits `c2:低包` into its kind and text.
    pub fn split(feature: &str) -> Option<(FeatureKind, &str)> {
        let (prefix, text) = feature.split_once(':')?;
        let kind = Self::ALL.into_iter().find(|k| k.prefix() == prefix)?;
        Some((kind, text))
    }
}

/// A feature as shown to staff: `低包(二字)`, `di bao(拼音)`.
pub struct Shown<'a>(pub &'a str);

impl fmt::Display for Shown<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match FeatureKind::split(self.0) {
            Some((kind, text)) => write!(f, "{}({})", text.replace('_', " "), kind.label()),
            None => f.write_str(self.0),
        }
    }
}

/// Turns text into feature counts. Building one loads jieba's dictionary (a fraction
/// of a second), so build it once and share it.
pub struct Featurizer {
    jieba: Jieba,
    seeds: Vec<Seed>,
}

/// A seed term, its toneless syllables, and the topic it is a seed of.
struct Seed {
    term: String,
    syllables: Vec<&'static str>,
    topic: Option<String>,
}

impl fmt::Debug for Featurizer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Featurizer")
    }
}

impl Featurizer {
    /// jieba's dictionary plus `words` (the user dictionary) and the seed terms, each
    /// given the frequency that makes jieba keep it whole. `seeds` are (topic key, term).
    pub fn new<'a>(
        words: impl IntoIterator<Item = &'a str>,
        seeds: impl IntoIterator<Item = (&'a str, &'a str)>,
    ) -> Featurizer {
        let mut jieba = Jieba::new();
        let seeds: Vec<(&str, &str)> = seeds.into_iter().collect();
        let words: Vec<&str> = words.into_iter().collect();
        for word in words.iter().chain(seeds.iter().map(|(_, term)| term)) {
            if !jieba.has_word(word) {
                jieba.add_word(word, None, None);
            }
        }
        // A term in both lists is heard once, as the seed it is.
        let mut heard: Vec<(Option<&str>, &str)> =
            seeds.iter().map(|(t, w)| (Some(*t), *w)).collect();
        heard.extend(
            words
                .iter()
                .filter(|w| !seeds.iter().any(|(_, s)| s == *w))
                .map(|w| (None, *w)),
        );
        let seeds = heard
            .into_iter()
            .filter_map(|(topic, term)| {
                // Only terms written wholly in characters with a reading can be heard.
                let syllables: Option<Vec<&'static str>> = normalize(term)
                    .chars()
                    .map(|c| c.to_pinyin().map(|p| p.plain()))
                    .collect();
                Some(Seed {
                    term: term.to_owned(),
                    syllables: syllables?,
                    topic: topic.map(str::to_owned),
                })
            })
            .filter(|s| s.syllables.len() >= 2)
            .collect();
        Featurizer { jieba, seeds }
    }

    /// Feature counts of `text`, sorted by feature.
    pub fn features(&self, text: &str) -> BTreeMap<String, u32> {
        let mut out = BTreeMap::new();
        let mut add = |kind: FeatureKind, s: &str| {
            *out.entry(format!("{}:{s}", kind.prefix())).or_insert(0) += 1;
        };
        for segment in segments(&normalize(text)) {
            let chars: Vec<char> = segment.chars().collect();
            for n in 1..=3 {
                let kind = [
                    FeatureKind::Char,
                    FeatureKind::CharBigram,
                    FeatureKind::CharTrigram,
                ][n - 1];
                for gram in chars.windows(n) {
                    add(kind, &gram.iter().collect::<String>());
                }
            }
            let syllables: Vec<Option<&str>> = chars
                .iter()
                .map(|c| c.to_pinyin().map(|p| p.plain()))
                .collect();
            for pair in syllables.windows(2) {
                if let [Some(a), Some(b)] = pair {
                    add(FeatureKind::Pinyin, &format!("{a}_{b}"));
                }
            }
            for seed in &self.seeds {
                let n = seed.syllables.len();
                let heard = (0..syllables.len().saturating_sub(n - 1))
                    .filter(|&at| {
                        let sounds = &syllables[at..at + n];
                        let same = sounds
                            .iter()
                            .zip(&seed.syllables)
                            .all(|(a, b)| *a == Some(*b));
                        same && {
                            // Same sound, other characters: a slip only if they are not a
                            // word of their own (村长 sounds like 村账 but means the head).
                            let span: String = chars[at..at + n].iter().collect();
                            span == seed.term || !self.jieba.has_word(&span)
                        }
                    })
                    .count();
                for _ in 0..heard {
                    add(FeatureKind::Seed, &seed.term);
                    if let Some(topic) = &seed.topic {
                        add(FeatureKind::SeedTopic, topic);
                    }
                }
            }
            let words: Vec<&str> = self
                .jieba
                .cut(&segment, true)
                .into_iter()
                .map(|t| t.word)
                .collect();
            for word in &words {
                if word.chars().nth(1).is_some() {
                    add(FeatureKind::Word, word);
                }
            }
        }
        out
    }
}

/// Full-width forms to ASCII, ASCII letters to lower case, every run of digits to `0`
/// (a sum of money or a date says little about the topic, its presence does).
pub fn normalize(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut in_digits = false;
    for c in text.chars() {
        let c = match c {
            '\u{3000}' => ' ',
            '\u{FF01}'..='\u{FF5E}' => char::from_u32(c as u32 - 0xFEE0).unwrap_or(c),
            _ => c,
        }
        .to_ascii_lowercase();
        if c.is_ascii_digit() {
            if !in_digits {
                out.push('0');
            }
            in_digits = true;
        } else {
            in_digits = false;
            out.push(c);
        }
    }
    out
}

/// The runs of letters, digits and Chinese characters; punctuation, spaces and emoji
/// separate them (n-grams do not cross a comma).
fn segments(text: &str) -> Vec<String> {
    text.split(|c: char| !c.is_alphanumeric())
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn featurizer() -> Featurizer {
        Featurizer::new(
            user_words(BUILTIN_USER_DICT),
            [("社保", "低保"), ("交通", "村村通")],
        )
    }

    #[test]
    fn normalising_folds_width_case_and_numbers() {
        assert_eq!(normalize("ＡＢ１２３元，Wifi 2024年"), "ab0元,wifi 0年");
    }

    #[test]
    fn a_homophone_slip_shares_its_pinyin_pair_with_the_right_word() {
        let f = featurizer();
        let slip = f.features("俺家的低包咋停了");
        let right = f.features("低保被停了");
        assert!(slip.contains_key("py:di_bao") && right.contains_key("py:di_bao"));
        assert!(slip.contains_key("c2:低包"));
        assert!(slip.contains_key("c1:低"));
        assert_eq!(slip.get("kw:低保"), Some(&1));
        assert_eq!(right.get("kt:社保"), Some(&1));
        let head = f.features("村长来了");
        assert!(head.contains_key("kw:村长"), "{head:?}");
        assert!(!head.keys().any(|k| k.starts_with("kt:")), "{head:?}");
    }

    #[test]
    fn grams_do_not_cross_punctuation_and_words_come_from_the_user_dictionary() {
        let f = featurizer();
        let feats = f.features("村村通，坏了！！");
        assert!(feats.contains_key("w:村村通"));
        assert!(!feats.keys().any(|k| k == "c2:通坏"));
        assert_eq!(feats.get("c1:村"), Some(&2));
    }

    #[test]
    fn features_are_shown_with_their_kind() {
        assert_eq!(Shown("c2:低包").to_string(), "低包(二字)");
        assert_eq!(Shown("py:di_bao").to_string(), "di bao(拼音)");
        assert_eq!(Shown("kt:社保").to_string(), "社保(类别关键词)");
    }
}
