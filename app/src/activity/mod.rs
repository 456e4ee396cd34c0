//! Account settings → Activity log: the log types, the period and filter rules shared by
//! browser and server, the server function and query, the CSV export, and the page.

pub mod api;
pub mod badge;
pub mod chart;
pub mod download;
pub mod filter;
pub mod local_time;
pub mod model;
pub mod page;
pub mod period;
pub mod view_state;

#[cfg(feature = "ssr")]
pub mod csv_file;
#[cfg(feature = "ssr")]
pub mod export;
#[cfg(feature = "ssr")]
pub mod live;
#[cfg(feature = "ssr")]
pub mod store;

/// The log page's own address; views differ only in the query string.
pub const PAGE_PATH: &str = "/account-settings/activity-log";

/// Where the Export log form posts; served by `export::export_activity_log`.
pub const EXPORT_PATH: &str = "/account-settings/activity-log/export";

/// The live log's stream of new events (server-sent events); served by
/// `live::follow_activity_log`.
pub const LIVE_PATH: &str = "/account-settings/activity-log/live";
