//! The read API's SQL and paging: one partner's events by chain position, filtered in Rust
//! with the page's own filter, at most [`MAX_SCANNED`] rows looked at per read.

use serde::Serialize;

use super::MAX_SCANNED;
use super::request::{Cursor, FeedRequest};
use crate::activity::store::{EventRow, stored_entry_from_row};
use crate::db::Db;
use crate::errors::AppError;
use crate::ids::PartnerId;

/// The log's columns ([`EventRow`]) plus the chain's: after position $2 (oldest first) or
/// before it (newest first), occurred_at within $3..$4 when given, at most $5 rows. Both
/// read the (partner_id, chain_seq) index in its order.
macro_rules! feed_sql {
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
pub const FEED_OLDEST_FIRST_SQL: &str = feed_sql!("e.chain_seq > $2", "ASC");
pub const FEED_NEWEST_FIRST_SQL: &str = feed_sql!("e.chain_seq < $2", "DESC");

#[derive(Debug, sqlx::FromRow)]
struct FeedRow {
    #[sqlx(flatten)]
    event: EventRow,
    chain_seq: i64,
    event_hash: Option<String>,
    recorded_at: Option<String>,
}

/// One event as the read API answers it: the ingest shape (`id`, `occurred_at`,
/// `customer_id`, `partner_user`, `action`, `action_text`, `details`) plus what the server
/// knows: the customer's name, when it was stored, its chain position and hash, and the
/// cursor that resumes right after it.
#[derive(Debug, Serialize)]
pub struct FeedEvent {
    pub id: String,
    pub occurred_at: String,
    pub customer_id: Option<i64>,
    pub customer_name: Option<String>,
    pub partner_user: String,
    pub action: &'static str,
    pub action_text: String,
    pub details: serde_json::Value,
    pub recorded_at: Option<String>,
    pub chain_position: i64,
    pub event_hash: Option<String>,
    pub cursor: String,
}

/// One page: `next` is absent when the log had no more events to look at.
#[derive(Debug, Serialize)]
pub struct FeedPage {
    pub events: Vec<FeedEvent>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next: Option<String>,
}

async fn rows_after(
    db: &Db,
    partner_id: PartnerId,
    request: &FeedRequest,
    after: Cursor,
    count: usize,
) -> Result<Vec<FeedRow>, AppError> {
    let sql = if after.oldest_first {
        FEED_OLDEST_FIRST_SQL
    } else {
        FEED_NEWEST_FIRST_SQL
    };
    Ok(crate::on_db!(db, |pool| sqlx::query_as(sql)
        .bind(partner_id)
        .bind(after.position)
        .bind(request.from.as_deref())
        .bind(request.to.as_deref())
        .bind(count as i64)
        .fetch_all(pool)
        .await)?)
}

/// The page `request` asks for. Rows are read a chunk at a time; without a filter a chunk
/// is the page. `next` follows the last event returned, or the last row looked at when
/// the scan stopped at [`MAX_SCANNED`] first.
pub async fn feed_page(db: &Db, partner_id: PartnerId, request: &FeedRequest) -> Result<FeedPage, AppError> {
    let chunk = if request.filter.is_empty() {
        request.limit
    } else {
        super::MAX_LIMIT
    };
    let mut after = request.after;
    let mut events = Vec::with_capacity(request.limit);
    let mut scanned = 0;
    loop {
        let rows = rows_after(db, partner_id, request, after, chunk).await?;
        let exhausted = rows.len() < chunk;
        for row in rows {
            scanned += 1;
            after.position = row.chain_seq;
            if let Some(event) = matching_event(row, request, after)? {
                events.push(event);
                if events.len() == request.limit {
                    return Ok(FeedPage {
                        events,
                        next: Some(after.to_text()),
                    });
                }
            }
        }
        if exhausted {
            return Ok(FeedPage { events, next: None });
        }
        if scanned >= MAX_SCANNED {
            return Ok(FeedPage {
                events,
                next: Some(after.to_text()),
            });
        }
    }
}

/// The row as the API answers it, if the request's filter takes it.
fn matching_event(
    row: FeedRow,
    request: &FeedRequest,
    cursor: Cursor,
) -> Result<Option<FeedEvent>, AppError> {
    let FeedRow {
        event,
        chain_seq,
        event_hash,
        recorded_at,
    } = row;
    let occurred_at = event.occurred_at.clone();
    let stored = stored_entry_from_row(event)?;
    if !request.filter.matches(&stored.entry) {
        return Ok(None);
    }
    let entry = stored.entry;
    let details = serde_json::from_str(&stored.details_json).map_err(|_| AppError::Internal)?;
    let (customer_id, customer_name) = match entry.customer {
        Some(customer) => (Some(customer.id.0), Some(customer.company_name)),
        None => (None, None),
    };
    Ok(Some(FeedEvent {
        id: entry.event_id,
        occurred_at,
        customer_id,
        customer_name,
        partner_user: entry.partner_user,
        action: entry.action.as_str(),
        action_text: entry.action_text,
        details,
        recorded_at,
        chain_position: chain_seq,
        event_hash,
        cursor: cursor.to_text(),
    }))
}
