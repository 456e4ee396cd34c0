//! A partner's Merkle tree in the database (`merkle_tiles`, `merkle_trees`): grown inside
//! each append's transaction, under the chain's lock, so the tree and the chain never
//! disagree about what was stored; read to answer roots and proofs (`merkle::Question`).

use super::merkle::{self, Answer, Hash, Question, TileId, Tiles};
use crate::db::{Db, Tx, on_tx};
use crate::ids::PartnerId;

/// How many of the partner's events its tree holds.
pub async fn size(tx: &mut Tx, partner_id: PartnerId) -> Result<i64, sqlx::Error> {
    on_tx!(tx, |conn| sqlx::query_scalar(
        "SELECT COALESCE((SELECT size FROM merkle_trees WHERE partner_id = $1), 0)"
    )
    .bind(partner_id)
    .fetch_one(&mut *conn)
    .await)
}

async fn read_tiles(
    tx: &mut Tx,
    partner_id: PartnerId,
    ids: impl IntoIterator<Item = TileId>,
) -> Result<Tiles, sqlx::Error> {
    let mut tiles = Tiles::default();
    for (level, index) in ids {
        let hashes: Option<Vec<u8>> = on_tx!(tx, |conn| sqlx::query_scalar(
            "SELECT hashes FROM merkle_tiles WHERE partner_id = $1 AND level = $2 AND tile_index = $3"
        )
        .bind(partner_id)
        .bind(i64::from(level))
        .bind(index as i64)
        .fetch_optional(&mut *conn)
        .await)?;
        if let Some(hashes) = hashes {
            tiles.0.insert((level, index), hashes);
        }
    }
    Ok(tiles)
}

/// One stored tile's hashes (the rightmost of a level may hold fewer than 256).
pub async fn tile(
    tx: &mut Tx,
    partner_id: PartnerId,
    level: u8,
    index: u64,
) -> Result<Option<Vec<u8>>, sqlx::Error> {
    Ok(read_tiles(tx, partner_id, [(level, index)])
        .await?
        .0
        .remove(&(level, index)))
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
    let size = size(tx, partner_id).await?;
    if size != chain_size || leaves.is_empty() {
        return Ok(());
    }
    let edge = read_tiles(tx, partner_id, merkle::edge_tiles(size as u64)).await?;
    let written = merkle::append(size as u64, leaves, &edge).map_err(sqlx::Error::Protocol)?;
    for ((level, index), hashes) in written {
        on_tx!(tx, |conn| sqlx::query(
            "INSERT INTO merkle_tiles (partner_id, level, tile_index, hashes) VALUES ($1, $2, $3, $4)
             ON CONFLICT (partner_id, level, tile_index) DO UPDATE SET hashes = excluded.hashes"
        )
        .bind(partner_id)
        .bind(i64::from(level))
        .bind(index as i64)
        .bind(hashes)
        .execute(&mut *conn)
        .await
        .map(|done| done.rows_affected()))?;
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

/// A root or a proof of the partner's tree, from the few tiles it needs.
pub async fn answer(db: &Db, partner_id: PartnerId, question: Question) -> Result<Answer, TreeError> {
    let mut tx = db.begin().await?;
    let answer = answer_in(&mut tx, partner_id, question).await;
    drop(tx); // read only: dropping it ends it
    answer
}

/// [`answer`] inside the caller's transaction (a checkpoint signs the root it reads there).
pub async fn answer_in(tx: &mut Tx, partner_id: PartnerId, question: Question) -> Result<Answer, TreeError> {
    let mut answers = answer_many_in(tx, partner_id, &[question]).await?;
    Ok(answers.pop().expect("one answer to one question"))
}

/// Several questions of one tree at once (the proofs of a page of events): the tiles they
/// share are read once.
pub async fn answer_many(
    db: &Db,
    partner_id: PartnerId,
    questions: &[Question],
) -> Result<Vec<Answer>, TreeError> {
    let mut tx = db.begin().await?;
    let answers = answer_many_in(&mut tx, partner_id, questions).await;
    drop(tx); // read only: dropping it ends it
    answers
}

async fn answer_many_in(
    tx: &mut Tx,
    partner_id: PartnerId,
    questions: &[Question],
) -> Result<Vec<Answer>, TreeError> {
    let tree_size = size(tx, partner_id).await?;
    let mut needed = std::collections::BTreeSet::new();
    for question in questions {
        question.check(tree_size as u64).map_err(TreeError::OutOfRange)?;
        needed.extend(question.tiles());
    }
    let tiles = read_tiles(tx, partner_id, needed).await?;
    questions
        .iter()
        .map(|question| {
            question
                .answer(&tiles)
                .map_err(|error| TreeError::Broken(error.to_string()))
        })
        .collect()
}
