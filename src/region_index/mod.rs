//! The in-memory index behind "find my village": every region's names, searchable by
//! any part (王岗), by a place and a part (平桥区王岗, 青山镇王岗), or by code, ranked
//! exact > prefix > contains. Built from Postgres at start-up and rebuilt when the
//! table changes; each instance holds its own copy, so nothing here must survive.
//!
//! Names live in one string arena; a two-character posting list ([`grams`]) narrows each
//! query to the regions holding its rarest pair of characters, and a deletion index
//! ([`near`]) finds the names one slip from a query that matched nothing, which keeps
//! every lookup over all of China's 620,000 villages under a fifth of a millisecond (see
//! docs/benchmarks.md).

pub mod grams;
pub mod names;
pub mod near;
#[cfg(test)]
pub(crate) mod sample;

use std::collections::HashMap;
use std::sync::{Arc, RwLock};
use std::time::Duration;

use serde::Serialize;
use sqlx::PgPool;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

use crate::domain::{Region, RegionCode, RegionLevel, VillageCode, display_name};
use crate::storage;

/// How well a region's name matches a query; the derived order is the ranking.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum MatchRank {
    Exact,
    Prefix,
    Contains,
}

/// A region named in a search result, by its display name.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Place {
    pub code: RegionCode,
    pub name: String,
}

/// One region found, with the places above it so that same-named villages can be told
/// apart (there are seven 王岗村 in 信阳市).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Hit {
    pub code: RegionCode,
    pub name: String,
    pub display_name: String,
    pub level: RegionLevel,
    #[serde(rename = "match")]
    pub rank: MatchRank,
    pub township: Option<Place>,
    pub county: Option<Place>,
    pub city: Option<Place>,
}

impl Hit {
    /// "平桥区王岗乡王岗村": the name with its county and township, for lists.
    pub fn full_name(&self) -> String {
        let mut s = String::new();
        self.push_full_name(&mut s);
        s
    }

    /// [`Hit::full_name`], written onto the end of `out`.
    pub fn push_full_name(&self, out: &mut String) {
        for place in [&self.county, &self.township].into_iter().flatten() {
            out.push_str(&place.name);
        }
        out.push_str(&self.display_name);
    }
}

/// Search results: the best `hits` and how many matched in all.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Results {
    pub total: usize,
    pub hits: Vec<Hit>,
}

/// A match as it is ranked: rank, level, code, and the entry.
type Match = (MatchRank, RegionLevel, u64, u32);

/// Matches of one level: the best `hits`, and counts over all of them (only the hits
/// are built: each costs allocations, and a common name matches thousands of villages).
#[derive(Debug, Clone, Default)]
pub struct LevelResults {
    pub total: usize,
    /// Of `total`, those whose name is the words exactly; they come first in `hits`.
    pub exact: usize,
    pub hits: Vec<Hit>,
}

/// What to look for.
#[derive(Debug, Clone)]
pub struct Query<'a> {
    pub text: &'a str,
    /// Only regions inside this one.
    pub within: Option<&'a RegionCode>,
    pub limit: usize,
}

/// Where a name lies in the arena.
#[derive(Debug, Clone, Copy)]
struct Span {
    start: u32,
    len: u32,
}

#[derive(Debug, Clone, Copy)]
struct Entry {
    /// The code's digits as a number; its length follows from `level`.
    code: u64,
    level: RegionLevel,
    parent: Option<u32>,
    name: Span,
    display: Span,
}

/// Levels a name search returns (counties and cities serve as places in a query).
fn searchable(level: RegionLevel) -> bool {
    matches!(level, RegionLevel::Township | RegionLevel::Village)
}

/// How deep a query may nest places: 平桥区 + 王岗乡 + 王岗.
const MAX_PLACE_DEPTH: usize = 2;

/// An immutable snapshot of all regions.
#[derive(Default)]
pub struct RegionIndex {
    entries: Vec<Entry>,
    arena: String,
    by_code: HashMap<(RegionLevel, u64), u32>,
    /// Townships and villages by each pair of characters in their names.
    grams: grams::Grams,
    /// Townships and villages by the keys of their names' near misses.
    near: near::Near,
    /// Cities, counties and townships by each name a query may start with.
    places: HashMap<Box<str>, Vec<u32>>,
}

impl RegionIndex {
    /// Builds the index; `regions` must list parents before children.
    pub fn build(regions: &[Region]) -> RegionIndex {
        let mut index = RegionIndex {
            entries: Vec::with_capacity(regions.len()),
            ..RegionIndex::default()
        };
        for region in regions {
            let Ok(code) = region.code.as_str().parse::<u64>() else {
                continue;
            };
            let level = region.level();
            let parent = region.parent_code.as_ref().and_then(|p| index.lookup(p));
            let name = index.push_text(&region.name);
            let display = index.push_text(&region.display_name);
            let Ok(id) = u32::try_from(index.entries.len()) else {
                break;
            };
            index.entries.push(Entry {
                code,
                level,
                parent,
                name,
                display,
            });
            index.by_code.insert((level, code), id);
            if searchable(level) {
                index
                    .grams
                    .add(id, [region.name.as_str(), region.display_name.as_str()]);
                let display = region.display_name.as_str();
                index.near.add(
                    id,
                    std::iter::once(display).chain(names::bare(display, level)),
                );
            }
            if level != RegionLevel::Village {
                let mut keys = vec![region.display_name.as_str(), region.name.as_str()];
                keys.extend(names::bare(&region.display_name, level));
                keys.dedup();
                for key in keys {
                    index.places.entry(key.into()).or_default().push(id);
                }
            }
        }
        index.arena.shrink_to_fit();
        index.grams.shrink_to_fit();
        index.near.finish();
        index
    }

    fn push_text(&mut self, s: &str) -> Span {
        let start = u32::try_from(self.arena.len()).unwrap_or(u32::MAX);
        self.arena.push_str(s);
        Span {
            start,
            len: u32::try_from(s.len()).unwrap_or(0),
        }
    }

    fn text(&self, span: Span) -> &str {
        let start = span.start as usize;
        self.arena
            .get(start..start + span.len as usize)
            .unwrap_or("")
    }

    fn lookup(&self, code: &RegionCode) -> Option<u32> {
        let n = code.as_str().parse::<u64>().ok()?;
        self.by_code.get(&(code.level(), n)).copied()
    }

    fn entry(&self, id: u32) -> Option<&Entry> {
        self.entries.get(id as usize)
    }

    /// Number of regions held.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// Approximate heap bytes held, for the benchmarks.
    pub fn heap_bytes(&self) -> usize {
        let places: usize = self
            .places
            .iter()
            .map(|(k, v)| k.len() + v.capacity() * 4 + 56)
            .sum();
        self.entries.capacity() * std::mem::size_of::<Entry>()
            + self.arena.capacity()
            + self.by_code.capacity() * 24
            + self.grams.heap_bytes()
            + self.near.heap_bytes()
            + places
    }

    /// The region with this code, as a hit of rank exact.
    pub fn get(&self, code: &RegionCode) -> Option<Hit> {
        self.lookup(code)
            .and_then(|id| self.hit(id, MatchRank::Exact))
    }

    /// "王岗村": a village's name as people use it, or its code when the index no longer
    /// holds it (the region table changed after a complaint named the village).
    pub fn village_name(&self, code: &VillageCode) -> String {
        self.get(code.region_code())
            .map_or_else(|| code.to_string(), |h| h.display_name)
    }

    /// "平桥区王岗乡王岗村": a village with its county and township (same-named villages
    /// are many), or its code when the index no longer holds it.
    pub fn full_name(&self, code: &VillageCode) -> String {
        self.get(code.region_code())
            .map_or_else(|| code.to_string(), |h| h.full_name())
    }

    /// Whether `id` lies inside one of `areas` (sorted ids), or is one of them.
    fn is_within_any(&self, id: u32, areas: &[u32]) -> bool {
        let mut cur = Some(id);
        while let Some(c) = cur {
            if areas.binary_search(&c).is_ok() {
                return true;
            }
            cur = self.entry(c).and_then(|e| e.parent);
        }
        false
    }

    fn rank(&self, e: &Entry, q: &str) -> Option<MatchRank> {
        let display = self.text(e.display);
        let name = self.text(e.name);
        if display == q || name == q || names::bare(display, e.level) == Some(q) {
            Some(MatchRank::Exact)
        } else if display.starts_with(q) || name.starts_with(q) {
            Some(MatchRank::Prefix)
        } else if display.contains(q) || name.contains(q) {
            Some(MatchRank::Contains)
        } else {
            None
        }
    }

    /// Regions whose own name matches `q`, inside one of `areas` (sorted; empty means
    /// anywhere). A one-character `q` matches nothing, as in [`Self::search`].
    fn plain(&self, q: &str, areas: &[u32], out: &mut HashMap<u32, MatchRank>) {
        for &id in self.grams.candidates(q).unwrap_or_default() {
            let Some(e) = self.entry(id) else { continue };
            let Some(rank) = self.rank(e, q) else {
                continue;
            };
            if !areas.is_empty() && !self.is_within_any(id, areas) {
                continue;
            }
            out.entry(id)
                .and_modify(|r| *r = (*r).min(rank))
                .or_insert(rank);
        }
    }

    /// `q` as a name, and as place names followed by a name.
    fn collect(&self, q: &str, areas: &[u32], depth: usize, out: &mut HashMap<u32, MatchRank>) {
        self.plain(q, areas, out);
        // 王岗村委会 → 王岗村: people type committee names in full or half.
        let short = display_name(q, RegionLevel::Village);
        if short != q {
            self.plain(&short, areas, out);
        }
        if depth == 0 {
            return;
        }
        for (split, _) in q.char_indices().skip(1) {
            let (head, rest) = q.split_at(split);
            // A one-character rest (平桥区王岗|村) is a name's ending, not a name: it would
            // match every village of the place.
            if rest.chars().nth(1).is_none() {
                continue;
            }
            let Some(places) = self.places.get(head) else {
                continue;
            };
            // One pass over the rest's candidates for all same-named places (there are
            // many 青山镇 in China), not one pass per place.
            let mut inner: Vec<u32> = places
                .iter()
                .copied()
                .filter(|&p| areas.is_empty() || self.is_within_any(p, areas))
                .collect();
            if inner.is_empty() {
                continue;
            }
            inner.sort_unstable();
            self.collect(rest, &inner, depth - 1, out);
        }
    }

    /// Finds townships and villages by name, place + name, or code. A name query needs
    /// two characters: one (村, 王) matches a large part of the country and says nothing.
    pub fn search(&self, query: &Query<'_>) -> Results {
        let mut matched = self.matches(query);
        Results {
            total: matched.len(),
            hits: self.best_hits(&mut matched, query.limit),
        }
    }

    /// Like [`RegionIndex::search`], of one level only, with its counts.
    pub fn search_level(&self, query: &Query<'_>, level: RegionLevel) -> LevelResults {
        let mut matched = self.matches(query);
        matched.retain(|&(_, l, _, _)| l == level);
        LevelResults {
            total: matched.len(),
            exact: matched
                .iter()
                .filter(|&&(rank, ..)| rank == MatchRank::Exact)
                .count(),
            hits: self.best_hits(&mut matched, query.limit),
        }
    }

    /// The best `limit` of `matched` as hits, best first: by rank, then level, then
    /// code. Only those are sorted, since a common name matches thousands.
    fn best_hits(&self, matched: &mut [Match], limit: usize) -> Vec<Hit> {
        let best = if matched.len() > limit {
            matched.select_nth_unstable(limit).0
        } else {
            matched
        };
        best.sort_unstable();
        best.iter()
            .filter_map(|&(rank, _, _, id)| self.hit(id, rank))
            .collect()
    }

    /// Every match, in no order.
    fn matches(&self, query: &Query<'_>) -> Vec<Match> {
        let q = names::normalize(query.text);
        if q.is_empty() {
            return Vec::new();
        }
        let scope: Vec<u32> = match query.within {
            Some(code) => match self.lookup(code) {
                Some(id) => vec![id],
                None => return Vec::new(),
            },
            None => Vec::new(),
        };
        let mut found: HashMap<u32, MatchRank> = HashMap::new();
        if q.bytes().all(|b| b.is_ascii_digit()) {
            for code in RegionCode::interpretations(&q).unwrap_or_default() {
                if let Some(id) = self.lookup(&code)
                    && (scope.is_empty() || self.is_within_any(id, &scope))
                {
                    found.insert(id, MatchRank::Exact);
                    break;
                }
            }
        } else if q.chars().nth(1).is_some() {
            self.collect(&q, &scope, MAX_PLACE_DEPTH, &mut found);
        }
        found
            .into_iter()
            .filter_map(|(id, rank)| self.entry(id).map(|e| (rank, e.level, e.code, id)))
            .collect()
    }

    /// Names close to `text` (a typo, a character too many or too few), for a
    /// "did you mean" when nothing matched. Best first: nearest when characters that
    /// sound alike count as the same (王刚 → 王岗 before 王庄), then nearest as typed,
    /// then townships before villages, then by code.
    pub fn suggest(&self, text: &str, limit: usize) -> Vec<Hit> {
        /// How many candidates are checked at most: a two-character query is one slip
        /// from thousands of names (every 王X for 王刚), all equally near; those that sound
        /// the same come from a small bucket of their own, so they are always checked.
        const CHECKED: usize = 512;
        let q = names::normalize(text);
        let mut q_buf = ['\0'; names::SHORT];
        let Some(q_chars) = names::chars_into(&q, &mut q_buf) else {
            return Vec::new();
        };
        if q_chars.len() < 2 {
            return Vec::new();
        }
        let max_distance = (q_chars.len() / 2).max(1);
        let mut scored: Vec<(usize, usize, RegionLevel, u64, u32)> = self
            .near
            .candidates(&q, CHECKED)
            .into_iter()
            .filter_map(|id| {
                let e = self.entry(id)?;
                let display = self.text(e.display);
                let mut buf = ['\0'; names::SHORT];
                let (typed, heard) = match names::chars_into(display, &mut buf) {
                    Some(chars) => {
                        let stem = names::bare(display, e.level)
                            .map(|b| b.chars().count())
                            .and_then(|n| chars.get(..n));
                        let nearest = |same: &dyn Fn(char, char) -> bool| {
                            let whole = names::edit_distance_by(q_chars, chars, max_distance, same);
                            stem.map_or(whole, |s| {
                                whole.min(names::edit_distance_by(q_chars, s, max_distance, same))
                            })
                        };
                        let typed = nearest(&|a, b| a == b);
                        if typed > max_distance {
                            return None;
                        }
                        (typed, nearest(&names::sound_alike))
                    }
                    None => {
                        let d = names::edit_distance(&q, display, max_distance);
                        (d, d)
                    }
                };
                (typed <= max_distance).then_some((heard, typed, e.level, e.code, id))
            })
            .collect();
        scored.sort_unstable();
        scored
            .into_iter()
            .take(limit)
            .filter_map(|(_, _, _, _, id)| self.hit(id, MatchRank::Contains))
            .collect()
    }

    fn place(&self, id: u32) -> Option<Place> {
        let e = self.entry(id)?;
        Some(Place {
            code: code_of(e)?,
            name: self.text(e.display).to_owned(),
        })
    }

    fn hit(&self, id: u32, rank: MatchRank) -> Option<Hit> {
        let e = self.entry(id)?;
        let mut hit = Hit {
            code: code_of(e)?,
            name: self.text(e.name).to_owned(),
            display_name: self.text(e.display).to_owned(),
            level: e.level,
            rank,
            township: None,
            county: None,
            city: None,
        };
        let mut cur = e.parent;
        while let Some(pid) = cur {
            let Some(p) = self.entry(pid) else { break };
            match p.level {
                RegionLevel::Township => hit.township = self.place(pid),
                RegionLevel::County => hit.county = self.place(pid),
                RegionLevel::City => hit.city = self.place(pid),
                _ => {}
            }
            cur = p.parent;
        }
        Some(hit)
    }
}

fn code_of(e: &Entry) -> Option<RegionCode> {
    // Digit by digit rather than with `format!`: a reply listing ten villages makes forty
    // of these, and the formatting machinery was most of their cost.
    let mut digits = [b'0'; 12];
    let width = e.level.code_len();
    let mut rest = e.code;
    for d in digits.get_mut(..width)?.iter_mut().rev() {
        *d = b'0' + u8::try_from(rest % 10).ok()?;
        rest /= 10;
    }
    if rest != 0 {
        return None;
    }
    RegionCode::parse(std::str::from_utf8(digits.get(..width)?).ok()?).ok()
}

/// The index shared by every request, swapped whole when the table changes.
#[derive(Clone, Default)]
pub struct SearchIndex {
    current: Arc<RwLock<Arc<RegionIndex>>>,
    /// The table fingerprint the current index was built from.
    built_from: Arc<tokio::sync::Mutex<String>>,
}

impl SearchIndex {
    /// The snapshot to answer one request with.
    pub fn current(&self) -> Arc<RegionIndex> {
        self.current
            .read()
            .map(|g| Arc::clone(&g))
            .unwrap_or_else(|poisoned| Arc::clone(&poisoned.into_inner()))
    }

    /// Rebuilds from Postgres when the table changed since the last build; true when
    /// it rebuilt.
    pub async fn refresh(&self, pool: &PgPool) -> Result<bool, sqlx::Error> {
        let mut built_from = self.built_from.lock().await;
        let fingerprint = storage::regions::fingerprint(pool).await?;
        if *built_from == fingerprint {
            return Ok(false);
        }
        let regions = storage::regions::all(pool).await?;
        let started = std::time::Instant::now();
        let index = tokio::task::spawn_blocking(move || RegionIndex::build(&regions))
            .await
            .map_err(|e| sqlx::Error::Protocol(format!("index build failed: {e}")))?;
        tracing::info!(
            regions = index.len(),
            heap_mib = index.heap_bytes() / (1 << 20),
            build_ms = started.elapsed().as_millis() as u64,
            "built the region search index"
        );
        match self.current.write() {
            Ok(mut g) => *g = Arc::new(index),
            Err(poisoned) => *poisoned.into_inner() = Arc::new(index),
        }
        *built_from = fingerprint;
        Ok(true)
    }

    /// Checks the table every `every` and rebuilds on change, until `stop`.
    pub fn spawn_refresher(
        &self,
        pool: PgPool,
        every: Duration,
        stop: CancellationToken,
        tracker: &TaskTracker,
    ) {
        let this = self.clone();
        tracker.spawn(async move {
            loop {
                tokio::select! {
                    () = stop.cancelled() => break,
                    () = tokio::time::sleep(every) => {}
                }
                if let Err(e) = this.refresh(&pool).await {
                    tracing::warn!(error = %e, "could not refresh the region search index");
                }
            }
        });
    }
}

#[cfg(test)]
mod tests {
    use super::sample::sample;
    use super::*;

    fn codes(r: &Results) -> Vec<&str> {
        r.hits.iter().map(|h| h.code.as_str()).collect()
    }

    fn search(index: &RegionIndex, text: &str) -> Results {
        index.search(&Query {
            text,
            within: None,
            limit: 20,
        })
    }

    #[test]
    fn exact_ranks_before_prefix_before_contains() {
        let index = sample();
        let r = search(&index, "王岗");
        assert_eq!(
            codes(&r),
            [
                "411503209",
                "411503209202",
                "411521106200",
                "411524107206",
                "411524107205"
            ]
        );
        let ranks: Vec<MatchRank> = r.hits.iter().map(|h| h.rank).collect();
        use MatchRank::*;
        assert_eq!(ranks, [Exact, Exact, Exact, Prefix, Contains]);
        let h = &r.hits[2];
        assert_eq!(h.township.as_ref().unwrap().name, "青山镇");
        assert_eq!(h.county.as_ref().unwrap().name, "罗山县");
        assert_eq!(h.full_name(), "罗山县青山镇王岗村");
    }

    #[test]
    fn a_place_before_the_name_narrows_the_search() {
        let index = sample();
        assert_eq!(codes(&search(&index, "青山镇王岗")), ["411521106200"]);
        assert_eq!(codes(&search(&index, "青山王岗村")), ["411521106200"]);
        assert_eq!(codes(&search(&index, "罗山县青山镇王岗")), ["411521106200"]);
        assert_eq!(codes(&search(&index, "平桥区王岗村")), ["411503209202"]);
        assert_eq!(
            codes(&search(&index, "平桥区王岗乡王岗村")),
            ["411503209202"]
        );
        assert_eq!(
            codes(&search(&index, "商城县王岗")),
            ["411524107206", "411524107205"]
        );
    }

    #[test]
    fn codes_and_committee_names_find_their_region() {
        let index = sample();
        assert_eq!(codes(&search(&index, "411503209202")), ["411503209202"]);
        assert_eq!(codes(&search(&index, "411503209000")), ["411503209"]);
        assert_eq!(
            codes(&search(&index, "王岗村委会")),
            ["411503209202", "411521106200", "411524107205"]
        );
        assert!(search(&index, "999999999999").hits.is_empty());
        assert!(search(&index, "  ").hits.is_empty());
        assert!(search(&index, "王").hits.is_empty());
    }

    #[test]
    fn within_limits_results_to_a_region() {
        let index = sample();
        let within = RegionCode::parse("411524").unwrap();
        let r = index.search(&Query {
            text: "王岗",
            within: Some(&within),
            limit: 20,
        });
        assert_eq!(codes(&r), ["411524107206", "411524107205"]);
    }

    #[test]
    fn the_limit_keeps_the_total() {
        let index = sample();
        let r = index.search(&Query {
            text: "王岗",
            within: None,
            limit: 2,
        });
        assert_eq!(r.total, 5);
        assert_eq!(r.hits.len(), 2);
    }

    #[test]
    fn a_village_is_named_with_or_without_its_places() {
        let index = sample();
        let code = VillageCode::parse("411503209202").unwrap();
        assert_eq!(index.village_name(&code), "王岗村");
        assert_eq!(index.full_name(&code), "平桥区王岗乡王岗村");
        let gone = VillageCode::parse("411503209999").unwrap();
        assert_eq!(index.full_name(&gone), "411503209999");
    }

    #[test]
    fn a_character_that_sounds_the_same_is_the_nearest_slip() {
        use super::sample::region;
        // 王刚: one character from 王庄 and from 王岗 alike, but 刚 and 岗 are both "gang"
        // on a pinyin keyboard, so 王岗 is what was meant, though 王庄 comes first by code.
        let index = RegionIndex::build(&[
            region("4115", "信阳市"),
            region("411503", "平桥区"),
            region("411503005", "甘岸街道"),
            region("411503005203", "王庄村民委员会"),
            region("411503209", "王岗乡"),
            region("411503209202", "王岗村民委员会"),
        ]);
        let s = index.suggest("王刚", 5);
        let names: Vec<&str> = s.iter().map(|h| h.display_name.as_str()).collect();
        assert_eq!(names.first(), Some(&"王岗乡"), "{names:?}");
        assert_eq!(names.get(1), Some(&"王岗村"), "{names:?}");
        assert!(names.contains(&"王庄村"), "{names:?}");
    }

    #[test]
    fn suggestions_forgive_a_wrong_character() {
        let index = sample();
        assert!(search(&index, "王刚").hits.is_empty());
        let s = index.suggest("王刚", 5);
        assert!(s.iter().any(|h| h.display_name == "王岗村"), "{s:?}");
    }
}
