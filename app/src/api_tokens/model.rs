use serde::{Deserialize, Serialize};

/// A token as the list shows it. Holds no secret: only the first characters.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(sqlx::FromRow))]
pub struct ApiTokenSummary {
    pub id: i64,
    pub name: String,
    /// The token's first characters, enough to tell tokens apart.
    pub prefix: String,
    pub created_at: String,
    pub created_by: String,
    pub last_used_at: Option<String>,
    pub revoked_at: Option<String>,
    /// What the token may do, as stored: scope names separated by spaces.
    pub scopes: String,
}

/// What creating a token answers, once: the only time the secret leaves the server.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CreatedApiToken {
    pub token: ApiTokenSummary,
    pub secret: String,
}

pub const MAX_TOKEN_NAME_CHARS: usize = 80;

/// What a token may do. Chosen when it is made; a token does nothing else.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum TokenScope {
    /// Send events: `POST /api/v1/events`.
    WriteEvents,
    /// Read the partner's events: `GET /api/v1/events`.
    ReadEvents,
}

impl TokenScope {
    pub const ALL: [TokenScope; 2] = [TokenScope::WriteEvents, TokenScope::ReadEvents];

    /// The name stored, shown and documented.
    pub fn as_str(self) -> &'static str {
        match self {
            TokenScope::WriteEvents => "events:write",
            TokenScope::ReadEvents => "events:read",
        }
    }

    pub fn parse(name: &str) -> Option<TokenScope> {
        TokenScope::ALL.into_iter().find(|scope| scope.as_str() == name)
    }

    /// The scopes in a stored list (unknown names are ignored: they grant nothing).
    pub fn all_in(stored: &str) -> Vec<TokenScope> {
        stored.split_whitespace().filter_map(TokenScope::parse).collect()
    }
}
