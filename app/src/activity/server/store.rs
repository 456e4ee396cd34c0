//! What the log page asks of the events table (`event_table`, which holds every SQL text of
//! it): a period's events newest first, one keyset page at a time, packed for the wire.

use chrono::{DateTime, Utc};

use crate::activity::period::UtcRange;
use crate::activity::wire::{CompactEvent, EventPage, PageBuilder};
use crate::db::{Db, from_db_time, to_db_time};
use crate::errors::AppError;
use crate::event_table::period::{self, Next, Slice};
use crate::event_table::{EventRowRef, entry_from_row};
use crate::events::ActivityEntry;
use crate::ids::{CustomerId, EventId, PartnerId};

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
/// each page is one index range scan, however deep). Packed as the rows are read, from the
/// borrowed row: no stored entry is built per row, and a user or customer is copied once a
/// page (what `EventPage::pack` makes of the same rows' entries; a test holds the two alike).
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
    let packing = PagePacker {
        builder: PageBuilder::with_capacity(limit),
        last: None,
    };
    let add = |packing: &mut PagePacker, row: EventRowRef<'_>| packing.add(row).map(|()| Next::Go);
    let packed = period::for_each_in_slice(db, &slice, start, limit as i64, packing, add).await?;
    let mut page = packed.builder.page;
    let full = page.rows.len() == limit;
    page.next = full.then_some(packed.last).flatten().map(|last| last.to_text());
    Ok(page)
}

/// A page being packed from the rows as they are read, with where it ends.
struct PagePacker {
    builder: PageBuilder,
    last: Option<PageCursor>,
}

impl PagePacker {
    fn add(&mut self, row: EventRowRef<'_>) -> Result<(), AppError> {
        let occurred_at = row.decoded_occurred_at()?;
        let action = row.decoded_action()?;
        let customer = row.customer().map(|(id, name)| (CustomerId(id), name));
        let (customer, user) = self.builder.number(customer, row.partner_user);
        let own_text = (row.action_text != action.label()).then(|| row.action_text.to_string());
        self.builder.page.rows.push(CompactEvent(
            EventId(row.id),
            row.event_id.to_string(),
            occurred_at.timestamp(),
            customer,
            user,
            action,
            own_text,
            row.decoded_details()?,
        ));
        self.last = Some(PageCursor {
            occurred_at,
            id: row.id,
        });
        Ok(())
    }
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
