//! 监察建议书: what a recommendation is made of, parsed from staff forms so that an
//! invalid one cannot exist; and how a typical case's text is anonymised for the draft.

use chrono::NaiveDate;

use crate::analysis::Topic;
use crate::domain::RegionCode;

pub const MAX_TITLE_CHARS: usize = 100;
pub const MAX_DEPARTMENT_CHARS: usize = 100;
pub const MAX_NOTE_CHARS: usize = 500;
pub const MAX_RESULT_CHARS: usize = 2000;
/// The longest period a draft may cover.
pub const MAX_PERIOD_DAYS: i64 = 366;

/// The subject of a draft: a topic (not 其他), a region and a period.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Subject {
    pub topic: Topic,
    pub region: RegionCode,
    pub from: NaiveDate,
    pub to: NaiveDate,
}

/// A recommendation sent: its subject and where and when it went.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Sent {
    pub subject: Subject,
    pub title: String,
    pub department: String,
    pub sent_on: NaiveDate,
    pub rectify_by: NaiveDate,
}

/// Field → message, in Chinese, for the form.
pub type Problems = Vec<(&'static str, String)>;

fn date(raw: &str, field: &'static str, label: &str, out: &mut Problems) -> Option<NaiveDate> {
    let raw = raw.trim();
    if raw.is_empty() {
        out.push((field, format!("请填写{label}。")));
        return None;
    }
    match NaiveDate::parse_from_str(raw, "%Y-%m-%d") {
        Ok(d) => Some(d),
        Err(_) => {
            out.push((field, format!("{label}应形如 2026-12-01。")));
            None
        }
    }
}

/// One line of text, 1 to `max` characters, no control characters.
fn line(raw: &str, field: &'static str, label: &str, max: usize, out: &mut Problems) -> String {
    let s = raw.trim();
    if s.is_empty() {
        out.push((field, format!("请填写{label}。")));
    } else if s.chars().count() > max {
        out.push((field, format!("{label}最多{max}个字。")));
    } else if s.chars().any(char::is_control) {
        out.push((field, format!("{label}不能含有换行或控制字符。")));
    }
    s.to_owned()
}

/// Text of 1 to `max` characters; line breaks allowed.
pub fn text(raw: &str, field: &'static str, label: &str, max: usize) -> Result<String, Problems> {
    let s = raw.trim();
    let mut out = Problems::new();
    if s.is_empty() {
        out.push((field, format!("请填写{label}。")));
    } else if s.chars().count() > max {
        out.push((field, format!("{label}最多{max}个字。")));
    } else if s.chars().any(|c| c.is_control() && c != '\n' && c != '\r') {
        out.push((field, format!("{label}不能含有控制字符。")));
    }
    if out.is_empty() {
        Ok(s.replace("\r\n", "\n"))
    } else {
        Err(out)
    }
}

impl Subject {
    pub fn parse(topic: &str, region: &str, from: &str, to: &str) -> Result<Subject, Problems> {
        let mut out = Problems::new();
        let topic = match Topic::parse(topic.trim()) {
            Some(Topic::Other) | None => {
                out.push((
                    "topic",
                    "请选择问题类别（“其他”不能作为建议书的类别）。".to_owned(),
                ));
                None
            }
            Some(t) => Some(t),
        };
        let region = match RegionCode::parse(region.trim()) {
            Ok(r) => Some(r),
            Err(_) => {
                out.push(("region", "地区代码应为6、9或12位数字。".to_owned()));
                None
            }
        };
        let from = date(from, "from", "起始日期", &mut out);
        let to = date(to, "to", "截止日期", &mut out);
        if let (Some(f), Some(t)) = (from, to) {
            if t < f {
                out.push(("to", "截止日期不能早于起始日期。".to_owned()));
            } else if (t - f).num_days() > MAX_PERIOD_DAYS {
                out.push(("to", "统计期间最长一年。".to_owned()));
            }
        }
        match (topic, region, from, to) {
            (Some(topic), Some(region), Some(from), Some(to)) if out.is_empty() => Ok(Subject {
                topic,
                region,
                from,
                to,
            }),
            _ => Err(out),
        }
    }
}

/// The raw fields of the "send" form.
#[derive(Debug, Clone, Default, serde::Deserialize)]
pub struct RawSent {
    pub topic: String,
    pub region: String,
    pub from: String,
    pub to: String,
    pub title: String,
    pub department: String,
    pub sent_on: String,
    pub rectify_by: String,
}

impl Sent {
    pub fn parse(raw: &RawSent) -> Result<Sent, Problems> {
        let subject = Subject::parse(&raw.topic, &raw.region, &raw.from, &raw.to);
        let mut out = subject.as_ref().err().cloned().unwrap_or_default();
        let title = line(&raw.title, "title", "标题", MAX_TITLE_CHARS, &mut out);
        let department = line(
            &raw.department,
            "department",
            "送达单位",
            MAX_DEPARTMENT_CHARS,
            &mut out,
        );
        let sent_on = date(&raw.sent_on, "sent_on", "送达日期", &mut out);
        let rectify_by = date(&raw.rectify_by, "rectify_by", "整改期限", &mut out);
        if let (Some(s), Some(r)) = (sent_on, rectify_by)
            && r < s
        {
            out.push(("rectify_by", "整改期限不能早于送达日期。".to_owned()));
        }
        match (subject, sent_on, rectify_by) {
            (Ok(subject), Some(sent_on), Some(rectify_by)) if out.is_empty() => Ok(Sent {
                subject,
                title,
                department,
                sent_on,
                rectify_by,
            }),
            _ => Err(out),
        }
    }
}

/// A milestone: when, and what happened.
pub fn milestone(happened_on: &str, note: &str) -> Result<(NaiveDate, String), Problems> {
    let mut out = Problems::new();
    let day = date(happened_on, "happened_on", "日期", &mut out);
    let note = match text(note, "note", "进展", MAX_NOTE_CHARS) {
        Ok(n) => Some(n),
        Err(p) => {
            out.extend(p);
            None
        }
    };
    match (day, note) {
        (Some(d), Some(n)) if out.is_empty() => Ok((d, n)),
        _ => Err(out),
    }
}

/// Common surnames: a name is such a character and one or two more next to a title.
const SURNAMES: &str = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤";
const TITLES: [&str; 10] = [
    "书记", "支书", "主任", "村长", "会计", "组长", "队长", "乡长", "镇长", "所长",
];

/// A complaint's text as a typical case in a draft: numbers that could be a phone, an
/// ID card or an account become ＊＊＊, and a surname with a title (王书记, 张某某主任,
/// 村长李四) keeps only the title. Village names stay. It is a first pass, not a
/// guarantee: the draft says that a person reads it before it leaves.
pub fn anonymise(text: &str) -> String {
    let chars: Vec<char> = text.chars().collect();
    let mut out = String::new();
    let mut i = 0;
    let is_title_at = |at: usize| -> Option<usize> {
        TITLES.iter().find_map(|t| {
            let t: Vec<char> = t.chars().collect();
            (chars.len() >= at + t.len() && chars[at..at + t.len()] == t[..]).then_some(t.len())
        })
    };
    while i < chars.len() {
        let c = chars[i];
        // A run of 6 or more digits (phones, ID cards, bank cards).
        if c.is_ascii_digit() {
            let end = (i..chars.len())
                .find(|&j| !(chars[j].is_ascii_digit() || chars[j] == 'x' || chars[j] == 'X'))
                .unwrap_or(chars.len());
            if end - i >= 6 {
                out.push_str("＊＊＊");
            } else {
                out.extend(&chars[i..end]);
            }
            i = end;
            continue;
        }
        // Title then a name: 村长李四 → 村长＊＊.
        if let Some(len) = is_title_at(i) {
            out.extend(&chars[i..i + len]);
            i += len;
            if i < chars.len() && SURNAMES.contains(chars[i]) {
                let name_len = (1..=2)
                    .take_while(|k| {
                        chars.get(i + k).is_some_and(|c| {
                            ('\u{4e00}'..='\u{9fff}').contains(c) && is_title_at(i + k).is_none()
                        })
                    })
                    .count();
                // A name's length is unknown: two characters after the surname are
                // masked, erring towards hiding a character too many.
                if name_len >= 1 {
                    out.push_str("＊＊");
                    i += 1 + name_len;
                }
            }
            continue;
        }
        // A surname, up to two characters, then a title: 王书记, 张某某主任.
        if SURNAMES.contains(c)
            && let Some(k) = (1..=3).find(|&k| is_title_at(i + k).is_some())
        {
            out.push('＊');
            i += k;
            continue;
        }
        out.push(c);
        i += 1;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_subject_needs_a_real_topic_a_region_and_an_ordered_period() {
        assert!(Subject::parse("交通", "411503209", "2026-09-01", "2026-11-30").is_ok());
        let e = Subject::parse("其他", "41150", "2026-13-01", "").unwrap_err();
        let fields: Vec<&str> = e.iter().map(|(f, _)| *f).collect();
        assert_eq!(fields, ["topic", "region", "from", "to"]);
        let e = Subject::parse("交通", "411503", "2026-11-30", "2026-09-01").unwrap_err();
        assert_eq!(e[0].0, "to");
    }

    #[test]
    fn sending_needs_a_department_and_a_deadline_after_sending() {
        let raw = RawSent {
            topic: "饮水".into(),
            region: "411503".into(),
            from: "2026-09-01".into(),
            to: "2026-11-30".into(),
            title: "关于农村饮水安全问题的监察建议".into(),
            department: "平桥区水利局".into(),
            sent_on: "2026-12-02".into(),
            rectify_by: "2026-12-01".into(),
        };
        assert_eq!(Sent::parse(&raw).unwrap_err()[0].0, "rectify_by");
        let ok = RawSent {
            rectify_by: "2027-01-31".into(),
            ..raw.clone()
        };
        assert_eq!(Sent::parse(&ok).unwrap().department, "平桥区水利局");
        let bad = RawSent {
            department: " ".into(),
            title: "x\u{7}".into(),
            ..ok
        };
        let fields: Vec<&str> = Sent::parse(&bad)
            .unwrap_err()
            .iter()
            .map(|(f, _)| *f)
            .collect();
        assert_eq!(fields, ["title", "department"]);
    }

    #[test]
    fn a_typical_case_loses_numbers_and_names_but_keeps_the_village() {
        assert_eq!(
            anonymise("王岗村的王书记不管事 电话13812345678 村长李四也不接"),
            "王岗村的＊书记不管事 电话＊＊＊ 村长＊＊不接"
        );
        assert_eq!(anonymise("身份证41150319800101123X"), "身份证＊＊＊");
        assert_eq!(anonymise("修了3天 花了2000元"), "修了3天 花了2000元");
    }
}
