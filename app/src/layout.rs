//! The frame every page shares: the header with Account settings, the signed-in user and
//! sign-out, and the gate that lets only the activity-log roles through.

use http::StatusCode;
use leptos::prelude::*;
use leptos_router::components::{A, Redirect};

use crate::auth::api::{SignOut, get_viewer};
use crate::auth::model::{Permission, Viewer};
use crate::errors::{AppError, set_response_status};

pub type ViewerResource = Resource<Result<Option<Viewer>, AppError>>;

/// Created once by `App`; every page reads the signed-in user from it.
pub fn provide_viewer() {
    let viewer: ViewerResource = Resource::new_blocking(|| (), |_| get_viewer());
    provide_context(viewer);
}

pub fn use_viewer() -> ViewerResource {
    expect_context::<ViewerResource>()
}

#[component]
pub fn AppHeader() -> impl IntoView {
    let viewer = use_viewer();
    let sign_out = ServerAction::<SignOut>::new();
    view! {
        <header class="app-header">
            <a class="brand" href="/">"Partner Center"</a>
            <Suspense fallback=|| ()>
                {move || Suspend::new(async move {
                    match viewer.await {
                        Ok(Some(viewer)) => {
                            view! {
                                <nav class="main-nav" aria-label="Main">
                                    <details class="menu">
                                        <summary>"Account settings"</summary>
                                        <ul role="list">
                                            <li>
                                                <A href="/account-settings/activity-log">"Activity log"</A>
                                            </li>
                                            {viewer.role.can_manage_api_tokens().then(|| view! {
                                                <li>
                                                    <A href="/account-settings/api-tokens">"API tokens"</A>
                                                </li>
                                            })}
                                        </ul>
                                    </details>
                                </nav>
                                <div class="who">
                                    <span class="who-name">{viewer.display_name}</span>
                                    <span class="who-detail">
                                        {viewer.role.label()} " · " {viewer.partner_name}
                                    </span>
                                </div>
                                <ActionForm action=sign_out attr:class="sign-out">
                                    <button type="submit" class="link-button">"Sign out"</button>
                                </ActionForm>
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
    view! {
        <Suspense fallback=|| view! { <p class="status">"Loading…"</p> }>
            {move || Suspend::new(async move {
                match viewer.await {
                    Ok(Some(viewer)) if (permission.allows)(viewer.role) => render(viewer),
                    Ok(Some(viewer)) => {
                        set_response_status(StatusCode::FORBIDDEN);
                        view! { <RoleRefused viewer permission/> }.into_any()
                    }
                    Ok(None) => view! { <Redirect path="/sign-in"/> }.into_any(),
                    Err(error) => view! { <p class="error" role="alert">{error.to_string()}</p> }.into_any(),
                }
            })}
        </Suspense>
    }
}

#[component]
fn RoleRefused(viewer: Viewer, permission: Permission) -> impl IntoView {
    view! {
        <section class="refused">
            <h1>"Your role can't " {permission.action}</h1>
            <p>
                "You are signed in as " <strong>{viewer.email}</strong> " (" {viewer.role.label()}
                "). Only " {permission.allowed_roles} " can " {permission.action} "."
            </p>
            <p>"Ask a Global admin of " {viewer.partner_name} " to change your role if you need it."</p>
        </section>
    }
}

/// "Account settings / <current>", above each settings page's title.
#[component]
pub fn SettingsBreadcrumb(current: &'static str) -> impl IntoView {
    view! {
        <nav class="breadcrumb" aria-label="Breadcrumb">
            <span>"Account settings"</span>
            " / "
            <span aria-current="page">{current}</span>
        </nav>
    }
}

#[component]
pub fn NotFoundPage() -> impl IntoView {
    set_response_status(StatusCode::NOT_FOUND);
    view! {
        <section class="not-found">
            <h1>"Page not found"</h1>
            <p>
                "There is nothing at this address. Go to the "
                <a href="/account-settings/activity-log">"Activity log"</a> "."
            </p>
        </section>
    }
}
