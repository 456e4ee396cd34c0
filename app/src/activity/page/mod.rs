//! Account settings → Activity log. The period's events arrive page by page; filtering,
//! sorting, the chart, the facet counts and expanding rows then happen in the browser with no
//! round trip. The URL holds the whole view (see `view_state`), so reload, back/forward and a
//! pasted link show the same page. The table renders only the rows in view (plus a margin),
//! so a period of 100,000+ events scrolls smoothly. What the server never renders (the loaded
//! rows' memos and views, the integrity badge) is in `client_code`, a wasm chunk of its own.

use std::sync::Arc;

use chrono::NaiveDate;
use leptos::prelude::*;
use leptos::task::spawn_local;

use super::EXPORT_PATH;
use super::api::list_activity;
use super::filter::MAX_FILTER_CHARS;
use super::period::LocalPeriod;
use super::view::{Column, ZoneChoice, columns_text};
use crate::errors::AppError;
use download::{ExportState, ExportStatus, start_export};
use local_time::utc_text;

mod badge;
mod chart;
mod client_code;
mod controls;
pub mod download;
mod event_row;
mod facets;
mod live;
pub mod local_time;
mod rows;
mod table;

use crate::activity::api::save_view_preferences;
use crate::auth::model::VIEW_ACTIVITY_LOG;
use crate::auth::model::Viewer;
use crate::i18n::use_locale;
use crate::layout::{RequireRole, SettingsBreadcrumb};
use client_code::{ClientCode, LoadedParts, PageState, client_code};
use controls::{ColumnChooser, DayField, FilterHelp, ZoneToggle, period_error_text};
use live::Live;
use rows::{Load, LoadedRow, Rows, Slots, ViewUrl};

/// How long typing in the filter rests before the URL follows.
const TYPING_PAUSE: std::time::Duration = std::time::Duration::from_millis(300);

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
    let url = ViewUrl::new();
    let saved = viewer.preferences.clone();
    let hydrated = RwSignal::new(false);
    // Effects run only in the browser: there the viewer's own time zone decides "today".
    Effect::new(move |_| hydrated.set(true));
    // What the server never renders is a chunk of its own (`client_code`), fetched as the page
    // hydrates, beside the first page of events; then its memos over the loaded rows.
    let code = RwSignal::new(None::<ClientCode>);
    let loaded = RwSignal::new(None::<LoadedParts>);

    let zone = Memo::new(move |_| url.view.with(|view| view.zone).or(saved.zone).unwrap_or_default());
    let saved_columns = saved.columns.clone();
    let columns = Memo::new(move |_| {
        url.view
            .with(|view| view.columns.clone())
            .or_else(|| saved_columns.clone())
            .unwrap_or_else(|| Column::DEFAULT.to_vec())
    });
    let sort = Memo::new(move |_| url.view.with(|view| view.sort));
    let zone_label = Memo::new(move |_| hydrated.get().then(|| local_time::zone_label(zone.get())));

    // A link without a period gets the most recent month, written into the URL so that the
    // link, once copied, keeps showing the same days.
    Effect::new(move |_| {
        if !hydrated.get() {
            return;
        }
        let (from, to) = url.view.with(|view| (view.from.clone(), view.to.clone()));
        if from.is_some() && to.is_some() {
            return;
        }
        let default = LocalPeriod::most_recent_month(local_time::today(zone.get_untracked()));
        url.update(true, |view| {
            view.from.get_or_insert(default.from.to_string());
            view.to.get_or_insert(default.to.to_string());
        });
    });

    let from_day = Memo::new(move |_| url.view.with(|view| view.from.clone().unwrap_or_default()));
    let to_day = Memo::new(move |_| url.view.with(|view| view.to.clone().unwrap_or_default()));
    let period = Memo::new(move |_| LocalPeriod::parse(&from_day.get(), &to_day.get()));
    let load = RwSignal::new(Load::Idle);
    let live = Live::new();
    on_cleanup(live::close_stream);
    let latest_request = StoredValue::new(0u64);

    Effect::new(move |_| {
        if !hydrated.get() {
            return;
        }
        let Ok(period) = period.get() else {
            // The inline message explains; no request is made.
            load.set(Load::Idle);
            return;
        };
        let (from, to) = local_time::utc_bounds(period, zone.get());
        let request = latest_request.get_value() + 1;
        latest_request.set_value(request);
        load.set(Load::Loading(Rows::default()));
        live.restart();
        // Only a period that includes now is followed live.
        #[cfg(feature = "hydrate")]
        let includes_now = to.timestamp_millis() as f64 > js_sys::Date::now();
        spawn_local(async move {
            let (from, to) = (utc_text(from), utc_text(to));
            let mut rows: Vec<Arc<LoadedRow>> = Vec::new();
            let mut slots = Slots::default();
            let mut after = String::new();
            loop {
                let first = after.is_empty();
                let result = list_activity(from.clone(), to.clone(), after).await;
                // A newer period was picked while this one loaded: drop the stale answer.
                if latest_request.get_value() != request {
                    return;
                }
                // Decoded by the chunk: waits for it only if it is still on its way.
                let code = client_code().await;
                let page = match result.and_then(|page| (code.decode)(&page.0).ok_or(AppError::Internal)) {
                    Ok(page) => page,
                    Err(error) => {
                        load.set(Load::Failed(error.message_in(l)));
                        return;
                    }
                };
                let next = page.next.clone();
                if first {
                    live.head.set_value(page.head);
                }
                rows.extend(
                    page.unpack()
                        .into_iter()
                        .map(|entry| LoadedRow::new(entry, &mut slots)),
                );
                match next {
                    Some(cursor) => {
                        load.set(Load::Loading(Arc::new(rows.clone())));
                        after = cursor;
                    }
                    None => {
                        live.loaded(rows.len(), std::mem::take(&mut slots));
                        load.set(Load::Loaded(Arc::new(rows)));
                        #[cfg(feature = "hydrate")]
                        if includes_now {
                            // At the top of the unfiltered table new events show at once;
                            // otherwise they wait behind a notice.
                            let show_now = move || {
                                url.filter_text.with_untracked(|text| text.trim().is_empty())
                                    && url.view.with_untracked(|view| view.day.is_none())
                                    && live::table_at_top()
                            };
                            live::follow(live, load, &from, &to, code.decode, show_now);
                        }
                        return;
                    }
                }
            }
        });
    });

    let filter_text = url.filter_text;
    // Typing writes the URL once the keys rest (navigating on every keystroke would cost
    // each one a history write); a facet click writes it at once, as its own history entry.
    let pending_url = StoredValue::new(None::<TimeoutHandle>);
    let set_filter_text = move |text: String, typing: bool| {
        filter_text.set(text.clone());
        if let Some(pending) = pending_url.get_value() {
            pending.clear();
        }
        let write = move || url.update(typing, |view| view.query = text);
        if typing {
            pending_url.set_value(set_timeout_with_handle(write, TYPING_PAUSE).ok());
        } else {
            write();
        }
    };

    let export = RwSignal::new(ExportState::Idle);
    let export_format = RwSignal::new("csv".to_string());
    let rows = Signal::derive(move || load.with(|load| load.rows().cloned().unwrap_or_default()));
    // The day picked on the chart, if it is in the period.
    let chosen_day = Memo::new(move |_| {
        let day = url.view.with(|view| view.day)?;
        let period = period.get().ok()?;
        (period.from <= day && day <= period.to).then_some(day)
    });
    let shown = Memo::new(move |_| {
        load.with(|load| match load {
            Load::Idle if !hydrated.get() => Shown::Waiting,
            Load::Idle => Shown::Nothing,
            Load::Loading(rows) if rows.is_empty() => Shown::Waiting,
            Load::Failed(message) => Shown::Failed(message.clone()),
            Load::Loaded(rows) if rows.is_empty() => Shown::Empty,
            // Rows wait for the code that draws them.
            Load::Loading(_) | Load::Loaded(_) if loaded.with(Option::is_none) => Shown::Waiting,
            Load::Loading(_) | Load::Loaded(_) => Shown::Table,
        })
    });
    // The instants and days the export is for: the chosen day, or the whole period.
    let export_fields = Memo::new(move |_| {
        let period = period.get().ok()?;
        let days = match chosen_day.get() {
            Some(day) => LocalPeriod { from: day, to: day },
            None => period,
        };
        let (from, to) = local_time::utc_bounds(days, zone.get());
        Some((utc_text(from), utc_text(to), days))
    });
    let period_bounds = Signal::derive(move || {
        let period = period.get().ok()?;
        let (from, to) = local_time::utc_bounds(period, zone.get());
        Some((utc_text(from), utc_text(to)))
    });
    // The export's fields and file name, with `filter` as the filter text.
    let fields_with = move |filter: String| -> Option<(Vec<(&'static str, String)>, String)> {
        let (from, to, days) = export_fields.get()?;
        let format = export_format.get();
        let fields = vec![
            ("from", from),
            ("to", to),
            ("from_date", days.from.to_string()),
            ("to_date", days.to.to_string()),
            ("filter", filter),
            ("sort", sort.get().to_text()),
            ("columns", columns_text(&columns.get())),
            ("lang", l.tag().to_string()),
            ("format", format.clone()),
            ("zone", local_time::zone_name(zone.get())),
        ];
        Some((fields, days.export_file_name(&format)))
    };
    let form_fields = move || fields_with(filter_text.get());
    // For the form's native post before hydration. The filter's field follows typing by
    // itself, so a keystroke doesn't remake every field.
    let hidden_fields = move || {
        fields_with(filter_text.get_untracked()).map(|(fields, _)| {
            fields
                .into_iter()
                .filter(|(name, _)| *name != "format")
                .map(|(name, value)| match name {
                    "filter" => {
                        view! { <input type="hidden" name=name value=move || filter_text.get()/> }.into_any()
                    }
                    _ => view! { <input type="hidden" name=name value=value/> }.into_any(),
                })
                .collect_view()
        })
    };

    // The URL already shows a choice; if saving it fails, say that it was not remembered.
    let not_remembered = RwSignal::new(None::<String>);
    let remember = move |columns: Option<Vec<Column>>, zone: Option<ZoneChoice>| {
        let columns = columns.map(|columns| columns_text(&columns)).unwrap_or_default();
        let zone = zone.map(|zone| zone.key().to_string()).unwrap_or_default();
        spawn_local(async move {
            not_remembered.set(
                save_view_preferences(columns, zone)
                    .await
                    .err()
                    .map(|error| tr!(l, log.view_not_saved, why = error.message_in(l))),
            );
        });
    };
    let set_columns = move |chosen: Vec<Column>| {
        url.update(false, |view| view.columns = Some(chosen.clone()));
        remember(Some(chosen), None);
    };
    let set_zone = move |chosen: ZoneChoice| {
        url.update(false, |view| view.zone = Some(chosen));
        remember(None, Some(chosen));
    };
    let pick_day = Callback::new(move |day: Option<NaiveDate>| url.update(false, |view| view.day = day));
    let add_term = Callback::new(move |term: String| {
        let current = filter_text.get_untracked();
        let text = if current.trim().is_empty() {
            term
        } else {
            format!("{} {term}", current.trim_end())
        };
        set_filter_text(text, false);
    });
    let state = PageState {
        rows,
        filter_text,
        period,
        chosen_day,
        columns,
        sort,
        zone,
        zone_label,
        url,
        live,
        pick_day,
        add_term,
    };
    // The chunk's memos belong to this page.
    let owner = Owner::current();
    Effect::new(move |_| {
        let owner = owner.clone();
        spawn_local(async move {
            let fetched = client_code().await;
            code.set(Some(fetched));
            let derive = || (fetched.derive)(state);
            loaded.set(Some(owner.map_or_else(derive, |owner| owner.with(derive))));
        });
    });
    // Called once `shown` is `Table`, which waits for the derived memos.
    let loaded_view = move |pick: fn(ClientCode) -> fn(LoadedParts) -> AnyView| {
        let (code, parts) = (code.get_untracked()?, loaded.get_untracked()?);
        Some(pick(code)(parts))
    };

    view! {
        <section class="activity-log" aria-labelledby="activity-log-title">
            <SettingsBreadcrumb current=tr!(l, log.activity_log)/>
            <h1 id="activity-log-title">{tr!(l, log.activity_log)}</h1>
            <p class="intro">
                {tr!(l, log.intro, partner = viewer.partner_name.clone())}
            </p>
            <div class="controls">
                <DayField id="period-from" label=tr!(l, log.from) day=from_day on_pick=move |day| {
                    url.update(false, |view| { view.from = Some(day); view.day = None; })
                }/>
                <DayField id="period-to" label=tr!(l, log.to) day=to_day on_pick=move |day| {
                    url.update(false, |view| { view.to = Some(day); view.day = None; })
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
                        on:input=move |ev| set_filter_text(event_target_value(&ev), true)
                    />
                </div>
                // Posts natively until the page is interactive; then streams with progress.
                <form class="export" method="post" action=EXPORT_PATH on:submit=move |ev| {
                    if export.with_untracked(|state| matches!(state, ExportState::Running(_))) {
                        ev.prevent_default();
                        return;
                    }
                    let Some((fields, file_name)) = untrack(form_fields) else { return };
                    ev.prevent_default();
                    start_export(fields, file_name, export);
                }>
                    {hidden_fields}
                    <div class="field">
                        <label for="export-format">{tr!(l, log.format)}</label>
                        <select
                            id="export-format"
                            name="format"
                            on:change=move |ev| export_format.set(event_target_value(&ev))
                        >
                            <option value="csv" selected=move || export_format.get() == "csv">
                                {tr!(l, log.csv_excel)}
                            </option>
                            <option value="xlsx" selected=move || export_format.get() == "xlsx">
                                {tr!(l, log.excel_xlsx)}
                            </option>
                            <option value="ndjson" selected=move || export_format.get() == "ndjson">
                                {tr!(l, log.json_lines_ndjson)}
                            </option>
                        </select>
                    </div>
                    <button
                        type="submit"
                        class="primary"
                        disabled=move || {
                            !load.with(|load| matches!(load, Load::Loaded(_)))
                                || export.with(|state| matches!(state, ExportState::Running(_)))
                        }
                    >
                        {tr!(l, log.export_log)}
                    </button>
                </form>
            </div>
            <FilterHelp hints=move || {
                let (code, parts) = (code.get()?, loaded.get()?);
                Some((code.filter_hints)(parts))
            }/>
            <div class="view-options">
                <ZoneToggle zone zone_label on_pick=set_zone/>
                <ColumnChooser columns on_pick=set_columns/>
            </div>
            {move || not_remembered.get().map(|text| view! { <p class="error not-remembered" role="alert">{text}</p> })}
            <ExportStatus export/>
            <p class="zone-note">
                {move || match zone_label.get() {
                    Some(zone) => tr!(l, log.times_are_in, zone = zone),
                    None => tr!(l, log.from_and_to_include_both).to_string(),
                }}
            </p>
            {move || {
                let error = hydrated.get().then(|| period.get().err()).flatten()?;
                Some(view! { <p class="inline-error" role="alert">{period_error_text(&error, l)}</p> })
            }}
            {move || code.get().map(|code| (code.badge)(period_bounds))}
            <Show when=move || matches!(shown.get(), Shown::Table)>
                {loaded_view(|code| code.summary)}
            </Show>
            <p class="count" aria-live="polite">
                {move || load.with(|load| match load {
                    Load::Loaded(rows) => {
                        let shown = match loaded.get() {
                            Some(parts) => parts.visible.with(|visible| visible.len()),
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
                })}
            </p>
            {move || {
                let waiting = live.pending.with(Vec::len);
                (waiting > 0).then(|| view! {
                    <p class="live-notice" role="status">
                        <button type="button" class="link-button" on:click=move |_| live.show_pending(load)>
                            {if waiting == 1 {
                                tr!(l, log.show_one_new_event).to_string()
                            } else {
                                tr!(l, log.show_new_events, count = l.number(waiting as u64))
                            }}
                        </button>
                    </p>
                })
            }}
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
