//! Data keys and the master keys that wrap them. A data key is 256 random bits, one per
//! record (a complaint, an outbox row); it is stored only wrapped (sealed) under a
//! master key, whose id is stored beside it so that rotation knows what to re-wrap.

use secrecy::{ExposeSecret, SecretBox};

use super::seal::{self, Field};
use super::{CryptoError, Suite};

/// A master key's name: `k1`, `2026_12`. Lower-case letters, digits and `_`, at most
/// 32, so that it can be given as `APP__CRYPTO__MASTER_KEYS__<ID>`.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct KeyId(String);

impl KeyId {
    pub fn parse(raw: &str) -> Result<KeyId, String> {
        let ok = (1..=32).contains(&raw.len())
            && raw
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_');
        if ok {
            Ok(KeyId(raw.to_owned()))
        } else {
            Err(format!(
                "`{raw}` is no key id (1 to 32 lower-case letters, digits or _)"
            ))
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Display for KeyId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// 256 bits of key, wiped from memory when dropped and never printed.
pub struct SecretKey(SecretBox<[u8; 32]>);

impl SecretKey {
    pub fn new(bytes: [u8; 32]) -> SecretKey {
        SecretKey(SecretBox::new(Box::new(bytes)))
    }

    pub fn random() -> SecretKey {
        SecretKey::new(rand::random())
    }

    pub(crate) fn bytes(&self) -> &[u8; 32] {
        self.0.expose_secret()
    }
}

impl std::fmt::Debug for SecretKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SecretKey([REDACTED])")
    }
}

/// One record's data key, in the clear: it lives only while a request uses it.
#[derive(Debug)]
pub struct DataKey {
    /// The `data_keys` row it is stored in.
    pub id: i64,
    key: SecretKey,
}

impl DataKey {
    pub fn random(id: i64) -> DataKey {
        DataKey {
            id,
            key: SecretKey::random(),
        }
    }

    /// Encrypts a value of the record for `field` with `suite`.
    pub fn seal(&self, suite: Suite, field: &Field, plaintext: &[u8]) -> Vec<u8> {
        seal::seal(suite, self.key.bytes(), field, plaintext)
    }

    /// Decrypts a value of the record; refused when it was written elsewhere.
    pub fn open(&self, field: &Field, sealed: &[u8]) -> Result<Vec<u8>, CryptoError> {
        seal::open(self.key.bytes(), field, sealed)
    }

    /// Decrypts a value that was written as text.
    pub fn open_text(&self, field: &Field, sealed: &[u8]) -> Result<String, CryptoError> {
        let bytes = self.open(field, sealed)?;
        String::from_utf8(bytes).map_err(|_| CryptoError::Refused {
            field: field.to_string(),
        })
    }
}

/// A data key as stored: sealed under master key `master_key`, or `None` once shredded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Wrapped {
    pub data_key_id: i64,
    pub master_key: String,
    pub sealed: Option<Vec<u8>>,
}

/// Where a data key is stored, as associated data of its wrapping: a wrapped key moved
/// to another row, or relabelled with another master key id, does not unwrap.
pub fn wrap_field(data_key_id: i64, master_key: &str) -> Field {
    Field::new(
        "data_keys",
        "wrapped",
        format!("{data_key_id}|{master_key}"),
    )
}

/// Seals `key` under `master` (named `master_id`).
pub fn wrap(suite: Suite, master: &SecretKey, master_id: &KeyId, key: &DataKey) -> Wrapped {
    let field = wrap_field(key.id, master_id.as_str());
    Wrapped {
        data_key_id: key.id,
        master_key: master_id.to_string(),
        sealed: Some(seal::seal(suite, master.bytes(), &field, key.key.bytes())),
    }
}

/// Opens a wrapped key with `master`, the key its `master_key` names.
pub fn unwrap(master: &SecretKey, wrapped: &Wrapped) -> Result<DataKey, CryptoError> {
    let field = wrap_field(wrapped.data_key_id, &wrapped.master_key);
    let sealed = wrapped
        .sealed
        .as_deref()
        .ok_or_else(|| CryptoError::Shredded {
            field: field.to_string(),
        })?;
    let bytes = seal::open(master.bytes(), &field, sealed)?;
    let key: [u8; 32] = bytes
        .as_slice()
        .try_into()
        .map_err(|_| CryptoError::Refused {
            field: field.to_string(),
        })?;
    Ok(DataKey {
        id: wrapped.data_key_id,
        key: SecretKey::new(key),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn key_ids_are_environment_friendly() {
        assert!(KeyId::parse("k1").is_ok());
        assert!(KeyId::parse("2026_12").is_ok());
        for bad in ["", "K1", "k-1", "k 1", &"k".repeat(33)] {
            assert!(KeyId::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn a_wrapped_key_unwraps_only_in_its_own_row_under_its_own_master() {
        let master = SecretKey::random();
        let id = KeyId::parse("k1").unwrap();
        let key = DataKey::random(5);
        let f = Field::new("complaints", "openid", 9);
        let sealed = key.seal(Suite::Aes, &f, b"oABC");
        for suite in Suite::ALL {
            let wrapped = wrap(suite, &master, &id, &key);
            let back = unwrap(&master, &wrapped).unwrap();
            assert_eq!(back.open(&f, &sealed).unwrap(), b"oABC");
            let moved = Wrapped {
                data_key_id: 6,
                ..wrapped.clone()
            };
            assert!(unwrap(&master, &moved).is_err());
            let relabelled = Wrapped {
                master_key: "k2".into(),
                ..wrapped.clone()
            };
            assert!(unwrap(&master, &relabelled).is_err());
            assert!(unwrap(&SecretKey::random(), &wrapped).is_err());
        }
    }

    #[test]
    fn a_shredded_key_is_reported_as_such() {
        let master = SecretKey::random();
        let wrapped = Wrapped {
            data_key_id: 1,
            master_key: "k1".into(),
            sealed: None,
        };
        assert!(matches!(
            unwrap(&master, &wrapped),
            Err(CryptoError::Shredded { .. })
        ));
    }

    #[test]
    fn keys_never_print() {
        let k = DataKey::random(1);
        assert!(!format!("{k:?}").contains(&format!("{:?}", k.key.bytes())));
    }
}
