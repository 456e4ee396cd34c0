use leptos::prelude::*;

use super::api::{SignIn, demo_accounts};
use super::model::DEMO_PASSWORD;
use crate::i18n::use_locale;

#[component]
pub fn SignInPage() -> impl IntoView {
    let sign_in = ServerAction::<SignIn>::new();
    let email = RwSignal::new(String::new());
    let password = RwSignal::new(String::new());
    let demo = Resource::new(|| (), |_| demo_accounts());
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
            <h1>{l.pick("Sign in to Partner Center", "Partner Center에 로그인")}</h1>
            <ActionForm action=sign_in attr:class="sign-in-form">
                <label for="email">{l.pick("Email", "이메일")}</label>
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
                <label for="password">{l.pick("Password", "암호")}</label>
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
                    {move || if sign_in.pending().get() { l.pick("Signing in…", "로그인하는 중…") } else { l.pick("Sign in", "로그인") }}
                </button>
            </ActionForm>
            <Suspense fallback=|| ()>
                {move || Suspend::new(async move {
                    let accounts = demo.await.unwrap_or_default();
                    (!accounts.is_empty()).then(|| view! {
                        <section class="demo-accounts" aria-labelledby="demo-title">
                            <h2 id="demo-title">{l.pick("Demo accounts", "데모 계정")}</h2>
                            <p>
                                {l.pick("This is a demo database. Every account's password is ", "데모 데이터베이스입니다. 모든 계정의 암호는 ")}
                                <code>{DEMO_PASSWORD}</code>
                                {l.pick(". Choose one to fill the form.", "입니다. 계정을 고르면 양식이 채워집니다.")}
                            </p>
                            <table>
                                <thead>
                                    <tr>
                                        <th scope="col">{l.pick("Email", "이메일")}</th>
                                        <th scope="col">{l.pick("Role", "역할")}</th>
                                        <th scope="col">{l.pick("Partner", "파트너")}</th>
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
