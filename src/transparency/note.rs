//! C2SP signed notes (<https://c2sp.org/signed-note>) with Ed25519 keys, and the key
//! strings of Go's `golang.org/x/mod/sumdb/note`, so Go tooling can read our
//! checkpoints and our verifier can read theirs.
//!
//! ```text
//! <text, ending in a newline>
//!
//! — <key name> base64(key ID (4 bytes, big-endian) ‖ Ed25519 signature)
//! ```
//!
//! Key ID = the first 4 bytes of SHA-256(name ‖ 0x0A ‖ 0x01 ‖ public key). Key
//! strings: `<name>+<key ID hex>+base64(0x01 ‖ public key)` for verifiers,
//! `PRIVATE+KEY+<name>+<key ID hex>+base64(0x01 ‖ seed)` for the signer — a secret,
//! held in a [`SecretString`] and never printed.
//!
//! Opening a note follows the spec: signatures by keys we do not know are ignored
//! (that is how key rotation and witness cosignatures work), a signature by a known
//! key that fails rejects the whole note, and a note with no good signature by a
//! known key is rejected.

use std::fmt;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use ed25519_dalek::{Signature, Signer as _, SigningKey, VerifyingKey};
use rand::TryRngCore as _;
use rand::rngs::OsRng;
use secrecy::zeroize::Zeroizing;
use secrecy::{ExposeSecret as _, SecretString};
use sha2::{Digest, Sha256};

/// The signature type byte of Ed25519 in signed notes.
const ALG_ED25519: u8 = 0x01;
/// Signatures a note may carry before we call it malformed (the spec asks for at
/// least 16; Go's package allows 100).
pub const MAX_SIGNATURES: usize = 100;
/// The prefix of every signer key string.
const PRIVATE_KEY_PREFIX: &str = "PRIVATE+KEY+";

/// Why a key or a note was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum NoteError {
    #[error("malformed note: {0}")]
    Malformed(&'static str),
    #[error("malformed verifier key: {0}")]
    BadVerifierKey(&'static str),
    // Never says anything about the key itself: it is a secret.
    #[error("malformed signer key: {0}")]
    BadSignerKey(&'static str),
    #[error("`{0}` cannot be a key name (it must be non-empty, without spaces or `+`)")]
    BadKeyName(String),
    #[error(
        "the signature by {name}+{key_id:08x} does not verify: the note was changed or not signed by that key"
    )]
    InvalidSignature { name: String, key_id: u32 },
    #[error("two trusted keys are both called {name}+{key_id:08x}")]
    AmbiguousKey { name: String, key_id: u32 },
    #[error("the note has no valid signature by a trusted key (signed by: {signed_by})")]
    NoTrustedSignature { signed_by: String },
    #[error("no randomness from the operating system for a new key")]
    NoRandomness,
}

/// One signature line of a note.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NoteSignature {
    pub name: String,
    pub key_id: u32,
    /// The signature proper, without the key ID.
    pub signature: Vec<u8>,
}

impl NoteSignature {
    fn line(&self) -> String {
        let mut bytes = self.key_id.to_be_bytes().to_vec();
        bytes.extend_from_slice(&self.signature);
        format!("— {} {}\n", self.name, STANDARD.encode(bytes))
    }
}

/// A note split into its text and signatures, nothing verified yet.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Note {
    /// Including its final newline.
    pub text: String,
    pub signatures: Vec<NoteSignature>,
}

impl Note {
    /// Splits a note, refusing anything the spec does not allow.
    pub fn parse(msg: &[u8]) -> Result<Note, NoteError> {
        let msg = std::str::from_utf8(msg).map_err(|_| NoteError::Malformed("not UTF-8"))?;
        check_text_chars(msg)?;
        // The text ends at the last blank line.
        let (text, sigs) = msg
            .rsplit_once("\n\n")
            .ok_or(NoteError::Malformed("no blank line before the signatures"))?;
        let sigs = sigs
            .strip_suffix('\n')
            .ok_or(NoteError::Malformed("the signatures must end in a newline"))?;
        let mut signatures = Vec::new();
        for line in sigs.split('\n') {
            if signatures.len() == MAX_SIGNATURES {
                return Err(NoteError::Malformed("too many signatures"));
            }
            let (name, b64) = line
                .strip_prefix("— ")
                .and_then(|l| l.split_once(' '))
                .ok_or(NoteError::Malformed(
                    "a signature line must be `— <name> <signature>`",
                ))?;
            if !is_valid_name(name) {
                return Err(NoteError::Malformed("bad key name in a signature"));
            }
            let bytes = STANDARD
                .decode(b64)
                .map_err(|_| NoteError::Malformed("a signature is not base64"))?;
            let Some((id, signature)) = bytes
                .split_first_chunk::<4>()
                .filter(|(_, s)| !s.is_empty())
            else {
                return Err(NoteError::Malformed("a signature is too short"));
            };
            signatures.push(NoteSignature {
                name: name.to_owned(),
                key_id: u32::from_be_bytes(*id),
                signature: signature.to_vec(),
            });
        }
        Ok(Note {
            text: format!("{text}\n"),
            signatures,
        })
    }

    /// The note as text: the text, a blank line, the signature lines.
    pub fn encode(&self) -> String {
        let mut out = format!("{}\n", self.text);
        for s in &self.signatures {
            out.push_str(&s.line());
        }
        out
    }
}

/// A note whose text a trusted key signed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VerifiedNote {
    pub text: String,
    /// The trusted keys whose signatures verified, as `name+keyid`.
    pub verified_by: Vec<String>,
    /// Signatures by keys we do not know (witnesses, rotated keys): ignored.
    pub unknown: Vec<NoteSignature>,
}

/// Opens a note: at least one good signature by `trusted`, and no bad one.
pub fn open(msg: &[u8], trusted: &[NoteVerifier]) -> Result<VerifiedNote, NoteError> {
    let note = Note::parse(msg)?;
    let mut verified_by = Vec::new();
    let mut unknown = Vec::new();
    for sig in note.signatures {
        let mut matching = trusted
            .iter()
            .filter(|v| v.name == sig.name && v.key_id == sig.key_id);
        let Some(verifier) = matching.next() else {
            unknown.push(sig);
            continue;
        };
        if matching.next().is_some() {
            return Err(NoteError::AmbiguousKey {
                name: sig.name,
                key_id: sig.key_id,
            });
        }
        if !verifier.verifies(note.text.as_bytes(), &sig.signature) {
            return Err(NoteError::InvalidSignature {
                name: sig.name,
                key_id: sig.key_id,
            });
        }
        let id = verifier.id();
        if !verified_by.contains(&id) {
            verified_by.push(id);
        }
    }
    if verified_by.is_empty() {
        let names: Vec<String> = unknown
            .iter()
            .map(|s| format!("{}+{:08x}", s.name, s.key_id))
            .collect();
        return Err(NoteError::NoTrustedSignature {
            signed_by: names.join(", "),
        });
    }
    Ok(VerifiedNote {
        text: note.text,
        verified_by,
        unknown,
    })
}

/// No ASCII control characters but newline, anywhere in a note.
fn check_text_chars(text: &str) -> Result<(), NoteError> {
    if text.chars().any(|c| c < ' ' && c != '\n') {
        return Err(NoteError::Malformed("control characters"));
    }
    Ok(())
}

/// A key name: non-empty, no Unicode spaces, no `+`.
fn is_valid_name(name: &str) -> bool {
    !name.is_empty()
        && !name
            .chars()
            .any(|c| c.is_whitespace() || c == '+' || c.is_control())
}

fn key_id(name: &str, public_key: &[u8; 32]) -> u32 {
    let mut h = Sha256::new();
    h.update(name.as_bytes());
    h.update([b'\n', ALG_ED25519]);
    h.update(public_key);
    let digest = h.finalize();
    u32::from_be_bytes([digest[0], digest[1], digest[2], digest[3]])
}

/// Splits `name+hhhhhhhh+base64` (the base64 may itself contain `+`).
fn split_key(key: &str) -> Option<(&str, u32, Zeroizing<Vec<u8>>)> {
    let mut parts = key.splitn(3, '+');
    let (name, id, data) = (parts.next()?, parts.next()?, parts.next()?);
    let id_ok = id.len() == 8 && id.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'));
    if !is_valid_name(name) || !id_ok {
        return None;
    }
    let id = u32::from_str_radix(id, 16).ok()?;
    let data = Zeroizing::new(STANDARD.decode(data).ok()?);
    Some((name, id, data))
}

/// `0x01 ‖ 32 bytes`, or `None` for another algorithm or length.
fn ed25519_key_bytes(data: &[u8]) -> Option<&[u8; 32]> {
    match data.split_first() {
        Some((&ALG_ED25519, key)) => key.try_into().ok(),
        _ => None,
    }
}

/// A public key that checks notes: parsed from a verifier key string.
#[derive(Clone, PartialEq, Eq)]
pub struct NoteVerifier {
    name: String,
    key_id: u32,
    key: VerifyingKey,
}

impl NoteVerifier {
    /// Parses `<name>+<key ID>+<base64(0x01 ‖ public key)>`, checking the key ID.
    pub fn parse(vkey: &str) -> Result<NoteVerifier, NoteError> {
        let bad = NoteError::BadVerifierKey;
        let (name, id, data) =
            split_key(vkey).ok_or(bad("expected <name>+<8 hex digits>+<base64>"))?;
        let public = ed25519_key_bytes(&data).ok_or(bad("not an Ed25519 public key"))?;
        if key_id(name, public) != id {
            return Err(bad("the key ID does not match the name and key"));
        }
        let key = VerifyingKey::from_bytes(public).map_err(|_| bad("not a valid Ed25519 point"))?;
        Ok(NoteVerifier {
            name: name.to_owned(),
            key_id: id,
            key,
        })
    }

    pub fn name(&self) -> &str {
        &self.name
    }

    pub fn key_id(&self) -> u32 {
        self.key_id
    }

    /// `name+keyid`, how messages refer to this key.
    fn id(&self) -> String {
        format!("{}+{:08x}", self.name, self.key_id)
    }

    fn verifies(&self, text: &[u8], signature: &[u8]) -> bool {
        let Ok(signature) = Signature::from_slice(signature) else {
            return false;
        };
        // Strict: no malleable or small-order forms.
        self.key.verify_strict(text, &signature).is_ok()
    }
}

impl fmt::Display for NoteVerifier {
    /// The verifier key string, for the README and the public page.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut data = vec![ALG_ED25519];
        data.extend_from_slice(self.key.as_bytes());
        write!(
            f,
            "{}+{:08x}+{}",
            self.name,
            self.key_id,
            STANDARD.encode(data)
        )
    }
}

impl fmt::Debug for NoteVerifier {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "NoteVerifier({self})")
    }
}

/// The log's signing key. Its Debug output names the key, never the secret.
pub struct NoteSigner {
    name: String,
    key_id: u32,
    key: SigningKey,
}

impl NoteSigner {
    /// Parses `PRIVATE+KEY+<name>+<key ID>+<base64(0x01 ‖ seed)>`, checking the key ID.
    pub fn from_key(skey: &SecretString) -> Result<NoteSigner, NoteError> {
        let bad = NoteError::BadSignerKey;
        let rest = skey
            .expose_secret()
            .strip_prefix(PRIVATE_KEY_PREFIX)
            .ok_or(bad("it must start with PRIVATE+KEY+"))?;
        let (name, id, data) =
            split_key(rest).ok_or(bad("expected PRIVATE+KEY+<name>+<8 hex digits>+<base64>"))?;
        let seed = ed25519_key_bytes(&data).ok_or(bad("not an Ed25519 key"))?;
        let key = SigningKey::from_bytes(seed);
        if key_id(name, key.verifying_key().as_bytes()) != id {
            return Err(bad("the key ID does not match the name and key"));
        }
        Ok(NoteSigner {
            name: name.to_owned(),
            key_id: id,
            key,
        })
    }

    pub fn name(&self) -> &str {
        &self.name
    }

    pub fn key_id(&self) -> u32 {
        self.key_id
    }

    /// The matching public key.
    pub fn verifier(&self) -> NoteVerifier {
        NoteVerifier {
            name: self.name.clone(),
            key_id: self.key_id,
            key: self.key.verifying_key(),
        }
    }

    /// This key's signature line over `text`.
    pub fn signature(&self, text: &str) -> Result<NoteSignature, NoteError> {
        check_note_text(text)?;
        Ok(NoteSignature {
            name: self.name.clone(),
            key_id: self.key_id,
            signature: self.key.sign(text.as_bytes()).to_bytes().to_vec(),
        })
    }

    /// A note of `text` signed by this key alone.
    pub fn sign(&self, text: &str) -> Result<String, NoteError> {
        Ok(Note {
            text: text.to_owned(),
            signatures: vec![self.signature(text)?],
        }
        .encode())
    }
}

impl fmt::Debug for NoteSigner {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("NoteSigner")
            .field("name", &self.name)
            .field("key_id", &format_args!("{:08x}", self.key_id))
            .finish_non_exhaustive()
    }
}

/// What a note's text may be: non-empty, ending in a newline, no control characters.
fn check_note_text(text: &str) -> Result<(), NoteError> {
    if !text.ends_with('\n') {
        return Err(NoteError::Malformed("the text must end in a newline"));
    }
    check_text_chars(text)
}

/// A new Ed25519 key for `name`: the signer key string (a secret, for
/// configuration) and the verifier key string (public: README, public page).
pub fn generate_key(name: &str) -> Result<(SecretString, String), NoteError> {
    if !is_valid_name(name) {
        return Err(NoteError::BadKeyName(name.to_owned()));
    }
    let mut seed = Zeroizing::new([0u8; 32]);
    OsRng
        .try_fill_bytes(seed.as_mut())
        .map_err(|_| NoteError::NoRandomness)?;
    let key = SigningKey::from_bytes(&seed);
    let id = key_id(name, key.verifying_key().as_bytes());
    let mut data = Zeroizing::new(vec![ALG_ED25519]);
    data.extend_from_slice(seed.as_ref());
    let skey = SecretString::from(format!(
        "{PRIVATE_KEY_PREFIX}{name}+{id:08x}+{}",
        STANDARD.encode(&*data)
    ));
    let signer = NoteSigner::from_key(&skey)?;
    Ok((skey, signer.verifier().to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::transparency::testdata::*;

    fn peter_signer() -> NoteSigner {
        NoteSigner::from_key(&SecretString::from(PETER_SIGNER_KEY)).unwrap()
    }

    fn peter() -> NoteVerifier {
        NoteVerifier::parse(PETER_VERIFIER_KEY).unwrap()
    }

    fn enoch() -> NoteVerifier {
        NoteVerifier::parse(ENOCH_VERIFIER_KEY).unwrap()
    }

    fn signed(sigs: &[&str]) -> Vec<u8> {
        format!("{NOTE_TEXT}\n{}", sigs.concat()).into_bytes()
    }

    /// Every proper substring and every single-byte change, as golang/mod's
    /// TestNewVerifier and TestNewSigner try.
    fn manglings(key: &str) -> Vec<Vec<u8>> {
        let b = key.as_bytes();
        let mut out = Vec::new();
        for i in 0..=b.len() {
            for j in i + 1..=b.len() {
                if i != 0 || j != b.len() {
                    out.push(b[i..j].to_vec());
                }
            }
        }
        for i in 0..b.len() {
            let mut m = b.to_vec();
            m[i] = m[i].wrapping_add(1);
            out.push(m);
        }
        out
    }

    #[test]
    fn golang_mods_keys_parse_and_every_mangling_is_refused() {
        assert_eq!(peter().name(), "PeterNeumann");
        assert_eq!(peter().key_id(), 0xc74f20a3);
        assert_eq!(peter().to_string(), PETER_VERIFIER_KEY);
        assert_eq!(peter_signer().verifier(), peter());
        for m in manglings(PETER_VERIFIER_KEY) {
            let Ok(m) = String::from_utf8(m) else {
                continue;
            };
            assert!(
                NoteVerifier::parse(&m).is_err(),
                "accepted verifier key {m}"
            );
        }
        for m in manglings(PETER_SIGNER_KEY) {
            let Ok(m) = String::from_utf8(m) else {
                continue;
            };
            assert!(
                NoteSigner::from_key(&SecretString::from(m.clone())).is_err(),
                "accepted signer key {m}"
            );
        }
        for bad in BAD_VERIFIER_KEYS {
            assert!(NoteVerifier::parse(bad).is_err(), "accepted {bad}");
        }
    }

    #[test]
    fn signing_golang_mods_text_gives_golang_mods_signature() {
        let note = peter_signer().sign(NOTE_TEXT).unwrap();
        assert_eq!(note.as_bytes(), signed(&[PETER_SIGNATURE_LINE]));
        assert!(peter_signer().sign("no newline").is_err());
        assert!(peter_signer().sign("bell\u{7}\n").is_err());
    }

    #[test]
    fn opening_checks_known_keys_and_ignores_unknown_ones() {
        let both = signed(&[PETER_SIGNATURE_LINE, ENOCH_SIGNATURE_LINE]);
        let n = open(&both, &[peter()]).unwrap();
        assert_eq!(n.text, NOTE_TEXT);
        assert_eq!(n.verified_by, ["PeterNeumann+c74f20a3"]);
        assert_eq!(n.unknown.len(), 1);
        assert_eq!(n.unknown[0].name, "EnochRoot");

        let n = open(&both, &[peter(), enoch()]).unwrap();
        assert_eq!(
            n.verified_by,
            ["PeterNeumann+c74f20a3", "EnochRoot+af0cfe78"]
        );
        assert!(n.unknown.is_empty());

        assert!(matches!(
            open(&both, &[]),
            Err(NoteError::NoTrustedSignature { .. })
        ));
        assert!(matches!(
            open(
                &signed(&[ENOCH_SIGNATURE_LINE]),
                &[enoch(), peter(), enoch()]
            ),
            Err(NoteError::AmbiguousKey { .. })
        ));
        // A duplicated trusted key that signed nothing here is harmless.
        open(
            &signed(&[PETER_SIGNATURE_LINE]),
            &[enoch(), peter(), enoch()],
        )
        .unwrap();
        // The same good signature twice counts once.
        let n = open(
            &signed(&[PETER_SIGNATURE_LINE, PETER_SIGNATURE_LINE]),
            &[peter()],
        )
        .unwrap();
        assert_eq!(n.verified_by.len(), 1);
    }

    #[test]
    fn a_signature_sharing_only_the_name_or_only_the_id_is_unknown() {
        // Same name, another key ID; and another name with Peter's key ID.
        let other_id = PETER_SIGNATURE_LINE.replace("x08g", "xxxx");
        let other_name = PETER_SIGNATURE_LINE.replace("PeterNeumann", "CarmenSandiego");
        for line in [&other_id, &other_name] {
            assert!(matches!(
                open(&signed(&[line]), &[peter()]),
                Err(NoteError::NoTrustedSignature { .. })
            ));
            let n = open(&signed(&[line, PETER_SIGNATURE_LINE]), &[peter()]).unwrap();
            assert_eq!(n.unknown.len(), 1);
        }
    }

    #[test]
    fn a_changed_text_or_signature_is_refused() {
        let changed = format!(
            "{}\n{PETER_SIGNATURE_LINE}",
            NOTE_TEXT.replace("answer", "question")
        );
        assert!(matches!(
            open(changed.as_bytes(), &[peter()]),
            Err(NoteError::InvalidSignature { .. })
        ));
        // golang/mod's TestOpen: "ABCD" inserted at byte 60 of the signature line.
        let (head, tail) = PETER_SIGNATURE_LINE.split_at(60);
        let bad = format!("{head}ABCD{tail}");
        assert_eq!(
            open(&signed(&[&bad]), &[peter()]),
            Err(NoteError::InvalidSignature {
                name: "PeterNeumann".into(),
                key_id: 0xc74f20a3
            })
        );
        // A bad signature by a known key rejects the note even beside a good one.
        assert!(open(&signed(&[PETER_SIGNATURE_LINE, &bad]), &[peter()]).is_err());
    }

    #[test]
    fn malformed_notes_are_refused() {
        let peter_line = PETER_SIGNATURE_LINE;
        let bad_msgs: Vec<Vec<u8>> = vec![
            NOTE_TEXT.into(),
            format!("{NOTE_TEXT}\n").into(),
            format!("{NOTE_TEXT}\n{}", peter_line.trim_end()).into(),
            format!("\u{1}{NOTE_TEXT}\n{peter_line}").into(),
            [b"\xff".as_slice(), &signed(&[peter_line])].concat(),
            format!("{NOTE_TEXT}\n— Bad Name x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM=").into(),
            format!("{NOTE_TEXT}\n{peter_line}Unexpected line.\n").into(),
            format!("{NOTE_TEXT}\n{}", peter_line.repeat(MAX_SIGNATURES + 1)).into(),
            format!("{NOTE_TEXT}\n— PeterNeumann AAAA\n").into(),
            // A hyphen where the em dash belongs.
            format!("{NOTE_TEXT}\n{}", peter_line.replacen('—', "-", 1)).into(),
        ];
        for msg in bad_msgs {
            assert!(
                matches!(Note::parse(&msg), Err(NoteError::Malformed(_))),
                "accepted {:?}",
                String::from_utf8_lossy(&msg)
            );
        }
    }

    #[test]
    fn generated_keys_sign_and_verify_and_never_print_the_secret() {
        let (skey, vkey) = generate_key("cunwu.example/transparency").unwrap();
        let signer = NoteSigner::from_key(&skey).unwrap();
        let verifier = NoteVerifier::parse(&vkey).unwrap();
        assert_eq!(signer.verifier(), verifier);
        let note = signer.sign("hello\n").unwrap();
        assert_eq!(open(note.as_bytes(), &[verifier]).unwrap().text, "hello\n");

        // PRIVATE+KEY+<name>+<hash>+<key>: the key is base64, which may itself hold '+',
        // so everything after the fourth '+' (the last '+' left a few characters of it
        // at times, which the Debug output could hold by chance).
        let secret_part = skey
            .expose_secret()
            .splitn(5, '+')
            .nth(4)
            .unwrap()
            .to_owned();
        assert!(secret_part.len() > 40, "{}", secret_part.len());
        assert!(!format!("{signer:?}").contains(&secret_part));
        assert!(!format!("{skey:?}").contains(&secret_part));
        assert!(generate_key("has space").is_err());
        assert!(generate_key("a+b").is_err());
    }
}
