//! The Excel (.xlsx) export: the rows on screen as a real workbook. Times are date-time cells
//! in the viewer's zone (named in the header), text is always a text cell (never a formula,
//! whatever it starts with), the header row is frozen with an autofilter, columns are as wide
//! as their text, and Details wraps.
//!
//! A workbook is a zip, so it can't be sent before it is whole. Rows are written on a blocking
//! thread in rust_xlsxwriter's constant-memory mode (each row goes to a temporary file as it
//! is written), a page of rows at a time from the reader, and the finished file is then sent
//! from a temporary file: memory stays bounded whatever the period holds.

use std::borrow::Cow;
use std::io::{Read, Seek};

use chrono_tz::Tz;
use rust_xlsxwriter::{Format, FormatAlign, Workbook, XlsxError};
use tokio::sync::mpsc;

use super::csv::csv_header;
use crate::activity::view::Column;
use crate::errors::AppError;
use crate::event_table::StoredEntry;
use crate::events::EventTexts;
use crate::i18n::Locale;

/// Data rows one sheet holds (Excel's 1,048,576 rows, less the header).
pub const MAX_XLSX_ROWS: u64 = 1_048_575;
/// Pages of rows waiting for the writer thread: the bound on what the reader runs ahead.
const PAGES_IN_FLIGHT: usize = 2;
/// Widest a column grows to fit its text (Excel's units: about one character each).
const MAX_COLUMN_WIDTH: f64 = 60.0;
const TIME_FORMAT: &str = "yyyy-mm-dd hh:mm:ss";

/// What the writer thread needs to know of the request.
pub(super) struct Sheet {
    pub(super) columns: Vec<Column>,
    pub(super) locale: Locale,
    pub(super) zone: Tz,
}

/// Feeds pages of entries to a workbook being written on a blocking thread; [`Writer::finish`]
/// returns the finished file, at its start.
pub(super) struct Writer {
    pages: mpsc::Sender<Vec<StoredEntry>>,
    thread: tokio::task::JoinHandle<Result<std::fs::File, XlsxError>>,
}

impl Writer {
    pub(super) fn start(sheet: Sheet) -> Writer {
        let (pages, mut receiver) = mpsc::channel::<Vec<StoredEntry>>(PAGES_IN_FLIGHT);
        let span = tracing::Span::current();
        let thread = tokio::task::spawn_blocking(move || {
            let _request = span.enter();
            let written = (|| {
                let mut book = Book::new(sheet)?;
                while let Some(page) = receiver.blocking_recv() {
                    for entry in &page {
                        book.write(entry)?;
                    }
                }
                book.finish()
            })();
            if let Err(error) = &written {
                tracing::error!(%error, "writing the Excel export failed");
            }
            written
        });
        Writer { pages, thread }
    }

    pub(super) async fn write(&self, page: Vec<StoredEntry>) -> Result<(), AppError> {
        if page.is_empty() {
            return Ok(());
        }
        // The thread stops early only on an error, which it has logged.
        self.pages.send(page).await.map_err(|_| AppError::Internal)
    }

    pub(super) async fn finish(self) -> Result<std::fs::File, AppError> {
        drop(self.pages);
        match self.thread.await {
            Ok(written) => written.map_err(|_| AppError::Internal),
            Err(error) => {
                tracing::error!(%error, "the Excel export's thread stopped");
                Err(AppError::Internal)
            }
        }
    }
}

/// The workbook being written: its one sheet, the next row, and each column's widest text.
struct Book {
    workbook: Workbook,
    sheet: Sheet,
    next_row: u32,
    widths: Vec<f64>,
    time: Format,
    wrapped: Format,
}

impl Book {
    fn new(sheet: Sheet) -> Result<Book, XlsxError> {
        let mut workbook = Workbook::new();
        workbook.set_tempdir(std::env::temp_dir())?;
        let header = Format::new().set_bold();
        let mut widths = Vec::new();
        {
            let worksheet = workbook.add_worksheet_with_constant_memory()?;
            for (index, column) in sheet.columns.iter().enumerate() {
                let title = match column {
                    Column::Time => format!("{} ({})", column.header_in(sheet.locale), sheet.zone.name()),
                    other => csv_header(*other, sheet.locale).to_string(),
                };
                worksheet.write_string_with_format(0, index as u16, &title, &header)?;
                widths.push(text_width(&title) + 2.0);
            }
            // Frozen before any row is written: constant-memory mode writes rows out at once.
            worksheet.set_freeze_panes(1, 0)?;
        }
        Ok(Book {
            workbook,
            sheet,
            next_row: 1,
            widths,
            time: Format::new().set_num_format(TIME_FORMAT),
            wrapped: Format::new().set_text_wrap().set_align(FormatAlign::Top),
        })
    }

    fn write(&mut self, stored: &StoredEntry) -> Result<(), XlsxError> {
        let Book {
            workbook,
            sheet,
            next_row,
            widths,
            time,
            wrapped,
        } = self;
        let worksheet = workbook.worksheet_from_index(0)?;
        let entry = &stored.entry;
        let row = *next_row;
        for (index, column) in sheet.columns.iter().enumerate() {
            let col = index as u16;
            let text: Cow<str> = match column {
                Column::Time => {
                    let local = entry.occurred_at.with_timezone(&sheet.zone).naive_local();
                    worksheet.write_datetime_with_format(row, col, local, time)?;
                    continue;
                }
                Column::Customer => entry.customer_name().into(),
                Column::Action => entry.action_text_in(sheet.locale).into(),
                Column::User => entry.partner_user.as_str().into(),
                Column::Details => entry.details.summary().into(),
                Column::EventId => entry.event_id.as_str().into(),
            };
            if *column == Column::Details {
                worksheet.write_string_with_format(row, col, text.as_ref(), wrapped)?;
            } else {
                worksheet.write_string(row, col, text.as_ref())?;
            }
            widths[index] = widths[index].max(text_width(&text) + 1.0);
        }
        *next_row += 1;
        Ok(())
    }

    fn finish(mut self) -> Result<std::fs::File, XlsxError> {
        let last_row = self.next_row - 1;
        let last_col = self.sheet.columns.len().saturating_sub(1) as u16;
        let worksheet = self.workbook.worksheet_from_index(0)?;
        for (index, (column, width)) in self.sheet.columns.iter().zip(&self.widths).enumerate() {
            let width = *width;
            let width = match column {
                // A formatted date-time is 19 characters whatever the zone.
                Column::Time => width.max(20.0),
                _ => width,
            };
            worksheet.set_column_width(index as u16, width.min(MAX_COLUMN_WIDTH))?;
        }
        worksheet.autofilter(0, 0, last_row, last_col)?;
        let mut file = tempfile::tempfile()?;
        self.workbook.save_to_writer(&mut file)?;
        file.rewind()?;
        Ok(file)
    }
}

/// About how many character widths `text` takes: East Asian characters count two.
fn text_width(text: &str) -> f64 {
    text.chars()
        .map(|character| if (character as u32) >= 0x1100 { 2.0 } else { 1.0 })
        .sum()
}

/// Reads the finished file in chunks of `chunk` bytes, on a blocking thread each.
pub(super) async fn read_chunk(
    file: std::fs::File,
    chunk: usize,
) -> Result<(std::fs::File, Vec<u8>), AppError> {
    tokio::task::spawn_blocking(move || {
        let mut file = file;
        let mut bytes = Vec::with_capacity(chunk);
        (&mut file).take(chunk as u64).read_to_end(&mut bytes)?;
        Ok::<_, std::io::Error>((file, bytes))
    })
    .await
    .map_err(|_| AppError::Internal)?
    .map_err(|error| {
        tracing::error!(%error, "reading the finished Excel export failed");
        AppError::Internal
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hangul_counts_twice_as_wide_as_latin() {
        assert_eq!(text_width("Contoso"), 7.0);
        assert_eq!(text_width("한빛소프트"), 10.0);
    }
}
