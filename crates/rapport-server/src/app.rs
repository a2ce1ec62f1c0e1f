//! Start-up: connect, migrate, assemble routes and layers, bind, serve until told to stop.

use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use axum::extract::{DefaultBodyLimit, State};
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::IntoResponse;
use axum::routing::get;
use axum::{middleware, Json, Router};
use rapport_storage::Storage;
use tokio::net::TcpListener;
use tower_http::set_header::SetResponseHeaderLayer;
use tower_http::trace::TraceLayer;

use crate::api::extract::BodyLimit;
use crate::error::ApiError;
use crate::i18n::I18n;
use crate::metrics::{self, Metrics};
use crate::state::AppState;
use crate::{api, web, Config};

pub struct Application {
    listener: TcpListener,
    port: u16,
    state: AppState,
}

impl Application {
    /// Connects to the configured database, runs migrations and binds the address.
    pub async fn build(config: Config) -> anyhow::Result<Self> {
        let pool = rapport_storage::PoolOptions {
            acquire_timeout: config.db_acquire_timeout,
        };
        let store = rapport_storage::connect_with(&config.database_url, pool)
            .await
            .with_context(|| {
                format!(
                    "connecting to {}",
                    crate::config::redact_url(&config.database_url)
                )
            })?;
        store.migrate().await.context("running migrations")?;
        Self::build_with_store(config, store).await
    }

    /// Binds with an already-open store (the demo seeds it first).
    pub async fn build_with_store(config: Config, store: Arc<dyn Storage>) -> anyhow::Result<Self> {
        let listener = TcpListener::bind(config.addr)
            .await
            .with_context(|| format!("binding {}", config.addr))?;
        let port = listener.local_addr()?.port();
        let semantic = match config.model_dir.clone() {
            Some(dir) => tokio::task::spawn_blocking(move || crate::semantic::Semantic::load(&dir))
                .await
                .context("loading the semantic model")?,
            None => None,
        };
        let state = AppState {
            metrics: Arc::new(Metrics::new(store.backend().as_str())),
            store,
            i18n: Arc::new(I18n::load()),
            config: Arc::new(config),
            wake: Arc::new(tokio::sync::Notify::new()),
            semantic,
        };
        Ok(Self {
            listener,
            port,
            state,
        })
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    pub fn state(&self) -> &AppState {
        &self.state
    }

    /// Serves (and runs the background worker) until `shutdown` resolves. Then new connections
    /// are refused, in-flight requests are finished, and the worker finishes its running job
    /// (else hands it back) and hands back the jobs it had not started, all within
    /// `shutdown_grace`: a request still unfinished then is dropped.
    pub async fn run_until_stopped(
        self,
        shutdown: impl Future<Output = ()> + Send + 'static,
    ) -> anyhow::Result<()> {
        let app = router(self.state.clone());
        let (stop_tx, stop_rx) = tokio::sync::watch::channel(false);
        let stop_tx = Arc::new(stop_tx);
        let worker_id = format!(
            "{}-{}",
            std::process::id(),
            crate::auth::secrets::random_hex(4)
        );
        let backfill = tokio::spawn(crate::semantic::backfill(
            self.state.clone(),
            stop_rx.clone(),
        ));
        let worker = tokio::spawn(crate::jobs::run_worker(
            self.state.clone(),
            worker_id,
            stop_rx,
        ));
        // The worker hears of the shutdown at once, not after the last request has finished.
        let stopping = {
            let stop_tx = stop_tx.clone();
            async move {
                shutdown.await;
                let _ = stop_tx.send(true);
            }
        };
        let serving = serve_http(
            self.listener,
            app,
            self.state.config.header_read_timeout,
            stopping,
        );
        // A client that never finishes its request must not hold the shutdown forever.
        let grace = self.state.config.shutdown_grace;
        let mut stopped = stop_tx.subscribe();
        let grace_over = async move {
            if stopped.wait_for(|stop| *stop).await.is_ok() {
                tokio::time::sleep(grace).await;
            } else {
                std::future::pending::<()>().await;
            }
        };
        let served = tokio::select! {
            served = serving => served.context("serving HTTP"),
            () = grace_over => {
                tracing::warn!(?grace, "requests still in flight at the end of the shutdown grace; dropping them");
                Ok(())
            }
        };
        let _ = stop_tx.send(true);
        let _ = worker.await;
        let _ = backfill.await;
        self.state.store.close().await;
        served
    }
}

/// Serves HTTP/1.1 until `stop` resolves; then stops accepting and waits for the connections
/// in flight. By hand rather than `axum::serve` for the header-read timeout: a client that
/// sends its headers a byte at a time (slowloris), or connects and says nothing, is
/// disconnected after `header_timeout` instead of holding a connection for ever.
async fn serve_http(
    listener: TcpListener,
    app: Router,
    header_timeout: Duration,
    stop: impl Future<Output = ()>,
) -> std::io::Result<()> {
    use hyper_util::rt::{TokioIo, TokioTimer};
    use tower::{Service, ServiceExt};

    let mut make = app.into_make_service_with_connect_info::<SocketAddr>();
    let graceful = hyper_util::server::graceful::GracefulShutdown::new();
    let mut stop = std::pin::pin!(stop);
    loop {
        let (stream, remote) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(accepted) => accepted,
                Err(e) => {
                    // Usually out of file descriptors: wait rather than spin.
                    tracing::warn!(error = %e, "accepting a connection failed");
                    tokio::time::sleep(Duration::from_millis(100)).await;
                    continue;
                }
            },
            () = &mut stop => break,
        };
        let _ = stream.set_nodelay(true);
        let Ok(ready) = ServiceExt::<SocketAddr>::ready(&mut make).await;
        let Ok(svc) = Service::<SocketAddr>::call(ready, remote).await;
        let conn = hyper::server::conn::http1::Builder::new()
            .timer(TokioTimer::new())
            .header_read_timeout(header_timeout)
            .serve_connection(
                TokioIo::new(stream),
                hyper_util::service::TowerToHyperService::new(svc),
            );
        let conn = graceful.watch(conn);
        tokio::spawn(async move {
            if let Err(e) = conn.await {
                tracing::debug!(error = %e, "connection ended with an error");
            }
        });
    }
    drop(listener);
    graceful.shutdown().await;
    Ok(())
}

const CSP: &str = "default-src 'self'; style-src 'self'; img-src 'self' data:; script-src 'self'; \
                   form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

pub fn router(state: AppState) -> Router {
    let (api, doc) = api::router();
    let limit = state.config.body_limit;
    Router::new()
        .merge(api)
        .merge(api::openapi_route(doc))
        .merge(web::router())
        .route("/healthz", get(healthz))
        .route("/readyz", get(readyz))
        .route("/metrics", get(metrics::metrics))
        .route_layer(middleware::from_fn_with_state(
            crate::rate_limit::PublicLimit::new(state.clone()),
            crate::rate_limit::public_routes,
        ))
        .route_layer(middleware::from_fn_with_state(
            state.clone(),
            metrics::track,
        ))
        .fallback(not_found)
        .layer(middleware::from_fn_with_state(
            state.clone(),
            request_timeout,
        ))
        .layer(middleware::from_fn_with_state(
            state.clone(),
            refuse_declared_oversize,
        ))
        .layer(middleware::from_fn(refuse_nul_in_query))
        .layer(middleware::from_fn_with_state(
            state.clone(),
            web::html_errors,
        ))
        .layer(middleware::from_fn(web::login_csrf_cookie))
        .layer(DefaultBodyLimit::max(limit))
        .layer(axum::Extension(BodyLimit(limit)))
        .layer(SetResponseHeaderLayer::if_not_present(
            header::CONTENT_SECURITY_POLICY,
            HeaderValue::from_static(CSP),
        ))
        .layer(SetResponseHeaderLayer::if_not_present(
            header::X_CONTENT_TYPE_OPTIONS,
            HeaderValue::from_static("nosniff"),
        ))
        .layer(SetResponseHeaderLayer::if_not_present(
            header::X_FRAME_OPTIONS,
            HeaderValue::from_static("DENY"),
        ))
        .layer(SetResponseHeaderLayer::if_not_present(
            header::REFERRER_POLICY,
            HeaderValue::from_static("same-origin"),
        ))
        .layer(TraceLayer::new_for_http())
        .with_state(state)
}

/// Answers 503 when a request runs past `request_timeout`. Without it, a request whose query
/// was sent just before the network to the database went silent would wait for TCP to give up
/// (many minutes); dropping it also drops its connection.
async fn request_timeout(
    State(s): State<AppState>,
    req: axum::extract::Request,
    next: middleware::Next,
) -> axum::response::Response {
    match tokio::time::timeout(s.config.request_timeout, next.run(req)).await {
        Ok(resp) => resp,
        Err(_) => {
            tracing::warn!(timeout = ?s.config.request_timeout, "request timed out");
            ApiError::TimedOut.into_response()
        }
    }
}

/// Answers 413 at once when the declared `Content-Length` is over the body limit, instead of
/// reading (and holding the connection for) a body that will be refused anyway.
async fn refuse_declared_oversize(
    State(s): State<AppState>,
    req: axum::extract::Request,
    next: middleware::Next,
) -> axum::response::Response {
    let declared = req
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    match declared {
        Some(n) if n > s.config.body_limit as u64 => {
            ApiError::PayloadTooLarge(s.config.body_limit).into_response()
        }
        _ => next.run(req).await,
    }
}

/// PostgreSQL cannot hold NUL in text: a query parameter carrying one would fail deep in a
/// query as a 500. Refused here, for every route, naming the parameter.
async fn refuse_nul_in_query(
    req: axum::extract::Request,
    next: middleware::Next,
) -> axum::response::Response {
    let q = req.uri().query().unwrap_or("");
    if q.contains("%00") {
        if let Some((k, _)) =
            form_urlencoded::parse(q.as_bytes()).find(|(k, v)| k.contains('\0') || v.contains('\0'))
        {
            return ApiError::BadRequest {
                field: Some(k.replace('\0', "")),
                message: "bad query parameter: must not contain NUL characters".into(),
            }
            .into_response();
        }
    }
    next.run(req).await
}

async fn not_found() -> ApiError {
    ApiError::NotFound("page")
}

/// Liveness: the process answers. Never touches the database.
async fn healthz() -> impl IntoResponse {
    Json(serde_json::json!({"status": "ok"}))
}

/// Readiness: the database answers within two seconds.
async fn readyz(State(s): State<AppState>) -> impl IntoResponse {
    match tokio::time::timeout(Duration::from_secs(2), s.store.ping()).await {
        Ok(Ok(())) => (
            StatusCode::OK,
            Json(
                serde_json::json!({"status": "ready", "database": "ok", "backend": s.store.backend().as_str()}),
            ),
        ),
        Ok(Err(e)) => {
            tracing::warn!(error = %e, "readiness check failed");
            (
                StatusCode::SERVICE_UNAVAILABLE,
                Json(serde_json::json!({"status": "unavailable", "database": "unreachable"})),
            )
        }
        Err(_) => (
            StatusCode::SERVICE_UNAVAILABLE,
            Json(serde_json::json!({"status": "unavailable", "database": "timeout"})),
        ),
    }
}
