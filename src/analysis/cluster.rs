//! Clusters: complaints and followers' messages about the same thing — same township,
//! same topic, similar text, within 30 days of another one of the group — so staff see
//! "7 complaints and 3 messages about 交通 in 王岗村 since 11月3日" and can handle them
//! together. A message counts like a complaint: ten people writing about one water cut
//! are a matter even when nobody filed it.
//!
//! Similarity is the Jaccard index of the texts' character bigrams (after the same
//! normalisation as the model's features): people describing one broken road share
//! its words (路, 坑, 下雨, the place) even when they write them differently. Groups are
//! the connected components of "similar and close in time", so a chain of reports over
//! weeks stays one group. Everything is sorted, so the same items give the same groups.

use std::collections::{BTreeMap, BTreeSet};

use chrono::{DateTime, Duration, Utc};

use super::Topic;
use super::features::normalize;

/// Two texts this similar (bigram Jaccard) are about the same thing, given the same
/// township and topic.
pub const SIMILARITY: f64 = 0.12;
/// Items further apart than this are not linked directly.
pub const WINDOW_DAYS: i64 = 30;

/// What an item is; its id is unique within its kind.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Source {
    Complaint,
    Message,
}

/// An item of a cluster: its kind and its id among that kind.
pub type ItemRef = (Source, i64);

/// An item to be grouped.
#[derive(Debug, Clone)]
pub struct Item {
    pub source: Source,
    pub id: i64,
    pub township: String,
    pub village: String,
    pub topic: Topic,
    pub at: DateTime<Utc>,
    pub text: String,
}

/// A group of two or more items, oldest first.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cluster {
    pub topic: Topic,
    pub township: String,
    /// The village when every item is in the same one.
    pub village: Option<String>,
    /// The items, oldest first.
    pub ids: Vec<ItemRef>,
    pub first: DateTime<Utc>,
    pub last: DateTime<Utc>,
}

fn bigrams(text: &str) -> BTreeSet<(char, char)> {
    let mut out = BTreeSet::new();
    for piece in normalize(text).split(|c: char| !c.is_alphanumeric()) {
        let chars: Vec<char> = piece.chars().collect();
        for w in chars.windows(2) {
            out.insert((w[0], w[1]));
        }
    }
    out
}

pub fn similarity(a: &str, b: &str) -> f64 {
    jaccard(&bigrams(a), &bigrams(b))
}

fn jaccard(a: &BTreeSet<(char, char)>, b: &BTreeSet<(char, char)>) -> f64 {
    let union = a.union(b).count();
    if union == 0 {
        return 0.0;
    }
    a.intersection(b).count() as f64 / union as f64
}

/// The groups among `items`, largest first (then oldest first).
pub fn clusters(items: &[Item]) -> Vec<Cluster> {
    let mut by_key: BTreeMap<(&str, Topic), Vec<usize>> = BTreeMap::new();
    for (i, item) in items.iter().enumerate() {
        by_key
            .entry((item.township.as_str(), item.topic))
            .or_default()
            .push(i);
    }
    let window = Duration::days(WINDOW_DAYS);
    let mut out = Vec::new();
    for ((township, topic), mut members) in by_key {
        members.sort_by_key(|&i| (items[i].at, items[i].source, items[i].id));
        let grams: Vec<_> = members.iter().map(|&i| bigrams(&items[i].text)).collect();
        // Union-find over the members, by position.
        let mut parent: Vec<usize> = (0..members.len()).collect();
        fn root(parent: &mut [usize], mut x: usize) -> usize {
            while parent[x] != x {
                parent[x] = parent[parent[x]];
                x = parent[x];
            }
            x
        }
        for a in 0..members.len() {
            for b in a + 1..members.len() {
                if items[members[b]].at - items[members[a]].at > window {
                    break;
                }
                if jaccard(&grams[a], &grams[b]) >= SIMILARITY {
                    let (ra, rb) = (root(&mut parent, a), root(&mut parent, b));
                    parent[ra.max(rb)] = ra.min(rb);
                }
            }
        }
        let mut groups: BTreeMap<usize, Vec<usize>> = BTreeMap::new();
        for (k, &member) in members.iter().enumerate() {
            let r = root(&mut parent, k);
            groups.entry(r).or_default().push(member);
        }
        for group in groups.into_values().filter(|g| g.len() >= 2) {
            let villages: BTreeSet<&str> =
                group.iter().map(|&i| items[i].village.as_str()).collect();
            out.push(Cluster {
                topic,
                township: township.to_owned(),
                village: (villages.len() == 1).then(|| items[group[0]].village.clone()),
                ids: group
                    .iter()
                    .map(|&i| (items[i].source, items[i].id))
                    .collect(),
                first: items[group[0]].at,
                last: items[group[group.len() - 1]].at,
            });
        }
    }
    out.sort_by(|a, b| {
        b.ids
            .len()
            .cmp(&a.ids.len())
            .then(a.first.cmp(&b.first))
            .then(a.ids.cmp(&b.ids))
    });
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn item(id: i64, village: &str, topic: Topic, day: i64, text: &str) -> Item {
        Item {
            source: Source::Complaint,
            id,
            township: village.chars().take(9).collect(),
            village: village.to_owned(),
            topic,
            at: DateTime::<Utc>::from_timestamp(1_780_000_000 + day * 86_400, 0).unwrap(),
            text: text.to_owned(),
        }
    }

    #[test]
    fn similar_reports_of_one_road_group_and_the_rest_stay_apart() {
        let v = "411503209202";
        let items = [
            item(
                1,
                v,
                Topic::Transport,
                0,
                "王岗村到乡里的路烂了，一下雨全是泥坑",
            ),
            item(
                2,
                v,
                Topic::Transport,
                3,
                "王岗村到乡里那条路坑太多了 下雨没法走",
            ),
            item(
                3,
                v,
                Topic::Transport,
                20,
                "俺村到乡里的路全是坑 一下雨就是泥",
            ),
            // Same road, too late to link to the others directly… but 3 links it.
            item(
                4,
                v,
                Topic::Transport,
                45,
                "王岗村的路还是全是坑，下雨泥太多",
            ),
            // Same topic and place, another matter.
            item(5, v, Topic::Transport, 4, "公交车什么时候恢复运营"),
            // Same words, another topic.
            item(6, v, Topic::Water, 2, "王岗村的自来水一下雨就是浑的"),
            // Same text, another township.
            item(
                7,
                "411503100201",
                Topic::Transport,
                1,
                "王岗村那条路坑太多了 下雨没法走",
            ),
        ];
        let found = clusters(&items);
        assert_eq!(found.len(), 1, "{found:?}");
        let ids: Vec<i64> = found[0].ids.iter().map(|&(_, id)| id).collect();
        assert_eq!(ids, [1, 2, 3, 4]);
        assert_eq!(found[0].village.as_deref(), Some(v));
        assert_eq!(found[0].topic, Topic::Transport);
    }

    #[test]
    fn items_further_apart_than_the_window_with_nothing_between_are_not_grouped() {
        let v = "411503209202";
        let items = [
            item(1, v, Topic::Transport, 0, "王岗村那条路坑太多了 下雨没法走"),
            item(
                2,
                v,
                Topic::Transport,
                31,
                "王岗村那条路坑太多了 下雨没法走",
            ),
        ];
        assert!(clusters(&items).is_empty());
    }

    #[test]
    fn a_message_and_a_complaint_about_one_matter_group_and_equal_ids_of_two_kinds_stay_two() {
        let v = "411503209202";
        let message = |id, day, text| Item {
            source: Source::Message,
            ..item(id, v, Topic::Water, day, text)
        };
        let items = [
            item(7, v, Topic::Water, 0, "王岗村自来水停了三天了 咋还不来水"),
            // Same id as the complaint, another kind: a second item, not the same one.
            message(7, 1, "俺王岗村自来水停了好几天了 啥时候来水"),
            message(8, 2, "王岗村停水三天了 自来水咋还不来"),
        ];
        let found = clusters(&items);
        assert_eq!(found.len(), 1, "{found:?}");
        assert_eq!(
            found[0].ids,
            [
                (Source::Complaint, 7),
                (Source::Message, 7),
                (Source::Message, 8)
            ]
        );
    }
}
