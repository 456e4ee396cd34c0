//! The activity log's server function: the events of one period, for the signed-in partner.

use leptos::prelude::*;

use super::model::ActivityEntry;
use crate::errors::AppError;

/// Events from `from` (included) to `to` (excluded), RFC 3339 instants, newest first.
/// The browser computes the instants from the viewer's local From/To days.
#[server(endpoint = "list_activity")]
pub async fn list_activity(from: String, to: String) -> Result<Vec<ActivityEntry>, AppError> {
    use crate::errors::with_status;

    with_status(
        async {
            let (state, viewer, range) = period_of_viewer(&from, &to).await?;
            super::queries::events_in_range(&state.pool, viewer.partner_id, range).await
        }
        .await,
    )
}

/// The start of every server function about a period of the log: the signed-in viewer, in a
/// role that may see it, and the period `from`–`to` (RFC 3339 instants) checked.
#[cfg(feature = "ssr")]
pub async fn period_of_viewer(
    from: &str,
    to: &str,
) -> Result<
    (
        crate::state::AppState,
        crate::auth::model::Viewer,
        super::period::UtcRange,
    ),
    AppError,
> {
    use crate::auth::session;
    let state = crate::state::app_state()?;
    let viewer = session::require_activity_log_role(session::current_viewer(&state).await?)?;
    let range = super::period::UtcRange::parse(from, to)
        .map_err(|error| AppError::InvalidInput(error.to_string()))?;
    Ok((state, viewer, range))
}
