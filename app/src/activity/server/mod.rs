//! What only the server runs of the activity log: the queries the page's server functions
//! make (`store`), the export download (`export`, with its CSV writer) and the live log's
//! stream (`live`). The server functions themselves are in `activity::api`, compiled on both
//! sides (the browser's half calls them).

pub mod export;
pub mod live;
pub mod store;
