//! A sign-in through a partner's own OpenID provider: the authorization code flow with
//! PKCE (S256), `state` and `nonce` kept server-side under a short-lived HttpOnly cookie,
//! and the ID token checked (signature by the provider's keys, `iss`, `aud`, `azp`, `exp`
//! and `iat` within [`CLOCK_SKEW`], `nonce`) by the `openidconnect` crate. Only a verified
//! email in one of the provider's own domains signs anyone in, and only into the partner
//! that configured the provider.

use std::collections::HashMap;

use chrono::Utc;
use openidconnect::core::{
    CoreAuthDisplay, CoreAuthPrompt, CoreAuthenticationFlow, CoreClientAuthMethod, CoreErrorResponseType,
    CoreGenderClaim, CoreJsonWebKey, CoreJweContentEncryptionAlgorithm, CoreJwsSigningAlgorithm,
    CoreRevocableToken, CoreRevocationErrorResponse, CoreTokenIntrospectionResponse, CoreTokenType,
};
use openidconnect::{
    AdditionalClaims, AuthType, AuthorizationCode, ClaimsVerificationError, Client, ClientId, ClientSecret,
    CsrfToken, EmptyExtraTokenFields, EndpointMaybeSet, EndpointNotSet, EndpointSet, IdTokenFields,
    IdTokenVerifier, JwsSigningAlgorithm, LoginHint, Nonce, PkceCodeChallenge, PkceCodeVerifier, RedirectUrl,
    Scope, SignatureVerificationError, StandardErrorResponse, StandardTokenResponse, TokenResponse,
};
use serde::{Deserialize, Serialize};

use super::model::{CALLBACK_PATH, ProviderRefusal, email_domain};
use super::store::{self, StoredProvider};
use crate::auth::model::Role;
use crate::digest::{random_hex, sha256_hex};
use crate::ids::{Email, PartnerId, UserId};
use crate::state::AppState;
use crate::state::identity_providers::KnownProvider;

/// How far apart our clock and the provider's may be.
pub const CLOCK_SKEW: chrono::Duration = chrono::Duration::seconds(60);
/// The oldest ID token accepted (by its `iat`): it was issued for this sign-in, just now.
const MAX_TOKEN_AGE: chrono::Duration = chrono::Duration::minutes(10);
/// How long a browser may take at the provider.
const SIGN_IN_LIFETIME: chrono::Duration = chrono::Duration::minutes(10);

/// The claims beyond the standard ones, where the role claim is found.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct OtherClaims {
    #[serde(flatten)]
    pub other: HashMap<String, serde_json::Value>,
}

impl AdditionalClaims for OtherClaims {}

type ProviderIdTokenFields = IdTokenFields<
    OtherClaims,
    EmptyExtraTokenFields,
    CoreGenderClaim,
    CoreJweContentEncryptionAlgorithm,
    CoreJwsSigningAlgorithm,
>;
type ProviderTokenResponse = StandardTokenResponse<ProviderIdTokenFields, CoreTokenType>;
type ProviderClient = Client<
    OtherClaims,
    CoreAuthDisplay,
    CoreGenderClaim,
    CoreJweContentEncryptionAlgorithm,
    CoreJsonWebKey,
    CoreAuthPrompt,
    StandardErrorResponse<CoreErrorResponseType>,
    ProviderTokenResponse,
    CoreTokenIntrospectionResponse,
    CoreRevocableToken,
    CoreRevocationErrorResponse,
    EndpointSet,
    EndpointNotSet,
    EndpointNotSet,
    EndpointNotSet,
    EndpointMaybeSet,
    EndpointMaybeSet,
>;

/// A refusal, with what the log says of it (never a secret or a token).
#[derive(Debug)]
pub struct Refused {
    pub refusal: ProviderRefusal,
    pub reason: String,
}

fn refused(refusal: ProviderRefusal, reason: impl Into<String>) -> Refused {
    Refused {
        refusal,
        reason: reason.into(),
    }
}

impl From<sqlx::Error> for Refused {
    fn from(error: sqlx::Error) -> Refused {
        refused(
            ProviderRefusal::ProviderDown,
            format!("database: {}", crate::errors::cause_chain(&error)),
        )
    }
}

/// The redirect URI of this server as the browser reaches it at `origin`.
pub fn redirect_uri(origin: &str) -> String {
    format!("{origin}{CALLBACK_PATH}")
}

fn client(provider: &StoredProvider, known: &KnownProvider, origin: &str) -> Result<ProviderClient, Refused> {
    let redirect = RedirectUrl::new(redirect_uri(origin))
        .map_err(|error| refused(ProviderRefusal::NotStartedHere, format!("redirect URI: {error}")))?;
    // Basic authentication unless the provider says it takes only a form field.
    let post_only = known
        .metadata
        .token_endpoint_auth_methods_supported()
        .is_some_and(|methods| {
            !methods.contains(&CoreClientAuthMethod::ClientSecretBasic)
                && methods.contains(&CoreClientAuthMethod::ClientSecretPost)
        });
    let client = ProviderClient::from_provider_metadata(
        known.metadata.clone(),
        ClientId::new(provider.client_id.clone()),
        Some(ClientSecret::new(provider.client_secret.clone())),
    )
    .set_redirect_uri(redirect);
    Ok(if post_only {
        client.set_auth_type(AuthType::RequestBody)
    } else {
        client
    })
}

/// Where to send the browser, and the value of the cookie that binds the sign-in to it.
pub struct Started {
    pub authorize_url: String,
    pub browser_cookie: String,
}

/// Begins `email`'s sign-in at its partner's provider.
pub async fn start(
    state: &AppState,
    provider: &StoredProvider,
    email: &Email,
    origin: &str,
) -> Result<Started, Refused> {
    let known = state
        .identity_providers
        .discover(&provider.issuer)
        .await
        .map_err(|error| refused(ProviderRefusal::ProviderDown, error.to_string()))?;
    let client = client(provider, &known, origin)?;
    let (challenge, verifier) = PkceCodeChallenge::new_random_sha256();
    let (url, csrf, nonce) = client
        .authorize_url(
            CoreAuthenticationFlow::AuthorizationCode,
            CsrfToken::new_random,
            Nonce::new_random,
        )
        .add_scope(Scope::new("email".into()))
        .add_scope(Scope::new("profile".into()))
        .set_pkce_challenge(challenge)
        .set_login_hint(LoginHint::new(email.as_str().to_string()))
        .url();
    let browser_cookie = random_hex(32);
    store::begin_sign_in(
        &state.pool,
        &sha256_hex(&browser_cookie),
        provider.partner_id,
        (csrf.secret(), nonce.secret(), verifier.secret()),
        Utc::now() + SIGN_IN_LIFETIME,
    )
    .await?;
    Ok(Started {
        authorize_url: url.to_string(),
        browser_cookie,
    })
}

/// What the provider sent the browser back with.
#[derive(Debug, Default, Deserialize)]
pub struct Callback {
    pub code: Option<String>,
    pub state: Option<String>,
    pub error: Option<String>,
}

/// Who a finished sign-in is.
pub struct SignedIn {
    pub user_id: UserId,
    pub email: Email,
}

/// Finishes the sign-in the browser's cookie names, if the provider's answer passes every
/// check; the sign-in is used up either way.
pub async fn finish(
    state: &AppState,
    browser_cookie: Option<&str>,
    callback: Callback,
    origin: &str,
) -> Result<SignedIn, Refused> {
    let not_here = |reason: &str| refused(ProviderRefusal::NotStartedHere, reason);
    let cookie = browser_cookie.ok_or_else(|| not_here("no sign-in cookie"))?;
    let pending = store::take_sign_in(&state.pool, &sha256_hex(cookie))
        .await?
        .ok_or_else(|| not_here("no such sign-in (used, or another browser's)"))?;
    if crate::db::from_db_time(&pending.expires_at)? < Utc::now() {
        return Err(not_here("the sign-in expired"));
    }
    if let Some(error) = callback.error {
        return Err(refused(
            ProviderRefusal::ProviderRefused,
            format!("provider said {error:.100}"),
        ));
    }
    let same_state = callback
        .state
        .as_deref()
        .is_some_and(|state| constant_time_eq(state.as_bytes(), pending.state.as_bytes()));
    if !same_state {
        return Err(not_here("state does not match"));
    }
    let code = callback
        .code
        .ok_or_else(|| refused(ProviderRefusal::ProviderRefused, "no code"))?;
    let provider = store::provider(&state.pool, pending.partner_id)
        .await?
        .ok_or_else(|| refused(ProviderRefusal::NoAccess, "the provider was removed meanwhile"))?;
    let down = |error: &dyn std::fmt::Display| refused(ProviderRefusal::ProviderDown, error.to_string());
    let known = state
        .identity_providers
        .discover(&provider.issuer)
        .await
        .map_err(|e| down(&e))?;
    let client = client(&provider, &known, origin)?;
    let http = state.identity_providers.http();
    let answer = client
        .exchange_code(AuthorizationCode::new(code))
        .map_err(|error| down(&error))?
        .set_pkce_verifier(PkceCodeVerifier::new(pending.pkce_verifier))
        .request_async(http)
        .await
        .map_err(|error| match error {
            openidconnect::RequestTokenError::ServerResponse(answer) => refused(
                ProviderRefusal::ProviderRefused,
                format!("token endpoint said {answer}"),
            ),
            other => down(&crate::errors::cause_chain(&other)),
        })?;
    let id_token = answer
        .id_token()
        .ok_or_else(|| refused(ProviderRefusal::BadToken, "no ID token"))?;
    let nonce = Nonce::new(pending.nonce);
    let bad = |error: ClaimsVerificationError| refused(ProviderRefusal::BadToken, error.to_string());
    let claims = match id_token.claims(&verifier(&provider, &known), &nonce) {
        Ok(claims) => claims.clone(),
        // Signed with a key we don't have: the provider may have rotated its keys.
        Err(ClaimsVerificationError::SignatureVerification(SignatureVerificationError::NoMatchingKey)) => {
            let refreshed = state
                .identity_providers
                .refetch_keys(&provider.issuer)
                .await
                .map_err(|e| down(&e))?
                .ok_or_else(|| {
                    refused(
                        ProviderRefusal::BadToken,
                        "unknown signing key (keys fetched moments ago)",
                    )
                })?;
            id_token
                .claims(&verifier(&provider, &refreshed), &nonce)
                .map_err(bad)?
                .clone()
        }
        Err(error) => return Err(bad(error)),
    };
    // OpenID Connect Core 3.1.3.7: an `azp` must name us (the crate leaves this to us).
    if let Some(azp) = claims.authorized_party()
        && azp.as_str() != provider.client_id
    {
        return Err(refused(ProviderRefusal::BadToken, "azp names another client"));
    }
    if claims.email_verified() != Some(true) {
        return Err(refused(
            ProviderRefusal::EmailNotVerified,
            "email_verified is not true",
        ));
    }
    let email = claims
        .email()
        .and_then(|email| Email::parse(email.as_str()))
        .ok_or_else(|| refused(ProviderRefusal::EmailNotVerified, "no email"))?;
    let display_name = claims
        .name()
        .and_then(|name| name.get(None))
        .map(|name| name.as_str().trim().chars().take(200).collect::<String>())
        .filter(|name| !name.is_empty() && !name.chars().any(char::is_control))
        .unwrap_or_else(|| email.as_str().split('@').next().unwrap_or_default().to_string());
    let role_values = claim_values(claims.additional_claims(), &provider.role_claim);
    let user_id = account_for(state, &provider, &email, &display_name, &role_values).await?;
    Ok(SignedIn { user_id, email })
}

/// The verifier of `provider`'s ID tokens with the keys known now.
fn verifier(provider: &StoredProvider, known: &KnownProvider) -> IdTokenVerifier<'static, CoreJsonWebKey> {
    IdTokenVerifier::new_confidential_client(
        ClientId::new(provider.client_id.clone()),
        ClientSecret::new(provider.client_secret.clone()),
        known.metadata.issuer().clone(),
        known.keys.clone(),
    )
    // The provider's published algorithms, but never one keyed by the client secret.
    .set_allowed_algs(
        known
            .metadata
            .id_token_signing_alg_values_supported()
            .iter()
            .filter(|alg| !alg.uses_shared_secret())
            .cloned(),
    )
    .set_time_fn(|| Utc::now() - CLOCK_SKEW)
    .set_issue_time_verifier_fn(|issued| {
        let now = Utc::now();
        if issued > now + CLOCK_SKEW {
            Err("issued in the future".to_string())
        } else if now - issued > MAX_TOKEN_AGE + CLOCK_SKEW {
            Err("issued too long ago".to_string())
        } else {
            Ok(())
        }
    })
}

/// The role claim's values: an array of strings, or one string.
fn claim_values(claims: &OtherClaims, claim: &str) -> Vec<String> {
    match claims.other.get(claim) {
        Some(serde_json::Value::Array(values)) => values
            .iter()
            .filter_map(|value| value.as_str().map(str::to_string))
            .collect(),
        Some(serde_json::Value::String(value)) => vec![value.clone()],
        _ => Vec::new(),
    }
}

/// The account this sign-in opens: only in the provider's own partner, and only for an
/// email of one of its own domains, whatever the provider claims.
async fn account_for(
    state: &AppState,
    provider: &StoredProvider,
    email: &Email,
    display_name: &str,
    role_values: &[String],
) -> Result<UserId, Refused> {
    let domain = email_domain(email.as_str()).unwrap_or_default();
    let answering = store::provider_for_domain(&state.pool, domain).await?;
    if answering.is_none_or(|answering| answering.partner_id != provider.partner_id) {
        return Err(refused(
            ProviderRefusal::WrongDomain,
            format!("{domain} is not one of this provider's domains"),
        ));
    }
    let mapped = provider.roles().role_for(role_values.iter().map(String::as_str));
    match store::account(&state.pool, email).await? {
        Some(account) if account.partner_id != provider.partner_id => Err(refused(
            ProviderRefusal::NoAccess,
            "the email belongs to another partner's account",
        )),
        Some(account) => {
            if let Some(role) = mapped
                && Role::parse(&account.role) != Some(role)
            {
                store::set_role(&state.pool, account.id, role).await?;
                tracing::info!(user_id = %account.id, role = role.as_str(), "role set by the provider's mapping");
            }
            Ok(account.id)
        }
        None if provider.create_users == 0 => Err(refused(
            ProviderRefusal::NoAccess,
            "no account, and the provider may not make any",
        )),
        None => {
            let role =
                mapped.ok_or_else(|| refused(ProviderRefusal::NoAccess, "no role maps from the claim"))?;
            let id =
                store::create_account(&state.pool, provider.partner_id, email, display_name, role).await?;
            tracing::info!(user_id = %id, role = role.as_str(), "account made at first sign-in");
            Ok(id)
        }
    }
}

/// This server's origin as the browser reached it: `https` when the request came over
/// https (as the session cookie decides), the `Host` it asked for. A forged `Host` only
/// yields a redirect URI the provider does not have registered.
pub fn origin(headers: &http::HeaderMap) -> Option<String> {
    let host = headers.get(http::header::HOST)?.to_str().ok()?;
    let plausible = !host.is_empty()
        && host
            .bytes()
            .all(|byte| byte.is_ascii_alphanumeric() || b".-:[]".contains(&byte));
    if !plausible {
        return None;
    }
    let https = headers
        .get("x-forwarded-proto")
        .is_some_and(|proto| proto.as_bytes().eq_ignore_ascii_case(b"https"));
    Some(format!("{}://{host}", if https { "https" } else { "http" }))
}

/// The partner's provider's end-session endpoint, asked to send the browser back to our
/// sign-in page after (`client_id` names us: the ID token is not kept). `None` when the
/// provider has none, or anything about it fails: our session has ended anyway.
pub async fn end_session_url(state: &AppState, partner_id: PartnerId, origin: &str) -> Option<String> {
    let provider = store::provider(&state.pool, partner_id).await.ok()??;
    let known = state.identity_providers.discover(&provider.issuer).await.ok()?;
    let mut url = openidconnect::url::Url::parse(known.end_session.as_deref()?).ok()?;
    url.query_pairs_mut()
        .append_pair("client_id", &provider.client_id)
        .append_pair("post_logout_redirect_uri", &format!("{origin}/sign-in"));
    Some(url.to_string())
}

fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0, |diff, (x, y)| diff | (x ^ y)) == 0
}
