//! What a walk of a partner's hash chain found, shared by `server verify`, the server
//! function behind the page's integrity badge, and the badge itself.

use serde::{Deserialize, Serialize};

use crate::ids::{EventId, PartnerId};

/// How the stored log differs from what the server wrote.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum TamperKind {
    /// An event's content (or its link) no longer matches its hash.
    Edited,
    /// Events are missing from the middle of the chain.
    Deleted,
    /// A row the server did not write sits in the chain.
    Inserted,
    /// Events were moved to other places in the chain.
    Reordered,
    /// Events a signed checkpoint covers are gone from the end.
    Truncated,
    /// A checkpoint's signature does not verify with the server's public key.
    ForgedCheckpoint,
    /// A checkpoint names another key than the one given: it can't be checked with this one
    /// (a wrong key file, or a key that was replaced), which is not proof of forgery.
    SignedByAnotherKey,
}

impl TamperKind {
    pub fn as_str(self) -> &'static str {
        match self {
            TamperKind::Edited => "edited",
            TamperKind::Deleted => "deleted",
            TamperKind::Inserted => "inserted",
            TamperKind::Reordered => "reordered",
            TamperKind::Truncated => "truncated",
            TamperKind::ForgedCheckpoint => "forged checkpoint",
            TamperKind::SignedByAnotherKey => "signed by another key",
        }
    }
}

/// The first place the chain stops holding.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChainBreak {
    pub kind: TamperKind,
    /// The chain position where the walk stopped, when there is one.
    pub chain_seq: Option<i64>,
    /// The row found there (its database id), when there is one.
    pub event_id: Option<EventId>,
    pub occurred_at: Option<String>,
    pub detail: String,
}

/// The newest checkpoint whose signature verified and whose head the chain still matches.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CheckpointInfo {
    pub chain_seq: i64,
    pub signed_at: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChainReport {
    pub partner_id: PartnerId,
    /// Events walked and found in order (all of them when the chain is intact).
    pub events: u64,
    pub checkpoint: Option<CheckpointInfo>,
    pub broken: Option<ChainBreak>,
}

impl std::fmt::Display for ChainReport {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &self.broken {
            None => {
                write!(f, "intact: {} events", self.events)?;
                match &self.checkpoint {
                    Some(checkpoint) => write!(
                        f,
                        " (signed checkpoint of {} covers #1–#{})",
                        checkpoint.signed_at, checkpoint.chain_seq
                    ),
                    None => write!(f, " (no signed checkpoint yet)"),
                }
            }
            Some(broken) => {
                write!(f, "broken: {}", broken.kind.as_str())?;
                if let Some(seq) = broken.chain_seq {
                    write!(f, " at event #{seq}")?;
                }
                if let Some(id) = broken.event_id {
                    write!(f, " (row id {id}")?;
                    if let Some(at) = &broken.occurred_at {
                        write!(f, ", occurred {at}")?;
                    }
                    write!(f, ")")?;
                }
                write!(f, ": {}", broken.detail)
            }
        }
    }
}

/// The Activity log page's integrity badge for the shown period.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PeriodIntegrity {
    pub chain: ChainReport,
    pub events_in_period: u64,
    /// Events of the period at or before the last signed checkpoint.
    pub covered_in_period: u64,
    /// The Ed25519 key checkpoints are signed with, hex.
    pub public_key: String,
    /// The rolling audit's last word.
    pub audit: AuditSummary,
}

/// What `server check-evidence`, the README's Python and an auditor expect in `format`.
pub const EVIDENCE_FORMAT: &str = "activity-log evidence v1";

/// Evidence a customer can keep: one event, the exact bytes its leaf hashes, the proof that
/// the leaf is in a signed checkpoint's tree, and the key that signed it. Checking it needs
/// none of this server (`integrity::evidence::check`; the README's Python).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Evidence {
    pub format: String,
    pub event: EvidenceEvent,
    /// The event's canonical form (`integrity::canonical`): its leaf is
    /// SHA-256(0x00 ‖ these bytes as UTF-8).
    pub canonical_event: String,
    pub chain_position: i64,
    /// The leaf's index in the tree: the chain position less one.
    pub leaf_index: u64,
    /// Base64 sibling hashes from the leaf up (RFC 9162 §2.1.3) to `checkpoint.root_hash`.
    pub inclusion_proof: Vec<String>,
    pub checkpoint: EvidenceCheckpoint,
    /// The Ed25519 key the checkpoint is signed with (hex), as the server names it; a
    /// checker uses its own copy, got elsewhere.
    pub public_key: String,
}

/// The event's stored fields, as its canonical form writes them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EvidenceEvent {
    pub partner_id: i64,
    pub external_id: String,
    pub occurred_at: String,
    pub customer_id: Option<i64>,
    pub partner_user_id: i64,
    pub action_kind: String,
    pub action_text: String,
    /// The details as stored: JSON text, hashed as these exact characters.
    pub details: String,
    pub recorded_at: String,
}

/// The signed checkpoint a proof leads to.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EvidenceCheckpoint {
    /// Its number among the partner's checkpoints (1 for the first).
    pub number: i64,
    pub tree_size: u64,
    /// Base64, as the note writes it.
    pub root_hash: String,
    pub signed_at: String,
    /// The C2SP signed note: origin, size and root, then the signature line.
    pub note: String,
}

/// What the first line of a JSON-lines export with proofs says in `format`.
pub const EVIDENCE_LINES_FORMAT: &str = "activity-log evidence lines v1";

/// The first line of a JSON-lines export with proofs: the checkpoint every line's proof
/// leads to, once. With one line of the file it makes an [`Evidence`] ([`Evidence::of_line`]).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EvidenceLinesHeader {
    pub format: String,
    pub checkpoint: EvidenceCheckpoint,
    /// The key's hex, as the server names it; a checker uses its own copy.
    pub public_key: String,
}

/// A JSON-lines export line's `proof`: [`Evidence`] less the checkpoint, which the file's
/// first line holds.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LineProof {
    pub event: EvidenceEvent,
    pub canonical_event: String,
    pub chain_position: i64,
    pub leaf_index: u64,
    pub inclusion_proof: Vec<String>,
}

impl Evidence {
    /// The evidence a line of an export with proofs and the file's first line make together.
    pub fn of_line(header: &EvidenceLinesHeader, proof: LineProof) -> Evidence {
        Evidence {
            format: EVIDENCE_FORMAT.into(),
            event: proof.event,
            canonical_event: proof.canonical_event,
            chain_position: proof.chain_position,
            leaf_index: proof.leaf_index,
            inclusion_proof: proof.inclusion_proof,
            checkpoint: header.checkpoint.clone(),
            public_key: header.public_key.clone(),
        }
    }
}

/// What the rolling audit (which walks the whole chain again once per audit period) last
/// found, for the badge.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditSummary {
    /// When its last pass over the whole chain finished, if one has.
    pub last_finished_at: Option<String>,
    /// What that pass found broken, if anything.
    pub last_broken: Option<ChainBreak>,
    /// The position the pass under way has reached, if one is under way.
    pub under_way_at: Option<i64>,
}
