//! The server binary's library: the subcommands, settings, start-up and demo data. `main.rs`
//! only parses the command line and calls into here, so the tests start exactly what
//! `server serve` starts.

pub mod check_evidence;
pub mod commands;
pub mod config;
pub mod connections;
pub mod copy;
pub mod demo;
pub mod files;
pub mod health;
pub mod import;
pub mod metrics;
pub mod monitor;
pub mod request_id;
pub mod security;
pub mod startup;
