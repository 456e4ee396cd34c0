//! Sign-in throttling, per account and per client address, in memory. After a number of free
//! failures each further failure locks the key for twice as long as the last (30 s, 1 min,
//! 2 min… up to 15 min); an hour without failures forgets the key.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// Failures allowed per account before it is locked.
pub const ACCOUNT_FREE_FAILURES: u32 = 5;
/// Failures allowed per client address (offices share one) before it is locked.
pub const ADDRESS_FREE_FAILURES: u32 = 20;

const FIRST_LOCK: Duration = Duration::from_secs(30);
const LONGEST_LOCK: Duration = Duration::from_secs(15 * 60);
const FORGET_AFTER: Duration = Duration::from_secs(60 * 60);
/// Keeps memory bounded whatever an attacker sends: stale keys are swept past this size.
const SWEEP_ABOVE_KEYS: usize = 10_000;

#[derive(Debug, Clone, Copy)]
struct Failures {
    count: u32,
    last: Instant,
    locked_until: Option<Instant>,
}

#[derive(Debug, Default)]
pub struct SignInThrottle {
    failures: Mutex<HashMap<String, Failures>>,
}

pub fn account_key(email: &str) -> String {
    format!("account:{email}")
}

pub fn address_key(address: &str) -> String {
    format!("address:{address}")
}

impl SignInThrottle {
    /// How long the caller must still wait, if any of `keys` is locked.
    pub fn wait(&self, keys: &[&str], now: Instant) -> Option<Duration> {
        let failures = self
            .failures
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        keys.iter()
            .filter_map(|key| failures.get(*key)?.locked_until)
            .filter(|until| *until > now)
            .map(|until| until - now)
            .max()
    }

    pub fn record_failure(&self, key: &str, free_failures: u32, now: Instant) {
        let mut failures = self
            .failures
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        if failures.len() > SWEEP_ABOVE_KEYS {
            failures.retain(|_, entry| now.duration_since(entry.last) < FORGET_AFTER);
        }
        let entry = failures.entry(key.to_string()).or_insert(Failures {
            count: 0,
            last: now,
            locked_until: None,
        });
        if now.duration_since(entry.last) >= FORGET_AFTER {
            entry.count = 0;
        }
        entry.count += 1;
        entry.last = now;
        if entry.count > free_failures {
            let doublings = (entry.count - free_failures - 1).min(10);
            let lock = (FIRST_LOCK * 2u32.pow(doublings)).min(LONGEST_LOCK);
            entry.locked_until = Some(now + lock);
        }
    }

    pub fn record_success(&self, key: &str) {
        let mut failures = self
            .failures
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        failures.remove(key);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_sixth_failure_locks_the_account_and_locks_grow() {
        let throttle = SignInThrottle::default();
        let key = account_key("a@contoso.example");
        let start = Instant::now();
        for _ in 0..ACCOUNT_FREE_FAILURES {
            throttle.record_failure(&key, ACCOUNT_FREE_FAILURES, start);
        }
        assert_eq!(throttle.wait(&[&key], start), None, "five failures are free");
        throttle.record_failure(&key, ACCOUNT_FREE_FAILURES, start);
        assert_eq!(throttle.wait(&[&key], start), Some(FIRST_LOCK));
        let later = start + FIRST_LOCK;
        assert_eq!(throttle.wait(&[&key], later), None, "the lock ends");
        throttle.record_failure(&key, ACCOUNT_FREE_FAILURES, later);
        assert_eq!(throttle.wait(&[&key], later), Some(FIRST_LOCK * 2), "and doubles");
    }

    #[test]
    fn locks_are_capped_and_success_forgets() {
        let throttle = SignInThrottle::default();
        let key = address_key("127.0.0.1");
        let now = Instant::now();
        for _ in 0..100 {
            throttle.record_failure(&key, 0, now);
        }
        assert_eq!(throttle.wait(&[&key, "other"], now), Some(LONGEST_LOCK));
        throttle.record_success(&key);
        assert_eq!(throttle.wait(&[&key], now), None);
    }
}
