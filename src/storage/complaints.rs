//! The complaint tables: complaints, their timeline, photos, categories and the daily
//! sequence behind tracking numbers.

use chrono::{DateTime, NaiveDate, Utc};
use sqlx::PgPool;
use uuid::Uuid;

use super::{PgTransaction, corrupt, data_keys};
use crate::crypto::{Field, Purpose, Vault, Wrapped};
use crate::domain::complaint::{
    Actor, Complainant, ComplaintState, ComplaintStatus, Deadlines, DisclosureRef, Event,
    NewComplaint, Satisfaction, TrackingNumber,
};
use crate::domain::{OpenId, VillageCode};

/// A category offered on the form.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Category {
    pub code: String,
    pub name: String,
}

pub async fn categories(pool: &PgPool) -> Result<Vec<Category>, sqlx::Error> {
    sqlx::query_as!(
        Category,
        "SELECT code, name FROM complaint_categories WHERE active ORDER BY sort_order, code"
    )
    .fetch_all(pool)
    .await
}

/// The next tracking number of `day`. The counter row is locked until the transaction
/// ends, so numbers are unique and gap-free per day.
pub async fn next_tracking_number(
    tx: &mut PgTransaction<'_>,
    prefix: &str,
    day: NaiveDate,
) -> Result<TrackingNumber, sqlx::Error> {
    let seq = sqlx::query_scalar!(
        "INSERT INTO complaint_day_counters (day, last_seq) VALUES ($1, 1)
         ON CONFLICT (day) DO UPDATE SET last_seq = complaint_day_counters.last_seq + 1
         RETURNING last_seq",
        day
    )
    .fetch_one(&mut **tx)
    .await?;
    let seq = u32::try_from(seq).map_err(|e| corrupt("day counter", e))?;
    TrackingNumber::new(prefix, day, seq).map_err(|e| corrupt("tracking number prefix", e))
}

/// A complaint as its complainant refers to it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Filed {
    pub complaint_id: i64,
    pub tracking_number: TrackingNumber,
}

/// Where each sealed value of a complaint lives: the associated data of its ciphertext.
pub fn field(complaint_id: i64, column: &'static str) -> Field {
    Field::new("complaints", column, complaint_id)
}

/// Where a photo lives: bound to its complaint and position.
pub fn photo_field(complaint_id: i64, position: i16) -> Field {
    Field::new(
        "complaint_photos",
        "sealed",
        format!("{complaint_id}|{position}"),
    )
}

/// The complaint already stored under this form key, if any.
pub async fn find_by_idempotency_key(
    executor: impl sqlx::PgExecutor<'_>,
    vault: &Vault,
    openid: &OpenId,
    key: Uuid,
) -> Result<Option<Filed>, sqlx::Error> {
    let row = sqlx::query!(
        "SELECT complaint_id, tracking_number FROM complaints
         WHERE openid_hash = ANY($1) AND idempotency_key = $2",
        &vault.lookup_candidates(Purpose::ComplaintOpenid, openid.as_str()),
        key
    )
    .fetch_optional(executor)
    .await?;
    row.map(|r| {
        Ok(Filed {
            tracking_number: tracking_number(Row::Complaint(r.complaint_id), &r.tracking_number)?,
            complaint_id: r.complaint_id,
        })
    })
    .transpose()
}

/// Serialises one follower's submissions until the transaction ends, so that the
/// daily count and the form-key check cannot race a second tap.
pub async fn lock_follower(tx: &mut PgTransaction<'_>, openid: &OpenId) -> Result<(), sqlx::Error> {
    sqlx::query!(
        "SELECT pg_advisory_xact_lock(hashtextextended('complaint-submit|' || $1, 0))",
        openid.as_str()
    )
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// How many complaints `openid` filed since `since`.
pub async fn count_filed_since(
    executor: impl sqlx::PgExecutor<'_>,
    vault: &Vault,
    openid: &OpenId,
    since: DateTime<Utc>,
) -> Result<i64, sqlx::Error> {
    sqlx::query_scalar!(
        r#"SELECT count(*) AS "n!" FROM complaints WHERE openid_hash = ANY($1) AND received_at >= $2"#,
        &vault.lookup_candidates(Purpose::ComplaintOpenid, openid.as_str()),
        since
    )
    .fetch_one(executor)
    .await
}

/// Stores a new complaint and returns its id: the identity and the photos sealed under
/// a new data key of the complaint, the openid and phone also as lookup hashes.
#[allow(clippy::too_many_arguments, reason = "each is a part of the one row")]
pub async fn insert(
    tx: &mut PgTransaction<'_>,
    vault: &Vault,
    complaint: &NewComplaint,
    openid: &OpenId,
    idempotency_key: Uuid,
    tracking_number: &TrackingNumber,
    state: &ComplaintState,
) -> Result<i64, sqlx::Error> {
    let (anonymous, name, phone) = match &complaint.complainant {
        Complainant::Anonymous => (true, None, None),
        Complainant::Named { name, phone } => (
            false,
            name.clone(),
            phone.as_ref().map(|p| p.as_str().to_owned()),
        ),
    };
    // The id is taken first: each ciphertext is bound to its row.
    let id = sqlx::query_scalar!(
        r#"SELECT nextval(pg_get_serial_sequence('complaints', 'complaint_id')) AS "id!""#
    )
    .fetch_one(&mut **tx)
    .await?;
    let key = data_keys::create(tx, vault).await?;
    let openid_sealed = vault.seal(&key, &field(id, "openid"), openid.as_str().as_bytes());
    let name_sealed = name.map(|n| vault.seal(&key, &field(id, "name"), n.as_bytes()));
    let phone_sealed = phone
        .as_ref()
        .map(|p| vault.seal(&key, &field(id, "phone"), p.as_bytes()));
    let phone_hash = phone
        .as_ref()
        .map(|p| vault.lookup(Purpose::ComplainantPhone, p).0);
    sqlx::query!(
        "INSERT INTO complaints (complaint_id, tracking_number, village_code, category_code,
             content, data_key_id, openid_sealed, openid_hash, anonymous, name_sealed,
             phone_sealed, phone_hash, status, received_at, accept_due, current_due,
             idempotency_key, about_disclosure_id, about_version)
         OVERRIDING SYSTEM VALUE
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17,
                 $18, $19)",
        id,
        tracking_number.as_str(),
        complaint.village.as_str(),
        complaint.category,
        complaint.content,
        key.id,
        openid_sealed,
        vault.lookup(Purpose::ComplaintOpenid, openid.as_str()).0,
        anonymous,
        name_sealed,
        phone_sealed,
        phone_hash,
        state.status.as_str(),
        state.received_at,
        state.deadlines.accept_due,
        state.current_deadline(),
        idempotency_key,
        complaint.about.map(|a| a.disclosure_id),
        complaint.about.map(|a| a.version),
    )
    .execute(&mut **tx)
    .await?;
    for (i, photo) in complaint.photos.iter().enumerate() {
        let position = i16::try_from(i + 1).unwrap_or(i16::MAX);
        let sealed = vault.seal(&key, &photo_field(id, position), photo.bytes());
        sqlx::query!(
            "INSERT INTO complaint_photos (complaint_id, position, content_type, sealed) VALUES ($1, $2, $3, $4)",
            id,
            position,
            photo.content_type(),
            sealed,
        )
        .execute(&mut **tx)
        .await?;
    }
    Ok(id)
}

/// One line of the timeline.
pub struct NewEvent<'a> {
    pub event: Event,
    pub from: Option<ComplaintStatus>,
    pub to: ComplaintStatus,
    pub actor: &'a Actor,
    pub public_note: &'a str,
    pub internal_note: &'a str,
    /// The transparency log's entry for this step, if it changed the status.
    pub tlog_index: Option<u64>,
}

pub async fn insert_event(
    tx: &mut PgTransaction<'_>,
    complaint_id: i64,
    e: &NewEvent<'_>,
) -> Result<(), sqlx::Error> {
    let tlog_index = e
        .tlog_index
        .map(|i| i64::try_from(i).map_err(|err| corrupt("log index", err)))
        .transpose()?;
    sqlx::query!(
        "INSERT INTO complaint_events (complaint_id, event, from_status, to_status, actor, public_note, internal_note, tlog_index)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
        complaint_id,
        e.event.as_str(),
        e.from.map(ComplaintStatus::as_str),
        e.to.as_str(),
        e.actor.to_string(),
        e.public_note,
        e.internal_note,
        tlog_index,
    )
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// A complaint's state locked for a change, with what the change needs to know.
#[derive(Debug, Clone)]
pub struct Locked {
    pub state: ComplaintState,
    /// The complainant, sealed.
    pub identity: SealedIdentity,
    pub tracking_number: TrackingNumber,
    pub village: VillageCode,
    pub assigned_unit: Option<String>,
    /// The inspector in charge.
    pub owner_account_id: Option<i64>,
}

/// The rule-relevant state of a complaint, locked until the transaction ends so that
/// two staff acting at once are applied one after the other.
pub async fn lock_state(
    tx: &mut PgTransaction<'_>,
    complaint_id: i64,
) -> Result<Option<Locked>, sqlx::Error> {
    let Some(r) = sqlx::query_as!(
        StateRow,
        r#"SELECT c.status, c.received_at, c.concluded_at, c.accept_due, c.conclude_due,
                  c.review_due, c.extended, c.reviews, c.satisfaction, c.tracking_number,
                  c.assigned_unit, c.village_code, c.owner_account_id, c.anonymous,
                  c.data_key_id, d.master_key AS "master_key?", d.wrapped AS "wrapped?",
                  c.openid_sealed, c.openid_hash, c.name_sealed, c.phone_sealed,
                  c.identity_shredded_at
           FROM complaints c LEFT JOIN data_keys d ON d.data_key_id = c.data_key_id
           WHERE c.complaint_id = $1 FOR UPDATE OF c"#,
        complaint_id
    )
    .fetch_optional(&mut **tx)
    .await?
    else {
        return Ok(None);
    };
    Ok(Some(r.into_state(complaint_id)?))
}

/// The rule-relevant state of a complaint, for showing what may be done next.
pub async fn state(
    pool: &PgPool,
    complaint_id: i64,
) -> Result<Option<ComplaintState>, sqlx::Error> {
    let row = sqlx::query_as!(
        StateRow,
        r#"SELECT c.status, c.received_at, c.concluded_at, c.accept_due, c.conclude_due,
                  c.review_due, c.extended, c.reviews, c.satisfaction, c.tracking_number,
                  c.assigned_unit, c.village_code, c.owner_account_id, c.anonymous,
                  c.data_key_id, d.master_key AS "master_key?", d.wrapped AS "wrapped?",
                  c.openid_sealed, c.openid_hash, c.name_sealed, c.phone_sealed,
                  c.identity_shredded_at
           FROM complaints c LEFT JOIN data_keys d ON d.data_key_id = c.data_key_id
           WHERE c.complaint_id = $1"#,
        complaint_id
    )
    .fetch_optional(pool)
    .await?;
    row.map(|r| r.into_state(complaint_id).map(|locked| locked.state))
        .transpose()
}

struct StateRow {
    status: String,
    received_at: DateTime<Utc>,
    concluded_at: Option<DateTime<Utc>>,
    accept_due: Option<DateTime<Utc>>,
    conclude_due: Option<DateTime<Utc>>,
    review_due: Option<DateTime<Utc>>,
    extended: bool,
    reviews: i32,
    satisfaction: Option<String>,
    tracking_number: String,
    assigned_unit: Option<String>,
    village_code: String,
    owner_account_id: Option<i64>,
    anonymous: bool,
    data_key_id: Option<i64>,
    master_key: Option<String>,
    wrapped: Option<Vec<u8>>,
    openid_sealed: Option<Vec<u8>>,
    openid_hash: Option<Vec<u8>>,
    name_sealed: Option<Vec<u8>>,
    phone_sealed: Option<Vec<u8>>,
    identity_shredded_at: Option<DateTime<Utc>>,
}

impl StateRow {
    fn into_state(self, complaint_id: i64) -> Result<Locked, sqlx::Error> {
        let r = self;
        let row = Row::Complaint(complaint_id);
        let state = ComplaintState {
            status: status(row, &r.status)?,
            received_at: r.received_at,
            concluded_at: r.concluded_at,
            deadlines: Deadlines {
                accept_due: r.accept_due,
                conclude_due: r.conclude_due,
                review_due: r.review_due,
            },
            extended: r.extended,
            reviews: column(row, "review count", u32::try_from(r.reviews))?,
            satisfaction: satisfaction(row, r.satisfaction.as_deref())?,
        };
        Ok(Locked {
            state,
            identity: SealedIdentity::new(
                complaint_id,
                r.anonymous,
                StoredKey(r.data_key_id, r.master_key, r.wrapped),
                r.openid_hash,
                [r.openid_sealed, r.name_sealed, r.phone_sealed],
                r.identity_shredded_at,
            ),
            tracking_number: tracking_number(row, &r.tracking_number)?,
            village: village(row, &r.village_code)?,
            assigned_unit: r.assigned_unit,
            owner_account_id: r.owner_account_id,
        })
    }
}

/// Which row a value was read from, named in the error when it does not read back.
#[derive(Debug, Clone, Copy)]
enum Row {
    Complaint(i64),
    TimelineLine { complaint: i64, line: i64 },
}

impl std::fmt::Display for Row {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Row::Complaint(id) => write!(f, "complaint {id}"),
            Row::TimelineLine { complaint, line } => {
                write!(f, "timeline line {line} of complaint {complaint}")
            }
        }
    }
}

/// The column readers every complaint and timeline row goes through: a value that no
/// longer parses is an error naming the row and the column, never a default.
fn column<T, E: std::fmt::Display>(
    row: Row,
    column: &str,
    parsed: Result<T, E>,
) -> Result<T, sqlx::Error> {
    parsed.map_err(|e| corrupt(&format!("{column} of {row}"), e))
}

fn status(row: Row, raw: &str) -> Result<ComplaintStatus, sqlx::Error> {
    column(
        row,
        "status",
        ComplaintStatus::parse(raw).ok_or_else(|| format!("`{raw}` is no status")),
    )
}

fn satisfaction(row: Row, raw: Option<&str>) -> Result<Option<Satisfaction>, sqlx::Error> {
    raw.map(|s| {
        column(
            row,
            "satisfaction",
            Satisfaction::parse(s).ok_or_else(|| format!("`{s}` is no rating")),
        )
    })
    .transpose()
}

fn tracking_number(row: Row, raw: &str) -> Result<TrackingNumber, sqlx::Error> {
    column(row, "tracking number", TrackingNumber::parse(raw))
}

fn village(row: Row, raw: &str) -> Result<VillageCode, sqlx::Error> {
    column(row, "village code", VillageCode::parse(raw))
}

/// Writes the state a transition produced.
pub async fn update_state(
    tx: &mut PgTransaction<'_>,
    complaint_id: i64,
    state: &ComplaintState,
    assigned_unit: Option<&str>,
    owner_account_id: Option<i64>,
    now: DateTime<Utc>,
) -> Result<(), sqlx::Error> {
    sqlx::query!(
        "UPDATE complaints SET status = $2, concluded_at = $3, accept_due = $4, conclude_due = $5,
             review_due = $6, extended = $7, reviews = $8, satisfaction = $9,
             assigned_unit = COALESCE($10, assigned_unit),
             accepted_at = CASE WHEN $2 = 'accepted' AND accepted_at IS NULL THEN $11 ELSE accepted_at END,
             current_due = $12,
             owner_account_id = COALESCE($13, owner_account_id)
         WHERE complaint_id = $1",
        complaint_id,
        state.status.as_str(),
        state.concluded_at,
        state.deadlines.accept_due,
        state.deadlines.conclude_due,
        state.deadlines.review_due,
        state.extended,
        i32::try_from(state.reviews).unwrap_or(i32::MAX),
        state.satisfaction.map(Satisfaction::as_str),
        assigned_unit,
        now,
        state.current_deadline(),
        owner_account_id,
    )
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// Filters of the staff list; every one optional.
#[derive(Debug, Clone, Default)]
pub struct StaffFilter {
    pub status: Option<ComplaintStatus>,
    /// A region code: complaints about villages inside it.
    pub region_prefix: Option<String>,
    pub category: Option<String>,
    /// Only those past their current deadline.
    pub overdue_at: Option<DateTime<Utc>>,
    pub received_from: Option<DateTime<Utc>>,
    pub received_before: Option<DateTime<Utc>>,
    /// Keyset pagination: complaints with a smaller id than this.
    pub before_id: Option<i64>,
    /// Only those assigned to this unit.
    pub assigned_unit: Option<String>,
    /// Only those this inspector is in charge of.
    pub owner_account_id: Option<i64>,
    /// The reader's region: nothing outside it is listed, whatever the other filters.
    pub scope: Option<String>,
    pub limit: i64,
}

/// A complaint as stored, identity included; callers decide what a reader may see.
#[derive(Debug, Clone)]
pub struct ComplaintRow {
    pub complaint_id: i64,
    pub tracking_number: TrackingNumber,
    pub village_code: VillageCode,
    pub category_code: String,
    pub category_name: String,
    pub content: String,
    pub anonymous: bool,
    /// Who filed it, sealed: `services::identity` opens it.
    pub identity: SealedIdentity,
    pub status: ComplaintStatus,
    pub received_at: DateTime<Utc>,
    pub current_due: Option<DateTime<Utc>>,
    pub conclude_due: Option<DateTime<Utc>>,
    pub extended: bool,
    pub satisfaction: Option<Satisfaction>,
    pub assigned_unit: Option<String>,
    pub concluded_at: Option<DateTime<Utc>>,
    /// The inspector in charge.
    pub owner_account_id: Option<i64>,
    /// The disclosure the complaint asks about, when it was opened from one.
    pub about: Option<DisclosureRef>,
}

/// A complaint's columns as Postgres returns them, before they are read back.
struct StoredComplaint {
    complaint_id: i64,
    tracking_number: String,
    village_code: String,
    category_code: String,
    category_name: String,
    content: String,
    anonymous: bool,
    data_key_id: Option<i64>,
    master_key: Option<String>,
    wrapped: Option<Vec<u8>>,
    openid_sealed: Option<Vec<u8>>,
    openid_hash: Option<Vec<u8>>,
    name_sealed: Option<Vec<u8>>,
    phone_sealed: Option<Vec<u8>>,
    identity_shredded_at: Option<DateTime<Utc>>,
    status: String,
    received_at: DateTime<Utc>,
    current_due: Option<DateTime<Utc>>,
    conclude_due: Option<DateTime<Utc>>,
    extended: bool,
    satisfaction: Option<String>,
    assigned_unit: Option<String>,
    concluded_at: Option<DateTime<Utc>>,
    owner_account_id: Option<i64>,
    about_disclosure_id: Option<i64>,
    about_version: Option<i32>,
}

impl TryFrom<StoredComplaint> for ComplaintRow {
    type Error = sqlx::Error;

    fn try_from(r: StoredComplaint) -> Result<ComplaintRow, sqlx::Error> {
        let row = Row::Complaint(r.complaint_id);
        Ok(ComplaintRow {
            complaint_id: r.complaint_id,
            tracking_number: tracking_number(row, &r.tracking_number)?,
            village_code: village(row, &r.village_code)?,
            category_code: r.category_code,
            category_name: r.category_name,
            content: r.content,
            anonymous: r.anonymous,
            identity: SealedIdentity::new(
                r.complaint_id,
                r.anonymous,
                StoredKey(r.data_key_id, r.master_key, r.wrapped),
                r.openid_hash,
                [r.openid_sealed, r.name_sealed, r.phone_sealed],
                r.identity_shredded_at,
            ),
            status: status(row, &r.status)?,
            received_at: r.received_at,
            current_due: r.current_due,
            conclude_due: r.conclude_due,
            extended: r.extended,
            satisfaction: satisfaction(row, r.satisfaction.as_deref())?,
            assigned_unit: r.assigned_unit,
            concluded_at: r.concluded_at,
            owner_account_id: r.owner_account_id,
            about: r
                .about_disclosure_id
                .zip(r.about_version)
                .map(|(disclosure_id, version)| DisclosureRef {
                    disclosure_id,
                    version,
                }),
        })
    }
}

fn read_back(rows: Vec<StoredComplaint>) -> Result<Vec<ComplaintRow>, sqlx::Error> {
    rows.into_iter().map(ComplaintRow::try_from).collect()
}

/// `query_as!` into [`StoredComplaint`]: the columns and the join are written here once,
/// each caller adds its `WHERE …` (sqlx's macros take `"…" + "…"` literals, not
/// constants, so a `macro_rules!` is how the text is shared and still checked).
macro_rules! select_complaints {
    ($tail:literal $(, $arg:expr)* $(,)?) => {
        sqlx::query_as!(
            StoredComplaint,
            r#"SELECT c.complaint_id, c.tracking_number, c.village_code, c.category_code,
                      k.name AS category_name, c.content, c.anonymous,
                      c.data_key_id, d.master_key AS "master_key?", d.wrapped AS "wrapped?",
                      c.openid_sealed, c.openid_hash, c.name_sealed, c.phone_sealed,
                      c.identity_shredded_at, c.status, c.received_at,
                      c.current_due, c.conclude_due, c.extended, c.satisfaction,
                      c.assigned_unit, c.concluded_at, c.owner_account_id,
                      c.about_disclosure_id, c.about_version
               FROM complaints c JOIN complaint_categories k ON k.code = c.category_code
                    LEFT JOIN data_keys d ON d.data_key_id = c.data_key_id
               "# + $tail
            $(, $arg)*
        )
    };
}

pub async fn list_for_staff(
    pool: &PgPool,
    f: &StaffFilter,
) -> Result<Vec<ComplaintRow>, sqlx::Error> {
    let prefix = f.region_prefix.as_ref().map(|p| format!("{p}%"));
    select_complaints!(
        r#"WHERE ($1::text IS NULL OR c.status = $1)
             AND ($2::text IS NULL OR c.village_code LIKE $2)
             AND ($3::text IS NULL OR c.category_code = $3)
             AND ($4::timestamptz IS NULL OR c.current_due < $4)
             AND ($5::timestamptz IS NULL OR c.received_at >= $5)
             AND ($6::timestamptz IS NULL OR c.received_at < $6)
             AND ($7::bigint IS NULL OR c.complaint_id < $7)
             AND ($9::text IS NULL OR c.assigned_unit = $9)
             AND ($10::bigint IS NULL OR c.owner_account_id = $10)
             AND ($11::text IS NULL OR c.village_code LIKE $11)
           ORDER BY c.complaint_id DESC
           LIMIT $8"#,
        f.status.map(ComplaintStatus::as_str),
        prefix,
        f.category,
        f.overdue_at,
        f.received_from,
        f.received_before,
        f.before_id,
        f.limit,
        f.assigned_unit,
        f.owner_account_id,
        f.scope.as_ref().map(|p| format!("{p}%")),
    )
    .fetch_all(pool)
    .await
    .and_then(read_back)
}

/// The staff queue: the same filters, most urgent first — past their deadline, then
/// due soonest, then the rest newest first — a page at a time (`offset`).
pub async fn queue_for_staff(
    pool: &PgPool,
    f: &StaffFilter,
    offset: i64,
) -> Result<Vec<ComplaintRow>, sqlx::Error> {
    let prefix = f.region_prefix.as_ref().map(|p| format!("{p}%"));
    select_complaints!(
        r#"WHERE ($1::text IS NULL OR c.status = $1)
             AND ($2::text IS NULL OR c.village_code LIKE $2)
             AND ($3::text IS NULL OR c.category_code = $3)
             AND ($4::timestamptz IS NULL OR c.current_due < $4)
             AND ($5::timestamptz IS NULL OR c.received_at >= $5)
             AND ($6::timestamptz IS NULL OR c.received_at < $6)
             AND ($8::text IS NULL OR c.assigned_unit = $8)
             AND ($9::bigint IS NULL OR c.owner_account_id = $9)
             AND ($10::text IS NULL OR c.village_code LIKE $10)
           ORDER BY (c.current_due IS NULL), c.current_due, c.complaint_id DESC
           LIMIT $7 OFFSET $11"#,
        f.status.map(ComplaintStatus::as_str),
        prefix,
        f.category,
        f.overdue_at,
        f.received_from,
        f.received_before,
        f.limit,
        f.assigned_unit,
        f.owner_account_id,
        f.scope.as_ref().map(|p| format!("{p}%")),
        offset,
    )
    .fetch_all(pool)
    .await
    .and_then(read_back)
}

/// Open complaints inside `scope` (and of `unit`, when given) whose deadline falls
/// before `until`: what a member of staff's daily reminder counts.
pub async fn count_due_before(
    pool: &PgPool,
    scope: &str,
    unit: Option<&str>,
    until: DateTime<Utc>,
) -> Result<i64, sqlx::Error> {
    sqlx::query_scalar!(
        r#"SELECT count(*) AS "n!" FROM complaints
           WHERE village_code LIKE $1 AND current_due IS NOT NULL AND current_due < $2
             AND ($3::text IS NULL OR assigned_unit = $3)"#,
        format!("{scope}%"),
        until,
        unit,
    )
    .fetch_one(pool)
    .await
}

pub async fn find(pool: &PgPool, complaint_id: i64) -> Result<Option<ComplaintRow>, sqlx::Error> {
    select_complaints!("WHERE c.complaint_id = $1", complaint_id)
        .fetch_optional(pool)
        .await?
        .map(ComplaintRow::try_from)
        .transpose()
}

pub async fn find_by_tracking_number(
    pool: &PgPool,
    tracking: &TrackingNumber,
) -> Result<Option<ComplaintRow>, sqlx::Error> {
    select_complaints!("WHERE c.tracking_number = $1", tracking.as_str())
        .fetch_optional(pool)
        .await?
        .map(ComplaintRow::try_from)
        .transpose()
}

/// A follower's own complaints, newest first (by the lookup hash: a shredded
/// complaint is nobody's any more).
pub async fn list_for_openid(
    pool: &PgPool,
    vault: &Vault,
    openid: &OpenId,
    limit: i64,
) -> Result<Vec<ComplaintRow>, sqlx::Error> {
    select_complaints!(
        r#"WHERE c.openid_hash = ANY($1)
           ORDER BY c.complaint_id DESC
           LIMIT $2"#,
        &vault.lookup_candidates(Purpose::ComplaintOpenid, openid.as_str()),
        limit
    )
    .fetch_all(pool)
    .await
    .and_then(read_back)
}

/// Complaints after `after` (by id) that still hold a lookup hash: what `keys
/// rotate-lookup` recomputes, a page at a time.
pub async fn with_hashes_after(
    pool: &PgPool,
    after: i64,
    limit: i64,
) -> Result<Vec<ComplaintRow>, sqlx::Error> {
    select_complaints!(
        r#"WHERE c.complaint_id > $1 AND c.identity_shredded_at IS NULL
             AND (c.openid_hash IS NOT NULL OR c.phone_hash IS NOT NULL)
           ORDER BY c.complaint_id
           LIMIT $2"#,
        after,
        limit
    )
    .fetch_all(pool)
    .await
    .and_then(read_back)
}

/// Replaces a complaint's lookup hashes (recomputed under the current lookup key).
pub async fn set_hashes(
    executor: impl sqlx::PgExecutor<'_>,
    complaint_id: i64,
    openid_hash: &[u8],
    phone_hash: Option<&[u8]>,
) -> Result<(), sqlx::Error> {
    sqlx::query!(
        "UPDATE complaints SET openid_hash = $2, phone_hash = $3
         WHERE complaint_id = $1 AND identity_shredded_at IS NULL",
        complaint_id,
        openid_hash,
        phone_hash,
    )
    .execute(executor)
    .await?;
    Ok(())
}

/// Complaints whose complainant's phone hash is one of `hashes`, inside `scope` (and of
/// `unit`, when given), newest first: an inspector's search, never by the number itself.
pub async fn list_by_phone_hash(
    pool: &PgPool,
    hashes: &[Vec<u8>],
    scope: &str,
    unit: Option<&str>,
    limit: i64,
) -> Result<Vec<ComplaintRow>, sqlx::Error> {
    select_complaints!(
        r#"WHERE c.phone_hash = ANY($1)
             AND c.village_code LIKE $2
             AND ($3::text IS NULL OR c.assigned_unit = $3)
           ORDER BY c.complaint_id DESC
           LIMIT $4"#,
        hashes,
        format!("{scope}%"),
        unit,
        limit
    )
    .fetch_all(pool)
    .await
    .and_then(read_back)
}

/// One line of a complaint's timeline.
#[derive(Debug, Clone)]
pub struct EventRow {
    pub event: Event,
    pub from_status: Option<ComplaintStatus>,
    pub to_status: ComplaintStatus,
    pub actor: Actor,
    pub public_note: String,
    pub internal_note: String,
    pub created_at: DateTime<Utc>,
    /// Its entry in the transparency log, for a status change.
    pub tlog_index: Option<u64>,
}

pub async fn events(pool: &PgPool, complaint_id: i64) -> Result<Vec<EventRow>, sqlx::Error> {
    let rows = sqlx::query!(
        "SELECT complaint_event_id, event, from_status, to_status, actor, public_note,
                internal_note, created_at, tlog_index
         FROM complaint_events WHERE complaint_id = $1 ORDER BY complaint_event_id",
        complaint_id
    )
    .fetch_all(pool)
    .await?;
    rows.into_iter()
        .map(|r| {
            let row = Row::TimelineLine {
                complaint: complaint_id,
                line: r.complaint_event_id,
            };
            Ok(EventRow {
                event: column(
                    row,
                    "event",
                    Event::parse(&r.event).ok_or_else(|| format!("`{}` is no event", r.event)),
                )?,
                from_status: r
                    .from_status
                    .as_deref()
                    .map(|s| status(row, s))
                    .transpose()?,
                to_status: status(row, &r.to_status)?,
                actor: column(
                    row,
                    "actor",
                    Actor::parse(&r.actor).ok_or_else(|| format!("`{}` is no actor", r.actor)),
                )?,
                public_note: r.public_note,
                internal_note: r.internal_note,
                created_at: r.created_at,
                tlog_index: r
                    .tlog_index
                    .map(|i| u64::try_from(i).map_err(|e| corrupt("log index", e)))
                    .transpose()?,
            })
        })
        .collect()
}

/// A public step as the transparency log recorded it, found by its entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LoggedStep {
    pub tlog_index: u64,
    pub tracking_number: String,
    pub to_status: String,
    pub public_note: String,
}

/// The timeline lines that name log entries `from..to`, by entry.
pub async fn logged_steps(
    db: impl sqlx::PgExecutor<'_>,
    from: u64,
    to: u64,
) -> Result<Vec<LoggedStep>, sqlx::Error> {
    let from = i64::try_from(from).map_err(|e| corrupt("log index", e))?;
    let to = i64::try_from(to).map_err(|e| corrupt("log index", e))?;
    let rows = sqlx::query!(
        r#"SELECT e.tlog_index AS "tlog_index!", c.tracking_number, e.to_status, e.public_note
           FROM complaint_events e JOIN complaints c USING (complaint_id)
           WHERE e.tlog_index >= $1 AND e.tlog_index < $2 ORDER BY e.tlog_index"#,
        from,
        to
    )
    .fetch_all(db)
    .await?;
    rows.into_iter()
        .map(|r| {
            Ok(LoggedStep {
                tlog_index: u64::try_from(r.tlog_index).map_err(|e| corrupt("log index", e))?,
                tracking_number: r.tracking_number,
                to_status: r.to_status,
                public_note: r.public_note,
            })
        })
        .collect()
}

/// A photo as stored: already re-encoded, so safe to send as it is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredPhoto {
    pub content_type: String,
    pub bytes: Vec<u8>,
}

/// A photo, opened with its complaint's data key; `None` when there is none or the
/// complaint's key was shredded. One that does not open is an error naming it.
pub async fn photo(
    pool: &PgPool,
    vault: &Vault,
    complaint_id: i64,
    position: i16,
) -> Result<Option<StoredPhoto>, sqlx::Error> {
    let Some(r) = sqlx::query!(
        r#"SELECT p.content_type, p.sealed AS "sealed!", d.data_key_id, d.master_key, d.wrapped
           FROM complaint_photos p
           JOIN complaints c ON c.complaint_id = p.complaint_id
           JOIN data_keys d ON d.data_key_id = c.data_key_id
           WHERE p.complaint_id = $1 AND p.position = $2 AND p.sealed IS NOT NULL
             AND d.wrapped IS NOT NULL"#,
        complaint_id,
        position
    )
    .fetch_optional(pool)
    .await?
    else {
        return Ok(None);
    };
    let wrapped = Wrapped {
        data_key_id: r.data_key_id,
        master_key: r.master_key,
        sealed: r.wrapped,
    };
    let field = photo_field(complaint_id, position);
    let bytes = vault
        .unwrap(&wrapped)
        .and_then(|key| key.open(&field, &r.sealed))
        .map_err(|e| sqlx::Error::Decode(Box::new(e)))?;
    Ok(Some(StoredPhoto {
        content_type: r.content_type,
        bytes,
    }))
}

/// The photos still readable: none once the complaint's key is shredded.
pub async fn photo_count(pool: &PgPool, complaint_id: i64) -> Result<i64, sqlx::Error> {
    sqlx::query_scalar!(
        r#"SELECT count(*) AS "n!" FROM complaint_photos p
           JOIN complaints c ON c.complaint_id = p.complaint_id
           WHERE p.complaint_id = $1 AND c.identity_shredded_at IS NULL"#,
        complaint_id
    )
    .fetch_one(pool)
    .await
}

/// One month of a village's complaints: counts only, never a person.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MonthCount {
    /// `YYYY-MM` in Asia/Shanghai.
    pub month: String,
    pub received: i64,
    pub concluded: i64,
}

/// Complaints about a village received and concluded per month (Asia/Shanghai), newest
/// month first.
pub async fn monthly_counts(
    pool: &PgPool,
    village: &VillageCode,
    months: i32,
) -> Result<Vec<MonthCount>, sqlx::Error> {
    sqlx::query_as!(
        MonthCount,
        r#"WITH m AS (
               SELECT to_char(date_trunc('month', now() AT TIME ZONE 'Asia/Shanghai')
                              - make_interval(months => g), 'YYYY-MM') AS month
               FROM generate_series(0, $2 - 1) AS g
           )
           SELECT m.month AS "month!",
                  (SELECT count(*) FROM complaints c WHERE c.village_code = $1
                     AND to_char(c.received_at AT TIME ZONE 'Asia/Shanghai', 'YYYY-MM') = m.month) AS "received!",
                  (SELECT count(*) FROM complaints c WHERE c.village_code = $1
                     AND to_char(c.concluded_at AT TIME ZONE 'Asia/Shanghai', 'YYYY-MM') = m.month) AS "concluded!"
           FROM m ORDER BY m.month DESC"#,
        village.as_str(),
        months
    )
    .fetch_all(pool)
    .await
}

/// Complaints answered: concluded at least once (已办结, and 已评价 after it).
pub async fn count_answered(pool: &PgPool) -> Result<i64, sqlx::Error> {
    sqlx::query_scalar!(r#"SELECT count(*) AS "n!" FROM complaints WHERE concluded_at IS NOT NULL"#)
        .fetch_one(pool)
        .await
}

/// A data key as the complaint row joins it: id, master key id, wrapped bytes.
pub struct StoredKey(pub Option<i64>, pub Option<String>, pub Option<Vec<u8>>);

/// Who filed a complaint, as stored: ciphertexts under the complaint's data key and the
/// lookup hash of the openid. Nothing here is readable without the vault.
#[derive(Debug, Clone)]
pub struct SealedIdentity {
    pub complaint_id: i64,
    pub anonymous: bool,
    /// The complaint's data key; `sealed: None` once shredded.
    pub key: Option<Wrapped>,
    pub openid_hash: Option<Vec<u8>>,
    pub openid: Option<Vec<u8>>,
    pub name: Option<Vec<u8>>,
    pub phone: Option<Vec<u8>>,
    /// When the retention period ended and the key was destroyed.
    pub shredded_at: Option<DateTime<Utc>>,
}

impl SealedIdentity {
    pub fn new(
        complaint_id: i64,
        anonymous: bool,
        key: StoredKey,
        openid_hash: Option<Vec<u8>>,
        [openid, name, phone]: [Option<Vec<u8>>; 3],
        shredded_at: Option<DateTime<Utc>>,
    ) -> SealedIdentity {
        let key = match key {
            StoredKey(Some(id), Some(master_key), sealed) => Some(Wrapped {
                data_key_id: id,
                master_key,
                sealed,
            }),
            _ => None,
        };
        SealedIdentity {
            complaint_id,
            anonymous,
            key,
            openid_hash,
            openid,
            name,
            phone,
            shredded_at,
        }
    }
}
