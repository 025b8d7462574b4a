//! Attachments on drafts: a clerk uploads receipt photos and a PDF to a 三资 statement
//! (the type read from the bytes, photos stripped of their GPS position), imports line
//! items whose 收据照片 column names the photos, and the reviewer publishes: the files
//! are served with safe headers, their SHA-256s are on the page, in the canonical JSON
//! and in the transparency-log entry, and verify-log notices a file changed behind the
//! triggers. Until then a draft's files are seen by staff in its scope only.

use sha2::{Digest, Sha256};
use sunvillage::domain::photo::testing::{PHONE_MODEL, jpeg_with_gps};
use sunvillage::domain::staff::Role;
use sunvillage::transparency::entry::Entry;

use crate::publishing::{draft_id, post, statement};
use crate::support::staff::StaffBrowser;
use crate::support::{TestApp, spawn_app};

const VILLAGE: &str = "411503209202";
const TOWNSHIP: &str = "411503209";
const OTHER_TOWNSHIP: &str = "411502001";

const PDF: &[u8] =
    b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n";

/// Posts files to a draft's upload form; the status, where it leads, and the page.
async fn attach(
    app: &TestApp,
    b: &StaffBrowser<'_>,
    draft: i64,
    files: &[(&str, &[u8])],
) -> (u16, String, String) {
    let mut form = reqwest::multipart::Form::new().text("csrf", b.csrf.clone());
    for (name, bytes) in files {
        form = form.part(
            "file",
            reqwest::multipart::Part::bytes(bytes.to_vec()).file_name((*name).to_owned()),
        );
    }
    let r = b
        .client
        .post(app.url(&format!("/staff/drafts/{draft}/files")))
        .multipart(form)
        .send()
        .await
        .unwrap();
    let status = r.status().as_u16();
    let location = r
        .headers()
        .get("location")
        .map(|l| l.to_str().unwrap().to_owned())
        .unwrap_or_default();
    (status, location, r.text().await.unwrap())
}

/// A statement's line items as an .xlsx, with the receipt column naming files.
fn items_xlsx(receipts: [&str; 2]) -> Vec<u8> {
    let mut book = rust_xlsxwriter::Workbook::new();
    let sheet = book.add_worksheet();
    sheet.set_name("11月").unwrap();
    let header = ["日期", "收支", "摘要", "金额（元）", "凭证号", "收据照片"];
    for (c, h) in header.iter().enumerate() {
        sheet.write_string(0, c as u16, *h).unwrap();
    }
    let rows = [
        (
            "2026-11-02",
            "收入",
            "鱼塘承包费",
            12000.0,
            "记-001",
            receipts[0],
        ),
        (
            "2026-11-05",
            "支出",
            "道路维修",
            3456.7,
            "记-002",
            receipts[1],
        ),
    ];
    for (r, (date, dir, item, amount, voucher, receipt)) in rows.into_iter().enumerate() {
        let r = r as u32 + 1;
        sheet.write_string(r, 0, date).unwrap();
        sheet.write_string(r, 1, dir).unwrap();
        sheet.write_string(r, 2, item).unwrap();
        sheet.write_number(r, 3, amount).unwrap();
        sheet.write_string(r, 4, voucher).unwrap();
        if !receipt.is_empty() {
            sheet.write_string(r, 5, receipt).unwrap();
        }
    }
    book.save_to_buffer().unwrap()
}

async fn import(app: &TestApp, b: &StaffBrowser<'_>, draft: i64, bytes: Vec<u8>) -> (u16, String) {
    let form = reqwest::multipart::Form::new()
        .text("csrf", b.csrf.clone())
        .text("list", "items")
        .part(
            "file",
            reqwest::multipart::Part::bytes(bytes).file_name("11月.xlsx"),
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

/// The hidden fields of an import preview's confirmation form.
fn confirmation(page: &str) -> Vec<(String, String)> {
    let form = page
        .split("<form class=\"block\" method=\"post\"")
        .nth(1)
        .unwrap();
    let attr = |input: &str, name: &str| {
        input
            .split(&format!("{name}=\""))
            .nth(1)
            .unwrap()
            .split('"')
            .next()
            .unwrap()
            .to_owned()
    };
    form.split("<input type=\"hidden\" ")
        .skip(1)
        .map(|input| {
            let value = attr(input, "value")
                .replace("&quot;", "\"")
                .replace("&#34;", "\"")
                .replace("&#39;", "'")
                .replace("&lt;", "<")
                .replace("&gt;", ">")
                .replace("&amp;", "&");
            (attr(input, "name"), value)
        })
        .filter(|(name, _)| name != "csrf")
        .collect()
}

/// The stored files of a draft: (id, name, SHA-256 hex, bytes), in order.
async fn stored(app: &TestApp, draft: i64) -> Vec<(i64, String, String, Vec<u8>)> {
    sqlx::query_as::<_, (i64, String, Vec<u8>, Vec<u8>)>(
        "SELECT id, name, sha256, content FROM draft_attachments WHERE draft_id = $1 ORDER BY id",
    )
    .bind(draft)
    .fetch_all(&app.pool)
    .await
    .unwrap()
    .into_iter()
    .map(|(id, name, sha, content)| (id, name, hex::encode(sha), content))
    .collect()
}

fn header<'a>(r: &'a reqwest::Response, name: &str) -> &'a str {
    r.headers()
        .get(name)
        .map(|v| v.to_str().unwrap())
        .unwrap_or_default()
}

fn assert_safe_headers(r: &reqwest::Response, content_type: &str) {
    assert_eq!(header(r, "content-type"), content_type);
    assert_eq!(header(r, "x-content-type-options"), "nosniff");
    assert!(
        header(r, "content-security-policy").contains("sandbox"),
        "{:?}",
        r.headers()
    );
    assert!(
        header(r, "content-disposition").starts_with("inline"),
        "{:?}",
        r.headers()
    );
}

async fn verify_log(app: &TestApp) -> (bool, String) {
    let out = app.command().arg("verify-log").output().await.unwrap();
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    (out.status.success(), text)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn receipts_are_attached_imported_published_hashed_and_logged() {
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
    clerk.get("/staff/disclosures/new/assets").await;
    let (status, to, _) = post(
        &mut clerk,
        "/staff/disclosures/new/assets",
        &statement("王岗村2026年11月财务收支公开", "3456.70"),
    )
    .await;
    assert_eq!(status, 303);
    let id = draft_id(&to);
    let (_, _, page) = clerk.get(&to).await;
    assert!(page.contains("上传附件"), "{page}");

    // A program renamed .pdf is refused by its content, and with it the whole upload.
    let phone = jpeg_with_gps(1600, 1200);
    let (status, _, page) = attach(
        &app,
        &clerk,
        id,
        &[
            ("收据1.jpg", &phone),
            ("合同.pdf", b"MZ\x90\x00\x03 program"),
        ],
    )
    .await;
    assert_eq!(status, 422, "{page}");
    assert!(
        page.contains("“合同.pdf”不是 PDF、JPEG、PNG、CSV 或 Excel（.xlsx）文件"),
        "{page}"
    );
    assert!(stored(&app, id).await.is_empty());

    let (status, location, page) = attach(
        &app,
        &clerk,
        id,
        &[("收据1.jpg", &phone), ("决议.pdf", PDF)],
    )
    .await;
    assert_eq!(status, 303, "{page}");
    let files = stored(&app, id).await;
    assert_eq!(files.len(), 2);
    let (photo_id, _, photo_sha, photo) = &files[0];
    let (pdf_id, _, pdf_sha, pdf) = &files[1];
    assert_eq!(pdf.as_slice(), PDF);
    assert_eq!(*photo_sha, hex::encode(Sha256::digest(photo)));
    // Re-encoded: the phone's EXIF (model, GPS) is gone.
    let model = PHONE_MODEL.as_bytes();
    assert!(!photo.windows(model.len()).any(|w| w == model));
    // The same file again is refused, nothing added.
    let (status, _, page) = attach(&app, &clerk, id, &[("收据2.jpg", &phone)]).await;
    assert_eq!(status, 422, "{page}");
    assert!(page.contains("已经上传过了"), "{page}");
    assert_eq!(stored(&app, id).await.len(), 2);

    let (_, _, page) = clerk.get(&location).await;
    assert!(
        page.contains(photo_sha.as_str()) && page.contains(pdf_sha.as_str()),
        "{page}"
    );

    // Staff in scope see the draft's files, with safe headers; nobody else does.
    let file = format!("/staff/drafts/{id}/files/{photo_id}");
    let r = reviewer.client.get(app.url(&file)).send().await.unwrap();
    assert_eq!(r.status(), 200);
    assert_safe_headers(&r, "image/jpeg");
    assert!(header(&r, "cache-control").contains("no-store"));
    let (status, _, _) = stranger.get(&file).await;
    assert_eq!(status, 404);
    let anonymous = app.client.get(app.url(&file)).send().await.unwrap();
    assert_ne!(anonymous.status(), 200);

    // The receipt column names the photos by file name; an unknown one is refused whole.
    let (status, page) = import(&app, &clerk, id, items_xlsx(["收据1.jpg", "没有.jpg"])).await;
    assert_eq!(status, 422, "{page}");
    assert!(
        page.contains("第3行F列（收据照片）") && page.contains("没有名为“没有.jpg”的附件"),
        "{page}"
    );
    let (status, page) = import(&app, &clerk, id, items_xlsx(["收据1.jpg", ""])).await;
    assert_eq!(status, 200, "{page}");
    assert!(
        page.contains(&format!("/staff/drafts/{id}/files/{photo_id}/small")),
        "{page}"
    );
    let (status, _, page) = post(
        &mut clerk,
        &format!("/staff/drafts/{id}"),
        &confirmation(&page),
    )
    .await;
    assert_eq!(status, 303, "{page}");
    let content: serde_json::Value =
        sqlx::query_scalar("SELECT content FROM disclosure_drafts WHERE draft_id = $1")
            .bind(id)
            .fetch_one(&app.pool)
            .await
            .unwrap();
    assert_eq!(content["lists"][0]["rows"][0][5], photo_sha.as_str());

    // A photo a line item names cannot be deleted; the PDF can, and comes back.
    clerk.get(&to).await;
    let (status, _, page) = clerk
        .post(&format!("/staff/drafts/{id}/files/{photo_id}/delete"), &[])
        .await;
    assert_eq!(status, 422, "{page}");
    assert!(page.contains("收支明细第1行"), "{page}");
    let (status, _, _) = clerk
        .post(&format!("/staff/drafts/{id}/files/{pdf_id}/delete"), &[])
        .await;
    assert_eq!(status, 303);
    assert_eq!(stored(&app, id).await.len(), 1);
    let (status, _, _) = attach(&app, &clerk, id, &[("决议.pdf", PDF)]).await;
    assert_eq!(status, 303);

    // The reviewer's diff names a receipt by its file name.
    let (_, _, page) = reviewer.get(&to).await;
    let diff = page.split("与已发布版本比较").nth(1).unwrap();
    let diff = diff.split("</table>").next().unwrap();
    assert!(
        diff.contains("收据1.jpg") && !diff.contains(photo_sha.as_str()),
        "{diff}"
    );

    // Published: the files travel with the version, hashed in its JSON and its entry.
    clerk.get(&to).await;
    let (status, _, _) = clerk.post(&format!("/staff/drafts/{id}/submit"), &[]).await;
    assert_eq!(status, 303);
    reviewer.get(&to).await;
    let (status, _, page) = reviewer
        .post(&format!("/staff/drafts/{id}/approve"), &[])
        .await;
    assert_eq!(status, 303, "{page}");
    let disclosure: i64 =
        sqlx::query_scalar("SELECT published_id FROM disclosure_drafts WHERE draft_id = $1")
            .bind(id)
            .fetch_one(&app.pool)
            .await
            .unwrap();
    let published: Vec<(i64, Vec<u8>)> = sqlx::query_as(
        "SELECT id, sha256 FROM disclosure_attachments WHERE disclosure_id = $1 ORDER BY id",
    )
    .bind(disclosure)
    .fetch_all(&app.pool)
    .await
    .unwrap();
    let hashes: Vec<String> = published.iter().map(|(_, h)| hex::encode(h)).collect();
    assert_eq!(hashes, [photo_sha.clone(), pdf_sha.clone()]);
    let public_photo = published[0].0;

    let page = app
        .client
        .get(app.url(&format!("/d/{disclosure}")))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        page.contains(photo_sha.as_str()) && page.contains(pdf_sha.as_str()),
        "{page}"
    );
    let small = format!("/d/{disclosure}/files/{public_photo}/small");
    assert!(page.contains(&small), "{page}");
    assert!(page.contains("12,000.00元"), "{page}");
    let r = app.client.get(app.url(&small)).send().await.unwrap();
    assert_eq!(r.status(), 200);
    assert_safe_headers(&r, "image/jpeg");
    let picture = image::load_from_memory(&r.bytes().await.unwrap()).unwrap();
    assert!(picture.width().max(picture.height()) <= 800);
    let r = app
        .client
        .get(app.url(&format!("/d/{disclosure}/files/{}", published[1].0)))
        .send()
        .await
        .unwrap();
    assert_safe_headers(&r, "application/pdf");
    assert_eq!(r.bytes().await.unwrap().as_ref(), PDF);

    let r = app
        .client
        .get(app.url(&format!("/d/{disclosure}/v/1.json")))
        .send()
        .await
        .unwrap();
    let digest = header(&r, "x-content-sha256").to_owned();
    let json = r.text().await.unwrap();
    assert_eq!(digest, hex::encode(Sha256::digest(json.as_bytes())));
    let parsed: serde_json::Value = serde_json::from_str(&json).unwrap();
    assert_eq!(parsed["attachments"][0]["sha256"], photo_sha.as_str());
    assert_eq!(parsed["attachments"][1]["name"], "决议.pdf");

    let entries = sunvillage::storage::tlog::entries_about(
        &app.pool,
        &sunvillage::services::transparency::disclosure_subject(disclosure),
    )
    .await
    .unwrap();
    let Entry::Disclosure(logged) = Entry::decode(&entries[0].entry).unwrap() else {
        panic!("not a disclosure entry");
    };
    let logged: Vec<String> = logged.attachment_sha256s.iter().map(hex::encode).collect();
    assert_eq!(logged, hashes);

    // A correction starts with the version's files.
    let (status, to, _) = clerk
        .post(&format!("/staff/disclosures/{disclosure}/correct"), &[])
        .await;
    assert_eq!(status, 303);
    let names: Vec<String> = stored(&app, draft_id(&to))
        .await
        .into_iter()
        .map(|f| f.1)
        .collect();
    assert_eq!(names, ["收据1.jpg", "决议.pdf"]);

    // verify-log checks the files too: a receipt swapped behind the triggers is named.
    let (ok, out) = verify_log(&app).await;
    assert!(ok, "{out}");
    sqlx::raw_sql(&format!(
        "ALTER TABLE disclosure_attachments DISABLE TRIGGER disclosure_attachments_no_update;
         UPDATE disclosure_attachments SET content = '\\x255044462d'::bytea WHERE id = {public_photo};
         ALTER TABLE disclosure_attachments ENABLE TRIGGER disclosure_attachments_no_update;"
    ))
    .execute(&app.pool)
    .await
    .unwrap();
    let (ok, out) = verify_log(&app).await;
    assert!(!ok, "{out}");
    assert!(
        out.contains(&format!("disclosure {disclosure} version 1")),
        "{out}"
    );
    app.shut_down().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn uploads_past_the_size_or_count_limit_are_refused_and_change_nothing() {
    let app = spawn_app().await;
    let mut clerk = StaffBrowser::new(&app);
    clerk
        .signed_in_as("王村务", Role::Clerk, VILLAGE, None)
        .await;
    clerk.get("/staff/disclosures/new/assets").await;
    let (_, to, _) = post(
        &mut clerk,
        "/staff/disclosures/new/assets",
        &statement("王岗村2026年11月财务收支公开", "3456.70"),
    )
    .await;
    let id = draft_id(&to);
    clerk.get(&to).await;
    let limit = app.settings.publishing.max_attachment_bytes;
    let big = [b"%PDF-".as_slice(), &vec![b' '; limit]].concat();
    let (status, _, page) = attach(&app, &clerk, id, &[("大文件.pdf", &big)]).await;
    assert_eq!(status, 422, "{page}");
    assert!(page.contains("每个文件不能超过5MB"), "{page}");
    let max = app.settings.publishing.max_attachments;
    let pdfs: Vec<(String, Vec<u8>)> = (0..max)
        .map(|i| {
            (
                format!("第{i}页.pdf"),
                format!("%PDF-1.4 page {i}").into_bytes(),
            )
        })
        .collect();
    for chunk in pdfs.chunks(20) {
        let files: Vec<(&str, &[u8])> = chunk
            .iter()
            .map(|(n, b)| (n.as_str(), b.as_slice()))
            .collect();
        let (status, _, page) = attach(&app, &clerk, id, &files).await;
        assert_eq!(status, 303, "{page}");
    }
    let (status, _, page) = attach(&app, &clerk, id, &[("多一个.pdf", b"%PDF-1.4 more")]).await;
    assert_eq!(status, 422, "{page}");
    assert!(page.contains(&format!("每份草稿最多{max}个附件")), "{page}");
    assert_eq!(stored(&app, id).await.len(), max);
    app.shut_down().await;
}

/// A ledger as an .xlsx: a header, 250 rows, and a formula whose cached value (what
/// Excel last computed) differs from what evaluating it would give.
fn ledger_xlsx() -> Vec<u8> {
    let mut book = rust_xlsxwriter::Workbook::new();
    let sheet = book.add_worksheet();
    sheet.set_name("资产台账").unwrap();
    for (c, h) in ["编号", "资产名称", "原值（元）"].iter().enumerate() {
        sheet.write_string(0, c as u16, *h).unwrap();
    }
    for r in 1..=250u32 {
        sheet.write_number(r, 0, f64::from(r)).unwrap();
        sheet.write_string(r, 1, format!("路灯<{r}>号")).unwrap();
        sheet.write_number(r, 2, 1200.5).unwrap();
    }
    sheet
        .write_formula(
            1,
            2,
            rust_xlsxwriter::Formula::new("=C3*2").set_result("8888"),
        )
        .unwrap();
    book.save_to_buffer().unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_csv_or_xlsx_attachment_is_shown_as_a_table_on_the_public_page() {
    let app = spawn_app().await;
    let mut clerk = StaffBrowser::new(&app);
    clerk
        .signed_in_as("王村务", Role::Clerk, VILLAGE, None)
        .await;
    let mut reviewer = StaffBrowser::new(&app);
    reviewer
        .signed_in_as("李审核", Role::Reviewer, TOWNSHIP, None)
        .await;
    clerk.get("/staff/disclosures/new/assets").await;
    let (status, to, _) = post(
        &mut clerk,
        "/staff/disclosures/new/assets",
        &statement("王岗村2026年11月财务收支公开", "3456.70"),
    )
    .await;
    assert_eq!(status, 303);
    let id = draft_id(&to);
    clerk.get(&to).await;

    // A zip that is no workbook is refused, with what to do, and nothing is stored.
    let (status, _, page) = attach(&app, &clerk, id, &[("台账.xlsx", b"PK\x03\x04broken")]).await;
    assert_eq!(status, 422, "{page}");
    assert!(
        page.contains("“台账.xlsx”无法作为表格读取：不是有效的 Excel（.xlsx）文件"),
        "{page}"
    );
    assert!(stored(&app, id).await.is_empty());

    let (gb, _, _) =
        encoding_rs::GB18030.encode("户主,人口,金额（元）\n张*明,4,3960.00\n王*芬,1,1500.00\n");
    let (status, _, page) = attach(
        &app,
        &clerk,
        id,
        &[("低保名单.csv", &gb), ("资产台账.xlsx", &ledger_xlsx())],
    )
    .await;
    assert_eq!(status, 303, "{page}");
    let kinds: Vec<String> = sqlx::query_scalar(
        "SELECT media_type FROM draft_attachments WHERE draft_id = $1 ORDER BY id",
    )
    .bind(id)
    .fetch_all(&app.pool)
    .await
    .unwrap();
    assert_eq!(
        kinds,
        [
            "text/csv",
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
        ]
    );

    // The clerk's preview shows the tables as the public page will (item 8: "preview
    // exactly as the public will see it").
    let (status, _, preview) = clerk.get(&to).await;
    assert_eq!(status, 200);
    assert!(
        preview.contains("<td>张*明</td><td>4</td><td>3960.00</td>"),
        "{preview}"
    );
    assert!(preview.contains("下载“资产台账.xlsx”"), "{preview}");
    let (status, _, _) = clerk.post(&format!("/staff/drafts/{id}/submit"), &[]).await;
    assert_eq!(status, 303);
    reviewer.get(&to).await;
    let (status, _, page) = reviewer
        .post(&format!("/staff/drafts/{id}/approve"), &[])
        .await;
    assert_eq!(status, 303, "{page}");
    let disclosure: i64 =
        sqlx::query_scalar("SELECT published_id FROM disclosure_drafts WHERE draft_id = $1")
            .bind(id)
            .fetch_one(&app.pool)
            .await
            .unwrap();
    let page = app
        .client
        .get(app.url(&format!("/d/{disclosure}")))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    // The GB18030 file, decoded.
    assert!(
        page.contains(
            r#"<th scope="col">户主</th><th scope="col">人口</th><th scope="col">金额（元）</th>"#
        ),
        "{page}"
    );
    assert!(
        page.contains("<td>张*明</td><td>4</td><td>3960.00</td>"),
        "{page}"
    );
    // The workbook: the formula's cached value, never evaluated; cells escaped; 200
    // of 250 rows, said so, with the file to download.
    assert!(
        page.contains("<td>1</td><td>路灯&#60;1&#62;号</td><td>8888</td>")
            || page.contains("<td>1</td><td>路灯&lt;1&gt;号</td><td>8888</td>"),
        "{page}"
    );
    assert!(
        page.contains("<td>200</td>") && !page.contains("<td>201</td>"),
        "{page}"
    );
    assert!(page.contains("共250行，显示前200行"), "{page}");
    let table = page.split("资产台账.xlsx</h2>").nth(1).unwrap();
    let table = table.split("</table>").nth(1).unwrap();
    assert!(table.contains("下载“资产台账.xlsx”"), "{table}");
    app.shut_down().await;
}
