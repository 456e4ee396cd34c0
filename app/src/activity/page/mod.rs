//! Account settings → Activity log. The period's events arrive page by page (`loader`);
//! filtering, sorting, the chart, the facet counts and expanding rows then happen in the
//! browser with no round trip. The URL holds the whole view (`log_view`), so reload,
//! back/forward and a pasted link show the same page. The table renders only the rows in view
//! (plus a margin), so a period of 100,000+ events scrolls smoothly. What the server never
//! renders (the loaded rows' memos and views, the integrity badge) is in `client_code`, a wasm
//! chunk of its own.
//!
//! One hop each: the view (`log_view`), loading (`loader`, `rows`), the live log (`live`),
//! the export (`export_form`, `download`), saved choices (`saved_choices`), the controls
//! (`controls`), and in the chunk the memos (`loaded_log`), the table (`table`, `event_row`),
//! the chart, the facets and the badge.

use leptos::prelude::*;

use crate::activity::filter::MAX_FILTER_CHARS;
use crate::auth::model::{VIEW_ACTIVITY_LOG, Viewer};
use crate::i18n::{Locale, use_locale};
use crate::layout::{RequireRole, SettingsBreadcrumb};

mod badge;
mod chart;
mod client_code;
mod controls;
pub mod download;
mod event_row;
mod evidence;
mod export_form;
mod facets;
mod live;
mod loaded_log;
mod loader;
pub mod local_time;
mod log_view;
mod packed_details;
mod rows;
mod saved_choices;
mod table;

use client_code::{ClientCode, client_code};
use controls::{ColumnChooser, DayField, FilterHelp, ZoneToggle, period_error_text};
use download::{ExportState, ExportStatus};
use export_form::ExportLogForm;
use live::Live;
use loaded_log::{LoadedLog, LogInputs};
use log_view::LogView;
use rows::{Load, RowIndex};
use saved_choices::SavedChoices;

#[component]
pub fn ActivityLogPage() -> impl IntoView {
    view! { <RequireRole permission=VIEW_ACTIVITY_LOG render=|viewer| view! { <ActivityLog viewer/> }.into_any()/> }
}

/// What the page shows under the controls; changes rarely (not with every page of rows).
#[derive(Debug, Clone, PartialEq)]
enum Shown {
    Waiting,
    Nothing,
    Failed(String),
    Empty,
    Table,
}

#[component]
fn ActivityLog(viewer: Viewer) -> impl IntoView {
    let l = use_locale();
    let view = LogView::new(&viewer.preferences);
    let saved = SavedChoices::new(view);
    let load = RwSignal::new(Load::Idle);
    let live = Live::new();
    on_cleanup(live::close_stream);
    let search = StoredValue::new(RowIndex::default());
    loader::load_each_period(view, live, load, search);
    let rows = Signal::derive(move || load.with(|load| load.rows().cloned().unwrap_or_default()));
    // The chunk, fetched as the page hydrates (beside the first page of events), then its
    // memos over the loaded rows, under this page's owner.
    let code = RwSignal::new(None::<ClientCode>);
    let log = RwSignal::new(None::<LoadedLog>);
    let owner = Owner::current();
    Effect::new(move |_| {
        let owner = owner.clone();
        leptos::task::spawn_local(async move {
            let fetched = client_code().await;
            code.set(Some(fetched));
            let make = || {
                (fetched.loaded_log)(LogInputs {
                    rows,
                    view,
                    live,
                    search,
                })
            };
            log.set(Some(owner.map_or_else(make, |owner| owner.with(make))));
        });
    });
    let shown =
        Memo::new(move |_| load.with(|load| shown(load, view.hydrated.get(), log.with(Option::is_some))));
    // Called once `shown` is `Table`, which waits for the chunk's memos.
    let loaded_view = move |pick: fn(ClientCode) -> fn(LoadedLog) -> AnyView| {
        let (code, log) = (code.get_untracked()?, log.get_untracked()?);
        Some(pick(code)(log))
    };
    let export = RwSignal::new(ExportState::Idle);
    let filter_text = view.filter_text();

    view! {
        <section class="activity-log" aria-labelledby="activity-log-title">
            <SettingsBreadcrumb current=tr!(l, log.activity_log)/>
            <h1 id="activity-log-title">{tr!(l, log.activity_log)}</h1>
            <p class="intro">{tr!(l, log.intro, partner = viewer.partner_name.clone())}</p>
            <div class="controls">
                <DayField id="period-from" label=tr!(l, log.from) day=view.from_day on_pick=move |day| {
                    view.url.update(false, |state| { state.from = Some(day); state.day = None; })
                }/>
                <DayField id="period-to" label=tr!(l, log.to) day=view.to_day on_pick=move |day| {
                    view.url.update(false, |state| { state.to = Some(day); state.day = None; })
                }/>
                <div class="field grow">
                    <label for="activity-filter">{tr!(l, log.filter)}</label>
                    <input
                        id="activity-filter"
                        type="search"
                        placeholder=tr!(l, log.text_or_action_ordered_customer)
                        maxlength=MAX_FILTER_CHARS.to_string()
                        aria-describedby="filter-help"
                        prop:value=move || filter_text.get()
                        on:input=move |ev| view.set_filter_text(event_target_value(&ev), true)
                    />
                </div>
                <ExportLogForm
                    view
                    loaded=Signal::derive(move || load.with(|load| matches!(load, Load::Loaded(_))))
                    export
                />
            </div>
            <FilterHelp hints=move || {
                let (code, log) = (code.get()?, log.get()?);
                Some((code.filter_hints)(log))
            }/>
            <div class="view-options">
                <ZoneToggle zone=view.zone zone_label=view.zone_label on_pick=move |zone| saved.set_zone(zone)/>
                <ColumnChooser columns=view.columns on_pick=move |columns| saved.set_columns(columns)/>
            </div>
            {saved.alert()}
            <ExportStatus export/>
            <p class="zone-note">
                {move || match view.zone_label.get() {
                    Some(zone) => tr!(l, log.times_are_in, zone = zone),
                    None => tr!(l, log.from_and_to_include_both).to_string(),
                }}
            </p>
            {move || {
                let error = view.hydrated.get().then(|| view.period.get().err()).flatten()?;
                Some(view! { <p class="inline-error" role="alert">{period_error_text(&error, l)}</p> })
            }}
            {move || code.get().map(|code| (code.badge)(view.bounds.into()))}
            <Show when=move || matches!(shown.get(), Shown::Table)>
                {loaded_view(|code| code.summary)}
            </Show>
            // Busy from a key in the filter until the rows follow it, a frame later.
            <p
                class="count"
                aria-live="polite"
                aria-busy=move || (view.filter_text().with(|typed| view.applied_filter.with(|applied| typed != applied))).to_string()
            >
                {move || load.with(|load| count_text(load, log.get(), l))}
            </p>
            {live_notice(live, load, l)}
            {move || match shown.get() {
                Shown::Waiting => view! { <p class="status" role="status">{tr!(l, log.loading_activity)}</p> }.into_any(),
                Shown::Nothing => ().into_any(),
                Shown::Failed(message) => view! {
                    <p class="error" role="alert">{tr!(l, log.the_activity_log_could_not)} {message}</p>
                }.into_any(),
                Shown::Empty => view! { <p class="empty">{tr!(l, log.no_activity_in_this_period)}</p> }.into_any(),
                // Kept while pages arrive, so scrolling is not reset by each page.
                Shown::Table => loaded_view(|code| code.table).into_any(),
            }}
        </section>
    }
}

/// What shows under the controls for this state of the load.
fn shown(load: &Load, hydrated: bool, memos_ready: bool) -> Shown {
    match load {
        Load::Idle if !hydrated => Shown::Waiting,
        Load::Idle => Shown::Nothing,
        Load::Loading(rows) if rows.is_empty() => Shown::Waiting,
        Load::Failed(message) => Shown::Failed(message.clone()),
        Load::Loaded(rows) if rows.is_empty() => Shown::Empty,
        // Rows wait for the code that draws them.
        Load::Loading(_) | Load::Loaded(_) if !memos_ready => Shown::Waiting,
        Load::Loading(_) | Load::Loaded(_) => Shown::Table,
    }
}

/// "12 of 1,234 events" once loaded, "1,234 events so far…" while loading.
fn count_text(load: &Load, log: Option<LoadedLog>, l: Locale) -> String {
    match load {
        Load::Loaded(rows) => {
            let shown = match log {
                Some(log) => log.visible.with(|visible| visible.len()),
                None if rows.is_empty() => 0,
                None => return String::new(),
            };
            tr!(
                l,
                log.shown_of_total,
                shown = l.number(shown as u64),
                total = l.number(rows.len() as u64),
            )
        }
        Load::Loading(rows) if !rows.is_empty() => {
            tr!(l, log.loading_so_far, count = l.number(rows.len() as u64))
        }
        _ => String::new(),
    }
}

/// "3 new events: show them", while events that arrived live wait.
fn live_notice(live: Live, load: RwSignal<Load>, l: Locale) -> impl IntoView {
    move || {
        let waiting = live.pending.with(Vec::len);
        (waiting > 0).then(|| {
            view! {
                <p class="live-notice" role="status">
                    <button type="button" class="link-button" on:click=move |_| live.show_pending(load)>
                        {if waiting == 1 {
                            tr!(l, log.show_one_new_event).to_string()
                        } else {
                            tr!(l, log.show_new_events, count = l.number(waiting as u64))
                        }}
                    </button>
                </p>
            }
        })
    }
}
