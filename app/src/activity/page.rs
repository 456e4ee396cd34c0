//! Account settings → Activity log. The period's events arrive page by page; filtering,
//! sorting, the chart, the facet counts and expanding rows then happen in the browser with no
//! round trip. The URL holds the whole view (see `view_state`), so reload, back/forward and a
//! pasted link show the same page. The table renders only the rows in view (plus a margin),
//! so a period of 100,000+ events scrolls smoothly.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use chrono::{NaiveDate, SecondsFormat};
use leptos::prelude::*;
use leptos::task::spawn_local;
use leptos_router::NavigateOptions;
use leptos_router::hooks::{use_navigate, use_query_map};

use super::EXPORT_PATH;
use super::api::list_activity;
use super::chart::{ActivityChart, DayCounts};
use super::download::{ExportEnd, ExportProgress};
use super::filter::{Filter, MAX_FILTER_CHARS, SearchKey};
use super::local_time;
use super::model::{ActionDetails, ActionKind, ActivityEntry};
use super::period::LocalPeriod;
use super::view_state::{Column, Sort, ViewState, ZoneChoice, columns_text};
use crate::auth::model::VIEW_ACTIVITY_LOG;
use crate::auth::model::Viewer;
use crate::i18n::{Locale, use_locale};
use crate::integrity::badge::IntegrityBadge;
use crate::layout::{RequireRole, SettingsBreadcrumb};
use crate::preferences::api::save_view_preferences;

/// How long typing in the filter rests before the URL follows.
const TYPING_PAUSE: std::time::Duration = std::time::Duration::from_millis(300);

/// The page's own address; views differ only in the query string.
pub const PAGE_PATH: &str = "/account-settings/activity-log";

#[component]
pub fn ActivityLogPage() -> impl IntoView {
    view! { <RequireRole permission=VIEW_ACTIVITY_LOG render=|viewer| view! { <ActivityLog viewer/> }.into_any()/> }
}

/// A loaded event with what the page computes from it once, when it arrives, rather than on
/// every keystroke: its search key, and small numbers for its user and customer, so the facet
/// counts and the chart count into arrays (with `ActionKind::index`) instead of hashing names.
#[derive(Debug, Clone, PartialEq)]
struct LoadedRow {
    entry: ActivityEntry,
    key: SearchKey,
    user: u32,
    customer: Option<u32>,
}

/// Numbers users and customers in the order they first appear in a load.
#[derive(Default)]
struct Slots {
    users: HashMap<String, u32>,
    customers: HashMap<i64, u32>,
}

impl LoadedRow {
    fn new(entry: ActivityEntry, slots: &mut Slots) -> Arc<LoadedRow> {
        let next = slots.users.len() as u32;
        let user = *slots.users.entry(entry.partner_user.clone()).or_insert(next);
        let next = slots.customers.len() as u32;
        let customer = entry
            .customer
            .as_ref()
            .map(|customer| *slots.customers.entry(customer.id).or_insert(next));
        Arc::new(LoadedRow {
            key: SearchKey::of(&entry),
            entry,
            user,
            customer,
        })
    }
}

type Rows = Arc<Vec<Arc<LoadedRow>>>;
/// Indexes into [`Rows`].
type Positions = Arc<Vec<u32>>;

#[derive(Debug, Clone, PartialEq)]
enum Load {
    /// Waiting for a valid period (or, before hydration, for the viewer's clock).
    Idle,
    /// Pages are arriving; the rows so far are shown.
    Loading(Rows),
    Loaded(Rows),
    Failed(String),
}

impl Load {
    fn rows(&self) -> Option<&Rows> {
        match self {
            Load::Loading(rows) | Load::Loaded(rows) => Some(rows),
            _ => None,
        }
    }
}

/// The URL as the page's state: read it with `view`, change it with `update`.
///
/// The filter box is the one exception: it answers each keystroke at once from `filter_text`
/// and the URL follows when typing rests, so every write takes the box's text along, and
/// only back/forward (not our own writes arriving late) put the URL's text into the box.
#[derive(Clone, Copy)]
struct ViewUrl {
    view: Memo<ViewState>,
    go: Callback<(ViewState, bool)>,
    filter_text: RwSignal<String>,
}

impl ViewUrl {
    fn new() -> ViewUrl {
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
    fn update(self, replace: bool, edit: impl FnOnce(&mut ViewState)) {
        let mut view = self.view.get_untracked();
        view.query = self.filter_text.get_untracked();
        edit(&mut view);
        if view != self.view.get_untracked() {
            self.go.run((view, replace));
        }
    }
}

/// The Export log button's download, as the page follows it (it only runs in the browser).
#[derive(Debug, Clone, PartialEq)]
#[cfg_attr(not(feature = "hydrate"), allow(dead_code))]
enum ExportState {
    Idle,
    Running(ExportProgress),
    Ended(ExportEnd),
}

/// Streams the export in the browser, keeping `export` up to date; the Cancel button
/// reaches the running download through a local (browser-only) stored handle.
fn start_export(fields: Vec<(&'static str, String)>, file_name: String, export: RwSignal<ExportState>) {
    #[cfg(feature = "hydrate")]
    {
        use super::download::download_export;
        export.set(ExportState::Running(ExportProgress::default()));
        spawn_local(async move {
            let end = download_export(
                fields,
                file_name,
                |cancel| CANCEL_EXPORT.with(|slot| *slot.borrow_mut() = Some(cancel)),
                |progress| export.set(ExportState::Running(progress)),
            )
            .await;
            CANCEL_EXPORT.with(|slot| *slot.borrow_mut() = None);
            export.set(ExportState::Ended(end));
        });
    }
    #[cfg(not(feature = "hydrate"))]
    let _ = (fields, file_name, export);
}

#[cfg(feature = "hydrate")]
thread_local! {
    static CANCEL_EXPORT: std::cell::RefCell<Option<super::download::Cancel>> = const { std::cell::RefCell::new(None) };
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
fn ExportStatus(export: RwSignal<ExportState>) -> impl IntoView {
    let l = use_locale();
    let rows = move |progress: ExportProgress| match l {
        Locale::En => format!("{} rows ({})", l.number(progress.rows), megabytes(progress.bytes)),
        Locale::Ko => format!("{}행 ({})", l.number(progress.rows), megabytes(progress.bytes)),
    };
    move || {
        match export.get() {
        ExportState::Idle => ().into_any(),
        ExportState::Running(progress) => view! {
            <p class="export-progress" role="status">
                {l.pick("Exporting… ", "내보내는 중… ")} {rows(progress)} " "
                <button type="button" class="link-button" on:click=move |_| cancel_export()>
                    {l.pick("Cancel", "취소")}
                </button>
            </p>
        }
        .into_any(),
        ExportState::Ended(ExportEnd::Saved(progress)) => view! {
            <p class="export-progress" role="status">
                {l.pick("Exported ", "내보냄: ")} {rows(progress)} {l.pick(" to your downloads.", ", 다운로드 폴더에 저장했습니다.")}
            </p>
        }
        .into_any(),
        ExportState::Ended(ExportEnd::Cancelled) => {
            view! { <p class="export-progress" role="status">{l.pick("Export cancelled.", "내보내기를 취소했습니다.")}</p> }
                .into_any()
        }
        ExportState::Ended(ExportEnd::Failed(message)) => view! {
            <p class="error" role="alert">{l.pick("The export failed: ", "내보내기 실패: ")} {message}</p>
        }
        .into_any(),
    }
    }
}

fn megabytes(bytes: u64) -> String {
    format!("{:.1} MB", bytes as f64 / 1_000_000.0)
}

/// What the page shows under the controls; changes rarely (not with every page of rows).
#[derive(Debug, Clone, PartialEq)]
enum Shown {
    Waiting,
    Nothing,
    Failed(String),
    Empty,
    Table,
}

fn utc_text(time: chrono::DateTime<chrono::Utc>) -> String {
    time.to_rfc3339_opts(SecondsFormat::Secs, true)
}

/// The most-counted values of one facet, most first (ties by name), and how many there were.
#[derive(Debug, Clone, Default, PartialEq)]
struct Facet {
    top: Vec<(String, String, u32)>,
    distinct: usize,
}

/// How many of the shown rows have each action, user and customer.
#[derive(Debug, Clone, Default, PartialEq)]
struct Facets {
    actions: Facet,
    users: Facet,
    customers: Facet,
}

/// Values shown per facet.
const FACET_TOP: usize = 6;

/// `key:value`, quoted when the value has spaces (a `"` inside can't be quoted, so the
/// term keeps the part before it, which still finds the value).
fn query_term(key: &str, value: &str) -> String {
    let value = value.split('"').next().unwrap_or("").trim();
    if value.contains(char::is_whitespace) {
        format!("{key}:\"{value}\"")
    } else {
        format!("{key}:{value}")
    }
}

/// Per slot (action kind, user or customer number): how many shown rows, and one of them.
struct Tally(Vec<(u32, u32)>);

impl Tally {
    fn add(&mut self, slot: usize, row: u32) {
        if slot >= self.0.len() {
            self.0.resize(slot + 1, (0, 0));
        }
        let (count, example) = &mut self.0[slot];
        *count += 1;
        *example = row;
    }

    /// The most counted, most first (ties by label), labelled from a row that has them.
    fn top(&self, label_and_term: impl Fn(u32) -> (String, String)) -> Facet {
        let mut all: Vec<(String, String, u32)> = self
            .0
            .iter()
            .filter(|(count, _)| *count > 0)
            .map(|(count, example)| {
                let (label, term) = label_and_term(*example);
                (label, term, *count)
            })
            .collect();
        let distinct = all.len();
        all.sort_by(|a, b| b.2.cmp(&a.2).then_with(|| a.0.cmp(&b.0)));
        all.truncate(FACET_TOP);
        Facet { top: all, distinct }
    }
}

fn count_facets(rows: &[Arc<LoadedRow>], shown: &[u32], locale: Locale) -> Facets {
    let (mut actions, mut users, mut customers) = (Tally(Vec::new()), Tally(Vec::new()), Tally(Vec::new()));
    for &index in shown {
        let row = &rows[index as usize];
        actions.add(row.entry.action.index(), index);
        users.add(row.user as usize, index);
        if let Some(customer) = row.customer {
            customers.add(customer as usize, index);
        }
    }
    let entry = |index: u32| &rows[index as usize].entry;
    Facets {
        actions: actions.top(|index| {
            let kind = entry(index).action;
            (
                kind.label_in(locale).to_string(),
                query_term("action", kind.as_str()),
            )
        }),
        users: users.top(|index| {
            let user = &entry(index).partner_user;
            (user.clone(), query_term("user", user))
        }),
        customers: customers.top(|index| {
            let name = entry(index).customer_name();
            (name.to_string(), query_term("customer", name))
        }),
    }
}

/// The instants (Unix seconds) the period's days start at, in the chosen zone, with the day
/// after the last: row `t` is on day `i` when `starts[i] <= t < starts[i + 1]`.
fn day_starts(period: LocalPeriod, zone: ZoneChoice) -> (Vec<NaiveDate>, Vec<i64>) {
    let days: Vec<NaiveDate> = period
        .from
        .iter_days()
        .take_while(|day| *day <= period.to)
        .collect();
    let mut starts: Vec<i64> = days
        .iter()
        .map(|day| local_time::day_start(*day, zone).timestamp())
        .collect();
    starts.push(local_time::utc_bounds(period, zone).1.timestamp());
    (days, starts)
}

#[component]
fn ActivityLog(viewer: Viewer) -> impl IntoView {
    let l = use_locale();
    let url = ViewUrl::new();
    let saved = viewer.preferences.clone();
    let hydrated = RwSignal::new(false);
    // Effects run only in the browser: there the viewer's own time zone decides "today".
    Effect::new(move |_| hydrated.set(true));

    let zone = Memo::new(move |_| url.view.with(|view| view.zone).or(saved.zone).unwrap_or_default());
    let saved_columns = saved.columns.clone();
    let columns = Memo::new(move |_| {
        url.view
            .with(|view| view.columns.clone())
            .or_else(|| saved_columns.clone())
            .unwrap_or_else(|| Column::DEFAULT.to_vec())
    });
    let sort = Memo::new(move |_| url.view.with(|view| view.sort));
    let zone_label = Memo::new(move |_| hydrated.get().then(|| local_time::zone_label(zone.get())));

    // A link without a period gets the most recent month, written into the URL so that the
    // link, once copied, keeps showing the same days.
    Effect::new(move |_| {
        if !hydrated.get() {
            return;
        }
        let (from, to) = url.view.with(|view| (view.from.clone(), view.to.clone()));
        if from.is_some() && to.is_some() {
            return;
        }
        let default = LocalPeriod::most_recent_month(local_time::today(zone.get_untracked()));
        url.update(true, |view| {
            view.from.get_or_insert(default.from.to_string());
            view.to.get_or_insert(default.to.to_string());
        });
    });

    let from_day = Memo::new(move |_| url.view.with(|view| view.from.clone().unwrap_or_default()));
    let to_day = Memo::new(move |_| url.view.with(|view| view.to.clone().unwrap_or_default()));
    let period = Memo::new(move |_| LocalPeriod::parse(&from_day.get(), &to_day.get()));
    let load = RwSignal::new(Load::Idle);
    let latest_request = StoredValue::new(0u64);

    Effect::new(move |_| {
        if !hydrated.get() {
            return;
        }
        let Ok(period) = period.get() else {
            // The inline message explains; no request is made.
            load.set(Load::Idle);
            return;
        };
        let (from, to) = local_time::utc_bounds(period, zone.get());
        let request = latest_request.get_value() + 1;
        latest_request.set_value(request);
        load.set(Load::Loading(Rows::default()));
        spawn_local(async move {
            let (from, to) = (utc_text(from), utc_text(to));
            let mut rows: Vec<Arc<LoadedRow>> = Vec::new();
            let mut slots = Slots::default();
            let mut after = String::new();
            loop {
                let result = list_activity(from.clone(), to.clone(), after).await;
                // A newer period was picked while this one loaded: drop the stale answer.
                if latest_request.get_value() != request {
                    return;
                }
                let page = match result {
                    Ok(page) => page,
                    Err(error) => {
                        load.set(Load::Failed(error.message_in(l)));
                        return;
                    }
                };
                let next = page.next.clone();
                rows.extend(
                    page.unpack()
                        .into_iter()
                        .map(|entry| LoadedRow::new(entry, &mut slots)),
                );
                match next {
                    Some(cursor) => {
                        load.set(Load::Loading(Arc::new(rows.clone())));
                        after = cursor;
                    }
                    None => {
                        load.set(Load::Loaded(Arc::new(rows)));
                        return;
                    }
                }
            }
        });
    });

    let filter_text = url.filter_text;
    // Typing writes the URL once the keys rest (navigating on every keystroke would cost
    // each one a history write); a facet click writes it at once, as its own history entry.
    let pending_url = StoredValue::new(None::<TimeoutHandle>);
    let set_filter_text = move |text: String, typing: bool| {
        filter_text.set(text.clone());
        if let Some(pending) = pending_url.get_value() {
            pending.clear();
        }
        let write = move || url.update(typing, |view| view.query = text);
        if typing {
            pending_url.set_value(set_timeout_with_handle(write, TYPING_PAUSE).ok());
        } else {
            write();
        }
    };

    let export = RwSignal::new(ExportState::Idle);
    let export_format = RwSignal::new("csv".to_string());
    let filter = Memo::new(move |_| Filter::parse(&filter_text.get()));
    let rows = Signal::derive(move || load.with(|load| load.rows().cloned().unwrap_or_default()));
    // Rows the filter lets through, in loaded (newest first) order. Typing more of a word
    // only narrows the result: then only the rows that matched before are searched again.
    let last_filtered = StoredValue::new(None::<(Filter, Rows, Positions)>);
    let matched = Memo::new(move |_| {
        let rows = rows.get();
        let filter = filter.get();
        let candidates = last_filtered.with_value(|last| match last {
            Some((previous, previous_rows, matched))
                if Arc::ptr_eq(previous_rows, &rows) && filter.refines(previous) =>
            {
                Some(matched.clone())
            }
            _ => None,
        });
        let matches = |index: &u32| filter.matches_key(&rows[*index as usize].key);
        let result: Positions = Arc::new(match (&candidates, filter.is_empty()) {
            (_, true) => (0..rows.len() as u32).collect(),
            (Some(candidates), false) => candidates.iter().copied().filter(matches).collect(),
            (None, false) => (0..rows.len() as u32).filter(matches).collect(),
        });
        last_filtered.set_value(Some((filter, rows, result.clone())));
        result
    });

    // The chart: which day of the period each row is on, then counts per day and kind.
    let calendar = Memo::new(move |_| {
        period
            .get()
            .ok()
            .map(|period| Arc::new(day_starts(period, zone.get())))
    });
    let row_days = Memo::new(move |_| {
        let Some(calendar) = calendar.get() else {
            return Arc::new(Vec::<u16>::new());
        };
        let starts = &calendar.1;
        rows.with(|rows| {
            Arc::new(
                rows.iter()
                    .map(|row| {
                        let at = row.entry.occurred_at.timestamp();
                        starts.partition_point(|start| *start <= at).saturating_sub(1) as u16
                    })
                    .collect(),
            )
        })
    });
    let chart = Memo::new(move |_| {
        let Some(calendar) = calendar.get() else {
            return Arc::new(DayCounts::default());
        };
        let mut counts = vec![[0u32; ActionKind::ALL.len()]; calendar.0.len()];
        let days = row_days.get();
        rows.with(|rows| {
            matched.with(|matched| {
                for &index in matched.iter() {
                    let (Some(day), Some(row)) = (days.get(index as usize), rows.get(index as usize)) else {
                        continue;
                    };
                    if let Some(day_counts) = counts.get_mut(*day as usize) {
                        day_counts[row.entry.action.index()] += 1;
                    }
                }
            })
        });
        Arc::new(DayCounts {
            days: calendar.0.clone(),
            counts,
        })
    });
    // The day picked on the chart, if it is in the period.
    let chosen_day = Memo::new(move |_| {
        let day = url.view.with(|view| view.day)?;
        let period = period.get().ok()?;
        (period.from <= day && day <= period.to).then_some(day)
    });
    let in_day = Memo::new(move |_| {
        let matched = matched.get();
        let (Some(day), Some(calendar)) = (chosen_day.get(), calendar.get()) else {
            return matched;
        };
        let Some(wanted) = calendar.0.iter().position(|d| *d == day) else {
            return matched;
        };
        let days = row_days.get();
        Arc::new(
            matched
                .iter()
                .copied()
                .filter(|index| days.get(*index as usize).is_some_and(|d| *d as usize == wanted))
                .collect(),
        )
    });
    let facets = Memo::new(move |_| rows.with(|rows| in_day.with(|shown| count_facets(rows, shown, l))));
    // The table's rows, in the chosen order.
    let visible = Memo::new(move |_| {
        let sort = sort.get();
        let mut positions = in_day.get().as_ref().clone();
        rows.with(|rows| sort.apply(&mut positions, rows, |row| &row.entry, l));
        Arc::new(positions)
    });
    let shown = Memo::new(move |_| {
        load.with(|load| match load {
            Load::Idle if !hydrated.get() => Shown::Waiting,
            Load::Idle => Shown::Nothing,
            Load::Loading(rows) if rows.is_empty() => Shown::Waiting,
            Load::Failed(message) => Shown::Failed(message.clone()),
            Load::Loaded(rows) if rows.is_empty() => Shown::Empty,
            Load::Loading(_) | Load::Loaded(_) => Shown::Table,
        })
    });
    // The instants and days the export is for: the chosen day, or the whole period.
    let export_fields = Memo::new(move |_| {
        let period = period.get().ok()?;
        let days = match chosen_day.get() {
            Some(day) => LocalPeriod { from: day, to: day },
            None => period,
        };
        let (from, to) = local_time::utc_bounds(days, zone.get());
        Some((utc_text(from), utc_text(to), days))
    });
    let period_bounds = Signal::derive(move || {
        let period = period.get().ok()?;
        let (from, to) = local_time::utc_bounds(period, zone.get());
        Some((utc_text(from), utc_text(to)))
    });
    let form_fields = move || -> Option<(Vec<(&'static str, String)>, String)> {
        let (from, to, days) = export_fields.get()?;
        let format = export_format.get();
        let fields = vec![
            ("from", from),
            ("to", to),
            ("from_date", days.from.to_string()),
            ("to_date", days.to.to_string()),
            ("filter", filter_text.get()),
            ("sort", sort.get().to_text()),
            ("columns", columns_text(&columns.get())),
            ("lang", l.tag().to_string()),
            ("format", format.clone()),
        ];
        Some((fields, days.export_file_name(&format)))
    };
    let hidden_fields = move || {
        form_fields().map(|(fields, _)| {
            fields
                .into_iter()
                .filter(|(name, _)| *name != "format")
                .map(|(name, value)| view! { <input type="hidden" name=name value=value/> })
                .collect_view()
        })
    };

    // The URL already shows a choice; if saving it fails, say that it was not remembered.
    let not_remembered = RwSignal::new(None::<String>);
    let remember = move |columns: Option<Vec<Column>>, zone: Option<ZoneChoice>| {
        let columns = columns.map(|columns| columns_text(&columns)).unwrap_or_default();
        let zone = zone.map(|zone| zone.key().to_string()).unwrap_or_default();
        spawn_local(async move {
            not_remembered.set(save_view_preferences(columns, zone).await.err().map(|error| {
                let why = error.message_in(l);
                match l {
                    Locale::En => format!("This view applies here, but was not saved for next time: {why}"),
                    Locale::Ko => format!("이 화면 설정은 여기에만 적용되고 저장되지 않았습니다: {why}"),
                }
            }));
        });
    };
    let set_columns = move |chosen: Vec<Column>| {
        url.update(false, |view| view.columns = Some(chosen.clone()));
        remember(Some(chosen), None);
    };
    let set_zone = move |chosen: ZoneChoice| {
        url.update(false, |view| view.zone = Some(chosen));
        remember(None, Some(chosen));
    };
    let pick_day = Callback::new(move |day: Option<NaiveDate>| url.update(false, |view| view.day = day));
    let add_term = move |term: String| {
        let current = filter_text.get_untracked();
        let text = if current.trim().is_empty() {
            term
        } else {
            format!("{} {term}", current.trim_end())
        };
        set_filter_text(text, false);
    };

    view! {
        <section class="activity-log" aria-labelledby="activity-log-title">
            <SettingsBreadcrumb current=l.pick("Activity log", "활동 로그")/>
            <h1 id="activity-log-title">{l.pick("Activity log", "활동 로그")}</h1>
            <p class="intro">
                {match l {
                    Locale::En => format!("What people at {} did on customer accounts. Pick a period, expand a row for its details, filter, and export what you see.", viewer.partner_name),
                    Locale::Ko => format!("{}의 직원이 고객 계정에서 한 작업입니다. 기간을 고르고, 행을 펼쳐 세부 정보를 보고, 필터링하고, 보이는 내용을 내보내세요.", viewer.partner_name),
                }}
            </p>
            <div class="controls">
                <DayField id="period-from" label=l.pick("From", "시작") day=from_day on_pick=move |day| {
                    url.update(false, |view| { view.from = Some(day); view.day = None; })
                }/>
                <DayField id="period-to" label=l.pick("To", "종료") day=to_day on_pick=move |day| {
                    url.update(false, |view| { view.to = Some(day); view.day = None; })
                }/>
                <div class="field grow">
                    <label for="activity-filter">{l.pick("Filter", "필터")}</label>
                    <input
                        id="activity-filter"
                        type="search"
                        placeholder=l.pick(
                            "Text, or action:ordered customer:\"…\" user:… -action:reset",
                            "텍스트 또는 action:ordered customer:\"…\" user:… -action:reset",
                        )
                        maxlength=MAX_FILTER_CHARS.to_string()
                        aria-describedby="filter-help"
                        prop:value=move || filter_text.get()
                        on:input=move |ev| set_filter_text(event_target_value(&ev), true)
                    />
                </div>
                // Posts natively until the page is interactive; then streams with progress.
                <form class="export" method="post" action=EXPORT_PATH on:submit=move |ev| {
                    if export.with_untracked(|state| matches!(state, ExportState::Running(_))) {
                        ev.prevent_default();
                        return;
                    }
                    let Some((fields, file_name)) = untrack(form_fields) else { return };
                    ev.prevent_default();
                    start_export(fields, file_name, export);
                }>
                    {hidden_fields}
                    <div class="field">
                        <label for="export-format">{l.pick("Format", "형식")}</label>
                        <select
                            id="export-format"
                            name="format"
                            on:change=move |ev| export_format.set(event_target_value(&ev))
                        >
                            <option value="csv" selected=move || export_format.get() == "csv">
                                {l.pick("CSV (Excel)", "CSV (Excel)")}
                            </option>
                            <option value="ndjson" selected=move || export_format.get() == "ndjson">
                                {l.pick("JSON lines (NDJSON)", "JSON 줄 (NDJSON)")}
                            </option>
                        </select>
                    </div>
                    <button
                        type="submit"
                        class="primary"
                        disabled=move || {
                            !load.with(|load| matches!(load, Load::Loaded(_)))
                                || export.with(|state| matches!(state, ExportState::Running(_)))
                        }
                    >
                        {l.pick("Export log", "로그 내보내기")}
                    </button>
                </form>
            </div>
            <FilterHelp filter/>
            <div class="view-options">
                <ZoneToggle zone zone_label on_pick=set_zone/>
                <ColumnChooser columns on_pick=set_columns/>
            </div>
            {move || not_remembered.get().map(|text| view! { <p class="error not-remembered" role="alert">{text}</p> })}
            <ExportStatus export/>
            <p class="zone-note">
                {move || match (zone_label.get(), l) {
                    (Some(zone), Locale::En) => format!("Times are in {zone}. From and To include both whole days."),
                    (Some(zone), Locale::Ko) => format!("시간은 {zone} 기준입니다. 시작일과 종료일을 모두 포함합니다."),
                    (None, _) => l.pick("From and To include both whole days.", "시작일과 종료일을 모두 포함합니다.").to_string(),
                }}
            </p>
            {move || {
                let error = hydrated.get().then(|| period.get().err()).flatten()?;
                Some(view! { <p class="inline-error" role="alert">{period_error_text(&error, l)}</p> })
            }}
            <IntegrityBadge bounds=period_bounds/>
            <Show when=move || matches!(shown.get(), Shown::Table)>
                <ActivityChart data=chart selected=chosen_day.into() on_pick=pick_day/>
                {move || chosen_day.get().map(|day| view! {
                    <p class="day-chosen">
                        {match l {
                            Locale::En => format!("Showing {} only. ", local_time::format_day(day, l)),
                            Locale::Ko => format!("{}만 표시합니다. ", local_time::format_day(day, l)),
                        }}
                        <button type="button" class="link-button" on:click=move |_| pick_day.run(None)>
                            {l.pick("Show the whole period", "전체 기간 보기")}
                        </button>
                    </p>
                })}
                <FacetCounts facets on_pick=add_term/>
            </Show>
            <p class="count" aria-live="polite">
                {move || load.with(|load| match (load, l) {
                    (Load::Loaded(rows), Locale::En) => format!("{} of {} events", l.number(visible.with(|v| v.len()) as u64), l.number(rows.len() as u64)),
                    (Load::Loaded(rows), Locale::Ko) => format!("이벤트 {}개 중 {}개", l.number(rows.len() as u64), l.number(visible.with(|v| v.len()) as u64)),
                    (Load::Loading(rows), _) if !rows.is_empty() => match l {
                        Locale::En => format!("Loading… {} events so far", l.number(rows.len() as u64)),
                        Locale::Ko => format!("불러오는 중… 지금까지 이벤트 {}개", l.number(rows.len() as u64)),
                    },
                    _ => String::new(),
                })}
            </p>
            {move || match shown.get() {
                Shown::Waiting => view! { <p class="status" role="status">{l.pick("Loading activity…", "활동을 불러오는 중…")}</p> }.into_any(),
                Shown::Nothing => ().into_any(),
                Shown::Failed(message) => view! {
                    <p class="error" role="alert">{l.pick("The activity log could not be loaded: ", "활동 로그를 불러올 수 없습니다: ")} {message}</p>
                }.into_any(),
                Shown::Empty => view! { <p class="empty">{l.pick("No activity in this period.", "이 기간에는 활동이 없습니다.")}</p> }.into_any(),
                // Kept while pages arrive, so scrolling is not reset by each page.
                Shown::Table => view! {
                    <EventTable rows visible columns sort zone zone_label url/>
                }.into_any(),
            }}
        </section>
    }
}

/// The period's problem in the page's language.
fn period_error_text(error: &super::period::PeriodError, l: Locale) -> String {
    use super::period::PeriodError;
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
fn DayField(
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
fn FilterHelp(filter: Memo<Filter>) -> impl IntoView {
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
fn ZoneToggle(
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
fn ColumnChooser(
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

/// Counts per action, partner user and customer of the rows shown; a click adds the value
/// to the filter.
#[component]
fn FacetCounts(
    facets: Memo<Facets>,
    on_pick: impl Fn(String) + Copy + Send + Sync + 'static,
) -> impl IntoView {
    let l = use_locale();
    let group = move |key: &'static str, title: &'static str, pick: fn(&Facets) -> &Facet| {
        view! {
            <section class="facet" data-facet=key aria-label=title>
                <h2>{title}</h2>
                <ul role="list">
                    {move || facets.with(|facets| {
                        let facet = pick(facets);
                        let more = facet.distinct.saturating_sub(facet.top.len());
                        let items = facet.top.iter().cloned().map(|(label, term, count)| view! {
                            <li>
                                <button type="button" class="facet-value" data-term=term.clone() on:click=move |_| on_pick(term.clone())>
                                    <span class="facet-label">{label}</span>
                                    <span class="facet-count">{l.number(count.into())}</span>
                                </button>
                            </li>
                        }).collect_view();
                        let more = (more > 0).then(|| view! {
                            <li class="facet-more">{match l {
                                Locale::En => format!("and {} more", l.number(more as u64)),
                                Locale::Ko => format!("외 {}개", l.number(more as u64)),
                            }}</li>
                        });
                        view! { {items} {more} }
                    })}
                </ul>
            </section>
        }
    };
    view! {
        <div class="facets">
            {group("action", l.pick("Actions", "작업"), |facets| &facets.actions)}
            {group("user", l.pick("Partner users", "파트너 사용자"), |facets| &facets.users)}
            {group("customer", l.pick("Customers", "고객"), |facets| &facets.customers)}
        </div>
    }
}

/// Rows below and above the viewport that are rendered too, so fast scrolling shows rows.
const OVERSCAN_ROWS: usize = 20;

/// Which rows to render for a scroll position: positions `start..end` of the filtered list,
/// and the heights of the spacers that stand in for the rows above and below. `extras` are
/// (position, extra pixels) of expanded rows, in position order.
#[derive(Debug, Clone, Copy, PartialEq)]
struct Window {
    start: usize,
    end: usize,
    top_px: f64,
    bottom_px: f64,
}

fn window_for(
    count: usize,
    row_px: f64,
    scroll_top: f64,
    viewport_px: f64,
    extras: &[(usize, f64)],
) -> Window {
    let row_px = row_px.max(1.0);
    // The first position in view: rows above it, plus the details opened above it.
    let mut extra_above = 0.0;
    let mut first = 0;
    for &(position, extra) in extras {
        let candidate = ((scroll_top - extra_above) / row_px).floor().max(0.0) as usize;
        if position >= candidate {
            break;
        }
        extra_above += extra;
        first = position;
    }
    let first = (((scroll_top - extra_above) / row_px).floor().max(0.0) as usize)
        .max(first)
        .min(count);
    let start = first.saturating_sub(OVERSCAN_ROWS);
    let end = (first + (viewport_px / row_px).ceil() as usize + OVERSCAN_ROWS).min(count);
    let extra_in = |range: std::ops::Range<usize>| -> f64 {
        extras
            .iter()
            .filter(|(position, _)| range.contains(position))
            .map(|(_, extra)| extra)
            .sum()
    };
    Window {
        start,
        end,
        top_px: start as f64 * row_px + extra_in(0..start),
        bottom_px: (count - end) as f64 * row_px + extra_in(end..count),
    }
}

/// The table, windowed: a scroll box whose height stands for every shown row, with only
/// the rows in view in the DOM. Open rows are named by event id in the URL.
#[component]
fn EventTable(
    rows: Signal<Rows>,
    visible: Memo<Positions>,
    columns: Memo<Vec<Column>>,
    sort: Memo<Sort>,
    zone: Memo<ZoneChoice>,
    zone_label: Memo<Option<String>>,
    url: ViewUrl,
) -> impl IntoView {
    let l = use_locale();
    let scroller = NodeRef::<leptos::html::Div>::new();
    let scroll_top = RwSignal::new(0.0);
    let viewport_px = RwSignal::new(720.0);
    let row_px = RwSignal::new(41.0);
    let open = Memo::new(move |_| {
        url.view
            .with(|view| view.open.iter().copied().collect::<HashSet<i64>>())
    });
    // Event id → the pixels its open details add, once drawn.
    let details_px = RwSignal::new(HashMap::<i64, f64>::new());
    // Where the open rows are among the shown ones (changes with the filter, not on scroll).
    let open_positions = Memo::new(move |_| {
        let open = open.get();
        if open.is_empty() {
            return Vec::new();
        }
        let heights = details_px.get();
        rows.with(|rows| {
            visible.with(|visible| {
                visible
                    .iter()
                    .enumerate()
                    .filter_map(|(position, index)| {
                        let id = rows[*index as usize].entry.id;
                        open.contains(&id)
                            .then(|| (position, heights.get(&id).copied().unwrap_or(0.0)))
                    })
                    .collect::<Vec<_>>()
            })
        })
    });
    let window = Memo::new(move |_| {
        open_positions.with(|extras| {
            window_for(
                visible.with(|visible| visible.len()),
                row_px.get(),
                scroll_top.get(),
                viewport_px.get(),
                extras,
            )
        })
    });
    // A new filter or order starts at the top, except that a link naming an open row
    // scrolls to it the first time it is there.
    let jumped = StoredValue::new(false);
    Effect::new(move |_| {
        visible.track();
        let target = if jumped.get_value() {
            None
        } else {
            open_positions.with_untracked(|positions| positions.first().map(|(position, _)| *position))
        };
        if target.is_some() {
            jumped.set_value(true);
        }
        let top = target
            .map(|position| (position as f64 * row_px.get_untracked() - 80.0).max(0.0))
            .unwrap_or(0.0);
        if let Some(scroller) = scroller.get_untracked() {
            scroller.set_scroll_top(top as i32);
        }
        scroll_top.set(top);
    });
    // Measure the real row height and viewport once rows are on screen.
    Effect::new(move |_| {
        window.track();
        let Some(scroller) = scroller.get() else { return };
        viewport_px.set(f64::from(scroller.client_height().max(200)));
        if let Ok(Some(row)) = scroller.query_selector("tr.event") {
            use leptos::wasm_bindgen::JsCast;
            if let Some(row) = row.dyn_ref::<leptos::web_sys::HtmlElement>() {
                let height = f64::from(row.offset_height());
                if height > 0.0 && (height - row_px.get_untracked()).abs() > 0.5 {
                    row_px.set(height);
                }
            }
        }
    });
    let in_view = move || {
        let Window { start, end, .. } = window.get();
        visible.with(|visible| {
            (start..end)
                .filter_map(|position| visible.get(position).map(|row| (position, *row)))
                .collect::<Vec<_>>()
        })
    };
    let span = move || (columns.with(Vec::len) + 1).to_string();
    let header = move |column: Column| {
        let aria_sort = move || {
            let sort = sort.get();
            (sort.column == column).then_some(if sort.descending {
                "descending"
            } else {
                "ascending"
            })
        };
        let title = move || match (column, zone_label.get()) {
            (Column::Time, Some(label)) if zone.get() == ZoneChoice::Local => {
                format!(
                    "{} ({})",
                    column.header_in(l),
                    label.split(' ').next().unwrap_or(&label)
                )
            }
            (Column::Time, _) if zone.get() == ZoneChoice::Utc => format!("{} (UTC)", column.header_in(l)),
            _ => column.header_in(l).to_string(),
        };
        let content = view! {
            <button
                type="button"
                class="sort"
                on:click=move |_| {
                    let next = sort.get_untracked().toggled(column);
                    url.update(false, |view| view.sort = next);
                }
            >
                {title}
            </button>
        };
        view! { <th scope="col" data-column=column.key() aria-sort=aria_sort>{content}</th> }
    };
    let toggle = move |id: i64| {
        url.update(true, |view| {
            if let Some(at) = view.open.iter().position(|open| *open == id) {
                view.open.remove(at);
            } else {
                view.open.push(id);
            }
        });
    };
    view! {
        <div
            class="table-scroll"
            node_ref=scroller
            on:scroll=move |_| {
                if let Some(scroller) = scroller.get_untracked() {
                    scroll_top.set(f64::from(scroller.scroll_top()));
                }
            }
        >
            <table class="data-table events" aria-rowcount=move || visible.with(|v| v.len() + 1)>
                <caption class="visually-hidden">{l.pick("Activity log events", "활동 로그 이벤트")}</caption>
                <thead>
                    <tr aria-rowindex="1">
                        <th scope="col" class="toggle"><span class="visually-hidden">{l.pick("Details", "세부 정보")}</span></th>
                        {move || columns.get().into_iter().map(header).collect_view()}
                    </tr>
                </thead>
                <tbody>
                    <tr class="spacer" aria-hidden="true">
                        <td colspan=span style:height=move || format!("{}px", window.get().top_px)></td>
                    </tr>
                    <For
                        each=in_view
                        key=|(position, row)| (*position, *row)
                        children=move |(position, index)| {
                            let row = rows.with_untracked(|rows| rows[index as usize].clone());
                            let id = row.entry.id;
                            let is_open = Memo::new(move |_| open.with(|open| open.contains(&id)));
                            view! { <EventRow row position is_open columns zone details_px on_toggle=move || toggle(id)/> }
                        }
                    />
                    <tr class="spacer" aria-hidden="true">
                        <td colspan=span style:height=move || format!("{}px", window.get().bottom_px)></td>
                    </tr>
                </tbody>
            </table>
        </div>
        <Show when=move || visible.with(|v| v.is_empty())>
            <p class="empty">{l.pick("No events match the filter.", "필터에 맞는 이벤트가 없습니다.")}</p>
        </Show>
    }
}

#[component]
fn EventRow(
    row: Arc<LoadedRow>,
    /// Its position among the shown rows, for `aria-rowindex`.
    position: usize,
    is_open: Memo<bool>,
    columns: Memo<Vec<Column>>,
    zone: Memo<ZoneChoice>,
    details_px: RwSignal<HashMap<i64, f64>>,
    on_toggle: impl Fn() + 'static,
) -> impl IntoView {
    let l = use_locale();
    let id = row.entry.id;
    let details_row = NodeRef::<leptos::html::Tr>::new();
    // Once open details are drawn, remember how tall they are, for the spacers.
    Effect::new(move |_| {
        if !is_open.get() {
            return;
        }
        if let Some(details) = details_row.get() {
            let height = f64::from(details.offset_height());
            if details_px.with_untracked(|known| known.get(&id).is_none_or(|old| (old - height).abs() > 0.5))
            {
                details_px.update(|known| {
                    known.insert(id, height);
                });
            }
        }
    });
    let entry = &row.entry;
    let details_id = format!("event-details-{id}");
    let toggle_label = {
        let customer = if entry.customer_name().is_empty() {
            l.pick("no customer", "고객 없음").to_string()
        } else {
            entry.customer_name().to_string()
        };
        let time = local_time::format_time(entry.occurred_at, l, zone.get_untracked());
        match l {
            Locale::En => format!("Details: {} for {customer} at {time}", entry.action_text_in(l)),
            Locale::Ko => format!("세부 정보: {customer}, {}, {time}", entry.action_text_in(l)),
        }
    };
    let cells = {
        let row = row.clone();
        move || {
            let entry = &row.entry;
            columns
                .get()
                .into_iter()
                .map(|column| match column {
                    Column::Time => view! {
                        <td class="time">
                            <time datetime=utc_text(entry.occurred_at)>{local_time::format_time(entry.occurred_at, l, zone.get())}</time>
                        </td>
                    }
                    .into_any(),
                    Column::Customer => match &entry.customer {
                        Some(customer) => view! {
                            <td><a href=customer.subscriptions_href()>{customer.company_name.clone()}</a></td>
                        }
                        .into_any(),
                        None => view! { <td><span class="none">"—"</span></td> }.into_any(),
                    },
                    Column::Action => view! { <td>{entry.action_text_in(l).to_string()}</td> }.into_any(),
                    Column::User => view! { <td>{entry.partner_user.clone()}</td> }.into_any(),
                    Column::Details => view! { <td class="summary">{entry.details.summary()}</td> }.into_any(),
                    Column::EventId => view! { <td><code>{entry.event_id.clone()}</code></td> }.into_any(),
                })
                .collect_view()
        }
    };
    let details = entry.details.clone();
    let span = move || (columns.with(Vec::len) + 1).to_string();
    view! {
        <tr
            class="event"
            class:expanded=move || is_open.get()
            data-event-id=id
            aria-rowindex=position + 2
        >
            <td class="toggle">
                <button
                    type="button"
                    class="expand"
                    aria-expanded=move || is_open.get().to_string()
                    aria-controls=details_id.clone()
                    aria-label=toggle_label
                    on:click=move |_| on_toggle()
                >
                    <span aria-hidden="true">"▾"</span>
                </button>
            </td>
            {cells}
        </tr>
        <tr id=details_id class="event-details" hidden=move || !is_open.get() node_ref=details_row>
            <td colspan=span>
                // Built on first expansion only: most rows are never opened.
                {move || is_open.get().then(|| event_details(&details, l))}
            </td>
        </tr>
    }
}

fn event_details(details: &ActionDetails, l: Locale) -> impl IntoView + use<> {
    let lines = details.order_lines().to_vec();
    let fields = details.fields_in(l);
    view! {
        <dl class="detail-fields">
            {fields
                .into_iter()
                .map(|(label, value)| view! { <dt>{label}</dt> <dd>{value}</dd> })
                .collect_view()}
        </dl>
        {(!lines.is_empty()).then(|| view! {
            <table class="order-lines">
                <caption>{l.pick("Products in this order", "이 주문의 제품")}</caption>
                <thead>
                    <tr>
                        <th scope="col">{l.pick("Product", "제품")}</th>
                        <th scope="col" class="num">{l.pick("Quantity", "수량")}</th>
                        <th scope="col">{l.pick("Subscription ID", "구독 ID")}</th>
                    </tr>
                </thead>
                <tbody>
                    {lines
                        .into_iter()
                        .map(|line| view! {
                            <tr>
                                <td>{line.product}</td>
                                <td class="num">{line.quantity}</td>
                                <td><code>{line.subscription_id}</code></td>
                            </tr>
                        })
                        .collect_view()}
                </tbody>
            </table>
        })}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_window_covers_the_viewport_and_a_margin() {
        let window = window_for(100_000, 40.0, 40.0 * 5_000.0, 800.0, &[]);
        assert_eq!(window.start, 5_000 - OVERSCAN_ROWS);
        assert_eq!(window.end, 5_000 + 20 + OVERSCAN_ROWS);
        assert_eq!(window.top_px, window.start as f64 * 40.0);
        assert_eq!(window.bottom_px, (100_000 - window.end) as f64 * 40.0);
    }

    #[test]
    fn the_window_stops_at_both_ends() {
        let top = window_for(10, 40.0, 0.0, 800.0, &[]);
        assert_eq!((top.start, top.end, top.top_px, top.bottom_px), (0, 10, 0.0, 0.0));
        let past_the_end = window_for(10, 40.0, 1e9, 800.0, &[]);
        assert_eq!(past_the_end.end, 10);
        assert!(past_the_end.start <= 10);
        let empty = window_for(0, 40.0, 0.0, 800.0, &[]);
        assert_eq!((empty.start, empty.end), (0, 0));
    }

    #[test]
    fn open_details_above_the_view_push_it_down() {
        // Position 10 is open and 400 px taller: at 2,000 px we are 10 rows further up.
        let extras = [(10, 400.0)];
        let with = window_for(1_000, 40.0, 2_000.0 + 400.0, 800.0, &extras);
        let without = window_for(1_000, 40.0, 2_000.0, 800.0, &[]);
        assert_eq!(with.start, without.start);
        assert_eq!(with.top_px, without.top_px + 400.0);
        assert_eq!(with.bottom_px, without.bottom_px);
        // Open details below the window only make the bottom spacer taller.
        let below = window_for(1_000, 40.0, 0.0, 800.0, &[(900, 300.0)]);
        assert_eq!(below.bottom_px, (1_000 - below.end) as f64 * 40.0 + 300.0);
    }
}
