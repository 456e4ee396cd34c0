//! Signed checkpoints: "partner P's chain had head H at position N, at time T", signed with
//! an Ed25519 key that lives in a file outside the database. Someone who can write the
//! database but not read that file cannot rewrite or cut history a checkpoint covers.

use std::path::{Path, PathBuf};

use crate::db::Db;
use chrono::{DateTime, Utc};
use ed25519_dalek::{Signature, Signer, SigningKey, Verifier, VerifyingKey};

use super::chain::chain_head;
use super::merkle::Question;
use super::store;
use super::tree::{self, TreeError};
use crate::db::to_db_time;
use crate::digest::{from_hex, to_hex};
use crate::ids::PartnerId;

/// The exact text a checkpoint's signature covers.
pub fn checkpoint_statement(
    partner_id: PartnerId,
    chain_seq: &str,
    head_hash: &str,
    signed_at: &str,
) -> String {
    format!(
        "activity-log checkpoint v1\npartner_id={partner_id}\nchain_seq={chain_seq}\nhead_hash={head_hash}\nsigned_at={signed_at}\n"
    )
}

pub fn signature_is_valid(key: &VerifyingKey, statement: &str, signature_hex: &str) -> bool {
    let Some(bytes) = from_hex(signature_hex) else {
        return false;
    };
    let Ok(signature) = Signature::from_slice(&bytes) else {
        return false;
    };
    key.verify(statement.as_bytes(), &signature).is_ok()
}

pub fn public_key_hex(key: &VerifyingKey) -> String {
    to_hex(key.as_bytes())
}

/// A key's short name, stored beside each checkpoint so `verify` can say "signed by key X,
/// you gave key Y" instead of calling a checkpoint forged. Not part of what is signed: it
/// only names the key to try.
pub fn key_id(key: &VerifyingKey) -> String {
    public_key_hex(key)[..16].to_string()
}

#[derive(Debug, thiserror::Error)]
pub enum KeyError {
    #[error(
        "no signing key at {path}: create one with `server keygen` (or `server serve --create-key`), \
         or name the right file with --signing-key"
    )]
    Missing { path: PathBuf },
    #[error("cannot read the signing key {path}: {source}")]
    Read { path: PathBuf, source: std::io::Error },
    #[error("cannot create the signing key {path}: {source}")]
    Create { path: PathBuf, source: std::io::Error },
    #[error("{path} already exists; a key is never replaced")]
    Exists { path: PathBuf },
    #[error("{path} is not a {what} (expected 64 hex digits)")]
    Malformed { path: PathBuf, what: &'static str },
}

/// Reads a file of 64 hex digits (32 bytes): a signing key's seed or a public key.
fn read_key_bytes(path: &Path, what: &'static str) -> Result<[u8; 32], KeyError> {
    let text = std::fs::read_to_string(path).map_err(|source| match source.kind() {
        std::io::ErrorKind::NotFound => KeyError::Missing {
            path: path.to_path_buf(),
        },
        _ => KeyError::Read {
            path: path.to_path_buf(),
            source,
        },
    })?;
    from_hex(text.trim())
        .and_then(|bytes| bytes.try_into().ok())
        .ok_or_else(|| KeyError::Malformed {
            path: path.to_path_buf(),
            what,
        })
}

/// Reads a public key file (as `server keygen` writes beside the key, or the hex the page
/// shows under the badge): all `verify` needs.
pub fn load_public_key(path: &Path) -> Result<VerifyingKey, KeyError> {
    let bytes = read_key_bytes(path, "public key")?;
    VerifyingKey::from_bytes(&bytes).map_err(|_| KeyError::Malformed {
        path: path.to_path_buf(),
        what: "public key",
    })
}

/// The name checkpoints carry when `integrity.origin` names none.
pub const DEFAULT_ORIGIN: &str = "activity-log.localhost";

/// The server's checkpoint key. Deliberately not `Serialize` and not `Debug`-printable.
pub struct CheckpointSigner {
    key: SigningKey,
    /// This server's name in its checkpoints' C2SP notes: the key's name, and the start of
    /// each partner's origin line (`ORIGIN/PARTNER-DOMAIN`).
    origin: String,
}

impl std::fmt::Debug for CheckpointSigner {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "CheckpointSigner({})", public_key_hex(&self.verifying_key()))
    }
}

impl CheckpointSigner {
    /// Reads the key file (64 hex digits). A missing file is an error, never a new key: a
    /// typo in a path must not start a second history of signatures.
    pub fn load(path: &Path) -> Result<CheckpointSigner, KeyError> {
        let seed = read_key_bytes(path, "signing key")?;
        Ok(CheckpointSigner {
            key: SigningKey::from_bytes(&seed),
            origin: DEFAULT_ORIGIN.into(),
        })
    }

    /// Creates a new random key file, readable by its owner only, and its public key beside
    /// it (`PATH.pub`); refuses if the key file exists.
    pub fn create(path: &Path) -> Result<CheckpointSigner, KeyError> {
        let key = SigningKey::generate(&mut rand::rngs::OsRng);
        write_private_file(path, &format!("{}\n", to_hex(key.as_bytes()))).map_err(|source| match source
            .kind()
        {
            std::io::ErrorKind::AlreadyExists => KeyError::Exists {
                path: path.to_path_buf(),
            },
            _ => KeyError::Create {
                path: path.to_path_buf(),
                source,
            },
        })?;
        let signer = CheckpointSigner {
            key,
            origin: DEFAULT_ORIGIN.into(),
        };
        let public = public_key_path(path);
        std::fs::write(&public, format!("{}\n", public_key_hex(&signer.verifying_key()))).map_err(
            |source| KeyError::Create {
                path: public.clone(),
                source,
            },
        )?;
        tracing::info!(path = %path.display(), "created a new checkpoint signing key");
        Ok(signer)
    }

    /// [`Self::load`], or [`Self::create`] when the file is missing: only for
    /// `serve --create-key` and tests.
    pub fn load_or_create(path: &Path) -> Result<CheckpointSigner, KeyError> {
        match CheckpointSigner::load(path) {
            Err(KeyError::Missing { .. }) => CheckpointSigner::create(path),
            other => other,
        }
    }

    pub fn verifying_key(&self) -> VerifyingKey {
        self.key.verifying_key()
    }

    /// The same key, naming its checkpoints `origin` (`integrity.origin`).
    pub fn with_origin(mut self, origin: &str) -> CheckpointSigner {
        self.origin = origin.to_string();
        self
    }

    /// The C2SP verifier key of the checkpoint notes (`NAME+KEYID+BASE64`): what a
    /// transparency-log tool or witness is given to check them.
    pub fn note_verifier_key(&self) -> String {
        signed_note::new_ed25519_verifier_key(&self.origin, &self.verifying_key())
    }

    /// The partner's checkpoint as a C2SP signed note: `ORIGIN/DOMAIN`, the tree's size and
    /// base64 root, then the signature line.
    pub fn checkpoint_note(&self, partner_domain: &str, tree_size: u64, root: &str) -> String {
        let text = format!("{}/{partner_domain}\n{tree_size}\n{root}\n", self.origin);
        let mut note =
            signed_note::Note::new(text.as_bytes(), &[]).expect("a checkpoint's text is a valid note");
        let signer: &dyn signed_note::Signer = &NoteSigner(self);
        note.add_sigs(&[signer])
            .expect("an Ed25519 signature never fails");
        String::from_utf8(note.to_bytes()).expect("a note of text is text")
    }

    fn sign(&self, statement: &str) -> String {
        to_hex(&self.key.sign(statement.as_bytes()).to_bytes())
    }
}

/// The checkpoint key as a signed note's signer (C2SP signed-note, Ed25519: key id from
/// the name, 0x01 and the public key).
struct NoteSigner<'a>(&'a CheckpointSigner);

impl signed_note::Signer for NoteSigner<'_> {
    fn name(&self) -> &str {
        &self.0.origin
    }

    fn key_id(&self) -> u32 {
        let mut key = vec![0x01];
        key.extend_from_slice(self.0.verifying_key().as_bytes());
        signed_note::key_id(&self.0.origin, &key)
    }

    fn sign(&self, message: &[u8]) -> Result<Vec<u8>, ed25519_dalek::SignatureError> {
        Ok(self.0.key.sign(message).to_bytes().to_vec())
    }
}

/// Where [`CheckpointSigner::create`] writes the public half: `PATH.pub`.
pub fn public_key_path(path: &Path) -> PathBuf {
    let mut public = path.as_os_str().to_owned();
    public.push(".pub");
    PathBuf::from(public)
}

fn write_private_file(path: &Path, contents: &str) -> std::io::Result<()> {
    use std::io::Write;
    if let Some(parent) = path.parent().filter(|parent| !parent.as_os_str().is_empty()) {
        std::fs::create_dir_all(parent)?;
    }
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    let mut file = options.open(path)?;
    file.write_all(contents.as_bytes())?;
    file.sync_all()
}

/// Signs a checkpoint for every partner whose chain grew since its last checkpoint.
/// Returns (partner, position) of each checkpoint made.
pub async fn sign_checkpoints(
    pool: &Db,
    signer: &CheckpointSigner,
    now: DateTime<Utc>,
) -> Result<Vec<(PartnerId, i64)>, sqlx::Error> {
    let partners = store::partners(pool).await?;
    let signed_at = to_db_time(now);
    let mut made = Vec::new();
    for (partner_id, domain) in partners {
        let mut tx = pool.begin_locked(crate::db::WriteLock::Chain(partner_id)).await?;
        let (seq, head_hash) = chain_head(&mut tx, partner_id).await?;
        let last = store::last_checkpointed(&mut tx, partner_id).await?;
        if seq == 0 || last.is_some_and(|last| last >= seq) {
            continue;
        }
        // The tree's root beside the chain's head, once the tree holds the same events.
        let tree = if tree::size(&mut tx, partner_id).await? == seq {
            let size = seq as u64;
            let root = match tree::answer_in(&mut tx, partner_id, Question::Root { size }).await {
                Ok(root) => root[0].to_string(),
                Err(TreeError::Database(error)) => return Err(error),
                Err(error) => {
                    tracing::error!(%partner_id, "no tree root for the checkpoint: {error}");
                    String::new()
                }
            };
            (!root.is_empty()).then(|| (seq, root.clone(), signer.checkpoint_note(&domain, size, &root)))
        } else {
            None
        };
        let signature = signer.sign(&checkpoint_statement(
            partner_id,
            &seq.to_string(),
            &head_hash,
            &signed_at,
        ));
        let checkpoint = store::NewCheckpoint {
            partner_id,
            chain_seq: seq,
            head_hash: &head_hash,
            signed_at: &signed_at,
            signature: &signature,
            key_id: &key_id(&signer.verifying_key()),
            tree,
        };
        let stored = store::insert_checkpoint(&mut tx, &checkpoint).await?;
        tx.commit().await?;
        if stored {
            made.push((partner_id, seq));
        }
    }
    Ok(made)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_created_key_is_private_and_reads_back_the_same() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("keys/checkpoint.key");
        assert!(matches!(
            CheckpointSigner::load(&path),
            Err(KeyError::Missing { .. })
        ));
        assert!(!path.exists(), "loading never creates a key");
        let created = CheckpointSigner::create(&path).unwrap();
        let loaded = CheckpointSigner::load(&path).unwrap();
        assert_eq!(created.verifying_key(), loaded.verifying_key());
        assert_eq!(
            load_public_key(&public_key_path(&path)).unwrap(),
            created.verifying_key()
        );
        assert!(matches!(
            CheckpointSigner::create(&path),
            Err(KeyError::Exists { .. })
        ));
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&path).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
        }
        assert!(!format!("{created:?}").contains(&to_hex(created.key.as_bytes())));
    }

    #[test]
    fn signatures_cover_every_part_of_the_statement() {
        let dir = tempfile::tempdir().unwrap();
        let signer = CheckpointSigner::load_or_create(&dir.path().join("k")).unwrap();
        let key = signer.verifying_key();
        let statement = checkpoint_statement(PartnerId(1), "10", &"a".repeat(64), "2026-11-25T16:00:00Z");
        let signature = signer.sign(&statement);
        assert!(signature_is_valid(&key, &statement, &signature));
        for other in [
            checkpoint_statement(PartnerId(2), "10", &"a".repeat(64), "2026-11-25T16:00:00Z"),
            checkpoint_statement(PartnerId(1), "11", &"a".repeat(64), "2026-11-25T16:00:00Z"),
            checkpoint_statement(PartnerId(1), "10", &"b".repeat(64), "2026-11-25T16:00:00Z"),
            checkpoint_statement(PartnerId(1), "10", &"a".repeat(64), "2026-11-25T17:00:00Z"),
        ] {
            assert!(!signature_is_valid(&key, &other, &signature));
        }
        assert!(!signature_is_valid(&key, &statement, "not hex"));
    }

    #[test]
    fn a_malformed_key_file_is_refused_not_replaced() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("k");
        std::fs::write(&path, "hello").unwrap();
        assert!(matches!(
            CheckpointSigner::load_or_create(&path),
            Err(KeyError::Malformed { .. })
        ));
        assert_eq!(std::fs::read_to_string(&path).unwrap(), "hello");
    }
}
