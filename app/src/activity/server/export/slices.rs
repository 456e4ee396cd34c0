//! The export's rows: read and written into the file's format a keyset slice at a time, three
//! slices at once, each on a blocking thread of its own; or gathered and sorted when the sort
//! is by a column other than Date-Time.

use std::collections::VecDeque;
use std::sync::Arc;

use axum::body::Bytes;
use tokio::sync::mpsc;
use tokio::task::JoinHandle;

use crate::activity::filter::Filter;
use crate::activity::view::{Column, Sort};
use crate::db::Db;
use crate::errors::AppError;
use crate::event_table::period::{self, Next, RowPosition, Slice};
use crate::event_table::{EventRowRef, StoredEntry, stored_entry_from_row};
use crate::i18n::Locale;
use crate::ids::PartnerId;

use super::file::FileWriter;
use super::request::ExportRequest;
use crate::activity::wire::ExportFormat;

/// Rows per slice. Between slices the export holds no connection from the pool and no read
/// transaction, so a slow client neither ties up the pool nor keeps SQLite's WAL from being
/// checkpointed (or PostgreSQL's vacuum from removing old rows).
const SLICE_ROWS: i64 = 2_000;
/// Slices read and written at once, each on a blocking thread: SQLite reads about half a
/// million rows a second on one core, so only both cores beat `sqlite3 -csv`; the third keeps
/// them busy while a finished slice is handed over. Also the bound on what a slow client makes
/// the export hold: this many slices' bytes. More slices ahead are a few per cent faster and
/// take the export's peak memory past its 64 MiB goal.
const SLICES_AT_ONCE: usize = 3;
/// A slice's buffer to begin with: room for rows of 512 bytes (the default columns' rows
/// are about 340), so it is rarely regrown (and copied). Pages never written to are not
/// resident.
const SLICE_BYTES: usize = 512 * SLICE_ROWS as usize;

/// A partner's events in the range, none newer than the export's start, in the file's format
/// a slice at a time and in order.
pub(super) struct Slices {
    db: Db,
    slice: Slice,
    /// Each slice's start and end, found ahead of the reads by [`find_slice_ends`].
    bounds: mpsc::Receiver<Result<Bounds, AppError>>,
    finder: JoinHandle<()>,
    started: VecDeque<JoinHandle<Result<Bytes, AppError>>>,
    rows: Arc<RowsToFile>,
}

/// Where a slice starts (after this position) and ends (at this one; `None` for the last).
type Bounds = (RowPosition, Option<RowPosition>);

/// What each slice's thread needs to write its rows: the filter and the file's format.
struct RowsToFile {
    filter: Filter,
    format: ExportFormat,
    columns: Vec<Column>,
}

impl Slices {
    pub(super) fn new(db: Db, partner_id: PartnerId, request: &ExportRequest, newest_id: i64) -> Slices {
        let slice = slice_of(partner_id, request, newest_id);
        let (found, bounds) = mpsc::channel(SLICES_AT_ONCE);
        Slices {
            finder: tokio::spawn(tracing::Instrument::in_current_span(find_slice_ends(
                db.clone(),
                slice.clone(),
                found,
            ))),
            db,
            bounds,
            slice,
            started: VecDeque::new(),
            rows: Arc::new(RowsToFile {
                filter: request.filter.clone(),
                format: request.format,
                columns: request.columns.clone(),
            }),
        }
    }

    /// The next slice's rows as file bytes (empty when none pass the filter), or `None` at the
    /// end. Keeps [`SLICES_AT_ONCE`] slices being read, their ends found ahead.
    pub(super) async fn next_part(&mut self) -> Result<Option<Bytes>, AppError> {
        while self.started.len() < SLICES_AT_ONCE {
            let Some(bounds) = self.bounds.recv().await else {
                break;
            };
            let (start, end) = bounds?;
            let read = write_slice(self.db.clone(), self.slice.clone(), start, end, self.rows.clone());
            self.started
                .push_back(tokio::spawn(tracing::Instrument::in_current_span(read)));
        }
        let Some(oldest) = self.started.pop_front() else {
            return Ok(None);
        };
        match oldest.await {
            Ok(written) => written.map(Some),
            Err(error) => {
                tracing::error!(%error, "an export slice's task stopped");
                Err(AppError::Internal)
            }
        }
    }
}

impl Drop for Slices {
    fn drop(&mut self) {
        self.finder.abort();
    }
}

/// Finds each slice's end (a walk of the index alone) and hands over its bounds, at most
/// [`SLICES_AT_ONCE`] ahead of the reads, so that no read waits for its end to be found
/// (about 0.9 ms a slice: a quarter of a million-row export if done in turn). Stops after
/// the last slice, at an error, or when the export is gone.
async fn find_slice_ends(db: Db, slice: Slice, found: mpsc::Sender<Result<Bounds, AppError>>) {
    let mut start = slice.start();
    loop {
        let bounds = period::slice_end(&db, &slice, (&start.0, start.1), SLICE_ROWS)
            .await
            .map(|end| (start.clone(), end));
        let next_start = match &bounds {
            Ok((_, Some(end))) => Some(end.clone()),
            _ => None,
        };
        if found.send(bounds).await.is_err() {
            return;
        }
        match next_start {
            Some(next) => start = next,
            None => return,
        }
    }
}

fn slice_of(partner_id: PartnerId, request: &ExportRequest, newest_id: i64) -> Slice {
    let oldest_first = request.sort
        == (Sort {
            column: Column::Time,
            descending: false,
        });
    Slice::new(
        partner_id,
        (request.range.from, request.range.to),
        newest_id,
        oldest_first,
    )
}

/// The rows of `slice` after `start` up to and including `end` (to the slice's end when
/// `None`) that pass the filter, in the file's format.
async fn write_slice(
    db: Db,
    slice: Slice,
    start: RowPosition,
    end: Option<RowPosition>,
    rows: Arc<RowsToFile>,
) -> Result<Bytes, AppError> {
    let oldest_first = slice.oldest_first;
    let past_end = move |row: &EventRowRef| match &end {
        Some((time, id)) if oldest_first => row.position() > (time.as_str(), *id),
        Some((time, id)) => row.position() < (time.as_str(), *id),
        None => false,
    };
    let file = FileWriter::rows_only(rows.format, &rows.columns, SLICE_BYTES);
    let mut file = period::for_each_in_slice(&db, &slice, start, SLICE_ROWS, file, move |file, row| {
        if past_end(&row) {
            return Ok(Next::Stop);
        }
        write_row(file, &rows.filter, &row)?;
        Ok(Next::Go)
    })
    .await?;
    file.take()
}

/// One row into `file` if it passes `filter`; its details decoded only when the filter or the
/// file needs them (the default CSV writes the stored JSON as it is).
fn write_row(file: &mut FileWriter, filter: &Filter, row: &EventRowRef) -> Result<(), AppError> {
    if !filter.is_empty() {
        let stored = stored_entry_from_row(row.to_owned())?;
        if filter.matches(&stored.entry) {
            file.write(row, Some(&stored.entry.details))?;
        }
        Ok(())
    } else if file.needs_details() {
        file.write(row, Some(&row.decoded_details()?))
    } else {
        file.write(row, None)
    }
}

/// The matching entries a keyset slice at a time, in the slice's order: the Excel export's
/// rows (a workbook is written by one thread), and what a sorted export gathers.
pub(super) struct Pages {
    db: Db,
    slice: Slice,
    filter: Filter,
    /// Where the next page starts; `None` after the last.
    next: Option<RowPosition>,
}

impl Pages {
    pub(super) fn new(db: Db, partner_id: PartnerId, request: &ExportRequest, newest_id: i64) -> Pages {
        let slice = slice_of(partner_id, request, newest_id);
        Pages {
            db,
            next: Some(slice.start()),
            slice,
            filter: request.filter.clone(),
        }
    }

    /// How many events the range holds before the filter (an index count).
    pub(super) async fn events_in_range(&self) -> Result<i64, AppError> {
        period::events_in_slice(&self.db, &self.slice).await
    }

    /// The next slice's entries that pass the filter (maybe none), or `None` at the end.
    pub(super) async fn next_page(&mut self) -> Result<Option<Vec<StoredEntry>>, AppError> {
        let Some(cursor) = self.next.take() else {
            return Ok(None);
        };
        let rows = period::events_slice(&self.db, &self.slice, cursor, SLICE_ROWS).await?;
        if rows.len() as i64 == SLICE_ROWS {
            self.next = rows.last().map(|last| (last.occurred_at.clone(), last.id.0));
        }
        let mut entries = Vec::with_capacity(rows.len());
        for row in rows {
            let stored = stored_entry_from_row(row)?;
            if self.filter.matches(&stored.entry) {
                entries.push(stored);
            }
        }
        Ok(Some(entries))
    }
}

/// Every matching entry, newest first, then in the request's order; refused past `max_rows`.
pub(super) async fn sorted_entries(
    db: &Db,
    partner_id: PartnerId,
    request: &ExportRequest,
    newest_id: i64,
    max_rows: usize,
    locale: Locale,
) -> Result<Vec<StoredEntry>, AppError> {
    let mut pages = Pages::new(db.clone(), partner_id, request, newest_id);
    let mut entries = Vec::new();
    while let Some(page) = pages.next_page().await? {
        entries.extend(page);
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
        .apply(&mut order, &entries, |stored| &stored.entry, request.locale);
    let mut slots: Vec<Option<StoredEntry>> = entries.into_iter().map(Some).collect();
    Ok(order
        .into_iter()
        .filter_map(|position| slots[position as usize].take())
        .collect())
}
