//! The Subscriptions page and its server function: a customer of another partner is a 404.

use app::customers::model::CustomerSubscriptions;
use reqwest::StatusCode;

use crate::support::{CONTOSO_CUSTOMER, FABRIKAM_CUSTOMER, assert_status, spawn_app};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_customer_lists_its_subscriptions() {
    let app = spawn_app().await;
    let client = app.signed_in("sales.agent@contoso.example").await;
    let response = client
        .post(app.url("/api/customer_subscriptions"))
        .form(&[("customer_id", CONTOSO_CUSTOMER.to_string())])
        .send()
        .await
        .unwrap();
    let found: CustomerSubscriptions = response.json().await.unwrap();
    assert_eq!(found.customer.company_name, "주식회사 한빛소프트");
    let expected = app
        .count(&format!(
            "SELECT COUNT(*) FROM subscriptions WHERE customer_id = {CONTOSO_CUSTOMER}"
        ))
        .await;
    assert!(expected > 0);
    assert_eq!(found.subscriptions.len() as i64, expected);

    let page = client
        .get(app.url(&format!("/customers/{CONTOSO_CUSTOMER}/subscriptions")))
        .send()
        .await
        .unwrap();
    let html = assert_status(page, StatusCode::OK).await;
    assert!(html.contains("주식회사 한빛소프트"));
    assert!(html.contains(&found.subscriptions[0].id));
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
