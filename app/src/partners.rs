//! Partner organisations and who belongs to them: the lookups the command line and ingest
//! need (a partner by domain or id; a partner's customers and users).

use crate::ids::{CustomerId, PartnerId, UserId};
use sqlx::SqlitePool;

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Partner {
    pub id: PartnerId,
    pub name: String,
}

/// A partner by its domain (`contoso.example`) or id (`1`).
pub async fn find_by_domain_or_id(pool: &SqlitePool, partner: &str) -> Result<Option<Partner>, sqlx::Error> {
    sqlx::query_as("SELECT id, name FROM partners WHERE domain = $1 OR CAST(id AS TEXT) = $1")
        .bind(partner.trim().to_lowercase())
        .fetch_optional(pool)
        .await
}

/// The ids of the partner's customers.
pub async fn customer_ids(pool: &SqlitePool, partner_id: PartnerId) -> Result<Vec<CustomerId>, sqlx::Error> {
    sqlx::query_scalar("SELECT id FROM customers WHERE partner_id = $1")
        .bind(partner_id)
        .fetch_all(pool)
        .await
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct PartnerUser {
    pub email: String,
    pub id: UserId,
}

/// The partner's users (sign-in email and id).
pub async fn users(pool: &SqlitePool, partner_id: PartnerId) -> Result<Vec<PartnerUser>, sqlx::Error> {
    sqlx::query_as("SELECT email, id FROM partner_users WHERE partner_id = $1")
        .bind(partner_id)
        .fetch_all(pool)
        .await
}
