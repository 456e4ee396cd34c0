//! A batch answered 2xx is stored for good: the real server is killed with SIGKILL while
//! 100,000 events stream in, restarted, and every acknowledged event is there exactly once.

use std::process::Command;

use rand::Rng;
use reqwest::StatusCode;
use serde_json::json;

use crate::support::{client, server_command, start_server};

const BATCHES: usize = 200;
const PER_BATCH: usize = 500;

fn batch(index: usize) -> String {
    let events: Vec<_> = (0..PER_BATCH)
        .map(|n| {
            json!({
                "id": format!("d-{index:03}-{n:03}"),
                "occurred_at": format!("2026-11-{:02}T{:02}:{:02}:{:02}Z", 1 + index % 20, n % 24, n % 60, index % 60),
                "customer_id": 1 + (n % 12) as i64,
                "partner_user": "admin.agent@contoso.example",
                "action": "changed_subscription_quantity",
                "details": {"type": "quantity_change", "subscription_id": format!("sub-{n}"), "product": "Microsoft 365 E3", "old_quantity": n, "new_quantity": n + 1}
            })
        })
        .collect();
    json!({ "events": events }).to_string()
}

async fn count_batch(db: &app::db::Db, index: usize) -> (i64, i64) {
    app::db::on_db!(db, |pool| sqlx::query_as(
        "SELECT COUNT(*), COUNT(DISTINCT external_id) FROM activity_events WHERE external_id LIKE $1",
    )
    .bind(format!("d-{index:03}-%"))
    .fetch_one(pool)
    .await)
    .unwrap()
}

async fn send(
    client: &reqwest::Client,
    url: &str,
    token: &str,
    index: usize,
) -> Result<StatusCode, reqwest::Error> {
    let response = client
        .post(format!("{url}/api/v1/events"))
        .bearer_auth(token)
        .header("content-type", "application/json")
        .body(batch(index))
        .send()
        .await?;
    let status = response.status();
    response.bytes().await?;
    Ok(status)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn acknowledged_batches_survive_sigkill_exactly_once() {
    let dir = tempfile::tempdir().unwrap();
    let (db, key) = (dir.path().join("db.sqlite"), dir.path().join("signing.key"));
    let mut server = start_server(&db, &key);
    let pool = app::db::connect(&db).await.unwrap();
    let (_, token) = app::api_tokens::store::create(
        &pool,
        app::ids::PartnerId(1),
        app::ids::UserId(1),
        "Load generator",
        &[app::api_tokens::model::TokenScope::WriteEvents],
    )
    .await
    .unwrap();
    let client = client();

    // Kill somewhere in the middle, while the next batch is on its way.
    let kill_after = rand::thread_rng().gen_range(40..BATCHES - 40);
    let mut acknowledged = Vec::new();
    let mut interrupted = None;
    for index in 0..BATCHES {
        if index == kill_after {
            let pid = server.child.id().to_string();
            let delay = rand::thread_rng().gen_range(0..30);
            tokio::spawn(async move {
                tokio::time::sleep(std::time::Duration::from_millis(delay)).await;
                Command::new("kill").args(["-KILL", &pid]).status().unwrap();
            });
        }
        match send(&client, &server.url, &token, index).await {
            Ok(StatusCode::OK) => acknowledged.push(index),
            Ok(status) => panic!("batch {index}: {status}"),
            Err(_) => {
                interrupted = Some(index);
                break;
            }
        }
    }
    server.child.wait().unwrap();
    let interrupted = interrupted.expect("the server was killed mid-way");
    println!(
        "killed after {} acknowledged batches; batch {interrupted} was in flight",
        acknowledged.len()
    );

    // Restarted on the same file: every acknowledged event once; the batch in flight
    // whole or not at all.
    let mut server = start_server(&db, &key);
    for &index in &acknowledged {
        assert_eq!(
            count_batch(&pool, index).await,
            (PER_BATCH as i64, PER_BATCH as i64),
            "batch {index}"
        );
    }
    let (in_flight, _) = count_batch(&pool, interrupted).await;
    assert!(
        in_flight == 0 || in_flight == PER_BATCH as i64,
        "batch {interrupted} partly stored: {in_flight}"
    );

    // The sender retries from the batch it lost (and one it had, to show retries are safe).
    for index in std::iter::once(acknowledged[0]).chain(interrupted..BATCHES) {
        assert_eq!(
            send(&client, &server.url, &token, index).await.unwrap(),
            StatusCode::OK
        );
    }
    let (total, distinct): (i64, i64) = app::db::on_db!(&pool, |pool| sqlx::query_as(
        "SELECT COUNT(*), COUNT(DISTINCT external_id) FROM activity_events WHERE external_id LIKE 'd-%'",
    )
    .fetch_one(pool)
    .await)
    .unwrap();
    assert_eq!(
        (total, distinct),
        ((BATCHES * PER_BATCH) as i64, (BATCHES * PER_BATCH) as i64)
    );
    pool.close().await;

    Command::new("kill")
        .args(["-TERM", &server.child.id().to_string()])
        .status()
        .unwrap();
    assert!(server.child.wait().unwrap().success());
    let verify = server_command(&db, &key).arg("verify").output().unwrap();
    let report = String::from_utf8_lossy(&verify.stdout);
    println!("{report}");
    assert!(verify.status.success(), "{report}");
    assert!(report.contains("partner 1: intact"), "{report}");
    let _ = &mut server.stdout;
}
