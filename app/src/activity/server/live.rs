//! `GET /account-settings/activity-log/live`: the live log. While the page shows a period
//! that includes now, it follows this stream of server-sent events: each `events` message is
//! an [`EventPage`] of the partner's events stored since the last, whose time falls in the
//! period, and its `id` is the chain position it reaches (a reconnecting browser sends it
//! back as `Last-Event-ID`, so nothing is missed or sent twice).
//!
//! The stream asks the database once a second whether the partner's chain moved (one index
//! lookup), so an event stored through any server shows on every server's pages. Streams
//! are bounded like exports (`limits.live_streams_*`); each checks every half minute that
//! its session is still live (without keeping it from going idle) and ends after an hour,
//! when the browser reconnects on its own.

use std::convert::Infallible;
use std::time::{Duration, Instant};

use crate::activity::period::UtcRange;
use crate::activity::wire::{EventPage, LiveMessage, LiveQuery};
use crate::auth::model::VIEW_ACTIVITY_LOG;
use crate::auth::session;
use crate::errors::AppError;
use crate::event_table::chain::{self, ChainRange};
use crate::event_table::entry_from_row;
use crate::i18n::locale_of_request;
use crate::ids::PartnerId;
use crate::state::AppState;
use crate::state::stream_slots::StreamSlot;
use axum::extract::{Query, State};
use axum::http::HeaderMap;
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::response::{IntoResponse, Response};

/// How often a stream asks whether the chain moved.
const POLL_EVERY: Duration = Duration::from_secs(1);
/// How often it checks that its session is still live.
const SESSION_CHECK_EVERY: Duration = Duration::from_secs(30);
/// How long one stream lasts before the browser reconnects.
const STREAM_LIFETIME: Duration = Duration::from_secs(3600);
/// Most events one message carries; more follow in the next second.
const EVENTS_PER_MESSAGE: i64 = 1000;

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
    let slot = state
        .live_streams
        .take(viewer.partner_id)
        .map_err(|_| AppError::Busy("Too many pages follow the log live right now.".into()))?;
    let follow = Follow {
        partner_id: viewer.partner_id,
        range,
        after,
        started: Instant::now(),
        session_checked: Instant::now(),
        headers: headers.clone(),
        state,
        _slot: slot,
        said_ready: false,
    };
    let stream = futures::stream::unfold(follow, |mut follow| async move {
        let event = follow.next_message().await?;
        Some((Ok(event), follow))
    });
    Ok(Sse::new(stream).keep_alive(KeepAlive::new().interval(Duration::from_secs(15))))
}

/// One page's stream: where it is in the chain, and what it checks.
struct Follow {
    partner_id: PartnerId,
    range: UtcRange,
    after: i64,
    started: Instant,
    session_checked: Instant,
    headers: HeaderMap,
    state: AppState,
    _slot: StreamSlot,
    said_ready: bool,
}

impl Follow {
    /// The next message: `ready` at once, then `events` whenever some are stored into the
    /// period. `None` ends the stream (session over, lifetime up, or the database failing:
    /// the browser tries again on its own).
    async fn next_message(&mut self) -> Option<Event> {
        if !self.said_ready {
            self.said_ready = true;
            return message(&LiveMessage::Ready, self.after).ok();
        }
        loop {
            tokio::time::sleep(POLL_EVERY).await;
            if self.started.elapsed() > STREAM_LIFETIME {
                return None;
            }
            if self.session_checked.elapsed() > SESSION_CHECK_EVERY {
                self.session_checked = Instant::now();
                let state = &self.state;
                match session::session_still_live(&state.pool, &state.sessions, &self.headers).await {
                    Ok(true) => {}
                    Ok(false) => return None,
                    Err(error) => {
                        tracing::warn!(%error, "a live log could not check its session; it ends");
                        return None;
                    }
                }
            }
            match self.new_events().await {
                Ok(Some(event)) => return Some(event),
                Ok(None) => {}
                Err(error) => {
                    tracing::warn!(%error, "a live log could not read new events; it ends");
                    return None;
                }
            }
        }
    }

    /// The events stored since the last look whose time is in the period, as a message;
    /// `None` when the chain has not moved or nothing new falls in the period.
    async fn new_events(&mut self) -> Result<Option<Event>, AppError> {
        let pool = &self.state.pool;
        let head = chain::chain_position(pool, self.partner_id).await?;
        if head <= self.after {
            return Ok(None);
        }
        let range = ChainRange {
            partner_id: self.partner_id,
            position: self.after,
            oldest_first: true,
            from: Some(self.range.from),
            to: Some(self.range.to),
        };
        let rows = chain::events_by_chain(pool, &range, EVENTS_PER_MESSAGE).await?;
        // All of them read: up to the head (or past it, for events stored meanwhile); else
        // up to the last one read, the rest next time.
        let last = rows.last().map(|row| row.chain_seq);
        let reached = match last {
            Some(last) if rows.len() as i64 == EVENTS_PER_MESSAGE => last,
            _ => head.max(last.unwrap_or(head)),
        };
        self.after = reached;
        if rows.is_empty() {
            return Ok(None);
        }
        let entries = rows
            .into_iter()
            .map(|row| entry_from_row(row.event))
            .collect::<Result<Vec<_>, _>>()?;
        let mut page = EventPage::pack(entries, None);
        page.head = reached;
        message(&LiveMessage::Events(page), reached).map(Some)
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
