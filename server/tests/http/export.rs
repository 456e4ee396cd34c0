//! The Export log download: same rows as the page (period and filter), CSV rules, access.

use app::activity::filter::Filter;
use chrono::Duration;
use reqwest::StatusCode;

use crate::support::{assert_status, client, rfc3339, spawn_app};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_export_holds_exactly_the_filtered_rows_of_the_period() {
    let app = spawn_app().await;
    let client = app.signed_in("billing.admin@contoso.example").await;
    let from = rfc3339(app.now - Duration::days(60));
    let to = rfc3339(app.now + Duration::hours(1));
    let (listed, _) = app.list_all(&client, &from, &to).await;

    for filter_text in ["", "한빛", "ordered microsoft", "=sum", "nothing matches this"] {
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
        let mut reader = csv::Reader::from_reader(&bytes[3..]);
        let ids: Vec<String> = reader
            .records()
            .map(|record| record.unwrap()[6].to_string())
            .collect();
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
        "Date-Time (UTC),Affected customer,Action,Partner user,Customer ID,Details,Event ID,Action kind,Details (JSON)\r\n"
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
    assert_eq!(body, "From must be on or before To.");
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
