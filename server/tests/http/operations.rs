//! Running it as operators do, on the real binary: health and readiness, request ids in
//! answers and in JSON log lines (ids made up by clients never reach the logs raw), and the
//! metrics as a real Prometheus server scrapes and queries them.

use std::io::BufRead;
use std::time::{Duration, Instant};

use crate::support::{PASSWORD, free_port, server_command};

/// The real binary with `global` flags and `serve` flags, its standard error in a file.
pub struct Served {
    child: std::process::Child,
    pub url: String,
    pub metrics_url: Option<String>,
    pub log: std::path::PathBuf,
}

impl Drop for Served {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

pub fn serve(dir: &std::path::Path, db: &str, global: &[&str], serve_flags: &[&str]) -> Served {
    serve_wrapped(dir, db, &[], global, serve_flags)
}

/// [`serve`] run by `wrapper` (e.g. `prlimit --nofile=1024:1024 --`).
pub fn serve_wrapped(
    dir: &std::path::Path,
    db: &str,
    wrapper: &[&str],
    global: &[&str],
    serve_flags: &[&str],
) -> Served {
    let log = dir.join(format!("server-{}.log", free_port()));
    let direct = server_command(db, &dir.join("signing.key"));
    let mut command = match wrapper.split_first() {
        None => direct,
        Some((program, args)) => {
            let mut wrapped = std::process::Command::new(program);
            wrapped
                .args(args)
                .arg(direct.get_program())
                .args(direct.get_args())
                .current_dir(direct.get_current_dir().unwrap())
                .env_remove("DATABASE_URL");
            wrapped
        }
    };
    command
        .env("RUST_LOG", "info")
        .args(global)
        .arg("serve")
        .args(["--create-key", "--addr", "127.0.0.1:0"])
        .args(serve_flags)
        .stdout(std::process::Stdio::piped())
        .stderr(std::fs::File::create(&log).unwrap());
    if !db.starts_with("postgres") {
        command.arg("--demo");
    }
    let mut child = command.spawn().unwrap();
    let mut stdout = std::io::BufReader::new(child.stdout.take().unwrap());
    let (mut url, mut metrics_url) = (None, None);
    let mut line = String::new();
    while url.is_none() {
        line.clear();
        assert!(
            stdout.read_line(&mut line).unwrap() > 0,
            "the server exited before listening"
        );
        if let Some(found) = line.trim().strip_prefix("listening on ") {
            url = Some(found.to_string());
        }
        if let Some(found) = line.trim().strip_prefix("metrics on ") {
            metrics_url = Some(found.to_string());
        }
    }
    // Keep reading its standard output, so it never blocks on a full pipe.
    std::thread::spawn(move || std::io::copy(&mut stdout, &mut std::io::sink()));
    Served {
        child,
        url: url.unwrap(),
        metrics_url,
        log,
    }
}

/// A copy of `Leptos.toml` with `extra` appended under its tables, for `--config`.
pub fn settings_with(dir: &std::path::Path, replace: &[(&str, &str)]) -> String {
    let mut text = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../Leptos.toml")).unwrap();
    for (from, to) in replace {
        assert!(text.contains(from), "Leptos.toml has {from}");
        text = text.replace(from, to);
    }
    let path = dir.join("settings.toml");
    std::fs::write(&path, text).unwrap();
    path.to_string_lossy().into_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn health_readiness_and_request_ids_with_json_logs() {
    let dir = tempfile::tempdir().unwrap();
    let settings = settings_with(
        dir.path(),
        &[("trusted_proxies = []", r#"trusted_proxies = ["127.0.0.1/32"]"#)],
    );
    let db = dir.path().join("db.sqlite");
    let server = serve(
        dir.path(),
        &db.to_string_lossy(),
        &["--config", &settings, "--log-format", "json"],
        &[],
    );
    let client = reqwest::Client::new();
    for (path, body) in [("/healthz", "ok\n"), ("/readyz", "ready\n")] {
        let response = client.get(format!("{}{path}", server.url)).send().await.unwrap();
        assert_eq!(response.status(), 200, "{path}");
        let id = response.headers()["x-request-id"].to_str().unwrap().to_string();
        assert_eq!(id.len(), 16, "a made id: {id}");
        assert_eq!(response.text().await.unwrap(), body);
    }
    // A trusted proxy's plain id is kept.
    let kept = client
        .get(format!("{}/healthz", server.url))
        .header("x-request-id", "3f2b8c1e-0c1d-4a5b-9f00-1234567890ab")
        .send()
        .await
        .unwrap();
    assert_eq!(
        kept.headers()["x-request-id"],
        "3f2b8c1e-0c1d-4a5b-9f00-1234567890ab"
    );

    // A burst of 10,000 requests with made-up ids: too long, with quotes and braces that
    // would break a JSON line, with bytes that are not ASCII. Every answer gets a clean id;
    // a few hundred are throttled sign-ins, which write a log line each.
    let bad_ids: Vec<Vec<u8>> = vec![
        "x".repeat(300).into_bytes(),
        b"\"}{\"level\":\"ERROR\",\"message\":\"forged".to_vec(),
        b"id with spaces".to_vec(),
        vec![b'a', 0xe9, b'b'],
        b"<script>alert(1)</script>".to_vec(),
    ];
    let host = server.url.trim_start_matches("http://").to_string();
    let started = Instant::now();
    let mut tasks = Vec::new();
    for worker in 0..32usize {
        let (host, bad_ids) = (host.clone(), bad_ids.clone());
        tasks.push(tokio::spawn(async move {
            let mut answers = Vec::new();
            for n in (worker..10_000).step_by(32) {
                let id = &bad_ids[n % bad_ids.len()];
                let sign_in = n % 30 == 0;
                answers.push(raw_request(&host, id, sign_in).await);
            }
            answers
        }));
    }
    let mut answered = 0;
    for task in tasks {
        for (status, id) in task.await.unwrap() {
            assert!(status < 500, "status {status}");
            assert!(
                id.len() == 16 && id.bytes().all(|byte| byte.is_ascii_hexdigit()),
                "the made-up id was replaced: {id:?}"
            );
            answered += 1;
        }
    }
    assert_eq!(answered, 10_000);
    println!("10,000 requests with made-up ids in {:?}", started.elapsed());

    let log = std::fs::read(&server.log).unwrap();
    let text = String::from_utf8_lossy(&log);
    let mut with_ids = 0;
    for line in text.lines() {
        let value: serde_json::Value = serde_json::from_str(line)
            .unwrap_or_else(|error| panic!("not one JSON object ({error}): {line}"));
        for key in ["timestamp", "level", "message"] {
            assert!(value.get(key).is_some(), "{key} in {line}");
        }
        if let Some(id) = value["span"]["id"].as_str() {
            assert_eq!(id.len(), 16, "{line}");
            with_ids += 1;
        }
    }
    assert!(
        with_ids >= 300,
        "the throttled sign-ins logged with their request's id: {with_ids}"
    );
    for bad in &bad_ids {
        let bad = String::from_utf8_lossy(bad);
        assert!(
            !text.contains(bad.as_ref()),
            "a made-up id reached the log: {bad}"
        );
    }
    assert!(!text.contains(PASSWORD), "no password in the log");
}

/// One request on its own connection with `id` as its `X-Request-Id` bytes: a wrong sign-in
/// (throttled after the first few, so no password is checked) or the health check. Returns
/// the status and the id the answer carries.
async fn raw_request(host: &str, id: &[u8], sign_in: bool) -> (u16, String) {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let mut stream = tokio::net::TcpStream::connect(host).await.unwrap();
    let body = "email=nobody%40contoso.example&password=wrong-password";
    let head = if sign_in {
        format!(
            "POST /api/sign_in HTTP/1.1\r\nHost: {host}\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: {}\r\nConnection: close\r\nX-Request-Id: ",
            body.len()
        )
    } else {
        format!("GET /healthz HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\nX-Request-Id: ")
    };
    let mut request = head.into_bytes();
    request.extend_from_slice(id);
    request.extend_from_slice(b"\r\n\r\n");
    if sign_in {
        request.extend_from_slice(body.as_bytes());
    }
    stream.write_all(&request).await.unwrap();
    let mut answer = Vec::new();
    stream.read_to_end(&mut answer).await.unwrap();
    let answer = String::from_utf8_lossy(&answer);
    let status = answer
        .split(' ')
        .nth(1)
        .and_then(|status| status.parse().ok())
        .unwrap_or(0);
    let id = answer
        .lines()
        .find_map(|line| line.strip_prefix("x-request-id: "))
        .unwrap_or_default()
        .to_string();
    (status, id)
}

/// A real Prometheus server scrapes the real binary's metrics address each second while the
/// test sends a known number of requests; its HTTP API then gives the counts, a rate and a
/// latency quantile that must agree with what was sent.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_real_prometheus_scrapes_what_the_server_counted() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("db.sqlite");
    let server = serve(
        dir.path(),
        &db.to_string_lossy(),
        &[],
        &["--metrics-addr", "127.0.0.1:0"],
    );
    let metrics_url = server.metrics_url.clone().expect("a metrics address");
    let target = metrics_url
        .trim_start_matches("http://")
        .trim_end_matches("/metrics")
        .to_string();
    // The metrics are not on the app's address.
    let client = reqwest::Client::new();
    let on_app = client
        .get(format!("{}/metrics", server.url))
        .send()
        .await
        .unwrap();
    assert_eq!(on_app.status(), 404);

    let prometheus = Prometheus::start(dir.path(), &target);
    prometheus.wait_for_target().await;

    // 10 health checks a second for 12 s, and 5 wrong sign-ins.
    let mut slowest = Duration::ZERO;
    let started = Instant::now();
    for n in 0..120u32 {
        let due = started + Duration::from_millis(100 * u64::from(n));
        tokio::time::sleep_until(due.into()).await;
        let sent = Instant::now();
        let response = client
            .get(format!("{}/healthz", server.url))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 200);
        slowest = slowest.max(sent.elapsed());
    }
    let middle = chrono::Utc::now() - chrono::Duration::seconds(6);
    for _ in 0..5 {
        let response = client
            .post(format!("{}/api/sign_in", server.url))
            .form(&[
                ("email", "global.admin@contoso.example"),
                ("password", "wrong-password-1"),
            ])
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 422);
    }
    // Two more scrapes.
    tokio::time::sleep(Duration::from_millis(2500)).await;

    let total = prometheus
        .query(
            r#"sum(alog_http_requests_total{route="/healthz",method="GET",status="200"})"#,
            None,
        )
        .await;
    assert_eq!(total, 120.0, "every health check counted once");
    let wrong = prometheus
        .query(r#"alog_sign_ins_total{outcome="wrong"}"#, None)
        .await;
    assert_eq!(wrong, 5.0);
    let rate = prometheus
        .query(
            r#"sum(rate(alog_http_requests_total{route="/healthz"}[5s]))"#,
            Some(middle),
        )
        .await;
    assert!(
        (7.0..=13.0).contains(&rate),
        "10 a second were sent: Prometheus says {rate}"
    );
    let p90 = prometheus
        .query(
            r#"histogram_quantile(0.9, sum by (le) (rate(alog_http_request_duration_seconds_bucket{route="/healthz"}[10s])))"#,
            Some(middle),
        )
        .await;
    // The server's own time is within the client's; the quantile interpolates within a
    // bucket, so it can be up to the bucket's upper bound (twice the lower).
    assert!(
        p90 > 0.0 && p90 <= (slowest.as_secs_f64() * 2.0).max(0.001),
        "p90 {p90} s, slowest seen by the client {slowest:?}"
    );
}

/// A Prometheus server of Debian's package, scraping one target every second.
struct Prometheus {
    child: std::process::Child,
    url: String,
}

impl Drop for Prometheus {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Prometheus {
    fn start(dir: &std::path::Path, target: &str) -> Prometheus {
        let config = dir.join("prometheus.yml");
        std::fs::write(
            &config,
            format!(
                "global:\n  scrape_interval: 1s\n  evaluation_interval: 1s\nscrape_configs:\n  - job_name: activity-log\n    static_configs:\n      - targets: ['{target}']\n"
            ),
        )
        .unwrap();
        let port = free_port();
        let child = std::process::Command::new("prometheus")
            .arg(format!("--config.file={}", config.display()))
            .arg(format!("--storage.tsdb.path={}", dir.join("tsdb").display()))
            .arg(format!("--web.listen-address=127.0.0.1:{port}"))
            .stderr(std::fs::File::create(dir.join("prometheus.log")).unwrap())
            .spawn()
            .expect("Debian's prometheus package (scripts/test installs it)");
        Prometheus {
            child,
            url: format!("http://127.0.0.1:{port}"),
        }
    }

    async fn wait_for_target(&self) {
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            if let Some(up) = self.try_query("up", None).await
                && up == 1.0
            {
                return;
            }
            assert!(Instant::now() < deadline, "Prometheus never scraped the server");
            tokio::time::sleep(Duration::from_millis(250)).await;
        }
    }

    async fn query(&self, query: &str, at: Option<chrono::DateTime<chrono::Utc>>) -> f64 {
        self.try_query(query, at)
            .await
            .unwrap_or_else(|| panic!("Prometheus has no value for {query}"))
    }

    async fn try_query(&self, query: &str, at: Option<chrono::DateTime<chrono::Utc>>) -> Option<f64> {
        let mut params = vec![("query", query.to_string())];
        if let Some(at) = at {
            params.push(("time", format!("{}", at.timestamp())));
        }
        let answer: serde_json::Value = reqwest::Client::new()
            .get(format!("{}/api/v1/query", self.url))
            .query(&params)
            .send()
            .await
            .ok()?
            .json()
            .await
            .ok()?;
        let value = answer["data"]["result"].get(0)?["value"][1].as_str()?;
        value.parse().ok()
    }
}
