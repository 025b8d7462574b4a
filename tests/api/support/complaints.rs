//! Complaints as tests file them: the village they are about, the follower, stored
//! straight through the use case (no form), and the templates every push needs.

use chrono::{TimeDelta, Utc};
use sunvillage::configuration::Settings;
use sunvillage::domain::complaint::{Complainant, Event, MobileNumber, NewComplaint};
use sunvillage::domain::{OpenId, VillageCode};
use sunvillage::services::complaints::{self, Submitted};
use sunvillage::wechat::api::template::Templates;
use uuid::Uuid;

use super::app::{TestApp, template};

pub const WANGGANG: &str = "411503209202";
pub const OPENID: &str = "oLVPpjqs9BhvzwPj5A-vTYAX3GLc";

pub fn new_complaint(village: &str, complainant: Complainant) -> NewComplaint {
    NewComplaint {
        village: VillageCode::parse(village).unwrap(),
        category: "sanzi".into(),
        content: "村集体鱼塘承包费去向不明，请纪委核查。".into(),
        complainant,
        photos: vec![],
        about: None,
    }
}

pub fn named() -> Complainant {
    Complainant::Named {
        name: Some("张三".into()),
        phone: MobileNumber::parse("13812345678"),
    }
}

pub async fn submit_as(
    app: &TestApp,
    openid: &str,
    complainant: Complainant,
    days_ago: i64,
) -> Submitted {
    complaints::submit(
        &app.pool,
        &app.vault,
        &templates(app),
        "XY",
        &OpenId::parse(openid).unwrap(),
        Uuid::new_v4(),
        &new_complaint(WANGGANG, complainant),
        Utc::now() - TimeDelta::days(days_ago),
    )
    .await
    .unwrap()
}

pub fn templates(app: &TestApp) -> Templates {
    Templates::from_settings(&app.settings)
}

/// Templates for every complaint push: `tpl_<kind>`, the same three keywords.
pub fn complaint_templates(s: &mut Settings) {
    for event in Event::NOTIFIED {
        template(
            s,
            event.as_str(),
            &format!("tpl_{}", event.as_str()),
            &[
                ("tracking_number", "character_string1"),
                ("status", "phrase2"),
                ("time", "time3"),
            ],
        );
    }
    // The pushes stay in the outbox until the test runs it (TestApp::run_pending_outbox),
    // so that it counts exactly what was sent.
    s.outbox.worker_in_serve = false;
}
