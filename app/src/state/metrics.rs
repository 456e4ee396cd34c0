//! What the server counts for an operator, in the Prometheus/OpenMetrics text format (the
//! `prometheus-client` crate), served on its own address (`serve --metrics-addr`). Every
//! label takes values from a fixed set (routes of the router, outcomes, states), and chain
//! heads are labelled by partner only while there are few partners, so no label set grows
//! without bound. A scrape only reads counters and gauges held in memory: it never waits on
//! the database or on a request.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use prometheus_client::encoding::{EncodeLabelSet, EncodeLabelValue, LabelValueEncoder};
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::{Histogram, exponential_buckets};
use prometheus_client::registry::Registry;

use crate::ids::PartnerId;

/// Partners whose chain head gets a series of its own; beyond this many, none does.
pub const MAX_PARTNER_SERIES: usize = 20;

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct RequestLabels {
    /// The route's path as the router knows it (`/customers/{id}/subscriptions`), or `other`.
    pub route: String,
    pub method: String,
    pub status: u16,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct RouteLabels {
    pub route: String,
}

/// An enum of label values, each written as the text given.
macro_rules! label_values {
    ($(#[$doc:meta])* $name:ident { $($(#[$variant_doc:meta])* $variant:ident => $text:literal),+ $(,)? }) => {
        $(#[$doc])*
        #[derive(Clone, Copy, Debug, Hash, PartialEq, Eq)]
        pub enum $name {
            $($(#[$variant_doc])* $variant),+
        }

        impl EncodeLabelValue for $name {
            fn encode(&self, encoder: &mut LabelValueEncoder) -> Result<(), std::fmt::Error> {
                let text = match self {
                    $($name::$variant => $text),+
                };
                std::fmt::Write::write_str(encoder, text)
            }
        }
    };
}

label_values!(SignIn { Ok => "ok", Wrong => "wrong", Throttled => "throttled", Busy => "busy" });

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct SignInLabels {
    pub outcome: SignIn,
}

label_values!(Batch { Stored => "stored", Refused => "refused" });

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct BatchLabels {
    pub outcome: Batch,
}

label_values!(EventResult { Stored => "stored", Duplicate => "duplicate" });

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct EventLabels {
    pub result: EventResult,
}

label_values!(Slots { Export => "export", Live => "live" });

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct SlotLabels {
    pub kind: Slots,
}

label_values!(PageLookup {
    /// Sent from memory, the chain not moved.
    Kept => "kept",
    /// Sent from memory after a check that nothing was stored into its period.
    Confirmed => "confirmed",
    /// Read from the database.
    Read => "read",
});

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct PageLabels {
    pub result: PageLookup,
}

label_values!(PoolState { InUse => "in_use", Idle => "idle" });

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct PoolLabels {
    pub state: PoolState,
}

label_values!(Walk { AuditRound => "audit_round", NewEvents => "new_events" });

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct WalkLabels {
    pub kind: Walk,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct PartnerLabels {
    pub partner: String,
}

fn latency_histogram() -> Histogram {
    // 0.5 ms to about 16 s.
    Histogram::new(exponential_buckets(0.0005, 2.0, 16))
}

fn walk_histogram() -> Histogram {
    // 1 ms to about 2 minutes.
    Histogram::new(exponential_buckets(0.001, 2.0, 18))
}

/// The server's metrics and the registry that writes them out.
#[derive(Debug)]
pub struct Metrics {
    registry: Registry,
    pub requests: Family<RequestLabels, Counter>,
    pub request_seconds: Family<RouteLabels, Histogram, fn() -> Histogram>,
    pub sign_ins: Family<SignInLabels, Counter>,
    pub ingest_batches: Family<BatchLabels, Counter>,
    pub ingest_events: Family<EventLabels, Counter>,
    pub slots_in_use: Family<SlotLabels, Gauge>,
    pub slot_refusals: Family<SlotLabels, Counter>,
    pub pages: Family<PageLabels, Counter>,
    pub pool_connections: Family<PoolLabels, Gauge>,
    pub pool_wait_seconds: Histogram,
    pub chain_heads: Family<PartnerLabels, Gauge>,
    pub walk_seconds: Family<WalkLabels, Histogram, fn() -> Histogram>,
    pub live_head_queries: Counter,
    /// Events log streaming delivered (receivers acknowledged).
    pub streamed_events: Counter,
    pub connections_open: Gauge,
    /// How many partners the last whole walk found (chain heads get series while few).
    partners: AtomicUsize,
}

impl Default for Metrics {
    fn default() -> Self {
        let mut registry = Registry::with_prefix("alog");
        let metrics = Metrics {
            requests: Family::default(),
            request_seconds: Family::new_with_constructor(latency_histogram),
            sign_ins: Family::default(),
            ingest_batches: Family::default(),
            ingest_events: Family::default(),
            slots_in_use: Family::default(),
            slot_refusals: Family::default(),
            pages: Family::default(),
            pool_connections: Family::default(),
            pool_wait_seconds: latency_histogram(),
            chain_heads: Family::default(),
            walk_seconds: Family::new_with_constructor(walk_histogram),
            live_head_queries: Counter::default(),
            streamed_events: Counter::default(),
            connections_open: Gauge::default(),
            partners: AtomicUsize::new(0),
            registry: Registry::default(),
        };
        registry.register(
            "http_requests",
            "Requests answered, by route, method and status",
            metrics.requests.clone(),
        );
        registry.register(
            "http_request_duration_seconds",
            "Time from a request's headers to its response's headers, by route",
            metrics.request_seconds.clone(),
        );
        registry.register(
            "sign_ins",
            "Sign-in attempts by outcome",
            metrics.sign_ins.clone(),
        );
        registry.register(
            "ingest_batches",
            "Event batches sent to the ingest API, by outcome",
            metrics.ingest_batches.clone(),
        );
        registry.register(
            "ingest_events",
            "Events of stored batches, stored or already there",
            metrics.ingest_events.clone(),
        );
        registry.register(
            "stream_slots_in_use",
            "Exports and live logs running now",
            metrics.slots_in_use.clone(),
        );
        registry.register(
            "stream_slot_refusals",
            "Exports and live logs refused at their limit (429)",
            metrics.slot_refusals.clone(),
        );
        registry.register(
            "month_pages",
            "Pages of the month view: sent from memory or read",
            metrics.pages.clone(),
        );
        registry.register(
            "db_pool_connections",
            "The database pool's connections, in use or idle",
            metrics.pool_connections.clone(),
        );
        registry.register(
            "db_pool_wait_seconds",
            "Time to get a connection from the pool, probed once a second",
            metrics.pool_wait_seconds.clone(),
        );
        registry.register(
            "chain_head_position",
            "Each partner's chain position (only while there are few partners)",
            metrics.chain_heads.clone(),
        );
        registry.register(
            "integrity_walk_duration_seconds",
            "Walks of the hash chains: a round of the rolling audit, or the badge's walk of new events",
            metrics.walk_seconds.clone(),
        );
        registry.register(
            "live_chain_head_queries",
            "Queries of a chain's head made for live logs",
            metrics.live_head_queries.clone(),
        );
        registry.register(
            "streamed_events",
            "Events log streaming delivered to destinations",
            metrics.streamed_events.clone(),
        );
        registry.register(
            "http_connections_open",
            "Connections open now",
            metrics.connections_open.clone(),
        );
        Metrics { registry, ..metrics }
    }
}

impl Metrics {
    /// The metrics in the OpenMetrics text format (which Prometheus reads).
    pub fn encode(&self) -> String {
        let mut text = String::new();
        // Writing into a String can't fail.
        let _ = prometheus_client::encoding::text::encode(&mut text, &self.registry);
        text
    }

    pub fn slot_refused(&self, kind: Slots) {
        self.slot_refusals.get_or_create(&SlotLabels { kind }).inc();
    }

    /// Brings the gauges read from the running server up to date, just before a scrape:
    /// exports and live logs running, the pool's (open, idle) connections.
    pub fn refresh(&self, exports: usize, live_logs: usize, (size, idle): (u32, u32)) {
        let slots = |kind, running: usize| {
            self.slots_in_use
                .get_or_create(&SlotLabels { kind })
                .set(running as i64);
        };
        slots(Slots::Export, exports);
        slots(Slots::Live, live_logs);
        let pool = |state, count: u32| {
            self.pool_connections
                .get_or_create(&PoolLabels { state })
                .set(i64::from(count));
        };
        pool(PoolState::InUse, size.saturating_sub(idle));
        pool(PoolState::Idle, idle);
    }

    /// How many partners there are (each whole walk says).
    pub fn set_partner_count(&self, partners: usize) {
        self.partners.store(partners, Ordering::Relaxed);
    }

    /// Notes a partner's chain position, while there are few enough partners for a series
    /// each.
    pub fn chain_head(&self, partner: PartnerId, position: i64) {
        if self.partners.load(Ordering::Relaxed) <= MAX_PARTNER_SERIES {
            self.chain_heads
                .get_or_create(&PartnerLabels {
                    partner: partner.to_string(),
                })
                .set(position);
        }
    }
}

/// Shared by the state and the server's middleware.
pub type SharedMetrics = Arc<Metrics>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_text_names_each_metric_with_its_labels() {
        let metrics = Metrics::default();
        metrics
            .requests
            .get_or_create(&RequestLabels {
                route: "/healthz".into(),
                method: "GET".into(),
                status: 200,
            })
            .inc();
        metrics
            .request_seconds
            .get_or_create(&RouteLabels {
                route: "/healthz".into(),
            })
            .observe(0.002);
        metrics
            .sign_ins
            .get_or_create(&SignInLabels {
                outcome: SignIn::Throttled,
            })
            .inc();
        metrics.set_partner_count(2);
        metrics.chain_head(PartnerId(1), 42);
        metrics.set_partner_count(MAX_PARTNER_SERIES + 1);
        metrics.chain_head(PartnerId(2), 7);
        let text = metrics.encode();
        assert!(
            text.contains(r#"alog_http_requests_total{route="/healthz",method="GET",status="200"} 1"#),
            "{text}"
        );
        assert!(
            text.contains(r#"alog_http_request_duration_seconds_bucket{le="0.002",route="/healthz"} 1"#),
            "{text}"
        );
        assert!(
            text.contains(r#"alog_sign_ins_total{outcome="throttled"} 1"#),
            "{text}"
        );
        assert!(
            text.contains(r#"alog_chain_head_position{partner="1"} 42"#),
            "{text}"
        );
        assert!(
            !text.contains(r#"partner="2""#),
            "no series per partner beyond the cap"
        );
        assert!(text.trim_end().ends_with("# EOF"));
    }
}
