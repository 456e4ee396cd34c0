//! What the page shows, as it lives in the URL: period, filter text, sort, columns, the
//! chart's chosen day, the time zone and the open rows. Reading the query string gives the
//! whole view back, so reload, back/forward and a pasted link show the same page.
//!
//! The sort order and the columns are shared with the export, so a file holds the rows in
//! the order and with the columns on screen.

use chrono::NaiveDate;

use crate::activity::period::parse_iso_day;
use crate::events::EventTexts;
use crate::i18n::Locale;
use crate::ids::EventId;
// The columns and the time zone are what a viewer can save for next time, so they are
// defined with the saved preferences.
pub use crate::preferences::view::{Column, ZoneChoice, chosen_columns, columns_text, parse_columns};

/// The order rows are shown in. Ties keep the newest first.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Sort {
    pub column: Column,
    pub descending: bool,
}

impl Default for Sort {
    /// Newest first, as the reference page.
    fn default() -> Self {
        Sort {
            column: Column::Time,
            descending: true,
        }
    }
}

impl Sort {
    /// `customer` (ascending) or `-customer` (descending), as in the URL and the export form.
    pub fn parse(text: &str) -> Option<Sort> {
        let (descending, key) = match text.strip_prefix('-') {
            Some(key) => (true, key),
            None => (false, text),
        };
        let column = Column::parse(key)?;
        Some(Sort { column, descending })
    }

    pub fn to_text(self) -> String {
        format!("{}{}", if self.descending { "-" } else { "" }, self.column.key())
    }

    /// What clicking `column`'s header gives: the other direction of the same column, or a
    /// new column in its natural direction (times newest first, words A to Z).
    pub fn toggled(self, column: Column) -> Sort {
        if self.column == column {
            Sort {
                column,
                descending: !self.descending,
            }
        } else {
            Sort {
                column,
                descending: column == Column::Time,
            }
        }
    }

    /// Orders `positions` of `entries`, which arrive newest first (as the query reads them);
    /// rows that tie stay newest first.
    pub fn apply<T, R: EventTexts + ?Sized>(
        self,
        positions: &mut Vec<u32>,
        entries: &[T],
        entry: impl Fn(&T) -> &R,
        locale: Locale,
    ) {
        if self.column == Column::Time {
            if !self.descending {
                positions.reverse();
            }
            return;
        }
        let mut keyed: Vec<(String, u32)> = positions
            .iter()
            .map(|&position| {
                (
                    sort_key(entry(&entries[position as usize]), self.column, locale),
                    position,
                )
            })
            .collect();
        // Stable, so equal keys keep the incoming (newest first) order either way.
        keyed.sort_by(|(a, _), (b, _)| {
            let order = a.cmp(b);
            if self.descending { order.reverse() } else { order }
        });
        *positions = keyed.into_iter().map(|(_, position)| position).collect();
    }
}

/// What a column sorts by: its text as shown, in lowercase.
fn sort_key(entry: &(impl EventTexts + ?Sized), column: Column, locale: Locale) -> String {
    match column {
        Column::Time => String::new(),
        Column::Customer => entry.customer_name().to_lowercase(),
        Column::Action => entry.action_text_in(locale).to_lowercase(),
        Column::User => entry.partner_user().to_lowercase(),
        Column::Details => entry.details().summary().to_lowercase(),
        Column::EventId => entry.event_id().to_lowercase(),
    }
    .trim()
    .to_string()
}

/// The view as the URL states it. Absent parameters are `None`/empty: the page then uses
/// the user's saved choice or the default.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ViewState {
    pub from: Option<String>,
    pub to: Option<String>,
    pub query: String,
    pub sort: Sort,
    pub columns: Option<Vec<Column>>,
    pub day: Option<NaiveDate>,
    pub zone: Option<ZoneChoice>,
    /// Ids of the expanded rows.
    pub open: Vec<EventId>,
}

impl ViewState {
    /// Reads the parameters with `get`; anything malformed is ignored (the default stands).
    pub fn from_params(get: impl Fn(&str) -> Option<String>) -> ViewState {
        ViewState {
            // Present but empty is kept: the viewer cleared the date, and the page says so.
            from: get("from").map(|day| day.trim().to_string()),
            to: get("to").map(|day| day.trim().to_string()),
            query: get("q").unwrap_or_default(),
            sort: get("sort")
                .and_then(|text| Sort::parse(&text))
                .unwrap_or_default(),
            columns: get("cols").and_then(|text| parse_columns(&text)),
            day: get("day").and_then(|text| parse_iso_day(&text)),
            zone: get("tz").and_then(|text| ZoneChoice::parse(&text)),
            open: get("open")
                .map(|text| {
                    text.split(',')
                        .filter_map(|id| id.trim().parse().ok().map(EventId))
                        .collect()
                })
                .unwrap_or_default(),
        }
    }

    /// The parameters that differ from the defaults, in a fixed order.
    pub fn to_params(&self) -> Vec<(&'static str, String)> {
        let mut params = Vec::new();
        if let Some(from) = &self.from {
            params.push(("from", from.clone()));
        }
        if let Some(to) = &self.to {
            params.push(("to", to.clone()));
        }
        if let Some(day) = self.day {
            params.push(("day", day.to_string()));
        }
        if !self.query.is_empty() {
            params.push(("q", self.query.clone()));
        }
        if self.sort != Sort::default() {
            params.push(("sort", self.sort.to_text()));
        }
        if let Some(columns) = &self.columns {
            params.push(("cols", columns_text(columns)));
        }
        if let Some(zone) = self.zone {
            params.push(("tz", zone.key().to_string()));
        }
        if !self.open.is_empty() {
            let ids: Vec<String> = self.open.iter().map(EventId::to_string).collect();
            params.push(("open", ids.join(",")));
        }
        params
    }

    /// `?from=…&q=…` (empty when every parameter is the default).
    pub fn query_string(&self) -> String {
        let params = self.to_params();
        if params.is_empty() {
            return String::new();
        }
        let pairs: Vec<String> = params
            .iter()
            .map(|(name, value)| format!("{name}={}", percent_encode(value)))
            .collect();
        format!("?{}", pairs.join("&"))
    }
}

/// Encodes everything but unreserved characters (RFC 3986), so any filter text survives.
fn percent_encode(text: &str) -> String {
    let mut out = String::new();
    for byte in text.bytes() {
        match byte {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' | b',' | b':' => {
                out.push(byte as char)
            }
            _ => out.push_str(&format!("%{byte:02X}")),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::events::sample_order;

    /// Decodes a query string the way a browser's URLSearchParams would, for round trips.
    fn decode(query: &str) -> Vec<(String, String)> {
        query
            .trim_start_matches('?')
            .split('&')
            .filter(|pair| !pair.is_empty())
            .map(|pair| {
                let (name, value) = pair.split_once('=').unwrap();
                let mut bytes = Vec::new();
                let raw = value.as_bytes();
                let mut index = 0;
                while index < raw.len() {
                    if raw[index] == b'%' {
                        let hex = std::str::from_utf8(&raw[index + 1..index + 3]).unwrap();
                        bytes.push(u8::from_str_radix(hex, 16).unwrap());
                        index += 3;
                    } else {
                        bytes.push(raw[index]);
                        index += 1;
                    }
                }
                (name.to_string(), String::from_utf8(bytes).unwrap())
            })
            .collect()
    }

    #[test]
    fn a_view_survives_the_url() {
        let view = ViewState {
            from: Some("2026-10-25".into()),
            to: Some("2026-11-25".into()),
            query: r#"action:ordered customer:"한빛 & co" -user:x+y=z"#.into(),
            sort: Sort::parse("-customer").unwrap(),
            columns: Some(vec![Column::Time, Column::Action, Column::EventId]),
            day: NaiveDate::from_ymd_opt(2026, 11, 3),
            zone: Some(ZoneChoice::Utc),
            open: vec![EventId(12), EventId(7)],
        };
        let params = decode(&view.query_string());
        let back = ViewState::from_params(|name| {
            params
                .iter()
                .find(|(key, _)| key == name)
                .map(|(_, value)| value.clone())
        });
        assert_eq!(back, view);
        assert_eq!(ViewState::default().query_string(), "");
    }

    #[test]
    fn malformed_parameters_fall_back_to_defaults() {
        let view = ViewState::from_params(|name| {
            Some(match name {
                "sort" => "-colour".into(),
                "cols" => "time,colour".into(),
                "day" => "2026-02-30".into(),
                "tz" => "mars".into(),
                "open" => "1,x,3".into(),
                _ => " ".into(),
            })
        });
        assert_eq!(view.sort, Sort::default());
        assert_eq!(view.columns, None);
        assert_eq!(view.day, None);
        assert_eq!(view.zone, None);
        assert_eq!(view.open, vec![EventId(1), EventId(3)]);
        assert_eq!(view.from.as_deref(), Some(""), "a cleared date stays cleared");
    }

    #[test]
    fn columns_keep_the_tables_order_once_each() {
        assert_eq!(
            parse_columns("user,time,user"),
            Some(vec![Column::Time, Column::User])
        );
        assert_eq!(parse_columns(""), None);
    }

    #[test]
    fn headers_toggle_direction_and_start_naturally() {
        let sort = Sort::default();
        assert_eq!(sort.toggled(Column::Time).to_text(), "time");
        assert_eq!(sort.toggled(Column::Customer).to_text(), "customer");
        assert_eq!(
            Sort::parse("customer")
                .unwrap()
                .toggled(Column::Customer)
                .to_text(),
            "-customer"
        );
        assert_eq!(Sort::parse("colour"), None);
        assert_eq!(Sort::parse("-details").unwrap().to_text(), "-details");
    }

    #[test]
    fn sorting_is_stable_and_case_blind() {
        let mut a = sample_order("beta");
        a.id = EventId(1);
        let mut b = sample_order("Alpha");
        b.id = EventId(2);
        let mut c = sample_order("alpha");
        c.id = EventId(3);
        // Loaded newest first: a, b, c.
        let entries = [a, b, c];
        let ids = |sort: &str| {
            let mut positions = vec![0, 1, 2];
            Sort::parse(sort)
                .unwrap()
                .apply(&mut positions, &entries, |e| e, Locale::En);
            positions
                .iter()
                .map(|&p| entries[p as usize].id.0)
                .collect::<Vec<_>>()
        };
        assert_eq!(ids("customer"), [2, 3, 1]);
        assert_eq!(
            ids("-customer"),
            [1, 2, 3],
            "ties keep newest first in both directions"
        );
        assert_eq!(ids("-time"), [1, 2, 3]);
        assert_eq!(ids("time"), [3, 2, 1]);
    }
}
