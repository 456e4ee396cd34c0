//! Server-side state every server function and handler reaches through the Leptos context:
//! the pool, the settings, and what keeps one user from starving the others (the capped
//! password checks, the export and live-log slots, the read API's budgets) plus the integrity
//! badge's memory. (The sign-in throttle lives in the database, `auth::throttle`, so every
//! server process shares it.)
//! It sits below the feature folders: they use it, it uses none of them but `integrity`'s
//! chain walk (`scripts/check-layers` holds the order).

use std::sync::Arc;
use std::time::Duration;

pub mod identity_providers;
pub mod live_feeds;
pub mod metrics;
pub mod page_cache;
pub mod read_budgets;
pub mod stream_slots;

use crate::db::Db;

use crate::errors::AppError;
use crate::integrity::verified_chains::VerifiedChains;
use crate::password::PasswordChecks;
use page_cache::PageCache;
use read_budgets::ReadBudgets;
use stream_slots::StreamSlots;

#[derive(Clone, Debug)]
pub struct SessionSettings {
    /// How long a sign-in lasts at most (absolute lifetime).
    pub lifetime: chrono::Duration,
    /// A session unused for this long ends.
    pub idle_timeout: chrono::Duration,
    /// Adds `Secure` to the cookie; turn on whenever the app is served over https.
    pub secure_cookie: bool,
}

/// The bounds that keep one user, slow client or flood from starving the others
/// (`[limits]` and `[network]` in `Leptos.toml`).
#[derive(Clone, Debug)]
pub struct Limits {
    /// Reverse proxies whose `X-Forwarded-For` names the client.
    pub trusted_proxies: Vec<ipnet::IpNet>,
    /// Password checks (19 MiB each) that run at once; others wait, then get a 429.
    pub password_checks_at_once: usize,
    /// How long a sign-in waits for a password-check slot.
    pub password_check_wait: Duration,
    /// Exports streaming at once, over all partners and per partner.
    pub exports_at_once: usize,
    pub exports_per_partner: usize,
    /// An export whose client takes no data for this long is ended.
    pub export_send_timeout: Duration,
    /// Rows an export sorted by a column other than Date-Time may hold in memory.
    pub sorted_export_max_rows: usize,
    /// Memory the month view's pages may keep (`page_cache`); 0 keeps none.
    pub page_cache_bytes: u64,
    /// Reads of the events API one token may make per minute (`read_budgets`).
    pub token_reads_per_minute: u32,
    /// Live logs (open pages following new events) at once, over all partners and per partner.
    pub live_streams_at_once: usize,
    pub live_streams_per_partner: usize,
    /// How log streaming delivers (`[streaming]`).
    pub streaming: StreamingSettings,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            trusted_proxies: Vec::new(),
            password_checks_at_once: std::thread::available_parallelism().map_or(2, |cores| cores.get()),
            password_check_wait: Duration::from_secs(2),
            exports_at_once: 10,
            exports_per_partner: 6,
            export_send_timeout: Duration::from_secs(180),
            sorted_export_max_rows: 100_000,
            page_cache_bytes: 64 << 20,
            token_reads_per_minute: 600,
            live_streams_at_once: 1000,
            live_streams_per_partner: 200,
            streaming: StreamingSettings::default(),
        }
    }
}

/// `[streaming]` in Leptos.toml.
#[derive(Debug, Clone)]
pub struct StreamingSettings {
    /// Lets destinations point at loopback, private and link-local addresses (an
    /// on-premises SIEM; the tests).
    pub allow_private_networks: bool,
    /// Most events one webhook batch or syslog write carries.
    pub batch_events: usize,
    /// Longest wait between retries of a failing destination.
    pub retry_max: Duration,
    /// A destination failing this long stops itself.
    pub pause_after: Duration,
    /// How long a rotated-out secret keeps signing.
    pub previous_secret_grace: Duration,
    /// How long a process's claim on a destination lasts unless renewed; another process
    /// takes over a dead one's destinations after it. A send is cut off at half of it.
    pub lease: Duration,
}

impl Default for StreamingSettings {
    fn default() -> Self {
        StreamingSettings {
            allow_private_networks: false,
            batch_events: 1000,
            retry_max: Duration::from_secs(300),
            pause_after: Duration::from_secs(24 * 3600),
            previous_secret_grace: Duration::from_secs(24 * 3600),
            lease: Duration::from_secs(20),
        }
    }
}

#[derive(Clone, Debug)]
pub struct AppState {
    pub pool: Db,
    pub sessions: SessionSettings,
    pub limits: Arc<Limits>,
    pub password_checks: Arc<PasswordChecks>,
    pub exports: Arc<StreamSlots>,
    /// The month view's pages as last sent.
    pub pages: Arc<PageCache>,
    /// What each API token may still read this minute.
    pub read_budgets: Arc<ReadBudgets>,
    /// Open live logs, bounded like exports.
    pub live_streams: Arc<StreamSlots>,
    /// The integrity badge's memory of each partner's last walk.
    pub verified_chains: Arc<VerifiedChains>,
    /// Checks checkpoint signatures; the signing half stays with the server binary.
    pub checkpoint_key: ed25519_dalek::VerifyingKey,
    /// What the server counts for an operator (`--metrics-addr`).
    pub metrics: Arc<metrics::Metrics>,
    /// One feed of new events per partner with open live logs.
    pub live_feeds: Arc<live_feeds::LiveFeeds>,
    /// Partners' OpenID providers as last fetched (discovery, keys).
    pub identity_providers: Arc<identity_providers::IdentityProviders>,
    /// How log streaming delivers (`[streaming]`).
    pub streaming: Arc<StreamingSettings>,
}

impl AppState {
    pub fn new(
        pool: Db,
        sessions: SessionSettings,
        limits: Limits,
        checkpoint_key: ed25519_dalek::VerifyingKey,
    ) -> AppState {
        let metrics = Arc::new(metrics::Metrics::default());
        let streaming = limits.streaming.clone();
        AppState {
            live_feeds: Arc::new(live_feeds::LiveFeeds::new(pool.clone(), metrics.clone())),
            metrics,
            pool: pool.clone(),
            sessions,
            password_checks: Arc::new(PasswordChecks::new(
                limits.password_checks_at_once,
                limits.password_check_wait,
            )),
            exports: Arc::new(StreamSlots::new(
                limits.exports_at_once,
                limits.exports_per_partner,
            )),
            pages: Arc::new(PageCache::new(limits.page_cache_bytes)),
            read_budgets: Arc::new(ReadBudgets::new(pool.clone(), limits.token_reads_per_minute)),
            live_streams: Arc::new(StreamSlots::new(
                limits.live_streams_at_once,
                limits.live_streams_per_partner,
            )),
            limits: Arc::new(limits),
            verified_chains: Arc::default(),
            identity_providers: Arc::default(),
            streaming: Arc::new(streaming),
            checkpoint_key,
        }
    }
}

/// The state provided by the server's router; missing only if the server was wired wrongly.
pub fn app_state() -> Result<AppState, AppError> {
    leptos::prelude::use_context::<AppState>().ok_or_else(|| {
        tracing::error!("AppState missing from the Leptos context");
        AppError::Internal
    })
}
