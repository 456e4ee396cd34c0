//! The shared log types: the same structs are filled by the server's query, sent to the
//! browser, expanded and filtered there, and written to the CSV.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// What a partner user did. Stored as `kind` text in the database (see [`ActionKind::as_str`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum ActionKind {
    OrderedSubscriptions,
    ChangedSubscriptionQuantity,
    CancelledSubscription,
    CreatedCustomer,
    CreatedReferral,
    ResetUserPassword,
    AssignedLicense,
    ExportedActivityLog,
}

impl ActionKind {
    pub const ALL: [ActionKind; 8] = [
        ActionKind::OrderedSubscriptions,
        ActionKind::ChangedSubscriptionQuantity,
        ActionKind::CancelledSubscription,
        ActionKind::CreatedCustomer,
        ActionKind::CreatedReferral,
        ActionKind::ResetUserPassword,
        ActionKind::AssignedLicense,
        ActionKind::ExportedActivityLog,
    ];

    /// Its place in [`ActionKind::ALL`] (the chart's colours and counts use it).
    pub fn index(self) -> usize {
        // `ALL` lists the variants in declaration order (a test holds it).
        self as usize
    }

    /// The stable name stored in the database and used in URLs.
    pub fn as_str(self) -> &'static str {
        match self {
            ActionKind::OrderedSubscriptions => "ordered_subscriptions",
            ActionKind::ChangedSubscriptionQuantity => "changed_subscription_quantity",
            ActionKind::CancelledSubscription => "cancelled_subscription",
            ActionKind::CreatedCustomer => "created_customer",
            ActionKind::CreatedReferral => "created_referral",
            ActionKind::ResetUserPassword => "reset_user_password",
            ActionKind::AssignedLicense => "assigned_license",
            ActionKind::ExportedActivityLog => "exported_activity_log",
        }
    }

    pub fn parse(name: &str) -> Option<ActionKind> {
        ActionKind::ALL.into_iter().find(|kind| kind.as_str() == name)
    }

    /// The action in words, in `l`.
    pub fn label_in(self, l: crate::i18n::Locale) -> &'static str {
        match self {
            ActionKind::OrderedSubscriptions => tr!(l, actions.ordered_subscriptions),
            ActionKind::ChangedSubscriptionQuantity => tr!(l, actions.changed_subscription_quantity),
            ActionKind::CancelledSubscription => tr!(l, actions.cancelled_subscription),
            ActionKind::CreatedCustomer => tr!(l, actions.created_customer),
            ActionKind::CreatedReferral => tr!(l, actions.created_referral),
            ActionKind::ResetUserPassword => tr!(l, actions.reset_user_password),
            ActionKind::AssignedLicense => tr!(l, actions.assigned_license),
            ActionKind::ExportedActivityLog => tr!(l, actions.exported_activity_log),
        }
    }

    /// The English words, which are also the stored action text unless the sender gave its own.
    pub fn label(self) -> &'static str {
        match self {
            ActionKind::OrderedSubscriptions => "Ordered subscriptions",
            ActionKind::ChangedSubscriptionQuantity => "Changed subscription quantity",
            ActionKind::CancelledSubscription => "Cancelled subscription",
            ActionKind::CreatedCustomer => "Created customer",
            ActionKind::CreatedReferral => "Created referral",
            ActionKind::ResetUserPassword => "Reset user password",
            ActionKind::AssignedLicense => "Assigned license",
            ActionKind::ExportedActivityLog => "Exported the activity log",
        }
    }
}

/// One product of an order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OrderLine {
    pub product: String,
    pub quantity: u32,
    pub subscription_id: String,
}

/// What an action changed, stored as JSON in `activity_events.details`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum ActionDetails {
    Order {
        order_id: String,
        lines: Vec<OrderLine>,
    },
    QuantityChange {
        subscription_id: String,
        product: String,
        old_quantity: u32,
        new_quantity: u32,
    },
    Cancellation {
        subscription_id: String,
        product: String,
    },
    NewCustomer {
        domain: String,
    },
    Referral {
        referral_id: String,
        deal_name: String,
        estimated_value_usd: u32,
    },
    PasswordReset {
        user_principal_name: String,
    },
    LicenseAssignment {
        product: String,
        user_principal_name: String,
    },
    /// Someone took the log out of the app: the period (local days) and filter they chose,
    /// and the UTC instants actually exported (absent from records made before they were).
    Export {
        from_date: String,
        to_date: String,
        #[serde(default, skip_serializing_if = "String::is_empty")]
        from: String,
        #[serde(default, skip_serializing_if = "String::is_empty")]
        to: String,
        filter: String,
        format: String,
    },
}

impl ActionDetails {
    /// The one action kind these details describe.
    pub fn kind(&self) -> ActionKind {
        match self {
            ActionDetails::Order { .. } => ActionKind::OrderedSubscriptions,
            ActionDetails::QuantityChange { .. } => ActionKind::ChangedSubscriptionQuantity,
            ActionDetails::Cancellation { .. } => ActionKind::CancelledSubscription,
            ActionDetails::NewCustomer { .. } => ActionKind::CreatedCustomer,
            ActionDetails::Referral { .. } => ActionKind::CreatedReferral,
            ActionDetails::PasswordReset { .. } => ActionKind::ResetUserPassword,
            ActionDetails::LicenseAssignment { .. } => ActionKind::AssignedLicense,
            ActionDetails::Export { .. } => ActionKind::ExportedActivityLog,
        }
    }

    /// Label/value pairs for actions that are not orders (orders show a product table).
    pub fn fields(&self) -> Vec<(&'static str, String)> {
        match self {
            ActionDetails::Order { order_id, lines } => vec![
                ("Order ID", order_id.clone()),
                ("Products", lines.len().to_string()),
            ],
            ActionDetails::QuantityChange {
                subscription_id,
                product,
                old_quantity,
                new_quantity,
            } => vec![
                ("Product", product.clone()),
                ("Subscription ID", subscription_id.clone()),
                ("Quantity", format!("{old_quantity} → {new_quantity}")),
            ],
            ActionDetails::Cancellation {
                subscription_id,
                product,
            } => vec![
                ("Product", product.clone()),
                ("Subscription ID", subscription_id.clone()),
            ],
            ActionDetails::NewCustomer { domain } => vec![("Domain", domain.clone())],
            ActionDetails::Referral {
                referral_id,
                deal_name,
                estimated_value_usd,
            } => vec![
                ("Referral ID", referral_id.clone()),
                ("Deal", deal_name.clone()),
                ("Estimated value", format!("USD {estimated_value_usd}")),
            ],
            ActionDetails::PasswordReset { user_principal_name } => {
                vec![("User", user_principal_name.clone())]
            }
            ActionDetails::LicenseAssignment {
                product,
                user_principal_name,
            } => vec![
                ("Product", product.clone()),
                ("User", user_principal_name.clone()),
            ],
            ActionDetails::Export {
                from_date,
                to_date,
                from,
                to,
                filter,
                format,
            } => vec![
                ("Period", format!("{from_date} – {to_date}")),
                (
                    "Exported (UTC)",
                    if from.is_empty() {
                        "(not recorded)".to_string()
                    } else {
                        format!("{from} – {to}")
                    },
                ),
                (
                    "Filter",
                    if filter.is_empty() {
                        "(none)".to_string()
                    } else {
                        filter.clone()
                    },
                ),
                ("Format", format.clone()),
            ],
        }
    }

    /// [`ActionDetails::fields`] with the labels in `l` (the values stay as stored).
    pub fn fields_in(&self, l: crate::i18n::Locale) -> Vec<(&'static str, String)> {
        let label_in = |label: &'static str| match label {
            "Order ID" => tr!(l, fields.order_id),
            "Exported (UTC)" => tr!(l, fields.exported_utc),
            "Products" => tr!(l, fields.products),
            "Product" => tr!(l, fields.product),
            "Subscription ID" => tr!(l, fields.subscription_id),
            "Quantity" => tr!(l, fields.quantity),
            "Domain" => tr!(l, fields.domain),
            "Referral ID" => tr!(l, fields.referral_id),
            "Deal" => tr!(l, fields.deal),
            "Estimated value" => tr!(l, fields.estimated_value),
            "User" => tr!(l, fields.user),
            "Period" => tr!(l, fields.period),
            "Filter" => tr!(l, fields.filter),
            "Format" => tr!(l, fields.format),
            other => other,
        };
        self.fields()
            .into_iter()
            .map(|(label, value)| (label_in(label), value))
            .collect()
    }

    /// The products of an order; empty for every other action.
    pub fn order_lines(&self) -> &[OrderLine] {
        match self {
            ActionDetails::Order { lines, .. } => lines,
            _ => &[],
        }
    }

    /// One readable line, used in the CSV and searched by the filter.
    pub fn summary(&self) -> String {
        match self {
            ActionDetails::Order { order_id, lines } => {
                let products: Vec<String> = lines
                    .iter()
                    .map(|line| {
                        format!(
                            "{} × {} (subscription {})",
                            line.product, line.quantity, line.subscription_id
                        )
                    })
                    .collect();
                format!("Order {order_id}: {}", products.join("; "))
            }
            other => other
                .fields()
                .into_iter()
                .map(|(label, value)| format!("{label}: {value}"))
                .collect::<Vec<_>>()
                .join("; "),
        }
    }
}

/// The customer an action affected, with the id its Subscriptions page is found by.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CustomerRef {
    pub id: i64,
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
    pub id: i64,
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
    /// The Action column: the stored text, or the action's label in `locale` when the
    /// sender used the standard (English) label.
    pub fn action_text_in(&self, locale: crate::i18n::Locale) -> &str {
        if self.action_text == self.action.label() {
            self.action.label_in(locale)
        } else {
            &self.action_text
        }
    }

    pub fn customer_name(&self) -> &str {
        self.customer
            .as_ref()
            .map(|customer| customer.company_name.as_str())
            .unwrap_or("")
    }
}

/// One page of a period's events as the server sends it: customers and users once, rows as
/// short arrays that point at them. Several times smaller than a list of [`ActivityEntry`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EventPage {
    pub customers: Vec<CustomerRef>,
    pub users: Vec<String>,
    pub rows: Vec<CompactEvent>,
    /// Pass as `after` for the next page; `None` on the last page.
    pub next: Option<String>,
}

/// (id, event id, occurred at in Unix seconds, index into `customers`, index into `users`,
/// action, action text unless it is the action's label, details).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CompactEvent(
    pub i64,
    pub String,
    pub i64,
    pub Option<u32>,
    pub u32,
    pub ActionKind,
    pub Option<String>,
    pub ActionDetails,
);

impl EventPage {
    /// Packs entries (in order) into a page.
    pub fn pack(entries: Vec<ActivityEntry>, next: Option<String>) -> EventPage {
        use std::collections::HashMap;
        let mut customers: Vec<CustomerRef> = Vec::new();
        let mut customer_index: HashMap<i64, u32> = HashMap::new();
        let mut users: Vec<String> = Vec::new();
        let mut user_index: HashMap<String, u32> = HashMap::new();
        let rows = entries
            .into_iter()
            .map(|entry| {
                let customer = entry.customer.map(|customer| {
                    *customer_index.entry(customer.id).or_insert_with(|| {
                        customers.push(customer);
                        customers.len() as u32 - 1
                    })
                });
                let user = *user_index.entry(entry.partner_user.clone()).or_insert_with(|| {
                    users.push(entry.partner_user);
                    users.len() as u32 - 1
                });
                let text = (entry.action_text != entry.action.label()).then_some(entry.action_text);
                CompactEvent(
                    entry.id,
                    entry.event_id,
                    entry.occurred_at.timestamp(),
                    customer,
                    user,
                    entry.action,
                    text,
                    entry.details,
                )
            })
            .collect();
        EventPage {
            customers,
            users,
            rows,
            next,
        }
    }

    /// The page's entries, in order. A row pointing past the lists (a bug, never sent by the
    /// server) gets no customer and an empty user rather than a panic.
    pub fn unpack(self) -> Vec<ActivityEntry> {
        let EventPage {
            customers,
            users,
            rows,
            ..
        } = self;
        rows.into_iter()
            .map(
                |CompactEvent(id, event_id, seconds, customer, user, action, text, details)| ActivityEntry {
                    id,
                    event_id,
                    occurred_at: DateTime::from_timestamp(seconds, 0).unwrap_or_default(),
                    customer: customer.and_then(|index| customers.get(index as usize).cloned()),
                    action,
                    action_text: text.unwrap_or_else(|| action.label().to_string()),
                    partner_user: users.get(user as usize).cloned().unwrap_or_default(),
                    details,
                },
            )
            .collect()
    }
}

/// An order of two products for `company_name`, for tests of code that reads entries.
#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_kind_knows_its_place_in_all() {
        for (position, kind) in ActionKind::ALL.iter().enumerate() {
            assert_eq!(kind.index(), position);
        }
    }

    #[test]
    fn a_page_unpacks_into_the_entries_it_was_packed_from() {
        let mut other = sample_order("Adatum");
        other.id = 43;
        other.event_id = "crm-000043".into();
        other.action_text = "Placed an order by phone".into();
        other.partner_user = "admin.agent@contoso.example".into();
        let mut no_customer = sample_order("Adatum");
        no_customer.id = 44;
        no_customer.customer = None;
        let entries = vec![sample_order("Adatum"), other, no_customer];
        let page = EventPage::pack(entries.clone(), Some("next".into()));
        assert_eq!(page.customers.len(), 1, "each customer once");
        assert_eq!(page.users.len(), 2, "each user once");
        assert_eq!(page.rows[0].6, None, "the usual label is not repeated");
        assert_eq!(page.clone().unpack(), entries);
        let json = serde_json::to_string(&page).unwrap();
        let long = serde_json::to_string(&entries).unwrap();
        assert!(json.len() < long.len(), "{} < {}", json.len(), long.len());
    }
}

#[cfg(test)]
pub(crate) fn sample_order(company_name: &str) -> ActivityEntry {
    use chrono::TimeZone;
    ActivityEntry {
        id: 42,
        event_id: "crm-000042".into(),
        occurred_at: Utc.with_ymd_and_hms(2026, 11, 2, 8, 5, 9).unwrap(),
        customer: Some(CustomerRef {
            id: 3,
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
