//! `POST /account-settings/activity-log/export`: the Export log button's download. A plain
//! form post answered with an attachment, so the browser saves it to the downloads folder.

use axum::Form;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, header};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;

use super::csv_file::write_activity_csv;
use super::filter::{Filter, MAX_FILTER_CHARS};
use super::model::{ActionDetails, ActionKind};
use super::period::{LocalPeriod, UtcRange};
use super::queries;
use crate::auth::model::Viewer;
use crate::auth::session;
use crate::errors::AppError;
use crate::integrity::chain::{NewEvent, append_batch};
use crate::state::AppState;
use chrono::Utc;

/// The same period and filter the page shows: the UTC instants it loaded, the local days
/// that name the file, and the filter text.
#[derive(Debug, Deserialize)]
pub struct ExportForm {
    pub from: String,
    pub to: String,
    pub from_date: String,
    pub to_date: String,
    #[serde(default)]
    pub filter: String,
}

pub async fn export_activity_log(
    State(state): State<AppState>,
    headers: HeaderMap,
    Form(form): Form<ExportForm>,
) -> Response {
    match build_export(&state, &headers, form).await {
        Ok((file_name, bytes)) => {
            let disposition = format!("attachment; filename=\"{file_name}\"");
            (
                [
                    (
                        header::CONTENT_TYPE,
                        HeaderValue::from_static("text/csv; charset=utf-8"),
                    ),
                    (
                        header::CONTENT_DISPOSITION,
                        HeaderValue::from_str(&disposition).unwrap_or(HeaderValue::from_static("attachment")),
                    ),
                    (header::CACHE_CONTROL, HeaderValue::from_static("no-store")),
                ],
                bytes,
            )
                .into_response()
        }
        Err(error) => {
            let status = error.status_code();
            (
                status,
                [(header::CONTENT_TYPE, "text/plain; charset=utf-8")],
                error.to_string(),
            )
                .into_response()
        }
    }
}

async fn build_export(
    state: &AppState,
    headers: &HeaderMap,
    form: ExportForm,
) -> Result<(String, Vec<u8>), AppError> {
    let viewer = session::require_activity_log_role(session::viewer_from_headers(state, headers).await?)?;
    let invalid = |error: super::period::PeriodError| AppError::InvalidInput(error.to_string());
    let range = UtcRange::parse(&form.from, &form.to).map_err(invalid)?;
    // The file is named by the local days; parsing them also keeps the header value clean.
    let period = LocalPeriod::parse(&form.from_date, &form.to_date).map_err(invalid)?;
    if form.filter.chars().count() > MAX_FILTER_CHARS {
        return Err(AppError::InvalidInput(format!(
            "The filter is longer than {MAX_FILTER_CHARS} characters."
        )));
    }
    let filter = Filter::parse(&form.filter);
    let entries = queries::events_in_range(&state.pool, viewer.partner_id, range).await?;
    // Recorded after the read (so the file holds exactly what the page showed) and before
    // any byte leaves: no export goes unrecorded.
    record_export(state, &viewer, &period, &form.filter).await?;
    let bytes =
        write_activity_csv(entries.iter().filter(|entry| filter.matches(entry))).map_err(|error| {
            tracing::error!(%error, "writing the CSV failed");
            AppError::Internal
        })?;
    Ok((period.export_file_name(), bytes))
}

/// Adds "Exported the activity log" by `viewer` to their partner's log.
async fn record_export(
    state: &AppState,
    viewer: &Viewer,
    period: &LocalPeriod,
    filter: &str,
) -> Result<(), AppError> {
    let event = NewEvent {
        external_id: format!("export-{}", random_event_suffix()),
        occurred_at: Utc::now(),
        customer_id: None,
        partner_user_id: viewer.user_id,
        action: ActionKind::ExportedActivityLog,
        action_text: ActionKind::ExportedActivityLog.label().to_string(),
        details: ActionDetails::Export {
            from_date: period.from.to_string(),
            to_date: period.to.to_string(),
            filter: filter.trim().to_string(),
            format: "csv".to_string(),
        },
    };
    append_batch(&state.pool, viewer.partner_id, &[event])
        .await
        .map_err(|error| {
            tracing::error!(%error, "recording an export failed");
            AppError::Internal
        })?;
    Ok(())
}

/// 128 random bits as hex, for the export event's id.
fn random_event_suffix() -> String {
    use argon2::password_hash::rand_core::{OsRng, RngCore};
    let mut bytes = [0u8; 16];
    OsRng.fill_bytes(&mut bytes);
    crate::integrity::canonical::to_hex(&bytes)
}
