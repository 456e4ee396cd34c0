//! What the Log streaming page and the server say to each other: a destination's settings
//! and how its delivery stands. Never a secret, except the one answer that creates or rotates
//! it (shown once, as API tokens are).

use serde::{Deserialize, Serialize};

/// Where a destination sends the log.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DestinationKind {
    /// HTTPS POST of a JSON batch of events, signed per Standard Webhooks.
    Webhook,
    /// HTTPS POST of `{"text": …}`, a short line per event (Slack-compatible incoming webhooks).
    Chat,
    /// RFC 5424 messages over TLS (RFC 5425), octet-counted (RFC 6587).
    Syslog,
}

impl DestinationKind {
    pub const ALL: [DestinationKind; 3] = [
        DestinationKind::Webhook,
        DestinationKind::Chat,
        DestinationKind::Syslog,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            DestinationKind::Webhook => "webhook",
            DestinationKind::Chat => "chat",
            DestinationKind::Syslog => "syslog",
        }
    }

    pub fn parse(text: &str) -> Option<DestinationKind> {
        DestinationKind::ALL
            .into_iter()
            .find(|kind| kind.as_str() == text)
    }

    /// Webhooks and chat messages are signed; syslog is not (TLS carries it).
    pub fn is_signed(self) -> bool {
        self != DestinationKind::Syslog
    }
}

/// Longest destination name, in characters.
pub const MAX_NAME_CHARS: usize = 100;
/// Destinations one partner may have.
pub const MAX_DESTINATIONS: usize = 20;

/// A destination as its partner's Global admins see it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DestinationStatus {
    pub id: i64,
    pub name: String,
    pub kind: DestinationKind,
    /// The URL (webhook, chat) or host:port (syslog).
    pub target: String,
    pub filter: String,
    pub enabled: bool,
    /// Why it stopped itself (a day of failures); `None` while it runs or is turned off.
    pub paused_reason: Option<String>,
    /// The last chain position its receiver acknowledged, and when (RFC 3339).
    pub delivered_position: i64,
    pub delivered_at: Option<String>,
    /// Events stored after `delivered_position` (matching the filter or not), and how long
    /// the oldest of them has waited.
    pub lag_events: i64,
    pub lag_seconds: Option<i64>,
    pub last_error: Option<String>,
    pub last_error_at: Option<String>,
    pub failures_in_row: i64,
    /// Whether it trusts a CA of its own besides the web's.
    pub has_ca: bool,
}

/// The answer to creating a destination or rotating its secret: the secret, shown once.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DestinationSecret {
    pub destination: DestinationStatus,
    pub secret: Option<String>,
}
