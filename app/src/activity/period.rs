//! Periods: the From/To days the viewer picks (in their own time zone) and the UTC instants
//! the server is asked for. Both refuse bad input at the boundary, so a reversed or unbounded
//! range can't exist past `parse`.

use chrono::{DateTime, Duration, Months, NaiveDate, Utc};

/// Longest period one page shows: a year, leap day included.
pub const MAX_PERIOD_DAYS: i64 = 366;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PeriodError {
    #[error("Choose a From date.")]
    MissingFrom,
    #[error("Choose a To date.")]
    MissingTo,
    #[error("{0} is not a valid date; use YYYY-MM-DD.")]
    NotADate(String),
    #[error("From must be on or before To.")]
    Reversed,
    #[error("Choose a period of at most {MAX_PERIOD_DAYS} days; export longer spans one year at a time.")]
    TooLong,
    #[error("{0} is not a valid time; use RFC 3339, e.g. 2026-11-01T00:00:00Z.")]
    NotATime(String),
}

/// A period that can't be read is the caller's mistake: a 422 that says what is wrong.
impl From<PeriodError> for crate::errors::AppError {
    fn from(error: PeriodError) -> Self {
        crate::errors::AppError::InvalidInput(error.to_string())
    }
}

/// Whole days, both included, in the viewer's time zone.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LocalPeriod {
    pub from: NaiveDate,
    pub to: NaiveDate,
}

impl LocalPeriod {
    /// The reference product's default: the same day last month up to today.
    pub fn most_recent_month(today: NaiveDate) -> LocalPeriod {
        LocalPeriod {
            from: today.checked_sub_months(Months::new(1)).unwrap_or(today),
            to: today,
        }
    }

    /// Reads the two date inputs (`YYYY-MM-DD`, as `<input type="date">` gives them).
    pub fn parse(from: &str, to: &str) -> Result<LocalPeriod, PeriodError> {
        let from = parse_day(from, PeriodError::MissingFrom)?;
        let to = parse_day(to, PeriodError::MissingTo)?;
        if from > to {
            return Err(PeriodError::Reversed);
        }
        if (to - from).num_days() + 1 > MAX_PERIOD_DAYS {
            return Err(PeriodError::TooLong);
        }
        Ok(LocalPeriod { from, to })
    }

    /// `activity-log_<from>_<to>.<extension>`
    pub fn export_file_name(&self, extension: &str) -> String {
        format!("activity-log_{}_{}.{extension}", self.from, self.to)
    }
}

fn parse_day(text: &str, missing: PeriodError) -> Result<NaiveDate, PeriodError> {
    let text = text.trim();
    if text.is_empty() {
        return Err(missing);
    }
    parse_iso_day(text).ok_or_else(|| PeriodError::NotADate(text.to_string()))
}

/// A calendar day written `YYYY-MM-DD`, as date inputs and the page's URL write it. By hand
/// rather than chrono's `parse_from_str`, whose format-string parser costs the wasm ~20 KB.
pub fn parse_iso_day(text: &str) -> Option<NaiveDate> {
    let bytes = text.as_bytes();
    let digits = |range: std::ops::Range<usize>| -> Option<u32> {
        bytes[range].iter().try_fold(0, |value, &byte| {
            byte.is_ascii_digit().then(|| value * 10 + u32::from(byte - b'0'))
        })
    };
    if bytes.len() != 10 || bytes[4] != b'-' || bytes[7] != b'-' {
        return None;
    }
    let year = i32::try_from(digits(0..4)?).ok()?;
    NaiveDate::from_ymd_opt(year, digits(5..7)?, digits(8..10)?)
}

/// The instants a period covers, `from` included and `to` excluded. The browser turns its
/// local days into these, so the server never has to guess the viewer's time zone.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct UtcRange {
    pub from: DateTime<Utc>,
    pub to: DateTime<Utc>,
}

impl UtcRange {
    /// How the page names the range to the server: RFC 3339 in UTC to the second, the text
    /// [`UtcRange::parse`] reads back.
    pub fn to_texts(self) -> (String, String) {
        let text = |time: DateTime<Utc>| time.to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
        (text(self.from), text(self.to))
    }

    /// The range cut into `parts` stretches of whole seconds, newest first, together exactly
    /// the range (fewer when it is too short to cut).
    pub fn split(self, parts: i64) -> Vec<UtcRange> {
        let (from, to) = (self.from.timestamp(), self.to.timestamp());
        let parts = parts.clamp(1, (to - from).max(1));
        let at = |part: i64| match part {
            0 => self.from,
            part if part == parts => self.to,
            part => DateTime::from_timestamp(from + (to - from) * part / parts, 0).unwrap_or(self.to),
        };
        (0..parts)
            .rev()
            .map(|part| UtcRange {
                from: at(part),
                to: at(part + 1),
            })
            .collect()
    }

    pub fn parse(from: &str, to: &str) -> Result<UtcRange, PeriodError> {
        let from = parse_instant(from, PeriodError::MissingFrom)?;
        let to = parse_instant(to, PeriodError::MissingTo)?;
        if from >= to {
            return Err(PeriodError::Reversed);
        }
        // A local day can be up to 26 hours long across zones; allow that slack on top.
        if to - from > Duration::days(MAX_PERIOD_DAYS) + Duration::hours(28) {
            return Err(PeriodError::TooLong);
        }
        Ok(UtcRange { from, to })
    }
}

fn parse_instant(text: &str, missing: PeriodError) -> Result<DateTime<Utc>, PeriodError> {
    let text = text.trim();
    if text.is_empty() {
        return Err(missing);
    }
    DateTime::parse_from_rfc3339(text)
        .map(|time| time.with_timezone(&Utc))
        .map_err(|_| PeriodError::NotATime(text.chars().take(40).collect()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_range_splits_into_stretches_that_are_exactly_it_newest_first() {
        let instant = |text: &str| parse_instant(text, PeriodError::MissingFrom).unwrap();
        let range = UtcRange {
            from: instant("2025-12-07T00:00:00+09:00"),
            to: instant("2026-12-08T00:00:00+09:00"),
        };
        for parts in [1, 2, 3, 7] {
            let stretches = range.split(parts);
            assert_eq!(stretches.len() as i64, parts);
            assert_eq!(stretches[0].to, range.to);
            assert_eq!(stretches.last().unwrap().from, range.from);
            for pair in stretches.windows(2) {
                assert_eq!(pair[0].from, pair[1].to, "{parts}: no gap, no overlap");
            }
            for stretch in &stretches {
                assert!(stretch.from < stretch.to);
                assert_eq!(stretch.from.timestamp_subsec_nanos(), 0);
                let (from, to) = stretch.to_texts();
                assert_eq!(UtcRange::parse(&from, &to).unwrap(), *stretch, "whole seconds");
            }
        }
        let short = UtcRange {
            from: range.from,
            to: range.from + Duration::seconds(1),
        };
        assert_eq!(short.split(2), vec![short]);
    }

    fn day(text: &str) -> NaiveDate {
        NaiveDate::parse_from_str(text, "%Y-%m-%d").unwrap()
    }

    #[test]
    fn default_is_same_day_last_month_to_today() {
        let period = LocalPeriod::most_recent_month(day("2026-11-25"));
        assert_eq!(period.from, day("2026-10-25"));
        assert_eq!(period.to, day("2026-11-25"));
    }

    #[test]
    fn default_clamps_to_the_end_of_a_shorter_month() {
        let period = LocalPeriod::most_recent_month(day("2026-03-31"));
        assert_eq!(period.from, day("2026-02-28"));
    }

    #[test]
    fn a_single_day_is_a_valid_period() {
        let period = LocalPeriod::parse("2026-11-25", "2026-11-25").unwrap();
        assert_eq!(period.from, period.to);
        assert_eq!(
            period.export_file_name("csv"),
            "activity-log_2026-11-25_2026-11-25.csv"
        );
    }

    #[test]
    fn days_are_read_only_as_yyyy_mm_dd_on_the_calendar() {
        assert_eq!(parse_iso_day("2026-11-05"), Some(day("2026-11-05")));
        assert_eq!(parse_iso_day("2024-02-29"), Some(day("2024-02-29")));
        for bad in [
            "2026-02-30",
            "2025-02-29",
            "2026-13-01",
            "2026-00-10",
            "2026-11-00",
            "2026-1-05",
            "26-11-05",
            "2026/11/05",
            "2026-11-05T",
            "+026-11-05",
            "2026-1١-05",
            "",
            "2026-11-5 ",
        ] {
            assert_eq!(parse_iso_day(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn bad_local_periods_say_what_is_wrong() {
        assert_eq!(
            LocalPeriod::parse("", "2026-11-25"),
            Err(PeriodError::MissingFrom)
        );
        assert_eq!(LocalPeriod::parse("2026-11-01", " "), Err(PeriodError::MissingTo));
        assert_eq!(
            LocalPeriod::parse("2026-11-26", "2026-11-25"),
            Err(PeriodError::Reversed)
        );
        assert_eq!(
            LocalPeriod::parse("2026-02-30", "2026-11-25"),
            Err(PeriodError::NotADate("2026-02-30".into()))
        );
        assert_eq!(
            LocalPeriod::parse("2024-01-01", "2025-01-01"),
            Err(PeriodError::TooLong)
        );
        assert!(LocalPeriod::parse("2024-01-01", "2024-12-31").is_ok());
    }

    #[test]
    fn utc_ranges_accept_offsets_and_refuse_reversal() {
        let range = UtcRange::parse("2026-10-24T15:00:00Z", "2026-11-25T15:00:00+00:00").unwrap();
        assert!(range.from < range.to);
        let korean = UtcRange::parse("2026-10-25T00:00:00+09:00", "2026-11-26T00:00:00+09:00").unwrap();
        assert_eq!(korean, range);
        let (from, to) = range.to_texts();
        assert_eq!(
            (from.as_str(), to.as_str()),
            ("2026-10-24T15:00:00Z", "2026-11-25T15:00:00Z")
        );
        assert_eq!(UtcRange::parse(&from, &to), Ok(range));
        assert_eq!(
            UtcRange::parse("2026-11-25T00:00:00Z", "2026-11-25T00:00:00Z"),
            Err(PeriodError::Reversed)
        );
        assert!(matches!(
            UtcRange::parse("yesterday", "2026-11-25T00:00:00Z"),
            Err(PeriodError::NotATime(_))
        ));
        assert_eq!(
            UtcRange::parse("0001-01-01T00:00:00Z", "9999-12-31T00:00:00Z"),
            Err(PeriodError::TooLong)
        );
    }
}
