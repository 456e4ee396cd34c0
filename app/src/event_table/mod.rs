//! The one owner of the `activity_events` table: every SQL text that reads or writes it lives
//! in this module. Each text is written once for both backends (`$1` parameters; a `match` on
//! [`Db`](crate::db::Db) only where the planners need other words), and the big reads on SQLite
//! go through rusqlite on a blocking thread ([`crate::sqlite_reads`]).
//!
//! - [`period`]: a partner's events by time (the page's pages, the export's slices);
//! - [`chain`]: by chain position (the read API, the live log, the badge's counts);
//! - [`walk`]: every column as text, in chain order, for the integrity walk;
//! - [`append`]: the one insert, and what an id was stored with.
//!
//! Which row type is for what:
//! - [`EventRow`]: an event as the log shows it (the columns of `events_sql!`), owned; what
//!   sqlx reads for the page, the live log and the read API. [`entry_from_row`] makes it an
//!   [`ActivityEntry`], the shared type every area and the browser use.
//! - [`EventRowRef`]: the same columns borrowed where they lie (a rusqlite row, a `PgRow`), read
//!   by the [`column`] indices: the export writes its cells from these, no string made per cell.
//! - [`StoredEntry`]: an [`ActivityEntry`] with its details as stored (JSON), for the exports
//!   that hold rows (a sort by another column, the workbook).
//! - [`chain::PositionedRow`]: an [`EventRow`] with its chain position, hash and stored time.
//! - [`walk::WalkedRow`]: every column as text, so a tampered number is reported as an edit
//!   rather than failing the read.
//! - [`append::EventContent`] and [`append::StoredContent`]: what an append writes (and the hash
//!   covers), and what an id was stored with (to tell a resent event from a conflict).
//!
//! Outside this module: `activity::wire::CompactEvent` (a row as the page's wire sends it),
//! `read_api::store::FeedEvent` (the read API's answer) and the page's `LoadedRow`.

pub mod append;
pub mod chain;
pub mod period;
pub mod walk;

use crate::db::from_db_time;
use crate::errors::AppError;
use crate::events::{ActionDetails, ActionKind, ActivityEntry, CustomerRef};
use crate::ids::{CustomerId, EventId};

/// The columns every read of the log takes (an [`EventRow`]), in this order.
macro_rules! event_columns {
    () => {
        "e.id, COALESCE(e.external_id, CAST(e.id AS TEXT)) AS event_id, e.occurred_at,
         e.action_kind, e.action_text, e.details, u.email AS partner_user,
         c.id AS customer_id, c.company_name"
    };
}

/// The joins that name an event's user and customer (only a customer of its own partner).
macro_rules! event_joins {
    () => {
        " FROM activity_events e
         JOIN partner_users u ON u.id = e.partner_user_id
         LEFT JOIN customers c ON c.id = e.customer_id AND c.partner_id = e.partner_id "
    };
}

/// [`event_columns!`] of one partner ($1) in a time range ($2 from, $3 to); each query adds
/// its tail.
macro_rules! events_sql {
    ($tail:literal) => {
        concat!(
            "SELECT ",
            $crate::event_table::event_columns!(),
            $crate::event_table::event_joins!(),
            "WHERE e.partner_id = $1 AND e.occurred_at >= $2 AND e.occurred_at < $3 ",
            $tail
        )
    };
}
pub(crate) use {event_columns, event_joins, events_sql};

/// Where each of [`event_columns!`] is in a row: the two decoders of [`EventRowRef`] read by
/// these (a test holds them to the SELECT list).
pub mod column {
    pub const ID: usize = 0;
    pub const EVENT_ID: usize = 1;
    pub const OCCURRED_AT: usize = 2;
    pub const ACTION_KIND: usize = 3;
    pub const ACTION_TEXT: usize = 4;
    pub const DETAILS: usize = 5;
    pub const PARTNER_USER: usize = 6;
    pub const CUSTOMER_ID: usize = 7;
    pub const COMPANY_NAME: usize = 8;
}

/// One event as every read of the log selects it ([`event_columns!`]), owned.
#[derive(Debug, sqlx::FromRow)]
pub struct EventRow {
    pub id: EventId,
    pub event_id: String,
    pub occurred_at: String,
    pub action_kind: String,
    pub action_text: String,
    pub details: String,
    pub partner_user: String,
    pub customer_id: Option<CustomerId>,
    pub company_name: Option<String>,
}

/// The columns of an [`EventRow`] borrowed where they lie (a rusqlite row, sqlx's `PgRow`, a
/// [`StoredEntry`]).
#[derive(Debug, Clone, Copy)]
pub struct EventRowRef<'a> {
    pub id: i64,
    pub event_id: &'a str,
    /// As stored: `2026-11-02T08:05:09Z`.
    pub occurred_at: &'a str,
    pub action_kind: &'a str,
    pub action_text: &'a str,
    /// As stored: JSON.
    pub details: &'a str,
    pub partner_user: &'a str,
    pub customer_id: Option<i64>,
    pub company_name: Option<&'a str>,
}

impl<'a> EventRowRef<'a> {
    /// A rusqlite row of [`event_columns!`], by [`column`].
    pub fn from_sqlite(row: &'a rusqlite::Row<'_>) -> rusqlite::Result<EventRowRef<'a>> {
        let text = |index: usize| -> rusqlite::Result<&'a str> {
            row.get_ref(index)?.as_str().map_err(|error| {
                rusqlite::Error::FromSqlConversionFailure(index, rusqlite::types::Type::Text, Box::new(error))
            })
        };
        let optional_text = |index: usize| -> rusqlite::Result<Option<&'a str>> {
            row.get_ref(index)?.as_str_or_null().map_err(|error| {
                rusqlite::Error::FromSqlConversionFailure(index, rusqlite::types::Type::Text, Box::new(error))
            })
        };
        Ok(EventRowRef {
            id: row.get(column::ID)?,
            event_id: text(column::EVENT_ID)?,
            occurred_at: text(column::OCCURRED_AT)?,
            action_kind: text(column::ACTION_KIND)?,
            action_text: text(column::ACTION_TEXT)?,
            details: text(column::DETAILS)?,
            partner_user: text(column::PARTNER_USER)?,
            customer_id: row.get(column::CUSTOMER_ID)?,
            company_name: optional_text(column::COMPANY_NAME)?,
        })
    }

    /// A row sqlx read on PostgreSQL, by [`column`]: text borrowed from it, no column looked
    /// up by name.
    pub fn from_postgres(row: &'a sqlx::postgres::PgRow) -> Result<EventRowRef<'a>, sqlx::Error> {
        use sqlx::Row;
        Ok(EventRowRef {
            id: row.try_get(column::ID)?,
            event_id: row.try_get(column::EVENT_ID)?,
            occurred_at: row.try_get(column::OCCURRED_AT)?,
            action_kind: row.try_get(column::ACTION_KIND)?,
            action_text: row.try_get(column::ACTION_TEXT)?,
            details: row.try_get(column::DETAILS)?,
            partner_user: row.try_get(column::PARTNER_USER)?,
            customer_id: row.try_get(column::CUSTOMER_ID)?,
            company_name: row.try_get(column::COMPANY_NAME)?,
        })
    }

    /// The customer's id and name, when the event has a customer of its partner.
    pub fn customer(&self) -> Option<(i64, &'a str)> {
        self.customer_id.zip(self.company_name)
    }

    /// Where this row is in the log's order (time, then id).
    pub fn position(&self) -> (&'a str, i64) {
        (self.occurred_at, self.id)
    }

    pub fn to_owned(&self) -> EventRow {
        EventRow {
            id: EventId(self.id),
            event_id: self.event_id.to_string(),
            occurred_at: self.occurred_at.to_string(),
            action_kind: self.action_kind.to_string(),
            action_text: self.action_text.to_string(),
            details: self.details.to_string(),
            partner_user: self.partner_user.to_string(),
            customer_id: self.customer_id.map(CustomerId),
            company_name: self.company_name.map(str::to_string),
        }
    }

    /// The details, decoded from their JSON.
    pub fn decoded_details(&self) -> Result<ActionDetails, AppError> {
        serde_json::from_str(self.details).map_err(|_| unreadable(self.id, "details"))
    }

    /// When it happened, read from its stored time.
    pub fn decoded_occurred_at(&self) -> Result<chrono::DateTime<chrono::Utc>, AppError> {
        from_db_time(self.occurred_at).map_err(|_| unreadable(self.id, "occurred_at"))
    }

    /// Its action, read from its stored name.
    pub fn decoded_action(&self) -> Result<ActionKind, AppError> {
        ActionKind::parse(self.action_kind).ok_or_else(|| unreadable(self.id, "action_kind"))
    }
}

impl EventRow {
    /// This row's columns, borrowed.
    pub fn as_ref(&self) -> EventRowRef<'_> {
        EventRowRef {
            id: self.id.0,
            event_id: &self.event_id,
            occurred_at: &self.occurred_at,
            action_kind: &self.action_kind,
            action_text: &self.action_text,
            details: &self.details,
            partner_user: &self.partner_user,
            customer_id: self.customer_id.map(|id| id.0),
            company_name: self.company_name.as_deref(),
        }
    }
}

/// A stored row that doesn't read as an event: logged, and the read fails.
fn unreadable(id: i64, what: &str) -> AppError {
    tracing::error!(event_id = id, what, "unreadable activity event");
    AppError::Internal
}

/// An entry with its details as stored (JSON): the export writes that text as it is.
#[derive(Debug, Clone)]
pub struct StoredEntry {
    pub entry: ActivityEntry,
    pub details_json: String,
}

impl StoredEntry {
    /// This entry as an [`EventRowRef`]; `time` is its time as stored (`db::to_db_time`).
    pub fn as_row<'a>(&'a self, time: &'a str) -> EventRowRef<'a> {
        let entry = &self.entry;
        EventRowRef {
            id: entry.id.0,
            event_id: &entry.event_id,
            occurred_at: time,
            action_kind: entry.action.as_str(),
            action_text: &entry.action_text,
            details: &self.details_json,
            partner_user: &entry.partner_user,
            customer_id: entry.customer.as_ref().map(|customer| customer.id.0),
            company_name: entry
                .customer
                .as_ref()
                .map(|customer| customer.company_name.as_str()),
        }
    }
}

pub fn entry_from_row(row: EventRow) -> Result<ActivityEntry, AppError> {
    stored_entry_from_row(row).map(|stored| stored.entry)
}

pub fn stored_entry_from_row(row: EventRow) -> Result<StoredEntry, AppError> {
    let (occurred_at, action, details) = {
        let stored = row.as_ref();
        (
            stored.decoded_occurred_at()?,
            stored.decoded_action()?,
            stored.decoded_details()?,
        )
    };
    let EventRow {
        id,
        event_id,
        action_text,
        details: details_json,
        partner_user,
        customer_id,
        company_name,
        ..
    } = row;
    let entry = ActivityEntry {
        id,
        event_id,
        occurred_at,
        customer: customer_id
            .zip(company_name)
            .map(|(id, company_name)| CustomerRef { id, company_name }),
        action,
        action_text,
        partner_user,
        details,
    };
    Ok(StoredEntry { entry, details_json })
}

#[cfg(test)]
mod tests {
    use super::column;

    #[test]
    fn the_column_indices_name_the_select_lists_columns() {
        // Split at the commas outside parentheses; a column is named by its alias or itself.
        let (mut columns, mut depth, mut current) = (Vec::new(), 0, String::new());
        for c in event_columns!().chars() {
            match c {
                '(' => depth += 1,
                ')' => depth -= 1,
                ',' if depth == 0 => {
                    columns.push(std::mem::take(&mut current));
                    continue;
                }
                _ => {}
            }
            current.push(c);
        }
        columns.push(current);
        let names: Vec<&str> = columns
            .iter()
            .map(|column| {
                let name = column.trim().rsplit(' ').next().unwrap_or_default();
                name.rsplit('.').next().unwrap_or(name)
            })
            .collect();
        let expected = [
            (column::ID, "id"),
            (column::EVENT_ID, "event_id"),
            (column::OCCURRED_AT, "occurred_at"),
            (column::ACTION_KIND, "action_kind"),
            (column::ACTION_TEXT, "action_text"),
            (column::DETAILS, "details"),
            (column::PARTNER_USER, "partner_user"),
            (column::CUSTOMER_ID, "customer_id"),
            (column::COMPANY_NAME, "company_name"),
        ];
        assert_eq!(names.len(), expected.len(), "{names:?}");
        for (index, name) in expected {
            assert_eq!(names[index], name, "column {index}");
        }
    }
}
