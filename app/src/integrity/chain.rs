//! Appending events to a partner's hash chain: the only way events are written (ingest,
//! import, the export's own record, the demo seed), so every stored event is chained.

use crate::db::{Db, Tx};
use chrono::{DateTime, Utc};

use super::canonical::{EventContent, GENESIS_HASH, chained_hash_of};
use super::{merkle, tree};
use crate::db::to_db_time;
use crate::event_table::append::{self, ChainedEvent, StoredContent};
use crate::event_table::chain as chain_table;
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
    let head = chain_table::chain_head(conn, partner_id).await?;
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

/// Events read, checked and written per round: bounds memory for a seed of a million.
const EVENTS_PER_ROUND: usize = 1000;

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
    // Ids stored earlier in this call, with what was stored under them.
    let mut known = std::collections::HashMap::new();
    for (round, events) in events.chunks(EVENTS_PER_ROUND).enumerate() {
        // Stored text of each event (owned here; the rows below borrow it).
        let texts = events
            .iter()
            .map(|event| {
                let details = serde_json::to_string(&event.details)
                    .map_err(|error| sqlx::Error::Protocol(format!("details did not serialise: {error}")))?;
                Ok((to_db_time(event.occurred_at), details))
            })
            .collect::<Result<Vec<_>, sqlx::Error>>()?;
        // One lookup for the round (a few statements under the chain's lock, not one per
        // event); ids repeated inside the call are checked against their first copy.
        if look_for_duplicates {
            let ids: Vec<&str> = events.iter().map(|event| event.external_id.as_str()).collect();
            known.extend(append::stored_contents(conn, partner_id, &ids).await?);
        }
        let mut rows = Vec::with_capacity(events.len());
        let mut leaves = Vec::with_capacity(events.len());
        let round_starts_after = seq;
        for (offset, (event, (occurred_at, details))) in events.iter().zip(&texts).enumerate() {
            // Built only to compare with or to remember: a seed looks nothing up.
            let content = || StoredContent {
                occurred_at: occurred_at.clone(),
                customer_id: event.customer_id,
                partner_user_id: event.partner_user_id,
                action_kind: event.action.as_str().to_string(),
                action_text: event.action_text.clone(),
                details: details.clone(),
            };
            if let Some(stored) = known.get(&event.external_id) {
                if *stored != content() {
                    return Err(AppendError::Conflict {
                        index: round * EVENTS_PER_ROUND + offset,
                        external_id: event.external_id.clone(),
                    });
                }
                summary.duplicates += 1;
                continue;
            }
            let chained = EventContent {
                partner_id: partner_id.0,
                external_id: &event.external_id,
                occurred_at,
                customer_id: event.customer_id.map(|customer| customer.0),
                partner_user_id: event.partner_user_id.0,
                action_kind: event.action.as_str(),
                action_text: &event.action_text,
                details,
                recorded_at: &recorded_at,
            };
            let canonical = chained.canonical_bytes();
            let event_hash = chained_hash_of(&prev_hash, &canonical);
            leaves.push(merkle::leaf_hash(&canonical));
            seq += 1;
            rows.push(ChainedEvent {
                content: chained,
                chain_seq: seq,
                prev_hash: std::mem::replace(&mut prev_hash, event_hash.clone()),
                event_hash,
            });
            if look_for_duplicates {
                known.insert(event.external_id.clone(), content());
            }
            summary.stored += 1;
        }
        append::insert_events(conn, &rows).await?;
        tree::append(conn, partner_id, round_starts_after, &leaves).await?;
    }
    Ok(summary)
}

/// Appends one batch in its own transaction: all of it is stored or none. The partner's
/// chain is locked up front (`BEGIN IMMEDIATE` on SQLite, the partner's advisory lock on
/// PostgreSQL: see `db::WriteLock`) so two batches never read the same chain head, and the
/// commit returns only once the database has synced it. PostgreSQL's "try again" answers
/// (serialization failure, deadlock) are retried a few times.
pub async fn append_batch(
    pool: &Db,
    partner_id: PartnerId,
    events: &[NewEvent],
) -> Result<AppendSummary, AppendError> {
    let mut attempt = 0;
    loop {
        attempt += 1;
        match append_batch_once(pool, partner_id, events).await {
            Err(AppendError::Database(error)) if attempt < 5 && crate::db::is_retryable(&error) => {
                tracing::warn!(%partner_id, attempt, "append retried: {error}");
            }
            result => return result,
        }
    }
}

async fn append_batch_once(
    pool: &Db,
    partner_id: PartnerId,
    events: &[NewEvent],
) -> Result<AppendSummary, AppendError> {
    let mut tx = pool.begin_locked(crate::db::WriteLock::Chain(partner_id)).await?;
    let summary = append_events(&mut tx, partner_id, events, Utc::now()).await?;
    tx.commit().await?;
    Ok(summary)
}
