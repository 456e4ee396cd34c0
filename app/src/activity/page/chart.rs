//! The activity chart above the table: events per day of the period, stacked by action
//! kind, drawn as SVG by the page itself. Pointing at (or focusing) a day shows its numbers;
//! clicking it (or Enter) shows only that day in the table, and the URL says so.

use std::sync::Arc;

use chrono::NaiveDate;
use leptos::prelude::*;

use super::local_time::{format_day, format_short_day};
use crate::events::ActionKind;
use crate::i18n::{Locale, use_locale};

/// Per day of the period, how many events of each kind (in [`ActionKind::ALL`] order).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct DayCounts {
    pub days: Vec<NaiveDate>,
    pub counts: Vec<[u32; ActionKind::ALL.len()]>,
}

impl DayCounts {
    /// Events on `day` (0 for a day past the end).
    pub fn total(&self, day: usize) -> u32 {
        self.counts.get(day).map_or(0, |counts| counts.iter().sum())
    }
}

// Whole numbers, and the coordinates written by `two_decimals`: nothing in the page formats
// a float, so the wasm carries no float formatting (~18 KB).
const WIDTH: u16 = 960;
const BARS_HEIGHT: u16 = 120;
const AXIS_HEIGHT: u16 = 18;

/// `value` to two decimals (SVG coordinates, which are never negative here).
fn two_decimals(value: f64) -> String {
    let hundredths = (value.max(0.0) * 100.0).round() as u64;
    format!("{}.{:02}", hundredths / 100, hundredths % 100)
}

/// "Nov 3, 2026: 42 events — Ordered subscriptions 10 · …"
/// "42 events" / "이벤트 42개"
fn events_text(total: u32, locale: Locale) -> String {
    match total {
        1 => tr!(locale, chart.one_event).to_string(),
        _ => tr!(locale, chart.events, count = locale.number(total.into())),
    }
}

fn day_summary(data: &DayCounts, day: usize, locale: Locale) -> String {
    let total = data.total(day);
    let parts: Vec<String> = ActionKind::ALL
        .iter()
        .zip(data.counts[day])
        .filter(|(_, count)| *count > 0)
        .map(|(kind, count)| format!("{} {}", kind.label_in(locale), locale.number(count.into())))
        .collect();
    let events = events_text(total, locale);
    let date = format_day(data.days[day], locale);
    if parts.is_empty() {
        format!("{date}: {events}")
    } else {
        format!("{date}: {events} — {}", parts.join(" · "))
    }
}

/// One SVG path per action kind: that kind's part of every day's bar, stacked in
/// [`ActionKind::ALL`] order from the bottom, scaled so the busiest day fills the height.
fn stacked_paths(data: &DayCounts) -> Vec<String> {
    let days = data.days.len().max(1);
    let slot = f64::from(WIDTH) / days as f64;
    let gap = if slot > 6.0 { 1.5 } else { 0.0 };
    let width = (slot - gap).max(0.5);
    let max = (0..data.days.len())
        .map(|day| data.total(day))
        .max()
        .unwrap_or(0)
        .max(1);
    let scale = f64::from(BARS_HEIGHT) / max as f64;
    let mut paths = vec![String::new(); ActionKind::ALL.len()];
    for (day, counts) in data.counts.iter().enumerate() {
        let x = day as f64 * slot + gap / 2.0;
        let mut top = f64::from(BARS_HEIGHT);
        for (kind, count) in counts.iter().enumerate().filter(|(_, count)| **count > 0) {
            let height = *count as f64 * scale;
            top -= height;
            let [x, top, width, height] = [x, top, width, height].map(two_decimals);
            paths[kind].push_str(&format!("M{x} {top}h{width}v{height}h-{width}Z"));
        }
    }
    paths
}

/// A day's element, its date as said in its name, and the count its name last said.
#[derive(Default)]
struct DayElement {
    element: NodeRef<leptos::svg::G>,
    date_text: String,
    total: Option<u32>,
}

#[component]
pub fn ActivityChart(
    data: Memo<Arc<DayCounts>>,
    selected: Signal<Option<NaiveDate>>,
    on_pick: Callback<Option<NaiveDate>>,
) -> impl IntoView {
    let l = use_locale();
    let pointed = RwSignal::new(None::<usize>);
    let readout = move || {
        data.with(|data| match pointed.get().filter(|day| *day < data.days.len()) {
            Some(day) => day_summary(data, day, l),
            None => tr!(l, chart.point_at_a_day_for).to_string(),
        })
    };
    let day_elements = StoredValue::new(Vec::<DayElement>::new());
    // The days (and their hit areas, labels and listeners) are drawn once per period; typing
    // in the filter then only redraws the eight paths, one per action kind, and the numbers.
    let dates = Memo::new(move |_| data.with(|data| data.days.clone()));
    let days = move || {
        dates.with(|dates| {
            let count = dates.len();
            dates
                .iter()
                .enumerate()
                .map(|(index, date)| (index, *date, count))
                .collect::<Vec<_>>()
        })
    };
    let day = move |(index, date, count): (usize, NaiveDate, usize)| {
        let slot = f64::from(WIDTH) / count.max(1) as f64;
        let x = index as f64 * slot;
        // About ten axis labels whatever the period's length; the first starts at the left
        // edge rather than centring off it.
        let label_every = count.div_ceil(10).max(1);
        let (label_x, anchor) = if index == 0 {
            (x, "start")
        } else {
            (x + slot / 2.0, "middle")
        };
        // Beside the day's button, not in it: the button's name is the whole date and count,
        // and a short visible label inside it would not match that name (WCAG 2.5.3).
        let label = (index % label_every == 0).then(|| {
            view! {
                <text class="axis" aria-hidden="true" x=two_decimals(label_x) y=BARS_HEIGHT + 14 text-anchor=anchor>
                    {format_short_day(date, l)}
                </text>
            }
        });
        let element = NodeRef::<leptos::svg::G>::new();
        day_elements.update_value(|days| {
            days.resize_with(count.max(index + 1), DayElement::default);
            days[index] = DayElement {
                element,
                date_text: format_day(date, l),
                total: None,
            };
        });
        let is_selected = move || selected.get() == Some(date);
        let pick = move || on_pick.run(if is_selected() { None } else { Some(date) });
        view! {
            <g
                class="day"
                class:selected=is_selected
                data-day=date.to_string()
                node_ref=element
                role="button"
                aria-pressed=move || is_selected().to_string()
                on:mouseenter=move |_| pointed.set(Some(index))
                on:focus=move |_| pointed.set(Some(index))
                on:mouseleave=move |_| pointed.set(None)
                on:blur=move |_| pointed.set(None)
                on:click=move |_| pick()
                on:keydown=move |ev| {
                    if ev.key() == "Enter" || ev.key() == " " {
                        ev.prevent_default();
                        pick();
                    }
                }
            >
                <rect class="hit" x=two_decimals(x) y="0" width=two_decimals(slot) height=BARS_HEIGHT/>
            </g>
            {label}
        }
    };
    // Each day's name says its count, and only days with events are tab stops: written by
    // one effect for all days (and only where the count changed), since bindings per day
    // would make every keystroke wake three reactive nodes per day.
    Effect::new(move |_| {
        data.with(|data| {
            day_elements.update_value(|days| {
                for (index, day) in days.iter_mut().enumerate().take(data.days.len()) {
                    let total = data.total(index);
                    let Some(element) = day.element.get() else {
                        continue;
                    };
                    if day.total == Some(total) {
                        continue;
                    }
                    day.total = Some(total);
                    let label = format!("{}: {}", day.date_text, events_text(total, l));
                    let _ = element.set_attribute("aria-label", &label);
                    let _ = element.set_attribute("tabindex", if total > 0 { "0" } else { "-1" });
                }
            })
        })
    });
    // Eight paths made once; typing changes their outlines.
    let outlines = Memo::new(move |_| data.with(|data| stacked_paths(data)));
    let paths = (0..ActionKind::ALL.len())
        .map(|kind| {
            let outline = move || outlines.with(|paths| paths[kind].clone());
            view! { <path class=format!("segment kind-{kind}") d=outline/> }
        })
        .collect_view();
    let legend = ActionKind::ALL
        .iter()
        .enumerate()
        .map(|(index, kind)| view! {
            <li><span class=format!("swatch kind-{index}") aria-hidden="true"></span>{kind.label_in(l)}</li>
        })
        .collect_view();
    view! {
        <figure class="activity-chart">
            <figcaption>{tr!(l, chart.events_per_day)}</figcaption>
            <svg
                viewBox=format!("0 0 {WIDTH} {}", BARS_HEIGHT + AXIS_HEIGHT)
                role="group"
                aria-label=tr!(l, chart.events_per_day_by_action)
            >
                <For each=days key=|day| *day children=day/>
                // Above the days, but let the pointer through to them.
                <g class="segments">{paths}</g>
            </svg>
            <p class="chart-readout" aria-live="polite">{readout}</p>
            <ul class="legend" role="list">{legend}</ul>
        </figure>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn coordinates_have_two_decimals_rounded() {
        assert_eq!(two_decimals(0.0), "0.00");
        assert_eq!(two_decimals(960.0 / 61.0), "15.74");
        assert_eq!(two_decimals(0.004), "0.00");
        assert_eq!(two_decimals(119.996), "120.00");
        assert_eq!(two_decimals(-3.0), "0.00");
    }
}
