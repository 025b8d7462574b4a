//! Which handler answers which message: one ordered table of rules, tried top to
//! bottom, the first match answers. This table is the account's whole conversational
//! behaviour; read it here, change it here.

use super::handlers::Handler;
use super::inbound::{EventKind, Inbound, InboundMessage, MessageKind};
use crate::domain::complaint::TrackingNumber;

/// What a rule looks at.
#[derive(Debug, Clone, Copy)]
pub enum When {
    /// Any event of this kind.
    Event(EventKind),
    /// A menu `click` with this key (a key of `menu.json`).
    Click(&'static str),
    /// Words: a text's content or a voice message's recognised speech.
    Words(Words),
    /// Any message of this kind (after the word rules have had their turn).
    Message(MessageKind),
    /// A message type or event this service does not know.
    Unknown,
    /// Everything.
    Any,
}

/// How a rule reads the words.
#[derive(Debug, Clone, Copy)]
pub enum Words {
    /// The whole message is one of these (spaces, punctuation and case aside).
    Is(&'static [&'static str]),
    /// The message mentions one of these.
    Mentions(&'static [&'static str]),
    /// A test of our own.
    Matches(fn(&str) -> bool),
}

/// One row of the table.
#[derive(Debug, Clone, Copy)]
pub struct Rule {
    pub when: When,
    pub then: Handler,
}

const fn rule(when: When, then: Handler) -> Rule {
    Rule { when, then }
}

/// Keys of the `click` buttons in `menu.json`.
pub mod keys {
    pub const MY_VILLAGE: &str = "MY_VILLAGE";
    pub const FIND_VILLAGE: &str = "FIND_VILLAGE";
    pub const MY_SUPERVISORS: &str = "MY_SUPERVISORS";
    pub const HELP: &str = "HELP";
}

/// The rules, in order.
pub const RULES: &[Rule] = &[
    // Followers come, choose a village, go.
    rule(When::Event(EventKind::Subscribe), Handler::Welcome),
    rule(When::Event(EventKind::Scan), Handler::BindScannedVillage),
    rule(When::Event(EventKind::Unsubscribe), Handler::Farewell),
    // WeChat's reports on what we sent.
    rule(
        When::Event(EventKind::TemplateSendJobFinish),
        Handler::TemplateDelivered,
    ),
    rule(When::Event(EventKind::MassSendJobFinish), Handler::Ignore),
    // The menu (menu.json).
    rule(When::Click(keys::MY_VILLAGE), Handler::MyVillage),
    rule(When::Click(keys::FIND_VILLAGE), Handler::HowToFindVillage),
    rule(When::Click(keys::MY_SUPERVISORS), Handler::MySupervisors),
    rule(When::Click(keys::HELP), Handler::Help),
    rule(When::Event(EventKind::Click), Handler::UnknownClick),
    rule(
        When::Event(EventKind::ScancodeWaitmsg),
        Handler::FindScannedVillage,
    ),
    // Words, most specific first: a tracking number or 进度 before 投诉.
    rule(
        When::Words(Words::Matches(asks_about_a_complaint)),
        Handler::MyComplaints,
    ),
    rule(
        When::Words(Words::Mentions(&["投诉", "举报", "建议", "反映"])),
        Handler::Complain,
    ),
    rule(
        When::Words(Words::Is(&[
            "帮助", "?", "help", "菜单", "你好", "您好", "hi", "hello", "在吗",
        ])),
        Handler::Help,
    ),
    // The evening pushes of what the follower's village published: off and on. Before
    // the place names: 订阅 is short enough to be one.
    rule(
        When::Words(Words::Is(&["退订", "取消订阅", "取消推送", "TD"])),
        Handler::StopVillagePushes,
    ),
    rule(
        When::Words(Words::Is(&["订阅", "开启推送", "恢复推送"])),
        Handler::StartVillagePushes,
    ),
    // The day's checkpoint of the transparency log, so anyone can note it down.
    rule(
        When::Words(Words::Is(&["存证", "存证日志", "透明日志"])),
        Handler::LogCheckpoint,
    ),
    rule(
        When::Words(Words::Matches(could_be_a_place_name)),
        Handler::FindVillage,
    ),
    rule(When::Words(Words::Matches(|_| true)), Handler::Acknowledge),
    // Pictures, speech WeChat could not read, files, links and places.
    rule(When::Message(MessageKind::Image), Handler::MediaNotHandled),
    rule(When::Message(MessageKind::Voice), Handler::MediaNotHandled),
    rule(When::Message(MessageKind::Video), Handler::MediaNotHandled),
    rule(
        When::Message(MessageKind::ShortVideo),
        Handler::MediaNotHandled,
    ),
    rule(When::Message(MessageKind::File), Handler::MediaNotHandled),
    rule(When::Message(MessageKind::Link), Handler::MediaNotHandled),
    rule(When::Message(MessageKind::Location), Handler::Help),
    rule(When::Unknown, Handler::LogUnknown),
    // LOCATION reports, VIEW and mini-program taps, scancode_push, pictures and places
    // picked from the menu: nothing to say.
    rule(When::Any, Handler::Ignore),
];

/// The handler for a message: the first rule that matches.
pub fn route(message: &InboundMessage) -> Handler {
    RULES
        .iter()
        .find(|r| matches(r.when, &message.kind))
        .map_or(Handler::Ignore, |r| r.then)
}

/// The `click` keys the router answers; `sunvillage menu check` requires every click
/// key of `menu.json` to be one of them.
pub fn click_keys() -> Vec<&'static str> {
    RULES
        .iter()
        .filter_map(|r| match r.when {
            When::Click(key) => Some(key),
            _ => None,
        })
        .collect()
}

fn matches(when: When, kind: &Inbound) -> bool {
    match when {
        When::Event(k) => kind.event().is_some_and(|e| e.kind() == k),
        When::Click(key) => {
            matches!(kind.event(), Some(super::inbound::Event::Click { key: k }) if k == key)
        }
        When::Words(words) => kind.words().is_some_and(|w| words_match(words, w)),
        When::Message(k) => kind.message_kind() == Some(k),
        When::Unknown => matches!(kind, Inbound::Unknown { .. }),
        When::Any => true,
    }
}

fn words_match(words: Words, text: &str) -> bool {
    match words {
        Words::Is(options) => options.iter().any(|o| squeezed(o).eq(squeezed(text))),
        Words::Mentions(options) => options.iter().any(|o| text.contains(o)),
        Words::Matches(test) => test(text),
    }
}

/// Lower case, without spaces or punctuation (full-width `？` becomes `?`).
pub fn squeeze(text: &str) -> String {
    squeezed(text).collect()
}

/// [`squeeze`]'s characters, for comparing without building the string: every text a
/// follower sends is compared with each keyword.
fn squeezed(text: &str) -> impl Iterator<Item = char> + '_ {
    text.chars().filter_map(|c| match c {
        '？' => Some('?'),
        '?' => Some('?'),
        c if c.is_whitespace() || c.is_ascii_punctuation() => None,
        '。' | '，' | '！' | '、' | '：' | '；' | '·' | '～' => None,
        c => Some(c.to_ascii_lowercase()),
    })
}

/// 进度, 查询投诉, or a complaint tracking number such as `XY-20261128-0042`.
pub fn asks_about_a_complaint(text: &str) -> bool {
    text.contains("进度") || text.contains("查询投诉") || find_tracking_number(text).is_some()
}

/// The first complaint tracking number in `text`, upper-cased (`XY-20261128-0042`).
/// The shape is `domain::complaint::TrackingNumber`'s, the one place that defines it.
pub fn find_tracking_number(text: &str) -> Option<String> {
    TrackingNumber::find_in(text).map(|n| n.to_string())
}

/// Short enough to be a village, township or county name with its places (the longest
/// official name has 31 characters), or a code.
pub fn could_be_a_place_name(text: &str) -> bool {
    let n = squeezed(text).take(33).count();
    (1..=32).contains(&n)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::wechat::webhook::inbound::parse;

    fn text(content: &str) -> InboundMessage {
        parse(&format!(
            "<xml><ToUserName>gh</ToUserName><FromUserName>o1</FromUserName><CreateTime>1</CreateTime>\
             <MsgType>text</MsgType><Content><![CDATA[{content}]]></Content><MsgId>1</MsgId></xml>"
        ))
        .unwrap()
    }

    fn event(name: &str, key: &str) -> InboundMessage {
        parse(&format!(
            "<xml><ToUserName>gh</ToUserName><FromUserName>o1</FromUserName><CreateTime>1</CreateTime>\
             <MsgType>event</MsgType><Event>{name}</Event><EventKey><![CDATA[{key}]]></EventKey>\
             <MsgID>5</MsgID><Status>success</Status><Latitude>1</Latitude><Longitude>1</Longitude>\
             <Precision>1</Precision><ScanCodeInfo><ScanType>qrcode</ScanType><ScanResult>x</ScanResult></ScanCodeInfo></xml>"
        ))
        .unwrap()
    }

    #[test]
    fn words_go_to_the_most_specific_rule() {
        for (words, handler) in [
            ("王岗", Handler::FindVillage),
            ("存证", Handler::LogCheckpoint),
            ("平桥区王岗乡王岗村", Handler::FindVillage),
            ("411503209202", Handler::FindVillage),
            ("我要投诉", Handler::Complain),
            ("王岗村的账目不公开，我要举报", Handler::Complain),
            ("有个建议", Handler::Complain),
            ("进度", Handler::MyComplaints),
            ("我的投诉进度怎么样了", Handler::MyComplaints),
            ("xy-20261128-0042", Handler::MyComplaints),
            ("投诉 XY-20261128-0042", Handler::MyComplaints),
            ("帮助", Handler::Help),
            ("？", Handler::Help),
            (" Help ", Handler::Help),
            (&"很长的一段话".repeat(10), Handler::Acknowledge),
        ] {
            assert_eq!(route(&text(words)), handler, "{words}");
        }
    }

    #[test]
    fn events_and_clicks_go_to_their_rules() {
        for (name, key, handler) in [
            ("subscribe", "", Handler::Welcome),
            ("subscribe", "qrscene_411503209202", Handler::Welcome),
            ("SCAN", "411503209202", Handler::BindScannedVillage),
            ("unsubscribe", "", Handler::Farewell),
            ("TEMPLATESENDJOBFINISH", "", Handler::TemplateDelivered),
            ("MASSSENDJOBFINISH", "", Handler::Ignore),
            ("CLICK", "MY_VILLAGE", Handler::MyVillage),
            ("CLICK", "FIND_VILLAGE", Handler::HowToFindVillage),
            ("CLICK", "MY_SUPERVISORS", Handler::MySupervisors),
            ("CLICK", "HELP", Handler::Help),
            ("CLICK", "NO_SUCH_KEY", Handler::UnknownClick),
            ("VIEW", "http://x/power", Handler::Ignore),
            ("LOCATION", "", Handler::Ignore),
            ("scancode_waitmsg", "scan", Handler::FindScannedVillage),
            ("scancode_push", "scan", Handler::Ignore),
            ("kf_create_session", "", Handler::LogUnknown),
        ] {
            assert_eq!(route(&event(name, key)), handler, "{name} {key}");
        }
    }

    #[test]
    fn tracking_numbers_are_found_anywhere_in_the_words() {
        assert_eq!(
            find_tracking_number("查一下xy-20261128-0042谢谢").as_deref(),
            Some("XY-20261128-0042")
        );
        assert_eq!(
            find_tracking_number("编号 sy-20261128-12345").as_deref(),
            Some("SY-20261128-12345")
        );
        assert_eq!(find_tracking_number("XY-2026112-0042"), None);
        assert_eq!(find_tracking_number("XY-20261128-042"), None);
        assert_eq!(find_tracking_number("王岗"), None);
    }

    #[test]
    fn every_click_key_of_menu_json_has_a_rule_and_every_rule_key_is_in_the_menu() {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("menu.json");
        let menu: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
        let mut in_menu = Vec::new();
        for top in menu["button"].as_array().unwrap() {
            let subs = top["sub_button"].as_array().cloned().unwrap_or_default();
            for b in std::iter::once(top.clone()).chain(subs) {
                if b["type"] == "click" {
                    in_menu.push(b["key"].as_str().unwrap().to_owned());
                }
            }
        }
        let handled = click_keys();
        for key in &in_menu {
            assert!(
                handled.contains(&key.as_str()),
                "menu.json key {key} has no rule"
            );
        }
        for key in handled {
            assert!(
                in_menu.iter().any(|k| k == key),
                "rule key {key} is not in menu.json"
            );
        }
    }
}
