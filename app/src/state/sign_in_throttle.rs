//! Sign-in throttling, in memory. Every attempt is counted *before* its password is checked,
//! so attempts that arrive together cannot slip past the count; a success takes its own
//! attempt back. Three counters, so that nobody can lock a victim out for long:
//!
//! - an account from one client address (the pair): 5 attempts, then a lock of 30 s that
//!   doubles with each further failure up to 15 min. Guessing from one place is slow, and
//!   only that place is locked out;
//! - a client address, whatever the accounts: 20, then the same doubling locks;
//! - an account from anywhere: 20, then a fixed 10 s slow-down per failure. Guessing from
//!   many addresses stays slow, and the real user waits seconds, never minutes.
//!
//! An hour without failures forgets a key; at most [`MAX_KEYS`] keys are kept (least
//! recently used go first), so memory stays bounded whatever an attacker sends.

use std::net::IpAddr;
use std::num::NonZeroUsize;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use lru::LruCache;

/// Attempts allowed for one account from one address before it is locked there.
pub const PAIR_FREE_FAILURES: u32 = 5;
/// Attempts allowed per client address (offices share one) before it is locked.
pub const ADDRESS_FREE_FAILURES: u32 = 20;
/// Attempts allowed on one account from all addresses before each failure slows it down.
pub const ACCOUNT_FREE_FAILURES: u32 = 20;

const FIRST_LOCK: Duration = Duration::from_secs(30);
const LONGEST_LOCK: Duration = Duration::from_secs(15 * 60);
const ACCOUNT_SLOW_DOWN: Duration = Duration::from_secs(10);
const FORGET_AFTER: Duration = Duration::from_secs(60 * 60);
/// About 100 bytes each: a few MiB at most.
pub const MAX_KEYS: usize = 50_000;

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
enum Key {
    Pair(String, String),
    Address(String),
    Account(String),
}

impl Key {
    fn lock_after(&self, count: u32) -> Option<Duration> {
        let (free, growing) = match self {
            Key::Pair(..) => (PAIR_FREE_FAILURES, true),
            Key::Address(_) => (ADDRESS_FREE_FAILURES, true),
            Key::Account(_) => (ACCOUNT_FREE_FAILURES, false),
        };
        if count < free {
            return None;
        }
        if !growing {
            return Some(ACCOUNT_SLOW_DOWN);
        }
        let doublings = (count - free).min(10);
        Some((FIRST_LOCK * 2u32.pow(doublings)).min(LONGEST_LOCK))
    }
}

#[derive(Debug, Clone, Copy)]
struct Failures {
    count: u32,
    last: Instant,
    locked_until: Option<Instant>,
}

#[derive(Debug)]
pub struct SignInThrottle {
    failures: Mutex<LruCache<Key, Failures>>,
}

impl Default for SignInThrottle {
    fn default() -> Self {
        SignInThrottle::with_capacity(MAX_KEYS)
    }
}

/// The key of a client address: IPv4 as is, IPv6 by its /64 (one host usually holds a
/// whole /64, so counting single addresses would let it rotate past the limit).
pub fn address_key(address: IpAddr) -> String {
    match address {
        IpAddr::V4(v4) => v4.to_string(),
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => v4.to_string(),
            None => {
                let segments = v6.segments();
                format!(
                    "{:x}:{:x}:{:x}:{:x}::/64",
                    segments[0], segments[1], segments[2], segments[3]
                )
            }
        },
    }
}

/// Why an attempt may not be checked now: how long to wait.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Locked(pub Duration);

impl SignInThrottle {
    pub fn with_capacity(capacity: usize) -> SignInThrottle {
        SignInThrottle {
            failures: Mutex::new(LruCache::new(
                NonZeroUsize::new(capacity.max(1)).expect("capacity is at least one"),
            )),
        }
    }

    fn keys(email: &str, address: &str) -> [Key; 3] {
        [
            Key::Pair(email.to_string(), address.to_string()),
            Key::Address(address.to_string()),
            Key::Account(email.to_string()),
        ]
    }

    /// Counts an attempt on `email` from `address` as a failure until [`Self::succeeded`]
    /// says otherwise, or refuses it with the wait if any of its keys is locked.
    pub fn begin_attempt(&self, email: &str, address: &str, now: Instant) -> Result<(), Locked> {
        let mut failures = crate::locks::lock(&self.failures);
        let keys = Self::keys(email, address);
        let wait = keys
            .iter()
            .filter_map(|key| failures.peek(key)?.locked_until)
            .filter(|until| *until > now)
            .map(|until| until - now)
            .max();
        if let Some(wait) = wait {
            return Err(Locked(wait));
        }
        for key in keys {
            let entry = failures.get_or_insert_mut(key.clone(), || Failures {
                count: 0,
                last: now,
                locked_until: None,
            });
            if now.duration_since(entry.last) >= FORGET_AFTER {
                entry.count = 0;
            }
            entry.count += 1;
            entry.last = now;
            entry.locked_until = key.lock_after(entry.count).map(|lock| now + lock);
        }
        Ok(())
    }

    /// The password was right: the account's counts are forgotten, and the attempt no
    /// longer counts against the address (colleagues behind one address sign in all day).
    pub fn succeeded(&self, email: &str, address: &str) {
        let mut failures = crate::locks::lock(&self.failures);
        let [pair, address, account] = Self::keys(email, address);
        failures.pop(&pair);
        failures.pop(&account);
        if let Some(entry) = failures.peek_mut(&address) {
            entry.count = entry.count.saturating_sub(1);
            if address.lock_after(entry.count).is_none() {
                entry.locked_until = None;
            }
        }
    }

    pub fn len(&self) -> usize {
        crate::locks::lock(&self.failures).len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const EMAIL: &str = "a@contoso.example";

    #[test]
    fn five_attempts_from_one_place_then_locks_that_grow() {
        let throttle = SignInThrottle::default();
        let start = Instant::now();
        for _ in 0..PAIR_FREE_FAILURES {
            assert_eq!(throttle.begin_attempt(EMAIL, "10.0.0.1", start), Ok(()));
        }
        assert_eq!(
            throttle.begin_attempt(EMAIL, "10.0.0.1", start),
            Err(Locked(FIRST_LOCK))
        );
        let later = start + FIRST_LOCK;
        assert_eq!(
            throttle.begin_attempt(EMAIL, "10.0.0.1", later),
            Ok(()),
            "the lock ends"
        );
        assert_eq!(
            throttle.begin_attempt(EMAIL, "10.0.0.1", later),
            Err(Locked(FIRST_LOCK * 2)),
            "and doubles"
        );
    }

    #[test]
    fn an_attacker_elsewhere_only_slows_the_real_user_down() {
        let throttle = SignInThrottle::default();
        let now = Instant::now();
        // The attacker rotates addresses: after 20 attempts the account slows down...
        for n in 0..ACCOUNT_FREE_FAILURES {
            assert_eq!(throttle.begin_attempt(EMAIL, &format!("10.0.1.{n}"), now), Ok(()));
        }
        assert_eq!(
            throttle.begin_attempt(EMAIL, "192.0.2.7", now),
            Err(Locked(ACCOUNT_SLOW_DOWN)),
            "everyone waits seconds"
        );
        // ...but never for long: the real user gets in ten seconds later.
        let later = now + ACCOUNT_SLOW_DOWN;
        assert_eq!(throttle.begin_attempt(EMAIL, "192.0.2.7", later), Ok(()));
        throttle.succeeded(EMAIL, "192.0.2.7");
        assert_eq!(throttle.begin_attempt(EMAIL, "192.0.2.7", later), Ok(()));
    }

    #[test]
    fn locks_are_capped_and_success_forgets_the_account() {
        let throttle = SignInThrottle::default();
        let now = Instant::now();
        let mut at = now;
        for _ in 0..100 {
            let _ = throttle.begin_attempt(EMAIL, "10.0.0.1", at);
            at += LONGEST_LOCK;
        }
        assert_eq!(
            throttle.begin_attempt(EMAIL, "10.0.0.1", at - LONGEST_LOCK),
            Err(Locked(LONGEST_LOCK))
        );
        throttle.succeeded(EMAIL, "10.0.0.1");
        assert_eq!(throttle.begin_attempt(EMAIL, "10.0.0.1", at), Ok(()));
    }

    #[test]
    fn colleagues_behind_one_address_are_not_locked_by_their_sign_ins() {
        let throttle = SignInThrottle::default();
        let now = Instant::now();
        for n in 0..100 {
            let email = format!("user{n}@contoso.example");
            assert_eq!(throttle.begin_attempt(&email, "10.0.0.1", now), Ok(()));
            throttle.succeeded(&email, "10.0.0.1");
        }
    }

    #[test]
    fn memory_is_bounded_whatever_is_sent() {
        let throttle = SignInThrottle::with_capacity(300);
        let now = Instant::now();
        for n in 0..10_000 {
            let _ = throttle.begin_attempt(
                &format!("u{n}@x.example"),
                &format!("10.{}.{}.1", n / 250, n % 250),
                now,
            );
        }
        assert!(throttle.len() <= 300);
    }

    #[test]
    fn ipv6_addresses_count_by_their_64() {
        let a: IpAddr = "2001:db8:1:2:aaaa::1".parse().unwrap();
        let b: IpAddr = "2001:db8:1:2:ffff:1:2:3".parse().unwrap();
        let c: IpAddr = "2001:db8:1:3::1".parse().unwrap();
        assert_eq!(address_key(a), address_key(b));
        assert_ne!(address_key(a), address_key(c));
        assert_eq!(address_key("::ffff:192.0.2.1".parse().unwrap()), "192.0.2.1");
        assert_eq!(address_key("192.0.2.1".parse().unwrap()), "192.0.2.1");
    }
}
