use http::StatusCode;
use leptos::prelude::*;
use leptos_router::hooks::{use_params_map, use_query_map};
use leptos_router::{LazyRoute, lazy_route};

use super::api::get_customer_subscriptions;
use crate::auth::model::VIEW_ACTIVITY_LOG;
use crate::errors::{AppError, set_response_status};
use crate::i18n::{Locale, use_locale};
use crate::ids::CustomerId;
use crate::layout::RequireRole;

/// A customer's Subscriptions page, a lazy route: its code is a wasm chunk of its own,
/// fetched when the page is opened, so the activity log's download does not carry it.
pub struct SubscriptionsRoute;

#[lazy_route]
impl LazyRoute for SubscriptionsRoute {
    fn data() -> Self {
        Self
    }

    fn view(_this: Self) -> AnyView {
        view! { <SubscriptionsPage/> }.into_any()
    }
}

/// `/customers/{id}/subscriptions`
#[component]
pub fn SubscriptionsPage() -> impl IntoView {
    view! { <RequireRole permission=VIEW_ACTIVITY_LOG render=|_| view! { <CustomerSubscriptionsView/> }.into_any()/> }
}

#[component]
fn CustomerSubscriptionsView() -> impl IntoView {
    let params = use_params_map();
    let query = use_query_map();
    let l = use_locale();
    // `?page=N` counts from 1 for people; the server counts from 0.
    let page = move || {
        query
            .read()
            .get("page")
            .and_then(|page| page.parse::<u32>().ok())
            .map_or(0, |page| page.saturating_sub(1))
    };
    let data = Resource::new_serde_wb(
        move || (params.read().get("id"), page()),
        move |(id, page)| async move {
            match id.and_then(|id| id.parse::<i64>().ok()) {
                Some(id) => get_customer_subscriptions(CustomerId(id), Some(page)).await,
                None => Err(super::model::customer_not_found(l)),
            }
        },
    );
    view! {
        <Suspense fallback=move || view! { <p class="status">{tr!(l, customers.loading_subscriptions)}</p> }>
            {move || Suspend::new(async move {
                match data.await {
                    Ok(found) => {
                        let count = found.total;
                        let pager = view! { <Pager found=found.clone()/> };
                        view! {
                            <section class="subscriptions">
                                <nav class="breadcrumb" aria-label=tr!(l, layout.breadcrumb)>
                                    <a href="/account-settings/activity-log">{tr!(l, customers.activity_log)}</a>
                                    " / "
                                    <span>{found.customer.company_name.clone()}</span>
                                </nav>
                                <h1>{tr!(l, customers.subscriptions)}</h1>
                                <p class="customer-name">
                                    <strong>{found.customer.company_name}</strong>
                                    " · " {found.domain.clone()} " · "
                                    {match count {
                                        1 => tr!(l, customers.one_subscription).to_string(),
                                        _ => tr!(l, customers.subscriptions_count, count = l.number(count)),
                                    }}
                                </p>
                                {if found.total == 0 {
                                    view! { <p class="empty">{tr!(l, customers.this_customer_has_no_subscriptions)}</p> }.into_any()
                                } else if found.subscriptions.is_empty() {
                                    view! {
                                        <p class="empty">
                                            {tr!(l, customers.there_is_no_such_page)}
                                            <a href="?page=1">{tr!(l, customers.first_page)}</a>
                                        </p>
                                    }.into_any()
                                } else {
                                    view! {
                                        <table class="data-table">
                                            <thead>
                                                <tr>
                                                    <th scope="col">{tr!(l, customers.product)}</th>
                                                    <th scope="col" class="num">{tr!(l, customers.quantity)}</th>
                                                    <th scope="col">{tr!(l, customers.status)}</th>
                                                    <th scope="col">{tr!(l, customers.start_date)}</th>
                                                    <th scope="col">{tr!(l, customers.subscription_id)}</th>
                                                </tr>
                                            </thead>
                                            <tbody>
                                                {found
                                                    .subscriptions
                                                    .into_iter()
                                                    .map(|subscription| view! {
                                                        <tr>
                                                            <td>{subscription.product}</td>
                                                            <td class="num">{subscription.quantity}</td>
                                                            <td>
                                                                <span class=format!("badge {}", subscription.status)>
                                                                    {status_label(&subscription.status, l)}
                                                                </span>
                                                            </td>
                                                            <td>{subscription.start_date}</td>
                                                            <td><code>{subscription.id}</code></td>
                                                        </tr>
                                                    })
                                                    .collect_view()}
                                            </tbody>
                                        </table>
                                        {pager}
                                    }.into_any()
                                }}
                            </section>
                        }
                            .into_any()
                    }
                    Err(error) => {
                        if let AppError::NotFound(_) = error {
                            set_response_status(StatusCode::NOT_FOUND);
                        }
                        view! {
                            <section class="not-found">
                                <h1>{error.message_in(l)}</h1>
                                <p>
                                    <a href="/account-settings/activity-log">{tr!(l, customers.back_to_the_activity_log)}</a>
                                </p>
                            </section>
                        }
                            .into_any()
                    }
                }
            })}
        </Suspense>
    }
}

/// "101–200 of 2,276" with links to the pages before and after (plain links: they work
/// before the page is hydrated, and the URL names the page).
#[component]
fn Pager(found: super::model::CustomerSubscriptions) -> impl IntoView {
    let l = use_locale();
    let (first, last) = found.shown();
    let pages = found.pages();
    let page = found.page + 1;
    let shown = tr!(
        l,
        customers.shown_of_total,
        first = l.number(first),
        last = l.number(last),
        total = l.number(found.total)
    );
    view! {
        <nav class="pager" aria-label=tr!(l, customers.subscription_pages)>
            {(page > 1).then(|| view! {
                <a rel="prev" href=format!("?page={}", page - 1)>{tr!(l, customers.previous)}</a>
            })}
            <span class="pager-status" aria-live="polite">{shown}</span>
            {(page < pages).then(|| view! {
                <a rel="next" href=format!("?page={}", page + 1)>{tr!(l, customers.next)}</a>
            })}
        </nav>
    }
}

fn status_label(status: &str, l: Locale) -> &'static str {
    match status {
        "active" => tr!(l, customers.active),
        "cancelled" => tr!(l, customers.cancelled),
        _ => tr!(l, customers.unknown),
    }
}
