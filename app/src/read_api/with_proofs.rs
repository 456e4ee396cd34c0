//! `GET /api/v1/events?proof=true`: each event of a page with the exact bytes its leaf
//! hashes and its inclusion proof against the partner's newest signed checkpoint, which the
//! page names once. A consumer can then check every event it reads, alone, with the public
//! key; an event newer than that checkpoint comes without a proof until the next one.

use std::collections::{HashMap, HashSet};

use super::store::{FeedPage, PageCheckpoint};
use crate::db::Db;
use crate::errors::AppError;
use futures::TryStreamExt;

use crate::event_table::walk::walk_until;
use crate::ids::PartnerId;
use crate::integrity::evidence::prove_rows;
use crate::integrity::model::LineProof;
use crate::integrity::store::newest_tree_checkpoint;
use crate::integrity::tree::TreeError;

/// Adds the proofs to `page`'s events (read for `partner_id`).
pub async fn add_proofs(db: &Db, partner_id: PartnerId, page: &mut FeedPage) -> Result<(), AppError> {
    let Some(checkpoint) = newest_tree_checkpoint(db, partner_id).await? else {
        return Ok(());
    };
    let size = checkpoint.tree_size;
    let covered: HashSet<i64> = page
        .events
        .iter()
        .map(|event| event.chain_position)
        .filter(|position| (1..=size).contains(position))
        .collect();
    if let (Some(&first), Some(&last)) = (covered.iter().min(), covered.iter().max()) {
        // The page's span of the chain: at most `MAX_SCANNED` rows, as the page read; of
        // them, the page's events.
        let rows: Vec<_> = walk_until(db, partner_id, Some(first - 1), last)
            .try_filter(|row| {
                let position = row.chain_seq.as_deref().and_then(|seq| seq.parse().ok());
                std::future::ready(position.is_some_and(|position| covered.contains(&position)))
            })
            .try_collect()
            .await?;
        let proved = prove_rows(db, partner_id, size as u64, &rows)
            .await
            .map_err(|error| match error {
                TreeError::Database(error) => error.into(),
                error => {
                    tracing::error!(%partner_id, "no proofs for a page: {error}");
                    AppError::Internal
                }
            })?;
        let mut proved: HashMap<i64, LineProof> = proved
            .into_iter()
            .map(|(_, proof)| (proof.chain_position, proof))
            .collect();
        for event in &mut page.events {
            if let Some(proof) = proved.remove(&event.chain_position) {
                event.canonical_event = Some(proof.canonical_event);
                event.inclusion_proof = Some(proof.inclusion_proof);
            }
        }
    }
    page.checkpoint = Some(PageCheckpoint {
        tree_size: size,
        root_hash: checkpoint.root_hash,
        signed_at: checkpoint.signed_at,
        note: checkpoint.note,
    });
    Ok(())
}
