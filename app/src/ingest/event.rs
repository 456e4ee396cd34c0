//! The event shape senders use, and the checks that turn it into a [`NewEvent`]: every
//! problem names its field and says why, e.g. `events[3].customer_id: …`.

use std::collections::{HashMap, HashSet};

use crate::db::Db;
use chrono::{DateTime, Duration, TimeZone, Timelike, Utc};
use serde::{Deserialize, Serialize};

use crate::events::{ActionDetails, ActionKind, NewEvent};
use crate::ids::{CustomerId, Email, PartnerId, UserId};
use crate::partners;

/// One event as a sending system writes it (JSON, or one NDJSON line).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct IncomingEvent {
    /// The sender's own id for this event: sending it again does not store it twice.
    pub id: String,
    /// When it happened, RFC 3339 (e.g. `2026-11-20T09:15:00Z`); kept to the second.
    pub occurred_at: String,
    /// The affected customer's id, as on its Subscriptions page; absent when none.
    #[serde(default)]
    pub customer_id: Option<CustomerId>,
    /// The partner user who acted, by sign-in email.
    pub partner_user: String,
    /// An action kind, e.g. `ordered_subscriptions`.
    pub action: String,
    /// The words for the Action column; the action's usual label when absent.
    #[serde(default)]
    pub action_text: Option<String>,
    /// What the action changed; its `type` must fit the action (see the README).
    pub details: serde_json::Value,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct IncomingBatch {
    pub events: Vec<IncomingEvent>,
}

/// A refused field: where (`id`, `customer_id`, … under the caller's prefix) and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldProblem {
    pub field: &'static str,
    pub message: String,
}

const MAX_ID_CHARS: usize = 128;
const MAX_ACTION_TEXT_CHARS: usize = 200;
const MAX_DETAILS_BYTES: usize = 16 * 1024;
/// Clocks differ: an event may claim to be this far in the future.
const ALLOWED_CLOCK_SKEW_MINUTES: i64 = 5;

/// The partner's customers and users, loaded once for a batch or an import.
pub struct PartnerDirectory {
    partner_id: PartnerId,
    customers: HashSet<CustomerId>,
    users_by_email: HashMap<Email, UserId>,
}

impl PartnerDirectory {
    pub async fn load(pool: &Db, partner_id: PartnerId) -> Result<PartnerDirectory, sqlx::Error> {
        let customers = partners::customer_ids(pool, partner_id).await?;
        let users = partners::users(pool, partner_id).await?;
        Ok(PartnerDirectory {
            partner_id,
            customers: customers.into_iter().collect(),
            users_by_email: users.into_iter().map(|user| (user.email, user.id)).collect(),
        })
    }

    pub fn partner_id(&self) -> PartnerId {
        self.partner_id
    }

    /// Checks one event against the partner's customers and users and the format rules.
    pub fn resolve(&self, event: &IncomingEvent, now: DateTime<Utc>) -> Result<NewEvent, FieldProblem> {
        let problem = |field, message: String| FieldProblem { field, message };
        let id = event.id.trim();
        if id.is_empty()
            || id.chars().count() > MAX_ID_CHARS
            || id.chars().any(char::is_control)
            || id != event.id
        {
            return Err(problem(
                "id",
                format!("must be 1 to {MAX_ID_CHARS} characters, on one line, without surrounding spaces"),
            ));
        }
        let occurred_at = parse_time(&event.occurred_at).ok_or_else(|| {
            problem(
                "occurred_at",
                format!(
                    "{:?} is not an RFC 3339 time such as 2026-11-20T09:15:00Z",
                    truncate(&event.occurred_at)
                ),
            )
        })?;
        let earliest = Utc
            .with_ymd_and_hms(2000, 1, 1, 0, 0, 0)
            .single()
            .unwrap_or_default();
        if occurred_at < earliest || occurred_at > now + Duration::minutes(ALLOWED_CLOCK_SKEW_MINUTES) {
            return Err(problem(
                "occurred_at",
                format!(
                    "{} is outside the accepted range (from 2000-01-01 to {ALLOWED_CLOCK_SKEW_MINUTES} minutes from now)",
                    event.occurred_at
                ),
            ));
        }
        if let Some(customer_id) = event.customer_id
            && !self.customers.contains(&customer_id)
        {
            return Err(problem(
                "customer_id",
                format!("no customer with id {customer_id} belongs to your organisation"),
            ));
        }
        let user = Email::parse(&event.partner_user).and_then(|email| self.users_by_email.get(&email));
        let partner_user_id = *user.ok_or_else(|| {
            problem(
                "partner_user",
                format!(
                    "no partner user with email {:?} belongs to your organisation",
                    truncate(&event.partner_user)
                ),
            )
        })?;
        let action = ActionKind::parse(&event.action).ok_or_else(|| {
            let known: Vec<&str> = ActionKind::ALL.iter().map(|kind| kind.as_str()).collect();
            problem(
                "action",
                format!(
                    "unknown action {:?}; expected one of {}",
                    truncate(&event.action),
                    known.join(", ")
                ),
            )
        })?;
        let action_text = match &event.action_text {
            None => action.label().to_string(),
            Some(text) if text.trim().is_empty() => action.label().to_string(),
            Some(text)
                if text.chars().count() > MAX_ACTION_TEXT_CHARS || text.chars().any(char::is_control) =>
            {
                return Err(problem(
                    "action_text",
                    format!("must be at most {MAX_ACTION_TEXT_CHARS} characters, on one line"),
                ));
            }
            Some(text) => text.trim().to_string(),
        };
        if event.details.to_string().len() > MAX_DETAILS_BYTES {
            return Err(problem(
                "details",
                format!("is larger than {} KiB", MAX_DETAILS_BYTES / 1024),
            ));
        }
        let details: ActionDetails = serde_json::from_value(event.details.clone())
            .map_err(|error| problem("details", format!("does not describe an action: {error}")))?;
        if details.kind() != action {
            return Err(problem(
                "details",
                format!(
                    "details of this type describe {}, not {}",
                    details.kind().as_str(),
                    action.as_str()
                ),
            ));
        }
        Ok(NewEvent {
            external_id: event.id.clone(),
            occurred_at,
            customer_id: event.customer_id,
            partner_user_id,
            action,
            action_text,
            details,
        })
    }
}

fn parse_time(text: &str) -> Option<DateTime<Utc>> {
    let time = DateTime::parse_from_rfc3339(text.trim())
        .ok()?
        .with_timezone(&Utc);
    // Stored to the second, like every other time in the log.
    time.with_nanosecond(0)
}

/// Echoes at most 80 characters of a bad value back.
fn truncate(value: &str) -> String {
    value.chars().take(80).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn directory() -> PartnerDirectory {
        PartnerDirectory {
            partner_id: PartnerId(1),
            customers: [CustomerId(7)].into_iter().collect(),
            users_by_email: [(Email::parse("sales.agent@contoso.example").unwrap(), UserId(5))]
                .into_iter()
                .collect(),
        }
    }

    fn event() -> IncomingEvent {
        serde_json::from_str(
            r#"{"id":"crm-1","occurred_at":"2026-11-20T09:15:00.250+09:00","customer_id":7,
                "partner_user":"Sales.Agent@contoso.example","action":"created_customer",
                "details":{"type":"new_customer","domain":"adatum.example"}}"#,
        )
        .unwrap()
    }

    fn now() -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 11, 25, 0, 0, 0).unwrap()
    }

    #[test]
    fn a_good_event_resolves_to_ids_and_utc_seconds() {
        let resolved = directory().resolve(&event(), now()).unwrap();
        assert_eq!(resolved.partner_user_id, UserId(5));
        assert_eq!(resolved.customer_id, Some(CustomerId(7)));
        assert_eq!(
            resolved.occurred_at,
            Utc.with_ymd_and_hms(2026, 11, 20, 0, 15, 0).unwrap()
        );
        assert_eq!(resolved.action_text, "Created customer");
    }

    #[test]
    fn each_bad_field_is_named_with_the_reason() {
        /// An edit that spoils an event, the field it names, and words of the reason.
        type Case = (fn(&mut IncomingEvent), &'static str, &'static str);
        let cases: [Case; 9] = [
            (|e| e.id = String::new(), "id", "1 to 128"),
            (|e| e.id = " x".into(), "id", "surrounding spaces"),
            (
                |e| e.occurred_at = "yesterday".into(),
                "occurred_at",
                "not an RFC 3339",
            ),
            (
                |e| e.occurred_at = "2027-01-01T00:00:00Z".into(),
                "occurred_at",
                "outside",
            ),
            (
                |e| e.customer_id = Some(CustomerId(13)),
                "customer_id",
                "no customer with id 13",
            ),
            (
                |e| e.partner_user = "ghost@contoso.example".into(),
                "partner_user",
                "no partner user",
            ),
            (
                |e| e.action = "deleted_everything".into(),
                "action",
                "unknown action",
            ),
            (
                |e| e.action = "assigned_license".into(),
                "details",
                "describe created_customer",
            ),
            (
                |e| e.details = serde_json::json!({"type": "order"}),
                "details",
                "missing field",
            ),
        ];
        for (edit, field, words) in cases {
            let mut bad = event();
            edit(&mut bad);
            let problem = directory().resolve(&bad, now()).unwrap_err();
            assert_eq!(problem.field, field, "{problem:?}");
            assert!(problem.message.contains(words), "{problem:?}");
        }
    }

    #[test]
    fn unknown_fields_are_refused_by_name() {
        let error = serde_json::from_str::<IncomingEvent>(
            r#"{"id":"x","occurred_at":"2026-11-20T09:15:00Z","partner_user":"a","action":"b","details":{},"partner_id":2}"#,
        )
        .unwrap_err();
        assert!(
            error.to_string().contains("unknown field `partner_id`"),
            "{error}"
        );
    }
}
