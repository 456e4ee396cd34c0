//! `POST /account-settings/activity-log/export`: the Export log button's download. A plain
//! form post answered with an attachment, so the browser saves it to the downloads folder
//! with its own progress and cancel.
//!
//! The file holds the rows on screen: the same period, filter (the shared parser), sort and
//! columns, as CSV (headers in the viewer's language) or NDJSON (every field, one event per
//! line; with `proofs`, each line's inclusion proof too: `proofs`). It is streamed: keyset
//! slices of rows are read, filtered and written into the file's format on blocking threads,
//! three slices at once and handed on in order (`slices`), then to the response in chunks
//! over a small bounded channel (`writer`), so the server's memory stays the same whatever
//! the period holds, and there is no row limit. A sort by a column other than Date-Time is
//! done in memory before the first byte, up to `sorted_export_max_rows`. Exports running at
//! once are capped (`stream_slots`), and one whose client stops reading is ended after
//! `export_send_timeout`.

use axum::Form;
use axum::body::Body;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, header};
use axum::response::{IntoResponse, Response};
use chrono::Utc;
use tokio::sync::mpsc;

use crate::activity::view::Column;
use crate::activity::wire::{ExportForm, ExportFormat};
use crate::auth::model::{VIEW_ACTIVITY_LOG, Viewer};
use crate::auth::session;
use crate::digest::random_hex;
use crate::errors::AppError;
use crate::event_table::period::newest_event_id;
use crate::events::NewEvent;
use crate::events::{ActionDetails, ActionKind};
use crate::i18n::locale_of_request;
use crate::integrity::chain::append_batch;
use crate::state::AppState;

pub mod csv;
mod file;
mod proofs;
mod request;
mod slices;
mod writer;
mod xlsx;

use proofs::LineProofs;
use request::{ExportRequest, content_type};
use slices::{Pages, Slices, sorted_entries};
use writer::{CHUNKS_IN_FLIGHT, Piece, Rows, Stop, write_file};
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
                        HeaderValue::from_static(content_type(format)),
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
    let slot = state.exports.take(viewer.partner_id).map_err(|_| {
        state.metrics.slot_refused(crate::state::metrics::Slots::Export);
        AppError::Busy(tr!(locale, export.too_many_exports_are_running).into())
    })?;
    let newest_id = newest_event_id(&state.pool).await?;
    let proofs = if request.proofs {
        let proofs = LineProofs::newest(&state.pool, &state.checkpoint_key, viewer.partner_id).await?;
        Some(proofs.ok_or_else(|| AppError::InvalidInput(tr!(locale, export.no_checkpoint_yet).into()))?)
    } else {
        None
    };
    // A sort by another column needs every row before the first byte; bounded, so a few of
    // these at once can't take the server's memory.
    let rows = match request.sort.column {
        // Proofs are read a page at a time, beside the page's rows.
        Column::Time if proofs.is_some() => Rows::Pages(Pages::new(
            state.pool.clone(),
            viewer.partner_id,
            &request,
            newest_id,
        )),
        Column::Time if request.format == ExportFormat::Xlsx => {
            let pages = Pages::new(state.pool.clone(), viewer.partner_id, &request, newest_id);
            let events = pages.events_in_range().await?;
            if events as u64 > xlsx::MAX_XLSX_ROWS {
                return Err(AppError::InvalidInput(tr!(
                    locale,
                    export.too_many_for_excel,
                    max = locale.number(xlsx::MAX_XLSX_ROWS),
                    events = locale.number(events as u64)
                )));
            }
            Rows::Pages(pages)
        }
        Column::Time => Rows::Slices(Slices::new(
            state.pool.clone(),
            viewer.partner_id,
            &request,
            newest_id,
        )),
        _ => Rows::Sorted(
            sorted_entries(
                &state.pool,
                viewer.partner_id,
                &request,
                newest_id,
                state.limits.sorted_export_max_rows,
                locale,
            )
            .await?,
        ),
    };
    // Recorded before any byte leaves: no export goes unrecorded. Its own event is newer
    // than `newest_id`, so it is not in the file (which holds what the page showed).
    record_export(state, &viewer, &request).await?;
    let (pieces, receiver) = mpsc::channel::<Piece>(CHUNKS_IN_FLIGHT);
    let file_name = request.file_name();
    let format = request.format;
    let send_timeout = state.limits.export_send_timeout;
    // In the request's span, so the writer's log lines carry the request's id.
    tokio::spawn(tracing::Instrument::in_current_span(async move {
        let outcome = write_file(rows, &request, proofs, &pieces, send_timeout).await;
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
    }));
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
