//! The views of loaded rows: the chart, the chosen day, the facet counts and the table. The
//! server never renders them (it shows "Loading activity…" until the browser has fetched the
//! period), so their code need not be in the wasm the page hydrates with: `#[lazy]` makes it a
//! chunk of its own, which the page starts fetching as it hydrates, beside the first page of
//! events (BENCHMARKS.md, issue 14's sixth step).

use std::sync::Arc;

use chrono::NaiveDate;
use leptos::prelude::*;

use super::facets::{FacetCounts, Facets};
use super::rows::{Positions, Rows, ViewUrl};
use super::table::EventTable;
use crate::activity::chart::{ActivityChart, DayCounts};
use crate::activity::local_time;
use crate::activity::view_state::{Column, Sort, ZoneChoice};
use crate::i18n::use_locale;

/// What the loaded rows' views read and call: the page's signals, memos and callbacks.
#[derive(Clone, Copy)]
pub(super) struct LoadedParts {
    pub(super) rows: Signal<Rows>,
    pub(super) visible: Memo<Positions>,
    pub(super) columns: Memo<Vec<Column>>,
    pub(super) sort: Memo<Sort>,
    pub(super) zone: Memo<ZoneChoice>,
    pub(super) zone_label: Memo<Option<String>>,
    pub(super) url: ViewUrl,
    pub(super) chart: Memo<Arc<DayCounts>>,
    pub(super) chosen_day: Memo<Option<NaiveDate>>,
    pub(super) pick_day: Callback<Option<NaiveDate>>,
    pub(super) facets: Memo<Facets>,
    pub(super) add_term: Callback<String>,
}

/// The chunk's two views, as plain functions: once fetched, the page draws them at once
/// whenever rows show again (a new period, a filter that had emptied the table).
#[derive(Clone, Copy)]
pub(super) struct LoadedViews {
    /// Above the count: the chart, the chosen day and the facet counts.
    pub(super) summary: fn(LoadedParts) -> AnyView,
    /// The event table.
    pub(super) table: fn(LoadedParts) -> AnyView,
}

/// Fetches the chunk (in a build with `--split`) and hands back its views.
#[leptos::lazy]
pub(super) fn loaded_views() -> LoadedViews {
    LoadedViews { summary, table }
}

fn summary(parts: LoadedParts) -> AnyView {
    let l = use_locale();
    let LoadedParts {
        chart,
        chosen_day,
        pick_day,
        facets,
        add_term,
        ..
    } = parts;
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
    let LoadedParts {
        rows,
        visible,
        columns,
        sort,
        zone,
        zone_label,
        url,
        ..
    } = parts;
    view! { <EventTable rows visible columns sort zone zone_label url/> }.into_any()
}
