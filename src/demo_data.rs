//! `sunvillage demo-data`: fills a few real villages with the sample content in
//! `data/demo/demo.toml` (structured disclosures with attachments, corrections and a
//! withdrawal; supervisors; ledger households), every row marked as a sample so that
//! pages label it 示例. Running it again replaces the samples; nothing else is touched,
//! and nothing in production depends on it.
//!
//! Disclosures enter the way real ones do, through `services::disclosures`: for each
//! village a sample clerk (示例文书·王岗村, `demo-clerk-<village code>`) drafts, attaches
//! and submits, and a sample reviewer of its township (`demo-reviewer-<township code>`)
//! approves, corrects' approvals and withdraws, each step with its audit line. The sample
//! accounts are made once through `services::accounts`, as an administrator makes an
//! account; their password is random and printed when they are made. They are clerks
//! and reviewers, roles without a second factor, and sign-in refuses them in production
//! (`Accounts::refuse_samples`).

use std::collections::HashMap;

use chrono::{Duration, Utc};
use secrecy::SecretString;
use serde::Deserialize;

use crate::configuration::AppEnvironment;
use crate::domain::disclosure::attachment::{DraftFile, MAX_BYTES_CEILING, MAX_FILES_CEILING};
use crate::domain::disclosure::content::RawContent;
use crate::domain::disclosure::definition::ModuleDefinitions;
use crate::domain::staff::{Role, StaffMember, Username};
use crate::domain::{
    HouseholdKind, MaskedName, Module, NewHousehold, NewSupervisor, RegionCode, RegionLevel,
    SupervisorBody, VillageCode, WithdrawalReason,
};
use crate::services::accounts::{AccountForm, Accounts};
use crate::services::audit::Actor;
use crate::services::disclosures::{
    self as publishing, Acting, FileLimits, Publication, PublishError,
};
use crate::storage;

/// The content shipped in the binary.
pub const DEMO_TOML: &str = include_str!("../data/demo/demo.toml");

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Demo {
    region: Vec<DemoRegion>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct DemoRegion {
    code: String,
    #[serde(default)]
    supervisor: Vec<DemoSupervisor>,
    #[serde(default)]
    disclosure: Vec<DemoDisclosure>,
    #[serde(default)]
    household: Vec<DemoHousehold>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct DemoSupervisor {
    body: String,
    name: String,
    role: String,
    phone: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct DemoAttachment {
    name: String,
    /// A CSV file's text (shown as a table on the page).
    text: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct DemoDisclosure {
    module: String,
    title: String,
    days_ago: i64,
    #[serde(default)]
    fields: HashMap<String, String>,
    #[serde(default)]
    lists: HashMap<String, Vec<HashMap<String, String>>>,
    #[serde(default)]
    attachment: Vec<DemoAttachment>,
    #[serde(default)]
    correction: Vec<DemoCorrection>,
    withdrawn: Option<String>,
}

/// What a correction changes: the title and fields given replace those before, a list
/// given replaces that list; the rest stays as the version before had it.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct DemoCorrection {
    note: String,
    days_ago: i64,
    title: Option<String>,
    #[serde(default)]
    fields: HashMap<String, String>,
    #[serde(default)]
    lists: HashMap<String, Vec<HashMap<String, String>>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct DemoHousehold {
    kind: String,
    /// Invented; masked before it is stored.
    name: String,
    size: i16,
    risk: String,
    measures: String,
    cadre: String,
    /// Days ago.
    last_visit: Option<i64>,
    lifted_year: Option<i16>,
}

impl DemoDisclosure {
    fn raw(&self) -> RawContent {
        RawContent {
            title: self.title.clone(),
            fields: self.fields.clone(),
            lists: self.lists.clone(),
        }
    }
}

impl DemoCorrection {
    fn applied_to(&self, before: &RawContent) -> RawContent {
        let mut raw = before.clone();
        if let Some(t) = &self.title {
            raw.title = t.clone();
        }
        raw.fields.extend(self.fields.clone());
        raw.lists.extend(self.lists.clone());
        raw
    }
}

/// A sample account the command made or found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SampleAccount {
    pub username: String,
    pub display_name: String,
    pub role: Role,
    /// Only when it was made by this run: shown once, stored nowhere but as a hash.
    pub password: Option<String>,
}

/// What the command loaded.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct DemoReport {
    pub regions: usize,
    pub disclosures: usize,
    pub versions: usize,
    pub supervisors: usize,
    pub households: usize,
    /// Sample rows removed first.
    pub removed: u64,
    /// The sample clerks and reviewers who drafted and approved the disclosures.
    pub accounts: Vec<SampleAccount>,
}

impl std::fmt::Display for DemoReport {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        writeln!(
            f,
            "demo content: {} regions, {} disclosures ({} versions), {} supervisors, {} households \
             (replacing {} earlier sample rows); every item is marked 示例",
            self.regions,
            self.disclosures,
            self.versions,
            self.supervisors,
            self.households,
            self.removed
        )?;
        writeln!(
            f,
            "drafted and approved by these sample accounts (refused at sign-in in production):"
        )?;
        for a in &self.accounts {
            match &a.password {
                Some(p) => writeln!(
                    f,
                    "  {} ({}, {}): password {p} (shown only now)",
                    a.username,
                    a.display_name,
                    a.role.label()
                )?,
                None => writeln!(
                    f,
                    "  {} ({}, {}): already existed, password unchanged \
                     (`sunvillage user passwd {}` sets a new one)",
                    a.username,
                    a.display_name,
                    a.role.label(),
                    a.username
                )?,
            }
        }
        Ok(())
    }
}

/// Sample content never enters a production database: it would be published to real
/// followers, and its accounts could sign in.
pub fn allowed_in(environment: AppEnvironment) -> anyhow::Result<()> {
    if environment == AppEnvironment::Production {
        anyhow::bail!(
            "demo-data refuses to run with environment = production: sample content must never \
             be published to real villages"
        );
    }
    Ok(())
}

/// A step refused by the publishing service, with the sentences it gives the clerk.
fn refused(what: String, e: PublishError) -> anyhow::Error {
    match e {
        PublishError::Database(db) => anyhow::Error::new(db).context(what),
        other => anyhow::anyhow!("{what}: {}", other.messages().join(" ")),
    }
}

/// A random password that passes `password::check_strength`: `Demo-` and 16 characters
/// of URL-safe base64 (96 random bits).
fn new_password() -> String {
    use base64::Engine;
    let bytes: [u8; 12] = rand::random();
    format!(
        "Demo-{}",
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
    )
}

/// The sample account `username`, made through the accounts service if it is missing.
async fn sample_account(
    accounts: &Accounts,
    username: &str,
    display_name: String,
    role: Role,
    region: &RegionCode,
) -> anyhow::Result<(StaffMember, SampleAccount)> {
    let name = Username::parse(username)?;
    let mut password = None;
    let account = match storage::accounts::find_by_username(&accounts.pool, &name).await? {
        Some(a) => a,
        None => {
            let p = new_password();
            accounts
                .create(
                    Actor::command_line(),
                    AccountForm {
                        username: username.to_owned(),
                        display_name: display_name.clone(),
                        role,
                        region: region.clone(),
                        unit: None,
                        password: SecretString::from(p.clone()),
                        must_change_password: false,
                        sample: true,
                    },
                )
                .await
                .map_err(|e| anyhow::anyhow!("sample account {username}: {e}"))?;
            password = Some(p);
            storage::accounts::find_by_username(&accounts.pool, &name)
                .await?
                .ok_or_else(|| anyhow::anyhow!("sample account {username} vanished"))?
        }
    };
    if !account.is_sample || account.role != role || account.region != *region {
        anyhow::bail!(
            "the account {username} exists but is not the sample {} of {region}; rename it first",
            role.as_str()
        );
    }
    let shown = SampleAccount {
        username: username.to_owned(),
        display_name: account.display_name.as_str().to_owned(),
        role,
        password,
    };
    Ok((account.member(), shown))
}

/// The village's sample clerk and its township's sample reviewer.
async fn sample_staff(
    accounts: &Accounts,
    village: &RegionCode,
    report: &mut DemoReport,
) -> anyhow::Result<(StaffMember, StaffMember)> {
    let pool = &accounts.pool;
    let township = village
        .parent()
        .ok_or_else(|| anyhow::anyhow!("village {village} has no township"))?;
    let name_of = async |code: &RegionCode| -> anyhow::Result<String> {
        Ok(storage::regions::find(pool, code)
            .await?
            .ok_or_else(|| anyhow::anyhow!("region {code} is not loaded"))?
            .display_name)
    };
    let (clerk, shown) = sample_account(
        accounts,
        &format!("demo-clerk-{village}"),
        format!("示例文书·{}", name_of(village).await?),
        Role::Clerk,
        village,
    )
    .await?;
    report.accounts.push(shown);
    let (reviewer, shown) = sample_account(
        accounts,
        &format!("demo-reviewer-{township}"),
        format!("示例审核员·{}", name_of(&township).await?),
        Role::Reviewer,
        &township,
    )
    .await?;
    if !report.accounts.contains(&shown) {
        report.accounts.push(shown);
    }
    Ok((clerk, reviewer))
}

/// Drafts, submits and approves one sample disclosure with its corrections and its
/// withdrawal, as the clerk and the reviewer would.
async fn publish_sample(
    pool: &sqlx::PgPool,
    defs: &ModuleDefinitions,
    (clerk, reviewer): (Acting<'_>, Acting<'_>),
    village: &RegionCode,
    d: &DemoDisclosure,
) -> anyhow::Result<usize> {
    let now = Utc::now();
    let module = Module::parse(&d.module)?;
    let what = |step: &str| format!("sample “{}”: {step}", d.title);
    let raw = d.raw();
    let draft = publishing::create_draft(pool, defs, clerk, village, module, &raw)
        .await
        .map_err(|e| refused(what("draft"), e))?;
    let limits = FileLimits {
        max_files: MAX_FILES_CEILING,
        max_bytes: MAX_BYTES_CEILING,
    };
    for a in &d.attachment {
        let file = DraftFile::parse(&a.name, a.text.trim_start().as_bytes(), MAX_BYTES_CEILING)
            .map_err(|e| anyhow::anyhow!("{}: {e}", what("attachment")))?;
        publishing::attach(pool, clerk, draft, &file, limits)
            .await
            .map_err(|e| refused(what("attach"), e))?;
    }
    publishing::submit(pool, clerk, draft)
        .await
        .map_err(|e| refused(what("submit"), e))?;
    let at = now - Duration::days(d.days_ago);
    let published = publishing::approve_as(pool, reviewer, draft, Publication::Sample { at })
        .await
        .map_err(|e| refused(what("approve"), e))?;
    let id = published.disclosure_id;
    let mut versions = 1;
    let mut before = raw;
    for c in &d.correction {
        let raw = c.applied_to(&before);
        let draft = publishing::start_correction(pool, clerk, id)
            .await
            .map_err(|e| refused(what("start a correction"), e))?;
        publishing::edit(pool, defs, clerk, draft, &raw, Some(&c.note))
            .await
            .map_err(|e| refused(what("correct"), e))?;
        publishing::submit(pool, clerk, draft)
            .await
            .map_err(|e| refused(what("submit the correction"), e))?;
        let at = now - Duration::days(c.days_ago);
        publishing::approve_as(pool, reviewer, draft, Publication::Sample { at })
            .await
            .map_err(|e| refused(what("approve the correction"), e))?;
        versions += 1;
        before = raw;
    }
    if let Some(reason) = &d.withdrawn {
        let at = now - Duration::days(d.days_ago.saturating_sub(2).max(0));
        let mut tx = pool.begin().await?;
        publishing::withdraw(&mut tx, reviewer, id, &WithdrawalReason::parse(reason)?, at)
            .await
            .map_err(|e| refused(what("withdraw"), e))?;
        tx.commit().await?;
    }
    Ok(versions)
}

/// Replaces the sample content with what `toml_text` describes.
pub async fn load(accounts: &Accounts, toml_text: &str) -> anyhow::Result<DemoReport> {
    let demo: Demo = toml::from_str(toml_text)?;
    let defs = ModuleDefinitions::builtin()?;
    let pool = &accounts.pool;
    // Drafts of an earlier run that stopped half-way were never published, so deleting
    // the sample disclosures (whose drafts go with them) would leave them behind.
    storage::drafts::delete_by_sample_authors(pool).await?;
    let mut report = DemoReport {
        removed: storage::disclosures::delete_samples(pool).await?
            + storage::people::delete_samples(pool).await?,
        ..DemoReport::default()
    };
    let now = Utc::now();
    for region in &demo.region {
        let code = RegionCode::parse(&region.code)?;
        if storage::regions::find(pool, &code).await?.is_none() {
            anyhow::bail!(
                "region {code} is not loaded; demo data is for the built-in 信阳市 divisions"
            );
        }
        report.regions += 1;
        for s in &region.supervisor {
            let body = SupervisorBody::parse(&s.body)
                .ok_or_else(|| anyhow::anyhow!("unknown supervisor body `{}`", s.body))?;
            let new = NewSupervisor::new(code.clone(), body, &s.name, &s.role, s.phone.as_deref())?;
            storage::people::add_supervisor(pool, &new, true).await?;
            report.supervisors += 1;
        }
        if !region.disclosure.is_empty() {
            // Only villages publish through the lifecycle (a clerk drafts for a village).
            if code.level() != RegionLevel::Village {
                anyhow::bail!("region {code}: only villages have sample disclosures");
            }
            let (clerk, reviewer) = sample_staff(accounts, &code, &mut report).await?;
            let acting = |member| Acting { member, ip: None };
            for d in &region.disclosure {
                report.versions +=
                    publish_sample(pool, &defs, (acting(&clerk), acting(&reviewer)), &code, d)
                        .await?;
                report.disclosures += 1;
            }
        }
        for h in &region.household {
            let village = VillageCode::try_from(code.clone())?;
            let kind = HouseholdKind::parse(&h.kind)
                .ok_or_else(|| anyhow::anyhow!("unknown household kind `{}`", h.kind))?;
            let new = NewHousehold::new(
                village,
                kind,
                MaskedName::mask(&h.name)?,
                h.size,
                &h.risk,
                &h.measures,
                &h.cadre,
                h.last_visit.map(|d| (now - Duration::days(d)).date_naive()),
                h.lifted_year,
            )?;
            storage::people::add_household(pool, &new, true).await?;
            report.households += 1;
        }
    }
    Ok(report)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn demo_data_is_refused_in_production() {
        assert!(allowed_in(AppEnvironment::Development).is_ok());
        let e = allowed_in(AppEnvironment::Production).unwrap_err();
        assert!(e.to_string().contains("refuses"), "{e}");
    }

    #[test]
    fn sample_passwords_are_strong_and_new_each_time() {
        let (a, b) = (new_password(), new_password());
        assert_ne!(a, b);
        crate::auth::password::check_strength(
            &SecretString::from(a),
            &["demo-clerk-411503209202", "示例文书·王岗村"],
        )
        .unwrap();
    }

    #[test]
    fn the_shipped_demo_content_is_valid_for_its_modules() {
        let defs = ModuleDefinitions::builtin().unwrap();
        let demo: Demo = toml::from_str(DEMO_TOML).unwrap();
        assert!(demo.region.len() >= 3);
        for r in &demo.region {
            for d in &r.disclosure {
                let def = defs.get(Module::parse(&d.module).unwrap());
                let mut raw = d.raw();
                def.parse(&raw)
                    .unwrap_or_else(|p| panic!("{}: {p:?}", d.title));
                for c in &d.correction {
                    raw = c.applied_to(&raw);
                    def.parse(&raw)
                        .unwrap_or_else(|p| panic!("{} (corrected): {p:?}", d.title));
                }
                for a in &d.attachment {
                    DraftFile::parse(&a.name, a.text.trim_start().as_bytes(), MAX_BYTES_CEILING)
                        .unwrap();
                }
            }
            for h in &r.household {
                MaskedName::mask(&h.name).unwrap();
            }
        }
        let three = demo
            .region
            .iter()
            .flat_map(|r| &r.disclosure)
            .any(|d| d.correction.len() == 2);
        assert!(three, "one disclosure shows three versions");
    }
}
