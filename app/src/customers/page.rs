use http::StatusCode;
use leptos::prelude::*;
use leptos_router::hooks::use_params_map;

use super::api::get_customer_subscriptions;
use crate::auth::model::VIEW_ACTIVITY_LOG;
use crate::errors::{AppError, set_response_status};
use crate::layout::RequireRole;

/// `/customers/{id}/subscriptions`
#[component]
pub fn SubscriptionsPage() -> impl IntoView {
    view! { <RequireRole permission=VIEW_ACTIVITY_LOG render=|_| view! { <CustomerSubscriptionsView/> }.into_any()/> }
}

#[component]
fn CustomerSubscriptionsView() -> impl IntoView {
    let params = use_params_map();
    let data = Resource::new(
        move || params.read().get("id"),
        |id| async move {
            match id.and_then(|id| id.parse::<i64>().ok()) {
                Some(id) => get_customer_subscriptions(id).await,
                None => Err(AppError::NotFound("Customer not found.".into())),
            }
        },
    );
    view! {
        <Suspense fallback=|| view! { <p class="status">"Loading subscriptions…"</p> }>
            {move || Suspend::new(async move {
                match data.await {
                    Ok(found) => {
                        let count = found.subscriptions.len();
                        view! {
                            <section class="subscriptions">
                                <nav class="breadcrumb" aria-label="Breadcrumb">
                                    <a href="/account-settings/activity-log">"Activity log"</a>
                                    " / "
                                    <span>{found.customer.company_name.clone()}</span>
                                </nav>
                                <h1>"Subscriptions"</h1>
                                <p class="customer-name">
                                    <strong>{found.customer.company_name}</strong>
                                    " · " {found.domain} " · " {count}
                                    {if count == 1 { " subscription" } else { " subscriptions" }}
                                </p>
                                {if found.subscriptions.is_empty() {
                                    view! { <p class="empty">"This customer has no subscriptions yet."</p> }.into_any()
                                } else {
                                    view! {
                                        <table class="data-table">
                                            <thead>
                                                <tr>
                                                    <th scope="col">"Product"</th>
                                                    <th scope="col" class="num">"Quantity"</th>
                                                    <th scope="col">"Status"</th>
                                                    <th scope="col">"Start date"</th>
                                                    <th scope="col">"Subscription ID"</th>
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
                                                                    {status_label(&subscription.status)}
                                                                </span>
                                                            </td>
                                                            <td>{subscription.start_date}</td>
                                                            <td><code>{subscription.id}</code></td>
                                                        </tr>
                                                    })
                                                    .collect_view()}
                                            </tbody>
                                        </table>
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
                                <h1>{error.to_string()}</h1>
                                <p>
                                    "Back to the " <a href="/account-settings/activity-log">"Activity log"</a> "."
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

fn status_label(status: &str) -> &'static str {
    match status {
        "active" => "Active",
        "cancelled" => "Cancelled",
        _ => "Unknown",
    }
}
