//! `POST /account-settings/activity-log/export`: the Export log button's download. A plain
//! form post answered with an attachment, so the browser saves it to the downloads folder
//! with its own progress and cancel.
//!
//! The file holds the rows on screen: the same period, filter (the shared parser), sort and
//! columns, as CSV (headers in the viewer's language) or NDJSON (every field, one event per
//! line). It is streamed: rows go from SQLite, a keyset slice at a time, through the filter
//! and the writer to the response in chunks over a small bounded channel, so the server's
//! memory stays the same whatever the period holds, and there is no row limit. A sort by a
//! column other than Date-Time is done in memory before the first byte, up to
//! `sorted_export_max_rows`. Exports running at once are capped (`export_slots`), and one
//! whose client stops reading is ended after `export_send_timeout`.

use axum::Form;
use axum::body::{Body, Bytes};
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, header};
use axum::response::{IntoResponse, Response};
use chrono::Utc;
use serde::Deserialize;
use tokio::sync::mpsc;

use super::csv_file::CsvChunks;
use super::filter::{Filter, MAX_FILTER_CHARS};
use super::period::{LocalPeriod, UtcRange};
use super::store::{self, EventRow, entry_from_row};
use super::view_state::{Column, Sort, chosen_columns};
use crate::auth::model::{VIEW_ACTIVITY_LOG, Viewer};
use crate::auth::session;
use crate::db::to_db_time;
use crate::digest::random_hex;
use crate::errors::AppError;
use crate::events::NewEvent;
use crate::events::{ActionDetails, ActionKind, ActivityEntry};
use crate::i18n::{Locale, locale_of_request};
use crate::ids::{CustomerId, PartnerId};
use crate::integrity::chain::append_batch;
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
            tag => Locale::parse(tag).ok_or_else(|| invalid(Locale::unknown_tag(tag)))?,
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
/// Rows read per query. Between slices the export holds no connection and no read
/// transaction, so a slow client neither ties up the pool nor keeps SQLite's WAL from
/// being checkpointed.
const SLICE_ROWS: i64 = 2_000;

/// What the response body is sent: file bytes, then `End` once the file is whole. A body
/// whose channel closes without `End` was cut short, and says so with an error, so a client
/// never mistakes part of a file for all of it.
enum Piece {
    Bytes(Bytes),
    End,
}

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
        Err(error) => error.response_in(locale_of_request(&headers)),
    }
}

/// Checks the request, takes an export slot, notes the newest event (the file holds what
/// existed at this moment, whatever is appended while it streams), records the export, and
/// returns the file name, its format and the streaming body.
async fn start_export(
    state: &AppState,
    headers: &HeaderMap,
    form: ExportForm,
) -> Result<(String, ExportFormat, Body), AppError> {
    let locale = locale_of_request(headers);
    let viewer = session::require_permission_in(
        session::viewer_from_headers(state, headers).await?,
        VIEW_ACTIVITY_LOG,
        locale,
    )?;
    let request = ExportRequest::check(form)?;
    let slot = state
        .exports
        .take(viewer.partner_id)
        .map_err(|_| AppError::Busy(tr!(locale, export.too_many_exports_are_running).into()))?;
    let newest_id = store::newest_event_id(&state.pool).await?;
    let mut slices = Slices::new(state.pool.clone(), viewer.partner_id, &request, newest_id);
    // A sort by another column needs every row before the first byte; bounded, so a few of
    // these at once can't take the server's memory.
    let sorted = match request.sort.column {
        Column::Time => None,
        _ => Some(sorted_entries(&mut slices, &request, state.limits.sorted_export_max_rows, locale).await?),
    };
    // Recorded before any byte leaves: no export goes unrecorded. Its own event is newer
    // than `newest_id`, so it is not in the file (which holds what the page showed).
    record_export(state, &viewer, &request).await?;
    let (pieces, receiver) = mpsc::channel::<Piece>(CHUNKS_IN_FLIGHT);
    let file_name = request.file_name();
    let format = request.format;
    let send_timeout = state.limits.export_send_timeout;
    tokio::spawn(async move {
        let outcome = write_file(slices, sorted, &request, &pieces, send_timeout).await;
        match outcome {
            Ok(()) => {}
            Err(Stop::ClientGone) => {}
            Err(Stop::ClientStalled) => {
                tracing::warn!(
                    partner_id = %viewer.partner_id,
                    "export ended: its client stopped reading"
                )
            }
            Err(Stop::Failed(error)) => {
                tracing::error!(%error, "an export failed part way; the download is cut short")
            }
        }
        drop(slot);
    });
    let body = Body::from_stream(futures::stream::unfold(Some(receiver), |receiver| async move {
        let mut receiver = receiver?;
        match receiver.recv().await {
            Some(Piece::Bytes(bytes)) => Some((Ok(bytes), Some(receiver))),
            Some(Piece::End) => None,
            None => Some((
                Err(std::io::Error::other(
                    "the export ended before the file was whole",
                )),
                None,
            )),
        }
    }));
    Ok((file_name, format, body))
}

/// A partner's events in the range, read a slice at a time by keyset (one index range scan
/// each), none newer than the export's start.
struct Slices {
    pool: sqlx::SqlitePool,
    slice: store::Slice,
    /// Where the last slice ended: (occurred_at, id).
    cursor: Option<(String, i64)>,
    done: bool,
}

impl Slices {
    fn new(pool: sqlx::SqlitePool, partner_id: PartnerId, request: &ExportRequest, newest_id: i64) -> Slices {
        let oldest_first = request.sort
            == (Sort {
                column: Column::Time,
                descending: false,
            });
        Slices {
            pool,
            slice: store::Slice {
                partner_id,
                from: to_db_time(request.range.from),
                to: to_db_time(request.range.to),
                newest_id,
                oldest_first,
            },
            cursor: None,
            done: false,
        }
    }

    /// The next slice's events that pass `filter` (perhaps none), or `None` at the end.
    async fn next_matching(&mut self, filter: &Filter) -> Result<Option<Vec<ActivityEntry>>, AppError> {
        let rows = self.next().await?;
        if rows.is_empty() {
            return Ok(None);
        }
        let mut entries = Vec::with_capacity(rows.len());
        for row in rows {
            let entry = entry_from_row(row)?;
            if filter.matches(&entry) {
                entries.push(entry);
            }
        }
        Ok(Some(entries))
    }

    /// The next slice, or an empty one at the end.
    async fn next(&mut self) -> Result<Vec<EventRow>, AppError> {
        if self.done {
            return Ok(Vec::new());
        }
        let cursor = self.cursor.clone().unwrap_or_else(|| self.slice.start());
        let rows = store::events_slice(&self.pool, &self.slice, cursor, SLICE_ROWS).await?;
        self.done = (rows.len() as i64) < SLICE_ROWS;
        if let Some(last) = rows.last() {
            self.cursor = Some((last.occurred_at.clone(), last.id.0));
        }
        Ok(rows)
    }
}

/// Every matching entry, newest first, then in the request's order; refused past `max_rows`.
async fn sorted_entries(
    slices: &mut Slices,
    request: &ExportRequest,
    max_rows: usize,
    locale: Locale,
) -> Result<Vec<ActivityEntry>, AppError> {
    let mut entries = Vec::new();
    while let Some(matching) = slices.next_matching(&request.filter).await? {
        entries.extend(matching);
        if entries.len() > max_rows {
            return Err(AppError::InvalidInput(tr!(
                locale,
                export.sorted_too_many,
                max = locale.number(max_rows as u64)
            )));
        }
    }
    let mut order: Vec<u32> = (0..entries.len() as u32).collect();
    request
        .sort
        .apply(&mut order, &entries, |entry| entry, request.locale);
    let mut slots: Vec<Option<ActivityEntry>> = entries.into_iter().map(Some).collect();
    Ok(order
        .into_iter()
        .filter_map(|position| slots[position as usize].take())
        .collect())
}

/// Why writing a file stopped before its end.
enum Stop {
    ClientGone,
    /// No chunk was taken for the whole send timeout.
    ClientStalled,
    Failed(AppError),
}

/// The file on its way to the client: rows are written into it and handed over in chunks of
/// about [`CHUNK_BYTES`], each send bounded by the send timeout.
struct Outgoing<'a> {
    file: FileWriter,
    pieces: &'a mpsc::Sender<Piece>,
    send_timeout: std::time::Duration,
}

impl Outgoing<'_> {
    async fn write(&mut self, entry: &ActivityEntry) -> Result<(), Stop> {
        self.file.write(entry).map_err(|error| {
            tracing::error!(%error, "writing the export failed");
            Stop::Failed(AppError::Internal)
        })?;
        if self.file.buffered() >= CHUNK_BYTES {
            self.flush().await?;
        }
        Ok(())
    }

    async fn flush(&mut self) -> Result<(), Stop> {
        let bytes = self.file.take().map_err(|_| Stop::Failed(AppError::Internal))?;
        self.send(Piece::Bytes(bytes)).await
    }

    /// Sends what is left, then says the file is whole.
    async fn finish(mut self) -> Result<(), Stop> {
        self.flush().await?;
        self.send(Piece::End).await
    }

    async fn send(&self, piece: Piece) -> Result<(), Stop> {
        match tokio::time::timeout(self.send_timeout, self.pieces.send(piece)).await {
            Ok(Ok(())) => Ok(()),
            Ok(Err(_)) => Err(Stop::ClientGone),
            Err(_) => Err(Stop::ClientStalled),
        }
    }
}

/// Writes the rows (from `sorted` when given, else slice by slice) and sends them in chunks.
async fn write_file(
    mut slices: Slices,
    sorted: Option<Vec<ActivityEntry>>,
    request: &ExportRequest,
    pieces: &mpsc::Sender<Piece>,
    send_timeout: std::time::Duration,
) -> Result<(), Stop> {
    let mut out = Outgoing {
        file: FileWriter::new(request),
        pieces,
        send_timeout,
    };
    if let Some(entries) = sorted {
        for entry in &entries {
            out.write(entry).await?;
        }
    } else {
        while let Some(matching) = slices
            .next_matching(&request.filter)
            .await
            .map_err(Stop::Failed)?
        {
            for entry in &matching {
                out.write(entry).await?;
            }
        }
    }
    out.finish().await
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
    customer_id: Option<CustomerId>,
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

/// Adds "Exported the activity log" by `viewer` to their partner's log, naming the UTC
/// range actually exported beside the days the file is named for.
async fn record_export(state: &AppState, viewer: &Viewer, request: &ExportRequest) -> Result<(), AppError> {
    let instant = |time: chrono::DateTime<Utc>| time.to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
    let event = NewEvent {
        // 128 random bits: unique without asking the database.
        external_id: format!("export-{}", random_hex(16)),
        occurred_at: Utc::now(),
        customer_id: None,
        partner_user_id: viewer.user_id,
        action: ActionKind::ExportedActivityLog,
        action_text: ActionKind::ExportedActivityLog.label().to_string(),
        details: ActionDetails::Export {
            from_date: request.period.from.to_string(),
            to_date: request.period.to.to_string(),
            from: instant(request.range.from),
            to: instant(request.range.to),
            filter: request.filter_text.trim().to_string(),
            format: request.format.name().to_string(),
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
