//! The activity log's server function: the events of one period, for the signed-in partner.

use leptos::prelude::*;

use super::model::ActivityEntry;
use crate::errors::AppError;

/// Events from `from` (included) to `to` (excluded), RFC 3339 instants, newest first.
/// The browser computes the instants from the viewer's local From/To days.
#[server(endpoint = "list_activity")]
pub async fn list_activity(from: String, to: String) -> Result<Vec<ActivityEntry>, AppError> {
    use super::{period::UtcRange, queries};
    use crate::{auth::session, errors::with_status, state::app_state};

    with_status(
        async {
            let state = app_state()?;
            let viewer = session::require_activity_log_role(session::current_viewer(&state).await?)?;
            let range =
                UtcRange::parse(&from, &to).map_err(|error| AppError::InvalidInput(error.to_string()))?;
            queries::events_in_range(&state.pool, viewer.partner_id, range).await
        }
        .await,
    )
}
