use leptos::prelude::*;

use super::api::{SignIn, demo_accounts};
use super::model::DEMO_PASSWORD;

#[component]
pub fn SignInPage() -> impl IntoView {
    let sign_in = ServerAction::<SignIn>::new();
    let email = RwSignal::new(String::new());
    let password = RwSignal::new(String::new());
    let demo = Resource::new(|| (), |_| demo_accounts());
    let refusal = move || {
        sign_in
            .value()
            .get()
            .and_then(Result::err)
            .map(|error| view! { <p class="error" role="alert">{error.to_string()}</p> })
    };
    view! {
        <section class="sign-in">
            <h1>"Sign in to Partner Center"</h1>
            <ActionForm action=sign_in attr:class="sign-in-form">
                <label for="email">"Email"</label>
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
                <label for="password">"Password"</label>
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
                    {move || if sign_in.pending().get() { "Signing in…" } else { "Sign in" }}
                </button>
            </ActionForm>
            <Suspense fallback=|| ()>
                {move || Suspend::new(async move {
                    let accounts = demo.await.unwrap_or_default();
                    (!accounts.is_empty()).then(|| view! {
                        <section class="demo-accounts" aria-labelledby="demo-title">
                            <h2 id="demo-title">"Demo accounts"</h2>
                            <p>
                                "This is a demo database. Every account's password is "
                                <code>{DEMO_PASSWORD}</code> ". Choose one to fill the form."
                            </p>
                            <table>
                                <thead>
                                    <tr>
                                        <th scope="col">"Email"</th>
                                        <th scope="col">"Role"</th>
                                        <th scope="col">"Partner"</th>
                                    </tr>
                                </thead>
                                <tbody>
                                    {accounts
                                        .into_iter()
                                        .map(|account| {
                                            let fill = account.email.clone();
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
                                                            {account.email}
                                                        </button>
                                                    </td>
                                                    <td>{account.role.label()}</td>
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
