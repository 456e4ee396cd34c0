//! The demo seeder: deterministic, and holding what the demo promises.

use server::demo::{DemoOptions, SeedError, seed_demo};

use crate::support::demo_now;

async fn dump(seed: u64) -> Vec<(String, i64, String, String)> {
    let dir = tempfile::tempdir().unwrap();
    let pool = app::db::connect(&dir.path().join("demo.sqlite")).await.unwrap();
    seed_demo(
        &pool,
        &DemoOptions {
            seed,
            events: 400,
            now: demo_now(),
        },
    )
    .await
    .unwrap();
    app::db::on_db!(&pool, |pool| sqlx::query_as(
        "SELECT occurred_at, customer_id, action_kind, details FROM activity_events ORDER BY id"
    )
    .fetch_all(pool)
    .await)
    .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_same_seed_gives_the_same_events() {
    let first = dump(11).await;
    assert_eq!(first.len(), 400);
    assert_eq!(first, dump(11).await);
    assert_ne!(first, dump(12).await);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_demo_spans_thirteen_months_with_every_kind_of_action() {
    let dir = tempfile::tempdir().unwrap();
    let pool = app::db::connect(&dir.path().join("demo.sqlite")).await.unwrap();
    let now = demo_now();
    let summary = seed_demo(
        &pool,
        &DemoOptions {
            seed: 3,
            events: 3000,
            now,
        },
    )
    .await
    .unwrap();
    assert_eq!(
        (summary.partners, summary.users, summary.customers, summary.events),
        (2, 8, 16, 3000)
    );
    let (oldest, newest): (String, String) = app::db::on_db!(&pool, |pool| sqlx::query_as(
        "SELECT MIN(occurred_at), MAX(occurred_at) FROM activity_events"
    )
    .fetch_one(pool)
    .await)
    .unwrap();
    let oldest = chrono::DateTime::parse_from_rfc3339(&oldest).unwrap().to_utc();
    let newest = chrono::DateTime::parse_from_rfc3339(&newest).unwrap().to_utc();
    assert!((now - oldest).num_days() >= 390 && (now - oldest).num_days() <= 395);
    assert!(newest <= now);
    let kinds: Vec<(String,)> = app::db::on_db!(&pool, |pool| sqlx::query_as(
        "SELECT DISTINCT action_kind FROM activity_events"
    )
    .fetch_all(pool)
    .await)
    .unwrap();
    // Every kind of action except exports and streaming changes, which only real exports
    // and Global admins' changes record.
    assert_eq!(kinds.len(), app::events::ActionKind::ALL.len() - 2);
    assert!(
        !kinds
            .iter()
            .any(|(kind,)| kind == "exported_activity_log" || kind == "changed_log_streaming")
    );

    let again = seed_demo(
        &pool,
        &DemoOptions {
            seed: 3,
            events: 10,
            now,
        },
    )
    .await;
    assert!(matches!(again, Err(SeedError::NotEmpty)), "never seeds over data");
}
