//! The rows a load brings: each event with what the page computes from it once (search key,
//! user and customer numbers), the load's state, and the URL as the page's state.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use chrono::{DateTime, Utc};

use leptos::prelude::*;
use leptos_router::NavigateOptions;
use leptos_router::hooks::{use_navigate, use_query_map};

use crate::activity::filter::{SearchIndex, SearchKey};
use crate::activity::view::ViewState;
use crate::activity::wire::{CompactEvent, EventPage};
use crate::events::{ActionDetails, ActionKind, ActivityEntry, CustomerRef, EventTexts};
use crate::ids::{CustomerId, EventId};

use crate::activity::PAGE_PATH;

/// A loaded event, held small: a year's page holds most of a million of them. The texts that
/// repeat from row to row (user, customer, the action's own text) are shared by every row
/// that has them, and its user and customer are also numbered, so the facet counts and the
/// chart count into arrays (with `ActionKind::index`) instead of hashing names. (Its search
/// key goes into the page's [`RowIndex`].)
#[derive(Debug, Clone, PartialEq)]
pub(super) struct LoadedRow {
    pub(super) id: EventId,
    /// When it happened, in Unix seconds (what the page's rows are sent with).
    pub(super) at: i64,
    pub(super) action: ActionKind,
    pub(super) user: u32,
    pub(super) customer: Option<u32>,
    user_name: Arc<str>,
    customer_ref: Option<Arc<CustomerRef>>,
    /// `None` when the sender used the action's label.
    action_text: Option<Arc<str>>,
    event_id: Box<str>,
    details: ActionDetails,
}

/// Numbers users and customers in the order they first appear in a load, and holds the
/// texts its rows share.
#[derive(Default)]
pub(super) struct Slots {
    users: HashMap<Arc<str>, u32>,
    customers: HashMap<CustomerId, (u32, Arc<CustomerRef>)>,
    action_texts: HashSet<Arc<str>>,
}

impl Slots {
    /// The user's shared name and number.
    fn user(&mut self, name: String) -> (Arc<str>, u32) {
        if let Some((shared, number)) = self.users.get_key_value(name.as_str()) {
            return (shared.clone(), *number);
        }
        let number = self.users.len() as u32;
        let shared: Arc<str> = name.into();
        self.users.insert(shared.clone(), number);
        (shared, number)
    }

    /// The customer's number and shared reference.
    fn customer(&mut self, customer: CustomerRef) -> (u32, Arc<CustomerRef>) {
        let number = self.customers.len() as u32;
        self.customers
            .entry(customer.id)
            .or_insert_with(|| (number, Arc::new(customer)))
            .clone()
    }

    fn action_text(&mut self, text: String) -> Arc<str> {
        if let Some(shared) = self.action_texts.get(text.as_str()) {
            return shared.clone();
        }
        let shared: Arc<str> = text.into();
        self.action_texts.insert(shared.clone());
        shared
    }
}

impl LoadedRow {
    /// A row that came alone (the live log's).
    pub(super) fn new(entry: ActivityEntry, slots: &mut Slots) -> Arc<LoadedRow> {
        let own_text = entry.own_action_text().is_some();
        let ActivityEntry {
            id,
            event_id,
            occurred_at,
            customer,
            action,
            action_text,
            partner_user,
            details,
        } = entry;
        let row = CompactEvent(
            id,
            event_id,
            occurred_at.timestamp(),
            None,
            0,
            action,
            own_text.then_some(action_text),
            details,
        );
        LoadedRow::made(
            row,
            slots.user(partner_user),
            customer.map(|c| slots.customer(c)),
            slots,
        )
    }

    /// A page's rows, each of its users and customers looked up once rather than per row.
    pub(super) fn from_page(page: EventPage, slots: &mut Slots) -> impl Iterator<Item = Arc<LoadedRow>> {
        let EventPage {
            customers,
            users,
            rows,
            ..
        } = page;
        let customers: Vec<_> = customers.into_iter().map(|c| slots.customer(c)).collect();
        let users: Vec<_> = users.into_iter().map(|name| slots.user(name)).collect();
        // A row pointing past the lists (a bug, never sent by the server) gets no customer
        // and an empty user rather than a panic.
        rows.into_iter().map(move |row| {
            let user = match users.get(row.4 as usize) {
                Some(user) => user.clone(),
                None => slots.user(String::new()),
            };
            let customer = row.3.and_then(|index| customers.get(index as usize)).cloned();
            LoadedRow::made(row, user, customer, slots)
        })
    }

    /// `row` with its user and customer (its own indexes into a page are not read).
    fn made(
        row: CompactEvent,
        (user_name, user): (Arc<str>, u32),
        customer: Option<(u32, Arc<CustomerRef>)>,
        slots: &mut Slots,
    ) -> Arc<LoadedRow> {
        let CompactEvent(id, event_id, at, _, _, action, action_text, details) = row;
        Arc::new(LoadedRow {
            id,
            at,
            action,
            user,
            customer: customer.as_ref().map(|(number, _)| *number),
            user_name,
            customer_ref: customer.map(|(_, customer)| customer),
            action_text: action_text.map(|text| slots.action_text(text)),
            event_id: event_id.into_boxed_str(),
            details,
        })
    }

    pub(super) fn occurred_at(&self) -> DateTime<Utc> {
        DateTime::from_timestamp(self.at, 0).unwrap_or_default()
    }

    pub(super) fn customer(&self) -> Option<&CustomerRef> {
        self.customer_ref.as_deref()
    }
}

impl EventTexts for LoadedRow {
    fn action(&self) -> ActionKind {
        self.action
    }
    fn own_action_text(&self) -> Option<&str> {
        self.action_text.as_deref()
    }
    fn customer_name(&self) -> &str {
        self.customer_ref
            .as_ref()
            .map_or("", |customer| customer.company_name.as_str())
    }
    fn partner_user(&self) -> &str {
        &self.user_name
    }
    fn details(&self) -> &ActionDetails {
        &self.details
    }
    fn event_id(&self) -> &str {
        &self.event_id
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
            // Customer 0 is none; the others are numbered from 1.
            let customer = row.customer.map_or(0, |customer| customer + 1);
            SearchKey::add_row(row.as_ref(), customer, row.user, &mut self.index);
            self.facts.push(RowFacts {
                kind: row.action.index() as u8,
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::events::sample_order;
    use crate::i18n::Locale;

    /// Rows made from pages (and from the live log) say what their entries say, and rows of
    /// the same user, customer or action text share one copy of it, across pages.
    #[test]
    fn loaded_rows_say_what_their_entries_say_and_share_repeated_texts() {
        let first = sample_order("Contoso");
        let mut own_text = sample_order("Contoso");
        own_text.id = EventId(43);
        own_text.action_text = "Bought licences".into();
        let mut other = sample_order("Fabrikam");
        other.id = EventId(44);
        other.customer.as_mut().unwrap().id = CustomerId(4);
        other.partner_user = "someone@else.example".into();
        let mut no_customer = other.clone();
        no_customer.id = EventId(45);
        no_customer.customer = None;
        let mut live = own_text.clone();
        live.id = EventId(46);
        let entries = [first, own_text, other, no_customer, live];
        let mut slots = Slots::default();
        let pages = [
            EventPage::pack(entries[..2].to_vec(), Some("cursor".into())),
            EventPage::pack(entries[2..4].to_vec(), None),
        ];
        let mut rows: Vec<Arc<LoadedRow>> = Vec::new();
        for page in pages {
            rows.extend(LoadedRow::from_page(page, &mut slots));
        }
        rows.push(LoadedRow::new(entries[4].clone(), &mut slots));

        for (row, entry) in rows.iter().zip(&entries) {
            assert_eq!(row.id, entry.id);
            assert_eq!(row.occurred_at(), entry.occurred_at);
            assert_eq!(row.customer(), entry.customer.as_ref());
            assert_eq!(row.partner_user(), entry.partner_user);
            assert_eq!(row.details(), &entry.details);
            assert_eq!(row.event_id(), entry.event_id);
            for l in Locale::ALL {
                assert_eq!(row.action_text_in(l), entry.action_text_in(l));
            }
            assert_eq!(SearchKey::of(row.as_ref()), SearchKey::of(entry));
        }
        let customers: Vec<_> = rows.iter().map(|row| row.customer).collect();
        assert_eq!(customers, [Some(0), Some(0), Some(1), None, Some(0)]);
        let users: Vec<_> = rows.iter().map(|row| row.user).collect();
        assert_eq!(users, [0, 0, 1, 1, 0]);
        assert!(Arc::ptr_eq(&rows[0].user_name, &rows[4].user_name));
        assert!(Arc::ptr_eq(
            rows[0].customer_ref.as_ref().unwrap(),
            rows[4].customer_ref.as_ref().unwrap()
        ));
        assert_eq!(rows[0].action_text, None);
        assert!(Arc::ptr_eq(
            rows[1].action_text.as_ref().unwrap(),
            rows[4].action_text.as_ref().unwrap()
        ));
    }

    #[test]
    fn a_row_pointing_past_its_page_lists_gets_no_customer_and_no_user() {
        let mut page = EventPage::pack(vec![sample_order("Contoso")], None);
        page.rows[0].3 = Some(9);
        page.rows[0].4 = 9;
        let rows: Vec<_> = LoadedRow::from_page(page, &mut Slots::default()).collect();
        assert_eq!(rows[0].customer(), None);
        assert_eq!(rows[0].partner_user(), "");
    }
}
