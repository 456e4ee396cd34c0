//! `GET /api/v1/events` over real HTTP: paging by cursor while writers append, the page's
//! filter language, time bounds, clear refusals, the per-token budget, and the answers
//! checked against docs/openapi.json.

use std::collections::HashSet;

use app::activity::filter::Filter;
use app::api_tokens::model::TokenScope;
use app::state::Limits;
use chrono::Duration;
use reqwest::StatusCode;
use serde_json::Value;

use crate::support::{TestApp, client, rfc3339, spawn_app, spawn_app_with};

/// One read with `query`: its status, `Retry-After` header and JSON body.
async fn read(app: &TestApp, token: &str, query: &[(&str, &str)]) -> (StatusCode, Option<String>, Value) {
    let response = client()
        .get(app.url("/api/v1/events"))
        .bearer_auth(token)
        .query(query)
        .send()
        .await
        .unwrap();
    let status = response.status();
    let retry_after = response
        .headers()
        .get("retry-after")
        .map(|value| value.to_str().unwrap().to_string());
    let body = response.text().await.unwrap();
    let json = serde_json::from_str(&body).unwrap_or_else(|_| panic!("not JSON ({status}): {body:.300}"));
    (status, retry_after, json)
}

/// Every event `query` reaches, page after page (`limit` each): the events and the pages read.
async fn read_all(app: &TestApp, token: &str, query: &[(&str, &str)], limit: &str) -> (Vec<Value>, usize) {
    let (mut events, mut after, mut pages) = (Vec::new(), String::new(), 0);
    loop {
        let mut with_cursor = query.to_vec();
        with_cursor.extend([("limit", limit), ("after", after.as_str())]);
        let (status, _, page) = read(app, token, &with_cursor).await;
        assert_eq!(status, StatusCode::OK, "{page}");
        pages += 1;
        events.extend(page["events"].as_array().unwrap().iter().cloned());
        match page["next"].as_str() {
            Some(next) => after = next.to_string(),
            None => return (events, pages),
        }
    }
}

fn ids(events: &[Value]) -> Vec<String> {
    events
        .iter()
        .map(|event| event["id"].as_str().unwrap().to_string())
        .collect()
}

/// Contoso's event ids in chain order, as stored.
async fn stored_ids(app: &TestApp) -> Vec<String> {
    app::db::on_db!(&app.db, |pool| sqlx::query_scalar(
        "SELECT COALESCE(external_id, CAST(id AS TEXT)) FROM activity_events
         WHERE partner_id = 1 ORDER BY chain_seq"
    )
    .fetch_all(pool)
    .await)
    .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_poller_that_keeps_its_cursor_gets_every_event_once_while_writers_append() {
    let app = spawn_app().await;
    let writer_token = app.contoso_token().await;
    let reader = app.token_with(1, &[TokenScope::ReadEvents]).await;
    // Two systems append 30 batches of 7 events between the poller's reads.
    let writer = |name: &'static str| {
        let (app, token) = (&app, writer_token.clone());
        async move {
            for batch in 0..15 {
                let events = (0..7).map(|n| {
                    let occurred_at = rfc3339(app.now - Duration::minutes(batch * 7 + n));
                    (format!("{name}-{batch}-{n}"), occurred_at)
                });
                app.store_password_resets(&token, events).await;
                tokio::time::sleep(std::time::Duration::from_millis(15)).await;
            }
        }
    };
    let writers_done = std::sync::atomic::AtomicBool::new(false);
    let poller = async {
        let (mut seen, mut after, mut polls) = (Vec::new(), String::new(), 0);
        loop {
            // Read after the writers are done too, until a read finds nothing new.
            let done = writers_done.load(std::sync::atomic::Ordering::SeqCst);
            let (status, _, page) = read(
                &app,
                &reader,
                &[("order", "oldest"), ("limit", "40"), ("after", &after)],
            )
            .await;
            assert_eq!(status, StatusCode::OK, "{page}");
            polls += 1;
            let events = page["events"].as_array().unwrap();
            if let Some(last) = events.last() {
                after = last["cursor"].as_str().unwrap().to_string();
            }
            if let Some(next) = page["next"].as_str() {
                after = next.to_string();
            }
            seen.extend(events.iter().cloned());
            if done && events.is_empty() && page["next"].is_null() {
                return (seen, polls);
            }
            if page["next"].is_null() {
                tokio::time::sleep(std::time::Duration::from_millis(10)).await;
            }
        }
    };
    let writers = async {
        tokio::join!(writer("alpha"), writer("beta"));
        writers_done.store(true, std::sync::atomic::Ordering::SeqCst);
    };
    let ((seen, polls), ()) = tokio::join!(poller, writers);

    let seen_ids = ids(&seen);
    let unique: HashSet<&String> = seen_ids.iter().collect();
    assert_eq!(unique.len(), seen_ids.len(), "no event twice");
    assert_eq!(
        seen_ids,
        stored_ids(&app).await,
        "every stored event, in chain order"
    );
    assert_eq!(
        seen_ids
            .iter()
            .filter(|id| id.starts_with("alpha-") || id.starts_with("beta-"))
            .count(),
        210
    );
    let positions: Vec<i64> = seen
        .iter()
        .map(|event| event["chain_position"].as_i64().unwrap())
        .collect();
    assert!(positions.windows(2).all(|pair| pair[0] < pair[1]));
    assert!(
        polls > 20,
        "the poller read while the writers wrote: {polls} polls"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn filters_and_time_bounds_read_what_the_page_shows_in_either_order() {
    let app = spawn_app().await;
    let reader = app.token_with(1, &[TokenScope::ReadEvents]).await;
    let viewer = app.signed_in("global.admin@contoso.example").await;
    let from = rfc3339(app.now - Duration::days(90));
    let to = rfc3339(app.now - Duration::days(10));
    let (page_entries, _) = app.list_all(&viewer, &from, &to).await;

    for q in [
        "",
        "action:ordered customer:\"한빛\"",
        "helpdesk OR -megan",
        "action:reset",
    ] {
        let filter = Filter::parse(q);
        let mut expected: Vec<String> = page_entries
            .iter()
            .filter(|entry| filter.matches(entry))
            .map(|entry| entry.event_id.clone())
            .collect();
        assert!(!expected.is_empty(), "{q:?} should match something in the demo");
        let query = [("q", q), ("from", from.as_str()), ("to", to.as_str())];
        let (newest, pages) = read_all(&app, &reader, &query, "25").await;
        let (mut oldest, _) = read_all(
            &app,
            &reader,
            &[&query[..], &[("order", "oldest")]].concat(),
            "1000",
        )
        .await;
        oldest.reverse();
        assert_eq!(
            ids(&newest),
            ids(&oldest),
            "{q:?}: one order is the other reversed"
        );
        assert!(pages >= expected.len() / 25, "{q:?}: {pages} pages");
        let mut got = ids(&newest);
        got.sort();
        expected.sort();
        assert_eq!(got, expected, "{q:?}: the same events as the page");
    }

    // One event in full: the ingest shape plus what the server knows.
    let (_, _, page) = read(&app, &reader, &[("q", "customer:\"한빛\""), ("limit", "1")]).await;
    let event = &page["events"][0];
    assert_eq!(event["customer_name"], "주식회사 한빛소프트");
    assert!(event["customer_id"].is_i64());
    assert!(event["details"]["type"].is_string());
    assert_eq!(event["event_hash"].as_str().unwrap().len(), 64);
    assert_eq!(page["next"], event["cursor"]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_bad_parameter_is_a_400_naming_it_and_another_partner_is_never_read() {
    let app = spawn_app().await;
    let contoso = app.token_with(1, &[TokenScope::ReadEvents]).await;
    let fabrikam = app.token_with(2, &[TokenScope::ReadEvents]).await;
    for (query, named) in [
        (vec![("limit", "5000")], "limit:"),
        (vec![("order", "sideways")], "order:"),
        (vec![("after", "not-a-cursor")], "after:"),
        (vec![("from", "last tuesday")], "from:"),
        (vec![("q", "colour:red")], "q:"),
        (vec![("pages", "2")], "pages"),
    ] {
        let (status, _, body) = read(&app, &contoso, &query).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{query:?}: {body}");
        assert!(
            body["message"].as_str().unwrap().contains(named),
            "{query:?}: {body}"
        );
    }
    let (_, _, theirs) = read(&app, &fabrikam, &[("limit", "1000")]).await;
    let text = theirs.to_string();
    assert!(!theirs["events"].as_array().unwrap().is_empty());
    assert!(
        !text.contains("@contoso.example") && !text.contains("한빛"),
        "Fabrikam reads only its own"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_tokens_reads_are_limited_per_minute_with_retry_after() {
    let limits = Limits {
        token_reads_per_minute: 3,
        ..Limits::default()
    };
    let app = spawn_app_with(50, limits).await;
    let busy = app.token_with(1, &[TokenScope::ReadEvents]).await;
    let other = app.token_with(1, &[TokenScope::ReadEvents]).await;
    for _ in 0..3 {
        assert_eq!(read(&app, &busy, &[]).await.0, StatusCode::OK);
    }
    let (status, retry_after, body) = read(&app, &busy, &[]).await;
    assert_eq!(status, StatusCode::TOO_MANY_REQUESTS, "{body}");
    let wait: u64 = retry_after.expect("Retry-After").parse().unwrap();
    assert!((1..=20).contains(&wait), "{wait}");
    assert!(
        body["message"].as_str().unwrap().contains("reads of the minute"),
        "{body}"
    );
    assert_eq!(
        read(&app, &other, &[]).await.0,
        StatusCode::OK,
        "another token has its own budget"
    );
}

/// A validator for one of docs/openapi.json's schemas (JSON Schema 2020-12, as OpenAPI 3.1).
pub(crate) fn documented(schema: &str) -> jsonschema::Validator {
    let doc: Value = serde_json::from_str(include_str!(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../docs/openapi.json"
    )))
    .unwrap();
    let root = serde_json::json!({
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$ref": format!("#/components/schemas/{schema}"),
        "components": doc["components"],
    });
    jsonschema::draft202012::new(&root).unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_answers_are_as_docs_openapi_json_describes_them() {
    let app = spawn_app().await;
    let reader = app.token_with(1, &[TokenScope::ReadEvents]).await;
    let writer = app.contoso_token().await;
    let page = documented("EventPage");
    let error = documented("Error");
    let (status, _, first) = read(&app, &reader, &[("limit", "200")]).await;
    assert_eq!(status, StatusCode::OK);
    assert!(first["next"].is_string());
    // Every event the demo holds (each action kind and details shape), as pages.
    let (all, _) = read_all(&app, &reader, &[("order", "oldest")], "1000").await;
    let every: Vec<Value> = all
        .chunks(1000)
        .map(|events| serde_json::json!({ "events": events }))
        .collect();
    for answer in std::iter::once(&first).chain(&every) {
        let problems: Vec<String> = page
            .iter_errors(answer)
            .map(|problem| problem.to_string())
            .collect();
        assert!(problems.is_empty(), "{problems:#?}");
    }
    // A bad request, a token without the scope, no token.
    let (_, _, bad) = read(&app, &reader, &[("limit", "0")]).await;
    let (forbidden, _, scope) = read(&app, &writer, &[]).await;
    assert_eq!(forbidden, StatusCode::FORBIDDEN);
    let anonymous = client().get(app.url("/api/v1/events")).send().await.unwrap();
    assert_eq!(anonymous.status(), StatusCode::UNAUTHORIZED);
    let anonymous: Value = anonymous.json().await.unwrap();
    for answer in [&bad, &scope, &anonymous] {
        assert!(error.is_valid(answer), "{answer}");
    }
    // And a wrong answer is caught: the check is not vacuous.
    let mut broken = first.clone();
    broken["events"][0]["chain_position"] = Value::from("7");
    assert!(!page.is_valid(&broken));
}

/// The read budget is counted in the database: two real server processes on one database
/// give a token its budget once, not once each.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_server_processes_spend_one_budget_per_token() {
    let dir = tempfile::tempdir().unwrap();
    let key = dir.path().join("signing.key");
    let database = if crate::support::on_postgres() {
        let url = crate::support::fresh_postgres_database().await;
        let seeded = crate::support::server_command(&url, &key)
            .args(["seed-demo", "--events", "50"])
            .status()
            .unwrap();
        assert!(seeded.success());
        url
    } else {
        dir.path().join("db.sqlite").to_string_lossy().into_owned()
    };
    let settings = crate::operations::settings_with(
        dir.path(),
        &[("token_reads_per_minute = 600", "token_reads_per_minute = 4")],
    );
    let flags = ["--config", settings.as_str()];
    let mut first = crate::support::start_server_with(&database, &key, &flags);
    let mut second = crate::support::start_server_with(&database, &key, &flags);
    let db = app::db::connect(app::db::Database::parse(&database))
        .await
        .unwrap();
    let (_, token) = app::api_tokens::store::create(
        &db,
        app::ids::PartnerId(1),
        app::ids::UserId(1),
        "SIEM",
        &[TokenScope::ReadEvents],
    )
    .await
    .unwrap();
    let http = reqwest::Client::new();
    let read = |url: String| {
        let (http, token) = (http.clone(), token.clone());
        async move {
            http.get(format!("{url}/api/v1/events"))
                .bearer_auth(token)
                .send()
                .await
                .unwrap()
                .status()
        }
    };
    // Four reads alternating servers: the whole budget.
    for n in 0..4 {
        let url = if n % 2 == 0 { &first.url } else { &second.url };
        assert_eq!(read(url.clone()).await, StatusCode::OK, "read {n}");
    }
    // Either server now refuses (each counting its own would allow four more).
    assert_eq!(read(first.url.clone()).await, StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(read(second.url.clone()).await, StatusCode::TOO_MANY_REQUESTS);
    for server in [&mut first, &mut second] {
        server.child.kill().unwrap();
        let _ = server.child.wait();
    }
}
