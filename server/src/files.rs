//! What answers a request no route takes: a file of the site (`site_root`: the wasm, JS, CSS,
//! icons), else the not-found page.
//!
//! Ours rather than leptos_axum's `file_and_error_handler`: that one gives each file answer a
//! child of whatever Leptos owner the worker thread holds and applies that owner's response
//! options, so a page being rendered on the same thread lost its headers (its nonce policy:
//! the page never hydrated; a `Set-Cookie` would go to another client) to a file fetched by
//! someone else. Here files never touch Leptos, and the not-found page is rendered like every
//! page, under a root owner of its own.

use std::convert::Infallible;

use app::state::AppState;
use axum::extract::Request;
use axum::response::{IntoResponse, Response};
use leptos::prelude::{LeptosOptions, provide_context};
use tower::{Service, service_fn};
use tower_http::services::ServeDir;

/// The router's fallback: a file of the site, with precompressed br/gzip and conditional and
/// range requests; anything else, by any method, the not-found page with a 404.
pub fn file_or_not_found(
    options: LeptosOptions,
    app_state: AppState,
) -> impl Service<Request, Response: IntoResponse, Error = Infallible, Future: Send + 'static>
+ Clone
+ Send
+ Sync
+ 'static {
    let site_root = options.site_root.to_string();
    let not_found = service_fn(move |request: Request| {
        let (options, app_state) = (options.clone(), app_state.clone());
        async move { Ok::<_, Infallible>(not_found_page(options, app_state, request).await) }
    });
    ServeDir::new(site_root)
        .precompressed_br()
        .precompressed_gzip()
        .call_fallback_on_method_not_allowed(true)
        .not_found_service(not_found)
}

async fn not_found_page(options: LeptosOptions, app_state: AppState, request: Request) -> Response {
    let context = move || provide_context(app_state.clone());
    let render = leptos_axum::render_app_async_with_context(context, move || app::shell(options.clone()));
    render(request).await
}

#[cfg(test)]
mod tests {
    use axum::body::Body;
    use axum::http::header::{CONTENT_SECURITY_POLICY, IF_MODIFIED_SINCE, LAST_MODIFIED, SET_COOKIE};
    use axum::http::{HeaderValue, Request, StatusCode};
    use leptos::prelude::{LeptosOptions, Owner, provide_context};
    use leptos_axum::ResponseOptions;
    use tower::ServiceExt;

    use crate::startup::{ServerState, router};

    /// The router over an empty SQLite file, serving `site_root`.
    async fn router_serving(site_root: &std::path::Path) -> axum::Router {
        let pool = app::db::connect(app::db::Database::SqliteFile(site_root.join("test.sqlite")))
            .await
            .unwrap();
        let sessions = app::state::SessionSettings {
            lifetime: chrono::Duration::hours(8),
            idle_timeout: chrono::Duration::minutes(30),
            secure_cookie: false,
        };
        let key = ed25519_dalek::SigningKey::from_bytes(&[7; 32]).verifying_key();
        let leptos_options = LeptosOptions::builder()
            .output_name("activity-log")
            .site_root(site_root.to_string_lossy().into_owned())
            .build();
        router(ServerState {
            leptos_options,
            app: app::state::AppState::new(pool, sessions, app::state::Limits::default(), key),
        })
    }

    /// Leptos keeps the owner of the code it runs in a thread-local. A page being rendered on
    /// the same worker thread (seen in the wild: about 1 load in 150 of the log page right
    /// after sign-in) must lend nothing to a file or not-found answer, and lose nothing to it:
    /// leptos_axum's file handler took that page's headers (its nonce policy, a `Set-Cookie`)
    /// into the file's response, and the page went out with neither.
    #[tokio::test(flavor = "current_thread")]
    async fn a_file_or_not_found_answer_takes_no_headers_from_a_page_rendered_on_its_thread() {
        let site = tempfile::tempdir().unwrap();
        std::fs::write(site.path().join("robots.txt"), "User-agent: *\n").unwrap();
        let router = router_serving(site.path()).await;

        let page = Owner::new_root(None);
        let page_response = ResponseOptions::default();
        page.with(|| provide_context(page_response.clone()));
        page_response.insert_header(
            SET_COOKIE,
            HeaderValue::from_static("activity_log_session=victim"),
        );
        page_response.insert_header(
            CONTENT_SECURITY_POLICY,
            HeaderValue::from_static("script-src 'nonce-page'"),
        );
        page.set();

        for (path, status) in [
            ("/robots.txt", StatusCode::OK),
            ("/no-such-file.js", StatusCode::NOT_FOUND),
        ] {
            let request = Request::get(path).body(Body::empty()).unwrap();
            let response = router.clone().oneshot(request).await.unwrap();
            assert_eq!(response.status(), status, "{path}");
            assert!(
                response.headers().get(SET_COOKIE).is_none(),
                "{path} took the page's cookie"
            );
            let policy = response.headers()[CONTENT_SECURITY_POLICY]
                .to_str()
                .unwrap()
                .to_owned();
            assert!(
                !policy.contains("nonce-page"),
                "{path} took the page's policy: {policy}"
            );
            let body = axum::body::to_bytes(response.into_body(), 1 << 20).await.unwrap();
            let body = String::from_utf8_lossy(&body);
            if status == StatusCode::OK {
                assert_eq!(body, "User-agent: *\n");
            } else {
                // The not-found page, with a nonce policy of its own that its scripts carry.
                let nonce = policy
                    .split("'nonce-")
                    .nth(1)
                    .and_then(|rest| rest.split('\'').next());
                let nonce = nonce.unwrap_or_else(|| panic!("{path}: no nonce in {policy}"));
                assert!(
                    body.contains(&format!("nonce=\"{nonce}\"")),
                    "{path}: scripts without the nonce"
                );
                assert!(body.contains("Page not found"), "{path}: {body}");
            }
        }
        // Any other method gets the not-found page too; a file asked for again, a 304.
        let request = Request::post("/no-such-page").body(Body::empty()).unwrap();
        let response = router.clone().oneshot(request).await.unwrap();
        assert_eq!(response.status(), StatusCode::NOT_FOUND);
        let body = axum::body::to_bytes(response.into_body(), 1 << 20).await.unwrap();
        assert!(String::from_utf8_lossy(&body).contains("Page not found"));
        let request = Request::get("/robots.txt").body(Body::empty()).unwrap();
        let response = router.clone().oneshot(request).await.unwrap();
        let modified = response.headers()[LAST_MODIFIED].clone();
        let request = Request::get("/robots.txt")
            .header(IF_MODIFIED_SINCE, modified)
            .body(Body::empty())
            .unwrap();
        let response = router.clone().oneshot(request).await.unwrap();
        assert_eq!(response.status(), StatusCode::NOT_MODIFIED);

        let kept = page_response.0.read().unwrap().headers.clone();
        assert_eq!(kept[SET_COOKIE], "activity_log_session=victim");
        assert_eq!(kept[CONTENT_SECURITY_POLICY], "script-src 'nonce-page'");
    }
}
