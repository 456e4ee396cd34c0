//! Password hashing: argon2id with OWASP's minimum (19 MiB, 2 passes, 1 lane), run on the
//! blocking pool because one hash takes tens of milliseconds of CPU.

use argon2::password_hash::rand_core::OsRng;
use argon2::password_hash::{Output, PasswordHash, PasswordHasher, SaltString};
use argon2::{Algorithm, Argon2, Block, Params, Version};

use crate::errors::AppError;

fn hasher() -> Argon2<'static> {
    let params = Params::new(19 * 1024, 2, 1, None).expect("OWASP argon2 parameters are valid");
    Argon2::new(Algorithm::Argon2id, Version::V0x13, params)
}

/// Hashes synchronously; for seeding and for [`hash_password`].
pub fn hash_password_blocking(password: &str) -> String {
    let salt = SaltString::generate(&mut OsRng);
    hasher()
        .hash_password(password.as_bytes(), &salt)
        .expect("argon2 hashing of a short password cannot fail")
        .to_string()
}

pub async fn hash_password(password: String) -> Result<String, AppError> {
    tokio::task::spawn_blocking(move || hash_password_blocking(&password))
        .await
        .map_err(|_| AppError::Internal)
}

/// Checks `password` against the PHC string `hash`, computing in `memory`. A check of our
/// own rather than `PasswordVerifier`, which allocates 19 MiB afresh each time: freed, that
/// raises the allocator's mmap threshold and the memory stays in per-thread heaps, so a
/// flood of sign-ins grew the server by hundreds of MiB even with few checks at once.
fn verify_in(password: &[u8], hash: &str, memory: &mut Vec<Block>) -> bool {
    let Ok(parsed) = PasswordHash::new(hash) else {
        tracing::error!("stored password hash is not a PHC string");
        return false;
    };
    let (Some(salt), Some(expected)) = (parsed.salt, parsed.hash) else {
        return false;
    };
    let (Ok(algorithm), Ok(params)) = (Algorithm::try_from(parsed.algorithm), Params::try_from(&parsed))
    else {
        return false;
    };
    let version = match parsed.version.map(Version::try_from) {
        None => Version::V0x13,
        Some(Ok(version)) => version,
        Some(Err(_)) => return false,
    };
    let mut salt_bytes = [0u8; 64];
    let Ok(salt) = salt.decode_b64(&mut salt_bytes) else {
        return false;
    };
    memory.resize(params.block_count(), Block::default());
    let mut computed = vec![0u8; expected.len()];
    if Argon2::new(algorithm, version, params)
        .hash_password_into_with_memory(password, salt, &mut computed, &mut memory[..])
        .is_err()
    {
        return false;
    }
    // `Output`'s equality is constant-time.
    Output::new(&computed).is_ok_and(|computed| computed == expected)
}

/// Verifies on the blocking pool in `memory`, and gives it back. `stored_hash` is `None` for
/// an unknown email: a dummy hash is verified instead, so the answer takes as long as for a
/// known one.
async fn verify_on_blocking_pool(
    password: String,
    stored_hash: Option<String>,
    mut memory: Vec<Block>,
) -> Result<(bool, Vec<Block>), AppError> {
    tokio::task::spawn_blocking(move || {
        let known = stored_hash.is_some();
        let hash = stored_hash.unwrap_or_else(|| DUMMY_HASH.to_string());
        // Verified first, whatever `known` is: skipping the hash would tell by the time
        // taken which emails have accounts.
        let matches = verify_in(password.as_bytes(), &hash, &mut memory);
        (matches && known, memory)
    })
    .await
    .map_err(|_| AppError::Internal)
}

/// What a capped password check found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    Right,
    Wrong,
    /// Every check slot stayed taken for the whole wait: try again shortly.
    Busy,
}

/// Caps the password checks that run at once, each in a 19 MiB work area of its own that is
/// kept for the next check. The blocking pool would run hundreds side by side, so without
/// the cap a flood of sign-ins (no session needed) could take the server's memory. Callers
/// beyond the cap wait up to `wait`.
#[derive(Debug)]
pub struct PasswordChecks {
    slots: tokio::sync::Semaphore,
    work_areas: std::sync::Mutex<Vec<Vec<Block>>>,
    wait: std::time::Duration,
}

impl PasswordChecks {
    pub fn new(at_once: usize, wait: std::time::Duration) -> PasswordChecks {
        PasswordChecks {
            slots: tokio::sync::Semaphore::new(at_once.max(1)),
            work_areas: std::sync::Mutex::default(),
            wait,
        }
    }

    pub async fn verify(&self, password: String, stored_hash: Option<String>) -> Result<Verdict, AppError> {
        let Ok(Ok(_slot)) = tokio::time::timeout(self.wait, self.slots.acquire()).await else {
            return Ok(Verdict::Busy);
        };
        let work_areas = || crate::locks::lock(&self.work_areas);
        let memory = work_areas().pop().unwrap_or_default();
        let (matches, memory) = verify_on_blocking_pool(password, stored_hash, memory).await?;
        work_areas().push(memory);
        Ok(if matches { Verdict::Right } else { Verdict::Wrong })
    }
}

/// argon2id hash of a random, forgotten password, with the same parameters.
const DUMMY_HASH: &str =
    "$argon2id$v=19$m=19456,t=2,p=1$c29tZXNhbHRzb21lc2FsdA$Lfd8QwJ0m+fHvyrqPe3n8CIUIWqa9KAZJFZTZ9DdzPg";

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_hash_verifies_its_password_only() {
        let hash = hash_password("correct horse".to_string()).await.unwrap();
        assert!(hash.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"));
        let checks = PasswordChecks::new(1, std::time::Duration::from_secs(5));
        let right = checks.verify("correct horse".into(), Some(hash.clone())).await;
        assert_eq!(right, Ok(Verdict::Right));
        let wrong = checks.verify("wrong horse".into(), Some(hash)).await;
        assert_eq!(wrong, Ok(Verdict::Wrong));
    }

    #[tokio::test]
    async fn checks_beyond_the_cap_wait_then_are_refused() {
        let checks = std::sync::Arc::new(PasswordChecks::new(1, std::time::Duration::from_millis(1)));
        let verdicts = futures::future::join_all((0..4).map(|_| checks.verify("guess".into(), None))).await;
        let busy = verdicts.iter().filter(|v| **v == Ok(Verdict::Busy)).count();
        assert!(busy >= 1, "{verdicts:?}");
        assert!(verdicts.contains(&Ok(Verdict::Wrong)), "{verdicts:?}");
    }

    #[tokio::test]
    async fn an_unknown_account_never_verifies() {
        let checks = PasswordChecks::new(1, std::time::Duration::from_secs(5));
        assert_eq!(checks.verify("anything".into(), None).await, Ok(Verdict::Wrong));
        assert!(PasswordHash::new(DUMMY_HASH).is_ok());
    }
}
