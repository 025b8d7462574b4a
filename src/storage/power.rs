//! The `power_items`, `power_steps` and `power_step_branches` tables: the power list's
//! current version (`storage::power_versions` keeps every version), written whenever a
//! version is added and read back for the list and item pages.

use sqlx::PgPool;

use super::{PgTransaction, corrupt, power_versions};
use crate::domain::power::{Branch, FlowStep, StepKind};
use crate::domain::{PowerItem, PowerList};

/// One line of the list page.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PowerItemSummary {
    pub id: i32,
    pub category: String,
    pub name: String,
    pub steps: i64,
}

/// Serialises changes to the list: loads by instances starting at once, the command
/// line and administrators' edits.
const LOAD_LOCK: i64 = 7_110_416;

/// Takes the list's lock until the transaction ends.
pub async fn lock(tx: &mut PgTransaction<'_>) -> Result<(), sqlx::Error> {
    sqlx::query!("SELECT pg_advisory_xact_lock($1)", LOAD_LOCK)
        .execute(&mut **tx)
        .await?;
    Ok(())
}

/// Replaces the whole list in one transaction, as a new version with `reason` (the
/// command line's load); returns the new version's number.
pub async fn replace_all(
    pool: &PgPool,
    list: &PowerList,
    reason: &str,
) -> Result<i32, sqlx::Error> {
    let mut tx = pool.begin().await?;
    lock(&mut tx).await?;
    let version = seed_versions(&mut tx, list).await? + 1;
    power_versions::insert(&mut tx, version, list, reason, None, None).await?;
    rewrite(&mut tx, list).await?;
    tx.commit().await?;
    Ok(version)
}

/// Writes `list` out as the current version's rows.
pub async fn rewrite(tx: &mut PgTransaction<'_>, list: &PowerList) -> Result<(), sqlx::Error> {
    sqlx::query!("DELETE FROM power_items")
        .execute(&mut **tx)
        .await?;
    for item in list.items() {
        let order = list
            .categories()
            .iter()
            .position(|c| *c == item.category)
            .unwrap_or(0);
        sqlx::query!(
            "INSERT INTO power_items
                 (id, category, category_order, name, subject, publicity, accountability,
                  legal_basis)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
            item.id,
            item.category,
            i32::try_from(order).unwrap_or(i32::MAX),
            item.name,
            item.subject,
            item.publicity,
            item.accountability,
            &item.basis
        )
        .execute(&mut **tx)
        .await?;
        let n = item.steps.len();
        let mut seqs = Vec::with_capacity(n);
        let (mut keys, mut kinds, mut titles) = (vec![], vec![], vec![]);
        let (mut actors, mut details, mut limits, mut bases, mut publics) =
            (vec![], vec![], vec![], vec![], vec![]);
        for (i, s) in item.steps.iter().enumerate() {
            seqs.push(i32::try_from(i).unwrap_or(i32::MAX));
            keys.push(s.key.clone());
            kinds.push(s.kind.as_str().to_owned());
            titles.push(s.title.clone());
            actors.push(s.actor.clone());
            details.push(s.detail.clone());
            limits.push(s.limit.clone());
            bases.push(s.basis.clone());
            publics.push(s.public.clone());
        }
        sqlx::query!(
            "INSERT INTO power_steps
                 (item_id, seq, key, kind, title, actor, detail, time_limit, basis, public)
             SELECT $1, * FROM unnest($2::int[], $3::text[], $4::text[], $5::text[],
                                      $6::text[], $7::text[], $8::text[], $9::text[],
                                      $10::text[])",
            item.id,
            &seqs,
            &keys,
            &kinds,
            &titles,
            &actors as &[Option<String>],
            &details as &[Option<String>],
            &limits as &[Option<String>],
            &bases as &[Option<String>],
            &publics as &[Option<String>]
        )
        .execute(&mut **tx)
        .await?;
        let (mut from, mut seq, mut labels, mut to) = (vec![], vec![], vec![], vec![]);
        for s in &item.steps {
            for (i, b) in s.branches.iter().enumerate() {
                from.push(s.key.clone());
                seq.push(i32::try_from(i).unwrap_or(i32::MAX));
                labels.push(b.label.clone());
                to.push(b.to.clone());
            }
        }
        sqlx::query!(
            "INSERT INTO power_step_branches (item_id, from_key, seq, label, to_key)
             SELECT $1, * FROM unnest($2::text[], $3::int[], $4::text[], $5::text[])",
            item.id,
            &from,
            &seq,
            &labels,
            &to
        )
        .execute(&mut **tx)
        .await?;
    }
    Ok(())
}

/// Makes the list in force version 1 when there are no versions yet (`list` itself on a
/// fresh database), and writes the current version's rows if they are missing; true
/// when the rows were empty.
pub async fn load_if_empty(pool: &PgPool, list: &PowerList) -> Result<bool, sqlx::Error> {
    let mut tx = pool.begin().await?;
    lock(&mut tx).await?;
    let any = sqlx::query_scalar!(r#"SELECT EXISTS (SELECT 1 FROM power_items) AS "any!""#)
        .fetch_one(&mut *tx)
        .await?;
    match power_versions::current(&mut *tx).await? {
        Some((_, current)) if !any => rewrite(&mut tx, &current).await?,
        Some(_) => {}
        None => {
            seed_versions(&mut tx, list).await?;
        }
    }
    tx.commit().await?;
    Ok(!any)
}

/// The current version's number, after recording the rows in force as version 1 if no
/// version exists (a database loaded before versions began keeps its list; an empty
/// one gets `builtin`). Under the lock.
async fn seed_versions(
    tx: &mut PgTransaction<'_>,
    builtin: &PowerList,
) -> Result<i32, sqlx::Error> {
    if let Some((version, _)) = power_versions::current(&mut **tx).await? {
        return Ok(version);
    }
    let in_force = read_all(tx).await?;
    let (list, reason) = match &in_force {
        Some(list) => (list, "启用版本记录时施行的清单"),
        None => (builtin, "系统内置的清单（data/power/power-list.toml）"),
    };
    if in_force.is_none() {
        rewrite(tx, list).await?;
    }
    power_versions::insert(tx, 1, list, reason, None, None).await?;
    Ok(1)
}

/// The whole list as its rows hold it, checked; `None` when there are no rows.
async fn read_all(tx: &mut PgTransaction<'_>) -> Result<Option<PowerList>, sqlx::Error> {
    let items = sqlx::query!(
        "SELECT id, category, category_order, name, subject, publicity, accountability,
                legal_basis
         FROM power_items ORDER BY category_order, id"
    )
    .fetch_all(&mut **tx)
    .await?;
    if items.is_empty() {
        return Ok(None);
    }
    let steps = sqlx::query!(
        "SELECT item_id, key, kind, title, actor, detail, time_limit, basis, public
         FROM power_steps ORDER BY item_id, seq"
    )
    .fetch_all(&mut **tx)
    .await?;
    let branches = sqlx::query!(
        "SELECT item_id, from_key, label, to_key FROM power_step_branches
         ORDER BY item_id, from_key, seq"
    )
    .fetch_all(&mut **tx)
    .await?;
    let mut categories: Vec<String> = Vec::new();
    let mut list = Vec::with_capacity(items.len());
    for item in items {
        if !categories.contains(&item.category) {
            categories.push(item.category.clone());
        }
        let steps = steps
            .iter()
            .filter(|s| s.item_id == item.id)
            .map(|s| {
                Ok(FlowStep {
                    key: s.key.clone(),
                    kind: StepKind::parse(&s.kind).ok_or_else(|| corrupt("step kind", &s.kind))?,
                    title: s.title.clone(),
                    actor: s.actor.clone(),
                    detail: s.detail.clone(),
                    limit: s.time_limit.clone(),
                    basis: s.basis.clone(),
                    public: s.public.clone(),
                    branches: branches
                        .iter()
                        .filter(|b| b.item_id == item.id && b.from_key == s.key)
                        .map(|b| Branch {
                            label: b.label.clone(),
                            to: b.to_key.clone(),
                        })
                        .collect(),
                })
            })
            .collect::<Result<Vec<_>, sqlx::Error>>()?;
        list.push(PowerItem {
            id: item.id,
            category: item.category,
            name: item.name,
            subject: item.subject,
            publicity: item.publicity,
            accountability: item.accountability,
            basis: item.legal_basis,
            steps,
        });
    }
    PowerList::new(categories, list)
        .map(Some)
        .map_err(|e| corrupt("power list", e))
}

/// Every item, by category order then id.
pub async fn list(pool: &PgPool) -> Result<Vec<PowerItemSummary>, sqlx::Error> {
    sqlx::query_as!(
        PowerItemSummary,
        r#"SELECT i.id, i.category, i.name,
                  (SELECT count(*) FROM power_steps s
                   WHERE s.item_id = i.id AND s.kind <> 'end') AS "steps!"
           FROM power_items i ORDER BY i.category_order, i.id"#
    )
    .fetch_all(pool)
    .await
}

/// One item with its procedure.
pub async fn find(pool: &PgPool, id: i32) -> Result<Option<PowerItem>, sqlx::Error> {
    let Some(item) = sqlx::query!(
        "SELECT id, category, name, subject, publicity, accountability, legal_basis
         FROM power_items WHERE id = $1",
        id
    )
    .fetch_optional(pool)
    .await?
    else {
        return Ok(None);
    };
    let branches = sqlx::query!(
        "SELECT from_key, label, to_key FROM power_step_branches
         WHERE item_id = $1 ORDER BY from_key, seq",
        id
    )
    .fetch_all(pool)
    .await?;
    let steps = sqlx::query!(
        "SELECT key, kind, title, actor, detail, time_limit, basis, public
         FROM power_steps WHERE item_id = $1 ORDER BY seq",
        id
    )
    .fetch_all(pool)
    .await?
    .into_iter()
    .map(|s| {
        Ok(FlowStep {
            kind: StepKind::parse(&s.kind).ok_or_else(|| corrupt("step kind", &s.kind))?,
            branches: branches
                .iter()
                .filter(|b| b.from_key == s.key)
                .map(|b| Branch {
                    label: b.label.clone(),
                    to: b.to_key.clone(),
                })
                .collect(),
            key: s.key,
            title: s.title,
            actor: s.actor,
            detail: s.detail,
            limit: s.time_limit,
            basis: s.basis,
            public: s.public,
        })
    })
    .collect::<Result<Vec<_>, sqlx::Error>>()?;
    Ok(Some(PowerItem {
        id: item.id,
        category: item.category,
        name: item.name,
        subject: item.subject,
        publicity: item.publicity,
        accountability: item.accountability,
        basis: item.legal_basis,
        steps,
    }))
}

/// The ids just before and after `id` in list order, for the item page's navigation.
pub async fn neighbours(pool: &PgPool, id: i32) -> Result<(Option<i32>, Option<i32>), sqlx::Error> {
    let row = sqlx::query!(
        r#"WITH ordered AS (
               SELECT id, lag(id) OVER w AS prev, lead(id) OVER w AS next
               FROM power_items WINDOW w AS (ORDER BY category_order, id)
           )
           SELECT prev, next FROM ordered WHERE id = $1"#,
        id
    )
    .fetch_optional(pool)
    .await?;
    Ok(row.map_or((None, None), |r| (r.prev, r.next)))
}
