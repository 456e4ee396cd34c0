//! Reading a C2SP signed checkpoint note (as `checkpoint::CheckpointSigner` writes them)
//! with nothing but the public key: for `server monitor`, `server check-evidence` and
//! anyone else outside the server.

use ed25519_dalek::VerifyingKey;
use signed_note::{Note, StandardVerifier, VerifierList};
use tlog_tiles::{Checkpoint, Hash};

#[derive(Debug, thiserror::Error)]
pub enum NoteError {
    #[error("the checkpoint is not a C2SP checkpoint: {0}")]
    Malformed(String),
    #[error("the checkpoint is not signed by the key given: {0}")]
    BadSignature(String),
}

/// A checkpoint whose signature was checked: its note, and what it says.
#[derive(Debug, Clone)]
pub struct SignedCheckpoint {
    pub note: String,
    /// `ORIGIN/PARTNER-DOMAIN`.
    pub origin: String,
    pub size: u64,
    pub root: Hash,
}

impl std::fmt::Display for SignedCheckpoint {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} size {} root {}", self.origin, self.size, self.root)
    }
}

/// Checks `note`'s signature with `key` (the key's name is the origin's host part, as this
/// server signs) and reads the checkpoint in it.
pub fn read(note: &str, key: &VerifyingKey) -> Result<SignedCheckpoint, NoteError> {
    let parsed =
        Note::from_bytes(note.as_bytes()).map_err(|error| NoteError::Malformed(error.to_string()))?;
    let checkpoint =
        Checkpoint::from_bytes(parsed.text()).map_err(|error| NoteError::Malformed(error.to_string()))?;
    let name = checkpoint.origin().split('/').next().unwrap_or_default();
    let verifier = StandardVerifier::new(&signed_note::new_ed25519_verifier_key(name, key))
        .map_err(|error| NoteError::BadSignature(error.to_string()))?;
    parsed
        .verify(&VerifierList::new(vec![
            Box::new(verifier) as Box<dyn signed_note::Verifier>
        ]))
        .map_err(|error| NoteError::BadSignature(error.to_string()))?;
    Ok(SignedCheckpoint {
        note: note.to_string(),
        origin: checkpoint.origin().to_string(),
        size: checkpoint.size(),
        root: *checkpoint.hash(),
    })
}
