//! The eleven topics and their data file (`data/analysis/topics.toml`): the code names
//! each topic with a variant, the file gives its label, description and seed terms, and
//! the two must agree key for key, in order.

use std::fmt;

use serde::{Deserialize, Serialize};

/// The topic file shipped in the binary.
pub const BUILTIN_TOPICS: &str = include_str!("../../data/analysis/topics.toml");

/// What a message is about. Serialised as its Chinese key ("交通", …), which is also
/// what the labelled CSV files and the topic file use.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum Topic {
    #[serde(rename = "交通")]
    Transport,
    #[serde(rename = "饮水")]
    Water,
    #[serde(rename = "用电")]
    Electricity,
    #[serde(rename = "社保")]
    SocialSecurity,
    #[serde(rename = "扶贫")]
    PovertyRelief,
    #[serde(rename = "惠农补贴")]
    FarmSubsidy,
    #[serde(rename = "三资")]
    CollectiveAssets,
    #[serde(rename = "工程项目")]
    Projects,
    #[serde(rename = "干部作风")]
    CadreConduct,
    #[serde(rename = "环境卫生")]
    Environment,
    #[serde(rename = "其他")]
    Other,
}

impl Topic {
    /// Every topic, in the order of the topic file; `index()` is the position here.
    pub const ALL: [Topic; 11] = [
        Topic::Transport,
        Topic::Water,
        Topic::Electricity,
        Topic::SocialSecurity,
        Topic::PovertyRelief,
        Topic::FarmSubsidy,
        Topic::CollectiveAssets,
        Topic::Projects,
        Topic::CadreConduct,
        Topic::Environment,
        Topic::Other,
    ];

    pub const COUNT: usize = Self::ALL.len();

    pub fn key(self) -> &'static str {
        match self {
            Topic::Transport => "交通",
            Topic::Water => "饮水",
            Topic::Electricity => "用电",
            Topic::SocialSecurity => "社保",
            Topic::PovertyRelief => "扶贫",
            Topic::FarmSubsidy => "惠农补贴",
            Topic::CollectiveAssets => "三资",
            Topic::Projects => "工程项目",
            Topic::CadreConduct => "干部作风",
            Topic::Environment => "环境卫生",
            Topic::Other => "其他",
        }
    }

    pub fn parse(key: &str) -> Option<Topic> {
        Self::ALL.into_iter().find(|t| t.key() == key)
    }

    pub fn index(self) -> usize {
        self as usize
    }
}

impl fmt::Display for Topic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.key())
    }
}

/// One topic as the data file describes it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TopicInfo {
    pub topic: Topic,
    pub label: String,
    pub description: String,
    pub seeds: Vec<String>,
}

/// The topic file, checked: one entry per topic, in `Topic::ALL` order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TopicCatalogue {
    topics: Vec<TopicInfo>,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TopicFileError {
    #[error("the topic file is not valid TOML: {0}")]
    Syntax(String),
    #[error("the topic file must list exactly the keys {expected} in this order; it lists {found}")]
    Keys { expected: String, found: String },
    #[error("topic {0}: {1}")]
    Topic(&'static str, String),
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct File {
    topic: Vec<Entry>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Entry {
    key: String,
    label: String,
    description: String,
    #[serde(default)]
    seeds: Vec<String>,
}

impl TopicCatalogue {
    pub fn parse(text: &str) -> Result<TopicCatalogue, TopicFileError> {
        let file: File = toml::from_str(text).map_err(|e| TopicFileError::Syntax(e.to_string()))?;
        let found: Vec<&str> = file.topic.iter().map(|e| e.key.as_str()).collect();
        let expected: Vec<&str> = Topic::ALL.iter().map(|t| t.key()).collect();
        if found != expected {
            return Err(TopicFileError::Keys {
                expected: expected.join(" "),
                found: found.join(" "),
            });
        }
        let mut topics = Vec::with_capacity(Topic::COUNT);
        for (topic, entry) in Topic::ALL.into_iter().zip(file.topic) {
            if entry.label.trim().is_empty() || entry.description.trim().is_empty() {
                return Err(TopicFileError::Topic(
                    topic.key(),
                    "label and description must not be empty".to_owned(),
                ));
            }
            if let Some(bad) = entry
                .seeds
                .iter()
                .find(|s| s.trim().is_empty() || s.contains(char::is_whitespace))
            {
                return Err(TopicFileError::Topic(
                    topic.key(),
                    format!("seed term `{bad}` is empty or contains a space"),
                ));
            }
            topics.push(TopicInfo {
                topic,
                label: entry.label,
                description: entry.description,
                seeds: entry.seeds,
            });
        }
        Ok(TopicCatalogue { topics })
    }

    /// The file shipped in the binary.
    pub fn builtin() -> Result<TopicCatalogue, TopicFileError> {
        Self::parse(BUILTIN_TOPICS)
    }

    pub fn topics(&self) -> &[TopicInfo] {
        &self.topics
    }

    pub fn get(&self, topic: Topic) -> &TopicInfo {
        // parse() guarantees one entry per topic at its index.
        &self.topics[topic.index()]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_builtin_topic_file_has_the_eleven_keys_in_order() {
        let catalogue = TopicCatalogue::builtin().unwrap();
        let keys: Vec<&str> = catalogue.topics().iter().map(|t| t.topic.key()).collect();
        assert_eq!(
            keys,
            [
                "交通",
                "饮水",
                "用电",
                "社保",
                "扶贫",
                "惠农补贴",
                "三资",
                "工程项目",
                "干部作风",
                "环境卫生",
                "其他"
            ]
        );
        for info in catalogue.topics() {
            assert!(!info.seeds.is_empty(), "{} has no seed terms", info.topic);
        }
    }

    #[test]
    fn keys_round_trip_and_index_follows_the_order() {
        for (i, t) in Topic::ALL.into_iter().enumerate() {
            assert_eq!(Topic::parse(t.key()), Some(t));
            assert_eq!(t.index(), i);
            assert_eq!(
                serde_json::to_string(&t).unwrap(),
                format!("\"{}\"", t.key())
            );
        }
        assert_eq!(Topic::parse("道路"), None);
    }

    #[test]
    fn a_file_with_a_missing_or_reordered_key_is_refused() {
        let swapped = BUILTIN_TOPICS.replacen("key = \"交通\"", "key = \"X\"", 1);
        let err = TopicCatalogue::parse(&swapped).unwrap_err();
        assert!(matches!(err, TopicFileError::Keys { .. }), "{err}");
        let cut = BUILTIN_TOPICS
            .split("[[topic]]\nkey = \"其他\"")
            .next()
            .unwrap();
        assert!(matches!(
            TopicCatalogue::parse(cut),
            Err(TopicFileError::Keys { .. })
        ));
    }
}
