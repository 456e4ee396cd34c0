//! The `user_preferences` table.

use crate::db::Db;
use chrono::Utc;

use super::Preferences;
use super::view::{ZoneChoice, columns_text, parse_columns};
use crate::db::to_db_time;
use crate::errors::AppError;
use crate::i18n::Locale;
use crate::ids::UserId;

/// The stored columns, as text, read back into [`Preferences`]; unreadable values count as
/// not chosen.
pub fn preferences_from_columns(
    locale: Option<String>,
    columns: Option<String>,
    zone: Option<String>,
) -> Preferences {
    Preferences {
        locale: locale.as_deref().and_then(Locale::parse),
        columns: columns.as_deref().and_then(parse_columns),
        zone: zone.as_deref().and_then(ZoneChoice::parse),
    }
}

/// Saves the parts of `chosen` that are `Some`, keeping the rest as they were.
pub async fn save(db: &Db, user_id: UserId, chosen: &Preferences) -> Result<(), AppError> {
    crate::db::on_db!(db, |pool| sqlx::query(
        "INSERT INTO user_preferences (user_id, locale, columns, time_zone, updated_at)
         VALUES ($1, $2, $3, $4, $5)
         ON CONFLICT (user_id) DO UPDATE SET
             locale = COALESCE(excluded.locale, user_preferences.locale),
             columns = COALESCE(excluded.columns, user_preferences.columns),
             time_zone = COALESCE(excluded.time_zone, user_preferences.time_zone),
             updated_at = excluded.updated_at",
    )
    .bind(user_id)
    .bind(chosen.locale.map(Locale::tag))
    .bind(chosen.columns.as_deref().map(columns_text))
    .bind(chosen.zone.map(ZoneChoice::key))
    .bind(to_db_time(Utc::now()))
    .execute(pool)
    .await
    .map(|done| done.rows_affected()))?;
    Ok(())
}

/// A user's saved language, for the cookie set at sign-in.
pub async fn saved_locale(db: &Db, user_id: UserId) -> Result<Option<Locale>, AppError> {
    let locale: Option<Option<String>> = crate::db::on_db!(db, |pool| sqlx::query_scalar(
        "SELECT locale FROM user_preferences WHERE user_id = $1"
    )
    .bind(user_id)
    .fetch_optional(pool)
    .await)?;
    Ok(locale.flatten().as_deref().and_then(Locale::parse))
}
