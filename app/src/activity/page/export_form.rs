//! The Export log form: what is on screen (period or chosen day, filter, sort, columns, zone)
//! as a `wire::ExportForm`. Until the page is interactive it posts natively from its hidden
//! fields; after, it streams the file with progress and Cancel (`download`).

use leptos::prelude::*;

use super::download::{ExportState, start_export};
use super::local_time;
use super::log_view::LogView;
use crate::activity::EXPORT_PATH;
use crate::activity::view::columns_text;
use crate::activity::wire::{ExportForm, ExportFormat, form_fields};
use crate::i18n::use_locale;

#[component]
pub(super) fn ExportLogForm(
    view: LogView,
    /// Whether every row of the period is loaded (the button waits for it).
    loaded: Signal<bool>,
    export: RwSignal<ExportState>,
) -> impl IntoView {
    let l = use_locale();
    let format = RwSignal::new(ExportFormat::Csv);
    let proofs = RwSignal::new(false);
    // The form with `filter` as the filter text, and the file's name; `None` without a period.
    let form_with = move |filter: String| -> Option<(ExportForm, String)> {
        let (days, range) = view.export_period()?;
        let (from, to) = range.to_texts();
        let format = format.get();
        let form = ExportForm {
            from,
            to,
            from_date: days.from.to_string(),
            to_date: days.to.to_string(),
            filter,
            sort: view.sort.get().to_text(),
            columns: columns_text(&view.columns.get()),
            lang: l.tag().to_string(),
            format: format.name().to_string(),
            zone: local_time::zone_name(view.zone.get()),
            proofs: if format == ExportFormat::Ndjson && proofs.get() {
                "true"
            } else {
                ""
            }
            .to_string(),
        };
        Some((form, days.export_file_name(format.name())))
    };
    let filter_text = view.filter_text();
    // For the native post before hydration. The filter's field follows typing by itself, so
    // a keystroke doesn't remake every field; the format and proofs are their inputs' own.
    let hidden_fields = move || {
        form_with(filter_text.get_untracked()).map(|(form, _)| {
            form_fields(&form)
                .into_iter()
                .filter(|(name, _)| name != ExportForm::FORMAT_FIELD && name != ExportForm::PROOFS_FIELD)
                .map(|(name, value)| {
                    if name == ExportForm::FILTER_FIELD {
                        view! { <input type="hidden" name=name value=move || filter_text.get()/> }.into_any()
                    } else {
                        view! { <input type="hidden" name=name value=value/> }.into_any()
                    }
                })
                .collect_view()
        })
    };
    let running = move || export.with(|state| matches!(state, ExportState::Running(_)));
    view! {
        <form class="export" method="post" action=EXPORT_PATH on:submit=move |ev| {
            if untrack(running) {
                ev.prevent_default();
                return;
            }
            let Some((form, file_name)) = untrack(|| form_with(filter_text.get())) else { return };
            ev.prevent_default();
            start_export(form, file_name, export);
        }>
            {hidden_fields}
            <div class="field">
                <label for="export-format">{tr!(l, log.format)}</label>
                <select
                    id="export-format"
                    name=ExportForm::FORMAT_FIELD
                    on:change=move |ev| {
                        format.set(ExportFormat::parse(&event_target_value(&ev)).unwrap_or_default())
                    }
                >
                    // Written out: a static view is less wasm than one collected from a list.
                    <option value=ExportFormat::Csv.name() selected=move || format.get() == ExportFormat::Csv>
                        {tr!(l, log.csv_excel)}
                    </option>
                    <option value=ExportFormat::Xlsx.name() selected=move || format.get() == ExportFormat::Xlsx>
                        {tr!(l, log.excel_xlsx)}
                    </option>
                    <option value=ExportFormat::Ndjson.name() selected=move || format.get() == ExportFormat::Ndjson>
                        {tr!(l, log.json_lines_ndjson)}
                    </option>
                </select>
            </div>
            <Show when=move || format.get() == ExportFormat::Ndjson>
                <label class="proofs">
                    <input
                        type="checkbox"
                        name=ExportForm::PROOFS_FIELD
                        value="true"
                        prop:checked=move || proofs.get()
                        on:change=move |ev| proofs.set(event_target_checked(&ev))
                    />
                    {tr!(l, log.with_proofs)}
                </label>
            </Show>
            <button type="submit" class="primary" disabled=move || !loaded.get() || running()>
                {tr!(l, log.export_log)}
            </button>
        </form>
    }
}
