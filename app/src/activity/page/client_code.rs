//! What the page needs only once it runs in the browser: decoding the pages of events, the
//! filter (parsed, with its hints), what the loaded rows show (filtered, counted per day and
//! per facet, sorted: the chart, the chosen day, the facet counts and the table) and the
//! integrity badge. The server renders none of it (it shows "Loading activity…" until the
//! browser has fetched the period), so its code need not be in the wasm the page hydrates
//! with: `#[lazy]` makes it a chunk of its own, which the page starts fetching as it hydrates,
//! beside the first page of events (BENCHMARKS.md, issue 14's sixth and eighth steps).

use std::sync::Arc;

use chrono::NaiveDate;
use leptos::prelude::*;

use super::badge::IntegrityBadge;
use super::chart::{ActivityChart, DayCounts};
use super::controls::filter_hints;
use super::facets::{FacetCounts, Facets, Tallies};
use super::live::{Live, newest_first};
use super::rows::{Positions, RowFacts, RowIndex, Rows, ViewUrl};
use super::table::EventTable;
use crate::activity::filter::Filter;
use crate::activity::page::local_time;
use crate::activity::period::{LocalPeriod, PeriodError};
use crate::activity::view::{Column, Sort, ZoneChoice};
use crate::activity::wire::{EncodedPage, EventPage};
use crate::events::ActionKind;
use crate::i18n::use_locale;

/// The page's state, which the chunk derives the rest from: signals, memos and callbacks.
#[derive(Clone, Copy)]
pub(super) struct PageState {
    pub(super) rows: Signal<Rows>,
    /// The filter box's text, as typed.
    pub(super) filter_text: RwSignal<String>,
    pub(super) period: Memo<Result<LocalPeriod, PeriodError>>,
    /// The day picked on the chart, if it is in the period.
    pub(super) chosen_day: Memo<Option<NaiveDate>>,
    pub(super) columns: Memo<Vec<Column>>,
    pub(super) sort: Memo<Sort>,
    pub(super) zone: Memo<ZoneChoice>,
    pub(super) zone_label: Memo<Option<String>>,
    pub(super) url: ViewUrl,
    pub(super) live: Live,
    pub(super) pick_day: Callback<Option<NaiveDate>>,
    pub(super) add_term: Callback<String>,
}

/// The page's state and what the chunk derived from it.
#[derive(Clone, Copy)]
pub(super) struct LoadedParts {
    pub(super) state: PageState,
    pub(super) filter: Memo<Filter>,
    pub(super) chart: Memo<Arc<DayCounts>>,
    pub(super) facets: Memo<Facets>,
    /// The table's rows (positions among the loaded ones), filtered and in the chosen order.
    pub(super) visible: Memo<Positions>,
}

/// The chunk's code, as plain functions: once fetched, the page calls them at once whenever
/// a page of events arrives or rows show again (a new period, a filter that had emptied the
/// table).
#[derive(Clone, Copy)]
pub(super) struct ClientCode {
    /// A page of events as `list_activity` or the live stream sends it (JSON); `None` if it
    /// is not one.
    pub(super) decode: fn(&[u8]) -> Option<EventPage>,
    /// The memos over the loaded rows; called once, under the page's owner.
    pub(super) derive: fn(PageState) -> LoadedParts,
    /// Above the count: the chart, the chosen day and the facet counts.
    pub(super) summary: fn(LoadedParts) -> AnyView,
    /// The event table.
    pub(super) table: fn(LoadedParts) -> AnyView,
    /// Under the filter box: what in its text was not understood.
    pub(super) filter_hints: fn(LoadedParts) -> AnyView,
    /// The integrity badge of the period between these instants (RFC 3339).
    pub(super) badge: fn(Signal<Option<(String, String)>>) -> AnyView,
}

/// Fetches the chunk (in a build with `--split`) and hands back its code.
#[leptos::lazy]
pub(super) fn client_code() -> ClientCode {
    ClientCode {
        decode,
        derive,
        summary,
        table,
        filter_hints: |parts| filter_hints(parts.filter).into_any(),
        badge: |bounds| view! { <IntegrityBadge bounds/> }.into_any(),
    }
}

fn decode(bytes: &[u8]) -> Option<EventPage> {
    EncodedPage::decode(bytes).ok()
}

/// `count` over the loaded rows' facts (tracking `rows`), bringing the index up to date with
/// them first; `None` once the page is gone. `count` must not read a memo that borrows the index
/// (`matched`): read it first.
fn with_facts<T>(
    search: StoredValue<RowIndex>,
    rows: Signal<Rows>,
    count: impl FnOnce(&[RowFacts]) -> T,
) -> Option<T> {
    rows.with(|rows| {
        search.try_update_value(|search| {
            search.follow(rows);
            count(&search.facts)
        })
    })
}

/// The instants (Unix seconds) the period's days start at, in the chosen zone, with the day
/// after the last: row `t` is on day `i` when `starts[i] <= t < starts[i + 1]`.
fn day_starts(period: LocalPeriod, zone: ZoneChoice) -> (Vec<NaiveDate>, Vec<i64>) {
    let days: Vec<NaiveDate> = period
        .from
        .iter_days()
        .take_while(|day| *day <= period.to)
        .collect();
    let mut starts: Vec<i64> = days
        .iter()
        .map(|day| local_time::day_start(*day, zone).timestamp())
        .collect();
    starts.push(local_time::utc_bounds(period, zone).1.timestamp());
    (days, starts)
}

fn derive(state: PageState) -> LoadedParts {
    let l = use_locale();
    let PageState {
        rows,
        filter_text,
        period,
        chosen_day,
        sort,
        zone,
        live,
        ..
    } = state;
    // The loaded rows' search keys in one buffer, brought up to date with the rows by the
    // first memo that reads it after they change.
    let search = StoredValue::new(RowIndex::default());
    let filter = Memo::new(move |_| Filter::parse(&filter_text.get()));
    // Rows the filter lets through, in loaded (newest first) order, searched in one buffer
    // of every loaded row's key (the memos add each page's keys as it shows).
    let matched = Memo::new(move |_| {
        let rows = rows.get();
        let filter = filter.get();
        let result: Positions = Arc::new(if filter.is_empty() {
            (0..rows.len() as u32).collect()
        } else {
            // Adds the rows the index lacks (or starts it anew for a new load).
            search
                .try_update_value(|search| {
                    search.follow(&rows);
                    filter.matching_rows(&mut search.index)
                })
                .unwrap_or_default()
        });
        result
    });

    // The chart: which day of the period each row is on, then counts per day and kind.
    let calendar = Memo::new(move |_| {
        period
            .get()
            .ok()
            .map(|period| Arc::new(day_starts(period, zone.get())))
    });
    let row_days = Memo::new(move |_| {
        let Some(calendar) = calendar.get() else {
            return Arc::new(Vec::<u16>::new());
        };
        let starts = &calendar.1;
        rows.with(|rows| {
            Arc::new(
                rows.iter()
                    .map(|row| {
                        let at = row.entry.occurred_at.timestamp();
                        starts.partition_point(|start| *start <= at).saturating_sub(1) as u16
                    })
                    .collect(),
            )
        })
    });
    // The chosen day's place in the period, if it is in it.
    let wanted_day = Memo::new(move |_| {
        let day = chosen_day.get()?;
        calendar.with(|calendar| calendar.as_ref()?.0.iter().position(|d| *d == day))
    });
    // One pass over the matches counts both the chart (every day) and the facets (the chosen
    // day's rows, or all of them).
    let counted = Memo::new(move |_| {
        let days = calendar.with(|calendar| calendar.as_ref().map_or(0, |calendar| calendar.0.len()));
        let mut per_day = vec![[0u32; ActionKind::ALL.len()]; days];
        let mut tallies = Tallies::default();
        let row_days = row_days.get();
        let wanted = wanted_day.get();
        // Read before the index is borrowed: `matched` may recompute, and it borrows it too.
        let matched = matched.get();
        with_facts(search, rows, |facts| {
            for &index in matched.iter() {
                let Some(row) = facts.get(index as usize) else {
                    continue;
                };
                let day = row_days.get(index as usize).map(|day| *day as usize);
                if let Some(counts) = day.and_then(|day| per_day.get_mut(day)) {
                    counts[row.kind as usize] += 1;
                }
                if wanted.is_none() || day == wanted {
                    tallies.add(index, row);
                }
            }
        });
        Arc::new((per_day, tallies))
    });
    let chart = Memo::new(move |_| {
        let Some(calendar) = calendar.get() else {
            return Arc::new(DayCounts::default());
        };
        Arc::new(DayCounts {
            days: calendar.0.clone(),
            counts: counted.with(|counted| counted.0.clone()),
        })
    });
    let facets = Memo::new(move |_| counted.with(|counted| rows.with(|rows| counted.1.named(rows, l))));
    // The rows of the chosen day (all of them when none is).
    let in_day = Memo::new(move |_| {
        let matched = matched.get();
        let Some(wanted) = wanted_day.get() else {
            return matched;
        };
        let days = row_days.get();
        Arc::new(
            matched
                .iter()
                .copied()
                .filter(|index| days.get(*index as usize).is_some_and(|d| *d as usize == wanted))
                .collect(),
        )
    });
    // The table's rows, in the chosen order.
    let visible = Memo::new(move |_| {
        let sort = sort.get();
        let shown = in_day.get();
        let live_from = live.from_row.get();
        // Newest first with no live rows among them: already in that order.
        if sort == Sort::default() && shown.last().is_none_or(|last| (*last as usize) < live_from) {
            return shown;
        }
        let mut positions = shown.as_ref().clone();
        rows.with(|rows| {
            if sort.column == Column::Time {
                newest_first(&mut positions, rows, live_from);
            }
            sort.apply(&mut positions, rows, |row| &row.entry, l)
        });
        Arc::new(positions)
    });
    LoadedParts {
        state,
        filter,
        chart,
        facets,
        visible,
    }
}

fn summary(parts: LoadedParts) -> AnyView {
    let l = use_locale();
    let LoadedParts {
        state, chart, facets, ..
    } = parts;
    let PageState {
        chosen_day,
        pick_day,
        add_term,
        ..
    } = state;
    view! {
        <ActivityChart data=chart selected=chosen_day.into() on_pick=pick_day/>
        {move || chosen_day.get().map(|day| view! {
            <p class="day-chosen">
                {tr!(l, log.showing_day_only, day = local_time::format_day(day, l))}
                <button type="button" class="link-button" on:click=move |_| pick_day.run(None)>
                    {tr!(l, log.show_the_whole_period)}
                </button>
            </p>
        })}
        <FacetCounts facets on_pick=move |term| add_term.run(term)/>
    }
    .into_any()
}

fn table(parts: LoadedParts) -> AnyView {
    let LoadedParts { state, visible, .. } = parts;
    let PageState {
        rows,
        columns,
        sort,
        zone,
        zone_label,
        url,
        ..
    } = state;
    view! { <EventTable rows visible columns sort zone zone_label url/> }.into_any()
}
