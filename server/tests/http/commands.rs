//! The real binary's commands never create what they were not asked to: no demo database
//! behind `serve`, no signing key behind `verify` or `checkpoint`; and a wrong key is named
//! as one, not reported as forgery.

use std::path::Path;
use std::process::Output;

use crate::support::{server_command, spawn_app};

fn run(db: &Path, key: &Path, args: &[&str]) -> Output {
    server_command(db, key).args(args).output().unwrap()
}

fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).to_string()
}

fn stdout(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).to_string()
}

#[test]
fn serve_without_a_database_refuses_and_names_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let (db, key) = (dir.path().join("typo.sqlite"), dir.path().join("k"));
    let output = run(&db, &key, &["serve", "--create-key", "--addr", "127.0.0.1:0"]);
    assert!(!output.status.success());
    let message = stderr(&output);
    assert!(
        message.contains("no database at") && message.contains("typo.sqlite"),
        "{message}"
    );
    assert!(message.contains("server seed-demo"), "{message}");
    assert!(!db.exists(), "no database was created");
}

#[test]
fn serve_without_a_key_refuses_unless_asked_to_create_one() {
    let dir = tempfile::tempdir().unwrap();
    let (db, key) = (dir.path().join("db.sqlite"), dir.path().join("missing.key"));
    let seeded = run(&db, &key, &["seed-demo", "--events", "50"]);
    assert!(seeded.status.success(), "{seeded:?}");
    let output = run(&db, &key, &["serve", "--addr", "127.0.0.1:0"]);
    assert!(!output.status.success());
    assert!(
        stderr(&output).contains("no signing key at"),
        "{}",
        stderr(&output)
    );
    assert!(!key.exists(), "no key was created");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn verify_never_creates_a_key_and_names_a_wrong_one() {
    let app = spawn_app().await;
    // Checkpoints signed now with the app's key.
    app::integrity::checkpoint::sign_checkpoints(&app.db, &app.signer, chrono::Utc::now())
        .await
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("copy.sqlite");
    app::db::on_db!(&app.db, |pool| sqlx::query("VACUUM INTO $1")
        .bind(db.to_str().unwrap())
        .execute(pool)
        .await
        .map(|done| done.rows_affected()))
    .unwrap();

    // A typo in the key's path: said plainly, and nothing is written.
    let typo = dir.path().join("signing.kye");
    for command in [&["verify"][..], &["checkpoint"][..]] {
        let output = run(&db, &typo, command);
        assert!(!output.status.success(), "{command:?}");
        assert!(
            stderr(&output).contains("no signing key at"),
            "{command:?}: {}",
            stderr(&output)
        );
        assert!(!typo.exists(), "{command:?} created a key");
    }

    // The right public key alone verifies.
    let public = app::integrity::checkpoint::public_key_path(&app.key_path);
    let output = run(&db, &typo, &["verify", "--public-key", public.to_str().unwrap()]);
    assert!(output.status.success(), "{}{}", stdout(&output), stderr(&output));
    assert!(
        stdout(&output).contains("partner 1: intact"),
        "{}",
        stdout(&output)
    );

    // Another key: named as another key, not as forgery.
    let other = dir.path().join("other.key");
    assert!(run(&db, &other, &["keygen"]).status.success());
    let output = run(&db, &other, &["verify"]);
    assert!(!output.status.success());
    let report = stdout(&output);
    let theirs = app::integrity::checkpoint::key_id(&app.signer.verifying_key());
    assert!(report.contains("signed by another key"), "{report}");
    assert!(report.contains(&format!("signed by key {theirs}")), "{report}");
    assert!(!report.contains("forged"), "{report}");

    // keygen never replaces a key.
    let again = run(&db, &other, &["keygen"]);
    assert!(!again.status.success());
    assert!(stderr(&again).contains("already exists"), "{}", stderr(&again));
}

/// Checkpoints in the database file (read with sqlite3-free SQL through sqlx).
async fn checkpoints_in(db: &Path) -> i64 {
    let pool = app::db::connect(db).await.unwrap();
    let count = app::db::on_db!(&pool, |pool| sqlx::query_scalar(
        "SELECT COUNT(*) FROM chain_checkpoints"
    )
    .fetch_one(pool)
    .await)
    .unwrap();
    pool.close().await;
    count
}

/// Waits for the server's "listening on" line; `None` if it exits first.
fn listening(child: &mut std::process::Child) -> Option<String> {
    use std::io::BufRead;
    let mut stdout = std::io::BufReader::new(child.stdout.take().unwrap());
    let mut line = String::new();
    loop {
        line.clear();
        if stdout.read_line(&mut line).unwrap() == 0 {
            return None;
        }
        if let Some(url) = line.trim().strip_prefix("listening on ") {
            return Some(url.to_string());
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn serve_no_sign_reads_no_private_key_and_signs_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let (db, key) = (dir.path().join("db.sqlite"), dir.path().join("signing.key"));
    assert!(run(&db, &key, &["seed-demo", "--events", "200"]).status.success());
    assert!(run(&db, &key, &["keygen"]).status.success());
    // The replica gets the public half only: the private key is moved away.
    let public = dir.path().join("checkpoints.pub");
    std::fs::copy(dir.path().join("signing.key.pub"), &public).unwrap();
    let elsewhere = dir.path().join("elsewhere.key");
    std::fs::rename(&key, &elsewhere).unwrap();

    let serve = |flags: &[&str]| {
        server_command(&db, &key)
            .args(["serve", "--addr", "127.0.0.1:0"])
            .args(flags)
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap()
    };
    // Without --no-sign the missing private key stops it, as before.
    let mut signing = serve(&[]);
    assert!(listening(&mut signing).is_none());
    assert!(!signing.wait().unwrap().success());

    let mut replica = serve(&["--no-sign", "--public-key", public.to_str().unwrap()]);
    let url = listening(&mut replica).expect("a --no-sign server starts without the private key");
    let page = reqwest::get(format!("{url}/sign-in")).await.unwrap();
    assert_eq!(page.status(), reqwest::StatusCode::OK);
    // A signing server signs at start; this one must not, however long it runs.
    tokio::time::sleep(std::time::Duration::from_secs(2)).await;
    assert_eq!(
        checkpoints_in(&db).await,
        0,
        "a --no-sign server signs no checkpoint"
    );

    // `server checkpoint` elsewhere, with the key, while the replica serves.
    let signed = server_command(&db, &elsewhere)
        .arg("checkpoint")
        .output()
        .unwrap();
    assert!(signed.status.success(), "{}", stderr(&signed));
    assert_eq!(checkpoints_in(&db).await, 2, "one per partner");
    replica.kill().unwrap();
    replica.wait().unwrap();

    // A missing public key is named.
    let mut no_key = serve(&[
        "--no-sign",
        "--public-key",
        dir.path().join("nope.pub").to_str().unwrap(),
    ]);
    assert!(listening(&mut no_key).is_none());
    let output = no_key.wait_with_output().unwrap();
    assert!(!output.status.success());
    assert!(stderr(&output).contains("nope.pub"), "{}", stderr(&output));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn checkpoint_processes_at_once_make_one_checkpoint_per_position() {
    let dir = tempfile::tempdir().unwrap();
    let (db, key) = (dir.path().join("db.sqlite"), dir.path().join("signing.key"));
    assert!(run(&db, &key, &["seed-demo", "--events", "300"]).status.success());
    assert!(run(&db, &key, &["keygen"]).status.success());
    let signers: Vec<_> = (0..4)
        .map(|_| {
            server_command(&db, &key)
                .arg("checkpoint")
                .stdout(std::process::Stdio::piped())
                .stderr(std::process::Stdio::piped())
                .spawn()
                .unwrap()
        })
        .collect();
    for signer in signers {
        let output = signer.wait_with_output().unwrap();
        assert!(output.status.success(), "{}", stderr(&output));
    }
    assert_eq!(checkpoints_in(&db).await, 2, "one per partner, whoever signed it");

    // The database itself refuses a second checkpoint at a position (the backstop when
    // signers don't share a lock, as on PostgreSQL).
    let pool = app::db::connect(&db).await.unwrap();
    let duplicate = app::db::on_db!(&pool, |pool| {
        sqlx::query(
        "INSERT INTO chain_checkpoints (partner_id, chain_seq, head_hash, signed_at, signature, key_id)
         SELECT partner_id, chain_seq, head_hash, signed_at, signature, key_id FROM chain_checkpoints LIMIT 1",
    )
    .execute(pool).await.map(|done| done.rows_affected())
    });
    assert!(duplicate.is_err(), "a duplicate position is refused");
    pool.close().await;
    let verified = run(&db, &key, &["verify"]);
    assert!(verified.status.success(), "{}", stdout(&verified));
}
