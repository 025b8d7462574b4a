//! The document that adopted the power list: title, 文号, date and issuer, each checked,
//! so the public page can say which authority's list villagers are reading.

use chrono::{Datelike, NaiveDate};

/// An adoption as recorded: every field present, bounded, one line; the date real and
/// not in the future.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Adoption {
    title: String,
    doc_number: String,
    adopted_on: NaiveDate,
    issuer: String,
}

/// What is wrong with a field: the field's form name and a message in Chinese.
pub type FieldError = (&'static str, String);

fn line(field: &'static str, label: &str, s: &str, max: usize) -> Result<String, FieldError> {
    let s = s.trim();
    if s.is_empty() {
        return Err((field, format!("请填写{label}。")));
    }
    if s.chars().count() > max {
        return Err((field, format!("{label}不能超过{max}个字。")));
    }
    if s.chars().any(char::is_control) {
        return Err((field, format!("{label}只能写一行。")));
    }
    Ok(s.to_owned())
}

impl Adoption {
    /// Checks every field (all errors at once); `today` is China's date.
    pub fn parse(
        title: &str,
        doc_number: &str,
        adopted_on: &str,
        issuer: &str,
        today: NaiveDate,
    ) -> Result<Adoption, Vec<FieldError>> {
        let mut errors = Vec::new();
        let title = line("title", "文件标题", title, 100).map_err(|e| errors.push(e));
        let doc_number = line("doc_number", "文号", doc_number, 50).map_err(|e| errors.push(e));
        let issuer = line("issuer", "印发机关", issuer, 60).map_err(|e| errors.push(e));
        let adopted_on = match NaiveDate::parse_from_str(adopted_on.trim(), "%Y-%m-%d") {
            Ok(d) if d > today => {
                errors.push(("adopted_on", "印发日期不能晚于今天。".into()));
                None
            }
            Ok(d) if d.year() < 2000 => {
                errors.push(("adopted_on", "印发日期应在2000年以后。".into()));
                None
            }
            Ok(d) => Some(d),
            Err(_) => {
                errors.push(("adopted_on", "请按“2026-03-15”的格式填写印发日期。".into()));
                None
            }
        };
        match (title, doc_number, adopted_on, issuer) {
            (Ok(title), Ok(doc_number), Some(adopted_on), Ok(issuer)) if errors.is_empty() => {
                Ok(Adoption {
                    title,
                    doc_number,
                    adopted_on,
                    issuer,
                })
            }
            _ => Err(errors),
        }
    }

    pub fn title(&self) -> &str {
        &self.title
    }
    pub fn doc_number(&self) -> &str {
        &self.doc_number
    }
    pub fn adopted_on(&self) -> NaiveDate {
        self.adopted_on
    }
    pub fn issuer(&self) -> &str {
        &self.issuer
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn today() -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, 12, 2).unwrap()
    }

    #[test]
    fn a_good_adoption_is_kept_trimmed() {
        let a = Adoption::parse(
            " 关于印发《信阳市村级小微权力清单》的通知 ",
            "信纪发〔2021〕5号",
            "2021-03-15",
            "中共信阳市纪委",
            today(),
        )
        .unwrap();
        assert_eq!(a.title(), "关于印发《信阳市村级小微权力清单》的通知");
        assert_eq!(a.adopted_on().to_string(), "2021-03-15");
    }

    #[test]
    fn every_bad_field_is_named_at_once() {
        let e = Adoption::parse("", "x\ny", "2027-01-01", &"长".repeat(61), today()).unwrap_err();
        let fields: Vec<&str> = e.iter().map(|(f, _)| *f).collect();
        assert_eq!(fields, ["title", "doc_number", "issuer", "adopted_on"]);
        let e = Adoption::parse("t", "n", "2021-02-30", "i", today()).unwrap_err();
        assert!(e[0].1.contains("格式"), "{e:?}");
    }
}
