//! The ids that must not be mixed up: a partner's id passed where a user's is expected is a
//! compile error, not a query that quietly finds nothing (or someone else's rows). Each is
//! the database's integer, the same on the wire (`serde(transparent)`) and in SQL
//! (`sqlx(transparent)`).

use serde::{Deserialize, Serialize};

macro_rules! id_type {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_plain_numbers_on_the_wire() {
        assert_eq!(serde_json::to_string(&PartnerId(7)).unwrap(), "7");
        assert_eq!(serde_json::from_str::<CustomerId>("42").unwrap(), CustomerId(42));
        assert_eq!(EventId(5).to_string(), "5");
    }
}
