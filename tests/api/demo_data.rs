//! `sunvillage demo-data` enters its samples the one way content enters: drafted and
//! submitted by a sample clerk of each village, approved by a sample reviewer of its
//! township, each step in the audit log; run again it replaces the samples and keeps
//! the same accounts; a sample account never signs in in production.

use std::collections::BTreeSet;

use chrono::Utc;
use secrecy::SecretString;
use sunvillage::auth::staff_session::SessionKind;
use sunvillage::demo_data::{self, DemoReport};
use sunvillage::services::accounts::{Credentials, SignInError};

use crate::support::staff::accounts_service;
use crate::support::{TestApp, spawn_app};

async fn load(app: &TestApp) -> DemoReport {
    demo_data::load(&accounts_service(app), demo_data::DEMO_TOML)
        .await
        .unwrap()
}

async fn count(app: &TestApp, sql: &str) -> i64 {
    sqlx::query_scalar(sql).fetch_one(&app.pool).await.unwrap()
}

#[tokio::test]
async fn each_sample_is_drafted_by_the_sample_clerk_and_approved_by_the_sample_reviewer() {
    let app = spawn_app().await;
    let report = load(&app).await;
    assert!(report.disclosures >= 15, "{report}");

    // Every version came from a draft: the village's sample clerk wrote it, the
    // township's sample reviewer approved it.
    let versions: Vec<(i64, i32, String, String, String, String, String)> = sqlx::query_as(
        "SELECT d.id, v.version, d.region_code, author.username, reviewer.username,
                dr.state, approver.username
         FROM disclosures d
         JOIN disclosure_versions v ON v.disclosure_id = d.id
         JOIN disclosure_drafts dr ON dr.draft_id = v.draft_id
         JOIN staff_accounts author ON author.account_id = dr.author_id
         JOIN staff_accounts reviewer ON reviewer.account_id = dr.reviewed_by
         JOIN staff_accounts approver ON approver.account_id = v.approved_by
         WHERE d.is_sample ORDER BY d.id, v.version",
    )
    .fetch_all(&app.pool)
    .await
    .unwrap();
    assert_eq!(versions.len(), report.versions, "one draft per version");
    for (id, version, region, author, reviewer, state, approver) in &versions {
        assert_eq!(*author, format!("demo-clerk-{region}"), "{id} v{version}");
        assert_eq!(
            *reviewer,
            format!("demo-reviewer-{}", region.get(..9).unwrap())
        );
        assert_eq!(approver, reviewer);
        assert_eq!(state, "published");
    }
    assert_eq!(
        count(
            &app,
            "SELECT count(*) FROM disclosure_versions v JOIN disclosures d ON d.id = v.disclosure_id
             WHERE d.is_sample AND v.content_sha256 IS NULL"
        )
        .await,
        0,
        "every sample is structured content"
    );

    // Each step has its audit line, by the account that took it.
    let lines: BTreeSet<(String, String)> = sqlx::query_as(
        "SELECT a.action, s.username FROM audit_log a
         JOIN staff_accounts s ON s.account_id = a.account_id WHERE s.is_sample",
    )
    .fetch_all(&app.pool)
    .await
    .unwrap()
    .into_iter()
    .map(|(action, user): (String, String)| (action, user.split('-').nth(1).unwrap().to_owned()))
    .collect();
    for (action, who) in [
        ("disclosure.draft_created", "clerk"),
        ("disclosure.attachment_added", "clerk"),
        ("disclosure.submitted", "clerk"),
        ("disclosure.published", "reviewer"),
        ("disclosure.correction_started", "clerk"),
        ("disclosure.draft_edited", "clerk"),
        ("disclosure.corrected", "reviewer"),
        ("disclosure.withdrawn", "reviewer"),
    ] {
        assert!(
            lines.contains(&(action.to_owned(), who.to_owned())),
            "{action} by the {who}: {lines:?}"
        );
    }
    let published_lines = count(
        &app,
        "SELECT count(*) FROM audit_log WHERE action = 'disclosure.published'",
    )
    .await;
    assert_eq!(published_lines as usize, report.disclosures);
    let created = count(
        &app,
        "SELECT count(*) FROM audit_log WHERE action = 'account.created' AND actor = 'cli'
           AND (after->>'sample')::boolean",
    )
    .await;
    assert_eq!(created as usize, report.accounts.len());

    // The corrected sample has three versions with their reasons; the withdrawn one
    // keeps its reason; samples are backdated and kept out of the transparency log.
    assert_eq!(
        count(
            &app,
            "SELECT count(*) FROM disclosures WHERE is_sample AND current_version = 3"
        )
        .await,
        1
    );
    assert_eq!(
        count(
            &app,
            "SELECT count(*) FROM disclosures WHERE is_sample AND status = 'withdrawn'"
        )
        .await,
        1
    );
    assert_eq!(
        count(
            &app,
            "SELECT count(*) FROM disclosures WHERE is_sample AND published_at > now() - interval '7 days'"
        )
        .await,
        0,
        "published days ago"
    );
    assert_eq!(count(&app, "SELECT count(*) FROM tlog_entries").await, 0);
    assert_eq!(
        count(&app, "SELECT count(*) FROM disclosures WHERE NOT is_sample").await,
        0
    );
}

#[tokio::test]
async fn running_it_twice_gives_the_same_counts_and_the_same_accounts() {
    let app = spawn_app().await;
    let first = load(&app).await;
    let accounts = || async {
        sqlx::query_as::<_, (i64, String, String, String, bool)>(
            "SELECT account_id, username, display_name, role, is_sample FROM staff_accounts
             ORDER BY account_id",
        )
        .fetch_all(&app.pool)
        .await
        .unwrap()
    };
    let tables = || async {
        let mut n = Vec::new();
        for t in [
            "disclosures",
            "disclosure_versions",
            "disclosure_drafts",
            "disclosure_attachments",
            "draft_attachments",
            "supervisors",
            "poverty_households",
        ] {
            n.push(count(&app, &format!("SELECT count(*) FROM {t}")).await);
        }
        n
    };
    let (accounts_once, tables_once) = (accounts().await, tables().await);
    assert!(first.accounts.iter().all(|a| a.password.is_some()));
    // 3 villages, 3 townships.
    assert_eq!(accounts_once.len(), 6, "{accounts_once:?}");
    assert!(accounts_once.iter().all(|a| a.4), "all marked as samples");
    assert!(
        accounts_once
            .iter()
            .any(|a| a.1 == "demo-clerk-411503209202"
                && a.2 == "示例文书·王岗村"
                && a.3 == "clerk")
    );
    assert!(
        accounts_once
            .iter()
            .any(|a| a.1 == "demo-reviewer-411503209"
                && a.2 == "示例审核员·王岗乡"
                && a.3 == "reviewer")
    );

    let second = load(&app).await;
    assert_eq!(accounts().await, accounts_once, "the same accounts");
    assert_eq!(tables().await, tables_once, "the same counts");
    assert_eq!(
        (
            second.disclosures,
            second.versions,
            second.supervisors,
            second.households
        ),
        (
            first.disclosures,
            first.versions,
            first.supervisors,
            first.households
        )
    );
    assert!(
        second.accounts.iter().all(|a| a.password.is_none()),
        "a password is shown only when it is made"
    );
    let names = |r: &DemoReport| {
        r.accounts
            .iter()
            .map(|a| a.username.clone())
            .collect::<Vec<_>>()
    };
    assert_eq!(names(&second), names(&first));
    assert!(second.to_string().contains("password unchanged"));
}

#[tokio::test]
async fn a_sample_account_signs_in_outside_production_only() {
    let app = spawn_app().await;
    let report = load(&app).await;
    let clerk = &report.accounts[0];
    let credentials = Credentials {
        username: clerk.username.clone(),
        password: SecretString::from(clerk.password.clone().unwrap()),
        code: None,
    };
    let mut accounts = accounts_service(&app);
    let signed_in = accounts
        .sign_in(&credentials, None, SessionKind::Page, Utc::now())
        .await
        .unwrap();
    accounts.refuse_samples = true;
    assert!(
        accounts
            .authenticate(&signed_in.token)
            .await
            .unwrap()
            .is_none(),
        "a sample's session ends in production"
    );
    let refused = accounts
        .sign_in(&credentials, None, SessionKind::Page, Utc::now())
        .await;
    assert!(matches!(refused, Err(SignInError::Disabled)), "{refused:?}");
    assert_eq!(
        count(
            &app,
            "SELECT count(*) FROM audit_log WHERE action = 'login.sample_refused'"
        )
        .await,
        1
    );
}
