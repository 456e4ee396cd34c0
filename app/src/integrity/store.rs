//! The SQL of the hash chain's walk, the badge's memory and the checkpoints. Columns the walk
//! checks are read as text, so a tampered value that is no longer a number or a date is
//! reported as an edit rather than failing the read.

use crate::db::{Db, Tx};
use std::collections::HashMap;

use futures::stream::BoxStream;

use super::canonical::EventContent;
use crate::ids::{CustomerId, PartnerId, UserId};

/// A stored event as the walk reads it: where it sits in the chain, then what is hashed.
#[derive(Debug, sqlx::FromRow)]
pub struct ChainRow {
    pub id: i64,
    pub chain_seq: Option<String>,
    pub prev_hash: Option<String>,
    pub event_hash: Option<String>,
    pub partner_id: Option<String>,
    pub external_id: Option<String>,
    pub occurred_at: Option<String>,
    pub customer_id: Option<String>,
    pub partner_user_id: Option<String>,
    pub action_kind: Option<String>,
    pub action_text: Option<String>,
    pub details: Option<String>,
    pub recorded_at: Option<String>,
}

macro_rules! walk_sql {
    ($rows:literal) => {
        concat!(
            "SELECT id, CAST(chain_seq AS TEXT) AS chain_seq, prev_hash, event_hash,
                CAST(partner_id AS TEXT) AS partner_id, external_id,
                CAST(occurred_at AS TEXT) AS occurred_at, CAST(customer_id AS TEXT) AS customer_id,
                CAST(partner_user_id AS TEXT) AS partner_user_id, action_kind, action_text, details,
                CAST(recorded_at AS TEXT) AS recorded_at
             FROM activity_events WHERE partner_id = $1 AND ",
            $rows,
            // The table's column, not the text alias above (which would sort "10" before "2").
            " ORDER BY activity_events.chain_seq"
        )
    };
}
const WHOLE_WALK_SQL: &str = walk_sql!("chain_seq IS NOT NULL");
const WALK_ON_SQL: &str = walk_sql!("chain_seq > $2");

/// The partner's events in chain order: every row with a position (`after` = `None`, a
/// whole walk reads whatever was written there), or those after position `after`.
pub fn walk(
    db: &Db,
    partner_id: PartnerId,
    after: Option<i64>,
) -> BoxStream<'_, Result<ChainRow, sqlx::Error>> {
    crate::on_db!(db, |pool| match after {
        None => sqlx::query_as(WHOLE_WALK_SQL).bind(partner_id).fetch(pool),
        Some(seq) => sqlx::query_as(WALK_ON_SQL).bind(partner_id).bind(seq).fetch(pool),
    })
}

/// Every partner that owns events or a checkpoint, so a row moved to a made-up partner is
/// walked too.
pub async fn partners_to_verify(db: &Db) -> Result<Vec<PartnerId>, sqlx::Error> {
    crate::on_db!(db, |pool| sqlx::query_scalar(
        "SELECT id FROM partners
         UNION SELECT partner_id FROM activity_events
         UNION SELECT partner_id FROM chain_checkpoints
         ORDER BY 1",
    )
    .fetch_all(pool)
    .await)
}

/// The hash stored at position `chain_seq`, if any.
pub async fn event_hash_at(
    db: &Db,
    partner_id: PartnerId,
    chain_seq: i64,
) -> Result<Option<String>, sqlx::Error> {
    let stored: Option<Option<String>> = crate::on_db!(db, |pool| sqlx::query_scalar(
        "SELECT event_hash FROM activity_events WHERE partner_id = $1 AND chain_seq = $2"
    )
    .bind(partner_id)
    .bind(chain_seq)
    .fetch_optional(pool)
    .await)?;
    Ok(stored.flatten())
}

/// A row id and its stored time (as text), or position (as text).
#[derive(Debug, sqlx::FromRow)]
pub struct RowAt {
    pub id: i64,
    pub at: Option<String>,
}

/// A row of the partner's with no place in the chain (no position or hashes).
pub async fn row_outside_the_chain(db: &Db, partner_id: PartnerId) -> Result<Option<RowAt>, sqlx::Error> {
    crate::on_db!(db, |pool| sqlx::query_as(
        "SELECT id, CAST(occurred_at AS TEXT) AS at FROM activity_events
         WHERE partner_id = $1 AND (chain_seq IS NULL OR prev_hash IS NULL OR event_hash IS NULL)
         ORDER BY id LIMIT 1",
    )
    .bind(partner_id)
    .fetch_optional(pool)
    .await)
}

/// The row (id, position) whose previous hash is `hash`: where the event that should come
/// next actually is.
pub async fn row_following(db: &Db, partner_id: PartnerId, hash: &str) -> Result<Option<RowAt>, sqlx::Error> {
    crate::on_db!(db, |pool| sqlx::query_as(
        "SELECT id, CAST(chain_seq AS TEXT) AS at FROM activity_events
         WHERE partner_id = $1 AND prev_hash = $2 LIMIT 1",
    )
    .bind(partner_id)
    .bind(hash)
    .fetch_optional(pool)
    .await)
}

/// The position (as text) of the event whose hash is `hash`.
pub async fn position_of_hash(
    db: &Db,
    partner_id: PartnerId,
    hash: &str,
) -> Result<Option<String>, sqlx::Error> {
    let row: Option<Option<String>> = crate::on_db!(db, |pool| {
        sqlx::query_scalar(
        "SELECT CAST(chain_seq AS TEXT) FROM activity_events WHERE partner_id = $1 AND event_hash = $2 LIMIT 1",
    )
    .bind(partner_id)
    .bind(hash)
    .fetch_optional(pool)
    .await
    })?;
    Ok(row.map(Option::unwrap_or_default))
}

/// A stored checkpoint, read as text like the events.
#[derive(Debug, sqlx::FromRow)]
pub struct CheckpointRow {
    pub id: i64,
    pub chain_seq: Option<String>,
    pub head_hash: Option<String>,
    pub signed_at: Option<String>,
    pub signature: Option<String>,
    pub key_id: Option<String>,
}

/// The partner's checkpoints after row `after_row_id`, in the order they were stored.
pub async fn checkpoints_after(
    db: &Db,
    partner_id: PartnerId,
    after_row_id: i64,
) -> Result<Vec<CheckpointRow>, sqlx::Error> {
    crate::on_db!(db, |pool| sqlx::query_as(
        "SELECT id, CAST(chain_seq AS TEXT) AS chain_seq, head_hash, signed_at, signature, key_id
         FROM chain_checkpoints WHERE partner_id = $1 AND id > $2 ORDER BY id",
    )
    .bind(partner_id)
    .bind(after_row_id)
    .fetch_all(pool)
    .await)
}

/// The last link of a partner's chain.
#[derive(Debug, sqlx::FromRow)]
pub struct ChainHead {
    pub chain_seq: i64,
    pub event_hash: String,
}

pub async fn chain_head(tx: &mut Tx, partner_id: PartnerId) -> Result<Option<ChainHead>, sqlx::Error> {
    crate::on_tx!(tx, |conn| sqlx::query_as(
        "SELECT chain_seq, event_hash FROM activity_events
         WHERE partner_id = $1 AND chain_seq IS NOT NULL
         ORDER BY chain_seq DESC LIMIT 1",
    )
    .bind(partner_id)
    .fetch_optional(&mut *conn)
    .await)
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

/// Rows per statement of the batched reads and writes: within both backends' limits on
/// parameters (SQLite 32,766; PostgreSQL 65,535) at 12 a row.
const ROWS_PER_STATEMENT: usize = 500;

#[derive(sqlx::FromRow)]
struct StoredRow {
    external_id: String,
    #[sqlx(flatten)]
    content: StoredContent,
}

/// What was stored under each of `external_ids` that was (one query per 500 ids).
pub async fn stored_contents(
    tx: &mut Tx,
    partner_id: PartnerId,
    external_ids: &[&str],
) -> Result<HashMap<String, StoredContent>, sqlx::Error> {
    let mut found = HashMap::new();
    for ids in external_ids.chunks(ROWS_PER_STATEMENT) {
        let places = (0..ids.len())
            .map(|n| format!("${}", n + 2))
            .collect::<Vec<_>>()
            .join(", ");
        let sql = format!(
            "SELECT external_id, occurred_at, customer_id, partner_user_id, action_kind, action_text, details
             FROM activity_events WHERE partner_id = $1 AND external_id IN ({places})"
        );
        let rows: Vec<StoredRow> = crate::on_tx!(tx, |conn| {
            let mut query = sqlx::query_as(&sql).bind(partner_id);
            for id in ids {
                query = query.bind(*id);
            }
            query.fetch_all(&mut *conn).await
        })?;
        found.extend(rows.into_iter().map(|row| (row.external_id, row.content)));
    }
    Ok(found)
}

/// An event with its place in the chain, about to be stored.
pub struct ChainedEvent<'a> {
    pub content: EventContent<'a>,
    pub chain_seq: i64,
    pub prev_hash: String,
    pub event_hash: String,
}

/// Stores `events` (500 a statement), in order.
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
        crate::on_tx!(tx, |conn| {
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

pub async fn partner_ids(db: &Db) -> Result<Vec<PartnerId>, sqlx::Error> {
    crate::on_db!(db, |pool| sqlx::query_scalar(
        "SELECT id FROM partners ORDER BY id"
    )
    .fetch_all(pool)
    .await)
}

/// The newest checkpointed position of the partner's chain.
pub async fn last_checkpointed(tx: &mut Tx, partner_id: PartnerId) -> Result<Option<i64>, sqlx::Error> {
    crate::on_tx!(tx, |conn| sqlx::query_scalar(
        "SELECT MAX(chain_seq) FROM chain_checkpoints WHERE partner_id = $1"
    )
    .bind(partner_id)
    .fetch_one(&mut *conn)
    .await)
}

/// A checkpoint about to be stored.
pub struct NewCheckpoint<'a> {
    pub partner_id: PartnerId,
    pub chain_seq: i64,
    pub head_hash: &'a str,
    pub signed_at: &'a str,
    pub signature: &'a str,
    pub key_id: &'a str,
}

/// Stores a checkpoint unless its position already has one (another signer was first);
/// says whether it was stored.
pub async fn insert_checkpoint(tx: &mut Tx, checkpoint: &NewCheckpoint<'_>) -> Result<bool, sqlx::Error> {
    let result = crate::on_tx!(tx, |conn| sqlx::query(
        "INSERT INTO chain_checkpoints (partner_id, chain_seq, head_hash, signed_at, signature, key_id)
         VALUES ($1, $2, $3, $4, $5, $6)
         ON CONFLICT (partner_id, chain_seq) DO NOTHING",
    )
    .bind(checkpoint.partner_id)
    .bind(checkpoint.chain_seq)
    .bind(checkpoint.head_hash)
    .bind(checkpoint.signed_at)
    .bind(checkpoint.signature)
    .bind(checkpoint.key_id)
    .execute(&mut *conn)
    .await
    .map(|done| done.rows_affected()))?;
    Ok(result == 1)
}

/// (events of the partner from `from` to `to`, those of them after position
/// `covered_through`): the badge's counts.
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
    (from, to): (&str, &str),
    covered_through: i64,
) -> Result<PeriodCounts, sqlx::Error> {
    let sql = match db {
        Db::Sqlite(_) => period_counts_sql!("INDEXED BY activity_events_by_chain"),
        Db::Postgres(_) => period_counts_sql!(""),
    };
    crate::on_db!(db, |pool| {
        sqlx::query_as(sql)
            .bind(partner_id)
            .bind(from)
            .bind(to)
            .bind(covered_through)
            .fetch_one(pool)
            .await
    })
}

/// The chain's head and the newest checkpoint row, read from their indexes.
#[derive(Debug, sqlx::FromRow)]
pub struct ChainState {
    pub head_seq: Option<i64>,
    pub head_hash: Option<String>,
    pub newest_checkpoint_row: Option<i64>,
}

pub async fn chain_state(db: &Db, partner_id: PartnerId) -> Result<ChainState, sqlx::Error> {
    crate::on_db!(db, |pool| sqlx::query_as(
        "SELECT (SELECT MAX(chain_seq) FROM activity_events WHERE partner_id = $1) AS head_seq,
            (SELECT event_hash FROM activity_events WHERE partner_id = $1
             ORDER BY chain_seq DESC LIMIT 1) AS head_hash,
            (SELECT MAX(id) FROM chain_checkpoints WHERE partner_id = $1) AS newest_checkpoint_row",
    )
    .bind(partner_id)
    .fetch_one(pool)
    .await)
}
