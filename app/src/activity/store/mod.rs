//! The activity log's SQL. Every query is scoped to one partner in its WHERE clause. Reads
//! in the order events were stored (the read API, the live log, the kept pages' check) are
//! in `chain`.

use crate::db::Db;

use super::model::EventPage;
use super::period::UtcRange;
use crate::db::{from_db_time, to_db_time};
use crate::errors::AppError;
use crate::events::{ActionDetails, ActionKind, ActivityEntry, CustomerRef};
use crate::ids::{CustomerId, EventId, PartnerId};

pub mod chain;

/// One event as every read of the log selects it ([`events_sql!`]'s columns).
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

/// One event's columns as read, borrowed where they lie (a rusqlite row, sqlx's `PgRow`, a
/// [`StoredEntry`]): the export writes most cells straight from them, with no string made per
/// cell.
#[derive(Debug, Clone, Copy)]
pub struct StoredRow<'a> {
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

impl<'a> StoredRow<'a> {
    /// By the position of [`events_sql!`]'s columns.
    pub fn from_sqlite(row: &'a rusqlite::Row<'_>) -> rusqlite::Result<StoredRow<'a>> {
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
        Ok(StoredRow {
            id: row.get(0)?,
            event_id: text(1)?,
            occurred_at: text(2)?,
            action_kind: text(3)?,
            action_text: text(4)?,
            details: text(5)?,
            partner_user: text(6)?,
            customer_id: row.get(7)?,
            company_name: optional_text(8)?,
        })
    }

    /// By the position of [`events_sql!`]'s columns: text borrowed from the row sqlx read, no
    /// string made per cell and no column looked up by name.
    pub fn from_postgres(row: &'a sqlx::postgres::PgRow) -> Result<StoredRow<'a>, sqlx::Error> {
        use sqlx::Row;
        Ok(StoredRow {
            id: row.try_get(0)?,
            event_id: row.try_get(1)?,
            occurred_at: row.try_get(2)?,
            action_kind: row.try_get(3)?,
            action_text: row.try_get(4)?,
            details: row.try_get(5)?,
            partner_user: row.try_get(6)?,
            customer_id: row.try_get(7)?,
            company_name: row.try_get(8)?,
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
}

/// A stored row that doesn't read as an event: logged, and the read fails.
fn unreadable(id: i64, what: &str) -> AppError {
    tracing::error!(event_id = id, what, "unreadable activity event");
    AppError::Internal
}

/// The columns every read of the log takes, with the joins that name customers and users,
/// for one partner ($1) and a time range ($2 from, $3 to); each query adds its tail.
macro_rules! events_sql {
    ($tail:literal) => {
        concat!(
            "SELECT e.id, COALESCE(e.external_id, CAST(e.id AS TEXT)) AS event_id, e.occurred_at,
                e.action_kind, e.action_text, e.details, u.email AS partner_user,
                c.id AS customer_id, c.company_name
         FROM activity_events e
         JOIN partner_users u ON u.id = e.partner_user_id
         LEFT JOIN customers c ON c.id = e.customer_id AND c.partner_id = e.partner_id
         WHERE e.partner_id = $1 AND e.occurred_at >= $2 AND e.occurred_at < $3 ",
            $tail
        )
    };
}

/// A whole period newest first, at most $4 rows. For tools and tests; the
/// page and the export read keyset pages.
pub const EVENTS_IN_RANGE_SQL: &str = events_sql!("ORDER BY e.occurred_at DESC, e.id DESC LIMIT $4");

/// One keyset page newest first: after the cursor ($4 time, $5 id), none newer than row $6
/// (the export's start; the page passes the largest id), at most $7 rows. The page and the
/// export read through it, each page one index range scan however deep.
pub const PAGE_NEWEST_FIRST_SQL: &str = events_sql!(
    "AND (e.occurred_at < $4 OR (e.occurred_at = $4 AND e.id < $5)) AND e.id <= $6
     ORDER BY e.occurred_at DESC, e.id DESC LIMIT $7"
);
/// The same, oldest first (for an export sorted that way).
pub const PAGE_OLDEST_FIRST_SQL: &str = events_sql!(
    "AND (e.occurred_at > $4 OR (e.occurred_at = $4 AND e.id > $5)) AND e.id <= $6
     ORDER BY e.occurred_at ASC, e.id ASC LIMIT $7"
);

/// PostgreSQL's texts of the two pages: its planner turns only the row comparison into an
/// index bound (from the OR form it reads the range from its end on every page, so an export
/// of a million rows read a quarter of a billion). SQLite's planner does the opposite.
pub const PAGE_NEWEST_FIRST_POSTGRES_SQL: &str = events_sql!(
    "AND (e.occurred_at, e.id) < ($4, $5) AND e.id <= $6
     ORDER BY e.occurred_at DESC, e.id DESC LIMIT $7"
);
pub const PAGE_OLDEST_FIRST_POSTGRES_SQL: &str = events_sql!(
    "AND (e.occurred_at, e.id) > ($4, $5) AND e.id <= $6
     ORDER BY e.occurred_at ASC, e.id ASC LIMIT $7"
);

/// Where a page ends: the last row's time and id (rows are ordered by both, newest first).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PageCursor {
    occurred_at: String,
    id: i64,
}

impl PageCursor {
    /// `2026-11-20T09:15:00Z/12345`, as [`PageCursor::to_text`] writes it.
    pub fn parse(text: &str) -> Option<PageCursor> {
        let (time, id) = text.split_once('/')?;
        let occurred_at = to_db_time(from_db_time(time).ok()?);
        (occurred_at == time).then_some(())?;
        Some(PageCursor {
            occurred_at,
            id: id.parse().ok()?,
        })
    }

    pub fn to_text(&self) -> String {
        format!("{}/{}", self.occurred_at, self.id)
    }
}

/// One page of a partner's events in `range`, newest first, after `after` (keyset paging:
/// each page is one index range scan, however deep).
pub async fn events_page(
    db: &Db,
    partner_id: PartnerId,
    range: UtcRange,
    after: Option<PageCursor>,
    limit: usize,
) -> Result<EventPage, AppError> {
    let before = match after {
        Some(cursor) => (cursor.occurred_at, cursor.id),
        None => (to_db_time(range.to), i64::MAX),
    };
    let slice = Slice {
        partner_id,
        from: to_db_time(range.from),
        to: to_db_time(range.to),
        newest_id: i64::MAX,
        oldest_first: false,
    };
    let rows = events_slice(db, &slice, before, limit as i64).await?;
    let full = rows.len() == limit;
    let entries = rows
        .into_iter()
        .map(entry_from_row)
        .collect::<Result<Vec<_>, _>>()?;
    let next = full.then(|| entries.last()).flatten().map(|last| {
        PageCursor {
            occurred_at: to_db_time(last.occurred_at),
            id: last.id.0,
        }
        .to_text()
    });
    Ok(EventPage::pack(entries, next))
}

/// One partner's whole period, newest first, in memory (the page pages and the export
/// streams; this is for tools and tests).
pub async fn events_in_range(
    db: &Db,
    partner_id: PartnerId,
    range: UtcRange,
) -> Result<Vec<ActivityEntry>, AppError> {
    let rows: Vec<EventRow> = crate::on_db!(db, |pool| sqlx::query_as(EVENTS_IN_RANGE_SQL)
        .bind(partner_id)
        .bind(to_db_time(range.from))
        .bind(to_db_time(range.to))
        .bind(i64::MAX)
        .fetch_all(pool)
        .await)?;
    rows.into_iter().map(entry_from_row).collect()
}

pub fn entry_from_row(row: EventRow) -> Result<ActivityEntry, AppError> {
    stored_entry_from_row(row).map(|stored| stored.entry)
}

/// An entry with its details as stored (JSON): the export writes that text as it is.
#[derive(Debug, Clone)]
pub struct StoredEntry {
    pub entry: ActivityEntry,
    pub details_json: String,
}

impl StoredEntry {
    /// This entry as a [`StoredRow`]; `time` is its time as stored ([`to_db_time`]).
    pub fn as_stored<'a>(&'a self, time: &'a str) -> StoredRow<'a> {
        let entry = &self.entry;
        StoredRow {
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

pub fn stored_entry_from_row(row: EventRow) -> Result<StoredEntry, AppError> {
    let EventRow {
        id,
        event_id,
        occurred_at,
        action_kind,
        action_text,
        details,
        partner_user,
        customer_id,
        company_name,
    } = row;
    let corrupt = |what: &str| unreadable(id.0, what);
    let entry = ActivityEntry {
        id,
        event_id,
        occurred_at: from_db_time(&occurred_at).map_err(|_| corrupt("occurred_at"))?,
        customer: customer_id
            .zip(company_name)
            .map(|(id, company_name)| CustomerRef { id, company_name }),
        action: ActionKind::parse(&action_kind).ok_or_else(|| corrupt("action_kind"))?,
        action_text,
        partner_user,
        details: serde_json::from_str::<ActionDetails>(&details).map_err(|_| corrupt("details"))?,
    };
    Ok(StoredEntry {
        entry,
        details_json: details,
    })
}

/// Which keyset slices to read: one partner's events from `from` to `to` (stored times),
/// none newer than row `newest_id`, newest or oldest first.
#[derive(Debug, Clone)]
pub struct Slice {
    pub partner_id: PartnerId,
    pub from: String,
    pub to: String,
    pub newest_id: i64,
    pub oldest_first: bool,
}

impl Slice {
    /// The keyset page's SQL for this slice's order on SQLite (`postgres`: PostgreSQL's).
    fn page_sql(&self, postgres: bool) -> &'static str {
        match (self.oldest_first, postgres) {
            (false, false) => PAGE_NEWEST_FIRST_SQL,
            (true, false) => PAGE_OLDEST_FIRST_SQL,
            (false, true) => PAGE_NEWEST_FIRST_POSTGRES_SQL,
            (true, true) => PAGE_OLDEST_FIRST_POSTGRES_SQL,
        }
    }

    /// Where the first slice starts: before the end (newest first) or after the start.
    pub fn start(&self) -> (String, i64) {
        if self.oldest_first {
            (self.from.clone(), 0)
        } else {
            (self.to.clone(), i64::MAX)
        }
    }
}

/// Up to `limit` events of `slice` past `cursor` (the last row's stored time and id), on a
/// blocking thread ([`for_each_in_slice`]).
pub async fn events_slice(
    db: &Db,
    slice: &Slice,
    cursor: (String, i64),
    limit: i64,
) -> Result<Vec<EventRow>, AppError> {
    let keep = |rows: &mut Vec<EventRow>, row: StoredRow<'_>| {
        rows.push(row.to_owned());
        Ok(Next::Go)
    };
    for_each_in_slice(db, slice, cursor, limit, Vec::new(), keep).await
}

/// How many events `slice` holds (its partner, range and newest id; no cursor): one count
/// over the (partner, time) index.
pub async fn events_in_slice(db: &Db, slice: &Slice) -> Result<i64, AppError> {
    Ok(crate::on_db!(db, |pool| sqlx::query_scalar(
        "SELECT COUNT(*) FROM activity_events
         WHERE partner_id = $1 AND occurred_at >= $2 AND occurred_at < $3 AND id <= $4"
    )
    .bind(slice.partner_id)
    .bind(&slice.from)
    .bind(&slice.to)
    .bind(slice.newest_id)
    .fetch_one(pool)
    .await)?)
}

/// The rows of a keyset page of `slice` on PostgreSQL, as sqlx read them (decoded later,
/// by position, on the thread that writes them).
async fn postgres_page(
    pool: &sqlx::PgPool,
    slice: &Slice,
    (cursor_time, cursor_id): (String, i64),
    limit: i64,
) -> Result<Vec<sqlx::postgres::PgRow>, AppError> {
    Ok(sqlx::query(slice.page_sql(true))
        .bind(slice.partner_id)
        .bind(&slice.from)
        .bind(&slice.to)
        .bind(cursor_time)
        .bind(cursor_id)
        .bind(slice.newest_id)
        .bind(limit)
        .fetch_all(pool)
        .await?)
}

/// Where a slice of `limit` rows that starts after a cursor ends: the time and id of its last
/// row, or `None` when fewer rows are left. An index-only walk (the time index holds the
/// id), without the joins: they add no row and, with every event's user present, drop none;
/// a slice's reader stops at this end anyway, so slices never overlap.
macro_rules! slice_end_sql {
    ($after:literal, $order:literal) => {
        concat!(
            "SELECT e.occurred_at, e.id FROM activity_events e
         WHERE e.partner_id = $1 AND e.occurred_at >= $2 AND e.occurred_at < $3 AND ",
            $after,
            " AND e.id <= $6 ORDER BY ",
            $order,
            " LIMIT 1 OFFSET $7"
        )
    };
}

pub const SLICE_END_NEWEST_FIRST_SQL: &str = slice_end_sql!(
    "(e.occurred_at < $4 OR (e.occurred_at = $4 AND e.id < $5))",
    "e.occurred_at DESC, e.id DESC"
);
pub const SLICE_END_OLDEST_FIRST_SQL: &str = slice_end_sql!(
    "(e.occurred_at > $4 OR (e.occurred_at = $4 AND e.id > $5))",
    "e.occurred_at ASC, e.id ASC"
);
/// PostgreSQL's texts: the row comparison, as in its pages.
pub const SLICE_END_NEWEST_FIRST_POSTGRES_SQL: &str = slice_end_sql!(
    "(e.occurred_at, e.id) < ($4, $5)",
    "e.occurred_at DESC, e.id DESC"
);
pub const SLICE_END_OLDEST_FIRST_POSTGRES_SQL: &str =
    slice_end_sql!("(e.occurred_at, e.id) > ($4, $5)", "e.occurred_at ASC, e.id ASC");

pub async fn slice_end(
    db: &Db,
    slice: &Slice,
    (cursor_time, cursor_id): (&str, i64),
    limit: i64,
) -> Result<Option<(String, i64)>, AppError> {
    let sql = match (db, slice.oldest_first) {
        (Db::Sqlite(_), false) => SLICE_END_NEWEST_FIRST_SQL,
        (Db::Sqlite(_), true) => SLICE_END_OLDEST_FIRST_SQL,
        (Db::Postgres(_), false) => SLICE_END_NEWEST_FIRST_POSTGRES_SQL,
        (Db::Postgres(_), true) => SLICE_END_OLDEST_FIRST_POSTGRES_SQL,
    };
    let end: Option<(String, i64)> = crate::on_db!(db, |pool| sqlx::query_as(sql)
        .bind(slice.partner_id)
        .bind(&slice.from)
        .bind(&slice.to)
        .bind(cursor_time)
        .bind(cursor_id)
        .bind(slice.newest_id)
        .bind(limit - 1)
        .fetch_optional(pool)
        .await)?;
    Ok(end)
}

/// Reads the events of `slice` past `cursor` (at most `limit`) and hands each to `each`, with
/// `state`, until `each` says stop; returns the state. On a blocking thread, as [`StoredRow`]s
/// borrowed from the read: on SQLite straight from its rows, on PostgreSQL once read.
pub async fn for_each_in_slice<S, F>(
    db: &Db,
    slice: &Slice,
    (cursor_time, cursor_id): (String, i64),
    limit: i64,
    mut state: S,
    mut each: F,
) -> Result<S, AppError>
where
    S: Send + 'static,
    F: FnMut(&mut S, StoredRow<'_>) -> Result<Next, AppError> + Send + 'static,
{
    match db {
        Db::Sqlite(pool) => {
            let slice = slice.clone();
            crate::sqlite_reads::read(pool, move |connection| {
                let mut statement = connection.prepare_cached(slice.page_sql(false))?;
                let mut rows = statement.query(rusqlite::params![
                    slice.partner_id.0,
                    slice.from,
                    slice.to,
                    cursor_time,
                    cursor_id,
                    slice.newest_id,
                    limit
                ])?;
                while let Some(row) = rows.next()? {
                    match each(&mut state, StoredRow::from_sqlite(row)?) {
                        Ok(Next::Go) => {}
                        Ok(Next::Stop) => break,
                        Err(error) => return Ok(Err(error)),
                    }
                }
                Ok(Ok(state))
            })
            .await?
        }
        Db::Postgres(pool) => {
            let rows = postgres_page(pool, slice, (cursor_time, cursor_id), limit).await?;
            let work = move || {
                for row in &rows {
                    if each(&mut state, StoredRow::from_postgres(row)?)? == Next::Stop {
                        break;
                    }
                }
                Ok(state)
            };
            tokio::task::spawn_blocking(work).await.map_err(|error| {
                tracing::error!(%error, "a slice's writer stopped");
                AppError::Internal
            })?
        }
    }
}

/// Whether [`for_each_in_slice`] goes on to the next row.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Next {
    Go,
    Stop,
}

/// The largest event id of the whole database: an export holds the events up to it.
pub async fn newest_event_id(db: &Db) -> Result<i64, AppError> {
    let (newest,): (i64,) = crate::on_db!(db, |pool| sqlx::query_as(
        "SELECT COALESCE(MAX(id), 0) FROM activity_events"
    )
    .fetch_one(pool)
    .await)?;
    Ok(newest)
}
