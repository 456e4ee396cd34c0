//! Account settings → API tokens.

use leptos::prelude::*;

use super::api::{CreateApiToken, RevokeApiToken, list_api_tokens};
use super::model::{ApiTokenSummary, MAX_TOKEN_NAME_CHARS};
use crate::auth::model::MANAGE_API_TOKENS;
use crate::layout::{RequireRole, SettingsBreadcrumb};

#[component]
pub fn ApiTokensPage() -> impl IntoView {
    view! { <RequireRole permission=MANAGE_API_TOKENS render=|_| view! { <ApiTokens/> }.into_any()/> }
}

#[component]
fn ApiTokens() -> impl IntoView {
    let create = ServerAction::<CreateApiToken>::new();
    let revoke = ServerAction::<RevokeApiToken>::new();
    let tokens = Resource::new(
        move || (create.version().get(), revoke.version().get()),
        |_| list_api_tokens(),
    );
    let created = move || {
        create.value().get().map(|result| match result {
            Ok(created) => view! {
                <div class="new-token" role="status">
                    <p>
                        <strong>"Copy this token now."</strong>
                        " It is shown only once; the server keeps only its hash."
                    </p>
                    <code data-testid="new-token">{created.secret}</code>
                </div>
            }
            .into_any(),
            Err(error) => view! { <p class="error" role="alert">{error.to_string()}</p> }.into_any(),
        })
    };
    let revoke_error = move || {
        revoke
            .value()
            .get()
            .and_then(Result::err)
            .map(|error| view! { <p class="error" role="alert">{error.to_string()}</p> })
    };
    view! {
        <section class="api-tokens" aria-labelledby="api-tokens-title">
            <SettingsBreadcrumb current="API tokens"/>
            <h1 id="api-tokens-title">"API tokens"</h1>
            <p class="intro">
                "Your systems record what your people do by sending events to "
                <code>"POST /api/v1/events"</code>
                " with a token in the "
                <code>"Authorization: Bearer"</code>
                " header. Each token writes into your organisation's log only."
            </p>
            <ActionForm action=create attr:class="create-token">
                <div class="field grow">
                    <label for="token-name">"Token name"</label>
                    <input
                        id="token-name"
                        name="name"
                        type="text"
                        required
                        maxlength=MAX_TOKEN_NAME_CHARS.to_string()
                        placeholder="e.g. Billing system"
                    />
                </div>
                <button type="submit" class="primary" disabled=move || create.pending().get()>
                    "Create token"
                </button>
            </ActionForm>
            {created}
            {revoke_error}
            <Suspense fallback=|| view! { <p class="status">"Loading tokens…"</p> }>
                {move || Suspend::new(async move {
                    match tokens.await {
                        Ok(list) if list.is_empty() => {
                            view! { <p class="empty">"No API tokens yet."</p> }.into_any()
                        }
                        Ok(list) => view! { <TokenTable list revoke/> }.into_any(),
                        Err(error) => {
                            view! { <p class="error" role="alert">{error.to_string()}</p> }.into_any()
                        }
                    }
                })}
            </Suspense>
        </section>
    }
}

#[component]
fn TokenTable(list: Vec<ApiTokenSummary>, revoke: ServerAction<RevokeApiToken>) -> impl IntoView {
    view! {
        <table class="tokens">
            <thead>
                <tr>
                    <th scope="col">"Name"</th>
                    <th scope="col">"Token"</th>
                    <th scope="col">"Created (UTC)"</th>
                    <th scope="col">"Created by"</th>
                    <th scope="col">"Last used (UTC)"</th>
                    <th scope="col">"Status"</th>
                </tr>
            </thead>
            <tbody>
                {list
                    .into_iter()
                    .map(|token| {
                        let id = token.id;
                        let name = token.name.clone();
                        let status = match &token.revoked_at {
                            Some(at) => view! { <span class="revoked">"Revoked " {at.clone()}</span> }.into_any(),
                            None => view! {
                                <span class="active">"Active"</span>
                                " "
                                <button
                                    type="button"
                                    class="link-button"
                                    aria-label=format!("Revoke {name}")
                                    on:click=move |_| {
                                        revoke.dispatch(RevokeApiToken { id });
                                    }
                                >
                                    "Revoke"
                                </button>
                            }
                            .into_any(),
                        };
                        view! {
                            <tr>
                                <td>{token.name}</td>
                                <td><code>{token.prefix} "…"</code></td>
                                <td>{token.created_at}</td>
                                <td>{token.created_by}</td>
                                <td>{token.last_used_at.unwrap_or_else(|| "Never".into())}</td>
                                <td>{status}</td>
                            </tr>
                        }
                    })
                    .collect_view()}
            </tbody>
        </table>
    }
}
