//! The C2SP tlog-tiles layout (<https://c2sp.org/tlog-tiles>): how the log is served as
//! static files, and how a client turns fetched tiles back into any proof.
//!
//! A tile is 256 consecutive hashes of one level of the tree: level-0 tiles hold leaf
//! hashes, a level-1 tile holds the roots of 256 full level-0 tiles, and so on. The
//! rightmost tile of a level may be partial (`.p/<W>`). An entry bundle
//! (`tile/entries/…`) holds the entries behind a level-0 tile. We serve tiles rather
//! than RFC 9162's get-proof endpoints because every tile URL — full or partial —
//! names bytes that never change: they cache forever in any CDN or browser, need no
//! per-request work, and the server cannot tailor a proof to one reader. A client
//! needs only a few tiles for any proof (two or three levels for a million entries).
//!
//! Server side: [`Tile::parse_path`] and [`Tile::exists_at`] decide whether a request
//! is answerable, [`Tile::nodes`] / [`Tile::entry_indexes`] say what to read from the
//! database, [`encode_hash_tile`] / [`encode_entry_bundle`] write the body.
//!
//! Client side: [`TileHashes`] holds the tiles of one checkpoint's tree and answers
//! the [`NodeId`]s a [`super::proof::ProofPlan`] asks for. Tiles are not trusted: the
//! proof built from them is verified against the signed root, which fails if any
//! tile byte was wrong.

use std::collections::HashMap;
use std::fmt;
use std::ops::Range;

use super::hash::{HASH_SIZE, Hash, merkle_tree_hash};
use super::tree::NodeId;

/// Levels of the Merkle tree one tile spans.
pub const TILE_HEIGHT: u8 = 8;
/// Hashes in a full tile: 2^[`TILE_HEIGHT`].
pub const TILE_WIDTH: u16 = 256;
/// The largest entry an entry bundle can hold (its length prefix is a `u16`).
pub const MAX_ENTRY_SIZE: usize = u16::MAX as usize;
/// The highest tile level a log of [`super::tree::MAX_TREE_SIZE`] entries has.
const MAX_TILE_LEVEL: u8 = 7;

/// Which kind of resource a tile path names.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Debug)]
pub enum TileLevel {
    /// `tile/<L>/…`: hashes of Merkle level 8·L.
    Hashes(u8),
    /// `tile/entries/…`: the entries behind the level-0 tile of the same index.
    Entries,
}

/// One tile or entry bundle: its level, its index within the level and its width
/// (256 when full).
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Debug)]
pub struct Tile {
    level: TileLevel,
    index: u64,
    width: u16,
}

/// Why a tile could not be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TileError {
    #[error("`{0}` is not a tile path of this log")]
    BadPath(String),
    #[error("tile {path} should be {expected} bytes, got {got}")]
    WrongLength {
        path: String,
        expected: usize,
        got: usize,
    },
    #[error("entry bundle {path} is malformed: {reason}")]
    BadBundle { path: String, reason: &'static str },
    #[error("an entry of {len} bytes does not fit an entry bundle (at most {MAX_ENTRY_SIZE})")]
    EntryTooLarge { len: usize },
    #[error("{node} is not complete in a tree of {size} entries")]
    NotInTree { node: NodeId, size: u64 },
    #[error("tile {0} has not been fetched")]
    Missing(String),
    #[error("tile {path} does not belong to the tree of {size} entries")]
    WrongTree { path: String, size: u64 },
}

impl Tile {
    /// A hash tile, if the level, index and width are possible in this log.
    pub fn hashes(level: u8, index: u64, width: u16) -> Option<Tile> {
        Tile::new(TileLevel::Hashes(level), index, width)
    }

    /// An entry bundle, likewise.
    pub fn entries(index: u64, width: u16) -> Option<Tile> {
        Tile::new(TileLevel::Entries, index, width)
    }

    fn new(level: TileLevel, index: u64, width: u16) -> Option<Tile> {
        let tile = Tile {
            level,
            index,
            width,
        };
        let in_range = match level {
            TileLevel::Hashes(l) => l <= MAX_TILE_LEVEL,
            TileLevel::Entries => true,
        } && (1..=TILE_WIDTH).contains(&width);
        // Its last hash must be a subtree the log can have (so all of them are).
        let last = index
            .checked_mul(u64::from(TILE_WIDTH))?
            .checked_add(u64::from(width).checked_sub(1)?)?;
        (in_range && NodeId::new(tile.merkle_level(), last).is_some()).then_some(tile)
    }

    /// The tile at `level` and `index` as it is in the tree of `size` entries: full,
    /// partial, or `None` if that tree does not reach it.
    pub fn at_size(level: TileLevel, index: u64, size: u64) -> Option<Tile> {
        let merkle_level = match level {
            TileLevel::Hashes(l) => l.checked_mul(TILE_HEIGHT)?,
            TileLevel::Entries => 0,
        };
        let hashes_at_level = size.checked_shr(u32::from(merkle_level))?;
        let start = index.checked_mul(u64::from(TILE_WIDTH))?;
        let available = hashes_at_level.checked_sub(start)?;
        // min(.., 256) fits in a u16.
        let width = available.min(u64::from(TILE_WIDTH)) as u16;
        Tile::new(level, index, width)
    }

    /// The entry bundle holding entry `index` in the tree of `size` entries.
    pub fn entries_for(index: u64, size: u64) -> Option<Tile> {
        if index >= size {
            return None;
        }
        Tile::at_size(TileLevel::Entries, index / u64::from(TILE_WIDTH), size)
    }

    pub fn level(&self) -> TileLevel {
        self.level
    }

    pub fn index(&self) -> u64 {
        self.index
    }

    pub fn width(&self) -> u16 {
        self.width
    }

    pub fn is_full(&self) -> bool {
        self.width == TILE_WIDTH
    }

    /// The Merkle level of the hashes in this tile (entry bundles sit on level 0).
    fn merkle_level(&self) -> u8 {
        match self.level {
            TileLevel::Hashes(l) => l * TILE_HEIGHT,
            TileLevel::Entries => 0,
        }
    }

    /// Whether a log of `size` entries can serve this tile. A partial tile stays
    /// servable after its level fills up: its bytes are still exactly right.
    pub fn exists_at(&self, size: u64) -> bool {
        let available = size >> self.merkle_level();
        self.index * u64::from(TILE_WIDTH) + u64::from(self.width) <= available
    }

    /// The stored hashes a hash tile is made of, in order. Empty for an entry bundle.
    pub fn nodes(&self) -> Vec<NodeId> {
        if self.level == TileLevel::Entries {
            return Vec::new();
        }
        let start = self.index * u64::from(TILE_WIDTH);
        (0..u64::from(self.width))
            .map(|i| NodeId::new_unchecked(self.merkle_level(), start + i))
            .collect()
    }

    /// The entries an entry bundle (or a level-0 tile) covers.
    pub fn entry_indexes(&self) -> Range<u64> {
        let start = self.index * u64::from(TILE_WIDTH);
        start..start + u64::from(self.width)
    }

    /// The path under the log's prefix, e.g. `tile/0/x001/234.p/17`.
    pub fn path(&self) -> String {
        let level = match self.level {
            TileLevel::Hashes(l) => l.to_string(),
            TileLevel::Entries => "entries".to_owned(),
        };
        let mut path = format!("tile/{level}/{}", encode_index(self.index));
        if !self.is_full() {
            path.push_str(&format!(".p/{}", self.width));
        }
        path
    }

    /// Parses a path as [`Tile::path`] writes it, and only that way (no leading zeros,
    /// no superfluous `x000` elements), so each tile has exactly one URL.
    pub fn parse_path(path: &str) -> Result<Tile, TileError> {
        let bad = || TileError::BadPath(path.chars().take(100).collect());
        let rest = path.strip_prefix("tile/").ok_or_else(bad)?;
        let (level, rest) = rest.split_once('/').ok_or_else(bad)?;
        let level = match level {
            "entries" => TileLevel::Entries,
            l => {
                TileLevel::Hashes(parse_decimal(l, u64::from(MAX_TILE_LEVEL)).ok_or_else(bad)? as u8)
            }
        };
        let (index, width) = match rest.split_once(".p/") {
            Some((index, width)) => {
                let width = parse_decimal(width, u64::from(TILE_WIDTH) - 1).ok_or_else(bad)?;
                // 1..=255, so it fits.
                (index, width as u16)
            }
            None => (rest, TILE_WIDTH),
        };
        let mut n: u64 = 0;
        let elements: Vec<&str> = index.split('/').collect();
        for (i, element) in elements.iter().enumerate() {
            let digits = if i + 1 < elements.len() {
                element.strip_prefix('x').ok_or_else(bad)?
            } else {
                element
            };
            if digits.len() != 3 || !digits.bytes().all(|b| b.is_ascii_digit()) {
                return Err(bad());
            }
            let group: u64 = digits.parse().map_err(|_| bad())?;
            n = n
                .checked_mul(1000)
                .and_then(|n| n.checked_add(group))
                .ok_or_else(bad)?;
        }
        let tile = Tile::new(level, n, width).ok_or_else(bad)?;
        if tile.path() != path {
            return Err(bad());
        }
        Ok(tile)
    }
}

impl fmt::Display for Tile {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.path())
    }
}

/// A decimal with no leading zeros, at most `max`.
fn parse_decimal(text: &str, max: u64) -> Option<u64> {
    let canonical = !text.is_empty()
        && text.bytes().all(|b| b.is_ascii_digit())
        && (text == "0" || !text.starts_with('0'));
    let n: u64 = text.parse().ok().filter(|_| canonical)?;
    (n <= max).then_some(n)
}

/// `1234067` → `x001/x234/067`: three-digit elements, all but the last marked `x`,
/// so a directory never shares its name with a file.
fn encode_index(mut n: u64) -> String {
    let mut parts = vec![format!("{:03}", n % 1000)];
    n /= 1000;
    while n > 0 {
        parts.push(format!("x{:03}", n % 1000));
        n /= 1000;
    }
    parts.reverse();
    parts.join("/")
}

/// The body of a hash tile: its hashes, concatenated.
pub fn encode_hash_tile(hashes: &[Hash]) -> Vec<u8> {
    hashes.iter().flat_map(|h| h.0).collect()
}

/// The hashes of a fetched hash tile, checking its length against its width.
pub fn decode_hash_tile(tile: &Tile, body: &[u8]) -> Result<Vec<Hash>, TileError> {
    let expected = usize::from(tile.width) * HASH_SIZE;
    if body.len() != expected {
        return Err(TileError::WrongLength {
            path: tile.path(),
            expected,
            got: body.len(),
        });
    }
    Ok(body
        .chunks_exact(HASH_SIZE)
        .filter_map(Hash::from_slice)
        .collect())
}

/// The body of an entry bundle: each entry prefixed by its length as a big-endian
/// `u16`.
pub fn encode_entry_bundle<E: AsRef<[u8]>>(entries: &[E]) -> Result<Vec<u8>, TileError> {
    let mut out = Vec::new();
    for entry in entries {
        let entry = entry.as_ref();
        let len = u16::try_from(entry.len())
            .map_err(|_| TileError::EntryTooLarge { len: entry.len() })?;
        out.extend_from_slice(&len.to_be_bytes());
        out.extend_from_slice(entry);
    }
    Ok(out)
}

/// The entries of a fetched bundle: exactly as many as its width, nothing after.
pub fn decode_entry_bundle(tile: &Tile, body: &[u8]) -> Result<Vec<Vec<u8>>, TileError> {
    let bad = |reason| TileError::BadBundle {
        path: tile.path(),
        reason,
    };
    let mut entries = Vec::with_capacity(usize::from(tile.width));
    let mut rest = body;
    while !rest.is_empty() {
        let Some((len, tail)) = rest.split_first_chunk::<2>() else {
            return Err(bad("a length prefix is cut short"));
        };
        let len = usize::from(u16::from_be_bytes(*len));
        if tail.len() < len {
            return Err(bad("an entry is cut short"));
        }
        let (entry, tail) = tail.split_at(len);
        entries.push(entry.to_vec());
        rest = tail;
        if entries.len() > usize::from(tile.width) {
            return Err(bad("more entries than the bundle's width"));
        }
    }
    if entries.len() != usize::from(tile.width) {
        return Err(bad("fewer entries than the bundle's width"));
    }
    Ok(entries)
}

/// The hash tiles that change when the log grows from `old` to `new` entries:
/// what a server writing static files must (re)write, or a cache may purge.
pub fn new_tiles(old: u64, new: u64) -> Vec<Tile> {
    changed_tiles(u32::from(TILE_HEIGHT), old, new)
        .into_iter()
        .filter_map(|(level, index, width)| {
            Tile::hashes(u8::try_from(level).ok()?, index, u16::try_from(width).ok()?)
        })
        .collect()
}

/// [`new_tiles`] for any tile height, as (level, index, width); golang/mod's tests
/// use height 10.
fn changed_tiles(height: u32, old: u64, new: u64) -> Vec<(u32, u64, u64)> {
    let mut out = Vec::new();
    let mut level = 0;
    while let Some(new_n) = new.checked_shr(height * level).filter(|&n| n > 0) {
        let old_n = old >> (height * level);
        if old_n != new_n {
            // Tiles that were partial or absent at `old` and are full at `new` …
            for index in (old_n >> height)..(new_n >> height) {
                out.push((level, index, 1 << height));
            }
            // … and the new partial tile.
            let width = new_n & ((1 << height) - 1);
            if width > 0 {
                out.push((level, new_n >> height, width));
            }
        }
        level += 1;
    }
    out
}

/// The tiles of one tree (one checkpoint's size), as a client fetches them, answering
/// stored-hash lookups for proofs.
#[derive(Debug, Clone)]
pub struct TileHashes {
    size: u64,
    tiles: HashMap<Tile, Vec<Hash>>,
}

impl TileHashes {
    pub fn new(size: u64) -> TileHashes {
        TileHashes {
            size,
            tiles: HashMap::new(),
        }
    }

    pub fn size(&self) -> u64 {
        self.size
    }

    /// The tile holding the hashes `node` is computed from.
    fn tile_for(&self, node: NodeId) -> Result<(Tile, Range<usize>), TileError> {
        let not_in_tree = TileError::NotInTree {
            node,
            size: self.size,
        };
        if !node.is_complete_in(self.size) {
            return Err(not_in_tree);
        }
        let tile_level = node.level() / TILE_HEIGHT;
        let below = node.level() % TILE_HEIGHT;
        let first = node.index() << below;
        let tile = Tile::at_size(
            TileLevel::Hashes(tile_level),
            first >> TILE_HEIGHT,
            self.size,
        )
        .ok_or(not_in_tree)?;
        // The offset is below 256 and the count at most 128, so these are small.
        let offset = (first & u64::from(TILE_WIDTH - 1)) as usize;
        Ok((tile, offset..offset + (1 << below)))
    }

    /// The tiles to fetch before `nodes` can be looked up, each once.
    pub fn missing_tiles(&self, nodes: &[NodeId]) -> Result<Vec<Tile>, TileError> {
        let mut out = Vec::new();
        for node in nodes {
            let (tile, _) = self.tile_for(*node)?;
            if !self.tiles.contains_key(&tile) && !out.contains(&tile) {
                out.push(tile);
            }
        }
        out.sort_unstable();
        Ok(out)
    }

    /// Adds a fetched tile. It must be the one this tree has at that position.
    pub fn insert(&mut self, tile: Tile, body: &[u8]) -> Result<(), TileError> {
        let TileLevel::Hashes(level) = tile.level else {
            return Err(TileError::BadPath(tile.path()));
        };
        if Tile::at_size(TileLevel::Hashes(level), tile.index, self.size) != Some(tile) {
            return Err(TileError::WrongTree {
                path: tile.path(),
                size: self.size,
            });
        }
        let hashes = decode_hash_tile(&tile, body)?;
        self.tiles.insert(tile, hashes);
        Ok(())
    }

    /// Adds a full tile fetched in place of a partial one (a log may drop partial
    /// tiles once the full one exists): its first hashes are the partial tile's.
    pub fn insert_from_full(&mut self, partial: Tile, full_body: &[u8]) -> Result<(), TileError> {
        let full = Tile {
            width: TILE_WIDTH,
            ..partial
        };
        let hashes = decode_hash_tile(&full, full_body)?;
        let prefix = &hashes[..usize::from(partial.width)];
        self.insert(partial, &encode_hash_tile(prefix))
    }

    /// The hash of a complete subtree of this tree, from the tiles fetched so far.
    pub fn node(&self, node: NodeId) -> Result<Hash, TileError> {
        let (tile, range) = self.tile_for(node)?;
        let hashes = self
            .tiles
            .get(&tile)
            .ok_or_else(|| TileError::Missing(tile.path()))?;
        let part = hashes
            .get(range)
            .ok_or_else(|| TileError::Missing(tile.path()))?;
        // A power-of-two run of hashes: its MTH is the subtree above them.
        Ok(merkle_tree_hash(part))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::transparency::hash::leaf_hash;
    use crate::transparency::memory::MemoryTree;
    use crate::transparency::proof::{ProofPlan, verify_consistency, verify_inclusion};
    use crate::transparency::testdata::{BAD_TILE_PATHS, NEW_TILES_HEIGHT_10, TILE_PATHS};
    use proptest::prelude::*;

    #[test]
    fn tile_paths_match_golang_mods_vectors() {
        for (path, level, index, width) in TILE_PATHS {
            let tile = Tile::hashes(level, index, width).unwrap();
            assert_eq!(tile.path(), path);
            assert_eq!(Tile::parse_path(path), Ok(tile));
        }
        assert_eq!(
            Tile::entries(1_234_067, 256).unwrap().path(),
            "tile/entries/x001/x234/067"
        );
        assert_eq!(Tile::hashes(0, 0, 3).unwrap().path(), "tile/0/000.p/3");
    }

    #[test]
    fn malformed_tile_paths_are_refused() {
        let others = [
            "tile/0/x000/001",  // superfluous element
            "tile/00/001",      // leading zero in the level
            "tile/0/001.p/256", // a full tile has no width
            "tile/0/001.p/0",   // nor an empty one
            "tile/0/001.p/05",  // leading zero in the width
            "tile/0/01",        // two digits
            "tile/0/x001",      // last element marked x
            "tile/8/000",       // above this log's highest level
            "tile/7/000",       // a full level-7 tile would pass 2^61 entries
            "tile/0/",
            "tile/0/001/",
            "tile/entries",
            "tiles/0/001",
            "tile/0/x999/x999/x999/x999/x999/x999/x999/999",
        ];
        for path in BAD_TILE_PATHS.into_iter().chain(others) {
            assert!(Tile::parse_path(path).is_err(), "{path} accepted");
        }
    }

    #[test]
    fn the_tiles_that_change_match_golang_mods_counts() {
        for (old, new, want) in NEW_TILES_HEIGHT_10 {
            assert_eq!(changed_tiles(10, old, new).len(), want, "{old} → {new}");
        }
    }

    #[test]
    fn the_c2sp_example_tree_has_the_tiles_the_spec_lists() {
        // tlog-tiles: "a tree of size 70,000 will be represented by 273 full level 0
        // tiles, one partial level 0 tile of width 112, one full level 1 tile, one
        // partial level 1 tile of width 17, and one partial level 2 tile of width 1."
        let tiles = new_tiles(0, 70_000);
        let count = |level, full: bool| {
            tiles
                .iter()
                .filter(|t| t.level == TileLevel::Hashes(level) && t.is_full() == full)
                .count()
        };
        assert_eq!(
            (count(0, true), count(1, true), count(2, true)),
            (273, 1, 0)
        );
        let partial: Vec<(TileLevel, u16)> = tiles
            .iter()
            .filter(|t| !t.is_full())
            .map(|t| (t.level, t.width))
            .collect();
        assert_eq!(
            partial,
            [
                (TileLevel::Hashes(0), 112),
                (TileLevel::Hashes(1), 17),
                (TileLevel::Hashes(2), 1)
            ]
        );
        // "a tree of size 256 will be represented by a full level 0 tile and a partial
        // level 1 tile of width 1."
        let paths: Vec<String> = new_tiles(0, 256).iter().map(Tile::path).collect();
        assert_eq!(paths, ["tile/0/000", "tile/1/000.p/1"]);
    }

    #[test]
    fn entry_bundles_round_trip_and_refuse_malformed_bodies() {
        let tile = Tile::entries(0, 3).unwrap();
        let entries = [b"one".to_vec(), Vec::new(), vec![7u8; 300]];
        let body = encode_entry_bundle(&entries).unwrap();
        assert_eq!(&body[..5], &[0, 3, b'o', b'n', b'e']);
        assert_eq!(decode_entry_bundle(&tile, &body).unwrap(), entries);

        let narrower = Tile::entries(0, 2).unwrap();
        assert!(decode_entry_bundle(&narrower, &body).is_err());
        let wider = Tile::entries(0, 4).unwrap();
        assert!(decode_entry_bundle(&wider, &body).is_err());
        assert!(decode_entry_bundle(&tile, &body[..body.len() - 1]).is_err());
        assert!(decode_entry_bundle(&tile, &[body.as_slice(), &[0]].concat()).is_err());
        assert_eq!(
            encode_entry_bundle(&[vec![0u8; MAX_ENTRY_SIZE + 1]]),
            Err(TileError::EntryTooLarge {
                len: MAX_ENTRY_SIZE + 1
            })
        );
    }

    #[test]
    fn tiles_exist_only_once_the_log_reaches_them() {
        let full = Tile::hashes(0, 1, 256).unwrap();
        assert!(!full.exists_at(511));
        assert!(full.exists_at(512));
        let partial = Tile::hashes(0, 1, 5).unwrap();
        assert!(!partial.exists_at(260));
        assert!(partial.exists_at(261));
        assert!(
            partial.exists_at(10_000),
            "a partial tile stays valid after it fills up"
        );
        let level1 = Tile::hashes(1, 0, 1).unwrap();
        assert!(!level1.exists_at(255));
        assert!(level1.exists_at(256));
        assert_eq!(Tile::entries_for(300, 301), Tile::entries(1, 45));
        assert_eq!(Tile::entries_for(301, 301), None);
    }

    /// Serves `tree`'s tiles at its current size, as the server would from the database.
    fn serve(tree: &MemoryTree, tile: &Tile) -> Vec<u8> {
        assert!(
            tile.exists_at(tree.size()),
            "{tile} requested at size {}",
            tree.size()
        );
        let hashes: Vec<Hash> = tile
            .nodes()
            .into_iter()
            .map(|id| tree.node(id).unwrap())
            .collect();
        encode_hash_tile(&hashes)
    }

    fn fetch_all(tree: &MemoryTree, tiles: &mut TileHashes, plan: &ProofPlan) {
        for tile in tiles.missing_tiles(&plan.nodes()).unwrap() {
            tiles.insert(tile, &serve(tree, &tile)).unwrap();
        }
    }

    proptest! {
        #[test]
        fn proofs_from_tiles_equal_proofs_from_stored_hashes(
            (size, index, first) in (1u64..1500).prop_flat_map(|n| (Just(n), 0..n, 1..=n))
        ) {
            let tree = MemoryTree::from_entries((0..size).map(|i| i.to_string())).unwrap();
            let mut tiles = TileHashes::new(size);

            let plan = ProofPlan::inclusion(index, size).unwrap();
            fetch_all(&tree, &mut tiles, &plan);
            let from_tiles = plan.proof(|id| tiles.node(id)).unwrap();
            prop_assert_eq!(&from_tiles, &tree.inclusion_proof(index, size).unwrap());
            let leaf = leaf_hash(index.to_string().as_bytes());
            prop_assert!(verify_inclusion(index, size, &leaf, &from_tiles, &tree.root()).is_ok());

            let plan = ProofPlan::consistency(first, size).unwrap();
            fetch_all(&tree, &mut tiles, &plan);
            let from_tiles = plan.proof(|id| tiles.node(id)).unwrap();
            prop_assert_eq!(&from_tiles, &tree.consistency_proof(first, size).unwrap());
            let old_root = tree.root_at(first).unwrap();
            prop_assert!(verify_consistency(first, size, &old_root, &tree.root(), &from_tiles).is_ok());
        }

        #[test]
        fn a_tampered_tile_makes_the_proof_fail(
            (size, index, byte) in (2u64..700).prop_flat_map(|n| (Just(n), 0..n, 0usize..32))
        ) {
            let tree = MemoryTree::from_entries((0..size).map(|i| i.to_string())).unwrap();
            let plan = ProofPlan::inclusion(index, size).unwrap();
            let mut tiles = TileHashes::new(size);
            // Flip a byte of one tile hash that a proof hash is computed from.
            let (victim, range) = tiles.tile_for(plan.nodes()[0]).unwrap();
            for tile in tiles.missing_tiles(&plan.nodes()).unwrap() {
                let mut body = serve(&tree, &tile);
                if tile == victim {
                    body[range.start * 32 + byte] ^= 1;
                }
                tiles.insert(tile, &body).unwrap();
            }
            let proof = plan.proof(|id| tiles.node(id)).unwrap();
            let leaf = leaf_hash(index.to_string().as_bytes());
            prop_assert!(verify_inclusion(index, size, &leaf, &proof, &tree.root()).is_err());
        }
    }

    #[test]
    fn tiles_from_another_tree_size_are_refused() {
        let tree = MemoryTree::from_entries((0..300).map(|i| i.to_string())).unwrap();
        let mut tiles = TileHashes::new(300);
        let wrong_width = Tile::hashes(0, 1, 40).unwrap();
        assert!(matches!(
            tiles.insert(wrong_width, &serve(&tree, &wrong_width)),
            Err(TileError::WrongTree { .. })
        ));
        let right = Tile::hashes(0, 1, 44).unwrap();
        assert!(tiles.insert(right, &[0u8; 31]).is_err());
        let full = Tile::hashes(0, 0, 256).unwrap();
        tiles
            .insert_from_full(Tile::hashes(0, 1, 44).unwrap(), &[0u8; 8192])
            .unwrap();
        assert!(tiles.insert(full, &serve(&tree, &full)).is_ok());
        assert!(matches!(
            tiles.node(NodeId::leaf(300).unwrap()),
            Err(TileError::NotInTree { .. })
        ));
    }
}
