//! What an export asks for: the form the page posts, checked into a request.

use serde::Deserialize;

use crate::activity::filter::{Filter, MAX_FILTER_CHARS};
use crate::activity::period::{LocalPeriod, UtcRange};
use crate::activity::view_state::{Column, Sort, chosen_columns};
use crate::errors::AppError;
use crate::i18n::Locale;

/// The same period and filter the page shows: the UTC instants it loaded, the local days
/// that name the file, and the filter text.
#[derive(Debug, Deserialize)]
pub struct ExportForm {
    pub from: String,
    pub to: String,
    pub from_date: String,
    pub to_date: String,
    #[serde(default)]
    pub filter: String,
    /// As in the page's URL, e.g. `-time` or `customer`; empty for newest first.
    #[serde(default)]
    pub sort: String,
    /// Comma-separated column keys; empty for the default four.
    #[serde(default)]
    pub columns: String,
    /// `en` or `ko`, for the CSV header; empty for English.
    #[serde(default)]
    pub lang: String,
    /// `csv` (the default), `ndjson` or `xlsx`.
    #[serde(default)]
    pub format: String,
    /// The viewer's time zone by IANA name (`Asia/Seoul`), for the Excel file's times; empty
    /// for UTC. CSV and JSON lines are always in UTC.
    #[serde(default)]
    pub zone: String,
}

/// The file types the export writes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExportFormat {
    Csv,
    Ndjson,
    Xlsx,
}

impl ExportFormat {
    pub fn parse(text: &str) -> Option<ExportFormat> {
        match text {
            "" | "csv" => Some(ExportFormat::Csv),
            "ndjson" => Some(ExportFormat::Ndjson),
            "xlsx" => Some(ExportFormat::Xlsx),
            _ => None,
        }
    }

    pub(super) fn name(self) -> &'static str {
        match self {
            ExportFormat::Csv => "csv",
            ExportFormat::Ndjson => "ndjson",
            ExportFormat::Xlsx => "xlsx",
        }
    }

    pub(super) fn content_type(self) -> &'static str {
        match self {
            ExportFormat::Csv => "text/csv; charset=utf-8",
            ExportFormat::Ndjson => "application/x-ndjson; charset=utf-8",
            ExportFormat::Xlsx => "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        }
    }
}

/// What the form asks for, checked.
pub(super) struct ExportRequest {
    pub(super) range: UtcRange,
    pub(super) period: LocalPeriod,
    pub(super) filter_text: String,
    pub(super) filter: Filter,
    pub(super) sort: Sort,
    pub(super) columns: Vec<Column>,
    pub(super) locale: Locale,
    pub(super) format: ExportFormat,
    /// The viewer's zone, for the Excel file's times.
    pub(super) zone: chrono_tz::Tz,
}

impl ExportRequest {
    pub(super) fn check(form: ExportForm) -> Result<ExportRequest, AppError> {
        let invalid = |message: String| AppError::InvalidInput(message);
        let range = UtcRange::parse(&form.from, &form.to).map_err(|error| invalid(error.to_string()))?;
        // The file is named by the local days; parsing them also keeps the header value clean.
        let period =
            LocalPeriod::parse(&form.from_date, &form.to_date).map_err(|error| invalid(error.to_string()))?;
        if form.filter.chars().count() > MAX_FILTER_CHARS {
            return Err(invalid(format!(
                "The filter is longer than {MAX_FILTER_CHARS} characters."
            )));
        }
        let sort = match form.sort.as_str() {
            "" => Sort::default(),
            text => Sort::parse(text).ok_or_else(|| {
                invalid(format!("Can't sort by {text:?}; use time, customer, action, user, details or event_id, with - for descending."))
            })?,
        };
        let columns = chosen_columns(&form.columns)
            .map_err(invalid)?
            .unwrap_or_else(|| Column::DEFAULT.to_vec());
        let locale = match form.lang.as_str() {
            "" => Locale::En,
            tag => Locale::parse(tag).ok_or_else(|| invalid(Locale::unknown_tag(tag)))?,
        };
        let format = ExportFormat::parse(&form.format).ok_or_else(|| {
            invalid(format!(
                "No export format {:?}; use csv, ndjson or xlsx.",
                form.format
            ))
        })?;
        let zone = match form.zone.as_str() {
            "" => chrono_tz::UTC,
            name => name
                .parse::<chrono_tz::Tz>()
                .map_err(|_| invalid(tr!(locale, export.unknown_zone, zone = format!("{name:?}"))))?,
        };
        Ok(ExportRequest {
            range,
            period,
            filter: Filter::parse(&form.filter),
            filter_text: form.filter,
            sort,
            columns,
            locale,
            format,
            zone,
        })
    }

    pub(super) fn file_name(&self) -> String {
        self.period.export_file_name(self.format.name())
    }
}
