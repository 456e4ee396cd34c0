//! `GET /api/v1/events`: the partner's own systems (a SIEM, a data warehouse) read its log
//! with an API token that has the `events:read` scope, page by page.
//!
//! Events come in the order they were stored (their chain position), newest or oldest
//! first. A page's `next` cursor (and each event's own `cursor`) resumes right after it, so a
//! consumer that keeps the last cursor and polls oldest-first gets every event once, however
//! many are stored meanwhile: positions are given out under the chain's lock and committed
//! in order, so no event can appear later behind a cursor already handed out.

pub mod handler;
pub mod proofs;
pub mod request;
pub mod store;
pub mod tiles;
pub mod with_proofs;

/// Where the read API is served (the same path as ingest, with GET).
pub use crate::ingest::INGEST_PATH as EVENTS_PATH;
/// Most events one page holds, and how many when `limit` is not given.
pub const MAX_LIMIT: usize = 1000;
pub const DEFAULT_LIMIT: usize = 100;
/// Most stored events one read looks at for a filter: a filter that matches little answers
/// a short (even empty) page with `next` rather than scanning the whole log in one request.
pub const MAX_SCANNED: usize = 20_000;
