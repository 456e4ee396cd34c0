use http::StatusCode;
use leptos::prelude::*;
use leptos_router::hooks::{use_params_map, use_query_map};

use super::api::get_customer_subscriptions;
use crate::auth::model::VIEW_ACTIVITY_LOG;
use crate::errors::{AppError, set_response_status};
use crate::i18n::{Locale, use_locale};
use crate::layout::RequireRole;

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
    let data = Resource::new(
        move || (params.read().get("id"), page()),
        move |(id, page)| async move {
            match id.and_then(|id| id.parse::<i64>().ok()) {
                Some(id) => get_customer_subscriptions(id, Some(page)).await,
                None => Err(super::model::customer_not_found(l)),
            }
        },
    );
    view! {
        <Suspense fallback=move || view! { <p class="status">{l.pick("Loading subscriptions…", "구독을 불러오는 중…")}</p> }>
            {move || Suspend::new(async move {
                match data.await {
                    Ok(found) => {
                        let count = found.total;
                        let pager = view! { <Pager found=found.clone()/> };
                        view! {
                            <section class="subscriptions">
                                <nav class="breadcrumb" aria-label="Breadcrumb">
                                    <a href="/account-settings/activity-log">{l.pick("Activity log", "활동 로그")}</a>
                                    " / "
                                    <span>{found.customer.company_name.clone()}</span>
                                </nav>
                                <h1>{l.pick("Subscriptions", "구독")}</h1>
                                <p class="customer-name">
                                    <strong>{found.customer.company_name}</strong>
                                    " · " {found.domain.clone()} " · " {l.number(count)}
                                    {match (l, count) {
                                        (Locale::Ko, _) => "개 구독",
                                        (Locale::En, 1) => " subscription",
                                        (Locale::En, _) => " subscriptions",
                                    }}
                                </p>
                                {if found.total == 0 {
                                    view! { <p class="empty">{l.pick("This customer has no subscriptions yet.", "이 고객에게는 아직 구독이 없습니다.")}</p> }.into_any()
                                } else if found.subscriptions.is_empty() {
                                    view! {
                                        <p class="empty">
                                            {l.pick("There is no such page. ", "그런 페이지가 없습니다. ")}
                                            <a href="?page=1">{l.pick("First page", "첫 페이지")}</a>
                                        </p>
                                    }.into_any()
                                } else {
                                    view! {
                                        <table class="data-table">
                                            <thead>
                                                <tr>
                                                    <th scope="col">{l.pick("Product", "제품")}</th>
                                                    <th scope="col" class="num">{l.pick("Quantity", "수량")}</th>
                                                    <th scope="col">{l.pick("Status", "상태")}</th>
                                                    <th scope="col">{l.pick("Start date", "시작일")}</th>
                                                    <th scope="col">{l.pick("Subscription ID", "구독 ID")}</th>
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
                                    <a href="/account-settings/activity-log">{l.pick("Back to the Activity log", "활동 로그로 돌아가기")}</a>
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
    let shown = match l {
        Locale::En => format!(
            "{}–{} of {}",
            l.number(first),
            l.number(last),
            l.number(found.total)
        ),
        Locale::Ko => format!(
            "전체 {}개 중 {}–{}",
            l.number(found.total),
            l.number(first),
            l.number(last)
        ),
    };
    view! {
        <nav class="pager" aria-label=l.pick("Subscription pages", "구독 페이지")>
            {(page > 1).then(|| view! {
                <a rel="prev" href=format!("?page={}", page - 1)>{l.pick("← Previous", "← 이전")}</a>
            })}
            <span class="pager-status" aria-live="polite">{shown}</span>
            {(page < pages).then(|| view! {
                <a rel="next" href=format!("?page={}", page + 1)>{l.pick("Next →", "다음 →")}</a>
            })}
        </nav>
    }
}

fn status_label(status: &str, l: Locale) -> &'static str {
    match status {
        "active" => l.pick("Active", "활성"),
        "cancelled" => l.pick("Cancelled", "취소됨"),
        _ => l.pick("Unknown", "알 수 없음"),
    }
}
