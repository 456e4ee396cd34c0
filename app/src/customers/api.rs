use leptos::prelude::*;

use super::model::CustomerSubscriptions;
use crate::browser_json::BrowserJson;
use crate::errors::AppError;
use crate::ids::CustomerId;

/// The customer and page `page` (from 0; missing means the first) of its subscriptions.
#[server(endpoint = "customer_subscriptions", output = BrowserJson)]
pub async fn get_customer_subscriptions(
    customer_id: CustomerId,
    page: Option<u32>,
) -> Result<CustomerSubscriptions, AppError> {
    use super::store;
    use crate::{auth::session, state::app_state};

    let state = app_state()?;
    let viewer = session::require_activity_log_role(session::current_viewer(&state).await?)?;
    store::customer_subscriptions(&state.pool, viewer.partner_id, customer_id, page.unwrap_or(0))
        .await?
        .ok_or_else(|| super::model::customer_not_found(crate::i18n::request_locale()))
}
