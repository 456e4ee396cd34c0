//! Appending events to a partner's hash chain: the only way events are written (ingest,
//! import, the export's own record, the demo seed), so every stored event is chained.

use crate::db::{Db, Tx};
use chrono::{DateTime, Utc};

use super::canonical::{EventContent, GENESIS_HASH};
use super::store::{self, StoredContent};
use crate::db::to_db_time;
use crate::events::NewEvent;
use crate::ids::PartnerId;

#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct AppendSummary {
    pub stored: usize,
    /// Events already stored with the same id and the same content.
    pub duplicates: usize,
}

#[derive(Debug, thiserror::Error)]
pub enum AppendError {
    /// The id was used before for an event with other content: refusing it keeps retries
    /// safe without letting a sender overwrite history.
    #[error("event {index}: id {external_id:?} was already stored with different content")]
    Conflict { index: usize, external_id: String },
    #[error(transparent)]
    Database(#[from] sqlx::Error),
}

/// The last link of a partner's chain: (position, hash); (0, genesis) for an empty chain.
pub async fn chain_head(conn: &mut Tx, partner_id: PartnerId) -> Result<(i64, String), sqlx::Error> {
    let head = store::chain_head(conn, partner_id).await?;
    Ok(head.map_or_else(
        || (0, GENESIS_HASH.to_string()),
        |head| (head.chain_seq, head.event_hash),
    ))
}

/// Stores `events` at the end of the partner's chain, on a connection inside a write
/// transaction the caller opened (and commits). Order within the batch is kept; an event
/// whose id is already stored is a duplicate (same content) or a conflict.
pub async fn append_events(
    conn: &mut Tx,
    partner_id: PartnerId,
    events: &[NewEvent],
    recorded_at: DateTime<Utc>,
) -> Result<AppendSummary, AppendError> {
    append(conn, partner_id, events, recorded_at, true).await
}

/// Like [`append_events`] for events known to be new (a database being seeded): skips the
/// duplicate lookups. The unique index still refuses a repeated id.
pub async fn append_new_events(
    conn: &mut Tx,
    partner_id: PartnerId,
    events: &[NewEvent],
    recorded_at: DateTime<Utc>,
) -> Result<AppendSummary, AppendError> {
    append(conn, partner_id, events, recorded_at, false).await
}

async fn append(
    conn: &mut Tx,
    partner_id: PartnerId,
    events: &[NewEvent],
    recorded_at: DateTime<Utc>,
    look_for_duplicates: bool,
) -> Result<AppendSummary, AppendError> {
    let recorded_at = to_db_time(recorded_at);
    let (mut seq, mut prev_hash) = chain_head(conn, partner_id).await?;
    let mut summary = AppendSummary::default();
    for (index, event) in events.iter().enumerate() {
        let occurred_at = to_db_time(event.occurred_at);
        let details = serde_json::to_string(&event.details)
            .map_err(|error| sqlx::Error::Protocol(format!("details did not serialise: {error}")))?;
        let existing = if look_for_duplicates {
            store::stored_content(conn, partner_id, &event.external_id).await?
        } else {
            None
        };
        if let Some(stored) = existing {
            let same = stored
                == StoredContent {
                    occurred_at: occurred_at.clone(),
                    customer_id: event.customer_id,
                    partner_user_id: event.partner_user_id,
                    action_kind: event.action.as_str().to_string(),
                    action_text: event.action_text.clone(),
                    details: details.clone(),
                };
            if !same {
                return Err(AppendError::Conflict {
                    index,
                    external_id: event.external_id.clone(),
                });
            }
            summary.duplicates += 1;
            continue;
        }
        let content = EventContent {
            partner_id: partner_id.0,
            external_id: &event.external_id,
            occurred_at: &occurred_at,
            customer_id: event.customer_id.map(|customer| customer.0),
            partner_user_id: event.partner_user_id.0,
            action_kind: event.action.as_str(),
            action_text: &event.action_text,
            details: &details,
            recorded_at: &recorded_at,
        };
        let event_hash = content.chained_hash(&prev_hash);
        seq += 1;
        store::insert_event(conn, &content, seq, &prev_hash, &event_hash).await?;
        prev_hash = event_hash;
        summary.stored += 1;
    }
    Ok(summary)
}

/// Appends one batch in its own transaction: all of it is stored or none. The write lock is
/// taken up front (`BEGIN IMMEDIATE`) so two batches never read the same chain head, and
/// the commit returns only once SQLite has synced it (`synchronous = FULL`, see `db`).
pub async fn append_batch(
    pool: &Db,
    partner_id: PartnerId,
    events: &[NewEvent],
) -> Result<AppendSummary, AppendError> {
    let mut tx = pool.begin_locked(crate::db::WriteLock::Chain(partner_id)).await?;
    let summary = append_events(&mut tx, partner_id, events, Utc::now()).await?;
    tx.commit().await?;
    Ok(summary)
}
