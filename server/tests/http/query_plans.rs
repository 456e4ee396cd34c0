//! The hot queries use their indexes: SQLite's own plan says so (`EXPLAIN QUERY PLAN`), so
//! a schema or query change that falls back to a table scan or a sort fails here.

use app::activity::store::{PAGE_NEWEST_FIRST_SQL, PAGE_OLDEST_FIRST_SQL};
use sqlx::SqlitePool;

use crate::support::spawn_app;

/// The plan's lines, e.g. "SEARCH e USING INDEX activity_events_by_partner_time (...)".
async fn plan(pool: &SqlitePool, sql: &str, binds: &[&str]) -> Vec<String> {
    let mut query = sqlx::query_as::<_, (i64, i64, i64, String)>(Box::leak(
        format!("EXPLAIN QUERY PLAN {sql}").into_boxed_str(),
    ));
    for bind in binds {
        query = query.bind(*bind);
    }
    query
        .fetch_all(pool)
        .await
        .unwrap()
        .into_iter()
        .map(|(_, _, _, detail)| detail)
        .collect()
}

fn assert_uses(plan: &[String], index: &str) {
    assert!(
        plan.iter()
            .any(|line| line.contains(&format!("USING INDEX {index}"))
                || line.contains(&format!("USING COVERING INDEX {index}"))),
        "expected {index} in {plan:#?}"
    );
    assert!(
        !plan.iter().any(|line| line.contains("TEMP B-TREE")),
        "no sort outside the index: {plan:#?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_hot_queries_use_their_indexes() {
    let app = spawn_app().await;
    let app::db::Db::Sqlite(db) = &app.db else {
        return; // SQLite's planner only (the PostgreSQL run has its own indexes test)
    };
    let range = ["1", "2026-10-25T00:00:00Z", "2026-11-25T00:00:00Z"];
    // The page's and the export's reads, both orders.
    for (sql, start) in [
        (PAGE_NEWEST_FIRST_SQL, "2026-11-25T00:00:00Z"),
        (PAGE_OLDEST_FIRST_SQL, "2026-10-25T00:00:00Z"),
    ] {
        let page = plan(
            db,
            sql,
            &[
                range[0],
                range[1],
                range[2],
                start,
                "0",
                "9223372036854775807",
                "5000",
            ],
        )
        .await;
        assert_uses(&page, "activity_events_by_partner_time");
    }

    let walk = plan(
        db,
        "SELECT id, details FROM activity_events WHERE partner_id = $1 AND chain_seq IS NOT NULL ORDER BY chain_seq",
        &["1"],
    )
    .await;
    assert_uses(&walk, "activity_events_by_chain");
    let head = plan(
        db,
        "SELECT chain_seq, event_hash FROM activity_events WHERE partner_id = $1 AND chain_seq IS NOT NULL ORDER BY chain_seq DESC LIMIT 1",
        &["1"],
    )
    .await;
    assert_uses(&head, "activity_events_by_chain");
    let duplicate = plan(
        db,
        "SELECT details FROM activity_events WHERE partner_id = $1 AND external_id = $2",
        &["1", "crm-1"],
    )
    .await;
    assert_uses(&duplicate, "activity_events_by_external_id");
}
