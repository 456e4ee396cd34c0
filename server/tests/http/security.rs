//! Headers on every response, cross-site refusal, no GET for server functions, body limit.

use reqwest::StatusCode;

use crate::support::{PASSWORD, client, spawn_app};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_response_carries_the_security_headers() {
    let app = spawn_app().await;
    for (method, path) in [
        ("GET", "/sign-in"),
        ("GET", "/no-such-page"),
        ("POST", "/api/list_activity"),
        ("POST", "/api/demo_accounts"),
        ("POST", "/account-settings/activity-log/export"),
        ("POST", "/api/v1/events"),
    ] {
        let request = if method == "GET" {
            client().get(app.url(path))
        } else {
            client().post(app.url(path))
        };
        let response = request.send().await.unwrap();
        let headers = response.headers();
        assert_eq!(headers["x-content-type-options"], "nosniff", "{path}");
        assert_eq!(headers["referrer-policy"], "same-origin", "{path}");
        assert_eq!(headers["x-frame-options"], "DENY", "{path}");
        let policy = headers["content-security-policy"].to_str().unwrap();
        assert!(policy.contains("frame-ancestors 'none'"), "{path}: {policy}");
        assert!(policy.contains("'wasm-unsafe-eval'"), "{path}: {policy}");
        assert!(!policy.contains("'unsafe-inline'"), "{path}: {policy}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_page_allows_only_its_own_inline_scripts_by_nonce() {
    let app = spawn_app().await;
    let first = client().get(app.url("/sign-in")).send().await.unwrap();
    let policy = first.headers()["content-security-policy"]
        .to_str()
        .unwrap()
        .to_string();
    let nonce = policy
        .split("'nonce-")
        .nth(1)
        .and_then(|rest| rest.split('\'').next())
        .expect("a nonce")
        .to_string();
    let html = first.text().await.unwrap();
    assert!(
        html.contains(&format!("nonce=\"{nonce}\"")),
        "the hydration script carries the nonce"
    );
    let second = client().get(app.url("/sign-in")).send().await.unwrap();
    let other = second.headers()["content-security-policy"].to_str().unwrap();
    assert!(!other.contains(&nonce), "a fresh nonce per response");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cross_site_posts_are_refused() {
    let app = spawn_app().await;
    let response = client()
        .post(app.url("/api/sign_in"))
        .header("origin", "https://evil.example")
        .form(&[("email", "global.admin@contoso.example"), ("password", PASSWORD)])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::FORBIDDEN);
    assert!(response.headers().get("set-cookie").is_none());
    let response = client()
        .post(app.url("/account-settings/activity-log/export"))
        .header("sec-fetch-site", "cross-site")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::FORBIDDEN);
    assert_eq!(response.text().await.unwrap(), "Cross-site requests are refused.");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn server_functions_are_not_reachable_by_get() {
    let app = spawn_app().await;
    // Every registered server function and every plain handler that only takes POST, read
    // from the code (the events API answers GET on purpose: it reads).
    let handlers = server::startup::handler_routes();
    let post_only = handlers.iter().filter_map(|route| {
        let path = route.strip_prefix("POST ")?;
        (!handlers.contains(&format!("GET {path}"))).then(|| path.to_string())
    });
    let paths: Vec<String> = leptos::server_fn::axum::server_fn_paths()
        .map(|(path, _)| path.to_string())
        .chain(post_only)
        .collect();
    assert!(paths.len() >= 13, "{paths:?}");
    for path in &paths {
        let response = client().get(app.url(path)).send().await.unwrap();
        assert_eq!(response.status(), StatusCode::METHOD_NOT_ALLOWED, "{path}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bodies_over_the_limit_are_refused() {
    let app = spawn_app().await;
    let huge = "x".repeat(server::security::BODY_LIMIT_BYTES + 1);
    let response = client()
        .post(app.url("/api/sign_in"))
        .form(&[("email", huge.as_str()), ("password", "x")])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::PAYLOAD_TOO_LARGE);
}
