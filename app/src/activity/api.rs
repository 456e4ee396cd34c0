//! The activity log's server functions: one page of a period's events, and the integrity
//! badge's check of that period, for the signed-in partner. The page asks for the pages one
//! after another (keyset paging, newest first), so a period of any size arrives in bounded
//! pieces.

use leptos::prelude::*;

use leptos::server_fn::codec::Post;

use super::wire::{EncodedPage, EncodedPageCodec};
use crate::browser_json::BrowserJson;
use crate::errors::AppError;
use crate::integrity::model::{Evidence, PeriodIntegrity};

/// Most events one page carries.
pub const EVENTS_PER_PAGE: usize = 5_000;

/// Events from `from` (included) to `to` (excluded), RFC 3339 instants, newest first,
/// starting after `after` (the previous page's `next`; empty for the first page), as an
/// [`EncodedPage`] (binary to the log page, JSON to other clients). The browser computes
/// the instants from the viewer's local From/To days. A page sent before is sent again from
/// memory while no event was stored into its period (`state::page_cache`).
#[server(endpoint = "list_activity", output = Post<EncodedPageCodec>)]
pub async fn list_activity(
    from: String,
    to: String,
    #[server(default)] after: String,
) -> Result<EncodedPage, AppError> {
    use super::server::store;
    use crate::event_table::chain::{chain_position, stored_in_period_since};
    use crate::state::metrics::PageLookup;
    use crate::state::page_cache::{KeptPage, Lookup, PageKey};

    let (state, viewer, range) = period_of_viewer(&from, &to).await?;
    let after = match after.trim() {
        "" => None,
        cursor => Some(store::PageCursor::parse(cursor).ok_or_else(|| {
            let l = crate::i18n::request_locale();
            AppError::InvalidInput(tr!(l, log_api.that_page_of_the_log).into())
        })?),
    };
    let partner_id = viewer.partner_id;
    // The position before the page: a page read after it holds at least what it says.
    let position = chain_position(&state.pool, partner_id).await?;
    let key = PageKey {
        partner_id,
        from: range.from,
        to: range.to,
        after: after.as_ref().map(store::PageCursor::to_text).unwrap_or_default(),
    };
    let counted = |result| {
        let labels = crate::state::metrics::PageLabels { result };
        state.metrics.pages.get_or_create(&labels).inc();
    };
    let reading = match state.pages.lookup(&key).await {
        Lookup::Kept(kept) if kept.read_at >= position => {
            counted(PageLookup::Kept);
            return send(&kept);
        }
        Lookup::Kept(kept) => {
            let period = (range.from, range.to);
            if !stored_in_period_since(&state.pool, partner_id, kept.read_at, period).await? {
                let confirmed = KeptPage {
                    read_at: position,
                    ..kept
                };
                let sent = send(&confirmed);
                state.pages.keep(key, confirmed);
                counted(PageLookup::Confirmed);
                return sent;
            }
            None
        }
        Lookup::Read(guard) => Some(guard),
    };
    counted(PageLookup::Read);
    let mut page = store::events_page(&state.pool, partner_id, range, after, EVENTS_PER_PAGE).await?;
    page.head = position;
    let encoded = EncodedPage::encode(&page);
    let kept = KeptPage::new(position, &encoded.0).map_err(|error| {
        tracing::error!(%error, "could not compress a page of the log");
        AppError::Internal
    })?;
    let sent = send(&kept);
    match reading {
        Some(guard) => guard.keep(kept),
        None => state.pages.keep(key, kept),
    }
    sent
}

/// A kept page as this request takes it: in binary to a client that asks for it (the log
/// page), else as JSON; compressed with zstd (as kept) or gzip when the client takes either.
#[cfg(feature = "ssr")]
fn send(page: &crate::state::page_cache::KeptPage) -> Result<EncodedPage, AppError> {
    use crate::state::page_cache::Coding;
    use http::header::{ACCEPT, ACCEPT_ENCODING, CONTENT_ENCODING, CONTENT_TYPE, HeaderValue, VARY};
    let headers = crate::auth::session::request_headers();
    let asks = |name, what: &dyn Fn(&str) -> bool| {
        headers
            .get_all(name)
            .iter()
            .filter_map(|value| value.to_str().ok())
            .any(what)
    };
    let binary = asks(ACCEPT, &|accept| accept.contains(super::wire::PAGE_CONTENT_TYPE));
    let response = use_context::<leptos_axum::ResponseOptions>();
    // Compressed only where the answer can say so.
    let coding = [Coding::Zstd, Coding::Gzip]
        .into_iter()
        .find(|coding| asks(ACCEPT_ENCODING, &|value| coding.accepted_by(value)))
        .filter(|_| response.is_some());
    if let Some(response) = &response {
        response.insert_header(VARY, HeaderValue::from_static("accept, accept-encoding"));
    }
    // Said only once the body is ready: an error's body is neither compressed nor JSON.
    let sent = |body: bytes::Bytes| {
        if let Some(response) = &response {
            if let Some(coding) = coding {
                response.insert_header(CONTENT_ENCODING, HeaderValue::from_static(coding.name()));
            }
            if !binary {
                response.insert_header(CONTENT_TYPE, HeaderValue::from_static("application/json"));
            }
        }
        Ok(EncodedPage(body))
    };
    if binary && coding == Some(Coding::Zstd) {
        return sent(page.zstd.clone());
    }
    let failed = |error: std::io::Error| {
        tracing::error!(%error, "a kept page of the log could not be read back");
        AppError::Internal
    };
    let plain = page.plain().map_err(failed)?;
    // JSON is made from the kept binary each time: only scripts and tests ask for it.
    let body = if binary {
        plain
    } else {
        EncodedPage::decode(&plain)
            .and_then(|page| EncodedPage::encode_json(&page).ok())
            .ok_or_else(|| failed(std::io::Error::other("not a page")))?
    };
    match coding {
        Some(coding) => sent(coding.compress(&body).map_err(failed)?),
        None => sent(body.into()),
    }
}

/// The integrity badge's answer: whether the signed-in partner's chain is intact (walking
/// only what changed since the last walk) and how much of the period `from`–`to` (RFC 3339
/// instants, as for `list_activity`) a signed checkpoint covers.
#[server(endpoint = "period_integrity", output = BrowserJson)]
pub async fn check_period_integrity(from: String, to: String) -> Result<PeriodIntegrity, AppError> {
    use crate::integrity::checkpoint::public_key_hex;

    let (state, viewer, range) = period_of_viewer(&from, &to).await?;
    let walk_started = std::time::Instant::now();
    let (chain, events_in_period, uncovered_in_period) = state
        .verified_chains
        .report_and_period(
            &state.pool,
            viewer.partner_id,
            &state.checkpoint_key,
            (range.from, range.to),
        )
        .await?;
    // The badge's walk of what is new since the last (and its period's counts).
    let labels = crate::state::metrics::WalkLabels {
        kind: crate::state::metrics::Walk::NewEvents,
    };
    state
        .metrics
        .walk_seconds
        .get_or_create(&labels)
        .observe(walk_started.elapsed().as_secs_f64());
    // What the rolling audit last found of the whole chain (an edit to an event the
    // badge's walk had already passed shows here).
    use crate::integrity::audit::{AuditState, Kept, load};
    let audit = load::<AuditState>(&state.pool, viewer.partner_id, Kept::RollingAudit)
        .await?
        .unwrap_or_default()
        .summary();
    let mut chain = chain;
    if chain.broken.is_none() {
        chain.broken = audit.last_broken.clone();
    }
    Ok(PeriodIntegrity {
        audit,
        chain,
        events_in_period,
        covered_in_period: events_in_period.saturating_sub(uncovered_in_period),
        public_key: public_key_hex(&state.checkpoint_key),
    })
}

/// Evidence of one of the signed-in partner's events (`model::Evidence`): its canonical
/// bytes and its inclusion proof against the newest signed checkpoint; `None` while no
/// signed checkpoint covers it yet. Another partner's event is not found.
#[server(endpoint = "event_evidence", output = BrowserJson)]
pub async fn event_evidence(event: crate::ids::EventId) -> Result<Option<Evidence>, AppError> {
    use crate::auth::session;
    use crate::event_table::chain::position_of_event;
    use crate::integrity::evidence::gather;
    use crate::integrity::tree::TreeError;

    let state = crate::state::app_state()?;
    let viewer = session::require_activity_log_role(session::current_viewer(&state).await?)?;
    let position = position_of_event(&state.pool, viewer.partner_id, event)
        .await?
        .ok_or_else(|| AppError::NotFound(format!("No event {event} in your log.")))?;
    gather(&state.pool, &state.checkpoint_key, viewer.partner_id, position)
        .await
        .map_err(|error| match error {
            TreeError::Database(error) => error.into(),
            error => {
                tracing::error!(partner_id = %viewer.partner_id, position, "no evidence: {error}");
                AppError::Internal
            }
        })
}

/// Remembers the activity log's columns (`time,customer,…`) and time zone (`local` or `utc`)
/// for the signed-in user; an empty argument leaves that choice as it was.
#[server(endpoint = "save_view_preferences", output = BrowserJson)]
pub async fn save_view_preferences(columns: String, time_zone: String) -> Result<(), AppError> {
    use super::view::{ZoneChoice, chosen_columns};
    use crate::auth::session;
    use crate::preferences::{Preferences, store};
    use crate::state::app_state;

    let state = app_state()?;
    let viewer = session::require_activity_log_role(session::current_viewer(&state).await?)?;
    let columns = chosen_columns(&columns).map_err(AppError::InvalidInput)?;
    let zone = match time_zone.trim() {
        "" => None,
        text => Some(ZoneChoice::parse(text).ok_or_else(|| {
            AppError::InvalidInput(format!("No time zone choice {text:?}; use local or utc."))
        })?),
    };
    let chosen = Preferences {
        locale: None,
        columns,
        zone,
    };
    store::save(&state.pool, viewer.user_id, &chosen).await
}

/// The start of every server function about a period of the log: the signed-in viewer, in a
/// role that may see it, and the period `from`–`to` (RFC 3339 instants) checked.
#[cfg(feature = "ssr")]
pub async fn period_of_viewer(
    from: &str,
    to: &str,
) -> Result<
    (
        crate::state::AppState,
        crate::auth::model::Viewer,
        super::period::UtcRange,
    ),
    AppError,
> {
    use crate::auth::session;
    let state = crate::state::app_state()?;
    let viewer = session::require_activity_log_role(session::current_viewer(&state).await?)?;
    let range = super::period::UtcRange::parse(from, to)?;
    Ok((state, viewer, range))
}
