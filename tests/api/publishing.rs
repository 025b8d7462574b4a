//! Publishing through the staff pages: a village clerk drafts a 三资 finance statement
//! with line items, previews and submits it; the township reviewer returns it with a
//! reason, then approves it; the public page shows it with computed totals, the canonical
//! JSON hashes to the stored SHA-256; a correction becomes version 2 with its reason and
//! the reviewer's diff names the changed line item; a withdrawal keeps the record.

use sha2::{Digest, Sha256};
use sunvillage::domain::staff::Role;

use crate::support::spawn_app;
use crate::support::staff::StaffBrowser;

const VILLAGE: &str = "411503209202";
const TOWNSHIP: &str = "411503209";
/// A township of another county.
const OTHER_TOWNSHIP: &str = "411502001";

fn item(i: usize, cells: [&str; 5]) -> Vec<(String, &str)> {
    ["date", "direction", "item", "amount", "voucher"]
        .iter()
        .zip(cells)
        .map(|(col, v)| (format!("l.items.{i}.{col}"), v))
        .collect()
}

pub(crate) fn statement(title: &str, amount2: &str) -> Vec<(String, String)> {
    let mut form: Vec<(String, String)> = vec![
        ("title".into(), title.into()),
        ("f.period".into(), "2026年11月".into()),
        ("f.body".into(), "本月收支明细如下，请村民监督。".into()),
    ];
    for (i, cells) in [
        ["2026-11-02", "收入", "鱼塘承包费", "12,000.00", "记-001"],
        ["2026-11-05", "支出", "道路维修", amount2, "记-002"],
        ["2026-11-09", "收入", "上级转移支付", "0.05", "记-003"],
    ]
    .into_iter()
    .enumerate()
    {
        form.extend(item(i, cells).into_iter().map(|(k, v)| (k, v.to_owned())));
    }
    form
}

pub(crate) async fn post(
    b: &mut StaffBrowser<'_>,
    path: &str,
    form: &[(String, String)],
) -> (u16, String, String) {
    let fields: Vec<(&str, &str)> = form.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    b.post(path, &fields).await
}

pub(crate) fn draft_id(location: &str) -> i64 {
    location
        .trim_start_matches("/staff/drafts/")
        .split(['/', '?'])
        .next()
        .unwrap()
        .parse()
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_finance_statement_is_drafted_reviewed_published_and_corrected() {
    let app = spawn_app().await;
    let mut clerk = StaffBrowser::new(&app);
    clerk
        .signed_in_as("王村务", Role::Clerk, VILLAGE, None)
        .await;
    let mut reviewer = StaffBrowser::new(&app);
    reviewer
        .signed_in_as("李审核", Role::Reviewer, TOWNSHIP, None)
        .await;
    let mut stranger = StaffBrowser::new(&app);
    stranger
        .signed_in_as("外乡审核", Role::Reviewer, OTHER_TOWNSHIP, None)
        .await;

    // The form is derived from data/modules/assets.toml.
    let (status, _, page) = clerk.get("/staff/disclosures/new/assets").await;
    assert_eq!(status, 200, "{page}");
    for label in [
        "公开期间",
        "收支明细",
        "凭证号",
        "金额（元）",
        "l.items.0.amount",
    ] {
        assert!(page.contains(label), "{label}");
    }

    // Bad input: every problem located, nothing saved.
    let mut bad = statement("王岗村2026年11月财务收支公开", "3456.789");
    bad.push(("l.items.3.date".into(), "2026-11-31".into()));
    bad.push(("l.items.3.item".into(), "张三411503198001011234".into()));
    let (status, _, page) = post(&mut clerk, "/staff/disclosures/new/assets", &bad).await;
    assert_eq!(status, 422, "{page}");
    assert!(page.contains("收支明细第2行“金额（元）”"), "{page}");
    assert!(page.contains("收支明细第4行“日期”"), "{page}");
    assert!(page.contains("身份证"), "{page}");
    let drafts: i64 = sqlx::query_scalar("SELECT count(*) FROM disclosure_drafts")
        .fetch_one(&app.pool)
        .await
        .unwrap();
    assert_eq!(drafts, 0);

    let (status, to, _) = post(
        &mut clerk,
        "/staff/disclosures/new/assets",
        &statement("王岗村2026年11月财务收支公开", "3456.70"),
    )
    .await;
    assert_eq!(status, 303);
    let id = draft_id(&to);
    let (status, _, page) = clerk.get(&to).await;
    assert_eq!(status, 200);
    // The preview: totals computed, never typed.
    assert!(page.contains("收入合计"), "{page}");
    assert!(page.contains("12,000.05元"), "{page}");
    assert!(page.contains("3,456.70元"), "{page}");
    assert!(page.contains("这是新的公开"), "{page}");

    // A clerk cannot publish; a reviewer elsewhere does not see the draft.
    let approve = format!("/staff/drafts/{id}/approve");
    let (status, _, _) = clerk.post(&approve, &[]).await;
    assert_eq!(status, 403);
    stranger.get("/staff/disclosures").await;
    let (status, _, _) = stranger.get(&format!("/staff/drafts/{id}")).await;
    assert_eq!(status, 404);
    // Not before it is submitted.
    reviewer.get("/staff/disclosures").await;
    let (status, _, _) = reviewer.post(&approve, &[]).await;
    assert_eq!(status, 409);

    let (status, _, _) = clerk.post(&format!("/staff/drafts/{id}/submit"), &[]).await;
    assert_eq!(status, 303);
    let (status, _, _) = stranger.post(&approve, &[]).await;
    assert_eq!(status, 404);

    // The reviewer's queue, then a return with a reason.
    let (_, _, queue) = reviewer.get("/staff/disclosures").await;
    assert!(queue.contains("王岗村2026年11月财务收支公开"), "{queue}");
    let (status, _, _) = reviewer
        .post(&format!("/staff/drafts/{id}/return"), &[("reason", "  ")])
        .await;
    assert_eq!(status, 422);
    let (status, _, _) = reviewer
        .post(
            &format!("/staff/drafts/{id}/return"),
            &[("reason", "请附上凭证号说明")],
        )
        .await;
    assert_eq!(status, 303);
    let (_, _, page) = clerk.get(&format!("/staff/drafts/{id}")).await;
    assert!(page.contains("请附上凭证号说明"), "{page}");
    clerk.post(&format!("/staff/drafts/{id}/submit"), &[]).await;
    reviewer.get(&format!("/staff/drafts/{id}")).await;
    let (status, _, _) = reviewer.post(&approve, &[]).await;
    assert_eq!(status, 303);

    let published: i64 =
        sqlx::query_scalar("SELECT published_id FROM disclosure_drafts WHERE draft_id = $1")
            .bind(id)
            .fetch_one(&app.pool)
            .await
            .unwrap();
    let public = app
        .get(&format!("/d/{published}"))
        .await
        .text()
        .await
        .unwrap();
    assert!(public.contains("王岗村2026年11月财务收支公开"));
    assert!(
        public.contains("12,000.05元") && public.contains("鱼塘承包费"),
        "{public}"
    );

    // The canonical JSON hashes to the stored digest and to what the audit log recorded.
    let r = app.get(&format!("/d/{published}/v/1.json")).await;
    assert_eq!(r.status(), 200);
    let header = r.headers()["x-content-sha256"].to_str().unwrap().to_owned();
    let bytes = r.bytes().await.unwrap();
    let digest = hex::encode(Sha256::digest(&bytes));
    assert_eq!(digest, header);
    let stored: Vec<u8> = sqlx::query_scalar(
        "SELECT content_sha256 FROM disclosure_versions WHERE disclosure_id = $1 AND version = 1",
    )
    .bind(published)
    .fetch_one(&app.pool)
    .await
    .unwrap();
    assert_eq!(hex::encode(stored), digest);
    assert!(public.contains(&digest), "the page shows the digest");
    let audited: String = sqlx::query_scalar(
        "SELECT after->>'content_sha256' FROM audit_log WHERE action = 'disclosure.published'",
    )
    .fetch_one(&app.pool)
    .await
    .unwrap();
    assert_eq!(audited, digest);
    let json: serde_json::Value = serde_json::from_slice(&bytes).unwrap();
    assert_eq!(json["lists"][0]["rows"][0][3], 1_200_000);

    // A published version is never changed in place.
    let refused =
        sqlx::query("UPDATE disclosure_versions SET title = 'x' WHERE disclosure_id = $1")
            .bind(published)
            .execute(&app.pool)
            .await;
    assert!(refused.is_err());

    // A correction: a new draft of the same disclosure, with a reason.
    clerk.get(&format!("/staff/drafts/{id}")).await;
    let (status, to, _) = clerk
        .post(&format!("/staff/disclosures/{published}/correct"), &[])
        .await;
    assert_eq!(status, 303);
    let correction = draft_id(&to);
    let (_, _, page) = clerk.get(&to).await;
    assert!(page.contains("与已发布的版本相同"), "{page}");
    // Submitting without the reason is refused.
    let (status, _, _) = clerk
        .post(&format!("/staff/drafts/{correction}/submit"), &[])
        .await;
    assert_eq!(status, 422);
    let mut form = statement("王岗村2026年11月财务收支公开", "3465.70");
    form.push((
        "change_note".into(),
        "道路维修金额录入有误，更正为3465.70元".into(),
    ));
    let (status, _, page) = post(&mut clerk, &format!("/staff/drafts/{correction}"), &form).await;
    assert_eq!(status, 303, "{page}");
    clerk
        .post(&format!("/staff/drafts/{correction}/submit"), &[])
        .await;
    let (_, _, page) = reviewer.get(&format!("/staff/drafts/{correction}")).await;
    assert!(page.contains("收支明细第2行（修改）"), "{page}");
    assert!(
        page.contains("金额（元）：3456.70") && page.contains("金额（元）：3465.70"),
        "{page}"
    );
    let (status, _, _) = reviewer
        .post(&format!("/staff/drafts/{correction}/approve"), &[])
        .await;
    assert_eq!(status, 303);
    let public = app
        .get(&format!("/d/{published}"))
        .await
        .text()
        .await
        .unwrap();
    assert!(public.contains("第2版"), "{public}");
    assert!(public.contains("道路维修金额录入有误"), "{public}");
    assert!(
        public.contains("3,465.70元") && public.contains("3,456.70元"),
        "both versions"
    );
    assert_eq!(
        app.get(&format!("/d/{published}/v/2.json")).await.status(),
        200
    );

    let actions: Vec<String> = sqlx::query_scalar(
        "SELECT action FROM audit_log WHERE action LIKE 'disclosure.%' ORDER BY audit_id",
    )
    .fetch_all(&app.pool)
    .await
    .unwrap();
    for a in [
        "disclosure.draft_created",
        "disclosure.submitted",
        "disclosure.returned",
        "disclosure.published",
        "disclosure.correction_started",
        "disclosure.draft_edited",
        "disclosure.corrected",
    ] {
        assert!(actions.iter().any(|x| x == a), "{a} in {actions:?}");
    }

    // A withdrawal keeps the record and shows why.
    reviewer.get(&format!("/staff/drafts/{correction}")).await;
    let (status, _, _) = clerk
        .post(
            &format!("/staff/disclosures/{published}/withdraw"),
            &[("reason", "x")],
        )
        .await;
    assert_eq!(status, 403);
    let (status, _, _) = reviewer
        .post(
            &format!("/staff/disclosures/{published}/withdraw"),
            &[("reason", "重复发布")],
        )
        .await;
    assert_eq!(status, 303);
    let public = app
        .get(&format!("/d/{published}"))
        .await
        .text()
        .await
        .unwrap();
    assert!(
        public.contains("已撤回") && public.contains("重复发布"),
        "{public}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_recipient_list_masks_names_and_refuses_id_card_numbers() {
    let app = spawn_app().await;
    let mut clerk = StaffBrowser::new(&app);
    clerk
        .signed_in_as("王村务", Role::Clerk, VILLAGE, None)
        .await;
    clerk.get("/staff/disclosures/new/livelihood").await;
    let mut form: Vec<(String, String)> = vec![
        ("title".into(), "2026年第四季度低保名单".into()),
        ("f.program".into(), "低保".into()),
        ("f.period".into(), "2026年第四季度".into()),
        ("l.recipients.0.name".into(), "张小明".into()),
        ("l.recipients.0.household".into(), "3".into()),
        ("l.recipients.0.amount".into(), "1500".into()),
        ("l.recipients.0.reason".into(), "411503198001011234".into()),
    ];
    let (status, _, page) = post(&mut clerk, "/staff/disclosures/new/livelihood", &form).await;
    assert_eq!(status, 422);
    assert!(
        page.contains("名单第1行“原因”") && page.contains("身份证"),
        "{page}"
    );
    form.pop();
    form.push(("l.recipients.0.reason".into(), "因病致贫".into()));
    let (status, to, _) = post(&mut clerk, "/staff/disclosures/new/livelihood", &form).await;
    assert_eq!(status, 303);
    let (_, _, page) = clerk.get(&to).await;
    // The preview shows what the public will see: the name masked.
    let preview = page.split("预览：群众看到的样子").nth(1).unwrap();
    let preview = preview.split("</article>").next().unwrap();
    assert!(
        preview.contains("张*明") && !preview.contains("张小明"),
        "{preview}"
    );
}

fn statement_xlsx(amount: f64) -> Vec<u8> {
    let mut book = rust_xlsxwriter::Workbook::new();
    let sheet = book.add_worksheet();
    sheet.set_name("11月").unwrap();
    for (c, h) in ["日期", "收支", "摘要", "金额（元）", "凭证号"]
        .iter()
        .enumerate()
    {
        sheet.write_string(0, c as u16, *h).unwrap();
    }
    for (r, (date, dir, item, amount, voucher)) in [
        ("2026-11-02", "收入", "鱼塘承包费", 12000.0, "记-001"),
        ("2026-11-05", "支出", "道路维修", amount, "记-002"),
    ]
    .into_iter()
    .enumerate()
    {
        let r = r as u32 + 1;
        sheet.write_string(r, 0, date).unwrap();
        sheet.write_string(r, 1, dir).unwrap();
        sheet.write_string(r, 2, item).unwrap();
        sheet.write_number(r, 3, amount).unwrap();
        sheet.write_string(r, 4, voucher).unwrap();
    }
    book.save_to_buffer().unwrap()
}

async fn upload(
    app: &crate::support::TestApp,
    b: &StaffBrowser<'_>,
    draft: i64,
    name: &str,
    bytes: Vec<u8>,
) -> (u16, String) {
    let form = reqwest::multipart::Form::new()
        .text("csrf", b.csrf.clone())
        .text("list", "items")
        .part(
            "file",
            reqwest::multipart::Part::bytes(bytes).file_name(name.to_owned()),
        );
    let r = b
        .client
        .post(app.url(&format!("/staff/drafts/{draft}/import")))
        .multipart(form)
        .send()
        .await
        .unwrap();
    (r.status().as_u16(), r.text().await.unwrap())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn line_items_are_imported_from_xlsx_and_gb18030_csv_after_a_preview() {
    let app = spawn_app().await;
    let mut clerk = StaffBrowser::new(&app);
    clerk
        .signed_in_as("王村务", Role::Clerk, VILLAGE, None)
        .await;
    clerk.get("/staff/disclosures/new/assets").await;
    let (status, to, _) = post(
        &mut clerk,
        "/staff/disclosures/new/assets",
        &statement("王岗村2026年11月财务收支公开", "1.00"),
    )
    .await;
    assert_eq!(status, 303);
    let id = draft_id(&to);
    let stored = || async {
        sqlx::query_scalar::<_, serde_json::Value>(
            "SELECT content FROM disclosure_drafts WHERE draft_id = $1",
        )
        .bind(id)
        .fetch_one(&app.pool)
        .await
        .unwrap()
    };
    let before = stored().await;
    let (_, _, page) = clerk.get(&to).await;
    assert!(page.contains("从 Excel 或 CSV 导入明细"), "{page}");

    // A bad amount: refused whole, located, nothing saved.
    let (status, page) = upload(&app, &clerk, id, "11月.xlsx", statement_xlsx(3456.789)).await;
    assert_eq!(status, 422, "{page}");
    assert!(
        page.contains("工作表“11月”第3行D列（金额（元））"),
        "{page}"
    );
    assert_eq!(stored().await, before);

    // A good file: a preview, still nothing saved; then confirmed.
    let (status, page) = upload(&app, &clerk, id, "11月.xlsx", statement_xlsx(3456.7)).await;
    assert_eq!(status, 200, "{page}");
    assert!(page.contains("还没有保存"), "{page}");
    assert!(
        page.contains("12,000.00元") && page.contains("3,456.70元"),
        "{page}"
    );
    assert_eq!(stored().await, before);
    let mut fields: Vec<(String, String)> = Vec::new();
    let form = page
        .split("<form class=\"block\" method=\"post\"")
        .nth(1)
        .unwrap();
    for input in form.split("<input type=\"hidden\" ").skip(1) {
        let name = input
            .split("name=\"")
            .nth(1)
            .unwrap()
            .split('"')
            .next()
            .unwrap();
        let value = input
            .split("value=\"")
            .nth(1)
            .unwrap()
            .split('"')
            .next()
            .unwrap();
        let value = value
            .replace("&quot;", "\"")
            .replace("&#34;", "\"")
            .replace("&#39;", "'")
            .replace("&lt;", "<")
            .replace("&gt;", ">")
            .replace("&amp;", "&");
        if name != "csrf" {
            fields.push((name.to_owned(), value));
        }
    }
    let (status, _, page) = post(&mut clerk, &format!("/staff/drafts/{id}"), &fields).await;
    assert_eq!(status, 303, "{page}");
    let after = stored().await;
    assert_eq!(after["lists"][0]["rows"].as_array().unwrap().len(), 2);
    assert_eq!(after["lists"][0]["rows"][1][3], 345_670);

    // The same statement as a GB18030 CSV (as Chinese Excel saves it).
    clerk.get(&to).await;
    let csv =
        "日期,收支,摘要,金额（元）,凭证号\r\n2026-11-02,收入,鱼塘承包费,\"12,000.00\",记-001\r\n";
    let (gb, _, _) = encoding_rs::GB18030.encode(csv);
    let (status, page) = upload(&app, &clerk, id, "11月.csv", gb.into_owned()).await;
    assert_eq!(status, 200, "{page}");
    assert!(page.contains("已读取“收支明细”1行"), "{page}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_xlsx_template_of_a_module_is_read_back_by_the_import_once_rows_are_filled_in() {
    use calamine::{Data, Reader, Xlsx};
    let app = spawn_app().await;
    let mut clerk = StaffBrowser::new(&app);
    clerk
        .signed_in_as("王村务", Role::Clerk, VILLAGE, None)
        .await;
    let r = clerk
        .client
        .get(app.url("/staff/templates/assets.xlsx"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let header_of = |name: &str| {
        r.headers()
            .get(name)
            .map(|v| v.to_str().unwrap().to_owned())
            .unwrap_or_default()
    };
    assert_eq!(
        header_of("content-type"),
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    );
    assert!(header_of("content-disposition").starts_with("attachment"));
    let template = r.bytes().await.unwrap().to_vec();

    // Written from data/modules/assets.toml: the labels, required ones marked, and rules.
    let mut book: Xlsx<_> =
        calamine::open_workbook_from_rs(std::io::Cursor::new(template.clone())).unwrap();
    assert_eq!(book.sheet_names(), ["收支明细", "填写说明"]);
    let text = |d: &Data| match d {
        Data::String(s) => s.clone(),
        _ => String::new(),
    };
    let header: Vec<String> = book
        .worksheet_range("收支明细")
        .unwrap()
        .rows()
        .next()
        .unwrap()
        .iter()
        .map(text)
        .collect();
    assert_eq!(
        header,
        [
            "日期*",
            "收支*",
            "摘要*",
            "金额（元）*",
            "凭证号*",
            "收据照片"
        ]
    );
    let notes: Vec<String> = book
        .worksheet_range("填写说明")
        .unwrap()
        .cells()
        .map(|(_, _, d)| text(d))
        .collect();
    assert!(notes.iter().any(|n| n.contains("收入、支出")), "{notes:?}");
    assert!(notes.iter().any(|n| n.contains("收入合计")), "{notes:?}");

    clerk.get("/staff/disclosures/new/assets").await;
    let (_, to, _) = post(
        &mut clerk,
        "/staff/disclosures/new/assets",
        &statement("王岗村2026年11月财务收支公开", "1.00"),
    )
    .await;
    let id = draft_id(&to);
    let (_, _, page) = clerk.get(&to).await;
    assert!(page.contains("/staff/templates/assets.xlsx"), "{page}");

    // Imported untouched, every column is accepted and only the rows are missing.
    let (status, page) = upload(&app, &clerk, id, "模板.xlsx", template).await;
    assert_eq!(status, 422, "{page}");
    assert!(
        page.contains("至少需要1行数据") && !page.contains("缺少列"),
        "{page}"
    );

    // Filled in under the downloaded header: a draft's preview.
    let mut filled = rust_xlsxwriter::Workbook::new();
    let sheet = filled.add_worksheet();
    sheet.set_name("收支明细").unwrap();
    for (c, h) in header.iter().enumerate() {
        sheet.write_string(0, c as u16, h).unwrap();
    }
    for (r, row) in [
        ["2026-11-02", "收入", "鱼塘承包费", "12000", "记-001"],
        ["2026-11-05", "支出", "道路维修", "3456.70", "记-002"],
    ]
    .iter()
    .enumerate()
    {
        for (c, v) in row.iter().enumerate() {
            sheet.write_string(r as u32 + 1, c as u16, *v).unwrap();
        }
    }
    let (status, page) = upload(
        &app,
        &clerk,
        id,
        "11月.xlsx",
        filled.save_to_buffer().unwrap(),
    )
    .await;
    assert_eq!(status, 200, "{page}");
    assert!(page.contains("已读取“收支明细”2行"), "{page}");
    assert!(page.contains("3,456.70元"), "{page}");

    // A module without a list has no template.
    let (status, _, _) = clerk.get("/staff/templates/organization.xlsx").await;
    assert_eq!(status, 404);
}
