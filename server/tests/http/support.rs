//! `spawn_app()`: a seeded demo database in a temp dir and the real server on port 0.

use std::net::SocketAddr;
use std::path::PathBuf;

use app::activity::wire::{EncodedPage, EventPage, PAGE_CONTENT_TYPE};
use app::db::{Database, Db};
use app::events::ActivityEntry;
use app::integrity::checkpoint::CheckpointSigner;
use app::state::Limits;
use chrono::{DateTime, Duration, DurationRound, TimeDelta, Utc};
use leptos::prelude::LeptosOptions;
use reqwest::{Client, Response, StatusCode};
use server::demo::{DemoOptions, seed_demo};
use server::startup::{Application, IntegritySettings};
use sqlx::{Connection, Executor, PgConnection};
use std::sync::Arc;

pub const PASSWORD: &str = "demo-password-1";

/// A loopback port free right now (for a helper server the test starts).
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}
pub const DEMO_SEED: u64 = 7;
pub const DEMO_EVENTS: usize = 1500;
/// Contoso's customers are ids 1-12, Fabrikam's 13-16.
pub const FABRIKAM_CUSTOMER: i64 = 13;
pub const CONTOSO_CUSTOMER: i64 = 7;

pub struct TestApp {
    pub address: SocketAddr,
    /// The test's SQLite file, or its own PostgreSQL database ([`on_postgres`]).
    pub db: Db,
    /// Where `db` is, for another server on the same data ([`TestApp::another_server`]).
    pub database: Database,
    pub now: DateTime<Utc>,
    pub signer: Arc<CheckpointSigner>,
    /// The signing key's file (its public half is beside it, `.pub`).
    pub key_path: PathBuf,
    /// The server's metrics, as its metrics address would show them.
    pub metrics: Arc<app::state::metrics::Metrics>,
    /// Holds the database file and the signing key.
    _dir: tempfile::TempDir,
}

/// Which backend these tests run on: SQLite, or PostgreSQL when ALOG_TEST_BACKEND=postgres
/// (scripts/test runs the suite once on each).
pub fn on_postgres() -> bool {
    std::env::var("ALOG_TEST_BACKEND").is_ok_and(|backend| backend == "postgres")
}

/// A new, empty database for one test: a SQLite file in `dir`, or (on PostgreSQL) a new
/// database on the test server.
pub async fn fresh_database(dir: &std::path::Path) -> Database {
    if on_postgres() {
        Database::Postgres(fresh_postgres_database().await)
    } else {
        Database::SqliteFile(dir.join("test.sqlite"))
    }
}

/// A fresh, empty database on the test PostgreSQL server (scripts/with-postgres); its URL.
pub async fn fresh_postgres_database() -> String {
    let server = std::env::var("ALOG_TEST_POSTGRES_URL").expect(
        "ALOG_TEST_POSTGRES_URL is not set: run the tests under scripts/with-postgres (scripts/test does)",
    );
    let name = format!("alog_test_{}", app::digest::random_hex(8));
    let mut admin = PgConnection::connect(&server)
        .await
        .expect("the test PostgreSQL server answers");
    admin
        .execute(format!("CREATE DATABASE {name}").as_str())
        .await
        .unwrap();
    let (base, _) = server.rsplit_once('/').unwrap();
    format!("{base}/{name}")
}

pub fn demo_now() -> DateTime<Utc> {
    Utc::now().duration_trunc(TimeDelta::hours(1)).unwrap()
}

pub async fn spawn_app() -> TestApp {
    spawn_app_with(DEMO_EVENTS, Limits::default()).await
}

/// [`spawn_app`] with `events` demo events and the server's `limits`.
pub async fn spawn_app_with(events: usize, limits: Limits) -> TestApp {
    let dir = tempfile::tempdir().unwrap();
    let database = fresh_database(dir.path()).await;
    let db = app::db::connect(&database).await.unwrap();
    let now = demo_now();
    seed_demo(
        &db,
        &DemoOptions {
            seed: DEMO_SEED,
            events,
            now,
        },
    )
    .await
    .unwrap();
    let key_path = dir.path().join("signing.key");
    let signer = Arc::new(CheckpointSigner::create(&key_path).unwrap());
    // The server signs at start, before it takes a request; sign here first too, so the
    // seeded events are covered whatever the server is given.
    app::integrity::checkpoint::sign_checkpoints(&db, &signer, Utc::now())
        .await
        .unwrap();
    let (address, metrics) = serve(&database, limits, &signer).await;
    TestApp {
        address,
        metrics,
        db,
        database,
        now,
        signer,
        key_path,
        _dir: dir,
    }
}

/// The real server on a free port over `database`, running until the test ends.
async fn serve(
    database: &Database,
    limits: Limits,
    signer: &Arc<CheckpointSigner>,
) -> (SocketAddr, Arc<app::state::metrics::Metrics>) {
    let options = LeptosOptions::builder().output_name("activity-log").build();
    let sessions = app::state::SessionSettings {
        lifetime: chrono::Duration::hours(8),
        idle_timeout: chrono::Duration::minutes(30),
        secure_cookie: false,
    };
    let integrity = IntegritySettings {
        signer: Some(signer.clone()),
        public_key: signer.verifying_key(),
        checkpoint_every: std::time::Duration::from_secs(3600),
        audit_period: std::time::Duration::from_secs(86_400),
    };
    let application = Application::build(
        database,
        sessions,
        limits,
        integrity,
        options,
        "127.0.0.1:0".parse().unwrap(),
    )
    .await
    .unwrap();
    let address = application.local_addr();
    let metrics = application.metrics();
    tokio::spawn(application.run_until_stopped());
    (address, metrics)
}

/// A browser-like client: keeps cookies, does not follow redirects.
pub fn client() -> Client {
    Client::builder()
        .cookie_store(true)
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
}

pub fn rfc3339(time: DateTime<Utc>) -> String {
    time.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
}

impl TestApp {
    /// An ingest token of Contoso's, made by its Global admin.
    pub async fn contoso_token(&self) -> String {
        self.token_with(1, &[app::api_tokens::model::TokenScope::WriteEvents])
            .await
    }

    /// A token of `partner` (1 Contoso, 2 Fabrikam) made by its Global admin, with `scopes`.
    pub async fn token_with(&self, partner: i64, scopes: &[app::api_tokens::model::TokenScope]) -> String {
        let admin = if partner == 1 { 1 } else { 8 };
        let (_, secret) = app::api_tokens::store::create(
            &self.db,
            app::ids::PartnerId(partner),
            app::ids::UserId(admin),
            "Test system",
            scopes,
        )
        .await
        .unwrap();
        secret
    }

    /// Stores password resets (event id, RFC 3339 time) in one batch through the ingest API,
    /// as another system would, and checks they were taken.
    pub async fn store_password_resets(
        &self,
        token: &str,
        events: impl IntoIterator<Item = (String, String)>,
    ) {
        let events: Vec<serde_json::Value> = events
            .into_iter()
            .map(|(id, occurred_at)| {
                serde_json::json!({
                    "id": id, "occurred_at": occurred_at,
                    "partner_user": "helpdesk.agent@contoso.example", "action": "reset_user_password",
                    "details": {"type": "password_reset", "user_principal_name": "megan@adatum.example"}
                })
            })
            .collect();
        let response = client()
            .post(self.url("/api/v1/events"))
            .bearer_auth(token)
            .json(&serde_json::json!({ "events": events }))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::OK);
    }

    /// A second server over the same database (a replica behind a load balancer): its
    /// base URL.
    pub async fn another_server(&self) -> String {
        let (address, _) = serve(&self.database, Limits::default(), &self.signer).await;
        format!("http://{address}")
    }

    pub fn url(&self, path: &str) -> String {
        format!("http://{}{}", self.address, path)
    }

    /// A client signed in as `email`.
    pub async fn signed_in(&self, email: &str) -> Client {
        let client = client();
        let response = self.sign_in(&client, email, PASSWORD).await;
        assert!(
            response.status().is_success() || response.status().is_redirection(),
            "sign-in of {email} failed: {}",
            response.status()
        );
        client
    }

    pub async fn sign_in(&self, client: &Client, email: &str, password: &str) -> Response {
        client
            .post(self.url("/api/sign_in"))
            .form(&[("email", email), ("password", password)])
            .send()
            .await
            .unwrap()
    }

    /// Calls the list server function for the 30 days up to now.
    pub async fn list_last_month(&self, client: &Client) -> Response {
        self.list(
            client,
            &rfc3339(self.now - Duration::days(30)),
            &rfc3339(self.now + Duration::hours(1)),
        )
        .await
    }

    /// The first page of the list server function.
    pub async fn list(&self, client: &Client, from: &str, to: &str) -> Response {
        self.list_page(client, from, to, "").await
    }

    pub async fn list_page(&self, client: &Client, from: &str, to: &str, after: &str) -> Response {
        client
            .post(self.url("/api/list_activity"))
            .form(&[("from", from), ("to", to), ("after", after)])
            .send()
            .await
            .unwrap()
    }

    /// A page of the list server function in the binary the log page asks for.
    pub async fn list_page_binary(&self, client: &Client, from: &str, to: &str, after: &str) -> EventPage {
        let response = client
            .post(self.url("/api/list_activity"))
            .header("accept", PAGE_CONTENT_TYPE)
            .form(&[("from", from), ("to", to), ("after", after)])
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::OK);
        assert_eq!(response.headers()["content-type"], PAGE_CONTENT_TYPE);
        let bytes = response.bytes().await.unwrap();
        let page = EncodedPage::decode(&bytes).expect("a page in binary");
        assert_eq!(EncodedPage::next_cursor(&bytes), Some(page.next.clone()));
        page
    }

    /// Every page of the period, as the page loads it (in binary): (entries, requests made).
    pub async fn list_all(&self, client: &Client, from: &str, to: &str) -> (Vec<ActivityEntry>, usize) {
        let (mut entries, mut after, mut requests) = (Vec::new(), String::new(), 0);
        loop {
            let page = self.list_page_binary(client, from, to, &after).await;
            requests += 1;
            let next = page.next.clone();
            entries.extend(page.unpack());
            match next {
                Some(cursor) => after = cursor,
                None => return (entries, requests),
            }
        }
    }

    pub async fn export(&self, client: &Client, fields: &[(&str, &str)]) -> Response {
        client
            .post(self.url("/account-settings/activity-log/export"))
            .form(fields)
            .send()
            .await
            .unwrap()
    }

    /// `verify` on the partner's chain finds nothing broken.
    pub async fn assert_chain_intact(&self, partner_id: i64) {
        let report = app::integrity::verify::verify_partner(
            &self.db,
            app::ids::PartnerId(partner_id),
            &self.signer.verifying_key(),
        )
        .await
        .unwrap();
        assert_eq!(report.broken, None, "{report}");
    }

    pub async fn count(&self, sql: &str) -> i64 {
        let (count,): (i64,) =
            app::db::on_db!(&self.db, |pool| sqlx::query_as(sql).fetch_one(pool).await).unwrap();
        count
    }
}

pub async fn assert_status(response: Response, expected: StatusCode) -> String {
    let status = response.status();
    let body = response.text().await.unwrap();
    assert_eq!(status, expected, "unexpected status; body: {body}");
    body
}

/// The `message` of an error answer (every handler and server function answers
/// `{"error": kind, "message": …}`), checking it is that shape.
pub fn error_message(body: &str) -> String {
    let error: serde_json::Value =
        serde_json::from_str(body).unwrap_or_else(|_| panic!("an error is JSON: {body}"));
    assert!(error["error"].is_string(), "{body}");
    error["message"].as_str().expect("a message").to_string()
}

/// The real `server` binary on `db` with the signing key `key`, run from the repository root
/// (where `Leptos.toml` is); add the subcommand.
pub fn server_command(db: impl AsRef<std::ffi::OsStr>, key: &std::path::Path) -> std::process::Command {
    let mut command = std::process::Command::new(env!("CARGO_BIN_EXE_server"));
    command
        .current_dir(concat!(env!("CARGO_MANIFEST_DIR"), "/.."))
        .arg("--database-url")
        .arg(db)
        .arg("--signing-key")
        .arg(key)
        .env_remove("DATABASE_URL")
        .env("RUST_LOG", "warn")
        // The site's own files straight from `public/`: the tests run before any front-end
        // build has made `target/site` (a fresh clone has none).
        .env(
            "LEPTOS_SITE_ROOT",
            concat!(env!("CARGO_MANIFEST_DIR"), "/../public"),
        );
    command
}

/// The real `server` binary, serving `db` on a free port.
pub struct RunningServer {
    pub child: std::process::Child,
    pub url: String,
    pub stdout: std::io::BufReader<std::process::ChildStdout>,
}

/// Starts `server --database-url DB --signing-key KEY serve --demo --create-key` (seeding a
/// demo SQLite file when DB is missing; a PostgreSQL DB must be seeded already) and waits for its "listening on" line.
pub fn start_server(db: impl AsRef<std::ffi::OsStr>, key: &std::path::Path) -> RunningServer {
    start_server_with(db, key, &[])
}

/// [`start_server`] with more global flags, e.g. `["--config", "settings.toml"]`.
pub fn start_server_with(
    db: impl AsRef<std::ffi::OsStr>,
    key: &std::path::Path,
    flags: &[&str],
) -> RunningServer {
    use std::io::BufRead;
    // A PostgreSQL database is never seeded by `serve`: seed it first (`seed-demo`).
    let on_postgres = Database::parse(&db.as_ref().to_string_lossy()).is_postgres();
    let demo: &[&str] = if on_postgres { &[] } else { &["--demo"] };
    let mut child = server_command(db, key)
        .args(flags)
        .arg("serve")
        .args(demo)
        .args(["--create-key", "--addr", "127.0.0.1:0"])
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdout = std::io::BufReader::new(child.stdout.take().unwrap());
    let mut line = String::new();
    let url = loop {
        line.clear();
        assert!(
            stdout.read_line(&mut line).unwrap() > 0,
            "the server exited before listening"
        );
        if let Some(url) = line.trim().strip_prefix("listening on ") {
            break url.to_string();
        }
    };
    RunningServer { child, url, stdout }
}
