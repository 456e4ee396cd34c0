//! `server build-trees`: a partner's Merkle tree built from its stored events, for a database
//! from before the trees. Each step reads and hashes a slice of the chain and appends it to
//! the tree under the chain's lock, then commits, so it can stop and start again anywhere.

use super::merkle;
use super::tree::{self, TreeError};
use super::verify::content_of;
use crate::db::{Db, WriteLock};
use crate::event_table::chain as chain_table;
use crate::event_table::walk;
use crate::ids::PartnerId;

/// Events hashed into the tree per step of [`build`], each step one transaction.
const BUILD_STEP: i64 = 10_000;

/// Grows the partner's tree to its chain's head from where it stopped: for a database from
/// before the trees. Restartable (each step commits); `progress(done, total)` after each.
/// Steps hold the chain's lock, so ingest goes on between them and its appends join the
/// tree once it has caught up.
pub async fn build(
    db: &Db,
    partner_id: PartnerId,
    mut progress: impl FnMut(i64, i64),
) -> Result<i64, TreeError> {
    loop {
        let mut tx = db.begin_locked(WriteLock::Chain(partner_id)).await?;
        let size = tree::size(&mut tx, partner_id).await?;
        let head = chain_table::chain_head(&mut tx, partner_id)
            .await?
            .map_or(0, |head| head.chain_seq);
        if size >= head {
            drop(tx); // read only: dropping it ends it
            progress(size, head);
            return Ok(size);
        }
        let rows = walk::walk_step(&mut tx, partner_id, size, BUILD_STEP).await?;
        if rows.is_empty() {
            return Err(TreeError::Broken(format!(
                "no event after #{size} though the chain's head is #{head} (run `server verify`)"
            )));
        }
        let mut leaves = Vec::with_capacity(rows.len());
        for (offset, row) in rows.iter().enumerate() {
            let position = size + 1 + offset as i64;
            let content = content_of(row)
                .filter(|_| row.chain_seq.as_deref() == Some(position.to_string().as_str()))
                .ok_or_else(|| {
                    TreeError::Broken(format!(
                        "event #{position} does not read as stored (run `server verify`)"
                    ))
                })?;
            leaves.push(merkle::leaf_hash(&content.canonical_bytes()));
        }
        tree::append(&mut tx, partner_id, size, &leaves).await?;
        tx.commit().await?;
        progress(size + leaves.len() as i64, head);
    }
}
