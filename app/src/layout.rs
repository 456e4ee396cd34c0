//! The frame every page shares: the header with Account settings, the signed-in user and
//! sign-out, and the gate that lets only the activity-log roles through.

use http::StatusCode;
use leptos::prelude::*;
use leptos_router::components::{A, Redirect};

use crate::auth::api::{SignOut, get_viewer};
use crate::auth::model::Viewer;
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

/// Renders `render(viewer)` for a signed-in user whose role may view the activity log;
/// sends anyone else to sign in, or explains that their role can't.
#[component]
pub fn RequireActivityLogRole(render: fn(Viewer) -> AnyView) -> impl IntoView {
    let viewer = use_viewer();
    view! {
        <Suspense fallback=|| view! { <p class="status">"Loading…"</p> }>
            {move || Suspend::new(async move {
                match viewer.await {
                    Ok(Some(viewer)) if viewer.role.can_view_activity_log() => render(viewer),
                    Ok(Some(viewer)) => {
                        set_response_status(StatusCode::FORBIDDEN);
                        view! { <RoleRefused viewer/> }.into_any()
                    }
                    Ok(None) => view! { <Redirect path="/sign-in"/> }.into_any(),
                    Err(error) => view! { <p class="error" role="alert">{error.to_string()}</p> }.into_any(),
                }
            })}
        </Suspense>
    }
}

#[component]
fn RoleRefused(viewer: Viewer) -> impl IntoView {
    view! {
        <section class="refused">
            <h1>"Your role can't view the activity log"</h1>
            <p>
                "You are signed in as " <strong>{viewer.email}</strong> " (" {viewer.role.label()}
                "). The activity log is open to Global admins, Billing admins, User management admins, "
                "Admin agents, Sales agents and Helpdesk agents."
            </p>
            <p>"Ask a Global admin of " {viewer.partner_name} " to change your role if you need it."</p>
        </section>
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
