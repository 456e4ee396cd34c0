//! How an email signs in: anyone may ask, and the answer depends on its domain only (so it
//! says nothing about whether an account exists).

use leptos::prelude::*;

use super::model::SignInWay;
use crate::browser_json::BrowserJson;
use crate::errors::AppError;

/// Whether `email` signs in with a password or through its partner's provider.
#[server(endpoint = "sign_in_way", output = BrowserJson)]
pub async fn find_sign_in_way(email: String) -> Result<SignInWay, AppError> {
    use super::model::email_domain;
    use crate::ids::Email;
    use crate::state::app_state;

    let state = app_state()?;
    let Some(email) = Email::parse(&email) else {
        return Ok(SignInWay::Password);
    };
    let Some(domain) = email_domain(email.as_str()) else {
        return Ok(SignInWay::Password);
    };
    Ok(
        match super::store::provider_for_domain(&state.pool, domain).await? {
            Some(_) => SignInWay::Provider {
                start: super::model::start_path(&email),
            },
            None => SignInWay::Password,
        },
    )
}
