//! The Subscriptions page and its server function: a customer of another partner is a 404.

use app::customers::model::{CustomerSubscriptions, SUBSCRIPTIONS_PER_PAGE};
use reqwest::StatusCode;

use crate::support::{CONTOSO_CUSTOMER, FABRIKAM_CUSTOMER, assert_status, spawn_app};

async fn subscriptions_page(
    client: &reqwest::Client,
    app: &crate::support::TestApp,
    page: u32,
) -> CustomerSubscriptions {
    let response = client
        .post(app.url("/api/customer_subscriptions"))
        .form(&[
            ("customer_id", CONTOSO_CUSTOMER.to_string()),
            ("page", page.to_string()),
        ])
        .send()
        .await
        .unwrap();
    serde_json::from_str(&assert_status(response, StatusCode::OK).await).unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_customer_lists_its_subscriptions_a_page_at_a_time() {
    // Enough orders that the customer's subscriptions fill several pages.
    let app = crate::support::spawn_app_with(6000, app::state::Limits::default()).await;
    let client = app.signed_in("sales.agent@contoso.example").await;
    let expected = app
        .count(&format!(
            "SELECT COUNT(*) FROM subscriptions WHERE customer_id = {CONTOSO_CUSTOMER}"
        ))
        .await;
    assert!(
        expected > SUBSCRIPTIONS_PER_PAGE as i64,
        "the demo customer needs several pages: {expected}"
    );

    // Page by page, every subscription once, newest start first, no page over the limit.
    let mut seen = Vec::new();
    let mut page = 0;
    loop {
        let found = subscriptions_page(&client, &app, page).await;
        assert_eq!(found.customer.company_name, "주식회사 한빛소프트");
        assert_eq!(found.total as i64, expected);
        assert!(found.subscriptions.len() <= SUBSCRIPTIONS_PER_PAGE);
        if found.subscriptions.is_empty() {
            break;
        }
        seen.extend(found.subscriptions);
        page += 1;
    }
    assert_eq!(
        page as usize,
        (expected as usize).div_ceil(SUBSCRIPTIONS_PER_PAGE)
    );
    assert_eq!(seen.len() as i64, expected);
    let mut ids: Vec<&str> = seen.iter().map(|s| s.id.as_str()).collect();
    ids.sort();
    ids.dedup();
    assert_eq!(ids.len() as i64, expected, "no subscription on two pages");
    assert!(
        seen.windows(2)
            .all(|pair| pair[0].start_date >= pair[1].start_date)
    );

    // The page itself: the second page's rows, and links both ways.
    let html = client
        .get(app.url(&format!("/customers/{CONTOSO_CUSTOMER}/subscriptions?page=2")))
        .send()
        .await
        .unwrap();
    let html = assert_status(html, StatusCode::OK).await;
    assert!(html.contains("주식회사 한빛소프트"));
    assert!(
        html.contains(&seen[SUBSCRIPTIONS_PER_PAGE].id),
        "the 101st is on page 2"
    );
    assert!(!html.contains(&seen[0].id), "the first is not");
    assert!(html.contains("href=\"?page=1\""), "a link back");
    assert!(html.contains(&format!(
        "101–{}",
        (2 * SUBSCRIPTIONS_PER_PAGE).min(expected as usize)
    )));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn another_partners_customer_is_not_found() {
    let app = spawn_app().await;
    let client = app.signed_in("global.admin@contoso.example").await;
    let response = client
        .post(app.url("/api/customer_subscriptions"))
        .form(&[("customer_id", FABRIKAM_CUSTOMER.to_string())])
        .send()
        .await
        .unwrap();
    let body = assert_status(response, StatusCode::NOT_FOUND).await;
    assert!(!body.contains("Alpine"), "{body}");

    let page = client
        .get(app.url(&format!("/customers/{FABRIKAM_CUSTOMER}/subscriptions")))
        .send()
        .await
        .unwrap();
    let html = assert_status(page, StatusCode::NOT_FOUND).await;
    assert!(html.contains("Customer not found."));
    assert!(!html.contains("Alpine Ski House"));

    for missing in ["999999", "not-a-number"] {
        let page = client
            .get(app.url(&format!("/customers/{missing}/subscriptions")))
            .send()
            .await
            .unwrap();
        assert_status(page, StatusCode::NOT_FOUND).await;
    }
}
