//! Destinations and their delivery state, in the database: every server process on it sees
//! the same cursors and leases. Times of delivery are Unix milliseconds.

use sqlx::FromRow;

use super::model::{DestinationKind, DestinationStatus};
use crate::db::{Db, on_db};
use crate::errors::AppError;
use crate::ids::{PartnerId, UserId};

/// A destination's row, secrets included: it never leaves the server as it is.
#[derive(Debug, Clone, FromRow)]
pub struct StoredDestination {
    pub id: i64,
    pub partner_id: PartnerId,
    pub name: String,
    pub kind: String,
    pub target: String,
    pub ca_pem: String,
    pub filter: String,
    pub language: String,
    pub enabled: i64,
    pub secret: String,
    pub previous_secret: String,
    pub previous_secret_until_ms: i64,
    pub delivered_position: i64,
    pub delivered_at_ms: Option<i64>,
    pub sending_until: Option<i64>,
    pub last_error: Option<String>,
    pub last_error_at_ms: Option<i64>,
    pub failures_in_row: i64,
    pub failing_since_ms: Option<i64>,
    pub retry_at_ms: i64,
    pub paused_reason: Option<String>,
}

impl StoredDestination {
    pub fn kind(&self) -> DestinationKind {
        DestinationKind::parse(&self.kind).unwrap_or(DestinationKind::Webhook)
    }

    /// The secrets a message is signed with now: the current one, and the previous one
    /// while its grace lasts.
    pub fn signing_secrets(&self, now_ms: i64) -> Vec<&str> {
        let mut secrets = vec![self.secret.as_str()];
        if now_ms < self.previous_secret_until_ms {
            secrets.push(self.previous_secret.as_str());
        }
        secrets
    }

    /// How it stands, for the page: `latest` is the partner's chain position now and
    /// `waiting_since_ms` when the first undelivered event was stored.
    pub fn status(&self, latest: i64, waiting_since_ms: Option<i64>, now_ms: i64) -> DestinationStatus {
        let time = |ms: Option<i64>| {
            ms.and_then(chrono::DateTime::from_timestamp_millis)
                .map(|time| time.to_rfc3339_opts(chrono::SecondsFormat::Secs, true))
        };
        let lag_events = (latest - self.delivered_position).max(0);
        DestinationStatus {
            id: self.id,
            name: self.name.clone(),
            kind: self.kind(),
            target: shown_target(self.kind(), &self.target),
            filter: self.filter.clone(),
            enabled: self.enabled != 0,
            paused_reason: self.paused_reason.clone(),
            delivered_position: self.delivered_position,
            delivered_at: time(self.delivered_at_ms),
            lag_events,
            lag_seconds: (lag_events > 0)
                .then_some(waiting_since_ms)
                .flatten()
                .map(|since| ((now_ms - since) / 1000).max(0)),
            last_error: self.last_error.clone(),
            last_error_at: time(self.last_error_at_ms),
            failures_in_row: self.failures_in_row,
            has_ca: !self.ca_pem.is_empty(),
        }
    }
}

/// A chat URL is itself a secret (whoever has it can post): only its origin is shown.
fn shown_target(kind: DestinationKind, target: &str) -> String {
    match (kind, reqwest::Url::parse(target)) {
        (DestinationKind::Chat, Ok(url)) => format!("{}/…", url.origin().ascii_serialization()),
        _ => target.to_string(),
    }
}

const COLUMNS: &str = "id, partner_id, name, kind, target, ca_pem, filter, language, enabled, secret,
     previous_secret, previous_secret_until_ms, delivered_position, delivered_at_ms, sending_until,
     last_error, last_error_at_ms, failures_in_row, failing_since_ms, retry_at_ms, paused_reason";

pub struct NewDestination<'a> {
    pub name: &'a str,
    pub kind: DestinationKind,
    pub target: &'a str,
    pub ca_pem: &'a str,
    pub filter: &'a str,
    pub language: &'a str,
    pub secret: &'a str,
    /// Where delivery starts: events stored after this chain position.
    pub from_position: i64,
}

pub async fn create(
    db: &Db,
    partner_id: PartnerId,
    by: UserId,
    new: &NewDestination<'_>,
) -> Result<i64, sqlx::Error> {
    on_db!(db, |pool| sqlx::query_scalar(
        "INSERT INTO stream_destinations
           (partner_id, name, kind, target, ca_pem, filter, language, secret, delivered_position,
            created_at, created_by)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) RETURNING id"
    )
    .bind(partner_id)
    .bind(new.name)
    .bind(new.kind.as_str())
    .bind(new.target)
    .bind(new.ca_pem)
    .bind(new.filter)
    .bind(new.language)
    .bind(new.secret)
    .bind(new.from_position)
    .bind(crate::db::to_db_time(chrono::Utc::now()))
    .bind(by)
    .fetch_one(pool)
    .await)
}

pub async fn count(db: &Db, partner_id: PartnerId) -> Result<i64, sqlx::Error> {
    on_db!(db, |pool| sqlx::query_scalar(
        "SELECT COUNT(*) FROM stream_destinations WHERE partner_id = $1"
    )
    .bind(partner_id)
    .fetch_one(pool)
    .await)
}

pub async fn name_taken(db: &Db, partner_id: PartnerId, name: &str) -> Result<bool, sqlx::Error> {
    let found: Option<i64> = on_db!(db, |pool| sqlx::query_scalar(
        "SELECT id FROM stream_destinations WHERE partner_id = $1 AND name = $2"
    )
    .bind(partner_id)
    .bind(name)
    .fetch_optional(pool)
    .await)?;
    Ok(found.is_some())
}

/// One partner's destinations, or every partner's (`None`, for the operator's command).
pub async fn list(db: &Db, partner_id: Option<PartnerId>) -> Result<Vec<StoredDestination>, sqlx::Error> {
    let sql = format!(
        "SELECT {COLUMNS} FROM stream_destinations WHERE $1 IS NULL OR partner_id = $1 ORDER BY partner_id, id"
    );
    on_db!(db, |pool| sqlx::query_as(&sql)
        .bind(partner_id.map(|id| id.0))
        .fetch_all(pool)
        .await)
}

pub async fn get(db: &Db, id: i64) -> Result<Option<StoredDestination>, sqlx::Error> {
    let sql = format!("SELECT {COLUMNS} FROM stream_destinations WHERE id = $1");
    on_db!(db, |pool| sqlx::query_as(&sql)
        .bind(id)
        .fetch_optional(pool)
        .await)
}

/// One of the partner's destinations; another partner's id is "not found".
pub async fn get_for(db: &Db, partner_id: PartnerId, id: i64) -> Result<StoredDestination, AppError> {
    match get(db, id).await? {
        Some(found) if found.partner_id == partner_id => Ok(found),
        _ => Err(AppError::NotFound(format!("No log streaming destination {id}."))),
    }
}

pub async fn delete(db: &Db, id: i64) -> Result<(), sqlx::Error> {
    on_db!(db, |pool| sqlx::query(
        "DELETE FROM stream_destinations WHERE id = $1"
    )
    .bind(id)
    .execute(pool)
    .await
    .map(|done| done.rows_affected()))?;
    Ok(())
}

/// Turns sending on or off. Turning it on also lifts a pause and sends at once.
pub async fn set_enabled(db: &Db, id: i64, enabled: bool) -> Result<(), sqlx::Error> {
    on_db!(db, |pool| sqlx::query(
        "UPDATE stream_destinations
         SET enabled = $2,
             paused_reason = CASE WHEN $2 = 1 THEN NULL ELSE paused_reason END,
             failures_in_row = CASE WHEN $2 = 1 THEN 0 ELSE failures_in_row END,
             failing_since_ms = CASE WHEN $2 = 1 THEN NULL ELSE failing_since_ms END,
             retry_at_ms = 0
         WHERE id = $1"
    )
    .bind(id)
    .bind(i64::from(enabled))
    .execute(pool)
    .await
    .map(|done| done.rows_affected()))?;
    Ok(())
}

/// A new secret; the one before keeps signing until `previous_until_ms`.
pub async fn rotate_secret(
    db: &Db,
    id: i64,
    secret: &str,
    previous_until_ms: i64,
) -> Result<(), sqlx::Error> {
    on_db!(db, |pool| sqlx::query(
        "UPDATE stream_destinations
         SET previous_secret = secret, previous_secret_until_ms = $3, secret = $2
         WHERE id = $1"
    )
    .bind(id)
    .bind(secret)
    .bind(previous_until_ms)
    .execute(pool)
    .await
    .map(|done| done.rows_affected()))?;
    Ok(())
}

/// Destinations that should be sending now and no live process holds.
pub async fn unheld(db: &Db, now_ms: i64) -> Result<Vec<i64>, sqlx::Error> {
    on_db!(db, |pool| sqlx::query_scalar(
        "SELECT id FROM stream_destinations
         WHERE enabled = 1 AND paused_reason IS NULL AND retry_at_ms <= $1 AND lease_until_ms < $1
         ORDER BY id"
    )
    .bind(now_ms)
    .fetch_all(pool)
    .await)
}

/// Takes (or renews) the lease on a destination until `until_ms`: only if nobody else holds
/// it, or their lease ran out. `true` when it is ours.
pub async fn take_lease(
    db: &Db,
    id: i64,
    holder: &str,
    now_ms: i64,
    until_ms: i64,
) -> Result<bool, sqlx::Error> {
    let done = on_db!(db, |pool| sqlx::query(
        "UPDATE stream_destinations SET lease_holder = $2, lease_until_ms = $4
         WHERE id = $1 AND (lease_holder = $2 OR lease_until_ms < $3)"
    )
    .bind(id)
    .bind(holder)
    .bind(now_ms)
    .bind(until_ms)
    .execute(pool)
    .await
    .map(|done| done.rows_affected()))?;
    Ok(done == 1)
}

pub async fn release_lease(db: &Db, id: i64, holder: &str) -> Result<(), sqlx::Error> {
    on_db!(db, |pool| sqlx::query(
        "UPDATE stream_destinations SET lease_holder = NULL, lease_until_ms = 0
         WHERE id = $1 AND lease_holder = $2"
    )
    .bind(id)
    .bind(holder)
    .execute(pool)
    .await
    .map(|done| done.rows_affected()))?;
    Ok(())
}

/// Marks the batch ending at `until` as the one being sent (a retry resends exactly it).
pub async fn begin_batch(db: &Db, id: i64, holder: &str, until: i64) -> Result<bool, sqlx::Error> {
    let done = on_db!(db, |pool| sqlx::query(
        "UPDATE stream_destinations SET sending_until = $3 WHERE id = $1 AND lease_holder = $2"
    )
    .bind(id)
    .bind(holder)
    .bind(until)
    .execute(pool)
    .await
    .map(|done| done.rows_affected()))?;
    Ok(done == 1)
}

/// The receiver took everything up to `position` (or nothing after the cursor up to it
/// matched the filter): the cursor moves, only while the lease is still ours.
pub async fn delivered(
    db: &Db,
    id: i64,
    holder: &str,
    position: i64,
    now_ms: i64,
    sent_any: bool,
) -> Result<bool, sqlx::Error> {
    let done = on_db!(db, |pool| sqlx::query(
        "UPDATE stream_destinations
         SET delivered_position = $3, sending_until = NULL,
             delivered_at_ms = CASE WHEN $5 = 1 THEN $4 ELSE delivered_at_ms END,
             failures_in_row = 0, failing_since_ms = NULL, retry_at_ms = 0
         WHERE id = $1 AND lease_holder = $2 AND delivered_position <= $3"
    )
    .bind(id)
    .bind(holder)
    .bind(position)
    .bind(now_ms)
    .bind(i64::from(sent_any))
    .execute(pool)
    .await
    .map(|done| done.rows_affected()))?;
    Ok(done == 1)
}

pub struct Failure<'a> {
    pub error: &'a str,
    pub now_ms: i64,
    pub retry_at_ms: i64,
    /// Set when the destination has failed long enough to stop.
    pub pause: Option<&'a str>,
}

/// A send failed: said on the page, retried at `retry_at_ms`, the lease given up.
pub async fn failed(db: &Db, id: i64, holder: &str, failure: &Failure<'_>) -> Result<(), sqlx::Error> {
    on_db!(db, |pool| sqlx::query(
        "UPDATE stream_destinations
         SET last_error = $3, last_error_at_ms = $4, failures_in_row = failures_in_row + 1,
             failing_since_ms = COALESCE(failing_since_ms, $4), retry_at_ms = $5,
             paused_reason = COALESCE($6, paused_reason),
             lease_holder = NULL, lease_until_ms = 0
         WHERE id = $1 AND lease_holder = $2"
    )
    .bind(id)
    .bind(holder)
    .bind(failure.error)
    .bind(failure.now_ms)
    .bind(failure.retry_at_ms)
    .bind(failure.pause)
    .execute(pool)
    .await
    .map(|done| done.rows_affected()))?;
    Ok(())
}

/// When the event after `position` in the partner's chain was stored (Unix ms).
pub async fn stored_after(db: &Db, partner_id: PartnerId, position: i64) -> Result<Option<i64>, sqlx::Error> {
    let recorded: Option<Option<String>> = on_db!(db, |pool| sqlx::query_scalar(
        "SELECT recorded_at FROM activity_events
         WHERE partner_id = $1 AND chain_seq > $2 ORDER BY chain_seq LIMIT 1"
    )
    .bind(partner_id)
    .bind(position)
    .fetch_optional(pool)
    .await)?;
    Ok(recorded
        .flatten()
        .and_then(|text| chrono::DateTime::parse_from_rfc3339(&text).ok())
        .map(|time| time.timestamp_millis()))
}
