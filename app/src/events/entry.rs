//! An event as the log shows it ([`ActivityEntry`]) and as it is about to be stored
//! ([`NewEvent`]).

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

#[cfg(test)]
use super::action::OrderLine;
use super::action::{ActionDetails, ActionKind};
use crate::ids::{CustomerId, EventId, UserId};

/// The customer an action affected, with the id its Subscriptions page is found by.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, bitcode::Encode, bitcode::Decode)]
pub struct CustomerRef {
    pub id: CustomerId,
    pub company_name: String,
}

impl CustomerRef {
    pub fn subscriptions_href(&self) -> String {
        format!("/customers/{}/subscriptions", self.id)
    }
}

/// One row of the activity log.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ActivityEntry {
    /// The row's id in this database.
    pub id: EventId,
    /// The id the recording system gave the event (the CSV's Event ID; unique per partner).
    pub event_id: String,
    pub occurred_at: DateTime<Utc>,
    pub customer: Option<CustomerRef>,
    pub action: ActionKind,
    /// The action as the acting system described it, shown in the Action column.
    pub action_text: String,
    /// The partner user's sign-in name (email).
    pub partner_user: String,
    pub details: ActionDetails,
}

impl ActivityEntry {
    pub fn customer_name(&self) -> &str {
        self.customer
            .as_ref()
            .map(|customer| customer.company_name.as_str())
            .unwrap_or("")
    }
}

/// The texts a row of the log shows, however the row is held: an [`ActivityEntry`], or the
/// log page's loaded row, which shares the texts that repeat from row to row. Sorting and the
/// filter's search keys read rows through this.
pub trait EventTexts {
    fn action(&self) -> ActionKind;
    /// The action as the acting system described it, when that is not the action's label.
    fn own_action_text(&self) -> Option<&str>;
    fn customer_name(&self) -> &str;
    fn partner_user(&self) -> &str;
    /// Borrowed from a stored entry; unpacked from a loaded row, which keeps them packed.
    fn details(&self) -> std::borrow::Cow<'_, ActionDetails>;
    fn event_id(&self) -> &str;

    /// The Action column: the stored text, or the action's label in `locale` when the
    /// sender used the standard (English) label.
    fn action_text_in(&self, locale: crate::i18n::Locale) -> &str {
        self.own_action_text()
            .unwrap_or_else(|| self.action().label_in(locale))
    }
}

impl EventTexts for ActivityEntry {
    fn action(&self) -> ActionKind {
        self.action
    }
    fn own_action_text(&self) -> Option<&str> {
        (self.action_text != self.action.label()).then_some(self.action_text.as_str())
    }
    fn customer_name(&self) -> &str {
        ActivityEntry::customer_name(self)
    }
    fn partner_user(&self) -> &str {
        &self.partner_user
    }
    fn details(&self) -> std::borrow::Cow<'_, ActionDetails> {
        std::borrow::Cow::Borrowed(&self.details)
    }
    fn event_id(&self) -> &str {
        &self.event_id
    }
}

/// An event ready to store: its customer and user already checked to belong to the partner.
#[derive(Debug, Clone, PartialEq)]
pub struct NewEvent {
    /// The sender's id for the event; a second event with the same id is not stored again.
    pub external_id: String,
    pub occurred_at: DateTime<Utc>,
    pub customer_id: Option<CustomerId>,
    pub partner_user_id: UserId,
    pub action: ActionKind,
    pub action_text: String,
    pub details: ActionDetails,
}

#[cfg(test)]
pub(crate) fn sample_order(company_name: &str) -> ActivityEntry {
    use chrono::TimeZone;
    ActivityEntry {
        id: crate::ids::EventId(42),
        event_id: "crm-000042".into(),
        occurred_at: Utc.with_ymd_and_hms(2026, 11, 2, 8, 5, 9).unwrap(),
        customer: Some(CustomerRef {
            id: crate::ids::CustomerId(3),
            company_name: company_name.to_string(),
        }),
        action: ActionKind::OrderedSubscriptions,
        action_text: "Ordered subscriptions".into(),
        partner_user: "sales.agent@contoso.example".into(),
        details: ActionDetails::Order {
            order_id: "ORD-9".into(),
            lines: vec![
                OrderLine {
                    product: "Microsoft 365 E3".into(),
                    quantity: 10,
                    subscription_id: "s-1".into(),
                },
                OrderLine {
                    product: "Power BI Pro".into(),
                    quantity: 2,
                    subscription_id: "s-2".into(),
                },
            ],
        },
    }
}
