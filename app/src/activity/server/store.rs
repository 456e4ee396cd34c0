//! What the log page asks of the events table (`event_table`, which holds every SQL text of
//! it): a period's events newest first, one keyset page at a time, packed for the wire.

use chrono::{DateTime, Utc};

use crate::activity::period::UtcRange;
use crate::activity::wire::EventPage;
use crate::db::{Db, from_db_time, to_db_time};
use crate::errors::AppError;
use crate::event_table::entry_from_row;
use crate::event_table::period::{self, Slice};
use crate::events::ActivityEntry;
use crate::ids::PartnerId;

/// Where a page ends: the last row's time and id (rows are ordered by both, newest first).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PageCursor {
    occurred_at: DateTime<Utc>,
    id: i64,
}

impl PageCursor {
    /// `2026-11-20T09:15:00Z/12345`, as [`PageCursor::to_text`] writes it.
    pub fn parse(text: &str) -> Option<PageCursor> {
        let (time, id) = text.split_once('/')?;
        let occurred_at = from_db_time(time).ok()?;
        (to_db_time(occurred_at) == time).then_some(())?;
        Some(PageCursor {
            occurred_at,
            id: id.parse().ok()?,
        })
    }

    pub fn to_text(&self) -> String {
        format!("{}/{}", to_db_time(self.occurred_at), self.id)
    }
}

/// One page of a partner's events in `range`, newest first, after `after` (keyset paging:
/// each page is one index range scan, however deep).
pub async fn events_page(
    db: &Db,
    partner_id: PartnerId,
    range: UtcRange,
    after: Option<PageCursor>,
    limit: usize,
) -> Result<EventPage, AppError> {
    let slice = Slice::new(partner_id, (range.from, range.to), i64::MAX, false);
    let start = match after {
        Some(cursor) => (to_db_time(cursor.occurred_at), cursor.id),
        None => slice.start(),
    };
    let rows = period::events_slice(db, &slice, start, limit as i64).await?;
    let full = rows.len() == limit;
    let entries = rows
        .into_iter()
        .map(entry_from_row)
        .collect::<Result<Vec<_>, _>>()?;
    let next = full.then(|| entries.last()).flatten().map(|last| {
        PageCursor {
            occurred_at: last.occurred_at,
            id: last.id.0,
        }
        .to_text()
    });
    Ok(EventPage::pack(entries, next))
}

/// One partner's whole period, newest first, in memory (the page pages and the export
/// streams; this is for tools and tests).
pub async fn events_in_range(
    db: &Db,
    partner_id: PartnerId,
    range: UtcRange,
) -> Result<Vec<ActivityEntry>, AppError> {
    period::events_in_range(db, partner_id, (range.from, range.to))
        .await?
        .into_iter()
        .map(entry_from_row)
        .collect()
}
