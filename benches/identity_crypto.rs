//! What sealing identities costs per request: filing a complaint (a data key created and
//! wrapped, openid, name and phone sealed, two lookup hashes, a 300 KB photo sealed) and
//! a staff view (the data key unwrapped, three fields opened), under each suite.

#![allow(clippy::unwrap_used, reason = "a benchmark's fixed inputs")]

use criterion::{Criterion, criterion_group, criterion_main};
use secrecy::SecretString;
use sunvillage::configuration::CryptoSettings;
use sunvillage::crypto::{DataKey, Field, Purpose, Suite, Vault};

fn vault(suite: Suite) -> Vault {
    Vault::from_settings(&CryptoSettings {
        suite,
        current_key: "k1".into(),
        master_keys: [(
            "k1".to_owned(),
            SecretString::from("AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8="),
        )]
        .into_iter()
        .collect(),
        lookup_key: SecretString::from("HyAhIiMkJSYnKCkqKywtLi8wMTIzNDU2Nzg5Ojs8PT4="),
        previous_lookup_key: None,
    })
    .unwrap()
}

fn field(column: &'static str) -> Field {
    Field::new("complaints", column, 42)
}

fn bench(c: &mut Criterion) {
    let photo = vec![0x5au8; 300 * 1024];
    for suite in Suite::ALL {
        let v = vault(suite);
        let mut g = c.benchmark_group(format!("identity/{suite}"));
        g.sample_size(30);
        g.measurement_time(std::time::Duration::from_secs(2));
        g.bench_function("file a complaint (no photo)", |b| {
            b.iter(|| {
                let key = DataKey::random(7);
                let wrapped = v.wrap(&key);
                let o = v.seal(&key, &field("openid"), b"oLVPpjqs9BhvzwPj5A-vTYAX3GLc");
                let n = v.seal(&key, &field("name"), "张三".as_bytes());
                let p = v.seal(&key, &field("phone"), b"13812345678");
                let h1 = v.lookup(Purpose::ComplaintOpenid, "oLVPpjqs9BhvzwPj5A-vTYAX3GLc");
                let h2 = v.lookup(Purpose::ComplainantPhone, "13812345678");
                (wrapped, o, n, p, h1, h2)
            });
        });
        let key = DataKey::random(7);
        g.bench_function("seal a 300 KB photo", |b| {
            b.iter(|| v.seal(&key, &field("photo"), &photo));
        });
        let wrapped = v.wrap(&key);
        let o = v.seal(&key, &field("openid"), b"oLVPpjqs9BhvzwPj5A-vTYAX3GLc");
        let n = v.seal(&key, &field("name"), "张三".as_bytes());
        let p = v.seal(&key, &field("phone"), b"13812345678");
        g.bench_function("staff view (unwrap + open 3 fields)", |b| {
            b.iter(|| {
                let k = v.unwrap(&wrapped).unwrap();
                (
                    k.open(&field("openid"), &o).unwrap(),
                    k.open(&field("name"), &n).unwrap(),
                    k.open(&field("phone"), &p).unwrap(),
                )
            });
        });
        g.bench_function("ownership check (hashes of both suites)", |b| {
            let stored = v.lookup(Purpose::ComplaintOpenid, "oLVPpjqs9BhvzwPj5A-vTYAX3GLc");
            b.iter(|| {
                v.matches(
                    Purpose::ComplaintOpenid,
                    "oLVPpjqs9BhvzwPj5A-vTYAX3GLc",
                    stored.as_bytes(),
                )
            });
        });
        g.finish();
    }
}

criterion_group!(benches, bench);
criterion_main!(benches);
