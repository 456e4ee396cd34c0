//! The live log's fan-out: one watcher per partner with open live logs in this process asks
//! the database once a second whether the partner's chain moved (one index lookup), and when
//! it did, reads the new events once and hands them to every open stream of that partner
//! (`activity::server::live`). So 1,000 open pages of 10 partners cost 10 lookups a second,
//! not 1,000. A watcher ends once its partner has no open stream.
//!
//! A stream that falls behind (it missed a batch, or joined after its page was read) reads
//! what it missed itself, from its own chain position: every event reaches it once, in order.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::sync::broadcast;

use super::metrics::Metrics;
use crate::db::Db;
use crate::errors::AppError;
use crate::event_table::chain::{ChainRange, chain_position, events_by_chain};
use crate::event_table::entry_from_row;
use crate::events::ActivityEntry;
use crate::ids::PartnerId;

/// How often a watcher asks whether its partner's chain moved.
pub const POLL_EVERY: Duration = Duration::from_secs(1);
/// Most events one batch carries; more follow a second later.
pub const EVENTS_PER_BATCH: i64 = 1000;
/// Batches a stream may fall behind before it reads what it missed itself.
const BATCHES_BUFFERED: usize = 8;

/// Events a partner stored after chain position `after`, up to `reached`, oldest first.
#[derive(Debug)]
pub struct Batch {
    pub after: i64,
    pub reached: i64,
    pub events: Vec<(i64, ActivityEntry)>,
}

/// A stream's end of its partner's feed.
pub struct Subscription {
    pub batches: broadcast::Receiver<Arc<Batch>>,
}

pub struct LiveFeeds {
    db: Db,
    metrics: Arc<Metrics>,
    feeds: Mutex<HashMap<PartnerId, broadcast::Sender<Arc<Batch>>>>,
}

impl std::fmt::Debug for LiveFeeds {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LiveFeeds")
            .field("watched", &self.watched())
            .finish()
    }
}

impl LiveFeeds {
    pub fn new(db: Db, metrics: Arc<Metrics>) -> LiveFeeds {
        LiveFeeds {
            db,
            metrics,
            feeds: Mutex::new(HashMap::new()),
        }
    }

    fn feeds(&self) -> std::sync::MutexGuard<'_, HashMap<PartnerId, broadcast::Sender<Arc<Batch>>>> {
        self.feeds.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// The partner's feed, starting its watcher if it has none.
    pub fn subscribe(self: &Arc<Self>, partner_id: PartnerId) -> Subscription {
        let mut feeds = self.feeds();
        if let Some(sender) = feeds.get(&partner_id) {
            return Subscription {
                batches: sender.subscribe(),
            };
        }
        let (sender, batches) = broadcast::channel(BATCHES_BUFFERED);
        feeds.insert(partner_id, sender.clone());
        tokio::spawn(self.clone().watch(partner_id, sender));
        Subscription { batches }
    }

    /// How many partners have a watcher now.
    pub fn watched(&self) -> usize {
        self.feeds().len()
    }

    async fn watch(self: Arc<Self>, partner_id: PartnerId, sender: broadcast::Sender<Arc<Batch>>) {
        let mut last = None;
        let mut ticks = tokio::time::interval(POLL_EVERY);
        ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            ticks.tick().await;
            {
                let mut feeds = self.feeds();
                if sender.receiver_count() == 0 {
                    feeds.remove(&partner_id);
                    return;
                }
            }
            match self.next_batch(partner_id, last).await {
                Ok((reached, batch)) => {
                    last = Some(reached);
                    if let Some(batch) = batch {
                        // No receiver left is fine: the next tick ends the watcher.
                        let _ = sender.send(Arc::new(batch));
                    }
                }
                Err(error) => {
                    tracing::warn!(%partner_id, ?error, "a live feed could not read the chain; trying again");
                }
            }
        }
    }

    /// The chain's position now and, if it moved past `last`, the events since (at most
    /// [`EVENTS_PER_BATCH`]). The first look only learns the position.
    async fn next_batch(
        &self,
        partner_id: PartnerId,
        last: Option<i64>,
    ) -> Result<(i64, Option<Batch>), AppError> {
        let head = chain_position(&self.db, partner_id).await?;
        self.metrics.live_head_queries.inc();
        let Some(last) = last.filter(|last| head > *last) else {
            return Ok((head.max(last.unwrap_or(head)), None));
        };
        let (reached, events) = events_after(&self.db, partner_id, last, head, None).await?;
        Ok((
            reached,
            Some(Batch {
                after: last,
                reached,
                events,
            }),
        ))
    }
}

/// The partner's events after chain position `after` (with their time in `period` when
/// given), at most [`EVENTS_PER_BATCH`], oldest first, and the position they reach: `head`
/// (or past it, for events stored meanwhile) when all were read, else the last one read.
pub async fn events_after(
    db: &Db,
    partner_id: PartnerId,
    after: i64,
    head: i64,
    period: Option<(chrono::DateTime<chrono::Utc>, chrono::DateTime<chrono::Utc>)>,
) -> Result<(i64, Vec<(i64, ActivityEntry)>), AppError> {
    let range = ChainRange {
        partner_id,
        position: after,
        oldest_first: true,
        from: period.map(|(from, _)| from),
        to: period.map(|(_, to)| to),
    };
    let rows = events_by_chain(db, &range, EVENTS_PER_BATCH).await?;
    let last = rows.last().map(|row| row.chain_seq);
    let reached = match last {
        Some(last) if rows.len() as i64 == EVENTS_PER_BATCH => last,
        _ => head.max(last.unwrap_or(head)),
    };
    let events = rows
        .into_iter()
        .map(|row| Ok((row.chain_seq, entry_from_row(row.event)?)))
        .collect::<Result<Vec<_>, AppError>>()?;
    Ok((reached, events))
}
