use serde::{Deserialize, Serialize};

use crate::events::CustomerRef;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(sqlx::FromRow))]
pub struct Subscription {
    pub id: String,
    pub product: String,
    #[cfg_attr(feature = "ssr", sqlx(try_from = "i64"))]
    pub quantity: u32,
    /// `active` or `cancelled`.
    pub status: String,
    /// `YYYY-MM-DD`
    pub start_date: String,
}

/// Subscriptions shown per page: a big customer has tens of thousands.
pub const SUBSCRIPTIONS_PER_PAGE: usize = 100;

/// A customer and one page of its subscriptions.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CustomerSubscriptions {
    pub customer: CustomerRef,
    pub domain: String,
    /// All of the customer's subscriptions.
    pub total: u64,
    /// This page's number, from 0.
    pub page: u32,
    pub subscriptions: Vec<Subscription>,
}

impl CustomerSubscriptions {
    pub fn pages(&self) -> u32 {
        (self.total.div_ceil(SUBSCRIPTIONS_PER_PAGE as u64)).max(1) as u32
    }

    /// The 1-based positions of this page's first and last subscription.
    pub fn shown(&self) -> (u64, u64) {
        let first = u64::from(self.page) * SUBSCRIPTIONS_PER_PAGE as u64;
        (first + 1, first + self.subscriptions.len() as u64)
    }
}

/// The answer for a customer that is missing or belongs to another partner (the two are not
/// told apart), in the reader's language; the page says it too for an id that is no number.
pub fn customer_not_found(locale: crate::i18n::Locale) -> crate::errors::AppError {
    crate::errors::AppError::NotFound(tr!(locale, customers.customer_not_found).into())
}
