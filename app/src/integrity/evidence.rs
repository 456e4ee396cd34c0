//! Evidence a customer can keep (`model::Evidence`): [`gather`] reads it from the
//! database for one event; [`check`] verifies it with nothing but the public key, for
//! `server check-evidence` and the tests (the README shows the same check in Python).

use std::collections::HashMap;

use ed25519_dalek::VerifyingKey;
use tlog_tiles::Hash;

use super::canonical::EventContent;
use super::checkpoint::public_key_hex;
use super::merkle::{self, Question};
use super::model::{
    EVIDENCE_FORMAT, EVIDENCE_LINES_FORMAT, Evidence, EvidenceCheckpoint, EvidenceEvent, EvidenceLinesHeader,
    LineProof,
};
use super::signed_checkpoint;
use super::store;
use super::tree::{self, TreeError};
use super::verify::content_of;
use crate::db::Db;
use crate::event_table::walk::{self, WalkedRow};
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

/// The partner's newest checkpoint of its tree, as evidence against it names it; `None`
/// before the first.
pub async fn newest_header(
    db: &Db,
    key: &VerifyingKey,
    partner_id: PartnerId,
) -> Result<Option<EvidenceLinesHeader>, sqlx::Error> {
    Ok(store::newest_tree_checkpoint(db, partner_id)
        .await?
        .map(|checkpoint| EvidenceLinesHeader {
            format: EVIDENCE_LINES_FORMAT.into(),
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

/// The evidence for the partner's event at chain `position`, against the newest signed
/// checkpoint of its tree; `None` while no signed checkpoint covers that position.
pub async fn gather(
    db: &Db,
    key: &VerifyingKey,
    partner_id: PartnerId,
    position: i64,
) -> Result<Option<Evidence>, TreeError> {
    let Some(header) = newest_header(db, key, partner_id).await? else {
        return Ok(None);
    };
    let size = header.checkpoint.tree_size;
    if position < 1 || position as u64 > size {
        return Ok(None);
    }
    let mut tx = db.begin().await?;
    let rows = walk::walk_step(&mut tx, partner_id, position - 1, 1).await?;
    let index = position as u64 - 1;
    let proof = tree::answer_in(&mut tx, partner_id, Question::Inclusion { index, size }).await;
    drop(tx); // read only: dropping it ends it
    let row = rows.first().ok_or_else(|| unreadable(position))?;
    Ok(Some(Evidence::of_line(
        &header,
        line_proof(row, position, &proof?)?,
    )))
}

/// The proofs, against the tree of `size` leaves, of the partner's events with these row
/// ids (a JSON-lines export's slice), by row id (see [`prove_rows`]).
pub async fn line_proofs(
    db: &Db,
    partner_id: PartnerId,
    size: u64,
    ids: &[i64],
) -> Result<HashMap<i64, LineProof>, TreeError> {
    let rows = walk::walk_ids(db, partner_id, ids).await?;
    Ok(prove_rows(db, partner_id, size, &rows)
        .await?
        .into_iter()
        .collect())
}

/// Each of these stored rows of the partner with its proof against the tree of `size`
/// leaves, with the row's id: read API pages and export slices. Rows after that tree get
/// none, and so does a row that no longer reads as an event (a consumer's check then fails
/// there, as `server verify` does). The tiles the proofs share are read and hashed once.
pub async fn prove_rows(
    db: &Db,
    partner_id: PartnerId,
    size: u64,
    rows: &[WalkedRow],
) -> Result<Vec<(i64, LineProof)>, TreeError> {
    let covered: Vec<(&WalkedRow, i64)> = rows
        .iter()
        .filter_map(|row| Some((row, row.chain_seq.as_deref()?.parse::<i64>().ok()?)))
        .filter(|(_, position)| (1..=size as i64).contains(position))
        .collect();
    let questions: Vec<Question> = covered
        .iter()
        .map(|(_, position)| Question::Inclusion {
            index: *position as u64 - 1,
            size,
        })
        .collect();
    let proofs = tree::answer_many(db, partner_id, &questions).await?;
    Ok(covered
        .into_iter()
        .zip(proofs)
        .filter_map(|((row, position), proof)| Some((row.id, line_proof(row, position, &proof).ok()?)))
        .collect())
}

/// What evidence says of the stored `row` at chain `position`, whose proof is `proof`.
fn line_proof(row: &WalkedRow, position: i64, proof: &[Hash]) -> Result<LineProof, TreeError> {
    let content = content_of(row)
        .filter(|_| row.chain_seq.as_deref() == Some(position.to_string().as_str()))
        .ok_or_else(|| unreadable(position))?;
    Ok(LineProof {
        event: EvidenceEvent::of(&content),
        canonical_event: String::from_utf8(content.canonical_bytes())
            .map_err(|_| TreeError::Broken(format!("event #{position} is not text")))?,
        chain_position: position,
        leaf_index: position as u64 - 1,
        inclusion_proof: proof.iter().map(Hash::to_string).collect(),
    })
}

fn unreadable(position: i64) -> TreeError {
    TreeError::Broken(format!(
        "event #{position} does not read as stored (run `server verify`)"
    ))
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
    #[error("line {line}: {problem}")]
    Line { line: usize, problem: String },
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

/// A line of a JSON-lines export as [`check_lines`] reads it: the fields it holds to the
/// proved event (the export writes them: `activity::server::export::file`).
#[derive(serde::Deserialize)]
struct ExportedLine {
    id: String,
    occurred_at: String,
    customer_id: Option<i64>,
    action: String,
    action_text: String,
    details: serde_json::Value,
    proof: Option<LineProof>,
}

/// Checks a JSON-lines export with proofs with `key`: each line's proof with the first
/// line's checkpoint is evidence ([`check`]), and the line's fields must be the proved
/// event's. Lines newer than the checkpoint carry no proof and are counted, not failed.
pub fn check_lines(text: &str, key: &VerifyingKey) -> Result<String, EvidenceError> {
    let mut lines = text
        .lines()
        .enumerate()
        .filter(|(_, line)| !line.trim().is_empty());
    let header: EvidenceLinesHeader = lines
        .next()
        .and_then(|(_, line)| serde_json::from_str(line).ok())
        .filter(|header: &EvidenceLinesHeader| header.format == EVIDENCE_LINES_FORMAT)
        .ok_or_else(|| EvidenceError::Format("not a JSON-lines export with proofs".into()))?;
    let (mut proved, mut newer) = (0u64, 0u64);
    for (index, text) in lines {
        let fails = |problem: String| EvidenceError::Line {
            line: index + 1,
            problem,
        };
        let line: ExportedLine = serde_json::from_str(text).map_err(|error| fails(error.to_string()))?;
        let Some(proof) = line.proof else {
            newer += 1;
            continue;
        };
        let event = &proof.event;
        let stored_details: Option<serde_json::Value> = serde_json::from_str(&event.details).ok();
        if line.id != event.external_id
            || line.occurred_at != event.occurred_at
            || line.customer_id != event.customer_id
            || line.action != event.action_kind
            || line.action_text != event.action_text
            || stored_details.as_ref() != Some(&line.details)
        {
            return Err(fails(format!(
                "event {:?}: the line's fields are not the proved event's",
                line.id
            )));
        }
        check(&Evidence::of_line(&header, proof), key).map_err(|error| fails(error.to_string()))?;
        proved += 1;
    }
    let checkpoint = &header.checkpoint;
    Ok(format!(
        "{proved} events are leaves of the tree in checkpoint #{} (size {}, root {}), signed by key {}; {newer} newer events carry no proof yet",
        checkpoint.number,
        checkpoint.tree_size,
        checkpoint.root_hash,
        public_key_hex(key)
    ))
}
