//! `GET /healthz`: the process answers (no database asked). `GET /readyz`: it can serve: the
//! database answers within a second and holds every migration this build knows; otherwise a
//! 503 that says why. Both are cheap enough for a load balancer to ask every 200 ms.

use std::time::Duration;

use app::state::AppState;
use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};

pub const HEALTH_PATH: &str = "/healthz";
pub const READY_PATH: &str = "/readyz";

/// How long `/readyz` waits for the database.
const READY_TIMEOUT: Duration = Duration::from_secs(1);

pub async fn healthz() -> Response {
    answer(StatusCode::OK, "ok")
}

pub async fn readyz(State(state): State<AppState>) -> Response {
    match tokio::time::timeout(READY_TIMEOUT, state.pool.readiness()).await {
        Ok(Ok(())) => answer(StatusCode::OK, "ready"),
        Ok(Err(reason)) => answer(StatusCode::SERVICE_UNAVAILABLE, &format!("not ready: {reason}")),
        Err(_) => answer(
            StatusCode::SERVICE_UNAVAILABLE,
            "not ready: the database did not answer within a second",
        ),
    }
}

fn answer(status: StatusCode, text: &str) -> Response {
    let mut response = (status, [(header::CACHE_CONTROL, "no-store")], format!("{text}\n")).into_response();
    if status == StatusCode::SERVICE_UNAVAILABLE {
        response
            .headers_mut()
            .insert(header::RETRY_AFTER, header::HeaderValue::from_static("1"));
    }
    response
}
