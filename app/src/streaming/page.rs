//! Account settings → Log streaming: the partner's destinations, how each stands, and the
//! form that adds one.

use leptos::prelude::*;
use leptos_router::{LazyRoute, lazy_route};

use super::api::{
    CreateDestination, DeleteDestination, RotateDestinationSecret, SendTestEvent, SetDestinationEnabled,
    list_destinations,
};
use super::model::{DestinationKind, DestinationStatus, MAX_NAME_CHARS};
use crate::auth::model::MANAGE_LOG_STREAMING;
use crate::i18n::{Locale, use_locale};
use crate::layout::{RequireRole, SettingsBreadcrumb};

/// A lazy route: its code is a wasm chunk of its own.
pub struct LogStreamingRoute;

#[lazy_route]
impl LazyRoute for LogStreamingRoute {
    fn data() -> Self {
        Self
    }

    fn view(_this: Self) -> AnyView {
        view! { <RequireRole permission=MANAGE_LOG_STREAMING render=|_| view! { <LogStreaming/> }.into_any()/> }
            .into_any()
    }
}

/// The actions a destination's row dispatches, shared by every row.
#[derive(Clone, Copy)]
struct RowActions {
    switch: ServerAction<SetDestinationEnabled>,
    delete: ServerAction<DeleteDestination>,
    rotate: ServerAction<RotateDestinationSecret>,
    test: ServerAction<SendTestEvent>,
}

#[component]
fn LogStreaming() -> impl IntoView {
    let l = use_locale();
    let create = ServerAction::<CreateDestination>::new();
    let actions = RowActions {
        switch: ServerAction::new(),
        delete: ServerAction::new(),
        rotate: ServerAction::new(),
        test: ServerAction::new(),
    };
    let destinations = Resource::new_serde_wb(
        move || {
            (
                create.version().get(),
                actions.switch.version().get(),
                actions.delete.version().get(),
                actions.rotate.version().get(),
            )
        },
        |_| list_destinations(),
    );
    let error = |error: crate::errors::AppError, l: Locale| {
        view! { <p class="error" role="alert">{error.message_in(l)}</p> }.into_any()
    };
    let secret = move |secret: Option<String>| {
        secret.map(|secret| {
            view! {
                <div class="new-token" role="status">
                    <p><strong>{tr!(l, streaming.secret_once)}</strong></p>
                    <code data-testid="destination-secret">{secret}</code>
                </div>
            }
        })
    };
    let created = move || {
        create.value().get().map(|result| match result {
            Ok(created) => secret(created.secret).into_any(),
            Err(failure) => error(failure, l),
        })
    };
    let rotated = move || {
        actions.rotate.value().get().map(|result| match result {
            Ok(rotated) => secret(rotated.secret).into_any(),
            Err(failure) => error(failure, l),
        })
    };
    let tested = move || {
        actions.test.value().get().map(|result| match result {
            Ok(()) => view! { <p class="status" role="status">{tr!(l, streaming.test_sent)}</p> }.into_any(),
            Err(failure) => error(failure, l),
        })
    };
    let other_errors = move || {
        [
            actions.switch.value().get().and_then(|result| result.err()),
            actions.delete.value().get().and_then(Result::err),
        ]
        .into_iter()
        .flatten()
        .map(|failure| error(failure, l))
        .collect_view()
    };
    view! {
        <section class="log-streaming" aria-labelledby="log-streaming-title">
            <SettingsBreadcrumb current=tr!(l, streaming.title)/>
            <h1 id="log-streaming-title">{tr!(l, streaming.title)}</h1>
            <p class="intro">{tr!(l, streaming.intro)}</p>
            <Suspense fallback=|| ()>
                {move || Suspend::new(async move {
                    match destinations.await {
                        Ok(list) if list.is_empty() => {
                            view! { <p class="empty">{tr!(l, streaming.none_yet)}</p> }.into_any()
                        }
                        Ok(list) => view! {
                            <ul class="destinations">
                                {list.into_iter().map(|destination| view! { <DestinationRow destination actions/> }).collect_view()}
                            </ul>
                        }
                        .into_any(),
                        Err(failure) => error(failure, l),
                    }
                })}
            </Suspense>
            {rotated}
            {tested}
            {other_errors}
            <h2>{tr!(l, streaming.add_title)}</h2>
            <ActionForm action=create attr:class="provider-form">
                <label for="destination-name">{tr!(l, streaming.name)}</label>
                <input id="destination-name" name="name" type="text" required maxlength=MAX_NAME_CHARS.to_string()/>
                <label for="destination-kind">{tr!(l, streaming.kind)}</label>
                <select id="destination-kind" name="kind">
                    <option value=DestinationKind::Webhook.as_str()>{tr!(l, streaming.kind_webhook)}</option>
                    <option value=DestinationKind::Chat.as_str()>{tr!(l, streaming.kind_chat)}</option>
                    <option value=DestinationKind::Syslog.as_str()>{tr!(l, streaming.kind_syslog)}</option>
                </select>
                <label for="destination-target">{tr!(l, streaming.target)}</label>
                <input id="destination-target" name="target" type="text" required placeholder="https://siem.example.com/hooks/activity"/>
                <label for="destination-filter">{tr!(l, streaming.filter)}</label>
                <input id="destination-filter" name="filter" type="text" placeholder="action:reset OR quantity"/>
                <label for="destination-ca">{tr!(l, streaming.ca_pem)}</label>
                <textarea id="destination-ca" name="ca_pem" rows="3"></textarea>
                <button type="submit" class="primary" disabled=move || create.pending().get()>
                    {tr!(l, streaming.add)}
                </button>
            </ActionForm>
            {created}
        </section>
    }
}

#[component]
fn DestinationRow(destination: DestinationStatus, actions: RowActions) -> impl IntoView {
    let l = use_locale();
    let id = destination.id;
    let delivered = match &destination.delivered_at {
        Some(at) => format!(
            "{} · {}",
            tr!(
                l,
                streaming.delivered_up_to,
                position = destination.delivered_position
            ),
            tr!(l, streaming.delivered_at, time = at.clone())
        ),
        None => tr!(l, streaming.never_delivered).to_string(),
    };
    let lag = match (destination.lag_events, destination.lag_seconds) {
        (0, _) => tr!(l, streaming.up_to_date).to_string(),
        (events, Some(seconds)) => tr!(l, streaming.lag_seconds, events = events, seconds = seconds),
        (events, None) => tr!(l, streaming.lag, events = events),
    };
    let state = match (&destination.paused_reason, destination.enabled) {
        (Some(reason), _) => Some(tr!(l, streaming.paused_because, reason = reason.clone())),
        (None, false) => Some(tr!(l, streaming.off).to_string()),
        (None, true) => None,
    };
    let last_error = destination.last_error.clone().map(|error| {
        tr!(
            l,
            streaming.last_error,
            time = destination.last_error_at.clone().unwrap_or_default(),
            error = error
        )
    });
    let running = destination.enabled && destination.paused_reason.is_none();
    let kind = destination.kind;
    view! {
        <li class="destination" data-destination=destination.name.clone()>
            <h3>{destination.name.clone()} " " <small>{kind.as_str()}</small></h3>
            <p><code>{destination.target.clone()}</code></p>
            {(!destination.filter.is_empty()).then(|| view! { <p><code>{destination.filter.clone()}</code></p> })}
            <p class="delivered">{delivered}</p>
            <p class="lag">{lag}</p>
            {state.map(|state| view! { <p class="paused">{state}</p> })}
            {last_error.map(|error| view! { <p class="last-error">{error}</p> })}
            {(destination.failures_in_row > 0)
                .then(|| view! { <p class="failures">{tr!(l, streaming.failures, count = destination.failures_in_row)}</p> })}
            <div class="destination-actions">
                <button type="button" on:click=move |_| { actions.test.dispatch(SendTestEvent { id }); }>
                    {tr!(l, streaming.send_test)}
                </button>
                <button type="button" on:click=move |_| { actions.switch.dispatch(SetDestinationEnabled { id, enabled: !running }); }>
                    {if running { tr!(l, streaming.pause) } else { tr!(l, streaming.resume) }}
                </button>
                {kind.is_signed().then(|| view! {
                    <button type="button" on:click=move |_| { actions.rotate.dispatch(RotateDestinationSecret { id }); }>
                        {tr!(l, streaming.rotate)}
                    </button>
                })}
                <button type="button" class="danger" on:click=move |_| { actions.delete.dispatch(DeleteDestination { id }); }>
                    {tr!(l, streaming.delete)}
                </button>
            </div>
        </li>
    }
}
