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
}

/// What creating a token answers, once: the only time the secret leaves the server.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CreatedApiToken {
    pub token: ApiTokenSummary,
    pub secret: String,
}

pub const MAX_TOKEN_NAME_CHARS: usize = 80;
