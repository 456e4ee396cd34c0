//! One row of the event table, and the details it opens to.
//!
//! A row is a slot of the table's window (a position among the shown rows), not an event:
//! when the filter, the order or the live log puts another event at its position, the slot
//! keeps its elements and only their texts and attributes change. A keystroke then updates
//! the ~26 rows in view instead of making them anew (most of a keystroke's time over 172k
//! rows, BENCHMARKS.md issue 14).

use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use leptos::prelude::*;

use crate::activity::local_time::{self, utc_text};
use crate::activity::view_state::{Column, ZoneChoice};
use crate::events::ActionDetails;
use crate::i18n::{Locale, use_locale};
use crate::ids::EventId;

use super::rows::{LoadedRow, Positions, Rows};

/// The event shown at `position` of the shown rows, if there is one; it changes only when
/// another event (not an equal copy) takes the position.
pub(super) fn row_at(
    visible: Memo<Positions>,
    rows: Signal<Rows>,
    position: usize,
) -> Memo<Option<Arc<LoadedRow>>> {
    fn changed(old: Option<&Option<Arc<LoadedRow>>>, new: Option<&Option<Arc<LoadedRow>>>) -> bool {
        match (old, new) {
            (Some(Some(old)), Some(Some(new))) => !Arc::ptr_eq(old, new),
            (Some(None), Some(None)) => false,
            _ => true,
        }
    }
    Memo::new_with_compare(
        move |_| {
            let index = visible.with(|visible| visible.get(position).copied())?;
            rows.with(|rows| rows.get(index as usize).cloned())
        },
        changed,
    )
}

#[component]
pub(super) fn EventRow(
    row: Memo<Option<Arc<LoadedRow>>>,
    /// Its position among the shown rows, for `aria-rowindex`.
    position: usize,
    open: Memo<HashSet<EventId>>,
    columns: Memo<Vec<Column>>,
    zone: Memo<ZoneChoice>,
    details_px: RwSignal<HashMap<EventId, f64>>,
    /// The event whose row last took the focus (shared by the table's rows).
    focused_event: StoredValue<Option<EventId>>,
    on_toggle: Callback<EventId>,
) -> impl IntoView {
    let l = use_locale();
    let id = Memo::new(move |_| row.with(|row| row.as_ref().map(|row| row.entry.id)));
    let is_open = Memo::new(move |_| id.get().is_some_and(|id| open.with(|open| open.contains(&id))));
    let details_row = NodeRef::<leptos::html::Tr>::new();
    let event_row = NodeRef::<leptos::html::Tr>::new();
    // When another event takes this slot (a live event pushed the rows down) while the
    // keyboard is on it, the focus goes with its event to the slot that now shows it.
    Effect::new(move |before: Option<Option<EventId>>| {
        let now = id.get();
        if let (Some(Some(before)), Some(now)) = (before, now)
            && before != now
            && focused_event.get_value() == Some(before)
            && let Some(row) = event_row.get_untracked()
        {
            follow_focus(&row, before);
        }
        now
    });
    // Once open details are drawn, remember how tall they are, for the spacers.
    Effect::new(move |_| {
        let (true, Some(id)) = (is_open.get(), id.get()) else {
            return;
        };
        if let Some(details) = details_row.get() {
            let height = f64::from(details.offset_height());
            if details_px.with_untracked(|known| known.get(&id).is_none_or(|old| (old - height).abs() > 0.5))
            {
                details_px.update(|known| {
                    known.insert(id, height);
                });
            }
        }
    });
    // Reads one text of the shown event (empty while the slot is being removed).
    let text = move |read: fn(&LoadedRow, Locale) -> String| {
        move || row.with(|row| row.as_deref().map(|row| read(row, l)).unwrap_or_default())
    };
    // Named by the slot, not the event: it stays while the slot shows other events.
    let details_id = format!("event-details-{position}");
    // Shown in the time cell and said by the button's label: formatted once per event.
    let time_text = Memo::new(move |_| {
        row.with(|row| {
            row.as_ref()
                .map(|row| local_time::format_time(row.entry.occurred_at, l, zone.get()))
                .unwrap_or_default()
        })
    });
    let toggle_label = move || {
        row.with(|row| {
            let Some(row) = row else {
                return String::new();
            };
            let entry = &row.entry;
            let customer = if entry.customer_name().is_empty() {
                tr!(l, table.no_customer).to_string()
            } else {
                entry.customer_name().to_string()
            };
            let time = time_text.get();
            tr!(
                l,
                table.details_label,
                action = entry.action_text_in(l),
                customer = customer,
                time = time
            )
        })
    };
    let has_customer =
        Memo::new(move |_| row.with(|row| row.as_ref().is_some_and(|row| row.entry.customer.is_some())));
    // Both made once and shown by turns (an event with no customer has no link): switching
    // elements would remake them on every keystroke that mixes the two.
    let customer_cell = move || {
        let href = text(|row, _| {
            row.entry
                .customer
                .as_ref()
                .map(|c| c.subscriptions_href())
                .unwrap_or_default()
        });
        view! {
            <a href=href hidden=move || !has_customer.get()>{text(|row, _| row.entry.customer_name().to_string())}</a>
            <span class="none">{move || if has_customer.get() { "" } else { "—" }}</span>
        }
    };
    let cells = move || {
        columns
            .get()
            .into_iter()
            .map(|column| match column {
                Column::Time => view! {
                    <td class="time">
                        <time datetime=text(|row, _| utc_text(row.entry.occurred_at))>
                            {time_text}
                        </time>
                    </td>
                }
                .into_any(),
                Column::Customer => view! { <td>{customer_cell}</td> }.into_any(),
                Column::Action => {
                    view! { <td>{text(|row, l| row.entry.action_text_in(l).to_string())}</td> }.into_any()
                }
                Column::User => view! { <td>{text(|row, _| row.entry.partner_user.clone())}</td> }.into_any(),
                Column::Details => {
                    view! { <td class="summary">{text(|row, _| row.entry.details.summary())}</td> }.into_any()
                }
                Column::EventId => {
                    view! { <td><code>{text(|row, _| row.entry.event_id.clone())}</code></td> }.into_any()
                }
            })
            .collect_view()
    };
    let span = move || (columns.with(Vec::len) + 1).to_string();
    view! {
        <tr
            class="event"
            node_ref=event_row
            on:focusin=move |_| focused_event.set_value(id.get_untracked())
            class:expanded=move || is_open.get()
            data-event-id=move || id.get().map(|id| id.0)
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
                        if let Some(id) = id.get_untracked() {
                            on_toggle.run(id);
                        }
                    }
                >
                    <span aria-hidden="true">"▾"</span>
                </button>
            </td>
            {cells}
        </tr>
        <tr id=details_id class="event-details" hidden=move || !is_open.get() node_ref=details_row>
            <td colspan=span>
                // Built on expansion only: most rows are never opened.
                {move || {
                    is_open
                        .get()
                        .then(|| row.with(|row| row.as_ref().map(|row| event_details(&row.entry.details, l))))
                        .flatten()
                }}
            </td>
        </tr>
    }
}

/// If the focus is in `slot`, moves it to the same control of the row that shows `event`
/// once the rows are redrawn (the other slots' attributes update after this effect), when
/// that row is in view.
#[cfg(feature = "hydrate")]
fn follow_focus(slot: &leptos::web_sys::HtmlTableRowElement, event: EventId) {
    use leptos::wasm_bindgen::JsCast;
    let Some(focused) = document().active_element() else {
        return;
    };
    let slot: &leptos::web_sys::Element = slot.as_ref();
    if focused.closest("tr.event").ok().flatten().as_ref() != Some(slot) {
        return;
    }
    let control = if focused.tag_name().eq_ignore_ascii_case("a") {
        "td a"
    } else {
        "button.expand"
    };
    let selector = format!("tr.event[data-event-id=\"{}\"] {control}", event.0);
    request_animation_frame(move || {
        let moved = document()
            .query_selector(&selector)
            .ok()
            .flatten()
            .and_then(|control| control.dyn_into::<leptos::web_sys::HtmlElement>().ok());
        if let Some(control) = moved {
            let _ = control.focus();
        }
    });
}

#[cfg(not(feature = "hydrate"))]
fn follow_focus(_slot: &leptos::web_sys::HtmlTableRowElement, _event: EventId) {}

pub(super) fn event_details(details: &ActionDetails, l: Locale) -> impl IntoView + use<> {
    let lines = details.order_lines().to_vec();
    let fields = details.fields_in(l);
    view! {
        <dl class="detail-fields">
            {fields
                .into_iter()
                .map(|(label, value)| view! { <dt>{label}</dt> <dd>{value}</dd> })
                .collect_view()}
        </dl>
        {(!lines.is_empty()).then(|| view! {
            <table class="order-lines">
                <caption>{tr!(l, table.products_in_this_order)}</caption>
                <thead>
                    <tr>
                        <th scope="col">{tr!(l, table.product)}</th>
                        <th scope="col" class="num">{tr!(l, table.quantity)}</th>
                        <th scope="col">{tr!(l, table.subscription_id)}</th>
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
