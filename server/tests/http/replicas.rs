//! Three `server serve` processes on one database behind a real load balancer (Debian's
//! haproxy, round robin): nothing one process keeps is needed by another. Sessions, the
//! sign-in throttle, preferences and tokens are in the database; each partner's chain is
//! appended under the database's write lock; a checkpoint position is signed once.
//! The same test runs on a SQLite file and on a PostgreSQL database.

use std::io::Write;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use reqwest::StatusCode;
use serde_json::json;

use crate::support::{RunningServer, client, server_command, start_server};

/// haproxy in the foreground, round robin over `backends`, health-checked every 200 ms so a
/// killed replica leaves the rotation.
struct Balancer {
    child: Child,
    url: String,
}

impl Balancer {
    fn start(dir: &std::path::Path, backends: &[&RunningServer]) -> Balancer {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        // The README's sample (deploy/haproxy.cfg), on this test's ports.
        let sample = include_str!("../../../deploy/haproxy.cfg");
        assert!(
            sample.contains("bind 127.0.0.1:8080"),
            "deploy/haproxy.cfg listens on :8080"
        );
        // The sample's own health-check options, after "server r0 ADDRESS".
        let server_options = sample
            .lines()
            .find_map(|line| line.trim_start().strip_prefix("server r"))
            .and_then(|line| line.splitn(3, ' ').nth(2))
            .expect("deploy/haproxy.cfg lists its servers");
        let mut config: String = sample
            .lines()
            .filter(|line| !line.trim_start().starts_with("server r"))
            .map(|line| line.replace("bind 127.0.0.1:8080", &format!("bind 127.0.0.1:{port}")) + "\n")
            .collect();
        for (n, backend) in backends.iter().enumerate() {
            let address = backend.url.trim_start_matches("http://");
            config.push_str(&format!("  server r{n} {address} {server_options}\n"));
        }
        let path = dir.join("haproxy.cfg");
        std::fs::File::create(&path)
            .unwrap()
            .write_all(config.as_bytes())
            .unwrap();
        // Debian puts it in /usr/sbin, which a non-root PATH may lack.
        let program = if std::path::Path::new("/usr/sbin/haproxy").exists() {
            "/usr/sbin/haproxy"
        } else {
            "haproxy"
        };
        let child = Command::new(program)
            .args(["-db", "-f", path.to_str().unwrap()])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("haproxy is installed (scripts/test installs it)");
        let url = format!("http://127.0.0.1:{port}");
        // Up when it answers.
        for _ in 0..100 {
            if std::net::TcpStream::connect(("127.0.0.1", port)).is_ok() {
                break;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        Balancer { child, url }
    }
}

impl Drop for Balancer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

async fn sign_in(http: &reqwest::Client, url: &str, password: &str) -> StatusCode {
    http.post(format!("{url}/api/sign_in"))
        .form(&[("email", "global.admin@contoso.example"), ("password", password)])
        .send()
        .await
        .unwrap()
        .status()
}

fn batch(client_index: usize, batch_index: usize, per_batch: usize) -> String {
    let events: Vec<_> = (0..per_batch)
        .map(|n| {
            json!({
                "id": format!("r-{client_index}-{batch_index:03}-{n:03}"),
                "occurred_at": format!("2026-11-{:02}T{:02}:{:02}:00Z", 1 + batch_index % 20, n % 24, n % 60),
                "customer_id": 1 + (n % 12) as i64,
                "partner_user": "sales.agent@contoso.example",
                "action": "assigned_license",
                "details": {"type": "license_assignment", "user_principal_name": format!("u{n}@customer.example"), "product": "Microsoft 365 E3"}
            })
        })
        .collect();
    json!({ "events": events }).to_string()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn three_replicas_on_one_sqlite_file_share_sessions_throttle_and_chains() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("db.sqlite");
    replicas_share_everything(dir.path(), db.to_str().unwrap()).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn three_replicas_on_postgres_share_sessions_throttle_and_chains() {
    let dir = tempfile::tempdir().unwrap();
    let url = crate::support::fresh_postgres_database().await;
    // PostgreSQL is never seeded unasked: the demo data is asked for once, by name.
    let seeded = server_command(&url, &dir.path().join("signing.key"))
        .args(["seed-demo", "--events", "1500"])
        .output()
        .unwrap();
    assert!(seeded.status.success(), "{seeded:?}");
    replicas_share_everything(dir.path(), &url).await;
}

/// Three replicas on `db` (a SQLite path or a postgres:// URL) behind haproxy.
async fn replicas_share_everything(dir: &std::path::Path, db: &str) {
    let key = dir.join("signing.key");
    let mut replicas = [
        start_server(db, &key),
        start_server(db, &key),
        start_server(db, &key),
    ];
    let balancer = Balancer::start(dir, &replicas.iter().collect::<Vec<_>>());

    // A sign-in made on one replica works on the others: six requests go round all three.
    let browser = client();
    let signed_in = sign_in(&browser, &balancer.url, crate::support::PASSWORD).await;
    assert!(
        signed_in.is_success() || signed_in.is_redirection(),
        "{signed_in}"
    );
    for _ in 0..6 {
        let page = browser
            .get(format!("{}/account-settings/activity-log", balancer.url))
            .send()
            .await
            .unwrap();
        assert_eq!(page.status(), StatusCode::OK);
        let viewer = browser
            .post(format!("{}/api/viewer", balancer.url))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        assert!(
            viewer.contains("global.admin@contoso.example"),
            "signed in on every replica: {viewer}"
        );
    }

    // Sign-in failures spread over the replicas still lock the account (for this address).
    let guesser = client();
    for _ in 0..app::auth::throttle::PAIR_FREE_FAILURES {
        assert_eq!(
            sign_in(&guesser, &balancer.url, "guess").await,
            StatusCode::UNPROCESSABLE_ENTITY
        );
    }
    for _ in 0..3 {
        assert_eq!(
            sign_in(&guesser, &balancer.url, "guess").await,
            StatusCode::TOO_MANY_REQUESTS
        );
    }

    // Six clients ingest 20,400 events into one partner through the balancer; one replica is
    // killed (SIGKILL) midway. A batch answered 2xx must be stored exactly once.
    let pool = app::db::connect(app::db::Database::parse(db)).await.unwrap();
    let (_, token) = app::api_tokens::store::create(
        &pool,
        app::ids::PartnerId(1),
        app::ids::UserId(1),
        "Replicas",
        &[app::api_tokens::model::TokenScope::WriteEvents],
    )
    .await
    .unwrap();
    const CLIENTS: usize = 6;
    const BATCHES: usize = 34;
    const PER_BATCH: usize = 100;
    let answered = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let senders = (0..CLIENTS).map(|client_index| {
        let (url, token, answered) = (balancer.url.clone(), token.clone(), answered.clone());
        tokio::spawn(async move {
            let http = reqwest::Client::new();
            let mut acknowledged = Vec::new();
            for batch_index in 0..BATCHES {
                // A client retries a batch until it is answered: events have ids, so a retry
                // of a batch that was stored after all counts as duplicates, not twice.
                for _attempt in 0..20 {
                    let sent = http
                        .post(format!("{url}/api/v1/events"))
                        .bearer_auth(&token)
                        .header("content-type", "application/json")
                        .body(batch(client_index, batch_index, PER_BATCH))
                        .send()
                        .await;
                    if let Ok(response) = sent {
                        let status = response.status();
                        if status == StatusCode::OK {
                            acknowledged.push(batch_index);
                            answered.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                            break;
                        }
                        // Only a replica going away (the balancer's 502/503) is retried.
                        assert!(
                            status.is_server_error(),
                            "{status}: {}",
                            response.text().await.unwrap_or_default()
                        );
                    }
                    tokio::time::sleep(Duration::from_millis(100)).await;
                }
            }
            acknowledged
        })
    });
    let senders: Vec<_> = senders.collect();
    // Kill a replica once a third of the batches are in, while the rest stream.
    let total = CLIENTS * BATCHES;
    while answered.load(std::sync::atomic::Ordering::SeqCst) < total / 3 {
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    replicas[1].child.kill().unwrap(); // SIGKILL
    let at_kill = answered.load(std::sync::atomic::Ordering::SeqCst);
    replicas[1].child.wait().unwrap();
    assert!(
        at_kill < total,
        "the kill came mid-ingest ({at_kill} of {total} batches in)"
    );
    let mut acknowledged = 0;
    for (client_index, sender) in senders.into_iter().enumerate() {
        let batches = sender.await.unwrap();
        assert_eq!(
            batches.len(),
            BATCHES,
            "client {client_index}: every batch was answered in the end"
        );
        for batch_index in batches {
            let (stored, distinct): (i64, i64) = app::db::on_db!(&pool, |pool| {
                sqlx::query_as(
                "SELECT COUNT(*), COUNT(DISTINCT external_id) FROM activity_events WHERE external_id LIKE $1",
            )
            .bind(format!("r-{client_index}-{batch_index:03}-%"))
            .fetch_one(pool).await
            })
            .unwrap();
            assert_eq!(
                (stored, distinct),
                (PER_BATCH as i64, PER_BATCH as i64),
                "exactly once"
            );
            acknowledged += stored;
        }
    }
    assert_eq!(acknowledged, (CLIENTS * BATCHES * PER_BATCH) as i64);

    // The replicas sign at start and `server checkpoint` now: each position has one.
    let signed = server_command(db, &key).arg("checkpoint").output().unwrap();
    assert!(signed.status.success());
    let doubled: i64 = app::db::on_db!(&pool, |pool| sqlx::query_scalar(
        "SELECT COUNT(*) FROM (SELECT partner_id, chain_seq FROM chain_checkpoints
         GROUP BY partner_id, chain_seq HAVING COUNT(*) > 1) AS doubled",
    )
    .fetch_one(pool)
    .await)
    .unwrap();
    assert_eq!(doubled, 0, "one checkpoint per position");
    pool.close().await;
    drop(balancer);
    for replica in replicas.iter_mut() {
        let _ = replica.child.kill();
        let _ = replica.child.wait();
    }
    let verified = server_command(db, &key).arg("verify").output().unwrap();
    assert!(
        verified.status.success(),
        "{}",
        String::from_utf8_lossy(&verified.stdout)
    );
}
