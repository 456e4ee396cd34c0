//! Big reads from a SQLite file on a blocking thread, through a read-only connection of their
//! own (rusqlite, linking the same libsqlite3 as sqlx). sqlx hands each row from its worker
//! thread to the async task over a channel, one wake-up per row: a 5,000-row page read that
//! way spent more time switching threads than in SQLite (BENCHMARKS.md, issue 14). The
//! connection lives for one call: no statement and no read transaction outlast it.

use std::time::Duration;

use rusqlite::{Connection, OpenFlags};
use sqlx::SqlitePool;

use crate::errors::AppError;

/// Runs `read` on a blocking thread with a read-only connection to `pool`'s file.
pub async fn read<T, F>(pool: &SqlitePool, read: F) -> Result<T, AppError>
where
    T: Send + 'static,
    F: FnOnce(&Connection) -> rusqlite::Result<T> + Send + 'static,
{
    let path = pool.connect_options().get_filename().to_path_buf();
    let work = move || {
        let connection = Connection::open_with_flags(
            &path,
            OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX,
        )?;
        // As the pool's connections do: wait for a writer's lock rather than fail at once.
        connection.busy_timeout(Duration::from_secs(5))?;
        // These reads go through their rows once: a small page cache (256 KiB, not the
        // default 2 MiB) holds the index's upper pages, the OS caches the file, and three
        // export slices at once stay well inside the export's memory bound (BENCHMARKS.md).
        connection.pragma_update(None, "cache_size", -256)?;
        read(&connection)
    };
    match tokio::task::spawn_blocking(work).await {
        Ok(Ok(value)) => Ok(value),
        Ok(Err(error)) => {
            tracing::error!(%error, "reading from SQLite failed");
            Err(AppError::Internal)
        }
        Err(error) => {
            tracing::error!(%error, "the SQLite reader stopped");
            Err(AppError::Internal)
        }
    }
}
