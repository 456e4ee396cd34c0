//! The page's search keys in one buffer. A keystroke searches each term once over all rows
//! (one SIMD pass over contiguous memory) instead of once per row (a call and a pointer
//! chase per row: most of a keystroke's time over 170k rows, BENCHMARKS.md issue 14), and
//! `Filter::matching_rows` combines the terms as bitsets. It matches exactly what
//! `Filter::matches_key` matches row by row (the export's path); the tests hold the two
//! together.

use memchr::memmem::Finder;

/// Every row's `SearchKey` text back to back, where each row and column starts, and each
/// row's action kind; and what the last search's terms found.
#[derive(Debug, Clone, Default)]
pub struct SearchIndex {
    text: Vec<u8>,
    /// Row `i`'s key is `text[starts[i]..starts[i + 1]]` (the last ends at `text.len()`).
    starts: Vec<u32>,
    /// Per row, where each column ends in `text` (as `SearchKey::ends`, but absolute).
    ends: Vec<[u32; 4]>,
    kinds: Vec<u8>,
    /// The rows each term of the last search found. A keystroke mostly keeps the terms
    /// before it and lengthens the last: a kept term is not searched again, and a longer
    /// one is looked for only in the rows the shorter one found.
    found: Vec<Found>,
}

/// The rows with `needle` in `column` (the whole row when `None`) or of a kind in `kinds`.
#[derive(Debug, Clone)]
struct Found {
    needle: Vec<u8>,
    column: Option<usize>,
    kinds: u8,
    rows: Bits,
    count: usize,
}

impl SearchIndex {
    /// Adds a row: its key's text, where its columns end in it, its action kind.
    pub(super) fn push(&mut self, text: &str, ends: [usize; 4], kind: u8) {
        let start = self.text.len();
        self.starts.push(start as u32);
        self.ends.push(ends.map(|end| (start + end) as u32));
        self.kinds.push(kind);
        self.text.extend_from_slice(text.as_bytes());
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

    /// For each term (its search, column and kinds as for [`SearchIndex::rows_with`]), the
    /// rows it finds; kept for the next search.
    pub(super) fn search<'a>(
        &mut self,
        terms: impl Iterator<Item = (&'a Finder<'a>, Option<usize>, u8)>,
    ) -> Vec<Bits> {
        let found: Vec<Found> = terms
            .map(|(finder, column, kinds)| self.find(finder, column, kinds))
            .collect();
        let rows = found.iter().map(|found| found.rows.clone()).collect();
        self.found = found;
        rows
    }

    fn find(&self, finder: &Finder<'_>, column: Option<usize>, kinds: u8) -> Found {
        let needle = finder.needle();
        let same = |found: &&Found| found.column == column && found.kinds == kinds && found.needle == needle;
        if let Some(same) = self.found.iter().find(same) {
            return same.clone();
        }
        // A term that holds an earlier one (in the same column, with no kind it lacked)
        // finds only rows that one found; when those are few, look only there.
        let holds = |found: &&Found| {
            found.column == column
                && kinds & !found.kinds == 0
                && memchr::memmem::find(needle, &found.needle).is_some()
        };
        let rows = match self.found.iter().filter(holds).min_by_key(|found| found.count) {
            Some(fewer) if fewer.count * 2 <= self.len() => {
                self.rows_among(finder, column, kinds, &fewer.rows)
            }
            _ => self.rows_with(finder, column, kinds),
        };
        Found {
            needle: needle.to_vec(),
            column,
            kinds,
            count: rows.count(),
            rows,
        }
    }

    /// The rows with `finder`'s text in column `column` (anywhere in the row when `None`),
    /// or of an action kind in `kinds` (bit `i` for `ActionKind::ALL[i]`).
    fn rows_with(&self, finder: &Finder<'_>, column: Option<usize>, kinds: u8) -> Bits {
        let mut hits = Bits::new(self.len(), false);
        if kinds != 0 {
            for (row, kind) in self.kinds.iter().enumerate() {
                if kinds & (1 << kind) != 0 {
                    hits.set(row);
                }
            }
        }
        let length = finder.needle().len();
        let (mut at, mut row) = (0, 0);
        while let Some(found) = finder.find(&self.text[at..]) {
            let found = at + found;
            while self.row_end(row) <= found {
                row += 1;
            }
            let (from, to) = self.column_range(row, column);
            if found >= from && found + length <= to {
                hits.set(row);
                // The row is matched: go on from the next one.
                at = self.row_end(row);
            } else {
                at = found + 1;
            }
            if at >= self.text.len() {
                break;
            }
        }
        hits
    }

    /// [`SearchIndex::rows_with`], looking only at the rows in `candidates`.
    fn rows_among(&self, finder: &Finder<'_>, column: Option<usize>, kinds: u8, candidates: &Bits) -> Bits {
        let mut hits = Bits::new(self.len(), false);
        for row in candidates.positions() {
            let row = row as usize;
            let (from, to) = self.column_range(row, column);
            if kinds & (1 << self.kinds[row]) != 0 || finder.find(&self.text[from..to]).is_some() {
                hits.set(row);
            }
        }
        hits
    }

    /// Where `column` of row `row` starts and ends (the whole row when `None`).
    fn column_range(&self, row: usize, column: Option<usize>) -> (usize, usize) {
        match column {
            None => (self.starts[row] as usize, self.row_end(row)),
            Some(slot) => (self.column_start(row, slot), self.ends[row][slot] as usize),
        }
    }

    /// Where row `row`'s key ends (the next row's start).
    fn row_end(&self, row: usize) -> usize {
        self.starts
            .get(row + 1)
            .map_or(self.text.len(), |start| *start as usize)
    }

    /// Where row `row`'s column `slot` starts.
    fn column_start(&self, row: usize, slot: usize) -> usize {
        match slot {
            0 => self.starts[row] as usize,
            _ => self.ends[row][slot - 1] as usize,
        }
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
            && rows % 64 != 0
        {
            *last &= (1u64 << (rows % 64)) - 1;
        }
    }

    pub(super) fn count(&self) -> usize {
        self.0.iter().map(|word| word.count_ones() as usize).sum()
    }

    pub(super) fn positions(&self) -> Vec<u32> {
        let mut positions = Vec::new();
        for (word_index, &word) in self.0.iter().enumerate() {
            let mut word = word;
            while word != 0 {
                positions.push((word_index * 64) as u32 + word.trailing_zeros());
                word &= word - 1;
            }
        }
        positions
    }
}
