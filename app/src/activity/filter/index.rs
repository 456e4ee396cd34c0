//! The page's search keys, laid out so that a keystroke searches each term once over all
//! rows rather than once per row (a call and a pointer chase per row would be most of a
//! keystroke's time over 170k rows), and [`SearchIndex::search`] combines the filter's
//! clauses as bitsets.
//!
//! The key's columns that repeat from row to row (customer, the action's own text, user: a
//! few hundred values over 170k rows) are kept once per distinct value, so a term is looked
//! for in each value once and reaches the rows through their value numbers. Only each row's
//! own text (its details and event id) lies in one buffer. A one-byte term is found there in
//! one SIMD pass; a longer one only in the rows whose text has all its byte pairs (bitsets
//! per pair hash, ANDed), skipping rows already found. A clause is searched only among the
//! rows the clauses before it left. It matches exactly what `Filter::matches_key` matches
//! row by row (the export's path); the tests hold the two together.

use std::collections::HashMap;
use std::ops::Range;

use memchr::memmem::Finder;

use crate::events::ActionKind;

/// A set of action kinds: bit `i` for `ActionKind::ALL[i]`.
pub(super) type KindSet = u16;
const _: () = assert!(
    ActionKind::ALL.len() <= KindSet::BITS as usize,
    "KindSet holds every action kind"
);

/// How many of `SearchKey`'s columns repeat (customer, own action text, user); the last
/// (details and event id) is each row's own.
const SHARED: usize = 3;

/// Every row's key: the numbers of its shared columns' values, its own text, its action
/// kind; and what the last search's terms found.
#[derive(Debug, Clone, Default)]
pub struct SearchIndex {
    /// Each shared column's distinct values.
    values: [Values; SHARED],
    /// Per row, the number of its value in each shared column.
    row_values: Vec<[u32; SHARED]>,
    /// Every row's own text back to back: row `i`'s is `text[starts[i]..starts[i + 1]]` (the
    /// last ends at `text.len()`).
    text: Vec<u8>,
    starts: Vec<u32>,
    /// For each of the [`PAIR_HASHES`] hashes of a byte pair, the rows whose own text holds
    /// a pair with that hash. A text of two bytes or more can only be in rows that have all
    /// its pairs' bits: a few ANDs of bitsets pass over most rows without searching their text.
    /// Kept by [`BLOCK_ROWS`] rows: hash `h`'s words of a block's rows are its words
    /// `h * BLOCK_WORDS..(h + 1) * BLOCK_WORDS`. Writing a row's ~100 bits stays within a
    /// block, and the index grows by blocks (one bitset per hash, each doubling as it grew,
    /// left a third of their memory unused); a search reads a hash's words of a block as one
    /// cache line.
    pair_rows: Vec<Box<[u64]>>,
    kinds: Vec<u8>,
    /// Per shared column, the value number of each id a caller of `add_row` gave for it
    /// (`u32::MAX`: not seen yet), so a value repeated by many rows is lowercased and looked
    /// up once rather than once per row.
    by_id: [Vec<u32>; SHARED],
    /// The row being added's text, kept to reuse its allocation.
    scratch: String,
    /// The rows each term of the last search found. A keystroke mostly keeps the terms
    /// before it and lengthens the last: a kept term is not searched again, and a longer
    /// one is looked for only in the rows the shorter one found.
    found: Vec<Found>,
}

/// How many hashes byte pairs are sorted into: 1,024 for pairs of ASCII bytes, then 64 for
/// pairs with a byte of a longer UTF-8 character, so that a term in Korean is not looked
/// for in every row whose English text has a pair of the same hash. A row's ~100 pairs must
/// set only a small share of the hashes, or most rows pass any pair test and have their own
/// text read (~0.4 µs a row, scattered over the buffer): with 1,024, `adat` reads about 100
/// rows' text of 170k. The cost: 136 bytes a row.
const ASCII_PAIR_HASHES: usize = 1024;
/// The words of rows of each hash in a block of pair bits (one cache line), and its rows.
/// A block of 64 rows (one word) made a search read one word per block and hash, each from
/// another cache line: a few milliseconds more for a keystroke over a year.
const BLOCK_WORDS: usize = 8;
const BLOCK_ROWS: usize = BLOCK_WORDS * 64;
const PAIR_HASHES: usize = ASCII_PAIR_HASHES + 64;

/// The hash of a byte pair: the top bits of a multiplicative hash of the two bytes.
fn pair_hash(first: u8, second: u8) -> usize {
    let mixed = (u32::from(first) << 8 | u32::from(second)).wrapping_mul(0x9E37_79B1);
    let hash = if first.is_ascii() && second.is_ascii() {
        mixed >> 22
    } else {
        ASCII_PAIR_HASHES as u32 + (mixed >> 26)
    };
    hash as usize
}

/// The hashes of the byte pairs in `text`, each once, in order (a term's, as searched).
fn pair_hashes(text: &[u8]) -> impl Iterator<Item = usize> {
    let mut seen = [0u64; PAIR_HASHES / 64];
    for pair in text.windows(2) {
        let hash = pair_hash(pair[0], pair[1]);
        seen[hash / 64] |= 1 << (hash % 64);
    }
    seen.into_iter().enumerate().flat_map(|(word_index, mut word)| {
        std::iter::from_fn(move || {
            (word != 0).then(|| {
                let bit = word.trailing_zeros() as usize;
                word &= word - 1;
                word_index * 64 + bit
            })
        })
    })
}

/// The distinct texts of one shared column (lowercase, with the key's separator), numbered.
#[derive(Debug, Clone, Default)]
struct Values {
    texts: Vec<Box<[u8]>>,
    numbers: HashMap<Box<[u8]>, u32>,
}

impl Values {
    fn number(&mut self, text: &[u8]) -> u32 {
        if let Some(number) = self.numbers.get(text) {
            return *number;
        }
        let number = self.texts.len() as u32;
        self.texts.push(text.into());
        self.numbers.insert(text.into(), number);
        number
    }
}

/// The rows with `needle` in `column` (the whole row when `None`) or of a kind in `kinds`:
/// exact within `scope` (every row when `None`); outside it, rows may be missing.
#[derive(Debug, Clone)]
struct Found {
    needle: Vec<u8>,
    column: Option<usize>,
    kinds: KindSet,
    scope: Option<Bits>,
    rows: Bits,
    count: usize,
}

impl Found {
    /// Whether these rows are exact wherever `scope` asks.
    fn covers(&self, scope: Option<&Bits>) -> bool {
        match (&self.scope, scope) {
            (None, _) => true,
            (Some(_), None) => false,
            (Some(kept), Some(scope)) => scope.within(kept),
        }
    }
}

/// One term of a filter as the index searches it: its text, the `SearchKey` slot it is
/// limited to (`None`: the whole key), the action kinds it names (bit `i` for
/// `ActionKind::ALL[i]`), and whether it excludes what it finds.
pub(super) struct SearchTerm<'a> {
    pub(super) finder: &'a Finder<'a>,
    pub(super) column: Option<usize>,
    pub(super) kinds: KindSet,
    pub(super) negated: bool,
}

/// One term, prepared for a search: which values of each shared column hold its text.
struct Prepared<'a> {
    finder: &'a Finder<'a>,
    /// Per shared column, whether each value holds the text (empty: the column isn't searched).
    holding: [Vec<bool>; SHARED],
    /// Whether rows' own text is searched.
    own: bool,
    /// The hashes of the text's byte pairs, when it has two bytes or more and no line break
    /// (which may join two rows' texts).
    pairs: Option<Vec<usize>>,
    kinds: KindSet,
    /// A text with a line break may span the key's columns (they are joined by line breaks):
    /// such a term is looked for in each row's whole key.
    whole_key: bool,
}

impl SearchIndex {
    /// Adds a row: its key's text, where its columns end in it, its action kind.
    pub(super) fn push(&mut self, text: &str, ends: [usize; 4], kind: u8) {
        let text = text.as_bytes();
        let mut from = 0;
        let mut numbers = [0; SHARED];
        for (slot, number) in numbers.iter_mut().enumerate() {
            *number = self.values[slot].number(&text[from..ends[slot]]);
            from = ends[slot];
        }
        self.push_numbered(numbers, &text[from..ends[SHARED]], kind);
    }

    /// The number of a shared column's value: by the caller's `id` for it when it gave one
    /// before, else from its text as `write` writes it (lowercase, with the key's separator).
    pub(super) fn shared_number(
        &mut self,
        slot: usize,
        id: Option<u32>,
        write: impl FnOnce(&mut String),
    ) -> u32 {
        let known = id.and_then(|id| self.by_id[slot].get(id as usize).copied());
        if let Some(number) = known.filter(|number| *number != u32::MAX) {
            return number;
        }
        let mut text = std::mem::take(&mut self.scratch);
        text.clear();
        write(&mut text);
        let number = self.values[slot].number(text.as_bytes());
        self.scratch = text;
        if let Some(id) = id {
            let ids = &mut self.by_id[slot];
            if ids.len() <= id as usize {
                ids.resize(id as usize + 1, u32::MAX);
            }
            ids[id as usize] = number;
        }
        number
    }

    /// Adds a row by its shared values' numbers and its own text as `write` writes it.
    pub(super) fn push_with(&mut self, numbers: [u32; SHARED], kind: u8, write: impl FnOnce(&mut String)) {
        let mut text = std::mem::take(&mut self.scratch);
        text.clear();
        write(&mut text);
        self.push_numbered(numbers, text.as_bytes(), kind);
        self.scratch = text;
    }

    fn push_numbered(&mut self, numbers: [u32; SHARED], own: &[u8], kind: u8) {
        self.row_values.push(numbers);
        self.starts.push(self.text.len() as u32);
        self.text.extend_from_slice(own);
        let row = self.starts.len() - 1;
        if row.is_multiple_of(BLOCK_ROWS) {
            self.pair_rows
                .push(vec![0; PAIR_HASHES * BLOCK_WORDS].into_boxed_slice());
        }
        let words = self
            .pair_rows
            .last_mut()
            .expect("a block for every BLOCK_ROWS rows");
        let (word, bit) = (row % BLOCK_ROWS / 64, row % 64);
        // Straight into the block's words: a pair seen twice sets its bit twice.
        for pair in own.windows(2) {
            words[pair_hash(pair[0], pair[1]) * BLOCK_WORDS + word] |= 1 << bit;
        }
        self.kinds.push(kind);
        self.found.clear();
    }

    pub fn len(&self) -> usize {
        self.starts.len()
    }

    pub fn is_empty(&self) -> bool {
        self.starts.is_empty()
    }

    pub fn clear(&mut self) {
        *self = SearchIndex::default();
    }

    /// The rows that meet every clause (a row meets a clause when it meets one of its terms).
    /// A clause's terms are looked for only among the rows the clauses before it left: in
    /// `adatum li`, `li` only in Adatum's rows. Each term's rows are kept for the next search.
    pub(super) fn search(&mut self, clauses: &[Vec<SearchTerm<'_>>]) -> Bits {
        let rows = self.len();
        let mut left: Option<Bits> = None;
        let mut kept = Vec::new();
        for clause in clauses {
            let mut met = Bits::new(rows, false);
            for term in clause {
                let found = self.find(term.finder, term.column, term.kinds, left.as_ref());
                let mut hits = found.rows.clone();
                if term.negated {
                    hits.not(rows);
                }
                met.or(&hits);
                kept.push(found);
            }
            match &mut left {
                Some(left) => left.and(&met),
                None => left = Some(met),
            }
        }
        self.found = kept;
        left.unwrap_or_else(|| Bits::new(rows, true))
    }

    fn find(
        &self,
        finder: &Finder<'_>,
        column: Option<usize>,
        kinds: KindSet,
        scope: Option<&Bits>,
    ) -> Found {
        let needle = finder.needle();
        let same = |found: &&Found| {
            found.column == column && found.kinds == kinds && found.needle == needle && found.covers(scope)
        };
        if let Some(same) = self.found.iter().find(same) {
            return same.clone();
        }
        let term = self.prepare(finder, column, kinds);
        // A term that holds an earlier one (in the same column, with no kind it lacked)
        // finds only rows that one found: look only there. (Rows outside them can't have
        // the term in a shared value either, so the result is exact in all of `scope`.)
        let holds = |found: &&Found| {
            found.column == column
                && kinds & !found.kinds == 0
                && found.covers(scope)
                && memchr::memmem::find(needle, &found.needle).is_some()
        };
        let rows = match self.found.iter().filter(holds).min_by_key(|found| found.count) {
            Some(fewer) => {
                let mut candidates = fewer.rows.clone();
                if let Some(scope) = scope {
                    candidates.and(scope);
                }
                self.rows_with(&term, Some(&candidates))
            }
            None => self.rows_with(&term, scope),
        };
        Found {
            needle: needle.to_vec(),
            column,
            kinds,
            scope: scope.cloned(),
            count: rows.count(),
            rows,
        }
    }

    /// Looks for the term's text in every value of the shared columns it searches (`column`:
    /// a `SearchKey` slot, or all of them when `None`); `kinds` as for `rows_with`.
    fn prepare<'a>(&self, finder: &'a Finder<'a>, column: Option<usize>, kinds: KindSet) -> Prepared<'a> {
        let searched = |slot: usize| column.is_none_or(|column| column == slot);
        let holding = std::array::from_fn(|slot| {
            if searched(slot) {
                self.values[slot]
                    .texts
                    .iter()
                    .map(|text| finder.find(text).is_some())
                    .collect()
            } else {
                Vec::new()
            }
        });
        let needle = finder.needle();
        Prepared {
            finder,
            holding,
            own: searched(SHARED),
            pairs: (needle.len() >= 2 && !needle.contains(&b'\n')).then(|| pair_hashes(needle).collect()),
            kinds,
            whole_key: column.is_none() && needle.contains(&b'\n'),
        }
    }

    /// The rows with the term's text in its column (anywhere in the row when `None`), or of
    /// an action kind in its `kinds` (bit `i` for `ActionKind::ALL[i]`): exact within
    /// `scope` (every row when `None`), whose other rows' text isn't searched.
    fn rows_with(&self, term: &Prepared<'_>, scope: Option<&Bits>) -> Bits {
        let mut hits = Bits::new(self.len(), false);
        if term.whole_key {
            (0..self.len())
                .filter(|row| scope.is_none_or(|scope| scope.has(*row)) && self.key_matches(term, *row))
                .for_each(|row| hits.set(row));
            return hits;
        }
        // Per shared column, one tight pass over its value numbers, skipping stretches of
        // rows out of scope.
        for (slot, holding) in term.holding.iter().enumerate() {
            if holding.iter().any(|holds| *holds) {
                hits.set_where(self.len(), scope, |row| {
                    holding[self.row_values[row][slot] as usize]
                });
            }
        }
        if term.kinds != 0 {
            hits.set_where(self.len(), scope, |row| {
                term.kinds & (1 << KindSet::from(self.kinds[row])) != 0
            });
        }
        // The rows whose own text is still to search: not found yet, in scope.
        let mut unfound = hits.clone();
        unfound.not(self.len());
        if let Some(scope) = scope {
            unfound.and(scope);
        }
        if let (true, Some(wanted)) = (term.own, &term.pairs) {
            // Those that have every pair of the text.
            let mut candidates = unfound;
            for (index, rows) in candidates.0.iter_mut().enumerate() {
                if *rows != 0 {
                    let (words, word) = (&self.pair_rows[index / BLOCK_WORDS], index % BLOCK_WORDS);
                    *rows = wanted
                        .iter()
                        .fold(*rows, |rows, hash| rows & words[hash * BLOCK_WORDS + word]);
                }
            }
            for row in candidates.ones() {
                if self.finder_in_own_text(term.finder, row) {
                    hits.set(row);
                }
            }
        } else if term.own {
            // One pass over each run of them.
            let unfound = unfound.positions();
            let mut unfound = unfound.iter().map(|row| *row as usize).peekable();
            while let Some(run) = unfound.next() {
                let mut end = run + 1;
                while unfound.next_if_eq(&end).is_some() {
                    end += 1;
                }
                self.search_own_text(term.finder, run..end, &mut hits);
            }
        }
        hits
    }

    /// Finds `finder`'s text in the own text of the rows `rows`, in one pass.
    fn search_own_text(&self, finder: &Finder<'_>, rows: Range<usize>, hits: &mut Bits) {
        let (from, to) = (self.starts[rows.start] as usize, self.row_end(rows.end - 1));
        let length = finder.needle().len();
        let mut row = rows.start;
        let mut hit = |found: usize| {
            while self.row_end(row) <= found {
                row += 1;
            }
            let within = found + length <= self.row_end(row);
            if within {
                hits.set(row);
            }
            within
        };
        if !finder.needle().contains(&b'\n') {
            // Each occurrence lies within one row's text (they end in a line break).
            finder.find_iter(&self.text[from..to]).for_each(|found| {
                hit(from + found);
            });
            return;
        }
        // A text with a line break may run from one row's text into the next: such an
        // occurrence doesn't count, and the search goes on from its next byte.
        let mut at = from;
        while let Some(found) = finder.find(&self.text[at..to]) {
            at += found;
            at += if hit(at) { length } else { 1 };
        }
    }

    /// Whether row `row`'s whole key (its shared values and own text, joined by line breaks)
    /// holds the term's text, or the row is of one of its kinds.
    fn key_matches(&self, term: &Prepared<'_>, row: usize) -> bool {
        let mut key = Vec::new();
        for (slot, number) in self.row_values[row].iter().enumerate() {
            key.extend_from_slice(&self.values[slot].texts[*number as usize]);
        }
        key.extend_from_slice(self.own_text(row));
        term.kinds & (1 << KindSet::from(self.kinds[row])) != 0 || term.finder.find(&key).is_some()
    }

    fn finder_in_own_text(&self, finder: &Finder<'_>, row: usize) -> bool {
        finder.find(self.own_text(row)).is_some()
    }

    fn own_text(&self, row: usize) -> &[u8] {
        &self.text[self.starts[row] as usize..self.row_end(row)]
    }

    /// Where row `row`'s own text ends (the next row's start).
    fn row_end(&self, row: usize) -> usize {
        self.starts
            .get(row + 1)
            .map_or(self.text.len(), |start| *start as usize)
    }
}

/// One bit per row.
#[derive(Debug, Clone)]
pub(super) struct Bits(Vec<u64>);

impl Bits {
    pub(super) fn new(rows: usize, on: bool) -> Bits {
        let mut bits = Bits(vec![if on { u64::MAX } else { 0 }; rows.div_ceil(64)]);
        bits.trim(rows);
        bits
    }

    /// Sets the bit of each row for which `on` is true, looking only at the words of rows
    /// that have a row in `scope` (every word when `None`).
    pub(super) fn set_where(&mut self, rows: usize, scope: Option<&Bits>, on: impl Fn(usize) -> bool) {
        for (word_index, word) in self.0.iter_mut().enumerate() {
            if scope.is_some_and(|scope| scope.0[word_index] == 0) {
                continue;
            }
            let base = word_index * 64;
            let mut bits = 0u64;
            for bit in 0..(rows - base).min(64) {
                bits |= u64::from(on(base + bit)) << bit;
            }
            *word |= bits;
        }
    }

    /// The rows set, in order.
    pub(super) fn ones(&self) -> impl Iterator<Item = usize> + '_ {
        self.0.iter().enumerate().flat_map(|(word_index, &word)| {
            let mut word = word;
            std::iter::from_fn(move || {
                (word != 0).then(|| {
                    let bit = word.trailing_zeros() as usize;
                    word &= word - 1;
                    word_index * 64 + bit
                })
            })
        })
    }

    pub(super) fn has(&self, row: usize) -> bool {
        self.0[row / 64] & (1 << (row % 64)) != 0
    }

    pub(super) fn set(&mut self, row: usize) {
        self.0[row / 64] |= 1 << (row % 64);
    }

    pub(super) fn or(&mut self, other: &Bits) {
        self.0.iter_mut().zip(&other.0).for_each(|(a, b)| *a |= b);
    }

    pub(super) fn and(&mut self, other: &Bits) {
        self.0.iter_mut().zip(&other.0).for_each(|(a, b)| *a &= b);
    }

    pub(super) fn not(&mut self, rows: usize) {
        self.0.iter_mut().for_each(|word| *word = !*word);
        self.trim(rows);
    }

    /// Clears the bits past the last row.
    fn trim(&mut self, rows: usize) {
        if let Some(last) = self.0.last_mut()
            && !rows.is_multiple_of(64)
        {
            *last &= (1u64 << (rows % 64)) - 1;
        }
    }

    /// Whether every row set here is set in `other` too.
    pub(super) fn within(&self, other: &Bits) -> bool {
        self.0.iter().zip(&other.0).all(|(a, b)| a & !b == 0)
    }

    pub(super) fn count(&self) -> usize {
        self.0.iter().map(|word| word.count_ones() as usize).sum()
    }

    pub(super) fn positions(&self) -> Vec<u32> {
        // Counted first: growing the list as it fills copied ~135k positions several times.
        let mut positions = Vec::with_capacity(self.count());
        positions.extend(self.ones().map(|row| row as u32));
        positions
    }
}
