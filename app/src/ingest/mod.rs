//! Events from other systems: `POST /api/v1/events` (a batch, authenticated by an API
//! token) and `server import` read the same event shape and go through the same checks,
//! then the same hash-chained append.

pub mod event;
pub mod handler;

/// Where the ingest endpoint is served.
pub const INGEST_PATH: &str = "/api/v1/events";
/// Most events one batch may hold.
pub const MAX_BATCH_EVENTS: usize = 1000;
/// Largest ingest request body: a full batch of large orders fits with room to spare.
pub const INGEST_BODY_LIMIT_BYTES: usize = 4 * 1024 * 1024;
