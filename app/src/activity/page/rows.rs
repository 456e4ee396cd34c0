//! The rows a load brings: each event with what the page computes from it once (search key,
//! user and customer numbers), the load's state, and the URL as the page's state.

use std::collections::HashMap;
use std::sync::Arc;

use leptos::prelude::*;
use leptos_router::NavigateOptions;
use leptos_router::hooks::{use_navigate, use_query_map};

use crate::activity::filter::{SearchIndex, SearchKey};
use crate::activity::view::ViewState;
use crate::events::ActivityEntry;
use crate::ids::CustomerId;

use crate::activity::PAGE_PATH;

/// A loaded event with what the page computes from it once, when it arrives, rather than on
/// every keystroke: small numbers for its user and customer, so the facet counts and the
/// chart count into arrays (with `ActionKind::index`) instead of hashing names. (Its search
/// key goes into the page's [`RowIndex`].)
#[derive(Debug, Clone, PartialEq)]
pub(super) struct LoadedRow {
    pub(super) entry: ActivityEntry,
    pub(super) user: u32,
    pub(super) customer: Option<u32>,
}

/// Numbers users and customers in the order they first appear in a load.
#[derive(Default)]
pub(super) struct Slots {
    pub(super) users: HashMap<String, u32>,
    pub(super) customers: HashMap<CustomerId, u32>,
}

impl LoadedRow {
    pub(super) fn new(entry: ActivityEntry, slots: &mut Slots) -> Arc<LoadedRow> {
        let next = slots.users.len() as u32;
        let user = *slots.users.entry(entry.partner_user.clone()).or_insert(next);
        let next = slots.customers.len() as u32;
        let customer = entry
            .customer
            .as_ref()
            .map(|customer| *slots.customers.entry(customer.id).or_insert(next));
        Arc::new(LoadedRow {
            entry,
            user,
            customer,
        })
    }
}

pub(super) type Rows = Arc<Vec<Arc<LoadedRow>>>;

/// What the chart and the facets count of a loaded row, kept side by side for every row
/// rather than behind each row's pointer: counting 170k rows then reads one small array.
#[derive(Debug, Clone, Copy)]
pub(super) struct RowFacts {
    /// `ActionKind::index`.
    pub(super) kind: u8,
    pub(super) user: u32,
    pub(super) customer: Option<u32>,
}

/// The search keys and counted facts of the loaded rows, in their order: pages add to it as
/// they arrive; a new load (another first row) starts it again.
#[derive(Default)]
pub(super) struct RowIndex {
    first: Option<Arc<LoadedRow>>,
    pub(super) index: SearchIndex,
    pub(super) facts: Vec<RowFacts>,
}

impl RowIndex {
    pub(super) fn follow(&mut self, rows: &[Arc<LoadedRow>]) {
        let same_load = match (&self.first, rows.first()) {
            (Some(first), Some(row)) => Arc::ptr_eq(first, row) && self.index.len() <= rows.len(),
            _ => false,
        };
        if !same_load {
            self.index.clear();
            self.facts.clear();
            self.first = rows.first().cloned();
        }
        for row in &rows[self.index.len()..] {
            SearchKey::of(&row.entry).add_to(&mut self.index);
            self.facts.push(RowFacts {
                kind: row.entry.action.index() as u8,
                user: row.user,
                customer: row.customer,
            });
        }
    }
}
/// Indexes into [`Rows`].
pub(super) type Positions = Arc<Vec<u32>>;

#[derive(Debug, Clone, PartialEq)]
pub(super) enum Load {
    /// Waiting for a valid period (or, before hydration, for the viewer's clock).
    Idle,
    /// Pages are arriving; the rows so far are shown.
    Loading(Rows),
    Loaded(Rows),
    Failed(String),
}

impl Load {
    pub(super) fn rows(&self) -> Option<&Rows> {
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
