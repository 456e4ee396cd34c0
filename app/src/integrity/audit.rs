//! The rolling audit: each partner's chain walked again from its first event, a slice at a
//! time, so the whole log is re-hashed once per `integrity.audit_period_seconds` (a day by
//! default) at a bounded cost (at most [`CPU_SHARE`] of one core), instead of a whole walk
//! at every start and every hour. Its progress and the badge's own walk are kept in the
//! database (`integrity_audits`), so a server that starts answers its badge at once, from
//! where the walks had reached, whatever the log's size.

use std::time::{Duration, Instant};

use chrono::Utc;
use ed25519_dalek::VerifyingKey;
use serde::{Deserialize, Serialize};

use super::model::{AuditSummary, ChainReport};
use super::verify::{VerifiedUpTo, partners_to_verify, verify_partner_until};
use crate::db::{Db, on_db, to_db_time};
use crate::ids::PartnerId;

/// The most of one core the audit takes: it rests (1 − share) / share times as long as
/// each round took.
pub const CPU_SHARE: f64 = 0.05;

/// A partner's audit: the pass under way, and the last finished one.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditState {
    pub pass: Option<PassUnderWay>,
    pub last: Option<FinishedPass>,
}

/// A pass under way: when it began, and how far it has walked (intact so far).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PassUnderWay {
    pub started_at: String,
    pub reached: VerifiedUpTo,
}

/// A pass that walked the whole chain (or stopped at a break).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FinishedPass {
    pub started_at: String,
    pub finished_at: String,
    pub report: ChainReport,
}

impl AuditState {
    /// What the badge says of it.
    pub fn summary(&self) -> AuditSummary {
        AuditSummary {
            last_finished_at: self.last.as_ref().map(|last| last.finished_at.clone()),
            last_broken: self.last.as_ref().and_then(|last| last.report.broken.clone()),
            under_way_at: self.pass.as_ref().map(|pass| pass.reached.chain_seq),
        }
    }

    /// Walks up to `events` more events of the pass under way (starting one if none is);
    /// a pass that reaches the chain's end or a break is finished. Says whether it was.
    pub async fn step(
        &mut self,
        db: &Db,
        partner_id: PartnerId,
        key: &VerifyingKey,
        events: i64,
    ) -> Result<bool, sqlx::Error> {
        let (started_at, start) = match self.pass.take() {
            Some(pass) => (pass.started_at, Some(pass.reached)),
            None => (to_db_time(Utc::now()), None),
        };
        let until = start.as_ref().map_or(0, |start| start.chain_seq) + events.max(1);
        let mut reached = verify_partner_until(db, partner_id, key, start, Some(until)).await?;
        if reached.report.broken.is_none() && reached.chain_seq >= until {
            self.pass = Some(PassUnderWay { started_at, reached });
            return Ok(false);
        }
        if reached.report.broken.is_none() {
            // The slice ended before its bound: the chain's end, unless rows lie past a gap.
            // Reading on from here to the last row (normally none) sees those too.
            reached = verify_partner_until(db, partner_id, key, Some(reached), None).await?;
        }
        self.last = Some(FinishedPass {
            started_at,
            finished_at: to_db_time(Utc::now()),
            report: reached.report,
        });
        Ok(true)
    }
}

/// A walk kept in `integrity_audits`, one column each.
#[derive(Debug, Clone, Copy)]
pub enum Kept {
    /// Where the badge's walk reached (`VerifiedUpTo`): it goes on from there.
    BadgeWalk,
    /// The rolling audit's progress and last pass (`AuditState`).
    RollingAudit,
}

impl Kept {
    fn load_sql(self) -> &'static str {
        match self {
            Kept::BadgeWalk => "SELECT badge_walk FROM integrity_audits WHERE partner_id = $1",
            Kept::RollingAudit => "SELECT rolling_audit FROM integrity_audits WHERE partner_id = $1",
        }
    }

    fn save_sql(self) -> &'static str {
        match self {
            Kept::BadgeWalk => {
                "INSERT INTO integrity_audits (partner_id, badge_walk) VALUES ($1, $2)
                 ON CONFLICT (partner_id) DO UPDATE SET badge_walk = excluded.badge_walk"
            }
            Kept::RollingAudit => {
                "INSERT INTO integrity_audits (partner_id, rolling_audit) VALUES ($1, $2)
                 ON CONFLICT (partner_id) DO UPDATE SET rolling_audit = excluded.rolling_audit"
            }
        }
    }
}

/// The partner's kept walk of this kind; `None` if none is kept, or it no longer reads
/// (edited, or from another version): as good as none, so it is walked again.
pub async fn load<T: serde::de::DeserializeOwned>(
    db: &Db,
    partner_id: PartnerId,
    kept: Kept,
) -> Result<Option<T>, sqlx::Error> {
    let json: Option<Option<String>> = on_db!(db, |pool| sqlx::query_scalar(kept.load_sql())
        .bind(partner_id)
        .fetch_optional(pool)
        .await)?;
    Ok(json.flatten().and_then(|json| serde_json::from_str(&json).ok()))
}

/// Keeps the partner's walk of this kind.
pub async fn save<T: Serialize>(
    db: &Db,
    partner_id: PartnerId,
    kept: Kept,
    walk: &T,
) -> Result<(), sqlx::Error> {
    let json = serde_json::to_string(walk).expect("a kept walk serialises");
    on_db!(db, |pool| sqlx::query(kept.save_sql())
        .bind(partner_id)
        .bind(json)
        .execute(pool)
        .await
        .map(|done| done.rows_affected()))?;
    Ok(())
}

/// How often a round of the audit runs: a thousandth of the period, from 1 s to a minute.
pub fn round_every(period: Duration) -> Duration {
    (period / 1000).clamp(Duration::from_secs(1), Duration::from_secs(60))
}

/// Events a round walks of a chain of `head` events so that a pass takes about `period`
/// (a tenth more, and at least 100, so a growing chain is caught up with).
fn events_per_round(head: i64, period: Duration, every: Duration) -> i64 {
    let share = every.as_secs_f64() / period.as_secs_f64().max(1e-3);
    ((head as f64 * share * 1.1).ceil() as i64).max(100)
}

/// What a round did: how many partners it stepped, and those whose pass finished, with
/// what it found.
#[derive(Debug, Default)]
pub struct Round {
    pub partners: usize,
    pub finished: Vec<(PartnerId, ChainReport)>,
}

/// One round: a step of every partner's audit.
pub async fn round(db: &Db, key: &VerifyingKey, period: Duration) -> Result<Round, sqlx::Error> {
    let mut finished = Vec::new();
    let partners = partners_to_verify(db).await?;
    for &partner_id in &partners {
        let mut audit: AuditState = load(db, partner_id, Kept::RollingAudit)
            .await?
            .unwrap_or_default();
        let head = crate::event_table::chain::chain_position(db, partner_id)
            .await
            .map_err(|error| sqlx::Error::Protocol(error.to_string()))?;
        let events = events_per_round(head, period, round_every(period));
        if audit.step(db, partner_id, key, events).await?
            && let Some(last) = &audit.last
        {
            finished.push((partner_id, last.report.clone()));
        }
        save(db, partner_id, Kept::RollingAudit, &audit).await?;
    }
    Ok(Round {
        partners: partners.len(),
        finished,
    })
}

/// How long to rest after a round that took `busy`: the round's interval, or longer so the
/// audit stays within [`CPU_SHARE`].
pub fn rest_after(busy: Duration, period: Duration) -> Duration {
    round_every(period).max(busy.mul_f64((1.0 - CPU_SHARE) / CPU_SHARE))
}

/// Times a round (for the caller's metrics and rest).
pub async fn timed_round(
    db: &Db,
    key: &VerifyingKey,
    period: Duration,
) -> (Duration, Result<Round, sqlx::Error>) {
    let started = Instant::now();
    let result = round(db, key, period).await;
    (started.elapsed(), result)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_day_long_pass_walks_a_little_each_round_and_rests_for_its_share() {
        let day = Duration::from_secs(86_400);
        assert_eq!(round_every(day), Duration::from_secs(60));
        assert_eq!(round_every(Duration::from_secs(2)), Duration::from_secs(1));
        // 10M events in a day, a minute a round: ~7,600 a round, 1,440 rounds.
        let per_round = events_per_round(10_000_000, day, round_every(day));
        assert!((7_000..8_000).contains(&per_round), "{per_round}");
        assert_eq!(events_per_round(10, day, round_every(day)), 100);
        // A round that took 2 s rests 38 s more than it ran: 5 % of a core.
        let rest = rest_after(Duration::from_secs(2), Duration::from_secs(2));
        assert_eq!(rest, Duration::from_secs(38));
        assert_eq!(rest_after(Duration::from_millis(1), day), Duration::from_secs(60));
    }
}
