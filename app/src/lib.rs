#![recursion_limit = "256"]
//! The partner activity log: shared types, pages and server functions.
//! Each area keeps its model, server functions, queries and page together:
//! `activity` (the log itself), `customers` (Subscriptions page), `auth` (sign-in, sessions),
//! `integrity` (hash chain, checkpoints, verify), `ingest` (events from other systems),
//! `read_api` (the log read by other systems), `api_tokens` (the tokens those systems use),
//! `sign_in_settings` (the partner's own identity provider; its sign-in is `auth::sso`).

// First, so its `tr!` macro is in scope in every module after it (textually; it is not
// exported, so nothing reaches it through the crate root).
#[macro_use]
pub mod i18n;

pub mod activity;
pub mod api_tokens;
pub mod auth;
pub mod browser_json;
pub mod customers;
pub mod errors;
pub mod events;
pub mod ids;
#[cfg(feature = "ssr")]
pub mod ingest;
pub mod integrity;
pub mod layout;
pub mod preferences;
#[cfg(feature = "ssr")]
pub mod read_api;
pub mod sign_in_settings;
pub mod streaming;

#[cfg(feature = "ssr")]
pub mod csp;
#[cfg(feature = "ssr")]
pub mod db;
#[cfg(feature = "ssr")]
pub mod digest;
#[cfg(feature = "ssr")]
pub mod event_table;
#[cfg(feature = "ssr")]
pub mod locks;
#[cfg(feature = "ssr")]
pub mod partners;
#[cfg(feature = "ssr")]
pub mod password;
#[cfg(feature = "ssr")]
pub mod sqlite_reads;
#[cfg(feature = "ssr")]
pub mod state;

use leptos::prelude::*;
use leptos_meta::{MetaTags, Stylesheet, Title, provide_meta_context};
use leptos_router::components::{Redirect, Route, Router, Routes};
use leptos_router::{Lazy, SsrMode, path};

use activity::page::ActivityLogPage;
use api_tokens::page::ApiTokensRoute;
use auth::api::AFTER_SIGN_IN;
use auth::page::SignInRoute;
use customers::page::SubscriptionsRoute;
use layout::{AppHeader, NotFoundPage, provide_viewer};
use sign_in_settings::page::SignInSettingsRoute;
use streaming::page::LogStreamingRoute;

/// The HTML document the server renders around [`App`].
pub fn shell(options: LeptosOptions) -> impl IntoView {
    #[cfg(feature = "ssr")]
    csp::provide_page_policy();
    let lang = i18n::initial_locale().tag();
    view! {
        <!DOCTYPE html>
        <html lang=lang>
            <head>
                <meta charset="utf-8"/>
                <meta name="viewport" content="width=device-width, initial-scale=1"/>
                <meta name="color-scheme" content="light dark"/>
                <link rel="icon" href="/favicon.ico" sizes="16x16 32x32 48x48"/>
                <link rel="icon" href="/favicon.svg" type="image/svg+xml"/>
                <link rel="apple-touch-icon" href="/apple-touch-icon.png"/>
                <AutoReload options=options.clone()/>
                <HydrationScripts options/>
                <MetaTags/>
            </head>
            <body>
                <App/>
            </body>
        </html>
    }
}

#[component]
pub fn App() -> impl IntoView {
    provide_meta_context();
    i18n::provide_locale();
    provide_viewer();
    view! {
        <Stylesheet id="leptos" href="/pkg/activity-log.css"/>
        <Title text=tr!(i18n::use_locale(), app.activity_log_partner_center)/>
        <Router>
            <AppHeader/>
            <main id="main">
                // Async rendering waits for the data, so a refused or missing page is a real
                // 403/404 and a signed-out visitor gets a real redirect.
                <Routes fallback=|| view! { <NotFoundPage/> }>
                    <Route path=path!("/") view=|| view! { <Redirect path=AFTER_SIGN_IN/> }/>
                    <Route path=path!("/sign-in") view={Lazy::<SignInRoute>::new()}/>
                    <Route path=path!("/account-settings/activity-log") view=ActivityLogPage ssr=SsrMode::Async/>
                    <Route path=path!("/account-settings/api-tokens") view={Lazy::<ApiTokensRoute>::new()} ssr=SsrMode::Async/>
                    <Route path=path!("/account-settings/sign-in") view={Lazy::<SignInSettingsRoute>::new()} ssr=SsrMode::Async/>
                    <Route path=path!("/account-settings/log-streaming") view={Lazy::<LogStreamingRoute>::new()} ssr=SsrMode::Async/>
                    <Route path=path!("/customers/:id/subscriptions") view={Lazy::<SubscriptionsRoute>::new()} ssr=SsrMode::Async/>
                </Routes>
            </main>
        </Router>
    }
}

/// After sign-in and sign-out, load the next page in full so every part of it (the header
/// too) is rendered for the new session.
#[cfg(feature = "hydrate")]
pub fn use_full_page_redirects() {
    let _ = leptos::server_fn::redirect::set_redirect_hook(|location: &str| {
        if let Some(window) = web_sys::window() {
            let _ = window.location().set_href(location);
        }
    });
}

/// Marks `<body data-hydrated>` once the page is interactive; browser tests wait for it.
#[cfg(feature = "hydrate")]
pub fn mark_hydrated() {
    if let Some(body) = web_sys::window()
        .and_then(|window| window.document())
        .and_then(|document| document.body())
    {
        let _ = body.set_attribute("data-hydrated", "true");
    }
}
