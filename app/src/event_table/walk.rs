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
    let (sql, bounds) = match after {
        None => (WHOLE_WALK_SQL, vec![partner_id.0]),
        Some(seq) => (WALK_ON_SQL, vec![partner_id.0, seq]),
    };
    read_walk(db, sql, bounds)
}

/// [`walk`] no further than position `until`: a slice of the rolling audit, or the span of
/// a read API page that carries proofs.
pub fn walk_until(
    db: &Db,
    partner_id: PartnerId,
    after: Option<i64>,
    until: i64,
) -> BoxStream<'_, Result<WalkedRow, sqlx::Error>> {
    let (sql, bounds) = match after {
        None => (WALK_UNTIL_SQL, vec![partner_id.0, until]),
        Some(seq) => (WALK_ON_UNTIL_SQL, vec![partner_id.0, seq, until]),
    };
    read_walk(db, sql, bounds)
}

/// One of the walk's statements with its numbers bound in order. SQLite's rows come from
/// rusqlite on a blocking thread, a batch at a time ([`sqlite_walk`]); PostgreSQL's from sqlx.
fn read_walk<'a>(
    db: &'a Db,
    sql: &'static str,
    bounds: Vec<i64>,
) -> BoxStream<'a, Result<WalkedRow, sqlx::Error>> {
    match db {
        Db::Sqlite(pool) => sqlite_walk(pool, sql, bounds),
        Db::Postgres(pool) => {
            let query = bounds
                .into_iter()
                .fold(sqlx::query_as(sql), |query, bound| query.bind(bound));
            query.fetch(pool)
        }
    }
}

/// Rows a walk reads from SQLite per hand-over from the reading thread.
const WALK_BATCH: usize = 1_024;

/// A walk of SQLite's rows through rusqlite. Through sqlx, each row crossed from its worker
/// thread on its own: a whole walk of 800,000 events took 5.8 s of CPU, much of it switching
/// threads (perf). The reading thread hands over batches, at most two ahead of the walk; a
/// walk that stops early drops the stream, and the read ends at its next batch.
fn sqlite_walk(
    pool: &sqlx::SqlitePool,
    sql: &'static str,
    bounds: Vec<i64>,
) -> BoxStream<'static, Result<WalkedRow, sqlx::Error>> {
    use futures::StreamExt;
    let (batches, received) = tokio::sync::mpsc::channel::<Result<Vec<WalkedRow>, sqlx::Error>>(2);
    let pool = pool.clone();
    tokio::spawn(async move {
        let sender = batches.clone();
        let read = crate::sqlite_reads::read(&pool, move |connection| {
            let mut statement = connection.prepare_cached(sql)?;
            let mut rows = statement.query(rusqlite::params_from_iter(bounds))?;
            let mut batch = Vec::with_capacity(WALK_BATCH);
            while let Some(row) = rows.next()? {
                batch.push(walked_row(row)?);
                if batch.len() == WALK_BATCH {
                    let full = std::mem::replace(&mut batch, Vec::with_capacity(WALK_BATCH));
                    if sender.blocking_send(Ok(full)).is_err() {
                        return Ok(());
                    }
                }
            }
            let _ = sender.blocking_send(Ok(batch));
            Ok(())
        });
        if read.await.is_err() {
            // Logged by `read`; the walk fails as a failed query would.
            let failed = sqlx::Error::Io(std::io::Error::other("the walk's read from SQLite failed"));
            let _ = batches.send(Err(failed)).await;
        }
    });
    futures::stream::unfold(received, |mut received| async move {
        received.recv().await.map(|batch| (batch, received))
    })
    .flat_map(|batch| {
        let (rows, failed) = match batch {
            Ok(rows) => (rows, None),
            Err(error) => (Vec::new(), Some(error)),
        };
        futures::stream::iter(rows.into_iter().map(Ok).chain(failed.map(Err)))
    })
    .boxed()
}

/// A row of [`walk_sql!`]'s columns. Every column but the id is read as text, whatever was
/// written there (SQLite keeps any value in any column): a number as its digits, bytes that
/// are not UTF-8 with replacement characters, so a tampered value fails its hash rather
/// than the read.
fn walked_row(row: &rusqlite::Row<'_>) -> rusqlite::Result<WalkedRow> {
    use rusqlite::types::ValueRef;
    let text = |index: usize| -> rusqlite::Result<Option<String>> {
        Ok(match row.get_ref(index)? {
            ValueRef::Null => None,
            ValueRef::Integer(number) => Some(number.to_string()),
            ValueRef::Real(number) => Some(number.to_string()),
            ValueRef::Text(bytes) | ValueRef::Blob(bytes) => {
                Some(String::from_utf8_lossy(bytes).into_owned())
            }
        })
    };
    Ok(WalkedRow {
        id: row.get(0)?,
        chain_seq: text(1)?,
        prev_hash: text(2)?,
        event_hash: text(3)?,
        partner_id: text(4)?,
        external_id: text(5)?,
        occurred_at: text(6)?,
        customer_id: text(7)?,
        partner_user_id: text(8)?,
        action_kind: text(9)?,
        action_text: text(10)?,
        details: text(11)?,
        recorded_at: text(12)?,
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
