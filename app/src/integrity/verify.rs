//! Walks a partner's chain from its first event and reports the first broken link, or
//! that it is intact. Its reads are in `store.rs`, every checked column as text.

use crate::db::Db;
use ed25519_dalek::VerifyingKey;
use futures::TryStreamExt;

use super::canonical::{EventContent, GENESIS_HASH};
use super::checkpoint::{checkpoint_statement, key_id, signature_is_valid};
use super::model::{ChainBreak, ChainReport, CheckpointInfo, TamperKind};
use super::store::{self, CheckpointRow};
use crate::event_table::walk::{self, RowAt, WalkedRow};
use crate::ids::{EventId, PartnerId};

struct Checkpoint {
    row_id: i64,
    chain_seq: i64,
    head_hash: String,
    signed_at: String,
}

/// Where an intact walk ended: enough to go on from there later without walking the
/// events before it again (the integrity badge does; `server verify` always starts over).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct VerifiedUpTo {
    /// The last event walked: its position, hash and row id (0, the genesis hash and
    /// `i64::MIN` before the first).
    pub chain_seq: i64,
    pub event_hash: String,
    pub row_id: i64,
    /// The newest checkpoint row whose signature was checked.
    pub checkpoint_row_id: i64,
    /// The report so far.
    pub report: ChainReport,
}

impl VerifiedUpTo {
    fn genesis(partner_id: PartnerId) -> VerifiedUpTo {
        VerifiedUpTo {
            chain_seq: 0,
            event_hash: GENESIS_HASH.to_string(),
            row_id: i64::MIN,
            checkpoint_row_id: 0,
            report: ChainReport {
                partner_id,
                events: 0,
                checkpoint: None,
                broken: None,
            },
        }
    }
}

pub use crate::event_table::walk::partners_to_verify;

/// Walks the partner's whole chain and checks every checkpoint.
pub async fn verify_partner(
    pool: &Db,
    partner_id: PartnerId,
    key: &VerifyingKey,
) -> Result<ChainReport, sqlx::Error> {
    Ok(verify_partner_from(pool, partner_id, key, None).await?.report)
}

/// Walks the partner's chain from `start` (an earlier intact walk: only newer events and
/// newer checkpoints are read), or from the first event when `None`. The returned position
/// is where this walk ended, to start from next time.
pub async fn verify_partner_from(
    pool: &Db,
    partner_id: PartnerId,
    key: &VerifyingKey,
    start: Option<VerifiedUpTo>,
) -> Result<VerifiedUpTo, sqlx::Error> {
    verify_partner_until(pool, partner_id, key, start, None).await
}

/// [`verify_partner_from`], stopping after position `until` when given (a slice of the
/// rolling audit: the next slice goes on from the position returned). Checkpoints past the
/// slice are left for the slices that reach them.
pub async fn verify_partner_until(
    pool: &Db,
    partner_id: PartnerId,
    key: &VerifyingKey,
    start: Option<VerifiedUpTo>,
    until: Option<i64>,
) -> Result<VerifiedUpTo, sqlx::Error> {
    let whole_walk = start.is_none();
    let start = start.unwrap_or_else(|| VerifiedUpTo::genesis(partner_id));
    let mut report = start.report.clone();
    let broken = |mut end: VerifiedUpTo, report: ChainReport| {
        end.report = report;
        Ok(end)
    };
    let (checkpoints, checkpoint_row_id) =
        match load_checkpoints(pool, partner_id, key, start.checkpoint_row_id).await? {
            Ok(loaded) => loaded,
            Err(found) => {
                report.broken = Some(found);
                return broken(start, report);
            }
        };
    // Checkpoints signed since the last walk of positions it had already passed: each must
    // hold the hash stored at its position.
    let mut newest_checkpoint = report.checkpoint.clone();
    let (passed, ahead): (Vec<Checkpoint>, Vec<Checkpoint>) = checkpoints
        .into_iter()
        .partition(|checkpoint| checkpoint.chain_seq <= start.chain_seq);
    for checkpoint in &passed {
        let stored = walk::event_hash_at(pool, partner_id, checkpoint.chain_seq).await?;
        if stored.as_deref() != Some(checkpoint.head_hash.as_str()) {
            report.broken = Some(ChainBreak {
                kind: TamperKind::Edited,
                chain_seq: Some(checkpoint.chain_seq),
                event_id: None,
                occurred_at: None,
                detail: format!(
                    "the chain up to here was rewritten: the checkpoint signed at {} holds another hash",
                    checkpoint.signed_at
                ),
            });
            return broken(start, report);
        }
        if newest_checkpoint
            .as_ref()
            .is_none_or(|newest| newest.chain_seq <= checkpoint.chain_seq)
        {
            newest_checkpoint = Some(CheckpointInfo {
                chain_seq: checkpoint.chain_seq,
                signed_at: checkpoint.signed_at.clone(),
            });
        }
    }
    report.checkpoint = newest_checkpoint;

    if whole_walk && let Some(found) = row_outside_the_chain(pool, partner_id).await? {
        report.broken = Some(found);
        return broken(start, report);
    }

    // A whole walk reads every row with a position, whatever was written there.
    let after = (!whole_walk).then_some(start.chain_seq);
    let mut rows = match until {
        None => walk::walk(pool, partner_id, after),
        Some(until) => walk::walk_until(pool, partner_id, after, until),
    };

    let mut prev_hash = start.event_hash.clone();
    let mut prev_id = start.row_id;
    let mut expected_seq: i64 = start.chain_seq + 1;
    let mut next_checkpoint = ahead.iter().peekable();
    let mut pending: Option<(ChainBreak, i64, Problem)> = None;
    while let Some(row) = rows.try_next().await? {
        let (id, seq_text) = (&row.id, &row.chain_seq);
        let stored_prev = row.prev_hash.as_deref().unwrap_or_default();
        let stored_hash = row.event_hash.as_deref().unwrap_or_default();
        let occurred_at = row.occurred_at.clone();
        let at = |kind, chain_seq: Option<i64>, detail: String| ChainBreak {
            kind,
            chain_seq,
            event_id: Some(EventId(*id)),
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
    let last = expected_seq - 1;
    // A slice has not seen the chain's end (a short one may have stopped at a gap): the
    // checkpoints past it are loaded again by the next walk (checkpoint rows are made in
    // chain order), and only an unbounded walk judges the end.
    let stopped_at_bound = until.is_some();
    let unmatched: Vec<&Checkpoint> = next_checkpoint.collect();
    let checkpoint_row_id = match unmatched.iter().map(|checkpoint| checkpoint.row_id).min() {
        Some(first_unmatched) if stopped_at_bound => first_unmatched - 1,
        _ => checkpoint_row_id,
    };
    if report.broken.is_none()
        && !stopped_at_bound
        && let Some(checkpoint) = unmatched.first()
    {
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
    Ok(VerifiedUpTo {
        chain_seq: expected_seq - 1,
        event_hash: prev_hash,
        row_id: prev_id,
        checkpoint_row_id,
        report,
    })
}

/// A row of the partner's with no place in the chain (no position or hashes): the server
/// writes none, so someone else did.
async fn row_outside_the_chain(pool: &Db, partner_id: PartnerId) -> Result<Option<ChainBreak>, sqlx::Error> {
    let outside = walk::row_outside_the_chain(pool, partner_id).await?;
    Ok(outside.map(|row| ChainBreak {
        kind: TamperKind::Inserted,
        chain_seq: None,
        event_id: Some(EventId(row.id)),
        occurred_at: row.at,
        detail: "this row has no place in the chain: the server did not write it".into(),
    }))
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
        pool: &Db,
        partner_id: PartnerId,
        prev_hash: &str,
        seq: i64,
    ) -> Result<(TamperKind, String), sqlx::Error> {
        Ok(match self {
            Problem::Known(kind, detail) => (kind, detail),
            Problem::Gap { expected_seq } => match walk::row_following(pool, partner_id, prev_hash).await? {
                Some(RowAt {
                    id: moved_id,
                    at: moved_seq,
                }) => (
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
            } => match walk::position_of_hash(pool, partner_id, &stored_prev).await? {
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

/// The partner's checkpoints after row `after_row_id`, in chain order, with the newest row
/// id read; or the first whose signature fails.
async fn load_checkpoints(
    pool: &Db,
    partner_id: PartnerId,
    key: &VerifyingKey,
    after_row_id: i64,
) -> Result<Result<(Vec<Checkpoint>, i64), ChainBreak>, sqlx::Error> {
    let rows = store::checkpoints_after(pool, partner_id, after_row_id).await?;
    let mut checkpoints = Vec::with_capacity(rows.len());
    let given_key = key_id(key);
    let newest_row_id = rows.last().map_or(after_row_id, |row| row.id);
    for CheckpointRow {
        id,
        chain_seq: seq,
        head_hash,
        signed_at,
        signature,
        key_id: signed_by,
    } in rows
    {
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
                    row_id: id,
                    chain_seq,
                    head_hash,
                    signed_at,
                })
            }
            _ => {
                if let Some(signed_by) =
                    signed_by.filter(|signed_by| !signed_by.is_empty() && *signed_by != given_key)
                {
                    return Ok(Err(ChainBreak {
                        kind: TamperKind::SignedByAnotherKey,
                        chain_seq,
                        event_id: None,
                        occurred_at: None,
                        detail: format!(
                            "checkpoint {id} (signed at {signed_at:?}) was signed by key {signed_by}, \
                             you gave key {given_key}: verify with that key's public half (--public-key)"
                        ),
                    }));
                }
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
    Ok(Ok((checkpoints, newest_row_id)))
}

/// A whole number written the way the server writes it ("7", never "7.0" or "07").
fn parse_integer(text: &str) -> Option<i64> {
    text.parse::<i64>()
        .ok()
        .filter(|number| number.to_string() == text)
}

/// What a walked row's hash covers, or `None` when a column no longer reads as the server
/// wrote it (an edit the walk reports).
pub(crate) fn content_of(row: &WalkedRow) -> Option<EventContent<'_>> {
    let WalkedRow {
        partner_id: partner,
        external_id,
        occurred_at,
        customer_id: customer,
        partner_user_id: user,
        action_kind: kind,
        action_text: text,
        details,
        recorded_at,
        ..
    } = row;
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
