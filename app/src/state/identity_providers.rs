//! What this process knows of partners' OpenID providers: each issuer's discovery document
//! and signing keys (JWKS), fetched once and kept. A provider that rotates its keys signs
//! with a `kid` the kept keys lack; then its keys are fetched again, at most once per
//! [`KEY_REFETCH_EVERY`], so a flood of forged `kid`s can't make us hammer it.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use openidconnect::core::CoreJsonWebKeySet;
use openidconnect::{IssuerUrl, JsonWebKeySet, ProviderMetadataWithLogout};

/// A provider's answer (discovery, keys, token) takes at most this long.
pub const PROVIDER_TIMEOUT: Duration = Duration::from_secs(5);
/// A discovery document is used this long before it is fetched again.
const DISCOVERY_KEPT: Duration = Duration::from_secs(3600);
/// The least time between two fetches of one provider's keys.
pub const KEY_REFETCH_EVERY: Duration = Duration::from_secs(5);

/// One issuer as last fetched.
#[derive(Debug, Clone)]
pub struct KnownProvider {
    pub metadata: ProviderMetadataWithLogout,
    /// `end_session_endpoint`, where sign-out sends the browser (if the provider has one).
    pub end_session: Option<String>,
    pub keys: CoreJsonWebKeySet,
    discovered_at: Instant,
    keys_fetched_at: Instant,
}

/// Why a provider's documents could not be had.
#[derive(Debug, thiserror::Error)]
pub enum ProviderError {
    #[error("the provider did not answer in time or could not be reached: {0}")]
    Unreachable(String),
    #[error("the provider's answer is not a valid OpenID discovery document or key set: {0}")]
    Invalid(String),
}

#[derive(Debug)]
pub struct IdentityProviders {
    http: openidconnect::reqwest::Client,
    known: Mutex<HashMap<String, Arc<KnownProvider>>>,
}

impl Default for IdentityProviders {
    fn default() -> Self {
        IdentityProviders {
            // No redirects: a provider's URLs are the ones it published (and a redirect to
            // an address of our own network would be a way in).
            http: openidconnect::reqwest::Client::builder()
                .redirect(openidconnect::reqwest::redirect::Policy::none())
                .timeout(PROVIDER_TIMEOUT)
                .connect_timeout(PROVIDER_TIMEOUT)
                .build()
                .expect("a client without custom TLS builds"),
            known: Mutex::default(),
        }
    }
}

impl IdentityProviders {
    /// The HTTP client for a provider's token endpoint (same timeouts, no redirects).
    pub fn http(&self) -> &openidconnect::reqwest::Client {
        &self.http
    }

    /// `issuer`'s discovery document and keys: kept ones while fresh, else fetched now.
    pub async fn discover(&self, issuer: &str) -> Result<Arc<KnownProvider>, ProviderError> {
        if let Some(known) = self.kept(issuer)
            && known.discovered_at.elapsed() < DISCOVERY_KEPT
        {
            return Ok(known);
        }
        self.fetch(issuer).await
    }

    /// Fetches `issuer`'s documents now (when a Global admin saves a provider, so a wrong
    /// issuer is refused at once).
    pub async fn fetch(&self, issuer: &str) -> Result<Arc<KnownProvider>, ProviderError> {
        let url =
            IssuerUrl::new(issuer.to_string()).map_err(|error| ProviderError::Invalid(error.to_string()))?;
        let metadata = ProviderMetadataWithLogout::discover_async(url, &self.http)
            .await
            .map_err(discovery_error)?;
        let end_session = metadata
            .additional_metadata()
            .end_session_endpoint
            .as_ref()
            .map(|url| url.url().to_string());
        let now = Instant::now();
        let known = Arc::new(KnownProvider {
            keys: metadata.jwks().clone(),
            metadata,
            end_session,
            discovered_at: now,
            keys_fetched_at: now,
        });
        self.keep(issuer, known.clone());
        Ok(known)
    }

    /// The provider's keys fetched again, unless they were fetched less than
    /// [`KEY_REFETCH_EVERY`] ago (then `None`: use what is kept).
    pub async fn refetch_keys(&self, issuer: &str) -> Result<Option<Arc<KnownProvider>>, ProviderError> {
        let Some(known) = self.kept(issuer) else {
            return self.fetch(issuer).await.map(Some);
        };
        if known.keys_fetched_at.elapsed() < KEY_REFETCH_EVERY {
            return Ok(None);
        }
        // Marked as fetched before the fetch, so requests arriving meanwhile don't fetch too.
        let mut marked = (*known).clone();
        marked.keys_fetched_at = Instant::now();
        self.keep(issuer, Arc::new(marked.clone()));
        let keys: CoreJsonWebKeySet = JsonWebKeySet::fetch_async(known.metadata.jwks_uri(), &self.http)
            .await
            .map_err(discovery_error)?;
        tracing::info!(
            issuer,
            keys = keys.keys().len(),
            "fetched a provider's keys again"
        );
        marked.keys = keys;
        let refreshed = Arc::new(marked);
        self.keep(issuer, refreshed.clone());
        Ok(Some(refreshed))
    }

    /// Forgets what was fetched of `issuer` (its settings changed).
    pub fn forget(&self, issuer: &str) {
        crate::locks::lock(&self.known).remove(issuer);
    }

    fn kept(&self, issuer: &str) -> Option<Arc<KnownProvider>> {
        crate::locks::lock(&self.known).get(issuer).cloned()
    }

    fn keep(&self, issuer: &str, known: Arc<KnownProvider>) {
        crate::locks::lock(&self.known).insert(issuer.to_string(), known);
    }
}

fn discovery_error<E: std::error::Error>(error: openidconnect::DiscoveryError<E>) -> ProviderError {
    match error {
        openidconnect::DiscoveryError::Request(error) => {
            ProviderError::Unreachable(crate::errors::cause_chain(&error))
        }
        other => ProviderError::Invalid(crate::errors::cause_chain(&other)),
    }
}
