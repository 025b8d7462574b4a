//! What a reader's verifier does, independent of how the files are fetched: trust a
//! checkpoint only if the log's key signed it and it extends the checkpoint this
//! reader saw before; trust an entry only with a proof that it is in that checkpoint.
//! And, for the server's own `verify-log`, recompute the whole tree from the entries.
//!
//! The reader keeps one small file between runs: the last signed checkpoint exactly
//! as the log served it (see [`LogVerifier::update`]). It is checked again on every
//! load, so editing it achieves nothing. Comparing it with the next checkpoint is what
//! catches a log that rewrote history: a rewritten log cannot prove consistency with
//! what it signed before.

use std::future::Future;

use super::checkpoint::{Checkpoint, CheckpointError};
use super::entry::{Entry, EntryError};
use super::hash::{Hash, leaf_hash};
use super::memory::Frontier;
use super::note::NoteVerifier;
use super::proof::{ProofError, ProofPlan, verify_consistency, verify_inclusion};
use super::tiles::{TILE_WIDTH, Tile, TileError, TileHashes, TileLevel, decode_entry_bundle};
use super::tree::{NodeId, TreeError};

/// Where the log's public files come from: HTTP for `sunvillage verify`, the database
/// for the server checking itself, memory in tests. Paths are relative to the log's
/// prefix (`https://cunwu.example/transparency/`): `checkpoint`, `tile/0/000.p/5`,
/// `tile/entries/000.p/5`.
pub trait TileSource {
    type Error: std::error::Error + Send + Sync + 'static;

    /// The body of `<prefix>/checkpoint`.
    fn checkpoint(&self) -> impl Future<Output = Result<Vec<u8>, Self::Error>> + Send;

    /// The body of `<prefix>/<path>`.
    fn tile(&self, path: &str) -> impl Future<Output = Result<Vec<u8>, Self::Error>> + Send;
}

/// Why the log (or what a reader saved from it) could not be trusted. Causes are
/// sources, not repeated in the message: print the chain (`{:#}` with anyhow).
#[derive(Debug, thiserror::Error)]
pub enum VerifyError {
    #[error("could not fetch {what}")]
    Fetch {
        what: String,
        #[source]
        source: Box<dyn std::error::Error + Send + Sync>,
    },
    #[error("the log's checkpoint cannot be trusted")]
    Checkpoint(#[source] CheckpointError),
    #[error("the checkpoint saved from last time cannot be trusted")]
    SavedCheckpoint(#[source] CheckpointError),
    #[error(
        "the log now shows {served_size} entries, but you already saw {seen_size}: it went back \
         in time (or a cache is stale). Nothing was updated; try again later, and keep the \
         saved checkpoint"
    )]
    Rollback { seen_size: u64, served_size: u64 },
    #[error("{0}")]
    RewrittenHistory(Box<Rewrite>),
    #[error("entry {index} is not in the log's tree of {size} entries")]
    NotIncluded {
        index: u64,
        size: u64,
        #[source]
        reason: ProofError,
    },
    #[error("entry {index} does not exist yet: the checkpoint has {size} entries")]
    NoSuchEntry { index: u64, size: u64 },
    #[error(transparent)]
    Tile(#[from] TileError),
    #[error(transparent)]
    Tree(#[from] TreeError),
}

/// A log caught changing what it had published: two checkpoints, both signed by its
/// key, that no consistency proof joins.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rewrite {
    pub old_size: u64,
    pub old_root: Hash,
    pub new_size: u64,
    pub new_root: Hash,
    /// What failed, in words.
    pub reason: String,
    /// The signed checkpoint the log served, when [`LogVerifier::update`] fetched it:
    /// with the saved one, the evidence to keep.
    pub evidence: Option<String>,
}

impl std::fmt::Display for Rewrite {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "HISTORY REWRITTEN: the log's checkpoint (size {}, root {}) does not extend the one \
             you saw before (size {}, root {}): {}. Keep both signed checkpoints: together they \
             prove the log changed what it had published",
            self.new_size, self.new_root, self.old_size, self.old_root, self.reason
        )
    }
}

/// The outcome of [`LogVerifier::update`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Update {
    /// The log's current checkpoint, signature and consistency checked.
    pub checkpoint: Checkpoint,
    /// What to save for next time: the signed checkpoint as served.
    pub save: Vec<u8>,
    /// The checkpoint seen before, if one was saved.
    pub previous: Option<Checkpoint>,
}

/// Checks one log, by its origin and trusted keys, through a [`TileSource`].
#[derive(Debug)]
pub struct LogVerifier<S> {
    source: S,
    origin: String,
    trusted: Vec<NoteVerifier>,
}

impl<S: TileSource> LogVerifier<S> {
    /// `trusted` is the log's public key (and any earlier keys still to be accepted
    /// for saved checkpoints after a rotation).
    pub fn new(source: S, origin: &str, trusted: Vec<NoteVerifier>) -> LogVerifier<S> {
        LogVerifier {
            source,
            origin: origin.to_owned(),
            trusted,
        }
    }

    /// Where the log's files come from.
    pub fn source(&self) -> &S {
        &self.source
    }

    /// A checkpoint saved from an earlier run, checked again.
    pub fn load_saved(&self, saved: &[u8]) -> Result<Checkpoint, VerifyError> {
        Checkpoint::open(saved, &self.origin, &self.trusted).map_err(VerifyError::SavedCheckpoint)
    }

    /// Fetches the log's checkpoint, checks its signature and, given the checkpoint
    /// saved last time, that the log only grew since. The caller saves
    /// [`Update::save`] only when this succeeds.
    pub async fn update(&self, saved: Option<&[u8]>) -> Result<Update, VerifyError> {
        let previous = saved.map(|s| self.load_saved(s)).transpose()?;
        let save = self
            .source
            .checkpoint()
            .await
            .map_err(|e| VerifyError::Fetch {
                what: "the checkpoint".into(),
                source: Box::new(e),
            })?;
        let checkpoint = Checkpoint::open(&save, &self.origin, &self.trusted)
            .map_err(VerifyError::Checkpoint)?;
        if let Some(old) = &previous {
            self.prove_consistency(old, &checkpoint)
                .await
                .map_err(|e| match e {
                    VerifyError::RewrittenHistory(mut rewrite) => {
                        rewrite.evidence = Some(String::from_utf8_lossy(&save).into_owned());
                        VerifyError::RewrittenHistory(rewrite)
                    }
                    other => other,
                })?;
        }
        Ok(Update {
            checkpoint,
            save,
            previous,
        })
    }

    /// Proves that `new` extends `old`, both already verified checkpoints.
    pub async fn prove_consistency(
        &self,
        old: &Checkpoint,
        new: &Checkpoint,
    ) -> Result<(), VerifyError> {
        let rewritten = |reason: String| {
            VerifyError::RewrittenHistory(Box::new(Rewrite {
                old_size: old.size,
                old_root: old.root,
                new_size: new.size,
                new_root: new.root,
                reason,
                evidence: None,
            }))
        };
        if new.size < old.size {
            return Err(VerifyError::Rollback {
                seen_size: old.size,
                served_size: new.size,
            });
        }
        if old.size == 0 {
            // The empty tree is a prefix of every tree; its root can only be one value.
            if old.root != Hash::empty() {
                return Err(rewritten(
                    "the earlier checkpoint gave the empty log a wrong root".into(),
                ));
            }
            return Ok(());
        }
        if old.size == new.size {
            if old.root != new.root {
                return Err(rewritten("two different trees of the same size".into()));
            }
            return Ok(());
        }
        let plan = ProofPlan::consistency(old.size, new.size)?;
        let mut tiles = TileHashes::new(new.size);
        self.fetch_tiles(&mut tiles, &plan.nodes()).await?;
        let proof = plan.proof(|id| tiles.node(id))?;
        verify_consistency(old.size, new.size, &old.root, &new.root, &proof)
            .map_err(|e| rewritten(e.to_string()))
    }

    /// Proves that `entry` is entry `index` of the tree `checkpoint` signs.
    pub async fn prove_inclusion(
        &self,
        checkpoint: &Checkpoint,
        index: u64,
        entry: &[u8],
    ) -> Result<(), VerifyError> {
        if index >= checkpoint.size {
            return Err(VerifyError::NoSuchEntry {
                index,
                size: checkpoint.size,
            });
        }
        let plan = ProofPlan::inclusion(index, checkpoint.size)?;
        let mut tiles = TileHashes::new(checkpoint.size);
        self.fetch_tiles(&mut tiles, &plan.nodes()).await?;
        let proof = plan.proof(|id| tiles.node(id))?;
        verify_inclusion(
            index,
            checkpoint.size,
            &leaf_hash(entry),
            &proof,
            &checkpoint.root,
        )
        .map_err(|reason| VerifyError::NotIncluded {
            index,
            size: checkpoint.size,
            reason,
        })
    }

    /// Fetches entry `index` from its entry bundle and proves it is in `checkpoint`:
    /// what the verifier shows a reader as "what the log says".
    pub async fn fetch_entry(
        &self,
        checkpoint: &Checkpoint,
        index: u64,
    ) -> Result<Vec<u8>, VerifyError> {
        let bundle = Tile::entries_for(index, checkpoint.size).ok_or(VerifyError::NoSuchEntry {
            index,
            size: checkpoint.size,
        })?;
        let entries = match self.source.tile(&bundle.path()).await {
            Ok(body) => decode_entry_bundle(&bundle, &body)?,
            Err(e) => self
                .full_instead(&bundle, e)
                .await
                .and_then(|(full, body)| {
                    let mut entries = decode_entry_bundle(&full, &body)?;
                    entries.truncate(usize::from(bundle.width()));
                    Ok(entries)
                })?,
        };
        // The offset within a bundle is below 256.
        let offset = (index % u64::from(TILE_WIDTH)) as usize;
        let entry = entries
            .into_iter()
            .nth(offset)
            .ok_or(TileError::BadBundle {
                path: bundle.path(),
                reason: "the entry is missing",
            })?;
        self.prove_inclusion(checkpoint, index, &entry).await?;
        Ok(entry)
    }

    /// Fetches every tile `nodes` need. A log may drop a partial tile once the full
    /// tile exists, so a failed partial fetch falls back to the full one.
    async fn fetch_tiles(
        &self,
        tiles: &mut TileHashes,
        nodes: &[NodeId],
    ) -> Result<(), VerifyError> {
        for tile in tiles.missing_tiles(nodes)? {
            match self.source.tile(&tile.path()).await {
                Ok(body) => tiles.insert(tile, &body)?,
                Err(e) => {
                    let (_, body) = self.full_instead(&tile, e).await?;
                    tiles.insert_from_full(tile, &body)?;
                }
            }
        }
        Ok(())
    }

    /// The full tile in place of a partial one whose fetch failed with `error`.
    async fn full_instead(
        &self,
        partial: &Tile,
        error: S::Error,
    ) -> Result<(Tile, Vec<u8>), VerifyError> {
        let failed = |e: S::Error| VerifyError::Fetch {
            what: partial.path(),
            source: Box::new(e),
        };
        let full = match partial.level() {
            TileLevel::Hashes(l) => Tile::hashes(l, partial.index(), TILE_WIDTH),
            TileLevel::Entries => Tile::entries(partial.index(), TILE_WIDTH),
        };
        let Some(full) = full.filter(|_| !partial.is_full()) else {
            return Err(failed(error));
        };
        match self.source.tile(&full.path()).await {
            Ok(body) => Ok((full, body)),
            Err(_) => Err(failed(error)),
        }
    }
}

/// What `verify-log` found wrong: the first place the database disagrees with itself.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LogMismatch {
    #[error("entry {index} is not a valid log entry")]
    BadEntry {
        index: u64,
        #[source]
        reason: EntryError,
    },
    #[error(
        "entry {index}: the stored hash of {node} is {}, but the entries give {computed}: the entry \
         or its hashes were changed after it was logged",
        stored.map_or("missing".to_owned(), |h| h.to_string())
    )]
    StoredHash {
        index: u64,
        node: NodeId,
        stored: Option<Hash>,
        computed: Hash,
    },
    #[error(
        "entry {index}: {stored} hashes are stored with it, but it completes {expected} subtrees"
    )]
    StoredHashCount {
        index: u64,
        stored: usize,
        expected: usize,
    },
    #[error(
        "the checkpoint of size {size} signed root {signed}, but entries 0..{size} give {computed}: \
         an entry from {since} on was changed after that checkpoint was signed"
    )]
    CheckpointRoot {
        size: u64,
        signed: Hash,
        computed: Hash,
        /// The size of the last checkpoint that still matched (0 if none did).
        since: u64,
    },
    #[error(
        "a checkpoint was signed at size {size}, but the log has only {entries} entries: entries were deleted"
    )]
    CheckpointBeyondLog { size: u64, entries: u64 },
}

/// Recomputes a log entry by entry, in O(log n) memory, comparing with what the
/// server stored. Feed it every entry in order with [`Recomputer::push`] and every
/// signed checkpoint, in order of size, with [`Recomputer::check_checkpoint`] once
/// the log has reached that size.
#[derive(Debug, Clone, Default)]
pub struct Recomputer {
    frontier: Frontier,
    last_matching_checkpoint: u64,
}

impl Recomputer {
    pub fn new() -> Recomputer {
        Recomputer::default()
    }

    pub fn size(&self) -> u64 {
        self.frontier.size()
    }

    pub fn root(&self) -> Hash {
        self.frontier.root()
    }

    /// The next entry and the hashes stored with it, in stored order (leaf first).
    pub fn push(&mut self, entry: &[u8], stored: &[Hash]) -> Result<(), LogMismatch> {
        let index = self.size();
        Entry::decode(entry).map_err(|reason| LogMismatch::BadEntry { index, reason })?;
        let computed = match self.frontier.append(leaf_hash(entry)) {
            Ok(computed) => computed,
            // Only past MAX_TREE_SIZE entries; report it against the entry.
            Err(_) => {
                return Err(LogMismatch::StoredHashCount {
                    index,
                    stored: stored.len(),
                    expected: 0,
                });
            }
        };
        for (k, (node, hash)) in computed.iter().enumerate() {
            if stored.get(k) != Some(hash) {
                return Err(LogMismatch::StoredHash {
                    index,
                    node: *node,
                    stored: stored.get(k).copied(),
                    computed: *hash,
                });
            }
        }
        if stored.len() != computed.len() {
            return Err(LogMismatch::StoredHashCount {
                index,
                stored: stored.len(),
                expected: computed.len(),
            });
        }
        Ok(())
    }

    /// Compares a signed checkpoint with the tree recomputed so far, which must have
    /// reached its size exactly.
    pub fn check_checkpoint(&mut self, checkpoint: &Checkpoint) -> Result<(), LogMismatch> {
        if checkpoint.size != self.size() {
            return Err(LogMismatch::CheckpointBeyondLog {
                size: checkpoint.size,
                entries: self.size(),
            });
        }
        if checkpoint.root != self.root() {
            return Err(LogMismatch::CheckpointRoot {
                size: checkpoint.size,
                signed: checkpoint.root,
                computed: self.root(),
                since: self.last_matching_checkpoint,
            });
        }
        self.last_matching_checkpoint = checkpoint.size;
        Ok(())
    }
}

/// `verify-log` over entries held in memory: each entry with its stored hashes, and
/// the signed checkpoints. Returns the recomputed root, or the first mismatch.
pub fn recompute_all<'a>(
    entries: impl IntoIterator<Item = (&'a [u8], &'a [Hash])>,
    checkpoints: &[Checkpoint],
) -> Result<Hash, LogMismatch> {
    let mut checkpoints: Vec<&Checkpoint> = checkpoints.iter().collect();
    checkpoints.sort_by_key(|c| c.size);
    let mut pending = checkpoints.into_iter().peekable();
    let mut r = Recomputer::new();
    let mut check_due = |r: &mut Recomputer| -> Result<(), LogMismatch> {
        while let Some(c) = pending.next_if(|c| c.size == r.size()) {
            r.check_checkpoint(c)?;
        }
        Ok(())
    };
    check_due(&mut r)?;
    for (entry, stored) in entries {
        r.push(entry, stored)?;
        check_due(&mut r)?;
    }
    if let Some(c) = pending.next() {
        return Err(LogMismatch::CheckpointBeyondLog {
            size: c.size,
            entries: r.size(),
        });
    }
    Ok(r.root())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::transparency::entry::{ComplaintStatusEvent, DisclosureEvent, DisclosureKind};
    use crate::transparency::memory::MemoryTree;
    use crate::transparency::note::{NoteSigner, generate_key};
    use crate::transparency::tiles::{encode_entry_bundle, encode_hash_tile};
    use crate::transparency::tree::stored_hash_count;
    use futures::executor::block_on;
    use std::collections::HashSet;

    const ORIGIN: &str = "cunwu.example/transparency";

    #[derive(Debug, thiserror::Error)]
    #[error("404 Not Found: {0}")]
    struct NotFound(String);

    /// A log as its server would publish it, with knobs to make it misbehave.
    struct FakeLog {
        entries: Vec<Vec<u8>>,
        tree: MemoryTree,
        checkpoint: Vec<u8>,
        dropped: HashSet<String>,
        tampered: Option<String>,
    }

    impl FakeLog {
        fn new(entries: Vec<Vec<u8>>, signer: &NoteSigner) -> FakeLog {
            let tree = MemoryTree::from_entries(&entries).unwrap();
            let checkpoint = Checkpoint::new(ORIGIN, tree.size(), tree.root())
                .sign(signer)
                .unwrap()
                .into_bytes();
            FakeLog {
                entries,
                tree,
                checkpoint,
                dropped: HashSet::new(),
                tampered: None,
            }
        }

        fn serve(&self, path: &str) -> Result<Vec<u8>, NotFound> {
            let not_found = || NotFound(path.to_owned());
            if self.dropped.contains(path) {
                return Err(not_found());
            }
            let tile = Tile::parse_path(path).map_err(|_| not_found())?;
            if !tile.exists_at(self.tree.size()) {
                return Err(not_found());
            }
            let mut body = match tile.level() {
                TileLevel::Entries => {
                    let range = tile.entry_indexes();
                    encode_entry_bundle(&self.entries[range.start as usize..range.end as usize])
                        .unwrap()
                }
                TileLevel::Hashes(_) => {
                    let hashes: Vec<Hash> = tile
                        .nodes()
                        .into_iter()
                        .map(|n| self.tree.node(n).unwrap())
                        .collect();
                    encode_hash_tile(&hashes)
                }
            };
            if self.tampered.as_deref() == Some(path) {
                body[0] ^= 1;
            }
            Ok(body)
        }
    }

    impl TileSource for FakeLog {
        type Error = NotFound;

        fn checkpoint(&self) -> impl Future<Output = Result<Vec<u8>, NotFound>> + Send {
            let body = self.checkpoint.clone();
            async move { Ok(body) }
        }

        fn tile(&self, path: &str) -> impl Future<Output = Result<Vec<u8>, NotFound>> + Send {
            let result = self.serve(path);
            async move { result }
        }
    }

    fn disclosure(id: u64) -> Vec<u8> {
        Entry::Disclosure(DisclosureEvent {
            kind: DisclosureKind::Published,
            village_code: "411502100201".into(),
            module: "assets".into(),
            disclosure_id: id,
            version: 1,
            at: 1_795_854_600 + id as i64,
            content_sha256: [id as u8; 32],
            attachment_sha256s: vec![],
        })
        .encode()
        .unwrap()
    }

    fn complaint(n: u64, status: &str) -> Vec<u8> {
        Entry::ComplaintStatus(ComplaintStatusEvent {
            tracking_number: format!("XY-20261128-{n:04}"),
            status: status.into(),
            at: 1_795_854_600,
            public_reply_sha256: None,
        })
        .encode()
        .unwrap()
    }

    fn entries(n: u64) -> Vec<Vec<u8>> {
        (1..=n)
            .map(|i| {
                if i % 3 == 0 {
                    complaint(i, "accepted")
                } else {
                    disclosure(i)
                }
            })
            .collect()
    }

    fn new_key() -> (NoteSigner, NoteVerifier) {
        let (skey, vkey) = generate_key(ORIGIN).unwrap();
        (
            NoteSigner::from_key(&skey).unwrap(),
            NoteVerifier::parse(&vkey).unwrap(),
        )
    }

    fn verifier(log: FakeLog, key: &NoteVerifier) -> LogVerifier<FakeLog> {
        LogVerifier::new(log, ORIGIN, vec![key.clone()])
    }

    #[test]
    fn a_growing_log_is_followed_from_one_run_to_the_next() {
        let (signer, key) = new_key();
        let first =
            block_on(verifier(FakeLog::new(entries(300), &signer), &key).update(None)).unwrap();
        assert_eq!(first.checkpoint.size, 300);
        assert_eq!(first.previous, None);

        for n in [300, 301, 512, 700, 70_000] {
            let next = block_on(
                verifier(FakeLog::new(entries(n), &signer), &key).update(Some(&first.save)),
            )
            .unwrap();
            assert_eq!(next.checkpoint.size, n);
            assert_eq!(next.previous.as_ref().map(|c| c.size), Some(300));
        }
    }

    #[test]
    fn a_checkpoint_with_a_bad_signature_is_refused() {
        let (signer, key) = new_key();
        let (impostor, _) = new_key();
        let v = verifier(FakeLog::new(entries(10), &impostor), &key);
        assert!(matches!(
            block_on(v.update(None)),
            Err(VerifyError::Checkpoint(_))
        ));

        let mut log = FakeLog::new(entries(10), &signer);
        log.checkpoint = String::from_utf8(log.checkpoint)
            .unwrap()
            .replacen("\n10\n", "\n11\n", 1)
            .into_bytes();
        assert!(matches!(
            block_on(verifier(log, &key).update(None)),
            Err(VerifyError::Checkpoint(_))
        ));
    }

    #[test]
    fn a_rewritten_history_is_refused_naming_both_checkpoints() {
        let (signer, key) = new_key();
        let seen =
            block_on(verifier(FakeLog::new(entries(100), &signer), &key).update(None)).unwrap();

        // The log's operator changes entry 42 and keeps appending, signing as usual.
        let mut rewritten = entries(150);
        rewritten[42] = disclosure(4242);
        let v = verifier(FakeLog::new(rewritten, &signer), &key);
        let err = block_on(v.update(Some(&seen.save))).unwrap_err();
        let VerifyError::RewrittenHistory(rewrite) = &err else {
            panic!("expected a rewritten history, got {err}");
        };
        let Rewrite {
            old_size,
            old_root,
            new_size,
            new_root,
            evidence,
            ..
        } = rewrite.as_ref();
        // The served checkpoint comes back as evidence, and it opens with the log's key.
        let evidence = evidence.as_deref().unwrap();
        let served = Checkpoint::open(evidence.as_bytes(), ORIGIN, std::slice::from_ref(&key));
        assert_eq!(served.unwrap().size, 150);
        assert_eq!((*old_size, *new_size), (100, 150));
        assert_eq!(*old_root, seen.checkpoint.root);
        assert_ne!(new_root, old_root);
        let message = err.to_string();
        assert!(
            message.contains("size 100") && message.contains("size 150"),
            "{message}"
        );
        assert!(message.contains(&old_root.to_string()) && message.contains(&new_root.to_string()));

        // The same size with another root is a fork, refused too.
        let mut forked = entries(100);
        forked[99] = complaint(99, "concluded");
        let v = verifier(FakeLog::new(forked, &signer), &key);
        assert!(matches!(
            block_on(v.update(Some(&seen.save))),
            Err(VerifyError::RewrittenHistory(_))
        ));
    }

    #[test]
    fn a_log_that_shrinks_is_refused() {
        let (signer, key) = new_key();
        let seen =
            block_on(verifier(FakeLog::new(entries(100), &signer), &key).update(None)).unwrap();
        let v = verifier(FakeLog::new(entries(99), &signer), &key);
        assert!(matches!(
            block_on(v.update(Some(&seen.save))),
            Err(VerifyError::Rollback {
                seen_size: 100,
                served_size: 99
            })
        ));
    }

    #[test]
    fn a_saved_checkpoint_that_was_edited_is_refused() {
        let (signer, key) = new_key();
        let seen =
            block_on(verifier(FakeLog::new(entries(5), &signer), &key).update(None)).unwrap();
        let edited = String::from_utf8(seen.save)
            .unwrap()
            .replacen("\n5\n", "\n4\n", 1);
        let v = verifier(FakeLog::new(entries(6), &signer), &key);
        assert!(matches!(
            block_on(v.update(Some(edited.as_bytes()))),
            Err(VerifyError::SavedCheckpoint(_))
        ));
    }

    #[test]
    fn an_empty_log_seen_before_is_extended_by_any_log() {
        let (signer, key) = new_key();
        let seen = block_on(verifier(FakeLog::new(vec![], &signer), &key).update(None)).unwrap();
        assert_eq!(seen.checkpoint.size, 0);
        block_on(verifier(FakeLog::new(entries(3), &signer), &key).update(Some(&seen.save)))
            .unwrap();
    }

    #[test]
    fn entries_are_fetched_and_proved_and_wrong_ones_refused() {
        let (signer, key) = new_key();
        let v = verifier(FakeLog::new(entries(600), &signer), &key);
        let cp = block_on(v.update(None)).unwrap().checkpoint;
        for index in [0, 1, 255, 256, 599] {
            let entry = block_on(v.fetch_entry(&cp, index)).unwrap();
            assert_eq!(entry, entries(600)[index as usize]);
            assert!(Entry::decode(&entry).is_ok());
        }
        assert!(matches!(
            block_on(v.prove_inclusion(&cp, 7, &disclosure(999))),
            Err(VerifyError::NotIncluded {
                index: 7,
                size: 600,
                ..
            })
        ));
        // Right entry, wrong place.
        assert!(block_on(v.prove_inclusion(&cp, 8, &entries(600)[7])).is_err());
        assert!(matches!(
            block_on(v.fetch_entry(&cp, 600)),
            Err(VerifyError::NoSuchEntry { .. })
        ));
    }

    #[test]
    fn a_tampered_tile_or_bundle_is_caught() {
        let (signer, key) = new_key();
        let cp = block_on(verifier(FakeLog::new(entries(600), &signer), &key).update(None))
            .unwrap()
            .checkpoint;
        // The first byte of each is flipped. Entry 10's proof uses the subtree of leaves
        // 0..8 from tile/0/000; entry 300's the root of leaves 0..256, which is the
        // first hash of the level-1 tile.
        for (tile, index) in [("tile/0/000", 10), ("tile/1/000.p/2", 300)] {
            let mut log = FakeLog::new(entries(600), &signer);
            log.tampered = Some(tile.into());
            let v = verifier(log, &key);
            assert!(
                matches!(
                    block_on(v.fetch_entry(&cp, index)),
                    Err(VerifyError::NotIncluded { .. })
                ),
                "{tile}"
            );
        }

        let mut log = FakeLog::new(entries(600), &signer);
        log.tampered = Some("tile/entries/001".into());
        let v = verifier(log, &key);
        assert!(block_on(v.fetch_entry(&cp, 256)).is_err());
    }

    #[test]
    fn a_dropped_partial_tile_is_replaced_by_the_full_one() {
        let (signer, key) = new_key();
        let seen =
            block_on(verifier(FakeLog::new(entries(300), &signer), &key).update(None)).unwrap();
        let mut log = FakeLog::new(entries(600), &signer);
        // At size 600 the level-0 tile 1 is full; a client at size 300 would ask for
        // its .p/44, which this log no longer serves.
        log.dropped.insert("tile/entries/001.p/44".into());
        log.dropped.insert("tile/0/001.p/44".into());
        let v = verifier(log, &key);
        block_on(v.update(Some(&seen.save))).unwrap();
        let entry = block_on(v.fetch_entry(&seen.checkpoint, 299)).unwrap();
        assert_eq!(entry, entries(300)[299]);
    }

    /// The hashes stored with each entry: runs of the stored sequence.
    fn stored_runs(tree: &MemoryTree, size: u64) -> Vec<Vec<Hash>> {
        let hashes = tree.stored_hashes();
        (0..size)
            .map(|i| {
                let start = stored_hash_count(i) as usize;
                let end = stored_hash_count(i + 1) as usize;
                hashes[start..end].to_vec()
            })
            .collect()
    }

    fn checkpoints_of(tree: &MemoryTree, sizes: &[u64]) -> Vec<Checkpoint> {
        sizes
            .iter()
            .map(|&s| Checkpoint::new(ORIGIN, s, tree.root_at(s).unwrap()))
            .collect()
    }

    #[test]
    fn recomputing_a_sound_log_finds_nothing() {
        let entries = entries(500);
        let tree = MemoryTree::from_entries(&entries).unwrap();
        let stored = stored_runs(&tree, 500);
        let pairs = entries
            .iter()
            .zip(&stored)
            .map(|(e, s)| (e.as_slice(), s.as_slice()));
        let checkpoints = checkpoints_of(&tree, &[0, 1, 256, 300, 500]);
        assert_eq!(recompute_all(pairs, &checkpoints), Ok(tree.root()));
    }

    #[test]
    fn recomputing_names_the_first_entry_that_was_changed() {
        let mut entries = entries(500);
        let tree = MemoryTree::from_entries(&entries).unwrap();
        let stored = stored_runs(&tree, 500);
        entries[123] = disclosure(777);
        entries[400] = disclosure(778);
        let pairs = entries
            .iter()
            .zip(&stored)
            .map(|(e, s)| (e.as_slice(), s.as_slice()));
        assert!(matches!(
            recompute_all(pairs, &[]),
            Err(LogMismatch::StoredHash { index: 123, .. })
        ));
    }

    #[test]
    fn recomputing_catches_a_rewrite_that_updated_the_hashes_too() {
        let original = MemoryTree::from_entries(entries(500)).unwrap();
        let checkpoints = checkpoints_of(&original, &[100, 200, 300]);
        // Entry 250 changed, and every stored hash recomputed to match.
        let mut entries = entries(500);
        entries[250] = disclosure(777);
        let forged = MemoryTree::from_entries(&entries).unwrap();
        let stored = stored_runs(&forged, 500);
        let pairs = entries
            .iter()
            .zip(&stored)
            .map(|(e, s)| (e.as_slice(), s.as_slice()));
        let err = recompute_all(pairs, &checkpoints).unwrap_err();
        assert!(
            matches!(
                err,
                LogMismatch::CheckpointRoot {
                    size: 300,
                    since: 200,
                    ..
                }
            ),
            "{err}"
        );
        assert!(err.to_string().contains("from 200 on"));
    }

    #[test]
    fn recomputing_catches_deleted_entries_and_invalid_ones() {
        let entries = entries(50);
        let tree = MemoryTree::from_entries(&entries).unwrap();
        let stored = stored_runs(&tree, 50);
        let pairs = entries
            .iter()
            .zip(&stored)
            .map(|(e, s)| (e.as_slice(), s.as_slice()));
        let later = Checkpoint::new(ORIGIN, 60, Hash::empty());
        assert_eq!(
            recompute_all(pairs, &[later]),
            Err(LogMismatch::CheckpointBeyondLog {
                size: 60,
                entries: 50
            })
        );

        let junk = MemoryTree::from_entries([b"not an entry"]).unwrap();
        let stored = stored_runs(&junk, 1);
        let pairs = [(b"not an entry".as_slice(), stored[0].as_slice())];
        assert!(matches!(
            recompute_all(pairs, &[]),
            Err(LogMismatch::BadEntry { index: 0, .. })
        ));

        let mut r = Recomputer::new();
        let leaf = leaf_hash(&entries[0]);
        assert!(matches!(
            r.push(&entries[0], &[leaf, leaf]),
            Err(LogMismatch::StoredHashCount {
                index: 0,
                stored: 2,
                expected: 1
            })
        ));
    }
}
