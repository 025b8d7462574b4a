//! RFC 6962 §2.1 hashing: the leaf and interior-node hashes every other part of the
//! log is built from, and the Merkle Tree Hash (MTH) written the way the RFC defines it.
//!
//! The prefixes 0x00 (leaf) and 0x01 (node) keep a leaf from ever being taken for an
//! interior node (a second-preimage attack on a plain Merkle tree).

use std::fmt;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use sha2::{Digest, Sha256};

/// The length of every hash in the log: SHA-256.
pub const HASH_SIZE: usize = 32;

/// A SHA-256 hash in the tree: a leaf hash, an interior node or a root.
///
/// Displayed as lowercase hex; checkpoints carry it as base64 (see
/// [`Hash::to_base64`]) because that is what the C2SP formats use.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
pub struct Hash(pub [u8; HASH_SIZE]);

/// Text that is not a hash.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("not a SHA-256 hash: expected {expected}, got `{got}`")]
pub struct BadHash {
    expected: &'static str,
    got: String,
}

impl Hash {
    /// The root of the empty tree: MTH({}) = SHA-256() (RFC 6962 §2.1).
    pub fn empty() -> Hash {
        Hash(Sha256::digest([]).into())
    }

    /// Parses 64 hex digits (either case).
    pub fn from_hex(text: &str) -> Result<Hash, BadHash> {
        let mut out = [0u8; HASH_SIZE];
        hex::decode_to_slice(text, &mut out).map_err(|_| BadHash {
            expected: "64 hex digits",
            got: shorten(text),
        })?;
        Ok(Hash(out))
    }

    /// Parses standard, padded base64 of exactly 32 bytes (RFC 4648 §4, canonical).
    pub fn from_base64(text: &str) -> Result<Hash, BadHash> {
        let bad = || BadHash {
            expected: "base64 of 32 bytes",
            got: shorten(text),
        };
        let bytes = STANDARD.decode(text).map_err(|_| bad())?;
        Hash::from_slice(&bytes).ok_or_else(bad)
    }

    /// A hash from exactly 32 bytes, or `None`.
    pub fn from_slice(bytes: &[u8]) -> Option<Hash> {
        <[u8; HASH_SIZE]>::try_from(bytes).ok().map(Hash)
    }

    pub fn to_base64(&self) -> String {
        STANDARD.encode(self.0)
    }

    pub fn to_hex(&self) -> String {
        hex::encode(self.0)
    }

    pub fn as_bytes(&self) -> &[u8; HASH_SIZE] {
        &self.0
    }
}

/// Keeps error messages short when someone feeds us a megabyte of junk.
fn shorten(text: &str) -> String {
    text.chars().take(100).collect()
}

impl fmt::Display for Hash {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.to_hex())
    }
}

impl fmt::Debug for Hash {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Hash({})", self.to_hex())
    }
}

/// The hash of one log entry: SHA-256(0x00 ‖ entry).
pub fn leaf_hash(entry: &[u8]) -> Hash {
    let mut h = Sha256::new();
    h.update([0x00]);
    h.update(entry);
    Hash(h.finalize().into())
}

/// The hash of an interior node: SHA-256(0x01 ‖ left ‖ right).
pub fn node_hash(left: &Hash, right: &Hash) -> Hash {
    let mut h = Sha256::new();
    h.update([0x01]);
    h.update(left.0);
    h.update(right.0);
    Hash(h.finalize().into())
}

/// The largest power of two strictly below `n` (for `n >= 2`): where RFC 6962 splits
/// a tree of `n` leaves into its left and right subtrees.
pub(crate) fn split_point(n: u64) -> u64 {
    debug_assert!(n >= 2);
    1 << (63 - (n - 1).leading_zeros())
}

/// MTH over leaf hashes held in memory, exactly as RFC 6962 §2.1 defines it.
///
/// The reference the faster code in `tree` and `proof` is tested against, and fine
/// for small trees (a tile's 256 hashes); a log's root comes from
/// [`super::tree::RootPlan`] over stored hashes instead.
pub fn merkle_tree_hash(leaves: &[Hash]) -> Hash {
    match leaves.len() {
        0 => Hash::empty(),
        1 => leaves[0],
        n => {
            let k = split_point(n as u64) as usize;
            node_hash(
                &merkle_tree_hash(&leaves[..k]),
                &merkle_tree_hash(&leaves[k..]),
            )
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::transparency::testdata::{RFC6962_LEAVES, RFC6962_ROOTS};

    fn leaves() -> Vec<Hash> {
        RFC6962_LEAVES
            .iter()
            .map(|l| leaf_hash(&hex::decode(l).unwrap()))
            .collect()
    }

    #[test]
    fn the_empty_tree_hashes_to_sha256_of_nothing() {
        // RFC 6962 §2.1: MTH({}) = SHA-256(); e3b0… is SHA-256 of the empty string.
        assert_eq!(
            Hash::empty().to_hex(),
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
        );
        assert_eq!(merkle_tree_hash(&[]), Hash::empty());
    }

    #[test]
    fn the_empty_leaf_hash_matches_the_reference_implementations() {
        // SHA-256(0x00): the root of the one-leaf tree over the empty entry.
        assert_eq!(leaf_hash(b"").to_hex(), RFC6962_ROOTS[0]);
    }

    #[test]
    fn roots_of_the_eight_reference_trees_match() {
        let leaves = leaves();
        for (size, want) in (1..=8).zip(RFC6962_ROOTS) {
            assert_eq!(
                merkle_tree_hash(&leaves[..size]).to_hex(),
                want,
                "size {size}"
            );
        }
    }

    #[test]
    fn split_point_is_the_largest_power_of_two_below() {
        for (n, k) in [
            (2, 1),
            (3, 2),
            (4, 2),
            (5, 4),
            (8, 4),
            (9, 8),
            (1 << 40, 1 << 39),
        ] {
            assert_eq!(split_point(n), k, "n = {n}");
        }
    }

    #[test]
    fn hashes_round_trip_through_hex_and_base64() {
        let h = leaf_hash(b"hello");
        assert_eq!(Hash::from_hex(&h.to_hex()), Ok(h));
        assert_eq!(Hash::from_base64(&h.to_base64()), Ok(h));
        assert_eq!(h.to_string(), h.to_hex());
    }

    #[test]
    fn malformed_hashes_are_refused() {
        let h = leaf_hash(b"hello").to_base64();
        for bad in [
            "",
            "abc",
            // Unpadded.
            h.trim_end_matches('='),
            &format!("{h}AAAA"),
            // 32 bytes with non-zero padding bits: not canonical base64.
            &format!("{}B=", "A".repeat(42)),
        ] {
            assert!(Hash::from_base64(bad).is_err(), "{bad:?} accepted");
        }
        assert!(Hash::from_hex(&"0".repeat(63)).is_err());
        assert!(Hash::from_hex(&"g".repeat(64)).is_err());
    }
}
