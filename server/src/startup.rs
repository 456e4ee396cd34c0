//! Builds the application (router, state, listener) so `main` and the tests start it the
//! same way; binding port 0 lets tests run many servers at once.

use std::net::SocketAddr;

use app::activity::server::export::export_activity_log;
use app::activity::server::live::follow_activity_log;
use app::activity::{EXPORT_PATH, LIVE_PATH};
use app::auth::sso::handlers;
use app::auth::sso::model as sso;
use app::errors::AppError;
use app::ingest::handler::ingest_events;
use app::ingest::{INGEST_BODY_LIMIT_BYTES, INGEST_PATH};
use app::integrity::audit;
use app::integrity::checkpoint::{CheckpointSigner, sign_checkpoints};
use app::read_api::handler::read_events;
use app::read_api::{proofs, tiles};
use app::state::metrics::{Walk, WalkLabels};
use app::state::{AppState, Limits, SessionSettings};
use app::{App, shell};
use axum::Router;
use axum::body::Body;
use axum::extract::{DefaultBodyLimit, FromRef};
use axum::http::StatusCode;
use axum::middleware::{self, map_response};
use axum::response::Response;
use axum::routing::{MethodRouter, get, post};
use leptos::prelude::*;
use leptos_axum::{LeptosRoutes, generate_route_list};
use std::sync::Arc;
use tokio::net::TcpListener;
use tower_http::limit::RequestBodyLimitLayer;

use crate::connections::{self, ConnectionLimits};
use crate::request_id::{self, TrustedProxies};
use crate::{files, health, metrics, security};

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
    /// `None` for a server that signs no checkpoints (`serve --no-sign`).
    pub signer: Option<Arc<CheckpointSigner>>,
    /// Checks checkpoint signatures: the signer's public half, or the one given.
    pub public_key: ed25519_dalek::VerifyingKey,
    pub checkpoint_every: std::time::Duration,
    /// How long the rolling audit takes to walk every chain once (the badge walks only new
    /// events).
    pub audit_period: std::time::Duration,
}

pub struct Application {
    listener: TcpListener,
    router: Router,
    state: AppState,
    integrity: IntegritySettings,
    connections: ConnectionLimits,
    /// Where the metrics are served, if anywhere (`--metrics-addr`).
    metrics_listener: Option<TcpListener>,
}

impl Application {
    /// Opens the database (running migrations) and binds `addr`.
    pub async fn build(
        database: &app::db::Database,
        sessions: SessionSettings,
        limits: Limits,
        integrity: IntegritySettings,
        mut leptos_options: LeptosOptions,
        addr: SocketAddr,
    ) -> Result<Application, StartupError> {
        let pool = app::db::connect(database)
            .await
            .map_err(|source| StartupError::Database {
                database: database.describe(),
                source,
            })?;
        let listen_error = |source| StartupError::Listen { addr, source };
        let listener = connections::listen(addr).map_err(listen_error)?;
        leptos_options.site_addr = listener.local_addr().map_err(listen_error)?;
        let state = ServerState {
            leptos_options,
            app: AppState::new(pool, sessions, limits, integrity.public_key),
        };
        Ok(Application {
            listener,
            state: state.app.clone(),
            router: router(state),
            integrity,
            connections: ConnectionLimits::default(),
            metrics_listener: None,
        })
    }

    /// Serves the metrics on `addr` too (its own address, never the app's, so they are not
    /// public by accident).
    pub async fn with_metrics_on(self, addr: SocketAddr) -> Result<Application, StartupError> {
        let listener = TcpListener::bind(addr)
            .await
            .map_err(|source| StartupError::Listen { addr, source })?;
        Ok(Application {
            metrics_listener: Some(listener),
            ..self
        })
    }

    /// The metrics this server counts.
    pub fn metrics(&self) -> Arc<app::state::metrics::Metrics> {
        self.state.metrics.clone()
    }

    /// Where the metrics are served, if they are.
    pub fn metrics_addr(&self) -> Option<SocketAddr> {
        self.metrics_listener
            .as_ref()
            .and_then(|listener| listener.local_addr().ok())
    }

    /// Bounds on connections other than the defaults (`[limits]` in `Leptos.toml`).
    pub fn with_connection_limits(self, connections: ConnectionLimits) -> Application {
        Application { connections, ..self }
    }

    pub fn local_addr(&self) -> SocketAddr {
        self.listener
            .local_addr()
            .expect("a bound listener has an address")
    }

    /// Serves until SIGINT/SIGTERM, lets requests in flight finish, then closes the pool
    /// (which checkpoints SQLite's WAL).
    pub async fn run_until_stopped(self) -> std::io::Result<()> {
        let connection_limits = self.connections.within_open_files(raise_open_file_limit());
        tracing::info!(
            max = connection_limits.max,
            header_timeout = ?connection_limits.header_timeout,
            keep_alive = ?connection_limits.keep_alive,
            write_stall = ?connection_limits.write_stall,
            "connections"
        );
        let pool = self.state.pool.clone();
        let mut tasks = vec![tokio::spawn(metrics::probe_pool_waits(self.state.clone()))];
        if let Some(listener) = self.metrics_listener {
            tasks.push(tokio::spawn(metrics::serve(listener, self.state.clone())));
        }
        let checkpoints = match self.integrity.signer.clone() {
            Some(signer) => {
                tracing::info!(every = ?self.integrity.checkpoint_every, "checkpoints: signed here");
                // The start's checkpoint before the first request is taken, so whatever a
                // request stores comes after it (and waits for the next one).
                sign_now(&pool, &signer).await;
                Some(tokio::spawn(sign_checkpoints_periodically(
                    pool.clone(),
                    signer,
                    self.integrity.checkpoint_every,
                )))
            }
            None => {
                tracing::info!("checkpoints: not signed here (--no-sign); run `server checkpoint` elsewhere");
                None
            }
        };
        tasks.extend(checkpoints);
        tasks.push(tokio::spawn(audit_chains(
            self.state.clone(),
            self.integrity.clone(),
        )));
        tasks.push(tokio::spawn(app::streaming::worker::run(self.state.clone())));
        connections::serve(
            self.listener,
            self.router,
            connection_limits,
            self.state.metrics.clone(),
            shutdown_signal(),
        )
        .await?;
        for task in tasks {
            task.abort();
            let _ = task.await;
        }
        pool.close().await;
        tracing::info!("stopped cleanly");
        Ok(())
    }
}

/// Raises this process's soft limit on open files to its hard limit (a service manager's
/// default soft limit, often 1,024, is far below what connections need) and returns it.
fn raise_open_file_limit() -> u64 {
    let before = rlimit::Resource::NOFILE
        .get()
        .map(|(soft, _)| soft)
        .unwrap_or(1024);
    match rlimit::increase_nofile_limit(u64::MAX) {
        Ok(now) if now > before => {
            tracing::info!(
                from = before,
                to = now,
                "raised the open-file limit to the hard limit"
            );
            now
        }
        Ok(now) => now,
        Err(error) => {
            tracing::warn!(%error, limit = before, "could not raise the open-file limit");
            before
        }
    }
}

/// Signs a checkpoint of every chain that grew, every `checkpoint_every` after the start's.
async fn sign_checkpoints_periodically(
    pool: app::db::Db,
    signer: Arc<CheckpointSigner>,
    every: std::time::Duration,
) {
    let mut ticks = tokio::time::interval_at(tokio::time::Instant::now() + every, every);
    ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        ticks.tick().await;
        sign_now(&pool, &signer).await;
    }
}

/// Signs a checkpoint of every chain that grew since its last.
async fn sign_now(pool: &app::db::Db, signer: &CheckpointSigner) {
    match sign_checkpoints(pool, signer, chrono::Utc::now()).await {
        Ok(made) if made.is_empty() => {}
        Ok(made) => tracing::info!(?made, "signed checkpoints (partner, chain position)"),
        Err(error) => tracing::error!(%error, "signing checkpoints failed; will retry"),
    }
}

/// The rolling audit (`integrity::audit`): every chain walked again from its first event,
/// a slice a round, once per `audit_period`, resting so it takes at most 5 % of a core.
async fn audit_chains(state: AppState, integrity: IntegritySettings) {
    let (pool, metrics, key) = (&state.pool, &state.metrics, integrity.public_key);
    let period = integrity.audit_period;
    loop {
        let (busy, round) = audit::timed_round(pool, &key, period).await;
        metrics
            .walk_seconds
            .get_or_create(&WalkLabels {
                kind: Walk::AuditRound,
            })
            .observe(busy.as_secs_f64());
        match round {
            Ok(round) => {
                metrics.set_partner_count(round.partners);
                for (partner_id, report) in round.finished {
                    match &report.broken {
                        Some(_) => {
                            tracing::error!(%partner_id, %report, "the audit found a hash chain broken")
                        }
                        None => {
                            metrics.chain_head(partner_id, report.events as i64);
                            tracing::info!(%partner_id, %report, "the audit re-checked a whole chain")
                        }
                    }
                }
            }
            Err(error) => tracing::error!(%error, "a round of the integrity audit failed; will retry"),
        }
        tokio::time::sleep(audit::rest_after(busy, period)).await;
    }
}

/// Routes served by plain axum handlers rather than Leptos, behind a session cookie: under
/// the cross-site check and the 64 KiB body limit like the server functions.
/// Each route: its path, the methods it answers (for [`handler_routes`]), its handlers.
type HandlerRoute = (&'static str, &'static [&'static str], MethodRouter<ServerState>);

fn cookie_handler_routes() -> [HandlerRoute; 5] {
    [
        (EXPORT_PATH, &["POST"], post(export_activity_log)),
        (LIVE_PATH, &["GET"], get(follow_activity_log)),
        // A sign-in through the partner's own provider: there and back again.
        (sso::START_PATH, &["GET"], get(handlers::start_provider_sign_in)),
        (
            sso::CALLBACK_PATH,
            &["GET"],
            get(handlers::finish_provider_sign_in),
        ),
        (
            sso::SIGNED_OUT_PATH,
            &["GET"],
            get(handlers::go_to_provider_sign_out),
        ),
    ]
}

/// Routes authenticated by an API token, never a cookie (so cross-site checks have nothing
/// to guard), with their own body limit: a batch of events is bigger. The read API
/// (`GET`) shares the ingest path.
fn token_handler_routes() -> [HandlerRoute; 5] {
    [
        (
            INGEST_PATH,
            &["GET", "POST"],
            get(read_events)
                .post(ingest_events)
                .layer::<_, std::convert::Infallible>(RequestBodyLimitLayer::new(INGEST_BODY_LIMIT_BYTES))
                // The `Bytes` extractor has its own 2 MiB default; without this a documented
                // 4 MiB batch would be refused with a 413 that senders treat as final.
                .layer(DefaultBodyLimit::max(INGEST_BODY_LIMIT_BYTES)),
        ),
        (proofs::INCLUSION_PATH, &["GET"], get(proofs::inclusion)),
        (proofs::CONSISTENCY_PATH, &["GET"], get(proofs::consistency)),
        (proofs::CHECKPOINT_PATH, &["GET"], get(proofs::checkpoint)),
        (tiles::TILE_ROUTE, &["GET"], get(tiles::tile)),
    ]
}

/// Every plain handler as `METHOD path`, read from the lists the router is built from (the
/// access-matrix test walks these beside the server functions and pages, so none escapes
/// its checks).
pub fn handler_routes() -> Vec<String> {
    let cookie = cookie_handler_routes();
    let token = token_handler_routes();
    cookie
        .iter()
        .chain(&token)
        .flat_map(|(path, methods, _)| methods.iter().map(move |method| format!("{method} {path}")))
        .collect()
}

pub(crate) fn router(state: ServerState) -> Router {
    let routes = generate_route_list(App);
    let app_state = state.app.clone();
    let trusted = TrustedProxies(Arc::new(state.app.limits.trusted_proxies.clone()));
    let provide_app_state = move || provide_context(app_state.clone());
    let mut router = Router::new();
    for (path, _, handler) in cookie_handler_routes() {
        router = router.route(path, handler);
    }
    let mut router = router
        .leptos_routes_with_context(&state, routes, provide_app_state, {
            let options = state.leptos_options.clone();
            move || shell(options.clone())
        })
        .fallback_service(files::file_or_not_found(
            state.leptos_options.clone(),
            state.app.clone(),
        ))
        .layer(map_response(status_from_app_error))
        .layer(middleware::from_fn(security::refuse_cross_site))
        .layer(RequestBodyLimitLayer::new(security::BODY_LIMIT_BYTES));
    // Added after the layers above, so they keep only their own.
    for (path, _, handler) in token_handler_routes() {
        router = router.route(path, handler);
    }
    // For load balancers and service managers: no session, no body, nothing secret.
    router
        .route(health::HEALTH_PATH, get(health::healthz))
        .route(health::READY_PATH, get(health::readyz))
        .layer(middleware::from_fn(security::security_headers))
        .layer(middleware::from_fn_with_state(
            state.app.metrics.clone(),
            metrics::track_request,
        ))
        .layer(middleware::from_fn_with_state(
            trusted,
            request_id::with_request_id,
        ))
        .with_state(state)
}

/// The one place a server function's error gets its HTTP status. Server functions answer
/// every error with a 500, including the ones raised before our code runs (an argument
/// missing or malformed); the body is the [`AppError`], which knows its real status and
/// headers (`Retry-After`), so a client mistake becomes the 4xx it is.
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
        error.add_headers(&mut parts.headers);
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
    #[error("cannot open the database {database}: {source}")]
    Database { database: String, source: sqlx::Error },
    #[error("cannot listen on {addr}: {source}")]
    Listen {
        addr: SocketAddr,
        source: std::io::Error,
    },
}
