//! Partner organisations and who belongs to them: the lookups the command line and ingest
//! need (a partner by domain or id; a partner's customers and users), and the writes that
//! create them (the demo seed).

use crate::db::{Db, Tx};
use crate::ids::{CustomerId, PartnerId, UserId};

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Partner {
    pub id: PartnerId,
    pub name: String,
}

/// A partner by its domain (`contoso.example`) or id (`1`).
pub async fn find_by_domain_or_id(db: &Db, partner: &str) -> Result<Option<Partner>, sqlx::Error> {
    crate::db::on_db!(db, |pool| sqlx::query_as(
        "SELECT id, name FROM partners WHERE domain = $1 OR CAST(id AS TEXT) = $1"
    )
    .bind(partner.trim().to_lowercase())
    .fetch_optional(pool)
    .await)
}

/// The ids of the partner's customers.
pub async fn customer_ids(db: &Db, partner_id: PartnerId) -> Result<Vec<CustomerId>, sqlx::Error> {
    crate::db::on_db!(db, |pool| sqlx::query_scalar(
        "SELECT id FROM customers WHERE partner_id = $1"
    )
    .bind(partner_id)
    .fetch_all(pool)
    .await)
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct PartnerUser {
    pub email: crate::ids::Email,
    pub id: UserId,
}

/// The partner's users (sign-in email and id).
pub async fn users(db: &Db, partner_id: PartnerId) -> Result<Vec<PartnerUser>, sqlx::Error> {
    crate::db::on_db!(db, |pool| sqlx::query_as(
        "SELECT email, id FROM partner_users WHERE partner_id = $1"
    )
    .bind(partner_id)
    .fetch_all(pool)
    .await)
}

/// How many partners the database has (a demo seed needs none).
pub async fn count(db: &Db) -> Result<i64, sqlx::Error> {
    crate::db::on_db!(db, |pool| sqlx::query_scalar("SELECT COUNT(*) FROM partners")
        .fetch_one(pool)
        .await)
}

pub async fn insert(tx: &mut Tx, id: PartnerId, name: &str, domain: &str) -> Result<(), sqlx::Error> {
    crate::db::on_tx!(tx, |conn| sqlx::query(
        "INSERT INTO partners (id, name, domain) VALUES ($1, $2, $3)"
    )
    .bind(id)
    .bind(name)
    .bind(domain)
    .execute(&mut *conn)
    .await
    .map(|done| done.rows_affected()))?;
    Ok(())
}

/// A partner user about to be stored (the password already hashed).
pub struct NewUser<'a> {
    pub id: UserId,
    pub partner_id: PartnerId,
    pub display_name: &'a str,
    pub email: &'a str,
    pub role: &'a str,
    pub password_hash: &'a str,
}

pub async fn insert_user(tx: &mut Tx, user: &NewUser<'_>) -> Result<(), sqlx::Error> {
    crate::db::on_tx!(tx, |conn| sqlx::query(
        "INSERT INTO partner_users (id, partner_id, display_name, email, role, password_hash)
         VALUES ($1, $2, $3, $4, $5, $6)",
    )
    .bind(user.id)
    .bind(user.partner_id)
    .bind(user.display_name)
    .bind(user.email)
    .bind(user.role)
    .bind(user.password_hash)
    .execute(&mut *conn)
    .await
    .map(|done| done.rows_affected()))?;
    Ok(())
}

pub async fn insert_customer(
    tx: &mut Tx,
    id: CustomerId,
    partner_id: PartnerId,
    company_name: &str,
    domain: &str,
) -> Result<(), sqlx::Error> {
    crate::db::on_tx!(tx, |conn| sqlx::query(
        "INSERT INTO customers (id, partner_id, company_name, domain) VALUES ($1, $2, $3, $4)"
    )
    .bind(id)
    .bind(partner_id)
    .bind(company_name)
    .bind(domain)
    .execute(&mut *conn)
    .await
    .map(|done| done.rows_affected()))?;
    Ok(())
}

/// Marks the database as a demo one (its accounts are then listed on the sign-in page).
pub async fn mark_demo(tx: &mut Tx, seed: u64) -> Result<(), sqlx::Error> {
    crate::db::on_tx!(tx, |conn| sqlx::query(
        "INSERT INTO app_meta (key, value) VALUES ('demo', 'true'), ('demo_seed', $1)"
    )
    .bind(seed.to_string())
    .execute(&mut *conn)
    .await
    .map(|done| done.rows_affected()))?;
    Ok(())
}
