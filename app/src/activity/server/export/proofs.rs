//! The JSON-lines export with proofs (`proofs=true`): a first line naming the partner's
//! newest signed checkpoint (`EvidenceLinesHeader`), then each event's line carrying its
//! inclusion proof against it (`LineProof`), so every line with the first is evidence
//! `server check-evidence` and the README's Python check. Events newer than the checkpoint
//! carry none until the next.

use std::collections::HashMap;

use crate::db::Db;
use crate::errors::AppError;
use crate::event_table::StoredEntry;
use crate::ids::PartnerId;
use crate::integrity::evidence::{line_proofs, newest_header};
use crate::integrity::model::{EvidenceLinesHeader, LineProof};
use crate::integrity::tree::TreeError;

/// What an export with proofs proves its lines against.
pub(super) struct LineProofs {
    db: Db,
    partner_id: PartnerId,
    pub(super) header: EvidenceLinesHeader,
}

impl LineProofs {
    /// Against the partner's newest signed checkpoint; `None` before the first.
    pub(super) async fn newest(
        db: &Db,
        key: &ed25519_dalek::VerifyingKey,
        partner_id: PartnerId,
    ) -> Result<Option<LineProofs>, AppError> {
        Ok(newest_header(db, key, partner_id)
            .await?
            .map(|header| LineProofs {
                db: db.clone(),
                partner_id,
                header,
            }))
    }

    /// The file's first line.
    pub(super) fn header_line(&self) -> Vec<u8> {
        let mut line = serde_json::to_vec(&self.header).expect("the header is plain data");
        line.push(b'\n');
        line
    }

    /// The proofs of these entries' events, by row id (those the checkpoint covers).
    pub(super) async fn of(&self, entries: &[StoredEntry]) -> Result<HashMap<i64, LineProof>, AppError> {
        let ids: Vec<i64> = entries.iter().map(|stored| stored.entry.id.0).collect();
        line_proofs(&self.db, self.partner_id, self.header.checkpoint.tree_size, &ids)
            .await
            .map_err(|error| match error {
                TreeError::Database(error) => error.into(),
                error => {
                    tracing::error!(partner_id = %self.partner_id, "no proofs for an export: {error}");
                    AppError::Internal
                }
            })
    }
}
