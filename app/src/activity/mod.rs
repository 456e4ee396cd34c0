//! Account settings → Activity log. What runs where:
//! - shared by the server and the browser: `period` (From/To days and UTC instants), `view`
//!   (the view in the URL: sort, columns, zone, open rows), `filter` (the filter language),
//!   `wire` (every request and answer that crosses the network outside server functions),
//!   and `api` (the server functions: the macro makes the browser's call and the server's body);
//! - the page (rendered on the server, then run in the browser): `page`;
//! - the server only (`ssr`): `server` (the page's queries, the export, the live stream).

pub mod api;
pub mod filter;
pub mod page;
pub mod period;
pub mod view;
pub mod wire;

#[cfg(feature = "ssr")]
pub mod server;

/// The log page's own address; views differ only in the query string.
pub const PAGE_PATH: &str = "/account-settings/activity-log";

/// Where the Export log form posts; served by `server::export::export_activity_log`.
pub const EXPORT_PATH: &str = "/account-settings/activity-log/export";

/// The live log's stream of new events (server-sent events); served by
/// `server::live::follow_activity_log`.
pub const LIVE_PATH: &str = "/account-settings/activity-log/live";
