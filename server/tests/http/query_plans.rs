//! The hot queries use their indexes: SQLite's own plan says so (`EXPLAIN QUERY PLAN`), so
//! a schema or query change that falls back to a table scan or a sort fails here; on
//! PostgreSQL, a page's cursor bounds its index scan (`EXPLAIN`).

use app::event_table::period::{
    PAGE_NEWEST_FIRST_POSTGRES_SQL, PAGE_NEWEST_FIRST_SQL, PAGE_OLDEST_FIRST_POSTGRES_SQL,
    PAGE_OLDEST_FIRST_SQL, SLICE_END_NEWEST_FIRST_POSTGRES_SQL, SLICE_END_NEWEST_FIRST_SQL,
    SLICE_END_OLDEST_FIRST_POSTGRES_SQL, SLICE_END_OLDEST_FIRST_SQL,
};
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
        (SLICE_END_NEWEST_FIRST_SQL, "2026-11-25T00:00:00Z"),
        (SLICE_END_OLDEST_FIRST_SQL, "2026-10-25T00:00:00Z"),
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
        if sql.starts_with("SELECT e.occurred_at, e.id") {
            // Where an export's slice ends is found from the index alone, row after row
            // skipped without reading the table.
            assert!(
                page.iter()
                    .any(|line| line.contains("USING COVERING INDEX activity_events_by_partner_time")),
                "the slice's end from the index alone: {page:#?}"
            );
        }
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

/// On PostgreSQL a page deep into a period starts its index scan at the cursor: the bound is
/// in the scan's Index Cond, not a Filter over every newer row (which made an export of a
/// million rows read the range from its end once per 2,000-row page: 10,800 rows/s); the
/// index's order is the page's (no sort), and a slice's end is found from the index alone
/// (without the id in the index it read each slice's rows from the table twice).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_pages_start_their_index_scan_at_the_cursor() {
    let url = crate::support::fresh_postgres_database().await;
    let app::db::Db::Postgres(pool) = app::db::connect(app::db::Database::Postgres(url)).await.unwrap()
    else {
        unreachable!("a postgres:// URL is PostgreSQL")
    };
    let db = app::db::Db::Postgres(pool.clone());
    server::demo::seed_demo(
        &db,
        &server::demo::DemoOptions {
            seed: crate::support::DEMO_SEED,
            events: crate::support::DEMO_EVENTS,
            now: crate::support::demo_now(),
        },
    )
    .await
    .unwrap();
    let mut conn = pool.acquire().await.unwrap();
    // A small table would be read whole whatever the query; this asks how the index is used.
    sqlx::query("SET enable_seqscan = off")
        .execute(&mut *conn)
        .await
        .unwrap();
    for (sql, cursor) in [
        (PAGE_NEWEST_FIRST_POSTGRES_SQL, "ROW(occurred_at, id) < ROW("),
        (PAGE_OLDEST_FIRST_POSTGRES_SQL, "ROW(occurred_at, id) > ROW("),
        (SLICE_END_NEWEST_FIRST_POSTGRES_SQL, "ROW(occurred_at, id) < ROW("),
        (SLICE_END_OLDEST_FIRST_POSTGRES_SQL, "ROW(occurred_at, id) > ROW("),
    ] {
        let plan: Vec<String> = sqlx::query_scalar(Box::leak(format!("EXPLAIN {sql}").into_boxed_str()))
            .bind(1_i64)
            .bind("2026-10-01T00:00:00Z")
            .bind("2026-12-01T00:00:00Z")
            .bind("2026-11-10T00:00:00Z")
            .bind(1000_i64)
            .bind(i64::MAX)
            .bind(2000_i64)
            .fetch_all(&mut *conn)
            .await
            .unwrap();
        let index_cond = plan
            .iter()
            .find(|line| line.contains("Index Cond") && line.contains("occurred_at"))
            .unwrap_or_else(|| panic!("an index scan on the time index: {plan:#?}"));
        assert!(
            index_cond.contains(cursor),
            "the cursor ({cursor}…) bounds the scan: {plan:#?}"
        );
        assert!(
            !plan.iter().any(|line| line.contains("Sort")),
            "the index's order is the page's, no sort: {plan:#?}"
        );
        if sql.starts_with("SELECT e.occurred_at, e.id") {
            assert!(
                plan.iter().any(|line| line.contains("Index Only Scan")
                    && line.contains("activity_events_by_partner_time")),
                "the slice's end from the index alone: {plan:#?}"
            );
        }
    }
}
