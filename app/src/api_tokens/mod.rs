//! Account settings → API tokens: a Global admin creates, lists and revokes the tokens that
//! let the partner's own systems send events to the ingest endpoint.

pub mod api;
pub mod model;
pub mod page;

#[cfg(feature = "ssr")]
pub mod store;
