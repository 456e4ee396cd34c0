//! The event types every area shares: what was done ([`ActionKind`], [`ActionDetails`]),
//! an event as shown ([`ActivityEntry`]) and as about to be stored ([`NewEvent`]). Activity,
//! ingest, integrity, customers, import and the demo all build on these; nothing here
//! imports from them, so the folders above point down to this one.

mod action;
mod entry;

pub use action::{ActionDetails, ActionKind, OrderLine};
#[cfg(test)]
pub(crate) use entry::sample_order;
pub use entry::{ActivityEntry, CustomerRef, EventTexts, NewEvent};
