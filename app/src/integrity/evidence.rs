//! Evidence a customer can keep (`model::Evidence`): [`gather`] reads it from the
//! database for one event; [`check`] verifies it with nothing but the public key, for
//! `server check-evidence` and the tests (the README shows the same check in Python).

use ed25519_dalek::VerifyingKey;
use tlog_tiles::Hash;

use super::canonical::EventContent;
use super::checkpoint::public_key_hex;
use super::merkle::{self, Question};
use super::model::{EVIDENCE_FORMAT, Evidence, EvidenceCheckpoint, EvidenceEvent};
use super::signed_checkpoint;
use super::store;
use super::tree::{self, TreeError};
use super::verify::content_of;
use crate::db::Db;
use crate::event_table::walk;
use crate::ids::PartnerId;

impl EvidenceEvent {
    fn of(content: &EventContent<'_>) -> EvidenceEvent {
        EvidenceEvent {
            partner_id: content.partner_id,
            external_id: content.external_id.into(),
            occurred_at: content.occurred_at.into(),
            customer_id: content.customer_id,
            partner_user_id: content.partner_user_id,
            action_kind: content.action_kind.into(),
            action_text: content.action_text.into(),
            details: content.details.into(),
            recorded_at: content.recorded_at.into(),
        }
    }

    fn content(&self) -> EventContent<'_> {
        EventContent {
            partner_id: self.partner_id,
            external_id: &self.external_id,
            occurred_at: &self.occurred_at,
            customer_id: self.customer_id,
            partner_user_id: self.partner_user_id,
            action_kind: &self.action_kind,
            action_text: &self.action_text,
            details: &self.details,
            recorded_at: &self.recorded_at,
        }
    }
}

/// The evidence for the partner's event at chain `position`, against the newest signed
/// checkpoint of its tree; `None` while no signed checkpoint covers that position.
pub async fn gather(
    db: &Db,
    key: &VerifyingKey,
    partner_id: PartnerId,
    position: i64,
) -> Result<Option<Evidence>, TreeError> {
    let Some(checkpoint) = store::newest_tree_checkpoint(db, partner_id).await? else {
        return Ok(None);
    };
    if position < 1 || position > checkpoint.tree_size {
        return Ok(None);
    }
    let mut tx = db.begin().await?;
    let rows = walk::walk_step(&mut tx, partner_id, position - 1, 1).await?;
    let proof = tree::answer_in(
        &mut tx,
        partner_id,
        Question::Inclusion {
            index: position as u64 - 1,
            size: checkpoint.tree_size as u64,
        },
    )
    .await;
    drop(tx); // read only: dropping it ends it
    let content = rows
        .first()
        .filter(|row| row.chain_seq.as_deref() == Some(position.to_string().as_str()))
        .and_then(content_of)
        .ok_or_else(|| {
            TreeError::Broken(format!(
                "event #{position} does not read as stored (run `server verify`)"
            ))
        })?;
    let canonical = content.canonical_bytes();
    Ok(Some(Evidence {
        format: EVIDENCE_FORMAT.into(),
        event: EvidenceEvent::of(&content),
        canonical_event: String::from_utf8(canonical)
            .map_err(|_| TreeError::Broken(format!("event #{position} is not text")))?,
        chain_position: position,
        leaf_index: position as u64 - 1,
        inclusion_proof: proof?.iter().map(Hash::to_string).collect(),
        checkpoint: EvidenceCheckpoint {
            number: checkpoint.number,
            tree_size: checkpoint.tree_size as u64,
            root_hash: checkpoint.root_hash,
            signed_at: checkpoint.signed_at,
            note: checkpoint.note,
        },
        public_key: public_key_hex(key),
    }))
}

/// Why a piece of evidence does not hold.
#[derive(Debug, thiserror::Error)]
pub enum EvidenceError {
    #[error("this is not evidence of this log (its format is {0:?}, expected {EVIDENCE_FORMAT:?})")]
    Format(String),
    #[error("the event shown is not the one hashed: its fields do not give canonical_event")]
    EventDiffers,
    #[error("the checkpoint: {0}")]
    Checkpoint(#[from] signed_checkpoint::NoteError),
    #[error("the checkpoint's fields ({fields}) are not what its signed note says ({note})")]
    CheckpointDiffers { fields: String, note: String },
    #[error("the leaf index {leaf_index} is not the chain position {chain_position} less one")]
    LeafIndex { leaf_index: u64, chain_position: i64 },
    #[error("the inclusion proof is not a list of base64 SHA-256 hashes")]
    MalformedProof,
    #[error("the inclusion proof does not lead from this event to the signed root: {0}")]
    NotIncluded(String),
}

/// Checks `evidence` with `key` (the checker's own copy of the server's public key): the
/// event's fields give its canonical bytes, their leaf and the inclusion proof give the
/// root, and `key` signed a checkpoint of that root and size. Returns what it proved.
pub fn check(evidence: &Evidence, key: &VerifyingKey) -> Result<String, EvidenceError> {
    if evidence.format != EVIDENCE_FORMAT {
        return Err(EvidenceError::Format(evidence.format.clone()));
    }
    let canonical = evidence.event.content().canonical_bytes();
    if canonical != evidence.canonical_event.as_bytes() {
        return Err(EvidenceError::EventDiffers);
    }
    let signed = signed_checkpoint::read(&evidence.checkpoint.note, key)?;
    let fields = &evidence.checkpoint;
    if signed.size != fields.tree_size || signed.root.to_string() != fields.root_hash {
        return Err(EvidenceError::CheckpointDiffers {
            fields: format!("size {} root {}", fields.tree_size, fields.root_hash),
            note: format!("size {} root {}", signed.size, signed.root),
        });
    }
    if evidence.chain_position < 1 || evidence.leaf_index != evidence.chain_position as u64 - 1 {
        return Err(EvidenceError::LeafIndex {
            leaf_index: evidence.leaf_index,
            chain_position: evidence.chain_position,
        });
    }
    let proof = evidence
        .inclusion_proof
        .iter()
        .map(|hash| Hash::parse_hash(hash).ok())
        .collect::<Option<Vec<Hash>>>()
        .ok_or(EvidenceError::MalformedProof)?;
    let leaf = merkle::leaf_hash(&canonical);
    tlog_tiles::check_record(&proof, signed.size, signed.root, evidence.leaf_index, leaf)
        .map_err(|error| EvidenceError::NotIncluded(error.to_string()))?;
    Ok(format!(
        "event {:?} (chain position {}) is leaf {} of the tree in {signed}, signed by key {}",
        evidence.event.external_id,
        evidence.chain_position,
        evidence.leaf_index,
        public_key_hex(key)
    ))
}
