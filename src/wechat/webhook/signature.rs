//! WeChat's signatures: SHA-1 over the lexicographically sorted, concatenated parts
//! (`[token, timestamp, nonce]` for the URL `signature`, plus `Encrypt` for
//! `msg_signature`), compared in constant time.

use sha1::{Digest, Sha1};
use subtle::ConstantTimeEq;

/// The lower-case hex SHA-1 of the parts sorted as byte strings and concatenated.
pub fn sign(parts: &[&str]) -> String {
    let mut sorted: Vec<&str> = parts.to_vec();
    sorted.sort_unstable();
    let mut hasher = Sha1::new();
    for part in sorted {
        hasher.update(part.as_bytes());
    }
    hex::encode(hasher.finalize())
}

/// Whether `claimed` is the signature of `parts`. Case-insensitive hex, compared in
/// constant time so that the comparison leaks nothing about the expected value.
pub fn verify(claimed: &str, parts: &[&str]) -> bool {
    let expected = sign(parts);
    let claimed = claimed.trim().to_ascii_lowercase();
    // Lengths are public (always 40), so an early return on a mismatch leaks nothing.
    claimed.len() == expected.len() && bool::from(claimed.as_bytes().ct_eq(expected.as_bytes()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::wechat::webhook::test_vectors::{json, text};

    #[test]
    fn sorted_concatenation_matches_the_peer_vectors() {
        let v = json("signature/silenceper_signature_abc.json");
        assert_eq!(sign(&["c", "a", "b"]), v["signature"].as_str().unwrap());
        let v = json("signature/wxjava_sha1_gen.json");
        assert_eq!(sign(&["345", "123"]), v["sha1_gen"].as_str().unwrap());
    }

    #[test]
    fn the_url_signature_accepts_the_right_digest_and_refuses_one_digit_off() {
        for (file, valid) in [
            (
                "signature/wechatpy_test_check_signature_should_ok.json",
                true,
            ),
            (
                "signature/wechatpy_test_check_signature_should_fail.json",
                false,
            ),
        ] {
            let v = json(file);
            let s = |k: &str| v[k].as_str().unwrap().to_owned();
            assert_eq!(
                verify(
                    &s("signature"),
                    &[&s("token"), &s("timestamp"), &s("nonce")]
                ),
                valid,
                "{file}"
            );
        }
    }

    #[test]
    fn real_account_and_official_sample_signatures_verify() {
        let kv = text("extra/signature/chanxuehong_Sign.txt");
        let get = |k: &str| {
            kv.lines()
                .find_map(|l| l.strip_prefix(&format!("{k}=")))
                .unwrap()
                .to_owned()
        };
        assert!(verify(
            &get("signature"),
            &[&get("token"), &get("timestamp"), &get("nonce")]
        ));
        let v = json("crypto/official_tencent_python_sample/url_signature.DERIVED.json");
        let s = |k: &str| v[k].as_str().unwrap().to_owned();
        assert!(verify(
            &s("signature").to_uppercase(),
            &[&s("token"), &s("timestamp"), &s("nonce")]
        ));
    }

    #[test]
    fn garbage_never_verifies() {
        assert!(!verify("", &["a"]));
        assert!(!verify("zz", &["a"]));
        assert!(!verify(&"0".repeat(40), &["a"]));
        assert!(!verify("签名", &["a"]));
    }
}
