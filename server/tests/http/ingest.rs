//! `POST /api/v1/events` over real HTTP: tokens, idempotency, all-or-nothing batches, clear
//! refusals, and exports recorded as events.

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::support::{CONTOSO_CUSTOMER, FABRIKAM_CUSTOMER, TestApp, assert_status, client, spawn_app};

const CONTOSO: i64 = 1;
const FABRIKAM: i64 = 2;

async fn token_for(app: &TestApp, partner: i64) -> String {
    app.token_with(partner, &[app::api_tokens::model::TokenScope::WriteEvents])
        .await
}

fn event(id: &str, customer: i64, user: &str) -> Value {
    json!({
        "id": id,
        "occurred_at": "2026-11-20T09:15:00Z",
        "customer_id": customer,
        "partner_user": user,
        "action": "assigned_license",
        "details": {"type": "license_assignment", "product": "Microsoft 365 E3", "user_principal_name": "minji@hanbit.example"}
    })
}

async fn send(app: &TestApp, token: Option<&str>, body: &Value) -> reqwest::Response {
    let mut request = client()
        .post(app.url("/api/v1/events"))
        .header("content-type", "application/json")
        .body(body.to_string());
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
    request.send().await.unwrap()
}

async fn stored_with_prefix(app: &TestApp, prefix: &str) -> i64 {
    let (count,): (i64,) = app::db::on_db!(&app.db, |pool| sqlx::query_as(
        "SELECT COUNT(*) FROM activity_events WHERE external_id LIKE $1 || '%'"
    )
    .bind(prefix)
    .fetch_one(pool)
    .await)
    .unwrap();
    count
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_batch_is_stored_once_even_when_sent_twice() {
    let app = spawn_app().await;
    let token = token_for(&app, CONTOSO).await;
    let batch = json!({"events": (0..50).map(|n| event(&format!("crm-{n}"), CONTOSO_CUSTOMER, "sales.agent@contoso.example")).collect::<Vec<_>>()});
    let first = assert_status(send(&app, Some(&token), &batch).await, StatusCode::OK).await;
    assert_eq!(
        serde_json::from_str::<Value>(&first).unwrap(),
        json!({"stored": 50, "duplicates": 0})
    );
    let again = assert_status(send(&app, Some(&token), &batch).await, StatusCode::OK).await;
    assert_eq!(
        serde_json::from_str::<Value>(&again).unwrap(),
        json!({"stored": 0, "duplicates": 50})
    );
    assert_eq!(stored_with_prefix(&app, "crm-").await, 50);

    // The events are in Contoso's log, chained, and the chain verifies.
    let viewer = app.signed_in("global.admin@contoso.example").await;
    let (listed, _) = app
        .list_all(&viewer, "2026-11-20T00:00:00Z", "2026-11-21T00:00:00Z")
        .await;
    assert_eq!(
        listed
            .iter()
            .filter(|entry| entry.event_id.starts_with("crm-"))
            .count(),
        50
    );
    app.assert_chain_intact(CONTOSO).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_a_live_token_nothing_is_stored() {
    let app = spawn_app().await;
    let batch = json!({"events": [event("x-1", CONTOSO_CUSTOMER, "sales.agent@contoso.example")]});
    for token in [None, Some("alog_not-a-real-token"), Some("Basic abc")] {
        let response = send(&app, token, &batch).await;
        assert_eq!(response.headers()["www-authenticate"], "Bearer");
        let body = assert_status(response, StatusCode::UNAUTHORIZED).await;
        assert!(body.contains("Send a live API token"), "{body}");
    }
    let token = token_for(&app, CONTOSO).await;
    let (id,): (i64,) = app::db::on_db!(&app.db, |pool| sqlx::query_as("SELECT id FROM api_tokens")
        .fetch_one(pool)
        .await)
    .unwrap();
    app::api_tokens::store::revoke(&app.db, app::ids::PartnerId(CONTOSO), id)
        .await
        .unwrap();
    assert_status(send(&app, Some(&token), &batch).await, StatusCode::UNAUTHORIZED).await;
    assert_eq!(stored_with_prefix(&app, "x-").await, 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_bad_event_refuses_the_whole_batch_and_names_the_field() {
    let app = spawn_app().await;
    let token = token_for(&app, CONTOSO).await;
    let good = event("b-0", CONTOSO_CUSTOMER, "sales.agent@contoso.example");
    let cases = [
        (
            event("b-1", 999, "sales.agent@contoso.example"),
            "events[1].customer_id",
            "no customer with id 999",
        ),
        (
            event("b-1", FABRIKAM_CUSTOMER, "sales.agent@contoso.example"),
            "events[1].customer_id",
            "belongs to your organisation",
        ),
        (
            event("b-1", CONTOSO_CUSTOMER, "global.admin@fabrikam.example"),
            "events[1].partner_user",
            "no partner user",
        ),
        (
            json!({"id": "b-1", "occurred_at": "soon", "partner_user": "sales.agent@contoso.example", "action": "assigned_license", "details": {}}),
            "events[1].occurred_at",
            "RFC 3339",
        ),
    ];
    for (bad, field, words) in cases {
        let body = assert_status(
            send(&app, Some(&token), &json!({"events": [good.clone(), bad]})).await,
            StatusCode::UNPROCESSABLE_ENTITY,
        )
        .await;
        let body: Value = serde_json::from_str(&body).unwrap();
        assert_eq!(body["field"], field, "{body}");
        assert!(body["message"].as_str().unwrap().contains(words), "{body}");
    }
    assert_eq!(
        stored_with_prefix(&app, "b-").await,
        0,
        "nothing of a refused batch is stored"
    );

    // Reusing an id for other content is a conflict, and also stores nothing.
    assert_status(
        send(&app, Some(&token), &json!({"events": [good.clone()]})).await,
        StatusCode::OK,
    )
    .await;
    let mut changed = event("b-0", CONTOSO_CUSTOMER, "admin.agent@contoso.example");
    changed["occurred_at"] = json!("2026-11-21T00:00:00Z");
    let new_one = event("b-2", CONTOSO_CUSTOMER, "sales.agent@contoso.example");
    let body = assert_status(
        send(&app, Some(&token), &json!({"events": [new_one, changed]})).await,
        StatusCode::CONFLICT,
    )
    .await;
    assert!(body.contains("events[1].id"), "{body}");
    assert_eq!(stored_with_prefix(&app, "b-").await, 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn malformed_requests_get_the_right_4xx() {
    let app = spawn_app().await;
    let token = token_for(&app, CONTOSO).await;
    let url = app.url("/api/v1/events");
    let post = |body: String, kind: &'static str| {
        client()
            .post(&url)
            .bearer_auth(&token)
            .header("content-type", kind)
            .body(body)
    };
    let text = post("{}".into(), "text/plain").send().await.unwrap();
    assert_status(text, StatusCode::UNSUPPORTED_MEDIA_TYPE).await;
    let broken = post("{\"events\": [".into(), "application/json")
        .send()
        .await
        .unwrap();
    let body = assert_status(broken, StatusCode::BAD_REQUEST).await;
    assert!(body.contains("not a batch"), "{body}");
    let unknown = post(r#"{"events": [], "partner_id": 2}"#.into(), "application/json")
        .send()
        .await
        .unwrap();
    assert_status(unknown, StatusCode::BAD_REQUEST).await;
    let empty = post(r#"{"events": []}"#.into(), "application/json")
        .send()
        .await
        .unwrap();
    assert_status(empty, StatusCode::UNPROCESSABLE_ENTITY).await;
    let many = json!({"events": (0..1001).map(|n| event(&format!("m-{n}"), CONTOSO_CUSTOMER, "sales.agent@contoso.example")).collect::<Vec<_>>()});
    let body = assert_status(
        post(many.to_string(), "application/json").send().await.unwrap(),
        StatusCode::UNPROCESSABLE_ENTITY,
    )
    .await;
    assert!(body.contains("1 to 1000 events"), "{body}");
    // Announce a body over the limit and send none: the answer comes from the length alone.
    let mut stream = tokio::net::TcpStream::connect(app.address).await.unwrap();
    let request = format!(
        "POST /api/v1/events HTTP/1.1\r\nHost: {}\r\nAuthorization: Bearer {token}\r\n\
         Content-Type: application/json\r\nContent-Length: {}\r\n\r\n",
        app.address,
        app::ingest::INGEST_BODY_LIMIT_BYTES + 1
    );
    tokio::io::AsyncWriteExt::write_all(&mut stream, request.as_bytes())
        .await
        .unwrap();
    let mut answer = vec![0u8; 64];
    let read = tokio::io::AsyncReadExt::read(&mut stream, &mut answer)
        .await
        .unwrap();
    let status_line = String::from_utf8_lossy(&answer[..read]).to_string();
    assert!(status_line.starts_with("HTTP/1.1 413"), "{status_line}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_partners_token_writes_into_that_partners_log_only() {
    let app = spawn_app().await;
    let fabrikam = token_for(&app, FABRIKAM).await;
    let batch = json!({"events": [event("f-1", FABRIKAM_CUSTOMER, "global.admin@fabrikam.example")]});
    assert_status(send(&app, Some(&fabrikam), &batch).await, StatusCode::OK).await;
    let (partner,): (i64,) = app::db::on_db!(&app.db, |pool| sqlx::query_as(
        "SELECT partner_id FROM activity_events WHERE external_id = 'f-1'"
    )
    .fetch_one(pool)
    .await)
    .unwrap();
    assert_eq!(partner, FABRIKAM);
    // Contoso's customer is unknown to Fabrikam's token.
    let contoso_customer =
        json!({"events": [event("f-2", CONTOSO_CUSTOMER, "global.admin@fabrikam.example")]});
    assert_status(
        send(&app, Some(&fabrikam), &contoso_customer).await,
        StatusCode::UNPROCESSABLE_ENTITY,
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_export_is_recorded_as_an_event_of_its_exporter() {
    let app = spawn_app().await;
    let viewer = app.signed_in("billing.admin@contoso.example").await;
    // October in Seoul: the record names the days and the instants actually exported.
    let fields = [
        ("from", "2026-09-30T15:00:00Z"),
        ("to", "2026-10-31T15:00:00Z"),
        ("from_date", "2026-10-01"),
        ("to_date", "2026-10-31"),
        ("filter", "한빛"),
    ];
    assert_status(app.export(&viewer, &fields).await, StatusCode::OK).await;
    let (user, details): (String, String) = app::db::on_db!(&app.db, |pool| {
        sqlx::query_as(
        "SELECT u.email, e.details FROM activity_events e JOIN partner_users u ON u.id = e.partner_user_id
         WHERE e.action_kind = 'exported_activity_log'",
    )
    .fetch_one(pool).await
    })
    .unwrap();
    assert_eq!(user, "billing.admin@contoso.example");
    let details: Value = serde_json::from_str(&details).unwrap();
    assert_eq!(
        details,
        json!({
            "type": "export", "from_date": "2026-10-01", "to_date": "2026-10-31",
            "from": "2026-09-30T15:00:00Z", "to": "2026-10-31T15:00:00Z",
            "filter": "한빛", "format": "csv"
        })
    );
    app.assert_chain_intact(CONTOSO).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_openapi_description_matches_the_endpoint() {
    let doc: Value = serde_json::from_str(include_str!(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../docs/openapi.json"
    )))
    .unwrap();
    let documented: Vec<&str> = doc["components"]["schemas"]["Event"]["properties"]["action"]["enum"]
        .as_array()
        .unwrap()
        .iter()
        .map(|kind| kind.as_str().unwrap())
        .collect();
    let known: Vec<&str> = app::events::ActionKind::ALL
        .iter()
        .map(|kind| kind.as_str())
        .collect();
    assert_eq!(documented, known, "every action kind is documented");
    assert_eq!(
        doc["components"]["schemas"]["Batch"]["properties"]["events"]["maxItems"],
        app::ingest::MAX_BATCH_EVENTS
    );

    let app = spawn_app().await;
    let token = token_for(&app, CONTOSO).await;
    let example =
        &doc["paths"]["/api/v1/events"]["post"]["requestBody"]["content"]["application/json"]["example"];
    let body = assert_status(send(&app, Some(&token), example).await, StatusCode::OK).await;
    let answer_example =
        &doc["paths"]["/api/v1/events"]["post"]["responses"]["200"]["content"]["application/json"]["example"];
    assert_eq!(&serde_json::from_str::<Value>(&body).unwrap(), answer_example);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_full_batch_of_three_mebibytes_is_stored() {
    let app = spawn_app().await;
    let token = token_for(&app, CONTOSO).await;
    // 1,000 events with long order details: over axum's 2 MiB default, under the documented 4 MiB.
    let product = format!("Microsoft 365 E3 {}", "가".repeat(1000));
    let events: Vec<Value> = (0..1000)
        .map(|n| {
            let mut event = event(
                &format!("big-{n}"),
                CONTOSO_CUSTOMER,
                "sales.agent@contoso.example",
            );
            event["details"]["product"] = json!(product);
            event
        })
        .collect();
    let body = json!({ "events": events });
    let size = body.to_string().len();
    assert!(
        size > 3 * 1024 * 1024 && size < app::ingest::INGEST_BODY_LIMIT_BYTES,
        "{size}"
    );
    let answer = assert_status(send(&app, Some(&token), &body).await, StatusCode::OK).await;
    assert_eq!(
        serde_json::from_str::<Value>(&answer).unwrap(),
        json!({"stored": 1000, "duplicates": 0})
    );
    assert_eq!(stored_with_prefix(&app, "big-").await, 1000);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_writers_into_one_chain_lose_nothing_and_the_chain_verifies() {
    let app = spawn_app().await;
    let token = token_for(&app, CONTOSO).await;
    let writer = |name: &'static str| {
        let (app, token) = (&app, token.clone());
        async move {
            for batch in 0..10 {
                let events: Vec<Value> = (0..50)
                    .map(|n| {
                        event(
                            &format!("{name}-{batch}-{n}"),
                            CONTOSO_CUSTOMER,
                            "sales.agent@contoso.example",
                        )
                    })
                    .collect();
                assert_status(
                    send(app, Some(&token), &json!({ "events": events })).await,
                    StatusCode::OK,
                )
                .await;
            }
        }
    };
    futures::future::join(writer("left"), writer("right")).await;
    assert_eq!(stored_with_prefix(&app, "left-").await, 500);
    assert_eq!(stored_with_prefix(&app, "right-").await, 500);
    app.assert_chain_intact(CONTOSO).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_same_event_id_from_two_partners_is_stored_for_both() {
    let app = spawn_app().await;
    let contoso = token_for(&app, CONTOSO).await;
    let fabrikam = token_for(&app, FABRIKAM).await;
    let shared_id = "ticket-42";
    for (token, customer, user) in [
        (&contoso, CONTOSO_CUSTOMER, "sales.agent@contoso.example"),
        (&fabrikam, FABRIKAM_CUSTOMER, "global.admin@fabrikam.example"),
    ] {
        let answer = assert_status(
            send(
                &app,
                Some(token),
                &json!({"events": [event(shared_id, customer, user)]}),
            )
            .await,
            StatusCode::OK,
        )
        .await;
        assert_eq!(serde_json::from_str::<Value>(&answer).unwrap()["stored"], 1);
    }
    let partners: Vec<(i64,)> = app::db::on_db!(&app.db, |pool| sqlx::query_as(
        "SELECT partner_id FROM activity_events WHERE external_id = $1 ORDER BY partner_id"
    )
    .bind(shared_id)
    .fetch_all(pool)
    .await)
    .unwrap();
    assert_eq!(partners, vec![(CONTOSO,), (FABRIKAM,)]);
}
