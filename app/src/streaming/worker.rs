//! Delivery: each server process runs one [`run`] loop. Once a second it looks for
//! destinations nobody holds, takes a lease on each it can (a row update that only one
//! process wins), and runs a task per destination it holds: read the events after the
//! destination's cursor (the read API's paging and filter), send them, move the cursor,
//! renew the lease, again. A process that dies stops renewing; after its lease another takes
//! over from the cursor (after the lease, `[streaming] lease_seconds`), resending at most the batch that was in flight (under the same
//! `webhook-id`). A failing receiver is retried with exponential backoff and jitter, and
//! after `pause_after` of failures the destination stops itself, saying why.
//!
//! Each task holds two batches at most (the one on the wire and the next, read meanwhile), and only reads the database: a slow or dead receiver
//! costs its own task's time, never ingest's, the page's or another destination's.

use std::collections::HashMap;
use std::time::Duration;

use rand::Rng;
use tokio::task::JoinHandle;

use super::send::{Batch, Sender};
use super::store::{self, Failure, StoredDestination};
use crate::db::Db;
use crate::digest::random_hex;
use crate::read_api::request::{Cursor, FeedRequest};
use crate::read_api::store::feed_page;
use crate::state::{AppState, StreamingSettings};

/// How often a process looks for destinations to take, and a task for new events.
pub const TICK: Duration = Duration::from_secs(1);

fn now_ms() -> i64 {
    chrono::Utc::now().timestamp_millis()
}

fn ms(duration: Duration) -> i64 {
    i64::try_from(duration.as_millis()).unwrap_or(i64::MAX)
}

/// Runs until the process ends: takes unheld destinations and delivers for them.
pub async fn run(state: AppState) {
    let holder = format!("{}-{}", std::process::id(), random_hex(8));
    let mut tasks: HashMap<i64, JoinHandle<()>> = HashMap::new();
    let mut tick = tokio::time::interval(TICK);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tick.tick().await;
        tasks.retain(|_, task| !task.is_finished());
        let now = now_ms();
        let unheld = match store::unheld(&state.pool, now).await {
            Ok(unheld) => unheld,
            Err(error) => {
                tracing::warn!(%error, "log streaming: could not look for destinations");
                continue;
            }
        };
        for id in unheld {
            if tasks.contains_key(&id) {
                continue;
            }
            match store::take_lease(&state.pool, id, &holder, now, now + ms(state.streaming.lease)).await {
                Ok(true) => {
                    tracing::info!(destination = id, "log streaming: sending for this destination");
                    tasks.insert(id, tokio::spawn(deliver(state.clone(), id, holder.clone())));
                }
                Ok(false) => {}
                Err(error) => tracing::warn!(%error, destination = id, "log streaming: lease not taken"),
            }
        }
    }
}

/// Delivers for one destination while this process holds its lease.
async fn deliver(state: AppState, id: i64, holder: String) {
    let settings = state.streaming.clone();
    let db = &state.pool;
    let mut sender: Option<(String, Sender)> = None;
    // The batch after the one in flight, read while the receiver takes that one: (the
    // cursor it follows, the filter it was read with, the batch).
    let mut read_ahead: Option<(i64, String, Next)> = None;
    loop {
        let now = now_ms();
        // Renewed before every batch: a send lasts less than a lease.
        match store::take_lease(db, id, &holder, now, now + ms(settings.lease)).await {
            Ok(true) => {}
            Ok(false) => return,
            Err(error) => {
                tracing::warn!(%error, destination = id, "log streaming: lease not renewed");
                return;
            }
        }
        let destination = match store::get(db, id).await {
            Ok(Some(destination)) if destination.enabled != 0 && destination.paused_reason.is_none() => {
                destination
            }
            Ok(_) => {
                let _ = store::release_lease(db, id, &holder).await;
                return;
            }
            Err(error) => {
                tracing::warn!(%error, destination = id, "log streaming: destination not read");
                let _ = store::release_lease(db, id, &holder).await;
                return;
            }
        };
        // A changed target or CA makes a new sender.
        let fingerprint = format!(
            "{}\n{}\n{}",
            destination.kind, destination.target, destination.ca_pem
        );
        if sender.as_ref().is_none_or(|(kept, _)| *kept != fingerprint) {
            match Sender::new(&destination, &settings) {
                Ok(made) => sender = Some((fingerprint, made)),
                Err(error) => {
                    fail(db, &destination, &holder, &error, &settings).await;
                    return;
                }
            }
        }
        let Some((_, out)) = sender.as_mut() else { return };
        let next = match read_ahead.take() {
            Some((after, filter, next))
                if after == destination.delivered_position
                    && destination.sending_until.is_none()
                    && filter == destination.filter =>
            {
                Ok(next)
            }
            _ => next_batch(db, &destination, settings.batch_events).await,
        };
        match next {
            Err(error) => {
                tracing::warn!(?error, destination = id, "log streaming: events not read");
                tokio::time::sleep(TICK).await;
            }
            Ok(Next::Idle) => tokio::time::sleep(TICK).await,
            Ok(Next::Skip(position)) => {
                if !matches!(
                    store::delivered(db, id, &holder, position, now_ms(), false).await,
                    Ok(true)
                ) {
                    return;
                }
            }
            Ok(Next::Send { events, until }) => {
                if !matches!(store::begin_batch(db, id, &holder, until).await, Ok(true)) {
                    return;
                }
                let batch = Batch {
                    id: format!("msg_{id}_{}_{until}", destination.delivered_position),
                    events: &events,
                    test: false,
                };
                let started = std::time::Instant::now();
                // The receiver's work and the next batch's reading overlap.
                let after_this = StoredDestination {
                    delivered_position: until,
                    sending_until: None,
                    ..destination.clone()
                };
                let (sent, ahead) = tokio::join!(
                    out.send(&destination, &batch, now_ms()),
                    next_batch(db, &after_this, settings.batch_events)
                );
                // Only a batch to send is kept: an empty read would hide events stored while
                // this one was on the wire until the next tick.
                if let Ok(ahead @ Next::Send { .. }) = ahead {
                    read_ahead = Some((until, destination.filter.clone(), ahead));
                }
                match sent {
                    Ok(()) => {
                        state.metrics.streamed_events.inc_by(events.len() as u64);
                        tracing::debug!(destination = id, events = events.len(), took = ?started.elapsed(), "log streaming: delivered");
                        if !matches!(
                            store::delivered(db, id, &holder, until, now_ms(), true).await,
                            Ok(true)
                        ) {
                            return;
                        }
                    }
                    Err(error) => {
                        fail(db, &destination, &holder, &error, &settings).await;
                        return;
                    }
                }
            }
        }
    }
}

enum Next {
    /// Nothing new.
    Idle,
    /// Events were stored but none up to this position matches the filter.
    Skip(i64),
    /// These events, the last at chain position `until`.
    Send {
        events: Vec<crate::read_api::store::FeedEvent>,
        until: i64,
    },
}

/// The events after the destination's cursor that its filter takes, at most `limit`; a
/// batch begun before (and not acknowledged) is read again exactly.
async fn next_batch(
    db: &Db,
    destination: &StoredDestination,
    limit: usize,
) -> Result<Next, crate::errors::AppError> {
    let request = FeedRequest {
        after: Cursor {
            oldest_first: true,
            position: destination.delivered_position,
        },
        limit: limit.clamp(1, crate::read_api::MAX_LIMIT),
        filter: crate::activity::filter::Filter::parse(&destination.filter),
        from: None,
        to: None,
        proof: false,
    };
    let page = feed_page(db, destination.partner_id, &request).await?;
    let mut events = page.events;
    if let Some(until) = destination.sending_until {
        events.retain(|event| event.chain_position <= until);
        if events.is_empty() {
            return Ok(Next::Skip(until));
        }
    }
    match events.last() {
        Some(last) => {
            let until = destination.sending_until.unwrap_or(last.chain_position);
            Ok(Next::Send { until, events })
        }
        None => match page.next.as_deref().and_then(Cursor::parse) {
            Some(cursor) if cursor.position > destination.delivered_position => {
                Ok(Next::Skip(cursor.position))
            }
            _ => Ok(Next::Idle),
        },
    }
}

/// Records a failed send: the next try after a backoff (doubling from 1 s up to
/// `retry_max`, with jitter), or a pause once it has failed for `pause_after`.
async fn fail(
    db: &Db,
    destination: &StoredDestination,
    holder: &str,
    error: &str,
    settings: &StreamingSettings,
) {
    let now = now_ms();
    let failures = destination.failures_in_row.clamp(0, 30) as u32;
    let ceiling = ms(settings.retry_max).min(1000i64.saturating_mul(1 << failures.min(20)));
    let wait = rand::thread_rng().gen_range(ceiling / 2..=ceiling.max(1));
    let failing_for = now - destination.failing_since_ms.unwrap_or(now);
    let pause = (failing_for >= ms(settings.pause_after)).then(|| {
        format!(
            "Paused after failing for {} minutes: {error}",
            failing_for / 60_000
        )
    });
    tracing::warn!(destination = destination.id, partner_id = %destination.partner_id, error, retry_in_ms = wait, paused = pause.is_some(), "log streaming: send failed");
    let failure = Failure {
        error,
        now_ms: now,
        retry_at_ms: now + wait,
        pause: pause.as_deref(),
    };
    if let Err(store_error) = store::failed(db, destination.id, holder, &failure).await {
        tracing::warn!(error = %store_error, destination = destination.id, "log streaming: failure not recorded");
    }
}

/// Sends the page's test event to a destination now, outside its cursor and lease.
pub async fn send_test_event(
    state: &AppState,
    destination: &StoredDestination,
    event: crate::read_api::store::FeedEvent,
) -> Result<(), String> {
    let mut sender = Sender::new(destination, &state.streaming)?;
    let now = now_ms();
    let batch = Batch {
        id: format!("msg_test_{}_{}", destination.id, random_hex(8)),
        events: std::slice::from_ref(&event),
        test: true,
    };
    sender.send(destination, &batch, now).await
}
