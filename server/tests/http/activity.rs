//! The list server function against the real database: scoping, order, validation.

use chrono::Duration;
use reqwest::StatusCode;

use app::activity::wire::{EncodedPage, EventPage, PAGE_CONTENT_TYPE};

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
        let (older, _) = app
            .list_all(&client, &rfc3339(from), &rfc3339(app.now - Duration::days(40)))
            .await;
        let (newer, _) = app
            .list_all(&client, &rfc3339(app.now - Duration::days(40)), &rfc3339(to))
            .await;
        let all: Vec<_> = newer.into_iter().chain(older).collect();

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
        let own_customers: Vec<i64> = app::db::on_db!(&app.db, |pool| {
            sqlx::query_as::<_, (i64,)>("SELECT id FROM customers WHERE partner_id = $1")
                .bind(partner_id)
                .fetch_all(pool)
                .await
        })
        .unwrap()
        .into_iter()
        .map(|(id,)| id)
        .collect();
        for entry in &all {
            let customer = entry.customer.as_ref().expect("demo events have customers");
            assert!(
                own_customers.contains(&customer.id.0),
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
    let (at,): (String,) = app::db::on_db!(&app.db, |pool| sqlx::query_as(
        "SELECT occurred_at FROM activity_events WHERE partner_id = 1 ORDER BY id LIMIT 1 OFFSET 100",
    )
    .fetch_one(pool)
    .await)
    .unwrap();
    let client = app.signed_in("global.admin@contoso.example").await;
    let at = chrono::DateTime::parse_from_rfc3339(&at).unwrap().to_utc();
    let (starting, _) = app
        .list_all(&client, &rfc3339(at), &rfc3339(at + Duration::seconds(1)))
        .await;
    assert!(starting.iter().any(|entry| entry.occurred_at == at));
    let (ending, _) = app
        .list_all(&client, &rfc3339(at - Duration::hours(1)), &rfc3339(at))
        .await;
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

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pages_follow_each_other_without_gaps_or_repeats_even_inside_one_second() {
    let app = spawn_app().await;
    // 6,000 events in the same second: a page boundary falls among them.
    let token = app.contoso_token().await;
    let second = rfc3339(app.now - Duration::days(2));
    for batch in 0..6 {
        let events = (0..1000).map(|n| (format!("same-second-{batch}-{n}"), second.clone()));
        app.store_password_resets(&token, events).await;
    }
    let viewer = app.signed_in("global.admin@contoso.example").await;
    let (from, to) = (
        rfc3339(app.now - Duration::days(300)),
        rfc3339(app.now + Duration::hours(1)),
    );
    let (entries, requests) = app.list_all(&viewer, &from, &to).await;
    let expected = app
        .count(&format!(
            "SELECT COUNT(*) FROM activity_events
             WHERE partner_id = 1 AND occurred_at >= '{from}' AND occurred_at < '{to}'"
        ))
        .await;
    assert!(expected > 6_000, "{expected} events: more than one page");
    assert_eq!(entries.len() as i64, expected);
    assert_eq!(
        requests,
        (expected as usize).div_ceil(app::activity::api::EVENTS_PER_PAGE)
    );
    assert!(
        entries
            .windows(2)
            .all(|pair| (pair[0].occurred_at, pair[0].id) > (pair[1].occurred_at, pair[1].id)),
        "strictly newest first, so nothing repeats"
    );

    let bad_cursor = app.list_page(&viewer, &from, &to, "yesterday/1").await;
    let body = assert_status(bad_cursor, StatusCode::UNPROCESSABLE_ENTITY).await;
    assert!(body.contains("reload the page"), "{body}");
}

/// The server keeps the pages it sent (`state::page_cache`): a kept page must never hide an
/// event stored into its period afterwards, whatever the event's time, nor reach another
/// partner.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_page_sent_before_is_sent_again_only_while_its_period_is_unchanged() {
    let app = spawn_app().await;
    let token = app.contoso_token().await;
    let store_event = |id: &'static str, days_ago: i64| {
        let event = (id.to_string(), rfc3339(app.now - Duration::days(days_ago)));
        app.store_password_resets(&token, [event])
    };
    let viewer = app.signed_in("global.admin@contoso.example").await;
    let (month_from, to) = (
        rfc3339(app.now - Duration::days(30)),
        rfc3339(app.now + Duration::hours(1)),
    );
    let first_page = |client| {
        let response = app.list(client, &month_from, &to);
        async move { assert_status(response.await, StatusCode::OK).await }
    };
    let ids = |body: &str| -> Vec<String> {
        let page: EventPage = serde_json::from_str(body).unwrap();
        page.unpack().into_iter().map(|entry| entry.event_id).collect()
    };

    let before = first_page(&viewer).await;
    assert_eq!(first_page(&viewer).await, before, "the same period, unchanged");

    // Stored late, with a time inside the month: the kept page is stale.
    store_event("late-into-the-month", 10).await;
    let after_late = first_page(&viewer).await;
    assert!(ids(&after_late).contains(&"late-into-the-month".to_string()));

    // Stored with a time before the month: the month's page is still right, and is sent;
    // the older period shows the event.
    store_event("late-before-the-month", 60).await;
    assert_eq!(first_page(&viewer).await, after_late);
    let (older, _) = app
        .list_all(&viewer, &rfc3339(app.now - Duration::days(90)), &month_from)
        .await;
    assert!(
        older
            .iter()
            .any(|entry| entry.event_id == "late-before-the-month")
    );

    // Another partner's viewer of the same period gets its own events, not the kept page.
    let other = app.signed_in("global.admin@fabrikam.example").await;
    let theirs = first_page(&other).await;
    let page: EventPage = serde_json::from_str(&theirs).unwrap();
    assert!(!page.rows.is_empty());
    assert!(
        page.unpack()
            .iter()
            .all(|entry| entry.partner_user.ends_with("@fabrikam.example")),
        "Fabrikam sees only Fabrikam's events"
    );
}

/// A browser takes zstd (or only gzip, over plain HTTP to another host): the page comes
/// compressed with what it takes, in the binary the log page asks for or as JSON to a client
/// that asks for no binary, and decompresses to exactly what a client that takes no
/// compression gets; both say the same page.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_page_comes_compressed_to_clients_that_take_it() {
    use std::io::Read;
    let app = spawn_app().await;
    let viewer = app.signed_in("global.admin@contoso.example").await;
    let (from, to) = (
        rfc3339(app.now - Duration::days(30)),
        rfc3339(app.now + Duration::hours(1)),
    );
    let compressed_as = |accept_encoding: &'static str, accept: &'static str| {
        viewer
            .post(app.url("/api/list_activity"))
            .header("accept-encoding", accept_encoding)
            .header("accept", accept)
            .form(&[("from", from.as_str()), ("to", to.as_str())])
            .send()
    };
    let mut pages = Vec::new();
    for (accept, content_type) in [
        ("*/*", "application/json"),
        (PAGE_CONTENT_TYPE, PAGE_CONTENT_TYPE),
    ] {
        // The first asks for the page (read and kept), the others get the kept one.
        let mut bodies = Vec::new();
        for (accept_encoding, coding) in [
            ("gzip, deflate, br", "gzip"),
            ("gzip, deflate, br, zstd", "zstd"),
            ("gzip, deflate, br", "gzip"),
        ] {
            let response = compressed_as(accept_encoding, accept).await.unwrap();
            assert_eq!(response.status(), StatusCode::OK);
            assert_eq!(response.headers()["content-encoding"], coding);
            assert_eq!(response.headers()["content-type"], content_type);
            assert_eq!(response.headers()["vary"], "accept, accept-encoding");
            let compressed = response.bytes().await.unwrap();
            let mut plain = Vec::new();
            if coding == "zstd" {
                plain = zstd::stream::decode_all(&compressed[..]).unwrap();
            } else {
                flate2::read::GzDecoder::new(&compressed[..])
                    .read_to_end(&mut plain)
                    .unwrap();
            }
            // The JSON about 3× for a month of the demo (2.97× at one seeding), the binary
            // less: at least 1.5× says the body really is compressed.
            assert!(
                compressed.len() * 3 < plain.len() * 2,
                "{content_type}: {} vs {}",
                compressed.len(),
                plain.len()
            );
            bodies.push(plain);
        }
        let plain = viewer
            .post(app.url("/api/list_activity"))
            .header("accept", accept)
            .form(&[("from", from.as_str()), ("to", to.as_str())])
            .send()
            .await
            .unwrap();
        assert_eq!(plain.status(), StatusCode::OK);
        assert!(plain.headers().get("content-encoding").is_none());
        let plain = plain.bytes().await.unwrap().to_vec();
        assert_eq!(bodies, [plain.clone(), plain.clone(), plain.clone()]);
        let page = if content_type == PAGE_CONTENT_TYPE {
            EncodedPage::decode(&plain).expect("a page in binary")
        } else {
            serde_json::from_slice::<EventPage>(&plain).unwrap()
        };
        assert!(!page.rows.is_empty());
        pages.push((page, plain.len()));
    }
    assert_eq!(pages[0].0, pages[1].0, "JSON and binary say the same page");
    assert!(
        pages[1].1 * 2 < pages[0].1,
        "the binary, {} B, is under half the JSON, {} B",
        pages[1].1,
        pages[0].1
    );
}

/// The log page's page is packed from the rows as they are read (`store::events_page`): it
/// says exactly what packing the same period's stored entries says (rows without a customer
/// and with their own action text included), and its cursor leads to the next page.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_page_packed_from_its_rows_is_the_page_of_their_entries() {
    use app::activity::period::UtcRange;
    use app::activity::server::store::{PageCursor, events_in_range, events_page};
    use app::events::EventTexts;
    use app::ids::PartnerId;

    let app = spawn_app().await;
    let token = app.contoso_token().await;
    let two_days_ago = rfc3339(app.now - Duration::days(2));
    app.store_password_resets(&token, [("no-customer".to_string(), two_days_ago.clone())])
        .await;
    let own_text = serde_json::json!({ "events": [{
        "id": "own-text", "occurred_at": two_days_ago,
        "partner_user": "helpdesk.agent@contoso.example", "action": "reset_user_password",
        "action_text": "Reset a password by phone",
        "details": {"type": "password_reset", "user_principal_name": "megan@adatum.example"}
    }]});
    let response = client()
        .post(app.url("/api/v1/events"))
        .bearer_auth(&token)
        .json(&own_text)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);

    let (from, to) = (
        rfc3339(app.now - Duration::days(30)),
        rfc3339(app.now + Duration::hours(1)),
    );
    let range = UtcRange::parse(&from, &to).unwrap();
    let entries = events_in_range(&app.db, PartnerId(1), range).await.unwrap();
    assert!(entries.len() > 6, "{} entries", entries.len());
    assert!(entries.iter().any(|entry| entry.customer.is_none()));
    assert!(entries.iter().any(|entry| entry.own_action_text().is_some()));

    let whole = events_page(&app.db, PartnerId(1), range, None, entries.len() + 1)
        .await
        .unwrap();
    assert_eq!(whole, EventPage::pack(entries.clone(), None));

    let first = events_page(&app.db, PartnerId(1), range, None, 3).await.unwrap();
    let cursor = first.next.clone().expect("a full page names the next");
    assert_eq!(
        first,
        EventPage::pack(entries[..3].to_vec(), Some(cursor.clone()))
    );
    let after = PageCursor::parse(&cursor).expect("a cursor the server reads back");
    let second = events_page(&app.db, PartnerId(1), range, Some(after), 3)
        .await
        .unwrap();
    assert_eq!(
        second,
        EventPage::pack(entries[3..6].to_vec(), second.next.clone())
    );
    assert!(second.next.is_some());
}
