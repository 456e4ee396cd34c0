//! `POST /api/v1/events`: a batch of events from one of the partner's systems.
//!
//! Answers: 200 `{"stored":n,"duplicates":m}` once the batch is committed and synced;
//! 400 for a body that is not a batch, 401 without a live token, 403 for a token without
//! the `events:write` scope, 409 when an id was stored
//! before with other content, 413 over the size limit, 415 when not JSON, 422 naming the
//! first refused field. A refused batch stores nothing.

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use chrono::Utc;
use serde_json::json;

use super::MAX_BATCH_EVENTS;
use super::event::{IncomingBatch, PartnerDirectory};
use crate::api_tokens::model::TokenScope;
use crate::api_tokens::store;
use crate::errors::AppError;
use crate::integrity::chain::{AppendError, append_batch};
use crate::state::AppState;

pub async fn ingest_events(State(state): State<AppState>, headers: HeaderMap, body: Bytes) -> Response {
    let result = ingest(&state, &headers, &body).await;
    count(&state, result.as_ref().ok().copied());
    match result {
        Ok((stored, duplicates)) => (
            StatusCode::OK,
            axum::Json(json!({ "stored": stored, "duplicates": duplicates })),
        )
            .into_response(),
        Err(error) => error.into_response(),
    }
}

/// Counts a batch for the operator's metrics: its events (stored, duplicate), or a refusal.
fn count(state: &AppState, stored: Option<(usize, usize)>) {
    use crate::state::metrics::{Batch, BatchLabels, EventLabels, EventResult};
    let metrics = &state.metrics;
    let outcome = if stored.is_some() {
        Batch::Stored
    } else {
        Batch::Refused
    };
    metrics
        .ingest_batches
        .get_or_create(&BatchLabels { outcome })
        .inc();
    if let Some((stored, duplicates)) = stored {
        let events = |result| {
            metrics
                .ingest_events
                .get_or_create(&EventLabels { result })
                .clone()
        };
        events(EventResult::Stored).inc_by(stored as u64);
        events(EventResult::Duplicate).inc_by(duplicates as u64);
    }
}

async fn ingest(state: &AppState, headers: &HeaderMap, body: &[u8]) -> Result<(usize, usize), AppError> {
    let partner_id = store::require_token(&state.pool, headers, TokenScope::WriteEvents)
        .await?
        .partner_id;

    let is_json = headers
        .get(header::CONTENT_TYPE)
        .and_then(|value| value.to_str().ok())
        .is_some_and(|value| {
            value
                .split(';')
                .next()
                .is_some_and(|kind| kind.trim() == "application/json")
        });
    if !is_json {
        return Err(AppError::UnsupportedMediaType(
            "Send the batch as Content-Type: application/json.".into(),
        ));
    }
    let batch: IncomingBatch = serde_json::from_slice(body).map_err(|error| {
        AppError::BadRequest(format!(
            "The body is not a batch of events ({{\"events\": [...]}}): {error}"
        ))
    })?;
    if batch.events.is_empty() || batch.events.len() > MAX_BATCH_EVENTS {
        return Err(AppError::InvalidField {
            field: "events".into(),
            message: format!(
                "events: a batch holds 1 to {MAX_BATCH_EVENTS} events; this one holds {}",
                batch.events.len()
            ),
        });
    }

    let directory = PartnerDirectory::load(&state.pool, partner_id).await?;
    let now = Utc::now();
    let mut events = Vec::with_capacity(batch.events.len());
    for (index, incoming) in batch.events.iter().enumerate() {
        let event = directory.resolve(incoming, now).map_err(|problem| {
            let field = format!("events[{index}].{}", problem.field);
            AppError::InvalidField {
                message: format!("{field}: {}", problem.message),
                field,
            }
        })?;
        events.push(event);
    }
    match append_batch(&state.pool, partner_id, &events).await {
        Ok(summary) => {
            tracing::info!(
                %partner_id,
                stored = summary.stored,
                duplicates = summary.duplicates,
                "ingested a batch"
            );
            Ok((summary.stored, summary.duplicates))
        }
        Err(AppendError::Conflict { index, external_id }) => {
            let field = format!("events[{index}].id");
            Err(AppError::Conflict {
                message: format!(
                    "{field}: {external_id:?} was already stored with different content; an event id can't be reused"
                ),
                field,
            })
        }
        Err(AppendError::Database(error)) => Err(error.into()),
    }
}
