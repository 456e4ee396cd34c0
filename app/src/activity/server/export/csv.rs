//! The exported file: UTF-8 with a BOM (so Excel reads Korean names right), CRLF line ends,
//! RFC 4180 quoting, and spreadsheet formulas neutralised (OWASP CSV injection).

use std::borrow::Cow;

use crate::activity::view::Column;
use crate::event_table::{EventRowRef, StoredEntry};
use crate::events::{ActionDetails, ActionKind, ActivityEntry};
use crate::i18n::Locale;

/// The columns after the ones the viewer chose, always in English: they let `server import`
/// read the file back exactly (the customer id, the action kind and the details as JSON).
/// `Event ID` is among them unless the viewer chose it.
pub const MACHINE_COLUMNS: [&str; 3] = ["Customer ID", "Action kind", "Details (JSON)"];
pub const EVENT_ID_HEADER: &str = "Event ID";

/// A chosen column's header in the file, in `locale` (times in the file are always UTC).
pub fn csv_header(column: Column, locale: Locale) -> &'static str {
    match column {
        Column::Time => tr!(locale, csv.time_header),
        Column::EventId => EVENT_ID_HEADER,
        other => other.header_in(locale),
    }
}

/// The chosen columns' headers, then the machine columns.
pub fn header_row(columns: &[Column], locale: Locale) -> Vec<&'static str> {
    let mut header: Vec<&str> = columns.iter().map(|column| csv_header(*column, locale)).collect();
    header.push(MACHINE_COLUMNS[0]);
    if !columns.contains(&Column::EventId) {
        header.push(EVENT_ID_HEADER);
    }
    header.extend(&MACHINE_COLUMNS[1..]);
    header
}

/// How the Date-Time column is written (UTC), as chrono's format; [`csv_time`] writes it.
pub const CSV_TIME_FORMAT: &str = "%Y-%m-%d %H:%M:%S";

/// `2026-11-02 08:05:09` from the stored `2026-11-02T08:05:09Z` ([`crate::db::to_db_time`]):
/// [`CSV_TIME_FORMAT`] without parsing and formatting a time per cell. `None` for text of
/// another shape.
pub fn csv_time(stored: &str) -> Option<[u8; 19]> {
    let bytes: &[u8; 20] = stored.as_bytes().try_into().ok()?;
    let shaped = bytes.iter().enumerate().all(|(at, &byte)| match at {
        4 | 7 => byte == b'-',
        10 => byte == b'T',
        13 | 16 => byte == b':',
        19 => byte == b'Z',
        _ => byte.is_ascii_digit(),
    });
    if !shaped {
        return None;
    }
    let mut text = [0; 19];
    text.copy_from_slice(&bytes[..19]);
    text[10] = b' ';
    Some(text)
}

const UTF8_BOM: &[u8] = b"\xEF\xBB\xBF";

/// First characters that make a spreadsheet run a cell as a formula (full-width forms too:
/// some spreadsheets fold them), plus `'` itself, so that a value that already starts with
/// one is escaped as well and [`restore_formula`] can undo exactly what was added.
fn needs_quote_prefix(cell: &str) -> bool {
    matches!(
        cell.chars().next(),
        Some('=' | '+' | '-' | '@' | '\t' | '\r' | '\n' | '＝' | '＋' | '－' | '＠' | '\'')
    )
}

/// A cell a spreadsheet would run as a formula gets a leading `'`, which shows it as text.
pub fn neutralise_formula(cell: &str) -> Cow<'_, str> {
    if needs_quote_prefix(cell) {
        Cow::Owned(format!("'{cell}"))
    } else {
        Cow::Borrowed(cell)
    }
}

/// Undoes [`neutralise_formula`] exactly: `server import` reads back what was stored.
pub fn restore_formula(cell: &str) -> String {
    match cell.strip_prefix('\'') {
        Some(rest) if needs_quote_prefix(rest) => rest.to_string(),
        _ => cell.to_string(),
    }
}

/// The file in pieces: the BOM and header first, then rows as they are written; `take`
/// hands over what is written so far. The export streams these pieces.
pub struct CsvChunks {
    writer: csv::Writer<Vec<u8>>,
    columns: Vec<Column>,
}

fn csv_writer(buffer: Vec<u8>) -> csv::Writer<Vec<u8>> {
    csv::WriterBuilder::new()
        .terminator(csv::Terminator::CRLF)
        .quote_style(csv::QuoteStyle::Necessary)
        .has_headers(false)
        .from_writer(buffer)
}

/// A cell of text that came from outside (names, ids, details): formulas neutralised.
fn text_field(writer: &mut csv::Writer<Vec<u8>>, cell: &str) -> Result<(), csv::Error> {
    writer.write_field(neutralise_formula(cell).as_bytes())
}

/// Why a row could not be written.
#[derive(Debug)]
pub enum RowError {
    /// The stored time is not in the stored format.
    Time,
    /// The Details column was chosen and the row came without its details decoded.
    NoDetails,
    /// The stored action kind is none the log knows.
    ActionKind,
    Csv(csv::Error),
}

impl std::fmt::Display for RowError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            RowError::Time => f.write_str("a stored time is not in the stored format"),
            RowError::NoDetails => f.write_str("the Details column needs the decoded details"),
            RowError::ActionKind => f.write_str("a stored action kind is none the log knows"),
            RowError::Csv(error) => error.fmt(f),
        }
    }
}

impl From<csv::Error> for RowError {
    fn from(error: csv::Error) -> RowError {
        RowError::Csv(error)
    }
}

impl CsvChunks {
    /// A file: the BOM and the header row, in `locale`, first.
    pub fn new(columns: &[Column], locale: Locale) -> CsvChunks {
        let mut file = CsvChunks {
            writer: csv_writer(UTF8_BOM.to_vec()),
            columns: columns.to_vec(),
        };
        file.writer
            .write_record(header_row(columns, locale))
            .expect("writing to memory cannot fail");
        file
    }

    /// Rows only, for a part of a file whose start is written elsewhere, into a buffer of
    /// `capacity` bytes to begin with.
    pub fn rows_only(columns: &[Column], capacity: usize) -> CsvChunks {
        CsvChunks {
            writer: csv_writer(Vec::with_capacity(capacity)),
            columns: columns.to_vec(),
        }
    }

    /// Whether rows need their details decoded ([`CsvChunks::write`]'s `details`): only for
    /// the Details column; the file's last column is the stored JSON as it is.
    pub fn needs_details(&self) -> bool {
        self.columns.contains(&Column::Details)
    }

    /// One row, its cells written from the stored text as it lies (a million-row export makes
    /// no string per cell); `details` are its details decoded, needed only when
    /// [`CsvChunks::needs_details`].
    pub fn write(&mut self, row: &EventRowRef, details: Option<&ActionDetails>) -> Result<(), RowError> {
        let mut numbers = itoa::Buffer::new();
        let customer = row.customer();
        for column in &self.columns {
            match column {
                Column::Time => self
                    .writer
                    .write_field(csv_time(row.occurred_at).ok_or(RowError::Time)?)?,
                Column::Customer => text_field(&mut self.writer, customer.map_or("", |(_, name)| name))?,
                // The data as stored, whatever the header's language.
                Column::Action => text_field(&mut self.writer, row.action_text)?,
                Column::User => text_field(&mut self.writer, row.partner_user)?,
                Column::Details => {
                    text_field(&mut self.writer, &details.ok_or(RowError::NoDetails)?.summary())?
                }
                Column::EventId => text_field(&mut self.writer, row.event_id)?,
            }
        }
        match customer {
            Some((id, _)) => text_field(&mut self.writer, numbers.format(id))?,
            None => self.writer.write_field("")?,
        }
        if !self.columns.contains(&Column::EventId) {
            text_field(&mut self.writer, row.event_id)?;
        }
        ActionKind::parse(row.action_kind).ok_or(RowError::ActionKind)?;
        self.writer.write_field(row.action_kind)?;
        text_field(&mut self.writer, row.details)?;
        Ok(self.writer.write_record(None::<&[u8]>)?)
    }

    /// Bytes written and not yet taken (give or take the writer's own small buffer).
    pub fn buffered(&self) -> usize {
        self.writer.get_ref().len()
    }

    pub fn take(&mut self) -> Result<Vec<u8>, csv::Error> {
        // The next chunk starts as big as this one ended: no regrowing (and copying) it.
        let capacity = self.writer.get_ref().capacity();
        let full = std::mem::replace(&mut self.writer, csv_writer(Vec::with_capacity(capacity)));
        full.into_inner().map_err(|error| error.into_error().into())
    }
}

/// The whole file at once with every column, in English (for tests and tools).
pub fn write_activity_csv<'a>(
    entries: impl IntoIterator<Item = &'a ActivityEntry>,
) -> Result<Vec<u8>, RowError> {
    let mut file = CsvChunks::new(&Column::ALL, Locale::En);
    for entry in entries {
        write_entry(&mut file, entry)?;
    }
    Ok(file.take()?)
}

/// An entry as it would be read back from the database.
fn write_entry(file: &mut CsvChunks, entry: &ActivityEntry) -> Result<(), RowError> {
    let stored = StoredEntry {
        entry: entry.clone(),
        details_json: serde_json::to_string(&entry.details).unwrap_or_default(),
    };
    let time = crate::db::to_db_time(entry.occurred_at);
    file.write(&stored.as_row(&time), Some(&entry.details))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::events::sample_order;

    fn write_one(file: &mut CsvChunks, entry: &ActivityEntry) {
        write_entry(file, entry).unwrap();
    }

    fn text_of(entries: &[ActivityEntry]) -> String {
        let bytes = write_activity_csv(entries).unwrap();
        assert!(bytes.starts_with(UTF8_BOM), "file starts with the UTF-8 BOM");
        String::from_utf8(bytes[3..].to_vec()).unwrap()
    }

    #[test]
    fn header_and_rows_end_in_crlf() {
        let text = text_of(&[sample_order("Adatum")]);
        let lines: Vec<&str> = text.split("\r\n").collect();
        assert_eq!(
            lines[0],
            "Date-Time (UTC),Affected customer,Action,Partner user,Details,Event ID,Customer ID,Action kind,Details (JSON)"
        );
        assert!(lines[1].starts_with(
            "2026-11-02 08:05:09,Adatum,Ordered subscriptions,sales.agent@contoso.example,Order ORD-9"
        ));
        assert_eq!(lines[2], "", "the last record ends in CRLF too");
        assert!(!text.replace("\r\n", "").contains('\n'), "no bare LF");
    }

    #[test]
    fn commas_and_quotes_are_quoted_per_rfc_4180() {
        let text = text_of(&[sample_order("Litware, Inc."), sample_order("The \"Best\" Coffee")]);
        assert!(text.contains(",\"Litware, Inc.\","));
        assert!(text.contains(",\"The \"\"Best\"\" Coffee\","));
    }

    #[test]
    fn formulas_are_neutralised() {
        for evil in ["=SUM(A1:A9) Analytics", "+1", "-2+3", "@cmd", "\tx", "\rx", "\nx"] {
            assert_eq!(neutralise_formula(evil), format!("'{evil}"));
        }
        assert_eq!(neutralise_formula("Adatum"), "Adatum");
        let text = text_of(&[sample_order("=SUM(A1:A9) Analytics")]);
        assert!(text.contains(",'=SUM(A1:A9) Analytics,"));
    }

    #[test]
    fn korean_names_are_written_as_utf8() {
        let bytes = write_activity_csv(&[sample_order("주식회사 한빛소프트")]).unwrap();
        let text = std::str::from_utf8(&bytes).unwrap();
        assert!(text.contains(",주식회사 한빛소프트,"));
    }

    #[test]
    fn the_file_has_the_chosen_columns_headed_in_the_chosen_language() {
        let mut file = CsvChunks::new(&[Column::Customer, Column::Time], Locale::Ko);
        write_one(&mut file, &sample_order("Adatum"));
        let text = String::from_utf8(file.take().unwrap()[3..].to_vec()).unwrap();
        let lines: Vec<&str> = text.split("\r\n").collect();
        assert_eq!(
            lines[0],
            "영향을 받은 고객,날짜/시간 (UTC),Customer ID,Event ID,Action kind,Details (JSON)"
        );
        assert!(lines[1].starts_with("Adatum,2026-11-02 08:05:09,3,crm-000042,ordered_subscriptions,"));
        let mut english = CsvChunks::new(&Column::DEFAULT, Locale::En);
        write_one(&mut english, &sample_order("Adatum"));
        let text = String::from_utf8(english.take().unwrap()[3..].to_vec()).unwrap();
        assert!(text.starts_with(
            "Date-Time (UTC),Affected customer,Action,Partner user,Customer ID,Event ID,Action kind,Details (JSON)\r\n"
        ));
    }

    #[test]
    fn times_are_written_as_the_format_says() {
        use chrono::TimeZone;
        for time in [
            chrono::Utc.with_ymd_and_hms(2026, 11, 2, 8, 5, 9).unwrap(),
            chrono::Utc.with_ymd_and_hms(999, 1, 31, 23, 59, 59).unwrap(),
            chrono::Utc.with_ymd_and_hms(9999, 12, 31, 0, 0, 0).unwrap(),
        ] {
            let from_stored = csv_time(&crate::db::to_db_time(time)).unwrap();
            assert_eq!(
                std::str::from_utf8(&from_stored).unwrap(),
                time.format(CSV_TIME_FORMAT).to_string()
            );
        }
        for odd in [
            "",
            "2026-11-02 08:05:09",
            "2026-11-02T08:05:09+00:00",
            "2026-11-02T08:05:0xZ",
            "2026-11-02T08:05:09Z ",
        ] {
            assert_eq!(csv_time(odd), None, "{odd:?}");
        }
    }

    #[test]
    fn the_details_column_needs_the_details() {
        let entry = sample_order("Adatum");
        let time = crate::db::to_db_time(entry.occurred_at);
        let stored = StoredEntry {
            details_json: serde_json::to_string(&entry.details).unwrap(),
            entry,
        };
        let mut without = CsvChunks::rows_only(&Column::DEFAULT, 0);
        assert!(!without.needs_details());
        without.write(&stored.as_row(&time), None).unwrap();
        let mut with = CsvChunks::rows_only(&[Column::Details], 0);
        assert!(with.needs_details());
        assert!(matches!(
            with.write(&stored.as_row(&time), None),
            Err(RowError::NoDetails)
        ));
    }

    #[test]
    fn details_list_every_product() {
        let text = text_of(&[sample_order("Adatum")]);
        assert!(
            text.contains("Microsoft 365 E3 × 10 (subscription s-1); Power BI Pro × 2 (subscription s-2)")
        );
    }
}
