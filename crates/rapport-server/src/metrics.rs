//! Prometheus metrics: requests by route, latency, the database pool.

use std::time::Instant;

use axum::extract::{MatchedPath, Request, State};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use prometheus::{
    Encoder, HistogramOpts, HistogramVec, IntCounterVec, IntGaugeVec, Opts, Registry, TextEncoder,
};

use crate::state::AppState;

pub struct Metrics {
    registry: Registry,
    requests: IntCounterVec,
    latency: HistogramVec,
    pool: IntGaugeVec,
    jobs: IntGaugeVec,
    info: IntGaugeVec,
    rate_limited: IntCounterVec,
}

impl Metrics {
    pub fn new(backend: &str) -> Self {
        let registry = Registry::new_custom(Some("rapport".into()), None).expect("registry");
        let requests = IntCounterVec::new(
            Opts::new("http_requests_total", "HTTP requests by route and status"),
            &["method", "route", "status"],
        )
        .expect("metric");
        let latency = HistogramVec::new(
            HistogramOpts::new(
                "http_request_duration_seconds",
                "HTTP request latency by route",
            )
            .buckets(vec![
                0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0,
            ]),
            &["method", "route"],
        )
        .expect("metric");
        let pool = IntGaugeVec::new(
            Opts::new("db_pool_connections", "Database pool connections by state"),
            &["state"],
        )
        .expect("metric");
        let jobs = IntGaugeVec::new(Opts::new("jobs", "Background jobs by state"), &["state"])
            .expect("metric");
        let info = IntGaugeVec::new(
            Opts::new("build_info", "Version and storage backend"),
            &["version", "backend"],
        )
        .expect("metric");
        info.with_label_values(&[env!("CARGO_PKG_VERSION"), backend])
            .set(1);
        let rate_limited = IntCounterVec::new(
            Opts::new(
                "rate_limited_total",
                "Requests refused 429 by the per-address limit of public routes, by route",
            ),
            &["route"],
        )
        .expect("metric");
        for m in [
            Box::new(requests.clone()) as Box<dyn prometheus::core::Collector>,
            Box::new(latency.clone()),
            Box::new(pool.clone()),
            Box::new(jobs.clone()),
            Box::new(info.clone()),
            Box::new(rate_limited.clone()),
        ] {
            registry.register(m).expect("register metric");
        }
        Self {
            registry,
            requests,
            latency,
            pool,
            jobs,
            info,
            rate_limited,
        }
    }

    /// Counts one request refused by the public-route rate limit.
    pub fn rate_limited(&self, route: &str) {
        self.rate_limited.with_label_values(&[route]).inc();
    }

    fn render(&self) -> String {
        let mut buf = Vec::new();
        TextEncoder::new()
            .encode(&self.registry.gather(), &mut buf)
            .expect("encode metrics");
        String::from_utf8(buf).unwrap_or_default()
    }
}

/// Records every request under its route template (`/api/v1/users/{id}`), never the raw path,
/// so label cardinality stays bounded.
pub async fn track(State(state): State<AppState>, req: Request, next: Next) -> Response {
    let route = req
        .extensions()
        .get::<MatchedPath>()
        .map(|p| p.as_str().to_string())
        .unwrap_or_else(|| "unmatched".into());
    let method = req.method().as_str().to_string();
    let start = Instant::now();
    let resp = next.run(req).await;
    let m = &state.metrics;
    m.latency
        .with_label_values(&[method.as_str(), route.as_str()])
        .observe(start.elapsed().as_secs_f64());
    m.requests
        .with_label_values(&[method.as_str(), route.as_str(), resp.status().as_str()])
        .inc();
    resp
}

pub async fn metrics(State(state): State<AppState>) -> impl IntoResponse {
    let stats = state.store.pool_stats();
    let m = &state.metrics;
    m.pool
        .with_label_values(&["open"])
        .set(i64::from(stats.size));
    m.pool
        .with_label_values(&["idle"])
        .set(i64::from(stats.idle));
    let _ = &m.info;
    // Every state is reported, zero included, so alerts on "failed > 0" have a series.
    let counts = state.store.job_counts().await.unwrap_or_default();
    for st in ["queued", "running", "done", "failed"] {
        let n = counts
            .iter()
            .find(|(s, _)| s == st)
            .map(|(_, n)| *n)
            .unwrap_or(0);
        m.jobs.with_label_values(&[st]).set(n);
    }
    (
        [(
            axum::http::header::CONTENT_TYPE,
            "text/plain; version=0.0.4",
        )],
        m.render(),
    )
}
