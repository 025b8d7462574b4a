//! Inclusion and consistency proofs: making them (RFC 6962 §2.1.1 PATH and §2.1.2
//! PROOF, over stored hashes) and checking them (RFC 9162 §2.1.3.2 and §2.1.4.2).
//!
//! Verification is where a log client is won or lost: immudb's client once accepted
//! proofs it should have refused (GO-2022-1117). So every check here is explicit —
//! index inside the tree, sizes in order, the exact proof length — before the RFC
//! algorithm runs, which itself re-checks that the path is used up exactly.

use super::hash::{Hash, node_hash};
use super::tree::{NodeId, TreeError, check_size, fold_subtrees, subtrees};

/// The hashes a proof is made of, each as the stored subtrees it is computed from.
///
/// Like the plans in `tree`, it names what to fetch ([`ProofPlan::nodes`]) and
/// builds the proof from a lookup ([`ProofPlan::proof`]), so it runs over Postgres,
/// memory or tiles alike.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProofPlan {
    /// One entry per proof hash, in proof order.
    parts: Vec<Vec<NodeId>>,
}

impl ProofPlan {
    /// The audit path of entry `index` in the tree of `size` entries (RFC 6962 PATH).
    pub fn inclusion(index: u64, size: u64) -> Result<ProofPlan, TreeError> {
        check_size(size)?;
        if index >= size {
            return Err(TreeError::IndexOutOfRange { index, size });
        }
        let mut ranges = Vec::new();
        path(index, 0, size, &mut ranges);
        Ok(ProofPlan::from_ranges(&ranges))
    }

    /// The proof that the tree of `second` entries extends the one of `first` (RFC
    /// 6962 PROOF). Empty when the sizes are equal.
    pub fn consistency(first: u64, second: u64) -> Result<ProofPlan, TreeError> {
        check_size(second)?;
        if first == 0 {
            return Err(TreeError::EmptyFirstTree);
        }
        if first > second {
            return Err(TreeError::SizesOutOfOrder { first, second });
        }
        let mut ranges = Vec::new();
        subproof(first, 0, second, true, &mut ranges);
        Ok(ProofPlan::from_ranges(&ranges))
    }

    fn from_ranges(ranges: &[(u64, u64)]) -> ProofPlan {
        ProofPlan {
            parts: ranges.iter().map(|&(s, e)| subtrees(s, e)).collect(),
        }
    }

    /// The stored hashes to fetch, sorted, each once.
    pub fn nodes(&self) -> Vec<NodeId> {
        let mut all: Vec<NodeId> = self.parts.iter().flatten().copied().collect();
        all.sort_unstable();
        all.dedup();
        all
    }

    /// How many hashes the proof has.
    pub fn len(&self) -> usize {
        self.parts.len()
    }

    pub fn is_empty(&self) -> bool {
        self.parts.is_empty()
    }

    /// The proof, given the hashes of [`ProofPlan::nodes`].
    pub fn proof<E>(
        &self,
        mut lookup: impl FnMut(NodeId) -> Result<Hash, E>,
    ) -> Result<Vec<Hash>, E> {
        self.parts
            .iter()
            .map(|part| fold_subtrees(part, &mut lookup))
            .collect()
    }
}

/// RFC 6962 §2.1.1 PATH(m, D[start:end]), as leaf ranges, deepest first.
fn path(index: u64, start: u64, end: u64, out: &mut Vec<(u64, u64)>) {
    if end - start <= 1 {
        return;
    }
    let k = start + split(end - start);
    if index < k {
        path(index, start, k, out);
        out.push((k, end));
    } else {
        path(index, k, end, out);
        out.push((start, k));
    }
}

/// RFC 6962 §2.1.2 SUBPROOF(m, D[start:end], complete), as leaf ranges.
fn subproof(m: u64, start: u64, end: u64, complete: bool, out: &mut Vec<(u64, u64)>) {
    let n = end - start;
    if m == n {
        if !complete {
            out.push((start, end));
        }
        return;
    }
    let k = split(n);
    if m <= k {
        subproof(m, start, start + k, complete, out);
        out.push((start + k, end));
    } else {
        subproof(m - k, start + k, end, false, out);
        out.push((start, start + k));
    }
}

fn split(n: u64) -> u64 {
    super::hash::split_point(n)
}

/// Why a proof was refused. Each message says what was expected, so a verifier's
/// user can tell a wrong request from a lying log.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ProofError {
    #[error("entry {index} is not in a tree of {size} entries")]
    IndexOutOfRange { index: u64, size: u64 },
    #[error("the proof has {got} hashes; one for these sizes has {expected}")]
    WrongLength { expected: usize, got: usize },
    #[error("the proof leads to root {computed}, not to the expected root {expected}")]
    RootMismatch { expected: Hash, computed: Hash },
    #[error("there is nothing to prove about an empty first tree")]
    EmptyFirstTree,
    #[error("a tree of {second} entries cannot extend a larger one of {first}")]
    SizesOutOfOrder { first: u64, second: u64 },
    #[error(
        "two trees of {size} entries with different roots ({first_root} and {second_root}): \
         the log has forked"
    )]
    SameSizeDifferentRoots {
        size: u64,
        first_root: Hash,
        second_root: Hash,
    },
    #[error("the proof does not lead to the first tree's root {expected} (it gives {computed})")]
    FirstRootMismatch { expected: Hash, computed: Hash },
    #[error("the proof does not lead to the second tree's root {expected} (it gives {computed})")]
    SecondRootMismatch { expected: Hash, computed: Hash },
}

/// The length of the audit path for `index` in a tree of `size` (`index < size`):
/// the levels below the point where the paths to `index` and to the last leaf part
/// (`inner`), plus one per left sibling above it (`border`).
pub fn inclusion_proof_len(index: u64, size: u64) -> usize {
    let inner = 64 - (index ^ (size - 1)).leading_zeros();
    // `inner` is 64 when the two differ in the top bit; nothing is left above then.
    let border = index.checked_shr(inner).map_or(0, u64::count_ones);
    (inner + border) as usize
}

/// The length of the consistency proof from `first` to `second` (`0 < first < second`):
/// the audit path of the first tree's last leaf, without the levels inside the first
/// tree's rightmost complete subtree, plus that subtree's hash unless it is the whole
/// first tree (a power of two, whose root the verifier already has).
pub fn consistency_proof_len(first: u64, second: u64) -> usize {
    let last = first - 1;
    let inner = 64 - (last ^ (second - 1)).leading_zeros();
    let border = last.checked_shr(inner).map_or(0, u64::count_ones);
    let shift = first.trailing_zeros();
    let seed = usize::from(!first.is_power_of_two());
    (inner - shift + border) as usize + seed
}

/// The root an audit path leads to (RFC 9162 §2.1.3.2 steps 1–4).
pub fn root_from_inclusion_proof(
    index: u64,
    size: u64,
    leaf: &Hash,
    proof: &[Hash],
) -> Result<Hash, ProofError> {
    if index >= size {
        return Err(ProofError::IndexOutOfRange { index, size });
    }
    let expected = inclusion_proof_len(index, size);
    let wrong_length = ProofError::WrongLength {
        expected,
        got: proof.len(),
    };
    if proof.len() != expected {
        return Err(wrong_length);
    }
    let (mut f, mut s) = (index, size - 1);
    let mut r = *leaf;
    for p in proof {
        if s == 0 {
            return Err(wrong_length);
        }
        if f & 1 == 1 || f == s {
            r = node_hash(p, &r);
            if f & 1 == 0 {
                while f & 1 == 0 && f != 0 {
                    f >>= 1;
                    s >>= 1;
                }
            }
        } else {
            r = node_hash(&r, p);
        }
        f >>= 1;
        s >>= 1;
    }
    if s != 0 {
        return Err(wrong_length);
    }
    Ok(r)
}

/// Checks that `leaf` is entry `index` of the tree of `size` entries with `root`.
pub fn verify_inclusion(
    index: u64,
    size: u64,
    leaf: &Hash,
    proof: &[Hash],
    root: &Hash,
) -> Result<(), ProofError> {
    let computed = root_from_inclusion_proof(index, size, leaf, proof)?;
    if computed != *root {
        return Err(ProofError::RootMismatch {
            expected: *root,
            computed,
        });
    }
    Ok(())
}

/// Checks that the tree of `second` entries with `second_root` extends the tree of
/// `first` entries with `first_root` (RFC 9162 §2.1.4.2).
///
/// `first == 0` is refused: the empty tree is a prefix of every tree and there is
/// nothing to check (a caller holding an empty checkpoint compares its root with
/// [`Hash::empty`] instead). Equal sizes need an empty proof and equal roots.
pub fn verify_consistency(
    first: u64,
    second: u64,
    first_root: &Hash,
    second_root: &Hash,
    proof: &[Hash],
) -> Result<(), ProofError> {
    if first == 0 {
        return Err(ProofError::EmptyFirstTree);
    }
    if first > second {
        return Err(ProofError::SizesOutOfOrder { first, second });
    }
    if first == second {
        if !proof.is_empty() {
            return Err(ProofError::WrongLength {
                expected: 0,
                got: proof.len(),
            });
        }
        if first_root != second_root {
            return Err(ProofError::SameSizeDifferentRoots {
                size: first,
                first_root: *first_root,
                second_root: *second_root,
            });
        }
        return Ok(());
    }
    let expected = consistency_proof_len(first, second);
    let wrong_length = ProofError::WrongLength {
        expected,
        got: proof.len(),
    };
    if proof.len() != expected {
        return Err(wrong_length);
    }
    // Step 2: a first tree that is one complete subtree starts the path itself.
    let (seed, rest) = if first.is_power_of_two() {
        (*first_root, proof)
    } else {
        match proof.split_first() {
            Some((seed, rest)) => (*seed, rest),
            None => return Err(wrong_length),
        }
    };
    // Steps 3–4.
    let (mut f, mut s) = (first - 1, second - 1);
    while f & 1 == 1 {
        f >>= 1;
        s >>= 1;
    }
    // Steps 5–6.
    let (mut fr, mut sr) = (seed, seed);
    for c in rest {
        if s == 0 {
            return Err(wrong_length);
        }
        if f & 1 == 1 || f == s {
            fr = node_hash(c, &fr);
            sr = node_hash(c, &sr);
            if f & 1 == 0 {
                while f & 1 == 0 && f != 0 {
                    f >>= 1;
                    s >>= 1;
                }
            }
        } else {
            sr = node_hash(&sr, c);
        }
        f >>= 1;
        s >>= 1;
    }
    // Step 7.
    if s != 0 {
        return Err(wrong_length);
    }
    if fr != *first_root {
        return Err(ProofError::FirstRootMismatch {
            expected: *first_root,
            computed: fr,
        });
    }
    if sr != *second_root {
        return Err(ProofError::SecondRootMismatch {
            expected: *second_root,
            computed: sr,
        });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::transparency::hash::leaf_hash;
    use crate::transparency::memory::MemoryTree;
    use crate::transparency::testdata::*;
    use base64::Engine as _;
    use base64::engine::general_purpose::STANDARD;
    use proptest::prelude::*;

    fn h(hex: &str) -> Hash {
        Hash::from_hex(hex).unwrap()
    }

    fn b64(text: &str) -> Hash {
        Hash::from_base64(text).unwrap()
    }

    fn reference_tree() -> MemoryTree {
        MemoryTree::from_entries(RFC6962_LEAVES.iter().map(|l| hex::decode(l).unwrap())).unwrap()
    }

    fn root(size: u64) -> Hash {
        h(RFC6962_ROOTS[size as usize - 1])
    }

    const SOME_HASH: &str = "abacaba000000000000000000000000000000000000000000060061e00123456";

    /// Every way transparency-dev/merkle (proof/verify_test.go, corruptInclusionProof)
    /// mangles a good inclusion proof; each must be refused.
    fn assert_inclusion_probes_fail(index: u64, size: u64, leaf: Hash, proof: &[Hash], root: Hash) {
        let mut probes: Vec<(String, u64, u64, Hash, Vec<Hash>, Hash)> = vec![
            (
                "index - 1".into(),
                index.wrapping_sub(1),
                size,
                leaf,
                proof.to_vec(),
                root,
            ),
            (
                "index + 1".into(),
                index + 1,
                size,
                leaf,
                proof.to_vec(),
                root,
            ),
            (
                "index ^ 2".into(),
                index ^ 2,
                size,
                leaf,
                proof.to_vec(),
                root,
            ),
            (
                "size * 2".into(),
                index,
                size * 2,
                leaf,
                proof.to_vec(),
                root,
            ),
            (
                "size / 2".into(),
                index,
                size / 2,
                leaf,
                proof.to_vec(),
                root,
            ),
            (
                "wrong leaf".into(),
                index,
                size,
                leaf_hash(b"WrongLeaf"),
                proof.to_vec(),
                root,
            ),
            (
                "empty root".into(),
                index,
                size,
                leaf,
                proof.to_vec(),
                Hash::empty(),
            ),
            (
                "random root".into(),
                index,
                size,
                leaf,
                proof.to_vec(),
                h(SOME_HASH),
            ),
        ];
        let mut with = |desc: &str, p: Vec<Hash>| {
            probes.push((desc.into(), index, size, leaf, p, root));
        };
        with("trailing root", [proof, &[root]].concat());
        with("preceding root", [&[root], proof].concat());
        with("trailing empty", [proof, &[Hash::empty()]].concat());
        for i in 0..proof.len() {
            let mut p = proof.to_vec();
            p[i].0[0] ^= 8;
            with(&format!("modified proof[{i}] bit 3"), p);
        }
        if let Some((_, shorter)) = proof.split_last() {
            with("removed component", shorter.to_vec());
        }
        if proof.len() > 1 {
            let mut p = proof.to_vec();
            p.insert(1, h(SOME_HASH));
            with("inserted component", p);
        }
        for (desc, index, size, leaf, proof, root) in probes {
            assert!(
                verify_inclusion(index, size, &leaf, &proof, &root).is_err(),
                "accepted a falsified inclusion proof: {desc}"
            );
        }
    }

    /// transparency-dev/merkle's corruptConsistencyProof, likewise.
    fn assert_consistency_probes_fail(first: u64, second: u64, r1: Hash, r2: Hash, proof: &[Hash]) {
        let wrong = leaf_hash(b"WrongRoot");
        let mut probes: Vec<(String, u64, u64, Hash, Hash, Vec<Hash>)> = vec![
            (
                "first - 1".into(),
                first - 1,
                second,
                r1,
                r2,
                proof.to_vec(),
            ),
            (
                "first + 1".into(),
                first + 1,
                second,
                r1,
                r2,
                proof.to_vec(),
            ),
            (
                "first ^ 2".into(),
                first ^ 2,
                second,
                r1,
                r2,
                proof.to_vec(),
            ),
            (
                "second * 2".into(),
                first,
                second * 2,
                r1,
                r2,
                proof.to_vec(),
            ),
            (
                "second / 2".into(),
                first,
                second / 2,
                r1,
                r2,
                proof.to_vec(),
            ),
            (
                "wrong root1".into(),
                first,
                second,
                wrong,
                r2,
                proof.to_vec(),
            ),
            (
                "wrong root2".into(),
                first,
                second,
                r1,
                wrong,
                proof.to_vec(),
            ),
            (
                "swapped roots".into(),
                first,
                second,
                r2,
                r1,
                proof.to_vec(),
            ),
            ("empty proof".into(), first, second, r1, r2, vec![]),
        ];
        let mut with =
            |desc: &str, p: Vec<Hash>| probes.push((desc.into(), first, second, r1, r2, p));
        with("trailing root1", [proof, &[r1]].concat());
        with("trailing root2", [proof, &[r2]].concat());
        with("preceding root1", [&[r1], proof].concat());
        with("preceding root2", [&[r2], proof].concat());
        with("preceding proof[0]", [&proof[..1], proof].concat());
        with("truncated", proof[..proof.len() - 1].to_vec());
        for i in 0..proof.len() {
            let mut p = proof.to_vec();
            p[i].0[0] ^= 16;
            with(&format!("modified proof[{i}] bit 4"), p);
        }
        for (desc, first, second, r1, r2, proof) in probes {
            assert!(
                verify_consistency(first, second, &r1, &r2, &proof).is_err(),
                "accepted a falsified consistency proof: {desc}"
            );
        }
    }

    #[test]
    fn inclusion_proofs_match_the_rfc6962_reference_vectors() {
        let tree = reference_tree();
        for (index, size, want) in RFC6962_INCLUSION {
            let want: Vec<Hash> = want.iter().map(|x| h(x)).collect();
            let proof = tree.inclusion_proof(index, size).unwrap();
            assert_eq!(proof, want, "index {index} size {size}");
            let leaf = leaf_hash(&hex::decode(RFC6962_LEAVES[index as usize]).unwrap());
            verify_inclusion(index, size, &leaf, &proof, &root(size)).unwrap();
            assert_inclusion_probes_fail(index, size, leaf, &proof, root(size));
        }
    }

    #[test]
    fn consistency_proofs_match_the_rfc6962_reference_vectors() {
        let tree = reference_tree();
        for (first, second, want) in RFC6962_CONSISTENCY {
            let want: Vec<Hash> = want.iter().map(|x| h(x)).collect();
            let proof = tree.consistency_proof(first, second).unwrap();
            assert_eq!(proof, want, "{first} → {second}");
            verify_consistency(first, second, &root(first), &root(second), &proof).unwrap();
            if !proof.is_empty() {
                assert_consistency_probes_fail(first, second, root(first), root(second), &proof);
            }
        }
    }

    #[test]
    fn a_real_certificate_transparency_log_proves_with_our_verifier() {
        let root = b64(ARGON2020_ROOT);
        let entry = STANDARD.decode(ARGON2020_LEAF_INPUT).unwrap();
        let path: Vec<Hash> = ARGON2020_AUDIT_PATH.iter().map(|x| b64(x)).collect();
        verify_inclusion(
            ARGON2020_INDEX,
            ARGON2020_SIZE,
            &leaf_hash(&entry),
            &path,
            &root,
        )
        .unwrap();
        assert_inclusion_probes_fail(
            ARGON2020_INDEX,
            ARGON2020_SIZE,
            leaf_hash(&entry),
            &path,
            root,
        );

        let old = b64(ARGON2020_OLD_ROOT);
        let proof: Vec<Hash> = ARGON2020_CONSISTENCY.iter().map(|x| b64(x)).collect();
        verify_consistency(ARGON2020_OLD_SIZE, ARGON2020_SIZE, &old, &root, &proof).unwrap();
        assert_consistency_probes_fail(ARGON2020_OLD_SIZE, ARGON2020_SIZE, old, root, &proof);
    }

    #[test]
    fn impossible_inclusion_requests_are_refused() {
        let any = leaf_hash(b"x");
        for (index, size) in [(0, 0), (1, 0), (1, 1), (2, 1), (8, 7), (u64::MAX, u64::MAX)] {
            assert_eq!(
                verify_inclusion(index, size, &any, &[], &any),
                Err(ProofError::IndexOutOfRange { index, size })
            );
            assert!(ProofPlan::inclusion(index, size).is_err());
        }
    }

    #[test]
    fn sizes_from_the_top_of_the_u64_range_do_not_overflow() {
        // Checkpoint sizes are untrusted input; these must be refused, not panic.
        let any = leaf_hash(b"x");
        for (index, size) in [(0, u64::MAX), (u64::MAX - 1, u64::MAX), (0, (1 << 63) + 1)] {
            assert!(verify_inclusion(index, size, &any, &[], &any).is_err());
        }
        for (first, second) in [(1, u64::MAX), (u64::MAX - 1, u64::MAX), (1 << 63, u64::MAX)] {
            assert!(verify_consistency(first, second, &any, &any, &[any]).is_err());
        }
        assert!(ProofPlan::inclusion(0, u64::MAX).is_err());
        assert!(crate::transparency::tree::AppendPlan::new(u64::MAX).is_err());
    }

    #[test]
    fn a_one_entry_tree_needs_an_empty_proof() {
        let leaf = leaf_hash(b"data");
        verify_inclusion(0, 1, &leaf, &[], &leaf).unwrap();
        assert!(verify_inclusion(0, 1, &leaf, &[leaf], &node_hash(&leaf, &leaf)).is_err());
        assert!(verify_inclusion(0, 1, &leaf, &[], &Hash::empty()).is_err());
    }

    #[test]
    fn impossible_consistency_requests_are_refused() {
        let (a, b) = (leaf_hash(b"a"), leaf_hash(b"b"));
        // transparency-dev's TestVerifyConsistency cases, with our stricter rule that a
        // first size of 0 proves nothing.
        assert_eq!(
            verify_consistency(0, 0, &a, &a, &[]),
            Err(ProofError::EmptyFirstTree)
        );
        assert_eq!(
            verify_consistency(0, 1, &a, &b, &[]),
            Err(ProofError::EmptyFirstTree)
        );
        assert!(matches!(
            verify_consistency(1, 1, &a, &b, &[]),
            Err(ProofError::SameSizeDifferentRoots { size: 1, .. })
        ));
        verify_consistency(1, 1, &b, &b, &[]).unwrap();
        assert!(verify_consistency(1, 1, &b, &b, &[Hash::empty()]).is_err());
        assert_eq!(
            verify_consistency(2, 1, &a, &b, &[]),
            Err(ProofError::SizesOutOfOrder {
                first: 2,
                second: 1
            })
        );
        assert!(matches!(
            verify_consistency(1, 2, &a, &b, &[]),
            Err(ProofError::WrongLength {
                expected: 1,
                got: 0
            })
        ));
        assert!(ProofPlan::consistency(0, 5).is_err());
        assert!(ProofPlan::consistency(9, 8).is_err());
    }

    fn tree(n: u64) -> MemoryTree {
        MemoryTree::from_entries((0..n).map(|i| format!("entry {i}"))).unwrap()
    }

    proptest! {
        #[test]
        fn every_inclusion_proof_verifies_and_no_other(
            (size, index, other) in (1u64..300).prop_flat_map(|n| (Just(n), 0..n, 0..n))
        ) {
            // One tree with a few more entries gives the roots of the other sizes too.
            let bigger = tree(size + 3);
            let root = bigger.root_at(size).unwrap();
            let t = tree(size);
            let leaf = leaf_hash(format!("entry {index}").as_bytes());
            let proof = t.inclusion_proof(index, size).unwrap();
            prop_assert_eq!(proof.len(), inclusion_proof_len(index, size));
            prop_assert!(verify_inclusion(index, size, &leaf, &proof, &root).is_ok());

            // Another entry with this proof, or this entry at another index, fails.
            if other != index {
                let other_leaf = leaf_hash(format!("entry {other}").as_bytes());
                prop_assert!(verify_inclusion(index, size, &other_leaf, &proof, &root).is_err());
                prop_assert!(verify_inclusion(other, size, &leaf, &proof, &root).is_err());
            }
            // Against any other tree size (with that tree's root) it fails.
            for other_size in (index + 1)..(size + 3) {
                if other_size != size {
                    let other_root = bigger.root_at(other_size).unwrap();
                    prop_assert!(verify_inclusion(index, other_size, &leaf, &proof, &other_root).is_err());
                }
            }
        }

        #[test]
        fn every_consistency_proof_verifies_and_tampering_fails(
            (first, second) in (1u64..300).prop_flat_map(|n| (1..=n, Just(n)))
        ) {
            let t = tree(second);
            let (r1, r2) = (t.root_at(first).unwrap(), t.root());
            let proof = t.consistency_proof(first, second).unwrap();
            if first < second {
                prop_assert_eq!(proof.len(), consistency_proof_len(first, second));
            } else {
                prop_assert!(proof.is_empty());
            }
            prop_assert!(verify_consistency(first, second, &r1, &r2, &proof).is_ok());
            for i in 0..proof.len() {
                let mut bad = proof.clone();
                bad[i].0[31] ^= 1;
                prop_assert!(verify_consistency(first, second, &r1, &r2, &bad).is_err());
            }
            if !proof.is_empty() {
                prop_assert!(verify_consistency(first, second, &r1, &r2, &proof[1..]).is_err());
                prop_assert!(verify_consistency(first, second, &r2, &r1, &proof).is_err());
                let mut longer = proof.clone();
                longer.push(r1);
                prop_assert!(verify_consistency(first, second, &r1, &r2, &longer).is_err());
                // A forged first tree (its last entry rewritten) is not extended by this one.
                let mut forged = MemoryTree::from_entries((0..first - 1).map(|i| format!("entry {i}"))).unwrap();
                forged.append(b"rewritten").unwrap();
                prop_assert!(verify_consistency(first, second, &forged.root(), &r2, &proof).is_err());
            }
        }

        #[test]
        fn plans_ask_only_for_hashes_stored_at_the_proof_size(
            (first, second) in (1u64..2000).prop_flat_map(|n| (1..=n, Just(n)))
        ) {
            let plans = [
                ProofPlan::consistency(first, second).unwrap(),
                ProofPlan::inclusion(first - 1, second).unwrap(),
            ];
            for plan in plans {
                for id in plan.nodes() {
                    prop_assert!(id.is_complete_in(second));
                }
            }
        }
    }
}
