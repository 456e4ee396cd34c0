//! `server check-evidence FILE --public-key KEY.pub`: checks a downloaded evidence file, or
//! a JSON-lines export with proofs (every line), with the server's public key alone, no
//! database and no server (what the README's Python does too). Exits 1 saying which part
//! (and which line) does not hold.

use std::path::{Path, PathBuf};

use app::integrity::checkpoint::{KeyError, load_public_key};
use app::integrity::evidence::{EvidenceError, check, check_lines};
use app::integrity::model::{EVIDENCE_LINES_FORMAT, Evidence};

#[derive(Debug, thiserror::Error)]
pub enum CheckEvidenceError {
    #[error("cannot read {path}: {source}")]
    Read { path: PathBuf, source: std::io::Error },
    #[error("{path} is not an evidence file: {source}")]
    NotEvidence {
        path: PathBuf,
        source: serde_json::Error,
    },
    #[error(transparent)]
    Key(#[from] KeyError),
    #[error("the evidence does not hold: {0}")]
    Fails(#[from] EvidenceError),
}

/// What the evidence in `file` (one event's, or an export's lines) proves, once checked with the key in `public_key`.
pub fn check_evidence(file: &Path, public_key: &Path) -> Result<String, CheckEvidenceError> {
    let key = load_public_key(public_key)?;
    let text = std::fs::read_to_string(file).map_err(|source| CheckEvidenceError::Read {
        path: file.to_path_buf(),
        source,
    })?;
    let first_line: Option<serde_json::Value> = text
        .lines()
        .next()
        .and_then(|line| serde_json::from_str(line).ok());
    if first_line.is_some_and(|line| line["format"] == EVIDENCE_LINES_FORMAT) {
        return Ok(check_lines(&text, &key)?);
    }
    let evidence: Evidence =
        serde_json::from_str(&text).map_err(|source| CheckEvidenceError::NotEvidence {
            path: file.to_path_buf(),
            source,
        })?;
    Ok(check(&evidence, &key)?)
}
