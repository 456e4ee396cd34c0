//! The one insert into the table (`integrity::chain::append_batch` is its only caller, so
//! every stored event is chained), and the lookup that tells a resent event from a conflict.

use std::collections::HashMap;

use crate::db::{Tx, on_tx};
use crate::ids::{CustomerId, PartnerId, UserId};

/// An event's content exactly as its columns store it: what an append writes, and what its
/// hash covers (`integrity::canonical` writes it in the hashed form). `chain_seq`,
/// `prev_hash` and the row id are not content: the chain's links and the walk protect its
/// place.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EventContent<'a> {
    pub partner_id: i64,
    pub external_id: &'a str,
    pub occurred_at: &'a str,
    pub customer_id: Option<i64>,
    pub partner_user_id: i64,
    pub action_kind: &'a str,
    pub action_text: &'a str,
    pub details: &'a str,
    pub recorded_at: &'a str,
}

/// An event with its place in the chain, about to be stored.
pub struct ChainedEvent<'a> {
    pub content: EventContent<'a>,
    pub chain_seq: i64,
    pub prev_hash: String,
    pub event_hash: String,
}

/// Rows per statement of the batched reads and writes: within both backends' limits on
/// parameters (SQLite 32,766; PostgreSQL 65,535) at 12 a row.
const ROWS_PER_STATEMENT: usize = 500;

/// Stores `events` (500 a statement), in order, inside the caller's transaction.
pub async fn insert_events(tx: &mut Tx, events: &[ChainedEvent<'_>]) -> Result<(), sqlx::Error> {
    for chunk in events.chunks(ROWS_PER_STATEMENT) {
        let rows = (0..chunk.len())
            .map(|row| {
                let places: Vec<String> = (1..=12).map(|column| format!("${}", row * 12 + column)).collect();
                format!("({})", places.join(", "))
            })
            .collect::<Vec<_>>()
            .join(", ");
        let sql = format!(
            "INSERT INTO activity_events
                (partner_id, external_id, occurred_at, customer_id, partner_user_id, action_kind,
                 action_text, details, recorded_at, chain_seq, prev_hash, event_hash)
             VALUES {rows}"
        );
        on_tx!(tx, |conn| {
            let mut query = sqlx::query(&sql);
            for event in chunk {
                let content = &event.content;
                query = query
                    .bind(content.partner_id)
                    .bind(content.external_id)
                    .bind(content.occurred_at)
                    .bind(content.customer_id)
                    .bind(content.partner_user_id)
                    .bind(content.action_kind)
                    .bind(content.action_text)
                    .bind(content.details)
                    .bind(content.recorded_at)
                    .bind(event.chain_seq)
                    .bind(&event.prev_hash)
                    .bind(&event.event_hash);
            }
            query.execute(&mut *conn).await.map(|done| done.rows_affected())
        })?;
    }
    Ok(())
}

/// What was stored under an event id: compared with a resent event to tell a duplicate
/// (same content) from a conflict.
#[derive(Debug, PartialEq, Eq, sqlx::FromRow)]
pub struct StoredContent {
    pub occurred_at: String,
    pub customer_id: Option<CustomerId>,
    pub partner_user_id: UserId,
    pub action_kind: String,
    pub action_text: String,
    pub details: String,
}

#[derive(sqlx::FromRow)]
struct ContentOfId {
    external_id: String,
    #[sqlx(flatten)]
    content: StoredContent,
}

/// What was stored under each of `external_ids` that was (one query per 500 ids).
///
/// On PostgreSQL the ids travel as one array joined to the table: a long `IN ($2, $3, …)`
/// list, once its prepared statement had a generic plan made while the table was small,
/// compared every row to every id until the next ANALYZE (25k rows: 300 ms a batch).
pub async fn stored_contents(
    tx: &mut Tx,
    partner_id: PartnerId,
    external_ids: &[&str],
) -> Result<HashMap<String, StoredContent>, sqlx::Error> {
    const COLUMNS: &str = "e.external_id, e.occurred_at, e.customer_id, e.partner_user_id, e.action_kind, e.action_text, e.details";
    let mut found = HashMap::new();
    for ids in external_ids.chunks(ROWS_PER_STATEMENT) {
        let rows: Vec<ContentOfId> = match tx {
            Tx::Postgres(transaction) => {
                let sql = format!(
                    "SELECT {COLUMNS} FROM unnest($2::text[]) AS wanted(external_id)
                     JOIN activity_events e ON e.partner_id = $1 AND e.external_id = wanted.external_id"
                );
                sqlx::query_as(&sql)
                    .bind(partner_id)
                    .bind(ids)
                    .fetch_all(&mut **transaction)
                    .await?
            }
            Tx::Sqlite(transaction) => {
                let places = (0..ids.len())
                    .map(|n| format!("${}", n + 2))
                    .collect::<Vec<_>>()
                    .join(", ");
                let sql = format!(
                    "SELECT {COLUMNS} FROM activity_events e WHERE e.partner_id = $1 AND e.external_id IN ({places})"
                );
                let mut query = sqlx::query_as(&sql).bind(partner_id);
                for id in ids {
                    query = query.bind(*id);
                }
                query.fetch_all(&mut **transaction).await?
            }
        };
        found.extend(rows.into_iter().map(|row| (row.external_id, row.content)));
    }
    Ok(found)
}
