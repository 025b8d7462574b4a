//! Permanent parametric QR codes for villages (`QR_LIMIT_STR_SCENE`, scene = the 12-digit
//! village code): scanning one subscribes with `EventKey = qrscene_<code>` (or sends
//! `SCAN` with the code to a follower), which the webhook binds to the village. Written
//! as CSV rows of code, name, ticket, image URL and the code's own URL.

use std::io::Write;

use futures::StreamExt;
use serde::Deserialize;

use super::{ApiError, Call, WechatApi};
use crate::domain::{Region, VillageCode};

/// Where WeChat serves the picture of a QR code, by URL-encoded ticket.
pub const SHOW_QRCODE_URL: &str = "https://mp.weixin.qq.com/cgi-bin/showqrcode?ticket=";

/// Codes requested at once.
const CONCURRENCY: usize = 4;

/// A QR code as WeChat issued it.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct QrCode {
    pub ticket: String,
    /// The URL the code encodes.
    pub url: String,
}

impl QrCode {
    /// The picture (a JPEG WeChat renders) of this code.
    pub fn image_url(&self) -> String {
        let ticket: String = url::form_urlencoded::byte_serialize(self.ticket.as_bytes()).collect();
        format!("{SHOW_QRCODE_URL}{ticket}")
    }
}

impl WechatApi {
    /// `POST /cgi-bin/qrcode/create` with `QR_LIMIT_STR_SCENE` and the village code as
    /// the scene (permanent; an account may hold 100,000).
    pub async fn village_qrcode(&self, village: &VillageCode) -> Result<QrCode, ApiError> {
        let body = serde_json::json!({
            "action_name": "QR_LIMIT_STR_SCENE",
            "action_info": { "scene": { "scene_str": village.as_str() } },
        });
        self.call(Call::post("/cgi-bin/qrcode/create", &body)).await
    }
}

#[derive(Debug, thiserror::Error)]
pub enum QrError {
    #[error("{code} is not a village")]
    NotVillage { code: String },
    #[error("WeChat refused the code for {code}: {source}")]
    Api {
        code: String,
        #[source]
        source: ApiError,
    },
    #[error("cannot write the CSV: {0}")]
    Csv(#[from] csv::Error),
}

/// Creates a code for each village, in order, writing one CSV row per code as it comes
/// (so a failure keeps the rows already written); returns how many were written.
pub async fn write_csv<W: Write>(
    api: &WechatApi,
    villages: &[Region],
    out: W,
) -> Result<usize, QrError> {
    let mut writer = csv::Writer::from_writer(out);
    writer.write_record(["code", "name", "ticket", "image_url", "url"])?;
    let mut codes = futures::stream::iter(villages.iter().map(|region| async move {
        let code = region.code.as_str().to_owned();
        let village = VillageCode::try_from(region.code.clone())
            .map_err(|_| QrError::NotVillage { code: code.clone() })?;
        let qr = api
            .village_qrcode(&village)
            .await
            .map_err(|source| QrError::Api {
                code: code.clone(),
                source,
            })?;
        Ok::<_, QrError>((region, qr))
    }))
    .buffered(CONCURRENCY);
    let mut written = 0;
    while let Some(result) = codes.next().await {
        let (region, qr) = result?;
        writer.write_record([
            region.code.as_str(),
            region.display_name.as_str(),
            qr.ticket.as_str(),
            qr.image_url().as_str(),
            qr.url.as_str(),
        ])?;
        writer.flush().map_err(csv::Error::from)?;
        written += 1;
    }
    Ok(written)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_image_url_encodes_the_ticket() {
        let text = std::fs::read_to_string(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/tests/fixtures/qrcode_create.json"
        ))
        .unwrap();
        let qr: QrCode = serde_json::from_str(&text).unwrap();
        assert_eq!(
            qr.image_url(),
            "https://mp.weixin.qq.com/cgi-bin/showqrcode?ticket=gQH47joAAAAAAAAAASxodHRwOi8vd2VpeGluLnFxLmNvbS9xL2taZ2Z3TVRtNzJXV1Brb3ZhYmJJAAIEZ23sUwMEmm3sUw%3D%3D"
        );
        assert_eq!(qr.url, "https://weixin.qq.com/q/kZgfwMTm72WWPkovabbI");
    }
}
