//! The SQL of signing in and of sessions. Sessions are stored by the SHA-256 of their token,
//! so a copy of the database signs no one in.

use crate::db::{Db, Tx};
use crate::ids::{Email, PartnerId, UserId};

/// A session's user with what the page needs of them, as one join reads it.
#[derive(Debug, sqlx::FromRow)]
pub struct SessionRow {
    pub user_id: UserId,
    pub partner_id: PartnerId,
    pub partner_name: String,
    pub display_name: String,
    pub email: Email,
    pub role: String,
    pub expires_at: String,
    pub last_seen_at: String,
    pub locale: Option<String>,
    pub columns: Option<String>,
    pub time_zone: Option<String>,
}

pub async fn session(db: &Db, token_hash: &str) -> Result<Option<SessionRow>, sqlx::Error> {
    crate::db::on_db!(db, |pool| sqlx::query_as(
        "SELECT u.id AS user_id, u.partner_id, p.name AS partner_name, u.display_name, u.email, u.role,
                s.expires_at, s.last_seen_at, pref.locale, pref.columns, pref.time_zone
         FROM sessions s
         JOIN partner_users u ON u.id = s.user_id
         JOIN partners p ON p.id = u.partner_id
         LEFT JOIN user_preferences pref ON pref.user_id = u.id
         WHERE s.token_hash = $1",
    )
    .bind(token_hash)
    .fetch_optional(pool)
    .await)
}

pub async fn insert_session(
    db: &Db,
    token_hash: &str,
    user_id: UserId,
    now: &str,
    expires_at: &str,
) -> Result<(), sqlx::Error> {
    crate::db::on_db!(db, |pool| {
        sqlx::query(
        "INSERT INTO sessions (token_hash, user_id, created_at, expires_at, last_seen_at) VALUES ($1, $2, $3, $4, $3)",
    )
    .bind(token_hash)
    .bind(user_id)
    .bind(now)
    .bind(expires_at)
    .execute(pool)
    .await.map(|done| done.rows_affected())
    })?;
    Ok(())
}

pub async fn mark_seen(db: &Db, token_hash: &str, now: &str) -> Result<(), sqlx::Error> {
    crate::db::on_db!(db, |pool| sqlx::query(
        "UPDATE sessions SET last_seen_at = $1 WHERE token_hash = $2"
    )
    .bind(now)
    .bind(token_hash)
    .execute(pool)
    .await
    .map(|done| done.rows_affected()))?;
    Ok(())
}

pub async fn delete_session(db: &Db, token_hash: &str) -> Result<(), sqlx::Error> {
    crate::db::on_db!(db, |pool| sqlx::query(
        "DELETE FROM sessions WHERE token_hash = $1"
    )
    .bind(token_hash)
    .execute(pool)
    .await
    .map(|done| done.rows_affected()))?;
    Ok(())
}

/// Marks a session as opened by a provider's sign-in.
pub async fn mark_opened_by_provider(db: &Db, token_hash: &str) -> Result<(), sqlx::Error> {
    crate::db::on_db!(db, |pool| sqlx::query(
        "UPDATE sessions SET opened_by_provider = 1 WHERE token_hash = $1"
    )
    .bind(token_hash)
    .execute(pool)
    .await
    .map(|done| done.rows_affected()))?;
    Ok(())
}

/// The partner of a session opened by a provider's sign-in.
pub async fn provider_session_partner(db: &Db, token_hash: &str) -> Result<Option<PartnerId>, sqlx::Error> {
    crate::db::on_db!(db, |pool| sqlx::query_scalar(
        "SELECT u.partner_id FROM sessions s JOIN partner_users u ON u.id = s.user_id
         WHERE s.token_hash = $1 AND s.opened_by_provider = 1"
    )
    .bind(token_hash)
    .fetch_optional(pool)
    .await)
}

/// What signing in checks a password against.
#[derive(Debug, sqlx::FromRow)]
pub struct Credentials {
    pub id: UserId,
    pub password_hash: String,
}

pub async fn credentials(db: &Db, email: &Email) -> Result<Option<Credentials>, sqlx::Error> {
    if email.as_str().contains('\0') {
        // No stored email holds NUL (and PostgreSQL text can't): no such account.
        return Ok(None);
    }
    crate::db::on_db!(db, |pool| sqlx::query_as(
        "SELECT id, password_hash FROM partner_users WHERE email = $1"
    )
    .bind(email)
    .fetch_optional(pool)
    .await)
}

/// Whether the database was seeded as a demo (its accounts are then listed on sign-in).
pub async fn is_demo(db: &Db) -> Result<bool, sqlx::Error> {
    let flag: Option<(String,)> = crate::db::on_db!(db, |pool| sqlx::query_as(
        "SELECT value FROM app_meta WHERE key = 'demo' AND value = 'true'"
    )
    .fetch_optional(pool)
    .await)?;
    Ok(flag.is_some())
}

#[derive(Debug, sqlx::FromRow)]
pub struct AccountRow {
    pub email: Email,
    pub role: String,
    pub partner_name: String,
}

/// Every account, partner by partner.
pub async fn accounts(db: &Db) -> Result<Vec<AccountRow>, sqlx::Error> {
    crate::db::on_db!(db, |pool| sqlx::query_as(
        "SELECT u.email, u.role, p.name AS partner_name FROM partner_users u
         JOIN partners p ON p.id = u.partner_id
         ORDER BY p.id, u.id",
    )
    .fetch_all(pool)
    .await)
}

/// One sign-in throttle counter (`auth::throttle`).
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct FailureRow {
    pub kind: String,
    pub key: String,
    pub failures: i64,
    pub last_at: String,
    pub locked_until: Option<String>,
}

pub async fn failures(tx: &mut Tx, kind: &str, key: &str) -> Result<Option<FailureRow>, sqlx::Error> {
    crate::db::on_tx!(tx, |conn| sqlx::query_as(
        "SELECT kind, key, failures, last_at, locked_until FROM sign_in_failures WHERE kind = $1 AND key = $2"
    )
    .bind(kind)
    .bind(key)
    .fetch_optional(&mut *conn)
    .await)
}

pub async fn save_failures(tx: &mut Tx, row: &FailureRow) -> Result<(), sqlx::Error> {
    crate::db::on_tx!(tx, |conn| {
        sqlx::query(
        "INSERT INTO sign_in_failures (kind, key, failures, last_at, locked_until) VALUES ($1, $2, $3, $4, $5)
         ON CONFLICT (kind, key) DO UPDATE
         SET failures = excluded.failures, last_at = excluded.last_at, locked_until = excluded.locked_until",
    )
    .bind(&row.kind)
    .bind(&row.key)
    .bind(row.failures)
    .bind(&row.last_at)
    .bind(&row.locked_until)
    .execute(&mut *conn).await.map(|done| done.rows_affected())
    })?;
    Ok(())
}

pub async fn forget_failures(tx: &mut Tx, kind: &str, key: &str) -> Result<(), sqlx::Error> {
    crate::db::on_tx!(tx, |conn| sqlx::query(
        "DELETE FROM sign_in_failures WHERE kind = $1 AND key = $2"
    )
    .bind(kind)
    .bind(key)
    .execute(&mut *conn)
    .await
    .map(|done| done.rows_affected()))?;
    Ok(())
}

/// Drops counters whose last failure is older than `before` and that lock nothing.
pub async fn forget_old_failures(tx: &mut Tx, before: &str) -> Result<(), sqlx::Error> {
    crate::db::on_tx!(tx, |conn| sqlx::query(
        "DELETE FROM sign_in_failures WHERE last_at < $1 AND (locked_until IS NULL OR locked_until < $1)",
    )
    .bind(before)
    .execute(&mut *conn)
    .await
    .map(|done| done.rows_affected()))?;
    Ok(())
}
