//! Language, columns and time zone: remembered per user in the database, the language also
//! in a cookie so the server's first render is already in it.

use app::activity::view::{Column, ZoneChoice};
use app::auth::model::Viewer;
use app::i18n::Locale;
use reqwest::StatusCode;

use crate::support::{assert_status, client, error_message, spawn_app};

async fn viewer(app: &crate::support::TestApp, client: &reqwest::Client) -> Viewer {
    let response = client.post(app.url("/api/viewer")).send().await.unwrap();
    let viewer: Option<Viewer> = response.json().await.unwrap();
    viewer.expect("signed in")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_users_choices_are_remembered_across_browsers() {
    let app = spawn_app().await;
    let first = app.signed_in("admin.agent@contoso.example").await;
    assert_eq!(viewer(&app, &first).await.preferences, Default::default());

    let saved = first
        .post(app.url("/api/save_view_preferences"))
        .form(&[("columns", "event_id,time,action"), ("time_zone", "utc")])
        .send()
        .await
        .unwrap();
    assert_status(saved, StatusCode::OK).await;
    let chosen = first
        .post(app.url("/api/choose_language"))
        .form(&[("lang", "ko")])
        .send()
        .await
        .unwrap();
    let cookie = chosen.headers()["set-cookie"].to_str().unwrap().to_string();
    assert!(cookie.starts_with("alog_lang=ko;"), "{cookie}");
    assert_status(chosen, StatusCode::OK).await;
    // Saving only the columns keeps the zone and the language.
    let columns_only = first
        .post(app.url("/api/save_view_preferences"))
        .form(&[("columns", "time,action,event_id"), ("time_zone", "")])
        .send()
        .await
        .unwrap();
    assert_status(columns_only, StatusCode::OK).await;

    // Another browser: signing in brings the language back, and the pages speak it.
    let second = app.signed_in("admin.agent@contoso.example").await;
    let preferences = viewer(&app, &second).await.preferences;
    assert_eq!(preferences.locale, Some(Locale::Ko));
    assert_eq!(
        preferences.columns,
        Some(vec![Column::Time, Column::Action, Column::EventId])
    );
    assert_eq!(preferences.zone, Some(ZoneChoice::Utc));
    let page = second
        .get(app.url("/account-settings/activity-log"))
        .send()
        .await
        .unwrap();
    let html = assert_status(page, StatusCode::OK).await;
    assert!(html.contains("<html lang=\"ko\""), "{html:.300}");
    assert!(html.contains("활동 로그"));

    // Someone else's choices are their own.
    let other = app.signed_in("sales.agent@contoso.example").await;
    assert_eq!(viewer(&app, &other).await.preferences, Default::default());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_browsers_language_is_the_default_and_bad_choices_are_refused() {
    let app = spawn_app().await;
    let korean = client()
        .get(app.url("/sign-in"))
        .header("accept-language", "ko-KR,ko;q=0.9,en;q=0.5")
        .send()
        .await
        .unwrap();
    let html = assert_status(korean, StatusCode::OK).await;
    assert!(html.contains("<html lang=\"ko\""));
    assert!(html.contains("Partner Center에 로그인"));
    let english = client().get(app.url("/sign-in")).send().await.unwrap();
    let html = assert_status(english, StatusCode::OK).await;
    assert!(html.contains("<html lang=\"en\""));
    assert!(html.contains("Sign in to Partner Center"));

    let anonymous = client();
    let bad_language = anonymous
        .post(app.url("/api/choose_language"))
        .form(&[("lang", "ko-KR")])
        .send()
        .await
        .unwrap();
    let body = assert_status(bad_language, StatusCode::UNPROCESSABLE_ENTITY).await;
    assert!(body.contains("use one of en, ko, ja"), "{body}");

    let signed_in = app.signed_in("global.admin@contoso.example").await;
    for (columns, zone, words) in [
        ("time,colour", "", "Unknown column"),
        ("", "mars", "use local or utc"),
    ] {
        let response = signed_in
            .post(app.url("/api/save_view_preferences"))
            .form(&[("columns", columns), ("time_zone", zone)])
            .send()
            .await
            .unwrap();
        let body = assert_status(response, StatusCode::UNPROCESSABLE_ENTITY).await;
        assert!(body.contains(words), "{body}");
    }
    assert_eq!(viewer(&app, &signed_in).await.preferences, Default::default());
}

/// Refusals a person can meet from the pages speak the page's language: the language
/// cookie, else `Accept-Language`. Machine clients that send neither get English.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn refusals_come_in_the_callers_language() {
    use crate::support::FABRIKAM_CUSTOMER;
    let app = spawn_app().await;

    let wrong_password = |accept: &'static str| {
        let app = &app;
        async move {
            let response = client()
                .post(app.url("/api/sign_in"))
                .header("accept-language", accept)
                .form(&[("email", "global.admin@contoso.example"), ("password", "nope")])
                .send()
                .await
                .unwrap();
            assert_status(response, StatusCode::UNPROCESSABLE_ENTITY).await
        }
    };
    let korean = wrong_password("ko-KR,ko;q=0.9").await;
    assert!(
        korean.contains("이메일 또는 비밀번호가 올바르지 않습니다."),
        "{korean}"
    );
    let english = wrong_password("en-US").await;
    assert!(
        english.contains("The email or password is not right."),
        "{english}"
    );

    // A role that may not see the log, having chosen Korean: the server function, the
    // export and the page all refuse in Korean.
    let referrals = app.signed_in("referrals.admin@contoso.example").await;
    let chosen = referrals
        .post(app.url("/api/choose_language"))
        .form(&[("lang", "ko")])
        .send()
        .await
        .unwrap();
    assert_status(chosen, StatusCode::OK).await;
    let listed = assert_status(app.list_last_month(&referrals).await, StatusCode::FORBIDDEN).await;
    assert!(
        listed.contains("이 역할로는 활동 로그를 볼 수 없습니다."),
        "{listed}"
    );
    let october = [
        ("from", "2026-10-01T00:00:00Z"),
        ("to", "2026-11-01T00:00:00Z"),
        ("from_date", "2026-10-01"),
        ("to_date", "2026-10-31"),
    ];
    let exported = app.export(&referrals, &october).await;
    let exported = assert_status(exported, StatusCode::FORBIDDEN).await;
    assert_eq!(
        error_message(&exported),
        "이 역할로는 활동 로그를 볼 수 없습니다."
    );

    // Another partner's customer, in Korean; the same call in English says so in English.
    let global = app.signed_in("global.admin@contoso.example").await;
    let not_found = |accept: &'static str| {
        let (app, global) = (&app, &global);
        async move {
            let response = global
                .post(app.url("/api/customer_subscriptions"))
                .header("accept-language", accept)
                .form(&[("customer_id", FABRIKAM_CUSTOMER.to_string())])
                .send()
                .await
                .unwrap();
            assert_status(response, StatusCode::NOT_FOUND).await
        }
    };
    let korean = not_found("ko").await;
    assert!(korean.contains("고객을 찾을 수 없습니다."), "{korean}");
    assert!(not_found("en").await.contains("Customer not found."));
    // Not signed in, in Korean: the export's refusal (the same JSON as every error) too.
    let anonymous = client()
        .post(app.url("/account-settings/activity-log/export"))
        .header("accept-language", "ko")
        .form(&october)
        .send()
        .await
        .unwrap();
    let anonymous = assert_status(anonymous, StatusCode::UNAUTHORIZED).await;
    assert_eq!(error_message(&anonymous), "계속하려면 로그인하세요.");
}
