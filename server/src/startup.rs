//! Builds the application (router, state, listener) so `main` and the tests start it the
//! same way; binding port 0 lets tests run many servers at once.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use app::activity::EXPORT_PATH;
use app::activity::export::export_activity_log;
use app::errors::AppError;
use app::ingest::handler::ingest_events;
use app::ingest::{INGEST_BODY_LIMIT_BYTES, INGEST_PATH};
use app::integrity::checkpoint::{CheckpointSigner, sign_checkpoints};
use app::state::{AppState, SessionSettings};
use app::{App, shell};
use axum::Router;
use axum::body::Body;
use axum::extract::FromRef;
use axum::http::StatusCode;
use axum::middleware::{self, map_response};
use axum::response::Response;
use axum::routing::post;
use leptos::prelude::*;
use leptos_axum::{LeptosRoutes, generate_route_list};
use std::sync::Arc;
use tokio::net::TcpListener;
use tower_http::limit::RequestBodyLimitLayer;

use crate::security;

/// The router's state: what Leptos needs plus what our handlers need.
#[derive(Clone)]
pub struct ServerState {
    pub leptos_options: LeptosOptions,
    pub app: AppState,
}

impl FromRef<ServerState> for LeptosOptions {
    fn from_ref(state: &ServerState) -> Self {
        state.leptos_options.clone()
    }
}

impl FromRef<ServerState> for AppState {
    fn from_ref(state: &ServerState) -> Self {
        state.app.clone()
    }
}

/// The checkpoint key and how often the running server signs checkpoints.
#[derive(Clone)]
pub struct IntegritySettings {
    pub signer: Arc<CheckpointSigner>,
    pub checkpoint_every: std::time::Duration,
}

pub struct Application {
    listener: TcpListener,
    router: Router,
    pool: sqlx::SqlitePool,
    integrity: IntegritySettings,
}

impl Application {
    /// Opens the database (running migrations) and binds `addr`.
    pub async fn build(
        database: &Path,
        sessions: SessionSettings,
        integrity: IntegritySettings,
        mut leptos_options: LeptosOptions,
        addr: SocketAddr,
    ) -> Result<Application, StartupError> {
        let pool = app::db::connect(database)
            .await
            .map_err(|source| StartupError::Database {
                path: database.to_path_buf(),
                source,
            })?;
        let listen_error = |source| StartupError::Listen { addr, source };
        let listener = TcpListener::bind(addr).await.map_err(listen_error)?;
        leptos_options.site_addr = listener.local_addr().map_err(listen_error)?;
        let state = ServerState {
            leptos_options,
            app: AppState {
                pool: pool.clone(),
                sessions,
                sign_in_throttle: Default::default(),
                checkpoint_key: integrity.signer.verifying_key(),
            },
        };
        Ok(Application {
            listener,
            router: router(state),
            pool,
            integrity,
        })
    }

    pub fn local_addr(&self) -> SocketAddr {
        self.listener
            .local_addr()
            .expect("a bound listener has an address")
    }

    /// Serves until SIGINT/SIGTERM, lets requests in flight finish, then closes the pool
    /// (which checkpoints SQLite's WAL).
    pub async fn run_until_stopped(self) -> std::io::Result<()> {
        // Connection info gives sign-in throttling the client's address.
        let service = self.router.into_make_service_with_connect_info::<SocketAddr>();
        let checkpoints = tokio::spawn(sign_checkpoints_periodically(
            self.pool.clone(),
            self.integrity.clone(),
        ));
        axum::serve(self.listener, service)
            .with_graceful_shutdown(shutdown_signal())
            .await?;
        checkpoints.abort();
        let _ = checkpoints.await;
        self.pool.close().await;
        tracing::info!("stopped cleanly");
        Ok(())
    }
}

/// Signs a checkpoint of every chain that grew, at start and then every `checkpoint_every`.
async fn sign_checkpoints_periodically(pool: sqlx::SqlitePool, integrity: IntegritySettings) {
    let mut ticks = tokio::time::interval(integrity.checkpoint_every);
    ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        ticks.tick().await;
        match sign_checkpoints(&pool, &integrity.signer, chrono::Utc::now()).await {
            Ok(made) if made.is_empty() => {}
            Ok(made) => tracing::info!(?made, "signed checkpoints (partner, chain position)"),
            Err(error) => tracing::error!(%error, "signing checkpoints failed; will retry"),
        }
    }
}

/// Routes served by plain axum handlers rather than Leptos (the access-matrix test walks
/// these beside the server functions and pages, so none escapes its checks).
pub const HANDLER_ROUTES: [&str; 2] = [EXPORT_PATH, INGEST_PATH];

fn router(state: ServerState) -> Router {
    let routes = generate_route_list(App);
    let app_state = state.app.clone();
    let provide_app_state = move || provide_context(app_state.clone());
    Router::new()
        .route(EXPORT_PATH, post(export_activity_log))
        .leptos_routes_with_context(&state, routes, provide_app_state.clone(), {
            let options = state.leptos_options.clone();
            move || shell(options.clone())
        })
        .fallback(
            leptos_axum::file_and_error_handler_with_context::<ServerState, _>(provide_app_state, shell),
        )
        .layer(map_response(status_from_app_error))
        .layer(middleware::from_fn(security::refuse_cross_site))
        .layer(RequestBodyLimitLayer::new(security::BODY_LIMIT_BYTES))
        // Added after the 64 KiB limit, with its own: a batch of events is bigger. It is
        // authenticated by a token, never a cookie, so cross-site checks have nothing to guard.
        .route(
            INGEST_PATH,
            post(ingest_events).layer(RequestBodyLimitLayer::new(INGEST_BODY_LIMIT_BYTES)),
        )
        .layer(middleware::from_fn(security::security_headers))
        .with_state(state)
}

/// Server functions answer every error with a 500, including the ones raised before our code
/// runs (an argument missing or malformed). The body is still an [`AppError`], which knows
/// its real status, so a client mistake becomes the 4xx it is.
async fn status_from_app_error(response: Response) -> Response {
    if response.status() != StatusCode::INTERNAL_SERVER_ERROR {
        return response;
    }
    let (mut parts, body) = response.into_parts();
    let Ok(bytes) = axum::body::to_bytes(body, 64 * 1024).await else {
        return Response::from_parts(parts, Body::empty());
    };
    if let Ok(error) = serde_json::from_slice::<AppError>(&bytes) {
        parts.status = error.status_code();
    }
    Response::from_parts(parts, Body::from(bytes))
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {},
        _ = terminate => {},
    }
    tracing::info!("shutting down: finishing requests in flight");
}

#[derive(Debug, thiserror::Error)]
pub enum StartupError {
    #[error("cannot open the database {path}: {source}")]
    Database { path: PathBuf, source: sqlx::Error },
    #[error("cannot listen on {addr}: {source}")]
    Listen {
        addr: SocketAddr,
        source: std::io::Error,
    },
}
