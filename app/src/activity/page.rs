//! Account settings → Activity log. The period's events arrive page by page; expanding
//! rows and filtering then happen in the browser with no round trip. The table renders only
//! the rows in view (plus a margin), so a period of 100,000+ events scrolls smoothly.

use std::collections::BTreeMap;
use std::sync::Arc;

use chrono::SecondsFormat;
use leptos::prelude::*;
use leptos::task::spawn_local;

use super::EXPORT_PATH;
use super::api::list_activity;
use super::download::{ExportEnd, ExportProgress};
use super::filter::{Filter, MAX_FILTER_CHARS, search_key};
use super::local_time;
use super::model::{ActionDetails, ActivityEntry};
use super::period::LocalPeriod;
use crate::auth::model::VIEW_ACTIVITY_LOG;
use crate::auth::model::Viewer;
use crate::integrity::badge::IntegrityBadge;
use crate::layout::{RequireRole, SettingsBreadcrumb};

#[component]
pub fn ActivityLogPage() -> impl IntoView {
    view! { <RequireRole permission=VIEW_ACTIVITY_LOG render=|viewer| view! { <ActivityLog viewer/> }.into_any()/> }
}

/// A loaded event with its search key, lowercased once when it arrives rather than on
/// every keystroke.
#[derive(Debug, Clone, PartialEq)]
struct LoadedRow {
    entry: ActivityEntry,
    search_key: String,
}

impl LoadedRow {
    fn new(entry: ActivityEntry) -> Arc<LoadedRow> {
        Arc::new(LoadedRow {
            search_key: search_key(&entry),
            entry,
        })
    }
}

type Rows = Arc<Vec<Arc<LoadedRow>>>;

#[derive(Debug, Clone, PartialEq)]
enum Load {
    /// Waiting for a valid period (or, before hydration, for the viewer's clock).
    Idle,
    /// Pages are arriving; the rows so far are shown.
    Loading(Rows),
    Loaded(Rows),
    Failed(String),
}

impl Load {
    fn rows(&self) -> Option<&Rows> {
        match self {
            Load::Loading(rows) | Load::Loaded(rows) => Some(rows),
            _ => None,
        }
    }
}

/// The Export log button's download, as the page follows it (it only runs in the browser).
#[derive(Debug, Clone, PartialEq)]
#[cfg_attr(not(feature = "hydrate"), allow(dead_code))]
enum ExportState {
    Idle,
    Running(ExportProgress),
    Ended(ExportEnd),
}

/// Streams the export in the browser, keeping `export` up to date; the Cancel button
/// reaches the running download through a local (browser-only) stored handle.
fn start_export(fields: Vec<(&'static str, String)>, file_name: String, export: RwSignal<ExportState>) {
    #[cfg(feature = "hydrate")]
    {
        use super::download::download_export;
        export.set(ExportState::Running(ExportProgress::default()));
        spawn_local(async move {
            let end = download_export(
                fields,
                file_name,
                |cancel| CANCEL_EXPORT.with(|slot| *slot.borrow_mut() = Some(cancel)),
                |progress| export.set(ExportState::Running(progress)),
            )
            .await;
            CANCEL_EXPORT.with(|slot| *slot.borrow_mut() = None);
            export.set(ExportState::Ended(end));
        });
    }
    #[cfg(not(feature = "hydrate"))]
    let _ = (fields, file_name, export);
}

#[cfg(feature = "hydrate")]
thread_local! {
    static CANCEL_EXPORT: std::cell::RefCell<Option<super::download::Cancel>> = const { std::cell::RefCell::new(None) };
}

fn cancel_export() {
    #[cfg(feature = "hydrate")]
    CANCEL_EXPORT.with(|slot| {
        if let Some(cancel) = slot.borrow().as_ref() {
            cancel.cancel();
        }
    });
}

/// "Exporting… 12,345 rows (3.4 MB)" with Cancel, then how it ended.
#[component]
fn ExportStatus(export: RwSignal<ExportState>) -> impl IntoView {
    move || {
        match export.get() {
        ExportState::Idle => ().into_any(),
        ExportState::Running(progress) => view! {
            <p class="export-progress" role="status">
                "Exporting… " {group_digits(progress.rows)} " rows (" {megabytes(progress.bytes)} ") "
                <button type="button" class="link-button" on:click=move |_| cancel_export()>"Cancel"</button>
            </p>
        }
        .into_any(),
        ExportState::Ended(ExportEnd::Saved(progress)) => view! {
            <p class="export-progress" role="status">
                "Exported " {group_digits(progress.rows)} " rows (" {megabytes(progress.bytes)} ") to your downloads."
            </p>
        }
        .into_any(),
        ExportState::Ended(ExportEnd::Cancelled) => {
            view! { <p class="export-progress" role="status">"Export cancelled."</p> }.into_any()
        }
        ExportState::Ended(ExportEnd::Failed(message)) => view! {
            <p class="error" role="alert">"The export failed: " {message}</p>
        }
        .into_any(),
    }
    }
}

/// 1234567 → "1,234,567".
fn group_digits(number: u64) -> String {
    let digits = number.to_string();
    let mut out = String::new();
    for (index, digit) in digits.chars().enumerate() {
        if index > 0 && (digits.len() - index) % 3 == 0 {
            out.push(',');
        }
        out.push(digit);
    }
    out
}

fn megabytes(bytes: u64) -> String {
    format!("{:.1} MB", bytes as f64 / 1_000_000.0)
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

fn utc_text(time: chrono::DateTime<chrono::Utc>) -> String {
    time.to_rfc3339_opts(SecondsFormat::Secs, true)
}

#[component]
fn ActivityLog(viewer: Viewer) -> impl IntoView {
    let from_day = RwSignal::new(String::new());
    let to_day = RwSignal::new(String::new());
    let filter_text = RwSignal::new(String::new());
    let zone = RwSignal::new(None::<String>);

    // Effects run only in the browser: there the viewer's own time zone decides "today".
    Effect::new(move |_| {
        let period = LocalPeriod::most_recent_month(local_time::today());
        from_day.set(period.from.to_string());
        to_day.set(period.to.to_string());
        zone.set(Some(local_time::zone_label()));
    });

    let period = Memo::new(move |_| LocalPeriod::parse(&from_day.get(), &to_day.get()));
    let load = RwSignal::new(Load::Idle);
    let latest_request = StoredValue::new(0u64);

    Effect::new(move |_| {
        if zone.with(Option::is_none) {
            return;
        }
        let Ok(period) = period.get() else {
            // The inline message explains; no request is made.
            load.set(Load::Idle);
            return;
        };
        let (from, to) = local_time::utc_bounds(period);
        let request = latest_request.get_value() + 1;
        latest_request.set_value(request);
        load.set(Load::Loading(Rows::default()));
        spawn_local(async move {
            let (from, to) = (utc_text(from), utc_text(to));
            let mut rows: Vec<Arc<LoadedRow>> = Vec::new();
            let mut after = String::new();
            loop {
                let result = list_activity(from.clone(), to.clone(), after).await;
                // A newer period was picked while this one loaded: drop the stale answer.
                if latest_request.get_value() != request {
                    return;
                }
                let page = match result {
                    Ok(page) => page,
                    Err(error) => {
                        load.set(Load::Failed(error.to_string()));
                        return;
                    }
                };
                let next = page.next.clone();
                rows.extend(page.unpack().into_iter().map(LoadedRow::new));
                match next {
                    Some(cursor) => {
                        load.set(Load::Loading(Arc::new(rows.clone())));
                        after = cursor;
                    }
                    None => {
                        load.set(Load::Loaded(Arc::new(rows)));
                        return;
                    }
                }
            }
        });
    });

    let export = RwSignal::new(ExportState::Idle);
    let filter = Memo::new(move |_| Filter::parse(&filter_text.get()));
    let rows = Signal::derive(move || load.with(|load| load.rows().cloned().unwrap_or_default()));
    // Positions (into `rows`) of the rows the filter lets through, in order.
    // Typing more of a word only narrows the result: then only the rows that matched
    // before are searched again, not the whole period.
    let last_filtered = StoredValue::new(None::<(Filter, Rows, Arc<Vec<u32>>)>);
    let visible = Memo::new(move |_| {
        let rows = rows.get();
        let filter = filter.get();
        let candidates = last_filtered.with_value(|last| match last {
            Some((previous, previous_rows, matched))
                if Arc::ptr_eq(previous_rows, &rows) && filter.refines(previous) =>
            {
                Some(matched.clone())
            }
            _ => None,
        });
        let matches = |index: &u32| filter.matches_key(&rows[*index as usize].search_key);
        let result: Arc<Vec<u32>> = Arc::new(match (&candidates, filter.is_empty()) {
            (_, true) => (0..rows.len() as u32).collect(),
            (Some(candidates), false) => candidates.iter().copied().filter(matches).collect(),
            (None, false) => (0..rows.len() as u32).filter(matches).collect(),
        });
        last_filtered.set_value(Some((filter, rows, result.clone())));
        result
    });
    let shown = Memo::new(move |_| {
        load.with(|load| match load {
            Load::Idle if zone.with(Option::is_none) => Shown::Waiting,
            Load::Idle => Shown::Nothing,
            Load::Loading(rows) if rows.is_empty() => Shown::Waiting,
            Load::Failed(message) => Shown::Failed(message.clone()),
            Load::Loaded(rows) if rows.is_empty() => Shown::Empty,
            Load::Loading(_) | Load::Loaded(_) => Shown::Table,
        })
    });
    let export_fields = Memo::new(move |_| {
        period.get().ok().map(|period| {
            let (from, to) = local_time::utc_bounds(period);
            (
                utc_text(from),
                utc_text(to),
                period.from.to_string(),
                period.to.to_string(),
            )
        })
    });
    let field = move |pick: fn(&(String, String, String, String)) -> &String| {
        move || export_fields.with(|fields| fields.as_ref().map(|f| pick(f).clone()).unwrap_or_default())
    };

    view! {
        <section class="activity-log" aria-labelledby="activity-log-title">
            <SettingsBreadcrumb current="Activity log"/>
            <h1 id="activity-log-title">"Activity log"</h1>
            <p class="intro">
                "What people at " {viewer.partner_name} " did on customer accounts. "
                "Pick a period, expand a row for its details, filter, and export what you see."
            </p>
            <div class="controls">
                <DayField id="period-from" label="From" day=from_day/>
                <DayField id="period-to" label="To" day=to_day/>
                <div class="field grow">
                    <label for="activity-filter">"Filter"</label>
                    <input
                        id="activity-filter"
                        type="search"
                        placeholder="Customer, action, partner user or details"
                        maxlength=MAX_FILTER_CHARS.to_string()
                        prop:value=move || filter_text.get()
                        on:input=move |ev| filter_text.set(event_target_value(&ev))
                    />
                </div>
                // Posts natively until the page is interactive; then streams with progress.
                <form class="export" method="post" action=EXPORT_PATH on:submit=move |ev| {
                    if export.with_untracked(|state| matches!(state, ExportState::Running(_))) {
                        ev.prevent_default();
                        return;
                    }
                    let Some((from, to, from_date, to_date)) = export_fields.get_untracked() else {
                        return;
                    };
                    let Ok(period) = period.get_untracked() else { return };
                    ev.prevent_default();
                    let fields = vec![
                        ("from", from),
                        ("to", to),
                        ("from_date", from_date),
                        ("to_date", to_date),
                        ("filter", filter_text.get_untracked()),
                    ];
                    start_export(fields, period.export_file_name(), export);
                }>
                    <input type="hidden" name="from" prop:value=field(|f| &f.0)/>
                    <input type="hidden" name="to" prop:value=field(|f| &f.1)/>
                    <input type="hidden" name="from_date" prop:value=field(|f| &f.2)/>
                    <input type="hidden" name="to_date" prop:value=field(|f| &f.3)/>
                    <input type="hidden" name="filter" prop:value=move || filter_text.get()/>
                    <button
                        type="submit"
                        class="primary"
                        disabled=move || {
                            !load.with(|load| matches!(load, Load::Loaded(_)))
                                || export.with(|state| matches!(state, ExportState::Running(_)))
                        }
                    >
                        "Export log"
                    </button>
                </form>
            </div>
            <ExportStatus export/>
            <p class="zone-note">
                {move || match zone.get() {
                    Some(zone) => format!("Times are in your time zone, {zone}. From and To include both whole days."),
                    None => "From and To include both whole days.".to_string(),
                }}
            </p>
            {move || period.get().err().map(|error| view! { <p class="inline-error" role="alert">{error.to_string()}</p> })}
            <IntegrityBadge bounds=Signal::derive(move || {
                export_fields.get().map(|(from, to, _, _)| (from, to))
            })/>
            <p class="count" aria-live="polite">
                {move || load.with(|load| match load {
                    Load::Loaded(rows) => format!("{} of {} events", visible.with(|v| v.len()), rows.len()),
                    Load::Loading(rows) if !rows.is_empty() => format!("Loading… {} events so far", rows.len()),
                    _ => String::new(),
                })}
            </p>
            {move || match shown.get() {
                Shown::Waiting => view! { <p class="status" role="status">"Loading activity…"</p> }.into_any(),
                Shown::Nothing => ().into_any(),
                Shown::Failed(message) => view! {
                    <p class="error" role="alert">"The activity log could not be loaded: " {message}</p>
                }.into_any(),
                Shown::Empty => view! { <p class="empty">"No activity in this period."</p> }.into_any(),
                // Kept while pages arrive, so scrolling is not reset by each page.
                Shown::Table => view! { <EventTable rows visible/> }.into_any(),
            }}
        </section>
    }
}

/// A labelled `<input type="date">` bound to a `YYYY-MM-DD` signal.
#[component]
fn DayField(id: &'static str, label: &'static str, day: RwSignal<String>) -> impl IntoView {
    view! {
        <div class="field">
            <label for=id>{label}</label>
            <input
                id=id
                type="date"
                required
                prop:value=move || day.get()
                on:input=move |ev| day.set(event_target_value(&ev))
            />
        </div>
    }
}

/// Rows below and above the viewport that are rendered too, so fast scrolling shows rows.
const OVERSCAN_ROWS: usize = 20;

/// Which rows to render for a scroll position: positions `start..end` of the filtered list,
/// and the heights of the spacers that stand in for the rows above and below. `extras` are
/// (position, extra pixels) of expanded rows, in position order.
#[derive(Debug, Clone, Copy, PartialEq)]
struct Window {
    start: usize,
    end: usize,
    top_px: f64,
    bottom_px: f64,
}

fn window_for(
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

/// The table, windowed: a scroll box whose height stands for every filtered row, with only
/// the rows in view in the DOM. Expanded rows are remembered by position in the loaded list.
#[component]
fn EventTable(rows: Signal<Rows>, visible: Memo<Arc<Vec<u32>>>) -> impl IntoView {
    let scroller = NodeRef::<leptos::html::Div>::new();
    let scroll_top = RwSignal::new(0.0);
    let viewport_px = RwSignal::new(720.0);
    let row_px = RwSignal::new(41.0);
    // Row (index into `rows`) → the pixels its open details add.
    let expanded = RwSignal::new(BTreeMap::<u32, f64>::new());
    let window = Memo::new(move |_| {
        visible.with(|visible| {
            let extras: Vec<(usize, f64)> = expanded.with(|expanded| {
                expanded
                    .iter()
                    .filter_map(|(row, extra)| {
                        visible.binary_search(row).ok().map(|position| (position, *extra))
                    })
                    .collect()
            });
            window_for(
                visible.len(),
                row_px.get(),
                scroll_top.get(),
                viewport_px.get(),
                &extras,
            )
        })
    });
    // A new filter starts at the top.
    Effect::new(move |_| {
        visible.track();
        if let Some(scroller) = scroller.get_untracked() {
            scroller.set_scroll_top(0);
        }
        scroll_top.set(0.0);
    });
    // Measure the real row height and viewport once rows are on screen.
    Effect::new(move |_| {
        window.track();
        let Some(scroller) = scroller.get() else { return };
        viewport_px.set(f64::from(scroller.client_height().max(200)));
        if let Ok(Some(row)) = scroller.query_selector("tr.event") {
            use leptos::wasm_bindgen::JsCast;
            if let Some(row) = row.dyn_ref::<leptos::web_sys::HtmlElement>() {
                let height = f64::from(row.offset_height());
                if height > 0.0 && (height - row_px.get_untracked()).abs() > 0.5 {
                    row_px.set(height);
                }
            }
        }
    });
    let in_view = move || {
        let Window { start, end, .. } = window.get();
        visible.with(|visible| {
            (start..end)
                .filter_map(|position| visible.get(position).map(|row| (position, *row)))
                .collect::<Vec<_>>()
        })
    };
    view! {
        <div
            class="table-scroll"
            node_ref=scroller
            on:scroll=move |_| {
                if let Some(scroller) = scroller.get_untracked() {
                    scroll_top.set(f64::from(scroller.scroll_top()));
                }
            }
        >
            <table class="data-table events" aria-rowcount=move || visible.with(|v| v.len() + 1)>
                <thead>
                    <tr aria-rowindex="1">
                        <th scope="col" class="toggle"><span class="visually-hidden">"Details"</span></th>
                        <th scope="col">"Date-Time"</th>
                        <th scope="col">"Affected customer"</th>
                        <th scope="col">"Action"</th>
                        <th scope="col">"Partner user"</th>
                    </tr>
                </thead>
                <tbody>
                    <tr class="spacer" aria-hidden="true">
                        <td colspan="5" style:height=move || format!("{}px", window.get().top_px)></td>
                    </tr>
                    <For
                        each=in_view
                        key=|(_, row)| *row
                        children=move |(position, index)| {
                            let row = rows.with_untracked(|rows| rows[index as usize].clone());
                            view! { <EventRow row index position expanded/> }
                        }
                    />
                    <tr class="spacer" aria-hidden="true">
                        <td colspan="5" style:height=move || format!("{}px", window.get().bottom_px)></td>
                    </tr>
                </tbody>
            </table>
        </div>
        <Show when=move || visible.with(|v| v.is_empty())>
            <p class="empty">"No events match the filter."</p>
        </Show>
    }
}

#[component]
fn EventRow(
    row: Arc<LoadedRow>,
    /// The row's index in the loaded list (its identity while the page lives).
    index: u32,
    /// Its position in the filtered list, for `aria-rowindex`.
    position: usize,
    expanded: RwSignal<BTreeMap<u32, f64>>,
) -> impl IntoView {
    let is_open = Memo::new(move |_| expanded.with(|open| open.contains_key(&index)));
    let details_row = NodeRef::<leptos::html::Tr>::new();
    // Once open details are drawn, remember how tall they are, for the spacers.
    Effect::new(move |_| {
        if !is_open.get() {
            return;
        }
        if let Some(details) = details_row.get() {
            let height = f64::from(details.offset_height());
            expanded.update(|open| {
                if let Some(extra) = open.get_mut(&index) {
                    if (*extra - height).abs() > 0.5 {
                        *extra = height;
                    }
                }
            });
        }
    });
    let entry = &row.entry;
    let local_time = local_time::format_local(entry.occurred_at);
    let details_id = format!("event-details-{}", entry.id);
    let toggle_label = format!(
        "Details: {} for {} at {}",
        entry.action_text,
        if entry.customer_name().is_empty() {
            "no customer"
        } else {
            entry.customer_name()
        },
        local_time
    );
    let customer = match &entry.customer {
        Some(customer) => {
            view! { <a href=customer.subscriptions_href()>{customer.company_name.clone()}</a> }.into_any()
        }
        None => view! { <span class="none">"—"</span> }.into_any(),
    };
    let details = entry.details.clone();
    view! {
        <tr
            class="event"
            class:expanded=move || is_open.get()
            data-event-id=entry.id
            aria-rowindex=position + 2
        >
            <td class="toggle">
                <button
                    type="button"
                    class="expand"
                    aria-expanded=move || is_open.get().to_string()
                    aria-controls=details_id.clone()
                    aria-label=toggle_label
                    on:click=move |_| {
                        expanded.update(|open| {
                            if open.remove(&index).is_none() {
                                open.insert(index, 0.0);
                            }
                        })
                    }
                >
                    <span aria-hidden="true">"▾"</span>
                </button>
            </td>
            <td class="time">
                <time datetime=utc_text(entry.occurred_at)>{local_time.clone()}</time>
            </td>
            <td>{customer}</td>
            <td>{entry.action_text.clone()}</td>
            <td>{entry.partner_user.clone()}</td>
        </tr>
        <tr id=details_id class="event-details" hidden=move || !is_open.get() node_ref=details_row>
            <td colspan="5">
                // Built on first expansion only: most rows are never opened.
                {move || is_open.get().then(|| event_details(&details))}
            </td>
        </tr>
    }
}

fn event_details(details: &ActionDetails) -> impl IntoView + use<> {
    let lines = details.order_lines().to_vec();
    let fields = details.fields();
    view! {
        <dl class="detail-fields">
            {fields
                .into_iter()
                .map(|(label, value)| view! { <dt>{label}</dt> <dd>{value}</dd> })
                .collect_view()}
        </dl>
        {(!lines.is_empty()).then(|| view! {
            <table class="order-lines">
                <caption>"Products in this order"</caption>
                <thead>
                    <tr>
                        <th scope="col">"Product"</th>
                        <th scope="col" class="num">"Quantity"</th>
                        <th scope="col">"Subscription ID"</th>
                    </tr>
                </thead>
                <tbody>
                    {lines
                        .into_iter()
                        .map(|line| view! {
                            <tr>
                                <td>{line.product}</td>
                                <td class="num">{line.quantity}</td>
                                <td><code>{line.subscription_id}</code></td>
                            </tr>
                        })
                        .collect_view()}
                </tbody>
            </table>
        })}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_are_grouped_by_thousands() {
        assert_eq!(group_digits(0), "0");
        assert_eq!(group_digits(999), "999");
        assert_eq!(group_digits(1000), "1,000");
        assert_eq!(group_digits(1234567), "1,234,567");
    }

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
