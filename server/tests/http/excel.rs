//! The Excel export over real HTTP, read back cell by cell (calamine), opened by a real
//! spreadsheet (LibreOffice, headless), and checked against the CSV export of the same rows.

use std::io::{Cursor, Read};

use calamine::{Data, Reader, Xlsx};
use chrono::{Duration, NaiveDateTime};
use reqwest::StatusCode;

use crate::support::{TestApp, assert_status, rfc3339, spawn_app};

const COLUMNS: &str = "time,customer,action,user,details,event_id";

/// The export of the last 60 days in `format`, with `extra` fields.
async fn export(app: &TestApp, client: &reqwest::Client, format: &str, extra: &[(&str, &str)]) -> Vec<u8> {
    let from = rfc3339(app.now - Duration::days(60));
    let to = rfc3339(app.now + Duration::hours(1));
    let mut fields = vec![
        ("from", from.as_str()),
        ("to", to.as_str()),
        ("from_date", "2026-09-01"),
        ("to_date", "2026-11-25"),
        ("columns", COLUMNS),
        ("format", format),
    ];
    fields.extend_from_slice(extra);
    let response = app.export(client, &fields).await;
    assert_eq!(response.status(), StatusCode::OK);
    response.bytes().await.unwrap().to_vec()
}

/// The CSV's rows (after the BOM and header), each cell as text.
fn csv_rows(bytes: &[u8]) -> Vec<Vec<String>> {
    csv::Reader::from_reader(&bytes[3..])
        .records()
        .map(|record| record.unwrap().iter().map(str::to_string).collect())
        .collect()
}

fn sheet(bytes: &[u8]) -> (calamine::Range<Data>, calamine::Range<String>) {
    let mut book: Xlsx<_> = calamine::open_workbook_from_rs(Cursor::new(bytes.to_vec())).unwrap();
    let cells = book.worksheet_range("Sheet1").unwrap();
    let formulas = book.worksheet_formula("Sheet1").unwrap();
    (cells, formulas)
}

/// The worksheet's own XML, for what calamine doesn't read (frozen pane, widths, filter).
fn sheet_xml(bytes: &[u8]) -> String {
    let mut zip = zip::ZipArchive::new(Cursor::new(bytes.to_vec())).unwrap();
    let mut xml = String::new();
    zip.by_name("xl/worksheets/sheet1.xml")
        .unwrap()
        .read_to_string(&mut xml)
        .unwrap();
    xml
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_excel_export_holds_the_rows_on_screen_as_real_cells() {
    let app = spawn_app().await;
    // A sender's text that a spreadsheet would run as a formula, were it a formula cell.
    let token = app.contoso_token().await;
    let injected = r#"=HYPERLINK("http://evil.example","click")"#;
    let response = crate::support::client()
        .post(app.url("/api/v1/events"))
        .bearer_auth(&token)
        .json(&serde_json::json!({"events": [{
            "id": "formula-probe", "occurred_at": rfc3339(app.now - Duration::hours(2)),
            "customer_id": 1, "partner_user": "helpdesk.agent@contoso.example",
            "action": "reset_user_password", "action_text": injected,
            "details": {"type": "password_reset", "user_principal_name": "@SUM(1+1)"}
        }]}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    let admin = app.signed_in("global.admin@contoso.example").await;
    // Each export records itself: leave those out, so both files hold the same rows.
    let no_exports = ("filter", "-action:exported");
    let csv = csv_rows(&export(&app, &admin, "csv", &[("lang", "ko"), no_exports]).await);
    let xlsx = export(
        &app,
        &admin,
        "xlsx",
        &[("lang", "ko"), ("zone", "Asia/Seoul"), no_exports],
    )
    .await;
    let (cells, formulas) = sheet(&xlsx);

    // The same rows in the same order, one header row above them.
    assert_eq!(cells.height(), csv.len() + 1);
    assert!(csv.len() > 100, "{} rows", csv.len());
    let header: Vec<String> = cells
        .rows()
        .next()
        .unwrap()
        .iter()
        .map(|cell| cell.to_string())
        .collect();
    assert_eq!(header.len(), 6, "the chosen columns only: {header:?}");
    assert!(header[0].contains("(Asia/Seoul)"), "{header:?}");
    assert_eq!(header[1], "영향을 받은 고객");
    for (row, expected) in cells.rows().skip(1).zip(&csv) {
        // A real date-time cell, nine hours ahead of the CSV's UTC.
        let Data::DateTime(time) = &row[0] else {
            panic!("not a date-time cell: {:?}", row[0]);
        };
        let utc = NaiveDateTime::parse_from_str(&expected[0], "%Y-%m-%d %H:%M:%S").unwrap();
        assert_eq!(time.as_datetime().unwrap(), utc + Duration::hours(9));
        for (column, cell) in row.iter().enumerate().skip(1) {
            let text = match cell {
                Data::String(text) => text.as_str(),
                Data::Empty => "",
                other => panic!("column {column} is not text: {other:?}"),
            };
            // The CSV neutralises formula starts with a leading '; the workbook needs not.
            let csv_text = expected[column].strip_prefix('\'').unwrap_or(&expected[column]);
            if column == 2 {
                continue; // the Action column: the CSV keeps the stored text, the sheet words it in Korean
            }
            assert_eq!(text, csv_text, "column {column}");
        }
    }
    assert!(
        cells
            .rows()
            .any(|row| row[1] == Data::String("주식회사 한빛소프트".into()))
    );
    let probe = cells
        .rows()
        .find(|row| row[5] == Data::String("formula-probe".into()))
        .expect("the probe's row");
    assert_eq!(probe[2], Data::String(injected.into()), "kept as text");
    assert!(
        formulas.used_cells().all(|(_, _, formula)| formula.is_empty()),
        "no formula anywhere"
    );

    let xml = sheet_xml(&xlsx);
    assert!(
        xml.contains(r#"state="frozen""#) && xml.contains(r#"ySplit="1""#),
        "header row frozen"
    );
    assert!(
        xml.contains(&format!(r#"<autoFilter ref="A1:F{}"/>"#, csv.len() + 1)),
        "autofilter"
    );
    assert!(
        xml.contains("<cols>") && xml.contains("customWidth=\"1\""),
        "column widths set"
    );

    // A real spreadsheet opens it and reads the same text.
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("log.xlsx");
    std::fs::write(&file, &xlsx).unwrap();
    let converted = std::process::Command::new("soffice")
        .arg(format!(
            "-env:UserInstallation=file://{}/profile",
            dir.path().display()
        ))
        .args([
            "--headless",
            "--convert-to",
            "csv:Text - txt - csv (StarCalc):44,34,76",
            "--outdir",
        ])
        .arg(dir.path())
        .arg(&file)
        .output()
        .expect("LibreOffice (soffice): scripts/test installs libreoffice-calc-nogui");
    assert!(
        converted.status.success(),
        "{}",
        String::from_utf8_lossy(&converted.stderr)
    );
    let text = std::fs::read_to_string(dir.path().join("log.csv")).unwrap();
    let read_back: Vec<csv::StringRecord> = csv::Reader::from_reader(text.as_bytes())
        .records()
        .map(Result::unwrap)
        .collect();
    assert_eq!(read_back.len(), csv.len());
    for (back, expected) in read_back.iter().zip(&csv) {
        assert_eq!(&back[1], expected[1].strip_prefix('\'').unwrap_or(&expected[1]));
        assert_eq!(&back[5], &expected[5]);
    }
    let probe = read_back.iter().find(|row| &row[5] == "formula-probe").unwrap();
    assert_eq!(&probe[2], injected, "LibreOffice shows the text, not a link");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_excel_export_follows_a_sort_by_another_column_and_refuses_an_unknown_zone() {
    let app = spawn_app().await;
    let admin = app.signed_in("global.admin@contoso.example").await;
    let sorted = [("sort", "customer"), ("filter", "action:ordered")];
    let csv = csv_rows(&export(&app, &admin, "csv", &sorted).await);
    let (cells, _) = sheet(&export(&app, &admin, "xlsx", &sorted).await);
    let ids: Vec<String> = cells.rows().skip(1).map(|row| row[5].to_string()).collect();
    let csv_ids: Vec<String> = csv.iter().map(|row| row[5].clone()).collect();
    assert!(!ids.is_empty());
    assert_eq!(ids, csv_ids, "the same rows in the same order");
    // UTC when no zone is given.
    assert!(cells.rows().next().unwrap()[0].to_string().contains("(UTC)"));

    let from = rfc3339(app.now - Duration::days(60));
    let fields = [
        ("from", from.as_str()),
        ("to", "2026-12-01T00:00:00Z"),
        ("from_date", "2026-09-01"),
        ("to_date", "2026-11-30"),
        ("format", "xlsx"),
        ("zone", "Asia/Nowhere"),
    ];
    let body = assert_status(
        app.export(&admin, &fields).await,
        StatusCode::UNPROCESSABLE_ENTITY,
    )
    .await;
    assert!(body.contains("Asia/Nowhere"), "{body}");
}
