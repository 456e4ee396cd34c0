//! `GET /api/v1/events`. Answers 200 with a page (`{"events": [...], "next": "…"}`); 400
//! naming a bad parameter; 401 without a live token; 403 for a token without the
//! `events:read` scope; 429 with `Retry-After` once the token's reads of the minute are spent.

use axum::extract::State;
use axum::http::{HeaderMap, Uri};
use axum::response::{IntoResponse, Response};

use super::request::FeedRequest;
use super::store::{FeedPage, feed_page};
use crate::api_tokens::model::TokenScope;
use crate::api_tokens::store::{LiveToken, require_token};
use crate::errors::AppError;
use crate::state::AppState;

pub async fn read_events(State(state): State<AppState>, headers: HeaderMap, uri: Uri) -> Response {
    match read(&state, &headers, &uri).await {
        Ok(page) => axum::Json(page).into_response(),
        Err(error) => error.into_response(),
    }
}

async fn read(state: &AppState, headers: &HeaderMap, uri: &Uri) -> Result<FeedPage, AppError> {
    let token = reader(state, headers).await?;
    let request = FeedRequest::from_uri(uri)?;
    let mut page = feed_page(&state.pool, token.partner_id, &request).await?;
    if request.proof {
        super::with_proofs::add_proofs(&state.pool, token.partner_id, &mut page).await?;
    }
    Ok(page)
}

/// The `events:read` token a read comes with, once one of its reads of the minute is spent.
pub(super) async fn reader(state: &AppState, headers: &HeaderMap) -> Result<LiveToken, AppError> {
    let token = require_token(&state.pool, headers, TokenScope::ReadEvents).await?;
    state
        .read_budgets
        .spend(token.id, chrono::Utc::now().timestamp_millis())
        .await?
        .map_err(|wait_seconds| AppError::RateLimited {
            message: format!(
                "This token has made its {} reads of the minute; try again in {wait_seconds} s.",
                state.read_budgets.per_minute()
            ),
            wait_seconds,
        })?;
    Ok(token)
}
