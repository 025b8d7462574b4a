//! Template messages: the configured template per notification kind ([`Templates`]),
//! and `message/template/send` with `client_msg_id`, which lets WeChat drop a resend of
//! a message it already accepted.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::{ApiError, Call, WechatApi};
use crate::configuration::Settings;
use crate::domain::OpenId;
use crate::domain::notification::{
    Notification, NotificationError, NotificationKind, TemplateSpec,
};

/// Which template each kind of notification uses (`wechat.templates`), and the public
/// base URL that relative links are resolved against.
#[derive(Debug, Clone, Default)]
pub struct Templates {
    specs: BTreeMap<NotificationKind, TemplateSpec>,
    public_base: String,
}

impl Templates {
    /// The catalogue of loaded settings (whose templates were checked while loading).
    pub fn from_settings(settings: &Settings) -> Templates {
        let specs = settings.wechat.templates.clone();
        Templates {
            specs,
            public_base: settings.public_base().to_owned(),
        }
    }

    /// A notification of `kind` to `openid` with the named field values, linking to
    /// `link` (an absolute URL, or a path such as `/complaints/TS…` under the public base
    /// URL). Fails, naming the field, when the kind is not configured, a field is
    /// missing or unknown, or a value breaks the 2023 rules (≤ 20 characters, one line).
    pub fn notification(
        &self,
        kind: &str,
        openid: &OpenId,
        values: &[(&str, &str)],
        link: Option<&str>,
    ) -> Result<Notification, NotificationError> {
        let kind = NotificationKind::parse(kind)?;
        let spec = self
            .specs
            .get(&kind)
            .ok_or_else(|| NotificationError::UnknownKind(kind.to_string()))?;
        let absolute = link.map(|l| {
            if l.starts_with('/') && !l.starts_with("//") {
                format!("{}{l}", self.public_base)
            } else {
                l.to_owned()
            }
        });
        spec.notification(&kind, openid, values, absolute.as_deref())
    }

    /// Whether a template is configured for `kind` (a page promises a WeChat notice
    /// only then).
    pub fn configured(&self, kind: &str) -> bool {
        self.specs.contains_key(kind)
    }

    /// The configured kinds.
    pub fn kinds(&self) -> impl Iterator<Item = &NotificationKind> {
        self.specs.keys()
    }
}

/// One `message/template/send` request as the outbox worker sends it.
#[derive(Debug, Serialize)]
pub struct TemplateMessage<'a> {
    pub touser: &'a str,
    pub template_id: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub url: Option<&'a str>,
    /// The outbox row id: WeChat drops a second message with the same id.
    pub client_msg_id: &'a str,
    /// `{"keyword": {"value": "…"}}`; no colours (ignored since 2023).
    pub data: &'a Value,
}

impl WechatApi {
    /// `POST /cgi-bin/message/template/send`; WeChat's msgid on success.
    pub async fn send_template(&self, message: &TemplateMessage<'_>) -> Result<i64, ApiError> {
        #[derive(Deserialize)]
        struct Answer {
            msgid: i64,
        }
        let answer: Answer = self
            .call(Call::post("/cgi-bin/message/template/send", message))
            .await?;
        Ok(answer.msgid)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_send_body_has_no_colour_first_or_remark() {
        let data = serde_json::json!({"character_string1": {"value": "TS1"}});
        let m = TemplateMessage {
            touser: "OPENID",
            template_id: "ngqIpbwh8bUfcSsECmogfXcV14J0tQlEpBO27izEYtY",
            url: Some("http://weixin.qq.com/download"),
            client_msg_id: "MSG_000001",
            data: &data,
        };
        assert_eq!(
            serde_json::to_string(&m).unwrap(),
            r#"{"touser":"OPENID","template_id":"ngqIpbwh8bUfcSsECmogfXcV14J0tQlEpBO27izEYtY","url":"http://weixin.qq.com/download","client_msg_id":"MSG_000001","data":{"character_string1":{"value":"TS1"}}}"#
        );
    }
}
