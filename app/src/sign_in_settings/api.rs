//! Server functions of Account settings → Sign-in: the partner's own OpenID provider.
//! Global admins only, always the caller's own partner.
// `save_provider` takes the form's fields as its arguments, the names an ActionForm posts;
// the `#[server]` macro's browser-side copy of it drops an allow put on the function.
#![allow(clippy::too_many_arguments)]

use leptos::prelude::*;

use crate::auth::sso::model::ProviderSettings;
use crate::browser_json::BrowserJson;
use crate::errors::AppError;

/// The partner's provider, or `None` when it has none.
#[server(endpoint = "provider_settings", output = BrowserJson)]
pub async fn get_provider_settings() -> Result<Option<ProviderSettings>, AppError> {
    use crate::auth::{model::MANAGE_SIGN_IN, session};
    use crate::state::app_state;

    let state = app_state()?;
    let viewer = session::require_permission(session::current_viewer(&state).await?, MANAGE_SIGN_IN)?;
    settings_of(&state, viewer.partner_id).await
}

#[cfg(feature = "ssr")]
async fn settings_of(
    state: &crate::state::AppState,
    partner_id: crate::ids::PartnerId,
) -> Result<Option<ProviderSettings>, AppError> {
    let Some(stored) = crate::auth::sso::store::provider(&state.pool, partner_id).await? else {
        return Ok(None);
    };
    let origin = crate::auth::sso::flow::origin(&crate::auth::session::request_headers()).unwrap_or_default();
    Ok(Some(ProviderSettings {
        roles: stored.roles(),
        domains: crate::auth::sso::store::domains(&state.pool, partner_id).await?,
        issuer: stored.issuer,
        client_id: stored.client_id,
        create_users: stored.create_users != 0,
        require_provider: stored.require_provider != 0,
        break_glass_email: stored.break_glass_email,
        redirect_uri: crate::auth::sso::flow::redirect_uri(&origin),
    }))
}

/// Saves the partner's provider. `client_secret` empty keeps the stored one (it is never
/// shown again); a checked box sends its field. Every refusal names its field.
#[server(endpoint = "save_provider", output = BrowserJson)]
pub async fn save_provider(
    issuer: String,
    client_id: String,
    #[server(default)] client_secret: String,
    #[server(default)] domains: String,
    #[server(default)] role_claim: String,
    #[server(default)] global_admin: String,
    #[server(default)] billing_admin: String,
    #[server(default)] user_management_admin: String,
    #[server(default)] admin_agent: String,
    #[server(default)] sales_agent: String,
    #[server(default)] helpdesk_agent: String,
    #[server(default)] referrals_admin: String,
    #[server(default)] create_users: Option<String>,
    #[server(default)] require_provider: Option<String>,
    #[server(default)] break_glass_email: String,
) -> Result<ProviderSettings, AppError> {
    use crate::auth::model::{MANAGE_SIGN_IN, Role};
    use crate::auth::session;
    use crate::auth::sso::model::{MAX_VALUES_PER_ROLE, MappingError, RoleMapping, parse_domains};
    use crate::auth::sso::store::{self, ProviderWrite};
    use crate::ids::Email;
    use crate::state::app_state;

    let state = app_state()?;
    let viewer = session::require_permission(session::current_viewer(&state).await?, MANAGE_SIGN_IN)?;
    let l = crate::i18n::request_locale();
    let field = |field: &str, message: String| AppError::InvalidField {
        field: field.into(),
        message,
    };
    let issuer = issuer.trim().trim_end_matches('/').to_string();
    check_issuer(&issuer).map_err(|why| field("issuer", tr!(l, sso.issuer_refused, why = why)))?;
    let client_id = client_id.trim();
    if client_id.is_empty() || client_id.chars().count() > 200 || client_id.chars().any(char::is_control) {
        return Err(field("client_id", tr!(l, sso.client_id_refused).into()));
    }
    let stored = store::provider(&state.pool, viewer.partner_id).await?;
    let client_secret = Some(client_secret.trim()).filter(|secret| !secret.is_empty());
    if client_secret.is_none() && stored.is_none() {
        return Err(field("client_secret", tr!(l, sso.client_secret_needed).into()));
    }
    if client_secret.is_some_and(|secret| secret.len() > 1000 || secret.chars().any(char::is_control)) {
        return Err(field("client_secret", tr!(l, sso.client_secret_needed).into()));
    }
    let domains =
        parse_domains(&domains).map_err(|bad| field("domains", tr!(l, sso.domain_refused, domain = bad)))?;
    if domains.is_empty() || domains.len() > 50 {
        return Err(field("domains", tr!(l, sso.domains_needed).into()));
    }
    let lines = [
        (Role::GlobalAdmin, global_admin.as_str()),
        (Role::BillingAdmin, billing_admin.as_str()),
        (Role::UserManagementAdmin, user_management_admin.as_str()),
        (Role::AdminAgent, admin_agent.as_str()),
        (Role::SalesAgent, sales_agent.as_str()),
        (Role::HelpdeskAgent, helpdesk_agent.as_str()),
        (Role::ReferralsAdmin, referrals_admin.as_str()),
    ];
    let roles = RoleMapping::parse(&role_claim, &lines).map_err(|error| match error {
        MappingError::BadClaim => field("role_claim", tr!(l, sso.claim_refused).into()),
        MappingError::TooManyValues(role) => field(
            role.as_str(),
            tr!(l, sso.too_many_values, max = MAX_VALUES_PER_ROLE),
        ),
        MappingError::BadValue(role, _) => field(role.as_str(), tr!(l, sso.value_refused).into()),
    })?;
    let require_provider = require_provider.is_some();
    let break_glass = match Email::parse(&break_glass_email) {
        Some(email) => Some(
            store::global_admin(&state.pool, viewer.partner_id, &email)
                .await?
                .ok_or_else(|| field("break_glass_email", tr!(l, sso.break_glass_refused).into()))?,
        ),
        None if require_provider => {
            return Err(field("break_glass_email", tr!(l, sso.break_glass_needed).into()));
        }
        None => None,
    };
    // The issuer must answer as one now: a wrong one is refused here, not at sign-in.
    state
        .identity_providers
        .fetch(&issuer)
        .await
        .map_err(|error| field("issuer", tr!(l, sso.issuer_unreachable, why = error.to_string())))?;
    let write = ProviderWrite {
        issuer: &issuer,
        client_id,
        client_secret,
        roles: &roles,
        domains: &domains,
        create_users: create_users.is_some(),
        require_provider,
        break_glass,
    };
    store::save(&state.pool, viewer.partner_id, viewer.user_id, &write)
        .await
        .map_err(|error| match error {
            AppError::Conflict { message, .. } => {
                field("domains", tr!(l, sso.domain_taken, domain = message))
            }
            other => other,
        })?;
    if let Some(previous) = stored.filter(|previous| previous.issuer != issuer) {
        state.identity_providers.forget(&previous.issuer);
    }
    tracing::info!(partner_id = %viewer.partner_id, by = ?viewer.email, issuer, "identity provider saved");
    settings_of(&state, viewer.partner_id)
        .await?
        .ok_or(AppError::Internal)
}

#[server(endpoint = "remove_provider", output = BrowserJson)]
pub async fn remove_provider() -> Result<(), AppError> {
    use crate::auth::{model::MANAGE_SIGN_IN, session};
    use crate::state::app_state;

    let state = app_state()?;
    let viewer = session::require_permission(session::current_viewer(&state).await?, MANAGE_SIGN_IN)?;
    crate::auth::sso::store::delete(&state.pool, viewer.partner_id).await?;
    tracing::info!(partner_id = %viewer.partner_id, by = ?viewer.email, "identity provider removed");
    Ok(())
}

/// An issuer is an https URL with a host and nothing after its path (http only on this
/// machine's loopback, for a provider running beside the server); `Err` says why not.
#[cfg(feature = "ssr")]
pub fn check_issuer(issuer: &str) -> Result<(), &'static str> {
    use openidconnect::url::{Host, Url};
    let url = Url::parse(issuer).map_err(|_| "not a URL")?;
    if !url.username().is_empty() || url.password().is_some() {
        return Err("it holds credentials");
    }
    if url.query().is_some() || url.fragment().is_some() {
        return Err("it has a query or fragment");
    }
    let loopback = match url.host() {
        Some(Host::Ipv4(address)) => address.is_loopback(),
        Some(Host::Ipv6(address)) => address.is_loopback(),
        Some(Host::Domain(name)) => name == "localhost",
        None => return Err("it has no host"),
    };
    match url.scheme() {
        "https" => Ok(()),
        "http" if loopback => Ok(()),
        _ => Err("it must start with https://"),
    }
}

#[cfg(all(test, feature = "ssr"))]
mod tests {
    use super::check_issuer;

    #[test]
    fn issuers_are_https_but_on_loopback() {
        assert_eq!(check_issuer("https://login.example/tenant/v2.0"), Ok(()));
        assert_eq!(check_issuer("http://127.0.0.1:8080"), Ok(()));
        assert_eq!(check_issuer("http://localhost:8080/realms/x"), Ok(()));
        assert!(check_issuer("http://idp.example").is_err());
        assert!(check_issuer("https://user:pw@idp.example").is_err());
        assert!(check_issuer("https://idp.example/?a=b").is_err());
        assert!(check_issuer("ftp://idp.example").is_err());
        assert!(check_issuer("idp.example").is_err());
    }
}
