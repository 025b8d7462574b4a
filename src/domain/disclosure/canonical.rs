//! Canonical JSON of a published version: object keys sorted by their UTF-8 bytes, no
//! whitespace, strings escaped as serde_json escapes them, numbers only integers (amounts
//! are fen). The same content always gives the same bytes, so their SHA-256 names the
//! content (the transparency log records it; anyone can fetch the JSON and check).
//! Written here rather than by serde_json because a dependency may switch on its
//! `preserve_order`, which would keep keys in insertion order.

use serde_json::Value;
use sha2::{Digest, Sha256};

/// The canonical text of `v`. Floats never occur in disclosure content; one that did
/// would be written as serde_json writes it.
pub fn to_string(v: &Value) -> String {
    let mut out = String::new();
    write(v, &mut out);
    out
}

fn write(v: &Value, out: &mut String) {
    match v {
        Value::Object(map) => {
            let mut keys: Vec<&String> = map.keys().collect();
            keys.sort();
            out.push('{');
            for (i, k) in keys.into_iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                out.push_str(&Value::String(k.clone()).to_string());
                out.push(':');
                write(&map[k], out);
            }
            out.push('}');
        }
        Value::Array(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write(item, out);
            }
            out.push(']');
        }
        scalar => out.push_str(&scalar.to_string()),
    }
}

/// SHA-256 of the canonical text.
pub fn sha256(canonical: &str) -> [u8; 32] {
    Sha256::digest(canonical.as_bytes()).into()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn keys_are_sorted_and_nothing_is_spaced() {
        let v = json!({"b": [1, {"z": null, "a": "村\"务"}], "a": -5});
        assert_eq!(to_string(&v), r#"{"a":-5,"b":[1,{"a":"村\"务","z":null}]}"#);
    }

    #[test]
    fn the_digest_is_sha256_of_the_bytes() {
        // Known answer: SHA-256("{}").
        assert_eq!(
            hex::encode(sha256(&to_string(&json!({})))),
            "44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a"
        );
    }
}
