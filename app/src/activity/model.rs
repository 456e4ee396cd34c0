//! The month view's wire format: a page of a period's events, customers and users sent once.

use bytes::Bytes;
use chrono::DateTime;
use leptos::server_fn::{ContentType, Decodes, Encodes, Format, FormatType};
use serde::{Deserialize, Serialize};

use crate::events::{ActionDetails, ActionKind, ActivityEntry, CustomerRef};
use crate::ids::{CustomerId, EventId};

/// One page of a period's events as the server sends it: customers and users once, rows as
/// short arrays that point at them. Several times smaller than a list of [`ActivityEntry`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EventPage {
    pub customers: Vec<CustomerRef>,
    pub users: Vec<String>,
    pub rows: Vec<CompactEvent>,
    /// Pass as `after` for the next page; `None` on the last page.
    pub next: Option<String>,
    /// The partner's chain position when the page was read: every event stored after it is
    /// the live log's to bring (`activity::live`), so nothing falls between the two.
    #[serde(default)]
    pub head: i64,
}

/// (id, event id, occurred at in Unix seconds, index into `customers`, index into `users`,
/// action, action text unless it is the action's label, details).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CompactEvent(
    pub EventId,
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
        let mut customer_index: HashMap<CustomerId, u32> = HashMap::new();
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
            head: 0,
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

/// An [`EventPage`] as the bytes `list_activity` sends (JSON). The server keeps the bytes
/// of the pages it sent (`state::page_cache`) and sends them again while their period is
/// unchanged, instead of reading and encoding thousands of rows again for every viewer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EncodedPage(pub Bytes);

impl EncodedPage {
    pub fn encode(page: &EventPage) -> Result<EncodedPage, serde_json::Error> {
        serde_json::to_vec(page).map(|bytes| EncodedPage(bytes.into()))
    }

    /// Reads what `encode` wrote (also the live stream's pages, the same JSON).
    pub fn decode(bytes: &[u8]) -> Result<EventPage, serde_json::Error> {
        serde_json::from_slice(bytes)
    }
}

/// The server-function codec of [`EncodedPage`]: its bytes go out and come in as they are.
pub struct EncodedPageCodec;

impl ContentType for EncodedPageCodec {
    const CONTENT_TYPE: &'static str = "application/json";
}

impl FormatType for EncodedPageCodec {
    const FORMAT_TYPE: Format = Format::Text;
}

impl Encodes<EncodedPage> for EncodedPageCodec {
    type Error = std::convert::Infallible;

    fn encode(page: &EncodedPage) -> Result<Bytes, Self::Error> {
        Ok(page.0.clone())
    }
}

impl Decodes<EncodedPage> for EncodedPageCodec {
    type Error = std::convert::Infallible;

    fn decode(bytes: Bytes) -> Result<EncodedPage, Self::Error> {
        Ok(EncodedPage(bytes))
    }
}

/// An order of two products for `company_name`, for tests of code that reads entries.
#[cfg(test)]
mod tests {
    use super::*;
    use crate::events::sample_order;

    #[test]
    fn a_page_unpacks_into_the_entries_it_was_packed_from() {
        let mut other = sample_order("Adatum");
        other.id = EventId(43);
        other.event_id = "crm-000043".into();
        other.action_text = "Placed an order by phone".into();
        other.partner_user = "admin.agent@contoso.example".into();
        let mut no_customer = sample_order("Adatum");
        no_customer.id = EventId(44);
        no_customer.customer = None;
        let entries = vec![sample_order("Adatum"), other, no_customer];
        let page = EventPage::pack(entries.clone(), Some("next".into()));
        assert_eq!(page.customers.len(), 1, "each customer once");
        assert_eq!(page.users.len(), 2, "each user once");
        assert_eq!(page.rows[0].6, None, "the usual label is not repeated");
        assert_eq!(page.clone().unpack(), entries);
        let encoded = EncodedPage::encode(&page).unwrap();
        let long = serde_json::to_string(&entries).unwrap();
        assert!(
            encoded.0.len() < long.len(),
            "{} < {}",
            encoded.0.len(),
            long.len()
        );
        assert_eq!(EncodedPage::decode(&encoded.0).unwrap(), page);
    }
}
