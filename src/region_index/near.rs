//! Names one typing slip away, for "did you mean": each name is filed under itself, under
//! every way of leaving out one of its characters (王岗 under 王岗, 岗 and 王), and under
//! how it sounds (wang gang, which 王刚 shares), and a query is looked up the same way. Two strings one wrong, missing or extra character
//! apart always share a key (a substitution leaves out the same place in both), so the
//! lookup touches a few small buckets instead of every name that shares a character with
//! the query (the old way took 20 ms over all of China).
//!
//! Keys are 32-bit hashes packed with the id into one sorted `u64`, 8 bytes an entry: a
//! collision only adds a candidate, which the caller checks by edit distance anyway.

use std::hash::{BuildHasher, BuildHasherDefault, DefaultHasher};

/// Sorted `hash << 32 | id`.
#[derive(Default)]
pub struct Near(Vec<u64>);

/// Every key of `form`: itself, each one-character deletion, and how it sounds, into
/// `out`.
fn keys(form: &[char], out: &mut Vec<u32>) {
    out.push(hash(form.iter().copied()));
    out.push(sound(form));
    for skip in 0..form.len() {
        let rest = form
            .iter()
            .enumerate()
            .filter(|&(i, _)| i != skip)
            .map(|(_, &c)| c);
        out.push(hash(rest));
    }
}

/// The key of how `form` sounds: its syllables, tones aside (王刚 and 王岗 are both
/// "wang gang"), so that the names a pinyin keyboard could have offered instead are found
/// even when thousands of others are one character away.
fn sound(form: &[char]) -> u32 {
    use pinyin::ToPinyin;
    // A character no syllable can stand for, so a sound never equals a spelling.
    let mut chars: Vec<char> = vec!['\u{1}'];
    for &c in form {
        match c.to_pinyin() {
            Some(p) => chars.extend(p.plain().chars()),
            None => chars.push(c),
        }
        chars.push(' ');
    }
    hash(chars.into_iter())
}

fn hash(chars: impl Iterator<Item = char>) -> u32 {
    use std::hash::Hasher;
    // SipHash with fixed keys: the same key on every instance and every build.
    let mut h = BuildHasherDefault::<DefaultHasher>::default().build_hasher();
    for c in chars {
        h.write_u32(u32::from(c));
    }
    // The high half is as good as any.
    (h.finish() >> 32) as u32
}

impl Near {
    /// Files `id` under the keys of each of its `forms` (the name as shown, the bare stem).
    pub fn add<'a>(&mut self, id: u32, forms: impl IntoIterator<Item = &'a str>) {
        let mut hashes = Vec::new();
        for form in forms {
            let chars: Vec<char> = form.chars().collect();
            keys(&chars, &mut hashes);
        }
        hashes.sort_unstable();
        hashes.dedup();
        self.0.extend(
            hashes
                .into_iter()
                .map(|h| (u64::from(h) << 32) | u64::from(id)),
        );
    }

    /// Sorts the entries; call once, after the last `add`.
    pub fn finish(&mut self) {
        self.0.sort_unstable();
        self.0.shrink_to_fit();
    }

    /// Ids that may be one slip from `q`, smallest buckets first and at most about `cap`
    /// of them: a two-character query's one-character keys (王) match thousands of names,
    /// all equally near, and checking the first `cap` of them says as much as checking
    /// all. Ascending and without repeats.
    pub fn candidates(&self, q: &str, cap: usize) -> Vec<u32> {
        let chars: Vec<char> = q.chars().collect();
        let mut hashes = Vec::with_capacity(chars.len() + 1);
        keys(&chars, &mut hashes);
        hashes.sort_unstable();
        hashes.dedup();
        let mut buckets: Vec<&[u64]> = hashes.iter().map(|&h| self.bucket(h)).collect();
        buckets.sort_by_key(|b| b.len());
        let mut ids: Vec<u32> = Vec::new();
        for bucket in buckets {
            let room = cap.saturating_sub(ids.len());
            if room == 0 {
                break;
            }
            ids.extend(bucket.iter().take(room).map(|&e| e as u32));
        }
        ids.sort_unstable();
        ids.dedup();
        ids
    }

    fn bucket(&self, hash: u32) -> &[u64] {
        let lo = u64::from(hash) << 32;
        let start = self.0.partition_point(|&e| e < lo);
        let end = start + self.0[start..].partition_point(|&e| (e >> 32) as u32 == hash);
        &self.0[start..end]
    }

    pub fn heap_bytes(&self) -> usize {
        self.0.capacity() * 8
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn near(names: &[&str]) -> Near {
        let mut near = Near::default();
        for (id, name) in (0u32..).zip(names) {
            near.add(id, [*name]);
        }
        near.finish();
        near
    }

    #[test]
    fn a_wrong_missing_or_extra_character_shares_a_key() {
        let near = near(&["王岗村", "南王岗村", "张庄村", "王岗"]);
        // Wrong: 王刚村 ~ 王岗村. Missing: 南王岗 ~ 南王岗村 (and 王岗, 王岗村, which the
        // caller's edit distance sorts out). Extra: 王岗村村 ~ 王岗村 (and 南王岗村).
        assert_eq!(near.candidates("王刚村", 100), [0]);
        assert_eq!(near.candidates("南王岗", 100), [0, 1, 3]);
        assert_eq!(near.candidates("王岗村村", 100), [0, 1]);
        assert_eq!(near.candidates("火星基地", 100), [] as [u32; 0]);
    }

    #[test]
    fn a_name_that_sounds_the_same_shares_a_key() {
        let near = near(&["王庄", "王楼", "王集", "王营", "王岗"]);
        // 王刚 sounds as 王岗; the cap would otherwise keep only the first 王X.
        assert_eq!(near.candidates("王刚", 1), [4]);
    }

    #[test]
    fn the_cap_takes_the_smallest_buckets_first() {
        let near = near(&["王庄", "王楼", "王集", "王营", "王刚村"]);
        // 王刚's own bucket holds 王刚村; the key 王 holds every 王X.
        assert_eq!(near.candidates("王刚", 2), [0, 4]);
        assert_eq!(near.candidates("王刚", 100), [0, 1, 2, 3, 4]);
    }
}
