//! No one user, slow client or flood starves the others: exports are capped and time out,
//! sign-ins are counted before their password is checked and checked a few at a time, the
//! answer's timing does not tell which emails exist, and a proxy's clients are told apart
//! only when the proxy is trusted.

use std::time::{Duration, Instant};

use app::state::Limits;
use reqwest::StatusCode;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpSocket, TcpStream};

use crate::support::{PASSWORD, TestApp, assert_status, client, rfc3339, spawn_app_with};

/// A session cookie (`name=value`) for `email`, for requests sent by hand.
async fn session_cookie(app: &TestApp, email: &str) -> String {
    let response = client()
        .post(app.url("/api/sign_in"))
        .form(&[("email", email), ("password", PASSWORD)])
        .send()
        .await
        .unwrap();
    let cookie = response.headers()["set-cookie"].to_str().unwrap();
    cookie.split(';').next().unwrap().to_string()
}

/// Posts an export of the last year and reads only the status line; the returned socket has
/// a tiny receive buffer and is never read again, so the server's writes soon block.
async fn stalled_export(app: &TestApp, cookie: &str) -> (String, TcpStream) {
    let body = format!(
        "from={}&to={}&from_date=2025-11-26&to_date=2026-11-26",
        rfc3339(app.now - chrono::Duration::days(366)),
        rfc3339(app.now + chrono::Duration::hours(1))
    )
    .replace(':', "%3A");
    let socket = TcpSocket::new_v4().unwrap();
    socket.set_recv_buffer_size(4096).unwrap();
    let mut stream = socket.connect(app.address).await.unwrap();
    let request = format!(
        "POST /account-settings/activity-log/export HTTP/1.1\r\nHost: {}\r\nCookie: {cookie}\r\n\
         Content-Type: application/x-www-form-urlencoded\r\nContent-Length: {}\r\n\r\n{body}",
        app.address,
        body.len()
    );
    stream.write_all(request.as_bytes()).await.unwrap();
    let mut start = [0u8; 12];
    stream.read_exact(&mut start).await.unwrap();
    (String::from_utf8_lossy(&start).to_string(), stream)
}

/// Nothing keeps old row versions alive: on SQLite the WAL checkpoints to nothing (no
/// reader holds a snapshot); on PostgreSQL no other session has held a snapshot (xmin) for
/// over a second (a slice read in flight takes milliseconds), which would hold back vacuum.
async fn nothing_pins_old_rows(app: &TestApp) -> bool {
    match &app.db {
        app::db::Db::Sqlite(pool) => {
            let (busy, _, _): (i64, i64, i64) = sqlx::query_as("PRAGMA wal_checkpoint(TRUNCATE)")
                .fetch_one(pool)
                .await
                .unwrap();
            busy == 0
        }
        app::db::Db::Postgres(pool) => {
            let (holders,): (i64,) = sqlx::query_as(
                "SELECT COUNT(*) FROM pg_stat_activity
                 WHERE datname = current_database() AND pid <> pg_backend_pid()
                   AND backend_xmin IS NOT NULL AND xact_start < now() - interval '1 second'",
            )
            .fetch_one(pool)
            .await
            .unwrap();
            holders == 0
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn stalled_exports_are_capped_time_out_and_never_hold_anyone_up() {
    let limits = Limits {
        exports_at_once: 10,
        exports_per_partner: 10,
        export_send_timeout: Duration::from_secs(4),
        ..Limits::default()
    };
    // Enough events that a year's file is far bigger than every buffer between us.
    let app = spawn_app_with(40_000, limits).await;
    let cookie = session_cookie(&app, "global.admin@contoso.example").await;
    let mut stalled = Vec::new();
    for _ in 0..10 {
        let (status, stream) = stalled_export(&app, &cookie).await;
        assert_eq!(status, "HTTP/1.1 200", "each of the first ten starts");
        stalled.push(stream);
    }

    // The eleventh is refused at once, in words.
    let exporter = app.signed_in("billing.admin@contoso.example").await;
    let week = export_fields(&app);
    let refused = app.export(&exporter, &pairs(&week)).await;
    assert_eq!(refused.headers()["retry-after"], "60");
    let message = assert_status(refused, StatusCode::TOO_MANY_REQUESTS).await;
    assert!(message.contains("Too many exports are running"), "{message}");

    // Anyone else signs in and loads a month at once.
    let started = Instant::now();
    let reader = app.signed_in("sales.agent@contoso.example").await;
    let (month, _) = app
        .list_all(
            &reader,
            &rfc3339(app.now - chrono::Duration::days(30)),
            &rfc3339(app.now + chrono::Duration::hours(1)),
        )
        .await;
    let took = started.elapsed();
    assert!(!month.is_empty());
    assert!(took < Duration::from_secs(2), "sign-in and a month took {took:?}");

    // No stalled export keeps a read open: the WAL can be checkpointed to nothing.
    assert!(nothing_pins_old_rows(&app).await, "an export pins old rows");

    // Their clients never read again: after the send timeout their slots come back.
    tokio::time::sleep(Duration::from_secs(6)).await;
    let later = app.export(&exporter, &pairs(&week)).await;
    assert_eq!(later.status(), StatusCode::OK);
    drop(stalled);
}

fn export_fields(app: &TestApp) -> Vec<(&'static str, String)> {
    vec![
        ("from", rfc3339(app.now - chrono::Duration::days(7))),
        ("to", rfc3339(app.now + chrono::Duration::hours(1))),
        ("from_date", "2026-11-19".into()),
        ("to_date", "2026-11-26".into()),
    ]
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_partner_cannot_take_every_export_slot() {
    let limits = Limits {
        exports_at_once: 3,
        exports_per_partner: 2,
        ..Limits::default()
    };
    let app = spawn_app_with(40_000, limits).await;
    let contoso = session_cookie(&app, "global.admin@contoso.example").await;
    let mut held = Vec::new();
    for _ in 0..2 {
        let (status, stream) = stalled_export(&app, &contoso).await;
        assert_eq!(status, "HTTP/1.1 200");
        held.push(stream);
    }
    let (status, _) = stalled_export(&app, &contoso).await;
    assert_eq!(status, "HTTP/1.1 429", "a partner's third export waits");
    let fabrikam = app.signed_in("global.admin@fabrikam.example").await;
    let week = export_fields(&app);
    assert_status(app.export(&fabrikam, &pairs(&week)).await, StatusCode::OK).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_sort_held_in_memory_is_capped_with_a_clear_message() {
    let limits = Limits {
        sorted_export_max_rows: 200,
        ..Limits::default()
    };
    let app = spawn_app_with(1500, limits).await;
    let viewer = app.signed_in("global.admin@contoso.example").await;
    let year = [
        ("from", rfc3339(app.now - chrono::Duration::days(366))),
        ("to", rfc3339(app.now + chrono::Duration::hours(1))),
        ("from_date", "2025-11-26".to_string()),
        ("to_date", "2026-11-26".to_string()),
    ];
    let with_sort = |sort: &str| {
        let mut fields: Vec<(&str, String)> = year.to_vec();
        fields.push(("sort", sort.to_string()));
        fields
    };
    let refused = app.export(&viewer, &pairs(&with_sort("customer"))).await;
    let message = assert_status(refused, StatusCode::UNPROCESSABLE_ENTITY).await;
    assert!(message.contains("at most 200 events"), "{message}");
    // Sorting by time streams, whatever the size.
    let by_time = app.export(&viewer, &pairs(&with_sort("time"))).await;
    let file = assert_status(by_time, StatusCode::OK).await;
    assert!(file.lines().count() > 200);
    // A small enough period sorts.
    let mut week = export_fields(&app);
    week.push(("sort", "-customer".into()));
    assert_status(app.export(&viewer, &pairs(&week)).await, StatusCode::OK).await;
}

fn pairs<'a>(fields: &'a [(&'a str, String)]) -> Vec<(&'a str, &'a str)> {
    fields.iter().map(|(k, v)| (*k, v.as_str())).collect()
}

async fn sign_in_from(app: &TestApp, email: &str, password: &str, address: &str) -> StatusCode {
    client()
        .post(app.url("/api/sign_in"))
        .header("x-forwarded-for", address)
        .form(&[("email", email), ("password", password)])
        .send()
        .await
        .unwrap()
        .status()
}

fn behind_a_trusted_proxy() -> Limits {
    Limits {
        trusted_proxies: vec!["127.0.0.1/32".parse().unwrap()],
        ..Limits::default()
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_wrong_passwords_are_checked_five_times_at_most() {
    let app = spawn_app_with(100, Limits::default()).await;
    let attempts = (0..64).map(|_| sign_in_from(&app, "global.admin@contoso.example", "wrong", "ignored"));
    let statuses = futures::future::join_all(attempts).await;
    let checked = statuses
        .iter()
        .filter(|s| **s == StatusCode::UNPROCESSABLE_ENTITY)
        .count();
    let refused = statuses
        .iter()
        .filter(|s| **s == StatusCode::TOO_MANY_REQUESTS)
        .count();
    assert_eq!((checked, refused), (5, 59), "{statuses:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unknown_email_takes_as_long_as_a_wrong_password() {
    let app = spawn_app_with(100, behind_a_trusted_proxy()).await;
    let accounts = [
        "global.admin@contoso.example",
        "billing.admin@contoso.example",
        "sales.agent@contoso.example",
        "admin.agent@contoso.example",
    ];
    let (mut unknown, mut wrong) = (Vec::new(), Vec::new());
    // Interleaved, each from its own address, so neither kind meets the throttle or a
    // quieter moment of the machine.
    for n in 0..20 {
        let started = Instant::now();
        let status = sign_in_from(
            &app,
            &format!("nobody{n}@contoso.example"),
            "wrong",
            &format!("198.51.100.{n}"),
        )
        .await;
        unknown.push(started.elapsed().as_secs_f64());
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
        let started = Instant::now();
        let status = sign_in_from(&app, accounts[n % 4], "wrong", &format!("203.0.113.{n}")).await;
        wrong.push(started.elapsed().as_secs_f64());
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    }
    let mean = |times: &[f64]| times.iter().sum::<f64>() / times.len() as f64;
    let (unknown, wrong) = (mean(&unknown), mean(&wrong));
    assert!(
        (unknown - wrong).abs() <= 0.25 * wrong.max(unknown),
        "unknown email {:.1} ms vs wrong password {:.1} ms",
        unknown * 1000.0,
        wrong * 1000.0
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn forwarded_addresses_count_only_from_a_trusted_proxy() {
    // Not trusted: the header is ignored, so twenty failures "from" twenty addresses are
    // twenty from this one, and it is locked whatever it claims next.
    let app = spawn_app_with(100, Limits::default()).await;
    for n in 0..20 {
        let email = format!("nobody{n}@contoso.example");
        let status = sign_in_from(&app, &email, "wrong", &format!("198.51.100.{n}")).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    }
    let status = sign_in_from(&app, "global.admin@contoso.example", PASSWORD, "192.0.2.99").await;
    assert_eq!(status, StatusCode::TOO_MANY_REQUESTS);

    // Trusted: the proxy's clients are told apart; one locked address is not everyone.
    let app = spawn_app_with(100, behind_a_trusted_proxy()).await;
    for n in 0..21 {
        let _ = sign_in_from(
            &app,
            &format!("nobody{n}@contoso.example"),
            "wrong",
            "198.51.100.1",
        )
        .await;
    }
    let attacker = sign_in_from(&app, "global.admin@contoso.example", PASSWORD, "198.51.100.1").await;
    assert_eq!(attacker, StatusCode::TOO_MANY_REQUESTS);
    let colleague = sign_in_from(&app, "global.admin@contoso.example", PASSWORD, "198.51.100.2").await;
    assert!(
        colleague.is_success() || colleague.is_redirection(),
        "{colleague}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn guessing_a_victims_password_elsewhere_does_not_lock_the_victim_out() {
    let app = spawn_app_with(100, behind_a_trusted_proxy()).await;
    let victim = "billing.admin@contoso.example";
    for _ in 0..10 {
        let _ = sign_in_from(&app, victim, "guess", "203.0.113.66").await;
    }
    assert_eq!(
        sign_in_from(&app, victim, PASSWORD, "203.0.113.66").await,
        StatusCode::TOO_MANY_REQUESTS,
        "the attacker's address is locked for this account"
    );
    let status = sign_in_from(&app, victim, PASSWORD, "192.0.2.10").await;
    assert!(
        status.is_success() || status.is_redirection(),
        "the victim gets in: {status}"
    );
}

/// The server's peak resident memory so far (`VmHWM`), in MiB.
fn peak_rss_mib(pid: u32) -> f64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap();
    let line = status.lines().find(|line| line.starts_with("VmHWM:")).unwrap();
    let kib: f64 = line.split_whitespace().nth(1).unwrap().parse().unwrap();
    kib / 1024.0
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_flood_of_sign_ins_keeps_the_real_servers_memory_bounded() {
    let dir = tempfile::tempdir().unwrap();
    // The committed settings, with this test as the trusted proxy so every sign-in can come
    // "from" its own address and none is stopped by the throttle: only the cap on password
    // checks stands between the flood and the server's memory.
    let settings = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../Leptos.toml"))
        .unwrap()
        .replace("trusted_proxies = []", "trusted_proxies = [\"127.0.0.1/32\"]");
    let config = dir.path().join("settings.toml");
    std::fs::write(&config, settings).unwrap();
    let mut server = crate::support::start_server_with(
        dir.path().join("db.sqlite"),
        &dir.path().join("signing.key"),
        &["--config", config.to_str().unwrap()],
    );
    let pid = server.child.id();
    let before = peak_rss_mib(pid);
    let http = client();
    let attempts = (0..64).map(|n| {
        let http = http.clone();
        let url = format!("{}/api/sign_in", server.url);
        async move {
            http.post(url)
                .header("x-forwarded-for", format!("198.51.100.{n}"))
                .form(&[
                    ("email", format!("nobody{n}@contoso.example")),
                    ("password", "wrong".into()),
                ])
                .send()
                .await
                .unwrap()
                .status()
        }
    });
    let statuses = futures::future::join_all(attempts).await;
    let peak = peak_rss_mib(pid);
    server.child.kill().unwrap();
    let _ = server.child.wait();
    assert!(
        statuses
            .iter()
            .all(|s| *s == StatusCode::UNPROCESSABLE_ENTITY || *s == StatusCode::TOO_MANY_REQUESTS),
        "{statuses:?}"
    );
    println!("64 sign-ins at once: peak RSS {peak:.0} MiB, {before:.0} MiB before");
    assert!(
        peak < 300.0,
        "peak RSS {peak:.0} MiB (before the flood {before:.0} MiB)"
    );
}

/// A CR/LF in a submitted email must not start a line of its own in the server's log.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_email_cannot_forge_a_log_line() {
    use std::io::BufRead;
    use std::io::Read;
    let dir = tempfile::tempdir().unwrap();
    // The server logs to its standard error (its output is for results: "listening on").
    let mut child = crate::support::server_command(dir.path().join("db.sqlite"), &dir.path().join("k"))
        .args(["serve", "--demo", "--create-key", "--addr", "127.0.0.1:0"])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut logs = child.stderr.take().unwrap();
    let mut stdout = std::io::BufReader::new(child.stdout.take().unwrap());
    let url = loop {
        let mut line = String::new();
        assert!(stdout.read_line(&mut line).unwrap() > 0, "the server exited");
        if let Some(url) = line.trim().strip_prefix("listening on ") {
            break url.to_string();
        }
    };
    let forged = "FORGED signed in email=global.admin@contoso.example";
    let status = client()
        .post(format!("{url}/api/sign_in"))
        .form(&[
            ("email", format!("x@contoso.example\r\n{forged}")),
            ("password", "wrong".into()),
        ])
        .send()
        .await
        .unwrap()
        .status();
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    child.kill().unwrap();
    let _ = child.wait();
    let mut written = String::new();
    logs.read_to_string(&mut written).unwrap();
    assert!(written.contains("sign-in failed"), "{written}");
    assert!(
        written.contains("\\r\\nforged"),
        "the email is logged escaped: {written}"
    );
    assert!(
        !written
            .lines()
            .any(|line| line.trim_start().to_lowercase().starts_with("forged")),
        "{written}"
    );
}

/// The throttle is in the database: two server processes on one database file count the
/// same failures, so spreading guesses over servers does not double the free attempts.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn failures_spread_over_two_servers_lock_the_account_on_both() {
    let dir = tempfile::tempdir().unwrap();
    let (db, key) = (dir.path().join("db.sqlite"), dir.path().join("signing.key"));
    let mut first = crate::support::start_server(&db, &key);
    let mut second = crate::support::start_server(&db, &key);
    let http = client();
    let attempt = |url: String| {
        let http = http.clone();
        async move {
            http.post(format!("{url}/api/sign_in"))
                .form(&[("email", "billing.admin@contoso.example"), ("password", "guess")])
                .send()
                .await
                .unwrap()
                .status()
        }
    };
    // Five wrong passwords, alternating servers: each is checked.
    for n in 0..app::auth::throttle::PAIR_FREE_FAILURES {
        let url = if n % 2 == 0 { &first.url } else { &second.url };
        assert_eq!(attempt(url.clone()).await, StatusCode::UNPROCESSABLE_ENTITY);
    }
    // The sixth is refused by either server (in memory, each would have allowed five).
    assert_eq!(attempt(first.url.clone()).await, StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(attempt(second.url.clone()).await, StatusCode::TOO_MANY_REQUESTS);
    for server in [&mut first, &mut second] {
        server.child.kill().unwrap();
        let _ = server.child.wait();
    }
}
