//! The list server function against the real database: scoping, order, validation.

use app::activity::model::ActivityEntry;
use chrono::Duration;
use reqwest::StatusCode;

use crate::support::{assert_status, client, rfc3339, spawn_app};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_partner_sees_exactly_its_own_events_newest_first() {
    let app = spawn_app().await;
    let from = app.now - Duration::days(400);
    let to = app.now + Duration::hours(1);
    for (email, partner_id) in [
        ("global.admin@contoso.example", 1),
        ("global.admin@fabrikam.example", 2),
    ] {
        let client = app.signed_in(email).await;
        let response = app
            .list(&client, &rfc3339(from), &rfc3339(app.now - Duration::days(40)))
            .await;
        let older: Vec<ActivityEntry> = response.json().await.unwrap();
        let response = app
            .list(&client, &rfc3339(app.now - Duration::days(40)), &rfc3339(to))
            .await;
        let newer: Vec<ActivityEntry> = response.json().await.unwrap();
        let all: Vec<ActivityEntry> = newer.into_iter().chain(older).collect();

        let expected = app
            .count(&format!(
                "SELECT COUNT(*) FROM activity_events WHERE partner_id = {partner_id}"
            ))
            .await;
        assert_eq!(
            all.len() as i64,
            expected,
            "{email} sees all of its partner's events"
        );
        let own_customers: Vec<i64> =
            sqlx::query_as::<_, (i64,)>("SELECT id FROM customers WHERE partner_id = $1")
                .bind(partner_id)
                .fetch_all(&app.db)
                .await
                .unwrap()
                .into_iter()
                .map(|(id,)| id)
                .collect();
        for entry in &all {
            let customer = entry.customer.as_ref().expect("demo events have customers");
            assert!(
                own_customers.contains(&customer.id),
                "{email} saw customer {}",
                customer.company_name
            );
            assert!(entry.partner_user.ends_with(if partner_id == 1 {
                "@contoso.example"
            } else {
                "@fabrikam.example"
            }));
        }
        assert!(
            all.windows(2)
                .all(|pair| pair[0].occurred_at >= pair[1].occurred_at),
            "newest first"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_range_includes_from_and_excludes_to() {
    let app = spawn_app().await;
    let (at,): (String,) = sqlx::query_as(
        "SELECT occurred_at FROM activity_events WHERE partner_id = 1 ORDER BY id LIMIT 1 OFFSET 100",
    )
    .fetch_one(&app.db)
    .await
    .unwrap();
    let client = app.signed_in("global.admin@contoso.example").await;
    let at = chrono::DateTime::parse_from_rfc3339(&at).unwrap().to_utc();
    let starting: Vec<ActivityEntry> = app
        .list(&client, &rfc3339(at), &rfc3339(at + Duration::seconds(1)))
        .await
        .json()
        .await
        .unwrap();
    assert!(starting.iter().any(|entry| entry.occurred_at == at));
    let ending: Vec<ActivityEntry> = app
        .list(&client, &rfc3339(at - Duration::hours(1)), &rfc3339(at))
        .await
        .json()
        .await
        .unwrap();
    assert!(ending.iter().all(|entry| entry.occurred_at < at));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_ranges_are_refused_with_a_message() {
    let app = spawn_app().await;
    let agent = app.signed_in("helpdesk.agent@contoso.example").await;
    for (from, to, message) in [
        (
            "2026-11-02T00:00:00Z",
            "2026-11-01T00:00:00Z",
            "From must be on or before To.",
        ),
        ("not a date", "2026-11-01T00:00:00Z", "is not a valid time"),
        ("", "2026-11-01T00:00:00Z", "Choose a From date."),
        ("2000-01-01T00:00:00Z", "2026-11-01T00:00:00Z", "at most 366 days"),
        (
            "0000-01-01T00:00:00Z' OR 1=1 --",
            "2026-11-01T00:00:00Z",
            "is not a valid time",
        ),
    ] {
        let body = assert_status(app.list(&agent, from, to).await, StatusCode::UNPROCESSABLE_ENTITY).await;
        assert!(body.contains(message), "{from}..{to}: {body}");
    }
    let missing = agent
        .post(app.url("/api/list_activity"))
        .form(&[("from", "2026-11-01T00:00:00Z")])
        .send()
        .await
        .unwrap();
    assert!(
        missing.status().is_client_error(),
        "a missing argument is a 4xx, got {}",
        missing.status()
    );
    let anonymous = app.list(&client(), "x", "y").await;
    assert_eq!(
        anonymous.status(),
        StatusCode::UNAUTHORIZED,
        "the session is checked before the input"
    );
}
