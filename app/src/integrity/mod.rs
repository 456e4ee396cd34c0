//! Tamper evidence: every partner's events form a SHA-256 hash chain, and signed
//! checkpoints pin its head. `canonical` defines what is hashed, `chain` appends,
//! `checkpoint` signs, `verify` walks, `verified_chains` remembers the last walk; the
//! activity page shows the result as a badge (`activity::badge`). Beside the chain, `merkle`
//! keeps each partner's RFC 9162 tree as tiles (`tree` stores them) for proofs, and
//! `evidence` packs one event's proof for its customer to keep.

pub mod model;

#[cfg(feature = "ssr")]
pub mod audit;
#[cfg(feature = "ssr")]
pub mod build_trees;
#[cfg(feature = "ssr")]
pub mod canonical;
#[cfg(feature = "ssr")]
pub mod chain;
#[cfg(feature = "ssr")]
pub mod checkpoint;
#[cfg(feature = "ssr")]
pub mod evidence;
#[cfg(feature = "ssr")]
pub mod merkle;
#[cfg(feature = "ssr")]
pub mod signed_checkpoint;
#[cfg(feature = "ssr")]
pub mod store;
#[cfg(feature = "ssr")]
pub mod tree;
#[cfg(feature = "ssr")]
pub mod verified_chains;
#[cfg(feature = "ssr")]
pub mod verify;
