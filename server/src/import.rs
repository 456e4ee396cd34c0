//! `server import FILE`: events from an NDJSON file (one ingest event per line) or a CSV in
//! the export's own format, checked line by line like the ingest endpoint, and appended to
//! the partner's chain in batches. Refused lines are reported by line number; the rest are
//! stored, and lines already stored are counted as duplicates.

use std::path::Path;

use app::activity::server::export::csv::{
    CSV_TIME_FORMAT, EVENT_ID_HEADER, MACHINE_COLUMNS, csv_header, restore_formula,
};
use app::activity::view::Column;
use app::db::Db;
use app::events::NewEvent;
use app::i18n::Locale;
use app::ids::{CustomerId, PartnerId};
use app::ingest::MAX_BATCH_EVENTS;
use app::ingest::event::{IncomingEvent, PartnerDirectory};
use app::integrity::chain::{AppendError, append_batch};
use chrono::{NaiveDateTime, Utc};
use indicatif::{ProgressBar, ProgressStyle};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ImportFormat {
    Ndjson,
    Csv,
}

impl ImportFormat {
    /// `.csv` is CSV; `.ndjson`, `.jsonl` and `.json` are NDJSON.
    pub fn from_path(path: &Path) -> Option<ImportFormat> {
        match path.extension()?.to_str()?.to_ascii_lowercase().as_str() {
            "csv" => Some(ImportFormat::Csv),
            "ndjson" | "jsonl" | "json" => Some(ImportFormat::Ndjson),
            _ => None,
        }
    }
}

#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct ImportSummary {
    pub read: usize,
    pub stored: usize,
    pub duplicates: usize,
    /// (line number, why), in line order.
    pub rejected: Vec<(usize, String)>,
}

impl std::fmt::Display for ImportSummary {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        writeln!(
            f,
            "read {} · stored {} · duplicates {} · rejected {}",
            self.read,
            self.stored,
            self.duplicates,
            self.rejected.len()
        )?;
        const SHOWN: usize = 20;
        for (line, why) in self.rejected.iter().take(SHOWN) {
            writeln!(f, "  line {line}: {why}")?;
        }
        if self.rejected.len() > SHOWN {
            writeln!(f, "  … and {} more", self.rejected.len() - SHOWN)?;
        }
        Ok(())
    }
}

#[derive(Debug, thiserror::Error)]
pub enum ImportError {
    #[error("cannot read {path}: {source}")]
    Read { path: String, source: std::io::Error },
    #[error("{0}")]
    Format(String),
    #[error(transparent)]
    Database(#[from] sqlx::Error),
}

/// Reads `path` whole, then stores its events for `partner_id`.
pub async fn import_file(
    pool: &Db,
    partner_id: PartnerId,
    path: &Path,
    format: ImportFormat,
    show_progress: bool,
) -> Result<ImportSummary, ImportError> {
    let bytes = std::fs::read(path).map_err(|source| ImportError::Read {
        path: path.display().to_string(),
        source,
    })?;
    let (lines, mut rejected) = match format {
        ImportFormat::Ndjson => read_ndjson(&bytes),
        ImportFormat::Csv => read_csv(&bytes)?,
    };
    let read = lines.len() + rejected.len();
    let directory = PartnerDirectory::load(pool, partner_id).await?;
    let now = Utc::now();
    let mut resolved: Vec<(usize, NewEvent)> = Vec::with_capacity(lines.len());
    for (line, incoming) in &lines {
        match directory.resolve(incoming, now) {
            Ok(event) => resolved.push((*line, event)),
            Err(problem) => rejected.push((*line, format!("{}: {}", problem.field, problem.message))),
        }
    }
    let mut summary = ImportSummary {
        read,
        ..ImportSummary::default()
    };
    let progress = if show_progress {
        ProgressBar::new(resolved.len() as u64)
    } else {
        ProgressBar::hidden()
    };
    progress.set_style(
        ProgressStyle::with_template("{bar:40} {pos}/{len} events · {per_sec} · {eta} left")
            .unwrap_or_else(|_| ProgressStyle::default_bar()),
    );
    for batch in resolved.chunks(MAX_BATCH_EVENTS) {
        let mut batch: Vec<&(usize, NewEvent)> = batch.iter().collect();
        // An id already stored with other content refuses its line; the batch goes again
        // without it.
        loop {
            let events: Vec<NewEvent> = batch.iter().map(|(_, event)| event.clone()).collect();
            match append_batch(pool, partner_id, &events).await {
                Ok(stored) => {
                    summary.stored += stored.stored;
                    summary.duplicates += stored.duplicates;
                    break;
                }
                Err(AppendError::Conflict { index, external_id }) => {
                    let (line, _) = batch.remove(index);
                    rejected.push((
                        *line,
                        format!("id: {external_id:?} was already stored with different content"),
                    ));
                }
                Err(AppendError::Database(error)) => return Err(error.into()),
            }
        }
        progress.inc(batch.len() as u64);
    }
    progress.finish_and_clear();
    rejected.sort_by_key(|(line, _)| *line);
    summary.rejected = rejected;
    Ok(summary)
}

type Lines = (Vec<(usize, IncomingEvent)>, Vec<(usize, String)>);

fn read_ndjson(bytes: &[u8]) -> Lines {
    let text = String::from_utf8_lossy(bytes);
    let mut events = Vec::new();
    let mut rejected = Vec::new();
    for (index, line) in text.lines().enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        // The JSON export also names the customer, for people reading it; the id is enough here.
        let event = serde_json::from_str::<serde_json::Value>(line).and_then(|mut value| {
            if let Some(fields) = value.as_object_mut() {
                fields.remove("customer_name");
            }
            serde_json::from_value::<IncomingEvent>(value)
        });
        match event {
            Ok(event) => events.push((index + 1, event)),
            Err(error) => rejected.push((index + 1, format!("not an event: {error}"))),
        }
    }
    (events, rejected)
}

/// The export's CSV. Rows are newest first there; they are stored oldest first, as the
/// chain was built, with ties kept in the order they were exported from.
fn read_csv(bytes: &[u8]) -> Result<Lines, ImportError> {
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    let mut reader = csv::ReaderBuilder::new().has_headers(true).from_reader(bytes);
    let headers = reader
        .headers()
        .map_err(|error| ImportError::Format(format!("the CSV header can't be read: {error}")))?
        .clone();
    // A chosen column's header is in the exporter's language; the machine columns are English.
    let column = |names: &[&str]| {
        headers
            .iter()
            .position(|header| names.contains(&header))
            .ok_or_else(|| {
                ImportError::Format(format!(
                    "the CSV has no {:?} column; export the log with the Date-Time, Action and \
                     Partner user columns shown (the export adds {}, {EVENT_ID_HEADER} itself)",
                    names[0],
                    MACHINE_COLUMNS.join(", ")
                ))
            })
    };
    // A file exported in any language reads back.
    let shown = |column_kind: Column| Locale::ALL.map(|locale| csv_header(column_kind, locale));
    let (time, customer, action, user, event_id, kind, details) = (
        column(&shown(Column::Time))?,
        column(&[MACHINE_COLUMNS[0]])?,
        column(&shown(Column::Action))?,
        column(&shown(Column::User))?,
        column(&[EVENT_ID_HEADER])?,
        column(&[MACHINE_COLUMNS[1]])?,
        column(&[MACHINE_COLUMNS[2]])?,
    );
    let mut events = Vec::new();
    let mut rejected = Vec::new();
    for record in reader.records() {
        let record = match record {
            Ok(record) => record,
            Err(error) => {
                let line = error.position().map_or(0, |position| position.line() as usize);
                rejected.push((line, format!("not a CSV record: {error}")));
                continue;
            }
        };
        let line = record.position().map_or(0, |position| position.line() as usize);
        let cell = |index: usize| record.get(index).unwrap_or_default();
        let parsed = (|| {
            let occurred_at = NaiveDateTime::parse_from_str(cell(time), CSV_TIME_FORMAT)
                .map_err(|_| format!("Date-Time (UTC): {:?} is not YYYY-MM-DD HH:MM:SS", cell(time)))?
                .and_utc();
            let customer_id = match cell(customer) {
                "" => None,
                id => Some(
                    id.parse::<i64>()
                        .map(CustomerId)
                        .map_err(|_| format!("Customer ID: {id:?} is not a number"))?,
                ),
            };
            let details = serde_json::from_str(cell(details))
                .map_err(|error| format!("Details (JSON): not JSON: {error}"))?;
            Ok::<_, String>(IncomingEvent {
                id: restore_formula(cell(event_id)),
                occurred_at: occurred_at.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
                customer_id,
                partner_user: restore_formula(cell(user)),
                action: cell(kind).to_string(),
                action_text: Some(restore_formula(cell(action))),
                details,
            })
        })();
        match parsed {
            Ok(event) => events.push((line, event)),
            Err(why) => rejected.push((line, why)),
        }
    }
    events.reverse();
    events.sort_by(|(_, a), (_, b)| a.occurred_at.cmp(&b.occurred_at));
    Ok((events, rejected))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_are_known_by_extension() {
        assert_eq!(
            ImportFormat::from_path(Path::new("a.CSV")),
            Some(ImportFormat::Csv)
        );
        assert_eq!(
            ImportFormat::from_path(Path::new("a.ndjson")),
            Some(ImportFormat::Ndjson)
        );
        assert_eq!(ImportFormat::from_path(Path::new("a.txt")), None);
    }

    #[test]
    fn bad_ndjson_lines_are_reported_by_number() {
        let (events, rejected) = read_ndjson(
            b"{\"id\":\"a\",\"occurred_at\":\"2026-11-20T09:15:00Z\",\"partner_user\":\"x\",\"action\":\"y\",\"details\":{}}\n\nnot json\n",
        );
        assert_eq!(events.len(), 1);
        assert_eq!(events[0].0, 1);
        assert_eq!(rejected.len(), 1);
        assert_eq!(rejected[0].0, 3);
    }

    #[test]
    fn a_csv_without_the_machine_columns_is_refused_with_the_expected_header() {
        let error = read_csv(b"Date-Time (UTC),Action\r\n").unwrap_err();
        assert!(error.to_string().contains("no \"Customer ID\" column"), "{error}");
    }

    #[test]
    fn neutralised_formulas_are_restored() {
        assert_eq!(restore_formula("'=SUM(A1)"), "=SUM(A1)");
        assert_eq!(restore_formula("'plain"), "'plain");
        assert_eq!(restore_formula("plain"), "plain");
    }

    /// Values that start like formulas (or with the `'` that escapes them), in any mix.
    fn tricky_text() -> impl proptest::strategy::Strategy<Value = String> {
        use proptest::prelude::*;
        let start = prop::sample::select(vec![
            "", "=", "+", "-", "@", "\t", "\r", "'", "''", "'=", "＝", "＋", "－", "＠", "한빛", " ", "\"",
        ]);
        (start.clone(), start, "[ -~가-힣\t\r\n'＝＋－＠]{0,12}")
            .prop_map(|(a, b, rest)| format!("{a}{b}{rest}"))
            .prop_filter("an event id or user is never empty", |text| {
                !text.trim().is_empty()
            })
    }

    proptest::proptest! {
        #[test]
        fn an_exported_csv_imports_back_exactly(
            event_id in tricky_text(),
            user in tricky_text(),
            action_text in tricky_text(),
        ) {
            use app::activity::server::export::csv::write_activity_csv;
            use app::events::{ActionDetails, ActionKind, ActivityEntry};
            let entry = ActivityEntry {
                id: app::ids::EventId(1),
                event_id: event_id.clone(),
                occurred_at: chrono::DateTime::from_timestamp(1_790_000_000, 0).unwrap(),
                customer: None,
                action: ActionKind::ResetUserPassword,
                action_text: action_text.clone(),
                partner_user: user.clone(),
                details: ActionDetails::PasswordReset { user_principal_name: "=x@y".into() },
            };
            let file = write_activity_csv([&entry]).unwrap();
            let (events, rejected) = read_csv(&file).unwrap();
            proptest::prop_assert!(rejected.is_empty(), "{rejected:?}");
            let event = &events[0].1;
            proptest::prop_assert_eq!(&event.id, &event_id);
            proptest::prop_assert_eq!(&event.partner_user, &user);
            proptest::prop_assert_eq!(event.action_text.as_deref(), Some(action_text.as_str()));
        }
    }
}
