//! The live log in the page: while the period shown includes now, events stored since its
//! first page was read arrive over server-sent events (`activity::live`). They join the rows
//! at once when the viewer is at the top of an unfiltered table; otherwise a notice counts
//! them until the viewer asks to see them, so nothing moves under the reader. Open rows,
//! the filter, the URL and the scroll position are never touched by their arrival.
//!
//! New rows go after the loaded ones (so the search index and facts only grow); `from_row`
//! says where they start, and [`newest_first`] places them by time for the table.

use std::collections::HashSet;
use std::sync::Arc;

use leptos::prelude::*;

use super::rows::{Load, LoadedRow, Slots};
use crate::events::ActivityEntry;
use crate::ids::EventId;

/// What the page keeps to follow the log live, for the current load.
#[derive(Clone, Copy)]
pub(super) struct Live {
    /// The chain position the load's first page was read at.
    pub(super) head: StoredValue<i64>,
    /// The load's numbering of users and customers, continued for new rows.
    pub(super) slots: StoredValue<Slots>,
    /// Where rows that arrived live start among the rows; `usize::MAX` while loading.
    pub(super) from_row: RwSignal<usize>,
    /// Events that arrived while the viewer was scrolled down or filtering.
    pub(super) pending: RwSignal<Vec<ActivityEntry>>,
    /// Ids of every row shown, so an event both loaded and sent live shows once.
    known: StoredValue<Option<HashSet<EventId>>>,
    /// Makes a row of an event that came live (`LoadedRow::new`, from the chunk: naming it
    /// here would bring its details' packing into the main module); set once loaded.
    make_row: StoredValue<Option<MakeRow>>,
}

/// `LoadedRow::new`, handed over from the chunk.
pub(super) type MakeRow = fn(ActivityEntry, &mut Slots) -> Arc<LoadedRow>;

impl Live {
    pub(super) fn new() -> Live {
        Live {
            head: StoredValue::new(0),
            slots: StoredValue::new(Slots::default()),
            from_row: RwSignal::new(usize::MAX),
            pending: RwSignal::new(Vec::new()),
            known: StoredValue::new(None),
            make_row: StoredValue::new(None),
        }
    }

    /// A new load begins: nothing of the last one's carries over.
    pub(super) fn restart(self) {
        self.head.set_value(0);
        self.from_row.set(usize::MAX);
        self.pending.set(Vec::new());
        self.known.set_value(None);
        close_stream();
    }

    /// The load is complete with `rows` rows numbered by `slots`; rows that come live are
    /// made by `make_row`.
    pub(super) fn loaded(self, rows: usize, slots: Slots, make_row: MakeRow) {
        self.slots.set_value(slots);
        self.make_row.set_value(Some(make_row));
        self.from_row.set(rows);
    }

    /// Adds `entries` to the loaded rows, leaving out any already there.
    pub(super) fn show(self, load: RwSignal<Load>, entries: Vec<ActivityEntry>) {
        let Some(make_row) = self.make_row.get_value() else {
            return;
        };
        load.update(|load| {
            let Load::Loaded(rows) = load else {
                return;
            };
            let mut known = self
                .known
                .try_update_value(Option::take)
                .flatten()
                .unwrap_or_else(|| rows.iter().map(|row| row.id).collect());
            let mut added: Vec<Arc<LoadedRow>> = rows.as_ref().clone();
            let before = added.len();
            self.slots.update_value(|slots| {
                for entry in entries {
                    if known.insert(entry.id) {
                        added.push(make_row(entry, slots));
                    }
                }
            });
            self.known.set_value(Some(known));
            if added.len() > before {
                *load = Load::Loaded(Arc::new(added));
            }
        });
    }

    /// Shows the events that waited, from the top of the table.
    pub(super) fn show_pending(self, load: RwSignal<Load>) {
        let entries = self.pending.try_update(std::mem::take).unwrap_or_default();
        self.show(load, entries);
        scroll_table_to_top();
    }
}

/// Rows in newest-first order when some arrived live: `positions` (indexes into `rows`, in
/// index order) have the loaded ones first, already newest first, and the live ones after in
/// the order they came; the live ones are merged in by time (then id).
pub(super) fn newest_first(positions: &mut Vec<u32>, rows: &[Arc<LoadedRow>], from_row: usize) {
    let split = positions.partition_point(|position| (*position as usize) < from_row);
    if split == positions.len() {
        return;
    }
    let key = |position: &u32| {
        let row = &rows[*position as usize];
        (row.at, row.id.0)
    };
    let mut live = positions.split_off(split);
    live.sort_by_key(|position| std::cmp::Reverse(key(position)));
    let loaded = std::mem::take(positions);
    let (mut loaded, mut live) = (loaded.into_iter().peekable(), live.into_iter().peekable());
    while let (Some(old), Some(new)) = (loaded.peek(), live.peek()) {
        if key(new) > key(old) {
            positions.push(*new);
            live.next();
        } else {
            positions.push(*old);
            loaded.next();
        }
    }
    positions.extend(loaded);
    positions.extend(live);
}

#[cfg(feature = "hydrate")]
pub(super) use browser::{close_stream, follow, scroll_table_to_top, table_at_top};

#[cfg(not(feature = "hydrate"))]
pub(super) fn close_stream() {}
#[cfg(not(feature = "hydrate"))]
pub(super) fn scroll_table_to_top() {}

#[cfg(feature = "hydrate")]
mod browser {
    use leptos::prelude::*;
    use wasm_bindgen::JsCast;
    use wasm_bindgen::prelude::Closure;
    use web_sys::{EventSource, MessageEvent};

    use super::Live;
    use crate::activity::LIVE_PATH;
    use crate::activity::page::rows::Load;
    use crate::activity::period::UtcRange;
    use crate::activity::wire::{EventPage, LiveMessage, LiveQuery, form_fields};

    /// A stream and its message handler (dropped with it).
    type OpenStream = (EventSource, Closure<dyn FnMut(MessageEvent)>);

    thread_local! {
        /// The page's one open stream.
        static STREAM: std::cell::RefCell<Option<OpenStream>> = const { std::cell::RefCell::new(None) };
    }

    pub fn close_stream() {
        if let Some((stream, _)) = STREAM.with(|slot| slot.borrow_mut().take()) {
            stream.close();
        }
    }

    /// Whether the table is scrolled to its top (or not there at all).
    pub fn table_at_top() -> bool {
        document()
            .query_selector(".table-scroll")
            .ok()
            .flatten()
            .is_none_or(|scroller| scroller.scroll_top() <= 0)
    }

    pub fn scroll_table_to_top() {
        if let Ok(Some(scroller)) = document().query_selector(".table-scroll") {
            scroller.set_scroll_top(0);
        }
    }

    /// Opens the stream of events stored into `range` after the load's first page; each
    /// arrival, read with `decode`, is shown at once when `show_now` says so, else counted.
    pub fn follow(
        live: Live,
        load: RwSignal<Load>,
        range: UtcRange,
        decode: fn(&[u8]) -> Option<EventPage>,
        show_now: impl Fn() -> bool + 'static,
    ) {
        close_stream();
        let (from, to) = range.to_texts();
        let asked = LiveQuery {
            from,
            to,
            after: live.head.get_value(),
        };
        let query = web_sys::UrlSearchParams::new().expect("a new UrlSearchParams");
        for (name, value) in form_fields(&asked) {
            query.append(&name, &value);
        }
        let Ok(stream) = EventSource::new(&format!("{LIVE_PATH}?{}", String::from(query.to_string()))) else {
            return;
        };
        let on_events = Closure::<dyn FnMut(MessageEvent)>::new(move |message: MessageEvent| {
            let Some(data) = message.data().as_string() else {
                return;
            };
            let Some(page) = decode(data.as_bytes()) else {
                return;
            };
            let entries = page.unpack();
            if show_now() {
                live.show(load, entries);
            } else {
                live.pending.update(|pending| pending.extend(entries));
            }
        });
        if stream
            .add_event_listener_with_callback(LiveMessage::EVENTS, on_events.as_ref().unchecked_ref())
            .is_err()
        {
            stream.close();
            return;
        }
        STREAM.with(|slot| *slot.borrow_mut() = Some((stream, on_events)));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::events::sample_order;
    use chrono::{Duration, TimeZone, Utc};

    fn row(id: i64, minutes: i64, slots: &mut Slots) -> Arc<LoadedRow> {
        let mut entry = sample_order("Contoso");
        entry.id = EventId(id);
        entry.occurred_at =
            Utc.with_ymd_and_hms(2026, 11, 20, 12, 0, 0).unwrap() + Duration::minutes(minutes);
        LoadedRow::new(entry, slots)
    }

    #[test]
    fn live_rows_join_the_loaded_ones_by_time() {
        let mut slots = Slots::default();
        // Loaded newest first (minutes 30, 20, 10), then live ones as they came: 40, 15, 5, 40 (a later id).
        let rows: Vec<_> = [(1, 30), (2, 20), (3, 10), (4, 40), (5, 15), (6, 5), (7, 40)]
            .into_iter()
            .map(|(id, minutes)| row(id, minutes, &mut slots))
            .collect();
        let mut positions: Vec<u32> = (0..7).collect();
        newest_first(&mut positions, &rows, 3);
        let ids: Vec<i64> = positions.iter().map(|p| rows[*p as usize].id.0).collect();
        assert_eq!(ids, [7, 4, 1, 2, 5, 3, 6]);
        // Filtered: only some of each.
        let mut some = vec![1, 2, 4, 5];
        newest_first(&mut some, &rows, 3);
        assert_eq!(some, [1, 4, 2, 5]);
        // No live rows: untouched.
        let mut loaded = vec![0, 2];
        newest_first(&mut loaded, &rows, 3);
        assert_eq!(loaded, [0, 2]);
    }
}
