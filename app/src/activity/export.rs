//! `POST /account-settings/activity-log/export`: the Export log button's download. A plain
//! form post answered with an attachment, so the browser saves it to the downloads folder
//! with its own progress and cancel.
//!
//! The file is streamed: rows go from SQLite through the filter and the CSV writer to the
//! response in chunks, over a small bounded channel, so the server's memory stays the same
//! whatever the period holds, and there is no row limit.

use axum::Form;
use axum::body::{Body, Bytes};
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, header};
use axum::response::{IntoResponse, Response};
use chrono::Utc;
use futures::TryStreamExt;
use serde::Deserialize;
use tokio::sync::{mpsc, oneshot};

use super::csv_file::CsvChunks;
use super::filter::{Filter, MAX_FILTER_CHARS};
use super::model::{ActionDetails, ActionKind};
use super::period::{LocalPeriod, UtcRange};
use super::queries::{EVENTS_IN_RANGE_SQL, EventRow, entry_from_row};
use crate::auth::model::Viewer;
use crate::auth::session;
use crate::db::to_db_time;
use crate::digest::random_hex;
use crate::errors::AppError;
use crate::integrity::chain::{NewEvent, append_batch};
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

/// Chunks of about this size are handed to the response.
const CHUNK_BYTES: usize = 64 * 1024;
/// Chunks waiting for a slow client: the bound on the server's memory per export.
const CHUNKS_IN_FLIGHT: usize = 4;

pub async fn export_activity_log(
    State(state): State<AppState>,
    headers: HeaderMap,
    Form(form): Form<ExportForm>,
) -> Response {
    match start_export(&state, &headers, form).await {
        Ok((file_name, body)) => {
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
                body,
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

/// Checks the request, starts reading the rows, records the export, and returns the file
/// name and the streaming body.
async fn start_export(
    state: &AppState,
    headers: &HeaderMap,
    form: ExportForm,
) -> Result<(String, Body), AppError> {
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
    let (chunks, receiver) = mpsc::channel::<Result<Bytes, std::io::Error>>(CHUNKS_IN_FLIGHT);
    let (reading, started) = oneshot::channel();
    tokio::spawn(stream_rows(
        state.pool.clone(),
        viewer.partner_id,
        range,
        filter,
        chunks,
        reading,
    ));
    // The read has its snapshot once its first row is in: recording the export after that
    // keeps the export's own event out of the file (it holds what the page showed).
    started.await.map_err(|_| AppError::Internal)??;
    // Recorded before any byte leaves: no export goes unrecorded.
    record_export(state, &viewer, &period, &form.filter).await?;
    let body = Body::from_stream(futures::stream::unfold(receiver, |mut receiver| async move {
        receiver.recv().await.map(|chunk| (chunk, receiver))
    }));
    Ok((period.export_file_name(), body))
}

/// Reads the rows one by one and sends the CSV in chunks; stops early when the client goes.
async fn stream_rows(
    pool: sqlx::SqlitePool,
    partner_id: i64,
    range: UtcRange,
    filter: Filter,
    chunks: mpsc::Sender<Result<Bytes, std::io::Error>>,
    reading: oneshot::Sender<Result<(), AppError>>,
) {
    let mut reading = Some(reading);
    let mut rows = sqlx::query_as::<_, EventRow>(EVENTS_IN_RANGE_SQL)
        .bind(partner_id)
        .bind(to_db_time(range.from))
        .bind(to_db_time(range.to))
        .bind(-1_i64)
        .fetch(&pool);
    let mut csv = CsvChunks::new();
    let failure = loop {
        let row = match rows.try_next().await {
            Ok(row) => row,
            Err(error) => break Some(AppError::from(error)),
        };
        if let Some(reading) = reading.take() {
            let _ = reading.send(Ok(()));
        }
        let Some(row) = row else {
            break None;
        };
        let entry = match entry_from_row(row) {
            Ok(entry) => entry,
            Err(error) => break Some(error),
        };
        if !filter.matches(&entry) {
            continue;
        }
        if let Err(error) = csv.write(&entry) {
            tracing::error!(%error, "writing the CSV failed");
            break Some(AppError::Internal);
        }
        if csv.buffered() >= CHUNK_BYTES {
            let chunk = csv.take().map(Bytes::from).map_err(std::io::Error::other);
            if chunks.send(chunk).await.is_err() {
                return; // The client went away.
            }
        }
    };
    match failure {
        None => {
            let chunk = csv.take().map(Bytes::from).map_err(std::io::Error::other);
            let _ = chunks.send(chunk).await;
        }
        Some(error) => match reading.take() {
            Some(reading) => {
                let _ = reading.send(Err(error));
            }
            None => {
                tracing::error!(%error, "an export failed part way; the download is cut short");
                let _ = chunks
                    .send(Err(std::io::Error::other("the export failed part way")))
                    .await;
            }
        },
    }
}

/// Adds "Exported the activity log" by `viewer` to their partner's log.
async fn record_export(
    state: &AppState,
    viewer: &Viewer,
    period: &LocalPeriod,
    filter: &str,
) -> Result<(), AppError> {
    let event = NewEvent {
        // 128 random bits: unique without asking the database.
        external_id: format!("export-{}", random_hex(16)),
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
