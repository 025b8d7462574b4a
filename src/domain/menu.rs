//! The account's custom menu (自定义菜单) as WeChat accepts it: at most 3 top-level
//! buttons of at most 5 sub-buttons each, names of at most 16 bytes (top level) or 60
//! bytes (sub-buttons), keys of at most 128 bytes, URLs of at most 1024 bytes, and only
//! the button types WeChat knows. [`Menu::parse`] reports every violation with its path
//! (`button[2].sub_button[1].key`), so `sunvillage menu check` can name them all at once.

use std::collections::BTreeSet;
use std::fmt;

use serde::Serialize;
use serde_json::{Map, Value};

use super::wire::wire_enum;

pub const MAX_TOP_LEVEL: usize = 3;
pub const MAX_SUB_BUTTONS: usize = 5;
/// 一级菜单: "不超过16个字节" (four Chinese characters).
pub const MAX_TOP_NAME_BYTES: usize = 16;
/// 二级菜单: "子菜单不超过60个字节".
pub const MAX_SUB_NAME_BYTES: usize = 60;
pub const MAX_KEY_BYTES: usize = 128;
pub const MAX_URL_BYTES: usize = 1024;
/// media_id, article_id, appid and pagepath: not documented; generous but bounded.
const MAX_ID_BYTES: usize = 256;

/// One broken rule, with the JSON path of the value that breaks it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Violation {
    pub path: String,
    pub message: String,
}

impl fmt::Display for Violation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.path, self.message)
    }
}

/// Every violation found in a menu, in document order.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{} problem(s) in the menu: {}", .0.len(), .0.iter().map(ToString::to_string).collect::<Vec<_>>().join("; "))]
pub struct MenuErrors(pub Vec<Violation>);

/// A menu that WeChat will accept. Only [`Menu::parse`] builds one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Menu {
    buttons: Vec<TopButton>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TopButton {
    /// A top-level button that acts when tapped.
    Action { name: String, action: Action },
    /// A top-level button that opens 1 to 5 sub-buttons.
    Group { name: String, subs: Vec<SubButton> },
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SubButton {
    pub name: String,
    pub action: Action,
}

wire_enum! {
    /// Every `type` WeChat's menu/create accepts, in its documented order.
    #[derive(Debug, Clone, Copy, PartialEq, Eq)]
    pub enum ButtonType {
        /// WeChat sends a CLICK event with the key.
        Click("click"),
        /// Opens an absolute http(s) URL.
        View("view"),
        /// Opens a mini program; `url` is the fallback for old clients.
        Miniprogram("miniprogram"),
        ScancodePush("scancode_push"),
        ScancodeWaitmsg("scancode_waitmsg"),
        PicSysphoto("pic_sysphoto"),
        PicPhotoOrAlbum("pic_photo_or_album"),
        PicWeixin("pic_weixin"),
        LocationSelect("location_select"),
        /// A permanent material.
        MediaId("media_id"),
        ViewLimited("view_limited"),
        /// A published article.
        ArticleId("article_id"),
        ArticleViewLimited("article_view_limited"),
    }
}

wire_enum! {
    /// Every field a button may carry, in menu/create's documented order (the order
    /// [`Menu::to_json`] writes them in).
    #[derive(Debug, Clone, Copy, PartialEq, Eq)]
    pub enum Field {
        Type("type"),
        Name("name"),
        Key("key"),
        Url("url"),
        MediaId("media_id"),
        ArticleId("article_id"),
        Appid("appid"),
        Pagepath("pagepath"),
        SubButton("sub_button"),
    }
}

impl ButtonType {
    /// The fields a button of this type carries besides `type` and `name`; any other is
    /// refused, so a typo cannot silently do nothing.
    pub fn fields(self) -> &'static [Field] {
        use ButtonType::*;
        match self {
            Click | ScancodePush | ScancodeWaitmsg | PicSysphoto | PicPhotoOrAlbum | PicWeixin
            | LocationSelect => &[Field::Key],
            View => &[Field::Url],
            Miniprogram => &[Field::Url, Field::Appid, Field::Pagepath],
            MediaId | ViewLimited => &[Field::MediaId],
            ArticleId | ArticleViewLimited => &[Field::ArticleId],
        }
    }
}

/// What a button does: its type and the values of the fields that type carries.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Action {
    pub kind: ButtonType,
    /// One value per field of `kind.fields()`, in that order; view URLs are absolute.
    values: Vec<(Field, String)>,
}

impl Action {
    /// The value of `field`, when this type carries it.
    pub fn get(&self, field: Field) -> Option<&str> {
        self.values
            .iter()
            .find(|(f, _)| *f == field)
            .map(|(_, v)| v.as_str())
    }
}

/// Collects violations while walking the document.
struct Checker<'a> {
    public_base: &'a str,
    found: Vec<Violation>,
}

impl Checker<'_> {
    fn report(&mut self, path: &str, message: impl Into<String>) {
        self.found.push(Violation {
            path: path.to_owned(),
            message: message.into(),
        });
    }

    /// A required string field, or a reported violation.
    fn string(&mut self, obj: &Map<String, Value>, path: &str, field: &str) -> Option<String> {
        match obj.get(field) {
            Some(Value::String(s)) if !s.trim().is_empty() => Some(s.clone()),
            Some(Value::String(_)) => {
                self.report(&format!("{path}.{field}"), "is empty");
                None
            }
            Some(_) => {
                self.report(&format!("{path}.{field}"), "must be a string");
                None
            }
            None => {
                self.report(path, format!("`{field}` is missing"));
                None
            }
        }
    }

    fn bounded(&mut self, value: String, path: &str, what: &str, max: usize) -> Option<String> {
        if value.len() > max {
            self.report(
                path,
                format!(
                    "{what} is {} bytes; WeChat allows at most {max}",
                    value.len()
                ),
            );
            return None;
        }
        Some(value)
    }

    /// An http(s) URL, or a path (`/power`) made absolute with the public base URL.
    fn url(&mut self, obj: &Map<String, Value>, path: &str, field: &str) -> Option<String> {
        let raw = self.string(obj, path, field)?;
        let here = format!("{path}.{field}");
        let absolute = if raw.starts_with('/') && !raw.starts_with("//") {
            format!("{}{raw}", self.public_base)
        } else {
            raw.clone()
        };
        match url::Url::parse(&absolute) {
            Ok(u) if matches!(u.scheme(), "http" | "https") && u.host().is_some() => {}
            _ => {
                self.report(
                    &here,
                    format!("`{raw}` is neither an http(s) URL nor a path such as /power"),
                );
                return None;
            }
        }
        self.bounded(absolute, &here, "the URL", MAX_URL_BYTES)
    }

    fn name(&mut self, obj: &Map<String, Value>, path: &str, max: usize) -> Option<String> {
        let name = self.string(obj, path, "name")?;
        let here = format!("{path}.name");
        if name.len() > max {
            let level = if max == MAX_TOP_NAME_BYTES {
                "a top-level name"
            } else {
                "a sub-button name"
            };
            self.report(
                &here,
                format!(
                    "\"{name}\" is {} bytes; {level} is at most {max} bytes",
                    name.len()
                ),
            );
            return None;
        }
        Some(name)
    }

    fn unknown_fields(&mut self, obj: &Map<String, Value>, path: &str) {
        for key in obj.keys() {
            if Field::parse(key).is_none() {
                self.report(&format!("{path}.{key}"), "is not a menu button field");
            }
        }
    }

    /// Fields a type does not use are refused, so a typo cannot silently do nothing.
    fn only(&mut self, obj: &Map<String, Value>, path: &str, kind: ButtonType) {
        for key in obj.keys() {
            let Some(field) = Field::parse(key) else {
                continue;
            };
            if ![Field::Type, Field::Name, Field::SubButton].contains(&field)
                && !kind.fields().contains(&field)
            {
                self.report(
                    &format!("{path}.{key}"),
                    format!("a `{}` button does not use `{key}`", kind.as_str()),
                );
            }
        }
    }

    fn action(&mut self, obj: &Map<String, Value>, path: &str) -> Option<Action> {
        let kind = match obj.get("type") {
            Some(Value::String(t)) => t.clone(),
            Some(_) => {
                self.report(&format!("{path}.type"), "must be a string");
                return None;
            }
            None => {
                self.report(path, "`type` is missing (or give it sub_button)");
                return None;
            }
        };
        let Some(kind) = ButtonType::parse(&kind) else {
            let known: Vec<&str> = ButtonType::ALL.iter().map(|t| t.as_str()).collect();
            self.report(
                &format!("{path}.type"),
                format!("`{kind}` is not a menu button type ({})", known.join(", ")),
            );
            return None;
        };
        self.only(obj, path, kind);
        // Every field is read (and its problems reported) before any is missing.
        let values: Vec<Option<(Field, String)>> = kind
            .fields()
            .iter()
            .map(|&field| self.value(obj, path, field).map(|v| (field, v)))
            .collect();
        let values: Option<Vec<(Field, String)>> = values.into_iter().collect();
        Some(Action {
            kind,
            values: values?,
        })
    }

    /// One field of an action, checked against its limit.
    fn value(&mut self, obj: &Map<String, Value>, path: &str, field: Field) -> Option<String> {
        let name = field.as_str();
        match field {
            Field::Url => self.url(obj, path, name),
            Field::Key => {
                let key = self.string(obj, path, name)?;
                self.bounded(key, &format!("{path}.{name}"), "the key", MAX_KEY_BYTES)
            }
            _ => {
                let value = self.string(obj, path, name)?;
                self.bounded(value, &format!("{path}.{name}"), name, MAX_ID_BYTES)
            }
        }
    }

    fn object<'v>(&mut self, value: &'v Value, path: &str) -> Option<&'v Map<String, Value>> {
        match value {
            Value::Object(o) => Some(o),
            _ => {
                self.report(path, "must be an object");
                None
            }
        }
    }

    fn sub_button(&mut self, value: &Value, path: &str) -> Option<SubButton> {
        let obj = self.object(value, path)?;
        self.unknown_fields(obj, path);
        if obj
            .get("sub_button")
            .is_some_and(|s| !matches!(s, Value::Array(a) if a.is_empty()))
        {
            self.report(
                &format!("{path}.sub_button"),
                "sub-buttons cannot have sub-buttons",
            );
        }
        let name = self.name(obj, path, MAX_SUB_NAME_BYTES);
        let action = self.action(obj, path);
        Some(SubButton {
            name: name?,
            action: action?,
        })
    }

    fn top_button(&mut self, value: &Value, path: &str) -> Option<TopButton> {
        let obj = self.object(value, path)?;
        self.unknown_fields(obj, path);
        let name = self.name(obj, path, MAX_TOP_NAME_BYTES);
        let subs = match obj.get("sub_button") {
            None => None,
            Some(Value::Array(a)) if a.is_empty() => None,
            Some(Value::Array(a)) => Some(a),
            Some(_) => {
                self.report(&format!("{path}.sub_button"), "must be an array");
                return None;
            }
        };
        let Some(subs) = subs else {
            let action = self.action(obj, path);
            return Some(TopButton::Action {
                name: name?,
                action: action?,
            });
        };
        for field in Field::ALL {
            if ![Field::Name, Field::SubButton].contains(&field) && obj.contains_key(field.as_str())
            {
                self.report(
                    &format!("{path}.{}", field.as_str()),
                    "a button with sub_button only has a name",
                );
            }
        }
        if subs.len() > MAX_SUB_BUTTONS {
            self.report(
                &format!("{path}.sub_button"),
                format!(
                    "has {} sub-buttons; WeChat allows at most {MAX_SUB_BUTTONS}",
                    subs.len()
                ),
            );
        }
        let parsed: Vec<Option<SubButton>> = subs
            .iter()
            .enumerate()
            .map(|(i, s)| self.sub_button(s, &format!("{path}.sub_button[{i}]")))
            .collect();
        let subs: Option<Vec<SubButton>> = parsed.into_iter().collect();
        Some(TopButton::Group {
            name: name?,
            subs: subs?,
        })
    }
}

impl Menu {
    /// Reads a menu in menu/create's shape (`{"button": [...]}`). View URLs may be paths
    /// (`/power`); they become absolute under `public_base` (no trailing slash), and the
    /// 1024-byte limit applies to the absolute URL.
    pub fn parse(json: &Value, public_base: &str) -> Result<Menu, MenuErrors> {
        let mut c = Checker {
            public_base: public_base.trim_end_matches('/'),
            found: Vec::new(),
        };
        let buttons = match json {
            Value::Object(root) => {
                for key in root.keys() {
                    if key != "button" {
                        c.report(key, "is not a menu field (only `button`)");
                    }
                }
                match root.get("button") {
                    Some(Value::Array(b)) => Some(b),
                    Some(_) => {
                        c.report("button", "must be an array");
                        None
                    }
                    None => {
                        c.report("button", "is missing");
                        None
                    }
                }
            }
            _ => {
                c.report("(root)", "must be an object with a `button` array");
                None
            }
        };
        let mut parsed = Vec::new();
        if let Some(buttons) = buttons {
            if buttons.is_empty() {
                c.report("button", "is empty; a menu has 1 to 3 buttons");
            }
            if buttons.len() > MAX_TOP_LEVEL {
                c.report(
                    "button",
                    format!(
                        "has {} top-level buttons; WeChat allows at most {MAX_TOP_LEVEL}",
                        buttons.len()
                    ),
                );
            }
            for (i, b) in buttons.iter().enumerate() {
                parsed.push(c.top_button(b, &format!("button[{i}]")));
            }
        }
        if !c.found.is_empty() {
            return Err(MenuErrors(c.found));
        }
        let buttons: Option<Vec<TopButton>> = parsed.into_iter().collect();
        match buttons {
            Some(buttons) => Ok(Menu { buttons }),
            // Unreachable: every None above reported a violation.
            None => Err(MenuErrors(vec![Violation {
                path: "(root)".into(),
                message: "is not a valid menu".into(),
            }])),
        }
    }

    pub fn buttons(&self) -> &[TopButton] {
        &self.buttons
    }

    /// Every `click` key with the path of its button, for matching against the router.
    pub fn click_keys(&self) -> Vec<(String, &str)> {
        fn click(action: &Action) -> Option<&str> {
            if action.kind == ButtonType::Click {
                action.get(Field::Key)
            } else {
                None
            }
        }
        let mut out = Vec::new();
        for (i, b) in self.buttons.iter().enumerate() {
            match b {
                TopButton::Action { action, .. } => {
                    if let Some(k) = click(action) {
                        out.push((format!("button[{i}].key"), k));
                    }
                }
                TopButton::Group { subs, .. } => {
                    for (j, s) in subs.iter().enumerate() {
                        if let Some(k) = click(&s.action) {
                            out.push((format!("button[{i}].sub_button[{j}].key"), k));
                        }
                    }
                }
            }
        }
        out
    }

    /// menu/create's body, fields in WeChat's documented order.
    pub fn to_json(&self) -> String {
        let body = CreateBody {
            button: self.buttons.iter().map(ButtonJson::top).collect(),
        };
        // Serialising plain strings and vectors cannot fail.
        serde_json::to_string(&body).unwrap_or_default()
    }
}

/// The click keys the webhook's router answers (`wechat::webhook::router::click_keys`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HandledKeys(BTreeSet<String>);

impl HandledKeys {
    pub fn new<I, S>(keys: I) -> HandledKeys
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        HandledKeys(keys.into_iter().map(Into::into).collect())
    }
}

/// Violations for `click` keys that no router rule answers (a tap would get no reply).
pub fn unhandled_click_keys(menu: &Menu, handled: &HandledKeys) -> Vec<Violation> {
    menu.click_keys()
        .into_iter()
        .filter(|(_, k)| !handled.0.contains(*k))
        .map(|(path, k)| Violation {
            path,
            message: format!("click key `{k}` has no handler in the webhook's router"),
        })
        .collect()
}

#[derive(Serialize)]
struct CreateBody<'a> {
    button: Vec<ButtonJson<'a>>,
}

/// One button of menu/create's body: a name and either an action or sub-buttons.
struct ButtonJson<'a> {
    name: &'a str,
    action: Option<&'a Action>,
    subs: Option<Vec<ButtonJson<'a>>>,
}

impl<'a> ButtonJson<'a> {
    fn top(button: &'a TopButton) -> ButtonJson<'a> {
        match button {
            TopButton::Action { name, action } => ButtonJson {
                name,
                action: Some(action),
                subs: None,
            },
            TopButton::Group { name, subs } => ButtonJson {
                name,
                action: None,
                subs: Some(
                    subs.iter()
                        .map(|s| ButtonJson {
                            name: &s.name,
                            action: Some(&s.action),
                            subs: None,
                        })
                        .collect(),
                ),
            },
        }
    }
}

impl Serialize for ButtonJson<'_> {
    /// The fields in [`Field::ALL`]'s order, each only when the button has it.
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeMap;
        let mut map = serializer.serialize_map(None)?;
        for field in Field::ALL {
            let key = field.as_str();
            match field {
                Field::Type => {
                    if let Some(a) = self.action {
                        map.serialize_entry(key, a.kind.as_str())?;
                    }
                }
                Field::Name => map.serialize_entry(key, self.name)?,
                Field::SubButton => {
                    if let Some(subs) = &self.subs {
                        map.serialize_entry(key, subs)?;
                    }
                }
                _ => {
                    if let Some(v) = self.action.and_then(|a| a.get(field)) {
                        map.serialize_entry(key, v)?;
                    }
                }
            }
        }
        map.end()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    const BASE: &str = "https://cunwu.example.cn";

    fn violations(v: Value) -> Vec<String> {
        Menu::parse(&v, BASE)
            .unwrap_err()
            .0
            .iter()
            .map(ToString::to_string)
            .collect()
    }

    #[test]
    fn the_official_example_round_trips_byte_for_byte() {
        let path = concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/tests/fixtures/menu/wxjava_menu_create.json"
        );
        let text = std::fs::read_to_string(path).unwrap();
        let menu = Menu::parse(&serde_json::from_str(&text).unwrap(), BASE).unwrap();
        assert_eq!(menu.to_json(), text.trim_end());
    }

    #[test]
    fn silenceper_buttons_parse() {
        let path = concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/tests/fixtures/menu/silenceper_buttons.json"
        );
        let buttons: Value = serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
        let menu = Menu::parse(&json!({ "button": buttons }), BASE).unwrap();
        assert_eq!(menu.buttons().len(), 3);
    }

    #[test]
    fn four_top_level_buttons_are_refused() {
        let b = json!({"type": "click", "name": "a", "key": "k"});
        let found = violations(json!({ "button": [b, b, b, b] }));
        assert_eq!(
            found,
            ["button: has 4 top-level buttons; WeChat allows at most 3"]
        );
    }

    #[test]
    fn name_limits_are_bytes_per_level() {
        // 16 bytes: four Chinese characters or sixteen letters.
        assert!(
            Menu::parse(
                &json!({"button": [{"type": "click", "name": "村务公开", "key": "k"}]}),
                BASE
            )
            .is_ok()
        );
        // Five Chinese characters are 15 bytes; a 20-byte name is refused.
        let found = violations(json!({"button": [
            {"type": "click", "name": "abcdefghijklmnopqrst", "key": "k"}
        ]}));
        assert_eq!(
            found,
            [
                "button[0].name: \"abcdefghijklmnopqrst\" is 20 bytes; a top-level name is at most 16 bytes"
            ]
        );
        let long_sub = "项".repeat(21); // 63 bytes
        let found = violations(json!({"button": [
            {"name": "我的", "sub_button": [
                {"type": "view", "name": "项".repeat(20), "url": "/a"},
                {"type": "view", "name": long_sub, "url": "/b"}
            ]}
        ]}));
        assert_eq!(found.len(), 1);
        assert!(
            found[0].starts_with("button[0].sub_button[1].name:")
                && found[0].ends_with("63 bytes; a sub-button name is at most 60 bytes"),
            "{found:?}"
        );
    }

    #[test]
    fn every_violation_is_named_by_its_path() {
        let found = violations(json!({"button": [
            {"type": "click", "name": "查村务", "key": "k".repeat(129)},
            {"name": "服务", "sub_button": [
                {"type": "view", "name": "权力清单", "url": "ftp://x"},
                {"type": "teleport", "name": "瞬移"},
                {"type": "click", "name": "无键"},
                {"type": "view", "name": "x", "url": "/ok", "colour": "red"},
                {"type": "view", "name": "x", "url": format!("/{}", "p".repeat(1024))},
                {"type": "click", "name": "六", "key": "six"}
            ]},
            {"type": "view", "name": "长链接", "url": "/power", "key": "stray"}
        ]}));
        assert_eq!(
            found,
            [
                "button[0].key: the key is 129 bytes; WeChat allows at most 128",
                "button[1].sub_button: has 6 sub-buttons; WeChat allows at most 5",
                "button[1].sub_button[0].url: `ftp://x` is neither an http(s) URL nor a path such as /power",
                "button[1].sub_button[1].type: `teleport` is not a menu button type (click, view, miniprogram, scancode_push, scancode_waitmsg, pic_sysphoto, pic_photo_or_album, pic_weixin, location_select, media_id, view_limited, article_id, article_view_limited)",
                "button[1].sub_button[2]: `key` is missing",
                "button[1].sub_button[3].colour: is not a menu button field",
                "button[1].sub_button[4].url: the URL is 1049 bytes; WeChat allows at most 1024",
                "button[2].key: a `view` button does not use `key`",
            ]
        );
    }

    #[test]
    fn relative_view_urls_become_absolute() {
        let menu = Menu::parse(
            &json!({"button": [{"type": "view", "name": "权力清单", "url": "/power"}]}),
            "https://cunwu.example.cn/",
        )
        .unwrap();
        assert_eq!(
            menu.to_json(),
            r#"{"button":[{"type":"view","name":"权力清单","url":"https://cunwu.example.cn/power"}]}"#
        );
    }

    #[test]
    fn click_keys_without_a_handler_are_named() {
        let menu = Menu::parse(
            &json!({"button": [
                {"type": "click", "name": "找村", "key": "FIND_VILLAGE"},
                {"name": "更多", "sub_button": [
                    {"type": "click", "name": "投诉", "key": "COMPLAIN"},
                    {"type": "scancode_push", "name": "扫码", "key": "SCAN"}
                ]}
            ]}),
            BASE,
        )
        .unwrap();
        let handled = HandledKeys::new(["FIND_VILLAGE"]);
        let found: Vec<String> = unhandled_click_keys(&menu, &handled)
            .iter()
            .map(ToString::to_string)
            .collect();
        assert_eq!(
            found,
            [
                "button[1].sub_button[0].key: click key `COMPLAIN` has no handler in the webhook's router"
            ]
        );
        assert!(
            unhandled_click_keys(&menu, &HandledKeys::new(["FIND_VILLAGE", "COMPLAIN"])).is_empty()
        );
    }

    #[test]
    fn an_empty_or_malformed_document_is_refused() {
        assert_eq!(violations(json!({"button": []})).len(), 1);
        assert_eq!(
            violations(json!([1, 2])),
            ["(root): must be an object with a `button` array"]
        );
        assert_eq!(
            violations(json!({"buttons": []})),
            [
                "buttons: is not a menu field (only `button`)",
                "button: is missing"
            ]
        );
    }
}
