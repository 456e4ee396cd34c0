//! The activity chart above the table: events per day of the period, stacked by action
//! kind, drawn as SVG by the page itself. Pointing at (or focusing) a day shows its numbers;
//! clicking it (or Enter) shows only that day in the table, and the URL says so.

use std::sync::Arc;

use chrono::NaiveDate;
use leptos::prelude::*;

use super::local_time::{format_day, format_short_day};
use super::model::ActionKind;
use crate::i18n::{Locale, use_locale};

/// Per day of the period, how many events of each kind (in [`ActionKind::ALL`] order).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct DayCounts {
    pub days: Vec<NaiveDate>,
    pub counts: Vec<[u32; ActionKind::ALL.len()]>,
}

impl DayCounts {
    pub fn total(&self, day: usize) -> u32 {
        self.counts[day].iter().sum()
    }
}

const WIDTH: f64 = 960.0;
const BARS_HEIGHT: f64 = 120.0;
const AXIS_HEIGHT: f64 = 18.0;

/// "Nov 3, 2026: 42 events — Ordered subscriptions 10 · …"
fn day_summary(data: &DayCounts, day: usize, locale: Locale) -> String {
    let total = data.total(day);
    let parts: Vec<String> = ActionKind::ALL
        .iter()
        .zip(data.counts[day])
        .filter(|(_, count)| *count > 0)
        .map(|(kind, count)| format!("{} {}", kind.label_in(locale), locale.number(count.into())))
        .collect();
    let events = match locale {
        Locale::En if total == 1 => "1 event".to_string(),
        Locale::En => format!("{} events", locale.number(total.into())),
        Locale::Ko => format!("이벤트 {}개", locale.number(total.into())),
    };
    let date = format_day(data.days[day], locale);
    if parts.is_empty() {
        format!("{date}: {events}")
    } else {
        format!("{date}: {events} — {}", parts.join(" · "))
    }
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
            None => l
                .pick(
                    "Point at a day for its numbers; click it to show only that day.",
                    "날짜를 가리키면 건수가 보이고, 클릭하면 그날만 표시합니다.",
                )
                .to_string(),
        })
    };
    let bars = move || {
        let data = data.get();
        let days = data.days.len().max(1);
        let slot = WIDTH / days as f64;
        let gap = if slot > 6.0 { 1.5 } else { 0.0 };
        let max = (0..data.days.len())
            .map(|day| data.total(day))
            .max()
            .unwrap_or(0)
            .max(1);
        let scale = BARS_HEIGHT / max as f64;
        // About ten axis labels whatever the period's length.
        let label_every = days.div_ceil(10).max(1);
        (0..data.days.len())
            .map(|index| {
                let date = data.days[index];
                let x = index as f64 * slot;
                let total = data.total(index);
                let mut top = BARS_HEIGHT;
                let segments = ActionKind::ALL
                    .iter()
                    .enumerate()
                    .filter(|(kind, _)| data.counts[index][*kind] > 0)
                    .map(|(kind, _)| {
                        let height = data.counts[index][kind] as f64 * scale;
                        top -= height;
                        view! {
                            <rect
                                class=format!("segment kind-{kind}")
                                x=format!("{:.2}", x + gap / 2.0)
                                y=format!("{top:.2}")
                                width=format!("{:.2}", (slot - gap).max(0.5))
                                height=format!("{height:.2}")
                            />
                        }
                    })
                    .collect_view();
                // The first label starts at the left edge rather than centring off it.
                let (label_x, anchor) = if index == 0 { (x, "start") } else { (x + slot / 2.0, "middle") };
                let label = (index % label_every == 0).then(|| view! {
                    <text class="axis" x=format!("{label_x:.2}") y=BARS_HEIGHT + 14.0 text-anchor=anchor>
                        {format_short_day(date, l)}
                    </text>
                });
                let summary = day_summary(&data, index, l);
                let is_selected = move || selected.get() == Some(date);
                let pick = move || on_pick.run(if is_selected() { None } else { Some(date) });
                view! {
                    <g
                        class="day"
                        class:selected=is_selected
                        data-day=date.to_string()
                        data-count=total
                        tabindex={if total > 0 { "0" } else { "-1" }}
                        role="button"
                        aria-label=summary
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
                        <rect class="hit" x=format!("{x:.2}") y="0" width=format!("{slot:.2}") height=BARS_HEIGHT/>
                        {segments}
                        {label}
                    </g>
                }
            })
            .collect_view()
    };
    let legend = ActionKind::ALL
        .iter()
        .enumerate()
        .map(|(index, kind)| view! {
            <li><span class=format!("swatch kind-{index}") aria-hidden="true"></span>{kind.label_in(l)}</li>
        })
        .collect_view();
    view! {
        <figure class="activity-chart">
            <figcaption>{l.pick("Events per day", "일별 이벤트")}</figcaption>
            <svg
                viewBox=format!("0 0 {WIDTH} {}", BARS_HEIGHT + AXIS_HEIGHT)
                role="group"
                aria-label=l.pick("Events per day, by action", "작업별 일별 이벤트")
            >
                {bars}
            </svg>
            <p class="chart-readout" aria-live="polite">{readout}</p>
            <ul class="legend" role="list">{legend}</ul>
        </figure>
    }
}
