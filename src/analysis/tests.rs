//! The shipped model against the shipped data: it is what training gives, it scores
//! what docs/analysis.md says, and its answers keep the decision rule's promises.

use std::collections::BTreeSet;

use super::eval::Evaluation;
use super::labelled::{self, Labelled};
use super::*;

const TRAIN: &str = include_str!("../../tests/data/topics-train.csv");
const TEST: &str = include_str!("../../tests/data/topics-test.csv");

fn read(csv: &str) -> Vec<Labelled> {
    labelled::read(csv.as_bytes()).unwrap()
}

fn evaluate(set: &[Labelled]) -> Evaluation {
    Classifier::builtin().unwrap().evaluate(set)
}

#[test]
fn the_committed_model_is_what_training_on_the_committed_set_gives() {
    let model = train_builtin(&read(TRAIN)).unwrap();
    // Compared line by line so a drift names the first feature that moved.
    let fresh = model.to_text();
    for (n, (a, b)) in fresh.lines().zip(model::BUILTIN_MODEL.lines()).enumerate() {
        assert_eq!(
            a,
            b,
            "line {}: run `sunvillage classify --train` and commit data/analysis/model.tsv",
            n + 1
        );
    }
    assert_eq!(fresh.lines().count(), model::BUILTIN_MODEL.lines().count());
}

#[test]
fn the_test_split_scores_a_macro_f1_of_at_least_0_90() {
    let e = evaluate(&read(TEST));
    assert!(e.macro_f1() >= 0.90, "{}", e.report());
}

#[test]
fn no_test_message_is_also_a_training_message() {
    let train: BTreeSet<String> = read(TRAIN).into_iter().map(|m| m.text).collect();
    let test = read(TEST);
    assert!(
        test.len() * 5 >= (train.len() + test.len()),
        "the test split is under 20 %"
    );
    for m in &test {
        assert!(
            !train.contains(&m.text),
            "line {} of the test split is in the training split",
            m.line
        );
    }
}

#[test]
fn every_answer_keeps_the_rule_one_or_two_topics_and_other_only_alone() {
    let classifier = Classifier::builtin().unwrap();
    for m in read(TEST) {
        let c = classifier.classify(&m.text);
        if c.needs_review {
            assert!(c.topics.is_empty());
        } else {
            assert!((1..=2).contains(&c.topics.len()), "{}", m.text);
            assert!(c.topics.len() == 1 || c.topics.iter().all(|t| t.topic != Topic::Other));
            assert!(c.topics[0].confidence >= classifier.model().params().review_threshold);
            assert_eq!(c.topics[0].topic, c.best_guess.topic);
        }
    }
}

#[test]
fn a_homophone_slip_is_classified_with_the_sound_as_a_reason() {
    let c = classify("俺家的低包咋停了").unwrap();
    assert_eq!(c.summary(), "社保");
    let reasons: Vec<String> = c.topics[0]
        .reasons
        .iter()
        .map(ToString::to_string)
        .collect();
    assert!(
        reasons
            .iter()
            .any(|r| r.contains("低保(关键词)") || r.contains("di bao")),
        "{reasons:?}"
    );
}

#[test]
fn messages_without_the_obvious_keyword_still_find_their_topic() {
    assert_eq!(classify("一下雨就没法走").unwrap().summary(), "交通");
    assert_eq!(classify("水管子三天木水了").unwrap().summary(), "饮水");
    assert_eq!(
        classify("电压低得电饭锅都煮不熟").unwrap().summary(),
        "用电"
    );
}

#[test]
fn the_text_form_lists_topics_with_confidence_and_reasons() {
    let c = classify("俺家的低包咋停了").unwrap();
    let shown = c.to_string();
    assert!(shown.starts_with("社保 0."), "{shown}");
    let unsure = Classification {
        needs_review: true,
        topics: Vec::new(),
        ..c
    };
    assert!(unsure.to_string().starts_with("待人工分类（最可能：社保"));
}

#[test]
fn a_greeting_is_other() {
    assert_eq!(classify("你好 在吗").unwrap().summary(), "其他");
}

#[test]
fn a_classification_serialises_with_topic_keys() {
    let c = classify("村里的账几年没公开过了").unwrap();
    let json = serde_json::to_value(&c).unwrap();
    assert_eq!(json["topics"][0]["topic"], "三资");
    assert!(json["topics"][0]["reasons"][0]["feature"].is_string());
    assert!(json["probabilities"]["其他"].is_number());
    assert!(json["model"].as_str().unwrap().starts_with("topics-"));
}

#[test]
fn the_decision_rule_adds_a_second_topic_only_when_it_is_close_and_not_other() {
    let params = builtin_params().unwrap();
    let mut p = [0.01; Topic::COUNT];
    p[Topic::Transport.index()] = 0.9;
    p[Topic::Projects.index()] = 0.6;
    assert_eq!(
        decide(&p, &params).topics,
        [Topic::Transport, Topic::Projects]
    );
    p[Topic::Projects.index()] = 0.05;
    assert_eq!(decide(&p, &params).topics, [Topic::Transport]);
    p[Topic::Other.index()] = 0.8;
    assert_eq!(decide(&p, &params).topics, [Topic::Transport]);
    let low = [0.05; Topic::COUNT];
    let d = decide(&low, &params);
    assert!(d.needs_review && d.topics.is_empty());
}
