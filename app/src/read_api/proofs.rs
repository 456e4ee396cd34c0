//! Proofs from the partner's Merkle tree (`integrity::merkle`), under an `events:read`
//! token, for the token's partner only:
//! - `GET /api/v1/proofs/inclusion?position=N[&size=M]`: the event at chain position N is
//!   leaf N−1 of the tree of M leaves (default: the whole tree);
//! - `GET /api/v1/proofs/consistency?from=M[&to=N]`: the tree of N leaves extends the tree
//!   of M without changing it;
//! - `GET /api/v1/checkpoint`: the newest signed checkpoint, a C2SP signed note (text).
//!
//! Each answer names the tree size and root it is against; hashes are base64, as C2SP
//! checkpoints write them. A root is to be trusted only as far as a signed checkpoint
//! vouches for it.

use std::collections::HashMap;

use axum::extract::State;
use axum::http::{HeaderMap, Uri};
use axum::response::{IntoResponse, Response};
use serde::Serialize;

use super::handler::reader;
use crate::errors::AppError;
use crate::ids::PartnerId;
use crate::integrity::merkle::{Hash, Question};
use crate::integrity::tree::{self, TreeError};
use crate::state::AppState;

pub const INCLUSION_PATH: &str = "/api/v1/proofs/inclusion";
pub const CONSISTENCY_PATH: &str = "/api/v1/proofs/consistency";
pub const CHECKPOINT_PATH: &str = "/api/v1/checkpoint";

#[derive(Debug, Serialize)]
pub struct InclusionProof {
    /// The event's chain position (its leaf index is one less).
    pub position: i64,
    pub leaf_index: u64,
    pub tree_size: u64,
    pub root_hash: String,
    /// Sibling hashes from the leaf up (RFC 9162 §2.1.3).
    pub proof: Vec<String>,
}

#[derive(Debug, Serialize)]
pub struct ConsistencyProof {
    pub from_size: u64,
    pub from_root_hash: String,
    pub to_size: u64,
    pub to_root_hash: String,
    /// RFC 9162 §2.1.4's consistency proof.
    pub proof: Vec<String>,
}

pub async fn inclusion(State(state): State<AppState>, headers: HeaderMap, uri: Uri) -> Response {
    let answer = async {
        let token = reader(&state, &headers).await?;
        let params = params(&uri, &["position", "size"])?;
        let position = number(&params, "position")?.ok_or_else(|| missing("position"))?;
        let size = tree_size_or(&state, token.partner_id, number(&params, "size")?).await?;
        let index = position
            .checked_sub(1)
            .ok_or_else(|| AppError::BadRequest("position: chain positions start at 1".into()))?;
        let [proof, root] = ask(
            &state,
            token.partner_id,
            [Question::Inclusion { index, size }, Question::Root { size }],
        )
        .await?;
        Ok::<_, AppError>(InclusionProof {
            position: position as i64,
            leaf_index: index,
            tree_size: size,
            root_hash: root[0].to_string(),
            proof: proof.iter().map(Hash::to_string).collect(),
        })
    };
    match answer.await {
        Ok(proof) => axum::Json(proof).into_response(),
        Err(error) => error.into_response(),
    }
}

pub async fn consistency(State(state): State<AppState>, headers: HeaderMap, uri: Uri) -> Response {
    let answer = async {
        let token = reader(&state, &headers).await?;
        let params = params(&uri, &["from", "to"])?;
        let from = number(&params, "from")?.ok_or_else(|| missing("from"))?;
        let to = tree_size_or(&state, token.partner_id, number(&params, "to")?).await?;
        let [proof, from_root, to_root] = ask(
            &state,
            token.partner_id,
            [
                Question::Consistency { from, to },
                Question::Root { size: from },
                Question::Root { size: to },
            ],
        )
        .await?;
        Ok::<_, AppError>(ConsistencyProof {
            from_size: from,
            from_root_hash: from_root[0].to_string(),
            to_size: to,
            to_root_hash: to_root[0].to_string(),
            proof: proof.iter().map(Hash::to_string).collect(),
        })
    };
    match answer.await {
        Ok(proof) => axum::Json(proof).into_response(),
        Err(error) => error.into_response(),
    }
}

pub async fn checkpoint(State(state): State<AppState>, headers: HeaderMap) -> Response {
    let answer = async {
        let token = reader(&state, &headers).await?;
        crate::integrity::store::newest_note(&state.pool, token.partner_id)
            .await?
            .ok_or_else(|| {
                AppError::NotFound("No checkpoint of this partner's tree has been signed yet.".into())
            })
    };
    match answer.await {
        Ok(note) => (
            [(axum::http::header::CONTENT_TYPE, "text/plain; charset=utf-8")],
            note,
        )
            .into_response(),
        Err(error) => error.into_response(),
    }
}

fn params(uri: &Uri, known: &[&str]) -> Result<HashMap<String, String>, AppError> {
    let axum::extract::Query(params) = axum::extract::Query::<HashMap<String, String>>::try_from_uri(uri)
        .map_err(|error| AppError::BadRequest(error.body_text()))?;
    if let Some(unknown) = params.keys().find(|name| !known.contains(&name.as_str())) {
        return Err(AppError::BadRequest(format!(
            "unknown parameter {unknown:?}; the parameters are {}",
            known.join(" and ")
        )));
    }
    Ok(params)
}

fn number(params: &HashMap<String, String>, name: &str) -> Result<Option<u64>, AppError> {
    params
        .get(name)
        .map(|text| {
            text.parse::<u64>()
                .ok()
                .filter(|number| *number <= i64::MAX as u64)
                .ok_or_else(|| AppError::BadRequest(format!("{name}: a whole number, not {text:?}")))
        })
        .transpose()
}

fn missing(name: &str) -> AppError {
    AppError::BadRequest(format!("{name} is required"))
}

/// `size` as given, else the whole tree's.
async fn tree_size_or(state: &AppState, partner_id: PartnerId, size: Option<u64>) -> Result<u64, AppError> {
    match size {
        Some(size) => Ok(size),
        None => Ok(tree::current_size(&state.pool, partner_id).await? as u64),
    }
}

/// The answers to `questions`, from one read of the tiles they need.
async fn ask<const N: usize>(
    state: &AppState,
    partner_id: PartnerId,
    questions: [Question; N],
) -> Result<[Vec<Hash>; N], AppError> {
    let answers = tree::answer_many(&state.pool, partner_id, &questions)
        .await
        .map_err(|error| match error {
            TreeError::OutOfRange(message) => AppError::BadRequest(message),
            TreeError::Database(error) => error.into(),
            TreeError::Broken(message) => {
                tracing::error!(%partner_id, "a proof failed: {message}");
                AppError::Internal
            }
        })?;
    Ok(answers.try_into().expect("an answer to each question"))
}
