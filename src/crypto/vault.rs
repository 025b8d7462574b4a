//! The keys of a running service: the master keys (by id; `current` wraps new data
//! keys), the suite new data is written with, and the lookup key.

use std::collections::BTreeMap;
use std::sync::Arc;

use base64::Engine;
use secrecy::ExposeSecret;

use super::keys::{self, DataKey, KeyId, SecretKey, Wrapped};
use super::lookup::{self, LookupHash, Purpose};
use super::seal::Field;
use super::{CryptoError, Suite};
use crate::configuration::CryptoSettings;

/// A key in configuration that cannot be used; the message names it.
#[derive(Debug, thiserror::Error)]
pub enum VaultError {
    #[error("{key}: {reason}")]
    Invalid { key: String, reason: String },
}

fn invalid(key: impl Into<String>, reason: impl Into<String>) -> VaultError {
    VaultError::Invalid {
        key: key.into(),
        reason: reason.into(),
    }
}

/// Decodes a configured key: base64 of exactly 32 bytes.
pub fn decode_key(name: &str, raw: &secrecy::SecretString) -> Result<SecretKey, VaultError> {
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(raw.expose_secret().trim())
        .map_err(|_| invalid(name, "is not base64 (`sunvillage keys new` prints a key)"))?;
    let key: [u8; 32] = bytes
        .as_slice()
        .try_into()
        .map_err(|_| invalid(name, "must be 32 bytes (44 characters of base64)"))?;
    Ok(SecretKey::new(key))
}

/// Cheap to clone; the keys live once, wiped when the last clone drops.
#[derive(Clone)]
pub struct Vault(Arc<Inner>);

struct Inner {
    suite: Suite,
    current: KeyId,
    masters: BTreeMap<KeyId, SecretKey>,
    lookup: SecretKey,
    /// The lookup key before the current one, still matched by searches.
    previous_lookup: Option<SecretKey>,
}

impl std::fmt::Debug for Vault {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Vault")
            .field("suite", &self.0.suite)
            .field("current", &self.0.current)
            .field("masters", &self.0.masters.keys().collect::<Vec<_>>())
            .finish_non_exhaustive()
    }
}

impl Vault {
    pub fn from_settings(s: &CryptoSettings) -> Result<Vault, VaultError> {
        let mut masters = BTreeMap::new();
        // An empty value removes a key: layers merge maps, so a production layer cannot
        // otherwise drop the development key of the defaults.
        for (name, raw) in s
            .master_keys
            .iter()
            .filter(|(_, k)| !k.expose_secret().trim().is_empty())
        {
            let id = KeyId::parse(name).map_err(|e| invalid("crypto.master_keys", e))?;
            let key = decode_key(&format!("crypto.master_keys.{name}"), raw)?;
            masters.insert(id, key);
        }
        let current = KeyId::parse(&s.current_key).map_err(|e| invalid("crypto.current_key", e))?;
        if !masters.contains_key(&current) {
            return Err(invalid(
                "crypto.current_key",
                format!("`{current}` is not among crypto.master_keys"),
            ));
        }
        let lookup = decode_key("crypto.lookup_key", &s.lookup_key)?;
        let previous_lookup = s
            .previous_lookup_key
            .as_ref()
            .filter(|k| !k.expose_secret().trim().is_empty())
            .map(|k| decode_key("crypto.previous_lookup_key", k))
            .transpose()?;
        Ok(Vault(Arc::new(Inner {
            suite: s.suite,
            current,
            masters,
            lookup,
            previous_lookup,
        })))
    }

    /// The suite new data is written with.
    pub fn suite(&self) -> Suite {
        self.0.suite
    }

    /// The master key new data keys are wrapped under.
    pub fn current_key(&self) -> &KeyId {
        &self.0.current
    }

    pub fn knows_master_key(&self, id: &str) -> bool {
        KeyId::parse(id).is_ok_and(|id| self.0.masters.contains_key(&id))
    }

    fn current_master(&self) -> &SecretKey {
        // from_settings checked that current is among the masters.
        self.0
            .masters
            .get(&self.0.current)
            .unwrap_or_else(|| unreachable!("the current master key is configured"))
    }

    /// Wraps a data key under the current master key.
    pub fn wrap(&self, key: &DataKey) -> Wrapped {
        keys::wrap(self.0.suite, self.current_master(), &self.0.current, key)
    }

    /// Opens a stored data key with the master key it names.
    pub fn unwrap(&self, wrapped: &Wrapped) -> Result<DataKey, CryptoError> {
        let master = KeyId::parse(&wrapped.master_key)
            .ok()
            .and_then(|id| self.0.masters.get(&id))
            .ok_or_else(|| CryptoError::UnknownMasterKey {
                field: keys::wrap_field(wrapped.data_key_id, &wrapped.master_key).to_string(),
                key: wrapped.master_key.clone(),
            })?;
        keys::unwrap(master, wrapped)
    }

    /// Encrypts a value of the record `key` belongs to, with the configured suite.
    pub fn seal(&self, key: &DataKey, field: &Field, plaintext: &[u8]) -> Vec<u8> {
        key.seal(self.0.suite, field, plaintext)
    }

    /// The lookup hash to store beside a value, with the configured suite.
    pub fn lookup(&self, purpose: Purpose, value: &str) -> LookupHash {
        lookup::hash(&self.0.lookup, self.0.suite, purpose, value)
    }

    /// The hashes a search for `value` matches: every suite, under the current lookup
    /// key and then the previous one (until rows written under it are rehashed).
    pub fn lookup_candidates(&self, purpose: Purpose, value: &str) -> Vec<Vec<u8>> {
        let mut all = lookup::candidates(&self.0.lookup, purpose, value);
        if let Some(previous) = &self.0.previous_lookup {
            all.extend(lookup::candidates(previous, purpose, value));
        }
        all
    }

    /// Whether a previous lookup key is configured (searches then match both).
    pub fn has_previous_lookup_key(&self) -> bool {
        self.0.previous_lookup.is_some()
    }

    /// Whether a stored hash is `value`'s under some suite.
    pub fn matches(&self, purpose: Purpose, value: &str, stored: &[u8]) -> bool {
        use subtle::ConstantTimeEq;
        self.lookup_candidates(purpose, value)
            .iter()
            .any(|h| bool::from(h.as_slice().ct_eq(stored)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use secrecy::SecretString;

    fn settings(suite: Suite) -> CryptoSettings {
        CryptoSettings {
            suite,
            current_key: "k1".into(),
            master_keys: [(
                "k1".to_owned(),
                SecretString::from("bWBfaq7TCERhyQhoBSxTUGbvAeLjfaVHUBTCiVoeonI="),
            )]
            .into_iter()
            .collect(),
            lookup_key: SecretString::from("RBWMd79r5uvlqBc3+s5loScdijjLtZaOdns3SBL+jMw="),
            previous_lookup_key: None,
        }
    }

    #[test]
    fn a_vault_of_either_suite_reads_what_the_other_wrote() {
        let aes = Vault::from_settings(&settings(Suite::Aes)).unwrap();
        let sm = Vault::from_settings(&settings(Suite::Sm)).unwrap();
        let f = Field::new("complaints", "openid", 3);
        let key = DataKey::random(1);
        let by_aes = aes.seal(&key, &f, b"o1");
        let wrapped_by_sm = sm.wrap(&key);
        let back = aes.unwrap(&wrapped_by_sm).unwrap();
        assert_eq!(back.open(&f, &by_aes).unwrap(), b"o1");
        let h = sm.lookup(Purpose::ComplaintOpenid, "o1");
        assert!(aes.matches(Purpose::ComplaintOpenid, "o1", h.as_bytes()));
        assert!(!aes.matches(Purpose::ComplaintOpenid, "o2", h.as_bytes()));
    }

    #[test]
    fn a_hash_under_the_previous_lookup_key_is_still_matched_and_new_ones_use_the_current() {
        let old = Vault::from_settings(&settings(Suite::Aes)).unwrap();
        let before = old.lookup(Purpose::ComplainantPhone, "13812345678");
        let mut s = settings(Suite::Aes);
        s.previous_lookup_key = Some(s.lookup_key.clone());
        s.lookup_key = SecretString::from("HyAhIiMkJSYnKCkqKywtLi8wMTIzNDU2Nzg5Ojs8PT4=");
        let new = Vault::from_settings(&s).unwrap();
        assert!(new.has_previous_lookup_key());
        let after = new.lookup(Purpose::ComplainantPhone, "13812345678");
        assert_ne!(before, after, "new hashes use the new key");
        assert!(new.matches(Purpose::ComplainantPhone, "13812345678", before.as_bytes()));
        assert!(new.matches(Purpose::ComplainantPhone, "13812345678", after.as_bytes()));
        // Once the previous key is removed, the old hash is found no more.
        s.previous_lookup_key = Some(SecretString::from(""));
        let alone = Vault::from_settings(&s).unwrap();
        assert!(!alone.has_previous_lookup_key());
        assert!(!alone.matches(Purpose::ComplainantPhone, "13812345678", before.as_bytes()));
    }

    #[test]
    fn a_key_wrapped_under_an_unconfigured_master_is_named() {
        let v = Vault::from_settings(&settings(Suite::Aes)).unwrap();
        let w = Wrapped {
            data_key_id: 4,
            master_key: "old".into(),
            sealed: Some(vec![1; 60]),
        };
        let err = v.unwrap(&w).unwrap_err().to_string();
        assert!(err.contains("`old`") && err.contains("row 4|old"), "{err}");
    }

    #[test]
    fn bad_keys_are_named_and_never_echoed() {
        let mut s = settings(Suite::Aes);
        s.lookup_key = SecretString::from("c2hvcnQ=");
        let err = Vault::from_settings(&s).unwrap_err().to_string();
        assert!(
            err.contains("crypto.lookup_key") && !err.contains("c2hvcnQ"),
            "{err}"
        );
        let mut s = settings(Suite::Aes);
        s.current_key = "k2".into();
        assert!(
            Vault::from_settings(&s)
                .unwrap_err()
                .to_string()
                .contains("crypto.current_key")
        );
        let v = Vault::from_settings(&settings(Suite::Aes)).unwrap();
        assert!(!format!("{v:?}").contains("bWBf"));
    }
}
