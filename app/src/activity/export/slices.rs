//! The export's rows: read a keyset slice at a time, filtered, or gathered and sorted when
//! the sort is by a column other than Date-Time.

use tokio::sync::mpsc;

use crate::activity::filter::Filter;
use crate::activity::store::{self, EventRow, StoredEntry, stored_entry_from_row};
use crate::activity::view_state::{Column, Sort};
use crate::db::to_db_time;
use crate::errors::AppError;
use crate::i18n::Locale;
use crate::ids::PartnerId;

use super::request::ExportRequest;

/// Rows read per query. Between slices the export holds no connection from the pool and no
/// read transaction, so a slow client neither ties up the pool nor keeps SQLite's WAL from
/// being checkpointed (or PostgreSQL's vacuum from removing old rows).
const SLICE_ROWS: i64 = 2_000;
/// Slices read ahead of the one being written: reading the next overlaps writing this one
/// (on two cores, two threads), and a slow client holds at most this many in memory.
const SLICES_AHEAD: usize = 1;

type Read = Result<Vec<StoredEntry>, AppError>;

/// A partner's events in the range, read a slice at a time by keyset (one index range scan
/// each), none newer than the export's start, by a task of their own that stays
/// [`SLICES_AHEAD`] ahead of the writer.
pub(super) struct Slices {
    slices: mpsc::Receiver<Read>,
}

impl Slices {
    pub(super) fn new(
        pool: crate::db::Db,
        partner_id: PartnerId,
        request: &ExportRequest,
        newest_id: i64,
    ) -> Slices {
        let oldest_first = request.sort
            == (Sort {
                column: Column::Time,
                descending: false,
            });
        let slice = store::Slice {
            partner_id,
            from: to_db_time(request.range.from),
            to: to_db_time(request.range.to),
            newest_id,
            oldest_first,
        };
        let (sender, slices) = mpsc::channel(SLICES_AHEAD);
        tokio::spawn(read_ahead(pool, slice, request.filter.clone(), sender));
        Slices { slices }
    }

    /// The next slice's events that pass the filter, or `None` at the end.
    pub(super) async fn next_matching(&mut self) -> Result<Option<Vec<StoredEntry>>, AppError> {
        self.slices.recv().await.transpose()
    }
}

/// Reads slice after slice, turns the rows into entries and keeps those `filter` passes,
/// into `slices`, until the last slice (shorter than [`SLICE_ROWS`]), an error, or the
/// export's end (the receiver dropped). A task of its own, so that on two cores reading
/// and decoding run beside the writing.
async fn read_ahead(pool: crate::db::Db, slice: store::Slice, filter: Filter, slices: mpsc::Sender<Read>) {
    let mut cursor = slice.start();
    loop {
        let read = store::events_slice(&pool, &slice, cursor.clone(), SLICE_ROWS).await;
        let next = match &read {
            Ok(rows) if rows.len() as i64 == SLICE_ROWS => {
                rows.last().map(|last| (last.occurred_at.clone(), last.id.0))
            }
            _ => None,
        };
        let matching = read.and_then(|rows| matching_entries(rows, &filter));
        let nothing = matching.as_ref().is_ok_and(Vec::is_empty);
        if !nothing && slices.send(matching).await.is_err() {
            return;
        }
        match next {
            Some(after) => cursor = after,
            None => return,
        }
    }
}

fn matching_entries(rows: Vec<EventRow>, filter: &Filter) -> Result<Vec<StoredEntry>, AppError> {
    let mut entries = Vec::with_capacity(rows.len());
    for row in rows {
        let stored = stored_entry_from_row(row)?;
        if filter.matches(&stored.entry) {
            entries.push(stored);
        }
    }
    Ok(entries)
}

/// Every matching entry, newest first, then in the request's order; refused past `max_rows`.
pub(super) async fn sorted_entries(
    slices: &mut Slices,
    request: &ExportRequest,
    max_rows: usize,
    locale: Locale,
) -> Result<Vec<StoredEntry>, AppError> {
    let mut entries = Vec::new();
    while let Some(matching) = slices.next_matching().await? {
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
        .apply(&mut order, &entries, |stored| &stored.entry, request.locale);
    let mut slots: Vec<Option<StoredEntry>> = entries.into_iter().map(Some).collect();
    Ok(order
        .into_iter()
        .filter_map(|position| slots[position as usize].take())
        .collect())
}
