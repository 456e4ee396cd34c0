//! Clocks and calendars: the viewer's zone or UTC, as they chose, and dates written for their
//! language. In the browser these come from JavaScript's `Date` and `Intl`; on the server
//! (which never knows the viewer's zone) they fall back to UTC, and the page only uses them
//! after hydration.

use chrono::{DateTime, NaiveDate, Utc};

use crate::activity::period::{LocalPeriod, UtcRange};
use crate::activity::view::ZoneChoice;
use crate::i18n::Locale;

/// A time as the page shows it: `Nov 3, 2026, 15:05:09` / `2026. 11. 3. 15:05:09`.
pub fn format_time(time: DateTime<Utc>, locale: Locale, zone: ZoneChoice) -> String {
    imp::format(time, locale, zone, Style::DateTime)
}

/// A day as the page shows it: `Nov 3, 2026` / `2026. 11. 3.`.
pub fn format_day(day: NaiveDate, locale: Locale) -> String {
    imp::format(midnight_utc(day), locale, ZoneChoice::Utc, Style::Date)
}

/// A chart axis label: `11/3` / `11. 3.`.
pub fn format_short_day(day: NaiveDate, locale: Locale) -> String {
    imp::format(midnight_utc(day), locale, ZoneChoice::Utc, Style::MonthDay)
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
enum Style {
    DateTime,
    Date,
    MonthDay,
}

fn midnight_utc(day: NaiveDate) -> DateTime<Utc> {
    day.and_hms_opt(0, 0, 0).unwrap_or_default().and_utc()
}

/// Today in the viewer's zone.
pub fn today(zone: ZoneChoice) -> NaiveDate {
    match zone {
        ZoneChoice::Utc => Utc::now().date_naive(),
        ZoneChoice::Local => imp::today(),
    }
}

/// Names the zone for the page, e.g. `Asia/Seoul (UTC+09:00)`, or `UTC`.
pub fn zone_label(zone: ZoneChoice) -> String {
    match zone {
        ZoneChoice::Utc => "UTC".to_string(),
        ZoneChoice::Local => imp::zone_label(),
    }
}

/// The zone's IANA name (`Asia/Seoul`, `UTC`), for the Excel export's times.
pub fn zone_name(zone: ZoneChoice) -> String {
    match zone {
        ZoneChoice::Utc => "UTC".to_string(),
        ZoneChoice::Local => imp::zone_name(),
    }
}

/// The instant a day starts in the zone.
pub fn day_start(day: NaiveDate, zone: ZoneChoice) -> DateTime<Utc> {
    match zone {
        ZoneChoice::Utc => midnight_utc(day),
        ZoneChoice::Local => imp::local_midnight(day),
    }
}

/// The UTC instants of a period: From's midnight up to the midnight after To.
pub fn utc_bounds(period: LocalPeriod, zone: ZoneChoice) -> UtcRange {
    let after_to = period.to.succ_opt().unwrap_or(period.to);
    UtcRange {
        from: day_start(period.from, zone),
        to: day_start(after_to, zone),
    }
}

fn offset_label(minutes_east: i32) -> String {
    let sign = if minutes_east < 0 { '-' } else { '+' };
    let minutes = minutes_east.abs();
    format!("UTC{sign}{:02}:{:02}", minutes / 60, minutes % 60)
}

#[cfg(feature = "hydrate")]
mod imp {
    use super::{Style, offset_label};
    use crate::activity::view::ZoneChoice;
    use crate::i18n::Locale;
    use chrono::{DateTime, Datelike, NaiveDate, Utc};
    use js_sys::{Date, Intl, Object, Reflect};
    use std::cell::RefCell;
    use std::collections::HashMap;
    use wasm_bindgen::JsValue;

    thread_local! {
        /// Building an `Intl.DateTimeFormat` is slow; rows reuse one per style.
        static FORMATS: RefCell<HashMap<(Locale, ZoneChoice, Style), Intl::DateTimeFormat>> =
            RefCell::new(HashMap::new());
    }

    fn formatter(locale: Locale, zone: ZoneChoice, style: Style) -> Intl::DateTimeFormat {
        FORMATS.with(|formats| {
            formats
                .borrow_mut()
                .entry((locale, zone, style))
                .or_insert_with(|| {
                    let options = Object::new();
                    let set = |key: &str, value: &str| {
                        let _ = Reflect::set(&options, &JsValue::from_str(key), &JsValue::from_str(value));
                    };
                    match style {
                        Style::DateTime => {
                            set("dateStyle", "medium");
                            set("timeStyle", "medium");
                            set("hourCycle", "h23");
                        }
                        Style::Date => set("dateStyle", "medium"),
                        Style::MonthDay => {
                            set("month", "numeric");
                            set("day", "numeric");
                        }
                    }
                    if zone == ZoneChoice::Utc {
                        set("timeZone", "UTC");
                    }
                    let locales = js_sys::Array::of1(&JsValue::from_str(locale.intl_tag()));
                    Intl::DateTimeFormat::new(&locales, &options)
                })
                .clone()
        })
    }

    thread_local! {
        /// Texts already made: a keystroke shows mostly events shown before, and each
        /// `Intl` call costs tens of microseconds (a keystroke formats every row in view).
        static MADE: RefCell<HashMap<(i64, Locale, ZoneChoice, Style), String>> = RefCell::new(HashMap::new());
    }

    /// Texts kept before the cache starts again.
    const MADE_KEPT: usize = 4096;

    pub fn format(time: DateTime<Utc>, locale: Locale, zone: ZoneChoice, style: Style) -> String {
        let key = (time.timestamp_millis(), locale, zone, style);
        if let Some(text) = MADE.with(|made| made.borrow().get(&key).cloned()) {
            return text;
        }
        let date = Date::new(&JsValue::from_f64(key.0 as f64));
        let text = formatter(locale, zone, style)
            .format()
            .call1(&JsValue::UNDEFINED, &date)
            .ok()
            .and_then(|text| text.as_string())
            .unwrap_or_default();
        MADE.with(|made| {
            let mut made = made.borrow_mut();
            if made.len() >= MADE_KEPT {
                made.clear();
            }
            made.insert(key, text.clone());
        });
        text
    }

    pub fn today() -> NaiveDate {
        let now = Date::new_0();
        NaiveDate::from_ymd_opt(now.get_full_year() as i32, now.get_month() + 1, now.get_date())
            .unwrap_or_else(|| Utc::now().date_naive())
    }

    pub fn local_midnight(day: NaiveDate) -> DateTime<Utc> {
        let midnight =
            Date::new_with_year_month_day(day.year() as u32, day.month0() as i32, day.day() as i32);
        DateTime::from_timestamp_millis(midnight.get_time() as i64)
            .unwrap_or_else(|| day.and_hms_opt(0, 0, 0).unwrap_or_default().and_utc())
    }

    thread_local! {
        /// The browser's zone, asked once: building the `Intl.DateTimeFormat` that knows it
        /// costs about as much as formatting a whole table's times.
        static ZONE_NAME: String = {
            let options = Intl::DateTimeFormat::new(&js_sys::Array::new(), &Object::new()).resolved_options();
            Reflect::get(&options, &JsValue::from_str("timeZone"))
                .ok()
                .and_then(|value| value.as_string())
                .unwrap_or_else(|| "UTC".to_string())
        };
    }

    pub fn zone_name() -> String {
        ZONE_NAME.with(String::clone)
    }

    pub fn zone_label() -> String {
        let name = zone_name();
        // getTimezoneOffset is minutes *behind* UTC.
        let minutes_east = -(Date::new_0().get_timezone_offset() as i32);
        format!("{name} ({})", offset_label(minutes_east))
    }
}

#[cfg(not(feature = "hydrate"))]
mod imp {
    use super::{Style, offset_label};
    use crate::activity::view::ZoneChoice;
    use crate::i18n::Locale;
    use chrono::{DateTime, NaiveDate, Utc};

    pub fn format(time: DateTime<Utc>, _locale: Locale, _zone: ZoneChoice, style: Style) -> String {
        let pattern = match style {
            Style::DateTime => "%Y-%m-%d %H:%M:%S",
            Style::Date => "%Y-%m-%d",
            Style::MonthDay => "%m-%d",
        };
        time.format(pattern).to_string()
    }

    pub fn today() -> NaiveDate {
        Utc::now().date_naive()
    }

    pub fn local_midnight(day: NaiveDate) -> DateTime<Utc> {
        day.and_hms_opt(0, 0, 0).unwrap_or_default().and_utc()
    }

    pub fn zone_name() -> String {
        "UTC".to_string()
    }

    pub fn zone_label() -> String {
        format!("UTC ({})", offset_label(0))
    }
}

/// An instant as RFC 3339 in UTC to the second (`2026-11-03T06:05:09Z`): how the page names
/// instants to the server and in `<time datetime>`.
pub fn utc_text(time: chrono::DateTime<chrono::Utc>) -> String {
    time.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn offsets_are_written_like_utc_plus_hours() {
        assert_eq!(offset_label(540), "UTC+09:00");
        assert_eq!(offset_label(-210), "UTC-03:30");
        assert_eq!(offset_label(0), "UTC+00:00");
    }

    #[test]
    fn a_utc_period_runs_from_midnight_to_the_midnight_after_to() {
        let period = LocalPeriod::parse("2026-11-01", "2026-11-03").unwrap();
        let range = utc_bounds(period, ZoneChoice::Utc);
        assert_eq!(range.from.to_rfc3339(), "2026-11-01T00:00:00+00:00");
        assert_eq!(range.to.to_rfc3339(), "2026-11-04T00:00:00+00:00");
    }
}
