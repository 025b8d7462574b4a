//! Trees held in memory: [`MemoryTree`] keeps every stored hash (tests, small tools,
//! a reference for the SQL-backed store), [`Frontier`] only the right edge of the
//! tree, so `verify-log` can recompute a million-entry log in O(log n) memory.

use super::hash::{Hash, leaf_hash, node_hash};
use super::proof::ProofPlan;
use super::tree::{AppendPlan, MissingNode, NodeId, RootPlan, TreeError, stored_hash_count};

/// A whole log's stored hashes, in stored order (see [`NodeId::stored_index`]): the
/// layout the server keeps in its database, in a `Vec`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct MemoryTree {
    hashes: Vec<Hash>,
    /// Kept alongside so the current root needs no lookups and cannot fail.
    frontier: Frontier,
}

impl MemoryTree {
    pub fn new() -> MemoryTree {
        MemoryTree::default()
    }

    /// A tree over these entries, in order.
    pub fn from_entries<E: AsRef<[u8]>>(
        entries: impl IntoIterator<Item = E>,
    ) -> Result<MemoryTree, TreeError> {
        let mut tree = MemoryTree::new();
        for entry in entries {
            tree.append(entry.as_ref())?;
        }
        Ok(tree)
    }

    /// Appends an entry; returns its index.
    pub fn append(&mut self, entry: &[u8]) -> Result<u64, TreeError> {
        self.append_leaf_hash(leaf_hash(entry))
    }

    /// Appends an entry by its leaf hash; returns its index.
    pub fn append_leaf_hash(&mut self, leaf: Hash) -> Result<u64, TreeError> {
        let index = self.size();
        let new = self.frontier.append(leaf)?;
        self.hashes.extend(new.into_iter().map(|(_, h)| h));
        debug_assert_eq!(self.hashes.len() as u64, stored_hash_count(self.size()));
        Ok(index)
    }

    pub fn size(&self) -> u64 {
        self.frontier.size()
    }

    /// A stored hash: a subtree complete in the current tree.
    pub fn node(&self, id: NodeId) -> Result<Hash, MissingNode> {
        usize::try_from(id.stored_index())
            .ok()
            .and_then(|i| self.hashes.get(i))
            .copied()
            .ok_or(MissingNode(id))
    }

    /// Every stored hash, in stored order.
    pub fn stored_hashes(&self) -> &[Hash] {
        &self.hashes
    }

    /// The root of the current tree.
    pub fn root(&self) -> Hash {
        self.frontier.root()
    }

    /// The root of the tree when it had `size` entries.
    pub fn root_at(&self, size: u64) -> Result<Hash, TreeError> {
        self.check_size(size)?;
        Ok(RootPlan::new(size)?.root(|id| self.node(id))?)
    }

    /// The audit path of entry `index` in the tree of `size` entries.
    pub fn inclusion_proof(&self, index: u64, size: u64) -> Result<Vec<Hash>, TreeError> {
        self.check_size(size)?;
        Ok(ProofPlan::inclusion(index, size)?.proof(|id| self.node(id))?)
    }

    /// The proof that the tree of `second` entries extends the one of `first`.
    pub fn consistency_proof(&self, first: u64, second: u64) -> Result<Vec<Hash>, TreeError> {
        self.check_size(second)?;
        Ok(ProofPlan::consistency(first, second)?.proof(|id| self.node(id))?)
    }

    fn check_size(&self, size: u64) -> Result<(), TreeError> {
        if size > self.size() {
            return Err(TreeError::LargerThanTree {
                size,
                tree_size: self.size(),
            });
        }
        Ok(())
    }
}

/// The right edge of a log: the hashes of the complete subtrees a tree of the current
/// size is made of (one per 1-bit of the size). Enough to append and to compute the
/// root, and nothing more.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Frontier {
    /// Largest (leftmost) subtree first.
    nodes: Vec<(NodeId, Hash)>,
    size: u64,
}

impl Frontier {
    pub fn new() -> Frontier {
        Frontier::default()
    }

    pub fn size(&self) -> u64 {
        self.size
    }

    /// Appends a leaf; returns the hashes a server stores for it (as
    /// [`AppendPlan::hashes`] does), so they can be compared with what it did store.
    pub fn append(&mut self, leaf: Hash) -> Result<Vec<(NodeId, Hash)>, TreeError> {
        let plan = AppendPlan::new(self.size)?;
        // The left siblings a new leaf needs are exactly the frontier's last nodes.
        let new = plan.hashes(leaf, |id| {
            self.nodes
                .iter()
                .rev()
                .find(|(n, _)| *n == id)
                .map(|(_, h)| *h)
                .ok_or(MissingNode(id))
        })?;
        let merged = new.len() - 1;
        self.nodes.truncate(self.nodes.len() - merged);
        if let Some(top) = new.last() {
            self.nodes.push(*top);
        }
        self.size += 1;
        Ok(new)
    }

    /// The root of the tree so far.
    pub fn root(&self) -> Hash {
        let mut iter = self.nodes.iter().rev();
        let Some((_, last)) = iter.next() else {
            return Hash::empty();
        };
        iter.fold(*last, |acc, (_, h)| node_hash(h, &acc))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::transparency::hash::merkle_tree_hash;
    use proptest::prelude::*;

    proptest! {
        #[test]
        fn the_frontier_agrees_with_the_full_tree(n in 0u64..300) {
            let mut tree = MemoryTree::new();
            let mut frontier = Frontier::new();
            let mut leaves = Vec::new();
            for i in 0..n {
                let leaf = leaf_hash(format!("{i}").as_bytes());
                leaves.push(leaf);
                let before = tree.stored_hashes().len();
                tree.append_leaf_hash(leaf).unwrap();
                let stored: Vec<Hash> = frontier.append(leaf).unwrap().into_iter().map(|(_, h)| h).collect();
                prop_assert_eq!(&stored[..], &tree.stored_hashes()[before..]);
                prop_assert_eq!(frontier.root(), tree.root());
            }
            prop_assert_eq!(tree.root(), merkle_tree_hash(&leaves));
            prop_assert_eq!(frontier.size(), n);
        }
    }

    #[test]
    fn the_memory_tree_refuses_sizes_it_does_not_have() {
        let tree = MemoryTree::from_entries([b"a", b"b"]).unwrap();
        assert!(tree.root_at(3).is_err());
        assert!(tree.inclusion_proof(0, 3).is_err());
        assert!(tree.consistency_proof(1, 3).is_err());
    }
}
