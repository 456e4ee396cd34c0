//! `POST /account-settings/activity-log/export`: the Export log button's download. A plain
//! form post answered with an attachment, so the browser saves it to the downloads folder
//! with its own progress and cancel.
//!
//! The file holds the rows on screen: the same period, filter (the shared parser), sort and
//! columns, as CSV (headers in the viewer's language) or NDJSON (every field, one event per
//! line). It is streamed: rows go from SQLite through the filter and the writer to the
//! response in chunks, over a small bounded channel, so the server's memory stays the same
//! whatever the period holds, and there is no row limit. The one exception is a sort by a
//! column other than Date-Time: those rows are sorted in memory before the first byte.

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
use super::model::{ActionDetails, ActionKind, ActivityEntry};
use super::period::{LocalPeriod, UtcRange};
use super::queries::{EVENTS_IN_RANGE_OLDEST_FIRST_SQL, EVENTS_IN_RANGE_SQL, EventRow, entry_from_row};
use super::view_state::{Column, Sort, chosen_columns};
use crate::auth::model::{VIEW_ACTIVITY_LOG, Viewer};
use crate::auth::session;
use crate::db::to_db_time;
use crate::digest::random_hex;
use crate::errors::AppError;
use crate::i18n::{Locale, locale_of_request};
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
    /// As in the page's URL, e.g. `-time` or `customer`; empty for newest first.
    #[serde(default)]
    pub sort: String,
    /// Comma-separated column keys; empty for the default four.
    #[serde(default)]
    pub columns: String,
    /// `en` or `ko`, for the CSV header; empty for English.
    #[serde(default)]
    pub lang: String,
    /// `csv` (the default) or `ndjson`.
    #[serde(default)]
    pub format: String,
}

/// The file types the export writes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExportFormat {
    Csv,
    Ndjson,
}

impl ExportFormat {
    pub fn parse(text: &str) -> Option<ExportFormat> {
        match text {
            "" | "csv" => Some(ExportFormat::Csv),
            "ndjson" => Some(ExportFormat::Ndjson),
            _ => None,
        }
    }

    fn name(self) -> &'static str {
        match self {
            ExportFormat::Csv => "csv",
            ExportFormat::Ndjson => "ndjson",
        }
    }

    fn content_type(self) -> &'static str {
        match self {
            ExportFormat::Csv => "text/csv; charset=utf-8",
            ExportFormat::Ndjson => "application/x-ndjson; charset=utf-8",
        }
    }
}

/// What the form asks for, checked.
struct ExportRequest {
    range: UtcRange,
    period: LocalPeriod,
    filter_text: String,
    filter: Filter,
    sort: Sort,
    columns: Vec<Column>,
    locale: Locale,
    format: ExportFormat,
}

impl ExportRequest {
    fn check(form: ExportForm) -> Result<ExportRequest, AppError> {
        let invalid = |message: String| AppError::InvalidInput(message);
        let range = UtcRange::parse(&form.from, &form.to).map_err(|error| invalid(error.to_string()))?;
        // The file is named by the local days; parsing them also keeps the header value clean.
        let period =
            LocalPeriod::parse(&form.from_date, &form.to_date).map_err(|error| invalid(error.to_string()))?;
        if form.filter.chars().count() > MAX_FILTER_CHARS {
            return Err(invalid(format!(
                "The filter is longer than {MAX_FILTER_CHARS} characters."
            )));
        }
        let sort = match form.sort.as_str() {
            "" => Sort::default(),
            text => Sort::parse(text).ok_or_else(|| {
                invalid(format!("Can't sort by {text:?}; use time, customer, action, user, details or event_id, with - for descending."))
            })?,
        };
        let columns = chosen_columns(&form.columns)
            .map_err(invalid)?
            .unwrap_or_else(|| Column::DEFAULT.to_vec());
        let locale = match form.lang.as_str() {
            "" => Locale::En,
            tag => {
                Locale::parse(tag).ok_or_else(|| invalid(format!("No language {tag:?}; use en or ko.")))?
            }
        };
        let format = ExportFormat::parse(&form.format)
            .ok_or_else(|| invalid(format!("No export format {:?}; use csv or ndjson.", form.format)))?;
        Ok(ExportRequest {
            range,
            period,
            filter: Filter::parse(&form.filter),
            filter_text: form.filter,
            sort,
            columns,
            locale,
            format,
        })
    }

    fn file_name(&self) -> String {
        self.period.export_file_name(self.format.name())
    }
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
        Ok((file_name, format, body)) => {
            let disposition = format!("attachment; filename=\"{file_name}\"");
            (
                [
                    (
                        header::CONTENT_TYPE,
                        HeaderValue::from_static(format.content_type()),
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
                error.message_in(locale_of_request(&headers)),
            )
                .into_response()
        }
    }
}

/// Checks the request, starts reading the rows, records the export, and returns the file
/// name, its format and the streaming body.
async fn start_export(
    state: &AppState,
    headers: &HeaderMap,
    form: ExportForm,
) -> Result<(String, ExportFormat, Body), AppError> {
    let viewer = session::require_permission_in(
        session::viewer_from_headers(state, headers).await?,
        VIEW_ACTIVITY_LOG,
        locale_of_request(headers),
    )?;
    let request = ExportRequest::check(form)?;
    let (chunks, receiver) = mpsc::channel::<Result<Bytes, std::io::Error>>(CHUNKS_IN_FLIGHT);
    let (reading, started) = oneshot::channel();
    let file_name = request.file_name();
    let (period, filter_text, format) = (request.period, request.filter_text.clone(), request.format);
    tokio::spawn(stream_rows(
        state.pool.clone(),
        viewer.partner_id,
        request,
        chunks,
        reading,
    ));
    // The read has its snapshot once its first row is in: recording the export after that
    // keeps the export's own event out of the file (it holds what the page showed).
    started.await.map_err(|_| AppError::Internal)??;
    // Recorded before any byte leaves: no export goes unrecorded.
    record_export(state, &viewer, &period, &filter_text, format).await?;
    let body = Body::from_stream(futures::stream::unfold(receiver, |mut receiver| async move {
        receiver.recv().await.map(|chunk| (chunk, receiver))
    }));
    Ok((file_name, format, body))
}

/// The file being written: CSV, or one JSON object per line.
enum FileWriter {
    Csv(CsvChunks),
    Ndjson(Vec<u8>),
}

/// One line of the JSON export: every stored field of the event, plus the customer's name.
/// Without `customer_name` it is exactly what `POST /api/v1/events` and `server import` take.
#[derive(serde::Serialize)]
struct JsonLine<'a> {
    id: &'a str,
    occurred_at: String,
    customer_id: Option<i64>,
    customer_name: Option<&'a str>,
    partner_user: &'a str,
    action: &'a str,
    action_text: &'a str,
    details: &'a ActionDetails,
}

impl FileWriter {
    fn new(request: &ExportRequest) -> FileWriter {
        match request.format {
            ExportFormat::Csv => FileWriter::Csv(CsvChunks::new(&request.columns, request.locale)),
            ExportFormat::Ndjson => FileWriter::Ndjson(Vec::new()),
        }
    }

    fn write(&mut self, entry: &ActivityEntry) -> Result<(), String> {
        match self {
            FileWriter::Csv(csv) => csv.write(entry).map_err(|error| error.to_string()),
            FileWriter::Ndjson(buffer) => {
                let line = JsonLine {
                    id: &entry.event_id,
                    occurred_at: entry
                        .occurred_at
                        .to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
                    customer_id: entry.customer.as_ref().map(|customer| customer.id),
                    customer_name: entry
                        .customer
                        .as_ref()
                        .map(|customer| customer.company_name.as_str()),
                    partner_user: &entry.partner_user,
                    action: entry.action.as_str(),
                    action_text: &entry.action_text,
                    details: &entry.details,
                };
                serde_json::to_writer(&mut *buffer, &line).map_err(|error| error.to_string())?;
                buffer.push(b'\n');
                Ok(())
            }
        }
    }

    fn buffered(&self) -> usize {
        match self {
            FileWriter::Csv(csv) => csv.buffered(),
            FileWriter::Ndjson(buffer) => buffer.len(),
        }
    }

    fn take(&mut self) -> Result<Bytes, std::io::Error> {
        match self {
            FileWriter::Csv(csv) => csv.take().map(Bytes::from).map_err(std::io::Error::other),
            FileWriter::Ndjson(buffer) => Ok(Bytes::from(std::mem::take(buffer))),
        }
    }
}

/// Reads the rows one by one and sends the file in chunks; stops early when the client goes.
async fn stream_rows(
    pool: sqlx::SqlitePool,
    partner_id: i64,
    request: ExportRequest,
    chunks: mpsc::Sender<Result<Bytes, std::io::Error>>,
    reading: oneshot::Sender<Result<(), AppError>>,
) {
    let mut reading = Some(reading);
    let oldest_first = request.sort
        == (Sort {
            column: Column::Time,
            descending: false,
        });
    let sql = if oldest_first {
        EVENTS_IN_RANGE_OLDEST_FIRST_SQL
    } else {
        EVENTS_IN_RANGE_SQL
    };
    // Sorting by another column needs every row first; they arrive newest first, as the page's.
    let mut to_sort: Option<Vec<ActivityEntry>> = (request.sort.column != Column::Time).then(Vec::new);
    let mut rows = sqlx::query_as::<_, EventRow>(sql)
        .bind(partner_id)
        .bind(to_db_time(request.range.from))
        .bind(to_db_time(request.range.to))
        .bind(-1_i64)
        .fetch(&pool);
    let mut file = FileWriter::new(&request);
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
        if !request.filter.matches(&entry) {
            continue;
        }
        if let Some(to_sort) = to_sort.as_mut() {
            to_sort.push(entry);
            continue;
        }
        if let Err(error) = file.write(&entry) {
            tracing::error!(%error, "writing the export failed");
            break Some(AppError::Internal);
        }
        if file.buffered() >= CHUNK_BYTES && chunks.send(file.take()).await.is_err() {
            return; // The client went away.
        }
    };
    drop(rows);
    if let (None, Some(entries)) = (&failure, to_sort) {
        let mut order: Vec<u32> = (0..entries.len() as u32).collect();
        request
            .sort
            .apply(&mut order, &entries, |entry| entry, request.locale);
        for position in order {
            if let Err(error) = file.write(&entries[position as usize]) {
                tracing::error!(%error, "writing the export failed");
                let _ = chunks
                    .send(Err(std::io::Error::other("the export failed part way")))
                    .await;
                return;
            }
            if file.buffered() >= CHUNK_BYTES && chunks.send(file.take()).await.is_err() {
                return;
            }
        }
    }
    match failure {
        None => {
            let _ = chunks.send(file.take()).await;
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
    format: ExportFormat,
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
            format: format.name().to_string(),
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
