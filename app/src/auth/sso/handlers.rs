//! The two browser stops of a provider sign-in: `GET /sso/start?email=…` sends the browser
//! to the partner's provider, `GET /sso/callback` takes it back and opens the same session a
//! password sign-in opens. Every refusal lands on the sign-in page with `?sso_error=`, which
//! it says in the reader's language; the reason goes to the log.

use axum::extract::{Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;

use super::flow::{self, Callback, Refused, origin};
use super::model::{ProviderRefusal, email_domain, percent_encoded};
use super::store;
use crate::auth::api::AFTER_SIGN_IN;
use crate::auth::session;
use crate::i18n::locale_of_request;
use crate::ids::Email;
use crate::state::AppState;

/// The cookie that binds a sign-in at a provider to the browser that started it.
const BROWSER_COOKIE: &str = "activity_log_sso";

#[derive(Debug, Deserialize)]
pub struct StartQuery {
    pub email: String,
}

pub async fn start_provider_sign_in(
    State(state): State<AppState>,
    headers: HeaderMap,
    Query(query): Query<StartQuery>,
) -> Response {
    let provider = match Email::parse(&query.email) {
        Some(email) => match email_domain(email.as_str()) {
            Some(domain) => store::provider_for_domain(&state.pool, domain)
                .await
                .map(|provider| provider.map(|provider| (email, provider))),
            None => Ok(None),
        },
        None => Ok(None),
    };
    let (email, provider) = match provider {
        Ok(Some(found)) => found,
        // No provider answers for it: the password form, with the email filled in.
        Ok(None) => {
            return see_other(&format!(
                "/sign-in?way=password&email={}",
                percent_encoded(query.email.trim())
            ));
        }
        Err(error) => return crate::errors::AppError::from(error).response_in(locale_of_request(&headers)),
    };
    let Some(origin) = origin(&headers) else {
        return (StatusCode::BAD_REQUEST, "A Host header is needed.").into_response();
    };
    match flow::start(&state, &provider, &email, &origin).await {
        Ok(started) => {
            tracing::info!(partner_id = %provider.partner_id, "sign-in sent to the partner's provider");
            let mut response = see_other(&started.authorize_url);
            set_cookie(
                &mut response,
                &format!(
                    "{BROWSER_COOKIE}={}; Path=/sso; HttpOnly; SameSite=Lax; Max-Age=600{}",
                    started.browser_cookie,
                    secure(&state, &headers)
                ),
            );
            response
        }
        Err(refused) => refusal(refused, &headers, &state),
    }
}

pub async fn finish_provider_sign_in(
    State(state): State<AppState>,
    headers: HeaderMap,
    Query(callback): Query<Callback>,
) -> Response {
    let Some(origin) = origin(&headers) else {
        return (StatusCode::BAD_REQUEST, "A Host header is needed.").into_response();
    };
    let cookie = browser_cookie(&headers);
    let signed_in = match flow::finish(&state, cookie.as_deref(), callback, &origin).await {
        Ok(signed_in) => signed_in,
        Err(refused) => return refusal(refused, &headers, &state),
    };
    // A new session id on every sign-in, as with a password.
    let opened = async {
        session::end_presented_session(&state.pool, &headers).await?;
        let token = session::start_session(&state, signed_in.user_id).await?;
        session::mark_opened_by_provider(&state.pool, &token).await?;
        let language = crate::preferences::store::saved_locale(&state.pool, signed_in.user_id).await?;
        Ok::<_, crate::errors::AppError>((token, language))
    };
    let (token, language) = match opened.await {
        Ok(opened) => opened,
        Err(error) => return error.response_in(locale_of_request(&headers)),
    };
    tracing::info!(email = ?signed_in.email, "signed in through the partner's provider");
    let mut response = see_other(AFTER_SIGN_IN);
    set_cookie(
        &mut response,
        &session::session_cookie(&token, &state.sessions, &headers),
    );
    set_cookie(&mut response, &clearing(&state, &headers));
    if let Some(locale) = language {
        set_cookie(&mut response, &crate::preferences::language_cookie(locale));
    }
    response
}

#[derive(Debug, Deserialize)]
pub struct SignedOutQuery {
    pub partner: i64,
}

/// After sign-out of a session a provider opened: a page that sends the browser on to the
/// provider's end-session endpoint. A redirect can't: the sign-out form's own CSP
/// (`form-action 'self'`) stops its redirects at our origin. Only that partner's configured
/// provider can be the target, so the page is no open redirect.
pub async fn go_to_provider_sign_out(
    State(state): State<AppState>,
    headers: HeaderMap,
    Query(query): Query<SignedOutQuery>,
) -> Response {
    let target = match origin(&headers) {
        Some(origin) => flow::end_session_url(&state, crate::ids::PartnerId(query.partner), &origin).await,
        None => None,
    };
    let Some(target) = target else {
        return see_other("/sign-in");
    };
    let l = locale_of_request(&headers);
    let target = html_attribute(&target);
    let page = format!(
        "<!DOCTYPE html><html lang=\"{lang}\"><head><meta charset=\"utf-8\">\
         <meta http-equiv=\"refresh\" content=\"0; url={target}\"><title>{title}</title></head>\
         <body><p>{text}</p><p><a href=\"{target}\">{link}</a></p></body></html>",
        lang = l.tag(),
        title = tr!(l, sso.signing_out_link),
        text = tr!(l, sso.signing_out),
        link = tr!(l, sso.signing_out_link),
    );
    (
        [
            (
                header::CONTENT_TYPE,
                HeaderValue::from_static("text/html; charset=utf-8"),
            ),
            (header::CACHE_CONTROL, HeaderValue::from_static("no-store")),
        ],
        page,
    )
        .into_response()
}

fn html_attribute(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('"', "&quot;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

/// Back to the sign-in page saying why, the sign-in's cookie cleared.
fn refusal(refused: Refused, headers: &HeaderMap, state: &AppState) -> Response {
    tracing::warn!(refusal = refused.refusal.as_str(), reason = %refused.reason, "provider sign-in refused");
    to_sign_in(refused.refusal, headers, state)
}

fn to_sign_in(refusal: ProviderRefusal, headers: &HeaderMap, state: &AppState) -> Response {
    let mut response = see_other(&format!("/sign-in?sso_error={}", refusal.as_str()));
    set_cookie(&mut response, &clearing(state, headers));
    response
}

fn clearing(state: &AppState, headers: &HeaderMap) -> String {
    format!(
        "{BROWSER_COOKIE}=; Path=/sso; HttpOnly; SameSite=Lax; Max-Age=0{}",
        secure(state, headers)
    )
}

fn secure(state: &AppState, headers: &HeaderMap) -> &'static str {
    if session::session_cookie("", &state.sessions, headers).ends_with("; Secure") {
        "; Secure"
    } else {
        ""
    }
}

fn browser_cookie(headers: &HeaderMap) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|value| value.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(name, _)| *name == BROWSER_COOKIE)
        .map(|(_, value)| value.to_string())
        .filter(|value| value.len() == 64 && value.bytes().all(|byte| byte.is_ascii_hexdigit()))
}

fn see_other(location: &str) -> Response {
    match HeaderValue::from_str(location) {
        Ok(location) => (StatusCode::SEE_OTHER, [(header::LOCATION, location)]).into_response(),
        Err(_) => StatusCode::INTERNAL_SERVER_ERROR.into_response(),
    }
}

fn set_cookie(response: &mut Response, cookie: &str) {
    if let Ok(value) = HeaderValue::from_str(cookie) {
        response.headers_mut().append(header::SET_COOKIE, value);
    }
}
