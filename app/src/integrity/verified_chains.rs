//! What the integrity badge knows of each partner's chain without walking it again. A page
//! view reads the chain's head and the newest checkpoint row (two index lookups); if either
//! moved since the last walk, only the events and checkpoints after the last verified
//! position are walked. Where the walk reached is kept in the database (`audit`), so a
//! restarted server goes on from there. The whole chain is walked by `server verify`, and
//! again slice by slice by the rolling audit (`audit`), which catches edits to events an
//! earlier walk had already passed.

use std::collections::HashMap;
use std::sync::Mutex;

use crate::db::Db;
use chrono::{DateTime, Utc};
use ed25519_dalek::VerifyingKey;

use super::audit::Kept;
use super::model::ChainReport;
use super::verify::{VerifiedUpTo, verify_partner_from};
use crate::event_table::chain as chain_table;
use crate::ids::PartnerId;

/// What a walk saw last: the head and newest checkpoint row it ended on.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Seen {
    head_seq: i64,
    head_hash: Option<String>,
    newest_checkpoint_row: i64,
}

/// A period's counts for the badge, as of one state of the chain.
type PeriodKey = (PartnerId, DateTime<Utc>, DateTime<Utc>);

#[derive(Debug)]
pub struct VerifiedChains {
    known: Mutex<HashMap<PartnerId, (Seen, VerifiedUpTo)>>,
    /// (events in the period, events of it after the last checkpoint), while the chain is
    /// as it was: counting a month of 90,000 events is most of a page view's cost otherwise.
    periods: Mutex<lru::LruCache<PeriodKey, (Seen, u64, u64)>>,
    /// One walk at a time: a burst of page views after a big import waits for one walk
    /// instead of each starting its own.
    walking: tokio::sync::Mutex<()>,
}

impl Default for VerifiedChains {
    fn default() -> Self {
        VerifiedChains {
            known: Mutex::default(),
            periods: Mutex::new(lru::LruCache::new(
                std::num::NonZeroUsize::new(1024).expect("not zero"),
            )),
            walking: tokio::sync::Mutex::default(),
        }
    }
}

impl VerifiedChains {
    fn known(&self) -> std::sync::MutexGuard<'_, HashMap<PartnerId, (Seen, VerifiedUpTo)>> {
        crate::locks::lock(&self.known)
    }

    fn periods(&self) -> std::sync::MutexGuard<'_, lru::LruCache<PeriodKey, (Seen, u64, u64)>> {
        crate::locks::lock(&self.periods)
    }

    /// The partner's chain as of now, walking only what changed since the last walk.
    pub async fn report(
        &self,
        pool: &Db,
        partner_id: PartnerId,
        key: &VerifyingKey,
    ) -> Result<ChainReport, sqlx::Error> {
        Ok(self.report_as_of(pool, partner_id, key).await?.0)
    }

    /// [`Self::report`], and the period's counts: (events in `from`–`to`, those of them
    /// after position `covered_through`), counted again only when the chain has moved.
    pub async fn report_and_period(
        &self,
        pool: &Db,
        partner_id: PartnerId,
        key: &VerifyingKey,
        (from, to): (DateTime<Utc>, DateTime<Utc>),
    ) -> Result<(ChainReport, u64, u64), sqlx::Error> {
        let (report, seen) = self.report_as_of(pool, partner_id, key).await?;
        let period = (partner_id, from, to);
        let cached = self
            .periods()
            .get(&period)
            .filter(|(when, ..)| *when == seen)
            .map(|(_, events, uncovered)| (*events, *uncovered));
        let (events, uncovered) = match cached {
            Some(counts) => counts,
            None => {
                let covered_through = report
                    .checkpoint
                    .as_ref()
                    .map_or(0, |checkpoint| checkpoint.chain_seq);
                let counts = count_period(pool, &period, covered_through).await?;
                self.periods().put(period, (seen, counts.0, counts.1));
                counts
            }
        };
        Ok((report, events, uncovered))
    }

    /// The report and the chain's state it holds for.
    async fn report_as_of(
        &self,
        pool: &Db,
        partner_id: PartnerId,
        key: &VerifyingKey,
    ) -> Result<(ChainReport, Seen), sqlx::Error> {
        let seen = seen_now(pool, partner_id).await?;
        if let Some(report) = self.unchanged(partner_id, &seen) {
            return Ok((report, seen));
        }
        let _walk = self.walking.lock().await;
        let seen = seen_now(pool, partner_id).await?;
        if let Some(report) = self.unchanged(partner_id, &seen) {
            return Ok((report, seen));
        }
        // Go on from the last walk: this process's, else the one kept in the database (a
        // server just started answers at once, whatever the log's size).
        let known = self
            .known()
            .get(&partner_id)
            .map(|(_, verified)| verified.clone());
        let start = match known {
            Some(verified) => Some(verified),
            None => super::audit::load(pool, partner_id, Kept::BadgeWalk).await?,
        };
        let verified = if start.as_ref().is_some_and(|start| start.report.broken.is_some()) {
            start.expect("checked above")
        } else {
            verify_partner_from(pool, partner_id, key, start).await?
        };
        super::audit::save(pool, partner_id, Kept::BadgeWalk, &verified).await?;
        let report = verified.report.clone();
        self.known().insert(partner_id, (seen.clone(), verified));
        Ok((report, seen))
    }

    /// The last report, if it still holds: the chain has not moved, or it was broken (new
    /// events can't mend a break, and walking a broken chain whole on every page view would
    /// be the cost this type exists to avoid; the rolling audit looks again).
    fn unchanged(&self, partner_id: PartnerId, seen: &Seen) -> Option<ChainReport> {
        let known = self.known();
        let (last_seen, verified) = known.get(&partner_id)?;
        (last_seen == seen || verified.report.broken.is_some()).then(|| verified.report.clone())
    }
}

/// Events of the period, and those after position `covered_through`: the first reads only
/// the time index; the second only the few rows after the last checkpoint, by the chain index.
async fn count_period(
    pool: &Db,
    (partner_id, from, to): &PeriodKey,
    covered_through: i64,
) -> Result<(u64, u64), sqlx::Error> {
    let counts = chain_table::period_counts(pool, *partner_id, (*from, *to), covered_through).await?;
    Ok((counts.events.max(0) as u64, counts.uncovered.max(0) as u64))
}

/// The chain's head and the newest checkpoint row, read from their indexes.
async fn seen_now(pool: &Db, partner_id: PartnerId) -> Result<Seen, sqlx::Error> {
    let state = chain_table::chain_state(pool, partner_id).await?;
    Ok(Seen {
        head_seq: state.head_seq.unwrap_or(0),
        head_hash: state.head_hash,
        newest_checkpoint_row: state.newest_checkpoint_row.unwrap_or(0),
    })
}
