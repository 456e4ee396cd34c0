//! `GET /api/v1/events?proof=true`: each event of a page with the exact bytes its leaf
//! hashes and its inclusion proof against the partner's newest signed checkpoint, which the
//! page names once. A consumer can then check every event it reads, alone, with the public
//! key; an event newer than that checkpoint comes without a proof until the next one.

use std::collections::HashMap;

use super::store::{FeedPage, PageCheckpoint};
use crate::db::Db;
use crate::errors::AppError;
use futures::TryStreamExt;

use crate::event_table::walk::walk_until;
use crate::ids::PartnerId;
use crate::integrity::merkle::{Hash, Question};
use crate::integrity::store::newest_tree_checkpoint;
use crate::integrity::tree::{self, TreeError};
use crate::integrity::verify::content_of;

/// Adds the proofs to `page`'s events (read for `partner_id`).
pub async fn add_proofs(db: &Db, partner_id: PartnerId, page: &mut FeedPage) -> Result<(), AppError> {
    let Some(checkpoint) = newest_tree_checkpoint(db, partner_id).await? else {
        return Ok(());
    };
    let size = checkpoint.tree_size;
    let covered: Vec<i64> = page
        .events
        .iter()
        .map(|event| event.chain_position)
        .filter(|position| (1..=size).contains(position))
        .collect();
    if let (Some(&first), Some(&last)) = (covered.iter().min(), covered.iter().max()) {
        // The page's span of the chain: at most `MAX_SCANNED` rows, as the page read.
        let rows: Vec<_> = walk_until(db, partner_id, Some(first - 1), last)
            .try_collect()
            .await?;
        let canonical: HashMap<i64, String> = rows
            .iter()
            .filter_map(|row| {
                let position = row.chain_seq.as_deref()?.parse().ok()?;
                let bytes = content_of(row)?.canonical_bytes();
                Some((position, String::from_utf8(bytes).ok()?))
            })
            .collect();
        let questions: Vec<Question> = covered
            .iter()
            .map(|&position| Question::Inclusion {
                index: position as u64 - 1,
                size: size as u64,
            })
            .collect();
        let proofs = tree::answer_many(db, partner_id, &questions)
            .await
            .map_err(|error| match error {
                TreeError::Database(error) => error.into(),
                error => {
                    tracing::error!(%partner_id, "no proofs for a page: {error}");
                    AppError::Internal
                }
            })?;
        let mut proofs: HashMap<i64, Vec<Hash>> = covered.into_iter().zip(proofs).collect();
        for event in &mut page.events {
            let position = event.chain_position;
            // A row that no longer reads as an event (tampered) gets no proof: the
            // consumer's check fails there, as `server verify` does.
            if let (Some(bytes), Some(proof)) = (canonical.get(&position), proofs.remove(&position)) {
                event.canonical_event = Some(bytes.clone());
                event.inclusion_proof = Some(proof.iter().map(Hash::to_string).collect());
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
