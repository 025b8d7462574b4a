//! Finding a village over all of China (665,276 regions, 620,573 villages), in one run:
//! `region_search_china` times the in-memory index alone, `webhook_village_reply_china`
//! the webhook's whole answer to a follower's words (search, choosing the reply, writing
//! it as XML). Run: `cargo bench --bench region_lookup`.

#![allow(
    clippy::expect_used,
    reason = "a benchmark without its data has nothing to measure"
)]

use std::hint::black_box;
use std::path::Path;

use criterion::{Criterion, criterion_group, criterion_main};
use sunvillage::domain::Region;
use sunvillage::region_import::{Scope, open_dir, rows::Checker};
use sunvillage::region_index::{Query, RegionIndex};
use sunvillage::wechat::webhook::handlers::village_reply;

fn china() -> Vec<Region> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("data/regions/china");
    let mut checker = Checker::default();
    for file in open_dir(&dir).expect("data/regions/china is in the repo") {
        let (name, level) = (file.name.clone(), file.level);
        checker.read(&name, level, file.into_text_reader(|r| r), || {});
    }
    let checked = checker.finish(&Scope::all());
    assert!(checked.errors.is_empty());
    checked
        .records
        .into_iter()
        .map(|r| Region {
            code: r.code,
            name: r.name,
            display_name: r.display_name,
            parent_code: r.parent,
        })
        .collect()
}

fn bench(c: &mut Criterion) {
    let regions = china();
    let started = std::time::Instant::now();
    let index = RegionIndex::build(&regions);
    eprintln!(
        "index: {} regions, built in {:.2} s, ~{} MiB heap",
        index.len(),
        started.elapsed().as_secs_f64(),
        index.heap_bytes() >> 20
    );
    drop(regions);
    let mut group = c.benchmark_group("region_search_china");
    for (label, text) in [
        ("name 王岗", "王岗"),
        ("name 王岗村", "王岗村"),
        ("county+name 平桥区王岗", "平桥区王岗"),
        ("township+name 青山镇王岗", "青山镇王岗"),
        ("common 张庄", "张庄"),
        ("code 411503209202", "411503209202"),
        ("no match 王岗刚刚", "王岗刚刚"),
    ] {
        group.bench_function(label, |b| {
            b.iter(|| {
                index.search(black_box(&Query {
                    text,
                    within: None,
                    limit: 10,
                }))
            })
        });
    }
    group.bench_function("suggest 王刚", |b| {
        b.iter(|| index.suggest(black_box("王刚"), 5))
    });
    group.finish();

    let base = "https://cunwu.example.gov.cn";
    let mut group = c.benchmark_group("webhook_village_reply_china");
    for (label, words) in [
        ("list 王岗", "王岗"),
        ("list 王岗村", "王岗村"),
        ("news 平桥区王岗", "平桥区王岗"),
        ("news 罗山县青山镇王岗", "罗山县青山镇王岗"),
        ("list 青山镇王岗", "青山镇王岗"),
        ("list 张庄", "张庄"),
        ("news 411503209202", "411503209202"),
        ("suggest 南王刚村", "南王刚村"),
        ("nothing 火星基地", "火星基地"),
    ] {
        group.bench_function(label, |b| {
            b.iter(|| {
                village_reply(&index, base, black_box(words)).render("oFollower", "gh_account", 1)
            })
        });
    }
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
