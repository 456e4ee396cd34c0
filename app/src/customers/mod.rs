//! A customer's Subscriptions page, reached from the Affected customer links.

pub mod api;
pub mod model;
pub mod page;

#[cfg(feature = "ssr")]
pub mod store;
