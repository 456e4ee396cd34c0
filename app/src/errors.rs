//! The one error type that crosses the network between server functions and the page.
//! Every variant carries a message a person can act on; internal causes are logged on the
//! server and never sent.

use crate::i18n::Locale;
use http::StatusCode;
use leptos::server_fn::codec::JsonEncoding;
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
    #[error("Too many failed sign-ins. Try again in {wait_seconds} seconds.")]
    TooManyAttempts { wait_seconds: u64 },
    /// The server is at a limit it keeps so no one can starve the others (429); the
    /// message says what and when to try again.
    #[error("{0}")]
    Busy(String),
    #[error("Something went wrong on our side. Please try again.")]
    Internal,
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
            AppError::Unreachable => tr!(l, errors.unreachable).into(),
            AppError::RoleNotAllowed(text)
            | AppError::NotFound(text)
            | AppError::InvalidInput(text)
            | AppError::Busy(text) => text.clone(),
        }
    }

    pub fn status_code(&self) -> StatusCode {
        match self {
            AppError::NotSignedIn => StatusCode::UNAUTHORIZED,
            AppError::RoleNotAllowed(_) => StatusCode::FORBIDDEN,
            AppError::NotFound(_) => StatusCode::NOT_FOUND,
            AppError::InvalidInput(_) => StatusCode::UNPROCESSABLE_ENTITY,
            AppError::TooManyAttempts { .. } | AppError::Busy(_) => StatusCode::TOO_MANY_REQUESTS,
            AppError::Internal => StatusCode::INTERNAL_SERVER_ERROR,
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
    retry_after_seconds: Option<u64>,
}

impl From<AppError> for WireError {
    fn from(error: AppError) -> Self {
        let (kind, retry_after_seconds) = match &error {
            AppError::NotSignedIn => ("NotSignedIn", None),
            AppError::RoleNotAllowed(_) => ("RoleNotAllowed", None),
            AppError::NotFound(_) => ("NotFound", None),
            AppError::InvalidInput(_) => ("InvalidInput", None),
            AppError::TooManyAttempts { wait_seconds } => ("TooManyAttempts", Some(*wait_seconds)),
            AppError::Busy(_) => ("Busy", None),
            AppError::Internal => ("Internal", None),
            AppError::Unreachable => ("Unreachable", None),
        };
        WireError {
            error: kind.to_string(),
            message: error.to_string(),
            retry_after_seconds,
        }
    }
}

impl TryFrom<WireError> for AppError {
    type Error = String;

    fn try_from(wire: WireError) -> Result<Self, Self::Error> {
        Ok(match wire.error.as_str() {
            "NotSignedIn" => AppError::NotSignedIn,
            "RoleNotAllowed" => AppError::RoleNotAllowed(wire.message),
            "NotFound" => AppError::NotFound(wire.message),
            "InvalidInput" => AppError::InvalidInput(wire.message),
            "TooManyAttempts" => AppError::TooManyAttempts {
                wait_seconds: wire.retry_after_seconds.unwrap_or(1),
            },
            "Busy" => AppError::Busy(wire.message),
            "Internal" => AppError::Internal,
            "Unreachable" => AppError::Unreachable,
            other => return Err(format!("unknown error kind {other}")),
        })
    }
}

impl FromServerFnError for AppError {
    type Encoder = JsonEncoding;

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

#[cfg(feature = "ssr")]
impl From<sqlx::Error> for AppError {
    fn from(error: sqlx::Error) -> Self {
        tracing::error!(error = %error, "database error");
        AppError::Internal
    }
}

/// Sets the HTTP status of the current response from a server function's result, so a
/// refused call is a 401/403/404/422 on the wire and not a 500.
#[cfg(feature = "ssr")]
pub fn with_status<T>(result: Result<T, AppError>) -> Result<T, AppError> {
    if let Err(error) = &result {
        set_response_status(error.status_code());
    }
    result
}

/// Sets the status of the response being made on the server (a page render or a server
/// function call); does nothing in the browser.
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
