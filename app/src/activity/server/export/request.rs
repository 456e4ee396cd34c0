//! What an export asks for: the form the page posts (`wire::ExportForm`), checked into a
//! request.

use crate::activity::filter::{Filter, MAX_FILTER_CHARS};
use crate::activity::period::{LocalPeriod, UtcRange};
use crate::activity::view::{Column, Sort, chosen_columns};
use crate::activity::wire::{ExportForm, ExportFormat};
use crate::errors::AppError;
use crate::i18n::Locale;

/// The `Content-Type` of each format's file.
pub(super) fn content_type(format: ExportFormat) -> &'static str {
    match format {
        ExportFormat::Csv => "text/csv; charset=utf-8",
        ExportFormat::Ndjson => "application/x-ndjson; charset=utf-8",
        ExportFormat::Xlsx => "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
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
    /// Each JSON line with its event's inclusion proof (`export::proofs`).
    pub(super) proofs: bool,
}

impl ExportRequest {
    pub(super) fn check(form: ExportForm) -> Result<ExportRequest, AppError> {
        let invalid = |message: String| AppError::InvalidInput(message);
        let range = UtcRange::parse(&form.from, &form.to)?;
        // The file is named by the local days; parsing them also keeps the header value clean.
        let period = LocalPeriod::parse(&form.from_date, &form.to_date)?;
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
        let proofs = match form.proofs.as_str() {
            "" | "false" => false,
            "true" | "on" if format == ExportFormat::Ndjson => true,
            "true" | "on" => return Err(invalid(tr!(locale, export.proofs_need_json_lines).into())),
            text => return Err(invalid(format!("proofs: true or false, not {text:?}"))),
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
            proofs,
        })
    }

    pub(super) fn file_name(&self) -> String {
        self.period.export_file_name(self.format.name())
    }
}
