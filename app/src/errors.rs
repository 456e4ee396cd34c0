//! The one error type of the app, and its one road to an HTTP answer. Server functions return
//! it (the page gets it back whole; `server/src/startup.rs`'s `status_from_app_error` gives
//! the response its status and headers), handlers return it ([`IntoResponse`] on the server:
//! the same JSON, `{"error": kind, "message": …, "field": …}`, which is also the ingest API's
//! documented shape). Every variant carries a message a person can act on; internal causes are
//! logged on the server and never sent. Rendered pages set their status with
//! [`set_response_status`].

use crate::i18n::Locale;
use http::StatusCode;
use leptos::server_fn::error::{FromServerFnError, ServerFnErrorErr};
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
#[serde(into = "WireError", try_from = "WireError")]
pub enum AppError {
    #[error("Please sign in to continue.")]
    NotSignedIn,
    /// The signed-in role may not do this; the message says what it can't do.
    #[error("{0}")]
    RoleNotAllowed(String),
    #[error("{0}")]
    NotFound(String),
    #[error("{0}")]
    InvalidInput(String),
    /// One field of a request is wrong; `field` names it (`events[3].customer_id`).
    #[error("{message}")]
    InvalidField { field: String, message: String },
    /// A request that is not even the right shape (400).
    #[error("{0}")]
    BadRequest(String),
    #[error("{0}")]
    UnsupportedMediaType(String),
    /// A request with no live API token (401 with `WWW-Authenticate: Bearer`).
    #[error("{0}")]
    BadToken(String),
    /// A live API token without the scope this needs (403); the message names the scope.
    #[error("{0}")]
    TokenScopeMissing(String),
    /// `field` clashes with what is stored (409).
    #[error("{message}")]
    Conflict { field: String, message: String },
    #[error("Too many failed sign-ins. Try again in {wait_seconds} seconds.")]
    TooManyAttempts { wait_seconds: u64 },
    /// The server is at a limit it keeps so no one can starve the others (429); the
    /// message says what and when to try again.
    #[error("{0}")]
    Busy(String),
    /// One caller's request budget is spent (429 with `Retry-After: wait_seconds`).
    #[error("{message}")]
    RateLimited { message: String, wait_seconds: u64 },
    #[error("Something went wrong on our side. Please try again.")]
    Internal,
    /// The database can't be reached right now (503 with `Retry-After`): said at once rather
    /// than after a long wait, and the server recovers by itself when it is back.
    #[error("The service is briefly unavailable. Please try again in a few seconds.")]
    Unavailable,
    #[error("Could not reach the server. Check your connection and try again.")]
    Unreachable,
}

impl AppError {
    /// The message for a person reading `locale`. Variants that carry text were written by
    /// the server in the caller's language already ([`crate::i18n::request_locale`]); the
    /// fixed ones are worded here, so the browser can word them too (it makes `Unreachable`).
    pub fn message_in(&self, locale: Locale) -> String {
        let l = locale;
        match self {
            AppError::NotSignedIn => tr!(l, errors.not_signed_in).into(),
            AppError::TooManyAttempts { wait_seconds } => {
                tr!(l, errors.too_many_sign_ins, seconds = wait_seconds)
            }
            AppError::Internal => tr!(l, errors.internal).into(),
            AppError::Unavailable => tr!(l, errors.unavailable).into(),
            AppError::Unreachable => tr!(l, errors.unreachable).into(),
            _ => self.to_string(),
        }
    }

    pub fn status_code(&self) -> StatusCode {
        match self {
            AppError::NotSignedIn => StatusCode::UNAUTHORIZED,
            AppError::RoleNotAllowed(_) => StatusCode::FORBIDDEN,
            AppError::NotFound(_) => StatusCode::NOT_FOUND,
            AppError::InvalidInput(_) | AppError::InvalidField { .. } => StatusCode::UNPROCESSABLE_ENTITY,
            AppError::BadRequest(_) => StatusCode::BAD_REQUEST,
            AppError::UnsupportedMediaType(_) => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            AppError::BadToken(_) => StatusCode::UNAUTHORIZED,
            AppError::TokenScopeMissing(_) => StatusCode::FORBIDDEN,
            AppError::Conflict { .. } => StatusCode::CONFLICT,
            AppError::TooManyAttempts { .. } | AppError::Busy(_) | AppError::RateLimited { .. } => {
                StatusCode::TOO_MANY_REQUESTS
            }
            AppError::Internal => StatusCode::INTERNAL_SERVER_ERROR,
            AppError::Unavailable => StatusCode::SERVICE_UNAVAILABLE,
            AppError::Unreachable => StatusCode::BAD_GATEWAY,
        }
    }
}

/// How an [`AppError`] travels: its kind for programs, its message for people, e.g.
/// `{"error":"RoleNotAllowed","message":"Your role can't view the activity log."}`.
#[derive(Serialize, Deserialize)]
struct WireError {
    error: String,
    message: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    field: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    retry_after_seconds: Option<u64>,
}

impl From<AppError> for WireError {
    fn from(error: AppError) -> Self {
        let message = error.to_string();
        let (kind, field, retry_after_seconds) = match error {
            AppError::NotSignedIn => ("NotSignedIn", None, None),
            AppError::RoleNotAllowed(_) => ("RoleNotAllowed", None, None),
            AppError::NotFound(_) => ("NotFound", None, None),
            AppError::InvalidInput(_) => ("InvalidInput", None, None),
            AppError::InvalidField { field, .. } => ("InvalidInput", Some(field), None),
            AppError::BadRequest(_) => ("BadRequest", None, None),
            AppError::UnsupportedMediaType(_) => ("UnsupportedMediaType", None, None),
            AppError::BadToken(_) => ("Unauthorized", None, None),
            AppError::TokenScopeMissing(_) => ("TokenScopeMissing", None, None),
            AppError::Conflict { field, .. } => ("Conflict", Some(field), None),
            AppError::TooManyAttempts { wait_seconds } => ("TooManyAttempts", None, Some(wait_seconds)),
            AppError::Busy(_) => ("Busy", None, Some(BUSY_RETRY_SECONDS)),
            AppError::RateLimited { wait_seconds, .. } => ("RateLimited", None, Some(wait_seconds)),
            AppError::Internal => ("Internal", None, None),
            AppError::Unavailable => ("Unavailable", None, Some(UNAVAILABLE_RETRY_SECONDS)),
            AppError::Unreachable => ("Unreachable", None, None),
        };
        WireError {
            error: kind.to_string(),
            message,
            field,
            retry_after_seconds,
        }
    }
}

impl TryFrom<WireError> for AppError {
    type Error = String;

    fn try_from(wire: WireError) -> Result<Self, Self::Error> {
        let message = wire.message;
        Ok(match (wire.error.as_str(), wire.field) {
            ("NotSignedIn", _) => AppError::NotSignedIn,
            ("RoleNotAllowed", _) => AppError::RoleNotAllowed(message),
            ("NotFound", _) => AppError::NotFound(message),
            ("InvalidInput", Some(field)) => AppError::InvalidField { field, message },
            ("InvalidInput", None) => AppError::InvalidInput(message),
            ("BadRequest", _) => AppError::BadRequest(message),
            ("UnsupportedMediaType", _) => AppError::UnsupportedMediaType(message),
            ("Unauthorized", _) => AppError::BadToken(message),
            ("TokenScopeMissing", _) => AppError::TokenScopeMissing(message),
            ("Conflict", field) => AppError::Conflict {
                field: field.unwrap_or_default(),
                message,
            },
            ("TooManyAttempts", _) => AppError::TooManyAttempts {
                wait_seconds: wire.retry_after_seconds.unwrap_or(1),
            },
            ("Busy", _) => AppError::Busy(message),
            ("RateLimited", _) => AppError::RateLimited {
                message,
                wait_seconds: wire.retry_after_seconds.unwrap_or(1),
            },
            ("Internal", _) => AppError::Internal,
            ("Unavailable", _) => AppError::Unavailable,
            ("Unreachable", _) => AppError::Unreachable,
            (other, _) => return Err(format!("unknown error kind {other}")),
        })
    }
}

/// How long a client told "busy" (429) waits before trying again.
const BUSY_RETRY_SECONDS: u64 = 60;
/// How long a client told "unavailable" (503) waits: a database restart takes a few seconds.
const UNAVAILABLE_RETRY_SECONDS: u64 = 5;

#[cfg(feature = "ssr")]
impl AppError {
    /// The headers that go with the status: when to retry a 429, how to authenticate a 401
    /// of the token API. Shared by [`AppError::response_in`] and the server-function
    /// middleware, so both answer alike.
    pub fn add_headers(&self, headers: &mut http::HeaderMap) {
        use http::HeaderValue;
        let retry_after = match self {
            AppError::TooManyAttempts { wait_seconds } => Some(*wait_seconds),
            AppError::Busy(_) => Some(BUSY_RETRY_SECONDS),
            AppError::RateLimited { wait_seconds, .. } => Some(*wait_seconds),
            AppError::Unavailable => Some(UNAVAILABLE_RETRY_SECONDS),
            _ => None,
        };
        if let Some(seconds) = retry_after {
            headers.insert(http::header::RETRY_AFTER, HeaderValue::from(seconds));
        }
        if matches!(self, AppError::BadToken(_)) {
            headers.insert(http::header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
        }
    }

    /// The answer of a handler: the status, the headers, and the JSON body with the message
    /// worded for `locale`.
    pub fn response_in(self, locale: Locale) -> axum::response::Response {
        use axum::response::IntoResponse;
        let status = self.status_code();
        let mut headers = http::HeaderMap::new();
        self.add_headers(&mut headers);
        let message = self.message_in(locale);
        let mut wire = WireError::from(self);
        wire.message = message;
        (status, headers, axum::Json(wire)).into_response()
    }
}

/// Handlers that don't know the reader's language answer in English (the ingest API).
#[cfg(feature = "ssr")]
impl axum::response::IntoResponse for AppError {
    fn into_response(self) -> axum::response::Response {
        self.response_in(Locale::En)
    }
}

impl FromServerFnError for AppError {
    type Encoder = crate::browser_json::BrowserJsonEncoding;

    fn from_server_fn_error(error: ServerFnErrorErr) -> Self {
        match error {
            ServerFnErrorErr::Args(detail) | ServerFnErrorErr::MissingArg(detail) => {
                AppError::InvalidInput(format!("The request was not understood: {detail}"))
            }
            ServerFnErrorErr::Request(_) => AppError::Unreachable,
            _ => AppError::Internal,
        }
    }
}

/// Logged with its whole chain of causes (a pool timeout says why it timed out, an I/O error
/// which call failed); the answer says only `Internal`.
#[cfg(feature = "ssr")]
impl From<sqlx::Error> for AppError {
    fn from(error: sqlx::Error) -> Self {
        if is_unreachable(&error) {
            tracing::warn!(error = %cause_chain(&error), "the database is unreachable");
            return AppError::Unavailable;
        }
        tracing::error!(error = %cause_chain(&error), "database error");
        AppError::Internal
    }
}

/// The database can't be reached (down, restarting, every connection taken for too long),
/// as opposed to a query it refused.
#[cfg(feature = "ssr")]
pub fn is_unreachable(error: &sqlx::Error) -> bool {
    matches!(
        error,
        sqlx::Error::PoolTimedOut | sqlx::Error::PoolClosed | sqlx::Error::Io(_) | sqlx::Error::Tls(_)
    ) || error
        .as_database_error()
        .and_then(|error| error.code())
        // PostgreSQL shutting down or starting: admin_shutdown, crash_shutdown, cannot_connect_now.
        .is_some_and(|code| matches!(code.as_ref(), "57P01" | "57P02" | "57P03"))
}

/// `error: its cause: that cause's cause…`, for log lines.
pub fn cause_chain(error: &(dyn std::error::Error + 'static)) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        let cause_text = cause.to_string();
        // Some errors repeat their source's text in their own; say each thing once.
        if !text.ends_with(&cause_text) {
            text.push_str(": ");
            text.push_str(&cause_text);
        }
        source = cause.source();
    }
    text
}

/// Sets the status and headers `error` implies (503 with `Retry-After`, say) on the page being
/// rendered on the server; does nothing in the browser.
pub fn set_response_error(error: &AppError) {
    set_response_status(error.status_code());
    #[cfg(feature = "ssr")]
    if let Some(response) = leptos::prelude::use_context::<leptos_axum::ResponseOptions>() {
        let mut headers = http::HeaderMap::new();
        error.add_headers(&mut headers);
        for (name, value) in &headers {
            response.insert_header(name.clone(), value.clone());
        }
    }
}

/// Sets the status of the page being rendered on the server (a 404 or 403 page); does
/// nothing in the browser.
pub fn set_response_status(status: StatusCode) {
    #[cfg(feature = "ssr")]
    if let Some(response) = leptos::prelude::use_context::<leptos_axum::ResponseOptions>() {
        response.set_status(status);
    }
    #[cfg(not(feature = "ssr"))]
    let _ = status;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_cause_chain_names_every_cause_once() {
        #[derive(Debug, thiserror::Error)]
        #[error("pool timed out")]
        struct Outer(#[source] std::io::Error);
        let error = Outer(std::io::Error::new(
            std::io::ErrorKind::ConnectionRefused,
            "connection refused",
        ));
        assert_eq!(cause_chain(&error), "pool timed out: connection refused");
        let plain = std::io::Error::other("disk full");
        assert_eq!(cause_chain(&plain), "disk full");
    }

    #[test]
    fn errors_travel_with_their_message_and_come_back_whole() {
        for error in [
            AppError::NotSignedIn,
            AppError::RoleNotAllowed("Your role can't view the activity log.".into()),
            AppError::NotFound("Customer not found.".into()),
            AppError::InvalidInput("From must be on or before To.".into()),
            AppError::TooManyAttempts { wait_seconds: 30 },
            AppError::Internal,
        ] {
            let json = serde_json::to_string(&error).unwrap();
            assert!(
                json.contains(&serde_json::to_string(&error.to_string()).unwrap()),
                "{json}"
            );
            assert_eq!(serde_json::from_str::<AppError>(&json).unwrap(), error);
        }
    }

    #[test]
    fn fixed_messages_are_worded_in_each_language_and_carried_text_is_kept() {
        let throttled = AppError::TooManyAttempts { wait_seconds: 30 };
        assert!(throttled.message_in(Locale::Ko).contains("30초"));
        assert!(throttled.message_in(Locale::Ja).contains("30 秒"));
        for fixed in [
            throttled,
            AppError::NotSignedIn,
            AppError::Internal,
            AppError::Unavailable,
            AppError::Unreachable,
        ] {
            // The English file says what the type's Display says (logs and tests read that).
            assert_eq!(fixed.message_in(Locale::En), fixed.to_string());
            let korean = fixed.message_in(Locale::Ko);
            assert!(korean.chars().any(|c| ('가'..='힣').contains(&c)), "{korean}");
            let japanese = fixed.message_in(Locale::Ja);
            assert!(japanese.chars().any(|c| ('ぁ'..='ん').contains(&c)), "{japanese}");
        }
        let carried = AppError::NotFound("고객을 찾을 수 없습니다.".into());
        assert_eq!(carried.message_in(Locale::En), "고객을 찾을 수 없습니다.");
    }
}
