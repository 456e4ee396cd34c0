//! Export log in the browser: the same form post, read as a stream so the page shows rows
//! and bytes as they arrive and can cancel, then saved to the downloads folder through a
//! Blob link. Before hydration (or without JavaScript) the form posts natively instead.

/// What the export has done so far.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ExportProgress {
    /// Data rows received (lines after the header); `None` for an Excel file, whose rows
    /// can't be counted from its bytes.
    pub rows: Option<u64>,
    pub bytes: u64,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ExportEnd {
    Saved(ExportProgress),
    Cancelled,
    Failed(String),
}

#[cfg(feature = "hydrate")]
pub use browser::{Cancel, download_export};

use leptos::prelude::*;
#[cfg(feature = "hydrate")]
use leptos::task::spawn_local;

use crate::activity::wire::ExportForm;
use crate::i18n::use_locale;

/// The Export log button's download, as the page follows it (it only runs in the browser).
#[derive(Debug, Clone, PartialEq)]
#[cfg_attr(not(feature = "hydrate"), allow(dead_code))]
pub enum ExportState {
    Idle,
    Running(ExportProgress),
    Ended(ExportEnd),
}

/// Streams the export in the browser, keeping `export` up to date; the Cancel button
/// reaches the running download through a local (browser-only) stored handle.
pub fn start_export(form: ExportForm, file_name: String, export: RwSignal<ExportState>) {
    #[cfg(feature = "hydrate")]
    {
        export.set(ExportState::Running(ExportProgress::default()));
        spawn_local(stream_export(form, file_name, export));
    }
    #[cfg(not(feature = "hydrate"))]
    let _ = (form, file_name, export);
}

/// The download itself: only needed once Export log is pressed, so its code is a wasm chunk
/// of its own (`#[lazy]`), fetched then rather than before the page is interactive.
#[cfg(feature = "hydrate")]
#[leptos::lazy]
async fn stream_export(form: ExportForm, file_name: String, export: RwSignal<ExportState>) {
    let end = download_export(
        form,
        file_name,
        |cancel| CANCEL_EXPORT.with(|slot| *slot.borrow_mut() = Some(cancel)),
        |progress| export.set(ExportState::Running(progress)),
    )
    .await;
    CANCEL_EXPORT.with(|slot| *slot.borrow_mut() = None);
    export.set(ExportState::Ended(end));
}

#[cfg(feature = "hydrate")]
thread_local! {
    static CANCEL_EXPORT: std::cell::RefCell<Option<Cancel>> = const { std::cell::RefCell::new(None) };
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
pub fn ExportStatus(export: RwSignal<ExportState>) -> impl IntoView {
    let l = use_locale();
    let rows = move |progress: ExportProgress| match progress.rows {
        Some(rows) => tr!(
            l,
            download.rows,
            rows = l.number(rows),
            size = megabytes(progress.bytes)
        ),
        None => format!("({})", megabytes(progress.bytes)),
    };
    move || match export.get() {
        ExportState::Idle => ().into_any(),
        ExportState::Running(progress) => view! {
            <p class="export-progress" role="status">
                {tr!(l, download.exporting)} {rows(progress)} " "
                <button type="button" class="link-button" on:click=move |_| cancel_export()>
                    {tr!(l, download.cancel)}
                </button>
            </p>
        }
        .into_any(),
        ExportState::Ended(ExportEnd::Saved(progress)) => view! {
            <p class="export-progress" role="status">
                {tr!(l, download.exported)} {rows(progress)} {tr!(l, download.to_your_downloads)}
            </p>
        }
        .into_any(),
        ExportState::Ended(ExportEnd::Cancelled) => {
            view! { <p class="export-progress" role="status">{tr!(l, download.export_cancelled)}</p> }
                .into_any()
        }
        ExportState::Ended(ExportEnd::Failed(message)) => view! {
            <p class="error" role="alert">{tr!(l, download.the_export_failed)} {message}</p>
        }
        .into_any(),
    }
}

/// "12.3 MB", in integers: the page formats no float (see the chart).
fn megabytes(bytes: u64) -> String {
    let tenths = (bytes + 50_000) / 100_000;
    format!("{}.{} MB", tenths / 10, tenths % 10)
}

#[cfg(feature = "hydrate")]
mod browser {
    use wasm_bindgen::{JsCast, JsValue};
    use wasm_bindgen_futures::JsFuture;
    use web_sys::{
        AbortController, Blob, BlobPropertyBag, HtmlAnchorElement, ReadableStreamDefaultReader, RequestInit,
        Response, Url, UrlSearchParams,
    };

    use super::{ExportEnd, ExportProgress};
    use crate::activity::EXPORT_PATH;
    use crate::activity::wire::{ExportForm, form_fields};
    use crate::errors::AppError;

    /// Stops a running export.
    #[derive(Clone)]
    pub struct Cancel(AbortController);

    impl Cancel {
        pub fn cancel(&self) {
            self.0.abort();
        }
    }

    /// Posts `form`, reports progress per chunk, and saves the file as `file_name`.
    /// `started` receives the handle that cancels it.
    pub async fn download_export(
        form: ExportForm,
        file_name: String,
        started: impl FnOnce(Cancel),
        mut progress: impl FnMut(ExportProgress),
    ) -> ExportEnd {
        let Ok(controller) = AbortController::new() else {
            return ExportEnd::Failed("This browser can't stream downloads.".into());
        };
        started(Cancel(controller.clone()));
        match run(&controller, &form, &file_name, &mut progress).await {
            Ok(done) => ExportEnd::Saved(done),
            Err(_) if controller.signal().aborted() => ExportEnd::Cancelled,
            Err(Failure::Refused(message)) => ExportEnd::Failed(message),
            Err(Failure::Browser(_)) => {
                ExportEnd::Failed("The download was interrupted. Check your connection and try again.".into())
            }
        }
    }

    enum Failure {
        Refused(String),
        Browser(#[allow(dead_code)] JsValue),
    }

    impl From<JsValue> for Failure {
        fn from(value: JsValue) -> Self {
            Failure::Browser(value)
        }
    }

    async fn run(
        controller: &AbortController,
        form: &ExportForm,
        file_name: &str,
        progress: &mut impl FnMut(ExportProgress),
    ) -> Result<ExportProgress, Failure> {
        // A CSV's first line is its header; a JSON-lines file has none, unless it carries
        // proofs (its first line names their checkpoint); an Excel file's rows can't be
        // counted from its bytes.
        let header_lines = u64::from(!file_name.ends_with(".ndjson") || !form.proofs.is_empty());
        let counts_rows = !file_name.ends_with(".xlsx");
        let window = web_sys::window().ok_or(JsValue::NULL)?;
        let body = UrlSearchParams::new()?;
        for (name, value) in form_fields(form) {
            body.append(&name, &value);
        }
        let init = RequestInit::new();
        init.set_method("POST");
        init.set_body(&body);
        init.set_signal(Some(&controller.signal()));
        let response: Response = JsFuture::from(window.fetch_with_str_and_init(EXPORT_PATH, &init))
            .await?
            .dyn_into()?;
        if !response.ok() {
            let text = JsFuture::from(response.text()?)
                .await?
                .as_string()
                .unwrap_or_default();
            // The server answers with an AppError as JSON; a proxy in between might not.
            return Err(Failure::Refused(match serde_json::from_str::<AppError>(&text) {
                Ok(error) => error.message_in(crate::i18n::initial_locale()),
                Err(_) if text.trim().is_empty() => {
                    format!("The export was refused ({}).", response.status())
                }
                Err(_) => text,
            }));
        }
        let reader: ReadableStreamDefaultReader = response
            .body()
            .ok_or(JsValue::NULL)?
            .get_reader()
            .dyn_into()
            .map_err(JsValue::from)?;
        let chunks = js_sys::Array::new();
        let mut lines = 0u64;
        let mut done = ExportProgress::default();
        loop {
            let step = JsFuture::from(reader.read()).await?;
            if js_sys::Reflect::get(&step, &"done".into())?
                .as_bool()
                .unwrap_or(true)
            {
                break;
            }
            let chunk: js_sys::Uint8Array = js_sys::Reflect::get(&step, &"value".into())?.dyn_into()?;
            lines += chunk.to_vec().iter().filter(|byte| **byte == b'\n').count() as u64;
            done = ExportProgress {
                rows: counts_rows.then(|| lines.saturating_sub(header_lines)),
                bytes: done.bytes + u64::from(chunk.length()),
            };
            chunks.push(&chunk);
            progress(done);
        }
        let options = BlobPropertyBag::new();
        options.set_type(if counts_rows {
            "text/csv;charset=utf-8"
        } else {
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
        });
        let blob = Blob::new_with_u8_array_sequence_and_options(&chunks, &options)?;
        let url = Url::create_object_url_with_blob(&blob)?;
        let document = window.document().ok_or(JsValue::NULL)?;
        let link: HtmlAnchorElement = document.create_element("a")?.dyn_into().map_err(JsValue::from)?;
        link.set_href(&url);
        link.set_download(file_name);
        link.click();
        // The download has its own copy once it starts; free the Blob a little later.
        leptos::prelude::set_timeout(
            move || {
                let _ = Url::revoke_object_url(&url);
            },
            std::time::Duration::from_secs(60),
        );
        Ok(done)
    }
}

#[cfg(test)]
mod tests {
    use super::megabytes;

    #[test]
    fn sizes_read_in_megabytes_to_one_decimal() {
        assert_eq!(megabytes(0), "0.0 MB");
        assert_eq!(megabytes(49_999), "0.0 MB");
        assert_eq!(megabytes(50_000), "0.1 MB");
        assert_eq!(megabytes(12_345_678), "12.3 MB");
        assert_eq!(megabytes(999_960_000), "1000.0 MB");
    }
}
