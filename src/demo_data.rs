//! `sunvillage demo-data`: fills a few real villages with the sample content in
//! `data/demo/demo.toml` (disclosures with corrections, a withdrawal and an attachment,
//! supervisors, ledger households), every row marked as a sample so that pages label it
//! 示例. Running it again replaces the samples; nothing else is touched, and nothing in
//! production depends on it.

use chrono::{Duration, Utc};
use serde::Deserialize;
use sqlx::PgPool;

use crate::configuration::AppEnvironment;
use crate::domain::{
    Correction, DisclosureContent, HouseholdKind, MaskedName, Module, NewAttachment, NewDisclosure,
    NewHousehold, NewSupervisor, RegionCode, SupervisorBody, VillageCode, WithdrawalReason,
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

// Flattened into its parents, so it cannot deny unknown fields (serde does not support
// both); a misspelt key is caught by the test that loads the shipped file.
#[derive(Deserialize)]
struct DemoContent {
    title: String,
    body: String,
    period: Option<String>,
    amount_yuan: Option<String>,
    publisher: String,
    days_ago: i64,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct DemoAttachment {
    name: String,
    #[serde(rename = "type")]
    media_type: String,
    text: String,
}

#[derive(Deserialize)]
struct DemoDisclosure {
    module: String,
    #[serde(flatten)]
    content: DemoContent,
    attachment: Option<DemoAttachment>,
    #[serde(default)]
    correction: Vec<DemoCorrection>,
    withdrawn: Option<String>,
}

#[derive(Deserialize)]
struct DemoCorrection {
    note: String,
    #[serde(flatten)]
    content: DemoContent,
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

/// What the command loaded.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct DemoReport {
    pub regions: usize,
    pub disclosures: usize,
    pub versions: usize,
    pub supervisors: usize,
    pub households: usize,
    /// Sample rows removed first.
    pub removed: u64,
}

impl std::fmt::Display for DemoReport {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "demo content: {} regions, {} disclosures ({} versions), {} supervisors, {} households \
             (replacing {} earlier sample rows); every item is marked 示例",
            self.regions,
            self.disclosures,
            self.versions,
            self.supervisors,
            self.households,
            self.removed
        )
    }
}

/// "186000.00" → 18_600_000 fen.
fn fen(yuan: &str) -> anyhow::Result<i64> {
    let (whole, frac) = yuan.split_once('.').unwrap_or((yuan, "0"));
    let frac = format!("{frac:0<2}");
    let (Ok(w), Some(f)) = (
        whole.parse::<i64>(),
        frac.get(..2).and_then(|f| f.parse::<i64>().ok()),
    ) else {
        anyhow::bail!("`{yuan}` is not an amount in yuan");
    };
    Ok(w * 100 + f)
}

fn content(c: &DemoContent) -> anyhow::Result<DisclosureContent> {
    let amount = c.amount_yuan.as_deref().map(fen).transpose()?;
    Ok(DisclosureContent::parse(
        &c.title,
        &c.body,
        c.period.as_deref(),
        amount,
        &c.publisher,
    )?)
}

/// Sample content never enters a production database: it would be published to real
/// followers and logged in the transparency log for good.
pub fn allowed_in(environment: AppEnvironment) -> anyhow::Result<()> {
    if environment == AppEnvironment::Production {
        anyhow::bail!(
            "demo-data refuses to run with environment = production: sample content must never \
             be published to real villages"
        );
    }
    Ok(())
}

/// Replaces the sample content with what `toml_text` describes.
pub async fn load(pool: &PgPool, toml_text: &str) -> anyhow::Result<DemoReport> {
    let demo: Demo = toml::from_str(toml_text)?;
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
        for d in &region.disclosure {
            let module = Module::parse(&d.module)?;
            let attachments = d
                .attachment
                .iter()
                .map(|a| NewAttachment::parse(&a.name, &a.media_type, a.text.clone().into_bytes()))
                .collect::<Result<Vec<_>, _>>()?;
            let new = NewDisclosure::new(code.clone(), module, content(&d.content)?, attachments)?;
            let at = now - Duration::days(d.content.days_ago);
            let id = storage::disclosures::publish(pool, &new, at, true).await?;
            report.disclosures += 1;
            report.versions += 1;
            for c in &d.correction {
                let correction = Correction::new(content(&c.content)?, &c.note, Vec::new())?;
                let at = now - Duration::days(c.content.days_ago);
                storage::disclosures::correct(pool, id, &correction, at).await?;
                report.versions += 1;
            }
            if let Some(reason) = &d.withdrawn {
                let at = now - Duration::days(d.content.days_ago.saturating_sub(2).max(0));
                storage::disclosures::withdraw(pool, id, &WithdrawalReason::parse(reason)?, at)
                    .await?;
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
    fn amounts_in_yuan_become_fen() {
        assert_eq!(fen("186000.00").unwrap(), 18_600_000);
        assert_eq!(fen("0.5").unwrap(), 50);
        assert_eq!(fen("12").unwrap(), 1200);
        assert!(fen("12,000").is_err());
    }

    #[test]
    fn the_shipped_demo_content_parses_and_validates() {
        let demo: Demo = toml::from_str(DEMO_TOML).unwrap();
        assert!(demo.region.len() >= 3);
        for r in &demo.region {
            for d in &r.disclosure {
                Module::parse(&d.module).unwrap();
                content(&d.content).unwrap();
                for c in &d.correction {
                    content(&c.content).unwrap();
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
