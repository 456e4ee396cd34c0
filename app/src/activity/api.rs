//! The activity log's server function: one page of a period's events, for the signed-in
//! partner. The page asks for the pages one after another (keyset paging, newest first), so a
//! period of any size arrives in bounded pieces.

use leptos::prelude::*;

use super::model::EventPage;
use crate::errors::AppError;

/// Most events one page carries.
pub const EVENTS_PER_PAGE: usize = 5_000;

/// Events from `from` (included) to `to` (excluded), RFC 3339 instants, newest first,
/// starting after `after` (the previous page's `next`; empty for the first page).
/// The browser computes the instants from the viewer's local From/To days.
#[server(endpoint = "list_activity")]
pub async fn list_activity(
    from: String,
    to: String,
    #[server(default)] after: String,
) -> Result<EventPage, AppError> {
    use super::queries;
    use crate::errors::with_status;

    with_status(
        async {
            let (state, viewer, range) = period_of_viewer(&from, &to).await?;
            let after = match after.trim() {
                "" => None,
                cursor => Some(queries::PageCursor::parse(cursor).ok_or_else(|| {
                    let l = crate::i18n::request_locale();
                    AppError::InvalidInput(tr!(l, log_api.that_page_of_the_log).into())
                })?),
            };
            queries::events_page(&state.pool, viewer.partner_id, range, after, EVENTS_PER_PAGE).await
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
