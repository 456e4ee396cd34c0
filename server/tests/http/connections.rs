//! Slow clients can't wear the server down: the real binary, its open-file limit lowered to
//! 1,024, faces 5,000 connections that each send a request's headers one line every 10 s.
//! A normal user's page loads meanwhile answer within a second, and no slow connection
//! outlives the header timeout.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use tokio::io::{AsyncReadExt, AsyncWriteExt};

const SLOW_CLIENTS: usize = 5_000;

/// The real binary under `prlimit --nofile=SOFT:HARD`.
fn serve_with_open_files(dir: &std::path::Path, soft: u64, hard: u64) -> crate::operations::Served {
    let db = dir.join("db.sqlite");
    let limit = format!("--nofile={soft}:{hard}");
    crate::operations::serve_wrapped(dir, &db.to_string_lossy(), &["prlimit", &limit, "--"], &[], &[])
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn five_thousand_slow_clients_neither_starve_a_user_nor_outlive_the_header_timeout() {
    // This process holds the clients' 5,000 sockets.
    let open_files = rlimit::increase_nofile_limit(u64::MAX).unwrap();
    assert!(
        open_files > 6_000,
        "the test needs 6,000 open files; the hard limit is {open_files}"
    );
    let dir = tempfile::tempdir().unwrap();
    let server = serve_with_open_files(dir.path(), 1024, 1024);
    let host = server.url.trim_start_matches("http://").to_string();
    let client = reqwest::Client::builder()
        .pool_max_idle_per_host(0)
        .build()
        .unwrap();
    let page_load = || {
        let (client, url) = (client.clone(), format!("{}/sign-in", server.url));
        async move {
            let started = Instant::now();
            let response = client.get(url).send().await.unwrap();
            assert_eq!(response.status(), 200);
            response.text().await.unwrap();
            started.elapsed()
        }
    };
    let baseline = page_load().await;

    let open = Arc::new(AtomicUsize::new(0));
    let longest = Arc::new(std::sync::Mutex::new(Duration::ZERO));
    let started = Instant::now();
    let mut clients = Vec::new();
    for _ in 0..SLOW_CLIENTS {
        let (host, open, longest) = (host.clone(), open.clone(), longest.clone());
        clients.push(tokio::spawn(async move {
            let Ok(mut stream) = tokio::net::TcpStream::connect(&host).await else {
                return;
            };
            let connected = Instant::now();
            open.fetch_add(1, Ordering::SeqCst);
            let mut line: &[u8] = b"GET /sign-in HTTP/1.1\r\n";
            let mut buffer = [0u8; 1024];
            loop {
                if stream.write_all(line).await.is_err() {
                    break;
                }
                line = b"X-Slow: yes\r\n";
                // Closed by the server (read 0 or an error) or 10 s pass.
                match tokio::time::timeout(Duration::from_secs(10), stream.read(&mut buffer)).await {
                    Ok(Ok(0) | Err(_)) => break,
                    Ok(Ok(_)) => {}
                    Err(_) => {}
                }
            }
            open.fetch_sub(1, Ordering::SeqCst);
            let mut longest = longest.lock().unwrap();
            *longest = (*longest).max(connected.elapsed());
        }));
    }
    // Page loads while the slow clients connect, and while they hold the server at its cap.
    let mut loads = Vec::new();
    for at in [300, 1_000, 3_000, 6_000, 9_000] {
        tokio::time::sleep_until((started + Duration::from_millis(at)).into()).await;
        loads.push(page_load().await);
    }
    println!(
        "page loads {loads:?} (alone {baseline:?}); slow connections open at 9 s: {}",
        open.load(Ordering::SeqCst)
    );
    for load in &loads {
        assert!(
            *load < Duration::from_secs(1),
            "a page load took {load:?}: {loads:?}"
        );
    }
    for client in clients {
        client.await.unwrap();
    }
    let longest = *longest.lock().unwrap();
    println!(
        "all {SLOW_CLIENTS} slow clients closed after {:?}; the longest held {longest:?}",
        started.elapsed()
    );
    // The header timeout is 10 s: a slow connection never lasts much past it.
    assert!(
        longest < Duration::from_secs(13),
        "a slow connection lasted {longest:?}"
    );
    log_says(&server.log, &["max=768"]).await;
}

#[tokio::test]
async fn the_open_file_limit_is_raised_to_the_hard_limit_at_start() {
    let dir = tempfile::tempdir().unwrap();
    let server = serve_with_open_files(dir.path(), 512, 2048);
    log_says(
        &server.log,
        &[
            "raised the open-file limit to the hard limit",
            "from=512",
            "to=2048",
        ],
    )
    .await;
}

/// Waits (up to 5 s) for the server's log to hold every one of `texts` on one line.
async fn log_says(log: &std::path::Path, texts: &[&str]) {
    let deadline = Instant::now() + Duration::from_secs(5);
    loop {
        let written = std::fs::read_to_string(log).unwrap_or_default();
        if written
            .lines()
            .any(|line| texts.iter().all(|text| line.contains(text)))
        {
            return;
        }
        assert!(Instant::now() < deadline, "no line with {texts:?} in: {written}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}
