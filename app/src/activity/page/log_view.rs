//! The view the page shows, as signals: what the URL says (kept by [`ViewUrl`]), the viewer's
//! saved columns and zone where the URL says nothing, and what follows from them: the period,
//! its UTC instants (read once here, used by the load, the live log, the badge and the
//! export) and the chosen day.

use std::time::Duration;

use chrono::NaiveDate;
use leptos::prelude::*;

use leptos_router::NavigateOptions;
use leptos_router::hooks::{use_navigate, use_query_map};

use super::local_time::{self, utc_bounds};
use crate::activity::PAGE_PATH;
use crate::activity::period::{LocalPeriod, PeriodError, UtcRange};
use crate::activity::view::{Column, Sort, ViewState, ZoneChoice};
use crate::preferences::Preferences;

/// How long typing in the filter rests before the URL follows. A second, not less: a write
/// costs the page a task and a frame of its own, and Chromium then fetches and decodes the
/// favicon again (~10 ms in all, traced over a year), which a key pressed just then waits
/// behind. Typing a key every 300 ms met a write before each key.
const TYPING_PAUSE: Duration = Duration::from_millis(1_000);

#[derive(Clone, Copy)]
pub(super) struct LogView {
    pub(super) url: ViewUrl,
    /// Whether the page runs in the browser yet (effects run only there): the viewer's own
    /// time zone decides "today" and the period's instants.
    pub(super) hydrated: RwSignal<bool>,
    /// The From and To inputs as the URL holds them (`YYYY-MM-DD`, maybe empty).
    pub(super) from_day: Memo<String>,
    pub(super) to_day: Memo<String>,
    pub(super) period: Memo<Result<LocalPeriod, PeriodError>>,
    /// The period's instants in the chosen zone; `None` while the period is not valid.
    pub(super) bounds: Memo<Option<UtcRange>>,
    /// The day picked on the chart, if it is in the period.
    pub(super) chosen_day: Memo<Option<NaiveDate>>,
    pub(super) columns: Memo<Vec<Column>>,
    pub(super) sort: Memo<Sort>,
    pub(super) zone: Memo<ZoneChoice>,
    /// The zone's name once in the browser (`None` on the server, which doesn't know it).
    pub(super) zone_label: Memo<Option<String>>,
    /// The filter text the rows are filtered by: the box's text, taken once the frame that
    /// shows the key pressed is painted. Filtering a year's rows takes longer than a frame;
    /// the box answers every key at once, and the rows follow in a task of their own (many
    /// keys pressed before it runs are filtered for once, by the latest text).
    pub(super) applied_filter: ReadSignal<String>,
    /// The URL write waiting for typing to rest.
    pending_url: StoredValue<Option<TimeoutHandle>>,
}

impl LogView {
    pub(super) fn new(saved: &Preferences) -> LogView {
        let url = ViewUrl::new();
        let hydrated = RwSignal::new(false);
        Effect::new(move |_| hydrated.set(true));
        let saved_zone = saved.zone;
        let zone = Memo::new(move |_| url.view.with(|view| view.zone).or(saved_zone).unwrap_or_default());
        let saved_columns = saved.columns.clone();
        let columns = Memo::new(move |_| {
            url.view
                .with(|view| view.columns.clone())
                .or_else(|| saved_columns.clone())
                .unwrap_or_else(|| Column::DEFAULT.to_vec())
        });
        let from_day = Memo::new(move |_| url.view.with(|view| view.from.clone().unwrap_or_default()));
        let to_day = Memo::new(move |_| url.view.with(|view| view.to.clone().unwrap_or_default()));
        let period = Memo::new(move |_| LocalPeriod::parse(&from_day.get(), &to_day.get()));
        let bounds = Memo::new(move |_| Some(utc_bounds(period.get().ok()?, zone.get())));
        let chosen_day = Memo::new(move |_| {
            let day = url.view.with(|view| view.day)?;
            let period = period.get().ok()?;
            (period.from <= day && day <= period.to).then_some(day)
        });
        let view = LogView {
            applied_filter: applied_after_paint(url.filter_text),
            url,
            hydrated,
            from_day,
            to_day,
            period,
            bounds,
            chosen_day,
            columns,
            sort: Memo::new(move |_| url.view.with(|view| view.sort)),
            zone,
            zone_label: Memo::new(move |_| hydrated.get().then(|| local_time::zone_label(zone.get()))),
            pending_url: StoredValue::new(None),
        };
        view.write_missing_period();
        view
    }

    /// A link without a period gets the most recent month, written into the URL so that the
    /// link, once copied, keeps showing the same days.
    fn write_missing_period(self) {
        Effect::new(move |_| {
            if !self.hydrated.get() {
                return;
            }
            let (from, to) = self.url.view.with(|view| (view.from.clone(), view.to.clone()));
            if from.is_some() && to.is_some() {
                return;
            }
            let default = LocalPeriod::most_recent_month(local_time::today(self.zone.get_untracked()));
            self.url.update(true, |view| {
                view.from.get_or_insert(default.from.to_string());
                view.to.get_or_insert(default.to.to_string());
            });
        });
    }

    /// The filter box's text, as typed (the URL follows it; the rows, `applied_filter`).
    pub(super) fn filter_text(self) -> RwSignal<String> {
        self.url.filter_text
    }

    /// Sets the filter text. Typing writes the URL once the keys rest (a history write per
    /// keystroke would cost each one); a facet click writes it at once, as its own entry.
    pub(super) fn set_filter_text(self, text: String, typing: bool) {
        self.url.filter_text.set(text.clone());
        if let Some(pending) = self.pending_url.get_value() {
            pending.clear();
        }
        let url = self.url;
        let write = move || {
            // Back or forward since the keys put the URL's own text in the box: keep it.
            if url.filter_text.with_untracked(|now| *now == text) {
                url.update(typing, |view| view.query = text);
            }
        };
        if typing {
            self.pending_url
                .set_value(set_timeout_with_handle(write, TYPING_PAUSE).ok());
        } else {
            write();
        }
    }

    /// Adds `term` to the filter (a facet's), as its own history entry.
    pub(super) fn add_term(self, term: String) {
        let current = self.url.filter_text.get_untracked();
        let text = if current.trim().is_empty() {
            term
        } else {
            format!("{} {term}", current.trim_end())
        };
        self.set_filter_text(text, false);
    }

    /// Shows only `day` of the period (`None`: all of it).
    pub(super) fn pick_day(self, day: Option<NaiveDate>) {
        self.url.update(false, |view| view.day = day);
    }

    /// The days an export is for and their instants: the chosen day, or the whole period.
    pub(super) fn export_period(self) -> Option<(LocalPeriod, UtcRange)> {
        match self.chosen_day.get() {
            Some(day) => {
                let days = LocalPeriod { from: day, to: day };
                Some((days, utc_bounds(days, self.zone.get())))
            }
            None => Some((self.period.get().ok()?, self.bounds.get()?)),
        }
    }
}

/// `text` as it is once the browser has painted the frame after its change (in a task queued
/// from that frame's animation callback, so it runs after the paint).
fn applied_after_paint(text: RwSignal<String>) -> ReadSignal<String> {
    let (applied, set_applied) = signal(text.get_untracked());
    Effect::new(move |_| {
        text.track();
        request_animation_frame(move || {
            set_timeout(
                move || {
                    let latest = text.get_untracked();
                    if applied.with_untracked(|applied| *applied != latest) {
                        set_applied.set(latest);
                    }
                },
                Duration::ZERO,
            );
        });
    });
    applied
}

/// The URL as the page's state: read it with `view`, change it with `update`.
///
/// The filter box is the one exception: it answers each keystroke at once from `filter_text`
/// and the URL follows when typing rests, so every write takes the box's text along, and
/// only back/forward (not our own writes arriving late) put the URL's text into the box.
#[derive(Clone, Copy)]
pub(super) struct ViewUrl {
    pub(super) view: Memo<ViewState>,
    pub(super) go: Callback<(ViewState, bool)>,
    pub(super) filter_text: RwSignal<String>,
}

impl ViewUrl {
    pub(super) fn new() -> ViewUrl {
        let query = use_query_map();
        let navigate = use_navigate();
        let view = Memo::new(move |_| query.with(|query| ViewState::from_params(|name| query.get(name))));
        let filter_text = RwSignal::new(view.get_untracked().query);
        #[cfg(feature = "hydrate")]
        {
            let handle = window_event_listener(leptos::ev::popstate, move |_| {
                let in_url = web_sys::window()
                    .and_then(|window| window.location().search().ok())
                    .and_then(|search| web_sys::UrlSearchParams::new_with_str(&search).ok())
                    .and_then(|params| params.get("q"))
                    .unwrap_or_default();
                filter_text.set(in_url);
            });
            on_cleanup(move || handle.remove());
        }
        ViewUrl {
            view,
            filter_text,
            go: Callback::new(move |(view, replace): (ViewState, bool)| {
                let options = NavigateOptions {
                    replace,
                    scroll: false,
                    ..NavigateOptions::default()
                };
                navigate(&format!("{PAGE_PATH}{}", view.query_string()), options);
            }),
        }
    }

    /// Changes the view; `replace` for changes too small for their own history entry
    /// (typing, opening a row).
    pub(super) fn update(self, replace: bool, edit: impl FnOnce(&mut ViewState)) {
        let mut view = self.view.get_untracked();
        view.query = self.filter_text.get_untracked();
        edit(&mut view);
        if view != self.view.get_untracked() {
            self.go.run((view, replace));
        }
    }
}
