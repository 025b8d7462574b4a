//! What a follower submits, checked field by field. Each bad field gets its own message
//! (in Chinese, shown next to the field); nothing is stored until all are good.

use std::collections::BTreeMap;

use crate::domain::VillageCode;
use crate::domain::photo::{Photo, PhotoError};

pub const MIN_CONTENT_CHARS: usize = 10;
pub const MAX_CONTENT_CHARS: usize = 2000;
pub const MAX_NAME_CHARS: usize = 20;
pub const MAX_PHOTOS: usize = 3;
pub const MAX_PHOTO_BYTES: usize = 5 * 1024 * 1024;

/// The form as received, before any check.
#[derive(Debug, Clone, Default)]
pub struct RawSubmission {
    pub village: String,
    pub category: String,
    pub content: String,
    pub name: String,
    pub phone: String,
    pub anonymous: bool,
    pub photos: Vec<Vec<u8>>,
    /// The disclosure asked about (`123v2`), or empty.
    pub about: String,
}

/// A disclosure and the version of it a complaint asks about, written `123v2` in a
/// link (`?about=123v2`). Whether it is a published disclosure of the complaint's
/// village is checked against the database when the complaint is stored.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DisclosureRef {
    pub disclosure_id: i64,
    pub version: i32,
}

impl DisclosureRef {
    pub fn parse(s: &str) -> Option<DisclosureRef> {
        let (id, version) = s.trim().split_once('v')?;
        let all_digits =
            |t: &str| !t.is_empty() && t.len() <= 18 && t.bytes().all(|b| b.is_ascii_digit());
        if !all_digits(id) || !all_digits(version) {
            return None;
        }
        let disclosure_id = id.parse().ok().filter(|n: &i64| *n > 0)?;
        let version = version.parse().ok().filter(|n: &i32| *n > 0)?;
        Some(DisclosureRef {
            disclosure_id,
            version,
        })
    }

    /// As a link writes it: `123v2`.
    pub fn as_param(&self) -> String {
        format!("{}v{}", self.disclosure_id, self.version)
    }
}

/// A mainland mobile number (11 digits starting 13–19).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MobileNumber(String);

impl MobileNumber {
    /// Accepts the usual ways of writing one: spaces, dashes, a +86 or 86 prefix.
    pub fn parse(s: &str) -> Option<MobileNumber> {
        let digits: String = s
            .chars()
            .filter(|c| !matches!(c, ' ' | '-' | '　'))
            .collect();
        let digits = digits
            .strip_prefix("+86")
            .or_else(|| digits.strip_prefix("86").filter(|d| d.len() == 11))
            .unwrap_or(&digits);
        let ok = digits.len() == 11
            && digits.bytes().all(|b| b.is_ascii_digit())
            && digits.starts_with('1')
            && matches!(digits.as_bytes().get(1), Some(b'3'..=b'9'));
        ok.then(|| MobileNumber(digits.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// 138****5678, for anywhere the full number is not needed.
    pub fn masked(&self) -> String {
        let head: String = self.0.chars().take(3).collect();
        let tail: String = self.0.chars().skip(7).collect();
        format!("{head}****{tail}")
    }
}

/// Who the complainant says they are.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Complainant {
    /// 匿名: no name and no number are kept.
    Anonymous,
    /// 实名: a name and/or a number, both optional.
    Named {
        name: Option<String>,
        phone: Option<MobileNumber>,
    },
}

/// A submission whose every field is valid. The category is checked against the
/// current category list by the caller (categories are data).
#[derive(Debug, Clone)]
pub struct NewComplaint {
    pub village: VillageCode,
    pub category: String,
    pub content: String,
    pub complainant: Complainant,
    pub photos: Vec<Photo>,
    /// The disclosure the complaint asks about, when opened from one.
    pub about: Option<DisclosureRef>,
}

/// Messages per field name, in the order of the form.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FieldErrors(pub BTreeMap<&'static str, String>);

impl FieldErrors {
    pub fn add(&mut self, field: &'static str, message: impl Into<String>) {
        self.0.entry(field).or_insert_with(|| message.into());
    }

    pub fn get(&self, field: &str) -> Option<&str> {
        self.0.get(field).map(String::as_str)
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

/// Checks every field; `categories` are the codes currently offered. Photos are decoded
/// and encoded again without their metadata ([`Photo::clean`]), which is CPU work: call
/// this off the async threads.
pub fn parse(raw: RawSubmission, categories: &[String]) -> Result<NewComplaint, FieldErrors> {
    let mut errors = FieldErrors::default();
    let village = VillageCode::parse(raw.village.trim())
        .map_err(|_| errors.add("village", "请选择被反映的村（社区）"))
        .ok();
    let category = raw.category.trim().to_owned();
    if !categories.contains(&category) {
        errors.add("category", "请选择问题类别");
    }
    let content = raw.content.trim().to_owned();
    let chars = content.chars().count();
    if chars < MIN_CONTENT_CHARS {
        errors.add(
            "content",
            format!("请把问题写清楚，至少{MIN_CONTENT_CHARS}个字"),
        );
    } else if chars > MAX_CONTENT_CHARS {
        errors.add(
            "content",
            format!("内容最多{MAX_CONTENT_CHARS}个字，现在有{chars}个字"),
        );
    }
    let name = raw.name.trim();
    let phone = raw.phone.trim();
    let complainant = if raw.anonymous {
        if !name.is_empty() || !phone.is_empty() {
            errors.add(
                "anonymous",
                "选择匿名时请不要填写姓名和电话；如愿留下联系方式，请选择实名",
            );
        }
        Complainant::Anonymous
    } else {
        let name = (!name.is_empty()).then(|| name.to_owned());
        if let Some(n) = &name
            && (n.chars().count() > MAX_NAME_CHARS
                || n.chars().any(|c| c.is_control() || c.is_ascii_digit()))
        {
            errors.add("name", format!("姓名最多{MAX_NAME_CHARS}个字，不含数字"));
        }
        let phone = if phone.is_empty() {
            None
        } else {
            let parsed = MobileNumber::parse(phone);
            if parsed.is_none() {
                errors.add("phone", "请填写11位手机号码，如 13812345678");
            }
            parsed
        };
        Complainant::Named { name, phone }
    };
    let about = match raw.about.trim() {
        "" => None,
        given => {
            let parsed = DisclosureRef::parse(given);
            if parsed.is_none() {
                errors.add(
                    "about",
                    "所疑问的公开事项无法识别，请回到那条公开，点“对这条公开有疑问”重新进入",
                );
            }
            parsed
        }
    };
    let mut photos = Vec::new();
    let uploaded: Vec<Vec<u8>> = raw.photos.into_iter().filter(|p| !p.is_empty()).collect();
    if uploaded.len() > MAX_PHOTOS {
        errors.add("photos", format!("最多上传{MAX_PHOTOS}张照片"));
    }
    for bytes in uploaded.into_iter().take(MAX_PHOTOS) {
        if bytes.len() > MAX_PHOTO_BYTES {
            errors.add("photos", "每张照片不能超过5MB");
            continue;
        }
        match Photo::clean(&bytes) {
            Ok(p) => photos.push(p),
            Err(PhotoError::NotAPicture) => errors.add("photos", "照片只能是JPG或PNG图片"),
            Err(PhotoError::Unreadable(_)) => {
                errors.add("photos", "有一张照片无法打开，请换一张再提交")
            }
            Err(PhotoError::TooLarge) => errors.add("photos", "照片像素太大，请换一张再提交"),
        }
    }
    match village {
        Some(village) if errors.is_empty() => Ok(NewComplaint {
            village,
            category,
            content,
            complainant,
            photos,
            about,
        }),
        _ => Err(errors),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn categories() -> Vec<String> {
        vec!["sanzi".into(), "other".into()]
    }

    fn good() -> RawSubmission {
        RawSubmission {
            village: "411503209202".into(),
            category: "sanzi".into(),
            content: "村集体鱼塘承包费去向不明，请核查。".into(),
            name: "张三".into(),
            phone: "138 1234 5678".into(),
            anonymous: false,
            photos: vec![],
            about: String::new(),
        }
    }

    #[test]
    fn a_good_submission_parses() {
        let c = parse(good(), &categories()).unwrap();
        assert_eq!(c.village.as_str(), "411503209202");
        let Complainant::Named { name, phone } = c.complainant else {
            panic!()
        };
        assert_eq!(name.as_deref(), Some("张三"));
        assert_eq!(phone.unwrap().as_str(), "13812345678");
    }

    #[test]
    fn each_bad_field_gets_its_own_message() {
        let raw = RawSubmission {
            village: "4115".into(),
            category: "nope".into(),
            content: "太短".into(),
            name: "张3".into(),
            phone: "12345".into(),
            anonymous: false,
            photos: vec![b"GIF89a".to_vec()],
            about: "12x".into(),
        };
        let errors = parse(raw, &categories()).unwrap_err();
        for field in [
            "village", "category", "content", "name", "phone", "photos", "about",
        ] {
            assert!(errors.get(field).is_some(), "{field}: {errors:?}");
        }
    }

    #[test]
    fn a_disclosure_reference_reads_id_v_version_and_nothing_else() {
        assert_eq!(
            DisclosureRef::parse("12v3"),
            Some(DisclosureRef {
                disclosure_id: 12,
                version: 3
            })
        );
        assert_eq!(DisclosureRef::parse("12v3").unwrap().as_param(), "12v3");
        for bad in [
            "",
            "12",
            "v3",
            "12v",
            "0v1",
            "12v0",
            "-1v2",
            "12v3v4",
            "1 2v3",
            "12v99999999999",
        ] {
            assert_eq!(DisclosureRef::parse(bad), None, "{bad}");
        }
        let mut raw = good();
        raw.about = "7v2".into();
        assert_eq!(
            parse(raw, &categories()).unwrap().about,
            DisclosureRef::parse("7v2")
        );
    }

    #[test]
    fn anonymous_means_no_name_and_no_number() {
        let mut raw = good();
        raw.anonymous = true;
        assert!(
            parse(raw.clone(), &categories())
                .unwrap_err()
                .get("anonymous")
                .is_some()
        );
        raw.name.clear();
        raw.phone.clear();
        assert_eq!(
            parse(raw, &categories()).unwrap().complainant,
            Complainant::Anonymous
        );
    }

    #[test]
    fn photos_are_checked_by_content_and_size() {
        let jpeg = crate::domain::photo::testing::jpeg_with_gps(8, 4);
        let mut png = Vec::new();
        image::DynamicImage::new_rgb8(4, 4)
            .write_to(&mut std::io::Cursor::new(&mut png), image::ImageFormat::Png)
            .unwrap();
        let mut raw = good();
        raw.photos = vec![jpeg.clone(), png, vec![]];
        let c = parse(raw.clone(), &categories()).unwrap();
        assert_eq!(c.photos.len(), 2);
        assert_eq!(c.photos[1].content_type(), "image/png");
        raw.photos = vec![jpeg.clone(), jpeg.clone(), jpeg.clone(), jpeg.clone()];
        assert!(parse(raw.clone(), &categories()).is_err());
        let mut big = jpeg;
        big.resize(MAX_PHOTO_BYTES + 1, 0);
        raw.photos = vec![big];
        assert!(parse(raw, &categories()).is_err());
    }

    #[test]
    fn mobile_numbers_in_common_spellings() {
        for ok in [
            "13812345678",
            "+86 138-1234-5678",
            "8613812345678",
            "199 1234 5678",
        ] {
            assert_eq!(
                MobileNumber::parse(ok).map(|m| m.0),
                Some(ok_digits(ok)),
                "{ok}"
            );
        }
        for bad in ["12812345678", "1381234567", "138123456789", "abc"] {
            assert!(MobileNumber::parse(bad).is_none(), "{bad}");
        }
        assert_eq!(
            MobileNumber::parse("13812345678").unwrap().masked(),
            "138****5678"
        );
    }

    fn ok_digits(s: &str) -> String {
        let d: String = s.chars().filter(char::is_ascii_digit).collect();
        d.strip_prefix("86")
            .filter(|x| x.len() == 11)
            .unwrap_or(&d)
            .to_owned()
    }
}
