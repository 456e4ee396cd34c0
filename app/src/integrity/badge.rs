//! The Activity log page's integrity badge: is the shown period's history as the server
//! wrote it, and how much of it a signed checkpoint covers.

use leptos::prelude::*;
use leptos::task::spawn_local;

use super::api::check_period_integrity;
use super::model::PeriodIntegrity;
use crate::i18n::{Locale, use_locale};

#[derive(Debug, Clone, PartialEq)]
enum Check {
    Idle,
    Checking,
    Done(PeriodIntegrity),
    Failed(String),
}

/// `bounds` are the RFC 3339 instants of the shown period; `None` while there is none.
#[component]
pub fn IntegrityBadge(bounds: Signal<Option<(String, String)>>) -> impl IntoView {
    let l = use_locale();
    let check = RwSignal::new(Check::Idle);
    let latest = StoredValue::new(0u64);
    Effect::new(move |_| {
        let Some((from, to)) = bounds.get() else {
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
                    Ok(integrity) => Check::Done(integrity),
                    Err(error) => Check::Failed(error.message_in(l)),
                });
            }
        });
    });

    move || {
        match check.get() {
        Check::Idle => ().into_any(),
        Check::Checking => view! {
            <p class="integrity" data-integrity="checking" role="status">
                {l.pick("Checking the log's integrity…", "로그 무결성을 확인하는 중…")}
            </p>
        }
        .into_any(),
        Check::Failed(message) => view! {
            <p class="integrity" data-integrity="unknown" role="status">
                {l.pick("The log's integrity could not be checked: ", "로그 무결성을 확인할 수 없습니다: ")} {message}
            </p>
        }
        .into_any(),
        Check::Done(integrity) => view! { <IntegrityResult integrity/> }.into_any(),
    }
    }
}

#[component]
fn IntegrityResult(integrity: PeriodIntegrity) -> impl IntoView {
    let PeriodIntegrity {
        chain,
        events_in_period,
        covered_in_period,
        public_key,
    } = integrity;
    let l = use_locale();
    let (state, title, text) = match (&chain.broken, &chain.checkpoint) {
        (Some(broken), _) => {
            let place = match (broken.chain_seq, &broken.occurred_at) {
                (Some(seq), Some(at)) => format!("at event #{seq} (occurred {at})"),
                (Some(seq), None) => format!("at event #{seq}"),
                (None, Some(at)) => format!("at an event that occurred {at}"),
                (None, None) => "in the signed checkpoints".to_string(),
            };
            (
                "broken",
                l.pick("Tampering detected", "변조 감지됨").to_string(),
                format!(
                    "The log is broken {place}: {}: {}.",
                    broken.kind.as_str(),
                    broken.detail
                ),
            )
        }
        (None, _) if events_in_period == 0 => (
            "verified",
            l.pick("Chain intact", "체인 정상").to_string(),
            match l {
                Locale::En => format!(
                    "No events in this period; all {} events of the log verify.",
                    l.number(chain.events)
                ),
                Locale::Ko => format!(
                    "이 기간에는 이벤트가 없습니다. 로그의 이벤트 {}개가 모두 검증되었습니다.",
                    l.number(chain.events)
                ),
            },
        ),
        (None, Some(checkpoint)) if covered_in_period == events_in_period => (
            "verified",
            l.pick("Verified", "검증됨").to_string(),
            match l {
                Locale::En => format!(
                    "All {} events of this period are covered by the signed checkpoint of {}.",
                    l.number(events_in_period),
                    checkpoint.signed_at
                ),
                Locale::Ko => format!(
                    "이 기간의 이벤트 {}개가 모두 {}의 서명된 체크포인트에 포함됩니다.",
                    l.number(events_in_period),
                    checkpoint.signed_at
                ),
            },
        ),
        (None, Some(checkpoint)) => (
            "partial",
            l.pick("Chain intact", "체인 정상").to_string(),
            match l {
                Locale::En => format!(
                    "{} of {} events are covered by the signed checkpoint of {}; \
                     the {} newer ones are chained and will be signed at the next checkpoint.",
                    l.number(covered_in_period),
                    l.number(events_in_period),
                    checkpoint.signed_at,
                    l.number(events_in_period - covered_in_period)
                ),
                Locale::Ko => format!(
                    "이벤트 {}개 중 {}개가 {}의 서명된 체크포인트에 포함됩니다. \
                     새 이벤트 {}개는 체인에 연결되어 있으며 다음 체크포인트에서 서명됩니다.",
                    l.number(events_in_period),
                    l.number(covered_in_period),
                    checkpoint.signed_at,
                    l.number(events_in_period - covered_in_period)
                ),
            },
        ),
        (None, None) => (
            "partial",
            l.pick("Chain intact", "체인 정상").to_string(),
            match l {
                Locale::En => format!(
                    "All {} events are chained; no checkpoint has been signed yet.",
                    l.number(chain.events)
                ),
                Locale::Ko => format!(
                    "이벤트 {}개가 모두 체인에 연결되어 있습니다. 아직 서명된 체크포인트가 없습니다.",
                    l.number(chain.events)
                ),
            },
        ),
    };
    view! {
        <div class="integrity" data-integrity=state role="status">
            <strong class="integrity-title">{title}</strong>
            " "
            <span>{text}</span>
            <details>
                <summary>{l.pick("How is this checked?", "어떻게 확인하나요?")}</summary>
                <p>
                    "Every event stores the SHA-256 of its content and of the event before it, so an edited, \
                     deleted, inserted or moved event breaks the chain. Checkpoints sign the chain's head with \
                     the server's Ed25519 key, which is kept outside the database. Public key:"
                </p>
                <code class="public-key">{public_key}</code>
            </details>
        </div>
    }
}
