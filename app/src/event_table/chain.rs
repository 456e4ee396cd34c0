//! A partner's events in the order they were stored (their chain position): the read API
//! pages through them, the live log follows them, the month view's kept pages ask whether
//! their period moved since, and the integrity badge counts what a checkpoint covers.

use chrono::{DateTime, Utc};

use super::{EventRow, event_columns, event_joins};
use crate::db::{Db, Tx, on_db, on_tx, to_db_time};
use crate::errors::AppError;
use crate::ids::PartnerId;

/// The partner's chain position: how many events it has stored (0 for none). Kept pages
/// remember it; it moves with every event stored, whatever its time.
pub async fn chain_position(db: &Db, partner_id: PartnerId) -> Result<i64, AppError> {
    let (position,): (i64,) = on_db!(db, |pool| sqlx::query_as(
        "SELECT COALESCE(MAX(chain_seq), 0) FROM activity_events WHERE partner_id = $1"
    )
    .bind(partner_id)
    .fetch_one(pool)
    .await)?;
    Ok(position)
}

/// The chain position of the partner's event with row id `event_id`, if the partner has
/// that event (another partner's id finds nothing).
pub async fn position_of_event(
    db: &Db,
    partner_id: PartnerId,
    event_id: crate::ids::EventId,
) -> Result<Option<i64>, AppError> {
    let position: Option<Option<i64>> = on_db!(db, |pool| sqlx::query_scalar(
        "SELECT chain_seq FROM activity_events WHERE id = $1 AND partner_id = $2"
    )
    .bind(event_id.0)
    .bind(partner_id)
    .fetch_optional(pool)
    .await)?;
    Ok(position.flatten())
}

/// The log's columns ([`EventRow`]) plus the chain's, in the order events were stored:
/// after position $2 (oldest first) or before it (newest first), occurred_at within $3..$4
/// when given, at most $5 rows. Both read the (partner_id, chain_seq) index in its order.
macro_rules! chain_sql {
    ($position:literal, $order:literal) => {
        concat!(
            "SELECT ",
            event_columns!(),
            ", e.chain_seq, e.event_hash, e.recorded_at",
            event_joins!(),
            "WHERE e.partner_id = $1 AND ",
            $position,
            " AND ($3 IS NULL OR e.occurred_at >= $3) AND ($4 IS NULL OR e.occurred_at < $4)
         ORDER BY e.chain_seq ",
            $order,
            " LIMIT $5"
        )
    };
}
pub const CHAIN_OLDEST_FIRST_SQL: &str = chain_sql!("e.chain_seq > $2", "ASC");
pub const CHAIN_NEWEST_FIRST_SQL: &str = chain_sql!("e.chain_seq < $2", "DESC");

/// An event with its place in the chain.
#[derive(Debug, sqlx::FromRow)]
pub struct PositionedRow {
    #[sqlx(flatten)]
    pub event: EventRow,
    pub chain_seq: i64,
    pub event_hash: Option<String>,
    pub recorded_at: Option<String>,
}

/// Which of a partner's events [`events_by_chain`] reads: past `position` in the chain's
/// order (after it oldest first, before it newest first), with their time in `from..to`
/// when given.
#[derive(Debug, Clone, Copy)]
pub struct ChainRange {
    pub partner_id: PartnerId,
    pub position: i64,
    pub oldest_first: bool,
    pub from: Option<DateTime<Utc>>,
    pub to: Option<DateTime<Utc>>,
}

/// Up to `limit` events of `range`, in the chain's order.
pub async fn events_by_chain(
    db: &Db,
    range: &ChainRange,
    limit: i64,
) -> Result<Vec<PositionedRow>, AppError> {
    let sql = if range.oldest_first {
        CHAIN_OLDEST_FIRST_SQL
    } else {
        CHAIN_NEWEST_FIRST_SQL
    };
    let (from, to) = (range.from.map(to_db_time), range.to.map(to_db_time));
    Ok(on_db!(db, |pool| sqlx::query_as(sql)
        .bind(range.partner_id)
        .bind(range.position)
        .bind(&from)
        .bind(&to)
        .bind(limit)
        .fetch_all(pool)
        .await)?)
}

/// Whether any event stored after chain position $2 falls in the period ($3 from, $4 to);
/// `$hint` points SQLite's planner at the chain index, so only the events stored since are
/// read (PostgreSQL's planner has statistics to find it).
macro_rules! stored_since_sql {
    ($hint:literal) => {
        concat!(
            "SELECT EXISTS (SELECT 1 FROM activity_events ",
            $hint,
            " WHERE partner_id = $1 AND chain_seq > $2 AND occurred_at >= $3 AND occurred_at < $4)"
        )
    };
}

pub async fn stored_in_period_since(
    db: &Db,
    partner_id: PartnerId,
    position: i64,
    (from, to): (DateTime<Utc>, DateTime<Utc>),
) -> Result<bool, AppError> {
    let sql = match db {
        Db::Sqlite(_) => stored_since_sql!("INDEXED BY activity_events_by_chain"),
        Db::Postgres(_) => stored_since_sql!(""),
    };
    let (stored,): (bool,) = on_db!(db, |pool| sqlx::query_as(sql)
        .bind(partner_id)
        .bind(position)
        .bind(to_db_time(from))
        .bind(to_db_time(to))
        .fetch_one(pool)
        .await)?;
    Ok(stored)
}

/// The last link of a partner's chain.
#[derive(Debug, sqlx::FromRow)]
pub struct ChainHead {
    pub chain_seq: i64,
    pub event_hash: String,
}

/// Read inside the append's transaction, under the chain's lock.
pub async fn chain_head(tx: &mut Tx, partner_id: PartnerId) -> Result<Option<ChainHead>, sqlx::Error> {
    on_tx!(tx, |conn| sqlx::query_as(
        "SELECT chain_seq, event_hash FROM activity_events
         WHERE partner_id = $1 AND chain_seq IS NOT NULL
         ORDER BY chain_seq DESC LIMIT 1",
    )
    .bind(partner_id)
    .fetch_optional(&mut *conn)
    .await)
}

/// The chain's head and the newest checkpoint row, read from their indexes.
#[derive(Debug, sqlx::FromRow)]
pub struct ChainState {
    pub head_seq: Option<i64>,
    pub head_hash: Option<String>,
    pub newest_checkpoint_row: Option<i64>,
}

pub async fn chain_state(db: &Db, partner_id: PartnerId) -> Result<ChainState, sqlx::Error> {
    on_db!(db, |pool| sqlx::query_as(
        "SELECT (SELECT MAX(chain_seq) FROM activity_events WHERE partner_id = $1) AS head_seq,
            (SELECT event_hash FROM activity_events WHERE partner_id = $1
             ORDER BY chain_seq DESC LIMIT 1) AS head_hash,
            (SELECT MAX(id) FROM chain_checkpoints WHERE partner_id = $1) AS newest_checkpoint_row",
    )
    .bind(partner_id)
    .fetch_one(pool)
    .await)
}

/// The partner's events in a period, and those of them after position `covered_through`:
/// the badge's counts.
#[derive(Debug, sqlx::FromRow)]
pub struct PeriodCounts {
    pub events: i64,
    pub uncovered: i64,
}

/// The badge's counting query; `$hint` steers SQLite's planner to the chain index (its
/// statistics-free guess walks the time index), PostgreSQL's planner has statistics.
macro_rules! period_counts_sql {
    ($hint:literal) => {
        concat!(
            "SELECT
               (SELECT COUNT(*) FROM activity_events
                WHERE partner_id = $1 AND occurred_at >= $2 AND occurred_at < $3) AS events,
               (SELECT COUNT(*) FROM activity_events ",
            $hint,
            " WHERE partner_id = $1 AND chain_seq > $4 AND occurred_at >= $2 AND occurred_at < $3) AS uncovered"
        )
    };
}

pub async fn period_counts(
    db: &Db,
    partner_id: PartnerId,
    (from, to): (DateTime<Utc>, DateTime<Utc>),
    covered_through: i64,
) -> Result<PeriodCounts, sqlx::Error> {
    let sql = match db {
        Db::Sqlite(_) => period_counts_sql!("INDEXED BY activity_events_by_chain"),
        Db::Postgres(_) => period_counts_sql!(""),
    };
    on_db!(db, |pool| {
        sqlx::query_as(sql)
            .bind(partner_id)
            .bind(to_db_time(from))
            .bind(to_db_time(to))
            .bind(covered_through)
            .fetch_one(pool)
            .await
    })
}
