//! Server functions of Account settings → Log streaming. Global admins only, always the
//! caller's own partner; a refusal names its field.

use leptos::prelude::*;

use super::model::{DestinationSecret, DestinationStatus};
use crate::browser_json::BrowserJson;
use crate::errors::AppError;

#[cfg(feature = "ssr")]
async fn admin() -> Result<(crate::state::AppState, crate::auth::model::Viewer), AppError> {
    use crate::auth::{model::MANAGE_LOG_STREAMING, session};
    let state = crate::state::app_state()?;
    let viewer = session::require_permission(session::current_viewer(&state).await?, MANAGE_LOG_STREAMING)?;
    Ok((state, viewer))
}

/// The partner's destinations and how each stands.
#[server(endpoint = "stream_destinations", output = BrowserJson)]
pub async fn list_destinations() -> Result<Vec<DestinationStatus>, AppError> {
    let (state, viewer) = admin().await?;
    super::status::of_partner(&state.pool, viewer.partner_id).await
}

/// Adds a destination; delivery starts with the next event stored. The answer carries the
/// signing secret of a webhook or chat destination, the only time it is shown.
#[server(endpoint = "create_stream_destination", output = BrowserJson)]
pub async fn create_destination(
    name: String,
    kind: String,
    target: String,
    #[server(default)] filter: String,
    #[server(default)] ca_pem: String,
) -> Result<DestinationSecret, AppError> {
    use super::model::{DestinationKind, MAX_DESTINATIONS, MAX_NAME_CHARS};
    use super::store::{self, NewDestination};
    let (state, viewer) = admin().await?;
    let l = crate::i18n::request_locale();
    let field = |field: &str, message: String| AppError::InvalidField {
        field: field.into(),
        message,
    };
    let name = name.trim();
    if name.is_empty() || name.chars().count() > MAX_NAME_CHARS || name.chars().any(char::is_control) {
        return Err(field(
            "name",
            tr!(l, streaming.name_refused, max = MAX_NAME_CHARS),
        ));
    }
    let kind =
        DestinationKind::parse(&kind).ok_or_else(|| field("kind", tr!(l, streaming.kind_refused).into()))?;
    let target = target.trim();
    super::check::target(kind, target, state.streaming.allow_private_networks)
        .await
        .map_err(|why| field("target", tr!(l, streaming.target_refused, why = why)))?;
    let ca_pem = ca_pem.trim();
    if ca_pem.len() > 64 * 1024 {
        return Err(field("ca_pem", tr!(l, streaming.ca_refused, why = "over 64 KiB")));
    }
    super::send::certificates(ca_pem)
        .map_err(|why| field("ca_pem", tr!(l, streaming.ca_refused, why = why)))?;
    let filter = filter.trim();
    if let Some(hint) = crate::activity::filter::Filter::parse(filter).hints().first() {
        return Err(field("filter", hint.message_in(l)));
    }
    if store::count(&state.pool, viewer.partner_id).await? >= MAX_DESTINATIONS as i64 {
        return Err(field("name", tr!(l, streaming.too_many, max = MAX_DESTINATIONS)));
    }
    if store::name_taken(&state.pool, viewer.partner_id, name).await? {
        return Err(field("name", tr!(l, streaming.name_taken).into()));
    }
    // Recorded first: the destination starts with the events after its own creation.
    super::record::change(&state, &viewer, name, "created").await?;
    let secret = if kind.is_signed() {
        super::sign::new_secret()
    } else {
        String::new()
    };
    let new = NewDestination {
        name,
        kind,
        target,
        ca_pem,
        filter,
        language: l.tag(),
        secret: &secret,
        from_position: crate::event_table::chain::chain_position(&state.pool, viewer.partner_id).await?,
    };
    let id = store::create(&state.pool, viewer.partner_id, viewer.user_id, &new).await?;
    tracing::info!(destination = id, partner_id = %viewer.partner_id, by = ?viewer.email, kind = kind.as_str(), "log streaming destination created");
    Ok(DestinationSecret {
        destination: super::status::one(&state.pool, viewer.partner_id, id).await?,
        secret: kind.is_signed().then_some(secret),
    })
}

/// Pauses (`enabled` false) or resumes a destination; resuming also lifts a pause it put
/// itself in after failing, and tries at once.
#[server(endpoint = "set_stream_destination_enabled", output = BrowserJson)]
pub async fn set_destination_enabled(id: i64, enabled: bool) -> Result<DestinationStatus, AppError> {
    let (state, viewer) = admin().await?;
    let destination = super::store::get_for(&state.pool, viewer.partner_id, id).await?;
    super::store::set_enabled(&state.pool, id, enabled).await?;
    tracing::info!(destination = id, partner_id = %viewer.partner_id, by = ?viewer.email, enabled, "log streaming destination switched");
    super::record::change(
        &state,
        &viewer,
        &destination.name,
        if enabled { "resumed" } else { "paused" },
    )
    .await?;
    super::status::one(&state.pool, viewer.partner_id, id).await
}

#[server(endpoint = "delete_stream_destination", output = BrowserJson)]
pub async fn delete_destination(id: i64) -> Result<(), AppError> {
    let (state, viewer) = admin().await?;
    let destination = super::store::get_for(&state.pool, viewer.partner_id, id).await?;
    super::store::delete(&state.pool, id).await?;
    tracing::info!(destination = id, partner_id = %viewer.partner_id, by = ?viewer.email, "log streaming destination deleted");
    super::record::change(&state, &viewer, &destination.name, "deleted").await?;
    Ok(())
}

/// A new signing secret, shown once; the old one keeps signing for a day (every message
/// carries both signatures meanwhile), so receivers can switch without losing any.
#[server(endpoint = "rotate_stream_destination_secret", output = BrowserJson)]
pub async fn rotate_destination_secret(id: i64) -> Result<DestinationSecret, AppError> {
    let (state, viewer) = admin().await?;
    let destination = super::store::get_for(&state.pool, viewer.partner_id, id).await?;
    if !destination.kind().is_signed() {
        return Err(AppError::InvalidInput(
            tr!(crate::i18n::request_locale(), streaming.nothing_to_rotate).into(),
        ));
    }
    let secret = super::sign::new_secret();
    let grace = i64::try_from(state.streaming.previous_secret_grace.as_millis()).unwrap_or(i64::MAX);
    let until = chrono::Utc::now().timestamp_millis().saturating_add(grace);
    super::store::rotate_secret(&state.pool, id, &secret, until).await?;
    tracing::info!(destination = id, partner_id = %viewer.partner_id, by = ?viewer.email, "log streaming secret rotated");
    super::record::change(&state, &viewer, &destination.name, "rotated its secret").await?;
    Ok(DestinationSecret {
        destination: super::status::one(&state.pool, viewer.partner_id, id).await?,
        secret: Some(secret),
    })
}

/// Sends one made-up event, marked as a test and not stored in the log, and says how it went.
#[server(endpoint = "send_stream_test_event", output = BrowserJson)]
pub async fn send_test_event(id: i64) -> Result<(), AppError> {
    let (state, viewer) = admin().await?;
    let destination = super::store::get_for(&state.pool, viewer.partner_id, id).await?;
    let l = crate::i18n::request_locale();
    let event = super::record::test_event(&viewer);
    super::worker::send_test_event(&state, &destination, event)
        .await
        .map_err(|why| AppError::InvalidInput(tr!(l, streaming.test_failed, why = why)))
}
