//! The Export log download: same rows as the page (period and filter), CSV rules, access.

use app::activity::filter::Filter;
use app::activity::view::Sort;
use app::i18n::Locale;
use chrono::Duration;
use reqwest::StatusCode;

use crate::support::{assert_status, client, error_message, rfc3339, spawn_app};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_export_holds_exactly_the_filtered_rows_of_the_period() {
    let app = spawn_app().await;
    let client = app.signed_in("billing.admin@contoso.example").await;
    let from = rfc3339(app.now - Duration::days(60));
    let to = rfc3339(app.now + Duration::hours(1));
    let (listed, _) = app.list_all(&client, &from, &to).await;

    for filter_text in [
        "",
        "한빛",
        "ordered microsoft",
        "action:ordered OR action:reset",
        "=sum",
        "nothing matches this",
    ] {
        let response = app
            .export(
                &client,
                &[
                    ("from", &from),
                    ("to", &to),
                    ("from_date", "2026-09-01"),
                    ("to_date", "2026-11-25"),
                    ("filter", filter_text),
                ],
            )
            .await;
        assert_eq!(response.status(), StatusCode::OK);
        assert_eq!(response.headers()["content-type"], "text/csv; charset=utf-8");
        assert_eq!(
            response.headers()["content-disposition"],
            "attachment; filename=\"activity-log_2026-09-01_2026-11-25.csv\""
        );
        let bytes = response.bytes().await.unwrap();
        assert_eq!(&bytes[..3], b"\xEF\xBB\xBF");
        let ids = event_ids_in_csv(&bytes);
        let filter = Filter::parse(filter_text);
        let expected: Vec<String> = listed
            .iter()
            .filter(|entry| filter.matches(entry))
            .map(|entry| entry.event_id.clone())
            .collect();
        assert_eq!(ids, expected, "filter {filter_text:?}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn exported_cells_are_safe_for_spreadsheets() {
    let app = spawn_app().await;
    let client = app.signed_in("global.admin@contoso.example").await;
    let from = rfc3339(app.now - Duration::days(30));
    let to = rfc3339(app.now + Duration::hours(1));
    let response = app
        .export(
            &client,
            &[
                ("from", &from),
                ("to", &to),
                ("from_date", "2026-10-25"),
                ("to_date", "2026-11-25"),
            ],
        )
        .await;
    let bytes = response.bytes().await.unwrap();
    let text = std::str::from_utf8(&bytes[3..]).unwrap();
    assert!(text.starts_with(
        "Date-Time (UTC),Affected customer,Action,Partner user,Customer ID,Event ID,Action kind,Details (JSON)\r\n"
    ));
    assert!(text.contains(",'=SUM(A1:A9) Analytics,"), "formula neutralised");
    assert!(!text.contains(",=SUM"));
    assert!(text.contains(",\"Litware, Inc.\","));
    assert!(text.contains(",\"Fourth Coffee \"\"Roastery\"\"\","));
    assert!(text.contains(",주식회사 한빛소프트,"));
    assert!(!text.contains("fabrikam"), "no other partner's rows");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn export_refuses_the_wrong_people_and_bad_input() {
    let app = spawn_app().await;
    let fields = [
        ("from", "2026-10-01T00:00:00Z"),
        ("to", "2026-11-01T00:00:00Z"),
        ("from_date", "2026-10-01"),
        ("to_date", "2026-10-31"),
    ];
    assert_status(app.export(&client(), &fields).await, StatusCode::UNAUTHORIZED).await;
    let referrals = app.signed_in("referrals.admin@contoso.example").await;
    assert_status(app.export(&referrals, &fields).await, StatusCode::FORBIDDEN).await;

    let admin = app.signed_in("global.admin@contoso.example").await;
    let reversed = [
        ("from", "2026-11-01T00:00:00Z"),
        ("to", "2026-10-01T00:00:00Z"),
        ("from_date", "2026-10-01"),
        ("to_date", "2026-10-31"),
    ];
    let body = assert_status(
        app.export(&admin, &reversed).await,
        StatusCode::UNPROCESSABLE_ENTITY,
    )
    .await;
    assert_eq!(error_message(&body), "From must be on or before To.");
    let header_injection = [
        ("from", "2026-10-01T00:00:00Z"),
        ("to", "2026-11-01T00:00:00Z"),
        ("from_date", "2026-10-01\r\nX: y"),
        ("to_date", "2026-10-31"),
    ];
    assert_status(
        app.export(&admin, &header_injection).await,
        StatusCode::UNPROCESSABLE_ENTITY,
    )
    .await;
    let long_filter = "x".repeat(201);
    let mut too_long = fields.to_vec();
    too_long.push(("filter", &long_filter));
    assert_status(
        app.export(&admin, &too_long).await,
        StatusCode::UNPROCESSABLE_ENTITY,
    )
    .await;
    let missing = admin
        .post(app.url("/account-settings/activity-log/export"))
        .form(&[("from", "x")])
        .send()
        .await
        .unwrap();
    assert!(missing.status().is_client_error());
}

/// The fields of a whole-period export for Contoso, plus `extra`.
/// The Event ID column of an exported CSV file (after its BOM), top to bottom.
fn event_ids_in_csv(bytes: &[u8]) -> Vec<String> {
    let mut reader = csv::Reader::from_reader(&bytes[3..]);
    let id_column = reader
        .headers()
        .unwrap()
        .iter()
        .position(|name| name == "Event ID")
        .unwrap();
    reader
        .records()
        .map(|record| record.unwrap()[id_column].to_string())
        .collect()
}

fn period_fields<'a>(from: &'a str, to: &'a str, extra: &[(&'a str, &'a str)]) -> Vec<(&'a str, &'a str)> {
    let mut fields = vec![
        ("from", from),
        ("to", to),
        ("from_date", "2026-09-01"),
        ("to_date", "2026-11-25"),
    ];
    fields.extend_from_slice(extra);
    fields
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_export_follows_the_sort_columns_and_language_on_screen() {
    let app = spawn_app().await;
    let client = app.signed_in("sales.agent@contoso.example").await;
    let from = rfc3339(app.now - Duration::days(60));
    let to = rfc3339(app.now + Duration::hours(1));
    let (listed, _) = app.list_all(&client, &from, &to).await;
    let query = r#"action:ordered -customer:"한빛""#;
    let filter = Filter::parse(query);

    for (sort_text, locale) in [
        ("customer", Locale::Ko),
        ("-user", Locale::Ja),
        ("time", Locale::En),
    ] {
        let fields = period_fields(
            &from,
            &to,
            &[
                ("filter", query),
                ("sort", sort_text),
                ("columns", "customer,event_id,time"),
                ("lang", locale.tag()),
            ],
        );
        let response = app.export(&client, &fields).await;
        assert_eq!(response.status(), StatusCode::OK);
        let bytes = response.bytes().await.unwrap();
        let mut reader = csv::Reader::from_reader(&bytes[3..]);
        let header: Vec<String> = reader.headers().unwrap().iter().map(str::to_string).collect();
        let expected_header = match locale {
            Locale::Ko => "날짜/시간 (UTC),영향을 받은 고객,Event ID,Customer ID,Action kind,Details (JSON)",
            Locale::En => "Date-Time (UTC),Affected customer,Event ID,Customer ID,Action kind,Details (JSON)",
            Locale::Ja => "日時 (UTC),対象の顧客,Event ID,Customer ID,Action kind,Details (JSON)",
        };
        assert_eq!(
            header.join(","),
            expected_header,
            "the table's column order, in {locale:?}"
        );
        let ids: Vec<String> = reader
            .records()
            .map(|record| record.unwrap()[2].to_string())
            .collect();

        // The page's own rule, on the page's rows.
        let matching: Vec<_> = listed.iter().filter(|entry| filter.matches(entry)).collect();
        let mut order: Vec<u32> = (0..matching.len() as u32).collect();
        Sort::parse(sort_text)
            .unwrap()
            .apply(&mut order, &matching, |entry| *entry, locale);
        let expected: Vec<String> = order
            .iter()
            .map(|&i| matching[i as usize].event_id.clone())
            .collect();
        assert!(
            expected.len() > 20,
            "enough rows to show an order: {}",
            expected.len()
        );
        assert_eq!(ids, expected, "sort {sort_text}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_json_export_has_every_field_one_event_per_line() {
    let app = spawn_app().await;
    let client = app.signed_in("helpdesk.agent@contoso.example").await;
    let from = rfc3339(app.now - Duration::days(60));
    let to = rfc3339(app.now + Duration::hours(1));
    let (listed, _) = app.list_all(&client, &from, &to).await;
    let response = app
        .export(
            &client,
            &period_fields(&from, &to, &[("format", "ndjson"), ("filter", "한빛")]),
        )
        .await;
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(
        response.headers()["content-type"],
        "application/x-ndjson; charset=utf-8"
    );
    assert_eq!(
        response.headers()["content-disposition"],
        "attachment; filename=\"activity-log_2026-09-01_2026-11-25.ndjson\""
    );
    let text = response.text().await.unwrap();
    assert!(text.ends_with('\n'));
    let filter = Filter::parse("한빛");
    let expected: Vec<_> = listed.iter().filter(|entry| filter.matches(entry)).collect();
    let lines: Vec<serde_json::Value> = text
        .lines()
        .map(|line| serde_json::from_str(line).unwrap())
        .collect();
    assert_eq!(lines.len(), expected.len());
    for (line, entry) in lines.iter().zip(&expected) {
        assert_eq!(line["id"], entry.event_id.as_str());
        assert_eq!(line["occurred_at"], rfc3339(entry.occurred_at));
        assert_eq!(line["customer_name"], "주식회사 한빛소프트");
        assert_eq!(line["customer_id"], entry.customer.as_ref().unwrap().id.0);
        assert_eq!(line["partner_user"], entry.partner_user.as_str());
        assert_eq!(line["action"], entry.action.as_str());
        assert_eq!(line["details"], serde_json::to_value(&entry.details).unwrap());
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unknown_export_options_are_refused_by_name() {
    let app = spawn_app().await;
    let admin = app.signed_in("global.admin@contoso.example").await;
    let (from, to) = ("2026-10-01T00:00:00Z", "2026-11-01T00:00:00Z");
    for (field, value, words) in [
        ("format", "xls", "use csv, ndjson or xlsx"),
        ("zone", "Mars/Olympus_Mons", "\"Mars/Olympus_Mons\""),
        ("sort", "colour", "Can't sort by \"colour\""),
        ("columns", "time,colour", "Unknown column"),
        ("lang", "fr", "use one of en, ko, ja"),
    ] {
        let body = assert_status(
            app.export(&admin, &period_fields(from, to, &[(field, value)]))
                .await,
            StatusCode::UNPROCESSABLE_ENTITY,
        )
        .await;
        assert!(error_message(&body).contains(words), "{field}={value}: {body}");
    }
}

/// An export of several thousand rows is read two slices at once: it holds every row once,
/// in order, both ways and in both formats, also where a hundred events share each second
/// and so the slices' edges fall among events of the same time.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_long_export_holds_every_row_once_in_order_across_its_slices() {
    let app = spawn_app().await;
    let token = app.contoso_token().await;
    let first_second = app.now - Duration::days(3);
    let events: Vec<(String, String)> = (0..4_700)
        .map(|n| {
            (
                format!("long-{n}"),
                rfc3339(first_second + Duration::seconds(n / 100)),
            )
        })
        .collect();
    for batch in events.chunks(1_000) {
        app.store_password_resets(&token, batch.to_vec()).await;
    }
    let client = app.signed_in("global.admin@contoso.example").await;
    let from = rfc3339(first_second - Duration::hours(12));
    let to = rfc3339(first_second + Duration::hours(12));
    let (listed, _) = app.list_all(&client, &from, &to).await;
    let newest_first: Vec<String> = listed.iter().map(|entry| entry.event_id.clone()).collect();
    assert!(newest_first.len() >= 4_700, "{} rows", newest_first.len());
    let oldest_first: Vec<String> = newest_first.iter().rev().cloned().collect();

    for (sort, columns, expected) in [
        ("", "", &newest_first),
        ("time", "", &oldest_first),
        // The Details column decodes each row's details; the default columns don't.
        ("", "details,event_id", &newest_first),
    ] {
        let fields = period_fields(&from, &to, &[("sort", sort), ("columns", columns)]);
        let response = app.export(&client, &fields).await;
        assert_eq!(response.status(), StatusCode::OK);
        let bytes = response.bytes().await.unwrap();
        assert_eq!(
            &event_ids_in_csv(&bytes),
            expected,
            "sort {sort:?}, columns {columns:?}"
        );
    }

    let filtered = app
        .export(&client, &period_fields(&from, &to, &[("filter", "long-46")]))
        .await;
    let expected: Vec<&String> = newest_first.iter().filter(|id| id.contains("long-46")).collect();
    assert_eq!(expected.len(), 111, "long-46 and long-4600 to long-4699");
    assert_eq!(
        event_ids_in_csv(&filtered.bytes().await.unwrap())
            .iter()
            .collect::<Vec<_>>(),
        expected
    );

    let json = app
        .export(
            &client,
            &period_fields(&from, &to, &[("format", "ndjson"), ("sort", "time")]),
        )
        .await
        .text()
        .await
        .unwrap();
    let json_ids: Vec<String> = json
        .lines()
        .map(|line| {
            serde_json::from_str::<serde_json::Value>(line).unwrap()["id"]
                .as_str()
                .unwrap()
                .to_string()
        })
        .collect();
    assert_eq!(json_ids, oldest_first);
}
