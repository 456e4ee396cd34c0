//! What the page needs only once it runs in the browser: decoding the pages of events, the
//! memos over the loaded rows (`loaded_log`), what they show (the chart, the chosen day, the
//! facet counts, the table, the filter's hints) and the integrity badge. The server renders
//! none of it ("Loading activity…" until the browser has the period), so its code need not be
//! in the wasm the page hydrates with: `#[lazy]` makes it a chunk of its own, fetched as the
//! page hydrates, beside the first page of events.
//!
//! The chunk is entered through one function, [`client_code`], which hands back
//! [`ClientCode`]: the chunk's entry points as plain function pointers. The page calls them
//! through these pointers only; naming one of them directly would link it (and all it
//! reaches) into the main module again.

use std::sync::Arc;

use leptos::prelude::*;

use super::badge::IntegrityBadge;
use super::chart::ActivityChart;
use super::controls::filter_hints;
use super::facets::FacetCounts;
use super::loaded_log::{LoadedLog, LogInputs};
use super::local_time;
use super::rows::{LoadedRow, RowIndex, Slots};
use super::table::EventTable;
use crate::activity::period::UtcRange;
use crate::activity::wire::{EncodedPage, EventPage};
use crate::i18n::use_locale;

/// The chunk's entry points.
#[derive(Clone, Copy)]
pub(super) struct ClientCode {
    /// A page of events as `list_activity` sends it (binary); `None` if it is not one.
    pub(super) decode: fn(&[u8]) -> Option<EventPage>,
    /// A page of events as the live stream sends it (JSON); `None` if it is not one.
    pub(super) decode_live: fn(&[u8]) -> Option<EventPage>,
    /// Adds a decoded page's rows to the load's rows and their facts to its index
    /// (`LoadedRow::add_page`).
    pub(super) add_page: fn(EventPage, &mut Slots, &mut RowIndex, &mut Vec<Arc<LoadedRow>>),
    /// Makes a row of an event that came live (`LoadedRow::new`).
    pub(super) make_row: super::live::MakeRow,
    /// A page's `next` cursor, read before the page is decoded; `None` if it is not a page.
    pub(super) next_cursor: fn(&[u8]) -> Option<Option<String>>,
    /// The memos over the loaded rows; called once, under the page's owner.
    pub(super) loaded_log: fn(LogInputs) -> LoadedLog,
    /// Above the count: the chart, the chosen day and the facet counts.
    pub(super) summary: fn(LoadedLog) -> AnyView,
    /// The event table.
    pub(super) table: fn(LoadedLog) -> AnyView,
    /// Under the filter box: what in its text was not understood.
    pub(super) filter_hints: fn(LoadedLog) -> AnyView,
    /// The integrity badge of the period's instants.
    pub(super) badge: fn(Signal<Option<UtcRange>>) -> AnyView,
}

/// Fetches the chunk (in a build with `--split`) and hands back its entry points.
#[leptos::lazy]
pub(super) fn client_code() -> ClientCode {
    ClientCode {
        decode: EncodedPage::decode,
        decode_live: |bytes| EncodedPage::decode_json(bytes).ok(),
        add_page: LoadedRow::add_page,
        make_row: LoadedRow::new,
        next_cursor: EncodedPage::next_cursor,
        loaded_log: LoadedLog::new,
        summary,
        table,
        filter_hints: |log| filter_hints(log.filter).into_any(),
        badge: |bounds| view! { <IntegrityBadge bounds/> }.into_any(),
    }
}

fn summary(log: LoadedLog) -> AnyView {
    let l = use_locale();
    let view = log.inputs.view;
    let chosen_day = view.chosen_day;
    let pick_day = Callback::new(move |day| view.pick_day(day));
    view! {
        <ActivityChart data=log.chart selected=chosen_day.into() on_pick=pick_day/>
        {move || chosen_day.get().map(|day| view! {
            <p class="day-chosen">
                {tr!(l, log.showing_day_only, day = local_time::format_day(day, l))}
                <button type="button" class="link-button" on:click=move |_| view.pick_day(None)>
                    {tr!(l, log.show_the_whole_period)}
                </button>
            </p>
        })}
        <FacetCounts facets=log.facets on_pick=move |term| view.add_term(term)/>
    }
    .into_any()
}

fn table(log: LoadedLog) -> AnyView {
    let LogInputs { rows, view, .. } = log.inputs;
    view! {
        <EventTable
            rows
            visible=log.visible
            columns=view.columns
            sort=view.sort
            zone=view.zone
            zone_label=view.zone_label
            url=view.url
        />
    }
    .into_any()
}
