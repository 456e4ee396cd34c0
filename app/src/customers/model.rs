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
