//! Log streaming: the partner's log pushed to where its security team works, as it is stored.
//! Global admins add destinations under Account settings → Log streaming (`page`, `api`):
//! signed webhooks (Standard Webhooks), chat messages, syslog over TLS. Each delivers in
//! chain order from a cursor kept in the database, at least once, one server process at a
//! time (`worker`'s leases); `send` speaks each kind, `guard` keeps destinations out of the
//! server's own networks.

pub mod api;
pub mod model;
pub mod page;

#[cfg(feature = "ssr")]
pub mod check;
#[cfg(feature = "ssr")]
pub mod guard;
#[cfg(feature = "ssr")]
pub mod record;
#[cfg(feature = "ssr")]
pub mod send;
#[cfg(feature = "ssr")]
pub mod sign;
#[cfg(feature = "ssr")]
pub mod status;
#[cfg(feature = "ssr")]
pub mod store;
#[cfg(feature = "ssr")]
pub mod worker;
