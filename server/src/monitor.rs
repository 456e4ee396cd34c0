//! `server monitor URL --token T --public-key KEY.pub --state FILE`: a watcher that runs
//! outside the server (another machine, a customer's cron). Each run fetches the partner's
//! newest signed checkpoint, checks its signature with the public key it was given, and
//! asks the server to prove that it extends the checkpoint the previous run kept in FILE.
//! Someone holding the database and the signing key can rewrite an event and sign a new
//! checkpoint over it, but not one consistent with a checkpoint a monitor already saw: the
//! run then fails, naming both.

use std::path::{Path, PathBuf};

use app::integrity::signed_checkpoint::{self, NoteError, SignedCheckpoint};
use tlog_tiles::Hash;

#[derive(Debug, thiserror::Error)]
pub enum MonitorError {
    #[error(
        "history was rewritten: the checkpoint seen before ({before}) is not part of the one served now ({now}): {why}"
    )]
    Rewritten {
        before: String,
        now: String,
        why: String,
    },
    #[error("the checkpoint served is not signed by the key given: {0}")]
    BadSignature(String),
    #[error("the checkpoint served is not a C2SP checkpoint: {0}")]
    Malformed(String),
    #[error("asking {url}: {why}")]
    Server { url: String, why: String },
    #[error("the state file {path}: {why}")]
    State { path: PathBuf, why: String },
    #[error(transparent)]
    Key(#[from] app::integrity::checkpoint::KeyError),
}

/// [`signed_checkpoint::read`], its errors as the monitor reports them.
fn read_checkpoint(note: &str, key: &ed25519_dalek::VerifyingKey) -> Result<SignedCheckpoint, MonitorError> {
    signed_checkpoint::read(note, key).map_err(|error| match error {
        NoteError::Malformed(why) => MonitorError::Malformed(why),
        NoteError::BadSignature(why) => MonitorError::BadSignature(why),
    })
}

async fn get(url: &str, token: &str) -> Result<String, MonitorError> {
    let failed = |why: String| MonitorError::Server {
        url: url.to_string(),
        why,
    };
    let answer = reqwest::Client::new()
        .get(url)
        .bearer_auth(token)
        .timeout(std::time::Duration::from_secs(30))
        .send()
        .await
        .map_err(|error| failed(error.without_url().to_string()))?;
    let status = answer.status();
    let text = answer.text().await.map_err(|error| failed(error.to_string()))?;
    if !status.is_success() {
        return Err(failed(format!("{status}: {}", text.trim())));
    }
    Ok(text)
}

/// One run: what it found, in a line; the checkpoint is kept in `state` for the next run.
pub async fn monitor(
    server: &str,
    token: &str,
    public_key: &Path,
    state: &Path,
) -> Result<String, MonitorError> {
    let key = app::integrity::checkpoint::load_public_key(public_key)?;
    let server = server.trim_end_matches('/');
    let now = read_checkpoint(&get(&format!("{server}/api/v1/checkpoint"), token).await?, &key)?;
    let state_error = |why: String| MonitorError::State {
        path: state.to_path_buf(),
        why,
    };
    let before = match std::fs::read_to_string(state) {
        Ok(note) => Some(read_checkpoint(&note, &key).map_err(|error| state_error(error.to_string()))?),
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => None,
        Err(error) => return Err(state_error(error.to_string())),
    };
    let said = match &before {
        None => format!("first checkpoint seen: {now}"),
        Some(before) => {
            let rewritten = |why: &str| MonitorError::Rewritten {
                before: before.to_string(),
                now: now.to_string(),
                why: why.to_string(),
            };
            if before.origin != now.origin {
                return Err(rewritten("another log's origin"));
            }
            if now.size < before.size {
                return Err(rewritten("the log is shorter than it was"));
            }
            if now.size == before.size {
                if now.root != before.root {
                    return Err(rewritten("the same size with another root"));
                }
            } else {
                let url = format!(
                    "{server}/api/v1/proofs/consistency?from={}&to={}",
                    before.size, now.size
                );
                let answer: serde_json::Value =
                    serde_json::from_str(&get(&url, token).await?).map_err(|error| MonitorError::Server {
                        url: url.clone(),
                        why: error.to_string(),
                    })?;
                let proof = answer["proof"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .map(|hash| hash.as_str().and_then(|text| Hash::parse_hash(text).ok()))
                    .collect::<Option<Vec<Hash>>>()
                    .ok_or_else(|| MonitorError::Server {
                        url: url.clone(),
                        why: "the proof is not a list of base64 hashes".into(),
                    })?;
                tlog_tiles::check_tree(&proof, now.size, now.root, before.size, before.root)
                    .map_err(|error| rewritten(&format!("its consistency proof fails ({error})")))?;
            }
            format!("{now} extends {before}")
        }
    };
    // Written whole, then renamed: a run cut short leaves the old state, never half a note.
    let partial = state.with_extension("partial");
    std::fs::write(&partial, &now.note)
        .and_then(|()| std::fs::rename(&partial, state))
        .map_err(|error| state_error(error.to_string()))?;
    Ok(said)
}
