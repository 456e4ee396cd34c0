//! Tamper evidence: the database file is edited directly, as someone with disk access
//! would, and `verify` must notice every change; untouched databases always verify.

use std::path::{Path, PathBuf};
use std::str::FromStr;

use app::integrity::checkpoint::{CheckpointSigner, sign_checkpoints};
use app::integrity::model::TamperKind;
use app::integrity::verify::{partners_to_verify, verify_partner};
use chrono::Utc;
use rand::rngs::StdRng;
use rand::seq::SliceRandom;
use rand::{Rng, SeedableRng};
use server::demo::{DemoOptions, seed_demo};
use sqlx::SqlitePool;
use sqlx::sqlite::{SqliteConnectOptions, SqlitePoolOptions, SqliteSynchronous};

use crate::support::demo_now;

/// A seeded database with a checkpoint at every chain's head, closed so it is one file.
async fn template(dir: &Path, seed: u64, events: usize) -> (PathBuf, CheckpointSigner) {
    let path = dir.join("template.sqlite");
    let pool = app::db::connect(&path).await.unwrap();
    seed_demo(
        &pool,
        &DemoOptions {
            seed,
            events,
            now: demo_now(),
        },
    )
    .await
    .unwrap();
    let signer = CheckpointSigner::load_or_create(&dir.join("signing.key")).unwrap();
    sign_checkpoints(&pool, &signer, Utc::now()).await.unwrap();
    app::db::on_db!(&pool, |pool| sqlx::query("PRAGMA wal_checkpoint(TRUNCATE)")
        .execute(pool)
        .await
        .map(|done| done.rows_affected()))
    .unwrap();
    pool.close().await;
    (path, signer)
}

/// The attacker's connection: no migrations, no foreign keys, nothing of the app's. Nor
/// fsync: the files are thrown away, and a thousand rounds of flushes would each wait behind
/// the other suites' disk writes.
async fn open_raw(path: &Path) -> SqlitePool {
    let options = SqliteConnectOptions::from_str("sqlite://")
        .unwrap()
        .filename(path)
        .foreign_keys(false)
        .synchronous(SqliteSynchronous::Off);
    SqlitePoolOptions::new()
        .max_connections(1)
        .connect_with(options)
        .await
        .unwrap()
}

/// A new file each round: a closing connection may still write into its old file.
fn fresh_copy(template: &Path, dir: &Path, round: usize) -> PathBuf {
    let work = dir.join(format!("work-{round}.sqlite"));
    std::fs::copy(template, &work).unwrap();
    work
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
enum Tamper {
    EditField,
    DeleteRow,
    InsertForgedRow,
    SwapRows,
    TruncateTail,
    EditCheckpoint,
}

const TAMPERS: [Tamper; 6] = [
    Tamper::EditField,
    Tamper::DeleteRow,
    Tamper::InsertForgedRow,
    Tamper::SwapRows,
    Tamper::TruncateTail,
    Tamper::EditCheckpoint,
];

/// What `verify` should call each tampering (an edited chain position reads as a move).
fn expected_kinds(tamper: Tamper) -> &'static [TamperKind] {
    match tamper {
        Tamper::EditField => &[TamperKind::Edited, TamperKind::Reordered, TamperKind::Deleted],
        Tamper::DeleteRow => &[TamperKind::Deleted, TamperKind::Truncated],
        Tamper::InsertForgedRow => &[TamperKind::Inserted, TamperKind::Edited],
        Tamper::SwapRows => &[TamperKind::Reordered],
        Tamper::TruncateTail => &[TamperKind::Truncated],
        Tamper::EditCheckpoint => &[TamperKind::ForgedCheckpoint],
    }
}

/// Applies one random tampering to `partner`'s rows; returns a description for failures.
async fn tamper(pool: &SqlitePool, partner: i64, kind: Tamper, rng: &mut StdRng) -> String {
    let rows: Vec<(i64, i64)> =
        sqlx::query_as("SELECT id, chain_seq FROM activity_events WHERE partner_id = $1 ORDER BY chain_seq")
            .bind(partner)
            .fetch_all(pool)
            .await
            .unwrap();
    let (id, seq) = *rows.choose(rng).unwrap();
    let run = |sql: String| async move {
        sqlx::query(&sql).execute(pool).await.unwrap();
        sql
    };
    match kind {
        Tamper::EditField => {
            let edits = [
                format!(
                    "UPDATE activity_events SET occurred_at = strftime('%Y-%m-%dT%H:%M:%SZ', occurred_at, '+1 second') WHERE id = {id}"
                ),
                format!(
                    "UPDATE activity_events SET customer_id = CASE WHEN customer_id IS NULL THEN 1 ELSE customer_id + 1 END WHERE id = {id}"
                ),
                format!("UPDATE activity_events SET partner_user_id = partner_user_id + 1 WHERE id = {id}"),
                format!(
                    "UPDATE activity_events SET action_kind = 'assigned_license' || action_kind WHERE id = {id}"
                ),
                format!("UPDATE activity_events SET action_text = action_text || ' ' WHERE id = {id}"),
                format!(
                    "UPDATE activity_events SET details = replace(details, '\"type\"', '\"type\" ') WHERE id = {id}"
                ),
                format!("UPDATE activity_events SET external_id = external_id || 'x' WHERE id = {id}"),
                format!("UPDATE activity_events SET recorded_at = '2020-01-01T00:00:00Z' WHERE id = {id}"),
                format!(
                    "UPDATE activity_events SET prev_hash = CASE WHEN substr(prev_hash, 1, 1) = 'f' THEN 'e' ELSE 'f' END || substr(prev_hash, 2) WHERE id = {id}"
                ),
                format!(
                    "UPDATE activity_events SET event_hash = CASE WHEN substr(event_hash, 1, 1) = 'f' THEN 'e' ELSE 'f' END || substr(event_hash, 2) WHERE id = {id}"
                ),
                format!("UPDATE activity_events SET chain_seq = chain_seq + 100000 WHERE id = {id}"),
                format!("UPDATE activity_events SET customer_id = 'seven' WHERE id = {id}"),
                // Bytes that are not text where text belongs: an edit to report, not a failed read.
                format!(
                    "UPDATE activity_events SET details = CAST(X'FF' || details AS BLOB) WHERE id = {id}"
                ),
            ];
            run(edits.choose(rng).unwrap().clone()).await
        }
        Tamper::DeleteRow => run(format!("DELETE FROM activity_events WHERE id = {id}")).await,
        Tamper::InsertForgedRow => {
            let (max_seq, head): (i64, String) = sqlx::query_as(
                "SELECT chain_seq, event_hash FROM activity_events WHERE partner_id = $1 ORDER BY chain_seq DESC LIMIT 1",
            )
            .bind(partner)
            .fetch_one(pool)
            .await
            .unwrap();
            let (chain_seq, prev_hash, event_hash) = match rng.gen_range(0..3) {
                // Outside the chain altogether.
                0 => ("NULL".to_string(), "NULL".to_string(), "NULL".to_string()),
                // Appended after the head, with a made-up hash.
                1 => (
                    (max_seq + 1).to_string(),
                    format!("'{head}'"),
                    format!("'{}'", "ab".repeat(32)),
                ),
                // Given a copied row's chain fields, at a free position in the middle.
                _ => (
                    (seq * 1000 + 7).to_string(),
                    "prev_hash".to_string(),
                    "event_hash".to_string(),
                ),
            };
            run(format!(
                "INSERT INTO activity_events
                    (partner_id, external_id, occurred_at, customer_id, partner_user_id, action_kind,
                     action_text, details, recorded_at, chain_seq, prev_hash, event_hash)
                 SELECT partner_id, 'forged-' || external_id, occurred_at, customer_id, partner_user_id,
                        action_kind, action_text, details, recorded_at, {chain_seq}, {prev_hash}, {event_hash}
                 FROM activity_events WHERE id = {id}"
            ))
            .await
        }
        Tamper::SwapRows => {
            let (other_id, other_seq) = loop {
                let pick = *rows.choose(rng).unwrap();
                if pick.0 != id {
                    break pick;
                }
            };
            run(format!(
                "UPDATE activity_events SET chain_seq = -1 WHERE id = {id};
                 UPDATE activity_events SET chain_seq = {seq} WHERE id = {other_id};
                 UPDATE activity_events SET chain_seq = {other_seq} WHERE id = {id};"
            ))
            .await
        }
        Tamper::TruncateTail => {
            let keep = rows.len() as i64 - rng.gen_range(1..=10);
            run(format!(
                "DELETE FROM activity_events WHERE partner_id = {partner} AND chain_seq > {keep}"
            ))
            .await
        }
        Tamper::EditCheckpoint => {
            let edits = [
                format!(
                    "UPDATE chain_checkpoints SET chain_seq = chain_seq - 1 WHERE partner_id = {partner}"
                ),
                format!(
                    "UPDATE chain_checkpoints SET head_hash = CASE WHEN substr(head_hash, 1, 1) = 'f' THEN 'e' ELSE 'f' END || substr(head_hash, 2) WHERE partner_id = {partner}"
                ),
                format!(
                    "UPDATE chain_checkpoints SET signed_at = '2030-01-01T00:00:00Z' WHERE partner_id = {partner}"
                ),
                format!(
                    "UPDATE chain_checkpoints SET signature = CASE WHEN substr(signature, 1, 1) = 'f' THEN 'e' ELSE 'f' END || substr(signature, 2) WHERE partner_id = {partner}"
                ),
            ];
            run(edits.choose(rng).unwrap().clone()).await
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn untouched_databases_always_verify() {
    for seed in [1, 2, 3, 20261125] {
        let dir = tempfile::tempdir().unwrap();
        let (path, signer) = template(dir.path(), seed, 400).await;
        let pool = app::db::Db::Sqlite(open_raw(&path).await);
        for partner in partners_to_verify(&pool).await.unwrap() {
            let report = verify_partner(&pool, partner, &signer.verifying_key())
                .await
                .unwrap();
            assert_eq!(report.broken, None, "seed {seed}: {report}");
            assert!(report.checkpoint.is_some(), "the head is signed");
            assert!(report.to_string().starts_with("intact: "), "{report}");
        }
        let (total,): (i64,) = app::db::on_db!(&pool, |pool| sqlx::query_as(
            "SELECT COUNT(*) FROM activity_events"
        )
        .fetch_one(pool)
        .await)
        .unwrap();
        assert_eq!(total, 400);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_thousand_random_tamperings_are_all_detected() {
    let seed: u64 = std::env::var("TAMPER_SEED")
        .ok()
        .and_then(|seed| seed.parse().ok())
        .unwrap_or_else(|| rand::thread_rng().r#gen());
    println!("TAMPER_SEED={seed}");
    let mut rng = StdRng::seed_from_u64(seed);
    let dir = tempfile::tempdir().unwrap();
    let (template, signer) = template(dir.path(), 5, 300).await;
    let key = signer.verifying_key();

    let mut named_as_expected = std::collections::HashMap::<Tamper, (usize, usize)>::new();
    for round in 0..1000 {
        let work = fresh_copy(&template, dir.path(), round);
        let pool = open_raw(&work).await;
        let partner = rng.gen_range(1..=2);
        let kind = *TAMPERS.choose(&mut rng).unwrap();
        let what = tamper(&pool, partner, kind, &mut rng).await;
        let pool = app::db::Db::Sqlite(pool);
        if std::env::var("TAMPER_TRACE").is_ok() {
            println!("round {round}: partner {partner}: {what}");
        }
        let mut found = None;
        for other in partners_to_verify(&pool).await.unwrap() {
            let report = verify_partner(&pool, other, &key).await.unwrap();
            if other != app::ids::PartnerId(partner) {
                assert_eq!(
                    report.broken, None,
                    "round {round}: partner {other} untouched but {report}"
                );
            } else {
                found = report.broken;
            }
        }
        let found = found.unwrap_or_else(|| panic!("round {round} (seed {seed}): not detected: {what}"));
        // The rolling audit, walking the chain in slices of any size, finds the same.
        let mut audit = app::integrity::audit::AuditState::default();
        let slice = rng.gen_range(1..=120);
        while !audit
            .step(&pool, app::ids::PartnerId(partner), &key, slice)
            .await
            .unwrap()
        {}
        let audited = audit.last.unwrap().report.broken;
        assert_eq!(
            audited.as_ref().map(|b| (b.kind, b.chain_seq)),
            Some((found.kind, found.chain_seq)),
            "round {round} (seed {seed}), slices of {slice}: {what}"
        );
        proofs_catch(&pool, partner, kind, &what, &key)
            .await
            .unwrap_or_else(|why| panic!("round {round} (seed {seed}): {what}: {why}"));
        let counts = named_as_expected.entry(kind).or_default();
        counts.1 += 1;
        if expected_kinds(kind).contains(&found.kind) {
            counts.0 += 1;
        } else {
            panic!("round {round} (seed {seed}): {what} was reported as {found:?}");
        }
        pool.close().await;
        if round >= 2 {
            let old = dir.path().join(format!("work-{}.sqlite", round - 2));
            for suffix in ["", "-wal", "-shm"] {
                let _ = std::fs::remove_file(format!("{}{suffix}", old.display()));
            }
        }
    }
    for (kind, (named, total)) in &named_as_expected {
        println!("{kind:?}: {total} tamperings, all detected, {named} named as expected");
    }
    assert_eq!(
        named_as_expected.len(),
        TAMPERS.len(),
        "every kind of tampering was tried"
    );
}

/// A restarted server's badge goes on from the walk kept in the database instead of walking
/// the whole chain again (so it answers at once at any size): an old event edited while it
/// was down is not seen by the badge's walk but by the rolling audit, and events stored
/// since are walked.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_restarted_badge_goes_on_from_the_kept_walk_and_the_audit_checks_the_rest() {
    use app::integrity::verified_chains::VerifiedChains;
    let dir = tempfile::tempdir().unwrap();
    let (path, signer) = template(dir.path(), 13, 300).await;
    let pool = app::db::connect(&path).await.unwrap();
    let key = signer.verifying_key();
    let partner = app::ids::PartnerId(1);
    let first = VerifiedChains::default()
        .report(&pool, partner, &key)
        .await
        .unwrap();
    assert_eq!(first.broken, None);

    tamper_at(&pool, 5).await;
    app::integrity::chain::append_batch(&pool, partner, &new_events("after-restart", 3))
        .await
        .unwrap();
    let restarted = VerifiedChains::default()
        .report(&pool, partner, &key)
        .await
        .unwrap();
    assert_eq!(
        (restarted.events, restarted.broken),
        (first.events + 3, None),
        "only the new events were walked"
    );
    let mut audit = app::integrity::audit::AuditState::default();
    while !audit.step(&pool, partner, &key, 7).await.unwrap() {}
    let summary = audit.summary();
    assert_eq!(summary.last_broken.as_ref().and_then(|b| b.chain_seq), Some(5));
    assert!(summary.last_finished_at.is_some() && summary.under_way_at.is_none());
}

/// Each stored event's canonical bytes as the attacker left them, in chain order (the
/// test's own writing of `integrity::canonical`: raw stored text, whatever it now holds).
async fn stored_leaves(pool: &app::db::Db, partner: i64) -> std::collections::HashMap<i64, Vec<u8>> {
    crate::proofs::stored_canonical(pool, partner)
        .await
        .into_iter()
        .collect()
}

/// Checks a tampering against the signed tree, with `ct-merkle` (not the server's code):
/// events deleted, moved or cut off give another root than the signed note's, and an edited
/// event's own inclusion proof (from the stored tree) fails against the signed root. Edits
/// to the chain's own columns (hashes) and to checkpoints leave the events' content alone:
/// the chain and the signatures catch those.
async fn proofs_catch(
    pool: &app::db::Db,
    partner: i64,
    kind: Tamper,
    what: &str,
    key: &ed25519_dalek::VerifyingKey,
) -> Result<(), String> {
    use app::integrity::merkle::Question;
    use ct_merkle::{InclusionProof, RootHash, mem_backed_tree::MemoryBackedTree};
    use sha2::Sha256;
    let content_untouched = matches!(kind, Tamper::InsertForgedRow | Tamper::EditCheckpoint)
        || what.contains("SET prev_hash")
        || what.contains("SET event_hash");
    if content_untouched {
        return Ok(());
    }
    let note: String = app::db::on_db!(pool, |pool| sqlx::query_scalar(
        "SELECT note FROM chain_checkpoints WHERE partner_id = $1 AND note IS NOT NULL ORDER BY chain_seq DESC LIMIT 1"
    )
    .bind(partner)
    .fetch_one(pool)
    .await)
    .unwrap();
    let signed = app::integrity::signed_checkpoint::read(&note, key).map_err(|e| e.to_string())?;
    let root = RootHash::<Sha256>::new(signed.root.0.into(), signed.size);
    // The event stored at each position the signed tree covers; a position with none has
    // no leaf to prove there: caught.
    let leaves = stored_leaves(pool, partner).await;
    let mut tree = MemoryBackedTree::<Sha256, Vec<u8>>::new();
    for position in 1..=signed.size as i64 {
        match leaves.get(&position) {
            Some(leaf) => tree.push(leaf.clone()),
            None => return Ok(()),
        }
    }
    if tree.root() == root {
        return Err("the stored events still give the signed root".into());
    }
    // An edited event: the proof of its place no longer leads from it to the signed root.
    if let Some(id) = what
        .split("WHERE id = ")
        .nth(1)
        .filter(|_| kind == Tamper::EditField)
    {
        let position: Option<i64> = app::db::on_db!(pool, |pool| sqlx::query_scalar(&format!(
            "SELECT chain_seq FROM activity_events WHERE id = {}",
            id.trim()
        ))
        .fetch_one(pool)
        .await)
        .unwrap();
        let position = position.unwrap();
        if (1..=signed.size as i64).contains(&position) {
            let proof = app::integrity::tree::answer(
                pool,
                app::ids::PartnerId(partner),
                Question::Inclusion {
                    index: position as u64 - 1,
                    size: signed.size,
                },
            )
            .await
            .map_err(|e| e.to_string())?;
            let digests: Vec<_> = proof.iter().map(|hash| hash.0.into()).collect();
            let proof = InclusionProof::<Sha256>::from_digests(digests.iter());
            let edited = &leaves[&position];
            if root.verify_inclusion(edited, position as u64 - 1, &proof).is_ok() {
                return Err(format!(
                    "the edited event #{position} still proves against the signed root"
                ));
            }
        }
    }
    Ok(())
}

fn new_events(prefix: &str, count: usize) -> Vec<app::events::NewEvent> {
    use app::events::{ActionDetails, ActionKind};
    (0..count)
        .map(|n| app::events::NewEvent {
            external_id: format!("{prefix}-{n}"),
            occurred_at: Utc::now(),
            customer_id: None,
            partner_user_id: app::ids::UserId(1),
            action: ActionKind::ResetUserPassword,
            action_text: ActionKind::ResetUserPassword.label().to_string(),
            details: ActionDetails::PasswordReset {
                user_principal_name: format!("user{n}@adatum.example"),
            },
        })
        .collect()
}

async fn tamper_at(db: &app::db::Db, seq: i64) {
    app::db::on_db!(db, |pool| sqlx::query(
        "UPDATE activity_events SET action_text = 'Nothing happened' WHERE partner_id = 1 AND chain_seq = $1",
    )
    .bind(seq)
    .execute(pool)
    .await
    .map(|done| done.rows_affected()))
    .unwrap();
}

/// The badge's walk goes on from where the last one ended: it sees new events, new
/// checkpoints and tampering among the new events at once, and tampering with events it had
/// already walked when the rolling audit passes them.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_badge_walks_only_what_is_new_and_the_rolling_audit_walks_it_all() {
    use app::integrity::verified_chains::VerifiedChains;
    let dir = tempfile::tempdir().unwrap();
    let (path, signer) = template(dir.path(), 11, 400).await;
    let pool = app::db::connect(&path).await.unwrap();
    let key = signer.verifying_key();
    let chains = VerifiedChains::default();

    let first = chains.report(&pool, app::ids::PartnerId(1), &key).await.unwrap();
    assert_eq!(first.broken, None);
    let head = first.events as i64;
    assert_eq!(first.checkpoint.as_ref().map(|c| c.chain_seq), Some(head));

    // New events: counted, not yet covered; a checkpoint: covered.
    app::integrity::chain::append_batch(&pool, app::ids::PartnerId(1), &new_events("more", 30))
        .await
        .unwrap();
    let grown = chains.report(&pool, app::ids::PartnerId(1), &key).await.unwrap();
    assert_eq!((grown.events as i64, grown.broken.clone()), (head + 30, None));
    assert_eq!(grown.checkpoint.as_ref().map(|c| c.chain_seq), Some(head));
    sign_checkpoints(&pool, &signer, Utc::now()).await.unwrap();
    let signed = chains.report(&pool, app::ids::PartnerId(1), &key).await.unwrap();
    assert_eq!(signed.checkpoint.as_ref().map(|c| c.chain_seq), Some(head + 30));
    assert_eq!(
        signed,
        verify_partner(&pool, app::ids::PartnerId(1), &key).await.unwrap(),
        "the same as a whole walk"
    );

    // An event already walked is edited: the next whole walk finds it, and from then on
    // the badge says so.
    tamper_at(&pool, 5).await;
    app::integrity::chain::append_batch(&pool, app::ids::PartnerId(1), &new_events("later", 5))
        .await
        .unwrap();
    assert_eq!(
        chains
            .report(&pool, app::ids::PartnerId(1), &key)
            .await
            .unwrap()
            .broken,
        None,
        "not walked again yet"
    );
    let mut audit = app::integrity::audit::AuditState::default();
    while !audit.step(&pool, app::ids::PartnerId(1), &key, 50).await.unwrap() {}
    let whole = audit.last.unwrap().report;
    assert_eq!(
        whole.broken.as_ref().map(|b| (b.kind, b.chain_seq)),
        Some((TamperKind::Edited, Some(5)))
    );

    // A fresh memory (a restarted server) and tampering among new events: seen at once.
    let chains = VerifiedChains::default();
    let dir2 = tempfile::tempdir().unwrap();
    let (path2, signer2) = template(dir2.path(), 12, 300).await;
    let pool2 = app::db::connect(&path2).await.unwrap();
    let key2 = signer2.verifying_key();
    let before = chains
        .report(&pool2, app::ids::PartnerId(1), &key2)
        .await
        .unwrap();
    app::integrity::chain::append_batch(&pool2, app::ids::PartnerId(1), &new_events("new", 10))
        .await
        .unwrap();
    let edited = before.events as i64 + 4;
    tamper_at(&pool2, edited).await;
    let report = chains
        .report(&pool2, app::ids::PartnerId(1), &key2)
        .await
        .unwrap();
    assert_eq!(
        report.broken.as_ref().map(|b| (b.kind, b.chain_seq)),
        Some((TamperKind::Edited, Some(edited)))
    );
    assert_eq!(
        report,
        verify_partner(&pool2, app::ids::PartnerId(1), &key2)
            .await
            .unwrap(),
        "the same as a whole walk"
    );
}
