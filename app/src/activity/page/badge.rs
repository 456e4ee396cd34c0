//! The Activity log page's integrity badge: is the shown period's history as the server
//! wrote it, and how much of it a signed checkpoint covers.

use leptos::prelude::*;
use leptos::task::spawn_local;

use crate::activity::api::check_period_integrity;
use crate::activity::period::UtcRange;
use crate::i18n::use_locale;
use crate::integrity::model::PeriodIntegrity;

#[derive(Debug, Clone, PartialEq)]
enum Check {
    Idle,
    Checking,
    Done(Box<PeriodIntegrity>),
    Failed(String),
}

/// `bounds` are the instants of the shown period; `None` while there is none.
#[component]
pub fn IntegrityBadge(bounds: Signal<Option<UtcRange>>) -> impl IntoView {
    let l = use_locale();
    let check = RwSignal::new(Check::Idle);
    let latest = StoredValue::new(0u64);
    Effect::new(move |_| {
        let Some((from, to)) = bounds.get().map(UtcRange::to_texts) else {
            check.set(Check::Idle);
            return;
        };
        let request = latest.get_value() + 1;
        latest.set_value(request);
        check.set(Check::Checking);
        spawn_local(async move {
            let result = check_period_integrity(from, to).await;
            if latest.get_value() == request {
                check.set(match result {
                    Ok(integrity) => Check::Done(Box::new(integrity)),
                    Err(error) => Check::Failed(error.message_in(l)),
                });
            }
        });
    });

    move || match check.get() {
        Check::Idle => ().into_any(),
        Check::Checking => view! {
            <p class="integrity" data-integrity="checking" role="status">
                {tr!(l, badge.checking_the_log_s_integrity)}
            </p>
        }
        .into_any(),
        Check::Failed(message) => view! {
            <p class="integrity" data-integrity="unknown" role="status">
                {tr!(l, badge.the_log_s_integrity_could)} {message}
            </p>
        }
        .into_any(),
        Check::Done(integrity) => view! { <IntegrityResult integrity=*integrity/> }.into_any(),
    }
}

#[component]
fn IntegrityResult(integrity: PeriodIntegrity) -> impl IntoView {
    let PeriodIntegrity {
        chain,
        events_in_period,
        covered_in_period,
        public_key,
        audit,
    } = integrity;
    let l = use_locale();
    let audited = match (&audit.last_finished_at, audit.under_way_at) {
        (Some(at), _) => tr!(l, badge.audited, at = at),
        (None, Some(position)) => tr!(l, badge.audit_under_way, position = position),
        (None, None) => tr!(l, badge.audit_not_yet).to_string(),
    };
    let (state, title, text) = match (&chain.broken, &chain.checkpoint) {
        (Some(broken), _) => {
            let place = match (broken.chain_seq, &broken.occurred_at) {
                (Some(seq), Some(at)) => tr!(l, badge.at_event_when, seq = seq, at = at),
                (Some(seq), None) => tr!(l, badge.at_event, seq = seq),
                (None, Some(at)) => tr!(l, badge.at_an_event_when, at = at),
                (None, None) => tr!(l, badge.in_the_checkpoints).to_string(),
            };
            (
                "broken",
                tr!(l, badge.tampering_detected).to_string(),
                tr!(
                    l,
                    badge.broken,
                    place = place,
                    kind = broken.kind.as_str(),
                    detail = &broken.detail
                ),
            )
        }
        (None, _) if events_in_period == 0 => (
            "verified",
            tr!(l, badge.chain_intact).to_string(),
            tr!(l, badge.no_events_in_period, total = l.number(chain.events)),
        ),
        (None, Some(checkpoint)) if covered_in_period == events_in_period => (
            "verified",
            tr!(l, badge.verified).to_string(),
            tr!(
                l,
                badge.all_covered,
                count = l.number(events_in_period),
                signed_at = &checkpoint.signed_at
            ),
        ),
        (None, Some(checkpoint)) => (
            "partial",
            tr!(l, badge.chain_intact).to_string(),
            tr!(
                l,
                badge.some_covered,
                covered = l.number(covered_in_period),
                count = l.number(events_in_period),
                signed_at = &checkpoint.signed_at,
                newer = l.number(events_in_period - covered_in_period)
            ),
        ),
        (None, None) => (
            "partial",
            tr!(l, badge.chain_intact).to_string(),
            tr!(l, badge.chained_no_checkpoint, total = l.number(chain.events)),
        ),
    };
    view! {
        <div class="integrity" data-integrity=state role="status">
            <strong class="integrity-title">{title}</strong>
            " "
            <span>{text}</span>
            " "
            <span class="audited">{audited}</span>
            <details>
                <summary>{tr!(l, badge.how_is_this_checked)}</summary>
                <p>{tr!(l, badge.how_it_works)}</p>
                <code class="public-key">{public_key}</code>
            </details>
        </div>
    }
}
