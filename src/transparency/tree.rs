//! The log's tree over stored hashes: which subtree hashes to keep, where each one
//! goes, and how to get a root or a new leaf's hashes from a handful of them.
//!
//! The server never holds the whole tree. When leaf `i` is appended it stores the leaf
//! hash and the hash of every complete subtree that leaf closes (on average one more),
//! so each subtree hash is computed exactly once, and any root or proof afterwards
//! needs only O(log n) stored hashes. This is the scheme of Go's
//! `golang.org/x/mod/sumdb/tlog` (`StoredHashIndex`, `StoredHashes`): the hashes in
//! the order they are stored form one append-only sequence, numbered by
//! [`NodeId::stored_index`], so "everything stored with entry i" is a contiguous run.
//!
//! Reading from storage is I/O, so nothing here does it. Each operation is a *plan*:
//! it names the [`NodeId`]s it needs ([`RootPlan::nodes`], [`AppendPlan::nodes`]), the
//! caller fetches them however it likes (one SQL query, a map in memory, tiles over
//! HTTP), then hands a lookup to the plan to finish. The same plan works with sync
//! and async storage.

use std::fmt;

use super::hash::{Hash, node_hash};

/// The largest tree this code handles. 2^61 leaves keeps every stored index below
/// 2^62, so it fits a Postgres `bigint` with room to spare.
pub const MAX_TREE_SIZE: u64 = 1 << 61;

/// A complete subtree of the log: `level` is its height (0 is a single leaf) and
/// `index` its position among the subtrees of that height, from the left. It covers
/// the leaves `index·2^level .. (index+1)·2^level`.
///
/// Only constructible inside [`MAX_TREE_SIZE`], so the arithmetic on it cannot overflow.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Debug)]
pub struct NodeId {
    level: u8,
    index: u64,
}

impl NodeId {
    /// The subtree at `level` and `index`, if it lies inside [`MAX_TREE_SIZE`].
    pub fn new(level: u8, index: u64) -> Option<NodeId> {
        if level > 61 {
            return None;
        }
        let end = index.checked_add(1)?.checked_mul(1 << level)?;
        (end <= MAX_TREE_SIZE).then_some(NodeId { level, index })
    }

    /// Only for arguments already known to be in range (leaf indexes below a checked
    /// size, subtrees of a checked range).
    pub(crate) fn new_unchecked(level: u8, index: u64) -> NodeId {
        debug_assert!(NodeId::new(level, index).is_some());
        NodeId { level, index }
    }

    /// The leaf with this index (`None` beyond [`MAX_TREE_SIZE`]).
    pub fn leaf(index: u64) -> Option<NodeId> {
        NodeId::new(0, index)
    }

    pub fn level(self) -> u8 {
        self.level
    }

    pub fn index(self) -> u64 {
        self.index
    }

    /// The first leaf this subtree covers.
    pub fn start(self) -> u64 {
        self.index << self.level
    }

    /// One past the last leaf this subtree covers.
    pub fn end(self) -> u64 {
        (self.index + 1) << self.level
    }

    /// Whether a tree of `size` leaves contains this whole subtree, i.e. whether the
    /// server has stored its hash once the log reached that size.
    pub fn is_complete_in(self, size: u64) -> bool {
        self.end() <= size
    }

    /// The position of this hash in the append-only sequence of stored hashes.
    ///
    /// Leaf `i` is stored after every hash stored with leaves `0..i`. Leaf `j` brings
    /// `1 + trailing_zeros(j + 1)` hashes, and the sum over `j < i` is
    /// `2i − popcount(i)`. A subtree at level `l` is stored `l` places after the leaf
    /// that completes it (its last leaf).
    pub fn stored_index(self) -> u64 {
        let last_leaf = self.end() - 1;
        leaf_stored_index(last_leaf) + u64::from(self.level)
    }

    /// The inverse of [`NodeId::stored_index`].
    pub fn from_stored_index(stored: u64) -> Option<NodeId> {
        if stored >= stored_hash_count(MAX_TREE_SIZE) {
            return None;
        }
        // leaf_stored_index(i) lies in [2i − 64, 2i], so the leaf that brought this
        // hash is at most 64 above stored / 2, and never below it.
        let mut leaf = stored / 2;
        while leaf_stored_index(leaf + 1) <= stored {
            leaf += 1;
        }
        let level = stored - leaf_stored_index(leaf);
        if level > u64::from((leaf + 1).trailing_zeros()) {
            return None;
        }
        // level <= 63 here, so the cast is lossless.
        let level = level as u8;
        NodeId::new(level, ((leaf + 1) >> level) - 1)
    }

    /// The two halves of this subtree (`None` for a leaf).
    pub fn children(self) -> Option<(NodeId, NodeId)> {
        let level = self.level.checked_sub(1)?;
        Some((
            NodeId::new_unchecked(level, self.index * 2),
            NodeId::new_unchecked(level, self.index * 2 + 1),
        ))
    }
}

fn leaf_stored_index(leaf: u64) -> u64 {
    2 * leaf - u64::from(leaf.count_ones())
}

impl fmt::Display for NodeId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "level {} index {}", self.level, self.index)
    }
}

/// How many hashes are stored for a log of `size` entries.
pub fn stored_hash_count(size: u64) -> u64 {
    match size {
        0 => 0,
        // Everything up to and including what the last leaf brought.
        n => leaf_stored_index(n - 1) + 1 + u64::from(n.trailing_zeros()),
    }
}

/// A request this module cannot answer.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TreeError {
    #[error("a tree of {size} entries is larger than this log supports ({MAX_TREE_SIZE})")]
    TooLarge { size: u64 },
    #[error("entry {index} is not in a tree of {size} entries")]
    IndexOutOfRange { index: u64, size: u64 },
    #[error("a tree of {second} entries cannot be older than one of {first}")]
    SizesOutOfOrder { first: u64, second: u64 },
    #[error("a consistency proof needs a non-empty first tree")]
    EmptyFirstTree,
    #[error("the tree has {tree_size} entries, not {size}")]
    LargerThanTree { size: u64, tree_size: u64 },
    #[error(transparent)]
    Missing(#[from] MissingNode),
}

/// A stored hash the caller could not supply.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("the hash of {0} is not stored")]
pub struct MissingNode(pub NodeId);

pub(crate) fn check_size(size: u64) -> Result<(), TreeError> {
    if size > MAX_TREE_SIZE {
        return Err(TreeError::TooLarge { size });
    }
    Ok(())
}

/// The complete subtrees that make up leaves `start..end`, largest first, each as
/// large as its alignment allows. For the ranges RFC 6962 hashes (a whole tree, or the
/// right-hand part of one), the range's MTH is these hashes folded from the right.
pub(crate) fn subtrees(mut start: u64, end: u64) -> Vec<NodeId> {
    debug_assert!(end <= MAX_TREE_SIZE);
    let mut out = Vec::new();
    while start < end {
        let aligned = if start == 0 {
            63
        } else {
            start.trailing_zeros()
        };
        let fits = 63 - (end - start).leading_zeros();
        // Both are at most 63, so the cast is lossless.
        let level = aligned.min(fits) as u8;
        out.push(NodeId::new_unchecked(level, start >> level));
        start += 1 << level;
    }
    out
}

/// Folds the hashes of [`subtrees`] into the hash of their range; no nodes is the
/// empty tree.
pub(crate) fn fold_subtrees<E>(
    nodes: &[NodeId],
    lookup: &mut impl FnMut(NodeId) -> Result<Hash, E>,
) -> Result<Hash, E> {
    let Some((last, rest)) = nodes.split_last() else {
        return Ok(Hash::empty());
    };
    let mut acc = lookup(*last)?;
    for id in rest.iter().rev() {
        acc = node_hash(&lookup(*id)?, &acc);
    }
    Ok(acc)
}

/// The root hash of the tree at some size, from at most 62 stored hashes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RootPlan {
    nodes: Vec<NodeId>,
}

impl RootPlan {
    pub fn new(size: u64) -> Result<RootPlan, TreeError> {
        check_size(size)?;
        Ok(RootPlan {
            nodes: subtrees(0, size),
        })
    }

    /// The stored hashes to fetch: one per 1-bit of the size.
    pub fn nodes(&self) -> &[NodeId] {
        &self.nodes
    }

    /// The root, given the hashes of [`RootPlan::nodes`].
    pub fn root<E>(&self, mut lookup: impl FnMut(NodeId) -> Result<Hash, E>) -> Result<Hash, E> {
        fold_subtrees(&self.nodes, &mut lookup)
    }
}

/// Appending the entry at `index` (the log's size before it): the hashes to store.
///
/// Appends must be serialized (the new entry's index is the current size), e.g. by
/// locking the log's head row in the transaction that inserts the entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AppendPlan {
    index: u64,
}

impl AppendPlan {
    pub fn new(index: u64) -> Result<AppendPlan, TreeError> {
        check_size(index.saturating_add(1))?;
        Ok(AppendPlan { index })
    }

    /// The stored hashes the new subtree hashes are built from: the left sibling of
    /// each subtree this leaf completes, lowest first.
    pub fn nodes(&self) -> Vec<NodeId> {
        let completed = (self.index + 1).trailing_zeros();
        (0..completed)
            .map(|level| {
                // The subtree at `level` holding the leaf is the right child; its left
                // sibling is one index lower. `level` < 62, lossless.
                let level = level as u8;
                NodeId::new_unchecked(level, (self.index >> level) - 1)
            })
            .collect()
    }

    /// Everything to store for this entry, in stored order (so their stored indexes
    /// are consecutive, starting at the leaf's).
    pub fn hashes<E>(
        &self,
        leaf: Hash,
        mut lookup: impl FnMut(NodeId) -> Result<Hash, E>,
    ) -> Result<Vec<(NodeId, Hash)>, E> {
        let mut out = vec![(NodeId::new_unchecked(0, self.index), leaf)];
        let mut acc = leaf;
        for sibling in self.nodes() {
            acc = node_hash(&lookup(sibling)?, &acc);
            out.push((
                NodeId::new_unchecked(sibling.level + 1, sibling.index / 2),
                acc,
            ));
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::transparency::hash::{leaf_hash, merkle_tree_hash};
    use proptest::prelude::*;
    use std::collections::HashMap;

    #[test]
    fn stored_indexes_follow_the_order_hashes_are_stored_in() {
        // Leaves 0..4 store: (0,0) | (0,1) (1,0) | (0,2) | (0,3) (1,1) (2,0)
        let order = [
            (0, 0),
            (0, 1),
            (1, 0),
            (0, 2),
            (0, 3),
            (1, 1),
            (2, 0),
            (0, 4),
        ];
        for (i, (level, index)) in order.into_iter().enumerate() {
            let id = NodeId::new(level, index).unwrap();
            assert_eq!(id.stored_index(), i as u64, "{id}");
            assert_eq!(NodeId::from_stored_index(i as u64), Some(id));
        }
        assert_eq!(stored_hash_count(4), 7);
        assert_eq!(stored_hash_count(5), 8);
    }

    #[test]
    fn node_ids_outside_the_supported_tree_are_refused() {
        assert!(NodeId::new(62, 0).is_none());
        assert!(NodeId::new(61, 0).is_some());
        assert!(NodeId::new(61, 1).is_none());
        assert!(NodeId::leaf(MAX_TREE_SIZE).is_none());
        assert!(NodeId::leaf(u64::MAX).is_none());
        assert!(RootPlan::new(MAX_TREE_SIZE + 1).is_err());
        assert!(AppendPlan::new(MAX_TREE_SIZE).is_err());
    }

    #[test]
    fn every_stored_index_up_to_a_size_maps_back_to_a_node() {
        for stored in 0..stored_hash_count(3000) {
            let id = NodeId::from_stored_index(stored).unwrap();
            assert_eq!(id.stored_index(), stored);
        }
    }

    /// Appends entries the way a server would, keeping hashes in a map.
    fn build(n: u64) -> (HashMap<NodeId, Hash>, Vec<Hash>) {
        let mut stored = HashMap::new();
        let mut leaves = Vec::new();
        for i in 0..n {
            let leaf = leaf_hash(format!("entry {i}").as_bytes());
            leaves.push(leaf);
            let plan = AppendPlan::new(i).unwrap();
            let new = plan
                .hashes(leaf, |id| stored.get(&id).copied().ok_or(MissingNode(id)))
                .unwrap();
            // Everything stored with one entry is one run of stored indexes.
            let first = new[0].0.stored_index();
            for (k, (id, _)) in new.iter().enumerate() {
                assert_eq!(id.stored_index(), first + k as u64);
            }
            stored.extend(new);
            assert_eq!(stored.len() as u64, stored_hash_count(i + 1));
        }
        (stored, leaves)
    }

    #[test]
    fn stored_subtree_hashes_equal_the_mth_of_their_leaves() {
        let (stored, leaves) = build(70);
        for (id, hash) in &stored {
            let range = &leaves[id.start() as usize..id.end() as usize];
            assert_eq!(*hash, merkle_tree_hash(range), "{id}");
        }
    }

    proptest! {
        #[test]
        fn roots_from_stored_hashes_equal_the_reference_mth(n in 0u64..300) {
            let (stored, leaves) = build(n);
            let plan = RootPlan::new(n).unwrap();
            prop_assert_eq!(plan.nodes().len() as u32, n.count_ones());
            let root = plan.root(|id| stored.get(&id).copied().ok_or(MissingNode(id))).unwrap();
            prop_assert_eq!(root, merkle_tree_hash(&leaves));
        }

        #[test]
        fn stored_indexes_round_trip(level in 0u8..40, index in 0u64..1_000_000) {
            let id = NodeId::new(level, index).unwrap();
            prop_assert_eq!(NodeId::from_stored_index(id.stored_index()), Some(id));
        }
    }
}
