//! Signing in through a partner's own OpenID provider, against a real one: panva's certified
//! `oidc-provider` (end2end/oidc/provider.mjs, from end2end's npm packages), started here on
//! a free port with its own keys and test users. Its test controls make its next token
//! answer wrong in one way (audience, expiry, signature, nonce, email) or rotate its keys.

use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use app::auth::model::{Role, Viewer};
use reqwest::{Client, StatusCode};
use serde_json::json;

use crate::support::{PASSWORD, TestApp, client, error_message, free_port, spawn_app};

const CLIENT_ID: &str = "activity-log";
const CLIENT_SECRET: &str = "provider-test-secret";

/// The provider's process; stopped when dropped.
struct Provider {
    child: Child,
    issuer: String,
    _dir: tempfile::TempDir,
}

impl Drop for Provider {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The provider's people: `sub` is what its login form takes.
fn accounts() -> serde_json::Value {
    json!([
        {"sub": "grace", "email": "global.admin@contoso.example", "email_verified": true, "name": "Grace Park", "groups": ["alog-admins"]},
        {"sub": "hana", "email": "helpdesk.agent@contoso.example", "email_verified": true, "name": "Hana Kim", "groups": ["alog-billing"]},
        {"sub": "sofia", "email": "sales.agent@contoso.example", "email_verified": true, "name": "Sofia Alvarez", "groups": []},
        {"sub": "newcomer", "email": "new.person@contoso.example", "email_verified": true, "name": "New Person", "groups": ["alog-sales"]},
        {"sub": "unmapped", "email": "no.role@contoso.example", "email_verified": true, "name": "No Role", "groups": ["elsewhere"]},
        {"sub": "unverified", "email": "unverified@contoso.example", "email_verified": false, "name": "Un Verified", "groups": ["alog-sales"]},
        {"sub": "outsider", "email": "someone@outside.example", "email_verified": true, "name": "Out Sider", "groups": ["alog-admins"]},
    ])
}

impl Provider {
    async fn start(app: &TestApp) -> Provider {
        let dir = tempfile::tempdir().unwrap();
        let config = dir.path().join("provider.json");
        let settings = json!({
            "clients": [{
                "client_id": CLIENT_ID,
                "client_secret": CLIENT_SECRET,
                "redirect_uris": [app.url("/sso/callback")],
                "post_logout_redirect_uris": [app.url("/sign-in")],
            }],
            "accounts": accounts(),
        });
        std::fs::write(&config, settings.to_string()).unwrap();
        let port = free_port();
        let child = Command::new("node")
            .current_dir(concat!(env!("CARGO_MANIFEST_DIR"), "/../end2end"))
            .arg("oidc/provider.mjs")
            .arg(port.to_string())
            .arg(&config)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("node runs (scripts/test installs end2end's packages)");
        let provider = Provider {
            child,
            issuer: format!("http://127.0.0.1:{port}"),
            _dir: dir,
        };
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            let answer = reqwest::get(format!("{}/jwks", provider.issuer)).await;
            if answer.is_ok_and(|answer| answer.status().is_success()) {
                return provider;
            }
            assert!(Instant::now() < deadline, "the OpenID provider never started");
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// Makes the provider's next token answer wrong in one way (`mode` as provider.mjs takes it).
    async fn next_answer(&self, mode: serde_json::Value) {
        let answer = Client::new()
            .post(format!("{}/__test/mode", self.issuer))
            .body(mode.to_string())
            .send()
            .await
            .unwrap();
        assert!(answer.status().is_success());
    }

    fn signal(&self, signal: &str) {
        let sent = Command::new("kill")
            .args([signal, &self.child.id().to_string()])
            .status()
            .unwrap();
        assert!(sent.success());
    }

    /// A new signing key with a new `kid`; the old one leaves the provider's key set.
    async fn rotate_keys(&self) -> String {
        let answer: serde_json::Value = Client::new()
            .post(format!("{}/__test/rotate", self.issuer))
            .body("{}")
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        answer["kid"].as_str().unwrap().to_string()
    }
}

/// Contoso's provider settings as the form posts them, with `changes` over the defaults.
fn settings<'a>(provider: &'a Provider, changes: &[(&'a str, &'a str)]) -> Vec<(&'a str, &'a str)> {
    let mut fields = vec![
        ("issuer", provider.issuer.as_str()),
        ("client_id", CLIENT_ID),
        ("client_secret", CLIENT_SECRET),
        ("domains", "contoso.example"),
        ("role_claim", "groups"),
        ("global_admin", "alog-admins"),
        ("billing_admin", "alog-billing"),
        ("sales_agent", "alog-sales"),
        ("create_users", "on"),
    ];
    for (name, value) in changes {
        fields.retain(|(field, _)| field != name);
        if !value.is_empty() {
            fields.push((name, value));
        }
    }
    fields
}

async fn save(app: &TestApp, admin: &Client, fields: &[(&str, &str)]) -> reqwest::Response {
    admin
        .post(app.url("/api/save_provider"))
        .form(fields)
        .send()
        .await
        .unwrap()
}

/// Follows a sign-in from our start page through the provider's login form, up to (not
/// into) our callback; returns the callback URL the provider sent the browser to.
async fn through_provider(app: &TestApp, browser: &Client, email: &str, login: &str) -> String {
    let mut url = app.url(&format!("/sso/start?email={email}"));
    let mut logged_in = false;
    for _ in 0..12 {
        let answer = browser.get(&url).send().await.unwrap();
        let answer = if answer.status() == StatusCode::OK && url.contains("/interaction/") && !logged_in {
            logged_in = true;
            browser.post(&url).form(&[("login", login)]).send().await.unwrap()
        } else {
            answer
        };
        assert!(answer.status().is_redirection(), "{url}: {}", answer.status());
        let location = answer.headers()["location"].to_str().unwrap().to_string();
        url = match location.strip_prefix('/') {
            Some(path) => {
                let base = reqwest::Url::parse(&url).unwrap();
                format!("{}://{}/{path}", base.scheme(), base.authority())
            }
            None => location,
        };
        if url.starts_with(&app.url("/sso/callback")) {
            return url;
        }
    }
    panic!("the sign-in never came back to our callback (last at {url})");
}

/// Where our callback sent the browser: the log, or the sign-in page with `?sso_error=`.
async fn finish(browser: &Client, callback: &str) -> String {
    let answer = browser.get(callback).send().await.unwrap();
    assert_eq!(answer.status(), StatusCode::SEE_OTHER, "{callback}");
    answer.headers()["location"].to_str().unwrap().to_string()
}

async fn sign_in_through(app: &TestApp, email: &str, login: &str) -> (Client, String) {
    let browser = client();
    let callback = through_provider(app, &browser, email, login).await;
    let landed = finish(&browser, &callback).await;
    (browser, landed)
}

async fn viewer(app: &TestApp, browser: &Client) -> Option<Viewer> {
    browser
        .post(app.url("/api/viewer"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap()
}

const ON_THE_LOG: &str = "/account-settings/activity-log";

async fn contoso_with_provider(changes: &[(&str, &str)]) -> (TestApp, Provider, Client) {
    let app = spawn_app().await;
    let provider = Provider::start(&app).await;
    let admin = app.signed_in("global.admin@contoso.example").await;
    let saved = save(&app, &admin, &settings(&provider, changes)).await;
    assert_eq!(saved.status(), StatusCode::OK, "{}", saved.text().await.unwrap());
    (app, provider, admin)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn people_sign_in_through_their_provider_with_the_mapped_role() {
    let (app, provider, admin) = contoso_with_provider(&[]).await;
    let shown: serde_json::Value = admin
        .post(app.url("/api/provider_settings"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(shown["issuer"], provider.issuer);
    assert_eq!(shown["redirect_uri"], app.url("/sso/callback"));
    assert!(
        !shown.to_string().contains(CLIENT_SECRET),
        "the secret is never shown again: {shown}"
    );

    // The sign-in page's question: this domain goes to its provider, another to a password.
    let way: serde_json::Value = client()
        .post(app.url("/api/sign_in_way"))
        .form(&[("email", "Helpdesk.Agent@Contoso.example")])
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(
        way["Provider"]["start"],
        "/sso/start?email=helpdesk%2Eagent%40contoso%2Eexample"
    );
    let way: serde_json::Value = client()
        .post(app.url("/api/sign_in_way"))
        .form(&[("email", "global.admin@fabrikam.example")])
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(way, json!("Password"));

    // An existing account: the mapping says Billing admin, so the Helpdesk agent becomes one.
    let (hana, landed) = sign_in_through(&app, "helpdesk.agent@contoso.example", "hana").await;
    assert_eq!(landed, ON_THE_LOG);
    let seen = viewer(&app, &hana).await.expect("signed in");
    assert_eq!(seen.role, Role::BillingAdmin);
    assert_eq!(seen.partner_name, "Contoso Partners");
    assert_eq!(
        hana.get(app.url(ON_THE_LOG)).send().await.unwrap().status(),
        StatusCode::OK
    );

    // No value of the claim maps: the account keeps its role.
    let (sofia, landed) = sign_in_through(&app, "sales.agent@contoso.example", "sofia").await;
    assert_eq!(landed, ON_THE_LOG);
    assert_eq!(viewer(&app, &sofia).await.unwrap().role, Role::SalesAgent);

    // A new person with a mapped value gets an account with that role; one without, none.
    let (newcomer, landed) = sign_in_through(&app, "new.person@contoso.example", "newcomer").await;
    assert_eq!(landed, ON_THE_LOG);
    let made = viewer(&app, &newcomer).await.unwrap();
    assert_eq!(
        (made.role, made.display_name.as_str()),
        (Role::SalesAgent, "New Person")
    );
    let (unmapped, landed) = sign_in_through(&app, "no.role@contoso.example", "unmapped").await;
    assert_eq!(landed, "/sign-in?sso_error=no_access");
    assert_eq!(viewer(&app, &unmapped).await, None);
    // The account made by the provider has no password that works.
    let refused = app
        .sign_in(&client(), "new.person@contoso.example", "!provider")
        .await;
    assert_eq!(refused.status(), StatusCode::UNPROCESSABLE_ENTITY);

    // Creation turned off: the next new person is refused, in the page's words.
    let saved = save(
        &app,
        &admin,
        &settings(&provider, &[("create_users", ""), ("client_secret", "")]),
    )
    .await;
    assert_eq!(saved.status(), StatusCode::OK, "{}", saved.text().await.unwrap());
    provider
        .next_answer(json!({"mode": "other_email", "email": "second.new@contoso.example"}))
        .await;
    let (_, landed) = sign_in_through(&app, "new.person@contoso.example", "newcomer").await;
    assert_eq!(landed, "/sign-in?sso_error=no_access");
    // The secret kept (an empty field keeps it): the known still sign in.
    let (_, landed) = sign_in_through(&app, "new.person@contoso.example", "newcomer").await;
    assert_eq!(landed, ON_THE_LOG);
    let sign_in_page = client()
        .get(app.url("/sign-in?sso_error=no_access"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        sign_in_page.contains("You have no access here yet"),
        "{sign_in_page:.2000}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_bad_answer_is_refused_with_no_session() {
    let (app, provider, _) = contoso_with_provider(&[]).await;
    let cases = [
        (json!({"mode": "wrong_aud"}), "bad_token"),
        (json!({"mode": "expired"}), "bad_token"),
        (json!({"mode": "bad_signature"}), "bad_token"),
        (json!({"mode": "no_nonce"}), "bad_token"),
        (json!({"mode": "wrong_nonce"}), "bad_token"),
        (json!({"mode": "wrong_iss"}), "bad_token"),
        (json!({"mode": "not_yet_valid"}), "bad_token"),
        (json!({"mode": "alg_none"}), "bad_token"),
        (
            json!({"mode": "claims", "set": {"azp": "someone-else"}}),
            "bad_token",
        ),
        (json!({"mode": "email_unverified"}), "email_not_verified"),
        (
            json!({"mode": "claims", "unset": ["email"]}),
            "email_not_verified",
        ),
        // Contoso's provider speaking for Fabrikam's people: never.
        (
            json!({"mode": "other_email", "email": "global.admin@fabrikam.example"}),
            "wrong_domain",
        ),
        (json!({"mode": "token_error"}), "provider_refused"),
    ];
    for (mode, refusal) in cases {
        provider.next_answer(mode.clone()).await;
        let (browser, landed) = sign_in_through(&app, "global.admin@contoso.example", "grace").await;
        assert_eq!(landed, format!("/sign-in?sso_error={refusal}"), "{mode}");
        assert_eq!(viewer(&app, &browser).await, None, "{mode}");
    }
    let (browser, landed) = sign_in_through(&app, "unverified@contoso.example", "unverified").await;
    assert_eq!(landed, "/sign-in?sso_error=email_not_verified");
    assert_eq!(viewer(&app, &browser).await, None);
    // An email of no configured domain: the sign-in page sends it to the password form, and
    // a provider's token naming one is refused.
    let way = client()
        .get(app.url("/sso/start?email=someone@outside.example"))
        .send()
        .await
        .unwrap();
    assert_eq!(
        way.headers()["location"],
        "/sign-in?way=password&email=someone%40outside%2Eexample"
    );
    provider
        .next_answer(json!({"mode": "other_email", "email": "someone@outside.example"}))
        .await;
    let (_, landed) = sign_in_through(&app, "global.admin@contoso.example", "grace").await;
    assert_eq!(landed, "/sign-in?sso_error=wrong_domain");

    // A callback replayed in the same browser: its sign-in is used up.
    let browser = client();
    let callback = through_provider(&app, &browser, "global.admin@contoso.example", "grace").await;
    assert_eq!(finish(&browser, &callback).await, ON_THE_LOG);
    let replayed = client();
    assert_eq!(
        finish(&replayed, &callback).await,
        "/sign-in?sso_error=not_started_here"
    );
    // The same code with a new sign-in's state: the provider refuses a code used once.
    let attacker = client();
    let fresh = through_provider(&app, &attacker, "global.admin@contoso.example", "grace").await;
    let fresh = reqwest::Url::parse(&fresh).unwrap();
    let state = fresh
        .query_pairs()
        .find(|(name, _)| name == "state")
        .unwrap()
        .1
        .to_string();
    let mut reused = reqwest::Url::parse(&callback).unwrap();
    let code = reused
        .query_pairs()
        .find(|(name, _)| name == "code")
        .unwrap()
        .1
        .to_string();
    reused
        .query_pairs_mut()
        .clear()
        .append_pair("code", &code)
        .append_pair("state", &state);
    assert_eq!(
        finish(&attacker, reused.as_str()).await,
        "/sign-in?sso_error=provider_refused"
    );
    assert_eq!(viewer(&app, &attacker).await, None);

    // A state that is not the one this browser's sign-in holds.
    let browser = client();
    let callback = through_provider(&app, &browser, "global.admin@contoso.example", "grace").await;
    let mut forged = reqwest::Url::parse(&callback).unwrap();
    let code = forged
        .query_pairs()
        .find(|(name, _)| name == "code")
        .unwrap()
        .1
        .to_string();
    forged
        .query_pairs_mut()
        .clear()
        .append_pair("code", &code)
        .append_pair("state", "forged");
    assert_eq!(
        finish(&browser, forged.as_str()).await,
        "/sign-in?sso_error=not_started_here"
    );
    assert_eq!(viewer(&app, &browser).await, None);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rotated_keys_are_fetched_again_and_a_provider_down_is_said_at_once() {
    let (app, provider, _) = contoso_with_provider(&[]).await;
    let (_, landed) = sign_in_through(&app, "global.admin@contoso.example", "grace").await;
    assert_eq!(landed, ON_THE_LOG);
    let new_kid = provider.rotate_keys().await;
    // Past the bound on refetching (KEY_REFETCH_EVERY) since the keys were fetched.
    tokio::time::sleep(app::state::identity_providers::KEY_REFETCH_EVERY).await;
    let (browser, landed) = sign_in_through(&app, "global.admin@contoso.example", "grace").await;
    assert_eq!(landed, ON_THE_LOG, "signed with the new key {new_kid}");
    assert!(viewer(&app, &browser).await.is_some());

    // The provider hangs while the browser is there (stopped: it takes connections and never
    // answers): our callback gives up after its timeout and says so. Then it is gone.
    for (outage, signal, after) in [("hangs", "-STOP", Some("-CONT")), ("is gone", "-KILL", None)] {
        let browser = client();
        let callback = through_provider(&app, &browser, "global.admin@contoso.example", "grace").await;
        provider.signal(signal);
        let started = Instant::now();
        assert_eq!(
            finish(&browser, &callback).await,
            "/sign-in?sso_error=provider_down",
            "{outage}"
        );
        let took = started.elapsed();
        assert!(
            took < Duration::from_secs(7),
            "the provider {outage}: the callback took {took:?}"
        );
        assert_eq!(viewer(&app, &browser).await, None);
        if let Some(signal) = after {
            provider.signal(signal);
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_required_provider_refuses_passwords_but_the_break_glass_admin() {
    let (app, _provider, _) = contoso_with_provider(&[
        ("require_provider", "on"),
        ("break_glass_email", "global.admin@contoso.example"),
    ])
    .await;
    let refused = app
        .sign_in(&client(), "billing.admin@contoso.example", PASSWORD)
        .await;
    assert_eq!(refused.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let message = error_message(&refused.text().await.unwrap());
    assert!(message.contains("its own sign-in service"), "{message}");
    let break_glass = app.signed_in("global.admin@contoso.example").await;
    assert!(viewer(&app, &break_glass).await.is_some());
    // Another partner's people are not touched.
    let fabrikam = app.signed_in("global.admin@fabrikam.example").await;
    assert!(viewer(&app, &fabrikam).await.is_some());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_settings_are_refused_naming_the_field() {
    let app = spawn_app().await;
    let provider = Provider::start(&app).await;
    let admin = app.signed_in("global.admin@contoso.example").await;
    // A port nothing answers on, and one that accepts and never answers (a timeout, not a hang).
    let silent = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let silent_issuer = format!("http://{}", silent.local_addr().unwrap());
    let closed_issuer = format!("http://127.0.0.1:{}", free_port());
    let cases: Vec<(Vec<(&str, &str)>, &str)> = vec![
        (settings(&provider, &[("issuer", "http://idp.example")]), "issuer"),
        (
            settings(&provider, &[("issuer", "https://user:pw@idp.example")]),
            "issuer",
        ),
        (settings(&provider, &[("issuer", &closed_issuer)]), "issuer"),
        (settings(&provider, &[("issuer", &silent_issuer)]), "issuer"),
        (
            settings(&provider, &[("role_claim", "groups; drop table")]),
            "role_claim",
        ),
        (settings(&provider, &[("role_claim", "")]), "role_claim"),
        (settings(&provider, &[("domains", "not a domain/")]), "domains"),
        (settings(&provider, &[("domains", "")]), "domains"),
        (settings(&provider, &[("client_secret", "")]), "client_secret"),
        (
            settings(&provider, &[("require_provider", "on")]),
            "break_glass_email",
        ),
        (
            settings(&provider, &[("break_glass_email", "sales.agent@contoso.example")]),
            "break_glass_email",
        ),
    ];
    for (fields, field) in cases {
        let started = Instant::now();
        let answer = save(&app, &admin, &fields).await;
        assert_eq!(answer.status(), StatusCode::UNPROCESSABLE_ENTITY, "{fields:?}");
        let body: serde_json::Value = answer.json().await.unwrap();
        assert_eq!(body["field"], field, "{body}");
        assert!(
            started.elapsed() < Duration::from_secs(8),
            "{field} took {:?}",
            started.elapsed()
        );
    }
    // A domain another partner's provider answers for.
    let fabrikam = app.signed_in("global.admin@fabrikam.example").await;
    let mine = settings(
        &provider,
        &[
            ("domains", "fabrikam.example"),
            ("role_claim", ""),
            ("global_admin", ""),
            ("billing_admin", ""),
            ("sales_agent", ""),
        ],
    );
    assert_eq!(save(&app, &fabrikam, &mine).await.status(), StatusCode::OK);
    let answer = save(
        &app,
        &admin,
        &settings(&provider, &[("domains", "contoso.example, fabrikam.example")]),
    )
    .await;
    assert_eq!(answer.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let body: serde_json::Value = answer.json().await.unwrap();
    assert_eq!(body["field"], "domains", "{body}");
    // Only Global admins see or change it.
    let helpdesk = app.signed_in("helpdesk.agent@contoso.example").await;
    let answer = save(&app, &helpdesk, &settings(&provider, &[])).await;
    assert_eq!(answer.status(), StatusCode::FORBIDDEN);
    drop(silent);
}
