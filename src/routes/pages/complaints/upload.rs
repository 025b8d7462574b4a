//! Reading the complaint form (`multipart/form-data`) with bounds: text fields up to
//! 16 KB, photos up to 5 MB each (one byte more marks one as too large), 20 MB in all.
//! Nothing is buffered beyond those bounds.

use std::collections::HashMap;

use actix_multipart::Multipart;
use futures::StreamExt;

use crate::domain::complaint::submission::{MAX_PHOTO_BYTES, MAX_PHOTOS};
use crate::routes::page_error::PageError;

const MAX_TEXT_BYTES: usize = 16 * 1024;
const MAX_TOTAL_BYTES: usize = 20 * 1024 * 1024;
/// More parts than a real form has.
const MAX_PARTS: usize = 20;

/// The form's fields as sent.
#[derive(Debug, Default)]
pub struct Upload {
    pub text: HashMap<String, String>,
    /// Each photo's bytes; one cut off at `MAX_PHOTO_BYTES + 1` is too large.
    pub photos: Vec<Vec<u8>>,
}

impl Upload {
    pub fn field(&self, name: &str) -> String {
        self.text.get(name).cloned().unwrap_or_default()
    }
}

fn too_large() -> PageError {
    PageError::bad_request("提交的内容太大：照片每张不超过5MB，最多3张。")
}

pub async fn read(mut payload: Multipart) -> Result<Upload, PageError> {
    let mut upload = Upload::default();
    let mut total = 0usize;
    let mut parts = 0usize;
    while let Some(field) = payload.next().await {
        let mut field =
            field.map_err(|_| PageError::bad_request("表单数据不完整，请重新提交。"))?;
        parts += 1;
        if parts > MAX_PARTS {
            return Err(PageError::bad_request("表单数据有误，请重新提交。"));
        }
        let name = field.name().unwrap_or_default().to_owned();
        let is_photo = name == "photos";
        let limit = if is_photo {
            MAX_PHOTO_BYTES + 1
        } else {
            MAX_TEXT_BYTES
        };
        let mut bytes = Vec::new();
        while let Some(chunk) = field.next().await {
            let chunk =
                chunk.map_err(|_| PageError::bad_request("表单数据不完整，请重新提交。"))?;
            total += chunk.len();
            if total > MAX_TOTAL_BYTES {
                return Err(too_large());
            }
            // Keep at most `limit` bytes; the rest of an oversized part is read and
            // dropped so that the next part can be reached.
            let room = limit.saturating_sub(bytes.len());
            bytes.extend_from_slice(chunk.get(..room.min(chunk.len())).unwrap_or_default());
        }
        if is_photo {
            // An empty file input still sends a part.
            if !bytes.is_empty() && upload.photos.len() <= MAX_PHOTOS {
                upload.photos.push(bytes);
            }
        } else {
            if bytes.len() >= MAX_TEXT_BYTES {
                return Err(PageError::bad_request("填写的内容太长，请精简后再提交。"));
            }
            let text = String::from_utf8(bytes)
                .map_err(|_| PageError::bad_request("表单文字编码有误，请重新提交。"))?;
            upload.text.insert(name, text);
        }
    }
    Ok(upload)
}
