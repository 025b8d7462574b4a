//! What followers and WeChat send: every message and event kind as one variant of
//! [`Inbound`], parsed from the (decrypted) XML. A kind we do not know becomes
//! [`Inbound::Unknown`] and is answered `success`; a known kind missing a field it must
//! carry is an error.

use std::str::FromStr;

use super::xml::{self, Fields, XmlError};
use crate::domain::OpenId;
use crate::domain::wire::wire_enum;

/// Why a document is not a message we can act on. Short, safe to show.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum InboundError {
    #[error(transparent)]
    Xml(#[from] XmlError),
    #[error("missing required field {0}")]
    Missing(&'static str),
    #[error("field {field} is invalid: {reason}")]
    Invalid {
        field: &'static str,
        reason: &'static str,
    },
}

/// One message or event with the header every kind carries.
#[derive(Debug, Clone, PartialEq)]
pub struct InboundMessage {
    /// The account's original id (gh_…).
    pub to: String,
    /// The follower.
    pub from: OpenId,
    /// When WeChat received it, Unix seconds.
    pub create_time: i64,
    pub kind: Inbound,
}

/// Every kind of message a follower sends, and every event.
#[derive(Debug, Clone, PartialEq)]
pub enum Inbound {
    Text {
        msg_id: u64,
        content: String,
    },
    Image {
        msg_id: u64,
        pic_url: String,
        media_id: String,
    },
    /// `recognition` is WeChat's speech-to-text, when the account has it switched on.
    Voice {
        msg_id: u64,
        media_id: String,
        format: String,
        recognition: Option<String>,
    },
    Video {
        msg_id: u64,
        media_id: String,
        thumb_media_id: String,
    },
    ShortVideo {
        msg_id: u64,
        media_id: String,
        thumb_media_id: String,
    },
    Location {
        msg_id: u64,
        latitude: f64,
        longitude: f64,
        scale: Option<u32>,
        label: String,
    },
    Link {
        msg_id: u64,
        title: String,
        description: String,
        url: String,
    },
    File {
        msg_id: u64,
        title: String,
        description: String,
        file_key: String,
        file_md5: String,
        file_total_len: Option<u64>,
    },
    Event(Event),
    /// A message type or event this service does not know.
    Unknown {
        msg_type: String,
        event: Option<String>,
        /// Kept for de-duplication.
        msg_id: Option<u64>,
        event_key: Option<String>,
    },
}

/// Every event WeChat reports.
#[derive(Debug, Clone, PartialEq)]
pub enum Event {
    /// `scene` is the QR scene after `qrscene_` when the follower subscribed by scanning
    /// a parametric QR code; `key` is the raw EventKey.
    Subscribe {
        key: String,
        scene: Option<String>,
        ticket: Option<String>,
    },
    Unsubscribe,
    /// An existing follower scanned a parametric QR code.
    Scan {
        scene: String,
        ticket: Option<String>,
    },
    Location {
        latitude: f64,
        longitude: f64,
        precision: f64,
    },
    Click {
        key: String,
    },
    View {
        url: String,
        menu_id: Option<String>,
    },
    ViewMiniprogram {
        path: String,
        menu_id: Option<String>,
    },
    ScancodePush(ScanCode),
    ScancodeWaitmsg(ScanCode),
    PicSysphoto(Pictures),
    PicPhotoOrAlbum(Pictures),
    PicWeixin(Pictures),
    LocationSelect {
        key: String,
        latitude: f64,
        longitude: f64,
        scale: Option<u32>,
        label: String,
        poiname: String,
    },
    /// The outcome of one template message (`status`: `success`, `failed:user block`,
    /// `failed: system failed`).
    TemplateSendJobFinish {
        msg_id: u64,
        status: String,
    },
    MassSendJobFinish {
        msg_id: u64,
        status: String,
        total_count: u64,
        filter_count: u64,
        sent_count: u64,
        error_count: u64,
    },
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScanCode {
    pub key: String,
    pub scan_type: String,
    pub scan_result: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Pictures {
    pub key: String,
    pub count: u32,
    pub md5s: Vec<String>,
}

wire_enum! {
    /// Message kinds, for routing; the text is what WeChat writes in `<MsgType>`.
    #[derive(Debug, Clone, Copy, PartialEq, Eq)]
    pub enum MessageKind {
        Text("text"),
        Image("image"),
        Voice("voice"),
        Video("video"),
        ShortVideo("shortvideo"),
        Location("location"),
        Link("link"),
        File("file"),
    }
}

wire_enum! {
    /// Event kinds, for routing; the text is what WeChat writes in `<Event>`.
    #[derive(Debug, Clone, Copy, PartialEq, Eq)]
    pub enum EventKind of Event {
        Subscribe("subscribe"),
        Unsubscribe("unsubscribe"),
        Scan("SCAN"),
        Location("LOCATION"),
        Click("CLICK"),
        View("VIEW"),
        ViewMiniprogram("view_miniprogram"),
        ScancodePush("scancode_push"),
        ScancodeWaitmsg("scancode_waitmsg"),
        PicSysphoto("pic_sysphoto"),
        PicPhotoOrAlbum("pic_photo_or_album"),
        PicWeixin("pic_weixin"),
        LocationSelect("location_select"),
        TemplateSendJobFinish("TEMPLATESENDJOBFINISH"),
        MassSendJobFinish("MASSSENDJOBFINISH"),
    }
}

impl EventKind {
    /// WeChat's casing varies between documents and SDKs lower-case it: match loosely.
    pub fn from_wire(name: &str) -> Option<EventKind> {
        EventKind::ALL
            .into_iter()
            .find(|k| k.as_str().eq_ignore_ascii_case(name.trim()))
    }
}

impl Event {
    /// What tells two events of one kind apart, for de-duplication: the EventKey, or
    /// the job's MsgID for the two job reports (which carry no key).
    pub fn key(&self) -> String {
        match self {
            Event::Subscribe { key, .. } => key.clone(),
            Event::Scan { scene, .. } => scene.clone(),
            Event::Click { key } => key.clone(),
            Event::View { url, .. } => url.clone(),
            Event::ViewMiniprogram { path, .. } => path.clone(),
            Event::ScancodePush(s) | Event::ScancodeWaitmsg(s) => s.key.clone(),
            Event::PicSysphoto(p) | Event::PicPhotoOrAlbum(p) | Event::PicWeixin(p) => {
                p.key.clone()
            }
            Event::LocationSelect { key, .. } => key.clone(),
            Event::TemplateSendJobFinish { msg_id, .. }
            | Event::MassSendJobFinish { msg_id, .. } => msg_id.to_string(),
            Event::Unsubscribe | Event::Location { .. } => String::new(),
        }
    }
}

impl Inbound {
    /// The kind of a message; `None` for events and unknown kinds.
    pub fn message_kind(&self) -> Option<MessageKind> {
        Some(match self {
            Inbound::Text { .. } => MessageKind::Text,
            Inbound::Image { .. } => MessageKind::Image,
            Inbound::Voice { .. } => MessageKind::Voice,
            Inbound::Video { .. } => MessageKind::Video,
            Inbound::ShortVideo { .. } => MessageKind::ShortVideo,
            Inbound::Location { .. } => MessageKind::Location,
            Inbound::Link { .. } => MessageKind::Link,
            Inbound::File { .. } => MessageKind::File,
            Inbound::Event(_) | Inbound::Unknown { .. } => return None,
        })
    }

    pub fn event(&self) -> Option<&Event> {
        match self {
            Inbound::Event(e) => Some(e),
            _ => None,
        }
    }

    /// The MsgId of a message (and of an unknown kind that carried one).
    pub fn msg_id(&self) -> Option<u64> {
        match self {
            Inbound::Text { msg_id, .. }
            | Inbound::Image { msg_id, .. }
            | Inbound::Voice { msg_id, .. }
            | Inbound::Video { msg_id, .. }
            | Inbound::ShortVideo { msg_id, .. }
            | Inbound::Location { msg_id, .. }
            | Inbound::Link { msg_id, .. }
            | Inbound::File { msg_id, .. } => Some(*msg_id),
            Inbound::Unknown { msg_id, .. } => *msg_id,
            Inbound::Event(_) => None,
        }
    }

    /// What the follower said in words: a text's content, or a voice message's
    /// recognised speech.
    pub fn words(&self) -> Option<&str> {
        match self {
            Inbound::Text { content, .. } => Some(content),
            Inbound::Voice {
                recognition: Some(r),
                ..
            } => Some(r),
            _ => None,
        }
    }

    /// `MsgType` as WeChat writes it (the `Event` for events), for logs.
    pub fn type_name(&self) -> &str {
        match self {
            Inbound::Event(e) => e.kind().as_str(),
            Inbound::Unknown { msg_type, .. } => msg_type,
            message => message.message_kind().map_or("", MessageKind::as_str),
        }
    }

    /// `type_name` from a fixed set (any type we do not know is "unknown"), for metrics,
    /// whose series must not grow with what a sender writes.
    pub fn metric_kind(&self) -> &'static str {
        match self {
            Inbound::Event(e) => e.kind().as_str(),
            Inbound::Unknown { .. } => "unknown",
            message => message
                .message_kind()
                .map_or("unknown", MessageKind::as_str),
        }
    }
}

/// Parses a decrypted message document.
pub fn parse(body: &str) -> Result<InboundMessage, InboundError> {
    from_fields(&xml::parse(body)?)
}

/// Builds the message from a document's fields.
pub fn from_fields(f: &Fields) -> Result<InboundMessage, InboundError> {
    let to = required(f, "ToUserName")?.trim().to_owned();
    let from =
        OpenId::parse(required(f, "FromUserName")?.trim()).map_err(|_| InboundError::Invalid {
            field: "FromUserName",
            reason: "not an openid",
        })?;
    let create_time: i64 = number(f, "CreateTime")?;
    if create_time < 0 {
        return Err(InboundError::Invalid {
            field: "CreateTime",
            reason: "negative",
        });
    }
    let msg_type = required(f, "MsgType")?.trim();
    let lower = msg_type.to_ascii_lowercase();
    let kind = match MessageKind::parse(&lower) {
        Some(MessageKind::Text) => Inbound::Text {
            msg_id: msg_id(f)?,
            content: required(f, "Content")?.to_owned(),
        },
        Some(MessageKind::Image) => Inbound::Image {
            msg_id: msg_id(f)?,
            pic_url: text(f, "PicUrl"),
            media_id: required(f, "MediaId")?.trim().to_owned(),
        },
        Some(MessageKind::Voice) => Inbound::Voice {
            msg_id: msg_id(f)?,
            media_id: required(f, "MediaId")?.trim().to_owned(),
            format: text(f, "Format"),
            recognition: f
                .get("Recognition")
                .map(str::trim)
                .filter(|r| !r.is_empty())
                .map(str::to_owned),
        },
        Some(MessageKind::Video) => Inbound::Video {
            msg_id: msg_id(f)?,
            media_id: required(f, "MediaId")?.trim().to_owned(),
            thumb_media_id: text(f, "ThumbMediaId"),
        },
        Some(MessageKind::ShortVideo) => Inbound::ShortVideo {
            msg_id: msg_id(f)?,
            media_id: required(f, "MediaId")?.trim().to_owned(),
            thumb_media_id: text(f, "ThumbMediaId"),
        },
        Some(MessageKind::Location) => Inbound::Location {
            msg_id: msg_id(f)?,
            latitude: number(f, "Location_X")?,
            longitude: number(f, "Location_Y")?,
            scale: optional_number(f, "Scale")?,
            label: text(f, "Label"),
        },
        Some(MessageKind::Link) => Inbound::Link {
            msg_id: msg_id(f)?,
            title: text(f, "Title"),
            description: text(f, "Description"),
            url: required(f, "Url")?.trim().to_owned(),
        },
        Some(MessageKind::File) => Inbound::File {
            msg_id: msg_id(f)?,
            title: text(f, "Title"),
            description: text(f, "Description"),
            file_key: text(f, "FileKey"),
            file_md5: text(f, "FileMd5"),
            file_total_len: optional_number(f, "FileTotalLen")?,
        },
        None if lower == "event" => {
            let name = required(f, "Event")?;
            match EventKind::from_wire(name) {
                Some(kind) => Inbound::Event(event(f, kind)?),
                None => Inbound::Unknown {
                    msg_type: "event".into(),
                    event: Some(name.trim().to_owned()),
                    msg_id: None,
                    event_key: f.get("EventKey").map(str::to_owned),
                },
            }
        }
        None => Inbound::Unknown {
            msg_type: msg_type.to_owned(),
            event: f.get("Event").map(|e| e.trim().to_owned()),
            msg_id: optional_number(f, "MsgId").ok().flatten(),
            event_key: f.get("EventKey").map(str::to_owned),
        },
    };
    Ok(InboundMessage {
        to,
        from,
        create_time,
        kind,
    })
}

fn event(f: &Fields, kind: EventKind) -> Result<Event, InboundError> {
    let key = || text(f, "EventKey");
    Ok(match kind {
        EventKind::Subscribe => {
            let key = key();
            Event::Subscribe {
                scene: key
                    .strip_prefix("qrscene_")
                    .map(str::to_owned)
                    .filter(|s| !s.is_empty()),
                ticket: non_empty(f, "Ticket"),
                key,
            }
        }
        EventKind::Unsubscribe => Event::Unsubscribe,
        EventKind::Scan => Event::Scan {
            scene: required(f, "EventKey")?.trim().to_owned(),
            ticket: non_empty(f, "Ticket"),
        },
        EventKind::Location => Event::Location {
            latitude: number(f, "Latitude")?,
            longitude: number(f, "Longitude")?,
            precision: number(f, "Precision")?,
        },
        EventKind::Click => Event::Click {
            key: required(f, "EventKey")?.trim().to_owned(),
        },
        EventKind::View => Event::View {
            url: required(f, "EventKey")?.trim().to_owned(),
            menu_id: non_empty(f, "MenuId"),
        },
        EventKind::ViewMiniprogram => Event::ViewMiniprogram {
            path: required(f, "EventKey")?.trim().to_owned(),
            menu_id: non_empty(f, "MenuId"),
        },
        EventKind::ScancodePush | EventKind::ScancodeWaitmsg => {
            let scan = ScanCode {
                key: key(),
                scan_type: text(f, "ScanCodeInfo/ScanType"),
                scan_result: required(f, "ScanCodeInfo/ScanResult")?.to_owned(),
            };
            if kind == EventKind::ScancodePush {
                Event::ScancodePush(scan)
            } else {
                Event::ScancodeWaitmsg(scan)
            }
        }
        EventKind::PicSysphoto | EventKind::PicPhotoOrAlbum | EventKind::PicWeixin => {
            let md5s: Vec<String> = f
                .all("SendPicsInfo/PicList/item/PicMd5Sum")
                .map(|s| s.trim().to_owned())
                .collect();
            let count = match optional_number::<u32>(f, "SendPicsInfo/Count")? {
                Some(n) => n,
                None => u32::try_from(md5s.len()).unwrap_or(u32::MAX),
            };
            let pictures = Pictures {
                key: key(),
                count,
                md5s,
            };
            match kind {
                EventKind::PicSysphoto => Event::PicSysphoto(pictures),
                EventKind::PicPhotoOrAlbum => Event::PicPhotoOrAlbum(pictures),
                _ => Event::PicWeixin(pictures),
            }
        }
        EventKind::LocationSelect => Event::LocationSelect {
            key: key(),
            latitude: number(f, "SendLocationInfo/Location_X")?,
            longitude: number(f, "SendLocationInfo/Location_Y")?,
            scale: optional_number(f, "SendLocationInfo/Scale")?,
            label: text(f, "SendLocationInfo/Label"),
            poiname: text(f, "SendLocationInfo/Poiname"),
        },
        EventKind::TemplateSendJobFinish => Event::TemplateSendJobFinish {
            msg_id: msg_id(f)?,
            status: required(f, "Status")?.trim().to_owned(),
        },
        EventKind::MassSendJobFinish => Event::MassSendJobFinish {
            msg_id: msg_id(f)?,
            status: required(f, "Status")?.trim().to_owned(),
            total_count: optional_number(f, "TotalCount")?.unwrap_or(0),
            filter_count: optional_number(f, "FilterCount")?.unwrap_or(0),
            sent_count: optional_number(f, "SentCount")?.unwrap_or(0),
            error_count: optional_number(f, "ErrorCount")?.unwrap_or(0),
        },
    })
}

fn required<'a>(f: &'a Fields, field: &'static str) -> Result<&'a str, InboundError> {
    f.get(field).ok_or(InboundError::Missing(field))
}

/// An optional text field, empty when absent.
fn text(f: &Fields, field: &str) -> String {
    f.get(field).unwrap_or_default().to_owned()
}

fn non_empty(f: &Fields, field: &str) -> Option<String> {
    f.get(field)
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
}

/// WeChat writes numbers bare (`<Scale>20</Scale>`) or in CDATA (`<![CDATA[15]]>`).
fn number<T: FromStr>(f: &Fields, field: &'static str) -> Result<T, InboundError> {
    optional_number(f, field)?.ok_or(InboundError::Missing(field))
}

fn optional_number<T: FromStr>(f: &Fields, field: &'static str) -> Result<Option<T>, InboundError> {
    match f.get(field).map(str::trim) {
        None | Some("") => Ok(None),
        Some(s) => s.parse().map(Some).map_err(|_| InboundError::Invalid {
            field,
            reason: "not a number",
        }),
    }
}

/// `MsgId` for messages, `MsgID` in job reports; both occur for both.
fn msg_id(f: &Fields) -> Result<u64, InboundError> {
    let raw = f
        .get_any(&["MsgId", "MsgID", "Msgid"])
        .ok_or(InboundError::Missing("MsgId"))?;
    raw.trim().parse().map_err(|_| InboundError::Invalid {
        field: "MsgId",
        reason: "not a number",
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::wechat::webhook::test_vectors::text as vector;

    fn parse_vector(file: &str) -> InboundMessage {
        parse(&vector(file)).unwrap_or_else(|e| panic!("{file}: {e}"))
    }

    fn event_of(file: &str) -> Event {
        match parse_vector(file).kind {
            Inbound::Event(e) => e,
            other => panic!("{file}: not an event: {other:?}"),
        }
    }

    #[test]
    fn text_messages_parse_with_their_header() {
        let m = parse_vector("xml/inbound/wechatpy/test_parser__test_parse_text_message.xml");
        assert_eq!(m.to, "toUser");
        assert_eq!(m.from.as_str(), "fromUser");
        assert_eq!(m.create_time, 1348831860);
        assert_eq!(
            m.kind,
            Inbound::Text {
                msg_id: 1234567890123456,
                content: "this is a test".into()
            }
        );
        let m = parse_vector("extra/inbound/chanxuehong_text.xml");
        assert_eq!(m.from.as_str(), "os-IKuHd9pJ6xsn4mS7GyL4HxqI4");
        assert_eq!(m.kind.msg_id(), Some(6260957665266699303));
        // MsgID spelled in capitals still is the MsgId (WxJava testFromXml2).
        let m = parse_vector("xml/inbound/wxjava/WxMpXmlMessageTest__testFromXml2.xml");
        assert_eq!(m.kind.msg_id(), Some(1234567890123456));
    }

    #[test]
    fn every_media_message_kind_parses() {
        let m = parse_vector("extra/inbound/chanxuehong_image.xml");
        assert!(
            matches!(m.kind, Inbound::Image { ref pic_url, .. } if pic_url.starts_with("http://mmbiz.qpic.cn/"))
        );
        let m = parse_vector("xml/inbound/wechatpy/test_parser__test_parse_voice_message.xml");
        assert_eq!(
            m.kind,
            Inbound::Voice {
                msg_id: 1234567890123456,
                media_id: "media_id".into(),
                format: "Format".into(),
                recognition: None
            }
        );
        let m = parse_vector("extra/inbound/werobot_voice_recognition.xml");
        assert_eq!(m.kind.words(), Some("Meow~"));
        let m = parse_vector("extra/inbound/chanxuehong_voice_recognition.xml");
        assert!(
            matches!(m.kind, Inbound::Voice { ref format, recognition: Some(_), .. } if format == "amr")
        );
        let m = parse_vector("xml/inbound/wechatpy/test_parser__test_parse_video_message.xml");
        assert_eq!(
            m.kind,
            Inbound::Video {
                msg_id: 1234567890123456,
                media_id: "media_id".into(),
                thumb_media_id: "thumb_media_id".into()
            }
        );
        let m = parse_vector("extra/inbound/chanxuehong_shortvideo.xml");
        assert!(matches!(
            m.kind,
            Inbound::ShortVideo {
                msg_id: 6260957892899965999,
                ..
            }
        ));
        let m = parse_vector("xml/inbound/wechatpy/test_parser__test_parse_location_message.xml");
        assert_eq!(
            m.kind,
            Inbound::Location {
                msg_id: 1234567890123456,
                latitude: 23.134521,
                longitude: 113.358803,
                scale: Some(20),
                label: "位置信息".into()
            }
        );
        let m = parse_vector("xml/inbound/wechatpy/test_parser__test_parse_link_message.xml");
        assert_eq!(
            m.kind,
            Inbound::Link {
                msg_id: 1234567890123456,
                title: "公众平台官网链接".into(),
                description: "公众平台官网链接".into(),
                url: "url".into()
            }
        );
        // No peer ships a file-message fixture; this follows WeChat's documented fields.
        let m = parse(
            "<xml><ToUserName><![CDATA[gh_1]]></ToUserName><FromUserName><![CDATA[o1]]></FromUserName>\
             <CreateTime>1468220000</CreateTime><MsgType><![CDATA[file]]></MsgType>\
             <Title><![CDATA[村账.xlsx]]></Title><Description><![CDATA[]]></Description>\
             <FileKey><![CDATA[k]]></FileKey><FileMd5><![CDATA[5a]]></FileMd5>\
             <FileTotalLen><![CDATA[2048]]></FileTotalLen><MsgId>42</MsgId></xml>",
        )
        .unwrap();
        assert!(
            matches!(m.kind, Inbound::File { msg_id: 42, ref title, file_total_len: Some(2048), .. } if title == "村账.xlsx")
        );
    }

    #[test]
    fn subscribe_events_carry_the_qr_scene_when_there_is_one() {
        for file in [
            "xml/inbound/wechatpy/test_events__test_subscribe_event.xml",
            "extra/inbound/chanxuehong_event_subscribe_plain.xml",
        ] {
            assert!(
                matches!(
                    event_of(file),
                    Event::Subscribe {
                        scene: None,
                        ticket: None,
                        ..
                    }
                ),
                "{file}"
            );
        }
        for file in [
            "xml/inbound/wechatpy/test_events__test_subscribe_scan_event.xml",
            "xml/inbound/easywechat6/ServerTest__subscribe_qrscene.xml",
        ] {
            assert_eq!(
                event_of(file),
                Event::Subscribe {
                    key: "qrscene_123123".into(),
                    scene: Some("123123".into()),
                    ticket: Some("TICKET".into())
                }
            );
        }
        let e = event_of(
            "xml/inbound/wechatpy/test_parser__test_parse_subscribe_event_with_last_trade_no.xml",
        );
        assert!(matches!(e, Event::Subscribe { scene: None, .. }));
        assert_eq!(
            event_of("extra/inbound/chanxuehong_event_unsubscribe.xml"),
            Event::Unsubscribe
        );
    }

    #[test]
    fn scan_location_click_and_view_events_parse() {
        assert_eq!(
            event_of("xml/inbound/wechatpy/test_events__test_scan_event.xml"),
            Event::Scan {
                scene: "SCENE_VALUE".into(),
                ticket: Some("TICKET".into())
            }
        );
        assert!(
            matches!(event_of("extra/inbound/chanxuehong_event_SCAN.xml"), Event::Scan { ref scene, .. } if scene == "1000000")
        );
        assert_eq!(
            event_of("xml/inbound/wechatpy/test_events__test_location_event.xml"),
            Event::Location {
                latitude: 23.137466,
                longitude: 113.352425,
                precision: 119.385040
            }
        );
        assert_eq!(
            event_of("xml/inbound/wechatpy/test_events__test_click_event.xml"),
            Event::Click {
                key: "EVENTKEY".into()
            }
        );
        assert_eq!(
            event_of("xml/inbound/wechatpy/test_events__test_view_event.xml"),
            Event::View {
                url: "www.qq.com".into(),
                menu_id: None
            }
        );
        // No peer fixture; WeChat's documented fields.
        let m = parse(
            "<xml><ToUserName>gh_1</ToUserName><FromUserName>o1</FromUserName><CreateTime>1</CreateTime>\
             <MsgType>event</MsgType><Event>view_miniprogram</Event><EventKey>pages/index</EventKey>\
             <MenuId>208379533</MenuId></xml>",
        )
        .unwrap();
        assert_eq!(
            m.kind.event(),
            Some(&Event::ViewMiniprogram {
                path: "pages/index".into(),
                menu_id: Some("208379533".into())
            })
        );
    }

    #[test]
    fn menu_scan_picture_and_location_events_parse() {
        assert_eq!(
            event_of("xml/inbound/wechatpy/test_events__test_scan_code_push_event.xml"),
            Event::ScancodePush(ScanCode {
                key: "6".into(),
                scan_type: "qrcode".into(),
                scan_result: "1".into()
            })
        );
        assert!(
            matches!(event_of("xml/inbound/wechatpy/test_events__test_scan_code_waitmsg_event.xml"), Event::ScancodeWaitmsg(ref s) if s.scan_result == "2")
        );
        let expected = Pictures {
            key: "6".into(),
            count: 1,
            md5s: vec!["1b5f7c23b5bf75682a53e7b6d163e185".into()],
        };
        assert_eq!(
            event_of("xml/inbound/wechatpy/test_events__test_pic_sysphoto_event.xml"),
            Event::PicSysphoto(expected)
        );
        assert!(
            matches!(event_of("xml/inbound/wechatpy/test_events__test_pic_photo_or_album_event.xml"), Event::PicPhotoOrAlbum(ref p) if p.md5s == ["5a75aaca956d97be686719218f275c6b"])
        );
        assert!(
            matches!(event_of("xml/inbound/wechatpy/test_events__test_pic_wechat_event.xml"), Event::PicWeixin(ref p) if p.count == 1)
        );
        for file in [
            "xml/inbound/wechatpy/test_events__test_location_select_event.xml",
            "extra/inbound/werobot_location_select.xml",
        ] {
            assert_eq!(
                event_of(file),
                Event::LocationSelect {
                    key: "6".into(),
                    latitude: 23.0,
                    longitude: 113.0,
                    scale: Some(15),
                    label: "广州市海珠区客村艺苑路 106号".into(),
                    poiname: String::new()
                }
            );
        }
    }

    #[test]
    fn job_reports_parse_with_their_msg_id_and_status() {
        assert_eq!(
            event_of("xml/inbound/wechatpy/test_events__test_template_send_job_finish_event.xml"),
            Event::TemplateSendJobFinish {
                msg_id: 200163836,
                status: "success".into()
            }
        );
        assert_eq!(
            event_of("extra/inbound/werobot_TEMPLATESENDJOBFINISH_failed_system.xml"),
            Event::TemplateSendJobFinish {
                msg_id: 200163840,
                status: "failed: system failed".into()
            }
        );
        for file in [
            "xml/inbound/wechatpy/test_events__test_mass_send_job_finish_event.xml",
            "xml/inbound/wxjava/WxMpXmlMessageTest__testFromXml_MASSSENDJOBFINISH.xml",
        ] {
            assert_eq!(
                event_of(file),
                Event::MassSendJobFinish {
                    msg_id: 1000001625,
                    status: "err(30003)".into(),
                    total_count: 0,
                    filter_count: 0,
                    sent_count: 0,
                    error_count: 0
                }
            );
        }
    }

    #[test]
    fn unknown_kinds_and_events_are_kept_as_unknown() {
        let m = parse_vector("xml/inbound/wechatpy/test_parser__test_parse_unknown_message.xml");
        assert_eq!(
            m.kind,
            Inbound::Unknown {
                msg_type: "notsure".into(),
                event: None,
                msg_id: Some(1234567890123456),
                event_key: None
            }
        );
        let e = parse_vector("xml/inbound/wechatpy/test_events__test_kf_create_session_event.xml");
        assert!(
            matches!(e.kind, Inbound::Unknown { ref event, .. } if event.as_deref() == Some("kf_create_session"))
        );
    }

    #[test]
    fn every_peer_fixture_parses() {
        let dir =
            std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/wechat-vectors");
        let mut n = 0;
        for sub in [
            "xml/inbound/wechatpy",
            "xml/inbound/wxjava",
            "xml/inbound/easywechat6",
            "extra/inbound",
        ] {
            for entry in std::fs::read_dir(dir.join(sub)).unwrap() {
                let path = entry.unwrap().path();
                let body = std::fs::read_to_string(&path).unwrap();
                match parse(&body) {
                    Ok(_) => n += 1,
                    Err(e) => panic!("{}: {e}", path.display()),
                }
            }
        }
        assert!(n >= 70, "{n}");
    }

    #[test]
    fn missing_or_malformed_fields_are_named() {
        let header =
            "<ToUserName>gh</ToUserName><FromUserName>o1</FromUserName><CreateTime>1</CreateTime>";
        let cases = [
            ("<xml><FromUserName>o</FromUserName></xml>".to_owned(), "ToUserName"),
            (format!("<xml>{header}</xml>"), "MsgType"),
            (format!("<xml>{header}<MsgType>text</MsgType><MsgId>1</MsgId></xml>"), "Content"),
            (format!("<xml>{header}<MsgType>text</MsgType><Content>x</Content></xml>"), "MsgId"),
            (format!("<xml>{header}<MsgType>text</MsgType><Content>x</Content><MsgId>x1</MsgId></xml>"), "MsgId"),
            (format!("<xml>{header}<MsgType>event</MsgType></xml>"), "Event"),
            (format!("<xml>{header}<MsgType>event</MsgType><Event>CLICK</Event></xml>"), "EventKey"),
            (format!("<xml>{header}<MsgType>event</MsgType><Event>LOCATION</Event><Latitude>n</Latitude></xml>"), "Latitude"),
            ("<xml><ToUserName>gh</ToUserName><FromUserName>a b</FromUserName><CreateTime>1</CreateTime><MsgType>text</MsgType></xml>".to_owned(), "FromUserName"),
            ("<xml><ToUserName>gh</ToUserName><FromUserName>o</FromUserName><CreateTime>-5</CreateTime><MsgType>text</MsgType></xml>".to_owned(), "CreateTime"),
        ];
        for (body, field) in cases {
            let err = parse(&body).unwrap_err();
            assert!(err.to_string().contains(field), "{body}: {err}");
        }
    }
}
