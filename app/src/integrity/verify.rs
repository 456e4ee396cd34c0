//! Walks a partner's chain from its first event and reports the first broken link, or
//! that it is intact. Every column is read as text, so a tampered value that is no longer
//! a number or a date is reported as an edit rather than failing the walk.

use ed25519_dalek::VerifyingKey;
use futures::TryStreamExt;
use sqlx::SqlitePool;

use super::canonical::{EventContent, GENESIS_HASH};
use super::checkpoint::{checkpoint_statement, signature_is_valid};
use super::model::{ChainBreak, ChainReport, CheckpointInfo, TamperKind};

/// A stored row as text: id, chain_seq, prev_hash, event_hash, then the content columns.
type ChainRow = (
    i64,
    Option<String>,
    Option<String>,
    Option<String>,
    Option<String>,
    Option<String>,
    Option<String>,
    Option<String>,
    Option<String>,
    Option<String>,
    Option<String>,
    Option<String>,
    Option<String>,
);

struct Checkpoint {
    chain_seq: i64,
    head_hash: String,
    signed_at: String,
}

/// Every partner that owns events or a checkpoint, so a row moved to a made-up partner is
/// walked too.
pub async fn partners_to_verify(pool: &SqlitePool) -> Result<Vec<i64>, sqlx::Error> {
    let rows: Vec<(i64,)> = sqlx::query_as(
        "SELECT id FROM partners
         UNION SELECT partner_id FROM activity_events
         UNION SELECT partner_id FROM chain_checkpoints
         ORDER BY 1",
    )
    .fetch_all(pool)
    .await?;
    Ok(rows.into_iter().map(|(id,)| id).collect())
}

pub async fn verify_partner(
    pool: &SqlitePool,
    partner_id: i64,
    key: &VerifyingKey,
) -> Result<ChainReport, sqlx::Error> {
    let mut report = ChainReport {
        partner_id,
        events: 0,
        checkpoint: None,
        broken: None,
    };
    let checkpoints = match load_checkpoints(pool, partner_id, key).await? {
        Ok(checkpoints) => checkpoints,
        Err(broken) => {
            report.broken = Some(broken);
            return Ok(report);
        }
    };

    let outside: Option<(i64, Option<String>)> = sqlx::query_as(
        "SELECT id, CAST(occurred_at AS TEXT) FROM activity_events
         WHERE partner_id = $1 AND (chain_seq IS NULL OR prev_hash IS NULL OR event_hash IS NULL)
         ORDER BY id LIMIT 1",
    )
    .bind(partner_id)
    .fetch_optional(pool)
    .await?;
    if let Some((id, occurred_at)) = outside {
        report.broken = Some(ChainBreak {
            kind: TamperKind::Inserted,
            chain_seq: None,
            event_id: Some(id),
            occurred_at,
            detail: "this row has no place in the chain: the server did not write it".into(),
        });
        return Ok(report);
    }

    let mut rows = sqlx::query_as::<_, ChainRow>(
        "SELECT id, CAST(chain_seq AS TEXT), prev_hash, event_hash,
                CAST(partner_id AS TEXT), external_id, CAST(occurred_at AS TEXT),
                CAST(customer_id AS TEXT), CAST(partner_user_id AS TEXT), action_kind,
                action_text, details, CAST(recorded_at AS TEXT)
         FROM activity_events WHERE partner_id = $1 AND chain_seq IS NOT NULL
         ORDER BY chain_seq",
    )
    .bind(partner_id)
    .fetch(pool);

    let mut prev_hash = GENESIS_HASH.to_string();
    let mut prev_id = i64::MIN;
    let mut expected_seq: i64 = 1;
    let mut next_checkpoint = checkpoints.iter().peekable();
    let mut pending: Option<(ChainBreak, i64, Problem)> = None;
    while let Some(row) = rows.try_next().await? {
        let (id, seq_text, stored_prev, stored_hash, ..) = &row;
        let stored_prev = stored_prev.as_deref().unwrap_or_default();
        let stored_hash = stored_hash.as_deref().unwrap_or_default();
        let occurred_at = row.6.clone();
        let at = |kind, chain_seq: Option<i64>, detail: String| ChainBreak {
            kind,
            chain_seq,
            event_id: Some(*id),
            occurred_at: occurred_at.clone(),
            detail,
        };
        let Some(seq) = seq_text.as_deref().and_then(parse_integer) else {
            report.broken = Some(at(
                TamperKind::Inserted,
                None,
                format!("its chain position {seq_text:?} is not one the server writes"),
            ));
            break;
        };
        let content = content_of(&row);
        let fits_own_hash = content
            .as_ref()
            .is_some_and(|content| content.chained_hash(stored_prev) == stored_hash);
        let fits_chain = stored_prev == prev_hash;
        // Cases that need another look at the table are settled after the walk's
        // connection is released (a one-connection pool must not deadlock).
        let problem = match (fits_own_hash, fits_chain) {
            (true, true) if seq == expected_seq => None,
            (true, true) => Some(Problem::Known(
                TamperKind::Edited,
                format!("its chain position was changed from #{expected_seq} to #{seq}"),
            )),
            (false, true) => Some(Problem::Known(
                TamperKind::Edited,
                "its content no longer matches its hash".to_string(),
            )),
            (false, false) => {
                let link_edited = content
                    .as_ref()
                    .is_some_and(|content| content.chained_hash(&prev_hash) == stored_hash);
                Some(if link_edited {
                    Problem::Known(
                        TamperKind::Edited,
                        "its link to the previous event was changed".into(),
                    )
                } else {
                    Problem::Known(
                        TamperKind::Inserted,
                        "it matches neither its own hash nor its place: the server did not write it".into(),
                    )
                })
            }
            (true, false) if seq > expected_seq => Some(Problem::Gap { expected_seq }),
            (true, false) => Some(Problem::LinksElsewhere {
                stored_prev: stored_prev.to_string(),
                expected_seq,
            }),
        };
        if let Some(problem) = problem {
            pending = Some((at(TamperKind::Edited, Some(seq), String::new()), seq, problem));
            break;
        }
        if *id <= prev_id {
            report.broken = Some(at(
                TamperKind::Reordered,
                Some(seq),
                "its row was stored before the event ahead of it: rows were swapped".into(),
            ));
            break;
        }
        if let Some(checkpoint) = next_checkpoint.next_if(|checkpoint| checkpoint.chain_seq == seq) {
            if checkpoint.head_hash != stored_hash {
                report.broken = Some(at(
                    TamperKind::Edited,
                    Some(seq),
                    format!(
                        "the chain up to here was rewritten: the checkpoint signed at {} holds another hash",
                        checkpoint.signed_at
                    ),
                ));
                break;
            }
            report.checkpoint = Some(CheckpointInfo {
                chain_seq: seq,
                signed_at: checkpoint.signed_at.clone(),
            });
        }
        prev_hash = stored_hash.to_string();
        prev_id = *id;
        expected_seq = seq + 1;
        report.events += 1;
    }
    drop(rows);

    if let Some((mut broken, seq, problem)) = pending {
        let (kind, detail) = problem.settle(pool, partner_id, &prev_hash, seq).await?;
        broken.kind = kind;
        broken.detail = detail;
        report.broken = Some(broken);
    }
    if report.broken.is_none() {
        if let Some(checkpoint) = next_checkpoint.next() {
            let last = expected_seq - 1;
            report.broken = Some(ChainBreak {
                kind: TamperKind::Truncated,
                chain_seq: Some(last + 1),
                event_id: None,
                occurred_at: None,
                detail: format!(
                    "the checkpoint signed at {} covers events up to #{}, but the chain ends at #{last}",
                    checkpoint.signed_at, checkpoint.chain_seq
                ),
            });
        }
    }
    Ok(report)
}

/// A broken link found during the walk, named once the walk is over.
enum Problem {
    Known(TamperKind, String),
    /// The row links past a missing position: deleted, or moved elsewhere.
    Gap {
        expected_seq: i64,
    },
    /// The row is in sequence but follows another event: moved, or forged.
    LinksElsewhere {
        stored_prev: String,
        expected_seq: i64,
    },
}

impl Problem {
    async fn settle(
        self,
        pool: &SqlitePool,
        partner_id: i64,
        prev_hash: &str,
        seq: i64,
    ) -> Result<(TamperKind, String), sqlx::Error> {
        Ok(match self {
            Problem::Known(kind, detail) => (kind, detail),
            Problem::Gap { expected_seq } => match row_following(pool, partner_id, prev_hash).await? {
                Some((moved_id, moved_seq)) => (
                    TamperKind::Reordered,
                    format!(
                        "the event that belongs at #{expected_seq} (row id {moved_id}) was moved to #{}",
                        moved_seq.unwrap_or_default()
                    ),
                ),
                None if seq == expected_seq + 1 => (
                    TamperKind::Deleted,
                    format!("event #{expected_seq} before it is missing"),
                ),
                None => (
                    TamperKind::Deleted,
                    format!("events #{expected_seq}–#{} before it are missing", seq - 1),
                ),
            },
            Problem::LinksElsewhere {
                stored_prev,
                expected_seq,
            } => match position_of_hash(pool, partner_id, &stored_prev).await? {
                Some(after) => (
                    TamperKind::Reordered,
                    format!(
                        "this event belongs after #{after}, not after #{}",
                        expected_seq - 1
                    ),
                ),
                None => (
                    TamperKind::Inserted,
                    "it links to no event of this chain: the server did not write it".into(),
                ),
            },
        })
    }
}

/// The partner's checkpoints in chain order, or the first whose signature fails.
async fn load_checkpoints(
    pool: &SqlitePool,
    partner_id: i64,
    key: &VerifyingKey,
) -> Result<Result<Vec<Checkpoint>, ChainBreak>, sqlx::Error> {
    let rows: Vec<(
        i64,
        Option<String>,
        Option<String>,
        Option<String>,
        Option<String>,
    )> = sqlx::query_as(
        "SELECT id, CAST(chain_seq AS TEXT), head_hash, signed_at, signature
         FROM chain_checkpoints WHERE partner_id = $1 ORDER BY id",
    )
    .bind(partner_id)
    .fetch_all(pool)
    .await?;
    let mut checkpoints = Vec::with_capacity(rows.len());
    for (id, seq, head_hash, signed_at, signature) in rows {
        let (seq, head_hash, signed_at) = (
            seq.unwrap_or_default(),
            head_hash.unwrap_or_default(),
            signed_at.unwrap_or_default(),
        );
        let statement = checkpoint_statement(partner_id, &seq, &head_hash, &signed_at);
        let chain_seq = parse_integer(&seq);
        match chain_seq {
            Some(chain_seq)
                if signature_is_valid(key, &statement, signature.as_deref().unwrap_or_default()) =>
            {
                checkpoints.push(Checkpoint {
                    chain_seq,
                    head_hash,
                    signed_at,
                })
            }
            _ => {
                return Ok(Err(ChainBreak {
                    kind: TamperKind::ForgedCheckpoint,
                    chain_seq,
                    event_id: None,
                    occurred_at: None,
                    detail: format!(
                        "checkpoint {id} (signed at {signed_at:?}) does not verify with the server's public key"
                    ),
                }));
            }
        }
    }
    checkpoints.sort_by_key(|checkpoint| checkpoint.chain_seq);
    Ok(Ok(checkpoints))
}

/// (row id, position) of the event whose previous hash is `hash`: where the event that
/// should come next actually is.
async fn row_following(
    pool: &SqlitePool,
    partner_id: i64,
    hash: &str,
) -> Result<Option<(i64, Option<String>)>, sqlx::Error> {
    sqlx::query_as("SELECT id, CAST(chain_seq AS TEXT) FROM activity_events WHERE partner_id = $1 AND prev_hash = $2 LIMIT 1")
        .bind(partner_id)
        .bind(hash)
        .fetch_optional(pool)
        .await
}

async fn position_of_hash(
    pool: &SqlitePool,
    partner_id: i64,
    hash: &str,
) -> Result<Option<String>, sqlx::Error> {
    let row: Option<(Option<String>,)> = sqlx::query_as(
        "SELECT CAST(chain_seq AS TEXT) FROM activity_events WHERE partner_id = $1 AND event_hash = $2 LIMIT 1",
    )
    .bind(partner_id)
    .bind(hash)
    .fetch_optional(pool)
    .await?;
    Ok(row.map(|(seq,)| seq.unwrap_or_default()))
}

/// A whole number written the way the server writes it ("7", never "7.0" or "07").
fn parse_integer(text: &str) -> Option<i64> {
    text.parse::<i64>()
        .ok()
        .filter(|number| number.to_string() == text)
}

fn content_of(row: &ChainRow) -> Option<EventContent<'_>> {
    let (_, _, _, _, partner, external_id, occurred_at, customer, user, kind, text, details, recorded_at) =
        row;
    let customer_id = match customer {
        None => None,
        Some(text) => Some(parse_integer(text)?),
    };
    Some(EventContent {
        partner_id: parse_integer(partner.as_deref()?)?,
        external_id: external_id.as_deref()?,
        occurred_at: occurred_at.as_deref()?,
        customer_id,
        partner_user_id: parse_integer(user.as_deref()?)?,
        action_kind: kind.as_deref()?,
        action_text: text.as_deref()?,
        details: details.as_deref()?,
        recorded_at: recorded_at.as_deref()?,
    })
}
