//! The rows a load brings: each event with what the page computes from it once (search key,
//! user and customer numbers), and the load's state.

use std::borrow::Cow;
use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use chrono::{DateTime, Utc};

use super::packed_details::{DETAILS_BLOCK, PackedDetails};
use crate::activity::filter::{SearchIndex, SearchKey};
use crate::activity::wire::{CompactEvent, EventPage};
use crate::events::{ActionDetails, ActionKind, ActivityEntry, CustomerRef, EventTexts};
use crate::ids::{CustomerId, EventId};

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
    details: PackedDetails,
}

/// Numbers users and customers in the order they first appear in a load, and holds the
/// texts its rows share.
#[derive(Default)]
pub(super) struct Slots {
    users: HashMap<Arc<str>, u32>,
    customers: HashMap<CustomerId, (u32, Arc<CustomerRef>)>,
    action_texts: HashSet<Arc<str>>,
    /// Packs the rows' details, reused from block to block.
    packer: bitcode::Buffer,
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

    /// Packs the details of up to [`DETAILS_BLOCK`] rows into one block.
    fn pack(&mut self, details: &[ActionDetails]) -> Arc<[u8]> {
        PackedDetails::block(&mut self.packer, details)
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
        let head = Head {
            id,
            event_id,
            at: occurred_at.timestamp(),
            customer: None,
            user: 0,
            action,
            action_text: own_text.then_some(action_text),
        };
        let user = slots.user(partner_user);
        let customer = customer.map(|c| slots.customer(c));
        let details = PackedDetails {
            block: slots.pack(std::slice::from_ref(&details)),
            at: 0,
        };
        LoadedRow::made(head, user, customer, details, slots)
    }

    /// Adds a page's rows to `rows` (the load's rows so far), each of its users and
    /// customers looked up once rather than per row. Each row's counted facts go into
    /// `index` when it holds exactly the rows so far (otherwise the view's `RowIndex::follow`
    /// counts them when it shows them); its search key is written later (`RowIndex::key`).
    pub(super) fn add_page(
        page: EventPage,
        slots: &mut Slots,
        index: &mut RowIndex,
        rows: &mut Vec<Arc<LoadedRow>>,
    ) {
        let EventPage {
            customers,
            users,
            rows: page_rows,
            ..
        } = page;
        let customers: Vec<_> = customers.into_iter().map(|c| slots.customer(c)).collect();
        let users: Vec<_> = users.into_iter().map(|name| slots.user(name)).collect();
        let indexing = index.holds(rows);
        rows.reserve(page_rows.len());
        let mut page_rows = page_rows.into_iter().peekable();
        while page_rows.peek().is_some() {
            let (heads, details): (Vec<Head>, Vec<ActionDetails>) =
                page_rows.by_ref().take(DETAILS_BLOCK).map(Head::split).unzip();
            let block = slots.pack(&details);
            for (at, head) in heads.into_iter().enumerate() {
                // A row pointing past the lists (a bug, never sent by the server) gets no
                // customer and an empty user rather than a panic.
                let user = match users.get(head.user as usize) {
                    Some(user) => user.clone(),
                    None => slots.user(String::new()),
                };
                let customer = head
                    .customer
                    .and_then(|index| customers.get(index as usize))
                    .cloned();
                let packed = PackedDetails {
                    block: block.clone(),
                    at: at as u8,
                };
                let made = LoadedRow::made(head, user, customer, packed, slots);
                if indexing {
                    index.add_facts(&made);
                }
                rows.push(made);
            }
        }
    }

    /// The row of `head` with its user, customer (its own indexes into a page are not read)
    /// and details.
    fn made(
        head: Head,
        (user_name, user): (Arc<str>, u32),
        customer: Option<(u32, Arc<CustomerRef>)>,
        details: PackedDetails,
        slots: &mut Slots,
    ) -> Arc<LoadedRow> {
        Arc::new(LoadedRow {
            id: head.id,
            at: head.at,
            action: head.action,
            user,
            customer: customer.as_ref().map(|(number, _)| *number),
            user_name,
            customer_ref: customer.map(|(_, customer)| customer),
            action_text: head.action_text.map(|text| slots.action_text(text)),
            event_id: head.event_id.into_boxed_str(),
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
    fn details(&self) -> Cow<'_, ActionDetails> {
        Cow::Owned(self.details.unpack())
    }
    fn event_id(&self) -> &str {
        &self.event_id
    }
}

/// A page's row but its details (packed apart, by the block).
struct Head {
    id: EventId,
    event_id: String,
    at: i64,
    /// Its customer's and user's places in the page's lists.
    customer: Option<u32>,
    user: u32,
    action: ActionKind,
    action_text: Option<String>,
}

impl Head {
    fn split(row: CompactEvent) -> (Head, ActionDetails) {
        let CompactEvent(id, event_id, at, customer, user, action, action_text, details) = row;
        let head = Head {
            id,
            event_id,
            at,
            customer,
            user,
            action,
            action_text,
        };
        (head, details)
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

/// The counted facts and the search keys of the loaded rows, in their order; a new load
/// (another first row) starts it again. Facts are added as pages arrive. Keys are written
/// when a filter needs them, or a piece at a time once the rows show ([`RowIndex::key`]):
/// writing a year's keys was a third of the browser's work on its pages (CDP profile).
#[derive(Default)]
pub(super) struct RowIndex {
    first: Option<Arc<LoadedRow>>,
    pub(super) index: SearchIndex,
    pub(super) facts: Vec<RowFacts>,
}

impl RowIndex {
    /// Whether this index holds exactly `rows`'s facts (a load's rows so far, in order); an
    /// empty `rows` (a load beginning) starts it anew.
    fn holds(&mut self, rows: &[Arc<LoadedRow>]) -> bool {
        if rows.is_empty() {
            self.clear();
            return true;
        }
        self.is_of_load(rows) && self.facts.len() == rows.len()
    }

    /// Whether this index was started by the load `rows` are of (the same first row).
    fn is_of_load(&self, rows: &[Arc<LoadedRow>]) -> bool {
        matches!((&self.first, rows.first()), (Some(first), Some(row)) if Arc::ptr_eq(first, row))
    }

    fn clear(&mut self) {
        self.index.clear();
        self.facts.clear();
        self.first = None;
    }

    /// Starts the index anew unless it is of the load `rows` are of.
    fn of_load(&mut self, rows: &[Arc<LoadedRow>]) {
        if !self.is_of_load(rows) {
            self.clear();
            self.first = rows.first().cloned();
        }
    }

    /// Adds `row`'s facts after the others'.
    fn add_facts(&mut self, row: &Arc<LoadedRow>) {
        if self.first.is_none() {
            self.first = Some(row.clone());
        }
        self.facts.push(RowFacts {
            kind: row.action.index() as u8,
            user: row.user,
            customer: row.customer,
        });
    }

    /// Adds `row`'s key (made with its `details`, unpacked) after the others'.
    fn add_key(&mut self, row: &LoadedRow, details: &ActionDetails) {
        // Customer 0 is none; the others are numbered from 1.
        let customer = row.customer.map_or(0, |customer| customer + 1);
        let unpacked = Unpacked { row, details };
        SearchKey::add_row(&unpacked, customer, row.user, &mut self.index);
    }

    /// Brings the facts up to `rows` (starting anew for another load). They may already be
    /// ahead of `rows` (the loader adds pages before they are shown).
    pub(super) fn follow(&mut self, rows: &[Arc<LoadedRow>]) {
        self.of_load(rows);
        for row in rows.iter().skip(self.facts.len()) {
            self.add_facts(row);
        }
    }

    /// Writes the keys of at most `most` more of `rows` (starting anew for another load);
    /// whether every row of `rows` then has its key.
    pub(super) fn key(&mut self, rows: &[Arc<LoadedRow>], most: usize) -> bool {
        self.of_load(rows);
        for row in rows.iter().skip(self.index.len()).take(most) {
            self.add_key(row, &row.details());
        }
        self.index.len() >= rows.len()
    }
}

/// A loaded row with its details unpacked, for writing its search key.
struct Unpacked<'a> {
    row: &'a LoadedRow,
    details: &'a ActionDetails,
}

impl EventTexts for Unpacked<'_> {
    fn action(&self) -> ActionKind {
        self.row.action
    }
    fn own_action_text(&self) -> Option<&str> {
        self.row.own_action_text()
    }
    fn customer_name(&self) -> &str {
        self.row.customer_name()
    }
    fn partner_user(&self) -> &str {
        self.row.partner_user()
    }
    fn details(&self) -> Cow<'_, ActionDetails> {
        Cow::Borrowed(self.details)
    }
    fn event_id(&self) -> &str {
        self.row.event_id()
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
        let mut index = RowIndex::default();
        for page in pages {
            LoadedRow::add_page(page, &mut slots, &mut index, &mut rows);
        }
        rows.push(LoadedRow::new(entries[4].clone(), &mut slots));

        for (row, entry) in rows.iter().zip(&entries) {
            assert_eq!(row.id, entry.id);
            assert_eq!(row.occurred_at(), entry.occurred_at);
            assert_eq!(row.customer(), entry.customer.as_ref());
            assert_eq!(row.partner_user(), entry.partner_user);
            assert_eq!(*row.details(), entry.details);
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

    /// `count` entries of two customers and three kinds of details (an order, a password
    /// reset, a new customer), with text in capitals.
    fn varied_entries(count: i64) -> Vec<ActivityEntry> {
        (0..count)
            .map(|n| {
                let mut entry = sample_order(if n % 2 == 0 { "Contoso" } else { "Fabrikam" });
                entry.id = EventId(100 + n);
                entry.event_id = format!("evt-{n}");
                entry.details = match n % 3 {
                    0 => entry.details,
                    1 => ActionDetails::PasswordReset {
                        user_principal_name: format!("User{n}@Example.com"),
                    },
                    _ => ActionDetails::NewCustomer {
                        domain: format!("Domain{n}.example"),
                    },
                };
                entry
            })
            .collect()
    }

    /// The loader counts facts as pages arrive and writes no keys; keys written later, in
    /// pieces or all at once, find the same rows. Neither facts nor keys are dropped or
    /// rewritten when fewer rows show than were added, and another load starts both anew.
    #[test]
    fn facts_come_with_pages_and_keys_in_pieces_find_what_keys_at_once_find() {
        let entries = varied_entries(6);
        let (mut slots, mut index, mut rows) = (Slots::default(), RowIndex::default(), Vec::new());
        LoadedRow::add_page(
            EventPage::pack(entries[..3].to_vec(), None),
            &mut slots,
            &mut index,
            &mut rows,
        );
        let shown = rows.clone();
        LoadedRow::add_page(
            EventPage::pack(entries[3..].to_vec(), None),
            &mut slots,
            &mut index,
            &mut rows,
        );
        assert_eq!(index.facts.len(), 6, "the loader counted both pages");
        assert_eq!(index.index.len(), 0, "and wrote no key");
        assert!(!index.key(&rows, 4));
        assert_eq!(index.index.len(), 4);
        assert!(index.key(&rows, 4));
        let mut at_once = RowIndex::default();
        assert!(at_once.key(&rows, usize::MAX));
        for (filter, found) in [
            ("user4@example", 1),
            ("domain5", 1),
            ("contoso", 6),
            ("action:ordered", 6),
            ("-evt-0", 5),
        ] {
            let filter = crate::activity::filter::Filter::parse(filter);
            let in_pieces = filter.matching_rows(&mut index.index);
            assert_eq!(in_pieces, filter.matching_rows(&mut at_once.index), "{filter:?}");
            assert_eq!(in_pieces.len(), found, "{filter:?}");
        }
        // Shown fewer rows than it holds: nothing is dropped or rewritten.
        index.follow(&shown);
        assert!(index.key(&shown, usize::MAX));
        assert_eq!(index.index.len(), 6);
        assert_eq!(index.facts.len(), 6);
        // Another load's rows, shown before its loader added any: the view starts anew, and
        // the loader, seeing the index is not of its rows so far, leaves it to the view.
        let mut other_rows = Vec::new();
        let mut other_slots = Slots::default();
        LoadedRow::add_page(
            EventPage::pack(entries[..2].to_vec(), None),
            &mut other_slots,
            &mut RowIndex::default(),
            &mut other_rows,
        );
        index.follow(&other_rows);
        assert_eq!((index.facts.len(), index.index.len()), (2, 0));
        LoadedRow::add_page(
            EventPage::pack(entries[2..4].to_vec(), None),
            &mut other_slots,
            &mut index,
            &mut rows,
        );
        assert_eq!(index.facts.len(), 2, "not the loader's rows so far: left alone");
    }

    /// Details are packed by blocks of rows: every row unpacks its own, whichever row of
    /// whichever block was unpacked before it.
    #[test]
    fn rows_packed_by_blocks_unpack_their_own_details() {
        let entries = varied_entries(150);
        let (mut slots, mut rows) = (Slots::default(), Vec::new());
        for page in entries.chunks(100) {
            LoadedRow::add_page(
                EventPage::pack(page.to_vec(), None),
                &mut slots,
                &mut RowIndex::default(),
                &mut rows,
            );
        }
        rows.push(LoadedRow::new(entries[7].clone(), &mut slots));
        let blocks: HashSet<_> = rows.iter().map(|row| Arc::as_ptr(&row.details.block)).collect();
        assert_eq!(
            blocks.len(),
            4,
            "100 rows in 64 + 36, 50 in one block, the live row alone"
        );
        let order = (0..rows.len())
            .rev()
            .chain((0..rows.len()).step_by(7))
            .chain(0..rows.len());
        for at in order {
            let entry = if at == 150 { &entries[7] } else { &entries[at] };
            assert_eq!(*rows[at].details(), entry.details, "row {at}");
        }
    }

    #[test]
    fn a_row_pointing_past_its_page_lists_gets_no_customer_and_no_user() {
        let mut page = EventPage::pack(vec![sample_order("Contoso")], None);
        page.rows[0].3 = Some(9);
        page.rows[0].4 = 9;
        let mut rows = Vec::new();
        LoadedRow::add_page(page, &mut Slots::default(), &mut RowIndex::default(), &mut rows);
        assert_eq!(rows[0].customer(), None);
        assert_eq!(rows[0].partner_user(), "");
    }
}
