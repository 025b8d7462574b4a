//! Reading WeChat's XML safely: a document rooted at `<xml>` becomes its leaf elements
//! keyed by path (`Content`, `ScanCodeInfo/ScanType`, `SendPicsInfo/PicList/item/PicMd5Sum`),
//! in document order. A DOCTYPE (and with it every entity declaration), an undeclared
//! entity, a second root, nesting deeper than a message needs or more elements than one
//! holds are refused, never expanded or followed.

use quick_xml::Reader;
use quick_xml::events::Event;

/// Deepest nesting a WeChat message uses is 4 (`xml/SendPicsInfo/PicList/item/…`).
const MAX_DEPTH: usize = 8;
/// Far above any real message (a MASSSENDJOBFINISH report has a few dozen).
const MAX_ELEMENTS: usize = 1_000;

/// Why a body is not a WeChat XML document. Short, safe to show to the sender.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum XmlError {
    #[error("the body is empty")]
    Empty,
    #[error("malformed XML: {0}")]
    Malformed(String),
    #[error("a DOCTYPE is not allowed")]
    Doctype,
    #[error("the entity &{0}; is not allowed")]
    Entity(String),
    #[error("the root element must be <xml>")]
    WrongRoot,
    #[error("the XML nests deeper than {MAX_DEPTH} levels")]
    TooDeep,
    #[error("the XML has more than {MAX_ELEMENTS} elements")]
    TooManyElements,
}

/// The leaf elements of a document, by path below the root, in document order.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Fields {
    entries: Vec<(String, String)>,
}

impl Fields {
    /// The first value at `path`.
    pub fn get(&self, path: &str) -> Option<&str> {
        self.entries
            .iter()
            .find(|(p, _)| p == path)
            .map(|(_, v)| v.as_str())
    }

    /// The first value at any of `paths` (WeChat writes both `MsgId` and `MsgID`).
    pub fn get_any(&self, paths: &[&str]) -> Option<&str> {
        paths.iter().find_map(|p| self.get(p))
    }

    /// Every value at `path`, in document order (repeated `<item>`s).
    pub fn all<'a>(&'a self, path: &'a str) -> impl Iterator<Item = &'a str> + 'a {
        self.entries
            .iter()
            .filter(move |(p, _)| p == path)
            .map(|(_, v)| v.as_str())
    }

    pub fn len(&self) -> usize {
        self.entries.len()
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }
}

struct Open {
    name: String,
    text: String,
    has_children: bool,
}

fn malformed(e: impl std::fmt::Display) -> XmlError {
    let mut reason = e.to_string();
    // quick-xml's messages can quote input; keep the reason short.
    if let Some((cut, _)) = reason.char_indices().nth(120) {
        reason.truncate(cut);
    }
    XmlError::Malformed(reason)
}

/// Reads a document rooted at `<xml>`.
pub fn parse(input: &str) -> Result<Fields, XmlError> {
    if input.trim().is_empty() {
        return Err(XmlError::Empty);
    }
    let mut reader = Reader::from_str(input);
    let config = reader.config_mut();
    config.trim_text(false);
    config.check_end_names = true;
    config.expand_empty_elements = false;

    let mut fields = Fields::default();
    let mut stack: Vec<Open> = Vec::new();
    let mut seen_root = false;
    let mut elements = 0usize;

    loop {
        match reader.read_event().map_err(malformed)? {
            Event::Decl(_) | Event::Comment(_) => {}
            Event::PI(_) => return Err(malformed("processing instructions are not allowed")),
            Event::DocType(_) => return Err(XmlError::Doctype),
            Event::Start(start) => {
                elements += 1;
                if elements > MAX_ELEMENTS {
                    return Err(XmlError::TooManyElements);
                }
                let name = std::str::from_utf8(start.name().as_ref())
                    .map_err(malformed)?
                    .to_owned();
                if stack.is_empty() {
                    if seen_root {
                        return Err(malformed("more than one root element"));
                    }
                    if name != "xml" {
                        return Err(XmlError::WrongRoot);
                    }
                    seen_root = true;
                } else if stack.len() >= MAX_DEPTH {
                    return Err(XmlError::TooDeep);
                }
                if let Some(parent) = stack.last_mut() {
                    parent.has_children = true;
                }
                stack.push(Open {
                    name,
                    text: String::new(),
                    has_children: false,
                });
            }
            Event::Empty(start) => {
                elements += 1;
                if elements > MAX_ELEMENTS {
                    return Err(XmlError::TooManyElements);
                }
                let qname = start.name();
                let name = std::str::from_utf8(qname.as_ref()).map_err(malformed)?;
                let Some(parent) = stack.last_mut() else {
                    return Err(if name == "xml" {
                        XmlError::Empty
                    } else {
                        XmlError::WrongRoot
                    });
                };
                parent.has_children = true;
                let path = path_of(&stack, Some(name));
                fields.entries.push((path, String::new()));
            }
            Event::End(_) => {
                let Some(open) = stack.pop() else {
                    return Err(malformed("unexpected closing tag"));
                };
                if !stack.is_empty() && !open.has_children {
                    let path = path_of(&stack, Some(&open.name));
                    fields.entries.push((path, open.text));
                }
            }
            Event::Text(text) => {
                let text = text.xml10_content().map_err(malformed)?;
                match stack.last_mut() {
                    Some(open) => open.text.push_str(&text),
                    None if text.trim().is_empty() => {}
                    None => return Err(malformed("text outside the root element")),
                }
            }
            Event::CData(data) => {
                let text = data.decode().map_err(malformed)?;
                match stack.last_mut() {
                    Some(open) => open.text.push_str(&text),
                    None => return Err(malformed("CDATA outside the root element")),
                }
            }
            Event::GeneralRef(reference) => {
                let resolved = match reference.resolve_char_ref().map_err(malformed)? {
                    Some(c) => c.to_string(),
                    None => {
                        let name = reference.decode().map_err(malformed)?;
                        match quick_xml::escape::resolve_xml_entity(&name) {
                            Some(s) => s.to_owned(),
                            None => {
                                let shown: String = name.chars().take(40).collect();
                                return Err(XmlError::Entity(shown));
                            }
                        }
                    }
                };
                match stack.last_mut() {
                    Some(open) => open.text.push_str(&resolved),
                    None => return Err(malformed("a reference outside the root element")),
                }
            }
            Event::Eof => break,
        }
    }
    if !stack.is_empty() {
        return Err(malformed("the document ends inside an element"));
    }
    if !seen_root {
        return Err(XmlError::WrongRoot);
    }
    Ok(fields)
}

/// `a/b/name` for the elements open below the root, plus `leaf`.
fn path_of(stack: &[Open], leaf: Option<&str>) -> String {
    let mut path = String::new();
    for open in stack.iter().skip(1) {
        path.push_str(&open.name);
        path.push('/');
    }
    if let Some(leaf) = leaf {
        path.push_str(leaf);
    } else {
        path.pop();
    }
    path
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn leaves_are_keyed_by_path_in_document_order() {
        let f = parse(
            "\n  <?xml version=\"1.0\"?><xml><A><![CDATA[x]]></A><B> 2 </B>\
             <L><item><M>1</M></item><item><M>2</M></item></L><E/></xml>\n",
        )
        .unwrap();
        assert_eq!(f.get("A"), Some("x"));
        assert_eq!(f.get("B"), Some(" 2 "));
        assert_eq!(f.all("L/item/M").collect::<Vec<_>>(), ["1", "2"]);
        assert_eq!(f.get("E"), Some(""));
        assert_eq!(f.get("L"), None);
    }

    #[test]
    fn references_and_split_cdata_are_joined() {
        let f =
            parse("<xml><A>a &amp; b &#x738B;&lt;</A><B><![CDATA[x]]]]><![CDATA[>y]]></B></xml>")
                .unwrap();
        assert_eq!(f.get("A"), Some("a & b 王<"));
        assert_eq!(f.get("B"), Some("x]]>y"));
    }

    #[test]
    fn doctype_entities_and_broken_documents_are_refused() {
        let xxe = r#"<?xml version="1.0"?><!DOCTYPE xml [<!ENTITY e SYSTEM "file:///etc/passwd">]><xml><A>&e;</A></xml>"#;
        assert_eq!(parse(xxe), Err(XmlError::Doctype));
        assert_eq!(
            parse("<xml><A>&e;</A></xml>"),
            Err(XmlError::Entity("e".into()))
        );
        assert_eq!(parse(""), Err(XmlError::Empty));
        assert_eq!(parse("<root><A/></root>"), Err(XmlError::WrongRoot));
        assert!(matches!(
            parse("<xml><A></B></xml>"),
            Err(XmlError::Malformed(_))
        ));
        assert!(matches!(parse("<xml><A>"), Err(XmlError::Malformed(_))));
        assert!(parse("<xml/><xml/>").is_err());
        assert!(matches!(
            parse("<xml></xml><xml></xml>"),
            Err(XmlError::Malformed(_))
        ));
        assert!(matches!(
            parse("<xml></xml>junk"),
            Err(XmlError::Malformed(_))
        ));
        let deep = format!("<xml>{}{}</xml>", "<a>".repeat(10), "</a>".repeat(10));
        assert_eq!(parse(&deep), Err(XmlError::TooDeep));
        let wide = format!("<xml>{}</xml>", "<a/>".repeat(1_001));
        assert_eq!(parse(&wide), Err(XmlError::TooManyElements));
    }
}
