//! Sign-in throttling, kept in the database (`sign_in_failures`), so every server process on
//! one database counts the same failures. Every attempt is counted *before* its password is
//! checked, in one write transaction, so attempts that arrive together cannot slip past the
//! count; a success takes its own attempt back. Three counters, so that nobody can lock a
//! victim out for long:
//!
//! - an account from one client address (the pair): 5 attempts, then a lock of 30 s that
//!   doubles with each further failure up to 15 min. Guessing from one place is slow, and
//!   only that place is locked out;
//! - a client address, whatever the accounts: 20, then the same doubling locks;
//! - an account from anywhere: 20, then a fixed 10 s slow-down per failure. Guessing from
//!   many addresses stays slow, and the real user waits seconds, never minutes.
//!
//! A counter an hour past its last failure is forgotten (and deleted by the next attempt).

use std::net::IpAddr;
use std::time::Duration;

use crate::db::Db;
use crate::ids::Email;
use chrono::{DateTime, TimeDelta, Utc};

use super::store::{self, FailureRow};

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

#[derive(Debug, Clone, PartialEq, Eq)]
enum Key {
    Pair(String, String),
    Address(String),
    Account(String),
}

impl Key {
    /// The stored (kind, key).
    fn column_values(&self) -> (&'static str, String) {
        let (kind, key) = match self {
            Key::Pair(email, address) => ("pair", format!("{email} {address}")),
            Key::Address(address) => ("address", address.clone()),
            Key::Account(email) => ("account", email.clone()),
        };
        // PostgreSQL text can't hold NUL; a typed email can, and must still be counted.
        (kind, key.replace('\0', "\u{FFFD}"))
    }

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

fn keys(email: &Email, address: &str) -> [Key; 3] {
    [
        Key::Pair(email.to_string(), address.to_string()),
        Key::Address(address.to_string()),
        Key::Account(email.to_string()),
    ]
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

/// Throttle times: UTC to the millisecond, one fixed width, so text order is time order.
fn stored(time: DateTime<Utc>) -> String {
    time.format("%Y-%m-%dT%H:%M:%S%.3fZ").to_string()
}

fn parsed(text: &str) -> Option<DateTime<Utc>> {
    crate::db::from_db_time(text).ok()
}

fn delta(duration: Duration) -> TimeDelta {
    TimeDelta::from_std(duration).expect("throttle durations are small")
}

/// Counts an attempt on `email` from `address` as a failure until [`succeeded`] says
/// otherwise, or refuses it with the wait if any of its counters is locked.
pub async fn begin_attempt(
    pool: &Db,
    email: &Email,
    address: &str,
    now: DateTime<Utc>,
) -> Result<Result<(), Locked>, sqlx::Error> {
    // The write lock up front: attempts sent together (to any replica) are counted one
    // after another.
    let mut tx = pool.begin_locked(crate::db::WriteLock::SignInFailures).await?;
    store::forget_old_failures(&mut tx, &stored(now - delta(FORGET_AFTER))).await?;
    let mut rows = Vec::with_capacity(3);
    for key in keys(email, address) {
        let (kind, text) = key.column_values();
        rows.push((key, store::failures(&mut tx, kind, &text).await?));
    }
    let wait = rows
        .iter()
        .filter_map(|(_, row)| parsed(row.as_ref()?.locked_until.as_deref()?))
        .filter(|until| *until > now)
        .map(|until| (until - now).to_std().unwrap_or_default())
        .max();
    if let Some(wait) = wait {
        return Ok(Err(Locked(wait)));
    }
    for (key, row) in rows {
        let previous = row
            .filter(|row| parsed(&row.last_at).is_some_and(|last| now - last < delta(FORGET_AFTER)))
            .map_or(0, |row| row.failures.max(0) as u32);
        let count = previous + 1;
        let (kind, text) = key.column_values();
        let row = FailureRow {
            kind: kind.to_string(),
            key: text,
            failures: i64::from(count),
            last_at: stored(now),
            locked_until: key.lock_after(count).map(|lock| stored(now + delta(lock))),
        };
        store::save_failures(&mut tx, &row).await?;
    }
    tx.commit().await?;
    Ok(Ok(()))
}

/// The password was right: the account's counters are forgotten, and the attempt no longer
/// counts against the address (colleagues behind one address sign in all day).
pub async fn succeeded(pool: &Db, email: &Email, address: &str) -> Result<(), sqlx::Error> {
    let mut tx = pool.begin_locked(crate::db::WriteLock::SignInFailures).await?;
    let [pair, address, account] = keys(email, address);
    for key in [pair, account] {
        let (kind, text) = key.column_values();
        store::forget_failures(&mut tx, kind, &text).await?;
    }
    let (kind, text) = address.column_values();
    if let Some(mut row) = store::failures(&mut tx, kind, &text).await? {
        row.failures = (row.failures - 1).max(0);
        if address.lock_after(row.failures as u32).is_none() {
            row.locked_until = None;
        }
        store::save_failures(&mut tx, &row).await?;
    }
    tx.commit().await
}

#[cfg(test)]
mod tests {
    use super::*;

    fn email(text: &str) -> Email {
        Email::parse(text).unwrap()
    }

    /// A real database file, as the server has.
    async fn database() -> (tempfile::TempDir, Db) {
        let dir = tempfile::tempdir().unwrap();
        let pool = crate::db::connect(&dir.path().join("throttle.sqlite"))
            .await
            .unwrap();
        (dir, pool)
    }

    fn start() -> DateTime<Utc> {
        "2026-11-27T09:00:00.250Z".parse().unwrap()
    }

    #[tokio::test]
    async fn five_attempts_from_one_place_then_locks_that_grow() {
        let (_dir, pool) = database().await;
        let start = start();
        for _ in 0..PAIR_FREE_FAILURES {
            assert_eq!(
                begin_attempt(&pool, &email("a@contoso.example"), "10.0.0.1", start)
                    .await
                    .unwrap(),
                Ok(())
            );
        }
        assert_eq!(
            begin_attempt(&pool, &email("a@contoso.example"), "10.0.0.1", start)
                .await
                .unwrap(),
            Err(Locked(FIRST_LOCK))
        );
        let later = start + delta(FIRST_LOCK);
        assert_eq!(
            begin_attempt(&pool, &email("a@contoso.example"), "10.0.0.1", later)
                .await
                .unwrap(),
            Ok(()),
            "the lock ends"
        );
        assert_eq!(
            begin_attempt(&pool, &email("a@contoso.example"), "10.0.0.1", later)
                .await
                .unwrap(),
            Err(Locked(FIRST_LOCK * 2)),
            "and doubles"
        );
    }

    #[tokio::test]
    async fn an_attacker_elsewhere_only_slows_the_real_user_down() {
        let (_dir, pool) = database().await;
        let now = start();
        // The attacker rotates addresses: after 20 attempts the account slows down...
        for n in 0..ACCOUNT_FREE_FAILURES {
            let address = format!("10.0.1.{n}");
            assert_eq!(
                begin_attempt(&pool, &email("a@contoso.example"), &address, now)
                    .await
                    .unwrap(),
                Ok(())
            );
        }
        assert_eq!(
            begin_attempt(&pool, &email("a@contoso.example"), "192.0.2.7", now)
                .await
                .unwrap(),
            Err(Locked(ACCOUNT_SLOW_DOWN)),
            "everyone waits seconds"
        );
        // ...but never for long: the real user gets in ten seconds later.
        let later = now + delta(ACCOUNT_SLOW_DOWN);
        assert_eq!(
            begin_attempt(&pool, &email("a@contoso.example"), "192.0.2.7", later)
                .await
                .unwrap(),
            Ok(())
        );
        succeeded(&pool, &email("a@contoso.example"), "192.0.2.7")
            .await
            .unwrap();
        assert_eq!(
            begin_attempt(&pool, &email("a@contoso.example"), "192.0.2.7", later)
                .await
                .unwrap(),
            Ok(())
        );
    }

    #[tokio::test]
    async fn locks_are_capped_and_success_forgets_the_account() {
        let (_dir, pool) = database().await;
        let mut at = start();
        for _ in 0..30 {
            let _ = begin_attempt(&pool, &email("a@contoso.example"), "10.0.0.1", at)
                .await
                .unwrap();
            at += delta(LONGEST_LOCK);
        }
        assert_eq!(
            begin_attempt(
                &pool,
                &email("a@contoso.example"),
                "10.0.0.1",
                at - delta(LONGEST_LOCK)
            )
            .await
            .unwrap(),
            Err(Locked(LONGEST_LOCK))
        );
        succeeded(&pool, &email("a@contoso.example"), "10.0.0.1")
            .await
            .unwrap();
        assert_eq!(
            begin_attempt(&pool, &email("a@contoso.example"), "10.0.0.1", at)
                .await
                .unwrap(),
            Ok(())
        );
    }

    #[tokio::test]
    async fn colleagues_behind_one_address_are_not_locked_by_their_sign_ins() {
        let (_dir, pool) = database().await;
        let now = start();
        for n in 0..100 {
            let email = email(&format!("user{n}@contoso.example"));
            assert_eq!(
                begin_attempt(&pool, &email, "10.0.0.1", now).await.unwrap(),
                Ok(())
            );
            succeeded(&pool, &email, "10.0.0.1").await.unwrap();
        }
    }

    #[tokio::test]
    async fn an_hour_later_old_counters_are_gone_from_the_table() {
        let (_dir, pool) = database().await;
        let now = start();
        for n in 0..50 {
            let _ = begin_attempt(
                &pool,
                &email(&format!("u{n}@x.example")),
                &format!("10.0.{n}.1"),
                now,
            )
            .await
            .unwrap();
        }
        let rows = || async {
            crate::db::on_db!(&pool, |pool| sqlx::query_scalar::<_, i64>(
                "SELECT COUNT(*) FROM sign_in_failures"
            )
            .fetch_one(pool)
            .await)
            .unwrap()
        };
        assert_eq!(rows().await, 150, "three counters per attempt");
        let later = now + delta(FORGET_AFTER) + TimeDelta::seconds(1);
        begin_attempt(&pool, &email("a@contoso.example"), "10.9.9.9", later)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(rows().await, 3, "only the new attempt's counters are left");
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
