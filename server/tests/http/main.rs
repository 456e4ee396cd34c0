//! Integration tests: the real server on a free port, a real SQLite file per test (or, with
//! ALOG_TEST_BACKEND=postgres, a PostgreSQL database per test: see support::on_postgres).

mod abuse;
mod access;
mod access_matrix;
mod activity;
mod bad_input;
mod commands;
mod connections;
mod customers;
mod demo;
mod durability;
mod evidence;
mod excel;
mod export;
mod export_proofs;
mod import;
mod ingest;
mod integrity;
mod live;
mod operations;
mod outage;
mod postgres_commands;
mod postgres_schema;
mod preferences;
mod proofs;
mod query_plans;
mod read_api;
mod replicas;
mod security;
mod shutdown;
mod sso;
mod streaming;
mod support;
