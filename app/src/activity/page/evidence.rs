//! An expanded event's evidence: the signed checkpoint that covers it, and a download of
//! the proof its customer can keep and check without this server (`integrity::evidence`).

use leptos::prelude::*;
use leptos::task::spawn_local;

use crate::activity::api::event_evidence;
use crate::i18n::use_locale;
use crate::ids::EventId;
use crate::integrity::model::Evidence;

#[derive(Debug, Clone, PartialEq)]
enum Lookup {
    Looking,
    Found(Box<Evidence>),
    NotYet,
    Failed(String),
}

#[component]
pub(super) fn EventEvidence(event: EventId) -> impl IntoView {
    let l = use_locale();
    let lookup = RwSignal::new(Lookup::Looking);
    // Asked in the browser only, once the details are open.
    Effect::new(move |_| {
        spawn_local(async move {
            let found = match event_evidence(event).await {
                Ok(Some(evidence)) => Lookup::Found(Box::new(evidence)),
                Ok(None) => Lookup::NotYet,
                Err(error) => Lookup::Failed(error.message_in(l)),
            };
            // The details may have closed meanwhile.
            let _ = lookup.try_set(found);
        });
    });
    move || match lookup.get() {
        Lookup::Looking => view! {
            <p class="evidence" data-evidence="looking">{tr!(l, evidence.looking_up)}</p>
        }
        .into_any(),
        Lookup::NotYet => view! {
            <p class="evidence" data-evidence="not-yet">{tr!(l, evidence.not_yet)}</p>
        }
        .into_any(),
        Lookup::Failed(message) => view! {
            <p class="evidence" data-evidence="failed">{tr!(l, evidence.failed)} {message}</p>
        }
        .into_any(),
        Lookup::Found(evidence) => {
            let checkpoint = &evidence.checkpoint;
            let text = tr!(
                l,
                evidence.in_checkpoint,
                number = checkpoint.number,
                size = l.number(checkpoint.tree_size),
                root = &checkpoint.root_hash,
                signed_at = &checkpoint.signed_at
            );
            let file_name = format!("activity-log-evidence-{}.json", evidence.chain_position);
            view! {
                <p class="evidence" data-evidence="found">
                    {text} " "
                    <a href=json_data_url(&evidence) download=file_name title=tr!(l, evidence.what_it_holds)>
                        {tr!(l, evidence.download)}
                    </a>
                </p>
            }
            .into_any()
        }
    }
}

/// The evidence as a `data:` URL to save: a few kilobytes, so no Blob to manage.
fn json_data_url(evidence: &Evidence) -> String {
    let json = serde_json::to_string_pretty(evidence).unwrap_or_default();
    format!(
        "data:application/json;charset=utf-8,{}",
        percent_encoding::utf8_percent_encode(&json, percent_encoding::NON_ALPHANUMERIC)
    )
}
