//! Followers hear when their village publishes: every evening (19:00 in China) each
//! follower bound to a village (by its QR code or 我的村) that published since the last
//! sending gets one template message naming what it published, linking to the village
//! page. A follower who replied 退订 (or turned the switch off on their page) gets
//! nothing. A row per follower and day (`village_pushes`, by the follower's lookup hash),
//! written with the outbox row, makes it at most once a day however many instances run
//! and however often one restarts; the outbox keeps each follower's messages in order.
//!
//! The window of a day's push is the 24 hours up to that day's sending time, so what is
//! published after 19:00 goes out the next evening rather than never.

use std::time::Duration;

use chrono::{DateTime, NaiveDate, NaiveTime, Utc};
use sqlx::PgPool;
use tokio_util::sync::CancellationToken;

use crate::domain::{Module, china_time};
use crate::routes::paths;
use crate::storage::{self, village_pushes};
use crate::wechat::api::template::Templates;

/// The notification kind (`[wechat.templates.village_published]`): fields `village`
/// (王岗村), `published` (共2条：三资管理、组织建设) and `day` (2026-12-02).
pub const VILLAGE_PUBLISHED: &str = "village_published";

/// When in the day the pushes leave (China's clock): evening, when people look at
/// their phones after work, and late enough to gather the day's publications.
pub const SEND_AT: NaiveTime = match NaiveTime::from_hms_opt(19, 0, 0) {
    Some(t) => t,
    None => NaiveTime::MIN,
};

/// The sending time of `day` (China), as an instant.
fn sending_time(day: NaiveDate) -> DateTime<Utc> {
    day.and_time(SEND_AT)
        .and_local_timezone(china_time::zone())
        .single()
        .map_or(DateTime::<Utc>::MIN_UTC, |t| t.with_timezone(&Utc))
}

/// The first sending time at or after `now`.
pub fn next_sending(now: DateTime<Utc>) -> DateTime<Utc> {
    let today = sending_time(china_time::day(now));
    if now <= today {
        today
    } else {
        sending_time(china_time::day(now) + chrono::Days::new(1))
    }
}

/// What a push says was published, within a template field's 20 characters: the
/// modules, each once, in the order published (共3条：三资管理、组织建设等 when they do not fit).
pub fn summary(modules: &[Module]) -> String {
    let mut names: Vec<&str> = Vec::new();
    for m in modules {
        if !names.contains(&m.name()) {
            names.push(m.name());
        }
    }
    let head = format!("共{}条：", modules.len());
    let max = crate::domain::notification::MAX_VALUE_CHARS;
    let mut out = head.clone();
    for (i, n) in names.iter().enumerate() {
        let sep = if i == 0 { "" } else { "、" };
        let more = if i + 1 < names.len() { "等" } else { "" };
        let candidate = format!("{out}{sep}{n}");
        if candidate.chars().count() + more.chars().count() > max {
            out.push('等');
            return out;
        }
        out = candidate;
    }
    out
}

/// Queues the pushes of the day `now` falls in, if its sending time has come; how many
/// were queued. Without the template configured it does nothing and says so.
pub async fn send_due(
    pool: &PgPool,
    vault: &crate::crypto::Vault,
    templates: &Templates,
    now: DateTime<Utc>,
) -> Result<usize, sqlx::Error> {
    if !templates.kinds().any(|k| k.as_str() == VILLAGE_PUBLISHED) {
        tracing::info!(
            "no pushes to villages' followers: wechat.templates.{VILLAGE_PUBLISHED} is not configured"
        );
        return Ok(0);
    }
    let today = china_time::day(now);
    let until = sending_time(today);
    if now < until {
        return Ok(0);
    }
    let from = until - chrono::Duration::days(1);
    let day = today.format("%Y-%m-%d").to_string();
    let mut sent = 0;
    for village in village_pushes::published_between(pool, from, until).await? {
        let name: String = village
            .name
            .chars()
            .take(crate::domain::notification::MAX_VALUE_CHARS)
            .collect();
        let published = summary(&village.modules);
        let values = [
            ("village", name.as_str()),
            ("published", published.as_str()),
            ("day", day.as_str()),
        ];
        let link = paths::village(&village.village);
        for openid in village_pushes::followers_of(pool, vault, &village.village).await? {
            let notification = match templates.notification(
                VILLAGE_PUBLISHED,
                &openid,
                &values,
                Some(&link),
            ) {
                Ok(n) => n,
                Err(e) => {
                    // The same values for every follower of the village: skip it.
                    tracing::warn!(error = %e, village = %village.village, "no push for a village: its values do not fit the template");
                    break;
                }
            };
            let mut tx = pool.begin().await?;
            if !village_pushes::claim(
                &mut tx,
                vault,
                &openid,
                today,
                &village.village,
                village.modules.len(),
            )
            .await?
            {
                continue;
            }
            storage::outbox::enqueue(&mut tx, vault, &notification).await?;
            tx.commit().await?;
            sent += 1;
        }
    }
    Ok(sent)
}

/// Sends the pushes every evening until `stop`; after a start past the sending time it
/// sends the day's at once (those already sent are not sent again).
pub async fn run_until_stopped(
    pool: PgPool,
    vault: crate::crypto::Vault,
    templates: Templates,
    stop: CancellationToken,
) {
    loop {
        match send_due(&pool, &vault, &templates, Utc::now()).await {
            Ok(0) => {}
            Ok(n) => tracing::info!(pushes = n, "queued the pushes to villages' followers"),
            Err(e) => {
                tracing::warn!(error = %e, "the pushes to villages' followers failed; tried again at the next sending")
            }
        }
        let now = Utc::now();
        let wait = (next_sending(now + chrono::Duration::seconds(1)) - now)
            .to_std()
            .unwrap_or(Duration::from_secs(60));
        tokio::select! {
            () = tokio::time::sleep(wait) => {}
            () = stop.cancelled() => return,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(s: &str) -> DateTime<Utc> {
        s.parse().unwrap()
    }

    #[test]
    fn the_pushes_leave_at_seven_in_the_evening_in_china() {
        // 18:30 in China → 19:00 the same day.
        assert_eq!(
            next_sending(at("2026-12-02T10:30:00Z")),
            at("2026-12-02T11:00:00Z")
        );
        // 19:30 → tomorrow's.
        assert_eq!(
            next_sending(at("2026-12-02T11:30:00Z")),
            at("2026-12-03T11:00:00Z")
        );
        // 01:00 on the 3rd in China (17:00 UTC on the 2nd) → 19:00 on the 3rd.
        assert_eq!(
            next_sending(at("2026-12-02T17:00:00Z")),
            at("2026-12-03T11:00:00Z")
        );
    }

    #[test]
    fn a_summary_fits_a_template_field() {
        assert_eq!(summary(&[Module::Assets]), "共1条：三资管理");
        assert_eq!(
            summary(&[Module::Assets, Module::Organization, Module::Assets]),
            "共3条：三资管理、组织建设"
        );
        let all = summary(&Module::ALL);
        assert!(all.chars().count() <= 20, "{all}");
        assert!(all.ends_with('等'), "{all}");
        assert_eq!(all, "共9条：组织建设、便民服务、集体经济等");
    }
}
