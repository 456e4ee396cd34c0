//! Loading the period: whenever its instants change, its events arrive page by page
//! (`list_activity`, keyset-paged, newest first; the period in stretches fetched side by
//! side, each stretch's next page asked for while the last is decoded) into [`Load`], shown
//! as they come (less often as they grow); a newer period drops the answers of an older
//! one. Once the last page is in, the rows' search keys are written in pieces, and a period
//! that includes now is followed live (`live`).

use std::sync::Arc;

use futures::StreamExt;
use futures::channel::mpsc;
use leptos::prelude::*;
use leptos::task::spawn_local;

use super::client_code::client_code;
use super::live::Live;
use super::log_view::LogView;
use super::rows::{Load, LoadedRow, RowIndex, Rows, Slots};
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

/// How many stretches a period longer than [`ONE_STRETCH`] loads in, side by side
/// (`UtcRange::split`): the server reads a page of each at once, while the browser adds the
/// pages in order. In one, the server's time per page was most of a year's first load, the
/// browser waiting on every page.
const STRETCHES: i64 = 2;

/// Periods up to this long load in one stretch: they are a few pages at most, and a second
/// stretch would only add a request.
const ONE_STRETCH: chrono::Duration = chrono::Duration::days(7);

/// The period's pages, newest first: each stretch's pages are fetched one after another
/// (`fetch_pages`), all stretches at once; the rows are added stretch after stretch, page by
/// page. `current` says whether this load is still the one wanted.
async fn load_pages(
    view: LogView,
    live: Live,
    load: RwSignal<Load>,
    search: StoredValue<RowIndex>,
    range: UtcRange,
    current: impl Fn() -> bool + Copy + 'static,
) {
    let l = use_locale();
    let parts = if range.to - range.from > ONE_STRETCH {
        STRETCHES
    } else {
        1
    };
    let stretches: Vec<_> = range
        .split(parts)
        .into_iter()
        .map(|stretch| fetch_pages(stretch, current))
        .collect();
    let mut rows: Vec<Arc<LoadedRow>> = Vec::new();
    // Each showing runs the whole view (filter, days, chart and facet counts, order) over
    // every row so far: after every page, a year's 150 pages would cost the square of its
    // rows. Shown after the first page, then each time the rows have grown by half (a dozen
    // showings for a year, every row counted about three times), and at the end.
    let mut shown = 0;
    let mut slots = Slots::default();
    let mut first = true;
    for mut pages in stretches {
        while let Some(result) = pages.next().await {
            // A newer period was picked while this one loaded: drop the stale answer.
            if !current() {
                return;
            }
            // Decoded by the chunk: waits for it only if it is still on its way.
            let code = client_code().await;
            let page = result.and_then(|bytes| (code.decode)(&bytes.0).ok_or(AppError::Internal));
            let page = match page {
                Ok(page) => page,
                Err(error) => {
                    load.set(Load::Failed(error.message_in(l)));
                    return;
                }
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
            if rows.len() >= shown + shown / 2 {
                shown = rows.len();
                load.set(Load::Loading(Arc::new(rows.clone())));
            }
        }
    }
    if !current() {
        return;
    }
    let code = client_code().await;
    live.loaded(rows.len(), std::mem::take(&mut slots), code.make_row);
    let rows = Arc::new(rows);
    load.set(Load::Loaded(rows.clone()));
    follow_if_it_includes_now(view, live, load, range, code.decode_live);
    key_in_pieces(search, rows, current).await;
}

/// Rows whose search keys one piece writes: about 10 ms of the browser's time (a year's
/// 745,000 keys took ~0.47 s in a CDP profile), so a key pressed meanwhile waits little.
const KEYS_PER_PIECE: usize = 16_384;

/// Writes the loaded rows' search keys a piece at a time once they show, the browser free
/// to paint and take input between pieces, so that the filter's first key finds them
/// written. A filter typed sooner writes the rest itself (`matched_rows`), and a period
/// loaded with a filter has them written as its rows show.
async fn key_in_pieces(search: StoredValue<RowIndex>, rows: Rows, current: impl Fn() -> bool) {
    loop {
        let (done, next_task) = futures::channel::oneshot::channel();
        set_timeout(
            move || {
                let _ = done.send(());
            },
            std::time::Duration::ZERO,
        );
        let _ = next_task.await;
        // A newer period's index is not this load's to write.
        if !current() {
            return;
        }
        match search.try_update_value(|search| search.key(&rows, KEYS_PER_PIECE)) {
            Some(false) => {}
            // Every key written, or the page is gone.
            Some(true) | None => return,
        }
    }
}

/// Fetches `range`'s pages in a task of its own, one after another, each asked for as soon
/// as the page before it names its cursor (before that page is decoded), and hands them over
/// in order. It stops after the last page, after an error (handed over), or when this load
/// is no longer `current` or nobody takes its pages.
fn fetch_pages(
    range: UtcRange,
    current: impl Fn() -> bool + 'static,
) -> mpsc::UnboundedReceiver<Result<EncodedPage, AppError>> {
    let (pages, received) = mpsc::unbounded();
    let (from, to) = range.to_texts();
    spawn_local(async move {
        let mut after = String::new();
        loop {
            let answer = list_activity(from.clone(), to.clone(), after).await;
            if !current() {
                return;
            }
            let code = client_code().await;
            let next = match &answer {
                Ok(bytes) => (code.next_cursor)(&bytes.0).ok_or(AppError::Internal),
                Err(error) => Err(error.clone()),
            };
            let (answer, next) = match next {
                Ok(next) => (answer, next),
                Err(error) => (Err(error), None),
            };
            if pages.unbounded_send(answer).is_err() {
                return;
            }
            match next {
                Some(cursor) => after = cursor,
                None => return,
            }
        }
    });
    received
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
