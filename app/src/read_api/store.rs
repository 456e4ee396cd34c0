//! The read API's paging: one partner's events by chain position (`events_by_chain`),
//! filtered in Rust with the page's own filter, at most [`MAX_SCANNED`] rows looked at per
//! read.

use serde::Serialize;

use super::MAX_SCANNED;
use super::request::{Cursor, FeedRequest};
use crate::db::Db;
use crate::errors::AppError;
use crate::event_table::chain::{ChainRange, PositionedRow, events_by_chain};
use crate::event_table::stored_entry_from_row;
use crate::events::ActionDetails;
use crate::ids::PartnerId;

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
    pub details: ActionDetails,
    pub recorded_at: Option<String>,
    pub chain_position: i64,
    pub event_hash: Option<String>,
    pub cursor: String,
    /// With `proof=true`, for an event the page's checkpoint covers: the exact bytes its
    /// leaf hashes, and its inclusion proof (base64, RFC 9162) up to the checkpoint's root.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub canonical_event: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub inclusion_proof: Option<Vec<String>>,
}

/// One page: `next` is absent when the log had no more events to look at.
#[derive(Debug, Serialize)]
pub struct FeedPage {
    pub events: Vec<FeedEvent>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next: Option<String>,
    /// With `proof=true`: the signed checkpoint the events' proofs lead to (none yet: absent).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub checkpoint: Option<PageCheckpoint>,
}

/// The signed checkpoint a page's proofs lead to.
#[derive(Debug, Serialize)]
pub struct PageCheckpoint {
    pub tree_size: i64,
    pub root_hash: String,
    pub signed_at: String,
    /// The C2SP signed note (`GET /api/v1/checkpoint` serves the newest the same way).
    pub note: String,
}

async fn rows_after(
    db: &Db,
    partner_id: PartnerId,
    request: &FeedRequest,
    after: Cursor,
    count: usize,
) -> Result<Vec<PositionedRow>, AppError> {
    let range = ChainRange {
        partner_id,
        position: after.position,
        oldest_first: after.oldest_first,
        from: request.from,
        to: request.to,
    };
    events_by_chain(db, &range, count as i64).await
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
                        checkpoint: None,
                    });
                }
            }
        }
        if exhausted {
            return Ok(FeedPage {
                events,
                next: None,
                checkpoint: None,
            });
        }
        if scanned >= MAX_SCANNED {
            return Ok(FeedPage {
                events,
                next: Some(after.to_text()),
                checkpoint: None,
            });
        }
    }
}

/// The row as the API answers it, if the request's filter takes it.
fn matching_event(
    row: PositionedRow,
    request: &FeedRequest,
    cursor: Cursor,
) -> Result<Option<FeedEvent>, AppError> {
    let PositionedRow {
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
        details: entry.details,
        recorded_at,
        chain_position: chain_seq,
        event_hash,
        cursor: cursor.to_text(),
        canonical_event: None,
        inclusion_proof: None,
    }))
}
