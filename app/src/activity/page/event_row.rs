//! One row of the event table, and the details it opens to.
//!
//! A row is a slot of the table's window (a position among the shown rows), not an event:
//! when the filter, the order or the live log puts another event at its position, the slot
//! keeps its elements and only their texts and attributes change. A keystroke updates the
//! ~26 rows in view rather than making them anew, which would be most of its time.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use leptos::prelude::*;

use crate::activity::page::local_time::{self, utc_text};
use crate::activity::view::{Column, ZoneChoice};
use crate::events::{ActionDetails, EventTexts};
use crate::i18n::{Locale, use_locale};
use crate::ids::EventId;

use super::evidence::EventEvidence;
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
pub(super) fn EventTableRow(
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
    let id = Memo::new(move |_| row.with(|row| row.as_ref().map(|row| row.id)));
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
    // Named by the slot, not the event: it stays while the slot shows other events.
    let details_id = format!("event-details-{position}");
    let cells = CellRefs::default();
    // What the row shows of its event, written by one effect rather than a binding per text:
    // a keystroke puts other events in most slots, and each binding is a node of the reactive
    // graph and a task to wake. Runs again when the columns (and so
    // the cells) are made anew, once they are in place.
    let toggle_button = NodeRef::<leptos::html::Button>::new();
    Effect::new(move |_| {
        let zone = zone.get();
        let shown = row.with(|row| row.as_deref().map(|row| RowTexts::of(row, l, zone)));
        let (Some(event_row), Some(toggle_button)) = (event_row.get(), toggle_button.get()) else {
            return;
        };
        let _ = match &shown {
            Some(shown) => event_row.set_attribute("data-event-id", &shown.event_id_number),
            None => event_row.remove_attribute("data-event-id"),
        };
        let shown = shown.unwrap_or_default();
        let _ = toggle_button.set_attribute("aria-label", &shown.toggle_label);
        cells.write(&shown);
    });
    let cells_view = move || {
        columns
            .get()
            .into_iter()
            .map(|column| match column {
                Column::Time => view! {
                    <td class="time"><time node_ref=cells.time></time></td>
                }
                .into_any(),
                Column::Customer => view! {
                    <td><a node_ref=cells.customer_link></a><span class="none" node_ref=cells.no_customer></span></td>
                }
                .into_any(),
                Column::Action => view! { <td node_ref=cells.action></td> }.into_any(),
                Column::User => view! { <td node_ref=cells.user></td> }.into_any(),
                Column::Details => view! { <td class="summary" node_ref=cells.summary></td> }.into_any(),
                Column::EventId => view! { <td><code node_ref=cells.event_id></code></td> }.into_any(),
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
            aria-rowindex=position + 2
        >
            <td class="toggle">
                <button
                    type="button"
                    class="expand"
                    node_ref=toggle_button
                    aria-expanded=move || is_open.get().to_string()
                    aria-controls=details_id.clone()
                    on:click=move |_| {
                        if let Some(id) = id.get_untracked() {
                            on_toggle.run(id);
                        }
                    }
                >
                    <span aria-hidden="true">"▾"</span>
                </button>
            </td>
            {cells_view}
        </tr>
        <tr id=details_id class="event-details" hidden=move || !is_open.get() node_ref=details_row>
            <td colspan=span>
                // Built on expansion only: most rows are never opened.
                {move || {
                    is_open
                        .get()
                        .then(|| {
                            row.with(|row| {
                                row.as_ref().map(|row| {
                                    let event = row.id;
                                    view! {
                                        {event_details(&row.details(), l)}
                                        <EventEvidence event/>
                                    }
                                })
                            })
                        })
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

/// The texts a row shows of its event (all empty for none).
#[derive(Default)]
struct RowTexts {
    event_id_number: String,
    toggle_label: String,
    utc_time: String,
    time: String,
    customer: String,
    customer_href: Option<String>,
    /// "—" in the customer cell of an event with no customer.
    no_customer_mark: &'static str,
    action: String,
    user: String,
    summary: String,
    event_id: String,
}

impl RowTexts {
    fn of(row: &LoadedRow, l: Locale, zone: ZoneChoice) -> RowTexts {
        let occurred_at = row.occurred_at();
        let time = local_time::format_time(occurred_at, l, zone);
        let customer = row.customer_name().to_string();
        let action = row.action_text_in(l).to_string();
        let toggle_label = tr!(
            l,
            table.details_label,
            action = action.clone(),
            customer = if customer.is_empty() {
                tr!(l, table.no_customer).to_string()
            } else {
                customer.clone()
            },
            time = time.clone()
        );
        RowTexts {
            event_id_number: row.id.0.to_string(),
            toggle_label,
            utc_time: utc_text(occurred_at),
            time,
            customer_href: row.customer().map(|customer| customer.subscriptions_href()),
            no_customer_mark: if row.customer.is_some() { "" } else { "—" },
            customer,
            action,
            user: row.partner_user().to_string(),
            summary: row.details().summary(),
            event_id: row.event_id().to_string(),
        }
    }
}

/// The elements of a row's cells that show its event's texts; those of hidden columns are
/// never loaded.
#[derive(Clone, Copy, Default)]
struct CellRefs {
    time: NodeRef<leptos::html::Time>,
    customer_link: NodeRef<leptos::html::A>,
    no_customer: NodeRef<leptos::html::Span>,
    action: NodeRef<leptos::html::Td>,
    user: NodeRef<leptos::html::Td>,
    summary: NodeRef<leptos::html::Td>,
    event_id: NodeRef<leptos::html::Code>,
}

impl CellRefs {
    /// Writes `shown` into the cells there are (tracking them: cells made anew are written
    /// once they are in place).
    fn write(self, shown: &RowTexts) {
        if let Some(time) = self.time.get() {
            let _ = time.set_attribute("datetime", &shown.utc_time);
            time.set_text_content(Some(&shown.time));
        }
        if let Some(link) = self.customer_link.get() {
            match &shown.customer_href {
                Some(href) => {
                    let _ = link.set_attribute("href", href);
                    let _ = link.remove_attribute("hidden");
                }
                None => {
                    let _ = link.set_attribute("href", "");
                    let _ = link.set_attribute("hidden", "");
                }
            }
            link.set_text_content(Some(&shown.customer));
        }
        if let Some(none) = self.no_customer.get() {
            none.set_text_content(Some(shown.no_customer_mark));
        }
        let texts = [
            (self.action.get(), &shown.action),
            (self.user.get(), &shown.user),
            (self.summary.get(), &shown.summary),
        ];
        for (cell, text) in texts {
            if let Some(cell) = cell {
                cell.set_text_content(Some(text));
            }
        }
        if let Some(code) = self.event_id.get() {
            code.set_text_content(Some(&shown.event_id));
        }
    }
}
