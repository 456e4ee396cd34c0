//! The filter box's language. Free words match anywhere; `key:value` matches one column;
//! `"quoted words"` keep their spaces; a leading `-` excludes; every term must hold:
//!
//! ```text
//! action:ordered customer:"한빛 소프트" user:sales -action:reset license
//! ```
//!
//! The page filters loaded rows with it as you type and the export filters with the very same
//! code, so a file always holds the rows on screen.

use crate::events::{ActionKind, ActivityEntry, EventTexts};

mod index;
pub use index::SearchIndex;
use index::{KindSet, SearchTerm};

/// Longest filter text accepted (the input's `maxlength` and the export's check).
pub const MAX_FILTER_CHARS: usize = 200;

/// The columns a `key:` can name.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Field {
    Customer,
    Action,
    User,
    Details,
}

impl Field {
    pub const KEYS: [(&'static str, Field); 4] = [
        ("customer", Field::Customer),
        ("action", Field::Action),
        ("user", Field::User),
        ("details", Field::Details),
    ];

    fn from_key(key: &str) -> Option<Field> {
        let key = key.to_lowercase();
        Field::KEYS
            .iter()
            .find(|(name, _)| *name == key)
            .map(|(_, field)| *field)
    }

    pub fn key(self) -> &'static str {
        Field::KEYS
            .iter()
            .find(|(_, field)| *field == self)
            .map(|(name, _)| *name)
            .unwrap_or("")
    }

    /// Its place in a [`SearchKey`].
    fn slot(self) -> usize {
        match self {
            Field::Customer => 0,
            Field::Action => 1,
            Field::User => 2,
            Field::Details => 3,
        }
    }
}

/// One condition: `value` (lowercase) somewhere in `field`, or anywhere when `field` is None.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Term {
    pub field: Option<Field>,
    pub value: String,
    pub negated: bool,
}

/// Something in the filter text the parser could not use as written, for an inline hint.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Hint {
    /// `foo:bar` with no such key: searched as plain text instead.
    UnknownKey(String),
    /// `action:` with nothing after it: ignored.
    EmptyValue(String),
    /// A `"` with no closing one: the rest of the text was taken as the value.
    UnclosedQuote,
    /// `OR` with no term before or after it: ignored.
    LoneOr,
}

impl Hint {
    /// The hint in English; the page words it per language with [`Hint::message_in`].
    pub fn message_in(&self, locale: crate::i18n::Locale) -> String {
        let keys = Field::KEYS
            .iter()
            .map(|(key, _)| format!("{key}:"))
            .collect::<Vec<_>>()
            .join(", ");
        match self {
            Hint::UnknownKey(key) => tr!(locale, filter.unknown_key, key = key, keys = keys),
            Hint::EmptyValue(key) => tr!(locale, filter.empty_value, key = key),
            Hint::UnclosedQuote => tr!(locale, filter.a_quote_is_not_closed).to_string(),
            Hint::LoneOr => tr!(locale, filter.or_needs_a_term_on).to_string(),
        }
    }
}

/// Parsed filter text: clauses of terms. A row matches when every clause has a term it
/// meets; terms joined by `OR` share a clause, every other term is a clause of its own.
#[derive(Debug, Clone, Default)]
pub struct Filter {
    terms: Vec<Term>,
    /// Where each clause ends in `terms` (clause `i` is `terms[ends[i - 1]..ends[i]]`).
    clause_ends: Vec<usize>,
    hints: Vec<Hint>,
    /// One prepared substring search per term: built once per keystroke, then run over every
    /// row (preparing a search per row and term cost more than the search itself).
    finders: Vec<memchr::memmem::Finder<'static>>,
    /// Per term, the action kinds (bit `i` for `ActionKind::ALL[i]`) whose names contain it:
    /// checked once per keystroke rather than stored and searched in every row.
    kind_hits: Vec<KindSet>,
}

impl PartialEq for Filter {
    fn eq(&self, other: &Filter) -> bool {
        self.terms == other.terms && self.clause_ends == other.clause_ends && self.hints == other.hints
    }
}

impl Eq for Filter {}

impl Filter {
    pub fn parse(text: &str) -> Filter {
        let mut filter = Filter::default();
        let mut rest = text.trim_start();
        // Set by a bare `OR`: the next term joins the clause before it.
        let mut join_next = false;
        while !rest.is_empty() {
            if let Some(after) = rest
                .strip_prefix("OR")
                .filter(|after| after.is_empty() || after.starts_with(char::is_whitespace))
            {
                if filter.terms.is_empty() || join_next {
                    filter.hints.push(Hint::LoneOr);
                }
                join_next = !filter.terms.is_empty();
                rest = after.trim_start();
                continue;
            }
            let (token, after) = next_token(rest, &mut filter.hints);
            rest = after.trim_start();
            if let Some(term) = token.into_term(&mut filter.hints) {
                filter.terms.push(term);
                match filter.clause_ends.last_mut() {
                    Some(end) if join_next => *end = filter.terms.len(),
                    _ => filter.clause_ends.push(filter.terms.len()),
                }
                join_next = false;
            }
        }
        if join_next {
            filter.hints.push(Hint::LoneOr);
        }
        filter.finders = filter
            .terms
            .iter()
            .map(|term| memchr::memmem::Finder::new(term.value.as_bytes()).into_owned())
            .collect();
        filter.kind_hits = filter
            .terms
            .iter()
            .map(|term| {
                ActionKind::ALL
                    .iter()
                    .enumerate()
                    .filter(|(_, kind)| action_words(**kind).contains(term.value.as_str()))
                    .fold(0, |hits: KindSet, (index, _)| hits | 1 << index)
            })
            .collect();
        filter
    }

    pub fn terms(&self) -> &[Term] {
        &self.terms
    }

    /// The clauses, each a run of terms of which a row must meet at least one.
    pub fn clauses(&self) -> impl Iterator<Item = &[Term]> {
        self.clause_ranges().map(|range| &self.terms[range])
    }

    /// Where each clause's terms are in `terms`.
    fn clause_ranges(&self) -> impl Iterator<Item = std::ops::Range<usize>> + '_ {
        let starts = std::iter::once(0).chain(self.clause_ends.iter().copied());
        starts.zip(&self.clause_ends).map(|(start, &end)| start..end)
    }

    /// The action kinds term `index` names (bit `i` for `ActionKind::ALL[i]`): only a term
    /// for the whole key or the action column finds rows by their kind.
    fn kinds_named(&self, index: usize) -> KindSet {
        match self.terms[index].field {
            None | Some(Field::Action) => self.kind_hits[index],
            Some(_) => 0,
        }
    }

    pub fn hints(&self) -> &[Hint] {
        &self.hints
    }

    pub fn is_empty(&self) -> bool {
        self.terms.is_empty()
    }

    pub fn matches_key(&self, key: &SearchKey) -> bool {
        self.clause_ranges()
            .all(|mut clause| clause.any(|index| self.term_matches(index, key)))
    }

    fn term_matches(&self, index: usize, key: &SearchKey) -> bool {
        let term = &self.terms[index];
        let haystack = match term.field {
            None => key.text.as_str(),
            Some(field) => key.field(field),
        };
        let names_the_kind = self.kinds_named(index) & (1 << key.kind) != 0;
        let found = names_the_kind || self.finders[index].find(haystack.as_bytes()).is_some();
        found != term.negated
    }

    pub fn matches(&self, entry: &ActivityEntry) -> bool {
        self.is_empty() || self.matches_key(&SearchKey::of(entry))
    }

    /// The rows of `index` this filter matches, in index order: each term searched once over
    /// the rows the clauses before it left (or found from the last search, see
    /// `SearchIndex::search`), clauses combined as bitsets. The same rows as
    /// [`Filter::matches_key`] row by row.
    pub fn matching_rows(&self, index: &mut SearchIndex) -> Vec<u32> {
        let term = |at: usize| SearchTerm {
            finder: &self.finders[at],
            column: self.terms[at].field.map(Field::slot),
            kinds: self.kinds_named(at),
            negated: self.terms[at].negated,
        };
        let clauses: Vec<Vec<SearchTerm<'_>>> = self
            .clause_ranges()
            .map(|clause| clause.map(term).collect())
            .collect();
        index.search(&clauses).positions()
    }
}

/// A term as read, before its key is checked.
struct Token {
    negated: bool,
    key: Option<String>,
    value: String,
}

impl Token {
    fn into_term(self, hints: &mut Vec<Hint>) -> Option<Term> {
        let Token { negated, key, value } = self;
        let (field, value) = match key {
            None => (None, value),
            Some(key) => match Field::from_key(&key) {
                Some(field) => (Some(field), value),
                None => {
                    hints.push(Hint::UnknownKey(key.clone()));
                    (None, format!("{key}:{value}"))
                }
            },
        };
        if value.is_empty() {
            if let Some(field) = field {
                hints.push(Hint::EmptyValue(field.key().to_string()));
            }
            return None;
        }
        Some(Term {
            field,
            value: value.to_lowercase(),
            negated,
        })
    }
}

/// Reads one term from the start of `text` (not empty, no leading space); returns it and
/// the text after it.
fn next_token<'a>(text: &'a str, hints: &mut Vec<Hint>) -> (Token, &'a str) {
    // A lone "-" is a word, not a negation of nothing.
    let (negated, text) = match text.strip_prefix('-') {
        Some(rest) if rest.chars().next().is_some_and(|c| !c.is_whitespace()) => (true, rest),
        _ => (false, text),
    };
    // `key:` is letters then a colon; anything else is a value from the start.
    let key_len = text
        .char_indices()
        .find(|(_, c)| !c.is_alphanumeric() && *c != '_')
        .map(|(index, _)| index)
        .unwrap_or(text.len());
    let (key, text) = match text[key_len..].strip_prefix(':') {
        Some(rest) if key_len > 0 => (Some(text[..key_len].to_string()), rest),
        _ => (None, text),
    };
    let (value, rest) = read_value(text, hints);
    (Token { negated, key, value }, rest)
}

/// A `"quoted value"` or a bare word up to the next space.
fn read_value<'a>(text: &'a str, hints: &mut Vec<Hint>) -> (String, &'a str) {
    if let Some(quoted) = text.strip_prefix('"') {
        return match quoted.find('"') {
            Some(end) => (quoted[..end].trim().to_string(), &quoted[end + 1..]),
            None => {
                hints.push(Hint::UnclosedQuote);
                (quoted.trim().to_string(), "")
            }
        };
    }
    let end = text.find(char::is_whitespace).unwrap_or(text.len());
    (text[..end].to_string(), &text[end..])
}

/// Everything the filter searches in one row, lowercased once when the row arrives rather
/// than on every keystroke: one string, with the byte range of each column in it, and the
/// action kind (whose names are matched per filter, not stored in every row).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SearchKey {
    text: String,
    ends: [usize; 4],
    kind: u8,
}

impl SearchKey {
    pub fn of(entry: &(impl EventTexts + ?Sized)) -> SearchKey {
        let mut text = String::new();
        let mut ends = [0; 4];
        for (slot, part) in shared_parts(entry).into_iter().enumerate() {
            write_part(&mut text, part);
            ends[slot] = text.len();
        }
        write_own_part(&mut text, entry);
        ends[3] = text.len();
        SearchKey {
            text,
            ends,
            kind: entry.action().index() as u8,
        }
    }

    /// Adds `entry`'s key to the end of `index`, as `SearchKey::of(entry).add_to(index)`
    /// does, faster for rows that repeat a customer or user: `customer` and `user` are the
    /// caller's ids for them (rows with the same id have the same text), so each is
    /// lowercased and looked up once, not once per row. Ids index a table: number them
    /// densely from 0 (as the page numbers a load's users and customers).
    pub fn add_row(entry: &(impl EventTexts + ?Sized), customer: u32, user: u32, index: &mut SearchIndex) {
        let [customer_part, action_part, user_part] = shared_parts(entry);
        // Rows with no text of their own for the action share id 0; the others are rare.
        let action_id = entry.own_action_text().is_none().then_some(0);
        let numbers = [
            index.shared_number(0, Some(customer), |key| write_part(key, customer_part)),
            index.shared_number(1, action_id, |key| write_part(key, action_part)),
            index.shared_number(2, Some(user), |key| write_part(key, user_part)),
        ];
        index.push_with(numbers, entry.action().index() as u8, |key| {
            write_own_part(key, entry)
        });
    }

    /// Adds this row's key to the end of `index`.
    pub fn add_to(&self, index: &mut SearchIndex) {
        index.push(&self.text, self.ends, self.kind);
    }

    fn field(&self, field: Field) -> &str {
        let slot = field.slot();
        let start = if slot == 0 { 0 } else { self.ends[slot - 1] };
        &self.text[start..self.ends[slot]]
    }
}

/// A row's key, column by column: the columns rows share (customer, the action's own text,
/// user), each of two pieces, then the row's own text (`write_own_part`). The action's own
/// text only when it is not its label (labels match by kind).
fn shared_parts(entry: &(impl EventTexts + ?Sized)) -> [[&str; 2]; 3] {
    [
        [entry.customer_name(), ""],
        [entry.own_action_text().unwrap_or(""), ""],
        [entry.partner_user(), ""],
    ]
}

/// Writes the row's own column into a key, as `write_part` writes the others: its details'
/// summary (written straight into the key: a year's 750,000 of them) and its event id.
fn write_own_part(key: &mut String, entry: &(impl EventTexts + ?Sized)) {
    write_piece(key, |key| entry.details().write_summary(key));
    write_piece(key, |key| key.push_str(entry.event_id()));
}

/// Writes a column's pieces into a key: each in lowercase (as `str::to_lowercase` does),
/// then a line break.
fn write_part(key: &mut String, part: [&str; 2]) {
    for piece in part {
        write_piece(key, |key| key.push_str(piece));
    }
}

/// Writes a piece with `write`, lowercases it, and ends it with a line break.
fn write_piece(key: &mut String, write: impl FnOnce(&mut String)) {
    let start = key.len();
    write(key);
    lowercase_from(key, start);
    key.push('\n');
}

/// Lowercases `key[start..]` as `str::to_lowercase` does. In place when every character
/// that is not ASCII lowercases to itself (the summaries' `×`, `→` and `–`, most text in
/// Korean and Japanese): a year's 750,000 keys are written once its rows show. Only those
/// characters are decoded; the ASCII runs between them are skipped over as bytes.
fn lowercase_from(key: &mut String, start: usize) {
    key[start..].make_ascii_lowercase();
    let tail = &key[start..];
    let mut at = 0;
    while let Some(offset) = tail.as_bytes()[at..].iter().position(|byte| !byte.is_ascii()) {
        at += offset;
        // A byte that is not ASCII after whole characters starts one.
        let Some(c) = tail[at..].chars().next() else { break };
        let mut lower = c.to_lowercase();
        if !(lower.len() == 1 && lower.next() == Some(c)) {
            // The same as lowercasing the text as it came: ASCII letters were cased
            // letters before and still are.
            let lower = tail.to_lowercase();
            key.truncate(start);
            key.push_str(&lower);
            return;
        }
        at += c.len_utf8();
    }
}

/// An action is found by its stored name and its label in every language (lowercase); made
/// once, not per term of every keystroke.
fn action_words(kind: ActionKind) -> &'static str {
    static WORDS: std::sync::OnceLock<Vec<String>> = std::sync::OnceLock::new();
    let words = WORDS.get_or_init(|| {
        ActionKind::ALL
            .iter()
            .map(|kind| {
                let labels = crate::i18n::Locale::ALL.map(|locale| kind.label_in(locale));
                format!("{} {}", kind.as_str(), labels.join(" ")).to_lowercase()
            })
            .collect()
    });
    &words[kind.index()]
}

#[cfg(test)]
mod tests;
