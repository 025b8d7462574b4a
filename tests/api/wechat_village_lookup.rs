//! Finding a village by replying its name, over the real 信阳市 data.

use crate::support::spawn_app;
use crate::support::wechat::{article_of, text, text_of};

/// The village links of a list reply, in order.
fn links(content: &str) -> Vec<&str> {
    content
        .split("<a href=\"http://cunwu.test/v/")
        .skip(1)
        .filter_map(|s| s.get(..12))
        .collect()
}

#[tokio::test]
async fn a_name_shared_by_seven_villages_lists_them_with_township_and_county() {
    let app = spawn_app().await;
    for words in ["王岗", "王岗村"] {
        let content = text_of(app.wechat(&text("oLookup", words)).await);
        assert!(content.starts_with("找到 "), "{content}");
        assert!(content.contains(&format!("个“{words}”")), "{content}");
        let codes = links(&content);
        assert!(codes.len() >= 7 && codes.len() <= 10, "{content}");
        // The seven 王岗村 come first, each told apart by its places.
        let lines: Vec<&str> = content.lines().filter(|l| l.contains("<a href")).collect();
        let wanggang: Vec<&&str> = lines.iter().take(7).collect();
        assert!(
            wanggang.iter().all(|l| l.ends_with("王岗村</a>")),
            "{content}"
        );
        let mut places: Vec<String> = wanggang
            .iter()
            .map(|l| l.split('>').nth(1).unwrap().to_owned())
            .collect();
        places.sort();
        places.dedup();
        assert_eq!(places.len(), 7, "{content}");
        assert!(content.contains("加上乡镇或县区"), "{content}");
    }
}

#[tokio::test]
async fn township_and_village_narrow_it_to_one_news_reply() {
    let app = spawn_app().await;
    for (words, title, code) in [
        ("青山镇王岗", "罗山县青山镇王岗村", "411521106200"),
        ("青山王岗村", "罗山县青山镇王岗村", "411521106200"),
        ("平桥区王岗乡王岗村", "平桥区王岗乡王岗村", "411503209202"),
        ("411503209202", "平桥区王岗乡王岗村", "411503209202"),
        (
            "４１１５０３２０９２０２",
            "平桥区王岗乡王岗村",
            "411503209202",
        ),
    ] {
        let (got_title, url) = article_of(app.wechat(&text("oLookup", words)).await);
        assert_eq!(got_title, title, "{words}");
        assert_eq!(url, format!("http://cunwu.test/v/{code}"), "{words}");
    }
}

#[tokio::test]
async fn a_county_before_the_name_keeps_only_its_villages() {
    let app = spawn_app().await;
    // Six 张庄 villages in 信阳市, two of them in 平桥区.
    let content = text_of(app.wechat(&text("oLookup", "张庄")).await);
    assert!(
        links(&content).iter().any(|c| !c.starts_with("411503")),
        "{content}"
    );
    let content = text_of(app.wechat(&text("oLookup", "平桥区张庄")).await);
    assert_eq!(
        links(&content),
        ["411503101223", "411503203205"],
        "{content}"
    );
    // 平桥区 has one 王岗村 (in 王岗乡): straight to it.
    let (title, _) = article_of(app.wechat(&text("oLookup", "平桥区王岗")).await);
    assert_eq!(title, "平桥区王岗乡王岗村");
}

#[tokio::test]
async fn a_misspelt_name_gets_the_nearest_names_and_nonsense_gets_help() {
    let app = spawn_app().await;
    let content = text_of(app.wechat(&text("oLookup", "南王刚村")).await);
    assert!(
        content.starts_with("没有找到“南王刚村”。您要找的是不是"),
        "{content}"
    );
    assert!(
        content
            .contains("1. <a href=\"http://cunwu.test/v/411522215215\">光山县文殊乡南王岗村</a>"),
        "{content}"
    );
    let content = text_of(app.wechat(&text("oLookup", "火星基地")).await);
    assert!(content.contains("没有找到“火星基地”"), "{content}");
    let content = text_of(app.wechat(&text("oLookup", "411599999999")).await);
    assert!(
        content.contains("没有代码为 411599999999 的村"),
        "{content}"
    );
}
