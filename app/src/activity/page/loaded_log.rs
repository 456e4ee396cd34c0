//! What the loaded rows show, as memos: the rows the filter lets through, each row's day of
//! the period, the chart's and the facets' counts (one pass over the matches), and the
//! table's rows in the chosen order. Only the browser computes these (the server renders
//! "Loading activity…"), so this code is in the page's chunk (`client_code`).

use std::sync::Arc;

use chrono::NaiveDate;
use leptos::prelude::*;

use super::chart::DayCounts;
use super::facets::{Facets, Tallies};
use super::live::{Live, newest_first};
use super::local_time;
use super::log_view::LogView;
use super::rows::{Positions, RowFacts, RowIndex, Rows};
use crate::activity::filter::Filter;
use crate::activity::period::LocalPeriod;
use crate::activity::view::{Column, Sort, ZoneChoice};
use crate::events::ActionKind;
use crate::i18n::use_locale;

/// What the chunk's memos are made from: the loaded rows, the view, the live log, and the
/// rows' search keys in one buffer (written by the loader as pages arrive, brought up to
/// date with the rows shown by the first memo that reads it after they change).
#[derive(Clone, Copy)]
pub(super) struct LogInputs {
    pub(super) rows: Signal<Rows>,
    pub(super) view: LogView,
    pub(super) live: Live,
    pub(super) search: StoredValue<RowIndex>,
}

/// The memos over the loaded rows, with what they were made from.
#[derive(Clone, Copy)]
pub(super) struct LoadedLog {
    pub(super) inputs: LogInputs,
    pub(super) filter: Memo<Filter>,
    pub(super) chart: Memo<Arc<DayCounts>>,
    pub(super) facets: Memo<Facets>,
    /// The table's rows (positions among the loaded ones), filtered and in the chosen order.
    pub(super) visible: Memo<Positions>,
}

/// The period's days and the instants (Unix seconds) they start at in the chosen zone, with
/// the day after the last: row `t` is on day `i` when `starts[i] <= t < starts[i + 1]`.
type Calendar = Option<Arc<(Vec<NaiveDate>, Vec<i64>)>>;

impl LoadedLog {
    /// Made once, under the page's owner.
    pub(super) fn new(inputs: LogInputs) -> LoadedLog {
        let LogInputs {
            rows, view, search, ..
        } = inputs;
        let filter = Memo::new(move |_| view.applied_filter.with(|text| Filter::parse(text)));
        let matched = matched_rows(search, rows, filter);
        let calendar = Memo::new(move |_| {
            let period = view.period.get().ok()?;
            Some(Arc::new(day_starts(period, view.zone.get())))
        });
        let row_days = row_days(rows, calendar);
        // The chosen day's place in the period, if it is in it.
        let wanted_day = Memo::new(move |_| {
            let day = view.chosen_day.get()?;
            calendar.with(|calendar| calendar.as_ref()?.0.iter().position(|d| *d == day))
        });
        let counted = count_days_and_facets(search, rows, matched, calendar, row_days, wanted_day);
        let chart = Memo::new(move |_| {
            let Some(calendar) = calendar.get() else {
                return Arc::new(DayCounts::default());
            };
            Arc::new(DayCounts {
                days: calendar.0.clone(),
                counts: counted.with(|counted| counted.0.clone()),
            })
        });
        let l = use_locale();
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
        LoadedLog {
            inputs,
            filter,
            chart,
            facets,
            visible: in_order(rows, in_day, view.sort, inputs.live),
        }
    }
}

/// `count` over the loaded rows' facts (tracking `rows`), bringing the index up to date with
/// them first; `None` once the page is gone. `count` must not read a memo that borrows the
/// index (`matched`): read it first.
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
    starts.push(local_time::utc_bounds(period, zone).to.timestamp());
    (days, starts)
}

/// Rows the filter lets through, in loaded (newest first) order, searched in one buffer of
/// every loaded row's key (written here for the rows that lack one).
fn matched_rows(search: StoredValue<RowIndex>, rows: Signal<Rows>, filter: Memo<Filter>) -> Memo<Positions> {
    Memo::new(move |_| {
        let rows = rows.get();
        let filter = filter.get();
        let result: Positions = Arc::new(if filter.is_empty() {
            (0..rows.len() as u32).collect()
        } else {
            // Writes the keys the index lacks (or starts it anew for a new load).
            let mut found = search
                .try_update_value(|search| {
                    search.key(&rows, usize::MAX);
                    filter.matching_rows(&mut search.index)
                })
                .unwrap_or_default();
            // The index may hold rows of the load not shown yet (in order, after these).
            found.truncate(found.partition_point(|position| (*position as usize) < rows.len()));
            found
        });
        result
    })
}

/// Which day of the period each loaded row is on.
fn row_days(rows: Signal<Rows>, calendar: Memo<Calendar>) -> Memo<Arc<Vec<u16>>> {
    Memo::new(move |_| {
        let Some(calendar) = calendar.get() else {
            return Arc::new(Vec::<u16>::new());
        };
        let starts = &calendar.1;
        rows.with(|rows| {
            Arc::new(
                rows.iter()
                    .map(|row| {
                        let at = row.at;
                        starts.partition_point(|start| *start <= at).saturating_sub(1) as u16
                    })
                    .collect(),
            )
        })
    })
}

/// Counts per day and action kind (the chart), and per facet of the chosen day's rows (or
/// all of them), in one pass over the matches.
fn count_days_and_facets(
    search: StoredValue<RowIndex>,
    rows: Signal<Rows>,
    matched: Memo<Positions>,
    calendar: Memo<Calendar>,
    row_days: Memo<Arc<Vec<u16>>>,
    wanted_day: Memo<Option<usize>>,
) -> Memo<Arc<(Vec<[u32; ActionKind::ALL.len()]>, Tallies)>> {
    Memo::new(move |_| {
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
    })
}

/// The table's rows in the chosen order (live rows merged in by time).
fn in_order(rows: Signal<Rows>, shown: Memo<Positions>, sort: Memo<Sort>, live: Live) -> Memo<Positions> {
    let l = use_locale();
    Memo::new(move |_| {
        let sort = sort.get();
        let shown = shown.get();
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
            sort.apply(&mut positions, rows, |row| row.as_ref(), l)
        });
        Arc::new(positions)
    })
}
