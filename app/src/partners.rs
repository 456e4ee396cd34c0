//! Partner organisations: the one lookup the command line needs (by domain or id).

use sqlx::SqlitePool;

/// A partner by its domain (`contoso.example`) or id (`1`): (id, name).
pub async fn find_by_domain_or_id(
    pool: &SqlitePool,
    partner: &str,
) -> Result<Option<(i64, String)>, sqlx::Error> {
    sqlx::query_as("SELECT id, name FROM partners WHERE domain = $1 OR CAST(id AS TEXT) = $1")
        .bind(partner.trim().to_lowercase())
        .fetch_optional(pool)
        .await
}
