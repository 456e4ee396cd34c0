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
    sqlx::query("VACUUM INTO $1")
        .bind(db.to_str().unwrap())
        .execute(&app.db)
        .await
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
