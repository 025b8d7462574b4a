//! Reading the complaint form (`multipart/form-data`) with bounds, in two steps so that
//! nothing large is buffered for a request that will be refused: first the text fields
//! that come before the photos (the form puts its token first), which the caller checks
//! (CSRF token, daily quota); only then the photos. Text fields hold up to 16 KB,
//! photos up to 5 MB each (one byte more marks one as too large), 20 MB in all, and
//! every photo byte held counts against one budget shared by all uploads in the
//! process, so concurrent uploads cannot exhaust memory. A part that stops sending
//! for [`IDLE`] ends the request.

use std::collections::HashMap;
use std::time::Duration;

use actix_multipart::{Field, Multipart};
use futures::StreamExt;
use tokio::sync::{Semaphore, SemaphorePermit};

use crate::domain::complaint::submission::{MAX_PHOTO_BYTES, MAX_PHOTOS};
use crate::routes::page_error::PageError;

const MAX_TEXT_BYTES: usize = 16 * 1024;
const MAX_TOTAL_BYTES: usize = 20 * 1024 * 1024;
/// More parts than a real form has.
const MAX_PARTS: usize = 20;
/// Longest silence between two pieces of an upload. Generous: a villager on a weak
/// 4G link sends slowly, but keeps sending.
pub const IDLE: Duration = Duration::from_secs(30);
/// Photo bytes all uploads of this process may hold at once, in KiB.
const BUDGET_KIB: usize = 96 * 1024;
/// How long an upload waits for room in the budget before it is asked to try again.
const BUDGET_WAIT: Duration = Duration::from_secs(10);

static PHOTO_BUDGET: Semaphore = Semaphore::const_new(BUDGET_KIB);

/// The text fields, then (after [`Reader::photos`]) the photos.
#[derive(Debug, Default)]
pub struct Upload {
    pub text: HashMap<String, String>,
    /// Each photo's bytes; one cut off at `MAX_PHOTO_BYTES + 1` is too large.
    pub photos: Vec<Vec<u8>>,
    /// The share of [`PHOTO_BUDGET`] the photos hold, returned when this is dropped.
    budget: Option<SemaphorePermit<'static>>,
}

impl Upload {
    pub fn field(&self, name: &str) -> String {
        self.text.get(name).cloned().unwrap_or_default()
    }
}

fn too_large() -> PageError {
    PageError::bad_request("提交的内容太大：照片每张不超过5MB，最多3张。")
}

fn incomplete() -> PageError {
    PageError::bad_request("表单数据不完整，请重新提交。")
}

/// The form, read in two steps.
pub struct Reader {
    payload: Multipart,
    /// The first photo part, met while reading the text fields.
    pending: Option<Field>,
    upload: Upload,
    total: usize,
    /// Photo bytes kept so far, the current part's included.
    photo_bytes: usize,
    parts: usize,
}

impl Reader {
    pub fn new(payload: Multipart) -> Reader {
        Reader {
            payload,
            pending: None,
            upload: Upload::default(),
            total: 0,
            photo_bytes: 0,
            parts: 0,
        }
    }

    async fn next_part(&mut self) -> Result<Option<Field>, PageError> {
        if let Some(field) = self.pending.take() {
            return Ok(Some(field));
        }
        let next = tokio::time::timeout(IDLE, self.payload.next())
            .await
            .map_err(|_| incomplete())?;
        let Some(field) = next else {
            return Ok(None);
        };
        self.parts += 1;
        if self.parts > MAX_PARTS {
            return Err(PageError::bad_request("表单数据有误，请重新提交。"));
        }
        field.map(Some).map_err(|_| incomplete())
    }

    /// The text fields up to the first photo; the photo itself is not read.
    pub async fn text_fields(&mut self) -> Result<&Upload, PageError> {
        while let Some(field) = self.next_part().await? {
            if is_photo(&field) {
                self.pending = Some(field);
                break;
            }
            self.read_text(field).await?;
        }
        Ok(&self.upload)
    }

    /// Whether a photo part with a file name follows the text fields.
    pub fn photo_pending(&self) -> bool {
        self.pending
            .as_ref()
            .and_then(|f| f.content_disposition())
            .and_then(|d| d.get_filename())
            .is_some_and(|name| !name.is_empty())
    }

    /// Everything after the text fields: the photos, and any text field sent after
    /// them. Call only once the text fields have been checked.
    pub async fn photos(mut self) -> Result<Upload, PageError> {
        while let Some(field) = self.next_part().await? {
            if is_photo(&field) {
                self.read_photo(field).await?;
            } else {
                self.read_text(field).await?;
            }
        }
        Ok(self.upload)
    }

    async fn read_text(&mut self, mut field: Field) -> Result<(), PageError> {
        let name = field.name().unwrap_or_default().to_owned();
        let mut bytes = Vec::new();
        while let Some(chunk) = next_chunk(&mut field).await? {
            self.count(chunk.len())?;
            if bytes.len() + chunk.len() >= MAX_TEXT_BYTES {
                return Err(PageError::bad_request("填写的内容太长，请精简后再提交。"));
            }
            bytes.extend_from_slice(&chunk);
        }
        let text = String::from_utf8(bytes)
            .map_err(|_| PageError::bad_request("表单文字编码有误，请重新提交。"))?;
        self.upload.text.insert(name, text);
        Ok(())
    }

    async fn read_photo(&mut self, mut field: Field) -> Result<(), PageError> {
        let limit = MAX_PHOTO_BYTES + 1;
        let keep = self.upload.photos.len() <= MAX_PHOTOS;
        let mut bytes = Vec::new();
        while let Some(chunk) = next_chunk(&mut field).await? {
            self.count(chunk.len())?;
            if !keep {
                continue;
            }
            // Keep at most `limit` bytes; the rest of an oversized part is read and
            // dropped so that the form can be shown again with the reason.
            let room = limit.saturating_sub(bytes.len());
            let kept = chunk.get(..room.min(chunk.len())).unwrap_or_default();
            self.reserve(kept.len()).await?;
            bytes.extend_from_slice(kept);
        }
        // An empty file input still sends a part.
        if keep && !bytes.is_empty() {
            self.upload.photos.push(bytes);
        }
        Ok(())
    }

    fn count(&mut self, n: usize) -> Result<(), PageError> {
        self.total += n;
        if self.total > MAX_TOTAL_BYTES {
            return Err(too_large());
        }
        Ok(())
    }

    /// Takes room for `n` more photo bytes from the process-wide budget.
    async fn reserve(&mut self, n: usize) -> Result<(), PageError> {
        let held = self.upload.budget.as_ref().map_or(0, |p| p.num_permits());
        self.photo_bytes += n;
        let needed = self.photo_bytes.div_ceil(1024);
        if needed <= held {
            return Ok(());
        }
        let more = u32::try_from(needed - held).unwrap_or(u32::MAX);
        let permit = tokio::time::timeout(BUDGET_WAIT, PHOTO_BUDGET.acquire_many(more))
            .await
            .map_err(|_| busy())?
            .map_err(|_| busy())?;
        match &mut self.upload.budget {
            Some(held) => held.merge(permit),
            None => self.upload.budget = Some(permit),
        }
        Ok(())
    }
}

fn busy() -> PageError {
    PageError::unavailable("现在提交的人较多，请稍等一分钟后再提交。")
}

fn is_photo(field: &Field) -> bool {
    field.name() == Some("photos")
}

async fn next_chunk(field: &mut Field) -> Result<Option<actix_web::web::Bytes>, PageError> {
    match tokio::time::timeout(IDLE, field.next()).await {
        Err(_) => Err(incomplete()),
        Ok(None) => Ok(None),
        Ok(Some(chunk)) => chunk.map(Some).map_err(|_| incomplete()),
    }
}
