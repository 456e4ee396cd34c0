//! Generated bad input over real HTTP: whatever arrives, the answer is never a 5xx or a
//! panic, every refusal is a 4xx a person can read, and the database is left as it was.

use proptest::prelude::*;
use proptest::test_runner::{Config, TestRunner};
use reqwest::{Client, StatusCode};

use crate::support::{TestApp, client, spawn_app};

/// Cases generated per run, spread over the endpoints below.
const CASES: u32 = 10_000;

/// Every field each endpoint reads. Sign-in has its own test below: its cases must each
/// reach the password check, which costs tens of milliseconds.
const ENDPOINTS: [(&str, &[&str]); 3] = [
    ("/api/list_activity", &["from", "to", "after"]),
    ("/api/customer_subscriptions", &["customer_id", "page"]),
    (
        "/account-settings/activity-log/export",
        &[
            "from",
            "to",
            "from_date",
            "to_date",
            "filter",
            "sort",
            "columns",
            "lang",
            "format",
        ],
    ),
];

/// A value the field takes, so that the other fields' bad values reach deep code.
fn good_value(field: &str) -> BoxedStrategy<String> {
    let pick = |values: &[&str]| {
        prop::sample::select(values.iter().map(|value| value.to_string()).collect::<Vec<_>>()).boxed()
    };
    match field {
        "from" => pick(&["2026-10-01T00:00:00Z", "2025-11-26T15:00:00Z"]),
        "to" => pick(&["2026-11-01T00:00:00Z", "2026-11-26T15:00:00Z"]),
        "from_date" => pick(&["2026-10-01", "2025-11-27"]),
        "to_date" => pick(&["2026-10-31", "2026-11-26"]),
        "after" => pick(&["", "2026-10-15T00:00:00Z/700", "2026-10-15T00:00:00Z/-1"]),
        "customer_id" => pick(&["7", "13", "1"]),
        "page" => pick(&["0", "1", "4294967295"]),
        "sort" => pick(&[
            "",
            "time",
            "-time",
            "customer",
            "-action",
            "user",
            "details",
            "-event_id",
        ]),
        "columns" => pick(&["", "time,customer,action,user", "details,event_id", "user,time"]),
        "lang" => pick(&["", "en", "ko"]),
        "format" => pick(&["", "csv", "ndjson"]),
        _ => pick(&["adatum", "action:ordered OR -user:sales", "customer:\"한빛\""]),
    }
}

/// For each field of the endpoint: usually a good value, sometimes a bad one, sometimes none.
fn form_for(names: &'static [&'static str]) -> impl Strategy<Value = Vec<(&'static str, String)>> {
    let fields: Vec<_> = names
        .iter()
        .map(|name| {
            let value = prop_oneof![
                3 => good_value(name).prop_map(Some),
                2 => field_value(),
            ];
            (Just(*name), value)
        })
        .collect();
    fields.prop_map(|fields| {
        fields
            .into_iter()
            .filter_map(|(name, value)| value.map(|value| (name, value)))
            .collect()
    })
}

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

fn request() -> impl Strategy<Value = (usize, Vec<(&'static str, String)>)> {
    (0..ENDPOINTS.len()).prop_flat_map(|endpoint| (Just(endpoint), form_for(ENDPOINTS[endpoint].1)))
}

/// Every table, row by row (a session's last use changes with every request it makes, so
/// that one column is left out; the export's own records are counted apart).
async fn snapshot(app: &TestApp) -> Vec<String> {
    let mut rows = Vec::new();
    for sql in [
        "SELECT id || '|' || name || '|' || domain FROM partners ORDER BY id",
        "SELECT id || '|' || email || '|' || role || '|' || password_hash FROM partner_users ORDER BY id",
        "SELECT id || '|' || partner_id || '|' || company_name FROM customers ORDER BY id",
        "SELECT id || '|' || customer_id || '|' || product || '|' || quantity || '|' || status || '|' || start_date FROM subscriptions ORDER BY id",
        "SELECT id || '|' || occurred_at || '|' || action_kind || '|' || details || '|' || event_hash FROM activity_events
         WHERE action_kind <> 'exported_activity_log' ORDER BY id",
        "SELECT key || '|' || value FROM app_meta ORDER BY key",
        "SELECT token_hash || '|' || user_id || '|' || created_at || '|' || expires_at FROM sessions ORDER BY token_hash",
        "SELECT id || '|' || partner_id || '|' || token_hash || '|' || COALESCE(revoked_at, '') FROM api_tokens ORDER BY id",
        "SELECT user_id || '|' || COALESCE(locale, '') || '|' || COALESCE(columns, '') || '|' || COALESCE(time_zone, '') FROM user_preferences ORDER BY user_id",
        "SELECT id || '|' || partner_id || '|' || chain_seq || '|' || head_hash || '|' || signature FROM chain_checkpoints ORDER BY id",
    ] {
        let table: Vec<(String,)> = app::db::on_db!(&app.db, |pool| sqlx::query_as(sql).fetch_all(pool).await).unwrap();
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
    let exports = std::cell::Cell::new(0i64);
    runner
        .run(&request(), |(endpoint, form)| {
            let path = ENDPOINTS[endpoint].0;
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
            } else if path.ends_with("/export") {
                exports.set(exports.get() + 1);
            }
            Ok(())
        })
        .unwrap();

    // Bodies over the limit, to every endpoint.
    for path in ENDPOINTS.iter().map(|(path, _)| *path).chain(["/api/sign_in"]) {
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
    assert_eq!(
        runtime.block_on(
            app.count("SELECT COUNT(*) FROM activity_events WHERE action_kind = 'exported_activity_log'")
        ),
        exports.get(),
        "each export that answered 200 was recorded once, and no other"
    );
    let answered = answered.into_inner();
    println!(
        "bad input: {CASES} generated requests; answers by class (1xx..5xx): {:?}; {} exports ran",
        &answered[1..],
        exports.get()
    );
    assert_eq!(answered[5], 0);
    // The good values let many requests through to the deepest code.
    assert!(
        answered[2] > CASES / 10,
        "too few requests got past the checks: {answered:?}"
    );
}

/// Sign-in with generated emails and passwords, each "from" its own address behind a
/// trusted proxy and with an email used once, so no case is stopped by the throttle: every
/// one reaches the checks it claims to test, and is refused in words.
#[test]
fn generated_sign_ins_reach_the_password_check_and_are_refused_in_words() {
    let runtime = runtime();
    let limits = app::state::Limits {
        trusted_proxies: vec!["127.0.0.1/32".parse().unwrap()],
        ..app::state::Limits::default()
    };
    let app = runtime.block_on(crate::support::spawn_app_with(
        crate::support::DEMO_EVENTS,
        limits,
    ));
    let before = runtime.block_on(snapshot(&app));
    let mut runner = TestRunner::new(Config {
        cases: 300,
        failure_persistence: None,
        ..Config::default()
    });
    let case = std::cell::Cell::new(0u32);
    let (wrong, throttled) = (std::cell::Cell::new(0u32), std::cell::Cell::new(0u32));
    runner
        .run(&(field_value(), field_value()), |(email, password)| {
            let n = case.get();
            case.set(n + 1);
            let mut form = Vec::new();
            if let Some(email) = email {
                form.push(("email", format!("{email}{n}")));
            }
            if let Some(password) = password {
                form.push(("password", password));
            }
            let response = runtime
                .block_on(
                    client()
                        .post(app.url("/api/sign_in"))
                        .header("x-forwarded-for", format!("10.{}.{}.1", n / 250, n % 250))
                        .form(&form)
                        .send(),
                )
                .unwrap();
            let status = response.status();
            let body = runtime.block_on(response.text()).unwrap();
            prop_assert!(status.is_client_error(), "{:?}: {} {:.200}", form, status, body);
            assert_readable_refusal(status, &body, &format!("{form:?}"));
            if body.contains("not right") {
                wrong.set(wrong.get() + 1);
            }
            if status == StatusCode::TOO_MANY_REQUESTS {
                throttled.set(throttled.get() + 1);
            }
            Ok(())
        })
        .unwrap();
    assert_eq!(
        runtime.block_on(snapshot(&app)),
        before,
        "the database is unchanged"
    );
    println!(
        "sign-in: 300 generated, {} reached the password check",
        wrong.get()
    );
    assert_eq!(throttled.get(), 0, "no case was stopped by the throttle");
    assert!(
        wrong.get() > 150,
        "most cases reach the password check: {}",
        wrong.get()
    );
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
        .block_on(app::api_tokens::store::create(
            &app.db,
            app::ids::PartnerId(1),
            app::ids::UserId(1),
            "Fuzzer",
            &[app::api_tokens::model::TokenScope::WriteEvents],
        ))
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
            app::ids::PartnerId(1),
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
