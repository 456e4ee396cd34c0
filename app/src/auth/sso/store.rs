//! The SQL of partners' providers: their settings and domains, the sign-ins on their way
//! through a provider, and the accounts a provider's sign-in finds or makes.

use crate::auth::model::Role;
use crate::db::{Db, to_db_time};
use crate::errors::AppError;
use crate::ids::{Email, PartnerId, UserId};

use super::model::RoleMapping;

/// A partner's provider as stored, secret included: it never leaves the server (not
/// `Serialize`, and its `Debug` hides the secret).
#[derive(Clone, sqlx::FromRow)]
pub struct StoredProvider {
    pub partner_id: PartnerId,
    pub issuer: String,
    pub client_id: String,
    pub client_secret: String,
    pub role_claim: String,
    /// JSON: `{"global_admin": ["…"], …}`.
    pub role_values: String,
    pub create_users: i64,
    pub require_provider: i64,
    pub break_glass_email: Option<Email>,
}

impl std::fmt::Debug for StoredProvider {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("StoredProvider")
            .field("partner_id", &self.partner_id)
            .field("issuer", &self.issuer)
            .field("client_id", &self.client_id)
            .finish_non_exhaustive()
    }
}

impl StoredProvider {
    pub fn roles(&self) -> RoleMapping {
        let stored: std::collections::BTreeMap<String, Vec<String>> =
            serde_json::from_str(&self.role_values).unwrap_or_default();
        RoleMapping {
            claim: self.role_claim.clone(),
            values: Role::ALL
                .into_iter()
                .filter_map(|role| Some((role, stored.get(role.as_str())?.clone())))
                .collect(),
        }
    }
}

const PROVIDER_COLUMNS: &str = "p.partner_id, p.issuer, p.client_id, p.client_secret, p.role_claim,
     p.role_values, p.create_users, p.require_provider, u.email AS break_glass_email";

pub async fn provider(db: &Db, partner_id: PartnerId) -> Result<Option<StoredProvider>, sqlx::Error> {
    let sql = format!(
        "SELECT {PROVIDER_COLUMNS} FROM identity_providers p
         LEFT JOIN partner_users u ON u.id = p.break_glass_user_id
         WHERE p.partner_id = $1"
    );
    crate::db::on_db!(db, |pool| sqlx::query_as(&sql)
        .bind(partner_id)
        .fetch_optional(pool)
        .await)
}

/// The provider that answers for `domain` (lowercase), if any partner configured one.
pub async fn provider_for_domain(db: &Db, domain: &str) -> Result<Option<StoredProvider>, sqlx::Error> {
    let sql = format!(
        "SELECT {PROVIDER_COLUMNS} FROM identity_provider_domains d
         JOIN identity_providers p ON p.partner_id = d.partner_id
         LEFT JOIN partner_users u ON u.id = p.break_glass_user_id
         WHERE d.domain = $1"
    );
    crate::db::on_db!(db, |pool| sqlx::query_as(&sql)
        .bind(domain)
        .fetch_optional(pool)
        .await)
}

pub async fn domains(db: &Db, partner_id: PartnerId) -> Result<Vec<String>, sqlx::Error> {
    let rows: Vec<(String,)> = crate::db::on_db!(db, |pool| sqlx::query_as(
        "SELECT domain FROM identity_provider_domains WHERE partner_id = $1 ORDER BY domain"
    )
    .bind(partner_id)
    .fetch_all(pool)
    .await)?;
    Ok(rows.into_iter().map(|(domain,)| domain).collect())
}

/// What saving a provider writes; `client_secret: None` keeps the stored one.
pub struct ProviderWrite<'a> {
    pub issuer: &'a str,
    pub client_id: &'a str,
    pub client_secret: Option<&'a str>,
    pub roles: &'a RoleMapping,
    pub domains: &'a [String],
    pub create_users: bool,
    pub require_provider: bool,
    pub break_glass: Option<UserId>,
}

/// Stores the partner's provider and its domains in one transaction. A domain another
/// partner's provider answers for is a conflict naming it.
pub async fn save(
    db: &Db,
    partner_id: PartnerId,
    by: UserId,
    write: &ProviderWrite<'_>,
) -> Result<(), AppError> {
    let role_values: std::collections::BTreeMap<&str, &Vec<String>> = write
        .roles
        .values
        .iter()
        .map(|(role, values)| (role.as_str(), values))
        .collect();
    let role_values = serde_json::to_string(&role_values).map_err(|_| AppError::Internal)?;
    let now = to_db_time(chrono::Utc::now());
    let mut tx = db.begin().await?;
    for domain in write.domains {
        let owner: Option<(PartnerId,)> = crate::db::on_tx!(&mut tx, |conn| sqlx::query_as(
            "SELECT partner_id FROM identity_provider_domains WHERE domain = $1"
        )
        .bind(domain)
        .fetch_optional(conn)
        .await)?;
        if owner.is_some_and(|(owner,)| owner != partner_id) {
            return Err(AppError::Conflict {
                field: "domains".into(),
                message: domain.clone(),
            });
        }
    }
    crate::db::on_tx!(&mut tx, |conn| sqlx::query(
        "INSERT INTO identity_providers (partner_id, issuer, client_id, client_secret, role_claim,
             role_values, create_users, require_provider, break_glass_user_id, updated_at, updated_by)
         VALUES ($1, $2, $3, COALESCE($4, ''), $5, $6, $7, $8, $9, $10, $11)
         ON CONFLICT (partner_id) DO UPDATE SET issuer = excluded.issuer,
             client_id = excluded.client_id,
             client_secret = COALESCE($4, identity_providers.client_secret),
             role_claim = excluded.role_claim, role_values = excluded.role_values,
             create_users = excluded.create_users, require_provider = excluded.require_provider,
             break_glass_user_id = excluded.break_glass_user_id,
             updated_at = excluded.updated_at, updated_by = excluded.updated_by",
    )
    .bind(partner_id)
    .bind(write.issuer)
    .bind(write.client_id)
    .bind(write.client_secret)
    .bind(&write.roles.claim)
    .bind(&role_values)
    .bind(i64::from(write.create_users))
    .bind(i64::from(write.require_provider))
    .bind(write.break_glass)
    .bind(&now)
    .bind(by)
    .execute(conn)
    .await
    .map(|done| done.rows_affected()))?;
    crate::db::on_tx!(&mut tx, |conn| sqlx::query(
        "DELETE FROM identity_provider_domains WHERE partner_id = $1"
    )
    .bind(partner_id)
    .execute(conn)
    .await
    .map(|done| done.rows_affected()))?;
    for domain in write.domains {
        crate::db::on_tx!(&mut tx, |conn| sqlx::query(
            "INSERT INTO identity_provider_domains (domain, partner_id) VALUES ($1, $2)"
        )
        .bind(domain)
        .bind(partner_id)
        .execute(conn)
        .await
        .map(|done| done.rows_affected()))?;
    }
    tx.commit().await?;
    Ok(())
}

/// Removes the partner's provider (its domains go with it).
pub async fn delete(db: &Db, partner_id: PartnerId) -> Result<(), sqlx::Error> {
    crate::db::on_db!(db, |pool| sqlx::query(
        "DELETE FROM identity_providers WHERE partner_id = $1"
    )
    .bind(partner_id)
    .execute(pool)
    .await
    .map(|done| done.rows_affected()))?;
    Ok(())
}

/// Whether a password sign-in of `email` is refused before any password is checked: the
/// provider answering for its domain is required, and this is not its break-glass Global
/// admin. (By domain alone, so it tells nothing about which accounts exist.)
pub async fn domain_requires_provider(db: &Db, email: &Email) -> Result<bool, sqlx::Error> {
    let Some(domain) = super::model::email_domain(email.as_str()) else {
        return Ok(false);
    };
    Ok(provider_for_domain(db, domain).await?.is_some_and(|provider| {
        provider.require_provider != 0 && provider.break_glass_email.as_ref() != Some(email)
    }))
}

/// Whether a right password must still be refused: the user's partner requires its
/// provider, and this is not its break-glass Global admin (an account whose email lies
/// outside the provider's domains).
pub async fn partner_requires_provider(db: &Db, user_id: UserId) -> Result<bool, sqlx::Error> {
    let required: Option<(i64,)> = crate::db::on_db!(db, |pool| sqlx::query_as(
        "SELECT p.require_provider FROM partner_users u
         JOIN identity_providers p ON p.partner_id = u.partner_id
         WHERE u.id = $1 AND p.require_provider = 1
           AND (p.break_glass_user_id IS NULL OR p.break_glass_user_id <> u.id)"
    )
    .bind(user_id)
    .fetch_optional(pool)
    .await)?;
    Ok(required.is_some())
}

/// A sign-in on its way through a provider, as its start stored it.
#[derive(sqlx::FromRow)]
pub struct PendingSignIn {
    pub partner_id: PartnerId,
    pub state: String,
    pub nonce: String,
    pub pkce_verifier: String,
    pub expires_at: String,
}

pub async fn begin_sign_in(
    db: &Db,
    cookie_hash: &str,
    partner_id: PartnerId,
    (state, nonce, pkce_verifier): (&str, &str, &str),
    expires_at: chrono::DateTime<chrono::Utc>,
) -> Result<(), sqlx::Error> {
    // Sign-ins never finished are removed as new ones begin.
    crate::db::on_db!(db, |pool| sqlx::query(
        "DELETE FROM provider_sign_ins WHERE expires_at < $1"
    )
    .bind(to_db_time(chrono::Utc::now()))
    .execute(pool)
    .await
    .map(|done| done.rows_affected()))?;
    crate::db::on_db!(db, |pool| sqlx::query(
        "INSERT INTO provider_sign_ins (cookie_hash, partner_id, state, nonce, pkce_verifier, expires_at)
         VALUES ($1, $2, $3, $4, $5, $6)"
    )
    .bind(cookie_hash)
    .bind(partner_id)
    .bind(state)
    .bind(nonce)
    .bind(pkce_verifier)
    .bind(to_db_time(expires_at))
    .execute(pool)
    .await
    .map(|done| done.rows_affected()))?;
    Ok(())
}

/// Takes (reads and removes) the sign-in a browser's cookie names: each can finish once.
pub async fn take_sign_in(db: &Db, cookie_hash: &str) -> Result<Option<PendingSignIn>, sqlx::Error> {
    crate::db::on_db!(db, |pool| sqlx::query_as(
        "DELETE FROM provider_sign_ins WHERE cookie_hash = $1
         RETURNING partner_id, state, nonce, pkce_verifier, expires_at"
    )
    .bind(cookie_hash)
    .fetch_optional(pool)
    .await)
}

/// An account as a provider's sign-in finds it by email.
#[derive(Debug, sqlx::FromRow)]
pub struct Account {
    pub id: UserId,
    pub partner_id: PartnerId,
    pub role: String,
}

pub async fn account(db: &Db, email: &Email) -> Result<Option<Account>, sqlx::Error> {
    crate::db::on_db!(db, |pool| sqlx::query_as(
        "SELECT id, partner_id, role FROM partner_users WHERE email = $1"
    )
    .bind(email)
    .fetch_optional(pool)
    .await)
}

/// A Global admin of the partner with this email, for the break-glass account.
pub async fn global_admin(
    db: &Db,
    partner_id: PartnerId,
    email: &Email,
) -> Result<Option<UserId>, sqlx::Error> {
    let row: Option<(UserId,)> = crate::db::on_db!(db, |pool| sqlx::query_as(
        "SELECT id FROM partner_users WHERE partner_id = $1 AND email = $2 AND role = $3"
    )
    .bind(partner_id)
    .bind(email)
    .bind(Role::GlobalAdmin.as_str())
    .fetch_optional(pool)
    .await)?;
    Ok(row.map(|(id,)| id))
}

/// Password hashes of accounts made by a provider's sign-in: no password verifies against it.
pub const NO_PASSWORD: &str = "!provider";

pub async fn create_account(
    db: &Db,
    partner_id: PartnerId,
    email: &Email,
    display_name: &str,
    role: Role,
) -> Result<UserId, sqlx::Error> {
    let (id,): (UserId,) = crate::db::on_db!(db, |pool| sqlx::query_as(
        "INSERT INTO partner_users (partner_id, display_name, email, role, password_hash)
         VALUES ($1, $2, $3, $4, $5) RETURNING id"
    )
    .bind(partner_id)
    .bind(display_name)
    .bind(email)
    .bind(role.as_str())
    .bind(NO_PASSWORD)
    .fetch_one(pool)
    .await)?;
    Ok(id)
}

pub async fn set_role(db: &Db, user_id: UserId, role: Role) -> Result<(), sqlx::Error> {
    crate::db::on_db!(db, |pool| sqlx::query(
        "UPDATE partner_users SET role = $2 WHERE id = $1"
    )
    .bind(user_id)
    .bind(role.as_str())
    .execute(pool)
    .await
    .map(|done| done.rows_affected()))?;
    Ok(())
}
