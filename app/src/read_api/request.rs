//! What a read asks for: the query parameters, checked, and the opaque cursor.

use axum::extract::Query;
use axum::http::Uri;
use chrono::{DateTime, Utc};
use serde::Deserialize;

use super::{DEFAULT_LIMIT, MAX_LIMIT};
use crate::activity::filter::Filter;
use crate::errors::AppError;
use crate::i18n::Locale;

/// Where a read resumes: after chain position `position`, in one order. Written as `o123`
/// (oldest first) or `n123` (newest first); consumers keep it as an opaque string.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Cursor {
    pub oldest_first: bool,
    pub position: i64,
}

impl Cursor {
    pub fn parse(text: &str) -> Option<Cursor> {
        let oldest_first = match text.as_bytes().first()? {
            b'o' => true,
            b'n' => false,
            _ => return None,
        };
        let digits = &text[1..];
        if digits.is_empty() || !digits.bytes().all(|byte| byte.is_ascii_digit()) {
            return None;
        }
        Some(Cursor {
            oldest_first,
            position: digits.parse().ok()?,
        })
    }

    pub fn to_text(self) -> String {
        format!("{}{}", if self.oldest_first { 'o' } else { 'n' }, self.position)
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Params {
    after: Option<String>,
    limit: Option<String>,
    order: Option<String>,
    q: Option<String>,
    from: Option<String>,
    to: Option<String>,
    proof: Option<String>,
}

/// A read, checked: every problem is a 400 naming the parameter.
#[derive(Debug)]
pub struct FeedRequest {
    /// Where to start: strictly after this position in the chosen order.
    pub after: Cursor,
    pub limit: usize,
    pub filter: Filter,
    /// Bounds on `occurred_at` (from inclusive, to exclusive), in whole seconds as times
    /// are stored.
    pub from: Option<DateTime<Utc>>,
    pub to: Option<DateTime<Utc>>,
    /// `proof=true`: each event with its canonical bytes and inclusion proof.
    pub proof: bool,
}

fn bad(message: String) -> AppError {
    AppError::BadRequest(message)
}

impl FeedRequest {
    pub fn from_uri(uri: &Uri) -> Result<FeedRequest, AppError> {
        let Query(params) = Query::<Params>::try_from_uri(uri).map_err(|error| {
            bad(format!(
                "{}. The parameters are after, limit, order, q, from, to and proof.",
                error.body_text()
            ))
        })?;
        let limit = match params.limit.as_deref() {
            None => DEFAULT_LIMIT,
            Some(text) => text
                .parse::<usize>()
                .ok()
                .filter(|limit| (1..=MAX_LIMIT).contains(limit))
                .ok_or_else(|| {
                    bad(format!(
                        "limit: a whole number from 1 to {MAX_LIMIT}, not {text:?}"
                    ))
                })?,
        };
        let order = match params.order.as_deref() {
            None => None,
            Some("oldest") => Some(true),
            Some("newest") => Some(false),
            Some(other) => return Err(bad(format!("order: newest or oldest, not {other:?}"))),
        };
        let after = match params.after.as_deref().filter(|text| !text.is_empty()) {
            None => {
                let oldest_first = order.unwrap_or(false);
                Cursor {
                    oldest_first,
                    position: if oldest_first { -1 } else { i64::MAX },
                }
            }
            Some(text) => {
                let cursor = Cursor::parse(text).ok_or_else(|| {
                    bad(format!(
                        "after: {text:?} is not a cursor this API gave out (use a page's next or an event's cursor as it is)"
                    ))
                })?;
                if order.is_some_and(|oldest_first| oldest_first != cursor.oldest_first) {
                    return Err(bad(
                        "after: this cursor belongs to the other order; leave order out or ask as the cursor was made"
                            .into(),
                    ));
                }
                cursor
            }
        };
        let time = |name: &str, text: Option<&str>| -> Result<Option<DateTime<Utc>>, AppError> {
            text.map(|text| {
                DateTime::parse_from_rfc3339(text)
                    .map(|time| time.with_timezone(&Utc))
                    .map_err(|_| {
                        bad(format!(
                            "{name}: an RFC 3339 time such as 2026-11-01T00:00:00Z, not {text:?}"
                        ))
                    })
            })
            .transpose()
        };
        let from = time("from", params.from.as_deref())?;
        let to = time("to", params.to.as_deref())?;
        if let (Some(from), Some(to)) = (from, to)
            && from >= to
        {
            return Err(bad("from: must be before to".into()));
        }
        let proof = match params.proof.as_deref() {
            None | Some("false") => false,
            Some("true") => true,
            Some(other) => return Err(bad(format!("proof: true or false, not {other:?}"))),
        };
        let filter = Filter::parse(params.q.as_deref().unwrap_or(""));
        if let Some(hint) = filter.hints().first() {
            return Err(bad(format!("q: {}", hint.message_in(Locale::En))));
        }
        Ok(FeedRequest {
            after,
            limit,
            filter,
            // Stored times are whole seconds: a bound inside a second rounds to cover it.
            from: from.map(ceil_second),
            to: to.map(ceil_second),
            proof,
        })
    }
}

/// The first whole second at or after `time`.
fn ceil_second(time: DateTime<Utc>) -> DateTime<Utc> {
    use chrono::{DurationRound, TimeDelta};
    let floor = time.duration_trunc(TimeDelta::seconds(1)).unwrap_or(time);
    if floor == time {
        time
    } else {
        floor + TimeDelta::seconds(1)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn request(query: &str) -> Result<FeedRequest, AppError> {
        FeedRequest::from_uri(&format!("/api/v1/events?{query}").parse().unwrap())
    }

    #[test]
    fn cursors_read_back_and_nothing_else_reads_as_one() {
        for cursor in [
            Cursor {
                oldest_first: true,
                position: 0,
            },
            Cursor {
                oldest_first: false,
                position: 991,
            },
        ] {
            assert_eq!(Cursor::parse(&cursor.to_text()), Some(cursor));
        }
        for text in ["", "o", "x12", "o-1", "o1a", "n99999999999999999999", "o 1"] {
            assert_eq!(Cursor::parse(text), None, "{text}");
        }
    }

    #[test]
    fn each_bad_parameter_is_named() {
        for (query, named) in [
            ("limit=0", "limit:"),
            ("limit=1001", "limit:"),
            ("limit=ten", "limit:"),
            ("order=up", "order:"),
            ("after=abc", "after:"),
            ("after=o5&order=newest", "after:"),
            ("from=yesterday", "from:"),
            ("from=2026-11-02T00:00:00Z&to=2026-11-01T00:00:00Z", "from:"),
            ("q=colour:red", "q:"),
            ("proof=yes", "proof:"),
            ("page=2", "page"),
        ] {
            let error = request(query).unwrap_err();
            assert!(
                matches!(&error, AppError::BadRequest(message) if message.contains(named)),
                "{query}: {error:?}"
            );
        }
    }

    #[test]
    fn a_bound_inside_a_second_covers_that_second() {
        let read = request("from=2026-11-01T00:00:00.5Z&to=2026-11-02T00:00:00Z&order=oldest").unwrap();
        let stored = |time: Option<DateTime<Utc>>| time.map(crate::db::to_db_time);
        assert_eq!(stored(read.from).as_deref(), Some("2026-11-01T00:00:01Z"));
        assert_eq!(stored(read.to).as_deref(), Some("2026-11-02T00:00:00Z"));
        assert_eq!(
            read.after,
            Cursor {
                oldest_first: true,
                position: -1
            }
        );
        assert_eq!(read.limit, DEFAULT_LIMIT);
    }
}
