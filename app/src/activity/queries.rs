//! The activity log's SQL. Every query is scoped to one partner in its WHERE clause.

use sqlx::SqlitePool;

use super::model::{ActionDetails, ActionKind, ActivityEntry, CustomerRef};
use super::period::UtcRange;
use crate::db::{from_db_time, to_db_time};
use crate::errors::AppError;

/// Most events one period may hold; past it the viewer is asked for a shorter period.
pub const PERIOD_ROW_LIMIT: usize = 100_000;

type EventRow = (
    i64,
    String,
    String,
    String,
    String,
    String,
    String,
    Option<i64>,
    Option<String>,
);

/// One partner's events in `range`, newest first.
pub async fn events_in_range(
    pool: &SqlitePool,
    partner_id: i64,
    range: UtcRange,
) -> Result<Vec<ActivityEntry>, AppError> {
    let rows: Vec<EventRow> = sqlx::query_as(
        "SELECT e.id, COALESCE(e.external_id, CAST(e.id AS TEXT)), e.occurred_at, e.action_kind, e.action_text, e.details, u.email,
                c.id, c.company_name
         FROM activity_events e
         JOIN partner_users u ON u.id = e.partner_user_id
         LEFT JOIN customers c ON c.id = e.customer_id AND c.partner_id = e.partner_id
         WHERE e.partner_id = $1 AND e.occurred_at >= $2 AND e.occurred_at < $3
         ORDER BY e.occurred_at DESC, e.id DESC
         LIMIT $4",
    )
    .bind(partner_id)
    .bind(to_db_time(range.from))
    .bind(to_db_time(range.to))
    .bind(PERIOD_ROW_LIMIT as i64 + 1)
    .fetch_all(pool)
    .await?;
    if rows.len() > PERIOD_ROW_LIMIT {
        return Err(AppError::InvalidInput(format!(
            "This period holds more than {PERIOD_ROW_LIMIT} events. Choose a shorter period."
        )));
    }
    rows.into_iter().map(entry_from_row).collect()
}

fn entry_from_row(row: EventRow) -> Result<ActivityEntry, AppError> {
    let (
        id,
        event_id,
        occurred_at,
        action_kind,
        action_text,
        details,
        partner_user,
        customer_id,
        company_name,
    ) = row;
    let corrupt = |what: &str| {
        tracing::error!(event_id = id, what, "unreadable activity event");
        AppError::Internal
    };
    Ok(ActivityEntry {
        id,
        event_id,
        occurred_at: from_db_time(&occurred_at).map_err(|_| corrupt("occurred_at"))?,
        customer: customer_id
            .zip(company_name)
            .map(|(id, company_name)| CustomerRef { id, company_name }),
        action: ActionKind::parse(&action_kind).ok_or_else(|| corrupt("action_kind"))?,
        action_text,
        partner_user,
        details: serde_json::from_str::<ActionDetails>(&details).map_err(|_| corrupt("details"))?,
    })
}
