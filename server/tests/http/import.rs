//! `server import` and `server verify`, run as the real binary: the export's CSV reads back
//! into the same rows, NDJSON lines are checked one by one, and the chains verify.

use std::path::Path;
use std::process::Output;

use app::activity::period::UtcRange;
use app::activity::server::export::csv::write_activity_csv;
use app::activity::server::store::events_in_range;
use app::activity::view::{Column, columns_text};
use chrono::Duration;
use reqwest::StatusCode;

use crate::support::{rfc3339, server_command, spawn_app};

fn server(db: &Path, key: &Path, args: &[&str]) -> Output {
    server_command(db, key).args(args).output().unwrap()
}

fn stdout(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).to_string()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_exported_csv_imports_back_into_the_same_rows() {
    let app = spawn_app().await;
    let (from, to) = (app.now - Duration::days(366), app.now + Duration::hours(1));
    let viewer = app.signed_in("global.admin@contoso.example").await;
    let fields = [
        ("from", rfc3339(from)),
        ("to", rfc3339(to)),
        ("from_date", "2025-11-25".to_string()),
        ("to_date", "2026-11-25".to_string()),
        // Every column, as `write_activity_csv` writes them below.
        ("columns", columns_text(&Column::ALL)),
    ];
    let fields: Vec<(&str, &str)> = fields.iter().map(|(key, value)| (*key, value.as_str())).collect();
    let response = app.export(&viewer, &fields).await;
    assert_eq!(response.status(), StatusCode::OK);
    let exported = response.bytes().await.unwrap();
    let rows = exported.iter().filter(|byte| **byte == b'\n').count() - 1;
    assert!(rows > 1000, "a year of Contoso's demo events: {rows}");

    // Another database with the same partners, users and customers, and no events.
    let dir = tempfile::tempdir().unwrap();
    let (csv_path, db, key) = (
        dir.path().join("log.csv"),
        dir.path().join("b.sqlite"),
        dir.path().join("k"),
    );
    std::fs::write(&csv_path, &exported).unwrap();
    app::db::on_db!(&app.db, |pool| sqlx::query("VACUUM INTO $1")
        .bind(db.to_str().unwrap())
        .execute(pool)
        .await
        .map(|done| done.rows_affected()))
    .unwrap();
    {
        let pool = app::db::connect(&db).await.unwrap();
        app::db::on_db!(&pool, |pool| sqlx::query(
            "DELETE FROM activity_events; DELETE FROM chain_checkpoints;"
        )
        .execute(pool)
        .await
        .map(|done| done.rows_affected()))
        .unwrap();
        pool.close().await;
    }

    let import = [
        "import",
        csv_path.to_str().unwrap(),
        "--partner",
        "contoso.example",
    ];
    let first = server(&db, &key, &import);
    assert!(first.status.success(), "{first:?}");
    assert!(
        stdout(&first).contains(&format!(
            "read {rows} · stored {rows} · duplicates 0 · rejected 0"
        )),
        "{}",
        stdout(&first)
    );
    let again = server(&db, &key, &import);
    assert!(
        stdout(&again).contains(&format!(
            "read {rows} · stored 0 · duplicates {rows} · rejected 0"
        )),
        "{}",
        stdout(&again)
    );

    // Written out again, the imported rows give the same file, byte for byte.
    let pool = app::db::connect(&db).await.unwrap();
    let range = UtcRange::parse(&rfc3339(from), &rfc3339(to)).unwrap();
    let entries = events_in_range(&pool, app::ids::PartnerId(1), range)
        .await
        .unwrap();
    let rewritten = write_activity_csv(&entries).unwrap();
    assert!(rewritten == exported.as_ref(), "the round trip changed the file");
    pool.close().await;

    let keygen = server(&db, &key, &["keygen"]);
    assert!(keygen.status.success(), "{keygen:?}");
    let verify = server(&db, &key, &["verify"]);
    assert!(verify.status.success(), "{verify:?}");
    assert!(
        stdout(&verify).contains(&format!("partner 1: intact: {rows} events")),
        "{}",
        stdout(&verify)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ndjson_lines_are_checked_one_by_one_and_refusals_name_their_line() {
    let app = spawn_app().await;
    let dir = tempfile::tempdir().unwrap();
    // The copy's checkpoints were signed with the app's key.
    let (file, db, key) = (
        dir.path().join("events.ndjson"),
        dir.path().join("c.sqlite"),
        app.key_path.clone(),
    );
    app::db::on_db!(&app.db, |pool| sqlx::query("VACUUM INTO $1")
        .bind(db.to_str().unwrap())
        .execute(pool)
        .await
        .map(|done| done.rows_affected()))
    .unwrap();
    let line = |id: &str, customer: i64| {
        serde_json::json!({
            "id": id, "occurred_at": "2026-11-20T09:15:00Z", "customer_id": customer,
            "partner_user": "helpdesk.agent@contoso.example", "action": "reset_user_password",
            "details": {"type": "password_reset", "user_principal_name": "megan@adatum.example"}
        })
        .to_string()
    };
    std::fs::write(
        &file,
        format!(
            "{}\n{}\n{{not json\n\n{}\n",
            line("n-1", 1),
            line("n-2", 999),
            line("n-3", 2)
        ),
    )
    .unwrap();
    let output = server(&db, &key, &["import", file.to_str().unwrap(), "--partner", "1"]);
    assert!(!output.status.success(), "rejected lines make the command fail");
    let text = stdout(&output);
    assert!(
        text.contains("read 4 · stored 2 · duplicates 0 · rejected 2"),
        "{text}"
    );
    assert!(
        text.contains("line 2: customer_id: no customer with id 999"),
        "{text}"
    );
    assert!(text.contains("line 3: not an event"), "{text}");

    let unknown_partner = server(
        &db,
        &key,
        &["import", file.to_str().unwrap(), "--partner", "nobody.example"],
    );
    assert!(String::from_utf8_lossy(&unknown_partner.stderr).contains("no partner with domain or id"));

    // The demo chain plus the two new events verify; editing one row breaks it.
    let verify = server(&db, &key, &["verify", "--partner", "contoso.example"]);
    assert!(verify.status.success(), "{verify:?}");
    let pool = app::db::connect(&db).await.unwrap();
    app::db::on_db!(&pool, |pool| sqlx::query(
        "UPDATE activity_events SET action_text = 'Nothing happened' WHERE external_id = 'n-1'"
    )
    .execute(pool)
    .await
    .map(|done| done.rows_affected()))
    .unwrap();
    pool.close().await;
    let broken = server(&db, &key, &["verify"]);
    assert!(!broken.status.success());
    assert!(
        stdout(&broken).contains("partner 1: broken: edited at event #"),
        "{}",
        stdout(&broken)
    );
    assert!(
        stdout(&broken).contains("partner 2: intact"),
        "{}",
        stdout(&broken)
    );
}
