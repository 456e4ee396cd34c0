//! `GET /account-settings/activity-log/live`: the live log. While the page shows a period
//! that includes now, it follows this stream of server-sent events: each `events` message is
//! an [`EventPage`] of the partner's events stored since the last, whose time falls in the
//! period, and its `id` is the chain position it reaches (a reconnecting browser sends it
//! back as `Last-Event-ID`, so nothing is missed or sent twice).
//!
//! The streams of one partner share one feed (`state::live_feeds`): one lookup a second of
//! whether the chain moved, per partner and process, whatever the number of open pages, so an
//! event stored through any server shows on every server's pages. Streams are bounded like
//! exports (`limits.live_streams_*`); each checks every half minute that its session is still
//! live (without keeping it from going idle) and ends after an hour, when the browser
//! reconnects on its own.

use std::convert::Infallible;
use std::time::{Duration, Instant};

use axum::extract::{Query, State};
use axum::http::HeaderMap;
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::response::{IntoResponse, Response};
use tokio::sync::broadcast::error::RecvError;
use tracing::Instrument;

use crate::activity::period::UtcRange;
use crate::activity::wire::{EventPage, LiveMessage, LiveQuery};
use crate::auth::model::VIEW_ACTIVITY_LOG;
use crate::auth::session;
use crate::errors::AppError;
use crate::event_table::chain::chain_position;
use crate::events::ActivityEntry;
use crate::i18n::locale_of_request;
use crate::ids::PartnerId;
use crate::state::AppState;
use crate::state::live_feeds::{Batch, Subscription, events_after};
use crate::state::stream_slots::StreamSlot;

/// How often a stream checks that its session is still live.
const SESSION_CHECK_EVERY: Duration = Duration::from_secs(30);
/// How long one stream lasts before the browser reconnects.
const STREAM_LIFETIME: Duration = Duration::from_secs(3600);

pub async fn follow_activity_log(
    State(state): State<AppState>,
    headers: HeaderMap,
    Query(query): Query<LiveQuery>,
) -> Response {
    match start(state, &headers, query).await {
        Ok(stream) => stream.into_response(),
        Err(error) => error.response_in(locale_of_request(&headers)),
    }
}

async fn start(
    state: AppState,
    headers: &HeaderMap,
    query: LiveQuery,
) -> Result<Sse<impl futures::Stream<Item = Result<Event, Infallible>> + use<>>, AppError> {
    let locale = locale_of_request(headers);
    let viewer = session::require_permission_in(
        session::viewer_from_headers(&state, headers).await?,
        VIEW_ACTIVITY_LOG,
        locale,
    )?;
    let range = UtcRange::parse(&query.from, &query.to)?;
    // A browser reconnecting says where it got to.
    let after = headers
        .get("last-event-id")
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.parse::<i64>().ok())
        .unwrap_or(query.after);
    let slot = state.live_streams.take(viewer.partner_id).map_err(|_| {
        state.metrics.slot_refused(crate::state::metrics::Slots::Live);
        AppError::Busy("Too many pages follow the log live right now.".into())
    })?;
    let follow = Follow {
        partner_id: viewer.partner_id,
        feed: state.live_feeds.subscribe(viewer.partner_id),
        range,
        after,
        started: Instant::now(),
        session_checked: Instant::now(),
        headers: headers.clone(),
        state,
        _slot: slot,
        said_ready: false,
        caught_up: false,
    };
    // Each message is made in the request's span: its log lines carry the request's id.
    let span = tracing::Span::current();
    let stream = futures::stream::unfold(follow, move |mut follow| {
        async move {
            let event = follow.next_message().await?;
            Some((Ok(event), follow))
        }
        .instrument(span.clone())
    });
    Ok(Sse::new(stream).keep_alive(KeepAlive::new().interval(Duration::from_secs(15))))
}

/// One page's stream: where it is in the chain, and what it checks.
struct Follow {
    partner_id: PartnerId,
    feed: Subscription,
    range: UtcRange,
    after: i64,
    started: Instant,
    session_checked: Instant,
    headers: HeaderMap,
    state: AppState,
    _slot: StreamSlot,
    said_ready: bool,
    /// Whether it has read what was stored between its page's first read and joining the feed.
    caught_up: bool,
}

impl Follow {
    /// The next message: `ready` at once, then `events` whenever some are stored into the
    /// period. `None` ends the stream (session over, lifetime up, the database failing: the
    /// browser tries again on its own).
    async fn next_message(&mut self) -> Option<Event> {
        if !self.said_ready {
            self.said_ready = true;
            return message(&LiveMessage::Ready, self.after).ok();
        }
        loop {
            let events = if self.caught_up {
                let until_check = SESSION_CHECK_EVERY.saturating_sub(self.session_checked.elapsed());
                tokio::select! {
                    batch = self.feed.batches.recv() => match batch {
                        Ok(batch) => self.take(&batch).await,
                        Err(RecvError::Lagged(_)) => self.catch_up().await,
                        Err(RecvError::Closed) => return None,
                    },
                    () = tokio::time::sleep(until_check) => Ok(Vec::new()),
                }
            } else {
                self.caught_up = true;
                self.catch_up().await
            };
            let events = match events {
                Ok(events) => events,
                Err(error) => {
                    tracing::warn!(%error, "a live log could not read new events; it ends");
                    return None;
                }
            };
            if !self.still_live().await {
                return None;
            }
            if !events.is_empty() {
                let mut page = EventPage::pack(events, None);
                page.head = self.after;
                return message(&LiveMessage::Events(page), self.after).ok();
            }
        }
    }

    /// Whether the stream goes on: within its lifetime, and its session live when checked.
    async fn still_live(&mut self) -> bool {
        if self.started.elapsed() > STREAM_LIFETIME {
            return false;
        }
        if self.session_checked.elapsed() < SESSION_CHECK_EVERY {
            return true;
        }
        self.session_checked = Instant::now();
        let state = &self.state;
        match session::session_still_live(&state.pool, &state.sessions, &self.headers).await {
            Ok(live) => live,
            Err(error) => {
                tracing::warn!(%error, "a live log could not check its session; it ends");
                false
            }
        }
    }

    /// The batch's events this stream has not had, in its period; reads what it missed
    /// first when the batch starts past its position.
    async fn take(&mut self, batch: &Batch) -> Result<Vec<ActivityEntry>, AppError> {
        let mut events = if batch.after > self.after {
            self.catch_up().await?
        } else {
            Vec::new()
        };
        let range = self.range;
        events.extend(
            batch
                .events
                .iter()
                .filter(|(position, entry)| {
                    *position > self.after && range.from <= entry.occurred_at && entry.occurred_at < range.to
                })
                .map(|(_, entry)| entry.clone()),
        );
        self.after = self.after.max(batch.reached);
        Ok(events)
    }

    /// What was stored into the period since this stream's position, read by itself (at
    /// most a batch's worth; the rest comes with the feed).
    async fn catch_up(&mut self) -> Result<Vec<ActivityEntry>, AppError> {
        let pool = &self.state.pool;
        let head = chain_position(pool, self.partner_id).await?;
        if head <= self.after {
            return Ok(Vec::new());
        }
        let period = Some((self.range.from, self.range.to));
        let (reached, events) = events_after(pool, self.partner_id, self.after, head, period).await?;
        self.after = reached;
        Ok(events.into_iter().map(|(_, entry)| entry).collect())
    }
}

/// `message` as a server-sent event whose id is the chain position it reaches.
fn message(message: &LiveMessage, position: i64) -> Result<Event, AppError> {
    let data = message.data().map_err(|error| {
        tracing::error!(%error, "could not encode a live message");
        AppError::Internal
    })?;
    Ok(Event::default()
        .event(message.name())
        .id(position.to_string())
        .data(data))
}
