//! Labelled messages: a UTF-8 CSV with header `text,topics`, topics joined by `|`
//! (`交通|工程项目`). Used for training and for `sunvillage classify --eval`.

use std::io::Read;

use super::topic::Topic;

/// One message and the topics a person gave it (sorted, without repeats).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Labelled {
    /// The CSV line the record starts on.
    pub line: u64,
    pub text: String,
    pub topics: Vec<Topic>,
}

#[derive(Debug, thiserror::Error)]
pub enum LabelledError {
    #[error("cannot read the CSV: {0}")]
    Csv(#[from] csv::Error),
    #[error("the header must name the columns text and topics (found: {0})")]
    Header(String),
    #[error("line {line}: unknown topic `{key}`; the topics are {known}")]
    UnknownTopic {
        line: u64,
        key: String,
        known: String,
    },
    #[error("line {line}: {reason}")]
    Record { line: u64, reason: String },
}

/// Reads every record; the first bad one stops the reading with its line named.
pub fn read(input: impl Read) -> Result<Vec<Labelled>, LabelledError> {
    let mut reader = csv::ReaderBuilder::new().flexible(false).from_reader(input);
    let headers = reader.headers()?.clone();
    // A spreadsheet may save the header with a byte-order mark.
    let column = |name: &str| {
        headers
            .iter()
            .position(|h| h.trim_start_matches('\u{feff}').trim() == name)
    };
    let (Some(text_at), Some(topics_at)) = (column("text"), column("topics")) else {
        return Err(LabelledError::Header(
            headers.iter().collect::<Vec<_>>().join(","),
        ));
    };
    let mut out = Vec::new();
    for record in reader.records() {
        let record = record?;
        let line = record.position().map_or(0, csv::Position::line);
        let text = record.get(text_at).unwrap_or("").trim().to_owned();
        if text.is_empty() {
            return Err(LabelledError::Record {
                line,
                reason: "the text is empty".to_owned(),
            });
        }
        let mut topics = Vec::new();
        for key in record
            .get(topics_at)
            .unwrap_or("")
            .split('|')
            .map(str::trim)
            .filter(|k| !k.is_empty())
        {
            let topic = Topic::parse(key).ok_or_else(|| LabelledError::UnknownTopic {
                line,
                key: key.to_owned(),
                known: Topic::ALL.map(Topic::key).join(" "),
            })?;
            topics.push(topic);
        }
        topics.sort();
        topics.dedup();
        if topics.is_empty() {
            return Err(LabelledError::Record {
                line,
                reason: "no topic is given".to_owned(),
            });
        }
        out.push(Labelled { line, text, topics });
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn topics_are_split_sorted_and_checked() {
        let csv = "\u{feff}text,topics\n路烂了,交通\n\"修路,不给钱\",工程项目 | 交通\n";
        let rows = read(csv.as_bytes()).unwrap();
        assert_eq!(rows.len(), 2);
        assert_eq!(rows[1].topics, [Topic::Transport, Topic::Projects]);
        assert_eq!(rows[1].text, "修路,不给钱");
        assert_eq!(rows[1].line, 3);
    }

    #[test]
    fn an_unknown_topic_is_refused_with_its_line() {
        let csv = "text,topics\n路烂了,交通\n水没了,水利\n";
        let err = read(csv.as_bytes()).unwrap_err();
        assert!(
            matches!(err, LabelledError::UnknownTopic { line: 3, .. }),
            "{err}"
        );
        assert!(err.to_string().contains("水利"));
    }

    #[test]
    fn a_wrong_header_or_an_empty_record_is_refused() {
        assert!(matches!(
            read("message,label\na,交通\n".as_bytes()),
            Err(LabelledError::Header(_))
        ));
        assert!(matches!(
            read("text,topics\n,交通\n".as_bytes()),
            Err(LabelledError::Record { line: 2, .. })
        ));
        assert!(matches!(
            read("text,topics\n路,\n".as_bytes()),
            Err(LabelledError::Record { line: 2, .. })
        ));
    }
}
