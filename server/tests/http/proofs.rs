//! The Merkle tree's proofs over real HTTP, checked with another RFC 9162 implementation
//! (`ct-merkle`) than the one that made them, over leaves the test hashes itself from the
//! stored rows: every event is in the tree, later trees extend earlier ones, an edited
//! event is no longer in the root a client kept, and `server build-trees` builds the same
//! tree for a database from before the trees.

use app::api_tokens::model::TokenScope;
use app::db::on_db;
use app::ids::PartnerId;
use app::state::Limits;
use base64::Engine;
use ct_merkle::{ConsistencyProof, InclusionProof, RootHash};
use futures::TryStreamExt;
use reqwest::StatusCode;
use serde_json::Value;
use sha2::Sha256;

use crate::read_api::documented;
use crate::support::{TestApp, client, spawn_app_with};

/// The database as `--database-url` takes it.
pub(crate) fn database_arg(app: &TestApp) -> std::ffi::OsString {
    match &app.database {
        app::db::Database::SqliteFile(path) => path.clone().into_os_string(),
        app::db::Database::Postgres(url) => url.into(),
    }
}

async fn get(app: &TestApp, token: &str, path: &str, query: &[(&str, &str)]) -> (StatusCode, Value) {
    let answer = client()
        .get(app.url(path))
        .bearer_auth(token)
        .query(query)
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

/// A hash as the API writes it (standard base64) as its 32 bytes.
pub(crate) fn hash(value: &Value) -> [u8; 32] {
    base64::engine::general_purpose::STANDARD
        .decode(value.as_str().unwrap())
        .unwrap()
        .try_into()
        .unwrap()
}

fn hashes(value: &Value) -> Vec<sha2::digest::Output<Sha256>> {
    value.as_array().unwrap().iter().map(|h| hash(h).into()).collect()
}

/// Each stored event's canonical bytes (what its leaf hashes), in chain order, written here
/// from the rows as `integrity::canonical` specifies.
async fn canonical_events(app: &TestApp, partner: i64) -> Vec<Vec<u8>> {
    stored_canonical(&app.db, partner)
        .await
        .into_iter()
        .map(|(_, bytes)| bytes)
        .collect()
}

/// Each stored event of the partner in chain order, with its position (-1 where it does not
/// read as one) and its canonical form written here from the README's description, not by
/// the server's code.
pub(crate) async fn stored_canonical(db: &app::db::Db, partner: i64) -> Vec<(i64, Vec<u8>)> {
    let rows: Vec<app::event_table::walk::WalkedRow> =
        app::event_table::walk::walk(db, PartnerId(partner), None)
            .try_collect()
            .await
            .unwrap();
    rows.iter()
        .map(|row| {
            let mut out = String::from("activity-log event v1\n");
            for (name, value) in [
                ("partner_id", &row.partner_id),
                ("external_id", &row.external_id),
                ("occurred_at", &row.occurred_at),
                ("customer_id", &row.customer_id),
                ("partner_user_id", &row.partner_user_id),
                ("action_kind", &row.action_kind),
                ("action_text", &row.action_text),
                ("details", &row.details),
                ("recorded_at", &row.recorded_at),
            ] {
                match value {
                    Some(value) => out.push_str(&format!("{name}={}:{value}\n", value.len())),
                    None => out.push_str(&format!("{name}=-\n")),
                }
            }
            let position = row
                .chain_seq
                .as_deref()
                .and_then(|seq| seq.parse().ok())
                .unwrap_or(-1);
            (position, out.into_bytes())
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn every_event_is_proved_in_the_tree_and_later_trees_extend_earlier_ones() {
    let app = spawn_app_with(1500, Limits::default()).await;
    let reader = app.token_with(1, &[TokenScope::ReadEvents]).await;
    let events = canonical_events(&app, 1).await;
    let size = events.len() as u64;
    assert!(size > 1000, "{size} events");

    // Inclusion, against the whole tree and against an older one.
    for (tree_size, positions) in [
        (None, vec![1, 2, 257, size / 2, size]),
        (Some(700), vec![1, 300, 700]),
    ] {
        for position in positions {
            let mut query = vec![("position", position.to_string())];
            if let Some(tree_size) = tree_size {
                query.push(("size", tree_size.to_string()));
            }
            let query: Vec<(&str, &str)> = query.iter().map(|(k, v)| (*k, v.as_str())).collect();
            let (status, answer) = get(&app, &reader, "/api/v1/proofs/inclusion", &query).await;
            assert_eq!(status, StatusCode::OK, "{answer}");
            assert!(documented("InclusionProof").is_valid(&answer), "{answer}");
            let proved_size = answer["tree_size"].as_u64().unwrap();
            assert_eq!(proved_size, tree_size.unwrap_or(size));
            assert_eq!(answer["leaf_index"].as_u64().unwrap(), position - 1);
            let root = RootHash::<Sha256>::new(hash(&answer["root_hash"]).into(), proved_size);
            let proof = InclusionProof::<Sha256>::from_digests(hashes(&answer["proof"]).iter());
            let leaf = &events[(position - 1) as usize];
            root.verify_inclusion(leaf, position - 1, &proof)
                .unwrap_or_else(|error| panic!("position {position} in {proved_size}: {error:?}"));
            // Another event at that place is not.
            let other = &events[(position % size) as usize];
            assert!(root.verify_inclusion(other, position - 1, &proof).is_err());
        }
    }

    // Consistency: the whole tree extends each older one.
    for from in [1u64, 256, 700, size - 1, size] {
        let (status, answer) = get(
            &app,
            &reader,
            "/api/v1/proofs/consistency",
            &[("from", &from.to_string())],
        )
        .await;
        assert_eq!(status, StatusCode::OK, "{answer}");
        assert!(documented("ConsistencyProof").is_valid(&answer), "{answer}");
        let old = RootHash::<Sha256>::new(hash(&answer["from_root_hash"]).into(), from);
        let new = RootHash::<Sha256>::new(hash(&answer["to_root_hash"]).into(), size);
        let proof = ConsistencyProof::<Sha256>::from_digests(hashes(&answer["proof"]).iter());
        new.verify_consistency(&old, &proof)
            .unwrap_or_else(|error| panic!("from {from}: {error:?}"));
    }

    // An edit to a stored event: its leaf is no longer under the root a client kept.
    let (_, kept) = get(&app, &reader, "/api/v1/proofs/inclusion", &[("position", "42")]).await;
    on_db!(&app.db, |pool| sqlx::query(
        "UPDATE activity_events SET details = '{\"type\":\"edited\"}' WHERE partner_id = 1 AND chain_seq = 42"
    )
    .execute(pool)
    .await
    .map(|done| done.rows_affected()))
    .unwrap();
    let edited = canonical_events(&app, 1).await;
    let root = RootHash::<Sha256>::new(hash(&kept["root_hash"]).into(), size);
    let proof = InclusionProof::<Sha256>::from_digests(hashes(&kept["proof"]).iter());
    assert!(root.verify_inclusion(&events[41], 41, &proof).is_ok());
    assert!(root.verify_inclusion(&edited[41], 41, &proof).is_err());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn proofs_need_a_read_token_and_say_what_is_wrong() {
    let app = spawn_app_with(300, Limits::default()).await;
    let reader = app.token_with(1, &[TokenScope::ReadEvents]).await;
    let writer = app.token_with(1, &[TokenScope::WriteEvents]).await;
    let path = "/api/v1/proofs/inclusion";
    let anonymous = client()
        .get(app.url(path))
        .query(&[("position", "1")])
        .send()
        .await
        .unwrap();
    assert_eq!(anonymous.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(
        get(&app, &writer, path, &[("position", "1")]).await.0,
        StatusCode::FORBIDDEN
    );
    let size = canonical_events(&app, 1).await.len().to_string();
    let beyond = (size.parse::<u64>().unwrap() + 1).to_string();
    for (path, query, says) in [
        (path, vec![], "position is required"),
        (path, vec![("position", "0")], "start at 1"),
        (path, vec![("position", "x")], "whole number"),
        (path, vec![("position", beyond.as_str())], "not in a tree"),
        (path, vec![("position", "1"), ("size", beyond.as_str())], "leaves"),
        (path, vec![("position", "1"), ("sort", "x")], "unknown parameter"),
        (
            "/api/v1/proofs/consistency",
            vec![("from", "0")],
            "no consistency proof",
        ),
        (
            "/api/v1/proofs/consistency",
            vec![("from", "5"), ("to", "4")],
            "no consistency proof",
        ),
        (
            "/api/v1/proofs/consistency",
            vec![("from", beyond.as_str())],
            "no consistency proof",
        ),
    ] {
        let (status, answer) = get(&app, &reader, path, &query).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{query:?}: {answer}");
        assert!(answer.to_string().contains(says), "{query:?}: {answer}");
    }
    // A token sees its own partner's tree only: Fabrikam's is smaller than Contoso's.
    let fabrikam = app.token_with(2, &[TokenScope::ReadEvents]).await;
    let fabrikam_size = canonical_events(&app, 2).await.len();
    let (_, answer) = get(&app, &fabrikam, "/api/v1/proofs/consistency", &[("from", "1")]).await;
    assert_eq!(answer["to_size"].as_u64().unwrap() as usize, fabrikam_size);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn build_trees_builds_the_same_tree_for_a_database_from_before_the_trees() {
    let app = spawn_app_with(2500, Limits::default()).await;
    let reader = app.token_with(1, &[TokenScope::ReadEvents]).await;
    let (_, before) = get(&app, &reader, "/api/v1/proofs/consistency", &[("from", "1")]).await;
    // As a database from before the trees: none.
    on_db!(&app.db, |pool| async {
        sqlx::query("DELETE FROM merkle_tiles").execute(pool).await?;
        sqlx::query("DELETE FROM merkle_trees")
            .execute(pool)
            .await
            .map(|done| done.rows_affected())
    }
    .await)
    .unwrap();
    let (status, _) = get(&app, &reader, "/api/v1/proofs/inclusion", &[("position", "1")]).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "no tree yet");
    // New events wait for the build rather than starting a tree at the wrong place.
    let writer = app.contoso_token().await;
    app.store_password_resets(
        &writer,
        [("before-build-1".into(), "2026-11-20T10:00:00Z".into())],
    )
    .await;
    let built = crate::support::server_command(database_arg(&app), &app.key_path)
        .args(["build-trees"])
        .output()
        .unwrap();
    assert!(
        built.status.success(),
        "{}",
        String::from_utf8_lossy(&built.stderr)
    );
    let stdout = String::from_utf8_lossy(&built.stdout);
    let size = canonical_events(&app, 1).await.len();
    assert!(
        stdout.contains(&format!("partner 1: tree of {size} events")),
        "{stdout}"
    );
    // Run again: nothing to do, same answer.
    let again = crate::support::server_command(database_arg(&app), &app.key_path)
        .args(["build-trees", "--partner", "contoso.example"])
        .output()
        .unwrap();
    assert!(String::from_utf8_lossy(&again.stdout).contains(&format!("tree of {size} events")));
    // The rebuilt tree is the one the appends had grown, plus the event stored since.
    let old_size = before["to_size"].as_u64().unwrap();
    let (status, answer) = get(
        &app,
        &reader,
        "/api/v1/proofs/consistency",
        &[("from", &old_size.to_string())],
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{answer}");
    assert_eq!(answer["from_root_hash"], before["to_root_hash"]);
    assert_eq!(answer["to_size"].as_u64().unwrap() as usize, size);
    // And appends grow it again.
    app.store_password_resets(&writer, [("after-build-1".into(), "2026-11-20T10:00:01Z".into())])
        .await;
    let (_, grown) = get(&app, &reader, "/api/v1/proofs/consistency", &[("from", "1")]).await;
    assert_eq!(grown["to_size"].as_u64().unwrap() as usize, size + 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn the_checkpoint_is_a_c2sp_signed_note_of_the_trees_root() {
    let app = spawn_app_with(500, Limits::default()).await;
    let reader = app.token_with(1, &[TokenScope::ReadEvents]).await;
    let answer = client()
        .get(app.url("/api/v1/checkpoint"))
        .bearer_auth(&reader)
        .send()
        .await
        .unwrap();
    assert_eq!(answer.status(), StatusCode::OK);
    assert_eq!(answer.headers()["content-type"], "text/plain; charset=utf-8");
    let note = answer.text().await.unwrap();
    // C2SP tlog-checkpoint: origin, size, base64 root; a blank line; the signature lines.
    let (body, signatures) = note.split_once("\n\n").expect("a signed note");
    let lines: Vec<&str> = body.lines().collect();
    assert_eq!(lines.len(), 3, "{note}");
    assert_eq!(lines[0], "activity-log.localhost/contoso.example");
    let size: u64 = lines[1].parse().unwrap();
    assert_eq!(size as usize, canonical_events(&app, 1).await.len());
    let (_, proof) = get(
        &app,
        &reader,
        "/api/v1/proofs/consistency",
        &[("from", "1"), ("to", &size.to_string())],
    )
    .await;
    assert_eq!(proof["to_root_hash"], lines[2], "the note signs the tree's root");
    // The signature line, checked here with ed25519-dalek as C2SP signed-note defines it:
    // "— NAME BASE64(key id ‖ signature)", key id = SHA-256(NAME ‖ \n ‖ 0x01 ‖ key)[..4].
    let line = signatures.lines().next().unwrap();
    let signed = line
        .strip_prefix("\u{2014} activity-log.localhost ")
        .expect("signed by this server's name");
    let bytes = base64::engine::general_purpose::STANDARD.decode(signed).unwrap();
    assert_eq!(bytes.len(), 4 + 64);
    let public = app.signer.verifying_key();
    let mut key_name = b"activity-log.localhost\n\x01".to_vec();
    key_name.extend_from_slice(public.as_bytes());
    let key_id = <Sha256 as sha2::Digest>::digest(&key_name);
    assert_eq!(&bytes[..4], &key_id[..4]);
    let signature = ed25519_dalek::Signature::from_slice(&bytes[4..]).unwrap();
    public
        .verify_strict(format!("{body}\n").as_bytes(), &signature)
        .expect("the note's signature verifies");
    let mut forged = format!("{body}\n").into_bytes();
    let flipped = forged.len() - 2;
    forged[flipped] ^= 1;
    assert!(public.verify_strict(&forged, &signature).is_err());
    // Each partner gets its own.
    let fabrikam = app.token_with(2, &[TokenScope::ReadEvents]).await;
    let theirs = client()
        .get(app.url("/api/v1/checkpoint"))
        .bearer_auth(&fabrikam)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        theirs.starts_with("activity-log.localhost/fabrikam.example\n"),
        "{theirs}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_monitor_catches_history_rewritten_and_re_signed_with_the_key() {
    let app = spawn_app_with(600, Limits::default()).await;
    let reader = app.token_with(1, &[TokenScope::ReadEvents]).await;
    let writer = app.contoso_token().await;
    let dir = tempfile::tempdir().unwrap();
    let state = dir.path().join("monitor.state");
    let public = app::integrity::checkpoint::public_key_path(&app.key_path);
    let server = |args: &[&str]| {
        let output = crate::support::server_command(database_arg(&app), &app.key_path)
            .args(args)
            .env("ALOG_MONITOR_TOKEN", &reader)
            .output()
            .unwrap();
        let said = format!(
            "{}{}",
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        );
        (output.status.success(), said)
    };
    let base = app.url("");
    let monitor = [
        "monitor",
        base.as_str(),
        "--public-key",
        public.to_str().unwrap(),
        "--state",
        state.to_str().unwrap(),
    ];
    let (ok, said) = server(&monitor);
    assert!(ok && said.contains("first checkpoint seen"), "{said}");

    // The log grows honestly and is signed again: the monitor follows.
    app.store_password_resets(&writer, [("honest-1".into(), "2026-11-20T10:00:00Z".into())])
        .await;
    assert!(server(&["checkpoint"]).0);
    let (ok, said) = server(&monitor);
    assert!(ok && said.contains(" extends "), "{said}");
    let kept = std::fs::read_to_string(&state).unwrap();

    // Someone holding the database and the key edits event #10, rebuilds the tree over the
    // edit, stores another event and signs a checkpoint of the rewritten log.
    on_db!(&app.db, |pool| async {
        sqlx::query(
            "UPDATE activity_events SET details = '{\"type\":\"rewritten\"}' WHERE partner_id = 1 AND chain_seq = 10",
        )
        .execute(pool)
        .await?;
        sqlx::query("DELETE FROM merkle_tiles").execute(pool).await?;
        sqlx::query("DELETE FROM merkle_trees")
            .execute(pool)
            .await
            .map(|done| done.rows_affected())
    }
    .await)
    .unwrap();
    assert!(server(&["build-trees"]).0);
    app.store_password_resets(
        &writer,
        [("after-rewrite-1".into(), "2026-11-20T10:00:01Z".into())],
    )
    .await;
    let (signed, said) = server(&["checkpoint"]);
    assert!(signed, "{said}");
    // Its signature is good; its history is not the one the monitor saw.
    let (ok, said) = server(&monitor);
    assert!(!ok, "{said}");
    assert!(said.contains("history was rewritten"), "{said}");
    let size_before = kept.lines().nth(1).unwrap();
    assert!(
        said.contains(&format!("size {size_before} root")),
        "names the checkpoint seen: {said}"
    );
    assert!(said.contains("consistency proof fails"), "{said}");
    // The state still holds the honest checkpoint: every later run fails too.
    assert_eq!(std::fs::read_to_string(&state).unwrap(), kept);
    assert!(!server(&monitor).0);
    // A wrong public key is a bad signature, not a rewrite.
    let other = dir.path().join("other.key");
    app::integrity::checkpoint::CheckpointSigner::create(&other).unwrap();
    let other_public = app::integrity::checkpoint::public_key_path(&other);
    let (ok, said) = server(&[
        "monitor",
        base.as_str(),
        "--public-key",
        other_public.to_str().unwrap(),
        "--state",
        dir.path().join("fresh.state").to_str().unwrap(),
    ]);
    assert!(!ok && said.contains("not signed by the key given"), "{said}");
}

/// A C2SP tile path: `tile/<L>/<N>[.p/<W>]`, N in 3-digit elements, all but the last `x…`.
fn c2sp_tile_path(tile: &tlog_tiles::Tile) -> String {
    let mut n = tile.level_index();
    let mut elements = vec![format!("{:03}", n % 1000)];
    n /= 1000;
    while n > 0 {
        elements.push(format!("x{:03}", n % 1000));
        n /= 1000;
    }
    elements.reverse();
    let partial = if tile.width() < 256 {
        format!(".p/{}", tile.width())
    } else {
        String::new()
    };
    format!("tile/{}/{}{partial}", tile.level(), elements.join("/"))
}

/// Reads tiles over HTTP as a generic tile client does (tlog_tiles checks each against the
/// signed tree hash before using it).
struct HttpTiles {
    base: String,
    token: String,
}

impl tlog_tiles::TileReader for HttpTiles {
    fn height(&self) -> u8 {
        8
    }

    fn read_tiles(&self, tiles: &[tlog_tiles::Tile]) -> Result<Vec<Vec<u8>>, tlog_tiles::Error> {
        tokio::task::block_in_place(|| {
            tokio::runtime::Handle::current().block_on(async {
                let mut read = Vec::new();
                for tile in tiles {
                    let answer = client()
                        .get(format!("{}/api/v1/{}", self.base, c2sp_tile_path(tile)))
                        .bearer_auth(&self.token)
                        .send()
                        .await
                        .unwrap();
                    assert_eq!(answer.status(), StatusCode::OK, "{}", c2sp_tile_path(tile));
                    read.push(answer.bytes().await.unwrap().to_vec());
                }
                Ok(read)
            })
        })
    }

    fn save_tiles(&self, _: &[tlog_tiles::Tile], _: &[Vec<u8>]) {}
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_generic_tile_client_reads_the_tree_and_checks_it_against_the_checkpoint() {
    let app = spawn_app_with(3000, Limits::default()).await;
    let reader = app.token_with(1, &[TokenScope::ReadEvents]).await;
    let note = client()
        .get(app.url("/api/v1/checkpoint"))
        .bearer_auth(&reader)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let lines: Vec<&str> = note.lines().collect();
    let size: u64 = lines[1].parse().unwrap();
    let root = tlog_tiles::Hash::parse_hash(lines[2]).unwrap();
    let events = canonical_events(&app, 1).await;
    assert!(size > 2 * 256, "{size}");
    let tiles = HttpTiles {
        base: app.url(""),
        token: reader.clone(),
    };
    let hashes = tlog_tiles::TileHashReader::new(size, root, &tiles);
    for index in [0, 255, 256, size / 2, size - 1] {
        let leaf = tlog_tiles::record_hash(&events[index as usize]);
        let stored =
            tlog_tiles::HashReader::read_hashes(&hashes, &[tlog_tiles::stored_hash_index(0, index)]).unwrap();
        assert_eq!(stored[0], leaf, "leaf {index} as the tiles hold it");
        let proof = tlog_tiles::prove_record(size, index, &hashes).unwrap();
        tlog_tiles::check_record(&proof, size, root, index, leaf).unwrap();
    }
    // A tile that is not there, or not a tile path, is a 404 that says so.
    for path in ["tile/0/999", "tile/0/1", "tile/entries/000"] {
        let answer = client()
            .get(app.url(&format!("/api/v1/{path}")))
            .bearer_auth(&reader)
            .send()
            .await
            .unwrap();
        assert_eq!(answer.status(), StatusCode::NOT_FOUND, "{path}");
    }
}
