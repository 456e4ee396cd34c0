//! A partner's Merkle tree in the database (`merkle_tiles`, `merkle_trees`): grown inside
//! each append's transaction, under the chain's lock, so the tree and the chain never
//! disagree about what was stored; read to answer roots and proofs (`merkle::Question`).
//! Each read is one statement (the tree's size with the tiles asked for) and each append
//! two (its tiles, its size): they run under the chain's lock, where a round trip costs
//! every writer of the partner.

use super::merkle::{self, Answer, Hash, Question, TileId, Tiles};
use crate::db::{Db, Tx, on_db, on_tx};
use crate::ids::PartnerId;

/// How many of the partner's events its tree holds.
pub async fn size(tx: &mut Tx, partner_id: PartnerId) -> Result<i64, sqlx::Error> {
    Ok(read_in(tx, partner_id, &[]).await?.0)
}

/// Tiles asked for per statement: their parameters stay far below either backend's limit.
const TILES_PER_STATEMENT: usize = 500;

/// The statement reading the tree's size (a row with level -1) and `tiles` of its tiles.
fn read_sql(tiles: usize) -> String {
    let mut sql = String::from(
        "SELECT CAST(-1 AS BIGINT) AS level, size AS tile_index, NULL AS hashes FROM merkle_trees WHERE partner_id = $1",
    );
    if tiles > 0 {
        sql.push_str(
            " UNION ALL SELECT level, tile_index, hashes FROM merkle_tiles WHERE partner_id = $1 AND (",
        );
        for tile in 0..tiles {
            let (level, index) = (2 + 2 * tile, 3 + 2 * tile);
            let or = if tile == 0 { "" } else { " OR " };
            sql.push_str(&format!("{or}(level = ${level} AND tile_index = ${index})"));
        }
        sql.push(')');
    }
    sql
}

/// Runs [`read_sql`] on an executor of either backend (a transaction's connection, a pool).
macro_rules! read_tree {
    ($executor:expr, $partner_id:expr, $ids:expr) => {{
        let mut query = sqlx::query_as::<_, (i64, i64, Option<Vec<u8>>)>(&$ids.1).bind($partner_id);
        for (level, index) in $ids.0 {
            query = query.bind(i64::from(*level)).bind(*index as i64);
        }
        query.fetch_all($executor).await
    }};
}

/// The tree's size (0 before its first leaf) and those of `ids` that are stored.
async fn read_in(tx: &mut Tx, partner_id: PartnerId, ids: &[TileId]) -> Result<(i64, Tiles), sqlx::Error> {
    let mut rows = Vec::new();
    for chunk in chunks(ids) {
        rows.extend(on_tx!(tx, |conn| read_tree!(&mut *conn, partner_id, chunk))?);
    }
    Ok(gather(rows))
}

/// [`read_in`] straight from the pool: no transaction (a tree only grows, and a tile read
/// later holds what it held before), so one round trip per statement.
async fn read(db: &Db, partner_id: PartnerId, ids: &[TileId]) -> Result<(i64, Tiles), sqlx::Error> {
    let mut rows = Vec::new();
    for chunk in chunks(ids) {
        rows.extend(on_db!(db, |pool| read_tree!(pool, partner_id, chunk))?);
    }
    Ok(gather(rows))
}

/// `ids` in statements' worth, each with its SQL (one statement, for the size, when empty).
fn chunks(ids: &[TileId]) -> Vec<(&[TileId], String)> {
    if ids.is_empty() {
        return vec![(ids, read_sql(0))];
    }
    ids.chunks(TILES_PER_STATEMENT)
        .map(|chunk| (chunk, read_sql(chunk.len())))
        .collect()
}

fn gather(rows: Vec<(i64, i64, Option<Vec<u8>>)>) -> (i64, Tiles) {
    let mut size = 0;
    let mut tiles = Tiles::default();
    for (level, index, hashes) in rows {
        match (u8::try_from(level), hashes) {
            (Ok(level), Some(hashes)) => {
                tiles.0.insert((level, index as u64), hashes);
            }
            _ => size = index,
        }
    }
    (size, tiles)
}

/// One stored tile's hashes (the rightmost of a level may hold fewer than 256).
pub async fn tile(
    db: &Db,
    partner_id: PartnerId,
    level: u8,
    index: u64,
) -> Result<Option<Vec<u8>>, sqlx::Error> {
    Ok(read(db, partner_id, &[(level, index)])
        .await?
        .1
        .0
        .remove(&(level, index)))
}

/// The statement writing `tiles` tiles (inserted, or replacing the edge's partial ones).
fn write_sql(tiles: usize) -> String {
    let mut sql = String::from("INSERT INTO merkle_tiles (partner_id, level, tile_index, hashes) VALUES ");
    for tile in 0..tiles {
        let first = 2 + 3 * tile;
        let comma = if tile == 0 { "" } else { ", " };
        sql.push_str(&format!("{comma}($1, ${first}, ${}, ${})", first + 1, first + 2));
    }
    sql.push_str(" ON CONFLICT (partner_id, level, tile_index) DO UPDATE SET hashes = excluded.hashes");
    sql
}

/// Adds the leaf hashes of events just stored at positions `chain_size + 1 …` to the
/// partner's tree, inside the append's transaction. A tree that does not hold exactly
/// `chain_size` events (a database from before the trees) is left for `build-trees`.
pub async fn append(
    tx: &mut Tx,
    partner_id: PartnerId,
    chain_size: i64,
    leaves: &[Hash],
) -> Result<(), sqlx::Error> {
    if leaves.is_empty() {
        return Ok(());
    }
    // The edge a tree of the chain's size has, read with the tree's real size.
    let (size, edge) = read_in(tx, partner_id, &merkle::edge_tiles(chain_size as u64)).await?;
    if size != chain_size {
        return Ok(());
    }
    let written = merkle::append(size as u64, leaves, &edge).map_err(sqlx::Error::Protocol)?;
    for chunk in written.chunks(TILES_PER_STATEMENT) {
        let sql = write_sql(chunk.len());
        on_tx!(tx, |conn| {
            let mut query = sqlx::query(&sql).bind(partner_id);
            for ((level, index), hashes) in chunk {
                query = query
                    .bind(i64::from(*level))
                    .bind(*index as i64)
                    .bind(hashes.as_slice());
            }
            query.execute(&mut *conn).await.map(|done| done.rows_affected())
        })?;
    }
    on_tx!(tx, |conn| sqlx::query(
        "INSERT INTO merkle_trees (partner_id, size) VALUES ($1, $2)
         ON CONFLICT (partner_id) DO UPDATE SET size = excluded.size"
    )
    .bind(partner_id)
    .bind(size + leaves.len() as i64)
    .execute(&mut *conn)
    .await
    .map(|done| done.rows_affected()))?;
    Ok(())
}
/// Why a question about a tree got no answer.
#[derive(Debug, thiserror::Error)]
pub enum TreeError {
    /// Asked of a part of the tree that is not there: the asker's mistake.
    #[error("{0}")]
    OutOfRange(String),
    #[error("the stored tree cannot answer: {0}")]
    Broken(String),
    #[error(transparent)]
    Database(#[from] sqlx::Error),
}

/// How many of the partner's events its tree holds, read outside any transaction.
pub async fn current_size(db: &Db, partner_id: PartnerId) -> Result<i64, sqlx::Error> {
    Ok(read(db, partner_id, &[]).await?.0)
}

/// A root or a proof of the partner's tree.
pub async fn answer(db: &Db, partner_id: PartnerId, question: Question) -> Result<Answer, TreeError> {
    let mut answers = answer_many(db, partner_id, &[question]).await?;
    Ok(answers.pop().expect("one answer to one question"))
}

/// [`answer`] inside the caller's transaction (a checkpoint signs the root it reads
/// there; evidence reads its event and proof in one snapshot).
pub async fn answer_in(tx: &mut Tx, partner_id: PartnerId, question: Question) -> Result<Answer, TreeError> {
    let needed: Vec<TileId> = question.tiles().into_iter().collect();
    let (size, tiles) = read_in(tx, partner_id, &needed).await?;
    let mut answers = answer_from(size, &tiles, &[question])?;
    Ok(answers.pop().expect("one answer to one question"))
}

/// Roots and proofs of the partner's tree from the tiles they need, read in one statement
/// (the tiles several questions share, once).
pub async fn answer_many(
    db: &Db,
    partner_id: PartnerId,
    questions: &[Question],
) -> Result<Vec<Answer>, TreeError> {
    let needed: Vec<TileId> = questions
        .iter()
        .flat_map(|question| question.tiles())
        .collect::<std::collections::BTreeSet<_>>()
        .into_iter()
        .collect();
    let (size, tiles) = read(db, partner_id, &needed).await?;
    answer_from(size, &tiles, questions)
}

fn answer_from(tree_size: i64, tiles: &Tiles, questions: &[Question]) -> Result<Vec<Answer>, TreeError> {
    for question in questions {
        question.check(tree_size as u64).map_err(TreeError::OutOfRange)?;
    }
    questions
        .iter()
        .map(|question| {
            question
                .answer(tiles)
                .map_err(|error| TreeError::Broken(error.to_string()))
        })
        .collect()
}
