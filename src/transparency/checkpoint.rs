//! C2SP tlog-checkpoint (<https://c2sp.org/tlog-checkpoint>): the signed statement "the
//! log had this many entries and this root", which a reader keeps and compares.
//!
//! ```text
//! cunwu.example/transparency
//! 4711
//! Xl5gU4lxGQ3ZHl0e3lmoGZ1YQyvlEfXn6Uo2oM8Ttzg=
//!
//! — cunwu.example/transparency Az3grlgtzPICa5OS8npVmf1Myq/5IZniMp+ZJurmRDeOoRDe…
//! ```
//!
//! The origin names the log (and is its key's name); the size is decimal without
//! leading zeros; the root is base64. Further lines are opaque extensions: we write
//! none, and keep any we read so the text re-encodes to what was signed.

use super::hash::Hash;
use super::note::{self, NoteError, NoteSigner, NoteVerifier};

/// One checkpoint's text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Checkpoint {
    pub origin: String,
    pub size: u64,
    pub root: Hash,
    /// Extension lines, if a log writes any (ours does not).
    pub extensions: Vec<String>,
}

/// A checkpoint that cannot be written, read or trusted.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CheckpointError {
    #[error("malformed checkpoint: {0}")]
    Malformed(&'static str),
    #[error("`{0}` cannot be our log's origin (non-empty, printable, no spaces or `+`)")]
    BadOrigin(String),
    #[error("the checkpoint is for the log `{got}`, not `{expected}`")]
    OriginMismatch { expected: String, got: String },
    #[error(transparent)]
    Note(#[from] NoteError),
}

impl Checkpoint {
    /// A checkpoint of our log (no extension lines).
    pub fn new(origin: &str, size: u64, root: Hash) -> Checkpoint {
        Checkpoint {
            origin: origin.to_owned(),
            size,
            root,
            extensions: Vec::new(),
        }
    }

    /// The note text: origin, size, root, extensions, one per line.
    pub fn to_text(&self) -> Result<String, CheckpointError> {
        // Our origins double as key names, so they follow the stricter key-name rules.
        if self.origin.is_empty()
            || self
                .origin
                .chars()
                .any(|c| c.is_whitespace() || c.is_control() || c == '+')
        {
            return Err(CheckpointError::BadOrigin(self.origin.clone()));
        }
        if self
            .extensions
            .iter()
            .any(|l| l.is_empty() || l.contains('\n'))
        {
            return Err(CheckpointError::Malformed(
                "an extension line is empty or holds a newline",
            ));
        }
        let mut text = format!(
            "{}\n{}\n{}\n",
            self.origin,
            self.size,
            self.root.to_base64()
        );
        for line in &self.extensions {
            text.push_str(line);
            text.push('\n');
        }
        Ok(text)
    }

    /// Reads a checkpoint's text (already taken from a verified note).
    pub fn parse_text(text: &str) -> Result<Checkpoint, CheckpointError> {
        let bad = CheckpointError::Malformed;
        let body = text
            .strip_suffix('\n')
            .ok_or(bad("the text must end in a newline"))?;
        let mut lines = body.split('\n');
        let origin = lines
            .next()
            .filter(|l| !l.is_empty())
            .ok_or(bad("no origin line"))?;
        let size = lines.next().ok_or(bad("no tree size line"))?;
        let canonical = !size.is_empty()
            && size.bytes().all(|b| b.is_ascii_digit())
            && (size == "0" || !size.starts_with('0'));
        let size: u64 = size
            .parse()
            .ok()
            .filter(|_| canonical)
            .ok_or(bad("the tree size must be a decimal without leading zeros"))?;
        let root = lines.next().ok_or(bad("no root hash line"))?;
        let root =
            Hash::from_base64(root).map_err(|_| bad("the root hash must be base64 of 32 bytes"))?;
        let extensions: Vec<String> = lines.map(str::to_owned).collect();
        if extensions.iter().any(String::is_empty) {
            return Err(bad("an extension line is empty"));
        }
        Ok(Checkpoint {
            origin: origin.to_owned(),
            size,
            root,
            extensions,
        })
    }

    /// The signed note, as served at `/transparency/checkpoint`.
    pub fn sign(&self, signer: &NoteSigner) -> Result<String, CheckpointError> {
        Ok(signer.sign(&self.to_text()?)?)
    }

    /// Verifies a signed checkpoint of the log `origin` with its trusted keys.
    pub fn open(
        msg: &[u8],
        origin: &str,
        trusted: &[NoteVerifier],
    ) -> Result<Checkpoint, CheckpointError> {
        let verified = note::open(msg, trusted)?;
        let checkpoint = Checkpoint::parse_text(&verified.text)?;
        if checkpoint.origin != origin {
            return Err(CheckpointError::OriginMismatch {
                expected: origin.to_owned(),
                got: checkpoint.origin,
            });
        }
        Ok(checkpoint)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::transparency::hash::leaf_hash;
    use crate::transparency::note::generate_key;

    const ORIGIN: &str = "cunwu.example/transparency";

    fn keys() -> (NoteSigner, NoteVerifier) {
        let (skey, vkey) = generate_key(ORIGIN).unwrap();
        (
            NoteSigner::from_key(&skey).unwrap(),
            NoteVerifier::parse(&vkey).unwrap(),
        )
    }

    #[test]
    fn the_c2sp_example_checkpoint_parses() {
        // The example text of c2sp.org/tlog-checkpoint.
        let text =
            "example.com/behind-the-sofa\n20852163\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n";
        let c = Checkpoint::parse_text(text).unwrap();
        assert_eq!(
            (c.origin.as_str(), c.size),
            ("example.com/behind-the-sofa", 20_852_163)
        );
        assert_eq!(
            c.root.to_base64(),
            "CsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I="
        );
        assert_eq!(c.to_text().unwrap(), text);
        // golang/mod's sumdb/tlog TestFormatTree: "hello world"'s record hash.
        let go = Checkpoint::new(
            "go.sum database tree",
            123_456_789_012,
            leaf_hash(b"hello world"),
        );
        assert!(
            go.to_text().is_err(),
            "spaces are not allowed in our origins"
        );
        let go_text =
            "go.sum database tree\n123456789012\nTszzRgjTG6xce+z2AG31kAXYKBgQVtCSCE40HmuwBb0=\n";
        assert_eq!(Checkpoint::parse_text(go_text).unwrap().root, go.root);
    }

    #[test]
    fn a_signed_checkpoint_round_trips() {
        let (signer, verifier) = keys();
        let c = Checkpoint::new(ORIGIN, 4711, leaf_hash(b"x"));
        let note = c.sign(&signer).unwrap();
        assert!(note.starts_with(&format!(
            "{ORIGIN}\n4711\n{}\n\n— {ORIGIN} ",
            c.root.to_base64()
        )));
        assert_eq!(
            Checkpoint::open(note.as_bytes(), ORIGIN, &[verifier]),
            Ok(c)
        );
    }

    #[test]
    fn the_wrong_key_a_changed_body_or_another_origin_is_refused() {
        let (signer, verifier) = keys();
        let (_, other) = keys();
        let c = Checkpoint::new(ORIGIN, 10, leaf_hash(b"x"));
        let note = c.sign(&signer).unwrap();
        assert!(matches!(
            Checkpoint::open(note.as_bytes(), ORIGIN, &[other]),
            Err(CheckpointError::Note(NoteError::NoTrustedSignature { .. }))
        ));
        let bigger = note.replacen("\n10\n", "\n11\n", 1);
        assert!(matches!(
            Checkpoint::open(bigger.as_bytes(), ORIGIN, std::slice::from_ref(&verifier)),
            Err(CheckpointError::Note(NoteError::InvalidSignature { .. }))
        ));
        assert!(matches!(
            Checkpoint::open(note.as_bytes(), "other.example/log", &[verifier]),
            Err(CheckpointError::OriginMismatch { .. })
        ));
    }

    #[test]
    fn extra_signatures_by_unknown_keys_are_ignored() {
        let (signer, verifier) = keys();
        let (witness, _) = keys();
        let c = Checkpoint::new(ORIGIN, 3, leaf_hash(b"y"));
        let text = c.to_text().unwrap();
        let cosigned = note::Note {
            text: text.clone(),
            signatures: vec![
                witness.signature(&text).unwrap(),
                signer.signature(&text).unwrap(),
            ],
        }
        .encode();
        assert_eq!(
            Checkpoint::open(cosigned.as_bytes(), ORIGIN, &[verifier]),
            Ok(c)
        );
    }

    #[test]
    fn malformed_checkpoint_texts_are_refused() {
        let root = leaf_hash(b"z").to_base64();
        let bad = [
            String::new(),
            format!("{ORIGIN}\n5\n{root}"),
            format!("{ORIGIN}\n5\n"),
            format!("\n5\n{root}\n"),
            format!("{ORIGIN}\n05\n{root}\n"),
            format!("{ORIGIN}\n+5\n{root}\n"),
            format!("{ORIGIN}\n0x5\n{root}\n"),
            format!("{ORIGIN}\n18446744073709551616\n{root}\n"),
            format!("{ORIGIN}\n5\n{}\n", root.trim_end_matches('=')),
            format!("{ORIGIN}\n5\n{root}\n\nextension\n"),
            format!("{ORIGIN}\n\n{root}\n"),
        ];
        for text in bad {
            assert!(Checkpoint::parse_text(&text).is_err(), "accepted {text:?}");
        }
        let with_ext = format!("{ORIGIN}\n5\n{root}\nextension one\n");
        let c = Checkpoint::parse_text(&with_ext).unwrap();
        assert_eq!(c.extensions, ["extension one"]);
        assert_eq!(c.to_text().unwrap(), with_ext);
        assert!(
            Checkpoint::parse_text(&format!("{ORIGIN}\n0\n{}\n", Hash::empty().to_base64()))
                .is_ok()
        );
    }
}
