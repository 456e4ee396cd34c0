//! Opening the database: one pool for the whole process, migrations at start-up. SQLite is
//! the embedded default (`migrations/sqlite/`); PostgreSQL is the scale-out backend
//! (`migrations/postgres/`, the same schema).
//!
//! [`Db`] is either pool. Each SQL text is written once (`$1` parameters, which both
//! drivers read) and run through [`on_db!`]/[`on_tx!`], which compile the same code for
//! each driver; a `match` on [`Db`] appears only where the SQL must differ.

use std::path::{Path, PathBuf};
use std::str::FromStr;
use std::time::Duration;

use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};
use sqlx::{PgPool, Postgres, Sqlite, SqlitePool, Transaction};

/// Where the data lives: a SQLite file or a PostgreSQL server.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Database {
    SqliteFile(PathBuf),
    /// A `postgres://` URL (it may carry a password: never log it, see [`Database::describe`]).
    Postgres(String),
}

impl Database {
    /// `postgres://…` / `postgresql://…` is PostgreSQL; `sqlite://PATH` or a plain path is
    /// a SQLite file.
    pub fn parse(text: &str) -> Database {
        if text.starts_with("postgres://") || text.starts_with("postgresql://") {
            Database::Postgres(text.to_string())
        } else {
            let path = text.strip_prefix("sqlite://").unwrap_or(text);
            Database::SqliteFile(PathBuf::from(path))
        }
    }

    /// For messages and logs: the file, or the server and database without user or password.
    pub fn describe(&self) -> String {
        match self {
            Database::SqliteFile(path) => path.display().to_string(),
            Database::Postgres(url) => {
                let rest = url.split_once("://").map_or(url.as_str(), |(_, rest)| rest);
                let rest = rest.rsplit_once('@').map_or(rest, |(_, host)| host);
                format!("postgres://{}", rest.split('?').next().unwrap_or(rest))
            }
        }
    }

    pub fn is_postgres(&self) -> bool {
        matches!(self, Database::Postgres(_))
    }
}

impl From<&Path> for Database {
    fn from(path: &Path) -> Database {
        Database::SqliteFile(path.to_path_buf())
    }
}

impl From<&PathBuf> for Database {
    fn from(path: &PathBuf) -> Database {
        Database::SqliteFile(path.clone())
    }
}

impl From<&Database> for Database {
    fn from(database: &Database) -> Database {
        database.clone()
    }
}

/// The process's connection pool, on either backend.
#[derive(Debug, Clone)]
pub enum Db {
    Sqlite(SqlitePool),
    Postgres(PgPool),
}

/// A transaction on either backend; commit it with [`Tx::commit`] (dropped, it rolls back).
#[derive(Debug)]
pub enum Tx {
    Sqlite(Transaction<'static, Sqlite>),
    Postgres(Transaction<'static, Postgres>),
}

/// What a write transaction serialises against: on SQLite every write takes the one
/// database write lock up front (`BEGIN IMMEDIATE`); on PostgreSQL writers of the same kind
/// wait on a transaction-scoped advisory lock, so other partners' writes go on.
#[derive(Debug, Clone, Copy)]
pub enum WriteLock {
    /// One partner's hash chain: appends and checkpoints.
    Chain(crate::ids::PartnerId),
    /// The sign-in failure counts.
    SignInFailures,
}

impl WriteLock {
    /// The two keys of `pg_advisory_xact_lock(int, int)`: a class, then the item.
    fn keys(self) -> (i32, i32) {
        match self {
            // Partner ids beyond i32 share a lock with another partner: slower, still safe.
            WriteLock::Chain(partner) => (0x616c_6f67, partner.0 as i32),
            WriteLock::SignInFailures => (0x616c_6f68, 0),
        }
    }
}

/// `on_db!(db, |pool| …)` runs the body with `pool` bound to the backend's own pool (`&SqlitePool` or `&PgPool`):
/// the body is compiled once per driver. Reached as `crate::db::on_db!` (`app::db::on_db!`
/// from the server); exported under a hidden name because `macro_export` puts it at the root.
#[doc(hidden)]
#[macro_export]
macro_rules! __on_db {
    ($db:expr, |$pool:ident| $body:expr) => {
        match $db {
            $crate::db::Db::Sqlite($pool) => $body,
            $crate::db::Db::Postgres($pool) => $body,
        }
    };
}

/// `on_tx!(tx, |conn| …)`: [`on_db!`] inside a transaction; `conn` is the backend's `&mut …Connection`.
#[doc(hidden)]
#[macro_export]
macro_rules! __on_tx {
    ($tx:expr, |$conn:ident| $body:expr) => {
        match $tx {
            $crate::db::Tx::Sqlite(transaction) => {
                let $conn = &mut **transaction;
                $body
            }
            $crate::db::Tx::Postgres(transaction) => {
                let $conn = &mut **transaction;
                $body
            }
        }
    };
}

pub use crate::{__on_db as on_db, __on_tx as on_tx};

static SQLITE_MIGRATIONS: sqlx::migrate::Migrator = sqlx::migrate!("../migrations/sqlite");
static POSTGRES_MIGRATIONS: sqlx::migrate::Migrator = sqlx::migrate!("../migrations/postgres");

/// Opens the database (creating a SQLite file if needed) and brings its schema up to date.
pub async fn connect(database: impl Into<Database>) -> Result<Db, sqlx::Error> {
    match database.into() {
        Database::SqliteFile(path) => connect_sqlite(&path).await.map(Db::Sqlite),
        Database::Postgres(url) => connect_postgres(&url).await.map(Db::Postgres),
    }
}

async fn connect_sqlite(path: &Path) -> Result<SqlitePool, sqlx::Error> {
    if let Some(parent) = path.parent()
        && !parent.as_os_str().is_empty()
    {
        std::fs::create_dir_all(parent).map_err(sqlx::Error::Io)?;
    }
    let options = SqliteConnectOptions::from_str("sqlite://")?
        .filename(path)
        .create_if_missing(true)
        // WAL lets the page read while an import writes.
        .journal_mode(SqliteJournalMode::Wal)
        // FULL syncs the WAL on every commit, so an ingest batch answered 2xx survives a
        // crash or a power cut, not only a killed process.
        .synchronous(SqliteSynchronous::Full)
        .foreign_keys(true)
        .busy_timeout(Duration::from_secs(5));
    let pool = SqlitePoolOptions::new()
        .max_connections(8)
        .connect_with(options)
        .await?;
    SQLITE_MIGRATIONS.run(&pool).await?;
    Ok(pool)
}

/// Connects to a PostgreSQL database (`postgres://…`) and brings its schema up to date
/// (replicas starting together are fine: sqlx migrates under an advisory lock).
async fn connect_postgres(url: &str) -> Result<PgPool, sqlx::Error> {
    // No statement runs for long (pages and exports read in keyset slices); the timeout
    // keeps a stuck one from holding back vacuum.
    let options = PgConnectOptions::from_str(url)?.options([("statement_timeout", "120s")]);
    let pool = PgPoolOptions::new()
        .max_connections(8)
        // While the server is down (a restart, a failover) a request waits at most this long
        // for a connection, then is answered 503 with Retry-After (`AppError::Unavailable`).
        .acquire_timeout(Duration::from_millis(1500))
        .connect_with(options)
        .await?;
    POSTGRES_MIGRATIONS.run(&pool).await?;
    Ok(pool)
}

impl Db {
    pub fn is_postgres(&self) -> bool {
        matches!(self, Db::Postgres(_))
    }

    /// A plain transaction (reads see one snapshot on PostgreSQL; writes lock as they go).
    pub async fn begin(&self) -> Result<Tx, sqlx::Error> {
        Ok(match self {
            Db::Sqlite(pool) => Tx::Sqlite(pool.begin().await?),
            Db::Postgres(pool) => Tx::Postgres(pool.begin().await?),
        })
    }

    /// A write transaction that holds `lock` until it ends (see [`WriteLock`]).
    pub async fn begin_locked(&self, lock: WriteLock) -> Result<Tx, sqlx::Error> {
        Ok(match self {
            Db::Sqlite(pool) => Tx::Sqlite(pool.begin_with("BEGIN IMMEDIATE").await?),
            Db::Postgres(pool) => {
                let mut tx = pool.begin().await?;
                let (class, item) = lock.keys();
                sqlx::query("SELECT pg_advisory_xact_lock($1, $2)")
                    .bind(class)
                    .bind(item)
                    .execute(&mut *tx)
                    .await?;
                Tx::Postgres(tx)
            }
        })
    }

    /// Whether the database answers and holds every migration this build knows; else why
    /// not, in words that name no server or password (the cause is logged).
    pub async fn readiness(&self) -> Result<(), String> {
        let known = match self {
            Db::Sqlite(_) => &SQLITE_MIGRATIONS,
            Db::Postgres(_) => &POSTGRES_MIGRATIONS,
        };
        let newest_known = known.iter().map(|migration| migration.version).max().unwrap_or(0);
        let applied: Option<i64> = on_db!(self, |pool| sqlx::query_scalar(
            "SELECT MAX(version) FROM _sqlx_migrations WHERE success"
        )
        .fetch_one(pool)
        .await)
        .map_err(|error| {
            tracing::warn!(error = %crate::errors::cause_chain(&error), "readiness: the database did not answer");
            "the database does not answer".to_string()
        })?;
        match applied {
            Some(version) if version >= newest_known => Ok(()),
            _ => Err("the database's schema is older than this build".to_string()),
        }
    }

    /// The pool's connections: (open, idle).
    pub fn connections(&self) -> (u32, u32) {
        on_db!(self, |pool| (pool.size(), pool.num_idle() as u32))
    }

    /// How long getting a connection takes now (the metrics' probe of pool waits).
    pub async fn time_to_connection(&self, within: Duration) -> Option<Duration> {
        let started = std::time::Instant::now();
        let acquired = on_db!(self, |pool| tokio::time::timeout(within, pool.acquire())
            .await
            .is_ok_and(|connection| connection.is_ok()));
        acquired.then(|| started.elapsed())
    }

    pub async fn close(&self) {
        on_db!(self, |pool| pool.close().await)
    }
}

impl Tx {
    pub async fn commit(self) -> Result<(), sqlx::Error> {
        match self {
            Tx::Sqlite(tx) => tx.commit().await,
            Tx::Postgres(tx) => tx.commit().await,
        }
    }
}

/// Whether `error` is PostgreSQL saying "try the transaction again" (serialization failure
/// or deadlock); SQLite's writers queue on one lock and never say it.
pub fn is_retryable(error: &sqlx::Error) -> bool {
    error
        .as_database_error()
        .and_then(|error| error.code())
        .is_some_and(|code| code == "40001" || code == "40P01")
}

/// The one format times are stored in: UTC, whole seconds, so text order is time order.
pub fn to_db_time(time: chrono::DateTime<chrono::Utc>) -> String {
    time.format("%Y-%m-%dT%H:%M:%SZ").to_string()
}

pub fn from_db_time(text: &str) -> Result<chrono::DateTime<chrono::Utc>, sqlx::Error> {
    chrono::DateTime::parse_from_rfc3339(text)
        .map(|time| time.with_timezone(&chrono::Utc))
        .map_err(|error| sqlx::Error::Decode(Box::new(error)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_url_names_the_backend_and_messages_never_show_its_password() {
        let postgres =
            Database::parse("postgres://alog:s3cret@db.internal:5432/activity_log?sslmode=disable");
        assert!(postgres.is_postgres());
        assert_eq!(postgres.describe(), "postgres://db.internal:5432/activity_log");
        assert!(Database::parse("postgresql://db/activity_log").is_postgres());
        for sqlite in ["sqlite://data/log.sqlite", "data/log.sqlite"] {
            assert_eq!(
                Database::parse(sqlite),
                Database::SqliteFile(PathBuf::from("data/log.sqlite"))
            );
        }
    }
}
