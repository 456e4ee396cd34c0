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
        let mut fields = Vec::new();
        self.each_field(|label, value| fields.push((label, value.to_string())));
        fields
    }

    /// Hands each of [`ActionDetails::fields`] to `field` without making its value a string
    /// first: the filter writes every loaded row's summary, a year's 750,000 of them.
    fn each_field(&self, mut field: impl FnMut(&'static str, &dyn std::fmt::Display)) {
        match self {
            ActionDetails::Order { order_id, lines } => {
                field("Order ID", order_id);
                field("Products", &lines.len());
            }
            ActionDetails::QuantityChange {
                subscription_id,
                product,
                old_quantity,
                new_quantity,
            } => {
                field("Product", product);
                field("Subscription ID", subscription_id);
                field("Quantity", &format_args!("{old_quantity} → {new_quantity}"));
            }
            ActionDetails::Cancellation {
                subscription_id,
                product,
            } => {
                field("Product", product);
                field("Subscription ID", subscription_id);
            }
            ActionDetails::NewCustomer { domain } => field("Domain", domain),
            ActionDetails::Referral {
                referral_id,
                deal_name,
                estimated_value_usd,
            } => {
                field("Referral ID", referral_id);
                field("Deal", deal_name);
                field("Estimated value", &format_args!("USD {estimated_value_usd}"));
            }
            ActionDetails::PasswordReset { user_principal_name } => field("User", user_principal_name),
            ActionDetails::LicenseAssignment {
                product,
                user_principal_name,
            } => {
                field("Product", product);
                field("User", user_principal_name);
            }
            ActionDetails::Export {
                from_date,
                to_date,
                from,
                to,
                filter,
                format,
            } => {
                field("Period", &format_args!("{from_date} – {to_date}"));
                if from.is_empty() {
                    field("Exported (UTC)", &"(not recorded)");
                } else {
                    field("Exported (UTC)", &format_args!("{from} – {to}"));
                }
                field("Filter", if filter.is_empty() { &"(none)" } else { filter });
                field("Format", format);
            }
            ActionDetails::LogStreaming { destination, change } => {
                field("Destination", destination);
                field("Change", change);
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
        let mut summary = String::new();
        self.write_summary(&mut summary);
        summary
    }

    /// Writes [`ActionDetails::summary`] at the end of `out`.
    pub fn write_summary(&self, out: &mut String) {
        use std::fmt::Write;
        // Writing into a String cannot fail.
        match self {
            ActionDetails::Order { order_id, lines } => {
                let _ = write!(out, "Order {order_id}: ");
                for (number, line) in lines.iter().enumerate() {
                    if number > 0 {
                        out.push_str("; ");
                    }
                    let _ = write!(
                        out,
                        "{} × {} (subscription {})",
                        line.product, line.quantity, line.subscription_id
                    );
                }
            }
            other => {
                let mut first = true;
                other.each_field(|label, value| {
                    if !std::mem::take(&mut first) {
                        out.push_str("; ");
                    }
                    let _ = write!(out, "{label}: {value}");
                });
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The summary is what the CSV holds and the filter searches: its text is a contract.
    #[test]
    fn summaries_read_as_they_always_have() {
        let s = |text: &str| text.to_string();
        let cases = [
            (
                ActionDetails::Order {
                    order_id: s("ORD-1"),
                    lines: vec![
                        OrderLine {
                            product: s("Azure plan"),
                            quantity: 3,
                            subscription_id: s("sub-1"),
                        },
                        OrderLine {
                            product: s("Visio Plan 2"),
                            quantity: 1,
                            subscription_id: s("sub-2"),
                        },
                    ],
                },
                "Order ORD-1: Azure plan × 3 (subscription sub-1); Visio Plan 2 × 1 (subscription sub-2)",
            ),
            (
                ActionDetails::QuantityChange {
                    subscription_id: s("sub-1"),
                    product: s("Azure plan"),
                    old_quantity: 4,
                    new_quantity: 9,
                },
                "Product: Azure plan; Subscription ID: sub-1; Quantity: 4 → 9",
            ),
            (
                ActionDetails::Referral {
                    referral_id: s("REF-7"),
                    deal_name: s("Big deal"),
                    estimated_value_usd: 1200,
                },
                "Referral ID: REF-7; Deal: Big deal; Estimated value: USD 1200",
            ),
            (
                ActionDetails::Export {
                    from_date: s("2026-01-01"),
                    to_date: s("2026-01-31"),
                    from: String::new(),
                    to: String::new(),
                    filter: String::new(),
                    format: s("csv"),
                },
                "Period: 2026-01-01 – 2026-01-31; Exported (UTC): (not recorded); Filter: (none); Format: csv",
            ),
            (
                ActionDetails::Export {
                    from_date: s("2026-01-01"),
                    to_date: s("2026-01-31"),
                    from: s("a"),
                    to: s("b"),
                    filter: s("user:x"),
                    format: s("xlsx"),
                },
                "Period: 2026-01-01 – 2026-01-31; Exported (UTC): a – b; Filter: user:x; Format: xlsx",
            ),
            (
                ActionDetails::PasswordReset {
                    user_principal_name: s("ann@contoso.example"),
                },
                "User: ann@contoso.example",
            ),
        ];
        for (details, summary) in cases {
            assert_eq!(details.summary(), summary);
            let mut after = s("before ");
            details.write_summary(&mut after);
            assert_eq!(after, format!("before {summary}"));
        }
        let order = ActionDetails::Order {
            order_id: s("ORD-1"),
            lines: Vec::new(),
        };
        assert_eq!(order.fields(), [("Order ID", s("ORD-1")), ("Products", s("0"))]);
    }

    #[test]
    fn every_kind_knows_its_place_in_all() {
        for (position, kind) in ActionKind::ALL.iter().enumerate() {
            assert_eq!(kind.index(), position);
        }
    }
}
