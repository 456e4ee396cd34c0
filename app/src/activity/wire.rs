//! Everything of the activity log that crosses the network outside a server function's
//! arguments, one type per message, serialized and read by the same type on both sides:
//! - [`EventPage`]: a page of a period's events (`list_activity`'s answer, in binary; and the
//!   data of each live message, in JSON), customers and users sent once;
//! - [`ExportForm`]: the Export log form (posted natively before hydration, by `fetch` after);
//! - [`LiveQuery`] and [`LiveMessage`]: the live log's stream, asked for and as it arrives.
//!
//! The browser writes a request's fields from its type ([`form_fields`]) and the server reads
//! them back into the same type (axum's `Form` and `Query`), so a renamed field is renamed on
//! both sides at once; `the_wire_names_are_pinned` holds the names other clients rely on.

use std::collections::HashMap;

use bytes::Bytes;
use chrono::DateTime;
use leptos::server_fn::{ContentType, Decodes, Encodes, Format, FormatType};
use serde::{Deserialize, Serialize};

use crate::events::{ActionDetails, ActionKind, ActivityEntry, CustomerRef};
use crate::ids::{CustomerId, EventId};

/// One page of a period's events as the server sends it: customers and users once, rows as
/// short arrays that point at them. Several times smaller than a list of [`ActivityEntry`].
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, bitcode::Encode, bitcode::Decode)]
pub struct EventPage {
    /// Pass as `after` for the next page; `None` on the last page. Also first in the bytes,
    /// so the browser can read it and ask for the next page before decoding this one
    /// ([`EncodedPage::next_cursor`]).
    pub next: Option<String>,
    pub customers: Vec<CustomerRef>,
    pub users: Vec<String>,
    pub rows: Vec<CompactEvent>,
    /// The partner's chain position when the page was read: every event stored after it is
    /// the live log's to bring (`activity::live`), so nothing falls between the two.
    #[serde(default)]
    pub head: i64,
}

/// (id, event id, occurred at in Unix seconds, index into `customers`, index into `users`,
/// action, action text unless it is the action's label, details).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, bitcode::Encode, bitcode::Decode)]
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

/// Builds an [`EventPage`] row by row, numbering its customers and users in the order they
/// first appear, each kept once (`EventPage::pack`, and the server's page read straight from
/// its rows).
#[derive(Debug, Default)]
pub struct PageBuilder {
    pub page: EventPage,
    customers: HashMap<CustomerId, u32>,
    users: HashMap<String, u32>,
}

impl PageBuilder {
    pub fn with_capacity(rows: usize) -> PageBuilder {
        let mut builder = PageBuilder::default();
        builder.page.rows.reserve(rows);
        builder
    }

    /// The page's numbers of a row's customer (id and name) and user, each added to the
    /// page's lists when first seen.
    pub fn number(&mut self, customer: Option<(CustomerId, &str)>, user: &str) -> (Option<u32>, u32) {
        let page = &mut self.page;
        let customer = customer.map(|(id, company_name)| {
            *self.customers.entry(id).or_insert_with(|| {
                page.customers.push(CustomerRef {
                    id,
                    company_name: company_name.to_string(),
                });
                page.customers.len() as u32 - 1
            })
        });
        let user = match self.users.get(user) {
            Some(number) => *number,
            None => {
                page.users.push(user.to_string());
                let number = page.users.len() as u32 - 1;
                self.users.insert(user.to_string(), number);
                number
            }
        };
        (customer, user)
    }
}

impl EventPage {
    /// Packs entries (in order) into a page.
    pub fn pack(entries: Vec<ActivityEntry>, next: Option<String>) -> EventPage {
        let mut builder = PageBuilder::with_capacity(entries.len());
        for entry in entries {
            let customer = entry
                .customer
                .as_ref()
                .map(|customer| (customer.id, customer.company_name.as_str()));
            let (customer, user) = builder.number(customer, &entry.partner_user);
            let text = (entry.action_text != entry.action.label()).then_some(entry.action_text);
            builder.page.rows.push(CompactEvent(
                entry.id,
                entry.event_id,
                entry.occurred_at.timestamp(),
                customer,
                user,
                entry.action,
                text,
                entry.details,
            ));
        }
        EventPage { next, ..builder.page }
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

/// An [`EventPage`] as the bytes `list_activity` sends the log page: its `next` cursor as a
/// line of text, then the page in `bitcode`'s binary. Bitcode lays a list of rows out field
/// by field, so a page is about a third the size of its JSON before compression and takes a
/// fraction of the time to encode and decode (no text to parse, numbers as bits).
///
/// The server keeps the bytes of the pages it sent (`state::page_cache`) and sends them
/// again while their period is unchanged, instead of reading and encoding thousands of rows
/// again for every viewer. A client that does not ask for [`PAGE_CONTENT_TYPE`] (a script,
/// a test) gets the same page as JSON ([`EncodedPage::encode_json`]), as the live stream
/// sends it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EncodedPage(pub Bytes);

/// The media type of [`EncodedPage`]'s binary, asked for in `Accept` by the log page.
pub const PAGE_CONTENT_TYPE: &str = "application/x-activity-page";

impl EncodedPage {
    /// The binary. A cursor is never more than one line (`PageCursor::to_text`).
    pub fn encode(page: &EventPage) -> EncodedPage {
        let next = page.next.as_deref().unwrap_or_default();
        debug_assert!(!next.contains('\n'));
        let body = bitcode::encode(page);
        let mut bytes = Vec::with_capacity(next.len() + 1 + body.len());
        bytes.extend_from_slice(next.as_bytes());
        bytes.push(b'\n');
        bytes.extend_from_slice(&body);
        EncodedPage(bytes.into())
    }

    /// Reads what `encode` wrote; `None` if `bytes` are not such a page.
    pub fn decode(bytes: &[u8]) -> Option<EventPage> {
        let line_end = memchr::memchr(b'\n', bytes)?;
        bitcode::decode(&bytes[line_end + 1..]).ok()
    }

    /// The page's `next` cursor, read from the first line without decoding the rows after
    /// it; `None` if the bytes do not start as `encode` starts them.
    pub fn next_cursor(bytes: &[u8]) -> Option<Option<String>> {
        let line_end = memchr::memchr(b'\n', bytes)?;
        let next = std::str::from_utf8(&bytes[..line_end]).ok()?;
        Some((!next.is_empty()).then(|| next.to_string()))
    }

    /// The page as JSON (the live stream's pages, and `list_activity`'s answer to a client
    /// that does not ask for the binary).
    pub fn encode_json(page: &EventPage) -> Result<Vec<u8>, serde_json::Error> {
        serde_json::to_vec(page)
    }

    /// Reads what `encode_json` wrote.
    pub fn decode_json(bytes: &[u8]) -> Result<EventPage, serde_json::Error> {
        serde_json::from_slice(bytes)
    }
}

/// The server-function codec of [`EncodedPage`]: its bytes go out and come in as they are.
/// (The server sends JSON instead to a client that does not ask for the binary; it says so
/// in the answer's `Content-Type`.)
pub struct EncodedPageCodec;

impl ContentType for EncodedPageCodec {
    const CONTENT_TYPE: &'static str = PAGE_CONTENT_TYPE;
}

impl FormatType for EncodedPageCodec {
    const FORMAT_TYPE: Format = Format::Binary;
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

/// The Export log form: the same period and filter the page shows (the UTC instants it
/// loaded, the local days that name the file, the filter text) with the sort, columns,
/// language, format and zone of the view. Values are text as a form posts them; the server
/// checks each (`server::export::request`) and names what is wrong.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ExportForm {
    /// RFC 3339 instants, `from` included, `to` excluded.
    pub from: String,
    pub to: String,
    /// The local days (`YYYY-MM-DD`) the file is named for.
    pub from_date: String,
    pub to_date: String,
    #[serde(default)]
    pub filter: String,
    /// As in the page's URL, e.g. `-time` or `customer`; empty for newest first.
    #[serde(default)]
    pub sort: String,
    /// Comma-separated column keys; empty for the default four.
    #[serde(default)]
    pub columns: String,
    /// `en`, `ko` or `ja`, for the CSV header; empty for English.
    #[serde(default)]
    pub lang: String,
    /// [`ExportFormat::name`]; empty for CSV.
    #[serde(default)]
    pub format: String,
    /// The viewer's time zone by IANA name (`Asia/Seoul`), for the Excel file's times; empty
    /// for UTC. CSV and JSON lines are always in UTC.
    #[serde(default)]
    pub zone: String,
    /// `true` (or a checkbox's `on`): each JSON line carries its event's inclusion proof,
    /// after a first line naming the signed checkpoint they lead to. JSON lines only.
    #[serde(default)]
    pub proofs: String,
}

impl ExportForm {
    /// The fields the page's own inputs post (the format's select, the filter that follows
    /// typing), named as serde names them (the test below holds them to it).
    pub const FORMAT_FIELD: &'static str = "format";
    pub const FILTER_FIELD: &'static str = "filter";
    pub const PROOFS_FIELD: &'static str = "proofs";
}

/// The file types the export writes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ExportFormat {
    #[default]
    Csv,
    Ndjson,
    Xlsx,
}

impl ExportFormat {
    pub const ALL: [ExportFormat; 3] = [ExportFormat::Csv, ExportFormat::Xlsx, ExportFormat::Ndjson];

    pub fn parse(text: &str) -> Option<ExportFormat> {
        match text {
            "" => Some(ExportFormat::Csv),
            text => ExportFormat::ALL.into_iter().find(|format| format.name() == text),
        }
    }

    /// As the form sends it, and the file's extension.
    pub fn name(self) -> &'static str {
        match self {
            ExportFormat::Csv => "csv",
            ExportFormat::Ndjson => "ndjson",
            ExportFormat::Xlsx => "xlsx",
        }
    }
}

/// What the live log's stream is asked for: the period the page shows (RFC 3339 instants)
/// and the chain position its first page was read at.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LiveQuery {
    pub from: String,
    pub to: String,
    pub after: i64,
}

/// The live stream's messages, by their server-sent event name. Each carries its chain
/// position as the event's `id` (a reconnecting browser sends it back as `Last-Event-ID`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LiveMessage {
    /// Sent at once: the stream is open (data `{}`).
    Ready,
    /// Events stored since the last message whose time is in the period.
    Events(EventPage),
}

impl LiveMessage {
    pub const READY: &'static str = "ready";
    pub const EVENTS: &'static str = "events";

    pub fn name(&self) -> &'static str {
        match self {
            LiveMessage::Ready => LiveMessage::READY,
            LiveMessage::Events(_) => LiveMessage::EVENTS,
        }
    }

    /// The message's data line.
    pub fn data(&self) -> Result<String, serde_json::Error> {
        match self {
            LiveMessage::Ready => Ok("{}".to_string()),
            LiveMessage::Events(page) => serde_json::to_string(page),
        }
    }
}

/// A flat request's fields as a form or query string holds them, named as serde names them:
/// what the browser posts (and the page's hidden inputs hold) for a type the server reads
/// back with `Form` or `Query`. Written by serde_qs, which the server functions' own calls
/// already put in the wasm (serde_json would add a tenth to it), then read back into pairs.
pub fn form_fields<T: Serialize>(request: &T) -> Vec<(String, String)> {
    let decode = |text: &str| {
        let text = text.replace('+', " ");
        percent_encoding::percent_decode_str(&text)
            .decode_utf8_lossy()
            .into_owned()
    };
    serde_qs::to_string(request)
        .unwrap_or_default()
        .split('&')
        .filter_map(|pair| pair.split_once('='))
        .map(|(name, value)| (decode(name), decode(value)))
        .collect()
}

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
        let encoded = EncodedPage::encode(&page);
        let json = EncodedPage::encode_json(&page).unwrap();
        let long = serde_json::to_string(&entries).unwrap();
        assert!(json.len() < long.len(), "{} < {}", json.len(), long.len());
        assert!(
            encoded.0.len() < json.len() / 2,
            "the binary, {} B, is well under the JSON, {} B",
            encoded.0.len(),
            json.len()
        );
        assert_eq!(EncodedPage::decode(&encoded.0).unwrap(), page);
        assert_eq!(EncodedPage::decode_json(&json).unwrap(), page);
    }

    #[test]
    fn a_page_that_is_not_whole_is_not_read() {
        let page = EventPage::pack(vec![sample_order("Adatum")], Some("1764115200:42".into()));
        let encoded = EncodedPage::encode(&page).0;
        for cut in [1, encoded.len() / 2, encoded.len() - 1] {
            assert_eq!(EncodedPage::decode(&encoded[..cut]), None, "cut at {cut}");
        }
        assert_eq!(EncodedPage::decode(b"\nnot bitcode"), None);
    }

    #[test]
    fn the_next_cursor_is_read_from_the_start_of_a_page() {
        for next in [
            Some("1764115200:42".to_string()),
            Some("quote \" and ✓".into()),
            None,
        ] {
            let page = EventPage::pack(vec![sample_order("Adatum")], next.clone());
            let encoded = EncodedPage::encode(&page);
            assert_eq!(EncodedPage::next_cursor(&encoded.0), Some(next));
        }
        assert_eq!(EncodedPage::next_cursor(br#"{"rows":[],"next":null}"#), None);
        assert_eq!(EncodedPage::next_cursor(b"not a page"), None);
    }

    /// Other clients (a bookmarked form, scripts, the HTTP tests) post these names: a rename
    /// on either side fails here, and the server reads back exactly what the page writes.
    #[test]
    fn the_wire_names_are_pinned() {
        let form = ExportForm {
            from: "2026-10-24T15:00:00Z".into(),
            to: "2026-11-25T15:00:00Z".into(),
            from_date: "2026-10-25".into(),
            to_date: "2026-11-25".into(),
            filter: "action:ordered customer:\"한빛 & co\" a=b".into(),
            sort: "-customer".into(),
            columns: "time,customer".into(),
            lang: "ko".into(),
            format: "xlsx".into(),
            zone: "Asia/Seoul".into(),
            proofs: "true".into(),
        };
        let fields = form_fields(&form);
        let mut names: Vec<&str> = fields.iter().map(|(name, _)| name.as_str()).collect();
        names.sort();
        assert_eq!(
            names,
            [
                "columns",
                "filter",
                "format",
                "from",
                "from_date",
                "lang",
                "proofs",
                "sort",
                "to",
                "to_date",
                "zone"
            ]
        );
        for name in [
            ExportForm::FORMAT_FIELD,
            ExportForm::FILTER_FIELD,
            ExportForm::PROOFS_FIELD,
        ] {
            assert!(names.contains(&name), "{name}");
        }
        let posted = serde_urlencoded::to_string(&fields).unwrap();
        assert_eq!(serde_urlencoded::from_str::<ExportForm>(&posted).unwrap(), form);

        let live = LiveQuery {
            from: form.from.clone(),
            to: form.to.clone(),
            after: 1042,
        };
        let asked = serde_urlencoded::to_string(form_fields(&live)).unwrap();
        assert_eq!(
            asked,
            "from=2026-10-24T15%3A00%3A00Z&to=2026-11-25T15%3A00%3A00Z&after=1042"
        );
        assert_eq!(serde_urlencoded::from_str::<LiveQuery>(&asked).unwrap(), live);
        assert_eq!((LiveMessage::READY, LiveMessage::EVENTS), ("ready", "events"));
        for format in ExportFormat::ALL {
            assert_eq!(ExportFormat::parse(format.name()), Some(format));
        }
        assert_eq!(ExportFormat::parse(""), Some(ExportFormat::Csv));
    }
}
