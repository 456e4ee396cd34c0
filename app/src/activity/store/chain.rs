//! Reads of a partner's events in the order they were stored (the hash chain's positions):
//! the read API pages through them, the live log follows them, and the month view's kept
//! pages ask whether their period moved since.

use super::EventRow;
use crate::db::Db;
use crate::errors::AppError;
use crate::ids::PartnerId;

/// The partner's chain position: how many events it has stored (0 for none). Kept pages
/// remember it; it moves with every event stored, whatever its time.
pub async fn chain_position(db: &Db, partner_id: PartnerId) -> Result<i64, AppError> {
    let (position,): (i64,) = crate::on_db!(db, |pool| sqlx::query_as(
        "SELECT COALESCE(MAX(chain_seq), 0) FROM activity_events WHERE partner_id = $1"
    )
    .bind(partner_id)
    .fetch_one(pool)
    .await)?;
    Ok(position)
}

/// The log's columns ([`EventRow`]) plus the chain's, in the order events were stored:
/// after position $2 (oldest first) or before it (newest first), occurred_at within $3..$4
/// when given, at most $5 rows. Both read the (partner_id, chain_seq) index in its order.
/// The read API pages through these; the live log follows them.
macro_rules! chain_sql {
    ($position:literal, $order:literal) => {
        concat!(
            "SELECT e.id, COALESCE(e.external_id, CAST(e.id AS TEXT)) AS event_id, e.occurred_at,
                e.action_kind, e.action_text, e.details, u.email AS partner_user,
                c.id AS customer_id, c.company_name,
                e.chain_seq, e.event_hash, e.recorded_at
         FROM activity_events e
         JOIN partner_users u ON u.id = e.partner_user_id
         LEFT JOIN customers c ON c.id = e.customer_id AND c.partner_id = e.partner_id
         WHERE e.partner_id = $1 AND ",
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
pub struct ChainRow {
    #[sqlx(flatten)]
    pub event: EventRow,
    pub chain_seq: i64,
    pub event_hash: Option<String>,
    pub recorded_at: Option<String>,
}

/// Which of a partner's events [`events_by_chain`] reads: past `position` in the chain's
/// order (after it oldest first, before it newest first), with their time in `from..to`
/// (stored times) when given.
#[derive(Debug, Clone)]
pub struct ChainRange<'a> {
    pub partner_id: PartnerId,
    pub position: i64,
    pub oldest_first: bool,
    pub from: Option<&'a str>,
    pub to: Option<&'a str>,
}

/// Up to `limit` events of `range`, in the chain's order.
pub async fn events_by_chain(db: &Db, range: &ChainRange<'_>, limit: i64) -> Result<Vec<ChainRow>, AppError> {
    let sql = if range.oldest_first {
        CHAIN_OLDEST_FIRST_SQL
    } else {
        CHAIN_NEWEST_FIRST_SQL
    };
    Ok(crate::on_db!(db, |pool| sqlx::query_as(sql)
        .bind(range.partner_id)
        .bind(range.position)
        .bind(range.from)
        .bind(range.to)
        .bind(limit)
        .fetch_all(pool)
        .await)?)
}

/// Whether any event stored after chain position $2 falls in the period ($3 from, $4 to,
/// stored times); `$hint` points SQLite's planner at the chain index, so only the events
/// stored since are read (PostgreSQL's planner has statistics to find it).
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
    (from, to): (&str, &str),
) -> Result<bool, AppError> {
    let sql = match db {
        Db::Sqlite(_) => stored_since_sql!("INDEXED BY activity_events_by_chain"),
        Db::Postgres(_) => stored_since_sql!(""),
    };
    let (stored,): (bool,) = crate::on_db!(db, |pool| sqlx::query_as(sql)
        .bind(partner_id)
        .bind(position)
        .bind(from)
        .bind(to)
        .fetch_one(pool)
        .await)?;
    Ok(stored)
}
