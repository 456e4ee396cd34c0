//! The event table, windowed: only the rows in view (plus a margin) are in the DOM, spacers
//! stand in for the rest, and opened rows are measured so scrolling stays put.

use std::collections::{HashMap, HashSet};

use leptos::prelude::*;

use crate::activity::view::{Column, Sort, ZoneChoice};
use crate::i18n::use_locale;
use crate::ids::EventId;

use super::event_row::{EventTableRow, row_at};
use super::log_view::ViewUrl;
use super::rows::{Positions, Rows};

/// Rows below and above the viewport that are rendered too, so fast scrolling shows rows:
/// about 330 px each way. Every row in the window is updated when the filter changes, so
/// the margin costs each keystroke too: keep it small.
pub(super) const OVERSCAN_ROWS: usize = 8;

/// Which rows to render for a scroll position: positions `start..end` of the filtered list,
/// and the heights of the spacers that stand in for the rows above and below. `extras` are
/// (position, extra pixels) of expanded rows, in position order.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(super) struct Window {
    pub(super) start: usize,
    pub(super) end: usize,
    pub(super) top_px: f64,
    pub(super) bottom_px: f64,
}

pub(super) fn window_for(
    count: usize,
    row_px: f64,
    scroll_top: f64,
    viewport_px: f64,
    extras: &[(usize, f64)],
) -> Window {
    let row_px = row_px.max(1.0);
    // The first position in view: rows above it, plus the details opened above it.
    let mut extra_above = 0.0;
    let mut first = 0;
    for &(position, extra) in extras {
        let candidate = ((scroll_top - extra_above) / row_px).floor().max(0.0) as usize;
        if position >= candidate {
            break;
        }
        extra_above += extra;
        first = position;
    }
    let first = (((scroll_top - extra_above) / row_px).floor().max(0.0) as usize)
        .max(first)
        .min(count);
    let start = first.saturating_sub(OVERSCAN_ROWS);
    let end = (first + (viewport_px / row_px).ceil() as usize + OVERSCAN_ROWS).min(count);
    let extra_in = |range: std::ops::Range<usize>| -> f64 {
        extras
            .iter()
            .filter(|(position, _)| range.contains(position))
            .map(|(_, extra)| extra)
            .sum()
    };
    Window {
        start,
        end,
        top_px: start as f64 * row_px + extra_in(0..start),
        bottom_px: (count - end) as f64 * row_px + extra_in(end..count),
    }
}

/// A spacer's CSS height. Heights are sums of measured `offsetHeight`s, whole pixels; written
/// as an integer because the page formats no float (see the chart).
fn whole_px(px: f64) -> String {
    format!("{}px", px.round() as i64)
}

/// The table's scroll box and what is measured of it: where it is scrolled to, how tall it
/// is, and how tall a row is (measured when rows first show, when the columns change and
/// when the window is resized: not on every keystroke, as each measuring lays out the page).
#[derive(Clone, Copy)]
struct ScrollBox {
    node: NodeRef<leptos::html::Div>,
    scroll_top: RwSignal<f64>,
    viewport_px: RwSignal<f64>,
    row_px: RwSignal<f64>,
}

impl ScrollBox {
    fn new() -> ScrollBox {
        ScrollBox {
            node: NodeRef::new(),
            scroll_top: RwSignal::new(0.0),
            viewport_px: RwSignal::new(720.0),
            row_px: RwSignal::new(41.0),
        }
    }

    fn measure(self) {
        let Some(scroller) = self.node.get_untracked() else {
            return;
        };
        self.viewport_px.set(f64::from(scroller.client_height().max(200)));
        if let Ok(Some(row)) = scroller.query_selector("tr.event") {
            use leptos::wasm_bindgen::JsCast;
            if let Some(row) = row.dyn_ref::<leptos::web_sys::HtmlElement>() {
                let height = f64::from(row.offset_height());
                if height > 0.0 && (height - self.row_px.get_untracked()).abs() > 0.5 {
                    self.row_px.set(height);
                }
            }
        }
    }

    /// Scrolls to `top` px. Setting scrollTop makes the browser lay the page out there and
    /// then, before the rows just changed are drawn: only when the box is not already there.
    fn scroll_to(self, top: f64) {
        if self.scroll_top.get_untracked() != top
            && let Some(scroller) = self.node.get_untracked()
        {
            scroller.set_scroll_top(top as i32);
        }
        self.scroll_top.set(top);
    }
}

/// Where the open rows are among the shown ones, with the pixels their details add (changes
/// with the filter, not on scroll).
fn open_positions(
    rows: Signal<Rows>,
    visible: Memo<Positions>,
    open: Memo<HashSet<EventId>>,
    details_px: RwSignal<HashMap<EventId, f64>>,
) -> Memo<Vec<(usize, f64)>> {
    Memo::new(move |_| {
        let open = open.get();
        if open.is_empty() {
            return Vec::new();
        }
        let heights = details_px.get();
        rows.with(|rows| {
            visible.with(|visible| {
                visible
                    .iter()
                    .enumerate()
                    .filter_map(|(position, index)| {
                        let id = rows[*index as usize].id;
                        open.contains(&id)
                            .then(|| (position, heights.get(&id).copied().unwrap_or(0.0)))
                    })
                    .collect::<Vec<_>>()
            })
        })
    })
}

/// The table, windowed: a scroll box whose height stands for every shown row, with only
/// the rows in view in the DOM. Open rows are named by event id in the URL.
#[component]
pub(super) fn EventTable(
    rows: Signal<Rows>,
    visible: Memo<Positions>,
    columns: Memo<Vec<Column>>,
    sort: Memo<Sort>,
    zone: Memo<ZoneChoice>,
    zone_label: Memo<Option<String>>,
    url: ViewUrl,
) -> impl IntoView {
    let l = use_locale();
    let scroll = ScrollBox::new();
    let open = Memo::new(move |_| {
        url.view
            .with(|view| view.open.iter().copied().collect::<HashSet<EventId>>())
    });
    let focused_event = StoredValue::new(None::<EventId>);
    // Event id → the pixels its open details add, once drawn.
    let details_px = RwSignal::new(HashMap::<EventId, f64>::new());
    let open_positions = open_positions(rows, visible, open, details_px);
    let window = Memo::new(move |_| {
        open_positions.with(|extras| {
            window_for(
                visible.with(|visible| visible.len()),
                scroll.row_px.get(),
                scroll.scroll_top.get(),
                scroll.viewport_px.get(),
                extras,
            )
        })
    });
    // A new filter or order starts at the top, except that a link naming an open row
    // scrolls to it the first time it is there.
    let jumped = StoredValue::new(false);
    Effect::new(move |_| {
        visible.track();
        let target = if jumped.get_value() {
            None
        } else {
            open_positions.with_untracked(|positions| positions.first().map(|(position, _)| *position))
        };
        if target.is_some() {
            jumped.set_value(true);
        }
        let top = target.map_or(0.0, |position| {
            (position as f64 * scroll.row_px.get_untracked() - 80.0).max(0.0)
        });
        scroll.scroll_to(top);
    });
    let has_rows = Memo::new(move |_| window.with(|window| window.end > window.start));
    Effect::new(move |_| {
        if has_rows.get() {
            columns.track();
            scroll.node.track();
            scroll.measure();
        }
    });
    #[cfg(feature = "hydrate")]
    {
        let resized = window_event_listener(leptos::ev::resize, move |_| scroll.measure());
        on_cleanup(move || resized.remove());
    }
    let in_view = move || {
        let Window { start, end, .. } = window.get();
        start..end.min(visible.with(|visible| visible.len()))
    };
    let span = move || (columns.with(Vec::len) + 1).to_string();
    let toggle = Callback::new(move |id: EventId| {
        url.update(true, |view| {
            if let Some(at) = view.open.iter().position(|open| *open == id) {
                view.open.remove(at);
            } else {
                view.open.push(id);
            }
        });
    });
    view! {
        <div
            class="table-scroll"
            node_ref=scroll.node
            on:scroll=move |_| {
                if let Some(scroller) = scroll.node.get_untracked() {
                    scroll.scroll_top.set(f64::from(scroller.scroll_top()));
                }
            }
        >
            <table class="data-table events" aria-rowcount=move || visible.with(|v| v.len() + 1)>
                <caption class="visually-hidden">{tr!(l, table.activity_log_events)}</caption>
                <thead>
                    <tr aria-rowindex="1">
                        <th scope="col" class="toggle"><span class="visually-hidden">{tr!(l, table.details)}</span></th>
                        {move || {
                            columns
                                .get()
                                .into_iter()
                                .map(|column| view! { <ColumnHeader column sort zone zone_label url/> })
                                .collect_view()
                        }}
                    </tr>
                </thead>
                <tbody>
                    <tr class="spacer" aria-hidden="true">
                        <td colspan=span style:height=move || whole_px(window.get().top_px)></td>
                    </tr>
                    // Keyed by position: a slot keeps its row's elements while the filter
                    // changes which event it shows (see `event_row`).
                    <For
                        each=in_view
                        key=|position| *position
                        children=move |position| {
                            let row = row_at(visible, rows, position);
                            view! { <EventTableRow row position open columns zone details_px focused_event on_toggle=toggle/> }
                        }
                    />
                    <tr class="spacer" aria-hidden="true">
                        <td colspan=span style:height=move || whole_px(window.get().bottom_px)></td>
                    </tr>
                </tbody>
            </table>
        </div>
        <Show when=move || visible.with(|v| v.is_empty())>
            <p class="empty">{tr!(l, table.no_events_match_the_filter)}</p>
        </Show>
    }
}

/// A column's header: sorts by it (or turns the order round), says how it sorts
/// (`aria-sort`), and names the zone times are in.
#[component]
fn ColumnHeader(
    column: Column,
    sort: Memo<Sort>,
    zone: Memo<ZoneChoice>,
    zone_label: Memo<Option<String>>,
    url: ViewUrl,
) -> impl IntoView {
    let l = use_locale();
    let aria_sort = move || {
        let sort = sort.get();
        (sort.column == column).then_some(if sort.descending {
            "descending"
        } else {
            "ascending"
        })
    };
    let title = move || match (column, zone_label.get()) {
        (Column::Time, Some(label)) if zone.get() == ZoneChoice::Local => {
            format!(
                "{} ({})",
                column.header_in(l),
                label.split(' ').next().unwrap_or(&label)
            )
        }
        (Column::Time, _) if zone.get() == ZoneChoice::Utc => format!("{} (UTC)", column.header_in(l)),
        _ => column.header_in(l).to_string(),
    };
    let content = view! {
        <button
            type="button"
            class="sort"
            on:click=move |_| {
                let next = sort.get_untracked().toggled(column);
                url.update(false, |view| view.sort = next);
            }
        >
            {title}
        </button>
    };
    view! { <th scope="col" data-column=column.key() aria-sort=aria_sort>{content}</th> }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_window_covers_the_viewport_and_a_margin() {
        let window = window_for(100_000, 40.0, 40.0 * 5_000.0, 800.0, &[]);
        assert_eq!(window.start, 5_000 - OVERSCAN_ROWS);
        assert_eq!(window.end, 5_000 + 20 + OVERSCAN_ROWS);
        assert_eq!(window.top_px, window.start as f64 * 40.0);
        assert_eq!(window.bottom_px, (100_000 - window.end) as f64 * 40.0);
    }

    #[test]
    fn the_window_stops_at_both_ends() {
        let top = window_for(10, 40.0, 0.0, 800.0, &[]);
        assert_eq!((top.start, top.end, top.top_px, top.bottom_px), (0, 10, 0.0, 0.0));
        let past_the_end = window_for(10, 40.0, 1e9, 800.0, &[]);
        assert_eq!(past_the_end.end, 10);
        assert!(past_the_end.start <= 10);
        let empty = window_for(0, 40.0, 0.0, 800.0, &[]);
        assert_eq!((empty.start, empty.end), (0, 0));
    }

    #[test]
    fn open_details_above_the_view_push_it_down() {
        // Position 10 is open and 400 px taller: at 2,000 px we are 10 rows further up.
        let extras = [(10, 400.0)];
        let with = window_for(1_000, 40.0, 2_000.0 + 400.0, 800.0, &extras);
        let without = window_for(1_000, 40.0, 2_000.0, 800.0, &[]);
        assert_eq!(with.start, without.start);
        assert_eq!(with.top_px, without.top_px + 400.0);
        assert_eq!(with.bottom_px, without.bottom_px);
        // Open details below the window only make the bottom spacer taller.
        let below = window_for(1_000, 40.0, 0.0, 800.0, &[(900, 300.0)]);
        assert_eq!(below.bottom_px, (1_000 - below.end) as f64 * 40.0 + 300.0);
    }
}
