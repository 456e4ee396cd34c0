//! The command line on PostgreSQL: `copy` moves a SQLite demo database up whole (ids, chains,
//! checkpoints, accounts), `verify` on the copy says intact, and nothing is seeded or
//! overwritten unasked.

use std::process::Output;

use app::db::{Database, Db};

use crate::support::{fresh_postgres_database, server_command, start_server};

fn text(output: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    )
}

/// Each table's rows as text, in id order: equal on both sides means an exact copy.
async fn table_dump(db: &Db) -> Vec<String> {
    let mut dump = Vec::new();
    for sql in [
        "SELECT CAST(id AS TEXT) || '|' || name || '|' || domain FROM partners ORDER BY id",
        "SELECT CAST(id AS TEXT) || '|' || email || '|' || role || '|' || password_hash FROM partner_users ORDER BY id",
        "SELECT CAST(id AS TEXT) || '|' || company_name FROM customers ORDER BY id",
        "SELECT id || '|' || CAST(quantity AS TEXT) || '|' || start_date FROM subscriptions ORDER BY id",
        "SELECT CAST(id AS TEXT) || '|' || CAST(chain_seq AS TEXT) || '|' || event_hash || '|' || details
         FROM activity_events ORDER BY id",
        "SELECT CAST(id AS TEXT) || '|' || CAST(chain_seq AS TEXT) || '|' || signature FROM chain_checkpoints ORDER BY id",
        "SELECT key || '|' || value FROM app_meta ORDER BY key",
    ] {
        let rows: Vec<String> =
            app::db::on_db!(db, |pool| sqlx::query_scalar(sql).fetch_all(pool).await).unwrap();
        dump.push(format!("{sql}\n{}", rows.join("\n")));
    }
    dump
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn copy_moves_a_sqlite_database_up_whole_and_refuses_a_used_target() {
    let dir = tempfile::tempdir().unwrap();
    let (sqlite, key) = (dir.path().join("demo.sqlite"), dir.path().join("signing.key"));
    let url = fresh_postgres_database().await;

    // `serve --demo` seeds a SQLite file but never a PostgreSQL database.
    let refused = server_command(&url, &key)
        .args(["serve", "--demo", "--create-key"])
        .output()
        .unwrap();
    assert!(!refused.status.success());
    assert!(
        text(&refused).contains("never seeds a PostgreSQL database"),
        "{}",
        text(&refused)
    );

    let seeded = server_command(&sqlite, &key)
        .args(["seed-demo", "--events", "2500"])
        .output()
        .unwrap();
    assert!(seeded.status.success(), "{}", text(&seeded));
    let made = server_command(&sqlite, &key).arg("keygen").output().unwrap();
    assert!(made.status.success(), "{}", text(&made));
    let signed = server_command(&sqlite, &key).arg("checkpoint").output().unwrap();
    assert!(signed.status.success(), "{}", text(&signed));

    let copied = server_command(&sqlite, &key)
        .args(["copy", "--to", &url])
        .output()
        .unwrap();
    assert!(copied.status.success(), "{}", text(&copied));
    assert!(
        text(&copied).contains("activity_events: 2500 of 2500 rows"),
        "progress: {}",
        text(&copied)
    );
    assert!(!text(&copied).contains("password"), "no secret in the output");

    let source = app::db::connect(&sqlite).await.unwrap();
    let target = app::db::connect(Database::Postgres(url.clone())).await.unwrap();
    assert_eq!(
        table_dump(&source).await,
        table_dump(&target).await,
        "an exact copy"
    );

    // verify on the copy: every chain intact, under the same key.
    let verified = server_command(&url, &key).arg("verify").output().unwrap();
    assert!(verified.status.success(), "{}", text(&verified));
    assert_eq!(
        text(&verified).matches("intact").count(),
        2,
        "{}",
        text(&verified)
    );

    // A used target is refused, and so is seeding it; the data stays as it was.
    let again = server_command(&sqlite, &key)
        .args(["copy", "--to", &url])
        .output()
        .unwrap();
    assert!(!again.status.success());
    assert!(text(&again).contains("already holds data"), "{}", text(&again));
    let reseed = server_command(&url, &key).arg("seed-demo").output().unwrap();
    assert!(!reseed.status.success());
    assert!(text(&reseed).contains("already holds data"), "{}", text(&reseed));
    assert_eq!(table_dump(&source).await, table_dump(&target).await, "unchanged");

    // New rows continue after the copied ids: the app runs on the copy and ingests.
    let mut server = start_server(&url, &key);
    let (_, token) = app::api_tokens::store::create(
        &target,
        app::ids::PartnerId(1),
        app::ids::UserId(1),
        "After copy",
        &[app::api_tokens::model::TokenScope::WriteEvents],
    )
    .await
    .unwrap();
    let response = reqwest::Client::new()
        .post(format!("{}/api/v1/events", server.url))
        .bearer_auth(token)
        .json(&serde_json::json!({"events": [{
            "id": "after-copy-1",
            "occurred_at": "2026-11-20T09:15:00Z",
            "customer_id": 1,
            "partner_user": "sales.agent@contoso.example",
            "action": "reset_user_password",
            "details": {"type": "password_reset", "user_principal_name": "x@customer.example"}
        }]}))
        .send()
        .await
        .unwrap();
    assert_eq!(
        response.status(),
        reqwest::StatusCode::OK,
        "{:?}",
        response.text().await
    );
    // import on PostgreSQL, with the database named by DATABASE_URL alone.
    let file = dir.path().join("more.ndjson");
    std::fs::write(
        &file,
        r#"{"id": "imported-1", "occurred_at": "2026-11-21T10:00:00Z", "customer_id": 2, "partner_user": "sales.agent@contoso.example", "action": "reset_user_password", "details": {"type": "password_reset", "user_principal_name": "y@customer.example"}}
"#,
    )
    .unwrap();
    let imported = std::process::Command::new(env!("CARGO_BIN_EXE_server"))
        .current_dir(concat!(env!("CARGO_MANIFEST_DIR"), "/.."))
        .env("DATABASE_URL", &url)
        .args([
            "--signing-key",
            key.to_str().unwrap(),
            "import",
            file.to_str().unwrap(),
        ])
        .args(["--partner", "contoso.example"])
        .output()
        .unwrap();
    assert!(imported.status.success(), "{}", text(&imported));
    let stored: i64 = app::db::on_db!(&target, |pool| {
        sqlx::query_scalar(
            "SELECT COUNT(*) FROM activity_events WHERE external_id IN ('after-copy-1', 'imported-1')",
        )
        .fetch_one(pool)
        .await
    })
    .unwrap();
    assert_eq!(stored, 2, "the ingested and the imported event are on PostgreSQL");
    let checkpoint = server_command(&url, &key).arg("checkpoint").output().unwrap();
    assert!(checkpoint.status.success(), "{}", text(&checkpoint));
    let verified = server_command(&url, &key).arg("verify").output().unwrap();
    assert!(verified.status.success(), "{}", text(&verified));
    let _ = server.child.kill();
    let _ = server.child.wait();
    source.close().await;
    target.close().await;
}
