use leptos::prelude::*;
use leptos_router::{LazyRoute, lazy_route};

use super::api::{SignIn, demo_accounts};
use super::model::DEMO_PASSWORD;
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

#[component]
pub fn SignInPage() -> impl IntoView {
    let sign_in = ServerAction::<SignIn>::new();
    let email = RwSignal::new(String::new());
    let password = RwSignal::new(String::new());
    let demo = Resource::new_serde_wb(|| (), |_| demo_accounts());
    let l = use_locale();
    let refusal = move || {
        sign_in
            .value()
            .get()
            .and_then(Result::err)
            .map(|error| view! { <p class="error" role="alert">{error.message_in(l)}</p> })
    };
    view! {
        <section class="sign-in">
            <h1>{tr!(l, sign_in.sign_in_to_partner_center)}</h1>
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
                    prop:value=move || password.get()
                    on:input=move |ev| password.set(event_target_value(&ev))
                />
                {refusal}
                <button type="submit" class="primary" disabled=move || sign_in.pending().get()>
                    {move || if sign_in.pending().get() { tr!(l, sign_in.signing_in) } else { tr!(l, sign_in.sign_in) }}
                </button>
            </ActionForm>
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
