//! Server-side sessions: a random token in an HttpOnly cookie, its SHA-256 in the database
//! (so every replica on one database knows every session).
//! Every server function and handler finds the viewer through here.

use crate::db::Db;
use chrono::Utc;
use http::HeaderMap;
use http::header::COOKIE;

use super::model::{Permission, Role, VIEW_ACTIVITY_LOG, Viewer};
use super::store::{self, SessionRow};
use crate::db::{from_db_time, to_db_time};
use crate::digest::{random_hex, sha256_hex};
use crate::errors::AppError;
use crate::ids::UserId;
use crate::state::{AppState, SessionSettings};

pub const SESSION_COOKIE: &str = "activity_log_session";

fn token_hash(token: &str) -> String {
    sha256_hex(token)
}

/// Whether the cookie gets `Secure`: when the settings ask for it, or when the browser
/// reached us over https (directly or through a proxy that says so). A spoofed header can
/// only make the cookie stricter.
fn secure_attribute(settings: &SessionSettings, request: &HeaderMap) -> &'static str {
    let forwarded_https = request
        .get("x-forwarded-proto")
        .is_some_and(|proto| proto.as_bytes().eq_ignore_ascii_case(b"https"));
    let https_origin = request
        .get(http::header::ORIGIN)
        .is_some_and(|origin| origin.as_bytes().starts_with(b"https://"));
    if settings.secure_cookie || forwarded_https || https_origin {
        "; Secure"
    } else {
        ""
    }
}

/// The `Set-Cookie` value that signs the browser in.
pub fn session_cookie(token: &str, settings: &SessionSettings, request: &HeaderMap) -> String {
    let secure = secure_attribute(settings, request);
    format!(
        "{SESSION_COOKIE}={token}; Path=/; HttpOnly; SameSite=Lax; Max-Age={}{secure}",
        settings.lifetime.num_seconds()
    )
}

/// The `Set-Cookie` value that removes the session cookie.
pub fn clearing_cookie(settings: &SessionSettings, request: &HeaderMap) -> String {
    let secure = secure_attribute(settings, request);
    format!("{SESSION_COOKIE}=; Path=/; HttpOnly; SameSite=Lax; Max-Age=0{secure}")
}

/// The session token in a request's `Cookie` headers, if any.
pub fn session_token(headers: &HeaderMap) -> Option<String> {
    headers
        .get_all(COOKIE)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|value| value.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(name, _)| *name == SESSION_COOKIE)
        .map(|(_, token)| token.to_string())
        .filter(|token| token.len() == 64 && token.bytes().all(|byte| byte.is_ascii_hexdigit()))
}

/// Records a new session for `user_id` and returns the token for the cookie.
pub async fn start_session(state: &AppState, user_id: UserId) -> Result<String, AppError> {
    let token = random_hex(32);
    let now = Utc::now();
    store::insert_session(
        &state.pool,
        &token_hash(&token),
        user_id,
        &to_db_time(now),
        &to_db_time(now + state.sessions.lifetime),
    )
    .await?;
    Ok(token)
}

/// Marks this session as opened by a provider's sign-in.
pub async fn mark_opened_by_provider(pool: &Db, token: &str) -> Result<(), AppError> {
    Ok(store::mark_opened_by_provider(pool, &token_hash(token)).await?)
}

/// The partner of the presented session, if a provider's sign-in opened it.
pub async fn presented_provider_partner(
    pool: &Db,
    request: &HeaderMap,
) -> Result<Option<crate::ids::PartnerId>, AppError> {
    match session_token(request) {
        Some(token) => Ok(store::provider_session_partner(pool, &token_hash(&token)).await?),
        None => Ok(None),
    }
}

pub async fn end_session(pool: &Db, token: &str) -> Result<(), AppError> {
    Ok(store::delete_session(pool, &token_hash(token)).await?)
}

/// Whether the session of `headers` is still live (not signed out, expired or idle too
/// long), without marking it used: a page left open (the live log asks every half minute)
/// must not keep a session from going idle.
pub async fn session_still_live(
    pool: &Db,
    settings: &SessionSettings,
    headers: &HeaderMap,
) -> Result<bool, AppError> {
    let Some(token) = session_token(headers) else {
        return Ok(false);
    };
    let Some(row) = store::session(pool, &token_hash(&token)).await? else {
        return Ok(false);
    };
    let now = Utc::now();
    Ok(from_db_time(&row.expires_at)? > now
        && now - from_db_time(&row.last_seen_at)? <= settings.idle_timeout)
}

/// Sessions are marked as used at most once a minute, to spare a write on every request.
const LAST_SEEN_GRANULARITY_SECONDS: i64 = 60;

/// The signed-in user of a session that has neither expired nor sat idle too long.
pub async fn viewer_for_token(
    pool: &Db,
    settings: &SessionSettings,
    token: &str,
) -> Result<Option<Viewer>, AppError> {
    let Some(SessionRow {
        user_id,
        partner_id,
        partner_name,
        display_name,
        email,
        role,
        expires_at,
        last_seen_at,
        locale,
        columns,
        time_zone,
    }) = store::session(pool, &token_hash(token)).await?
    else {
        return Ok(None);
    };
    let now = Utc::now();
    let last_seen = from_db_time(&last_seen_at)?;
    if from_db_time(&expires_at)? <= now || now - last_seen > settings.idle_timeout {
        end_session(pool, token).await?;
        return Ok(None);
    }
    if (now - last_seen).num_seconds() >= LAST_SEEN_GRANULARITY_SECONDS {
        store::mark_seen(pool, &token_hash(token), &to_db_time(now)).await?;
    }
    let Some(role) = Role::parse(&role) else {
        tracing::error!(%user_id, role, "unknown role in partner_users");
        return Err(AppError::Internal);
    };
    Ok(Some(Viewer {
        user_id,
        partner_id,
        partner_name,
        display_name,
        email,
        role,
        preferences: crate::preferences::store::preferences_from_columns(locale, columns, time_zone),
    }))
}

pub async fn viewer_from_headers(state: &AppState, headers: &HeaderMap) -> Result<Option<Viewer>, AppError> {
    match session_token(headers) {
        Some(token) => viewer_for_token(&state.pool, &state.sessions, &token).await,
        None => Ok(None),
    }
}

/// The headers of the request a server function or page render is answering.
pub fn request_headers() -> HeaderMap {
    leptos::prelude::use_context::<http::request::Parts>()
        .map(|parts| parts.headers)
        .unwrap_or_default()
}

/// The viewer of the request a server function or page render is answering.
pub async fn current_viewer(state: &AppState) -> Result<Option<Viewer>, AppError> {
    viewer_from_headers(state, &request_headers()).await
}

/// Ends the session whose cookie the request carries, if any.
pub async fn end_presented_session(pool: &Db, request: &HeaderMap) -> Result<(), AppError> {
    match session_token(request) {
        Some(token) => end_session(pool, &token).await,
        None => Ok(()),
    }
}

/// Adds a `Set-Cookie` header to the response being made.
pub fn send_cookie(cookie: &str) -> Result<(), AppError> {
    let value = http::HeaderValue::from_str(cookie).map_err(|_| AppError::Internal)?;
    let response =
        leptos::prelude::use_context::<leptos_axum::ResponseOptions>().ok_or(AppError::Internal)?;
    response.append_header(http::header::SET_COOKIE, value);
    Ok(())
}

/// The activity-log gate: signed in, and in one of the six roles allowed to see it.
pub fn require_activity_log_role(viewer: Option<Viewer>) -> Result<Viewer, AppError> {
    require_permission(viewer, VIEW_ACTIVITY_LOG)
}

/// Signed in, and in a role `permission` allows; a refusal in the request's language.
pub fn require_permission(viewer: Option<Viewer>, permission: Permission) -> Result<Viewer, AppError> {
    require_permission_in(viewer, permission, crate::i18n::request_locale())
}

/// [`require_permission`] for handlers outside a server function, which know the language.
pub fn require_permission_in(
    viewer: Option<Viewer>,
    permission: Permission,
    locale: crate::i18n::Locale,
) -> Result<Viewer, AppError> {
    let viewer = viewer.ok_or(AppError::NotSignedIn)?;
    if !(permission.allows)(viewer.role) {
        return Err(AppError::RoleNotAllowed(permission.refusal_in(locale)));
    }
    Ok(viewer)
}

#[cfg(test)]
mod tests {
    use super::*;
    use http::HeaderValue;

    #[test]
    fn the_session_token_is_read_among_other_cookies() {
        let token = "ab".repeat(32);
        let mut headers = HeaderMap::new();
        headers.append(COOKIE, HeaderValue::from_static("theme=dark"));
        headers.append(
            COOKIE,
            HeaderValue::from_str(&format!("lang=ko; {SESSION_COOKIE}={token}")).unwrap(),
        );
        assert_eq!(session_token(&headers), Some(token));
    }

    #[test]
    fn malformed_tokens_are_ignored() {
        let mut headers = HeaderMap::new();
        headers.insert(
            COOKIE,
            HeaderValue::from_static("activity_log_session=' OR 1=1 --"),
        );
        assert_eq!(session_token(&headers), None);
    }

    #[test]
    fn cookies_are_http_only_and_same_site() {
        let settings = SessionSettings {
            lifetime: chrono::Duration::hours(8),
            idle_timeout: chrono::Duration::minutes(30),
            secure_cookie: true,
        };
        let cookie = session_cookie("token", &settings, &HeaderMap::new());
        assert!(cookie.contains("HttpOnly"));
        assert!(cookie.contains("SameSite=Lax"));
        assert!(cookie.contains("Max-Age=28800"));
        assert!(cookie.ends_with("; Secure"));
    }

    #[test]
    fn cookies_are_secure_whenever_the_browser_came_over_https() {
        let settings = SessionSettings {
            lifetime: chrono::Duration::hours(8),
            idle_timeout: chrono::Duration::minutes(30),
            secure_cookie: false,
        };
        assert!(!session_cookie("t", &settings, &HeaderMap::new()).contains("Secure"));
        let mut proxied = HeaderMap::new();
        proxied.insert("x-forwarded-proto", HeaderValue::from_static("https"));
        assert!(session_cookie("t", &settings, &proxied).ends_with("; Secure"));
        let mut direct = HeaderMap::new();
        direct.insert(
            http::header::ORIGIN,
            HeaderValue::from_static("https://partner.example"),
        );
        assert!(clearing_cookie(&settings, &direct).ends_with("; Secure"));
    }

    fn viewer(role: Role) -> Viewer {
        Viewer {
            user_id: crate::ids::UserId(1),
            partner_id: crate::ids::PartnerId(1),
            partner_name: "Contoso Partners".into(),
            display_name: "Test".into(),
            email: crate::ids::Email::parse("t@contoso.example").unwrap(),
            role,
            preferences: Default::default(),
        }
    }

    #[test]
    fn the_gate_refuses_anonymous_and_referrals_admins() {
        assert_eq!(require_activity_log_role(None), Err(AppError::NotSignedIn));
        assert_eq!(
            require_activity_log_role(Some(viewer(Role::ReferralsAdmin))),
            Err(AppError::RoleNotAllowed(
                "Your role can't view the activity log.".into()
            ))
        );
        assert!(require_activity_log_role(Some(viewer(Role::HelpdeskAgent))).is_ok());
    }
}
