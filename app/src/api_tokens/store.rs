//! API token secrets and their SQL. A secret is 32 random bytes; only its SHA-256 is kept,
//! so a copy of the database lets nobody send events.

use crate::db::Db;
use chrono::Utc;

use super::model::{ApiTokenSummary, TokenScope};
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
    Ok(crate::db::on_db!(db, |pool| sqlx::query_as(
        "SELECT t.id, t.name, t.token_prefix AS prefix, t.created_at, u.email AS created_by,
                t.last_used_at, t.revoked_at, t.scopes
         FROM api_tokens t JOIN partner_users u ON u.id = t.created_by
         WHERE t.partner_id = $1
         ORDER BY t.id DESC",
    )
    .bind(partner_id)
    .fetch_all(pool)
    .await)?)
}

/// Stores a new token for the partner, allowed `scopes`, and returns its id with the secret.
pub async fn create(
    db: &Db,
    partner_id: PartnerId,
    created_by: UserId,
    name: &str,
    scopes: &[TokenScope],
) -> Result<(i64, String), AppError> {
    let scopes = TokenScope::ALL
        .into_iter()
        .filter(|scope| scopes.contains(scope))
        .map(TokenScope::as_str)
        .collect::<Vec<_>>()
        .join(" ");
    let secret = new_secret();
    let prefix: String = secret.chars().take(SHOWN_PREFIX_CHARS).collect();
    let (id,): (i64,) = crate::db::on_db!(db, |pool| {
        sqlx::query_as(
        "INSERT INTO api_tokens (partner_id, name, token_hash, token_prefix, created_by, created_at, scopes)
         VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id",
    )
    .bind(partner_id)
    .bind(name)
    .bind(token_hash(&secret))
    .bind(prefix)
    .bind(created_by)
    .bind(to_db_time(Utc::now()))
    .bind(&scopes)
    .fetch_one(pool)
    .await
    })?;
    Ok((id, secret))
}

/// Revokes one of the partner's tokens; another partner's token id is "not found".
pub async fn revoke(db: &Db, partner_id: PartnerId, token_id: i64) -> Result<(), AppError> {
    let result = crate::db::on_db!(db, |pool| sqlx::query(
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

/// A live token, as a request presented it. Holds no secret.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct LiveToken {
    pub id: i64,
    pub partner_id: PartnerId,
    /// As stored: scope names separated by spaces.
    scopes: String,
}

impl LiveToken {
    pub fn allows(&self, scope: TokenScope) -> bool {
        TokenScope::all_in(&self.scopes).contains(&scope)
    }
}

/// The live token a secret (from an `Authorization: Bearer …` value) names, if any.
pub async fn authenticate(db: &Db, secret: &str) -> Result<Option<LiveToken>, AppError> {
    if !secret.starts_with(TOKEN_PREFIX) || secret.len() > 128 {
        return Ok(None);
    }
    let row: Option<LiveToken> = crate::db::on_db!(db, |pool| sqlx::query_as(
        "SELECT id, partner_id, scopes FROM api_tokens WHERE token_hash = $1 AND revoked_at IS NULL"
    )
    .bind(token_hash(secret))
    .fetch_optional(pool)
    .await)?;
    let Some(token) = row else {
        return Ok(None);
    };
    crate::db::on_db!(db, |pool| sqlx::query(
        "UPDATE api_tokens SET last_used_at = $2 WHERE id = $1"
    )
    .bind(token.id)
    .bind(to_db_time(Utc::now()))
    .execute(pool)
    .await
    .map(|done| done.rows_affected()))?;
    Ok(Some(token))
}

/// The live token of a request's `Authorization: Bearer …` header, if it allows `scope`:
/// else 401 (no live token) or 403 (a token without that scope), each saying what to do.
pub async fn require_token(
    db: &Db,
    headers: &http::HeaderMap,
    scope: TokenScope,
) -> Result<LiveToken, AppError> {
    let bearer = headers
        .get(http::header::AUTHORIZATION)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.strip_prefix("Bearer "))
        .map(str::trim);
    let unauthorized = || {
        AppError::BadToken(
            "Send a live API token: Authorization: Bearer alog_… (a Global admin creates one under Account settings → API tokens).".into(),
        )
    };
    let token = match bearer {
        Some(secret) => authenticate(db, secret).await?.ok_or_else(unauthorized)?,
        None => return Err(unauthorized()),
    };
    if !token.allows(scope) {
        let can = match scope {
            TokenScope::WriteEvents => "send events",
            TokenScope::ReadEvents => "read events",
        };
        return Err(AppError::TokenScopeMissing(format!(
            "This token may not {can}: it lacks the {} scope. A Global admin makes a token with it under Account settings → API tokens.",
            scope.as_str()
        )));
    }
    Ok(token)
}
