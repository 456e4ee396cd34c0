//! `POST /account-settings/activity-log/export`: the Export log button's download. A plain
//! form post answered with an attachment, so the browser saves it to the downloads folder.

use axum::Form;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, header};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;

use super::csv_file::write_activity_csv;
use super::filter::{Filter, MAX_FILTER_CHARS};
use super::period::{LocalPeriod, UtcRange};
use super::queries;
use crate::auth::session;
use crate::errors::AppError;
use crate::state::AppState;

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
    let bytes =
        write_activity_csv(entries.iter().filter(|entry| filter.matches(entry))).map_err(|error| {
            tracing::error!(%error, "writing the CSV failed");
            AppError::Internal
        })?;
    Ok((period.export_file_name(), bytes))
}
