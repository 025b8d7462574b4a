//! The AEAD layout: `suite (1) ‖ nonce (12) ‖ ciphertext ‖ tag (16)`, the associated
//! data naming the table, column and row the value belongs to.

use aes_gcm::aead::consts::U12;
use aes_gcm::aead::{Aead, KeyInit, Payload};
use aes_gcm::{Aes256Gcm, AesGcm, Nonce};
use hmac::{Hmac, Mac};

use super::{CryptoError, Suite};

/// SM4-GCM: the GCM mode of the RustCrypto `aes-gcm` crate over the `sm4` block cipher.
type Sm4Gcm = AesGcm<sm4::Sm4, U12>;

const NONCE_BYTES: usize = 12;
const TAG_BYTES: usize = 16;
/// What sealing adds to a plaintext.
pub const OVERHEAD: usize = 1 + NONCE_BYTES + TAG_BYTES;

/// Where a value lives: `table.column` of row `row`. It is the associated data, so a
/// ciphertext opens only where it was written, and it names the place in errors.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Field {
    pub table: &'static str,
    pub column: &'static str,
    pub row: String,
}

impl Field {
    pub fn new(table: &'static str, column: &'static str, row: impl std::fmt::Display) -> Field {
        Field {
            table,
            column,
            row: row.to_string(),
        }
    }

    fn aad(&self) -> Vec<u8> {
        format!("sunvillage|{}.{}|{}", self.table, self.column, self.row).into_bytes()
    }
}

impl std::fmt::Display for Field {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}.{} of row {}", self.table, self.column, self.row)
    }
}

/// SM4 takes 128-bit keys: derived from the 256-bit key with HMAC-SM3, so that one key
/// type serves both suites.
fn sm4_key(key: &[u8; 32]) -> [u8; 16] {
    let mut mac = <Hmac<sm3::Sm3> as Mac>::new_from_slice(key).unwrap_or_else(|_| {
        // HMAC takes keys of any length.
        unreachable!("HMAC-SM3 accepts a 32-byte key")
    });
    mac.update(b"sunvillage|sm4-gcm key|v1");
    let out = mac.finalize().into_bytes();
    let mut k = [0u8; 16];
    k.copy_from_slice(&out[..16]);
    k
}

/// Encrypts `plaintext` for `field` under `key` with `suite`.
pub fn seal(suite: Suite, key: &[u8; 32], field: &Field, plaintext: &[u8]) -> Vec<u8> {
    let nonce: [u8; NONCE_BYTES] = rand::random();
    let aad = field.aad();
    let payload = Payload {
        msg: plaintext,
        aad: &aad,
    };
    let sealed = match suite {
        Suite::Aes => Aes256Gcm::new(key.into()).encrypt(Nonce::from_slice(&nonce), payload),
        Suite::Sm => Sm4Gcm::new(&sm4_key(key).into()).encrypt(Nonce::from_slice(&nonce), payload),
    };
    // GCM fails only past 64 GiB of plaintext; our values are at most a few megabytes.
    let sealed = sealed.unwrap_or_else(|_| unreachable!("GCM encrypts any value this small"));
    let mut out = Vec::with_capacity(OVERHEAD + plaintext.len());
    out.push(suite.byte());
    out.extend_from_slice(&nonce);
    out.extend_from_slice(&sealed);
    out
}

/// The suite a ciphertext was written with.
pub fn suite_of(field: &Field, sealed: &[u8]) -> Result<Suite, CryptoError> {
    let first = *sealed.first().ok_or_else(|| CryptoError::Truncated {
        field: field.to_string(),
    })?;
    Suite::from_byte(first).ok_or_else(|| CryptoError::UnknownSuite {
        field: field.to_string(),
        suite: first,
    })
}

/// Decrypts what [`seal`] wrote for the same `field`; anything else is refused.
pub fn open(key: &[u8; 32], field: &Field, sealed: &[u8]) -> Result<Vec<u8>, CryptoError> {
    let suite = suite_of(field, sealed)?;
    if sealed.len() < OVERHEAD {
        return Err(CryptoError::Truncated {
            field: field.to_string(),
        });
    }
    let (nonce, body) = sealed[1..].split_at(NONCE_BYTES);
    let aad = field.aad();
    let payload = Payload {
        msg: body,
        aad: &aad,
    };
    let opened = match suite {
        Suite::Aes => Aes256Gcm::new(key.into()).decrypt(Nonce::from_slice(nonce), payload),
        Suite::Sm => Sm4Gcm::new(&sm4_key(key).into()).decrypt(Nonce::from_slice(nonce), payload),
    };
    opened.map_err(|_| CryptoError::Refused {
        field: field.to_string(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn field(row: i64) -> Field {
        Field::new("complaints", "complainant_name", row)
    }

    #[test]
    fn each_suite_opens_what_it_sealed_and_records_itself() {
        let key = [7u8; 32];
        for suite in Suite::ALL {
            let sealed = seal(suite, &key, &field(1), "张三".as_bytes());
            assert_eq!(sealed[0], suite.byte());
            assert_eq!(sealed.len(), OVERHEAD + "张三".len());
            assert_eq!(open(&key, &field(1), &sealed).unwrap(), "张三".as_bytes());
        }
    }

    #[test]
    fn a_ciphertext_moved_to_another_row_or_column_is_refused_and_named() {
        let key = [7u8; 32];
        for suite in Suite::ALL {
            let sealed = seal(suite, &key, &field(1), b"13800138000");
            let err = open(&key, &field(2), &sealed).unwrap_err().to_string();
            assert!(
                err.contains("complaints.complainant_name of row 2"),
                "{err}"
            );
            let other = Field::new("complaints", "complainant_phone", 1);
            assert!(open(&key, &other, &sealed).is_err());
        }
    }

    #[test]
    fn a_wrong_key_a_flipped_bit_or_a_stub_is_refused() {
        let key = [7u8; 32];
        let mut sealed = seal(Suite::Aes, &key, &field(1), b"x");
        assert!(open(&[8u8; 32], &field(1), &sealed).is_err());
        let last = sealed.len() - 1;
        sealed[last] ^= 1;
        assert!(open(&key, &field(1), &sealed).is_err());
        assert!(matches!(
            open(&key, &field(1), &[0x01, 2, 3]),
            Err(CryptoError::Truncated { .. })
        ));
        assert!(matches!(
            open(&key, &field(1), &[0x7f; 40]),
            Err(CryptoError::UnknownSuite { suite: 0x7f, .. })
        ));
    }

    #[test]
    fn sm4_gcm_matches_a_known_answer() {
        // GB/T 32907 example: key and plaintext 0123456789abcdeffedcba9876543210 encrypt
        // to 681edf34d206965e86b3e94f536e4246 (the block cipher under the mode).
        use sm4::cipher::{BlockEncrypt, KeyInit as _};
        let k = hex::decode("0123456789abcdeffedcba9876543210").unwrap();
        let cipher = sm4::Sm4::new_from_slice(&k).unwrap();
        let mut block = sm4::cipher::generic_array::GenericArray::clone_from_slice(&k);
        cipher.encrypt_block(&mut block);
        assert_eq!(hex::encode(block), "681edf34d206965e86b3e94f536e4246");
    }
}
