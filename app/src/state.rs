//! Server-side state every server function and handler reaches through the Leptos context.

use sqlx::SqlitePool;

use crate::errors::AppError;

#[derive(Clone, Debug)]
pub struct SessionSettings {
    /// How long a sign-in lasts at most (absolute lifetime).
    pub lifetime: chrono::Duration,
    /// A session unused for this long ends.
    pub idle_timeout: chrono::Duration,
    /// Adds `Secure` to the cookie; turn on whenever the app is served over https.
    pub secure_cookie: bool,
}

#[derive(Clone, Debug)]
pub struct AppState {
    pub pool: SqlitePool,
    pub sessions: SessionSettings,
    pub sign_in_throttle: std::sync::Arc<crate::auth::throttle::SignInThrottle>,
    /// Checks checkpoint signatures; the signing half stays with the server binary.
    pub checkpoint_key: ed25519_dalek::VerifyingKey,
}

/// The state provided by the server's router; missing only if the server was wired wrongly.
pub fn app_state() -> Result<AppState, AppError> {
    leptos::prelude::use_context::<AppState>().ok_or_else(|| {
        tracing::error!("AppState missing from the Leptos context");
        AppError::Internal
    })
}
