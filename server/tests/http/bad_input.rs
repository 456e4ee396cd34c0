//! Generated bad input over real HTTP: whatever arrives, the answer is never a 5xx or a
//! panic, every refusal is a 4xx a person can read, and the database is left as it was.

use proptest::prelude::*;
use proptest::test_runner::{Config, TestRunner};
use reqwest::{Client, StatusCode};

use crate::support::{TestApp, client, spawn_app};

/// Cases generated per run, spread over the endpoints below.
const CASES: u32 = 10_000;

const ENDPOINTS: [(&str, &[&str]); 4] = [
    ("/api/list_activity", &["from", "to"]),
    ("/api/customer_subscriptions", &["customer_id"]),
    (
        "/account-settings/activity-log/export",
        &["from", "to", "from_date", "to_date", "filter"],
    ),
    ("/api/sign_in", &["email", "password"]),
];

/// Values that have broken servers before: absurd dates, SQL and CSV metacharacters,
/// huge numbers, control characters, random unicode, and very long text.
fn field_value() -> impl Strategy<Value = Option<String>> {
    let nasty = prop_oneof![
        Just("0000-01-01T00:00:00Z".to_string()),
        Just("9999-12-31T23:59:59Z".to_string()),
        Just("+275760-09-13T00:00:00Z".to_string()),
        Just("2026-02-30".to_string()),
        Just("2026-13-01T00:00:00Z".to_string()),
        Just("not a date".to_string()),
        Just("' OR 1=1 --".to_string()),
        Just("\"; DROP TABLE activity_events; --".to_string()),
        Just("=HYPERLINK(\"http://x\")".to_string()),
        Just("-9223372036854775809".to_string()),
        Just("99999999999999999999999".to_string()),
        Just("\u{0}\r\n\t".to_string()),
        Just(String::new()),
        "[0-9]{4}-[0-9]{2}-[0-9]{2}(T[0-9]{2}:[0-9]{2}:[0-9]{2}Z)?",
        "\\PC{0,80}",
        any::<i64>().prop_map(|number| number.to_string()),
        "[a-z]{1,3}".prop_map(|word| word.repeat(2000)),
    ];
    // Sometimes the field is left out altogether.
    prop_oneof![1 => Just(None), 9 => nasty.prop_map(Some)]
}

fn request() -> impl Strategy<Value = (usize, Vec<Option<String>>)> {
    (0..ENDPOINTS.len(), proptest::collection::vec(field_value(), 5))
}

async fn snapshot(app: &TestApp) -> Vec<String> {
    let mut rows = Vec::new();
    for sql in [
        "SELECT id || '|' || name || '|' || domain FROM partners ORDER BY id",
        "SELECT id || '|' || email || '|' || role || '|' || password_hash FROM partner_users ORDER BY id",
        "SELECT id || '|' || partner_id || '|' || company_name FROM customers ORDER BY id",
        "SELECT id || '|' || quantity || '|' || status FROM subscriptions ORDER BY id",
        "SELECT id || '|' || occurred_at || '|' || action_kind || '|' || details FROM activity_events ORDER BY id",
        "SELECT key || '|' || value FROM app_meta ORDER BY key",
    ] {
        let table: Vec<(String,)> = sqlx::query_as(sql).fetch_all(&app.db).await.unwrap();
        rows.extend(table.into_iter().map(|(row,)| row));
    }
    rows
}

/// A refusal must say what is wrong in words: a JSON error with a message, or plain text.
fn assert_readable_refusal(status: StatusCode, body: &str, context: &str) {
    assert!(status.is_client_error(), "{context}: {status} {body:.200}");
    let message = match serde_json::from_str::<serde_json::Value>(body) {
        Ok(json) => json["message"].as_str().unwrap_or_default().to_string(),
        Err(_) => body.to_string(),
    };
    assert!(
        message.trim().len() >= 5,
        "{context}: no readable message in {body:.200}"
    );
    for internal in ["sqlx", "SELECT ", "panicked", "/work/", "/root/"] {
        assert!(
            !body.contains(internal),
            "{context}: internal detail {internal:?} in {body:.200}"
        );
    }
}

/// These tests drive proptest (synchronous) against the async server: one runtime each.
fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap()
}

#[test]
fn generated_bad_input_gets_a_readable_4xx_and_changes_nothing() {
    let runtime = runtime();
    let app = runtime.block_on(spawn_app());
    let signed_in: Client = runtime.block_on(app.signed_in("global.admin@contoso.example"));
    let before = runtime.block_on(snapshot(&app));

    let mut runner = TestRunner::new(Config {
        cases: CASES,
        failure_persistence: None,
        ..Config::default()
    });
    let answered = std::cell::RefCell::new([0u32; 6]);
    runner
        .run(&request(), |(endpoint, values)| {
            let (path, names) = ENDPOINTS[endpoint];
            let form: Vec<(&str, String)> = names
                .iter()
                .zip(&values)
                .filter_map(|(name, value)| value.clone().map(|value| (*name, value)))
                .collect();
            let response = runtime
                .block_on(signed_in.post(app.url(path)).form(&form).send())
                .unwrap();
            let status = response.status();
            let body = runtime.block_on(response.text()).unwrap();
            answered.borrow_mut()[usize::from(status.as_u16() / 100)] += 1;
            let context = format!("{path} {form:?}");
            prop_assert!(!status.is_server_error(), "{}: {} {:.200}", context, status, body);
            if !status.is_success() {
                assert_readable_refusal(status, &body, &context);
            }
            Ok(())
        })
        .unwrap();

    // Bodies over the limit, to every endpoint.
    for (path, _) in ENDPOINTS {
        let huge = "x".repeat(server::security::BODY_LIMIT_BYTES + 10);
        let response = runtime
            .block_on(client().post(app.url(path)).form(&[("filter", &huge)]).send())
            .unwrap();
        assert_eq!(response.status(), StatusCode::PAYLOAD_TOO_LARGE, "{path}");
    }

    assert_eq!(
        runtime.block_on(snapshot(&app)),
        before,
        "the database is unchanged"
    );
    let answered = answered.into_inner();
    println!(
        "bad input: {CASES} generated requests; answers by class (1xx..5xx): {:?}",
        &answered[1..]
    );
    assert_eq!(answered[5], 0);
}

/// A JSON value that fits no field of an event: wrong types, absurd numbers, nasty text.
fn bad_json_value() -> impl Strategy<Value = serde_json::Value> {
    use serde_json::json;
    prop_oneof![
        Just(json!(null)),
        Just(json!({})),
        Just(json!([])),
        Just(json!(true)),
        Just(json!(-1)),
        Just(json!(1e308)),
        Just(json!("")),
        Just(json!("9999-12-31T23:59:59Z")),
        Just(json!("' OR 1=1 --")),
        Just(json!({"type": "order"})),
        Just(json!({"type": "export", "from_date": 1})),
        any::<i64>().prop_map(|number| json!(number)),
        "\\PC{0,60}".prop_map(|text| json!(text)),
        "[a-z]{1,3}".prop_map(|word| json!(word.repeat(3000))),
    ]
}

const EVENT_FIELDS: [&str; 7] = [
    "id",
    "occurred_at",
    "customer_id",
    "partner_user",
    "action",
    "action_text",
    "details",
];

/// Events with wrong, absurd or missing fields, each sent alone with a valid token: never a
/// 5xx; a refusal is a readable 4xx; the few that are still valid (any text is a valid id)
/// are stored and chained; nothing else in the database changes.
#[test]
fn generated_bad_events_get_a_readable_4xx_or_are_stored_whole() {
    let runtime = runtime();
    let app = runtime.block_on(spawn_app());
    let (_, token) = runtime
        .block_on(app::api_tokens::store::create(&app.db, 1, 1, "Fuzzer"))
        .unwrap();
    let events_before = runtime.block_on(app.count("SELECT COUNT(*) FROM activity_events"));
    let good = serde_json::json!({
        "id": "fuzz-1", "occurred_at": "2026-11-20T09:15:00Z", "customer_id": 7,
        "partner_user": "sales.agent@contoso.example", "action": "created_customer",
        "details": {"type": "new_customer", "domain": "adatum.example"}
    });
    let mut runner = TestRunner::new(Config {
        cases: 2_000,
        failure_persistence: None,
        ..Config::default()
    });
    let strategy = (
        0..EVENT_FIELDS.len(),
        bad_json_value(),
        proptest::collection::vec(
            proptest::option::weighted(0.2, bad_json_value()),
            EVENT_FIELDS.len(),
        ),
        any::<u64>(),
    );
    let stored = std::cell::Cell::new(0i64);
    let refused = std::cell::Cell::new(0u32);
    runner
        .run(&strategy, |(always, bad, sometimes, unique)| {
            let mut event = good.clone();
            event["id"] = serde_json::json!(format!("fuzz-{unique}"));
            event[EVENT_FIELDS[always]] = bad;
            for (field, value) in EVENT_FIELDS.iter().zip(sometimes) {
                if let Some(value) = value {
                    event[*field] = value;
                }
            }
            let body = serde_json::json!({ "events": [event] }).to_string();
            let response = runtime
                .block_on(
                    client()
                        .post(app.url("/api/v1/events"))
                        .bearer_auth(&token)
                        .header("content-type", "application/json")
                        .body(body.clone())
                        .send(),
                )
                .unwrap();
            let status = response.status();
            let answer = runtime.block_on(response.text()).unwrap();
            prop_assert!(
                !status.is_server_error(),
                "{} {:.300} for {:.300}",
                status,
                answer,
                body
            );
            if status.is_success() {
                let answer: serde_json::Value = serde_json::from_str(&answer).unwrap();
                stored.set(stored.get() + answer["stored"].as_i64().unwrap());
            } else {
                assert_readable_refusal(status, &answer, &body);
                refused.set(refused.get() + 1);
            }
            Ok(())
        })
        .unwrap();
    let events_after = runtime.block_on(app.count("SELECT COUNT(*) FROM activity_events"));
    assert_eq!(
        events_after,
        events_before + stored.get(),
        "only accepted events were stored"
    );
    let report = runtime
        .block_on(app::integrity::verify::verify_partner(
            &app.db,
            1,
            &app.signer.verifying_key(),
        ))
        .unwrap();
    assert_eq!(report.broken, None, "{report}");
    println!(
        "bad events: 2000 sent, {} refused with a 4xx, {} stored",
        refused.get(),
        stored.get()
    );
    assert!(refused.get() > 1500, "most generated events are bad");
}
