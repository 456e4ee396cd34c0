//! Every server function, page and handler route, called as every kind of caller, against
//! the expectation written down for that cell. The lists come from the code (registered
//! server functions, the router's routes, `handler_routes()`, the lists the router is built from), so a new endpoint without
//! written expectations fails this test.

use chrono::Duration;
use leptos::server_fn::axum::server_fn_paths;
use leptos_axum::generate_route_list;
use reqwest::{Client, StatusCode};

use app::activity::EXPORT_PATH;

use crate::support::{CONTOSO_CUSTOMER, PASSWORD, TestApp, client, rfc3339, spawn_app};

#[derive(Clone, Copy, Debug, PartialEq)]
enum Caller {
    Anonymous,
    /// One of the six roles that may view the activity log, at Contoso.
    Allowed(&'static str),
    ReferralsAdmin,
    /// Fabrikam's Global admin, calling with Contoso's ids.
    OtherPartner,
}

const CALLERS: [Caller; 9] = [
    Caller::Anonymous,
    Caller::Allowed("global.admin@contoso.example"),
    Caller::Allowed("billing.admin@contoso.example"),
    Caller::Allowed("user.admin@contoso.example"),
    Caller::Allowed("admin.agent@contoso.example"),
    Caller::Allowed("sales.agent@contoso.example"),
    Caller::Allowed("helpdesk.agent@contoso.example"),
    Caller::ReferralsAdmin,
    Caller::OtherPartner,
];

impl Caller {
    fn email(self) -> Option<&'static str> {
        match self {
            Caller::Anonymous => None,
            Caller::Allowed(email) => Some(email),
            Caller::ReferralsAdmin => Some("referrals.admin@contoso.example"),
            Caller::OtherPartner => Some("global.admin@fabrikam.example"),
        }
    }
}

/// What a response must show: its status, text it must hold, text it must not.
struct Expect {
    status: StatusCode,
    contains: Option<&'static str>,
    never: &'static [&'static str],
}

const CONTOSO_ONLY: &[&str] = &[
    "주식회사 한빛소프트",
    // A Contoso user's email, as the list (JSON) and the export (CSV) carry it.
    "@contoso.example\"",
    "@contoso.example,",
    "Adatum",
    CONTOSO_TOKEN_NAME,
];

/// An API token of Contoso's that exists before the matrix runs.
const CONTOSO_TOKEN_NAME: &str = "Contoso billing system";

fn expect(status: StatusCode) -> Expect {
    Expect {
        status,
        contains: None,
        never: &[],
    }
}

/// The expectation of every (endpoint, caller) cell.
fn expectation(endpoint: &str, caller: Caller) -> Expect {
    use Caller::*;
    let never_contoso = |status| Expect {
        status,
        contains: None,
        never: CONTOSO_ONLY,
    };
    match (endpoint, caller) {
        ("/api/viewer", Anonymous) => Expect {
            contains: Some("null"),
            ..expect(StatusCode::OK)
        },
        // The caller, and no one else.
        ("/api/viewer", _) => Expect {
            contains: caller.email(),
            ..expect(StatusCode::OK)
        },
        ("/api/sign_in", _) => Expect {
            contains: Some("The email or password is not right."),
            ..expect(StatusCode::UNPROCESSABLE_ENTITY)
        },
        ("/api/sign_out", _) => expect(StatusCode::OK),
        // Anyone may pick a language (a cookie; saved for the signed-in).
        ("/api/choose_language", _) => expect(StatusCode::OK),
        // Evidence of one of Contoso's events: the event, its proof and the signed note.
        ("/api/event_evidence", Anonymous) => expect(StatusCode::UNAUTHORIZED),
        ("/api/event_evidence", ReferralsAdmin) => expect(StatusCode::FORBIDDEN),
        ("/api/event_evidence", Allowed(_)) => Expect {
            contains: Some("\"canonical_event\""),
            ..expect(StatusCode::OK)
        },
        ("/api/event_evidence", OtherPartner) => never_contoso(StatusCode::NOT_FOUND),
        ("/api/save_view_preferences", Anonymous) => expect(StatusCode::UNAUTHORIZED),
        ("/api/save_view_preferences", ReferralsAdmin) => expect(StatusCode::FORBIDDEN),
        ("/api/save_view_preferences", Allowed(_) | OtherPartner) => never_contoso(StatusCode::OK),
        ("/api/demo_accounts", _) => expect(StatusCode::OK),
        (
            "/api/list_activity"
            | "/api/customer_subscriptions"
            | "POST /account-settings/activity-log/export",
            Anonymous,
        ) => expect(StatusCode::UNAUTHORIZED),
        (
            "/api/list_activity"
            | "/api/customer_subscriptions"
            | "POST /account-settings/activity-log/export",
            ReferralsAdmin,
        ) => expect(StatusCode::FORBIDDEN),
        ("/api/list_activity", Allowed(_)) => Expect {
            contains: Some("주식회사 한빛소프트"),
            ..expect(StatusCode::OK)
        },
        ("/api/list_activity", OtherPartner) => never_contoso(StatusCode::OK),
        ("/api/customer_subscriptions", Allowed(_)) => Expect {
            contains: Some("주식회사 한빛소프트"),
            ..expect(StatusCode::OK)
        },
        ("/api/customer_subscriptions", OtherPartner) => never_contoso(StatusCode::NOT_FOUND),
        ("POST /account-settings/activity-log/export", Allowed(_)) => Expect {
            contains: Some("주식회사 한빛소프트"),
            ..expect(StatusCode::OK)
        },
        ("POST /account-settings/activity-log/export", OtherPartner) => never_contoso(StatusCode::OK),
        // The live log: its stream opens with `ready` for those who may view the log.
        ("GET /account-settings/activity-log/live", Anonymous) => expect(StatusCode::UNAUTHORIZED),
        ("GET /account-settings/activity-log/live", ReferralsAdmin) => expect(StatusCode::FORBIDDEN),
        ("GET /account-settings/activity-log/live", Allowed(_) | OtherPartner) => Expect {
            contains: Some("event: ready"),
            ..never_contoso(StatusCode::OK)
        },
        ("/api/period_integrity", Anonymous) => expect(StatusCode::UNAUTHORIZED),
        ("/api/period_integrity", ReferralsAdmin) => expect(StatusCode::FORBIDDEN),
        ("/api/period_integrity", Allowed(_)) => Expect {
            contains: Some("\"events_in_period\""),
            ..expect(StatusCode::OK)
        },
        ("/api/period_integrity", OtherPartner) => Expect {
            contains: Some("\"partner_id\":2"),
            ..never_contoso(StatusCode::OK)
        },
        // API tokens: Global admins only, each partner its own.
        ("/api/api_tokens" | "/api/create_api_token" | "/api/revoke_api_token", Anonymous) => {
            expect(StatusCode::UNAUTHORIZED)
        }
        ("/api/api_tokens", Allowed("global.admin@contoso.example")) => Expect {
            contains: Some(CONTOSO_TOKEN_NAME),
            ..expect(StatusCode::OK)
        },
        ("/api/create_api_token", Allowed("global.admin@contoso.example")) => Expect {
            contains: Some("\"secret\":\"alog_"),
            ..expect(StatusCode::OK)
        },
        ("/api/revoke_api_token", Allowed("global.admin@contoso.example")) => expect(StatusCode::OK),
        (
            "/api/api_tokens" | "/api/create_api_token" | "/api/revoke_api_token",
            Allowed(_) | ReferralsAdmin,
        ) => Expect {
            contains: Some("Your role can't manage API tokens."),
            ..never_contoso(StatusCode::FORBIDDEN)
        },
        ("/api/api_tokens" | "/api/create_api_token", OtherPartner) => never_contoso(StatusCode::OK),
        ("/api/revoke_api_token", OtherPartner) => never_contoso(StatusCode::NOT_FOUND),
        // The events API (ingest and read) takes API tokens only: a session cookie is not
        // enough (the token matrix is `the_events_api_does_only_what_a_tokens_scopes_allow`).
        (
            "POST /api/v1/events"
            | "GET /api/v1/events"
            | "GET /api/v1/proofs/inclusion"
            | "GET /api/v1/proofs/consistency"
            | "GET /api/v1/checkpoint"
            | "GET /api/v1/tile/{*path}",
            _,
        ) => Expect {
            contains: Some("Send a live API token"),
            ..never_contoso(StatusCode::UNAUTHORIZED)
        },
        ("/account-settings/api-tokens", Anonymous) => expect(StatusCode::FOUND),
        ("/account-settings/api-tokens", Allowed("global.admin@contoso.example")) => Expect {
            contains: Some(CONTOSO_TOKEN_NAME),
            ..expect(StatusCode::OK)
        },
        ("/account-settings/api-tokens", Allowed(_) | ReferralsAdmin) => Expect {
            contains: Some("Your role can"),
            ..never_contoso(StatusCode::FORBIDDEN)
        },
        ("/account-settings/api-tokens", OtherPartner) => never_contoso(StatusCode::OK),
        // Signing in through a partner's provider: how an email signs in is anyone's question
        // (no provider here: a password), and the browser stops send the browser on (after
        // sign-out, with no provider to sign out of, to the sign-in page).
        ("/api/sign_in_way", _) => Expect {
            contains: Some("Password"),
            ..expect(StatusCode::OK)
        },
        ("GET /sso/start" | "GET /sso/callback" | "GET /sso/signed-out", _) => expect(StatusCode::SEE_OTHER),
        // The provider's settings: Global admins only, each partner its own.
        ("/api/provider_settings" | "/api/save_provider" | "/api/remove_provider", Anonymous) => {
            expect(StatusCode::UNAUTHORIZED)
        }
        ("/api/save_provider", Allowed("global.admin@contoso.example") | OtherPartner) => Expect {
            contains: Some("Issuer URL"),
            ..never_contoso(StatusCode::UNPROCESSABLE_ENTITY)
        },
        (
            "/api/provider_settings" | "/api/remove_provider",
            Allowed("global.admin@contoso.example") | OtherPartner,
        ) => never_contoso(StatusCode::OK),
        (
            "/api/provider_settings" | "/api/save_provider" | "/api/remove_provider",
            Allowed(_) | ReferralsAdmin,
        ) => Expect {
            contains: Some("Your role can't change how your organisation signs in."),
            ..never_contoso(StatusCode::FORBIDDEN)
        },
        ("/account-settings/sign-in", Anonymous) => expect(StatusCode::FOUND),
        ("/account-settings/sign-in", Allowed("global.admin@contoso.example") | OtherPartner) => {
            never_contoso(StatusCode::OK)
        }
        ("/account-settings/sign-in", Allowed(_) | ReferralsAdmin) => Expect {
            contains: Some("Your role can"),
            ..never_contoso(StatusCode::FORBIDDEN)
        },
        // Log streaming: Global admins only, each partner its own destinations (Contoso's
        // destination 1 is "not found" to Fabrikam's admin; 999999 is nobody's).
        (
            "/api/stream_destinations"
            | "/api/create_stream_destination"
            | "/api/set_stream_destination_enabled"
            | "/api/delete_stream_destination"
            | "/api/rotate_stream_destination_secret"
            | "/api/send_stream_test_event",
            Anonymous,
        ) => expect(StatusCode::UNAUTHORIZED),
        (
            "/api/stream_destinations"
            | "/api/create_stream_destination"
            | "/api/set_stream_destination_enabled"
            | "/api/delete_stream_destination"
            | "/api/rotate_stream_destination_secret"
            | "/api/send_stream_test_event",
            Allowed("global.admin@contoso.example"),
        ) => match endpoint {
            "/api/stream_destinations"
            | "/api/set_stream_destination_enabled"
            | "/api/rotate_stream_destination_secret" => expect(StatusCode::OK),
            "/api/delete_stream_destination" => expect(StatusCode::NOT_FOUND),
            // Refused at its field: plain http; the test send: an inward address.
            _ => expect(StatusCode::UNPROCESSABLE_ENTITY),
        },
        ("/api/stream_destinations", OtherPartner) => Expect {
            contains: Some("[]"),
            ..never_contoso(StatusCode::OK)
        },
        ("/api/create_stream_destination", OtherPartner) => never_contoso(StatusCode::UNPROCESSABLE_ENTITY),
        (
            "/api/set_stream_destination_enabled"
            | "/api/delete_stream_destination"
            | "/api/rotate_stream_destination_secret"
            | "/api/send_stream_test_event",
            OtherPartner,
        ) => Expect {
            never: &["Contoso SIEM", "whsec_"],
            ..expect(StatusCode::NOT_FOUND)
        },
        (
            "/api/stream_destinations"
            | "/api/create_stream_destination"
            | "/api/set_stream_destination_enabled"
            | "/api/delete_stream_destination"
            | "/api/rotate_stream_destination_secret"
            | "/api/send_stream_test_event",
            Allowed(_) | ReferralsAdmin,
        ) => Expect {
            contains: Some("Your role can't change where your organisation's log is streamed"),
            ..never_contoso(StatusCode::FORBIDDEN)
        },
        ("/account-settings/log-streaming", Anonymous) => expect(StatusCode::FOUND),
        ("/account-settings/log-streaming", Allowed("global.admin@contoso.example") | OtherPartner) => {
            never_contoso(StatusCode::OK)
        }
        ("/account-settings/log-streaming", Allowed(_) | ReferralsAdmin) => Expect {
            contains: Some("Your role can"),
            ..never_contoso(StatusCode::FORBIDDEN)
        },
        ("/", _) => expect(StatusCode::FOUND),
        ("/sign-in", _) => expect(StatusCode::OK),
        ("/account-settings/activity-log" | "/customers/{id}/subscriptions", Anonymous) => {
            expect(StatusCode::FOUND)
        }
        ("/account-settings/activity-log" | "/customers/{id}/subscriptions", ReferralsAdmin) => Expect {
            contains: Some("Your role can"),
            ..never_contoso(StatusCode::FORBIDDEN)
        },
        ("/account-settings/activity-log", Allowed(_)) => expect(StatusCode::OK),
        // The page's help text names "adatum" as an example, so the page is checked for
        // Contoso's people, customers and tokens rather than for that word.
        ("/account-settings/activity-log", OtherPartner) => Expect {
            status: StatusCode::OK,
            contains: Some("Fabrikam"),
            never: &["주식회사 한빛소프트", "@contoso.example", CONTOSO_TOKEN_NAME],
        },
        ("/customers/{id}/subscriptions", Allowed(_)) => Expect {
            contains: Some("주식회사 한빛소프트"),
            ..expect(StatusCode::OK)
        },
        ("/customers/{id}/subscriptions", OtherPartner) => never_contoso(StatusCode::NOT_FOUND),
        _ => panic!("no access expectation is written for {endpoint} as {caller:?}: add it to the matrix"),
    }
}

/// Sends the one request that probes `endpoint`, with Contoso's ids and the whole demo period.
async fn probe(
    app: &TestApp,
    client: &Client,
    caller: Caller,
    endpoint: &str,
    contoso_token: i64,
) -> reqwest::Response {
    let from = rfc3339(app.now - Duration::days(366));
    let to = rfc3339(app.now + Duration::hours(1));
    let customer = CONTOSO_CUSTOMER.to_string();
    let request = match endpoint {
        // A wrong password for the caller's own account: one failure each, below the throttle.
        "/api/sign_in" => client.post(app.url(endpoint)).form(&[
            ("email", caller.email().unwrap_or("nobody@contoso.example")),
            ("password", "wrong"),
        ]),
        "/api/list_activity" | "/api/period_integrity" => client
            .post(app.url(endpoint))
            .form(&[("from", &from), ("to", &to)]),
        "/api/event_evidence" => {
            let event: i64 = app::db::on_db!(&app.db, |pool| sqlx::query_scalar(
                "SELECT MIN(id) FROM activity_events WHERE partner_id = 1"
            )
            .fetch_one(pool)
            .await)
            .unwrap();
            client
                .post(app.url(endpoint))
                .form(&[("event", event.to_string())])
        }
        "/api/create_api_token" => client
            .post(app.url(endpoint))
            .form(&[("name", "Matrix probe"), ("send_events", "on")]),
        // English, so the pages probed after it still answer in the words expected here.
        "/api/choose_language" => client.post(app.url(endpoint)).form(&[("lang", "en")]),
        "/api/save_view_preferences" => client
            .post(app.url(endpoint))
            .form(&[("columns", "time,action"), ("time_zone", "utc")]),
        "/api/revoke_api_token" => client
            .post(app.url(endpoint))
            .form(&[("id", contoso_token.to_string())]),
        "POST /api/v1/events" => client
            .post(app.url("/api/v1/events"))
            .header("content-type", "application/json")
            .body(r#"{"events":[]}"#),
        "GET /api/v1/events" => client.get(app.url("/api/v1/events")),
        "GET /api/v1/proofs/inclusion" => client
            .get(app.url("/api/v1/proofs/inclusion"))
            .query(&[("position", "1")]),
        "GET /api/v1/proofs/consistency" => client
            .get(app.url("/api/v1/proofs/consistency"))
            .query(&[("from", "1")]),
        "GET /api/v1/checkpoint" => client.get(app.url("/api/v1/checkpoint")),
        "GET /api/v1/tile/{*path}" => client.get(app.url("/api/v1/tile/0/000.p/1")),
        "GET /account-settings/activity-log/live" => client.get(app.url(app::activity::LIVE_PATH)).query(&[
            ("from", from.as_str()),
            ("to", to.as_str()),
            ("after", "0"),
        ]),
        "/api/customer_subscriptions" => client.post(app.url(endpoint)).form(&[("customer_id", &customer)]),
        "POST /account-settings/activity-log/export" => client.post(app.url(EXPORT_PATH)).form(&[
            ("from", from.as_str()),
            ("to", to.as_str()),
            ("from_date", "2025-11-25"),
            ("to_date", "2026-11-25"),
        ]),
        "/api/create_stream_destination" => client.post(app.url(endpoint)).form(&[
            ("name", "Matrix probe"),
            ("kind", "webhook"),
            ("target", "http://siem.example.com/hook"),
        ]),
        "/api/set_stream_destination_enabled" => client
            .post(app.url(endpoint))
            .form(&[("id", "1"), ("enabled", "false")]),
        "/api/rotate_stream_destination_secret" | "/api/send_stream_test_event" => {
            client.post(app.url(endpoint)).form(&[("id", "1")])
        }
        "/api/delete_stream_destination" => client.post(app.url(endpoint)).form(&[("id", "999999")]),
        "/api/sign_in_way" => client
            .post(app.url(endpoint))
            .form(&[("email", "someone@contoso.example")]),
        // Refused at its first field (an issuer must be https), after the role check.
        "/api/save_provider" => client.post(app.url(endpoint)).form(&[
            ("issuer", "http://idp.example"),
            ("client_id", "probe"),
            ("domains", "contoso.example"),
        ]),
        "GET /sso/start" => client
            .get(app.url(app::auth::sso::model::START_PATH))
            .query(&[("email", "someone@contoso.example")]),
        "GET /sso/callback" => client
            .get(app.url(app::auth::sso::model::CALLBACK_PATH))
            .query(&[("code", "probe"), ("state", "probe")]),
        "GET /sso/signed-out" => client
            .get(app.url(app::auth::sso::model::SIGNED_OUT_PATH))
            .query(&[("partner", "1")]),
        path if path.starts_with("/api/") => client.post(app.url(path)),
        "/customers/{id}/subscriptions" => {
            client.get(app.url(&format!("/customers/{customer}/subscriptions")))
        }
        path => client.get(app.url(path)),
    };
    request
        .header(
            "accept",
            if endpoint.contains("/api/") {
                "application/json"
            } else {
                "text/html"
            },
        )
        .send()
        .await
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_endpoint_answers_every_caller_as_written() {
    let app = spawn_app().await;
    // Contoso's log streaming destination 1, pointing where no test send may go.
    let stream = app::streaming::store::create(
        &app.db,
        app::ids::PartnerId(1),
        app::ids::UserId(1),
        &app::streaming::store::NewDestination {
            name: "Contoso SIEM",
            kind: app::streaming::model::DestinationKind::Webhook,
            target: "https://192.0.2.10/hook",
            ca_pem: "",
            filter: "",
            language: "en",
            secret: "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw",
            from_position: 0,
        },
    )
    .await
    .unwrap();
    assert_eq!(stream, 1);
    let (contoso_token, _) = app::api_tokens::store::create(
        &app.db,
        app::ids::PartnerId(1),
        app::ids::UserId(1),
        CONTOSO_TOKEN_NAME,
        &[app::api_tokens::model::TokenScope::WriteEvents],
    )
    .await
    .unwrap();
    let mut endpoints: Vec<String> = server_fn_paths().map(|(path, _)| path.to_string()).collect();
    endpoints.extend(
        generate_route_list(app::App)
            .iter()
            .map(|route| route.path().to_string()),
    );
    endpoints.extend(server::startup::handler_routes());
    endpoints.sort();
    endpoints.dedup();
    // Signing out ends the caller's session, so it is probed last.
    endpoints.sort_by_key(|endpoint| endpoint == "/api/sign_out");
    // Exactly the endpoints the README's Security table counts: a new one changes both.
    assert_eq!(endpoints.len(), 41, "{endpoints:?}");

    let mut cells = 0;
    for caller in CALLERS {
        let client = match caller.email() {
            Some(email) => {
                let client = client();
                let response = app.sign_in(&client, email, PASSWORD).await;
                assert!(response.status().is_success(), "sign-in of {email}");
                client
            }
            None => client(),
        };
        for endpoint in &endpoints {
            let expected = expectation(endpoint, caller);
            let response = probe(&app, &client, caller, endpoint, contoso_token).await;
            let status = response.status();
            let body = first_of(response).await;
            assert_eq!(status, expected.status, "{endpoint} as {caller:?}: {body:.300}");
            if let Some(text) = expected.contains {
                assert!(
                    body.contains(text),
                    "{endpoint} as {caller:?} lacks {text:?}: {body:.300}"
                );
            }
            for leak in expected.never {
                assert!(!body.contains(leak), "{endpoint} as {caller:?} leaked {leak:?}");
            }
            cells += 1;
        }
    }
    println!(
        "access matrix: {} endpoints × {} callers = {cells} cells",
        endpoints.len(),
        CALLERS.len()
    );
    assert_eq!(cells, endpoints.len() * CALLERS.len());
}

/// A response's body; of a stream that never ends (the live log), its first message.
async fn first_of(mut response: reqwest::Response) -> String {
    let streaming = response
        .headers()
        .get("content-type")
        .is_some_and(|kind| kind.as_bytes().starts_with(b"text/event-stream"));
    if !streaming {
        return response.text().await.unwrap();
    }
    let mut body = Vec::new();
    while !body.windows(2).any(|pair| pair == b"\n\n") {
        match tokio::time::timeout(std::time::Duration::from_secs(5), response.chunk()).await {
            Ok(Ok(Some(chunk))) => body.extend_from_slice(&chunk),
            _ => break,
        }
    }
    String::from_utf8_lossy(&body).into_owned()
}

/// The events API as every kind of token: each does what its scopes allow, nothing more,
/// and only in its own partner's log.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_events_api_does_only_what_a_tokens_scopes_allow() {
    use app::api_tokens::model::TokenScope::{ReadEvents, WriteEvents};
    let app = spawn_app().await;
    let write = app.token_with(1, &[WriteEvents]).await;
    let read = app.token_with(1, &[ReadEvents]).await;
    let both = app.token_with(1, &[WriteEvents, ReadEvents]).await;
    let fabrikam = app.token_with(2, &[WriteEvents, ReadEvents]).await;
    let revoked = app.token_with(1, &[WriteEvents, ReadEvents]).await;
    app::db::on_db!(&app.db, |pool| sqlx::query(
        "UPDATE api_tokens SET revoked_at = '2026-01-01T00:00:00Z' WHERE token_prefix = $1"
    )
    .bind(&revoked[..12])
    .execute(pool)
    .await
    .map(|done| done.rows_affected()))
    .unwrap();
    let none = String::new();
    let (ok, unauthorized, forbidden) = (StatusCode::OK, StatusCode::UNAUTHORIZED, StatusCode::FORBIDDEN);
    // (token, GET, POST)
    let rows = [
        ("none", &none, unauthorized, unauthorized),
        ("events:write", &write, forbidden, ok),
        ("events:read", &read, ok, forbidden),
        ("both", &both, ok, ok),
        ("revoked", &revoked, unauthorized, unauthorized),
        ("Fabrikam's", &fabrikam, ok, ok),
    ];
    for (number, (name, token, get_status, post_status)) in rows.into_iter().enumerate() {
        let authorize = |request: reqwest::RequestBuilder| {
            if token.is_empty() {
                request
            } else {
                request.bearer_auth(token)
            }
        };
        let got = authorize(
            client()
                .get(app.url("/api/v1/events"))
                .query(&[("limit", "1000")]),
        )
        .send()
        .await
        .unwrap();
        let status = got.status();
        let body = got.text().await.unwrap();
        assert_eq!(status, get_status, "GET as {name}: {body:.300}");
        if status == forbidden {
            assert!(body.contains("lacks the events:read scope"), "{body}");
        }
        if name == "Fabrikam's" {
            assert!(
                !CONTOSO_ONLY.iter().any(|leak| body.contains(leak)),
                "Fabrikam read Contoso's events"
            );
        }
        // Fabrikam's user and customer for its own token, Contoso's for the others.
        let (user, customer) = if name == "Fabrikam's" {
            ("global.admin@fabrikam.example", 13)
        } else {
            ("global.admin@contoso.example", CONTOSO_CUSTOMER)
        };
        let batch = serde_json::json!({"events": [{
            "id": format!("scope-probe-{number}"), "occurred_at": rfc3339(app.now),
            "customer_id": customer, "partner_user": user, "action": "reset_user_password",
            "details": {"type": "password_reset", "user_principal_name": "megan@adatum.example"}
        }]});
        let posted = authorize(client().post(app.url("/api/v1/events")).json(&batch))
            .send()
            .await
            .unwrap();
        let status = posted.status();
        let body = posted.text().await.unwrap();
        assert_eq!(status, post_status, "POST as {name}: {body:.300}");
        if status == forbidden {
            assert!(body.contains("lacks the events:write scope"), "{body}");
        }
    }
    let stored = app
        .count("SELECT COUNT(*) FROM activity_events WHERE external_id LIKE 'scope-probe-%'")
        .await;
    assert_eq!(stored, 3, "only the write-scoped tokens stored");
}
