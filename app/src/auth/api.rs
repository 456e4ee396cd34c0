//! Server functions of signing in and out.

use leptos::prelude::*;

use super::model::{DemoAccount, Viewer};
use crate::browser_json::BrowserJson;
use crate::errors::AppError;

/// Where a successful sign-in lands.
pub const AFTER_SIGN_IN: &str = "/account-settings/activity-log";

/// The signed-in user, or `None` for an anonymous visitor.
#[server(endpoint = "viewer", output = BrowserJson)]
pub async fn get_viewer() -> Result<Option<Viewer>, AppError> {
    use crate::{auth::session, state::app_state};
    session::current_viewer(&app_state()?).await
}

#[server(endpoint = "sign_in", output = BrowserJson)]
pub async fn sign_in(email: String, password: String) -> Result<(), AppError> {
    use crate::auth::throttle::{self, Locked};
    use crate::ids::Email;
    use crate::password::Verdict;
    use crate::state::metrics::SignIn;
    use crate::{auth::session, state::app_state};
    const MAX_PASSWORD_CHARS: usize = 1024;

    let state = app_state()?;
    let l = crate::i18n::request_locale();
    if email.trim().is_empty() || password.is_empty() {
        return Err(AppError::InvalidInput(
            tr!(l, sign_in.enter_your_email_and_password).into(),
        ));
    }
    let email = match Email::parse(&email) {
        Some(email) if password.chars().count() <= MAX_PASSWORD_CHARS => email,
        _ => {
            return Err(AppError::InvalidInput(
                tr!(l, sign_in.that_email_or_password_is).into(),
            ));
        }
    };
    if super::sso::store::domain_requires_provider(&state.pool, &email).await? {
        return Err(AppError::InvalidInput(tr!(l, sso.provider_required).into()));
    }
    let address = client_address_key(&state).await;
    // Counted before the password is checked, so sign-ins sent together can't all
    // slip past the count. Emails are logged with `?` (escaped): a CR/LF in one
    // must not forge a log line.
    if let Err(Locked(wait)) =
        throttle::begin_attempt(&state.pool, &email, &address, chrono::Utc::now()).await?
    {
        tracing::warn!(email = ?email, %address, "sign-in refused: throttled");
        count(&state, SignIn::Throttled);
        return Err(AppError::TooManyAttempts {
            wait_seconds: wait.as_secs_f64().ceil() as u64,
        });
    }
    let (user_id, stored_hash) = match super::store::credentials(&state.pool, &email).await? {
        // An account made by a provider's sign-in has no password: checked like an unknown
        // email (against the dummy hash), so it takes as long and never matches.
        Some(user) => (
            Some(user.id),
            Some(user.password_hash).filter(|hash| hash != super::sso::store::NO_PASSWORD),
        ),
        None => (None, None),
    };
    let verdict = state.password_checks.verify(password, stored_hash).await?;
    if verdict == Verdict::Busy {
        tracing::warn!(email = ?email, %address, "sign-in refused: every password-check slot is busy");
        count(&state, SignIn::Busy);
        return Err(AppError::Busy(tr!(l, sign_in.too_many_sign_ins_at).into()));
    }
    let Some(user_id) = user_id.filter(|_| verdict == Verdict::Right) else {
        tracing::warn!(email = ?email, %address, "sign-in failed");
        count(&state, SignIn::Wrong);
        // The same words for an unknown email and a wrong password.
        return Err(AppError::InvalidInput(
            tr!(l, sign_in.the_email_or_password_is).into(),
        ));
    };
    if super::sso::store::partner_requires_provider(&state.pool, user_id).await? {
        tracing::warn!(email = ?email, %address, "sign-in refused: the partner requires its provider");
        count(&state, SignIn::Wrong);
        return Err(AppError::InvalidInput(tr!(l, sso.provider_required).into()));
    }
    throttle::succeeded(&state.pool, &email, &address).await?;
    let request = session::request_headers();
    // A new session id on every sign-in: any session the browser brought is ended.
    session::end_presented_session(&state.pool, &request).await?;
    let token = session::start_session(&state, user_id).await?;
    session::send_cookie(&session::session_cookie(&token, &state.sessions, &request))?;
    // The language they chose before, on this browser too.
    if let Some(locale) = crate::preferences::store::saved_locale(&state.pool, user_id).await? {
        session::send_cookie(&crate::preferences::language_cookie(locale))?;
    }
    tracing::info!(email = ?email, %address, "signed in");
    count(&state, SignIn::Ok);
    leptos_axum::redirect(AFTER_SIGN_IN);
    Ok(())
}

/// The throttle's key for the client: its address (believing `X-Forwarded-For` only from a
/// trusted proxy), IPv6 by /64.
#[cfg(feature = "ssr")]
async fn client_address_key(state: &crate::state::AppState) -> String {
    use crate::auth::throttle::address_key;
    use crate::auth::{client_address::client_address, session};
    use axum::extract::ConnectInfo;
    match leptos_axum::extract::<ConnectInfo<std::net::SocketAddr>>().await {
        Ok(ConnectInfo(peer)) => address_key(client_address(
            peer.ip(),
            &session::request_headers(),
            &state.limits.trusted_proxies,
        )),
        Err(_) => "unknown".into(),
    }
}

#[server(endpoint = "sign_out", output = BrowserJson)]
pub async fn sign_out() -> Result<(), AppError> {
    use crate::{auth::session, state::app_state};

    let state = app_state()?;
    let request = session::request_headers();
    let provider_partner = session::presented_provider_partner(&state.pool, &request)
        .await
        .ok()
        .flatten();
    session::end_presented_session(&state.pool, &request).await?;
    session::send_cookie(&session::clearing_cookie(&state.sessions, &request))?;
    // The provider's end-session endpoint is another origin, which the form's CSP
    // (`form-action 'self'`) may not be redirected to: a page of ours navigates there.
    leptos_axum::redirect(&match provider_partner {
        Some(partner_id) => super::sso::model::signed_out_path(partner_id),
        None => "/sign-in".to_string(),
    });
    Ok(())
}

/// Counts a sign-in's outcome for the operator's metrics.
#[cfg(feature = "ssr")]
fn count(state: &crate::state::AppState, outcome: crate::state::metrics::SignIn) {
    use crate::state::metrics::SignInLabels;
    state
        .metrics
        .sign_ins
        .get_or_create(&SignInLabels { outcome })
        .inc();
}

/// The demo sign-ins, listed on the sign-in page only when the database is a demo one. The
/// form needs no database: if it does not answer at once (down, restarting), the page shows
/// the form without the list rather than wait.
#[server(endpoint = "demo_accounts", output = BrowserJson)]
pub async fn demo_accounts() -> Result<Vec<DemoAccount>, AppError> {
    use crate::{auth::model::Role, state::app_state};
    const WAIT: std::time::Duration = std::time::Duration::from_millis(500);

    let state = app_state()?;
    let read = async {
        if !super::store::is_demo(&state.pool).await? {
            return Ok(Vec::new());
        }
        super::store::accounts(&state.pool).await
    };
    let Ok(read) = tokio::time::timeout(WAIT, read).await else {
        return Ok(Vec::new());
    };
    let accounts = read.unwrap_or_else(|error| {
        tracing::warn!(error = %crate::errors::cause_chain(&error), "the demo accounts could not be read");
        Vec::new()
    });
    Ok(accounts
        .into_iter()
        .filter_map(|account| {
            Some(DemoAccount {
                role: Role::parse(&account.role)?,
                email: account.email,
                partner_name: account.partner_name,
            })
        })
        .collect())
}

/// Shows the app in `lang` (`en`, `ko` or `ja`) from now on: a cookie for this browser's next
/// pages (before sign-in too), and the signed-in user's saved choice.
#[server(endpoint = "choose_language", output = BrowserJson)]
pub async fn choose_language(lang: String) -> Result<(), AppError> {
    use super::session;
    use crate::i18n::Locale;
    use crate::preferences::{Preferences, language_cookie, store};
    use crate::state::app_state;

    let locale = Locale::parse(&lang)
        .filter(|locale| locale.tag() == lang)
        .ok_or_else(|| AppError::InvalidInput(Locale::unknown_tag(&lang)))?;
    let state = app_state()?;
    if let Some(viewer) = session::current_viewer(&state).await? {
        let chosen = Preferences {
            locale: Some(locale),
            ..Preferences::default()
        };
        store::save(&state.pool, viewer.user_id, &chosen).await?;
    }
    session::send_cookie(&language_cookie(locale))?;
    Ok(())
}
