//! What the integrity walk reads of the table: every row of a partner in chain order with
//! every column as text (so a tampered value that is no longer a number or a date is reported
//! as an edit rather than failing the read), and the lookups that name where a break is.

use futures::stream::BoxStream;

use crate::db::{Db, Tx, on_db, on_tx};
use crate::ids::PartnerId;

/// A stored event as the walk reads it: where it sits in the chain, then what is hashed.
#[derive(Debug, sqlx::FromRow)]
pub struct WalkedRow {
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
const WALK_STEP_SQL: &str = concat!(walk_sql!("chain_seq > $2"), " LIMIT $3");
const WALK_UNTIL_SQL: &str = walk_sql!("chain_seq <= $2");
const WALK_ON_UNTIL_SQL: &str = walk_sql!("chain_seq > $2 AND chain_seq <= $3");

/// The partner's events in chain order: every row with a position (`after` = `None`, a
/// whole walk reads whatever was written there), or those after position `after`.
pub fn walk(
    db: &Db,
    partner_id: PartnerId,
    after: Option<i64>,
) -> BoxStream<'_, Result<WalkedRow, sqlx::Error>> {
    on_db!(db, |pool| match after {
        None => sqlx::query_as(WHOLE_WALK_SQL).bind(partner_id).fetch(pool),
        Some(seq) => sqlx::query_as(WALK_ON_SQL).bind(partner_id).bind(seq).fetch(pool),
    })
}

/// [`walk`] no further than position `until`: a slice of the rolling audit, or the span of
/// a read API page that carries proofs.
pub fn walk_until(
    db: &Db,
    partner_id: PartnerId,
    after: Option<i64>,
    until: i64,
) -> BoxStream<'_, Result<WalkedRow, sqlx::Error>> {
    on_db!(db, |pool| match after {
        None => sqlx::query_as(WALK_UNTIL_SQL)
            .bind(partner_id)
            .bind(until)
            .fetch(pool),
        Some(seq) => sqlx::query_as(WALK_ON_UNTIL_SQL)
            .bind(partner_id)
            .bind(seq)
            .bind(until)
            .fetch(pool),
    })
}

/// At most `limit` of the partner's events after position `after`, in chain order, read
/// inside the caller's transaction (building a Merkle tree under the chain's lock).
pub async fn walk_step(
    tx: &mut Tx,
    partner_id: PartnerId,
    after: i64,
    limit: i64,
) -> Result<Vec<WalkedRow>, sqlx::Error> {
    on_tx!(tx, |conn| sqlx::query_as(WALK_STEP_SQL)
        .bind(partner_id)
        .bind(after)
        .bind(limit)
        .fetch_all(&mut *conn)
        .await)
}

/// Every partner that owns events or a checkpoint, so a row moved to a made-up partner is
/// walked too.
pub async fn partners_to_verify(db: &Db) -> Result<Vec<PartnerId>, sqlx::Error> {
    on_db!(db, |pool| sqlx::query_scalar(
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
    let stored: Option<Option<String>> = on_db!(db, |pool| sqlx::query_scalar(
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
    on_db!(db, |pool| sqlx::query_as(
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
    on_db!(db, |pool| sqlx::query_as(
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
    let row: Option<Option<String>> = on_db!(db, |pool| {
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

/// Rows asked for by id per statement: far below either backend's parameter limit.
const IDS_PER_STATEMENT: usize = 500;

/// The partner's events with these row ids, as the walk reads them (in chain order within
/// each statement's share): the rows of a JSON-lines export's slice, for their proofs.
pub async fn walk_ids(db: &Db, partner_id: PartnerId, ids: &[i64]) -> Result<Vec<WalkedRow>, sqlx::Error> {
    let mut rows = Vec::with_capacity(ids.len());
    for chunk in ids.chunks(IDS_PER_STATEMENT) {
        let placeholders: Vec<String> = (2..chunk.len() + 2).map(|n| format!("${n}")).collect();
        let sql = walk_sql!("id IN (IDS)").replace("IDS", &placeholders.join(", "));
        rows.extend(on_db!(db, |pool| {
            let mut query = sqlx::query_as(&sql).bind(partner_id);
            for id in chunk {
                query = query.bind(id);
            }
            query.fetch_all(pool).await
        })?);
    }
    Ok(rows)
}
