//! The JSON-lines export with proofs: a first line naming the signed checkpoint, each event's
//! line its inclusion proof. Every proof is checked here with ct-merkle (not the producer's
//! code), the whole file by `server check-evidence`, sample lines by the README's Python; an
//! edited line fails, naming its line.

use ct_merkle::{InclusionProof, RootHash};
use reqwest::StatusCode;
use serde_json::Value;
use sha2::Sha256;

use crate::proofs::hash;
use crate::support::{TestApp, assert_status, error_message, rfc3339, spawn_app_with};

/// An export of the whole log, newest first unless `sort`, as lines of JSON.
async fn exported(app: &TestApp, client: &reqwest::Client, extra: &[(&str, &str)]) -> String {
    let from = rfc3339(app.now - chrono::Duration::days(300));
    let to = rfc3339(app.now + chrono::Duration::days(1));
    let mut fields = vec![
        ("from", from.as_str()),
        ("to", to.as_str()),
        ("from_date", "2026-02-01"),
        ("to_date", "2026-12-31"),
        ("format", "ndjson"),
    ];
    fields.extend_from_slice(extra);
    assert_status(app.export(client, &fields).await, StatusCode::OK).await
}

/// Checks every proof of `text` with ct-merkle against its first line's checkpoint (whose
/// note is checked with the key): the lines' ids, and the ids of those without a proof.
fn proved_lines(app: &TestApp, text: &str) -> (Vec<String>, Vec<String>) {
    let mut lines = text
        .lines()
        .map(|line| serde_json::from_str::<Value>(line).unwrap());
    let header = lines.next().unwrap();
    assert_eq!(header["format"], "activity-log evidence lines v1");
    let checkpoint = &header["checkpoint"];
    let signed = app::integrity::signed_checkpoint::read(
        checkpoint["note"].as_str().unwrap(),
        &app.signer.verifying_key(),
    )
    .unwrap();
    assert_eq!(signed.root.to_string(), checkpoint["root_hash"].as_str().unwrap());
    let root = RootHash::<Sha256>::new(hash(&checkpoint["root_hash"]).into(), signed.size);
    let (mut ids, mut unproved) = (Vec::new(), Vec::new());
    for line in lines {
        let id = line["id"].as_str().unwrap().to_string();
        ids.push(id.clone());
        let proof = &line["proof"];
        if proof.is_null() {
            unproved.push(id);
            continue;
        }
        let canonical = proof["canonical_event"].as_str().unwrap();
        assert!(
            canonical.contains(&format!("external_id={}:{id}\n", id.len())),
            "{line}"
        );
        let digests: Vec<_> = proof["inclusion_proof"]
            .as_array()
            .unwrap()
            .iter()
            .map(|digest| hash(digest).into())
            .collect();
        root.verify_inclusion(
            &canonical.as_bytes().to_vec(),
            proof["leaf_index"].as_u64().unwrap(),
            &InclusionProof::<Sha256>::from_digests(digests.iter()),
        )
        .unwrap_or_else(|error| panic!("{id}: {error:?}"));
    }
    (ids, unproved)
}

fn check_evidence(app: &TestApp, file: &std::path::Path) -> (bool, String) {
    let output = std::process::Command::new(env!("CARGO_BIN_EXE_server"))
        .arg("check-evidence")
        .arg(file)
        .arg("--public-key")
        .arg(app::integrity::checkpoint::public_key_path(&app.key_path))
        .output()
        .unwrap();
    let said = String::from_utf8_lossy(&output.stdout).to_string() + &String::from_utf8_lossy(&output.stderr);
    (output.status.success(), said)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn an_export_with_proofs_is_evidence_for_every_line() {
    let app = spawn_app_with(600, app::state::Limits::default()).await;
    let writer = app.contoso_token().await;
    app.store_password_resets(&writer, [("after-checkpoint".into(), rfc3339(app.now))])
        .await;
    let admin = app.signed_in("global.admin@contoso.example").await;
    let plain = exported(&app, &admin, &[]).await;
    let with_proofs = exported(&app, &admin, &[("proofs", "true")]).await;

    // The same events in the same order as without proofs (and the record of that export);
    // all proved but the two stored since the checkpoint.
    let plain_ids: Vec<String> = plain
        .lines()
        .map(|line| {
            serde_json::from_str::<Value>(line).unwrap()["id"]
                .as_str()
                .unwrap()
                .to_string()
        })
        .collect();
    let (ids, unproved) = proved_lines(&app, &with_proofs);
    assert!(ids.len() > 300, "{}", ids.len());
    assert!(ids[0].starts_with("export-"), "{}", ids[0]);
    assert!(ids[1..] == plain_ids[..]);
    assert_eq!(unproved, vec![ids[0].clone(), "after-checkpoint".to_string()]);
    // Sorted by another column (gathered in memory) and filtered: proved all the same.
    let sorted = exported(
        &app,
        &admin,
        &[("proofs", "on"), ("sort", "customer"), ("filter", "action:reset")],
    )
    .await;
    let (sorted_ids, _) = proved_lines(&app, &sorted);
    assert!(!sorted_ids.is_empty() && sorted_ids.len() < ids.len());

    // Ours checks the whole file with the key alone.
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("export.ndjson");
    std::fs::write(&file, &with_proofs).unwrap();
    let (ok, said) = check_evidence(&app, &file);
    assert!(ok, "{said}");
    assert!(
        said.contains(&format!(
            "{} events are leaves of the tree in checkpoint #1",
            ids.len() - 2
        )),
        "{said}"
    );
    assert!(said.contains("2 newer events carry no proof yet"), "{said}");

    // A line with the first is the evidence the README's Python checks.
    let mut lines: Vec<Value> = with_proofs
        .lines()
        .map(|line| serde_json::from_str(line).unwrap())
        .collect();
    let script = dir.path().join("check_evidence.py");
    std::fs::write(&script, crate::evidence::readme_python()).unwrap();
    let evidence_file = dir.path().join("line.json");
    for line in [&lines[3], &lines[lines.len() / 2], lines.last().unwrap()] {
        let mut evidence = line["proof"].clone();
        evidence["format"] = "activity-log evidence v1".into();
        evidence["checkpoint"] = lines[0]["checkpoint"].clone();
        evidence["public_key"] = lines[0]["public_key"].clone();
        std::fs::write(&evidence_file, evidence.to_string()).unwrap();
        let output = std::process::Command::new("/usr/bin/python3")
            .arg(&script)
            .arg(&evidence_file)
            .arg(app::integrity::checkpoint::public_key_path(&app.key_path))
            .output()
            .unwrap();
        assert!(
            output.status.success(),
            "{}",
            String::from_utf8_lossy(&output.stdout)
        );
    }

    // An edited line's fields, or its proved bytes, fail the check at that line.
    let edited_at = lines.len() / 3;
    let original = lines[edited_at].clone();
    lines[edited_at]["action_text"] = "Nothing happened".into();
    let write = |lines: &[Value]| {
        let text: String = lines.iter().map(|line| line.to_string() + "\n").collect();
        std::fs::write(&file, text).unwrap();
    };
    write(&lines);
    let (ok, said) = check_evidence(&app, &file);
    assert!(
        !ok && said.contains(&format!("line {}: ", edited_at + 1)),
        "{said}"
    );
    assert!(
        said.contains("the line's fields are not the proved event's"),
        "{said}"
    );
    lines[edited_at] = original.clone();
    let canonical = lines[edited_at]["proof"]["canonical_event"]
        .as_str()
        .unwrap()
        .to_string();
    let event = &mut lines[edited_at]["proof"]["event"];
    event["recorded_at"] = "2020-01-01T00:00:00Z".into();
    let old = format!(
        "recorded_at=20:{}\n",
        original["proof"]["event"]["recorded_at"].as_str().unwrap()
    );
    assert!(canonical.contains(&old), "{canonical}");
    lines[edited_at]["proof"]["canonical_event"] = canonical
        .replace(&old, "recorded_at=20:2020-01-01T00:00:00Z\n")
        .into();
    write(&lines);
    let (ok, said) = check_evidence(&app, &file);
    assert!(
        !ok && said.contains("does not lead from this event to the signed root"),
        "{said}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn proofs_come_with_json_lines_only() {
    let app = spawn_app_with(20, app::state::Limits::default()).await;
    let admin = app.signed_in("global.admin@contoso.example").await;
    for (format, proofs, words) in [
        ("csv", "true", "Proofs come with the JSON lines export only"),
        ("xlsx", "on", "Proofs come with the JSON lines export only"),
        ("ndjson", "yes", "proofs: true or false, not \"yes\""),
    ] {
        let fields = [
            ("from", "2026-10-01T00:00:00Z"),
            ("to", "2026-11-01T00:00:00Z"),
            ("from_date", "2026-10-01"),
            ("to_date", "2026-10-31"),
            ("format", format),
            ("proofs", proofs),
        ];
        let body = assert_status(
            app.export(&admin, &fields).await,
            StatusCode::UNPROCESSABLE_ENTITY,
        )
        .await;
        assert!(error_message(&body).contains(words), "{format} {proofs}: {body}");
    }
}
