//! Account settings → API tokens.

use leptos::prelude::*;

use super::api::{CreateApiToken, RevokeApiToken, list_api_tokens};
use super::model::{ApiTokenSummary, MAX_TOKEN_NAME_CHARS};
use crate::auth::model::MANAGE_API_TOKENS;
use crate::i18n::use_locale;
use crate::layout::{RequireRole, SettingsBreadcrumb};

#[component]
pub fn ApiTokensPage() -> impl IntoView {
    view! { <RequireRole permission=MANAGE_API_TOKENS render=|_| view! { <ApiTokens/> }.into_any()/> }
}

#[component]
fn ApiTokens() -> impl IntoView {
    let l = use_locale();
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
                        <strong>{l.pick("Copy this token now.", "지금 이 토큰을 복사하세요.")}</strong>
                        {l.pick(
                            " It is shown only once; the server keeps only its hash.",
                            " 한 번만 표시되며, 서버에는 해시만 저장됩니다.",
                        )}
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
            <SettingsBreadcrumb current=l.pick("API tokens", "API 토큰")/>
            <h1 id="api-tokens-title">{l.pick("API tokens", "API 토큰")}</h1>
            <p class="intro">
                {l.pick(
                    "Your systems record what your people do by sending events to ",
                    "조직의 시스템은 직원의 작업을 기록하려고 ",
                )}
                <code>"POST /api/v1/events"</code>
                {l.pick(" with a token in the ", "에 ")}
                <code>"Authorization: Bearer"</code>
                {l.pick(
                    " header. Each token writes into your organisation's log only.",
                    " 헤더로 토큰을 보내 이벤트를 전송합니다. 각 토큰은 조직의 로그에만 씁니다.",
                )}
            </p>
            <ActionForm action=create attr:class="create-token">
                <div class="field grow">
                    <label for="token-name">{l.pick("Token name", "토큰 이름")}</label>
                    <input
                        id="token-name"
                        name="name"
                        type="text"
                        required
                        maxlength=MAX_TOKEN_NAME_CHARS.to_string()
                        placeholder=l.pick("e.g. Billing system", "예: 청구 시스템")
                    />
                </div>
                <button type="submit" class="primary" disabled=move || create.pending().get()>
                    {l.pick("Create token", "토큰 만들기")}
                </button>
            </ActionForm>
            {created}
            {revoke_error}
            <Suspense fallback=move || view! { <p class="status">{l.pick("Loading tokens…", "토큰을 불러오는 중…")}</p> }>
                {move || Suspend::new(async move {
                    match tokens.await {
                        Ok(list) if list.is_empty() => {
                            view! { <p class="empty">{l.pick("No API tokens yet.", "아직 API 토큰이 없습니다.")}</p> }.into_any()
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
                    <th scope="col">{l.pick("Name", "이름")}</th>
                    <th scope="col">{l.pick("Token", "토큰")}</th>
                    <th scope="col">{l.pick("Created (UTC)", "만든 시간 (UTC)")}</th>
                    <th scope="col">{l.pick("Created by", "만든 사람")}</th>
                    <th scope="col">{l.pick("Last used (UTC)", "마지막 사용 (UTC)")}</th>
                    <th scope="col">{l.pick("Status", "상태")}</th>
                </tr>
            </thead>
            <tbody>
                {list
                    .into_iter()
                    .map(|token| {
                        let id = token.id;
                        let name = token.name.clone();
                        let status = match &token.revoked_at {
                            Some(at) => view! { <span class="revoked">{l.pick("Revoked ", "취소됨 ")} {at.clone()}</span> }.into_any(),
                            None => view! {
                                <span class="active">{l.pick("Active", "활성")}</span>
                                " "
                                <button
                                    type="button"
                                    class="link-button"
                                    aria-label=format!("{}{name}", l.pick("Revoke ", "취소: "))
                                    on:click=move |_| {
                                        revoke.dispatch(RevokeApiToken { id });
                                    }
                                >
                                    {l.pick("Revoke", "취소")}
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
                                <td>{token.last_used_at.unwrap_or_else(|| l.pick("Never", "사용 안 함").into())}</td>
                                <td>{status}</td>
                            </tr>
                        }
                    })
                    .collect_view()}
            </tbody>
        </table>
    }
}
