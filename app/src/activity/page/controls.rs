//! The controls above the table: a From/To day, the filter's help, the time-zone toggle and
//! the column chooser.

use leptos::prelude::*;

use crate::activity::filter::Filter;
use crate::activity::view::{Column, ZoneChoice};
use crate::i18n::{Locale, use_locale};

/// The period's problem in the page's language.
pub(super) fn period_error_text(error: &crate::activity::period::PeriodError, l: Locale) -> String {
    use crate::activity::period::PeriodError;
    match error {
        PeriodError::MissingFrom => tr!(l, period.missing_from).into(),
        PeriodError::MissingTo => tr!(l, period.missing_to).into(),
        PeriodError::Reversed => tr!(l, period.reversed).into(),
        PeriodError::TooLong => tr!(l, period.too_long, max = crate::activity::period::MAX_PERIOD_DAYS),
        // Only a hand-made request can cause the others; they stay in English.
        other => other.to_string(),
    }
}

/// A labelled `<input type="date">` showing `day` (`YYYY-MM-DD`).
#[component]
pub(super) fn DayField(
    id: &'static str,
    label: &'static str,
    day: Memo<String>,
    on_pick: impl Fn(String) + 'static,
) -> impl IntoView {
    view! {
        <div class="field">
            <label for=id>{label}</label>
            <input
                id=id
                type="date"
                required
                prop:value=move || day.get()
                on:input=move |ev| on_pick(event_target_value(&ev))
            />
        </div>
    }
}

/// The query syntax, after `hints` for what in the filter text was not understood.
#[component]
pub(super) fn FilterHelp(hints: impl IntoView + 'static) -> impl IntoView {
    let l = use_locale();
    view! {
        <div id="filter-help" class="filter-help">
            {hints}
            <details>
                <summary>{tr!(l, controls.search_syntax)}</summary>
                <p>
                    {tr!(l, controls.words_match_anywhere_keys_look)}
                </p>
            </details>
        </div>
    }
}

/// The hints of `filter`, for [`FilterHelp`]. The page's client code draws them: it parses the
/// filter (the rows are filtered only in the browser, so the server renders none).
pub(super) fn filter_hints(filter: Memo<Filter>) -> impl IntoView {
    let l = use_locale();
    move || {
        filter.with(|filter| {
            filter
                .hints()
                .iter()
                .map(|hint| view! { <p class="filter-hint" role="status">{hint.message_in(l)}</p> })
                .collect_view()
        })
    }
}

/// Times in the viewer's zone or in UTC.
#[component]
pub(super) fn ZoneToggle(
    zone: Memo<ZoneChoice>,
    zone_label: Memo<Option<String>>,
    on_pick: impl Fn(ZoneChoice) + Copy + 'static,
) -> impl IntoView {
    let l = use_locale();
    let option = move |choice: ZoneChoice| {
        let id = format!("zone-{}", choice.key());
        let label_for = id.clone();
        let text = move || match choice {
            ZoneChoice::Utc => "UTC".to_string(),
            ZoneChoice::Local => match zone_label.get().filter(|_| zone.get() == ZoneChoice::Local) {
                Some(label) => format!("{}: {label}", tr!(l, controls.your_time_zone)),
                None => tr!(l, controls.your_time_zone).to_string(),
            },
        };
        view! {
            <label for=label_for class="choice">
                <input
                    id=id
                    type="radio"
                    name="time-zone"
                    value=choice.key()
                    prop:checked=move || zone.get() == choice
                    on:change=move |_| on_pick(choice)
                />
                {text}
            </label>
        }
    };
    view! {
        <fieldset class="zone-toggle">
            <legend>{tr!(l, controls.show_times_in)}</legend>
            {option(ZoneChoice::Local)}
            {option(ZoneChoice::Utc)}
        </fieldset>
    }
}

/// Which columns the table (and the export) has; at least one.
#[component]
pub(super) fn ColumnChooser(
    columns: Memo<Vec<Column>>,
    on_pick: impl Fn(Vec<Column>) + Copy + 'static,
) -> impl IntoView {
    let l = use_locale();
    view! {
        <details class="columns-menu">
            <summary>{tr!(l, controls.columns)}</summary>
            <fieldset>
                <legend class="visually-hidden">{tr!(l, controls.columns_to_show_and_export)}</legend>
                {Column::ALL
                    .into_iter()
                    .map(|column| {
                        let id = format!("column-{}", column.key());
                        let label_for = id.clone();
                        let checked = move || columns.with(|chosen| chosen.contains(&column));
                        let only_one = move || columns.with(|chosen| chosen.len() == 1 && chosen.contains(&column));
                        view! {
                            <label for=label_for class="choice">
                                <input
                                    id=id
                                    type="checkbox"
                                    prop:checked=checked
                                    disabled=only_one
                                    on:change=move |_| {
                                        let mut chosen = columns.get_untracked();
                                        if chosen.contains(&column) {
                                            chosen.retain(|c| *c != column);
                                        } else {
                                            chosen.push(column);
                                            chosen.sort();
                                        }
                                        if !chosen.is_empty() {
                                            on_pick(chosen);
                                        }
                                    }
                                />
                                {column.header_in(l)}
                            </label>
                        }
                    })
                    .collect_view()}
            </fieldset>
        </details>
    }
}
