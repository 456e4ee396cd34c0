//! The open connections and what each is doing: whether a request is in progress, and since
//! when it has been free (accepted, or its last response sent). Free connections are the ones
//! that give way at the cap, longest-free first.

use std::collections::HashMap;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use app::state::metrics::Metrics;
use axum::body::Bytes;
use http_body::{Body, Frame, SizeHint};
use tokio::sync::Notify;

pub(super) struct Table {
    max: usize,
    /// Its gauge of open connections.
    metrics: Arc<Metrics>,
    started: Instant,
    open: Mutex<HashMap<u64, Arc<ConnectionState>>>,
    next_id: AtomicU64,
    /// Woken whenever a connection ends.
    ended: Notify,
}

/// One open connection's place in the table; removes it when dropped.
pub(super) struct Connection {
    table: Arc<Table>,
    id: u64,
    state: Arc<ConnectionState>,
}

pub(super) struct ConnectionState {
    started: Instant,
    requests_in_progress: AtomicUsize,
    /// Milliseconds after `started` at which the connection last became free.
    free_since_ms: AtomicU64,
    /// Whether a byte arrived since it became free (a request's headers are coming).
    read_while_free: AtomicBool,
    /// Asked to give way (it no longer counts against the cap).
    leaving: AtomicBool,
    evict: Notify,
}

impl Table {
    pub(super) fn new(max: usize, metrics: Arc<Metrics>) -> Table {
        Table {
            max: max.max(1),
            metrics,
            started: Instant::now(),
            open: Mutex::new(HashMap::new()),
            next_id: AtomicU64::new(0),
            ended: Notify::new(),
        }
    }

    fn open(&self) -> MutexGuard<'_, HashMap<u64, Arc<ConnectionState>>> {
        self.open.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    pub(super) fn len(&self) -> usize {
        self.open().len()
    }

    /// Whether there is room for one more connection, after asking the longest-free one to
    /// close if the table is full (`false`: all are busy with requests).
    pub(super) fn make_room(&self) -> bool {
        let open = self.open();
        let staying = open
            .values()
            .filter(|state| !state.leaving.load(Ordering::Acquire));
        if staying.clone().count() < self.max {
            return true;
        }
        let longest_free = staying
            .filter(|state| state.requests_in_progress.load(Ordering::Acquire) == 0)
            .min_by_key(|state| state.free_since_ms.load(Ordering::Acquire));
        match longest_free {
            Some(state) => {
                // Counted out at once; its task closes it at its next poll.
                state.leaving.store(true, Ordering::Release);
                state.evict.notify_one();
                true
            }
            None => false,
        }
    }

    pub(super) fn add(self: &Arc<Self>) -> Connection {
        let id = self.next_id.fetch_add(1, Ordering::Relaxed);
        let state = Arc::new(ConnectionState {
            started: self.started,
            requests_in_progress: AtomicUsize::new(0),
            free_since_ms: AtomicU64::new(self.started.elapsed().as_millis() as u64),
            read_while_free: AtomicBool::new(false),
            leaving: AtomicBool::new(false),
            evict: Notify::new(),
        });
        self.open().insert(id, state.clone());
        self.metrics.connections_open.inc();
        Connection {
            table: self.clone(),
            id,
            state,
        }
    }

    /// Waits until some connection ends.
    pub(super) async fn closed(&self) {
        self.ended.notified().await;
    }

    pub(super) async fn all_closed(&self) {
        loop {
            let ended = self.ended.notified();
            if self.len() == 0 {
                return;
            }
            ended.await;
        }
    }
}

impl Connection {
    pub(super) fn state(&self) -> Arc<ConnectionState> {
        self.state.clone()
    }
}

impl Drop for Connection {
    fn drop(&mut self) {
        self.table.open().remove(&self.id);
        self.table.metrics.connections_open.dec();
        self.table.ended.notify_waiters();
    }
}

impl ConnectionState {
    fn now_ms(&self) -> u64 {
        self.started.elapsed().as_millis() as u64
    }

    /// A request's headers are in: the connection is busy until the guard is dropped.
    pub(super) fn request_started(self: &Arc<Self>) -> Busy {
        self.requests_in_progress.fetch_add(1, Ordering::AcqRel);
        Busy(self.clone())
    }

    /// Bytes arrived on the connection.
    pub(super) fn read_some(&self) {
        self.read_while_free.store(true, Ordering::Release);
    }

    /// Resolves when the table asks this connection to give way.
    pub(super) async fn evicted(&self) {
        self.evict.notified().await;
    }

    /// Resolves once the connection has been free, with no byte arriving, for `keep_alive`.
    pub(super) async fn idle_for(&self, keep_alive: Duration) {
        let keep_alive_ms = keep_alive.as_millis() as u64;
        loop {
            let free = self.requests_in_progress.load(Ordering::Acquire) == 0
                && !self.read_while_free.load(Ordering::Acquire);
            let since = self.free_since_ms.load(Ordering::Acquire);
            let now = self.now_ms();
            if free && now >= since + keep_alive_ms {
                return;
            }
            let wait = if free {
                since + keep_alive_ms - now
            } else {
                keep_alive_ms
            };
            tokio::time::sleep(Duration::from_millis(wait.max(1))).await;
        }
    }
}

/// A request in progress on its connection.
pub(super) struct Busy(Arc<ConnectionState>);

impl Busy {
    /// `body`, holding the request in progress until it is sent or dropped.
    pub(super) fn guard<B>(self, body: B) -> Guarded<B> {
        Guarded { body, _busy: self }
    }
}

impl Drop for Busy {
    fn drop(&mut self) {
        let state = &self.0;
        state.free_since_ms.store(state.now_ms(), Ordering::Release);
        state.read_while_free.store(false, Ordering::Release);
        state.requests_in_progress.fetch_sub(1, Ordering::AcqRel);
    }
}

/// A response body that keeps its request counted as in progress.
pub(super) struct Guarded<B> {
    body: B,
    _busy: Busy,
}

impl<B> Body for Guarded<B>
where
    B: Body<Data = Bytes> + Unpin,
{
    type Data = Bytes;
    type Error = B::Error;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, Self::Error>>> {
        Pin::new(&mut self.body).poll_frame(cx)
    }

    fn is_end_stream(&self) -> bool {
        self.body.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.body.size_hint()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn at_the_cap_the_longest_free_connection_gives_way_and_busy_ones_never_do() {
        let table = Arc::new(Table::new(2, Arc::default()));
        let first = table.add();
        assert!(table.make_room(), "one of two");
        std::thread::sleep(Duration::from_millis(5));
        let second = table.add();
        // Full: the one free longest (the first) is asked to go, once.
        assert!(table.make_room());
        assert!(first.state.evict.notified().now_or_never_is_ready());
        assert!(!second.state.evict.notified().now_or_never_is_ready());
        let third = table.add();
        // Full again, the second is free longest now; once it is busy, nothing gives way.
        let _busy_second = second.state.request_started();
        let _busy_third = third.state.request_started();
        assert!(!table.make_room(), "every staying connection is busy");
        drop(_busy_second);
        assert!(table.make_room(), "the second is free again, so it gives way");
        assert!(second.state.evict.notified().now_or_never_is_ready());
    }

    /// Whether a permit was stored (`notify_one` with no waiter keeps one).
    trait NowOrNever {
        fn now_or_never_is_ready(self) -> bool;
    }

    impl<F: Future> NowOrNever for F {
        fn now_or_never_is_ready(self) -> bool {
            let waker = std::task::Waker::noop();
            let mut cx = Context::from_waker(waker);
            let mut future = std::pin::pin!(self);
            future.as_mut().poll(&mut cx).is_ready()
        }
    }
}
