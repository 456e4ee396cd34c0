//! Big reads from a SQLite file on a blocking thread, through a read-only connection of their
//! own (rusqlite, linking the same libsqlite3 as sqlx). sqlx hands each row from its worker
//! thread to the async task over a channel, one wake-up per row: a 5,000-row page read that
//! way spends more time switching threads than in SQLite.
//!
//! Each blocking thread keeps its connection between reads: opening one per read (reading the
//! schema) and parsing each statement again would cost a million-row export of 2,000-row
//! slices about 7 % of its CPU. Between reads the connection holds no statement that is
//! running and so no read transaction; it closes when tokio ends its idle thread.

use std::cell::RefCell;
use std::path::{Path, PathBuf};
use std::time::Duration;

use rusqlite::{Connection, OpenFlags};
use sqlx::SqlitePool;

use crate::errors::AppError;

thread_local! {
    /// This thread's read-only connection, and the file it reads.
    static READER: RefCell<Option<(PathBuf, Connection)>> = const { RefCell::new(None) };
}

/// Runs `read` on a blocking thread with a read-only connection to `pool`'s file. Prepare
/// statements with `prepare_cached`: the connection outlives the read.
pub async fn read<T, F>(pool: &SqlitePool, read: F) -> Result<T, AppError>
where
    T: Send + 'static,
    F: FnOnce(&Connection) -> rusqlite::Result<T> + Send + 'static,
{
    let path = pool.connect_options().get_filename().to_path_buf();
    let work = move || {
        READER.with(|reader| {
            let mut reader = reader.borrow_mut();
            if reader.as_ref().is_none_or(|(file, _)| *file != path) {
                // The old connection (if any) is closed before the new one opens.
                *reader = None;
                *reader = Some((path.clone(), open(&path)?));
            }
            let (_, connection) = reader.as_ref().expect("a connection was just opened");
            read(connection)
        })
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

fn open(path: &Path) -> rusqlite::Result<Connection> {
    let connection = Connection::open_with_flags(
        path,
        OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )?;
    // As the pool's connections do: wait for a writer's lock rather than fail at once.
    connection.busy_timeout(Duration::from_secs(5))?;
    // These reads go through their rows once: a small page cache (256 KiB, not the default
    // 2 MiB) holds the index's upper pages, the OS caches the file, and three export slices
    // at once stay well inside the export's memory bound.
    connection.pragma_update(None, "cache_size", -256)?;
    Ok(connection)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::db::Db;

    async fn count_rows(pool: &SqlitePool) -> i64 {
        read(pool, |connection| {
            connection
                .prepare_cached("SELECT count(*) FROM kept")?
                .query_row([], |row| row.get(0))
        })
        .await
        .unwrap()
    }

    /// A connection kept between reads must see what was written since, and must hold no
    /// read transaction while idle (or the WAL could never be checkpointed).
    #[tokio::test]
    async fn a_kept_connection_sees_new_rows_and_holds_no_snapshot_between_reads() {
        let dir = tempfile::tempdir().unwrap();
        let Db::Sqlite(pool) = crate::db::connect(&dir.path().join("reads.sqlite"))
            .await
            .unwrap()
        else {
            panic!("a file path opens SQLite")
        };
        sqlx::query("CREATE TABLE kept (x INTEGER)")
            .execute(&pool)
            .await
            .unwrap();
        assert_eq!(count_rows(&pool).await, 0);
        sqlx::query("INSERT INTO kept VALUES (1), (2)")
            .execute(&pool)
            .await
            .unwrap();
        assert_eq!(count_rows(&pool).await, 2);

        let (busy, _, _): (i64, i64, i64) = sqlx::query_as("PRAGMA wal_checkpoint(TRUNCATE)")
            .fetch_one(&pool)
            .await
            .unwrap();
        assert_eq!(busy, 0, "an idle reader held the WAL");
        sqlx::query("INSERT INTO kept VALUES (3)")
            .execute(&pool)
            .await
            .unwrap();
        assert_eq!(count_rows(&pool).await, 3);
    }
}
