//! What log streaming writes into the log itself (a destination created, paused, resumed,
//! deleted or given a new secret), and the made-up event a test sends.

use chrono::Utc;

use crate::auth::model::Viewer;
use crate::digest::random_hex;
use crate::errors::AppError;
use crate::events::{ActionDetails, ActionKind, NewEvent};
use crate::read_api::store::FeedEvent;
use crate::state::AppState;

/// Adds "Changed log streaming" by `viewer` to their partner's log.
pub async fn change(
    state: &AppState,
    viewer: &Viewer,
    destination: &str,
    change: &str,
) -> Result<(), AppError> {
    let event = NewEvent {
        external_id: format!("streaming-{}", random_hex(16)),
        occurred_at: Utc::now(),
        customer_id: None,
        partner_user_id: viewer.user_id,
        action: ActionKind::ChangedLogStreaming,
        action_text: ActionKind::ChangedLogStreaming.label().to_string(),
        details: ActionDetails::LogStreaming {
            destination: destination.to_string(),
            change: change.to_string(),
        },
    };
    crate::integrity::chain::append_batch(&state.pool, viewer.partner_id, &[event])
        .await
        .map_err(|error| {
            tracing::error!(%error, "recording a log streaming change failed");
            AppError::Internal
        })?;
    Ok(())
}

/// The event "Send test event" sends: the read API's shape, marked as a test (its id, its
/// chain position 0), never stored.
pub fn test_event(viewer: &Viewer) -> FeedEvent {
    let now = Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
    let kind = ActionKind::ChangedLogStreaming;
    FeedEvent {
        id: format!("test-{}", random_hex(8)),
        occurred_at: now.clone(),
        customer_id: None,
        customer_name: None,
        partner_user: viewer.email.to_string(),
        action: kind.as_str(),
        action_text: "Test event from the activity log".into(),
        details: ActionDetails::LogStreaming {
            destination: String::new(),
            change: "test".into(),
        },
        recorded_at: Some(now),
        chain_position: 0,
        event_hash: None,
        cursor: String::new(),
        canonical_event: None,
        inclusion_proof: None,
    }
}
