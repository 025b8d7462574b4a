//! Forms of a region's name that people type.

use crate::domain::RegionLevel;

/// Generic endings that people often leave out: 王岗村 → 王岗, 王岗乡 → 王岗,
/// 平桥区 → 平桥. Longest first.
const ENDINGS: &[(RegionLevel, &[&str])] = &[
    (RegionLevel::Village, &["社区", "村", "居委会"]),
    (
        RegionLevel::Township,
        &["街道办事处", "办事处", "街道", "镇", "乡"],
    ),
    (RegionLevel::County, &["自治县", "区", "县", "市", "旗"]),
    (RegionLevel::City, &["地区", "自治州", "盟", "市"]),
    (
        RegionLevel::Province,
        &[
            "壮族自治区",
            "回族自治区",
            "维吾尔自治区",
            "自治区",
            "省",
            "市",
        ],
    ),
];

/// The name without its generic ending, when at least two characters remain
/// (新县 stays 新县; a one-character stem would match far too much).
pub fn bare(display: &str, level: RegionLevel) -> Option<&str> {
    let endings = ENDINGS
        .iter()
        .find(|(l, _)| *l == level)
        .map_or(&[][..], |(_, e)| *e);
    endings.iter().find_map(|ending| {
        display
            .strip_suffix(ending)
            .filter(|stem| stem.chars().count() >= 2)
    })
}

/// What a query is compared with: spaces removed, full-width digits and letters made
/// ASCII, at most [`SHORT`] characters.
pub fn normalize(query: &str) -> String {
    query
        .chars()
        .filter(|c| !c.is_whitespace() && !matches!(c, '　' | '·' | '，' | ',' | '。'))
        .map(|c| match c {
            '\u{FF10}'..='\u{FF19}' | '\u{FF21}'..='\u{FF3A}' | '\u{FF41}'..='\u{FF5A}' => {
                char::from_u32(c as u32 - 0xFEE0).unwrap_or(c)
            }
            _ => c,
        })
        .take(SHORT)
        .collect()
}

/// Edit distance in characters, giving up (returning `limit + 1`) beyond `limit`.
pub fn edit_distance(a: &str, b: &str, limit: usize) -> usize {
    let mut a_buf = ['\0'; SHORT];
    let mut b_buf = ['\0'; SHORT];
    match (chars_into(a, &mut a_buf), chars_into(b, &mut b_buf)) {
        (Some(a), Some(b)) => edit_distance_chars(a, b, limit),
        _ => {
            let a: Vec<char> = a.chars().collect();
            let b: Vec<char> = b.chars().collect();
            edit_distance_chars(&a, &b, limit)
        }
    }
}

/// Names up to this many characters (every query, after [`normalize`]) are compared
/// without touching the heap: "did you mean" compares hundreds of them per query.
pub const SHORT: usize = 40;

/// `s`'s characters in `buf`, or `None` when it is longer.
pub fn chars_into<'b>(s: &str, buf: &'b mut [char; SHORT]) -> Option<&'b [char]> {
    let mut n = 0;
    for c in s.chars() {
        *buf.get_mut(n)? = c;
        n += 1;
    }
    buf.get(..n)
}

/// [`edit_distance`] on characters already split out.
pub fn edit_distance_chars(a: &[char], b: &[char], limit: usize) -> usize {
    edit_distance_by(a, b, limit, |x, y| x == y)
}

/// Whether two characters sound alike (the same syllable, tones aside), as 刚 and 岗: a
/// pinyin keyboard offers both for "gang", which makes this the commonest slip.
pub fn sound_alike(a: char, b: char) -> bool {
    use pinyin::ToPinyin;
    a == b || matches!((a.to_pinyin(), b.to_pinyin()), (Some(x), Some(y)) if x.plain() == y.plain())
}

/// Edit distance counting a character as unchanged when `same` says so.
pub fn edit_distance_by(
    a: &[char],
    b: &[char],
    limit: usize,
    same: impl Fn(char, char) -> bool,
) -> usize {
    if a.len().abs_diff(b.len()) > limit {
        return limit + 1;
    }
    let mut rows = [[0usize; SHORT + 1]; 2];
    let mut heap;
    let (prev, cur): (&mut [usize], &mut [usize]) = if b.len() <= SHORT {
        let [p, c] = &mut rows;
        (&mut p[..=b.len()], &mut c[..=b.len()])
    } else {
        heap = vec![0usize; 2 * (b.len() + 1)];
        heap.split_at_mut(b.len() + 1)
    };
    for (j, p) in prev.iter_mut().enumerate() {
        *p = j;
    }
    let (mut prev, mut cur) = (prev, cur);
    for (i, ca) in a.iter().enumerate() {
        cur[0] = i + 1;
        let mut row_min = cur[0];
        for (j, cb) in b.iter().enumerate() {
            let cost = usize::from(!same(*ca, *cb));
            cur[j + 1] = (prev[j] + cost).min(prev[j + 1] + 1).min(cur[j] + 1);
            row_min = row_min.min(cur[j + 1]);
        }
        if row_min > limit {
            return limit + 1;
        }
        std::mem::swap(&mut prev, &mut cur);
    }
    prev[b.len()].min(limit + 1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bare_names_drop_generic_endings() {
        assert_eq!(bare("王岗村", RegionLevel::Village), Some("王岗"));
        assert_eq!(bare("义阳社区", RegionLevel::Village), Some("义阳"));
        assert_eq!(bare("王岗乡", RegionLevel::Township), Some("王岗"));
        assert_eq!(bare("老城街道", RegionLevel::Township), Some("老城"));
        assert_eq!(bare("平桥区", RegionLevel::County), Some("平桥"));
        assert_eq!(bare("新县", RegionLevel::County), None);
        assert_eq!(bare("信阳市", RegionLevel::City), Some("信阳"));
    }

    #[test]
    fn queries_are_normalized() {
        assert_eq!(normalize(" 王 岗 "), "王岗");
        assert_eq!(normalize("４１１５"), "4115");
    }

    #[test]
    fn edit_distance_counts_characters() {
        assert_eq!(edit_distance("王刚", "王岗", 2), 1);
        assert_eq!(edit_distance("王岗村", "王岗", 2), 1);
        assert_eq!(edit_distance("abc", "xyzuvw", 2), 3);
        let long = "长".repeat(40);
        assert_eq!(edit_distance(&long, &format!("{long}村"), 2), 1);
        assert_eq!(edit_distance(&long, "长", 2), 3);
        let (a, b): (Vec<char>, Vec<char>) = ("王刚".chars().collect(), "王岗".chars().collect());
        assert_eq!(edit_distance_by(&a, &b, 2, sound_alike), 0);
        assert!(!sound_alike('刚', '庄'));
    }
}
