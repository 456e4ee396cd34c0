use leptos::prelude::*;
use leptos_router::hooks::use_query_map;
use leptos_router::{LazyRoute, lazy_route};

use super::api::{SignIn, demo_accounts};
use super::model::DEMO_PASSWORD;
use super::sso::api::find_sign_in_way;
use super::sso::model::{ProviderRefusal, START_PATH, SignInWay};
use crate::i18n::use_locale;

/// The sign-in page, a lazy route: its code is a wasm chunk of its own, fetched when the page
/// is opened, so the activity log's download does not carry it.
pub struct SignInRoute;

#[lazy_route]
impl LazyRoute for SignInRoute {
    fn data() -> Self {
        Self
    }

    fn view(_this: Self) -> AnyView {
        view! { <SignInPage/> }.into_any()
    }
}

/// Email first: an email whose domain has its partner's own provider goes there; any other
/// gets the password field. Without the wasm, the email form asks `/sso/start`, which answers
/// the same way with a redirect.
#[component]
pub fn SignInPage() -> impl IntoView {
    let sign_in = ServerAction::<SignIn>::new();
    let query = use_query_map();
    let email = RwSignal::new(query.with_untracked(|query| query.get("email").unwrap_or_default()));
    let password = RwSignal::new(String::new());
    let asking_password =
        RwSignal::new(query.with_untracked(|query| query.get("way").as_deref() == Some("password")));
    let finding_way = RwSignal::new(false);
    let way_failed = RwSignal::new(None::<String>);
    let demo = Resource::new_serde_wb(|| (), |_| demo_accounts());
    let l = use_locale();
    let refusal = move || {
        sign_in
            .value()
            .get()
            .and_then(Result::err)
            .map(|error| view! { <p class="error" role="alert">{error.message_in(l)}</p> })
    };
    // Why the last sign-in through a provider ended without a session.
    let provider_refusal = move || {
        query
            .with(|query| query.get("sso_error"))
            .and_then(|name| ProviderRefusal::parse(&name))
            .map(|refusal| view! { <p class="error" role="alert">{refusal.message_in(l)}</p> })
    };
    let find_way = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        finding_way.set(true);
        way_failed.set(None);
        let typed = email.get_untracked();
        leptos::task::spawn_local(async move {
            match find_sign_in_way(typed).await {
                Ok(SignInWay::Provider { start }) => {
                    // A full page load: the provider is another site.
                    #[cfg(feature = "hydrate")]
                    if let Some(window) = web_sys::window() {
                        let _ = window.location().set_href(&start);
                    }
                    #[cfg(not(feature = "hydrate"))]
                    let _ = start;
                }
                Ok(SignInWay::Password) => {
                    finding_way.set(false);
                    asking_password.set(true);
                }
                Err(error) => {
                    finding_way.set(false);
                    way_failed.set(Some(error.message_in(l)));
                }
            }
        });
    };
    let email_step = move || {
        view! {
            <form class="sign-in-form" action=START_PATH method="get" on:submit=find_way>
                <label for="email">{tr!(l, sign_in.email)}</label>
                <input
                    id="email"
                    name="email"
                    type="email"
                    autocomplete="username"
                    required
                    maxlength="254"
                    prop:value=move || email.get()
                    on:input=move |ev| email.set(event_target_value(&ev))
                />
                {move || way_failed.get().map(|message| view! { <p class="error" role="alert">{message}</p> })}
                <button type="submit" class="primary" disabled=move || finding_way.get()>
                    {move || if finding_way.get() { tr!(l, sso.going_to_provider) } else { tr!(l, sso.continue_button) }}
                </button>
            </form>
            <button type="button" class="link-button" on:click=move |_| asking_password.set(true)>
                {tr!(l, sso.use_password)}
            </button>
        }
    };
    view! {
        <section class="sign-in">
            <h1>{tr!(l, sign_in.sign_in_to_partner_center)}</h1>
            {provider_refusal}
            <Show when=move || asking_password.get() fallback=email_step>
            <ActionForm action=sign_in attr:class="sign-in-form">
                <label for="email">{tr!(l, sign_in.email)}</label>
                <input
                    id="email"
                    name="email"
                    type="email"
                    autocomplete="username"
                    required
                    maxlength="254"
                    prop:value=move || email.get()
                    on:input=move |ev| email.set(event_target_value(&ev))
                />
                <label for="password">{tr!(l, sign_in.password)}</label>
                <input
                    id="password"
                    name="password"
                    type="password"
                    autocomplete="current-password"
                    required
                    autofocus
                    prop:value=move || password.get()
                    on:input=move |ev| password.set(event_target_value(&ev))
                />
                {refusal}
                <button type="submit" class="primary" disabled=move || sign_in.pending().get()>
                    {move || if sign_in.pending().get() { tr!(l, sign_in.signing_in) } else { tr!(l, sign_in.sign_in) }}
                </button>
            </ActionForm>
            </Show>
            <Suspense fallback=|| ()>
                {move || Suspend::new(async move {
                    let accounts = demo.await.unwrap_or_default();
                    (!accounts.is_empty()).then(|| view! {
                        <section class="demo-accounts" aria-labelledby="demo-title">
                            <h2 id="demo-title">{tr!(l, sign_in.demo_accounts)}</h2>
                            <p>
                                {tr!(l, sign_in.this_is_a_demo_database)}
                                <code>{DEMO_PASSWORD}</code>
                                {tr!(l, sign_in.choose_one_to_fill_the)}
                            </p>
                            <table>
                                <thead>
                                    <tr>
                                        <th scope="col">{tr!(l, sign_in.email)}</th>
                                        <th scope="col">{tr!(l, sign_in.role)}</th>
                                        <th scope="col">{tr!(l, sign_in.partner)}</th>
                                    </tr>
                                </thead>
                                <tbody>
                                    {accounts
                                        .into_iter()
                                        .map(|account| {
                                            let fill = account.email.to_string();
                                            view! {
                                                <tr>
                                                    <td>
                                                        <button
                                                            type="button"
                                                            class="link-button"
                                                            on:click=move |_| {
                                                                email.set(fill.clone());
                                                                password.set(DEMO_PASSWORD.to_string());
                                                                asking_password.set(true);
                                                            }
                                                        >
                                                            {account.email.to_string()}
                                                        </button>
                                                    </td>
                                                    <td>{account.role.label_in(l)}</td>
                                                    <td>{account.partner_name}</td>
                                                </tr>
                                            }
                                        })
                                        .collect_view()}
                                </tbody>
                            </table>
                        </section>
                    })
                })}
            </Suspense>
        </section>
    }
}
