//! The viewer's clock and time zone. In the browser these come from JavaScript's `Date` and
//! `Intl`; on the server (which never knows the viewer's zone) they fall back to UTC, and the
//! page only uses them after hydration.

use chrono::{DateTime, NaiveDate, Utc};

use super::period::LocalPeriod;

/// `YYYY-MM-DD HH:MM:SS` in the viewer's zone.
pub fn format_local(time: DateTime<Utc>) -> String {
    imp::format_local(time)
}

/// Today in the viewer's zone.
pub fn today() -> NaiveDate {
    imp::today()
}

/// Names the viewer's zone for the page, e.g. `Asia/Seoul (UTC+09:00)`.
pub fn zone_label() -> String {
    imp::zone_label()
}

/// The UTC instants of a local period: From's midnight up to the midnight after To.
pub fn utc_bounds(period: LocalPeriod) -> (DateTime<Utc>, DateTime<Utc>) {
    let after_to = period.to.succ_opt().unwrap_or(period.to);
    (imp::local_midnight(period.from), imp::local_midnight(after_to))
}

fn offset_label(minutes_east: i32) -> String {
    let sign = if minutes_east < 0 { '-' } else { '+' };
    let minutes = minutes_east.abs();
    format!("UTC{sign}{:02}:{:02}", minutes / 60, minutes % 60)
}

#[cfg(feature = "hydrate")]
mod imp {
    use super::offset_label;
    use chrono::{DateTime, Datelike, NaiveDate, Utc};
    use js_sys::{Date, Intl, Reflect};
    use wasm_bindgen::JsValue;

    pub fn format_local(time: DateTime<Utc>) -> String {
        let date = Date::new(&JsValue::from_f64(time.timestamp_millis() as f64));
        format!(
            "{:04}-{:02}-{:02} {:02}:{:02}:{:02}",
            date.get_full_year(),
            date.get_month() + 1,
            date.get_date(),
            date.get_hours(),
            date.get_minutes(),
            date.get_seconds()
        )
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

    pub fn zone_label() -> String {
        let options =
            Intl::DateTimeFormat::new(&js_sys::Array::new(), &js_sys::Object::new()).resolved_options();
        let name = Reflect::get(&options, &JsValue::from_str("timeZone"))
            .ok()
            .and_then(|value| value.as_string())
            .unwrap_or_else(|| "your time zone".to_string());
        // getTimezoneOffset is minutes *behind* UTC.
        let minutes_east = -(Date::new_0().get_timezone_offset() as i32);
        format!("{name} ({})", offset_label(minutes_east))
    }
}

#[cfg(not(feature = "hydrate"))]
mod imp {
    use super::offset_label;
    use chrono::{DateTime, NaiveDate, Utc};

    pub fn format_local(time: DateTime<Utc>) -> String {
        time.format("%Y-%m-%d %H:%M:%S").to_string()
    }

    pub fn today() -> NaiveDate {
        Utc::now().date_naive()
    }

    pub fn local_midnight(day: NaiveDate) -> DateTime<Utc> {
        day.and_hms_opt(0, 0, 0).unwrap_or_default().and_utc()
    }

    pub fn zone_label() -> String {
        format!("UTC ({})", offset_label(0))
    }
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
}
