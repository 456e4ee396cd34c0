//! The export's file (CSV or JSON lines), or a part of it, written row by row from the
//! stored rows.

use axum::body::Bytes;

use super::csv::{CsvChunks, csv_time};
use crate::activity::view::Column;
use crate::errors::AppError;
use crate::event_table::EventRowRef;
use crate::events::ActionDetails;
use crate::integrity::model::LineProof;

use super::request::ExportRequest;
use crate::activity::wire::ExportFormat;

/// The file being written (or a part of it): CSV, or one JSON object per line. One lives per
/// slice being written (three at once), never in a collection, so its size is no concern.
#[allow(clippy::large_enum_variant)]
pub(super) enum FileWriter {
    Csv(CsvChunks),
    Ndjson(Vec<u8>),
}

/// One line of the JSON export: every stored field of the event, plus the customer's name.
/// Without `customer_name` it is exactly what `POST /api/v1/events` and `server import` take.
#[derive(serde::Serialize)]
struct JsonLine<'a> {
    id: &'a str,
    /// As stored, which is RFC 3339 in UTC to the second.
    occurred_at: &'a str,
    customer_id: Option<i64>,
    customer_name: Option<&'a str>,
    partner_user: &'a str,
    action: &'a str,
    action_text: &'a str,
    details: &'a ActionDetails,
    /// In an export with proofs, the event's inclusion proof (`export::proofs`).
    #[serde(skip_serializing_if = "Option::is_none")]
    proof: Option<&'a LineProof>,
}

impl FileWriter {
    /// The file from its start: for CSV the BOM and the header.
    pub(super) fn start(request: &ExportRequest) -> FileWriter {
        match request.format {
            ExportFormat::Csv => FileWriter::Csv(CsvChunks::new(&request.columns, request.locale)),
            // The Excel file is written by `xlsx`; this one is never filled.
            ExportFormat::Ndjson | ExportFormat::Xlsx => FileWriter::Ndjson(Vec::new()),
        }
    }

    /// Rows only: a part of the file after its start, `capacity` bytes to begin with.
    pub(super) fn rows_only(format: ExportFormat, columns: &[Column], capacity: usize) -> FileWriter {
        match format {
            ExportFormat::Csv => FileWriter::Csv(CsvChunks::rows_only(columns, capacity)),
            ExportFormat::Ndjson | ExportFormat::Xlsx => FileWriter::Ndjson(Vec::with_capacity(capacity)),
        }
    }

    /// Whether [`FileWriter::write`] needs the row's details decoded.
    pub(super) fn needs_details(&self) -> bool {
        match self {
            FileWriter::Csv(csv) => csv.needs_details(),
            FileWriter::Ndjson(_) => true,
        }
    }

    /// One row; `details` decoded when [`FileWriter::needs_details`]. A row that can't be
    /// written is logged and fails the export (the file is cut short, and says so).
    pub(super) fn write(
        &mut self,
        row: &EventRowRef,
        details: Option<&ActionDetails>,
    ) -> Result<(), AppError> {
        self.write_proved(row, details, None)
    }

    /// [`FileWriter::write`], the JSON line carrying `proof` (a CSV row has no room for it).
    pub(super) fn write_proved(
        &mut self,
        row: &EventRowRef,
        details: Option<&ActionDetails>,
        proof: Option<&LineProof>,
    ) -> Result<(), AppError> {
        let written = match self {
            FileWriter::Csv(csv) => csv.write(row, details).map_err(|error| error.to_string()),
            FileWriter::Ndjson(buffer) => write_json_line(buffer, row, details, proof),
        };
        written.map_err(|error| {
            tracing::error!(event_id = row.id, %error, "writing the export failed");
            AppError::Internal
        })
    }

    /// A line written whole (the first line of an export with proofs).
    pub(super) fn push_line(&mut self, line: &[u8]) {
        if let FileWriter::Ndjson(buffer) = self {
            buffer.extend_from_slice(line);
        }
    }

    pub(super) fn buffered(&self) -> usize {
        match self {
            FileWriter::Csv(csv) => csv.buffered(),
            FileWriter::Ndjson(buffer) => buffer.len(),
        }
    }

    pub(super) fn take(&mut self) -> Result<Bytes, AppError> {
        match self {
            FileWriter::Csv(csv) => csv.take().map(Bytes::from).map_err(|error| {
                tracing::error!(%error, "writing the export failed");
                AppError::Internal
            }),
            FileWriter::Ndjson(buffer) => Ok(Bytes::from(std::mem::take(buffer))),
        }
    }
}

fn write_json_line(
    buffer: &mut Vec<u8>,
    row: &EventRowRef,
    details: Option<&ActionDetails>,
    proof: Option<&LineProof>,
) -> Result<(), String> {
    if csv_time(row.occurred_at).is_none() {
        return Err("a stored time is not in the stored format".into());
    }
    let line = JsonLine {
        id: row.event_id,
        occurred_at: row.occurred_at,
        customer_id: row.customer().map(|(id, _)| id),
        customer_name: row.customer().map(|(_, name)| name),
        partner_user: row.partner_user,
        action: row.action_kind,
        action_text: row.action_text,
        details: details.ok_or("the JSON lines need the decoded details")?,
        proof,
    };
    serde_json::to_writer(&mut *buffer, &line).map_err(|error| error.to_string())?;
    buffer.push(b'\n');
    Ok(())
}
