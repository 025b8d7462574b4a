//! Two-character postings: for each pair of adjacent characters, the regions whose names
//! hold it. A name containing a query holds every pair of the query, so the rarest pair's
//! list is a small superset of the matches: over all of China 王岗 is in 85 names where
//! 岗 alone is in 5,124 and 王 in 11,791 (one-character postings made each lookup scan
//! thousands).

use std::collections::HashMap;

/// Township and village ids holding each pair of characters, ascending.
#[derive(Default)]
pub struct Grams(HashMap<u64, Vec<u32>>);

/// Two characters as one key (a char fits in 21 bits).
fn key(a: char, b: char) -> u64 {
    (u64::from(a) << 21) | u64::from(b)
}

fn pairs(s: &str) -> impl Iterator<Item = u64> + '_ {
    s.chars().zip(s.chars().skip(1)).map(|(a, b)| key(a, b))
}

impl Grams {
    /// Records `id` (ids must come in ascending order) under every pair of `texts`.
    pub fn add<'a>(&mut self, id: u32, texts: impl IntoIterator<Item = &'a str>) {
        for text in texts {
            for k in pairs(text) {
                let list = self.0.entry(k).or_default();
                // The same pair twice in one region (张张庄, or in both its names).
                if list.last() != Some(&id) {
                    list.push(id);
                }
            }
        }
    }

    /// The ids that may hold `q` (at least two characters): the rarest pair's list, or
    /// nothing when a pair is in no name at all. `None` for a one-character `q`.
    pub fn candidates(&self, q: &str) -> Option<&[u32]> {
        let mut rarest: Option<&[u32]> = None;
        for k in pairs(q) {
            let list = self.0.get(&k).map_or(&[][..], Vec::as_slice);
            if rarest.is_none_or(|r| list.len() < r.len()) {
                rarest = Some(list);
            }
            if list.is_empty() {
                break;
            }
        }
        rarest
    }

    pub fn shrink_to_fit(&mut self) {
        for list in self.0.values_mut() {
            list.shrink_to_fit();
        }
        self.0.shrink_to_fit();
    }

    pub fn heap_bytes(&self) -> usize {
        let lists: usize = self.0.values().map(|v| v.capacity() * 4).sum();
        lists + self.0.capacity() * (8 + std::mem::size_of::<Vec<u32>>() + 1)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_rarest_pair_bounds_the_matches() {
        let mut grams = Grams::default();
        grams.add(0, ["王岗村", "王岗村民委员会"]);
        grams.add(1, ["王庄村"]);
        grams.add(2, ["霸王岗村"]);
        assert_eq!(grams.candidates("王岗"), Some(&[0, 2][..]));
        assert_eq!(grams.candidates("王村"), Some(&[][..]));
        assert_eq!(grams.candidates("村民委员会"), Some(&[0][..]));
        assert_eq!(grams.candidates("王"), None);
    }
}
