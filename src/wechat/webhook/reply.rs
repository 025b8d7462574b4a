//! Passive replies: what the webhook answers in its HTTP response. Each kind renders its
//! own XML; text goes into CDATA with `]]>` split across two sections, so nothing a
//! follower typed (or a village name) can break out of it. [`Reply::Success`] renders
//! nothing: the body is `success`, which tells WeChat there is nothing to say.

/// What to answer one message with.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Reply {
    /// Nothing to say: answered `success`, so WeChat neither retries nor shows an error.
    Success,
    /// Text; may carry `<a href="…">` links, which WeChat renders.
    Text(String),
    /// A news (图文) reply: WeChat shows only one article in a passive reply.
    News(Article),
    Image {
        media_id: String,
    },
    /// Hands the conversation to a human agent (多客服), optionally a given one.
    TransferCustomerService {
        kf_account: Option<String>,
    },
}

/// The one article of a news reply.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Article {
    pub title: String,
    pub description: String,
    pub url: String,
    pub pic_url: Option<String>,
}

/// The body answering "nothing to say".
pub const SUCCESS: &str = "success";

impl Reply {
    /// The reply document to `to` (the follower) from `from` (the account), or `None`
    /// for [`Reply::Success`].
    pub fn render(&self, to: &str, from: &str, create_time: i64) -> Option<String> {
        let mut out = String::with_capacity(256);
        out.push_str("<xml><ToUserName>");
        cdata(&mut out, to);
        out.push_str("</ToUserName><FromUserName>");
        cdata(&mut out, from);
        out.push_str("</FromUserName><CreateTime>");
        out.push_str(&create_time.to_string());
        out.push_str("</CreateTime><MsgType>");
        match self {
            Reply::Success => return None,
            Reply::Text(content) => {
                cdata(&mut out, "text");
                out.push_str("</MsgType><Content>");
                cdata(&mut out, content);
                out.push_str("</Content>");
            }
            Reply::News(article) => {
                cdata(&mut out, "news");
                out.push_str("</MsgType><ArticleCount>1</ArticleCount><Articles><item><Title>");
                cdata(&mut out, &article.title);
                out.push_str("</Title><Description>");
                cdata(&mut out, &article.description);
                out.push_str("</Description><PicUrl>");
                cdata(&mut out, article.pic_url.as_deref().unwrap_or(""));
                out.push_str("</PicUrl><Url>");
                cdata(&mut out, &article.url);
                out.push_str("</Url></item></Articles>");
            }
            Reply::Image { media_id } => {
                cdata(&mut out, "image");
                out.push_str("</MsgType><Image><MediaId>");
                cdata(&mut out, media_id);
                out.push_str("</MediaId></Image>");
            }
            Reply::TransferCustomerService { kf_account } => {
                cdata(&mut out, "transfer_customer_service");
                out.push_str("</MsgType>");
                if let Some(account) = kf_account {
                    out.push_str("<TransInfo><KfAccount>");
                    cdata(&mut out, account);
                    out.push_str("</KfAccount></TransInfo>");
                }
            }
        }
        out.push_str("</xml>");
        Some(out)
    }
}

/// Writes `text` as CDATA: a `]]>` inside is split over two sections, and characters
/// XML 1.0 forbids (control characters, U+FFFE, U+FFFF) are dropped.
pub(crate) fn cdata(out: &mut String, text: &str) {
    out.push_str("<![CDATA[");
    let mut rest = text;
    while let Some(at) = rest.find("]]>") {
        let (head, tail) = rest.split_at(at);
        push_xml_chars(out, head);
        out.push_str("]]]]><![CDATA[>");
        rest = tail.get(3..).unwrap_or("");
    }
    push_xml_chars(out, rest);
    out.push_str("]]>");
}

fn push_xml_chars(out: &mut String, s: &str) {
    let allowed = |c: char| {
        matches!(c, '\t' | '\n' | '\r') || (c >= ' ' && c != '\u{FFFE}' && c != '\u{FFFF}')
    };
    // Nearly every text holds none of the characters XML forbids: copy it whole rather
    // than a character at a time (which was 2-3 % of the webhook's CPU under load).
    match s.find(|c: char| !allowed(c)) {
        None => out.push_str(s),
        Some(at) => {
            // `find` returns a character boundary.
            let (clean, rest) = s.split_at(at);
            out.push_str(clean);
            out.extend(rest.chars().filter(|&c| allowed(c)));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::wechat::webhook::test_vectors::text as vector;
    use crate::wechat::webhook::xml;
    use proptest::prelude::*;

    fn squeeze(s: &str) -> String {
        s.chars().filter(|c| !c.is_whitespace()).collect()
    }

    #[test]
    fn text_image_and_transfer_replies_match_wxjava() {
        let text = Reply::Text("content".into()).render("to", "from", 1122);
        assert_eq!(text.unwrap(), vector("xml/reply/wxjava/text.xml"));
        let image = Reply::Image {
            media_id: "ddfefesfsdfef".into(),
        }
        .render("to", "from", 1122);
        assert_eq!(image.unwrap(), vector("xml/reply/wxjava/image.xml"));
        let transfer = Reply::TransferCustomerService { kf_account: None }
            .render("touser", "fromuser", 1399197672);
        assert_eq!(
            transfer.unwrap(),
            vector("xml/reply/wxjava/transfer_customer_service.xml")
        );
        let to_agent = Reply::TransferCustomerService {
            kf_account: Some("test1@test".into()),
        }
        .render("touser", "fromuser", 1399197672);
        assert_eq!(
            squeeze(&to_agent.unwrap()),
            squeeze(&vector(
                "xml/reply/wxjava/transfer_customer_service_with_kfaccount.xml"
            ))
        );
        assert_eq!(Reply::Success.render("to", "from", 1), None);
    }

    #[test]
    fn a_news_reply_has_wxjavas_layout_with_one_article() {
        let expected = squeeze(&vector("xml/reply/wxjava/news.xml"));
        // WxJava's fixture holds two identical articles; a passive reply carries one.
        let item = "<item><Title><![CDATA[title]]></Title><Description><![CDATA[description]]></Description><PicUrl><![CDATA[picUrl]]></PicUrl><Url><![CDATA[url]]></Url></item>";
        let expected = expected.replacen(item, "", 1).replace(
            "<ArticleCount>2</ArticleCount>",
            "<ArticleCount>1</ArticleCount>",
        );
        let news = Reply::News(Article {
            title: "title".into(),
            description: "description".into(),
            url: "url".into(),
            pic_url: Some("picUrl".into()),
        })
        .render("toUser", "fromUser", 1122);
        assert_eq!(news.unwrap(), expected);
    }

    #[test]
    fn cdata_terminators_and_forbidden_characters_cannot_break_the_document() {
        let nasty = "a]]><x>b</x>]]]]>\u{0}\u{1b}c&<";
        let xml_doc = Reply::Text(nasty.into()).render("o]]>", "gh", 1).unwrap();
        let fields = xml::parse(&xml_doc).unwrap();
        assert_eq!(fields.get("Content"), Some("a]]><x>b</x>]]]]>c&<"));
        assert_eq!(fields.get("ToUserName"), Some("o]]>"));
    }

    proptest! {
        #[test]
        fn any_text_round_trips_through_cdata(s in "\\PC{0,200}|[\\]>a<&]{0,40}") {
            let doc = Reply::Text(s.clone()).render("to", "from", 1).unwrap();
            let fields = xml::parse(&doc).unwrap();
            prop_assert_eq!(fields.get("Content"), Some(s.as_str()));
        }
    }
}
