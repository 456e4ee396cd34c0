//! The Content-Security-Policy of rendered pages: scripts only from this site or carrying the
//! page's nonce (Leptos puts it on the hydration script), wasm allowed to compile, nothing
//! framed, no plugins, forms posting only here.

use http::HeaderValue;
use http::header::CONTENT_SECURITY_POLICY;
use leptos::nonce::{provide_nonce, use_nonce};
use leptos::prelude::use_context;

/// The policy of a page whose inline scripts carry `nonce`.
pub fn page_policy(nonce: &str) -> String {
    format!(
        "default-src 'self'; script-src 'self' 'nonce-{nonce}' 'wasm-unsafe-eval'; \
         style-src 'self'; img-src 'self' data:; connect-src 'self'; object-src 'none'; \
         base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
    )
}

/// Gives the page being rendered a fresh nonce and sends the matching policy.
/// Must run before `HydrationScripts` renders, i.e. at the top of the shell.
pub fn provide_page_policy() {
    provide_nonce();
    let (Some(nonce), Some(response)) = (use_nonce(), use_context::<leptos_axum::ResponseOptions>()) else {
        return;
    };
    if let Ok(value) = HeaderValue::from_str(&page_policy(&nonce)) {
        response.insert_header(CONTENT_SECURITY_POLICY, value);
    }
}
