//! Loading the period: whenever its instants change, its events arrive page by page
//! (`list_activity`, keyset-paged, newest first; the next page asked for while the last is
//! decoded) into [`Load`], shown as they come (less often as they grow); a newer period drops
//! the answers of an older one. Once the last page is in, a period that includes now is
//! followed live (`live`).

use std::sync::Arc;

use futures::channel::oneshot;
use leptos::prelude::*;
use leptos::task::spawn_local;

use super::client_code::client_code;
use super::live::Live;
use super::log_view::LogView;
use super::rows::{Load, LoadedRow, RowIndex, Slots};
use crate::activity::api::list_activity;
use crate::activity::period::UtcRange;
use crate::activity::wire::EncodedPage;
use crate::errors::AppError;
use crate::i18n::use_locale;

/// Loads the view's period into `load` whenever its instants change (in the browser only).
pub(super) fn load_each_period(
    view: LogView,
    live: Live,
    load: RwSignal<Load>,
    search: StoredValue<RowIndex>,
) {
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
        spawn_local(load_pages(view, live, load, search, range, current));
    });
}

/// The period's pages one after another, each asked for as soon as the page before it names
/// its cursor (before that page is decoded), so the server reads a page while the browser
/// decodes the last; `current` says whether this load is still the one wanted.
async fn load_pages(
    view: LogView,
    live: Live,
    load: RwSignal<Load>,
    search: StoredValue<RowIndex>,
    range: UtcRange,
    current: impl Fn() -> bool + 'static,
) {
    let l = use_locale();
    let (from, to) = range.to_texts();
    let ask = move |after: String| ask_for_page(from.clone(), to.clone(), after);
    let mut rows: Vec<Arc<LoadedRow>> = Vec::new();
    // Each showing runs the whole view (filter, days, chart and facet counts, order) over
    // every row so far: after every page, a year's 150 pages would cost the square of its
    // rows. Shown after the first page, then each time the rows have grown by half (a dozen
    // showings for a year, every row counted about three times), and at the end.
    let mut shown = 0;
    let mut slots = Slots::default();
    let mut asked = ask(String::new());
    let mut first = true;
    loop {
        let result = asked.await.unwrap_or(Err(AppError::Internal));
        // A newer period was picked while this one loaded: drop the stale answer (after each
        // wait).
        if !current() {
            return;
        }
        // Decoded by the chunk: waits for it only if it is still on its way.
        let code = client_code().await;
        let read = result.and_then(|bytes| {
            let next = (code.next_cursor)(&bytes.0).ok_or(AppError::Internal)?;
            Ok((bytes, next.map(&ask)))
        });
        let (bytes, next_asked) = match read {
            Ok(read) => read,
            Err(error) => {
                load.set(Load::Failed(error.message_in(l)));
                return;
            }
        };
        // Lets the next page's task run up to its request before this page's decoding
        // holds the thread.
        leptos::task::tick().await;
        if !current() {
            return;
        }
        let Some(page) = (code.decode)(&bytes.0) else {
            load.set(Load::Failed(AppError::Internal.message_in(l)));
            return;
        };
        if std::mem::take(&mut first) {
            live.head.set_value(page.head);
        }
        // The page is gone when nothing holds the index any more.
        if search
            .try_update_value(|index| (code.add_page)(page, &mut slots, index, &mut rows))
            .is_none()
        {
            return;
        }
        let Some(next_asked) = next_asked else {
            live.loaded(rows.len(), std::mem::take(&mut slots), code.make_row);
            load.set(Load::Loaded(Arc::new(rows)));
            follow_if_it_includes_now(view, live, load, range, code.decode_live);
            return;
        };
        if rows.len() >= shown + shown / 2 {
            shown = rows.len();
            load.set(Load::Loading(Arc::new(rows.clone())));
        }
        asked = next_asked;
    }
}

/// Sends a page's request at once, in a task of its own (a future nobody polls yet would not
/// send it), and hands back where its answer will arrive.
fn ask_for_page(from: String, to: String, after: String) -> oneshot::Receiver<Result<EncodedPage, AppError>> {
    let (answer, answered) = oneshot::channel();
    spawn_local(async move {
        // Nobody waits any more when a newer period was picked: the answer is dropped.
        let _ = answer.send(list_activity(from, to, after).await);
    });
    answered
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
