//! Writing the export's file (CSV or JSON lines) and handing it to the response in bounded
//! chunks, each send bounded by the send timeout.

use axum::body::Bytes;
use tokio::sync::mpsc;

use crate::activity::csv_file::CsvChunks;
use crate::activity::store::StoredEntry;
use crate::errors::AppError;
use crate::events::ActionDetails;
use crate::ids::CustomerId;

use super::request::{ExportFormat, ExportRequest};
use super::slices::Slices;

/// Chunks of about this size are handed to the response.
const CHUNK_BYTES: usize = 64 * 1024;
/// Chunks waiting for a slow client: the bound on the server's memory per export.
pub(super) const CHUNKS_IN_FLIGHT: usize = 4;

/// What the response body is sent: file bytes, then `End` once the file is whole. A body
/// whose channel closes without `End` was cut short, and says so with an error, so a client
/// never mistakes part of a file for all of it.
pub(super) enum Piece {
    Bytes(Bytes),
    End,
}

/// Why writing a file stopped before its end.
pub(super) enum Stop {
    ClientGone,
    /// No chunk was taken for the whole send timeout.
    ClientStalled,
    Failed(AppError),
}

/// The file on its way to the client: rows are written into it and handed over in chunks of
/// about [`CHUNK_BYTES`], each send bounded by the send timeout.
struct Outgoing<'a> {
    file: FileWriter,
    pieces: &'a mpsc::Sender<Piece>,
    send_timeout: std::time::Duration,
}

impl Outgoing<'_> {
    async fn write(&mut self, entry: &StoredEntry) -> Result<(), Stop> {
        self.file.write(entry).map_err(|error| {
            tracing::error!(%error, "writing the export failed");
            Stop::Failed(AppError::Internal)
        })?;
        if self.file.buffered() >= CHUNK_BYTES {
            self.flush().await?;
        }
        Ok(())
    }

    async fn flush(&mut self) -> Result<(), Stop> {
        let bytes = self.file.take().map_err(|_| Stop::Failed(AppError::Internal))?;
        self.send(Piece::Bytes(bytes)).await
    }

    /// Sends what is left, then says the file is whole.
    async fn finish(mut self) -> Result<(), Stop> {
        self.flush().await?;
        self.send(Piece::End).await
    }

    async fn send(&self, piece: Piece) -> Result<(), Stop> {
        match tokio::time::timeout(self.send_timeout, self.pieces.send(piece)).await {
            Ok(Ok(())) => Ok(()),
            Ok(Err(_)) => Err(Stop::ClientGone),
            Err(_) => Err(Stop::ClientStalled),
        }
    }
}

/// Writes the rows (from `sorted` when given, else slice by slice) and sends them in chunks.
pub(super) async fn write_file(
    mut slices: Slices,
    sorted: Option<Vec<StoredEntry>>,
    request: &ExportRequest,
    pieces: &mpsc::Sender<Piece>,
    send_timeout: std::time::Duration,
) -> Result<(), Stop> {
    let mut out = Outgoing {
        file: FileWriter::new(request),
        pieces,
        send_timeout,
    };
    if let Some(entries) = sorted {
        for entry in &entries {
            out.write(entry).await?;
        }
    } else {
        while let Some(matching) = slices.next_matching().await.map_err(Stop::Failed)? {
            for entry in &matching {
                out.write(entry).await?;
            }
        }
    }
    out.finish().await
}

/// The file being written: CSV, or one JSON object per line.
enum FileWriter {
    Csv(CsvChunks),
    Ndjson(Vec<u8>),
}

/// One line of the JSON export: every stored field of the event, plus the customer's name.
/// Without `customer_name` it is exactly what `POST /api/v1/events` and `server import` take.
#[derive(serde::Serialize)]
struct JsonLine<'a> {
    id: &'a str,
    occurred_at: String,
    customer_id: Option<CustomerId>,
    customer_name: Option<&'a str>,
    partner_user: &'a str,
    action: &'a str,
    action_text: &'a str,
    details: &'a ActionDetails,
}

impl FileWriter {
    fn new(request: &ExportRequest) -> FileWriter {
        match request.format {
            ExportFormat::Csv => FileWriter::Csv(CsvChunks::new(&request.columns, request.locale)),
            ExportFormat::Ndjson => FileWriter::Ndjson(Vec::new()),
        }
    }

    fn write(&mut self, stored: &StoredEntry) -> Result<(), String> {
        let entry = &stored.entry;
        match self {
            FileWriter::Csv(csv) => csv
                .write(entry, &stored.details_json)
                .map_err(|error| error.to_string()),
            FileWriter::Ndjson(buffer) => {
                let line = JsonLine {
                    id: &entry.event_id,
                    occurred_at: entry
                        .occurred_at
                        .to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
                    customer_id: entry.customer.as_ref().map(|customer| customer.id),
                    customer_name: entry
                        .customer
                        .as_ref()
                        .map(|customer| customer.company_name.as_str()),
                    partner_user: &entry.partner_user,
                    action: entry.action.as_str(),
                    action_text: &entry.action_text,
                    details: &entry.details,
                };
                serde_json::to_writer(&mut *buffer, &line).map_err(|error| error.to_string())?;
                buffer.push(b'\n');
                Ok(())
            }
        }
    }

    fn buffered(&self) -> usize {
        match self {
            FileWriter::Csv(csv) => csv.buffered(),
            FileWriter::Ndjson(buffer) => buffer.len(),
        }
    }

    fn take(&mut self) -> Result<Bytes, std::io::Error> {
        match self {
            FileWriter::Csv(csv) => csv.take().map(Bytes::from).map_err(std::io::Error::other),
            FileWriter::Ndjson(buffer) => Ok(Bytes::from(std::mem::take(buffer))),
        }
    }
}
