//! The frame every page shares: the header with Account settings, the signed-in user and
//! sign-out, and the gate that lets only the activity-log roles through.

use http::StatusCode;
use leptos::prelude::*;
use leptos_router::components::{A, Redirect};

use crate::auth::api::{SignOut, get_viewer};
use crate::auth::model::{Permission, Viewer};
use crate::errors::{AppError, set_response_status};
use crate::i18n::{Locale, use_locale};

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
    let l = use_locale();
    view! {
        <header class="app-header">
            <a class="skip-link" href="#main">{l.pick("Skip to content", "본문으로 건너뛰기")}</a>
            <a class="brand" href="/">"Partner Center"</a>
            <LanguageSwitch/>
            <Suspense fallback=|| ()>
                {move || Suspend::new(async move {
                    match viewer.await {
                        Ok(Some(viewer)) => {
                            view! {
                                <nav class="main-nav" aria-label=l.pick("Main", "주 메뉴")>
                                    <details class="menu">
                                        <summary>{l.pick("Account settings", "계정 설정")}</summary>
                                        <ul role="list">
                                            <li>
                                                <A href="/account-settings/activity-log">{l.pick("Activity log", "활동 로그")}</A>
                                            </li>
                                            {viewer.role.can_manage_api_tokens().then(|| view! {
                                                <li>
                                                    <A href="/account-settings/api-tokens">{l.pick("API tokens", "API 토큰")}</A>
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
                                <ActionForm action=sign_out attr:class="sign-out">
                                    <button type="submit" class="link-button">{l.pick("Sign out", "로그아웃")}</button>
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
    let l = use_locale();
    view! {
        <Suspense fallback=move || view! { <p class="status">{l.pick("Loading…", "불러오는 중…")}</p> }>
            {move || Suspend::new(async move {
                match viewer.await {
                    Ok(Some(viewer)) if (permission.allows)(viewer.role) => render(viewer),
                    Ok(Some(viewer)) => {
                        set_response_status(StatusCode::FORBIDDEN);
                        view! { <RoleRefused viewer permission/> }.into_any()
                    }
                    Ok(None) => view! { <Redirect path="/sign-in"/> }.into_any(),
                    Err(error) => view! { <p class="error" role="alert">{error.message_in(l)}</p> }.into_any(),
                }
            })}
        </Suspense>
    }
}

#[component]
fn RoleRefused(viewer: Viewer, permission: Permission) -> impl IntoView {
    let l = use_locale();
    match l {
        crate::i18n::Locale::En => view! {
            <section class="refused">
                <h1>"Your role can't " {permission.action}</h1>
                <p>
                    "You are signed in as " <strong>{viewer.email}</strong> " (" {viewer.role.label()}
                    "). Only " {permission.allowed_roles} " can " {permission.action} "."
                </p>
                <p>"Ask a Global admin of " {viewer.partner_name} " to change your role if you need it."</p>
            </section>
        }
        .into_any(),
        crate::i18n::Locale::Ko => view! {
            <section class="refused">
                <h1>{permission.refused_title_ko}</h1>
                <p>
                    <strong>{viewer.email}</strong> " (" {viewer.role.label_in(l)} ")(으)로 로그인했습니다. "
                    {permission.allowed_roles_ko} "만 할 수 있습니다."
                </p>
                <p>"필요하면 " {viewer.partner_name} "의 전역 관리자에게 역할 변경을 요청하세요."</p>
            </section>
        }
        .into_any(),
    }
}

/// "Account settings / <current>", above each settings page's title.
#[component]
pub fn SettingsBreadcrumb(current: &'static str) -> impl IntoView {
    let l = use_locale();
    view! {
        <nav class="breadcrumb" aria-label=l.pick("Breadcrumb", "이동 경로")>
            <span>{l.pick("Account settings", "계정 설정")}</span>
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
            <h1>{l.pick("Page not found", "페이지를 찾을 수 없습니다")}</h1>
            <p>
                {l.pick("There is nothing at this address. Go to the ", "이 주소에는 아무것도 없습니다. ")}
                <a href="/account-settings/activity-log">{l.pick("Activity log", "활동 로그")}</a>
                {l.pick(".", "(으)로 이동하세요.")}
            </p>
        </section>
    }
}

/// Saves `locale` as the user's language and shows the page again in it.
fn switch_to(locale: Locale) {
    leptos::task::spawn_local(async move {
        if crate::preferences::api::choose_language(locale.tag().to_string())
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
        <div class="language-switch" role="group" aria-label=current.pick("Language", "언어")>
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
