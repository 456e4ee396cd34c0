//! Writing the export's file (CSV, JSON lines or Excel) and handing it to the response in
//! bounded chunks, each send bounded by the send timeout.

use axum::body::Bytes;
use tokio::sync::mpsc;

use crate::db::to_db_time;
use crate::errors::AppError;
use crate::event_table::StoredEntry;

use std::collections::HashMap;

use crate::integrity::model::LineProof;

use super::file::FileWriter;
use super::proofs::LineProofs;
use super::request::ExportRequest;
use super::slices::{Pages, Slices};
use super::xlsx;
use crate::activity::wire::ExportFormat;

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
    async fn write(&mut self, stored: &StoredEntry, proof: Option<&LineProof>) -> Result<(), Stop> {
        let time = to_db_time(stored.entry.occurred_at);
        self.file
            .write_proved(&stored.as_row(&time), Some(&stored.entry.details), proof)
            .map_err(Stop::Failed)?;
        if self.file.buffered() >= CHUNK_BYTES {
            self.flush().await?;
        }
        Ok(())
    }

    /// `entries` in order, each with its proof when `proofs` are asked for.
    async fn write_all(&mut self, entries: &[StoredEntry], proofs: Option<&LineProofs>) -> Result<(), Stop> {
        let proved = match proofs {
            Some(proofs) => proofs.of(entries).await.map_err(Stop::Failed)?,
            None => HashMap::new(),
        };
        for entry in entries {
            self.write(entry, proved.get(&entry.entry.id.0)).await?;
        }
        Ok(())
    }

    async fn flush(&mut self) -> Result<(), Stop> {
        let bytes = self.file.take().map_err(Stop::Failed)?;
        if bytes.is_empty() {
            return Ok(());
        }
        self.send(Piece::Bytes(bytes)).await
    }

    /// Sends what is left, then says the file is whole.
    async fn finish(mut self) -> Result<(), Stop> {
        self.flush().await?;
        self.send(Piece::End).await
    }

    async fn send(&self, piece: Piece) -> Result<(), Stop> {
        send(self.pieces, self.send_timeout, piece).await
    }
}

/// Hands `piece` to the response, waiting at most `send_timeout` for the client to take it.
async fn send(
    pieces: &mpsc::Sender<Piece>,
    send_timeout: std::time::Duration,
    piece: Piece,
) -> Result<(), Stop> {
    match tokio::time::timeout(send_timeout, pieces.send(piece)).await {
        Ok(Ok(())) => Ok(()),
        Ok(Err(_)) => Err(Stop::ClientGone),
        Err(_) => Err(Stop::ClientStalled),
    }
}

/// Where the file's rows come from.
pub(super) enum Rows {
    /// Written slice by slice as they are read, already in the file's format.
    Slices(Slices),
    /// Every row, sorted in memory.
    Sorted(Vec<StoredEntry>),
    /// Entries a page at a time, in order (the Excel file, written by one thread).
    Pages(Pages),
}

/// Entries proved per statement group in an export with proofs (a sorted export's rows in
/// memory are proved this many at a time, as a page is).
const PROVED_AT_ONCE: usize = 2_000;

/// Writes the file's start, then its rows, and sends them in chunks; with `proofs`, the
/// checkpoint's line first and each event's proof on its line (`Pages` or `Sorted` rows).
pub(super) async fn write_file(
    rows: Rows,
    request: &ExportRequest,
    proofs: Option<LineProofs>,
    pieces: &mpsc::Sender<Piece>,
    send_timeout: std::time::Duration,
) -> Result<(), Stop> {
    if request.format == ExportFormat::Xlsx {
        return write_workbook(rows, request, pieces, send_timeout).await;
    }
    let mut out = Outgoing {
        file: FileWriter::start(request),
        pieces,
        send_timeout,
    };
    if let Some(proofs) = &proofs {
        out.file.push_line(&proofs.header_line());
    }
    match rows {
        Rows::Pages(mut pages) => {
            while let Some(page) = pages.next_page().await.map_err(Stop::Failed)? {
                out.write_all(&page, proofs.as_ref()).await?;
            }
        }
        Rows::Sorted(entries) => {
            for some in entries.chunks(PROVED_AT_ONCE) {
                out.write_all(some, proofs.as_ref()).await?;
            }
        }
        Rows::Slices(mut slices) => {
            out.flush().await?;
            while let Some(mut part) = slices.next_part().await.map_err(Stop::Failed)? {
                // Handed over in chunks (views of the slice's one buffer): a stalled client is
                // noticed within a chunk, and the chunks waiting hold at most this slice.
                while !part.is_empty() {
                    let chunk = part.split_to(part.len().min(CHUNK_BYTES));
                    out.send(Piece::Bytes(chunk)).await?;
                }
            }
        }
    }
    out.finish().await
}

/// The Excel file: every row into the workbook (written on its own thread), then the whole
/// file sent in chunks.
async fn write_workbook(
    rows: Rows,
    request: &ExportRequest,
    pieces: &mpsc::Sender<Piece>,
    send_timeout: std::time::Duration,
) -> Result<(), Stop> {
    let book = xlsx::Writer::start(xlsx::Sheet {
        columns: request.columns.clone(),
        locale: request.locale,
        zone: request.zone,
    });
    match rows {
        Rows::Pages(mut pages) => {
            while let Some(page) = pages.next_page().await.map_err(Stop::Failed)? {
                book.write(page).await.map_err(Stop::Failed)?;
            }
        }
        Rows::Sorted(entries) => {
            let mut entries = entries.into_iter();
            loop {
                let page: Vec<StoredEntry> = entries.by_ref().take(2_000).collect();
                if page.is_empty() {
                    break;
                }
                book.write(page).await.map_err(Stop::Failed)?;
            }
        }
        Rows::Slices(_) => {
            tracing::error!("an Excel export was given CSV slices");
            return Err(Stop::Failed(AppError::Internal));
        }
    }
    let mut file = book.finish().await.map_err(Stop::Failed)?;
    loop {
        let (rest, bytes) = xlsx::read_chunk(file, CHUNK_BYTES).await.map_err(Stop::Failed)?;
        if bytes.is_empty() {
            break;
        }
        send(pieces, send_timeout, Piece::Bytes(Bytes::from(bytes))).await?;
        file = rest;
    }
    send(pieces, send_timeout, Piece::End).await
}
