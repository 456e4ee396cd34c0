//! Account settings → Activity log. The period's events are fetched once; expanding rows
//! and filtering then happen in the browser with no round trip.

use std::sync::Arc;

use chrono::SecondsFormat;
use leptos::prelude::*;
use leptos::task::spawn_local;

use super::EXPORT_PATH;
use super::api::list_activity;
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

/// A loaded event with what the page derives from it once, not on every keystroke.
#[derive(Debug, Clone, PartialEq)]
struct LoadedRow {
    entry: ActivityEntry,
    search_key: String,
    local_time: String,
}

impl LoadedRow {
    fn new(entry: ActivityEntry) -> Arc<LoadedRow> {
        Arc::new(LoadedRow {
            search_key: search_key(&entry),
            local_time: local_time::format_local(entry.occurred_at),
            entry,
        })
    }
}

#[derive(Debug, Clone, PartialEq)]
enum Load {
    /// Waiting for a valid period (or, before hydration, for the viewer's clock).
    Idle,
    Loading,
    Loaded(Arc<Vec<Arc<LoadedRow>>>),
    Failed(String),
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
        load.set(Load::Loading);
        spawn_local(async move {
            let result = list_activity(utc_text(from), utc_text(to)).await;
            // A newer period was picked while this one loaded: drop the stale answer.
            if latest_request.get_value() != request {
                return;
            }
            load.set(match result {
                Ok(entries) => Load::Loaded(Arc::new(entries.into_iter().map(LoadedRow::new).collect())),
                Err(error) => Load::Failed(error.to_string()),
            });
        });
    });

    let filter = Memo::new(move |_| Filter::parse(&filter_text.get()));
    let total = move || {
        load.with(|load| {
            if let Load::Loaded(rows) = load {
                rows.len()
            } else {
                0
            }
        })
    };
    let visible = Memo::new(move |_| {
        load.with(|load| match load {
            Load::Loaded(rows) => filter.with(|filter| {
                rows.iter()
                    .filter(|row| filter.matches_key(&row.search_key))
                    .cloned()
                    .collect::<Vec<_>>()
            }),
            _ => Vec::new(),
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
                <form class="export" method="post" action=EXPORT_PATH>
                    <input type="hidden" name="from" prop:value=field(|f| &f.0)/>
                    <input type="hidden" name="to" prop:value=field(|f| &f.1)/>
                    <input type="hidden" name="from_date" prop:value=field(|f| &f.2)/>
                    <input type="hidden" name="to_date" prop:value=field(|f| &f.3)/>
                    <input type="hidden" name="filter" prop:value=move || filter_text.get()/>
                    <button
                        type="submit"
                        class="primary"
                        disabled=move || !load.with(|load| matches!(load, Load::Loaded(_)))
                    >
                        "Export log"
                    </button>
                </form>
            </div>
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
                {move || match load.with(|load| matches!(load, Load::Loaded(_))) {
                    true => format!("{} of {} events", visible.with(Vec::len), total()),
                    false => String::new(),
                }}
            </p>
            {move || match load.get() {
                Load::Idle if zone.with(Option::is_none) => view! { <p class="status">"Loading activity…"</p> }.into_any(),
                Load::Idle => ().into_any(),
                Load::Loading => view! { <p class="status" role="status">"Loading activity…"</p> }.into_any(),
                Load::Failed(message) => view! {
                    <p class="error" role="alert">"The activity log could not be loaded: " {message}</p>
                }.into_any(),
                Load::Loaded(rows) if rows.is_empty() => view! {
                    <p class="empty">"No activity in this period."</p>
                }.into_any(),
                Load::Loaded(_) => view! { <EventTable visible/> }.into_any(),
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

#[component]
fn EventTable(visible: Memo<Vec<Arc<LoadedRow>>>) -> impl IntoView {
    view! {
        <table class="data-table events">
            <thead>
                <tr>
                    <th scope="col" class="toggle"><span class="visually-hidden">"Details"</span></th>
                    <th scope="col">"Date-Time"</th>
                    <th scope="col">"Affected customer"</th>
                    <th scope="col">"Action"</th>
                    <th scope="col">"Partner user"</th>
                </tr>
            </thead>
            <tbody>
                <For
                    each=move || visible.get()
                    key=|row| row.entry.id
                    children=|row| view! { <EventRow row/> }
                />
            </tbody>
        </table>
        <Show when=move || visible.with(Vec::is_empty)>
            <p class="empty">"No events match the filter."</p>
        </Show>
    }
}

#[component]
fn EventRow(row: Arc<LoadedRow>) -> impl IntoView {
    let expanded = RwSignal::new(false);
    let entry = &row.entry;
    let details_id = format!("event-details-{}", entry.id);
    let toggle_label = format!(
        "Details: {} for {} at {}",
        entry.action_text,
        if entry.customer_name().is_empty() {
            "no customer"
        } else {
            entry.customer_name()
        },
        row.local_time
    );
    let customer = match &entry.customer {
        Some(customer) => {
            view! { <a href=customer.subscriptions_href()>{customer.company_name.clone()}</a> }.into_any()
        }
        None => view! { <span class="none">"—"</span> }.into_any(),
    };
    let details = entry.details.clone();
    view! {
        <tr class="event" class:expanded=move || expanded.get() data-event-id=entry.id>
            <td class="toggle">
                <button
                    type="button"
                    class="expand"
                    aria-expanded=move || expanded.get().to_string()
                    aria-controls=details_id.clone()
                    aria-label=toggle_label
                    on:click=move |_| expanded.update(|open| *open = !*open)
                >
                    <span aria-hidden="true">"▾"</span>
                </button>
            </td>
            <td class="time">
                <time datetime=utc_text(entry.occurred_at)>{row.local_time.clone()}</time>
            </td>
            <td>{customer}</td>
            <td>{entry.action_text.clone()}</td>
            <td>{entry.partner_user.clone()}</td>
        </tr>
        <tr id=details_id class="event-details" hidden=move || !expanded.get()>
            <td colspan="5">
                // Built on first expansion only: most rows are never opened.
                {move || expanded.get().then(|| event_details(&details))}
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
