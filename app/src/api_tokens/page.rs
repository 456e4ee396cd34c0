//! Account settings → API tokens.

use leptos::prelude::*;
use leptos_router::{LazyRoute, lazy_route};

use super::api::{CreateApiToken, RevokeApiToken, list_api_tokens};
use super::model::{ApiTokenSummary, MAX_TOKEN_NAME_CHARS};
use crate::auth::model::MANAGE_API_TOKENS;
use crate::i18n::use_locale;
use crate::layout::{RequireRole, SettingsBreadcrumb};

/// Account settings → API tokens, a lazy route: its code is a wasm chunk of its own,
/// fetched when the page is opened, so the activity log's download does not carry it.
pub struct ApiTokensRoute;

#[lazy_route]
impl LazyRoute for ApiTokensRoute {
    fn data() -> Self {
        Self
    }

    fn view(_this: Self) -> AnyView {
        view! { <ApiTokensPage/> }.into_any()
    }
}

#[component]
pub fn ApiTokensPage() -> impl IntoView {
    view! { <RequireRole permission=MANAGE_API_TOKENS render=|_| view! { <ApiTokens/> }.into_any()/> }
}

#[component]
fn ApiTokens() -> impl IntoView {
    let l = use_locale();
    let create = ServerAction::<CreateApiToken>::new();
    let revoke = ServerAction::<RevokeApiToken>::new();
    let tokens = Resource::new_serde_wb(
        move || (create.version().get(), revoke.version().get()),
        |_| list_api_tokens(),
    );
    let created = move || {
        create.value().get().map(|result| match result {
            Ok(created) => view! {
                <div class="new-token" role="status">
                    <p>
                        <strong>{tr!(l, tokens.copy_this_token_now)}</strong>
                        {tr!(l, tokens.it_is_shown_only_once)}
                    </p>
                    <code data-testid="new-token">{created.secret}</code>
                </div>
            }
            .into_any(),
            Err(error) => view! { <p class="error" role="alert">{error.message_in(l)}</p> }.into_any(),
        })
    };
    let revoke_error = move || {
        revoke
            .value()
            .get()
            .and_then(Result::err)
            .map(|error| view! { <p class="error" role="alert">{error.message_in(l)}</p> })
    };
    view! {
        <section class="api-tokens" aria-labelledby="api-tokens-title">
            <SettingsBreadcrumb current=tr!(l, tokens.api_tokens)/>
            <h1 id="api-tokens-title">{tr!(l, tokens.api_tokens)}</h1>
            <p class="intro">
                {tr!(l, tokens.your_systems_record_what_your)}
                <code>"POST /api/v1/events"</code>
                {tr!(l, tokens.with_a_token_in_the)}
                <code>"Authorization: Bearer"</code>
                {tr!(l, tokens.header_each_token_writes_into)}
            </p>
            <ActionForm action=create attr:class="create-token">
                <div class="field grow">
                    <label for="token-name">{tr!(l, tokens.token_name)}</label>
                    <input
                        id="token-name"
                        name="name"
                        type="text"
                        required
                        maxlength=MAX_TOKEN_NAME_CHARS.to_string()
                        placeholder=tr!(l, tokens.e_g_billing_system)
                    />
                </div>
                <fieldset class="field scopes">
                    <legend>{tr!(l, tokens.it_may)}</legend>
                    <label>
                        <input type="checkbox" name="send_events" value="on" checked/>
                        {tr!(l, tokens.send_events)}
                        " "
                        <code>"events:write"</code>
                    </label>
                    <label>
                        <input type="checkbox" name="read_events" value="on"/>
                        {tr!(l, tokens.read_events)}
                        " "
                        <code>"events:read"</code>
                    </label>
                </fieldset>
                <button type="submit" class="primary" disabled=move || create.pending().get()>
                    {tr!(l, tokens.create_token)}
                </button>
            </ActionForm>
            {created}
            {revoke_error}
            <Suspense fallback=move || view! { <p class="status">{tr!(l, tokens.loading_tokens)}</p> }>
                {move || Suspend::new(async move {
                    match tokens.await {
                        Ok(list) if list.is_empty() => {
                            view! { <p class="empty">{tr!(l, tokens.no_api_tokens_yet)}</p> }.into_any()
                        }
                        Ok(list) => view! { <TokenTable list revoke/> }.into_any(),
                        Err(error) => {
                            view! { <p class="error" role="alert">{error.message_in(l)}</p> }.into_any()
                        }
                    }
                })}
            </Suspense>
        </section>
    }
}

#[component]
fn TokenTable(list: Vec<ApiTokenSummary>, revoke: ServerAction<RevokeApiToken>) -> impl IntoView {
    let l = use_locale();
    view! {
        <table class="tokens">
            <thead>
                <tr>
                    <th scope="col">{tr!(l, tokens.name)}</th>
                    <th scope="col">{tr!(l, tokens.token)}</th>
                    <th scope="col">{tr!(l, tokens.may_do)}</th>
                    <th scope="col">{tr!(l, tokens.created_utc)}</th>
                    <th scope="col">{tr!(l, tokens.created_by)}</th>
                    <th scope="col">{tr!(l, tokens.last_used_utc)}</th>
                    <th scope="col">{tr!(l, tokens.status)}</th>
                </tr>
            </thead>
            <tbody>
                {list
                    .into_iter()
                    .map(|token| {
                        let id = token.id;
                        let name = token.name.clone();
                        let status = match &token.revoked_at {
                            Some(at) => view! { <span class="revoked">{tr!(l, tokens.revoked)} {at.clone()}</span> }.into_any(),
                            None => view! {
                                <span class="active">{tr!(l, tokens.active)}</span>
                                " "
                                <button
                                    type="button"
                                    class="link-button"
                                    aria-label=format!("{}{name}", tr!(l, tokens.revoke_named))
                                    on:click=move |_| {
                                        revoke.dispatch(RevokeApiToken { id });
                                    }
                                >
                                    {tr!(l, tokens.revoke)}
                                </button>
                            }
                            .into_any(),
                        };
                        view! {
                            <tr>
                                <td>{token.name}</td>
                                <td><code>{token.prefix} "…"</code></td>
                                <td class="token-scopes">{token.scopes}</td>
                                <td>{token.created_at}</td>
                                <td>{token.created_by}</td>
                                <td>{token.last_used_at.unwrap_or_else(|| tr!(l, tokens.never).into())}</td>
                                <td>{status}</td>
                            </tr>
                        }
                    })
                    .collect_view()}
            </tbody>
        </table>
    }
}
