//! What a partner user did: the action's kind and its details, as stored, chained, sent to
//! the browser and written to files. The bottom of the app: every area uses these types and
//! this module uses none of theirs.

use serde::{Deserialize, Serialize};

/// What a partner user did. Stored as `kind` text in the database (see [`ActionKind::as_str`]).
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, bitcode::Encode, bitcode::Decode,
)]
pub enum ActionKind {
    OrderedSubscriptions,
    ChangedSubscriptionQuantity,
    CancelledSubscription,
    CreatedCustomer,
    CreatedReferral,
    ResetUserPassword,
    AssignedLicense,
    ExportedActivityLog,
    ChangedLogStreaming,
}

impl ActionKind {
    pub const ALL: [ActionKind; 9] = [
        ActionKind::OrderedSubscriptions,
        ActionKind::ChangedSubscriptionQuantity,
        ActionKind::CancelledSubscription,
        ActionKind::CreatedCustomer,
        ActionKind::CreatedReferral,
        ActionKind::ResetUserPassword,
        ActionKind::AssignedLicense,
        ActionKind::ExportedActivityLog,
        ActionKind::ChangedLogStreaming,
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
            ActionKind::ChangedLogStreaming => "changed_log_streaming",
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
            ActionKind::ChangedLogStreaming => tr!(l, actions.changed_log_streaming),
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
            ActionKind::ChangedLogStreaming => "Changed log streaming",
        }
    }
}

/// One product of an order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, bitcode::Encode, bitcode::Decode)]
pub struct OrderLine {
    pub product: String,
    pub quantity: u32,
    pub subscription_id: String,
}

/// What an action changed, stored as JSON in `activity_events.details` (and sent to the log
/// page in the binary of `activity::wire`, hence `bitcode`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, bitcode::Encode, bitcode::Decode)]
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
    /// A Global admin changed where the log is streamed: the destination's name and what
    /// happened to it (created, paused, resumed, deleted, rotated its secret).
    LogStreaming {
        destination: String,
        change: String,
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
            ActionDetails::LogStreaming { .. } => ActionKind::ChangedLogStreaming,
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
            ActionDetails::LogStreaming { destination, change } => {
                vec![("Destination", destination.clone()), ("Change", change.clone())]
            }
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
            "Destination" => tr!(l, fields.destination),
            "Change" => tr!(l, fields.change),
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_kind_knows_its_place_in_all() {
        for (position, kind) in ActionKind::ALL.iter().enumerate() {
            assert_eq!(kind.index(), position);
        }
    }
}
