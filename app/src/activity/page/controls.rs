//! The controls above the table: a From/To day, the filter's help, the time-zone toggle and
//! the column chooser.

use leptos::prelude::*;

use crate::activity::filter::Filter;
use crate::activity::view_state::{Column, ZoneChoice};
use crate::i18n::{Locale, use_locale};

/// The period's problem in the page's language.
pub(super) fn period_error_text(error: &crate::activity::period::PeriodError, l: Locale) -> String {
    use crate::activity::period::PeriodError;
    match (l, error) {
        (Locale::En, error) => error.to_string(),
        (Locale::Ko, PeriodError::MissingFrom) => "시작 날짜를 고르세요.".into(),
        (Locale::Ko, PeriodError::MissingTo) => "종료 날짜를 고르세요.".into(),
        (Locale::Ko, PeriodError::Reversed) => "시작일은 종료일과 같거나 그 이전이어야 합니다.".into(),
        (Locale::Ko, PeriodError::TooLong) => {
            "기간은 최대 366일입니다. 더 긴 기간은 1년씩 내보내세요.".into()
        }
        (Locale::Ko, other) => other.to_string(),
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

/// The query syntax, and hints for what in the filter text was not understood.
#[component]
pub(super) fn FilterHelp(filter: Memo<Filter>) -> impl IntoView {
    let l = use_locale();
    view! {
        <div id="filter-help" class="filter-help">
            {move || filter.with(|filter| {
                filter.hints().iter().map(|hint| view! {
                    <p class="filter-hint" role="status">{hint.message_in(l)}</p>
                }).collect_view()
            })}
            <details>
                <summary>{l.pick("Search syntax", "검색 문법")}</summary>
                <p>
                    {l.pick(
                        "Words match anywhere. Keys look in one column: action:, customer:, user:, details:. Quote values with spaces (customer:\"Adatum Corp\"). A leading - excludes (-action:reset). Every term must match, unless joined by OR (action:ordered OR action:reset).",
                        "단어는 모든 열에서 찾습니다. 키는 한 열에서만 찾습니다: action:, customer:, user:, details:. 공백이 있는 값은 따옴표로 묶으세요(customer:\"한빛 소프트\"). 앞에 -를 붙이면 제외합니다(-action:reset). OR로 잇지 않은 조건은 모두 맞아야 합니다(action:ordered OR action:reset).",
                    )}
                </p>
            </details>
        </div>
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
                Some(label) => format!("{}: {label}", l.pick("Your time zone", "내 시간대")),
                None => l.pick("Your time zone", "내 시간대").to_string(),
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
            <legend>{l.pick("Show times in", "시간 표시")}</legend>
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
            <summary>{l.pick("Columns", "열")}</summary>
            <fieldset>
                <legend class="visually-hidden">{l.pick("Columns to show and export", "표시하고 내보낼 열")}</legend>
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
