//! Followers hear when their village publishes: one template message in the evening
//! listing what it published, through the outbox and the fake WeChat API; once a day
//! however often the run repeats (a restart); 退订 in the chat, or the switch on the
//! follower's page, stops it, 订阅 brings it back; without the template configured the
//! run does nothing.

use chrono::Utc;
use sunvillage::domain::Module;
use sunvillage::wechat::api::template::Templates;
use sunvillage::workers::village_pushes::{VILLAGE_PUBLISHED, next_sending, send_due};

use crate::calendar::published;
use crate::support::fake_wechat::FakeWechat;
use crate::support::follower::{Browser, hidden};
use crate::support::wechat::{event, text, text_of};
use crate::support::{TestApp, spawn_app_with_wechat, template};

const VILLAGE: &str = "411503209202";
const FAN: &str = "oVillageFan00000000000000001";
/// Bound to another village, which publishes nothing.
const OTHER_FAN: &str = "oOtherVillageFan000000000001";

async fn app_with_template(fake: &FakeWechat) -> TestApp {
    spawn_app_with_wechat(fake, |s| {
        template(
            s,
            VILLAGE_PUBLISHED,
            "TPL-village-published",
            &[
                ("village", "thing1"),
                ("published", "thing2"),
                ("day", "time3"),
            ],
        );
        s.outbox.worker_in_serve = false;
    })
    .await
}

async fn run(app: &TestApp, at: chrono::DateTime<Utc>) -> usize {
    let templates = Templates::from_settings(&app.settings);
    send_due(&app.pool, &app.vault, &templates, at)
        .await
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_bound_follower_gets_one_push_a_day_listing_what_the_village_published() {
    let fake = FakeWechat::start().await;
    let app = app_with_template(&fake).await;
    app.wechat(&event(
        FAN,
        "subscribe",
        Some(&format!("qrscene_{VILLAGE}")),
    ))
    .await;
    app.wechat(&event(OTHER_FAN, "subscribe", Some("qrscene_411503209201")))
        .await;

    published(
        &app,
        VILLAGE,
        Module::Assets,
        "王岗村2026年11月财务收支公开",
    )
    .await;
    published(
        &app,
        VILLAGE,
        Module::Organization,
        "村务监督委员会成员名单",
    )
    .await;

    // Before the evening nothing leaves; at 19:00 one push per follower of a village
    // that published.
    let evening = next_sending(Utc::now());
    assert_eq!(run(&app, evening - chrono::Duration::minutes(1)).await, 0);
    assert_eq!(run(&app, evening).await, 1);
    // Run again (another instance, or a restart): nothing more.
    assert_eq!(run(&app, evening + chrono::Duration::minutes(5)).await, 0);
    app.run_pending_outbox().await;
    let sent = fake.delivered();
    assert_eq!(sent.len(), 1, "{sent:?}");
    let push = &sent[0];
    assert_eq!(push.touser, FAN);
    assert_eq!(push.template_id, "TPL-village-published");
    assert_eq!(push.data["thing1"]["value"], "王岗村");
    assert_eq!(push.data["thing2"]["value"], "共2条：三资管理、组织建设");
    assert_eq!(
        push.data["time3"]["value"],
        sunvillage::domain::china_time::day(evening)
            .format("%Y-%m-%d")
            .to_string()
    );
    assert_eq!(
        push.url.as_deref(),
        Some("http://cunwu.test/v/411503209202")
    );
    // The once-a-day row names the follower by hash only.
    let plain: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM village_pushes WHERE encode(openid_hash, 'escape') LIKE '%' || $1 || '%'",
    )
    .bind(FAN)
    .fetch_one(&app.pool)
    .await
    .unwrap();
    assert_eq!(plain, 0);

    // 退订: the next day's publication reaches nobody.
    let reply = text_of(app.wechat(&text(FAN, "退订")).await);
    assert!(reply.contains("已退订"), "{reply}");
    assert!(reply.contains("/me/pushes"), "{reply}");
    let id = published(&app, VILLAGE, Module::Livelihood, "2026年12月低保名单").await;
    sqlx::query("UPDATE disclosures SET published_at = $2 WHERE id = $1")
        .bind(id)
        .bind(evening + chrono::Duration::hours(1))
        .execute(&app.pool)
        .await
        .unwrap();
    let next_evening = evening + chrono::Duration::days(1);
    assert_eq!(run(&app, next_evening).await, 0);

    // 订阅 brings it back (for the day after).
    let reply = text_of(app.wechat(&text(FAN, "订阅")).await);
    assert!(reply.contains("已订阅王岗村"), "{reply}");
    let id = published(&app, VILLAGE, Module::Decisions, "关于修建村道的决议").await;
    sqlx::query("UPDATE disclosures SET published_at = $2 WHERE id = $1")
        .bind(id)
        .bind(next_evening + chrono::Duration::hours(1))
        .execute(&app.pool)
        .await
        .unwrap();
    assert_eq!(run(&app, next_evening + chrono::Duration::days(1)).await, 1);
    app.run_pending_outbox().await;
    let sent = fake.delivered();
    assert_eq!(sent.len(), 2);
    assert_eq!(sent[1].data["thing2"]["value"], "共1条：决策公示");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_follower_turns_the_push_off_and_on_from_their_page() {
    let fake = FakeWechat::start().await;
    let app = app_with_template(&fake).await;
    app.wechat(&event(
        FAN,
        "subscribe",
        Some(&format!("qrscene_{VILLAGE}")),
    ))
    .await;
    let browser = Browser::signed_in(&app, &fake, FAN).await;
    let (status, page) = browser.get("/me/pushes").await;
    assert_eq!(status, 200, "{page}");
    assert!(page.contains("平桥区王岗乡王岗村"), "{page}");
    assert!(page.contains("已开启"), "{page}");

    // A forged token changes nothing.
    let (status, _) = browser
        .post("/me/pushes", &[("on", "0"), ("csrf", "1-00")])
        .await;
    assert_eq!(status, 403);
    // Neither does a value that is neither on nor off.
    let csrf = hidden(&page, "csrf");
    let (status, page) = browser
        .post("/me/pushes", &[("on", "maybe"), ("csrf", &csrf)])
        .await;
    assert_eq!(status, 422, "{page}");
    assert!(page.contains("请选择开启或关闭"), "{page}");
    assert!(page.contains("已开启"), "{page}");

    let (status, _) = browser
        .post("/me/pushes", &[("on", "0"), ("csrf", &csrf)])
        .await;
    assert_eq!(status, 303);
    let (_, page) = browser.get("/me/pushes?done=off").await;
    assert!(page.contains("已关闭本村公开推送"), "{page}");
    assert!(page.contains("开启推送"), "{page}");

    published(
        &app,
        VILLAGE,
        Module::Assets,
        "王岗村2026年11月财务收支公开",
    )
    .await;
    assert_eq!(run(&app, next_sending(Utc::now())).await, 0);

    let csrf = hidden(&page, "csrf");
    let (status, _) = browser
        .post("/me/pushes", &[("on", "1"), ("csrf", &csrf)])
        .await;
    assert_eq!(status, 303);
    assert_eq!(run(&app, next_sending(Utc::now())).await, 1);

    // Without a session the page asks WeChat who this is first.
    let r = app.client.get(app.url("/me/pushes")).send().await.unwrap();
    assert_eq!(r.status(), 302);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_the_template_the_run_sends_nothing() {
    let fake = FakeWechat::start().await;
    let app = spawn_app_with_wechat(&fake, |s| s.outbox.worker_in_serve = false).await;
    app.wechat(&event(
        FAN,
        "subscribe",
        Some(&format!("qrscene_{VILLAGE}")),
    ))
    .await;
    published(
        &app,
        VILLAGE,
        Module::Assets,
        "王岗村2026年11月财务收支公开",
    )
    .await;
    assert_eq!(run(&app, next_sending(Utc::now())).await, 0);
    let rows: i64 = sqlx::query_scalar("SELECT count(*) FROM outbox")
        .fetch_one(&app.pool)
        .await
        .unwrap();
    assert_eq!(rows, 0);
}

/// The follower list was kept as lookup hashes alone for a while, then followers' openids
/// were sealed (the push must address them): a follower still stored in plaintext is
/// sealed at start-up and pushed; one stored by hash alone cannot be addressed until
/// they are next seen, which seals them; neither row ever holds the openid readable.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn followers_stored_before_sealing_are_pushed_once_sealed() {
    const HASHED_FAN: &str = "oHashedOnlyFan00000000000001";
    let fake = FakeWechat::start().await;
    let app = app_with_template(&fake).await;
    sqlx::query(
        "INSERT INTO followers (openid, subscribed, village_code, first_seen_at, last_seen_at)
         VALUES ($1, true, $2, now(), now())",
    )
    .bind(FAN)
    .bind(VILLAGE)
    .execute(&app.pool)
    .await
    .unwrap();
    sqlx::query(
        "INSERT INTO followers (openid_hash, subscribed, village_code, first_seen_at, last_seen_at)
         VALUES ($1, true, $2, now(), now())",
    )
    .bind(
        app.vault
            .lookup(sunvillage::crypto::Purpose::FollowerOpenid, HASHED_FAN)
            .0,
    )
    .bind(VILLAGE)
    .execute(&app.pool)
    .await
    .unwrap();
    let sealed = sunvillage::storage::sealing::seal_plaintext(&app.pool, &app.vault)
        .await
        .unwrap();
    assert_eq!(sealed.followers, 1);

    published(
        &app,
        VILLAGE,
        Module::Assets,
        "王岗村2026年11月财务收支公开",
    )
    .await;
    let evening = next_sending(Utc::now());
    assert_eq!(run(&app, evening).await, 1, "only the sealed follower");

    // The hashed-only follower writes (the message log's batch, written here at once):
    // now they are sealed, and that evening's run (again, as after a restart) reaches
    // them and not the first one twice.
    let sighting = sunvillage::storage::inbound_messages::Sighting {
        openid: sunvillage::domain::OpenId::parse(HASHED_FAN).unwrap(),
        at: Utc::now(),
        text: None,
    };
    sunvillage::storage::inbound_messages::store_batch(
        &app.pool,
        &app.vault,
        &mut Default::default(),
        &[sighting],
    )
    .await
    .unwrap();
    assert_eq!(run(&app, evening + chrono::Duration::minutes(1)).await, 1);
    app.run_pending_outbox().await;
    let mut to: Vec<String> = fake.delivered().into_iter().map(|m| m.touser).collect();
    to.sort();
    assert_eq!(to, [HASHED_FAN, FAN]);

    // Every follower row holds its openid sealed under a key of its own, never readable.
    type Row = (Option<String>, Option<Vec<u8>>, Option<i64>);
    let rows: Vec<Row> = sqlx::query_as("SELECT openid, openid_sealed, data_key_id FROM followers")
        .fetch_all(&app.pool)
        .await
        .unwrap();
    assert_eq!(rows.len(), 2);
    let mut keys = Vec::new();
    for (openid, sealed, key) in rows {
        assert_eq!(openid, None);
        let sealed = sealed.expect("sealed");
        for fan in [FAN, HASHED_FAN] {
            assert!(
                !sealed.windows(fan.len()).any(|w| w == fan.as_bytes()),
                "the sealed openid is not the openid"
            );
        }
        keys.push(key.expect("a data key"));
    }
    assert_ne!(keys[0], keys[1], "one data key per follower");
}

/// The message log's batch seals every follower it sees for the first time together
/// (three statements for the batch): each under a key of its own, bound to its own row,
/// so that the push opens each to its own openid; one seen twice in the batch is one
/// row, and a follower already sealed keeps their key.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_batch_of_new_followers_is_sealed_each_under_its_own_key_and_pushed() {
    use sunvillage::domain::OpenId;
    use sunvillage::storage::inbound_messages::{Sighting, TextKind, store_batch};
    let fake = FakeWechat::start().await;
    let app = app_with_template(&fake).await;
    app.wechat(&event(FAN, "subscribe", None)).await;
    let fan_key: i64 = sqlx::query_scalar("SELECT data_key_id FROM followers")
        .fetch_one(&app.pool)
        .await
        .unwrap();

    let new: Vec<String> = (1..=5)
        .map(|i| format!("oBatchFollower0000000000000{i}"))
        .collect();
    let mut batch: Vec<Sighting> = new
        .iter()
        .map(|o| Sighting {
            openid: OpenId::parse(o).unwrap(),
            at: Utc::now(),
            text: None,
        })
        .collect();
    batch.push(Sighting {
        openid: OpenId::parse(&new[2]).unwrap(),
        at: Utc::now(),
        text: Some((7, TextKind::Text, "王岗".into())),
    });
    batch.push(Sighting {
        openid: OpenId::parse(FAN).unwrap(),
        at: Utc::now(),
        text: None,
    });
    store_batch(&app.pool, &app.vault, &mut Default::default(), &batch)
        .await
        .unwrap();

    let (rows, keys): (i64, i64) = sqlx::query_as(
        "SELECT count(*), count(DISTINCT data_key_id) FROM followers WHERE openid_sealed IS NOT NULL",
    )
    .fetch_one(&app.pool)
    .await
    .unwrap();
    assert_eq!((rows, keys), (6, 6), "one row and one key per follower");
    let keeping: i64 = sqlx::query_scalar("SELECT count(*) FROM followers WHERE data_key_id = $1")
        .bind(fan_key)
        .fetch_one(&app.pool)
        .await
        .unwrap();
    assert_eq!(keeping, 1, "the sealed follower keeps their key");

    sqlx::query("UPDATE followers SET village_code = $1")
        .bind(VILLAGE)
        .execute(&app.pool)
        .await
        .unwrap();
    let village = sunvillage::domain::VillageCode::parse(VILLAGE).unwrap();
    let mut opened: Vec<String> =
        sunvillage::storage::village_pushes::followers_of(&app.pool, &app.vault, &village)
            .await
            .unwrap()
            .into_iter()
            .map(|o| o.as_str().to_owned())
            .collect();
    opened.sort();
    let mut expected = new.clone();
    expected.push(FAN.to_owned());
    expected.sort();
    assert_eq!(opened, expected, "each row opens to its own openid");
}

/// An unsubscribed follower's sealed openid is kept as long as a push's addressee
/// (`retention.outbox_days`), then its key is destroyed; the row stays, and a follower
/// who comes back is sealed again under a new key and pushed.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unsubscribed_followers_openid_is_shredded_after_its_period_and_sealed_again_on_return()
{
    let fake = FakeWechat::start().await;
    let app = app_with_template(&fake).await;
    let subscribe = event(FAN, "subscribe", Some(&format!("qrscene_{VILLAGE}")));
    app.wechat(&subscribe).await;
    app.wechat(&event(FAN, "unsubscribe", None)).await;
    let key_of = || async {
        sqlx::query_as::<_, (i64, bool, bool)>(
            "SELECT f.data_key_id, f.openid_sealed IS NOT NULL, d.wrapped IS NOT NULL
             FROM followers f JOIN data_keys d USING (data_key_id)",
        )
        .fetch_one(&app.pool)
        .await
        .unwrap()
    };
    let (first_key, sealed, live) = key_of().await;
    assert!(sealed && live);

    let retention = &app.settings.retention;
    let within = Utc::now() + chrono::Duration::days(i64::from(retention.outbox_days) - 1);
    let done = sunvillage::services::retention::run(&app.pool, retention, within)
        .await
        .unwrap();
    assert_eq!(done.followers, 0, "still within the period");
    let past = Utc::now() + chrono::Duration::days(i64::from(retention.outbox_days) + 1);
    let done = sunvillage::services::retention::run(&app.pool, retention, past)
        .await
        .unwrap();
    assert_eq!(done.followers, 1);
    assert_eq!(key_of().await, (first_key, false, false));
    let again = sunvillage::services::retention::run(&app.pool, retention, past)
        .await
        .unwrap();
    assert_eq!(again.followers, 0, "a second pass finds nothing");

    // They come back: found by the hash (the binding kept), sealed anew, pushed.
    app.wechat(&event(FAN, "subscribe", None)).await;
    let (key, sealed, live) = key_of().await;
    assert!(key != first_key && sealed && live);
    published(
        &app,
        VILLAGE,
        Module::Assets,
        "王岗村2026年11月财务收支公开",
    )
    .await;
    assert_eq!(run(&app, next_sending(Utc::now())).await, 1);
    app.run_pending_outbox().await;
    assert_eq!(fake.delivered()[0].touser, FAN);
}
