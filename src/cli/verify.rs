//! `sunvillage verify` (a reader's check of the transparency log, over HTTP or against
//! the local database), `sunvillage verify-log` (the whole tree recomputed from the
//! database) and `sunvillage transparency keygen`.

use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::{Context, bail};
use clap::{Args, Subcommand};
use secrecy::ExposeSecret;
use sqlx::PgPool;

use crate::configuration::Settings;
use crate::domain::complaint::TrackingNumber;
use crate::routes::paths;
use crate::services::transparency::{
    DatabaseSource, complaint_subject, describe, disclosure_subject, public_reply_sha256,
    stored_version_matches,
};
use crate::storage::{self, tlog};
use crate::transparency::checkpoint::Checkpoint;
use crate::transparency::entry::{Entry, sha256};
use crate::transparency::hash::Hash;
use crate::transparency::note::{NoteVerifier, generate_key};
use crate::transparency::tree::{NodeId, stored_hash_count};
use crate::transparency::verify::{LogMismatch, LogVerifier, Recomputer, TileSource, VerifyError};

#[derive(Debug, Subcommand)]
pub enum TransparencyCommand {
    /// Make a new signing key for the log: prints the secret (for
    /// APP__TRANSPARENCY__SIGNING_KEY) and the public key (for readers).
    Keygen {
        /// The log's name in its checkpoints, e.g. cunwu.xinyang.gov.cn/transparency.
        #[arg(long)]
        origin: String,
    },
}

#[derive(Debug, Args)]
pub struct VerifyArgs {
    /// The log's address, e.g. https://cunwu.example/transparency.
    #[arg(
        long,
        conflicts_with = "database",
        required_unless_present = "database"
    )]
    pub url: Option<String>,
    /// Read the log from the configured database instead (the operator's own check).
    #[arg(long)]
    pub database: bool,
    /// The log's public key, `<origin>+<id>+<key>` as published on /transparency and in
    /// the README. With --database, the configured key's by default.
    #[arg(long)]
    pub key: Option<String>,
    /// Where the checkpoint seen last time is kept (default:
    /// ~/.local/state/sunvillage/<origin>.checkpoint).
    #[arg(long, value_name = "FILE")]
    pub state: Option<PathBuf>,
    /// Also prove that every status change of this tracking number is in the log.
    #[arg(long)]
    pub tracking: Option<String>,
    /// Also prove that every publication, correction and withdrawal of disclosure ID is
    /// in the log, and that the content the site serves for each version is what was logged.
    #[arg(long, value_name = "ID")]
    pub disclosure: Option<u64>,
    /// Also prove that entry N is in the log and print it.
    #[arg(long, value_name = "N")]
    pub entry: Option<u64>,
}

pub fn keygen(command: TransparencyCommand) -> anyhow::Result<()> {
    let TransparencyCommand::Keygen { origin } = command;
    let (secret, public) = generate_key(&origin).context("cannot make a key for this origin")?;
    println!("signing key (keep secret; APP__TRANSPARENCY__SIGNING_KEY):");
    println!("{}", secret.expose_secret());
    println!("public key (publish it):");
    println!("{public}");
    Ok(())
}

/// The log's files over HTTP, with a time limit and a size limit per file.
pub struct HttpSource {
    client: reqwest::Client,
    base: String,
}

/// The largest file of the log: an entry bundle of 256 entries of at most 64 KiB.
const MAX_FILE: usize = 256 * 65_538 + 1024;

#[derive(Debug, thiserror::Error)]
pub enum HttpError {
    #[error("{url}")]
    Request {
        url: String,
        #[source]
        source: reqwest::Error,
    },
    #[error("{url} answered {status}")]
    Status { url: String, status: u16 },
    #[error("{url} is larger than any file of a log")]
    TooLarge { url: String },
}

impl HttpSource {
    pub fn new(base: &str) -> anyhow::Result<HttpSource> {
        let client = reqwest::Client::builder()
            .timeout(Duration::from_secs(30))
            .user_agent(concat!("sunvillage-verify/", env!("CARGO_PKG_VERSION")))
            .build()?;
        Ok(HttpSource {
            client,
            base: base.trim_end_matches('/').to_owned(),
        })
    }

    async fn get(&self, path: &str) -> Result<Vec<u8>, HttpError> {
        let url = format!("{}/{path}", self.base);
        let failed = |source| HttpError::Request {
            url: url.clone(),
            source,
        };
        let mut response = self.client.get(&url).send().await.map_err(failed)?;
        if !response.status().is_success() {
            return Err(HttpError::Status {
                url,
                status: response.status().as_u16(),
            });
        }
        let mut body = Vec::new();
        while let Some(chunk) = response.chunk().await.map_err(failed)? {
            if body.len() + chunk.len() > MAX_FILE {
                return Err(HttpError::TooLarge { url });
            }
            body.extend_from_slice(&chunk);
        }
        Ok(body)
    }
}

impl TileSource for HttpSource {
    type Error = HttpError;

    async fn checkpoint(&self) -> Result<Vec<u8>, HttpError> {
        self.get("checkpoint").await
    }

    async fn tile(&self, path: &str) -> Result<Vec<u8>, HttpError> {
        self.get(path).await
    }
}

/// Where the log's entries about something are found.
trait EntryIndex {
    async fn complaint_entries(&self, tracking: &TrackingNumber) -> anyhow::Result<Vec<u64>>;
    async fn disclosure_entries(&self, id: u64) -> anyhow::Result<Vec<u64>>;
    /// The canonical JSON the site serves for a version; `None` when it serves none.
    async fn version_json(&self, id: u64, version: u32) -> anyhow::Result<Option<Vec<u8>>>;
}

/// The `entries` of a lookup answer.
fn entries_of(body: &[u8]) -> anyhow::Result<Vec<u64>> {
    let found: serde_json::Value =
        serde_json::from_slice(body).context("the log's lookup is not JSON")?;
    found["entries"]
        .as_array()
        .context("the log's lookup has no entries")?
        .iter()
        .map(|v| v.as_u64().context("an entry index is not a number"))
        .collect()
}

impl EntryIndex for HttpSource {
    async fn complaint_entries(&self, tracking: &TrackingNumber) -> anyhow::Result<Vec<u64>> {
        entries_of(
            &self
                .get(&self.relative(&paths::transparency_complaint(tracking)))
                .await?,
        )
    }

    async fn disclosure_entries(&self, id: u64) -> anyhow::Result<Vec<u64>> {
        let id = i64::try_from(id).context("--disclosure is too large")?;
        entries_of(
            &self
                .get(&self.relative(&paths::transparency_disclosure(id)))
                .await?,
        )
    }

    async fn version_json(&self, id: u64, version: u32) -> anyhow::Result<Option<Vec<u8>>> {
        // The pages live beside the log: …/transparency → …/d/{id}/v/{version}.json.
        let root = self
            .base
            .strip_suffix(paths::transparency())
            .context("--url must end in /transparency to find the pages beside it")?;
        let id = i64::try_from(id).context("the disclosure number is too large")?;
        let path = paths::disclosure_version_json(id, i32::try_from(version)?);
        let source = HttpSource {
            client: self.client.clone(),
            base: root.to_owned(),
        };
        match source.get(path.trim_start_matches('/')).await {
            Ok(body) => Ok(Some(body)),
            Err(HttpError::Status { status: 404, .. }) => Ok(None),
            Err(e) => Err(e.into()),
        }
    }
}

impl HttpSource {
    /// A path of ours under the log's prefix, relative to it.
    fn relative(&self, path: &str) -> String {
        path.strip_prefix(paths::transparency())
            .unwrap_or(path)
            .trim_start_matches('/')
            .to_owned()
    }
}

struct Database {
    source: DatabaseSource,
    pool: PgPool,
}

impl TileSource for Database {
    type Error = crate::services::transparency::SourceError;

    async fn checkpoint(&self) -> Result<Vec<u8>, Self::Error> {
        self.source.checkpoint().await
    }

    async fn tile(&self, path: &str) -> Result<Vec<u8>, Self::Error> {
        self.source.tile(path).await
    }
}

impl EntryIndex for Database {
    async fn complaint_entries(&self, tracking: &TrackingNumber) -> anyhow::Result<Vec<u64>> {
        Ok(tlog::indexes_of(&self.pool, &complaint_subject(tracking)).await?)
    }

    async fn disclosure_entries(&self, id: u64) -> anyhow::Result<Vec<u64>> {
        let id = i64::try_from(id).context("--disclosure is too large")?;
        Ok(tlog::indexes_of(&self.pool, &disclosure_subject(id)).await?)
    }

    async fn version_json(&self, id: u64, version: u32) -> anyhow::Result<Option<Vec<u8>>> {
        let found = storage::disclosures::public_json(
            &self.pool,
            i64::try_from(id)?,
            i32::try_from(version)?,
        )
        .await?;
        Ok(found.map(|(json, _)| json.into_bytes()))
    }
}

pub async fn verify(settings: Settings, args: VerifyArgs) -> anyhow::Result<()> {
    let key = match (&args.key, args.database) {
        (Some(k), _) => NoteVerifier::parse(k).context("--key is not a log public key")?,
        (None, true) => settings.transparency.signing_key.verifier(),
        (None, false) => bail!("--key is required: the log's public key, as published on its page"),
    };
    let origin = key.name().to_owned();
    let state = match &args.state {
        Some(p) => p.clone(),
        None => default_state(&origin)?,
    };
    if args.database {
        let pool = storage::database::connect_and_migrate(&settings.database)
            .await
            .context("cannot open the database (database.url)")?;
        let source = Database {
            source: DatabaseSource::new(pool.clone()),
            pool,
        };
        check(source, &origin, key, &state, &args).await
    } else {
        let url = args.url.as_deref().unwrap_or_default();
        check(HttpSource::new(url)?, &origin, key, &state, &args).await
    }
}

async fn check<S: TileSource + EntryIndex>(
    source: S,
    origin: &str,
    key: NoteVerifier,
    state: &Path,
    args: &VerifyArgs,
) -> anyhow::Result<()> {
    let verifier = LogVerifier::new(source, origin, vec![key]);
    let saved = match std::fs::read(state) {
        Ok(bytes) => Some(bytes),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => None,
        Err(e) => return Err(e).with_context(|| format!("cannot read {}", state.display())),
    };
    let update = match verifier.update(saved.as_deref()).await {
        Ok(update) => update,
        Err(VerifyError::RewrittenHistory(rewrite)) => {
            let evidence = state.with_extension("conflict");
            let mut kept = saved.clone().unwrap_or_default();
            kept.extend_from_slice(b"\n");
            kept.extend_from_slice(rewrite.evidence.as_deref().unwrap_or_default().as_bytes());
            write_atomically(&evidence, &kept)?;
            bail!(
                "{}\nboth signed checkpoints are kept in {}",
                VerifyError::RewrittenHistory(rewrite),
                evidence.display()
            );
        }
        Err(e) => return Err(anyhow::Error::new(e)),
    };
    let c = &update.checkpoint;
    println!(
        "checkpoint: {} entries, root {}, signed by {origin}: signature OK",
        c.size, c.root
    );
    match &update.previous {
        Some(p) => println!(
            "consistent with the checkpoint you saw before ({} entries): the log only grew",
            p.size
        ),
        None => println!(
            "first check from {}: nothing to compare with yet",
            state.display()
        ),
    }
    if let Some(parent) = state.parent() {
        std::fs::create_dir_all(parent)
            .with_context(|| format!("cannot create {}", parent.display()))?;
    }
    write_atomically(state, &update.save)?;
    let mut wanted: Vec<u64> = args.entry.into_iter().collect();
    let tracking = args
        .tracking
        .as_deref()
        .map(TrackingNumber::parse)
        .transpose()
        .map_err(|e| anyhow::anyhow!("--tracking: {e}"))?;
    if let Some(t) = &tracking {
        let found = verifier.source().complaint_entries(t).await?;
        if found.is_empty() {
            bail!("the log has no entry for {t}");
        }
        wanted.extend(found);
    }
    if let Some(id) = args.disclosure {
        let found = verifier.source().disclosure_entries(id).await?;
        if found.is_empty() {
            bail!("the log has no entry for disclosure {id}");
        }
        wanted.extend(found);
    }
    for index in wanted {
        let entry = verifier.fetch_entry(c, index).await?;
        verifier.prove_inclusion(c, index, &entry).await?;
        let decoded = Entry::decode(&entry).context("the entry is not a valid log entry")?;
        if let (Some(t), Entry::ComplaintStatus(e)) = (&tracking, &decoded)
            && e.tracking_number != t.as_str()
        {
            bail!("entry {index} is about {}, not {t}", e.tracking_number);
        }
        println!("entry {index}: included in the signed tree: {decoded}");
        if let (Some(id), Entry::Disclosure(d)) = (args.disclosure, &decoded) {
            if d.disclosure_id != id {
                bail!(
                    "entry {index} is about disclosure {}, not {id}",
                    d.disclosure_id
                );
            }
            match verifier.source().version_json(id, d.version).await? {
                Some(json) if sha256(&json) == d.content_sha256 => {
                    println!("  version {}: content matches the page", d.version);
                }
                Some(_) => bail!(
                    "entry {index}: version {} of disclosure {id}: content does NOT match the page: \
                     what is served now is not what was logged",
                    d.version
                ),
                None => bail!(
                    "entry {index}: version {} of disclosure {id} is not served any more",
                    d.version
                ),
            }
        }
    }
    Ok(())
}

fn default_state(origin: &str) -> anyhow::Result<PathBuf> {
    let home = std::env::var_os("XDG_STATE_HOME")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".local/state")))
        .context("no HOME: give --state FILE")?;
    let name: String = origin
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '.' || c == '-' {
                c
            } else {
                '_'
            }
        })
        .collect();
    Ok(home.join("sunvillage").join(format!("{name}.checkpoint")))
}

fn write_atomically(path: &Path, bytes: &[u8]) -> anyhow::Result<()> {
    let tmp = path.with_extension("tmp");
    std::fs::write(&tmp, bytes).with_context(|| format!("cannot write {}", tmp.display()))?;
    std::fs::rename(&tmp, path).with_context(|| format!("cannot write {}", path.display()))?;
    Ok(())
}

/// `verify-log`: every entry and its stored hashes recomputed in order, every kept
/// checkpoint's signature and root checked, and each complaint entry compared with the
/// timeline line that names it. Stops at the first thing that does not match.
pub async fn verify_log(settings: Settings) -> anyhow::Result<()> {
    let pool = storage::database::connect_and_migrate(&settings.database)
        .await
        .context("cannot open the database (database.url)")?;
    let signer = &settings.transparency.signing_key;
    let key = signer.verifier();
    let mut checkpoints = Vec::new();
    for kept in tlog::all_checkpoints(&pool).await? {
        let c = Checkpoint::open(
            kept.note.as_bytes(),
            signer.name(),
            std::slice::from_ref(&key),
        )
        .map_err(|e| {
            anyhow::anyhow!(
                "the kept checkpoint of size {}: {}",
                kept.size,
                describe(&e)
            )
        })?;
        checkpoints.push(c);
    }
    let size = tlog::size(&pool).await?;
    let mut pending = checkpoints.iter().peekable();
    let mut r = Recomputer::new();
    const BATCH: u64 = 1024;
    let mut from = 0;
    loop {
        while let Some(c) = pending.next_if(|c| c.size == r.size()) {
            r.check_checkpoint(c).map_err(mismatch)?;
        }
        if from >= size {
            break;
        }
        let to = (from + BATCH).min(size);
        let entries = tlog::entries(&pool, from, to).await?;
        let first_stored = stored_index(from)?;
        let last_stored = stored_index(to)?;
        let hashes = tlog::hashes_range(&pool, first_stored, last_stored).await?;
        let steps = storage::complaints::logged_steps(&pool, from, to).await?;
        for (offset, e) in entries.iter().enumerate() {
            let index = from + offset as u64;
            if e.index != index {
                bail!("entry {index} is missing from the log: entries were deleted");
            }
            let own_from = stored_index(index)?;
            let own_to = stored_index(index + 1)?;
            let stored: Vec<Hash> = hashes
                .iter()
                .filter(|(i, _)| (own_from..own_to).contains(i))
                .map(|(_, h)| *h)
                .collect();
            r.push(&e.entry, &stored).map_err(mismatch)?;
            // push checked that the entry decodes.
            let decoded = Entry::decode(&e.entry).ok();
            if let Some(Entry::Disclosure(d)) = &decoded {
                let id = i64::try_from(d.disclosure_id)?;
                let version = i32::try_from(d.version)?;
                match stored_version_matches(
                    &pool,
                    id,
                    version,
                    &d.content_sha256,
                    &d.attachment_sha256s,
                )
                .await
                .map_err(|e| anyhow::anyhow!(describe(&e)))?
                {
                    Some(true) => {}
                    Some(false) => bail!(
                        "entry {index} (disclosure {id} version {version}): the stored content differs \
                         from what was logged: it was changed after it was logged"
                    ),
                    None => bail!(
                        "entry {index} (disclosure {id} version {version}): the version it recorded is gone"
                    ),
                }
            }
            if let Some(Entry::ComplaintStatus(logged)) = &decoded {
                let step = steps.iter().find(|s| s.tlog_index == index);
                match step {
                    None => bail!(
                        "entry {index} ({} {}): the timeline line it recorded is gone",
                        logged.tracking_number,
                        logged.status
                    ),
                    Some(s)
                        if s.tracking_number != logged.tracking_number
                            || s.to_status != logged.status
                            || public_reply_sha256(&s.public_note)
                                != logged.public_reply_sha256 =>
                    {
                        bail!(
                            "entry {index} ({} {}): the stored timeline line differs from what was logged: \
                             it was changed after it was logged",
                            logged.tracking_number,
                            logged.status
                        )
                    }
                    Some(_) => {}
                }
            }
            while let Some(c) = pending.next_if(|c| c.size == r.size()) {
                r.check_checkpoint(c).map_err(mismatch)?;
            }
        }
        if entries.len() as u64 != to - from {
            bail!("entries {from}..{to} are incomplete: entries were deleted");
        }
        from = to;
    }
    if let Some(c) = pending.next() {
        return Err(mismatch(LogMismatch::CheckpointBeyondLog {
            size: c.size,
            entries: r.size(),
        }));
    }
    println!(
        "the log's {} entries, their stored hashes, {} signed checkpoints and the timeline lines they record all match; root {}",
        r.size(),
        checkpoints.len(),
        r.root()
    );
    Ok(())
}

fn mismatch(m: LogMismatch) -> anyhow::Error {
    anyhow::anyhow!("{m}")
}

/// The stored index of entry `index`'s leaf: where its hashes start.
fn stored_index(index: u64) -> anyhow::Result<u64> {
    NodeId::leaf(index).context("the log is too large")?;
    Ok(stored_hash_count(index))
}
