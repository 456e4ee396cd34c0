//! Signing in and out, sessions, and the role gate.

pub mod api;
pub mod model;
pub mod page;
/// Signing in through the partner's own OpenID provider.
pub mod sso;

#[cfg(feature = "ssr")]
pub mod client_address;
#[cfg(feature = "ssr")]
pub mod session;
#[cfg(feature = "ssr")]
pub mod store;
#[cfg(feature = "ssr")]
pub mod throttle;
