//! The exported file: UTF-8 with a BOM (so Excel reads Korean names right), CRLF line ends,
//! RFC 4180 quoting, and spreadsheet formulas neutralised (OWASP CSV injection).

use std::borrow::Cow;

use super::view_state::Column;
use crate::events::ActivityEntry;
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

/// How the Date-Time column is written (UTC).
pub const CSV_TIME_FORMAT: &str = "%Y-%m-%d %H:%M:%S";

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

impl CsvChunks {
    pub fn new(columns: &[Column], locale: Locale) -> CsvChunks {
        let mut writer = csv_writer(UTF8_BOM.to_vec());
        writer
            .write_record(header_row(columns, locale))
            .expect("writing to memory cannot fail");
        CsvChunks {
            writer,
            columns: columns.to_vec(),
        }
    }

    pub fn write(&mut self, entry: &ActivityEntry) -> Result<(), csv::Error> {
        let customer_id = entry
            .customer
            .as_ref()
            .map(|customer| customer.id.to_string())
            .unwrap_or_default();
        let mut cells: Vec<String> = self
            .columns
            .iter()
            .map(|column| match column {
                Column::Time => entry.occurred_at.format(CSV_TIME_FORMAT).to_string(),
                Column::Customer => entry.customer_name().to_string(),
                // The data as stored, whatever the header's language.
                Column::Action => entry.action_text.clone(),
                Column::User => entry.partner_user.clone(),
                Column::Details => entry.details.summary(),
                Column::EventId => entry.event_id.clone(),
            })
            .collect();
        cells.push(customer_id);
        if !self.columns.contains(&Column::EventId) {
            cells.push(entry.event_id.clone());
        }
        cells.push(entry.action.as_str().to_string());
        cells.push(serde_json::to_string(&entry.details).unwrap_or_default());
        self.writer
            .write_record(cells.iter().map(|cell| neutralise_formula(cell).into_owned()))
    }

    /// Bytes written and not yet taken (give or take the writer's own small buffer).
    pub fn buffered(&self) -> usize {
        self.writer.get_ref().len()
    }

    pub fn take(&mut self) -> Result<Vec<u8>, csv::Error> {
        let full = std::mem::replace(&mut self.writer, csv_writer(Vec::new()));
        full.into_inner().map_err(|error| error.into_error().into())
    }
}

/// The whole file at once with every column, in English (for tests and tools).
pub fn write_activity_csv<'a>(
    entries: impl IntoIterator<Item = &'a ActivityEntry>,
) -> Result<Vec<u8>, csv::Error> {
    let mut file = CsvChunks::new(&Column::ALL, Locale::En);
    for entry in entries {
        file.write(entry)?;
    }
    file.take()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::events::sample_order;

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
        file.write(&sample_order("Adatum")).unwrap();
        let text = String::from_utf8(file.take().unwrap()[3..].to_vec()).unwrap();
        let lines: Vec<&str> = text.split("\r\n").collect();
        assert_eq!(
            lines[0],
            "영향을 받은 고객,날짜/시간 (UTC),Customer ID,Event ID,Action kind,Details (JSON)"
        );
        assert!(lines[1].starts_with("Adatum,2026-11-02 08:05:09,3,crm-000042,ordered_subscriptions,"));
        let mut english = CsvChunks::new(&Column::DEFAULT, Locale::En);
        english.write(&sample_order("Adatum")).unwrap();
        let text = String::from_utf8(english.take().unwrap()[3..].to_vec()).unwrap();
        assert!(text.starts_with(
            "Date-Time (UTC),Affected customer,Action,Partner user,Customer ID,Event ID,Action kind,Details (JSON)\r\n"
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
