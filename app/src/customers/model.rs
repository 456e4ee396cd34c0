use serde::{Deserialize, Serialize};

use crate::activity::model::CustomerRef;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Subscription {
    pub id: String,
    pub product: String,
    pub quantity: u32,
    /// `active` or `cancelled`.
    pub status: String,
    /// `YYYY-MM-DD`
    pub start_date: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CustomerSubscriptions {
    pub customer: CustomerRef,
    pub domain: String,
    pub subscriptions: Vec<Subscription>,
}

/// The answer for a customer that is missing or belongs to another partner (the two are not
/// told apart), in the reader's language; the page says it too for an id that is no number.
pub fn customer_not_found(locale: crate::i18n::Locale) -> crate::errors::AppError {
    crate::errors::AppError::NotFound(
        locale
            .pick("Customer not found.", "고객을 찾을 수 없습니다.")
            .into(),
    )
}
