//! Identity at rest: envelope encryption and keyed lookup hashes, so that a copy of the
//! database (a dump, a backup, `psql`) reveals no complainant.
//!
//! - [`Suite`]: the algorithms, recorded in the first byte of every ciphertext and hash
//!   (`aes`: AES-256-GCM and HMAC-SHA256; `sm`: SM4-GCM and HMAC-SM3, 商用密码), so a
//!   database may hold both and a deployment switches without a flag day.
//! - [`seal`]: the AEAD layout `suite ‖ nonce ‖ ciphertext ‖ tag`, with associated data
//!   naming the table, column and row ([`Field`]), so a ciphertext copied elsewhere
//!   does not open.
//! - [`keys`]: a random data key per record, stored only wrapped by a master key from
//!   configuration (with its id); [`Vault`] holds the master keys and the lookup key.
//! - [`lookup`]: HMAC lookup hashes with their own key, for finding by an identity.

pub mod keys;
pub mod lookup;
pub mod seal;
pub mod suite;
mod vault;

pub use keys::{DataKey, KeyId, Wrapped};
pub use lookup::{LookupHash, Purpose};
pub use seal::Field;
pub use suite::Suite;
pub use vault::{Vault, VaultError};

/// Why a ciphertext did not open; every variant names where it was read from.
#[derive(Debug, thiserror::Error)]
pub enum CryptoError {
    #[error(
        "{field}: the ciphertext does not open here (moved from another row, altered, or the wrong key)"
    )]
    Refused { field: String },
    #[error("{field}: too short to be a ciphertext")]
    Truncated { field: String },
    #[error("{field}: unknown cipher suite byte {suite:#04x}")]
    UnknownSuite { field: String, suite: u8 },
    #[error(
        "{field}: wrapped under master key `{key}`, which is not configured (crypto.master_keys)"
    )]
    UnknownMasterKey { field: String, key: String },
    #[error("{field}: the data key was destroyed when its retention period ended")]
    Shredded { field: String },
}
