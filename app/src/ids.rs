//! The ids that must not be mixed up: a partner's id passed where a user's is expected is a
//! compile error, not a query that quietly finds nothing (or someone else's rows). Each is
//! the database's integer, the same on the wire (`serde(transparent)`) and in SQL
//! (`sqlx(transparent)`). A user's [`Email`] is their name at sign-in and in events: it is
//! normalised once, where it enters, so two spellings of one address never compare unequal.

use serde::{Deserialize, Serialize};

macro_rules! id_type {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        #[derive(bitcode::Encode, bitcode::Decode)]
        #[serde(transparent)]
        #[cfg_attr(feature = "ssr", derive(sqlx::Type), sqlx(transparent))]
        pub struct $name(pub i64);

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                self.0.fmt(f)
            }
        }
    };
}

id_type!(
    /// A partner organisation (`partners.id`): what every query is scoped to.
    PartnerId
);
id_type!(
    /// A partner's user (`partner_users.id`).
    UserId
);
id_type!(
    /// A partner's customer (`customers.id`).
    CustomerId
);
id_type!(
    /// An event's row in this database (`activity_events.id`); the sender's own id for it is
    /// the text `event_id` / `external_id`.
    EventId
);

/// A partner user's email as the app compares it: trimmed, lowercase, at most
/// [`Email::MAX_CHARS`] characters. Its shape is not checked: an address no user has simply
/// matches no one (and sign-in then answers as for a wrong password). Parsed where an email
/// enters (sign-in, ingest); on the wire and in SQL it is the string as stored, so the page
/// reads a viewer's email without carrying Unicode case tables in its wasm.
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
#[cfg_attr(feature = "ssr", derive(sqlx::Type), sqlx(transparent))]
pub struct Email(String);

impl Email {
    /// RFC 5321's longest path.
    pub const MAX_CHARS: usize = 254;

    /// `None` for an empty or too long address.
    pub fn parse(text: &str) -> Option<Email> {
        let email = text.trim().to_lowercase();
        (!email.is_empty() && email.chars().count() <= Email::MAX_CHARS).then_some(Email(email))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// As a string's: quoted and escaped, so logging an email with `?` can't forge a line.
impl std::fmt::Debug for Email {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        std::fmt::Debug::fmt(&self.0, f)
    }
}

impl std::fmt::Display for Email {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_plain_numbers_on_the_wire() {
        assert_eq!(serde_json::to_string(&PartnerId(7)).unwrap(), "7");
        assert_eq!(serde_json::from_str::<CustomerId>("42").unwrap(), CustomerId(42));
        assert_eq!(EventId(5).to_string(), "5");
    }

    #[test]
    fn emails_compare_as_one_spelling() {
        let email = Email::parse("  Sales.Agent@Contoso.Example ").unwrap();
        assert_eq!(email.as_str(), "sales.agent@contoso.example");
        assert_eq!(Email::parse("sales.agent@contoso.example"), Some(email.clone()));
        assert_eq!(Email::parse(" "), None);
        assert_eq!(Email::parse(&"a".repeat(Email::MAX_CHARS + 1)), None);
        assert_eq!(
            serde_json::to_string(&email).unwrap(),
            "\"sales.agent@contoso.example\""
        );
        assert_eq!(serde_json::from_str::<Email>("\"a@b\"").unwrap().as_str(), "a@b");
    }
}
