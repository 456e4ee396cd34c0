//! Loading the period: whenever its instants change, its events arrive page by page
//! (`list_activity`, keyset-paged, newest first) into [`Load`], shown as they come (less
//! often as they grow); a newer period drops the answers of an older one. Once the last page
//! is in, a period that includes now is followed live (`live`).

use std::sync::Arc;

use leptos::prelude::*;
use leptos::task::spawn_local;

use super::client_code::client_code;
use super::live::Live;
use super::log_view::LogView;
use super::rows::{Load, LoadedRow, Slots};
use crate::activity::api::list_activity;
use crate::activity::period::UtcRange;
use crate::errors::AppError;
use crate::i18n::use_locale;

/// Loads the view's period into `load` whenever its instants change (in the browser only).
pub(super) fn load_each_period(view: LogView, live: Live, load: RwSignal<Load>) {
    let latest_request = StoredValue::new(0u64);
    Effect::new(move |_| {
        if !view.hydrated.get() {
            return;
        }
        let Some(range) = view.bounds.get() else {
            // The inline message explains; no request is made.
            load.set(Load::Idle);
            return;
        };
        let request = latest_request.get_value() + 1;
        latest_request.set_value(request);
        load.set(Load::Loading(Arc::default()));
        live.restart();
        let current = move || latest_request.get_value() == request;
        spawn_local(load_pages(view, live, load, range, current));
    });
}

/// The period's pages one after another; `current` says whether this load is still the
/// one wanted.
async fn load_pages(
    view: LogView,
    live: Live,
    load: RwSignal<Load>,
    range: UtcRange,
    current: impl Fn() -> bool + 'static,
) {
    let l = use_locale();
    let (from, to) = range.to_texts();
    let mut rows: Vec<Arc<LoadedRow>> = Vec::new();
    // Each showing runs the whole view (filter, days, chart and facet counts, order) over
    // every row so far: after every page, a year's 150 pages would cost the square of its
    // rows. Shown after the first page, then each time the rows have grown by half (a dozen
    // showings for a year, every row counted about three times), and at the end.
    let mut shown = 0;
    let mut slots = Slots::default();
    let mut after = String::new();
    loop {
        let first = after.is_empty();
        let result = list_activity(from.clone(), to.clone(), after).await;
        // A newer period was picked while this one loaded: drop the stale answer.
        if !current() {
            return;
        }
        // Decoded by the chunk: waits for it only if it is still on its way.
        let code = client_code().await;
        let page = match result.and_then(|page| (code.decode)(&page.0).ok_or(AppError::Internal)) {
            Ok(page) => page,
            Err(error) => {
                load.set(Load::Failed(error.message_in(l)));
                return;
            }
        };
        let next = page.next.clone();
        if first {
            live.head.set_value(page.head);
        }
        rows.extend(
            page.unpack()
                .into_iter()
                .map(|entry| LoadedRow::new(entry, &mut slots)),
        );
        let Some(cursor) = next else {
            live.loaded(rows.len(), std::mem::take(&mut slots));
            load.set(Load::Loaded(Arc::new(rows)));
            follow_if_it_includes_now(view, live, load, range, code.decode);
            return;
        };
        if rows.len() >= shown + shown / 2 {
            shown = rows.len();
            load.set(Load::Loading(Arc::new(rows.clone())));
        }
        after = cursor;
    }
}

/// Opens the live stream when the period includes now. At the top of the unfiltered table
/// new events show at once; otherwise they wait behind a notice.
fn follow_if_it_includes_now(
    view: LogView,
    live: Live,
    load: RwSignal<Load>,
    range: UtcRange,
    decode: fn(&[u8]) -> Option<crate::activity::wire::EventPage>,
) {
    #[cfg(feature = "hydrate")]
    if range.to.timestamp_millis() as f64 > js_sys::Date::now() {
        let show_now = move || {
            view.filter_text().with_untracked(|text| text.trim().is_empty())
                && view.url.view.with_untracked(|view| view.day.is_none())
                && super::live::table_at_top()
        };
        super::live::follow(live, load, range, decode, show_now);
    }
    #[cfg(not(feature = "hydrate"))]
    let _ = (view, live, load, range, decode);
}
