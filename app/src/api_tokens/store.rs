//! API token secrets and their SQL. A secret is 32 random bytes; only its SHA-256 is kept,
//! so a copy of the database lets nobody send events.

use crate::db::Db;
use chrono::Utc;

use super::model::ApiTokenSummary;
use crate::db::to_db_time;
use crate::digest::{random_hex, sha256_hex};
use crate::errors::AppError;
use crate::ids::{PartnerId, UserId};

/// Every secret starts with this, so leaked tokens are easy to search for.
pub const TOKEN_PREFIX: &str = "alog_";
const SHOWN_PREFIX_CHARS: usize = 12;

fn token_hash(secret: &str) -> String {
    sha256_hex(secret)
}

pub fn new_secret() -> String {
    format!("{TOKEN_PREFIX}{}", random_hex(32))
}

pub async fn list(db: &Db, partner_id: PartnerId) -> Result<Vec<ApiTokenSummary>, AppError> {
    Ok(crate::on_db!(db, |pool| sqlx::query_as(
        "SELECT t.id, t.name, t.token_prefix AS prefix, t.created_at, u.email AS created_by,
                t.last_used_at, t.revoked_at
         FROM api_tokens t JOIN partner_users u ON u.id = t.created_by
         WHERE t.partner_id = $1
         ORDER BY t.id DESC",
    )
    .bind(partner_id)
    .fetch_all(pool)
    .await)?)
}

/// Stores a new token for the partner and returns its id with the secret.
pub async fn create(
    db: &Db,
    partner_id: PartnerId,
    created_by: UserId,
    name: &str,
) -> Result<(i64, String), AppError> {
    let secret = new_secret();
    let prefix: String = secret.chars().take(SHOWN_PREFIX_CHARS).collect();
    let (id,): (i64,) = crate::on_db!(db, |pool| sqlx::query_as(
        "INSERT INTO api_tokens (partner_id, name, token_hash, token_prefix, created_by, created_at)
         VALUES ($1, $2, $3, $4, $5, $6) RETURNING id",
    )
    .bind(partner_id)
    .bind(name)
    .bind(token_hash(&secret))
    .bind(prefix)
    .bind(created_by)
    .bind(to_db_time(Utc::now()))
    .fetch_one(pool)
    .await)?;
    Ok((id, secret))
}

/// Revokes one of the partner's tokens; another partner's token id is "not found".
pub async fn revoke(db: &Db, partner_id: PartnerId, token_id: i64) -> Result<(), AppError> {
    let result = crate::on_db!(db, |pool| sqlx::query(
        "UPDATE api_tokens SET revoked_at = COALESCE(revoked_at, $3) WHERE id = $1 AND partner_id = $2",
    )
    .bind(token_id)
    .bind(partner_id)
    .bind(to_db_time(Utc::now()))
    .execute(pool)
    .await
    .map(|done| done.rows_affected()))?;
    if result == 0 {
        let l = crate::i18n::request_locale();
        return Err(AppError::NotFound(tr!(l, tokens.there_is_no_such_api).into()));
    }
    Ok(())
}

/// The partner a live token belongs to, from an `Authorization: Bearer …` value.
pub async fn authenticate(db: &Db, secret: &str) -> Result<Option<PartnerId>, AppError> {
    if !secret.starts_with(TOKEN_PREFIX) || secret.len() > 128 {
        return Ok(None);
    }
    #[derive(sqlx::FromRow)]
    struct LiveToken {
        id: i64,
        partner_id: PartnerId,
    }
    let row: Option<LiveToken> = crate::on_db!(db, |pool| sqlx::query_as(
        "SELECT id, partner_id FROM api_tokens WHERE token_hash = $1 AND revoked_at IS NULL"
    )
    .bind(token_hash(secret))
    .fetch_optional(pool)
    .await)?;
    let Some(LiveToken { id, partner_id }) = row else {
        return Ok(None);
    };
    crate::on_db!(db, |pool| sqlx::query(
        "UPDATE api_tokens SET last_used_at = $2 WHERE id = $1"
    )
    .bind(id)
    .bind(to_db_time(Utc::now()))
    .execute(pool)
    .await
    .map(|done| done.rows_affected()))?;
    Ok(Some(partner_id))
}
