//! The SQL of the signed checkpoints (`chain_checkpoints`). The events they sign are read
//! through `event_table`, the one owner of that table.

use crate::db::{Db, Tx, on_db, on_tx};
use crate::ids::PartnerId;

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
    on_db!(db, |pool| sqlx::query_as(
        "SELECT id, CAST(chain_seq AS TEXT) AS chain_seq, head_hash, signed_at, signature, key_id
         FROM chain_checkpoints WHERE partner_id = $1 AND id > $2 ORDER BY id",
    )
    .bind(partner_id)
    .bind(after_row_id)
    .fetch_all(pool)
    .await)
}

/// Every partner: its id and domain.
pub async fn partners(db: &Db) -> Result<Vec<(PartnerId, String)>, sqlx::Error> {
    on_db!(db, |pool| sqlx::query_as(
        "SELECT id, domain FROM partners ORDER BY id"
    )
    .fetch_all(pool)
    .await)
}

/// The partner's newest checkpoint as a C2SP signed note, if one was made as a note.
pub async fn newest_note(db: &Db, partner_id: PartnerId) -> Result<Option<String>, sqlx::Error> {
    on_db!(db, |pool| sqlx::query_scalar(
        "SELECT note FROM chain_checkpoints WHERE partner_id = $1 AND note IS NOT NULL
         ORDER BY chain_seq DESC LIMIT 1"
    )
    .bind(partner_id)
    .fetch_optional(pool)
    .await)
}

/// A signed checkpoint of the partner's Merkle tree.
#[derive(Debug, sqlx::FromRow)]
pub struct TreeCheckpointRow {
    /// Its number among the partner's checkpoints, from 1.
    pub number: i64,
    pub tree_size: i64,
    pub root_hash: String,
    pub signed_at: String,
    pub note: String,
}

/// The partner's newest checkpoint signed as a C2SP note.
pub async fn newest_tree_checkpoint(
    db: &Db,
    partner_id: PartnerId,
) -> Result<Option<TreeCheckpointRow>, sqlx::Error> {
    on_db!(db, |pool| sqlx::query_as(
        "SELECT (SELECT COUNT(*) FROM chain_checkpoints earlier
                 WHERE earlier.partner_id = c.partner_id AND earlier.chain_seq <= c.chain_seq) AS number,
                c.tree_size, c.root_hash, c.signed_at, c.note
         FROM chain_checkpoints c
         WHERE c.partner_id = $1 AND c.note IS NOT NULL
         ORDER BY c.chain_seq DESC LIMIT 1"
    )
    .bind(partner_id)
    .fetch_optional(pool)
    .await)
}

/// The newest checkpointed position of the partner's chain.
pub async fn last_checkpointed(tx: &mut Tx, partner_id: PartnerId) -> Result<Option<i64>, sqlx::Error> {
    on_tx!(tx, |conn| sqlx::query_scalar(
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
    /// The tree's (size, base64 root, signed note), when it held the checkpoint's events.
    pub tree: Option<(i64, String, String)>,
}

/// Stores a checkpoint unless its position already has one (another signer was first);
/// says whether it was stored.
pub async fn insert_checkpoint(tx: &mut Tx, checkpoint: &NewCheckpoint<'_>) -> Result<bool, sqlx::Error> {
    let result = on_tx!(tx, |conn| sqlx::query(
        "INSERT INTO chain_checkpoints
            (partner_id, chain_seq, head_hash, signed_at, signature, key_id, tree_size, root_hash, note)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
         ON CONFLICT (partner_id, chain_seq) DO NOTHING",
    )
    .bind(checkpoint.partner_id)
    .bind(checkpoint.chain_seq)
    .bind(checkpoint.head_hash)
    .bind(checkpoint.signed_at)
    .bind(checkpoint.signature)
    .bind(checkpoint.key_id)
    .bind(checkpoint.tree.as_ref().map(|tree| tree.0))
    .bind(checkpoint.tree.as_ref().map(|tree| tree.1.as_str()))
    .bind(checkpoint.tree.as_ref().map(|tree| tree.2.as_str()))
    .execute(&mut *conn)
    .await
    .map(|done| done.rows_affected()))?;
    Ok(result == 1)
}
