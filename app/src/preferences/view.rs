//! The choices of the log's view a user can save: its columns and which clock times are
//! shown in. The log page (`activity::view_state`) and the saved preferences share them.

use serde::{Deserialize, Serialize};

use crate::i18n::Locale;

/// A column of the table (and of the exported file).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Column {
    Time,
    Customer,
    Action,
    User,
    Details,
    EventId,
}

impl Column {
    pub const ALL: [Column; 6] = [
        Column::Time,
        Column::Customer,
        Column::Action,
        Column::User,
        Column::Details,
        Column::EventId,
    ];

    /// The reference page's four.
    pub const DEFAULT: [Column; 4] = [Column::Time, Column::Customer, Column::Action, Column::User];

    pub fn key(self) -> &'static str {
        match self {
            Column::Time => "time",
            Column::Customer => "customer",
            Column::Action => "action",
            Column::User => "user",
            Column::Details => "details",
            Column::EventId => "event_id",
        }
    }

    pub fn parse(key: &str) -> Option<Column> {
        Column::ALL.into_iter().find(|column| column.key() == key)
    }

    pub fn header_in(self, locale: Locale) -> &'static str {
        match self {
            Column::Time => tr!(locale, view.date_time),
            Column::Customer => tr!(locale, view.affected_customer),
            Column::Action => tr!(locale, view.action),
            Column::User => tr!(locale, view.partner_user),
            Column::Details => tr!(locale, view.details),
            Column::EventId => tr!(locale, view.event_id),
        }
    }
}

/// `time,customer,user` → those columns in the table's order; `None` for an empty list or an
/// unknown name (the caller falls back to the saved or default choice).
pub fn parse_columns(text: &str) -> Option<Vec<Column>> {
    let mut columns = Vec::new();
    for key in text.split(',').map(str::trim).filter(|key| !key.is_empty()) {
        columns.push(Column::parse(key)?);
    }
    columns.sort();
    columns.dedup();
    (!columns.is_empty()).then_some(columns)
}

/// A form's or request's column list: `None` when empty (the caller's default applies), the
/// columns when every name is known, or the message naming the valid choices.
pub fn chosen_columns(text: &str) -> Result<Option<Vec<Column>>, String> {
    match text.trim() {
        "" => Ok(None),
        text => parse_columns(text).map(Some).ok_or_else(|| {
            format!(
                "Unknown column in {text:?}; choose from {}.",
                columns_text(&Column::ALL)
            )
        }),
    }
}

pub fn columns_text(columns: &[Column]) -> String {
    columns
        .iter()
        .map(|column| column.key())
        .collect::<Vec<_>>()
        .join(",")
}

/// Which clock times are shown in (and the From/To days are read in).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ZoneChoice {
    /// The viewer's own time zone, as their browser reports it.
    #[default]
    Local,
    Utc,
}

impl ZoneChoice {
    pub fn key(self) -> &'static str {
        match self {
            ZoneChoice::Local => "local",
            ZoneChoice::Utc => "utc",
        }
    }

    pub fn parse(key: &str) -> Option<ZoneChoice> {
        match key {
            "local" => Some(ZoneChoice::Local),
            "utc" => Some(ZoneChoice::Utc),
            _ => None,
        }
    }
}
