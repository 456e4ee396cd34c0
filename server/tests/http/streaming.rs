//! Log streaming against real receivers started here: an HTTPS webhook receiver that
//! verifies every signature with the `standardwebhooks` package (end2end/streaming/
//! receiver.mjs), and Debian's rsyslog with its TLS module, writing what it got to a file.

use std::io::BufRead;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use app::api_tokens::model::TokenScope;
use app::state::{Limits, StreamingSettings};
use reqwest::StatusCode;
use serde_json::Value;

use crate::support::{TestApp, client, spawn_app_with};

/// A CA and a certificate for 127.0.0.1 and localhost signed by it, made with openssl.
fn certificates(dir: &Path) -> String {
    let run = |args: &[&str]| {
        let done = Command::new("openssl")
            .args(args)
            .current_dir(dir)
            .stderr(Stdio::null())
            .status()
            .unwrap();
        assert!(done.success(), "openssl {args:?}");
    };
    run(&[
        "req",
        "-x509",
        "-newkey",
        "rsa:2048",
        "-nodes",
        "-days",
        "2",
        "-subj",
        "/CN=Streaming test CA",
        "-keyout",
        "ca.key",
        "-out",
        "ca.pem",
        "-addext",
        "basicConstraints=critical,CA:TRUE",
        "-addext",
        "keyUsage=critical,keyCertSign,cRLSign",
    ]);
    run(&[
        "req",
        "-newkey",
        "rsa:2048",
        "-nodes",
        "-subj",
        "/CN=localhost",
        "-keyout",
        "server.key",
        "-out",
        "server.csr",
    ]);
    std::fs::write(
        dir.join("server.ext"),
        "subjectAltName=DNS:localhost,IP:127.0.0.1\nbasicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\n",
    )
    .unwrap();
    run(&[
        "x509",
        "-req",
        "-in",
        "server.csr",
        "-CA",
        "ca.pem",
        "-CAkey",
        "ca.key",
        "-CAcreateserial",
        "-days",
        "2",
        "-extfile",
        "server.ext",
        "-out",
        "server.pem",
    ]);
    std::fs::read_to_string(dir.join("ca.pem")).unwrap()
}

/// The webhook receiver: deliveries over HTTPS, steered over HTTP.
struct Receiver {
    child: Child,
    https: String,
    control: String,
}

impl Drop for Receiver {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Receiver {
    fn start(dir: &Path) -> Receiver {
        let end2end = concat!(env!("CARGO_MANIFEST_DIR"), "/../end2end");
        let mut child = Command::new("node")
            .arg("streaming/receiver.mjs")
            .arg(dir.join("server.pem"))
            .arg(dir.join("server.key"))
            .current_dir(end2end)
            .stdout(Stdio::piped())
            .spawn()
            .unwrap();
        let mut line = String::new();
        std::io::BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut line)
            .unwrap();
        let ports: Vec<&str> = line
            .trim()
            .strip_prefix("LISTENING ")
            .expect("the receiver started")
            .split(' ')
            .collect();
        Receiver {
            child,
            https: format!("https://127.0.0.1:{}", ports[0]),
            control: format!("http://127.0.0.1:{}", ports[1]),
        }
    }

    async fn steer(&self, path: &str, body: Value) {
        let answer = reqwest::Client::new()
            .post(format!("{}{path}", self.control))
            .json(&body)
            .send()
            .await
            .unwrap();
        assert!(answer.status().is_success());
    }

    async fn received(&self) -> Vec<Value> {
        reqwest::get(format!("{}/received", self.control))
            .await
            .unwrap()
            .json()
            .await
            .unwrap()
    }

    /// The ingested events (`stream-N`) as first received on `path`, in order, waiting
    /// until `count` arrived. (A destination also gets the log's own records of streaming
    /// changes made after it was created.)
    async fn events_on(&self, path: &str, count: usize, within: Duration) -> Vec<(String, i64)> {
        let started = Instant::now();
        loop {
            let received = self.received().await;
            let failed: Vec<&Value> = received
                .iter()
                .filter(|entry| entry["ok"] == false && entry["error"] != "no secret for this path yet")
                .collect();
            assert!(failed.is_empty(), "signatures that did not verify: {failed:?}");
            let mut seen = std::collections::HashSet::new();
            let events: Vec<(String, i64)> = received
                .iter()
                .filter(|entry| entry["path"] == path && entry["test"] == false)
                .flat_map(|entry| entry["events"].as_array().unwrap().clone())
                .map(|event| {
                    (
                        event["id"].as_str().unwrap().to_string(),
                        event["position"].as_i64().unwrap(),
                    )
                })
                .filter(|(id, _)| id.starts_with("stream-") && seen.insert(id.clone()))
                .collect();
            if events.len() >= count || started.elapsed() > within {
                return events;
            }
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    }
}

fn streaming_limits() -> Limits {
    Limits {
        streaming: StreamingSettings {
            allow_private_networks: true,
            retry_max: Duration::from_secs(1),
            lease: Duration::from_secs(4),
            ..StreamingSettings::default()
        },
        ..Limits::default()
    }
}

/// Creates a destination as Contoso's Global admin: the answer's status and JSON.
async fn create(app: &TestApp, admin: &reqwest::Client, fields: &[(&str, &str)]) -> (StatusCode, Value) {
    let answer = admin
        .post(app.url("/api/create_stream_destination"))
        .form(fields)
        .send()
        .await
        .unwrap();
    let status = answer.status();
    (status, answer.json().await.unwrap())
}

/// Stores `count` events from `first` through the ingest API, a thousand a request: every
/// tenth a password reset, the rest license assignments.
async fn ingest(base: &str, token: &str, first: usize, count: usize) {
    let http = client();
    for start in (first..first + count).step_by(1000) {
        let events: Vec<Value> = (start..(start + 1000).min(first + count))
            .map(|n| {
                let (action, details) = if n % 10 == 0 {
                    ("reset_user_password", serde_json::json!({"type": "password_reset", "user_principal_name": format!("u{n}@adatum.example")}))
                } else {
                    ("assigned_license", serde_json::json!({"type": "license_assignment", "product": "Microsoft 365 E3", "user_principal_name": format!("u{n}@adatum.example")}))
                };
                serde_json::json!({
                    "id": format!("stream-{n}"), "occurred_at": "2026-11-20T10:00:00Z",
                    "partner_user": "helpdesk.agent@contoso.example", "action": action, "details": details,
                })
            })
            .collect();
        let answer = http
            .post(format!("{base}/api/v1/events"))
            .bearer_auth(token)
            .json(&serde_json::json!({ "events": events }))
            .send()
            .await
            .unwrap();
        assert_eq!(
            answer.status(),
            StatusCode::OK,
            "{}",
            answer.text().await.unwrap()
        );
    }
}

fn assert_in_chain_order(events: &[(String, i64)]) {
    assert!(
        events.windows(2).all(|pair| pair[0].1 < pair[1].1),
        "not in chain order"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn every_event_arrives_signed_and_in_order_through_a_receiver_outage() {
    let dir = tempfile::tempdir().unwrap();
    let ca = certificates(dir.path());
    let receiver = Receiver::start(dir.path());
    let app = spawn_app_with(50, streaming_limits()).await;
    let admin = app.signed_in("global.admin@contoso.example").await;
    let everything = format!("{}/all", receiver.https);
    let (status, created) = create(
        &app,
        &admin,
        &[
            ("name", "SIEM"),
            ("kind", "webhook"),
            ("target", &everything),
            ("ca_pem", &ca),
        ],
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{created}");
    let secret = created["secret"].as_str().unwrap().to_string();
    assert!(secret.starts_with("whsec_"));
    receiver
        .steer("/secret", serde_json::json!({ "path": "/all", "secret": secret }))
        .await;
    let resets = format!("{}/resets", receiver.https);
    let (status, filtered) = create(
        &app,
        &admin,
        &[
            ("name", "Resets"),
            ("kind", "webhook"),
            ("target", &resets),
            ("ca_pem", &ca),
            ("filter", "action:reset"),
        ],
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{filtered}");
    receiver
        .steer(
            "/secret",
            serde_json::json!({ "path": "/resets", "secret": filtered["secret"] }),
        )
        .await;
    let token = app.token_with(1, &[TokenScope::WriteEvents]).await;

    const EVENTS: usize = 100_000;
    let ingest_started = Instant::now();
    ingest(&app.url(""), &token, 0, 20_000).await;
    // The receiver fails (500, then connections closed) while 60,000 more are stored.
    receiver
        .steer("/mode", serde_json::json!({ "mode": "500" }))
        .await;
    ingest(&app.url(""), &token, 20_000, 30_000).await;
    receiver
        .steer("/mode", serde_json::json!({ "mode": "close" }))
        .await;
    ingest(&app.url(""), &token, 50_000, 30_000).await;
    receiver.steer("/mode", serde_json::json!({ "mode": "ok" })).await;
    ingest(&app.url(""), &token, 80_000, 20_000).await;
    let ingest_took = ingest_started.elapsed();

    let all = receiver.events_on("/all", EVENTS, Duration::from_secs(120)).await;
    assert_eq!(
        all.len(),
        EVENTS,
        "every event arrived (ingest took {ingest_took:?})"
    );
    assert_in_chain_order(&all);
    assert!(
        all.iter()
            .enumerate()
            .all(|(n, (id, _))| *id == format!("stream-{n}"))
    );
    // Only the password resets reached the filtered destination, in order.
    let resets = receiver
        .events_on("/resets", EVENTS / 10, Duration::from_secs(60))
        .await;
    let list: Value = admin
        .post(app.url("/api/stream_destinations"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(resets.len(), EVENTS / 10, "{list}");
    assert_in_chain_order(&resets);
    assert!(
        resets
            .iter()
            .all(|(id, _)| id.trim_start_matches("stream-").parse::<usize>().unwrap() % 10 == 0)
    );

    // The page's view: delivered up to the end, nothing behind, the outage's error said.
    let siem = &list.as_array().unwrap()[0];
    assert_eq!(siem["name"], "SIEM");
    assert_eq!(siem["failures_in_row"], 0);
    assert!(
        siem["last_error"].as_str().unwrap_or_default().len() > 3,
        "{siem}"
    );
    assert!(siem["delivered_at"].is_string());
    // The two creations are in the log itself.
    let changes = app
        .count("SELECT COUNT(*) FROM activity_events WHERE action_kind = 'changed_log_streaming'")
        .await;
    assert_eq!(changes, 2);
    assert!(list.to_string().find("whsec_").is_none(), "a secret was listed");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_rotated_secret_signs_beside_the_old_one_and_the_test_event_is_marked() {
    let dir = tempfile::tempdir().unwrap();
    let ca = certificates(dir.path());
    let receiver = Receiver::start(dir.path());
    let app = spawn_app_with(50, streaming_limits()).await;
    let admin = app.signed_in("global.admin@contoso.example").await;
    let target = format!("{}/hook", receiver.https);
    let (_, created) = create(
        &app,
        &admin,
        &[
            ("name", "SIEM"),
            ("kind", "webhook"),
            ("target", &target),
            ("ca_pem", &ca),
        ],
    )
    .await;
    let id = created["destination"]["id"].as_i64().unwrap();
    let old = created["secret"].as_str().unwrap().to_string();
    let rotated: Value = admin
        .post(app.url("/api/rotate_stream_destination_secret"))
        .form(&[("id", id.to_string())])
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let new = rotated["secret"].as_str().unwrap().to_string();
    assert_ne!(old, new);
    // Receivers still on the old secret and those already on the new both verify.
    let token = app.token_with(1, &[TokenScope::WriteEvents]).await;
    for (n, secret) in [&old, &new].into_iter().enumerate() {
        receiver.steer("/clear", serde_json::json!({})).await;
        receiver
            .steer(
                "/secret",
                serde_json::json!({ "path": "/hook", "secret": secret }),
            )
            .await;
        ingest(&app.url(""), &token, n * 10, 10).await;
        let events = receiver.events_on("/hook", 10, Duration::from_secs(30)).await;
        assert_eq!(
            events.len(),
            10,
            "signed for the {} secret",
            if n == 0 { "old" } else { "new" }
        );
    }
    let tested = admin
        .post(app.url("/api/send_stream_test_event"))
        .form(&[("id", id.to_string())])
        .send()
        .await
        .unwrap();
    assert_eq!(tested.status(), StatusCode::OK);
    let last = receiver.received().await.pop().unwrap();
    assert_eq!(last["test"], true);
    assert_eq!(last["ok"], true);
    // The test event is not in the log.
    assert_eq!(
        app.count("SELECT COUNT(*) FROM activity_events WHERE external_id LIKE 'test-%'")
            .await,
        0
    );
    // A receiver that fails makes the test say why.
    receiver
        .steer("/mode", serde_json::json!({ "mode": "500" }))
        .await;
    let failed = admin
        .post(app.url("/api/send_stream_test_event"))
        .form(&[("id", id.to_string())])
        .send()
        .await
        .unwrap();
    assert_eq!(failed.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(failed.text().await.unwrap().contains("500"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_chat_destination_gets_a_line_per_matching_event_in_the_admins_language() {
    let dir = tempfile::tempdir().unwrap();
    let ca = certificates(dir.path());
    let receiver = Receiver::start(dir.path());
    let app = spawn_app_with(50, streaming_limits()).await;
    let admin = app.signed_in("global.admin@contoso.example").await;
    let target = format!("{}/chat", receiver.https);
    let answer = admin
        .post(app.url("/api/create_stream_destination"))
        .header("accept-language", "ko-KR,ko;q=0.9")
        .form(&[
            ("name", "Alerts"),
            ("kind", "chat"),
            ("target", target.as_str()),
            ("ca_pem", ca.as_str()),
            ("filter", "action:reset"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(answer.status(), StatusCode::OK);
    let created: Value = answer.json().await.unwrap();
    receiver
        .steer(
            "/secret",
            serde_json::json!({ "path": "/chat", "secret": created["secret"] }),
        )
        .await;
    let token = app.token_with(1, &[TokenScope::WriteEvents]).await;
    ingest(&app.url(""), &token, 0, 200).await;

    // Twenty resets of the 200, a line each, in Korean, in order.
    let started = Instant::now();
    let lines = loop {
        let received = receiver.received().await;
        let lines: Vec<String> = received
            .iter()
            .filter(|entry| entry["path"] == "/chat" && entry["ok"] == true)
            .flat_map(|entry| {
                let text = entry["text"].as_str().expect("a chat message").to_string();
                text.lines().map(str::to_string).collect::<Vec<_>>()
            })
            .collect();
        if lines.len() >= 20 || started.elapsed() > Duration::from_secs(30) {
            break lines;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    };
    assert_eq!(lines.len(), 20, "{lines:?}");
    for line in &lines {
        assert!(line.contains("사용자 암호 재설정"), "{line}");
        assert!(line.contains("helpdesk.agent@contoso.example"), "{line}");
        assert!(!line.contains('\n'));
    }
    // The test message says it is one, in the same language.
    let id = created["destination"]["id"].as_i64().unwrap();
    let tested = admin
        .post(app.url("/api/send_stream_test_event"))
        .form(&[("id", id.to_string())])
        .send()
        .await
        .unwrap();
    assert_eq!(tested.status(), StatusCode::OK);
    let last = receiver.received().await.pop().unwrap();
    assert!(last["text"].as_str().unwrap().starts_with("[테스트]"), "{last}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn destinations_down_for_the_whole_test_do_not_slow_ingest() {
    let dir = tempfile::tempdir().unwrap();
    let ca = certificates(dir.path());
    let receiver = Receiver::start(dir.path());
    receiver
        .steer("/mode", serde_json::json!({ "mode": "hang" }))
        .await;
    let app = spawn_app_with(50, streaming_limits()).await;
    let admin = app.signed_in("global.admin@contoso.example").await;
    let token = app.token_with(1, &[TokenScope::WriteEvents]).await;
    const EACH: usize = 20_000;
    // Warm up, then time the same ingest with no destination, then in rounds with ten that
    // are down (five hang, five refuse connections) and with those ten paused.
    ingest(&app.url(""), &token, 0, 5000).await;
    let timed_part = |first: usize, count: usize| {
        let base = app.url("");
        let token = token.clone();
        async move {
            let started = Instant::now();
            ingest(&base, &token, first, count).await;
            started.elapsed()
        }
    };
    let alone = timed_part(5000, EACH).await;
    let refusing = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        drop(listener);
        format!("https://127.0.0.1:{port}/gone")
    };
    let mut ids = Vec::new();
    for n in 0..10 {
        let target = if n < 5 {
            format!("{}/hang-{n}", receiver.https)
        } else {
            refusing.clone()
        };
        let (status, created) = create(
            &app,
            &admin,
            &[
                ("name", &format!("Down {n}")),
                ("kind", "webhook"),
                ("target", &target),
                ("ca_pem", &ca),
            ],
        )
        .await;
        assert_eq!(status, StatusCode::OK, "{created}");
        ids.push(created["destination"]["id"].as_i64().unwrap());
    }
    // Interleaved rounds, so that load from elsewhere on the machine falls on both sides.
    let set_enabled = |enabled: bool| {
        let admin = admin.clone();
        let ids = ids.clone();
        let url = app.url("/api/set_stream_destination_enabled");
        async move {
            for id in ids {
                let answer = admin
                    .post(&url)
                    .form(&[("id", id.to_string()), ("enabled", enabled.to_string())])
                    .send()
                    .await
                    .unwrap();
                assert_eq!(answer.status(), StatusCode::OK);
            }
        }
    };
    let (mut beside_down, mut paused) = (Duration::ZERO, Duration::ZERO);
    for round in 0..4 {
        let first = 5000 + EACH + round * EACH / 2;
        if round > 0 {
            set_enabled(true).await;
        }
        // Let the senders fail at least once before timing.
        tokio::time::sleep(Duration::from_millis(1500)).await;
        beside_down += timed_part(first, EACH / 4).await;
        set_enabled(false).await;
        paused += timed_part(first + EACH / 4, EACH / 4).await;
    }
    let list: Value = admin
        .post(app.url("/api/stream_destinations"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    println!(
        "ingest of {EACH} events: {alone:?} alone, {beside_down:?} beside 10 destinations down, {paused:?} with them paused (4 interleaved rounds of 5,000 each)"
    );
    // Every down destination said why and delivered nothing.
    for destination in list.as_array().unwrap() {
        assert!(destination["last_error"].is_string(), "{destination}");
        assert!(destination["delivered_at"].is_null(), "{destination}");
    }
    // Generous (the machine is shared with the receiver and ten senders' retries), yet a
    // sender that held the ingest's connections or locks would take many times longer.
    assert!(
        beside_down < paused * 2 + Duration::from_secs(1),
        "ingest took {beside_down:?} beside down destinations, {paused:?} with them paused"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn destinations_into_the_servers_own_networks_are_refused() {
    let app = spawn_app_with(20, Limits::default()).await;
    let admin = app.signed_in("global.admin@contoso.example").await;
    for target in [
        "https://127.0.0.1/hook",
        "https://10.1.2.3/hook",
        "https://169.254.169.254/latest/meta-data/",
        "https://[::1]:8443/hook",
        "https://localhost:8443/hook",
        "http://siem.example.com/hook",
        "https://user:secret@siem.example.com/hook",
    ] {
        let (status, answer) = create(
            &app,
            &admin,
            &[("name", "Inward"), ("kind", "webhook"), ("target", target)],
        )
        .await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{target}: {answer}");
        assert_eq!(answer["field"], "target", "{target}");
    }
    let (status, answer) = create(
        &app,
        &admin,
        &[
            ("name", "Inward"),
            ("kind", "syslog"),
            ("target", "127.0.0.1:6514"),
        ],
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{answer}");
    // Only Global admins.
    let agent = app.signed_in("admin.agent@contoso.example").await;
    let refused = agent
        .post(app.url("/api/stream_destinations"))
        .send()
        .await
        .unwrap();
    assert_eq!(refused.status(), StatusCode::FORBIDDEN);
}

/// Debian's rsyslog with its TLS module, listening on a port it picks, writing every message
/// it receives, whole, to `out.log`.
struct Rsyslog {
    child: Child,
    port: u16,
    out: std::path::PathBuf,
}

impl Drop for Rsyslog {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Rsyslog {
    fn start(dir: &Path) -> Rsyslog {
        let work = dir.join("rsyslog");
        std::fs::create_dir_all(&work).unwrap();
        let (port_file, out) = (work.join("port"), work.join("out.log"));
        let config = format!(
            r#"global(workDirectory="{work}" maxMessageSize="64k" net.enableDNS="off"
  DefaultNetstreamDriver="gtls" DefaultNetstreamDriverCAFile="{dir}/ca.pem"
  DefaultNetstreamDriverCertFile="{dir}/server.pem" DefaultNetstreamDriverKeyFile="{dir}/server.key")
module(load="imtcp" StreamDriver.Name="gtls" StreamDriver.Mode="1" StreamDriver.AuthMode="anon")
input(type="imtcp" address="127.0.0.1" port="0" listenPortFileName="{port}" ruleset="remote")
ruleset(name="remote") {{ action(type="omfile" file="{out}" template="RSYSLOG_SyslogProtocol23Format") }}
"#,
            work = work.display(),
            dir = dir.display(),
            port = port_file.display(),
            out = out.display(),
        );
        let conf = work.join("rsyslog.conf");
        std::fs::write(&conf, config).unwrap();
        let child = Command::new("/usr/sbin/rsyslogd")
            .args(["-n", "-iNONE", "-f"])
            .arg(&conf)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let started = Instant::now();
        let port = loop {
            if let Some(port) = std::fs::read_to_string(&port_file)
                .ok()
                .and_then(|text| text.trim().parse().ok())
            {
                break port;
            }
            assert!(
                started.elapsed() < Duration::from_secs(15),
                "rsyslog never listened"
            );
            std::thread::sleep(Duration::from_millis(50));
        };
        Rsyslog { child, port, out }
    }

    fn lines(&self) -> Vec<String> {
        std::fs::read_to_string(&self.out)
            .unwrap_or_default()
            .lines()
            .map(str::to_string)
            .collect()
    }
}

/// RFC 5424's header and the `event@32473` element's parameters of one line.
fn parse_rfc5424(line: &str) -> (String, std::collections::HashMap<String, String>) {
    let sd_start = line.find('[').expect("structured data");
    let header: Vec<&str> = line[..sd_start].split(' ').collect();
    assert_eq!(header[0], "<109>1", "{line}");
    let msgid = header[5].to_string();
    let mut params = std::collections::HashMap::new();
    let body = &line[sd_start + 1..];
    let body = body.strip_prefix("event@32473").expect("our element");
    let mut chars = body.chars().peekable();
    loop {
        while chars.peek() == Some(&' ') {
            chars.next();
        }
        if chars.peek() == Some(&']') || chars.peek().is_none() {
            break;
        }
        let name: String = chars.by_ref().take_while(|c| *c != '=').collect();
        assert_eq!(chars.next(), Some('"'));
        let mut value = String::new();
        while let Some(c) = chars.next() {
            match c {
                '\\' => value.push(chars.next().unwrap()),
                '"' => break,
                c => value.push(c),
            }
        }
        params.insert(name, value);
    }
    (msgid, params)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn syslog_over_tls_reaches_rsyslog_as_rfc_5424_with_the_fields_as_structured_data() {
    let dir = tempfile::tempdir().unwrap();
    let ca = certificates(dir.path());
    let rsyslog = Rsyslog::start(dir.path());
    let app = spawn_app_with(50, streaming_limits()).await;
    let admin = app.signed_in("global.admin@contoso.example").await;
    let target = format!("localhost:{}", rsyslog.port);
    let (status, created) = create(
        &app,
        &admin,
        &[
            ("name", "rsyslog"),
            ("kind", "syslog"),
            ("target", &target),
            ("ca_pem", &ca),
        ],
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{created}");
    assert!(created["secret"].is_null());
    // Each event's details are JSON, full of the quotes RFC 5424 escapes in a value.
    let token = app.token_with(1, &[TokenScope::WriteEvents]).await;
    ingest(&app.url(""), &token, 0, 2000).await;
    let started = Instant::now();
    while rsyslog.lines().len() < 2000 && started.elapsed() < Duration::from_secs(60) {
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    let lines = rsyslog.lines();
    assert_eq!(lines.len(), 2000);
    let mut last = 0;
    for (n, line) in lines.iter().enumerate() {
        let (msgid, params) = parse_rfc5424(line);
        assert_eq!(params["id"], format!("stream-{n}"));
        assert_eq!(msgid, params["action"]);
        let position: i64 = params["chain_position"].parse().unwrap();
        assert!(position > last);
        last = position;
        let details: Value = serde_json::from_str(&params["details"]).unwrap();
        assert_eq!(details["user_principal_name"], format!("u{n}@adatum.example"));
    }
    // Without its CA the receiver's certificate is not trusted: the destination says so.
    let (status, untrusted) = create(
        &app,
        &admin,
        &[("name", "no CA"), ("kind", "syslog"), ("target", &target)],
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    let id = untrusted["destination"]["id"].as_i64().unwrap();
    let tested = admin
        .post(app.url("/api/send_stream_test_event"))
        .form(&[("id", id.to_string())])
        .send()
        .await
        .unwrap();
    assert_eq!(tested.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(tested.text().await.unwrap().contains("certificate"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_killed_sender_is_taken_over_from_its_cursor_and_nothing_is_lost() {
    let dir = tempfile::tempdir().unwrap();
    let ca = certificates(dir.path());
    let receiver = Receiver::start(dir.path());
    let key = dir.path().join("signing.key");
    let database = if crate::support::on_postgres() {
        let url = crate::support::fresh_postgres_database().await;
        let seeded = crate::support::server_command(&url, &key)
            .args(["seed-demo", "--events", "50"])
            .status()
            .unwrap();
        assert!(seeded.success());
        url
    } else {
        dir.path().join("db.sqlite").to_string_lossy().into_owned()
    };
    let settings = crate::operations::settings_with(
        dir.path(),
        &[
            ("allow_private_networks = false", "allow_private_networks = true"),
            ("lease_seconds = 20", "lease_seconds = 3"),
            ("retry_max_seconds = 300", "retry_max_seconds = 1"),
        ],
    );
    let flags = ["--config", settings.as_str()];
    let mut servers = vec![
        crate::support::start_server_with(&database, &key, &flags),
        crate::support::start_server_with(&database, &key, &flags),
    ];
    let admin = client();
    let signed_in = admin
        .post(format!("{}/api/sign_in", servers[0].url))
        .form(&[
            ("email", "global.admin@contoso.example"),
            ("password", crate::support::PASSWORD),
        ])
        .send()
        .await
        .unwrap();
    assert!(signed_in.status().is_redirection() || signed_in.status().is_success());
    let target = format!("{}/all", receiver.https);
    let created: Value = admin
        .post(format!("{}/api/create_stream_destination", servers[0].url))
        .form(&[
            ("name", "SIEM"),
            ("kind", "webhook"),
            ("target", target.as_str()),
            ("ca_pem", ca.as_str()),
        ])
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    receiver
        .steer(
            "/secret",
            serde_json::json!({ "path": "/all", "secret": created["secret"] }),
        )
        .await;
    let db = app::db::connect(&app::db::Database::parse(&database))
        .await
        .unwrap();
    let (_, token) = app::api_tokens::store::create(
        &db,
        app::ids::PartnerId(1),
        app::ids::UserId(1),
        "Sender",
        &[TokenScope::WriteEvents],
    )
    .await
    .unwrap();
    ingest(&servers[1].url, &token, 0, 20_000).await;
    // Mid-stream: whichever process holds the lease is killed outright.
    receiver.events_on("/all", 1000, Duration::from_secs(30)).await;
    let holder: String = app::db::on_db!(&db, |pool| sqlx::query_scalar(
        "SELECT lease_holder FROM stream_destinations WHERE lease_holder IS NOT NULL"
    )
    .fetch_one(pool)
    .await)
    .unwrap();
    let pid: u32 = holder.split('-').next().unwrap().parse().unwrap();
    let held = servers
        .iter()
        .position(|server| server.child.id() == pid)
        .expect("a test server holds it");
    let mut killed = servers.remove(held);
    killed.child.kill().unwrap();
    let _ = killed.child.wait();
    ingest(&servers[0].url, &token, 20_000, 10_000).await;
    let events = receiver.events_on("/all", 30_000, Duration::from_secs(90)).await;
    assert_eq!(
        events.len(),
        30_000,
        "every event arrived once the other process took over"
    );
    assert_in_chain_order(&events);
    // At most the batch in flight came twice.
    let deliveries: usize = receiver
        .received()
        .await
        .iter()
        .map(|entry| entry["events"].as_array().map_or(0, Vec::len))
        .sum();
    assert!(
        deliveries - events.len() <= 1000,
        "{} repeated",
        deliveries - events.len()
    );
    // The cursor follows the receiver's acknowledgement (a moment after it).
    let started = Instant::now();
    loop {
        let (delivered, latest): (i64, i64) = app::db::on_db!(&db, |pool| {
            sqlx::query_as(
            "SELECT d.delivered_position, (SELECT MAX(chain_seq) FROM activity_events WHERE partner_id = 1)
             FROM stream_destinations d"
        )
        .fetch_one(pool)
        .await
        })
        .unwrap();
        if delivered == latest {
            break;
        }
        assert!(
            started.elapsed() < Duration::from_secs(10),
            "the cursor stayed at {delivered} of {latest}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    for server in &mut servers {
        server.child.kill().unwrap();
        let _ = server.child.wait();
    }

    // The operator's command line, on the same database.
    let streams = |args: &[&str]| {
        let output = crate::support::server_command(&database, &key)
            .arg("streams")
            .args(args)
            .output()
            .unwrap();
        assert!(
            output.status.success(),
            "{}",
            String::from_utf8_lossy(&output.stderr)
        );
        String::from_utf8(output.stdout).unwrap()
    };
    let id = created["destination"]["id"].as_i64().unwrap().to_string();
    let listed = streams(&["list"]);
    assert!(listed.contains("\tSIEM\trunning\t"), "{listed}");
    assert!(listed.contains("(0 behind)"), "{listed}");
    assert_eq!(
        streams(&["pause", &id]).trim(),
        format!("destination {id}: paused")
    );
    assert!(streams(&["list"]).contains("\tSIEM\tpaused\t"));
    assert_eq!(
        streams(&["resume", &id]).trim(),
        format!("destination {id}: resumed")
    );
    assert!(streams(&["list"]).contains("\tSIEM\trunning\t"));
    let missing = crate::support::server_command(&database, &key)
        .args(["streams", "pause", "999999"])
        .output()
        .unwrap();
    assert!(!missing.status.success());
    assert!(String::from_utf8_lossy(&missing.stderr).contains("no log streaming destination 999999"));

    // Checked again on every connection, not only when saved: the same destination (a
    // loopback address, saved while allowed) gets nothing from a server that does not allow
    // private networks, as if its name had come to resolve inward after it was saved.
    let guarded_settings = crate::operations::settings_with(
        dir.path(),
        &[("retry_max_seconds = 300", "retry_max_seconds = 1")],
    );
    let mut guarded =
        crate::support::start_server_with(&database, &key, &["--config", guarded_settings.as_str()]);
    let deliveries_before = receiver.received().await.len();
    ingest(&guarded.url, &token, 30_000, 100).await;
    let started = Instant::now();
    loop {
        let last_error: Option<String> = app::db::on_db!(&db, |pool| sqlx::query_scalar(
            "SELECT last_error FROM stream_destinations"
        )
        .fetch_one(pool)
        .await)
        .unwrap();
        if last_error
            .as_deref()
            .is_some_and(|error| error.contains("allow_private_networks"))
        {
            break;
        }
        assert!(
            started.elapsed() < Duration::from_secs(30),
            "the inward destination was not refused at connect time: {last_error:?}"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    assert_eq!(
        receiver.received().await.len(),
        deliveries_before,
        "nothing reached the inward receiver"
    );
    guarded.child.kill().unwrap();
    let _ = guarded.child.wait();
}
