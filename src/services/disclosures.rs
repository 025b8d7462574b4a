//! Publishing: a village clerk drafts and submits, the township reviewer approves
//! (publishes) or returns with a reason; a correction is a new draft of a published
//! disclosure that becomes its next version; a withdrawal keeps the record and the
//! reason. Each step is one transaction with its audit line.
//!
//! [`publish`], [`correct`] and [`withdraw`] are the only ways content becomes public or
//! stops being so, and each takes the caller's transaction: whatever must be recorded
//! with a publication (the transparency log) is added there and commits with it.

use std::net::IpAddr;

use chrono::{DateTime, Utc};
use serde_json::json;
use sqlx::PgPool;

use crate::domain::disclosure::attachment::{DraftFile, FileRef};
use crate::domain::disclosure::content::{Problem, RawContent, StructuredContent};
use crate::domain::disclosure::definition::ModuleDefinitions;
use crate::domain::disclosure::lifecycle::{DraftState, Step};
use crate::domain::staff::{StaffAction, StaffMember, Target};
use crate::domain::{DisclosureStatus, Module, RegionCode, RegionLevel, WithdrawalReason};
use crate::services::audit::{self, Actor, Change, Subject};
use crate::services::transparency::{self, LogError};
use crate::storage::PgTransaction;
use crate::storage::disclosures::AttachmentFile;
use crate::storage::disclosures::{self, NewVersion};
use crate::storage::drafts::{self, Draft, DraftFileInfo};
use crate::transparency::entry::DisclosureKind;

/// Longest reason for returning a draft.
pub const MAX_RETURN_REASON: usize = 500;

#[derive(Debug, thiserror::Error)]
pub enum PublishError {
    /// Outside the member's scope, or no such thing: it does not exist for them.
    #[error("not found")]
    NotFound,
    #[error("the role may not do this")]
    Forbidden,
    #[error("not allowed while the draft is {}", .0.as_str())]
    WrongState(DraftState),
    #[error("the content has {} problem(s)", .0.len())]
    Invalid(Vec<Problem>),
    /// A Chinese sentence for the form.
    #[error("{0}")]
    Refused(String),
    #[error(transparent)]
    Database(#[from] sqlx::Error),
}

impl From<LogError> for PublishError {
    fn from(e: LogError) -> PublishError {
        PublishError::Database(e.into())
    }
}

impl PublishError {
    /// The lines shown to the clerk.
    pub fn messages(&self) -> Vec<String> {
        match self {
            PublishError::Invalid(p) => p.iter().map(ToString::to_string).collect(),
            PublishError::Refused(m) => vec![m.clone()],
            PublishError::WrongState(s) => {
                vec![format!("这份草稿现在是“{}”状态，不能这样操作。", s.label())]
            }
            PublishError::Forbidden => vec!["您的角色不能进行这项操作。".into()],
            PublishError::NotFound => vec!["没有找到这份草稿。".into()],
            PublishError::Database(_) => vec!["系统繁忙，请稍后再试。".into()],
        }
    }
}

/// The member and their address, as every step records it.
#[derive(Debug, Clone, Copy)]
pub struct Acting<'a> {
    pub member: &'a StaffMember,
    pub ip: Option<IpAddr>,
}

impl Acting<'_> {
    fn actor(&self) -> Actor<'_> {
        Actor::member(self.member, self.ip)
    }

    fn may(&self, action: StaffAction, region: &RegionCode) -> bool {
        self.member.may_on(action, Target { region, unit: None })
    }

    /// May this member see a draft or disclosure of `region` at all (a clerk of the
    /// village, a reviewer of its township)?
    pub fn may_see(&self, region: &RegionCode) -> bool {
        self.may(StaffAction::DraftDisclosure, region)
            || self.may(StaffAction::ReviewDisclosure, region)
    }

    /// Existence first (404 outside the scope), then the permission (403).
    fn check(&self, action: StaffAction, region: &RegionCode) -> Result<(), PublishError> {
        if !self.may_see(region) {
            return Err(PublishError::NotFound);
        }
        if !self.may(action, region) {
            return Err(PublishError::Forbidden);
        }
        Ok(())
    }
}

fn note(raw: Option<&str>, max: usize, what: &str) -> Result<Option<String>, PublishError> {
    let Some(s) = raw.map(str::trim).filter(|s| !s.is_empty()) else {
        return Ok(None);
    };
    if s.chars().count() > max {
        return Err(PublishError::Refused(format!("{what}不能超过{max}个字。")));
    }
    if s.chars().any(char::is_control) {
        return Err(PublishError::Refused(format!("{what}含有控制字符。")));
    }
    Ok(Some(s.to_owned()))
}

fn subject(draft_id: i64, region: &RegionCode) -> Subject<'_> {
    Subject::new("disclosure_draft", draft_id, region.as_str())
}

/// A clerk starts a new disclosure of `module` for their village.
pub async fn create_draft(
    pool: &PgPool,
    defs: &ModuleDefinitions,
    by: Acting<'_>,
    region: &RegionCode,
    module: Module,
    raw: &RawContent,
) -> Result<i64, PublishError> {
    if region.level() != RegionLevel::Village || !by.may(StaffAction::DraftDisclosure, region) {
        return Err(PublishError::Forbidden);
    }
    let content = defs.get(module).parse(raw).map_err(PublishError::Invalid)?;
    // A new draft has no attachments yet for a receipt to name.
    check_files(&content, &[])?;
    let mut tx = pool.begin().await?;
    let id = drafts::insert(&mut tx, region, &content, None, None, by.member.account_id).await?;
    audit::record(
        &mut *tx,
        by.actor(),
        "disclosure.draft_created",
        subject(id, region),
        Change {
            after: Some(json!({"module": module.slug(), "title": content.title})),
            ..Change::default()
        },
    )
    .await?;
    tx.commit().await?;
    Ok(id)
}

/// A clerk starts a correction of a published disclosure: a draft holding its current
/// content, which becomes the next version once approved.
pub async fn start_correction(
    pool: &PgPool,
    by: Acting<'_>,
    disclosure_id: i64,
) -> Result<i64, PublishError> {
    let mut tx = pool.begin().await?;
    let locked = disclosures::lock(&mut tx, disclosure_id)
        .await?
        .ok_or(PublishError::NotFound)?;
    by.check(StaffAction::DraftDisclosure, &locked.region)?;
    if locked.status != DisclosureStatus::Published {
        return Err(PublishError::Refused("已撤回的公开不能再更正。".into()));
    }
    if let Some(open) = drafts::open_correction(pool, disclosure_id).await? {
        return Ok(open);
    }
    let content = disclosures::current_content(&mut *tx, disclosure_id)
        .await?
        .ok_or_else(|| {
            PublishError::Refused("这条公开是旧格式（只有标题和正文），请联系管理员更正。".into())
        })?;
    let id = drafts::insert(
        &mut tx,
        &locked.region,
        &content,
        Some(disclosure_id),
        None,
        by.member.account_id,
    )
    .await?;
    drafts::copy_version_files(&mut tx, id, disclosure_id, locked.current_version).await?;
    audit::record(
        &mut *tx,
        by.actor(),
        "disclosure.correction_started",
        subject(id, &locked.region),
        Change {
            after: Some(json!({"disclosure_id": disclosure_id, "version": locked.current_version})),
            ..Change::default()
        },
    )
    .await?;
    tx.commit().await?;
    Ok(id)
}

async fn locked_draft(
    tx: &mut PgTransaction<'_>,
    by: Acting<'_>,
    draft_id: i64,
    step: Step,
) -> Result<(Draft, DraftState), PublishError> {
    let draft = drafts::lock(tx, draft_id)
        .await?
        .ok_or(PublishError::NotFound)?;
    by.check(step.permission(), &draft.region)?;
    let next = step
        .apply(draft.state)
        .ok_or(PublishError::WrongState(draft.state))?;
    Ok((draft, next))
}

/// A clerk saves the draft's content (and, for a correction, its reason).
pub async fn edit(
    pool: &PgPool,
    defs: &ModuleDefinitions,
    by: Acting<'_>,
    draft_id: i64,
    raw: &RawContent,
    change_note: Option<&str>,
) -> Result<(), PublishError> {
    let mut tx = pool.begin().await?;
    let (draft, _) = locked_draft(&mut tx, by, draft_id, Step::Edit).await?;
    let content = defs
        .get(draft.module)
        .parse(raw)
        .map_err(PublishError::Invalid)?;
    let files = drafts::files(&mut *tx, draft_id).await?;
    check_files(&content, &files)?;
    let change_note = match draft.disclosure_id {
        Some(_) => note(change_note, crate::domain::disclosure::MAX_NOTE, "更正说明")?,
        None => None,
    };
    drafts::save_content(&mut tx, draft_id, &content, change_note.as_deref()).await?;
    audit::record(
        &mut *tx,
        by.actor(),
        Step::Edit.audit_action(),
        subject(draft_id, &draft.region),
        Change {
            before: Some(draft.content.to_json(false)),
            after: Some(content.to_json(false)),
            reason: change_note.as_deref(),
        },
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// A clerk sends the draft to the township for review.
pub async fn submit(pool: &PgPool, by: Acting<'_>, draft_id: i64) -> Result<(), PublishError> {
    let mut tx = pool.begin().await?;
    let (draft, _) = locked_draft(&mut tx, by, draft_id, Step::Submit).await?;
    if draft.disclosure_id.is_some() && draft.change_note.is_none() {
        return Err(PublishError::Refused(
            "更正必须写明更正说明（改了什么、为什么）。".into(),
        ));
    }
    drafts::mark_submitted(&mut tx, draft_id, Utc::now()).await?;
    audit::record(
        &mut *tx,
        by.actor(),
        Step::Submit.audit_action(),
        subject(draft_id, &draft.region),
        Change::default(),
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// The reviewer returns the draft to the clerk with a reason.
pub async fn return_draft(
    pool: &PgPool,
    by: Acting<'_>,
    draft_id: i64,
    reason: &str,
) -> Result<(), PublishError> {
    let mut tx = pool.begin().await?;
    let (draft, _) = locked_draft(&mut tx, by, draft_id, Step::Return).await?;
    let reason = note(Some(reason), MAX_RETURN_REASON, "退回原因")?
        .ok_or_else(|| PublishError::Refused("退回必须写明原因。".into()))?;
    drafts::mark_returned(&mut tx, draft_id, by.member.account_id, &reason, Utc::now()).await?;
    audit::record(
        &mut *tx,
        by.actor(),
        Step::Return.audit_action(),
        subject(draft_id, &draft.region),
        Change {
            reason: Some(&reason),
            ..Change::default()
        },
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// What an approval published.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Published {
    pub disclosure_id: i64,
    pub version: i32,
    pub content_sha256: [u8; 32],
}

/// How an approval publishes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Publication {
    /// For real, now.
    Now,
    /// `sunvillage demo-data`'s sample: marked 示例 and dated `at`, in the past, so that
    /// lists and the calendar look lived-in. The draft's own steps keep their real times.
    Sample { at: DateTime<Utc> },
}

/// The reviewer approves: a new disclosure is published, or a correction becomes the
/// next version.
pub async fn approve(
    pool: &PgPool,
    by: Acting<'_>,
    draft_id: i64,
) -> Result<Published, PublishError> {
    approve_as(pool, by, draft_id, Publication::Now).await
}

/// [`approve`], publishing as `how` says: the one place a sample differs from real
/// content on its way in.
pub async fn approve_as(
    pool: &PgPool,
    by: Acting<'_>,
    draft_id: i64,
    how: Publication,
) -> Result<Published, PublishError> {
    let mut tx = pool.begin().await?;
    let (draft, _) = locked_draft(&mut tx, by, draft_id, Step::Approve).await?;
    let now = Utc::now();
    let (at, is_sample) = match how {
        Publication::Now => (now, false),
        Publication::Sample { at } => (at, true),
    };
    let published = match draft.disclosure_id {
        None => publish(&mut tx, by, &draft, at, is_sample).await?,
        Some(id) => correct(&mut tx, by, id, &draft, at, is_sample).await?,
    };
    drafts::mark_published(
        &mut tx,
        draft_id,
        published.disclosure_id,
        published.version,
        by.member.account_id,
        now,
    )
    .await?;
    tx.commit().await?;
    Ok(published)
}

/// Sample content (`demo-data`) is never entered in the transparency log: the log is
/// append-only and public, a promise that what it names was published for real and
/// stays verifiable, while samples are deleted and loaded again each time the command
/// runs. Their entries would name disclosures that no longer exist (and fail
/// `verify-log`) and pile up with every run.
fn logged(is_sample: bool) -> bool {
    !is_sample
}

/// Publishes a draft as version 1 of a new disclosure, inside the caller's transaction,
/// with its audit line. The one place a new disclosure becomes public.
pub async fn publish(
    tx: &mut PgTransaction<'_>,
    by: Acting<'_>,
    draft: &Draft,
    at: DateTime<Utc>,
    is_sample: bool,
) -> Result<Published, PublishError> {
    let publisher = disclosures::publisher_name(tx, &draft.region).await?;
    let files = file_refs(tx, draft.draft_id).await?;
    let id = disclosures::insert_disclosure(tx, &draft.region, draft.module, at, is_sample).await?;
    let digest = disclosures::insert_version(
        tx,
        id,
        1,
        &NewVersion {
            content: &draft.content,
            publisher: &publisher,
            change_note: None,
            draft_id: draft.draft_id,
            approved_by: by.member.account_id,
            at,
            files: &files,
        },
    )
    .await?;
    disclosures::copy_draft_files(tx, draft.draft_id, id, 1).await?;
    record_publication(
        tx,
        by,
        "disclosure.published",
        id,
        1,
        &draft.region,
        &digest,
        None,
    )
    .await?;
    if logged(is_sample) {
        transparency::record_disclosure(
            tx,
            DisclosureKind::Published,
            &draft.region,
            draft.module,
            id,
            1,
            at,
            digest,
            files.iter().map(|f| f.sha256).collect(),
        )
        .await?;
    }
    Ok(Published {
        disclosure_id: id,
        version: 1,
        content_sha256: digest,
    })
}

/// Publishes a correction draft as the next version of `disclosure_id`, inside the
/// caller's transaction, with its audit line. The one place a published disclosure
/// changes; the earlier versions stay as they were. A sample is corrected only as a
/// sample, and real content only for real.
pub async fn correct(
    tx: &mut PgTransaction<'_>,
    by: Acting<'_>,
    disclosure_id: i64,
    draft: &Draft,
    at: DateTime<Utc>,
    is_sample: bool,
) -> Result<Published, PublishError> {
    let locked = disclosures::lock(tx, disclosure_id)
        .await?
        .ok_or(PublishError::NotFound)?;
    if locked.status != DisclosureStatus::Published {
        return Err(PublishError::Refused("已撤回的公开不能再更正。".into()));
    }
    if is_sample && !locked.is_sample {
        return Err(PublishError::Refused("示例更正只能用于示例内容。".into()));
    }
    let note = draft
        .change_note
        .as_deref()
        .ok_or_else(|| PublishError::Refused("更正必须写明更正说明。".into()))?;
    let publisher = disclosures::publisher_name(tx, &locked.region).await?;
    let version = locked.current_version + 1;
    let files = file_refs(tx, draft.draft_id).await?;
    let digest = disclosures::insert_version(
        tx,
        disclosure_id,
        version,
        &NewVersion {
            content: &draft.content,
            publisher: &publisher,
            change_note: Some(note),
            draft_id: draft.draft_id,
            approved_by: by.member.account_id,
            at,
            files: &files,
        },
    )
    .await?;
    disclosures::copy_draft_files(tx, draft.draft_id, disclosure_id, version).await?;
    record_publication(
        tx,
        by,
        "disclosure.corrected",
        disclosure_id,
        version,
        &locked.region,
        &digest,
        Some(note),
    )
    .await?;
    if logged(locked.is_sample) {
        transparency::record_disclosure(
            tx,
            DisclosureKind::Corrected,
            &locked.region,
            locked.module,
            disclosure_id,
            version,
            at,
            digest,
            files.iter().map(|f| f.sha256).collect(),
        )
        .await?;
    }
    Ok(Published {
        disclosure_id,
        version,
        content_sha256: digest,
    })
}

#[allow(clippy::too_many_arguments, reason = "one audit line's parts")]
async fn record_publication(
    tx: &mut PgTransaction<'_>,
    by: Acting<'_>,
    action: &str,
    id: i64,
    version: i32,
    region: &RegionCode,
    digest: &[u8; 32],
    reason: Option<&str>,
) -> Result<(), sqlx::Error> {
    audit::record(
        &mut **tx,
        by.actor(),
        action,
        Subject::new("disclosure", id, region.as_str()),
        Change {
            after: Some(json!({"version": version, "content_sha256": hex::encode(digest)})),
            reason,
            ..Change::default()
        },
    )
    .await?;
    Ok(())
}

/// Withdraws a published disclosure inside the caller's transaction, keeping every
/// version and showing the reason. The one place a disclosure stops being current.
pub async fn withdraw(
    tx: &mut PgTransaction<'_>,
    by: Acting<'_>,
    disclosure_id: i64,
    reason: &WithdrawalReason,
    at: DateTime<Utc>,
) -> Result<(), PublishError> {
    let locked = disclosures::lock(tx, disclosure_id)
        .await?
        .ok_or(PublishError::NotFound)?;
    by.check(StaffAction::ReviewDisclosure, &locked.region)?;
    if !disclosures::mark_withdrawn(tx, disclosure_id, reason, at).await? {
        return Err(PublishError::Refused("这条公开已经撤回。".into()));
    }
    // A version published before the lifecycle has no content hash and was never
    // logged, nor was a sample; only what was logged is logged as withdrawn.
    if logged(locked.is_sample)
        && let Some(digest) =
            disclosures::content_sha256(&mut **tx, disclosure_id, locked.current_version).await?
    {
        let files =
            disclosures::version_file_hashes(&mut **tx, disclosure_id, locked.current_version)
                .await?;
        transparency::record_disclosure(
            tx,
            DisclosureKind::Withdrawn,
            &locked.region,
            locked.module,
            disclosure_id,
            locked.current_version,
            at,
            digest,
            files,
        )
        .await?;
    }
    audit::record(
        &mut **tx,
        by.actor(),
        "disclosure.withdrawn",
        Subject::new("disclosure", disclosure_id, locked.region.as_str()),
        Change {
            after: Some(json!({"version": locked.current_version})),
            reason: Some(reason.as_str()),
            ..Change::default()
        },
    )
    .await?;
    Ok(())
}

/// The reviewer withdraws a disclosure of their township, with a reason.
pub async fn withdraw_now(
    pool: &PgPool,
    by: Acting<'_>,
    disclosure_id: i64,
    reason: &str,
) -> Result<(), PublishError> {
    let mut tx = pool.begin().await?;
    // The scope is checked before the reason, so that a stranger learns nothing.
    let locked = disclosures::lock(&mut tx, disclosure_id)
        .await?
        .ok_or(PublishError::NotFound)?;
    by.check(StaffAction::ReviewDisclosure, &locked.region)?;
    let reason = WithdrawalReason::parse(reason)
        .map_err(|_| PublishError::Refused("撤回必须写明原因（不超过200字）。".into()))?;
    withdraw(&mut tx, by, disclosure_id, &reason, Utc::now()).await?;
    tx.commit().await?;
    Ok(())
}

/// A draft for the member to read, or NotFound outside their scope.
pub async fn read_draft(
    pool: &PgPool,
    by: Acting<'_>,
    draft_id: i64,
) -> Result<Draft, PublishError> {
    let draft = drafts::find(pool, draft_id)
        .await?
        .ok_or(PublishError::NotFound)?;
    if !by.may_see(&draft.region) {
        return Err(PublishError::NotFound);
    }
    Ok(draft)
}

/// What the draft would replace: the current published content of the disclosure it
/// corrects (None for a new disclosure).
pub async fn published_before(
    pool: &PgPool,
    draft: &Draft,
) -> Result<Option<StructuredContent>, PublishError> {
    match draft.disclosure_id {
        None => Ok(None),
        Some(id) => Ok(disclosures::current_content(pool, id).await?),
    }
}

/// A draft the member may edit now (for an import before it is confirmed).
pub async fn editable_draft(
    pool: &PgPool,
    by: Acting<'_>,
    draft_id: i64,
) -> Result<Draft, PublishError> {
    let draft = drafts::find(pool, draft_id)
        .await?
        .ok_or(PublishError::NotFound)?;
    by.check(Step::Edit.permission(), &draft.region)?;
    Step::Edit
        .apply(draft.state)
        .ok_or(PublishError::WrongState(draft.state))?;
    Ok(draft)
}

/// Every attachment the content names (a receipt) must be one of the draft's files.
fn check_files(content: &StructuredContent, files: &[DraftFileInfo]) -> Result<(), PublishError> {
    let problems: Vec<Problem> = content
        .file_refs()
        .into_iter()
        .filter(|(_, hash)| !files.iter().any(|f| hex::encode(&f.sha256) == *hash))
        .map(|(place, _)| Problem {
            place,
            message: "不是本草稿已上传的附件，请先上传照片".into(),
        })
        .collect();
    if problems.is_empty() {
        Ok(())
    } else {
        Err(PublishError::Invalid(problems))
    }
}

/// A draft's attachments as its published version names them.
async fn file_refs(
    tx: &mut PgTransaction<'_>,
    draft_id: i64,
) -> Result<Vec<FileRef>, PublishError> {
    drafts::files(&mut **tx, draft_id)
        .await?
        .into_iter()
        .map(|f| {
            let sha256 = <[u8; 32]>::try_from(f.sha256.as_slice())
                .map_err(|_| sqlx::Error::Protocol(format!("attachment {}: bad sha256", f.id)))?;
            Ok(FileRef {
                name: f.name,
                media_type: f.media_type,
                sha256,
            })
        })
        .collect()
}

/// How many attachments a draft may hold and how large each may be
/// (`[publishing]` in the settings).
#[derive(Debug, Clone, Copy)]
pub struct FileLimits {
    pub max_files: usize,
    pub max_bytes: usize,
}

/// A clerk attaches a file (already checked, see `DraftFile::parse`) to an editable draft.
pub async fn attach(
    pool: &PgPool,
    by: Acting<'_>,
    draft_id: i64,
    file: &DraftFile,
    limits: FileLimits,
) -> Result<i64, PublishError> {
    let mut tx = pool.begin().await?;
    let (draft, _) = locked_draft(&mut tx, by, draft_id, Step::Edit).await?;
    let files = drafts::files(&mut *tx, draft_id).await?;
    if files.len() >= limits.max_files {
        return Err(PublishError::Refused(format!(
            "每份草稿最多{}个附件，请先删除不需要的附件。",
            limits.max_files
        )));
    }
    let id = drafts::insert_file(&mut tx, draft_id, file)
        .await?
        .ok_or_else(|| {
            PublishError::Refused(format!("“{}”或内容相同的文件已经上传过了。", file.name()))
        })?;
    audit::record(
        &mut *tx,
        by.actor(),
        "disclosure.attachment_added",
        subject(draft_id, &draft.region),
        Change {
            after: Some(json!({
                "file": id,
                "name": file.name(),
                "media_type": file.kind().media_type(),
                "sha256": hex::encode(crate::transparency::entry::sha256(file.content())),
            })),
            ..Change::default()
        },
    )
    .await?;
    tx.commit().await?;
    Ok(id)
}

/// A clerk removes an attachment no line item names.
pub async fn detach(
    pool: &PgPool,
    by: Acting<'_>,
    draft_id: i64,
    file_id: i64,
) -> Result<(), PublishError> {
    let mut tx = pool.begin().await?;
    let (draft, _) = locked_draft(&mut tx, by, draft_id, Step::Edit).await?;
    let files = drafts::files(&mut *tx, draft_id).await?;
    let file = files
        .iter()
        .find(|f| f.id == file_id)
        .ok_or_else(|| PublishError::Refused("这个附件已经删除了。".into()))?;
    let hash = hex::encode(&file.sha256);
    if let Some((place, _)) = draft
        .content
        .file_refs()
        .into_iter()
        .find(|(_, h)| *h == hash)
    {
        let at = Problem {
            place,
            message: String::new(),
        }
        .to_string();
        return Err(PublishError::Refused(format!(
            "“{}”是{}的收据，请先在明细中改掉再删除。",
            file.name,
            at.trim_end_matches('：')
        )));
    }
    drafts::delete_file(&mut tx, draft_id, file_id).await?;
    audit::record(
        &mut *tx,
        by.actor(),
        "disclosure.attachment_removed",
        subject(draft_id, &draft.region),
        Change {
            before: Some(json!({"file": file_id, "name": file.name, "sha256": hash})),
            ..Change::default()
        },
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// A draft's attachment (or a picture's small copy) for a member who may see the draft.
pub async fn draft_file(
    pool: &PgPool,
    by: Acting<'_>,
    draft_id: i64,
    file_id: i64,
    small: bool,
) -> Result<AttachmentFile, PublishError> {
    read_draft(pool, by, draft_id).await?;
    drafts::file(pool, draft_id, file_id, small)
        .await?
        .ok_or(PublishError::NotFound)
}
