//! The exported file: UTF-8 with a BOM (so Excel reads Korean names right), CRLF line ends,
//! RFC 4180 quoting, and spreadsheet formulas neutralised (OWASP CSV injection).

use std::borrow::Cow;

use super::model::ActivityEntry;

/// The first seven columns are for people; the last two let `server import` read the file
/// back exactly (the action kind and the details as JSON).
pub const CSV_HEADER: [&str; 9] = [
    "Date-Time (UTC)",
    "Affected customer",
    "Action",
    "Partner user",
    "Customer ID",
    "Details",
    "Event ID",
    "Action kind",
    "Details (JSON)",
];

/// How the Date-Time column is written (UTC).
pub const CSV_TIME_FORMAT: &str = "%Y-%m-%d %H:%M:%S";

const UTF8_BOM: &[u8] = b"\xEF\xBB\xBF";

/// A cell a spreadsheet would run as a formula gets a leading `'`, which shows it as text.
pub fn neutralise_formula(cell: &str) -> Cow<'_, str> {
    match cell.chars().next() {
        Some('=' | '+' | '-' | '@' | '\t' | '\r' | '\n') => Cow::Owned(format!("'{cell}")),
        _ => Cow::Borrowed(cell),
    }
}

/// The file in pieces: the BOM and header first, then rows as they are written; `take`
/// hands over what is written so far. The export streams these pieces.
pub struct CsvChunks {
    writer: csv::Writer<Vec<u8>>,
}

fn csv_writer(buffer: Vec<u8>) -> csv::Writer<Vec<u8>> {
    csv::WriterBuilder::new()
        .terminator(csv::Terminator::CRLF)
        .quote_style(csv::QuoteStyle::Necessary)
        .has_headers(false)
        .from_writer(buffer)
}

impl CsvChunks {
    pub fn new() -> CsvChunks {
        let mut writer = csv_writer(UTF8_BOM.to_vec());
        writer
            .write_record(CSV_HEADER)
            .expect("writing to memory cannot fail");
        CsvChunks { writer }
    }

    pub fn write(&mut self, entry: &ActivityEntry) -> Result<(), csv::Error> {
        let customer_id = entry
            .customer
            .as_ref()
            .map(|customer| customer.id.to_string())
            .unwrap_or_default();
        let cells = [
            entry.occurred_at.format(CSV_TIME_FORMAT).to_string(),
            entry.customer_name().to_string(),
            entry.action_text.clone(),
            entry.partner_user.clone(),
            customer_id,
            entry.details.summary(),
            entry.event_id.clone(),
            entry.action.as_str().to_string(),
            serde_json::to_string(&entry.details).unwrap_or_default(),
        ];
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

impl Default for CsvChunks {
    fn default() -> Self {
        CsvChunks::new()
    }
}

/// The whole file at once (for tests and small exports).
pub fn write_activity_csv<'a>(
    entries: impl IntoIterator<Item = &'a ActivityEntry>,
) -> Result<Vec<u8>, csv::Error> {
    let mut file = CsvChunks::new();
    for entry in entries {
        file.write(entry)?;
    }
    file.take()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::activity::model::sample_order;

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
            "Date-Time (UTC),Affected customer,Action,Partner user,Customer ID,Details,Event ID,Action kind,Details (JSON)"
        );
        assert!(
            lines[1].starts_with(
                "2026-11-02 08:05:09,Adatum,Ordered subscriptions,sales.agent@contoso.example,3,"
            )
        );
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
    fn details_list_every_product() {
        let text = text_of(&[sample_order("Adatum")]);
        assert!(
            text.contains("Microsoft 365 E3 × 10 (subscription s-1); Power BI Pro × 2 (subscription s-2)")
        );
    }
}
