//! Evidence a customer can keep, as the page downloads it (the `event_evidence` server
//! function), checked by `server check-evidence` with no database and by the README's
//! Python (another implementation of RFC 9162 and of C2SP signed notes than ours): real
//! evidence holds; an edited event, an edited proof or a note signed by another key does
//! not.

use std::path::Path;

use app::db::on_db;
use reqwest::StatusCode;
use serde_json::Value;

use crate::support::{TestApp, spawn_app_with};

/// The README's Python check, as a newcomer would copy it.
pub(crate) fn readme_python() -> String {
    let readme = include_str!("../../../README.md");
    let start = readme
        .find("```python\n# check_evidence.py")
        .expect("the README shows the Python check")
        + "```python\n".len();
    let length = readme[start..].find("```").unwrap();
    readme[start..start + length].to_string()
}

/// The row id of the partner's event at chain `position`.
async fn event_at(app: &TestApp, partner: i64, position: i64) -> i64 {
    on_db!(&app.db, |pool| sqlx::query_scalar(
        "SELECT id FROM activity_events WHERE partner_id = $1 AND chain_seq = $2"
    )
    .bind(partner)
    .bind(position)
    .fetch_one(pool)
    .await)
    .unwrap()
}

async fn evidence(app: &TestApp, client: &reqwest::Client, event: i64) -> (StatusCode, Value) {
    let answer = client
        .post(app.url("/api/event_evidence"))
        .form(&[("event", event.to_string())])
        .send()
        .await
        .unwrap();
    let status = answer.status();
    let body = answer.text().await.unwrap();
    (
        status,
        serde_json::from_str(&body).unwrap_or_else(|_| panic!("not JSON ({status}): {body:.300}")),
    )
}

/// Runs a checker on `evidence` saved to a file: whether it passed, and what it said.
fn run(checker: &mut std::process::Command, file: &Path, evidence: &Value) -> (bool, String) {
    std::fs::write(file, serde_json::to_string_pretty(evidence).unwrap()).unwrap();
    let output = checker.output().unwrap();
    let said = format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    (output.status.success(), said)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn downloaded_evidence_is_checked_without_the_server_by_ours_and_by_the_readmes_python() {
    let app = spawn_app_with(700, app::state::Limits::default()).await;
    let admin = app.signed_in("global.admin@contoso.example").await;
    let (status, found) = evidence(&app, &admin, event_at(&app, 1, 300).await).await;
    assert_eq!(status, StatusCode::OK, "{found}");
    assert_eq!(found["format"], "activity-log evidence v1");
    assert_eq!(found["chain_position"], 300);
    assert_eq!(found["leaf_index"], 299);
    assert_eq!(found["checkpoint"]["number"], 1, "{found}");
    let size = found["checkpoint"]["tree_size"].as_u64().unwrap();
    assert!(size >= 300, "{found}");
    assert!(
        found["checkpoint"]["note"]
            .as_str()
            .unwrap()
            .starts_with(&format!("activity-log.localhost/contoso.example\n{size}\n")),
        "{found}"
    );

    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("evidence.json");
    let public = app::integrity::checkpoint::public_key_path(&app.key_path);
    let script = dir.path().join("check_evidence.py");
    std::fs::write(&script, readme_python()).unwrap();
    // Debian's Python, whose `python3-cryptography` scripts/test installs.
    let mut python = std::process::Command::new("/usr/bin/python3");
    python.arg(&script).arg(&file).arg(&public);
    let mut ours = std::process::Command::new(env!("CARGO_BIN_EXE_server"));
    ours.arg("check-evidence")
        .arg(&file)
        .arg("--public-key")
        .arg(&public);

    let (ok, said) = run(&mut ours, &file, &found);
    assert!(ok, "{said}");
    assert!(
        said.contains(
            "(chain position 300) is leaf 299 of the tree in activity-log.localhost/contoso.example"
        ),
        "{said}"
    );
    let (ok, said) = run(&mut python, &file, &found);
    assert!(ok, "{said}");
    assert!(
        said.contains(&format!(
            "included in activity-log.localhost/contoso.example at size {size}"
        )),
        "{said}"
    );
    assert!(
        said.contains(found["canonical_event"].as_str().unwrap()),
        "{said}"
    );

    // An edited event: its bytes are no longer a leaf of the signed root.
    let mut edited = found.clone();
    let canonical = found["canonical_event"].as_str().unwrap();
    edited["canonical_event"] = canonical
        .replacen("partner_user_id=", "partner_user_id=9", 1)
        .into();
    let (ok, said) = run(&mut python, &file, &edited);
    assert!(!ok && said.contains("NOT included"), "{said}");
    let (ok, said) = run(&mut ours, &file, &edited);
    assert!(
        !ok && said.contains("the event shown is not the one hashed"),
        "{said}"
    );
    // The same edit in both the fields and the bytes: consistent, and still not included.
    let user = found["event"]["partner_user_id"].as_i64().unwrap();
    let mut rewritten = found.clone();
    rewritten["event"]["partner_user_id"] = (user + 1).into();
    let old_field = format!("partner_user_id={}:{user}\n", user.to_string().len());
    let new_field = format!("partner_user_id={}:{}\n", (user + 1).to_string().len(), user + 1);
    assert!(canonical.contains(&old_field), "{canonical}");
    rewritten["canonical_event"] = canonical.replace(&old_field, &new_field).into();
    let (ok, said) = run(&mut ours, &file, &rewritten);
    assert!(
        !ok && said.contains("does not lead from this event to the signed root"),
        "{said}"
    );
    let (ok, said) = run(&mut python, &file, &rewritten);
    assert!(!ok && said.contains("NOT included"), "{said}");

    // An edited proof.
    let mut bad_proof = found.clone();
    bad_proof["inclusion_proof"][2] = "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=".into();
    for checker in [&mut ours, &mut python] {
        let (ok, said) = run(checker, &file, &bad_proof);
        assert!(!ok, "{said}");
    }
    // Another leaf's place.
    let mut moved = found.clone();
    moved["leaf_index"] = 298.into();
    for checker in [&mut ours, &mut python] {
        let (ok, said) = run(checker, &file, &moved);
        assert!(!ok, "{said}");
    }

    // A note signed by another key, over the same tree: forged, as far as our key knows.
    let other = dir.path().join("other.key");
    let forger = app::integrity::checkpoint::CheckpointSigner::create(&other).unwrap();
    let root = found["checkpoint"]["root_hash"].as_str().unwrap();
    let mut forged = found.clone();
    forged["checkpoint"]["note"] = forger.checkpoint_note("contoso.example", size, root).into();
    let (ok, said) = run(&mut ours, &file, &forged);
    assert!(!ok && said.contains("not signed by the key given"), "{said}");
    let (ok, said) = run(&mut python, &file, &forged);
    assert!(!ok && said.contains("NOT signed by this key"), "{said}");
    // ... though it is good evidence for whoever trusts that key.
    let mut forgers_key = std::process::Command::new("/usr/bin/python3");
    forgers_key
        .arg(&script)
        .arg(&file)
        .arg(app::integrity::checkpoint::public_key_path(&other));
    assert!(run(&mut forgers_key, &file, &forged).0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn an_event_newer_than_the_last_checkpoint_has_evidence_once_one_is_signed() {
    let app = spawn_app_with(50, app::state::Limits::default()).await;
    let writer = app.contoso_token().await;
    app.store_password_resets(
        &writer,
        [("after-checkpoint".into(), "2026-11-20T10:00:00Z".into())],
    )
    .await;
    let newest = on_db!(&app.db, |pool| sqlx::query_scalar::<_, i64>(
        "SELECT MAX(chain_seq) FROM activity_events WHERE partner_id = 1"
    )
    .fetch_one(pool)
    .await)
    .unwrap();
    let event = event_at(&app, 1, newest).await;
    let admin = app.signed_in("sales.agent@contoso.example").await;
    let (status, answer) = evidence(&app, &admin, event).await;
    assert_eq!(
        (status, answer),
        (StatusCode::OK, Value::Null),
        "not in a checkpoint yet"
    );

    let signed = crate::support::server_command(crate::proofs::database_arg(&app), &app.key_path)
        .arg("checkpoint")
        .output()
        .unwrap();
    assert!(signed.status.success());
    let (status, answer) = evidence(&app, &admin, event).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(answer["chain_position"], newest);
    assert_eq!(answer["checkpoint"]["number"], 2, "{answer}");
    assert_eq!(answer["checkpoint"]["tree_size"], newest);
    assert_eq!(answer["event"]["external_id"], "after-checkpoint");

    // Another partner's admin, with Contoso's event id, finds nothing.
    let fabrikam = app.signed_in("global.admin@fabrikam.example").await;
    let (status, answer) = evidence(&app, &fabrikam, event).await;
    assert_eq!(status, StatusCode::NOT_FOUND, "{answer}");
    assert!(!answer.to_string().contains("after-checkpoint"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn the_read_api_with_proof_true_proves_each_event_against_the_signed_checkpoint() {
    use ct_merkle::{InclusionProof, RootHash};
    use sha2::Sha256;

    let app = spawn_app_with(400, app::state::Limits::default()).await;
    let reader = app
        .token_with(1, &[app::api_tokens::model::TokenScope::ReadEvents])
        .await;
    let writer = app.contoso_token().await;
    app.store_password_resets(&writer, [("unsigned-yet".into(), "2026-11-20T10:00:00Z".into())])
        .await;
    let mut after = String::new();
    let (mut proved, mut unproved) = (0, Vec::new());
    loop {
        let answer = crate::support::client()
            .get(app.url("/api/v1/events"))
            .bearer_auth(&reader)
            .query(&[
                ("proof", "true"),
                ("order", "oldest"),
                ("limit", "150"),
                ("after", &after),
            ])
            .send()
            .await
            .unwrap();
        assert_eq!(answer.status(), StatusCode::OK);
        let page: Value = answer.json().await.unwrap();
        assert!(
            crate::read_api::documented("EventPage").is_valid(&page),
            "{page:.500}"
        );
        let checkpoint = &page["checkpoint"];
        let size = checkpoint["tree_size"].as_u64().unwrap();
        // The page's checkpoint is the signed one.
        let signed = app::integrity::signed_checkpoint::read(
            checkpoint["note"].as_str().unwrap(),
            &app.signer.verifying_key(),
        )
        .unwrap();
        assert_eq!(
            (signed.size, signed.root.to_string()),
            (size, checkpoint["root_hash"].as_str().unwrap().to_string())
        );
        let root = RootHash::<Sha256>::new(crate::proofs::hash(&checkpoint["root_hash"]).into(), size);
        for event in page["events"].as_array().unwrap() {
            let position = event["chain_position"].as_u64().unwrap();
            let Some(proof) = event["inclusion_proof"].as_array() else {
                unproved.push(event["id"].clone());
                continue;
            };
            let canonical = event["canonical_event"].as_str().unwrap();
            assert!(canonical.contains(&format!(
                "external_id={}:{}\n",
                event["id"].as_str().unwrap().len(),
                event["id"].as_str().unwrap()
            )));
            let digests: Vec<_> = proof
                .iter()
                .map(|digest| crate::proofs::hash(digest).into())
                .collect();
            root.verify_inclusion(
                &canonical.as_bytes().to_vec(),
                position - 1,
                &InclusionProof::<Sha256>::from_digests(digests.iter()),
            )
            .unwrap_or_else(|error| panic!("#{position}: {error:?}"));
            proved += 1;
        }
        match page["next"].as_str() {
            Some(next) => after = next.to_string(),
            None => break,
        }
    }
    assert!(proved > 300, "{proved}");
    assert_eq!(
        unproved,
        vec![Value::from("unsigned-yet")],
        "only the event after the checkpoint"
    );
    // Without it, a page is as before.
    let plain: Value = crate::support::client()
        .get(app.url("/api/v1/events"))
        .bearer_auth(&reader)
        .query(&[("limit", "5")])
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert!(plain.get("checkpoint").is_none() && plain["events"][0].get("inclusion_proof").is_none());
}
