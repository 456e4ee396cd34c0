//! The live log's stream over real HTTP: an event stored through another server (a replica
//! on the same database) reaches this server's stream; only the partner's own events of the
//! period come; a reconnecting browser resumes where it was; the streams are bounded.

use std::time::Duration as StdDuration;

use app::state::Limits;
use chrono::Duration;
use reqwest::StatusCode;

use crate::support::{TestApp, rfc3339, spawn_app, spawn_app_with};

/// An open live stream, read message by message.
struct Stream(reqwest::Response);

impl Stream {
    async fn open(app: &TestApp, client: &reqwest::Client, after: i64, last_event_id: Option<i64>) -> Stream {
        let mut request = client.get(app.url(app::activity::LIVE_PATH)).query(&[
            ("from", rfc3339(app.now - Duration::days(1))),
            ("to", rfc3339(app.now + Duration::days(1))),
            ("after", after.to_string()),
        ]);
        if let Some(id) = last_event_id {
            request = request.header("last-event-id", id.to_string());
        }
        let response = request.send().await.unwrap();
        assert_eq!(response.status(), StatusCode::OK);
        assert_eq!(response.headers()["content-type"], "text/event-stream");
        let mut stream = Stream(response);
        assert!(stream.next().await.unwrap().contains("event: ready"));
        stream
    }

    /// The next message (keep-alive comments left out), or `None` within `wait`.
    async fn next_within(&mut self, wait: StdDuration) -> Option<String> {
        let mut text = String::new();
        loop {
            if let Some(end) = text.find("\n\n") {
                let message = text[..end].to_string();
                if message.lines().all(|line| line.starts_with(':')) {
                    text.drain(..end + 2);
                    continue;
                }
                return Some(message);
            }
            let chunk = tokio::time::timeout(wait, self.0.chunk()).await.ok()?.unwrap()?;
            text.push_str(std::str::from_utf8(&chunk).unwrap());
        }
    }

    async fn next(&mut self) -> Option<String> {
        self.next_within(StdDuration::from_secs(5)).await
    }
}

async fn head(app: &TestApp) -> i64 {
    app::event_table::chain::chain_position(&app.db, app::ids::PartnerId(1))
        .await
        .unwrap()
}

/// Stores one password reset through `base` (a server's URL) at `when`.
async fn store_through(base: &str, token: &str, id: &str, when: chrono::DateTime<chrono::Utc>) {
    let response = reqwest::Client::new()
        .post(format!("{base}/api/v1/events"))
        .bearer_auth(token)
        .json(&serde_json::json!({"events": [{
            "id": id, "occurred_at": rfc3339(when),
            "partner_user": "helpdesk.agent@contoso.example", "action": "reset_user_password",
            "details": {"type": "password_reset", "user_principal_name": "megan@adatum.example"}
        }]}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_event_stored_through_another_server_reaches_this_servers_live_log() {
    let app = spawn_app().await;
    let other = app.another_server().await;
    let token = app.contoso_token().await;
    let viewer = app.signed_in("global.admin@contoso.example").await;
    let mut stream = Stream::open(&app, &viewer, head(&app).await, None).await;

    // Outside the period, and another partner's: neither comes.
    store_through(&other, &token, "live-last-month", app.now - Duration::days(30)).await;
    let fabrikam = app
        .token_with(2, &[app::api_tokens::model::TokenScope::WriteEvents])
        .await;
    let response = reqwest::Client::new()
        .post(format!("{other}/api/v1/events"))
        .bearer_auth(&fabrikam)
        .json(&serde_json::json!({"events": [{
            "id": "live-fabrikam", "occurred_at": rfc3339(app.now),
            "partner_user": "global.admin@fabrikam.example", "action": "reset_user_password",
            "details": {"type": "password_reset", "user_principal_name": "x@fabrikam.example"}
        }]}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    // In the period, through the other server: it comes, as a page of the log.
    store_through(&other, &token, "live-now", app.now).await;
    let message = stream.next().await.expect("the event arrives");
    assert!(message.starts_with("event: events\n"), "{message}");
    let id: i64 = message
        .lines()
        .find_map(|line| line.strip_prefix("id: "))
        .unwrap()
        .parse()
        .unwrap();
    assert_eq!(id, head(&app).await, "the message says how far it reached");
    let data = message
        .lines()
        .find_map(|line| line.strip_prefix("data: "))
        .unwrap();
    let page: app::activity::wire::EventPage = serde_json::from_str(data).unwrap();
    let ids: Vec<String> = page.unpack().into_iter().map(|entry| entry.event_id).collect();
    assert_eq!(ids, ["live-now"]);

    // A browser that reconnects with the last id gets only what came after it.
    drop(stream);
    let mut resumed = Stream::open(&app, &viewer, 0, Some(id)).await;
    store_through(&app.url(""), &token, "live-later", app.now).await;
    let message = resumed.next().await.expect("the next event arrives");
    assert!(
        message.contains("live-later") && !message.contains("live-now"),
        "{message}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn live_streams_are_bounded_per_partner_and_need_a_viewer() {
    let limits = Limits {
        live_streams_per_partner: 1,
        ..Limits::default()
    };
    let app = spawn_app_with(50, limits).await;
    let viewer = app.signed_in("global.admin@contoso.example").await;
    let _open = Stream::open(&app, &viewer, 0, None).await;
    let query = [
        ("from", rfc3339(app.now - Duration::days(1))),
        ("to", rfc3339(app.now + Duration::days(1))),
        ("after", "0".into()),
    ];
    let second = viewer
        .get(app.url(app::activity::LIVE_PATH))
        .query(&query)
        .send()
        .await
        .unwrap();
    assert_eq!(second.status(), StatusCode::TOO_MANY_REQUESTS);
    assert!(second.headers().contains_key("retry-after"));
    // Fabrikam has its own share.
    let fabrikam = app.signed_in("global.admin@fabrikam.example").await;
    let theirs = fabrikam
        .get(app.url(app::activity::LIVE_PATH))
        .query(&query)
        .send()
        .await
        .unwrap();
    assert_eq!(theirs.status(), StatusCode::OK);
    // A period that is not one is refused by name.
    let reversed = [
        ("from", rfc3339(app.now)),
        ("to", rfc3339(app.now - Duration::days(1))),
        ("after", "0".into()),
    ];
    let refused = fabrikam
        .get(app.url(app::activity::LIVE_PATH))
        .query(&reversed)
        .send()
        .await
        .unwrap();
    assert_eq!(refused.status(), StatusCode::UNPROCESSABLE_ENTITY);
}

/// The streams of one partner share one watcher: 30 open pages cost one look a second at the
/// chain's head (not 30), and each page still gets every event stored.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn open_pages_of_one_partner_share_one_look_a_second() {
    let app = spawn_app().await;
    let viewer = app.signed_in("sales.agent@contoso.example").await;
    let after = head(&app).await;
    let mut streams = Vec::new();
    for _ in 0..30 {
        streams.push(Stream::open(&app, &viewer, after, None).await);
    }
    let looks = || app.metrics.live_head_queries.get();
    let before = looks();
    tokio::time::sleep(StdDuration::from_secs(5)).await;
    let made = looks() - before;
    assert!(made <= 7, "30 open pages looked at the chain {made} times in 5 s");
    let token = app.contoso_token().await;
    store_through(&app.url(""), &token, "live-shared-1", app.now).await;
    for (n, stream) in streams.iter_mut().enumerate() {
        let message = stream
            .next()
            .await
            .unwrap_or_else(|| panic!("stream {n} got nothing"));
        assert!(
            message.contains("event: events") && message.contains("live-shared-1"),
            "{message}"
        );
    }
}
