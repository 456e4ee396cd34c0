//! Server functions of the API tokens page. Global admins only, always the caller's partner.

use leptos::prelude::*;

use super::model::{ApiTokenSummary, CreatedApiToken};
use crate::browser_json::BrowserJson;
use crate::errors::AppError;

#[server(endpoint = "api_tokens", output = BrowserJson)]
pub async fn list_api_tokens() -> Result<Vec<ApiTokenSummary>, AppError> {
    use crate::auth::{model::MANAGE_API_TOKENS, session};
    use crate::state::app_state;
    let state = app_state()?;
    let viewer = session::require_permission(session::current_viewer(&state).await?, MANAGE_API_TOKENS)?;
    super::store::list(&state.pool, viewer.partner_id).await
}

/// Makes a token named `name` that may send events (`send_events` present, as a checked box
/// sends it), read them (`read_events`), or both; at least one.
#[server(endpoint = "create_api_token", output = BrowserJson)]
pub async fn create_api_token(
    name: String,
    #[server(default)] send_events: Option<String>,
    #[server(default)] read_events: Option<String>,
) -> Result<CreatedApiToken, AppError> {
    use super::model::{MAX_TOKEN_NAME_CHARS, TokenScope};
    use crate::auth::{model::MANAGE_API_TOKENS, session};
    use crate::state::app_state;
    let state = app_state()?;
    let viewer = session::require_permission(session::current_viewer(&state).await?, MANAGE_API_TOKENS)?;
    let name = name.trim();
    let l = crate::i18n::request_locale();
    if name.is_empty() {
        return Err(AppError::InvalidInput(
            tr!(l, tokens.name_the_token_after_the).into(),
        ));
    }
    if name.chars().count() > MAX_TOKEN_NAME_CHARS || name.chars().any(char::is_control) {
        return Err(AppError::InvalidInput(tr!(
            l,
            tokens.name_too_long,
            max = MAX_TOKEN_NAME_CHARS
        )));
    }
    let scopes: Vec<TokenScope> = [
        (send_events.is_some(), TokenScope::WriteEvents),
        (read_events.is_some(), TokenScope::ReadEvents),
    ]
    .into_iter()
    .filter_map(|(chosen, scope)| chosen.then_some(scope))
    .collect();
    if scopes.is_empty() {
        return Err(AppError::InvalidInput(
            tr!(l, tokens.choose_what_it_may_do).into(),
        ));
    }
    let (id, secret) =
        super::store::create(&state.pool, viewer.partner_id, viewer.user_id, name, &scopes).await?;
    tracing::info!(token_id = id, partner_id = %viewer.partner_id, by = ?viewer.email, ?scopes, "API token created");
    let token = super::store::list(&state.pool, viewer.partner_id)
        .await?
        .into_iter()
        .find(|token| token.id == id)
        .ok_or(AppError::Internal)?;
    Ok(CreatedApiToken { token, secret })
}

#[server(endpoint = "revoke_api_token", output = BrowserJson)]
pub async fn revoke_api_token(id: i64) -> Result<(), AppError> {
    use crate::auth::{model::MANAGE_API_TOKENS, session};
    use crate::state::app_state;
    let state = app_state()?;
    let viewer = session::require_permission(session::current_viewer(&state).await?, MANAGE_API_TOKENS)?;
    super::store::revoke(&state.pool, viewer.partner_id, id).await?;
    tracing::info!(token_id = id, partner_id = %viewer.partner_id, by = ?viewer.email, "API token revoked");
    Ok(())
}
