//! The frame every page shares: the header with Account settings, the signed-in user and
//! sign-out, and the gate that lets only the activity-log roles through.

use http::StatusCode;
use leptos::prelude::*;
use leptos::server::codee::string::JsonSerdeWasmCodec;
use leptos::server_fn::ServerFn;
use leptos_router::components::{A, Redirect};

use crate::auth::api::{SignOut, get_viewer};
use crate::auth::model::{MANAGE_LOG_STREAMING, MANAGE_SIGN_IN, Permission, Viewer};
use crate::errors::{AppError, set_response_error, set_response_status};
use crate::i18n::{Locale, use_locale};

pub type ViewerResource = Resource<Result<Option<Viewer>, AppError>, JsonSerdeWasmCodec>;

/// Created once by `App`; every page reads the signed-in user from it.
pub fn provide_viewer() {
    let viewer: ViewerResource = Resource::new_serde_wb_blocking(|| (), |_| get_viewer());
    provide_context(viewer);
}

pub fn use_viewer() -> ViewerResource {
    expect_context::<ViewerResource>()
}

#[component]
pub fn AppHeader() -> impl IntoView {
    let viewer = use_viewer();
    let l = use_locale();
    view! {
        <header class="app-header">
            <a class="skip-link" href="#main">{tr!(l, layout.skip_to_content)}</a>
            <a class="brand" href="/">"Partner Center"</a>
            <LanguageSwitch/>
            <Suspense fallback=|| ()>
                {move || Suspend::new(async move {
                    match viewer.await {
                        Ok(Some(viewer)) => {
                            view! {
                                <nav class="main-nav" aria-label=tr!(l, layout.main)>
                                    <details class="menu">
                                        <summary>{tr!(l, layout.account_settings)}</summary>
                                        <ul role="list">
                                            <li>
                                                <A href="/account-settings/activity-log">{tr!(l, layout.activity_log)}</A>
                                            </li>
                                            {viewer.role.can_manage_api_tokens().then(|| view! {
                                                <li>
                                                    <A href="/account-settings/api-tokens">{tr!(l, layout.api_tokens)}</A>
                                                </li>
                                            })}
                                            {(MANAGE_SIGN_IN.allows)(viewer.role).then(|| view! {
                                                <li>
                                                    <A href="/account-settings/sign-in">{tr!(l, sso.title)}</A>
                                                </li>
                                            })}
                                            {(MANAGE_LOG_STREAMING.allows)(viewer.role).then(|| view! {
                                                <li>
                                                    <A href="/account-settings/log-streaming">{tr!(l, streaming.title)}</A>
                                                </li>
                                            })}
                                        </ul>
                                    </details>
                                </nav>
                                <div class="who">
                                    <span class="who-name">{viewer.display_name}</span>
                                    <span class="who-detail">
                                        {viewer.role.label_in(l)} " · " {viewer.partner_name}
                                    </span>
                                </div>
                                // A plain form: signing out loads the sign-in page in full
                                // anyway, and an `ActionForm` would put a URL-encoded form
                                // parser in the wasm every page hydrates with.
                                <form method="post" action=SignOut::url() class="sign-out">
                                    <button type="submit" class="link-button">{tr!(l, layout.sign_out)}</button>
                                </form>
                            }
                                .into_any()
                        }
                        _ => ().into_any(),
                    }
                })}
            </Suspense>
        </header>
    }
}

/// Renders `render(viewer)` for a signed-in user whose role `permission` allows; sends
/// anyone else to sign in, or explains that their role can't (with a real 403).
#[component]
pub fn RequireRole(permission: Permission, render: fn(Viewer) -> AnyView) -> impl IntoView {
    let viewer = use_viewer();
    let l = use_locale();
    view! {
        <Suspense fallback=move || view! { <p class="status">{tr!(l, layout.loading)}</p> }>
            {move || Suspend::new(async move {
                match viewer.await {
                    Ok(Some(viewer)) if (permission.allows)(viewer.role) => render(viewer),
                    Ok(Some(viewer)) => {
                        set_response_status(StatusCode::FORBIDDEN);
                        view! { <RoleRefused viewer permission/> }.into_any()
                    }
                    Ok(None) => view! { <Redirect path="/sign-in"/> }.into_any(),
                    Err(error) => {
                        set_response_error(&error);
                        view! { <p class="error" role="alert">{error.message_in(l)}</p> }.into_any()
                    }
                }
            })}
        </Suspense>
    }
}

#[component]
fn RoleRefused(viewer: Viewer, permission: Permission) -> impl IntoView {
    let l = use_locale();
    view! {
        <section class="refused">
            <h1>{(permission.refused)(l)}</h1>
            <p>
                {tr!(l, roles.signed_in_as)} <strong>{viewer.email.to_string()}</strong> " (" {viewer.role.label_in(l)}
                {tr!(l, roles.signed_in_as_end)} {(permission.who_can)(l)}
            </p>
            <p>{tr!(l, roles.ask_admin, partner = viewer.partner_name)}</p>
        </section>
    }
}

/// "Account settings / <current>", above each settings page's title.
#[component]
pub fn SettingsBreadcrumb(current: &'static str) -> impl IntoView {
    let l = use_locale();
    view! {
        <nav class="breadcrumb" aria-label=tr!(l, layout.breadcrumb)>
            <span>{tr!(l, layout.account_settings)}</span>
            " / "
            <span aria-current="page">{current}</span>
        </nav>
    }
}

#[component]
pub fn NotFoundPage() -> impl IntoView {
    set_response_status(StatusCode::NOT_FOUND);
    let l = use_locale();
    view! {
        <section class="not-found">
            <h1>{tr!(l, layout.page_not_found)}</h1>
            <p>
                {tr!(l, layout.there_is_nothing_at_this)}
                <a href="/account-settings/activity-log">{tr!(l, layout.activity_log)}</a>
                {tr!(l, layout.go_to_end)}
            </p>
        </section>
    }
}

/// Saves `locale` as the user's language and shows the page again in it.
fn switch_to(locale: Locale) {
    leptos::task::spawn_local(async move {
        if crate::auth::api::choose_language(locale.tag().to_string())
            .await
            .is_ok()
        {
            #[cfg(feature = "hydrate")]
            if let Some(window) = web_sys::window() {
                let _ = window.location().reload();
            }
        }
    });
}

/// English | 한국어, in the header of every page.
#[component]
fn LanguageSwitch() -> impl IntoView {
    let current = use_locale();
    view! {
        <div class="language-switch" role="group" aria-label=tr!(current, layout.language)>
            {Locale::ALL
                .into_iter()
                .map(|locale| {
                    view! {
                        <button
                            type="button"
                            class="link-button"
                            lang=locale.tag()
                            aria-pressed=(locale == current).to_string()
                            on:click=move |_| {
                                if locale != current {
                                    switch_to(locale);
                                }
                            }
                        >
                            {locale.native_name()}
                        </button>
                    }
                })
                .collect_view()}
        </div>
    }
}
