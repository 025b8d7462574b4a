//! The power list edited by a city administrator at `/staff/power/items/…`: each save is
//! a new version of the whole list that the public pages show at once (本清单第N版), with
//! a required reason, its audit line and what it changed in the version history; a bad
//! form, a stale form or an unchanged one saves nothing; an item is added and removed;
//! nobody else may change it; versions are never changed; a list loaded before versions
//! began is version 1, and the command line's load is a version too.

use sunvillage::domain::power::{BUILTIN_POWER_LIST, StepKind};
use sunvillage::domain::power_edit::fields_of;
use sunvillage::domain::staff::Role;
use sunvillage::domain::{PowerItem, PowerList};

use crate::support::staff::StaffBrowser;
use crate::support::{TestApp, spawn_app};

async fn public(app: &TestApp, path: &str) -> (u16, String) {
    let r = app.client.get(app.url(path)).send().await.unwrap();
    (r.status().as_u16(), r.text().await.unwrap())
}

async fn versions(app: &TestApp) -> i64 {
    sqlx::query_scalar("SELECT count(*) FROM power_list_versions")
        .fetch_one(&app.pool)
        .await
        .unwrap()
}

async fn stored_name(app: &TestApp, id: i32) -> Option<String> {
    sqlx::query_scalar("SELECT name FROM power_items WHERE id = $1")
        .bind(id)
        .fetch_optional(&app.pool)
        .await
        .unwrap()
}

/// An item whose flow ends on a plain step, so a step can be added after it.
fn an_item() -> PowerItem {
    PowerList::parse(BUILTIN_POWER_LIST)
        .unwrap()
        .items()
        .iter()
        .find(|i| i.main_steps().last().unwrap().kind == StepKind::Step)
        .unwrap()
        .clone()
}

/// The item's form as its page prefills it, with `changes` applied.
fn form(item: &PowerItem, changes: &[(&'static str, &str)]) -> Vec<(&'static str, String)> {
    let mut fields: Vec<(&'static str, String)> = fields_of(item).into_iter().collect();
    fields.push(("base", "1".into()));
    fields.push(("reason", "依据信纪发〔2024〕12号调整".into()));
    fields.push(("adoption", String::new()));
    for (k, v) in changes {
        match fields.iter_mut().find(|(f, _)| f == k) {
            Some(slot) => slot.1 = (*v).to_owned(),
            None => fields.push((k, (*v).to_owned())),
        }
    }
    fields
}

fn pairs<'a>(fields: &'a [(&'static str, String)]) -> Vec<(&'static str, &'a str)> {
    fields.iter().map(|(k, v)| (*k, v.as_str())).collect()
}

async fn city_admin(app: &TestApp) -> StaffBrowser<'_> {
    let mut admin = StaffBrowser::new(app);
    admin
        .signed_in_as("市管理员", Role::Admin, "4115", None)
        .await;
    let (status, _, page) = admin.get("/staff/power").await;
    assert_eq!(status, 200, "{page}");
    admin
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_edited_item_is_a_new_version_that_the_public_pages_show_with_its_diff() {
    let app = spawn_app().await;
    let item = an_item();
    let (_, list) = public(&app, "/power").await;
    assert!(list.contains("本清单第1版，"), "{list}");
    assert_eq!(versions(&app).await, 1, "a fresh install is version 1");

    let mut admin = city_admin(&app).await;
    let (_, _, page) = admin.get("/staff/power").await;
    let edit = format!("/staff/power/items/{}", item.id);
    assert!(page.contains(&format!("href=\"{edit}\"")), "{page}");
    let (status, _, page) = admin.get(&edit).await;
    assert_eq!(status, 200, "{page}");
    assert!(page.contains("name=\"base\" value=\"1\""), "{page}");
    assert!(page.contains(&item.name), "{page}");
    assert!(
        page.contains(&format!("1. {}", item.steps[0].title)),
        "{page}"
    );

    // The version belongs to the document that adopted the change.
    let adopted = [
        ("title", "关于调整村级小微权力清单的通知"),
        ("doc_number", "信纪发〔2024〕12号"),
        ("adopted_on", "2024-06-01"),
        ("issuer", "中共信阳市纪委"),
    ];
    let (status, _, _) = admin.post("/staff/power", &adopted).await;
    assert_eq!(status, 303);
    let adoption: i64 = sqlx::query_scalar("SELECT id FROM power_list_adoptions")
        .fetch_one(&app.pool)
        .await
        .unwrap();
    let (_, _, page) = admin.get(&edit).await;
    assert!(
        page.contains("信纪发〔2024〕12号"),
        "the form offers the document: {page}"
    );
    let adoption = adoption.to_string();

    let new_name = format!("{}（修订）", item.name);
    let steps = format!(
        "{}公布办理结果｜公开：办理结果和监督电话\n",
        sunvillage::domain::power_lines::render(&item.steps)
    );
    let fields = form(
        &item,
        &[
            ("name", &new_name),
            ("steps", &steps),
            ("adoption", &adoption),
        ],
    );
    let (status, to, page) = admin.post(&edit, &pairs(&fields)).await;
    assert_eq!(
        (status, to.as_str()),
        (303, "/staff/power?done=changed&version=2"),
        "{page}"
    );
    let (_, _, page) = admin.get(&to).await;
    assert!(page.contains("已保存为第2版"), "{page}");

    let (_, list) = public(&app, "/power").await;
    assert!(
        list.contains("本清单第2版，") && list.contains(&new_name),
        "{list}"
    );
    let (_, shown) = public(&app, &format!("/power/{}", item.id)).await;
    assert!(
        shown.contains(&new_name) && shown.contains("公布办理结果"),
        "{shown}"
    );
    assert!(shown.contains("本清单第2版，"), "{shown}");
    assert_eq!(versions(&app).await, 2);

    let (before, after, reason): (serde_json::Value, serde_json::Value, String) = sqlx::query_as(
        "SELECT before, after, reason FROM audit_log WHERE action = 'power_list.item_changed'",
    )
    .fetch_one(&app.pool)
    .await
    .unwrap();
    assert_eq!(before["version"], 1);
    assert_eq!(before["item"]["name"], item.name.as_str());
    assert_eq!(after["version"], 2);
    assert_eq!(after["item"]["name"], new_name.as_str());
    assert_eq!(reason, "依据信纪发〔2024〕12号调整");

    let (status, _, history) = admin.get("/staff/power/versions").await;
    assert_eq!(status, 200, "{history}");
    for expected in [
        "第2版",
        "依据信纪发〔2024〕12号调整",
        &format!("修改第{}项", item.id),
        "名称",
        &item.name,
        &new_name,
        "运行流程",
        "公布办理结果｜公开：办理结果和监督电话",
        "最初的版本",
        "印发文件：信纪发〔2024〕12号",
    ] {
        assert!(history.contains(expected), "{expected}: {history}");
    }
    // The history's flow-chart lines are only those that changed.
    assert!(
        !history.contains(&format!("1. {}", item.steps[0].title)),
        "{history}"
    );

    // Versions are kept as they were, in the database itself.
    let changed = sqlx::query("UPDATE power_list_versions SET reason = 'x'")
        .execute(&app.pool)
        .await;
    assert!(changed.is_err());
    let removed = sqlx::query("DELETE FROM power_list_versions")
        .execute(&app.pool)
        .await;
    assert!(removed.is_err());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_bad_stale_or_unchanged_form_saves_nothing() {
    let app = spawn_app().await;
    let item = an_item();
    let mut admin = city_admin(&app).await;
    let edit = format!("/staff/power/items/{}", item.id);
    let long = "长".repeat(61);
    for (field, value, message) in [
        ("reason", " ", "请填写修订理由"),
        ("name", "", "名称不能为空"),
        ("name", long.as_str(), "名称不能超过60个字"),
        ("category", "外星事务", "请从列表中选择类别"),
        ("subject", "村党组织\u{7}提议", "不能换行或含控制字符"),
        ("basis", "\n", "请填写依据"),
        ("steps", "只有一步", "运行流程至少要有两步"),
        ("steps", "1. 申请\n｜主体：村委", "第2行的步骤名称不能为空"),
        ("steps", "申请\n判断：审核｜同意→下一步", "至少要有两个分支"),
        (
            "steps",
            "判断：审核｜同意→第7步｜不同意→下一步\n公布",
            "流程只有2步",
        ),
        ("steps", "申请｜备注：无\n公布", "看不懂"),
        ("adoption", "999", "请从列表中选择印发文件"),
        ("adoption", "某文件", "请从列表中选择印发文件"),
    ] {
        let fields = form(&item, &[("name", "新名称"), (field, value)]);
        let (status, _, page) = admin.post(&edit, &pairs(&fields)).await;
        assert_eq!(status, 422, "{field}: {page}");
        assert!(page.contains(message), "{field}: {page}");
        assert!(
            page.contains("value=\"新名称\"") || field == "name",
            "typed values kept"
        );
        assert_eq!(versions(&app).await, 1, "{field}");
        assert_eq!(
            stored_name(&app, item.id).await.as_deref(),
            Some(item.name.as_str())
        );
    }
    // Saved as it was: no new version.
    let (status, _, page) = admin.post(&edit, &pairs(&form(&item, &[]))).await;
    assert_eq!(status, 422, "{page}");
    assert!(page.contains("没有改动"), "{page}");
    // Opened on a version that is no longer current.
    let stale = form(&item, &[("name", "新名称"), ("base", "0")]);
    let (status, _, page) = admin.post(&edit, &pairs(&stale)).await;
    assert_eq!(status, 409, "{page}");
    assert!(page.contains("清单已被修改为第1版"), "{page}");
    assert_eq!(versions(&app).await, 1);
    let audited: i64 =
        sqlx::query_scalar("SELECT count(*) FROM audit_log WHERE action LIKE 'power_list.item%'")
            .fetch_one(&app.pool)
            .await
            .unwrap();
    assert_eq!(audited, 0);
    let (status, _, _) = admin.get("/staff/power/items/99").await;
    assert_eq!(status, 404);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_item_is_added_and_removed_each_as_a_version_with_its_reason() {
    let app = spawn_app().await;
    let item = an_item();
    let mut admin = city_admin(&app).await;
    let (status, _, page) = admin.get("/staff/power/items/new").await;
    assert_eq!(status, 200, "{page}");
    let mut fields = form(&item, &[("name", "村级公益性岗位人员选聘")]);
    fields.retain(|(k, _)| *k != "reason");
    fields.push(("reason", "市纪委会议决定增列".into()));
    let (status, to, page) = admin.post("/staff/power/items/new", &pairs(&fields)).await;
    assert_eq!(
        (status, to.as_str()),
        (303, "/staff/power?done=added&version=2"),
        "{page}"
    );
    let (status, shown) = public(&app, "/power/31").await;
    assert_eq!(status, 200);
    assert!(shown.contains("村级公益性岗位人员选聘"), "{shown}");
    assert!(public(&app, "/power").await.1.contains("共31项"));

    // Removing needs a reason too.
    let remove = "/staff/power/items/31/remove";
    let (status, _, page) = admin
        .post(remove, &[("base", "2"), ("remove_reason", "")])
        .await;
    assert_eq!(status, 422, "{page}");
    assert!(page.contains("请填写修订理由"), "{page}");
    assert_eq!(public(&app, "/power/31").await.0, 200);
    let (status, to, _) = admin
        .post(remove, &[("base", "2"), ("remove_reason", "与第5项重复")])
        .await;
    assert_eq!(
        (status, to.as_str()),
        (303, "/staff/power?done=removed&version=3")
    );
    assert_eq!(public(&app, "/power/31").await.0, 404);
    assert_eq!(versions(&app).await, 3);
    let (_, _, history) = admin.get("/staff/power/versions").await;
    assert!(
        history.contains("删除第31项")
            && history.contains("与第5项重复")
            && history.contains("新增第31项"),
        "{history}"
    );
    let audited: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM audit_log WHERE action IN ('power_list.item_added', 'power_list.item_removed')",
    )
    .fetch_one(&app.pool)
    .await
    .unwrap();
    assert_eq!(audited, 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn only_a_city_administrator_changes_the_power_list() {
    let app = spawn_app().await;
    let item = an_item();
    let edit = format!("/staff/power/items/{}", item.id);
    let fields = form(&item, &[("name", "新名称")]);
    for (role, region) in [
        (Role::Admin, "411503"),
        (Role::Reviewer, "411503209"),
        (Role::Inspector, "4115"),
    ] {
        let mut member = StaffBrowser::new(&app);
        member.signed_in_as("某人", role, region, None).await;
        member.get("/staff/account").await;
        for path in [
            edit.as_str(),
            "/staff/power/items/new",
            "/staff/power/versions",
        ] {
            let (status, _, _) = member.get(path).await;
            assert_eq!(status, 403, "{role:?} GET {path}");
        }
        let (status, _, _) = member.post(&edit, &pairs(&fields)).await;
        assert_eq!(status, 403, "{role:?}");
        let (status, _, _) = member
            .post(
                &format!("{edit}/remove"),
                &[("base", "1"), ("remove_reason", "x")],
            )
            .await;
        assert_eq!(status, 403, "{role:?}");
    }
    assert_eq!(versions(&app).await, 1);
    assert_eq!(
        stored_name(&app, item.id).await.as_deref(),
        Some(item.name.as_str())
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_list_loaded_before_versions_began_becomes_version_1_and_the_command_line_adds_one() {
    use crate::support::database::{drop_database, fresh_database, url_of};
    use sunvillage::storage::power;

    let name = fresh_database().await;
    let pool = sqlx::PgPool::connect(&url_of(&name)).await.unwrap();
    let builtin = PowerList::parse(BUILTIN_POWER_LIST).unwrap();
    // A county's own list, in the tables before this version of the service ran.
    let mut own = builtin.items()[0].clone();
    own.name = "本县自定的第一项".into();
    let county = sunvillage::domain::power_edit::Edit::Replace(own)
        .apply(&builtin)
        .unwrap();
    let mut tx = pool.begin().await.unwrap();
    power::rewrite(&mut tx, &county).await.unwrap();
    tx.commit().await.unwrap();

    assert!(!power::load_if_empty(&pool, &builtin).await.unwrap());
    let mut tx = pool.begin().await.unwrap();
    let (version, list) = sunvillage::storage::power_versions::current(&mut *tx)
        .await
        .unwrap()
        .unwrap();
    tx.rollback().await.unwrap();
    assert_eq!(version, 1);
    assert_eq!(list, county, "the rows in force, not the built-in file");

    // `sunvillage load-power-list` replaces the list as the next version.
    assert_eq!(
        power::replace_all(&pool, &builtin, "由命令行载入：系统内置的清单")
            .await
            .unwrap(),
        2
    );
    let names: Vec<String> = sqlx::query_scalar("SELECT name FROM power_items WHERE id = 1")
        .fetch_all(&pool)
        .await
        .unwrap();
    assert_eq!(names, [builtin.items()[0].name.clone()]);
    let (header, _) = sunvillage::storage::power_versions::header(&pool)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(header, 2);
    pool.close().await;
    drop_database(&name).await;
}
