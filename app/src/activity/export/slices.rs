//! The export's rows: read a keyset slice at a time, filtered, or gathered and sorted when
//! the sort is by a column other than Date-Time.

use crate::activity::filter::Filter;
use crate::activity::store::{self, EventRow, entry_from_row};
use crate::activity::view_state::{Column, Sort};
use crate::db::to_db_time;
use crate::errors::AppError;
use crate::events::ActivityEntry;
use crate::i18n::Locale;
use crate::ids::PartnerId;

use super::request::ExportRequest;

/// Rows read per query. Between slices the export holds no connection and no read
/// transaction, so a slow client neither ties up the pool nor keeps SQLite's WAL from being
/// checkpointed (or PostgreSQL's vacuum from removing old rows).
const SLICE_ROWS: i64 = 2_000;

/// A partner's events in the range, read a slice at a time by keyset (one index range scan
/// each), none newer than the export's start.
pub(super) struct Slices {
    pool: crate::db::Db,
    slice: store::Slice,
    /// Where the last slice ended: (occurred_at, id).
    cursor: Option<(String, i64)>,
    done: bool,
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
    pub(super) async fn next_matching(
        &mut self,
        filter: &Filter,
    ) -> Result<Option<Vec<ActivityEntry>>, AppError> {
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
pub(super) async fn sorted_entries(
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
