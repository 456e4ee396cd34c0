//! The metrics' HTTP side: each request counted by route, method and status and timed by
//! route (`track_request`); `GET /metrics` on the metrics address (`serve`); and a probe of
//! how long getting a database connection takes (`probe_pool_waits`). The metrics themselves
//! are `app::state::metrics`.

use std::sync::Arc;
use std::time::{Duration, Instant};

use app::state::AppState;
use app::state::metrics::{Metrics, RequestLabels, RouteLabels};
use axum::Router;
use axum::extract::{MatchedPath, Request, State};
use axum::http::header;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use tokio::net::TcpListener;

use crate::connections::{self, ConnectionLimits};

pub const METRICS_PATH: &str = "/metrics";

/// Counts and times a request under its route as the router knows it (a path with
/// placeholders, from a fixed set); requests no route takes (files, not found) under `other`.
pub async fn track_request(State(metrics): State<Arc<Metrics>>, request: Request, next: Next) -> Response {
    let route = request
        .extensions()
        .get::<MatchedPath>()
        .map_or("other", MatchedPath::as_str)
        .to_string();
    let method = request.method().as_str().to_string();
    let started = Instant::now();
    let response = next.run(request).await;
    metrics
        .request_seconds
        .get_or_create(&RouteLabels { route: route.clone() })
        .observe(started.elapsed().as_secs_f64());
    metrics
        .requests
        .get_or_create(&RequestLabels {
            route,
            method: known_method(&method),
            status: response.status().as_u16(),
        })
        .inc();
    response
}

/// The method, or `other` for one that is not standard (a label must not take any text).
fn known_method(method: &str) -> String {
    match method {
        "GET" | "HEAD" | "POST" | "PUT" | "PATCH" | "DELETE" | "OPTIONS" => method.to_string(),
        _ => "other".to_string(),
    }
}

/// Serves `GET /metrics` on `listener` until the server stops (the task is aborted), with
/// the same bounds on connections as the app, scaled down: only a scraper calls here.
pub async fn serve(listener: TcpListener, state: AppState) {
    let router = Router::new().route(METRICS_PATH, get(render)).with_state(state);
    let limits = ConnectionLimits {
        max: 64,
        ..ConnectionLimits::default()
    };
    // Its connections are not counted with the app's.
    let uncounted = Arc::new(Metrics::default());
    if let Err(error) = connections::serve(listener, router, limits, uncounted, std::future::pending()).await
    {
        tracing::error!(%error, "the metrics address stopped serving");
    }
}

async fn render(State(state): State<AppState>) -> Response {
    // Reads of counters held in memory: nothing here waits.
    state.metrics.refresh(
        state.exports.running_now(),
        state.live_streams.running_now(),
        state.pool.connections(),
    );
    (
        [(
            header::CONTENT_TYPE,
            "application/openmetrics-text; version=1.0.0; charset=utf-8",
        )],
        state.metrics.encode(),
    )
        .into_response()
}

/// How long a probe waits for a connection before it counts the wait as this long.
const PROBE_LIMIT: Duration = Duration::from_secs(2);

/// Once a second, how long getting a database connection takes: what a request waits for
/// the pool at that moment (sqlx reports no waits of its own).
pub async fn probe_pool_waits(state: AppState) {
    let mut ticks = tokio::time::interval(Duration::from_secs(1));
    ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        ticks.tick().await;
        let waited = state
            .pool
            .time_to_connection(PROBE_LIMIT)
            .await
            .unwrap_or(PROBE_LIMIT);
        state.metrics.pool_wait_seconds.observe(waited.as_secs_f64());
    }
}
