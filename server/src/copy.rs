//! `server copy --to postgres://…`: moves a whole SQLite database up to PostgreSQL, every
//! row with its id (so chains, checkpoints, sessions and links between rows stay as they
//! are), in one transaction: the target ends up a copy or unchanged.

use futures::TryStreamExt;
use sqlx::postgres::PgArguments;
use sqlx::{Arguments, PgPool, Row, SqlitePool};

/// Every table, parents before the rows that refer to them. A table missing here makes the
/// copy stop rather than leave it behind.
const TABLES: &[&str] = &[
    "partners",
    "partner_users",
    "customers",
    "subscriptions",
    "activity_events",
    "chain_checkpoints",
    "sessions",
    "app_meta",
    "api_tokens",
    "user_preferences",
    "sign_in_failures",
    "token_read_budgets",
    "identity_providers",
    "identity_provider_domains",
    "provider_sign_ins",
    "stream_destinations",
    "merkle_trees",
    "merkle_tiles",
    "integrity_audits",
];

/// Rows per INSERT: PostgreSQL takes at most 65,535 parameters in one statement.
const ROWS_PER_INSERT: usize = 1000;

#[derive(Debug, thiserror::Error)]
pub enum CopyError {
    #[error("the target already holds data (table {0}); copy only fills an empty database")]
    NotEmpty(String),
    #[error("the source has a table this version does not know: {0}")]
    UnknownTable(String),
    #[error("{table}.{column} has a type the copy does not know: {kind}")]
    UnknownType {
        table: String,
        column: String,
        kind: String,
    },
    #[error(transparent)]
    Database(#[from] sqlx::Error),
}

/// How many rows each table held; printed as the copy goes when `show_progress`.
pub async fn copy_sqlite_to_postgres(
    source: &SqlitePool,
    target: &PgPool,
    mut progress: impl FnMut(&str, u64, u64),
) -> Result<Vec<(&'static str, u64)>, CopyError> {
    let known: Vec<String> = sqlx::query_scalar(
        "SELECT name FROM sqlite_master WHERE type = 'table'
         AND name NOT LIKE 'sqlite_%' AND name NOT LIKE '_sqlx_%' ORDER BY name",
    )
    .fetch_all(source)
    .await?;
    if let Some(unknown) = known.iter().find(|name| !TABLES.contains(&name.as_str())) {
        return Err(CopyError::UnknownTable(unknown.clone()));
    }
    let mut tx = target.begin().await?;
    for table in TABLES {
        let (any,): (bool,) = sqlx::query_as(&format!("SELECT EXISTS (SELECT 1 FROM \"{table}\")"))
            .fetch_one(&mut *tx)
            .await?;
        if any {
            return Err(CopyError::NotEmpty(table.to_string()));
        }
    }
    let mut copied = Vec::new();
    for table in TABLES {
        let columns = columns_of(source, table).await?;
        let (total,): (i64,) = sqlx::query_as(&format!("SELECT COUNT(*) FROM \"{table}\""))
            .fetch_one(source)
            .await?;
        let names = columns
            .iter()
            .map(|(name, _)| format!("\"{name}\""))
            .collect::<Vec<_>>()
            .join(", ");
        let select = format!("SELECT {names} FROM \"{table}\" ORDER BY rowid");
        let mut rows = sqlx::query(&select).fetch(source);
        let mut batch: Vec<sqlx::sqlite::SqliteRow> = Vec::with_capacity(ROWS_PER_INSERT);
        let mut done = 0u64;
        loop {
            let row = rows.try_next().await?;
            let end = row.is_none();
            batch.extend(row);
            if batch.len() == ROWS_PER_INSERT || (end && !batch.is_empty()) {
                insert_rows(&mut tx, table, &names, &columns, &batch).await?;
                done += batch.len() as u64;
                batch.clear();
                progress(table, done, total.max(0) as u64);
            }
            if end {
                break;
            }
        }
        copied.push((*table, done));
    }
    // New rows continue after the copied ids.
    continue_identities(&mut tx).await?;
    tx.commit().await?;
    Ok(copied)
}

/// Makes every identity column's next id follow the largest one stored: rows written with
/// their own ids (a copy, the demo seed) leave the sequences behind.
pub(crate) async fn continue_identities(conn: &mut sqlx::PgConnection) -> Result<(), sqlx::Error> {
    let identities: Vec<String> = sqlx::query_scalar(
        "SELECT table_name::text FROM information_schema.columns
         WHERE table_schema = current_schema() AND column_name = 'id' AND is_identity = 'YES'",
    )
    .fetch_all(&mut *conn)
    .await?;
    for table in identities {
        sqlx::query(&format!(
            "SELECT setval(pg_get_serial_sequence('\"{table}\"', 'id'),
                           (SELECT COALESCE(MAX(id), 0) + 1 FROM \"{table}\"), false)"
        ))
        .execute(&mut *conn)
        .await?;
    }
    Ok(())
}

/// A column's value as SQLite holds it: the schema has INTEGER, TEXT and BLOB columns.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Integer,
    Text,
    Blob,
}

async fn columns_of(source: &SqlitePool, table: &str) -> Result<Vec<(String, Kind)>, CopyError> {
    let columns: Vec<(String, String)> =
        sqlx::query_as("SELECT name, type FROM pragma_table_info($1) ORDER BY cid")
            .bind(table)
            .fetch_all(source)
            .await?;
    columns
        .into_iter()
        .map(|(name, kind)| match kind.as_str() {
            "INTEGER" => Ok((name, Kind::Integer)),
            "TEXT" => Ok((name, Kind::Text)),
            "BLOB" => Ok((name, Kind::Blob)),
            _ => Err(CopyError::UnknownType {
                table: table.to_string(),
                column: name,
                kind,
            }),
        })
        .collect()
}

async fn insert_rows(
    tx: &mut sqlx::PgConnection,
    table: &str,
    names: &str,
    columns: &[(String, Kind)],
    rows: &[sqlx::sqlite::SqliteRow],
) -> Result<(), sqlx::Error> {
    let mut arguments = PgArguments::default();
    let mut tuples = Vec::with_capacity(rows.len());
    let mut index = 0;
    for row in rows {
        let mut places = Vec::with_capacity(columns.len());
        for (at, (_, kind)) in columns.iter().enumerate() {
            match kind {
                Kind::Integer => arguments.add(row.try_get::<Option<i64>, _>(at)?),
                Kind::Text => arguments.add(row.try_get::<Option<String>, _>(at)?),
                Kind::Blob => arguments.add(row.try_get::<Option<Vec<u8>>, _>(at)?),
            }
            .map_err(sqlx::Error::Encode)?;
            index += 1;
            places.push(format!("${index}"));
        }
        tuples.push(format!("({})", places.join(", ")));
    }
    let sql = format!("INSERT INTO \"{table}\" ({names}) VALUES {}", tuples.join(", "));
    sqlx::query_with(&sql, arguments).execute(&mut *tx).await?;
    Ok(())
}
