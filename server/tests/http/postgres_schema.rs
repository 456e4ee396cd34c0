//! The PostgreSQL schema is SQLite's: after each backend's migrations, a real PostgreSQL
//! server (scripts/with-postgres) and a real SQLite file hold the same tables, columns,
//! nullability and indexes, and every stored time is compared byte-wise ("C" collation), so
//! the same SQL reads the same rows in the same order on both.

use std::collections::BTreeSet;

use app::db::{Database, Db};

type Columns = BTreeSet<(String, String, String, bool)>;

#[tokio::test]
async fn postgres_migrations_make_the_same_schema_as_sqlite() {
    let dir = tempfile::tempdir().unwrap();
    let Db::Sqlite(sqlite) = app::db::connect(&dir.path().join("schema.sqlite")).await.unwrap() else {
        unreachable!("a path is a SQLite file")
    };
    let url = crate::support::fresh_postgres_database().await;
    let Db::Postgres(postgres) = app::db::connect(Database::Postgres(url)).await.unwrap() else {
        unreachable!("a postgres:// URL is PostgreSQL")
    };

    let mut sqlite_columns = Columns::new();
    let tables: Vec<String> = sqlx::query_scalar(
        "SELECT name FROM sqlite_master WHERE type = 'table'
         AND name NOT LIKE 'sqlite_%' AND name NOT LIKE '_sqlx_%' ORDER BY name",
    )
    .fetch_all(&sqlite)
    .await
    .unwrap();
    for table in &tables {
        let columns: Vec<(String, String, bool)> =
            sqlx::query_as("SELECT name, type, \"notnull\" FROM pragma_table_info($1)")
                .bind(table)
                .fetch_all(&sqlite)
                .await
                .unwrap();
        for (column, kind, not_null) in columns {
            let kind = match kind.as_str() {
                "INTEGER" => "integer",
                "TEXT" => "text",
                "BLOB" => "bytes",
                other => panic!("{table}.{column}: unexpected SQLite type {other}"),
            };
            sqlite_columns.insert((table.clone(), column, kind.into(), not_null));
        }
    }

    let rows: Vec<(String, String, String, String, Option<String>)> = sqlx::query_as(
        "SELECT table_name::text, column_name::text, data_type::text, is_nullable::text, collation_name::text
         FROM information_schema.columns WHERE table_schema = 'public'
         AND table_name NOT LIKE '\\_sqlx\\_%'",
    )
    .fetch_all(&postgres)
    .await
    .unwrap();
    let mut postgres_columns = Columns::new();
    for (table, column, kind, nullable, collation) in rows {
        let kind = match kind.as_str() {
            "bigint" => "integer",
            "text" => "text",
            "bytea" => "bytes",
            other => panic!("{table}.{column}: unexpected PostgreSQL type {other}"),
        };
        // Every stored time is compared byte by byte, as in SQLite.
        if column.ends_with("_at") || column == "start_date" {
            assert_eq!(collation.as_deref(), Some("C"), "{table}.{column} sorts as bytes");
        }
        postgres_columns.insert((table, column, kind.into(), nullable == "NO"));
    }

    // Types first; then NOT NULL, leaving out primary keys (NOT NULL in PostgreSQL, implied
    // by SQLite's INTEGER PRIMARY KEY without saying so).
    let without_nullability = |columns: &Columns| -> BTreeSet<(String, String, String)> {
        columns
            .iter()
            .map(|(t, c, k, _)| (t.clone(), c.clone(), k.clone()))
            .collect()
    };
    assert_eq!(
        without_nullability(&postgres_columns),
        without_nullability(&sqlite_columns)
    );
    let primary_keys: BTreeSet<(String, String)> = sqlx::query_as(
        "SELECT tc.table_name::text, kcu.column_name::text FROM information_schema.table_constraints tc
         JOIN information_schema.key_column_usage kcu USING (constraint_schema, constraint_name)
         WHERE tc.table_schema = 'public' AND tc.constraint_type = 'PRIMARY KEY'",
    )
    .fetch_all(&postgres)
    .await
    .unwrap()
    .into_iter()
    .collect();
    let not_null = |columns: &Columns| -> BTreeSet<(String, String)> {
        columns
            .iter()
            .filter(|(t, c, _, not_null)| *not_null && !primary_keys.contains(&(t.clone(), c.clone())))
            .map(|(t, c, _, _)| (t.clone(), c.clone()))
            .collect()
    };
    assert_eq!(
        not_null(&postgres_columns),
        not_null(&sqlite_columns),
        "NOT NULL columns"
    );

    let sqlite_indexes: BTreeSet<String> =
        sqlx::query_scalar("SELECT name FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL")
            .fetch_all(&sqlite)
            .await
            .unwrap()
            .into_iter()
            .collect();
    let postgres_indexes: BTreeSet<String> = sqlx::query_scalar(
        "SELECT indexname::text FROM pg_indexes WHERE schemaname = 'public'
         AND indexname NOT LIKE '%_pkey' AND indexname NOT LIKE '%_key' AND tablename NOT LIKE '\\_sqlx\\_%'",
    )
    .fetch_all(&postgres)
    .await
    .unwrap()
    .into_iter()
    .collect();
    assert_eq!(postgres_indexes, sqlite_indexes, "the same named indexes");
}
