//! The transparency log as the service keeps it: entries appended in the transaction
//! of the event they record, checkpoints signed while entries arrive, and the tiles,
//! checkpoints and proofs readers fetch. The pure Merkle core is `crate::transparency`.

use std::sync::Arc;

use chrono::{DateTime, Utc};
use sqlx::{PgExecutor, PgPool};

use crate::domain::complaint::{ComplaintStatus, TrackingNumber};
use crate::domain::{Module, RegionCode};
use crate::storage::tlog::{self, StoredCheckpoint};
use crate::storage::{PgTransaction, corrupt};
use crate::transparency::checkpoint::Checkpoint;
use crate::transparency::entry::{
    self, ComplaintStatusEvent, DisclosureEvent, DisclosureKind, Entry, EntryError,
};
use crate::transparency::hash::{Hash, leaf_hash};
use crate::transparency::note::{NoteSigner, NoteVerifier};
use crate::transparency::proof::ProofPlan;
use crate::transparency::tiles::{Tile, TileLevel, encode_entry_bundle, encode_hash_tile};
use crate::transparency::tree::{AppendPlan, NodeId, RootPlan, TreeError};
use crate::transparency::verify::TileSource;

/// Why the log could not be written or read.
#[derive(Debug, thiserror::Error)]
pub enum LogError {
    #[error("the log entry cannot be encoded")]
    Entry(#[from] EntryError),
    #[error("the log's tree")]
    Tree(#[from] TreeError),
    #[error("the log's stored hash of {0} is missing")]
    MissingHash(NodeId),
    #[error("the checkpoint cannot be signed")]
    Sign(#[source] crate::transparency::checkpoint::CheckpointError),
    #[error("database")]
    Database(#[from] sqlx::Error),
}

/// The log's signing key and origin, shared by the checkpoint worker and the pages.
#[derive(Debug, Clone)]
pub struct LogSigner(Arc<NoteSigner>);

impl LogSigner {
    pub fn new(signer: Arc<NoteSigner>) -> LogSigner {
        LogSigner(signer)
    }

    /// The log's name in its checkpoints: the key's name.
    pub fn origin(&self) -> &str {
        self.0.name()
    }

    /// The public key readers trust, `<origin>+<id>+<key>`.
    pub fn verifier(&self) -> NoteVerifier {
        self.0.verifier()
    }
}

/// What an entry is about, for finding it again.
pub fn complaint_subject(tracking: &TrackingNumber) -> String {
    format!("complaint:{tracking}")
}

/// Appends `entry` in the caller's transaction and returns its index. Appends are
/// serialised on the log's head row, so the index is the log's size when it commits.
pub async fn append(
    tx: &mut PgTransaction<'_>,
    entry: &Entry,
    subject: &str,
) -> Result<u64, LogError> {
    let bytes = entry.encode()?;
    let index = tlog::lock_head(tx).await?;
    let plan = AppendPlan::new(index)?;
    let needed = plan.nodes();
    let found = stored_hashes(&mut **tx, &needed).await?;
    let hashes = plan.hashes(leaf_hash(&bytes), |node| lookup(&found, node))?;
    // The leaf comes first, and the subtrees it completes follow in stored order.
    let first = hashes[0].0.stored_index();
    let values: Vec<Hash> = hashes.into_iter().map(|(_, h)| h).collect();
    tlog::append(tx, index, &bytes, subject, first, &values).await?;
    Ok(index)
}

/// Logs a complaint's new status with the SHA-256 of the reply made public with it
/// (never the complainant, never the complaint's text).
pub async fn record_complaint_status(
    tx: &mut PgTransaction<'_>,
    tracking: &TrackingNumber,
    status: ComplaintStatus,
    at: DateTime<Utc>,
    public_reply: &str,
) -> Result<u64, LogError> {
    let entry = Entry::ComplaintStatus(ComplaintStatusEvent {
        tracking_number: tracking.to_string(),
        status: status.as_str().to_owned(),
        at: at.timestamp(),
        public_reply_sha256: public_reply_sha256(public_reply),
    });
    append(tx, &entry, &complaint_subject(tracking)).await
}

/// What an entry about a disclosure is about.
pub fn disclosure_subject(disclosure_id: i64) -> String {
    format!("disclosure:{disclosure_id}")
}

/// Logs a disclosure published, corrected or withdrawn: its place, module, version, time
/// and the SHA-256 of the version's canonical public JSON (what `/d/{id}/v/{n}.json`
/// serves), in the caller's transaction.
#[allow(clippy::too_many_arguments, reason = "the parts of one entry")]
pub async fn record_disclosure(
    tx: &mut PgTransaction<'_>,
    kind: DisclosureKind,
    region: &RegionCode,
    module: Module,
    disclosure_id: i64,
    version: i32,
    at: DateTime<Utc>,
    content_sha256: [u8; 32],
    attachment_sha256s: Vec<[u8; 32]>,
) -> Result<u64, LogError> {
    let number = |v: i64, field: &'static str| {
        u64::try_from(v).map_err(|_| LogError::Entry(EntryError::Zero { field }))
    };
    let entry = Entry::Disclosure(DisclosureEvent {
        kind,
        village_code: region.as_str().to_owned(),
        module: module.slug().to_owned(),
        disclosure_id: number(disclosure_id, "disclosure")?,
        version: u32::try_from(version)
            .map_err(|_| LogError::Entry(EntryError::Zero { field: "version" }))?,
        at: at.timestamp(),
        content_sha256,
        attachment_sha256s,
    });
    append(tx, &entry, &disclosure_subject(disclosure_id)).await
}

/// The hash a complaint entry holds of its public reply; none for an empty reply.
pub fn public_reply_sha256(reply: &str) -> Option<[u8; 32]> {
    (!reply.is_empty()).then(|| entry::sha256(reply.as_bytes()))
}

type Found = Vec<(u64, Hash)>;

async fn stored_hashes(db: impl PgExecutor<'_>, nodes: &[NodeId]) -> Result<Found, LogError> {
    let wanted: Vec<u64> = nodes.iter().map(|n| n.stored_index()).collect();
    Ok(tlog::hashes(db, &wanted).await?)
}

fn lookup(found: &Found, node: NodeId) -> Result<Hash, LogError> {
    let stored = node.stored_index();
    found
        .iter()
        .find(|(i, _)| *i == stored)
        .map(|(_, h)| *h)
        .ok_or(LogError::MissingHash(node))
}

/// The root of the log's first `size` entries, from the stored hashes.
pub async fn root_at(db: impl PgExecutor<'_>, size: u64) -> Result<Hash, LogError> {
    let plan = RootPlan::new(size)?;
    let found = stored_hashes(db, plan.nodes()).await?;
    plan.root(|node| lookup(&found, node))
}

/// Signs and keeps a checkpoint of the log as committed, unless the newest kept one
/// already has that size. Returns the new checkpoint.
pub async fn checkpoint_now(
    pool: &PgPool,
    signer: &LogSigner,
) -> Result<Option<StoredCheckpoint>, LogError> {
    let size = tlog::size(pool).await?;
    if let Some(latest) = tlog::latest_checkpoint(pool).await?
        && latest.size >= size
    {
        return Ok(None);
    }
    let root = root_at(pool, size).await?;
    let note = Checkpoint::new(signer.origin(), size, root)
        .sign(&signer.0)
        .map_err(LogError::Sign)?;
    // Two instances signing the same size sign the same text (Ed25519 is deterministic).
    tlog::insert_checkpoint(pool, size, &note).await?;
    Ok(tlog::checkpoint_of_size(pool, size).await?)
}

/// The body of a tile, if the latest checkpoint's tree holds it.
pub async fn tile_body(pool: &PgPool, tile: &Tile, size: u64) -> Result<Option<Vec<u8>>, LogError> {
    if !tile.exists_at(size) {
        return Ok(None);
    }
    if tile.level() == TileLevel::Entries {
        let range = tile.entry_indexes();
        let rows = tlog::entries(pool, range.start, range.end).await?;
        if rows.len() as u64 != range.end - range.start {
            return Err(corrupt("log entries", format!("missing in {range:?}")).into());
        }
        let entries: Vec<Vec<u8>> = rows.into_iter().map(|r| r.entry).collect();
        let body = encode_entry_bundle(&entries)
            .map_err(|e| LogError::Database(corrupt("log entry", e)))?;
        return Ok(Some(body));
    }
    let nodes = tile.nodes();
    let found = stored_hashes(pool, &nodes).await?;
    let hashes: Vec<Hash> = nodes
        .iter()
        .map(|&n| lookup(&found, n))
        .collect::<Result<_, _>>()?;
    Ok(Some(encode_hash_tile(&hashes)))
}

/// An inclusion proof of entry `index` in the tree of `size` entries.
pub async fn inclusion_proof(pool: &PgPool, index: u64, size: u64) -> Result<Vec<Hash>, LogError> {
    let plan = ProofPlan::inclusion(index, size)?;
    let found = stored_hashes(pool, &plan.nodes()).await?;
    plan.proof(|node| lookup(&found, node))
}

/// A consistency proof between the trees of `first` and `second` entries.
pub async fn consistency_proof(
    pool: &PgPool,
    first: u64,
    second: u64,
) -> Result<Vec<Hash>, LogError> {
    let plan = ProofPlan::consistency(first, second)?;
    let found = stored_hashes(pool, &plan.nodes()).await?;
    plan.proof(|node| lookup(&found, node))
}

/// The log read straight from the database, for `sunvillage verify --database` and the
/// server's own pages: the same checks a reader over HTTP makes.
#[derive(Debug, Clone)]
pub struct DatabaseSource {
    pool: PgPool,
}

impl DatabaseSource {
    pub fn new(pool: PgPool) -> DatabaseSource {
        DatabaseSource { pool }
    }
}

/// Why the database could not give a file of the log.
#[derive(Debug, thiserror::Error)]
pub enum SourceError {
    #[error("no checkpoint has been signed yet")]
    NoCheckpoint,
    #[error("no such tile: {0}")]
    NoTile(String),
    #[error(transparent)]
    Log(#[from] LogError),
    #[error(transparent)]
    Path(#[from] crate::transparency::tiles::TileError),
}

impl From<sqlx::Error> for SourceError {
    fn from(e: sqlx::Error) -> SourceError {
        SourceError::Log(LogError::Database(e))
    }
}

impl TileSource for DatabaseSource {
    type Error = SourceError;

    async fn checkpoint(&self) -> Result<Vec<u8>, SourceError> {
        let latest = tlog::latest_checkpoint(&self.pool)
            .await?
            .ok_or(SourceError::NoCheckpoint)?;
        Ok(latest.note.into_bytes())
    }

    async fn tile(&self, path: &str) -> Result<Vec<u8>, SourceError> {
        let tile = Tile::parse_path(path)?;
        let size = match tlog::latest_checkpoint(&self.pool).await? {
            Some(c) => c.size,
            None => 0,
        };
        tile_body(&self.pool, &tile, size)
            .await?
            .ok_or_else(|| SourceError::NoTile(path.to_owned()))
    }
}

/// The log lives in the service's database: a use case that logs its event fails the
/// way a failed write fails (an outage stays an outage; a broken log is stored data
/// that does not read back).
impl From<LogError> for sqlx::Error {
    fn from(e: LogError) -> sqlx::Error {
        match e {
            LogError::Database(e) => e,
            other => corrupt("transparency log", describe(&other)),
        }
    }
}

/// An error with its causes, `a: b: c`, for a log line or a wrapped error.
pub fn describe(e: &(dyn std::error::Error + 'static)) -> String {
    let mut text = e.to_string();
    let mut source = e.source();
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}

/// A disclosure version's log entry and whether what the service stores today still
/// hashes to what was logged.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LoggedVersion {
    pub index: u64,
    pub matches: bool,
}

/// Whether the canonical JSON stored for `version` of `disclosure_id` hashes to `logged`
/// and its attachments' bytes hash to `logged_files`, in their order; `None` when no
/// such version is stored any more.
pub async fn stored_version_matches(
    pool: &PgPool,
    disclosure_id: i64,
    version: i32,
    logged: &[u8; 32],
    logged_files: &[[u8; 32]],
) -> Result<Option<bool>, LogError> {
    let stored = crate::storage::disclosures::public_json(pool, disclosure_id, version).await?;
    let Some((json, _)) = stored else {
        return Ok(None);
    };
    let files =
        crate::storage::disclosures::version_file_hashes(pool, disclosure_id, version).await?;
    Ok(Some(
        entry::sha256(json.as_bytes()) == *logged && files == logged_files,
    ))
}

/// One logged version: (version, entry index, content hash, attachment hashes).
type LoggedHashes = (u32, u64, [u8; 32], Vec<[u8; 32]>);

/// What the log recorded of one disclosure, read in one query: the entries that
/// published or corrected each version, with the hash each logged.
#[derive(Debug, Clone, Default)]
pub struct DisclosureLog {
    disclosure_id: i64,
    /// Oldest first.
    versions: Vec<LoggedHashes>,
}

impl DisclosureLog {
    pub async fn read(pool: &PgPool, disclosure_id: i64) -> Result<DisclosureLog, LogError> {
        let entries = tlog::entries_about(pool, &disclosure_subject(disclosure_id)).await?;
        let versions = entries
            .iter()
            .filter_map(|e| match Entry::decode(&e.entry) {
                Ok(Entry::Disclosure(d)) if d.kind != DisclosureKind::Withdrawn => {
                    Some((d.version, e.index, d.content_sha256, d.attachment_sha256s))
                }
                _ => None,
            })
            .collect();
        Ok(DisclosureLog {
            disclosure_id,
            versions,
        })
    }

    /// The entry of `version`, checked against what is stored today.
    pub async fn check(
        &self,
        pool: &PgPool,
        version: i32,
    ) -> Result<Option<LoggedVersion>, LogError> {
        let Some((_, index, logged, files)) = self
            .versions
            .iter()
            .rev()
            .find(|(v, _, _, _)| i64::from(*v) == i64::from(version))
        else {
            return Ok(None);
        };
        let index = *index;
        let matches =
            stored_version_matches(pool, self.disclosure_id, version, logged, files).await?;
        Ok(Some(LoggedVersion {
            index,
            matches: matches == Some(true),
        }))
    }
}
