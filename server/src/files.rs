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
use std::path::Path;

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

/// Removes each precompressed sibling (`X.br`, `X.gz`, written by `scripts/precompress.mjs`)
/// whose file `X` is gone or newer than it. cargo-leptos starts the site afresh on each
/// build, but a site updated by other means (files copied over an older release) would keep
/// siblings of the old files, and a browser taking br or gzip would be sent the old code:
/// its wasm no longer matches the new JS, and the page never hydrates. Returns how many
/// went; a site root the server may not write to is left as it is, with a warning.
pub fn remove_stale_precompressed(site_root: &Path) -> usize {
    let mut removed = 0;
    let mut folders = vec![site_root.to_path_buf()];
    while let Some(folder) = folders.pop() {
        let Ok(entries) = std::fs::read_dir(&folder) else {
            continue;
        };
        for entry in entries.flatten() {
            let path = entry.path();
            if entry.file_type().is_ok_and(|kind| kind.is_dir()) {
                folders.push(path);
                continue;
            }
            let is_sibling = matches!(path.extension().and_then(|e| e.to_str()), Some("br" | "gz"));
            if !is_sibling {
                continue;
            }
            let modified = |path: &Path| std::fs::metadata(path).and_then(|meta| meta.modified()).ok();
            let stale = match (modified(&path.with_extension("")), modified(&path)) {
                (Some(file), Some(sibling)) => file > sibling,
                (None, _) => true,
                (Some(_), None) => false,
            };
            if !stale {
                continue;
            }
            match std::fs::remove_file(&path) {
                Ok(()) => removed += 1,
                Err(error) => eprintln!(
                    "warning: {} is older than its file and stays: {error}",
                    path.display()
                ),
            }
        }
    }
    removed
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

    /// A sibling older than its file (a debug build after a release one) or without one is
    /// removed; a fresh one stays, and the file is then sent compressed.
    #[tokio::test(flavor = "current_thread")]
    async fn stale_precompressed_siblings_are_removed_and_fresh_ones_sent() {
        use std::time::{Duration, SystemTime};
        let site = tempfile::tempdir().unwrap();
        let pkg = site.path().join("pkg");
        std::fs::create_dir(&pkg).unwrap();
        let write = |name: &str, bytes: &[u8], age_seconds: u64| {
            let path = pkg.join(name);
            std::fs::write(&path, bytes).unwrap();
            let when = SystemTime::now() - Duration::from_secs(age_seconds);
            std::fs::File::options()
                .write(true)
                .open(&path)
                .unwrap()
                .set_modified(when)
                .unwrap();
        };
        write("fresh.js", b"fresh();", 60);
        write("fresh.js.gz", b"fresh gzip", 30);
        write("rebuilt.wasm", b"new wasm", 10);
        write("rebuilt.wasm.br", b"old brotli", 60);
        write("rebuilt.wasm.gz", b"old gzip", 60);
        write("gone.js.gz", b"orphan", 60);

        assert_eq!(super::remove_stale_precompressed(site.path()), 3);
        let mut left: Vec<_> = std::fs::read_dir(&pkg)
            .unwrap()
            .map(|entry| entry.unwrap().file_name().into_string().unwrap())
            .collect();
        left.sort();
        assert_eq!(left, ["fresh.js", "fresh.js.gz", "rebuilt.wasm"]);

        let router = router_serving(site.path()).await;
        for (path, encoding, body) in [
            ("/pkg/fresh.js", Some("gzip"), "fresh gzip"),
            ("/pkg/rebuilt.wasm", None, "new wasm"),
        ] {
            let request = Request::get(path)
                .header("accept-encoding", "gzip, br")
                .body(Body::empty())
                .unwrap();
            let response = router.clone().oneshot(request).await.unwrap();
            assert_eq!(response.status(), StatusCode::OK, "{path}");
            let sent = response
                .headers()
                .get("content-encoding")
                .map(|v| v.to_str().unwrap().to_owned());
            assert_eq!(sent.as_deref(), encoding, "{path}");
            let bytes = axum::body::to_bytes(response.into_body(), 1 << 20).await.unwrap();
            assert_eq!(bytes, body.as_bytes(), "{path}");
        }
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
