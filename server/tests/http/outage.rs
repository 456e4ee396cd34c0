//! A database outage, answered fast and honestly: the real binary on a PostgreSQL server of
//! the test's own, which the test stops. Meanwhile a page that needs the database is a 503
//! with Retry-After within 2 s saying the service is briefly unavailable, `/readyz` is 503
//! within its timeout, and what needs no database (health, the sign-in form, files) answers
//! as before. When the database is back the server recovers by itself.

use std::path::PathBuf;
use std::process::Command;
use std::time::{Duration, Instant};

use crate::operations::serve;
use crate::support::{PASSWORD, free_port, server_command};

/// A PostgreSQL server of Debian's package in a directory of the test's own, on a free port.
struct OwnPostgres {
    dir: tempfile::TempDir,
    bin: PathBuf,
    port: u16,
    as_owner: Vec<&'static str>,
}

impl OwnPostgres {
    fn start() -> OwnPostgres {
        let bin = std::fs::read_dir("/usr/lib/postgresql")
            .expect("Debian's postgresql package (scripts/test installs it)")
            .filter_map(|entry| Some(entry.ok()?.path().join("bin")))
            .filter(|bin| bin.join("initdb").exists())
            .max()
            .expect("a PostgreSQL server's binaries");
        let dir = tempfile::tempdir().unwrap();
        // initdb refuses root: as root, the server runs as the `postgres` user.
        let root = Command::new("id")
            .arg("-u")
            .output()
            .unwrap()
            .stdout
            .starts_with(b"0");
        let as_owner = if root {
            vec!["runuser", "-u", "postgres", "--"]
        } else {
            Vec::new()
        };
        if root {
            assert!(
                Command::new("chown")
                    .arg("postgres:")
                    .arg(dir.path())
                    .status()
                    .unwrap()
                    .success()
            );
        }
        let postgres = OwnPostgres {
            dir,
            bin,
            port: free_port(),
            as_owner,
        };
        let data = postgres.data();
        postgres.run(
            "initdb",
            &["-D", &data, "-U", "postgres", "--auth=trust", "-E", "UTF8"],
        );
        postgres.up();
        postgres
    }

    fn data(&self) -> String {
        self.dir.path().join("data").to_string_lossy().into_owned()
    }

    /// `program` of the server's binaries, as the data directory's owner.
    fn command(&self, program: &str) -> Command {
        let program = self.bin.join(program);
        match self.as_owner.split_first() {
            Some((wrapper, rest)) => {
                let mut command = Command::new(wrapper);
                command.args(rest).arg(&program);
                command
            }
            None => Command::new(&program),
        }
    }

    fn run(&self, program: &str, args: &[&str]) {
        let output = self.command(program).args(args).output().unwrap();
        assert!(
            output.status.success(),
            "{program:?}: {}",
            String::from_utf8_lossy(&output.stderr)
        );
    }

    fn up(&self) {
        let options = format!(
            "-p {} -k {} -c listen_addresses=127.0.0.1",
            self.port,
            self.dir.path().display()
        );
        let log = self
            .dir
            .path()
            .join("postgres.log")
            .to_string_lossy()
            .into_owned();
        self.run(
            "pg_ctl",
            &["-D", &self.data(), "-o", &options, "-l", &log, "-w", "start"],
        );
    }

    fn down(&self) {
        self.run("pg_ctl", &["-D", &self.data(), "-m", "immediate", "stop"]);
    }

    fn url(&self) -> String {
        format!("postgres://postgres@127.0.0.1:{}/postgres", self.port)
    }
}

impl Drop for OwnPostgres {
    fn drop(&mut self) {
        let _ = self
            .command("pg_ctl")
            .args(["-D", &self.data(), "-m", "immediate", "stop"])
            .output();
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_database_outage_is_answered_fast_and_the_server_recovers_by_itself() {
    let postgres = OwnPostgres::start();
    let dir = tempfile::tempdir().unwrap();
    let key = dir.path().join("signing.key");
    let seeded = server_command(postgres.url(), &key)
        .args(["seed-demo", "--events", "300"])
        .status()
        .unwrap();
    assert!(seeded.success());
    let server = serve(dir.path(), &postgres.url(), &[], &[]);
    let client = reqwest::Client::builder()
        .cookie_store(true)
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let get = |path: &str| {
        let (client, url) = (client.clone(), format!("{}{path}", server.url));
        async move {
            let started = Instant::now();
            let response = client.get(url).send().await.unwrap();
            let status = response.status().as_u16();
            let retry_after = response.headers().get("retry-after").cloned();
            let body = response.text().await.unwrap();
            (status, retry_after, body, started.elapsed())
        }
    };
    let signed_in = client
        .post(format!("{}/api/sign_in", server.url))
        .form(&[("email", "global.admin@contoso.example"), ("password", PASSWORD)])
        .send()
        .await
        .unwrap();
    assert!(signed_in.status().is_redirection() || signed_in.status().is_success());
    let log_page = "/account-settings/activity-log?from=2026-11-01&to=2026-11-30";
    assert_eq!(get(log_page).await.0, 200);

    postgres.down();
    let (status, retry_after, body, took) = get(log_page).await;
    assert_eq!(status, 503, "{body}");
    assert!(retry_after.is_some(), "Retry-After on the 503");
    assert!(body.contains("briefly unavailable"), "{body}");
    assert!(took < Duration::from_secs(2), "the outage answered in {took:?}");
    let (status, _, body, took) = get("/readyz").await;
    assert_eq!(status, 503, "{body}");
    assert!(took < Duration::from_millis(1500), "/readyz answered in {took:?}");
    for path in ["/healthz", "/favicon.ico"] {
        let (status, _, _, took) = get(path).await;
        assert_eq!(status, 200, "{path}");
        assert!(took < Duration::from_millis(500), "{path} took {took:?}");
    }
    let anonymous = reqwest::Client::new();
    let started = Instant::now();
    let sign_in = anonymous
        .get(format!("{}/sign-in", server.url))
        .send()
        .await
        .unwrap();
    assert_eq!(sign_in.status(), 200);
    assert!(sign_in.text().await.unwrap().contains("password"));
    let took = started.elapsed();
    assert!(took < Duration::from_secs(1), "the sign-in form took {took:?}");

    postgres.up();
    let deadline = Instant::now() + Duration::from_secs(15);
    loop {
        if get("/readyz").await.0 == 200 {
            break;
        }
        assert!(Instant::now() < deadline, "the server never became ready again");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    assert_eq!(get(log_page).await.0, 200, "the same session works again");
}
