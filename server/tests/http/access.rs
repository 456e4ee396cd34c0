//! Sign-in, sessions and the role gate, over real HTTP.

use reqwest::StatusCode;

use crate::support::{PASSWORD, assert_status, client, spawn_app};

const ALLOWED: [&str; 6] = [
    "global.admin@contoso.example",
    "billing.admin@contoso.example",
    "user.admin@contoso.example",
    "admin.agent@contoso.example",
    "sales.agent@contoso.example",
    "helpdesk.agent@contoso.example",
];

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sign_in_sets_an_http_only_same_site_cookie() {
    let app = spawn_app().await;
    let response = app
        .sign_in(&client(), "Global.Admin@Contoso.example ", PASSWORD)
        .await;
    let cookie = response
        .headers()
        .get("set-cookie")
        .expect("a session cookie")
        .to_str()
        .unwrap()
        .to_string();
    assert!(cookie.starts_with("activity_log_session="), "{cookie}");
    assert!(
        cookie.contains("HttpOnly") && cookie.contains("SameSite=Lax"),
        "{cookie}"
    );
    assert_eq!(app.count("SELECT COUNT(*) FROM sessions").await, 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unknown_email_and_wrong_password_get_the_same_answer() {
    let app = spawn_app().await;
    let wrong_password = app
        .sign_in(&client(), "global.admin@contoso.example", "nope")
        .await;
    let unknown_email = app.sign_in(&client(), "nobody@contoso.example", PASSWORD).await;
    assert!(wrong_password.headers().get("set-cookie").is_none());
    let a = assert_status(wrong_password, StatusCode::UNPROCESSABLE_ENTITY).await;
    let b = assert_status(unknown_email, StatusCode::UNPROCESSABLE_ENTITY).await;
    assert_eq!(a, b);
    assert!(a.contains("The email or password is not right."), "{a}");
    assert_eq!(app.count("SELECT COUNT(*) FROM sessions").await, 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_activity_log_without_a_session_is_refused() {
    let app = spawn_app().await;
    let body = assert_status(app.list_last_month(&client()).await, StatusCode::UNAUTHORIZED).await;
    assert!(body.contains("NotSignedIn"), "{body}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_forged_session_cookie_is_refused() {
    let app = spawn_app().await;
    let response = reqwest::Client::new()
        .post(app.url("/api/list_activity"))
        .header("cookie", format!("activity_log_session={}", "a".repeat(64)))
        .form(&[("from", "2026-01-01T00:00:00Z"), ("to", "2026-01-02T00:00:00Z")])
        .send()
        .await
        .unwrap();
    assert_status(response, StatusCode::UNAUTHORIZED).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_of_the_six_roles_may_list_activity() {
    let app = spawn_app().await;
    for email in ALLOWED {
        let client = app.signed_in(email).await;
        let response = app.list_last_month(&client).await;
        assert_eq!(response.status(), StatusCode::OK, "{email}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_referrals_admin_is_refused_by_every_server_function_and_page() {
    let app = spawn_app().await;
    let client = app.signed_in("referrals.admin@contoso.example").await;
    let body = assert_status(app.list_last_month(&client).await, StatusCode::FORBIDDEN).await;
    assert!(body.contains("RoleNotAllowed"), "{body}");
    let response = client
        .post(app.url("/api/customer_subscriptions"))
        .form(&[("customer_id", "1")])
        .send()
        .await
        .unwrap();
    assert_status(response, StatusCode::FORBIDDEN).await;
    let page = client
        .get(app.url("/account-settings/activity-log"))
        .send()
        .await
        .unwrap();
    let html = assert_status(page, StatusCode::FORBIDDEN).await;
    assert!(html.contains("Your role can"), "the page explains the refusal");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_page_sends_anonymous_visitors_to_sign_in() {
    let app = spawn_app().await;
    // A browser's navigation accepts HTML; that is what makes the redirect a real 302.
    let response = client()
        .get(app.url("/account-settings/activity-log"))
        .header("accept", "text/html")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::FOUND);
    assert_eq!(response.headers()["location"], "/sign-in");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn signing_out_invalidates_the_session_on_the_server() {
    let app = spawn_app().await;
    let client = app.signed_in("sales.agent@contoso.example").await;
    assert_eq!(app.list_last_month(&client).await.status(), StatusCode::OK);
    let response = client.post(app.url("/api/sign_out")).send().await.unwrap();
    assert!(response.status().is_success() || response.status().is_redirection());
    assert_eq!(app.count("SELECT COUNT(*) FROM sessions").await, 0);
    assert_eq!(
        app.list_last_month(&client).await.status(),
        StatusCode::UNAUTHORIZED
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn demo_accounts_are_listed_only_for_a_demo_database() {
    let app = spawn_app().await;
    let demo_accounts = || async {
        let response = client().post(app.url("/api/demo_accounts")).send().await.unwrap();
        response.text().await.unwrap()
    };
    let listed = demo_accounts().await;
    assert!(listed.contains("referrals.admin@contoso.example"), "{listed}");
    assert!(!listed.contains("argon2"), "no password hash leaves the server");
    app::db::on_db!(&app.db, |pool| sqlx::query(
        "DELETE FROM app_meta WHERE key = 'demo'"
    )
    .execute(pool)
    .await
    .map(|done| done.rows_affected()))
    .unwrap();
    assert_eq!(demo_accounts().await, "[]");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn signing_in_again_rotates_the_session_id() {
    let app = spawn_app().await;
    let client = client();
    let first = app
        .sign_in(&client, "admin.agent@contoso.example", PASSWORD)
        .await;
    let first_cookie = first.headers()["set-cookie"].to_str().unwrap().to_string();
    let second = app
        .sign_in(&client, "admin.agent@contoso.example", PASSWORD)
        .await;
    let second_cookie = second.headers()["set-cookie"].to_str().unwrap().to_string();
    assert_ne!(first_cookie.split(';').next(), second_cookie.split(';').next());
    assert_eq!(
        app.count("SELECT COUNT(*) FROM sessions").await,
        1,
        "the old session ended"
    );
    assert_eq!(app.list_last_month(&client).await.status(), StatusCode::OK);
}

fn db_time(time: chrono::DateTime<chrono::Utc>) -> String {
    app::db::to_db_time(time)
}

/// Just inside and just outside the 30 min idle timeout and the 8 h lifetime (Leptos.toml),
/// so a wrong limit in either direction fails.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn idle_and_expired_sessions_end_on_the_server() {
    use chrono::{Duration, Utc};
    let app = spawn_app().await;
    let client = app.signed_in("sales.agent@contoso.example").await;
    let (created_at, expires_at): (String, String) = app::db::on_db!(&app.db, |pool| sqlx::query_as(
        "SELECT created_at, expires_at FROM sessions"
    )
    .fetch_one(pool)
    .await)
    .unwrap();
    let lifetime = app::db::from_db_time(&expires_at).unwrap() - app::db::from_db_time(&created_at).unwrap();
    assert_eq!(lifetime, Duration::hours(8), "sessions last 8 h at most");

    let set = |column: &'static str, time: chrono::DateTime<Utc>| {
        let db = app.db.clone();
        async move {
            app::db::on_db!(&db, |pool| sqlx::query(&format!(
                "UPDATE sessions SET {column} = $1"
            ))
            .bind(db_time(time))
            .execute(pool)
            .await
            .map(|done| done.rows_affected()))
            .unwrap();
        }
    };
    // Idle for 29 min: still signed in (and the use counts as activity again).
    set("last_seen_at", Utc::now() - Duration::minutes(29)).await;
    assert_eq!(app.list_last_month(&client).await.status(), StatusCode::OK);
    // Near the end of the lifetime: still signed in.
    set("expires_at", Utc::now() + Duration::minutes(1)).await;
    assert_eq!(app.list_last_month(&client).await.status(), StatusCode::OK);
    // Idle for 31 min: signed out, and the session is deleted.
    set("last_seen_at", Utc::now() - Duration::minutes(31)).await;
    assert_eq!(
        app.list_last_month(&client).await.status(),
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        app.count("SELECT COUNT(*) FROM sessions").await,
        0,
        "the idle session was deleted"
    );

    // A minute past the lifetime, however recently used: signed out.
    let client = app.signed_in("sales.agent@contoso.example").await;
    set("expires_at", Utc::now() - Duration::minutes(1)).await;
    assert_eq!(
        app.list_last_month(&client).await.status(),
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        app.count("SELECT COUNT(*) FROM sessions").await,
        0,
        "the expired session was deleted"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn repeated_failures_lock_the_account_with_the_wait_time() {
    let app = spawn_app().await;
    for _ in 0..5 {
        let response = app
            .sign_in(&client(), "billing.admin@contoso.example", "guess")
            .await;
        assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
    }
    // After five failures even the right password waits, and says for how long.
    let response = app
        .sign_in(&client(), "billing.admin@contoso.example", PASSWORD)
        .await;
    assert!(response.headers().get("set-cookie").is_none());
    // The server function's error carries its headers too (the one road: status_from_app_error).
    assert_eq!(response.headers()["retry-after"], "30");
    let body = assert_status(response, StatusCode::TOO_MANY_REQUESTS).await;
    assert!(
        body.contains("Too many failed sign-ins. Try again in 30 seconds."),
        "{body}"
    );
    // Another account from the same address is not locked by this one.
    let other = app
        .sign_in(&client(), "sales.agent@contoso.example", PASSWORD)
        .await;
    assert!(other.status().is_success() || other.status().is_redirection());
}
