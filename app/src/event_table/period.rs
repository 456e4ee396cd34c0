//! A partner's events in a time range, newest or oldest first, read in keyset slices: the
//! month view's pages and the export's slices. Each slice is one index range scan however
//! deep it starts, and gives its connection back when read.

use chrono::{DateTime, Utc};

use super::{EventRow, EventRowRef, events_sql};
use crate::db::{Db, on_db, to_db_time};
use crate::errors::AppError;
use crate::ids::PartnerId;

/// A whole period newest first, at most $4 rows. For tools and tests; the page and the
/// export read keyset slices.
pub const EVENTS_IN_RANGE_SQL: &str = events_sql!("ORDER BY e.occurred_at DESC, e.id DESC LIMIT $4");

/// One keyset slice newest first: after the cursor ($4 time, $5 id), none newer than row $6
/// (the export's start; the page passes the largest id), at most $7 rows.
pub const PAGE_NEWEST_FIRST_SQL: &str = events_sql!(
    "AND (e.occurred_at < $4 OR (e.occurred_at = $4 AND e.id < $5)) AND e.id <= $6
     ORDER BY e.occurred_at DESC, e.id DESC LIMIT $7"
);
/// The same, oldest first (for an export sorted that way).
pub const PAGE_OLDEST_FIRST_SQL: &str = events_sql!(
    "AND (e.occurred_at > $4 OR (e.occurred_at = $4 AND e.id > $5)) AND e.id <= $6
     ORDER BY e.occurred_at ASC, e.id ASC LIMIT $7"
);

/// PostgreSQL's texts of the two: its planner turns only the row comparison into an index
/// bound (from the OR form it reads the range from its end on every slice, so an export of a
/// million rows read a quarter of a billion). SQLite's planner does the opposite.
pub const PAGE_NEWEST_FIRST_POSTGRES_SQL: &str = events_sql!(
    "AND (e.occurred_at, e.id) < ($4, $5) AND e.id <= $6
     ORDER BY e.occurred_at DESC, e.id DESC LIMIT $7"
);
pub const PAGE_OLDEST_FIRST_POSTGRES_SQL: &str = events_sql!(
    "AND (e.occurred_at, e.id) > ($4, $5) AND e.id <= $6
     ORDER BY e.occurred_at ASC, e.id ASC LIMIT $7"
);

/// Where a slice starts or ends: a row's stored time and id (rows are ordered by both).
pub type RowPosition = (String, i64);

/// Which keyset slices to read: one partner's events from `from` (included) to `to`
/// (excluded), none newer than row `newest_id`, newest or oldest first.
#[derive(Debug, Clone)]
pub struct Slice {
    pub partner_id: PartnerId,
    from: String,
    to: String,
    pub newest_id: i64,
    pub oldest_first: bool,
}

impl Slice {
    pub fn new(
        partner_id: PartnerId,
        (from, to): (DateTime<Utc>, DateTime<Utc>),
        newest_id: i64,
        oldest_first: bool,
    ) -> Slice {
        Slice {
            partner_id,
            from: to_db_time(from),
            to: to_db_time(to),
            newest_id,
            oldest_first,
        }
    }

    /// The keyset slice's SQL for this order on SQLite (`postgres`: PostgreSQL's).
    fn page_sql(&self, postgres: bool) -> &'static str {
        match (self.oldest_first, postgres) {
            (false, false) => PAGE_NEWEST_FIRST_SQL,
            (true, false) => PAGE_OLDEST_FIRST_SQL,
            (false, true) => PAGE_NEWEST_FIRST_POSTGRES_SQL,
            (true, true) => PAGE_OLDEST_FIRST_POSTGRES_SQL,
        }
    }

    /// Where the first slice starts: before the end (newest first) or after the start.
    pub fn start(&self) -> RowPosition {
        if self.oldest_first {
            (self.from.clone(), 0)
        } else {
            (self.to.clone(), i64::MAX)
        }
    }
}

/// Up to `limit` events of `slice` past `cursor`, on a blocking thread ([`for_each_in_slice`]).
pub async fn events_slice(
    db: &Db,
    slice: &Slice,
    cursor: RowPosition,
    limit: i64,
) -> Result<Vec<EventRow>, AppError> {
    let keep = |rows: &mut Vec<EventRow>, row: EventRowRef<'_>| {
        rows.push(row.to_owned());
        Ok(Next::Go)
    };
    for_each_in_slice(db, slice, cursor, limit, Vec::new(), keep).await
}

/// How many events `slice` holds (its partner, range and newest id; no cursor): one count
/// over the (partner, time) index.
pub async fn events_in_slice(db: &Db, slice: &Slice) -> Result<i64, AppError> {
    Ok(on_db!(db, |pool| sqlx::query_scalar(
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

/// The rows of a keyset slice on PostgreSQL, as sqlx read them (decoded later, by position, on
/// the thread that writes them).
async fn postgres_page(
    pool: &sqlx::PgPool,
    slice: &Slice,
    (cursor_time, cursor_id): RowPosition,
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
/// row, or `None` when fewer rows are left. An index-only walk (the time index holds the id),
/// without the joins: they add no row and, with every event's user present, drop none; a
/// slice's reader stops at this end anyway, so slices never overlap.
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
/// PostgreSQL's texts: the row comparison, as in its slices.
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
) -> Result<Option<RowPosition>, AppError> {
    let sql = match (db, slice.oldest_first) {
        (Db::Sqlite(_), false) => SLICE_END_NEWEST_FIRST_SQL,
        (Db::Sqlite(_), true) => SLICE_END_OLDEST_FIRST_SQL,
        (Db::Postgres(_), false) => SLICE_END_NEWEST_FIRST_POSTGRES_SQL,
        (Db::Postgres(_), true) => SLICE_END_OLDEST_FIRST_POSTGRES_SQL,
    };
    let end: Option<RowPosition> = on_db!(db, |pool| sqlx::query_as(sql)
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
/// `state`, until `each` says stop; returns the state. On a blocking thread, as
/// [`EventRowRef`]s borrowed from the read: on SQLite straight from its rows, on PostgreSQL
/// once read.
pub async fn for_each_in_slice<S, F>(
    db: &Db,
    slice: &Slice,
    (cursor_time, cursor_id): RowPosition,
    limit: i64,
    mut state: S,
    mut each: F,
) -> Result<S, AppError>
where
    S: Send + 'static,
    F: FnMut(&mut S, EventRowRef<'_>) -> Result<Next, AppError> + Send + 'static,
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
                    match each(&mut state, EventRowRef::from_sqlite(row)?) {
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
                    if each(&mut state, EventRowRef::from_postgres(row)?)? == Next::Stop {
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
    let (newest,): (i64,) = on_db!(db, |pool| sqlx::query_as(
        "SELECT COALESCE(MAX(id), 0) FROM activity_events"
    )
    .fetch_one(pool)
    .await)?;
    Ok(newest)
}

/// One partner's whole range, newest first, in memory (the page pages and the export
/// streams; this is for tools and tests).
pub async fn events_in_range(
    db: &Db,
    partner_id: PartnerId,
    (from, to): (DateTime<Utc>, DateTime<Utc>),
) -> Result<Vec<EventRow>, AppError> {
    Ok(on_db!(db, |pool| sqlx::query_as(EVENTS_IN_RANGE_SQL)
        .bind(partner_id)
        .bind(to_db_time(from))
        .bind(to_db_time(to))
        .bind(i64::MAX)
        .fetch_all(pool)
        .await)?)
}
